package service

import (
	"context"
	"sync"

	"github.com/lianqi/lianqi/domain"
	"github.com/lianqi/lianqi/store"
)

// changeCache shares one pull of problem changes among the subscribers of this
// process. On the embedded engine a pull by sequence scans the whole problems
// collection, and after a commit every subscriber wakes with the same
// checkpoint and the same watermark; without sharing, N subscribers would scan N
// times. The pull is made unscoped and each subscriber keeps what its own scope
// allows. Only the latest pull is kept, and the lock is held during it so that
// subscribers waking together wait for the first one's result.
type changeCache struct {
	mu          sync.Mutex
	after, upTo int64
	batch       []store.ProblemChange
}

// problemChanges returns the problem changes in (after, upTo] inside sc, oldest
// first, and the sequence the pull reached: upTo, or the last sequence of the
// unscoped batch when it was cut at watchBatch (the caller pulls again from there).
func (s *Service) problemChanges(ctx context.Context, sc domain.Scope, after, upTo int64) ([]store.ProblemChange, int64, error) {
	c := &s.changes
	c.mu.Lock()
	if c.batch == nil || c.after != after || c.upTo != upTo {
		batch, err := s.db.ProblemChanges(ctx, domain.Scope{All: true}, after, upTo, watchBatch)
		if err != nil {
			c.mu.Unlock()
			return nil, after, err
		}
		if batch == nil {
			batch = []store.ProblemChange{}
		}
		c.after, c.upTo, c.batch = after, upTo, batch
	}
	all := c.batch
	c.mu.Unlock()

	reached := upTo
	if len(all) == watchBatch {
		reached = all[len(all)-1].Seq
	}
	mine := make([]store.ProblemChange, 0, len(all))
	for _, ch := range all {
		if sc.HasEnterprise(ch.Problem.EnterpriseID) {
			mine = append(mine, ch)
		}
	}
	return mine, reached, nil
}
