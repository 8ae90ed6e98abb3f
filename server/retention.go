package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/lianqi/lianqi/store"
)

// retentionDelay is how long after start the first retention pass runs: not
// at once, so that a start is not slowed and a server restarted in a loop
// does not prune in a loop. Tests shorten it.
var retentionDelay = time.Minute

// retentionPolicy is the configured store.RetentionPolicy.
func (m *Main) retentionPolicy() store.RetentionPolicy {
	c := m.Config
	return store.RetentionPolicy{Tombstones: c.RetainTombstones, Receipts: c.RetainReceipts,
		Conflicts: c.RetainConflicts, Held: c.RetainHeld, Audit: c.RetainAudit}
}

// pruneOnce runs one retention pass (or none, if another process is running
// one) and logs what it removed.
func (m *Main) pruneOnce(ctx context.Context) (store.PruneReport, error) {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	owner := fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b))
	r, err := m.DB.Prune(ctx, m.retentionPolicy(), owner)
	switch {
	case err != nil:
		m.Log.Error("retention pass failed", "err", err)
	case r.Skipped:
		m.Log.Debug("retention pass skipped: another process is pruning")
	default:
		m.Log.Info("retention pass", "horizon", r.Horizon, "log_entries", r.LogEntries, "tombstones", r.Tombstones,
			"receipts", r.Receipts, "conflicts", r.Conflicts, "held", r.Held, "audit", r.Audit)
	}
	return r, err
}

// startRetention runs pruneOnce a minute after start and then every
// RetentionInterval, until Close (which waits for a running pass).
func (m *Main) startRetention() {
	if m.Config.RetentionInterval <= 0 {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		wait := time.NewTimer(retentionDelay)
		defer wait.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-wait.C:
			}
			_, _ = m.pruneOnce(ctx)
			wait.Reset(m.Config.RetentionInterval)
		}
	})
	prev := m.stopWatch
	m.stopWatch = func() {
		cancel()
		wg.Wait()
		if prev != nil {
			prev()
		}
	}
}
