package store

import (
	"context"
	"maps"
	"sync"

	"go.mongodb.org/mongo-driver/v2/event"
)

// commandCounts counts the commands the store sent, by name. Tests and
// benchmarks read them because, unlike times, they do not depend on how busy
// the machine is, and they say whether a request did work it did not need
// (a count nobody selected, a read before a write).
type commandCounts struct {
	mu sync.Mutex
	n  map[string]int64
}

// monitor returns the driver hook that counts, calling next too if set.
func (c *commandCounts) monitor(next *event.CommandMonitor) *event.CommandMonitor {
	return &event.CommandMonitor{
		Started: func(ctx context.Context, e *event.CommandStartedEvent) {
			c.mu.Lock()
			if c.n == nil {
				c.n = map[string]int64{}
			}
			c.n[e.CommandName]++
			c.mu.Unlock()
			if next != nil && next.Started != nil {
				next.Started(ctx, e)
			}
		},
		Succeeded: func(ctx context.Context, e *event.CommandSucceededEvent) {
			if next != nil && next.Succeeded != nil {
				next.Succeeded(ctx, e)
			}
		},
		Failed: func(ctx context.Context, e *event.CommandFailedEvent) {
			if next != nil && next.Failed != nil {
				next.Failed(ctx, e)
			}
		},
	}
}

// Commands returns how many commands of each name (find, update, insert,
// aggregate, …) this handle has sent since Open.
func (db *DB) Commands() map[string]int64 {
	db.commands.mu.Lock()
	defer db.commands.mu.Unlock()
	return maps.Clone(db.commands.n)
}
