package store

import "sync"

// signal broadcasts "something was committed" to any number of waiters without
// a goroutine or a queue per waiter: each waiter holds the current channel, and
// a commit closes it and installs a fresh one.
type signal struct {
	mu sync.Mutex
	ch chan struct{}
}

func (s *signal) wait() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch == nil {
		s.ch = make(chan struct{})
	}
	return s.ch
}

func (s *signal) broadcast() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch != nil {
		close(s.ch)
		s.ch = nil
	}
}

// Committed returns a channel that is closed after the next write this process
// commits. Live subscriptions wait on it and then pull changes after their
// checkpoint; writes by other processes are not signalled, so long-lived
// waiters also poll Watermark now and then.
func (db *DB) Committed() <-chan struct{} { return db.committed.wait() }
