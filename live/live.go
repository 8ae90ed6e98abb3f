// Package live tells live subscriptions when the change sequence may have
// moved, whichever process made the change. Two feeds exist, chosen once at
// start (Choose): MongoDB change streams where the deployment has them (a
// replica set or a sharded cluster), and the watermark poll everywhere else
// (the embedded engine, a standalone mongod). Either is only a doorbell: a
// subscriber woken reads the watermark and pulls from its own checkpoint, so a
// missed or extra ring costs latency or one read, never a change.
package live

import (
	"fmt"
	"sync"
	"time"
)

// Feed wakes subscribers after changes.
type Feed interface {
	// Woken returns a channel closed at the next change the feed learns of.
	// Take it before reading the watermark, so that a change in between still
	// wakes the next wait.
	Woken() <-chan struct{}
	// Poll is how often a subscriber must also look on its own, for changes
	// the feed cannot see.
	Poll() time.Duration
	// Kind names the feed: KindPoll or KindStream.
	Kind() Kind
}

// Kind is a feed implementation.
type Kind string

const (
	KindPoll   Kind = "poll"
	KindStream Kind = "stream"
)

// Topology is what the server's hello answer says about the deployment.
type Topology struct {
	SetName  string // replica set name; empty for a standalone or mongos
	Msg      string // "isdbgrid" from a mongos
	FerretDB bool   // FerretDB answers hello like a standalone but has no change streams
}

// HasChangeStreams reports whether the deployment supports change streams:
// MongoDB serves them only from replica sets and sharded clusters, where the
// oplog exists.
func (t Topology) HasChangeStreams() bool {
	return !t.FerretDB && (t.SetName != "" || t.Msg == "isdbgrid")
}

// Choose picks the feed for mode ("auto", "poll" or "stream") on a deployment:
// auto takes change streams where they exist; "stream" on a deployment
// without them is a configuration error, not a silent fallback.
func Choose(mode string, t Topology) (Kind, error) {
	switch mode {
	case "", "auto":
		if t.HasChangeStreams() {
			return KindStream, nil
		}
		return KindPoll, nil
	case "poll":
		return KindPoll, nil
	case "stream":
		if !t.HasChangeStreams() {
			return "", fmt.Errorf("live feed %q: the database is not a replica set or sharded cluster (hello has no setName and is not a mongos), so it has no change streams", mode)
		}
		return KindStream, nil
	default:
		return "", fmt.Errorf("live feed %q: want auto, poll or stream", mode)
	}
}

// pollFeed wakes on this process's commits; other processes' writes are found
// by each subscriber's own poll of the watermark.
type pollFeed struct {
	committed func() <-chan struct{}
	every     time.Duration
}

// NewPoll returns the watermark poll: committed is the store's signal of this
// process's commits, every the poll interval for other processes' writes.
func NewPoll(committed func() <-chan struct{}, every time.Duration) Feed {
	return &pollFeed{committed: committed, every: every}
}

func (f *pollFeed) Woken() <-chan struct{} { return f.committed() }
func (f *pollFeed) Poll() time.Duration    { return f.every }
func (f *pollFeed) Kind() Kind             { return KindPoll }

// bell closes its current channel on ring and hands out a fresh one.
type bell struct {
	mu sync.Mutex
	ch chan struct{}
}

func (b *bell) wait() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ch == nil {
		b.ch = make(chan struct{})
	}
	return b.ch
}

func (b *bell) ring() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ch != nil {
		close(b.ch)
		b.ch = nil
	}
}
