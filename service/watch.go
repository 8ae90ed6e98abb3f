package service

import (
	"context"
	"time"

	"github.com/lianqi/lianqi/domain"
)

// ProblemEvent is one change to a problem a subscriber may see.
type ProblemEvent struct {
	ProblemID string
	// Deleted is true when the problem was deleted; Problem then holds its last state.
	Deleted bool
	Problem *domain.Problem
	// Seq is the change sequence of the write, for resuming.
	Seq int64
}

// DefaultPollInterval is how often a live subscription checks the watermark
// for writes by other processes, which do not wake it.
const DefaultPollInterval = 2 * time.Second

const watchBatch = 100

// watcher follows the change sequence for one subscriber from its own
// checkpoint. It wakes when this process commits (store.Committed) and on a
// timer for other processes' writes, reads the watermark and pulls what lies
// between. Scope is recomputed on every wake, so a pairing that ends stops the
// flow at once. The pulls themselves are shared among subscribers (changeCache).
// It runs on the subscriber's goroutine and returns when ctx ends:
// the connection closing or the token expiring ends it, nothing outlives it.
type watcher struct {
	s     *Service
	p     *domain.Principal
	after int64
}

func (s *Service) newWatcher(ctx context.Context) (*watcher, error) {
	p, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	mark, err := s.DB.Watermark(ctx)
	if err != nil {
		return nil, err
	}
	return &watcher{s: s, p: p, after: mark}, nil
}

// run calls pull after every wake-up until ctx ends. pull reports an error to
// end the subscription.
func (w *watcher) run(ctx context.Context, pull func(sc domain.Scope, upTo int64) error) {
	interval := w.s.PollInterval
	if interval <= 0 {
		interval = DefaultPollInterval
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		// Take the commit channel before reading the watermark, so a commit in
		// between still wakes the next wait.
		woken := w.s.DB.Committed()
		mark, err := w.s.DB.Watermark(ctx)
		if err == nil && mark > w.after {
			var sc domain.Scope
			if sc, err = w.s.ScopeOf(ctx, w.p); err == nil {
				err = pull(sc, mark)
			}
		}
		if err != nil {
			if ctx.Err() == nil {
				w.s.Log.WarnContext(ctx, "subscription ended", "user", w.p.Username, "err", err)
			}
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-woken:
		case <-tick.C:
		}
	}
}

// WatchProblems streams changes to problems inside the caller's scope (only of
// enterpriseID when given) made after the call. The channel closes when ctx ends.
func (s *Service) WatchProblems(ctx context.Context, enterpriseID *string) (<-chan *ProblemEvent, error) {
	w, err := s.newWatcher(ctx)
	if err != nil {
		return nil, err
	}
	out := make(chan *ProblemEvent)
	go func() {
		defer close(out)
		w.run(ctx, func(sc domain.Scope, upTo int64) error {
			for w.after < upTo {
				batch, reached, err := s.problemChanges(ctx, sc, w.after, upTo)
				if err != nil {
					return err
				}
				for _, c := range batch {
					pr := c.Problem
					if enterpriseID != nil && pr.EnterpriseID != *enterpriseID {
						continue
					}
					ev := &ProblemEvent{ProblemID: pr.ID, Deleted: pr.Deleted, Problem: pr, Seq: c.Seq}
					select {
					case out <- ev:
					case <-ctx.Done():
						return ctx.Err()
					}
				}
				w.after = reached
			}
			return nil
		})
	}()
	return out, nil
}

// WatchStats sends the statistics at once and again after every change to the
// problems inside the caller's scope, one update for all the changes found at
// one wake-up. The channel closes when ctx ends.
func (s *Service) WatchStats(ctx context.Context, period domain.Period) (<-chan *domain.ProblemStats, error) {
	w, err := s.newWatcher(ctx)
	if err != nil {
		return nil, err
	}
	sc, err := s.ScopeOf(ctx, w.p)
	if err != nil {
		return nil, err
	}
	first, err := s.problemStats(ctx, sc, period)
	if err != nil {
		return nil, err
	}
	out := make(chan *domain.ProblemStats, 1)
	out <- first
	go func() {
		defer close(out)
		w.run(ctx, func(sc domain.Scope, upTo int64) error {
			changed := false
			for w.after < upTo && !changed {
				batch, reached, err := s.problemChanges(ctx, sc, w.after, upTo)
				if err != nil {
					return err
				}
				changed, w.after = len(batch) > 0, reached
			}
			w.after = upTo
			if !changed {
				return nil
			}
			st, err := s.problemStats(ctx, sc, period)
			if err != nil {
				return err
			}
			select {
			case out <- st:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	return out, nil
}
