package sync

import (
	"context"
	"time"

	"github.com/lianqi/lianqi/store"
)

// Live streams: after every commit of this process (and every PollInterval, for
// writes of other processes, which the commit signal does not see) the stream
// pulls after its checkpoint and emits a non-empty batch. A stream without a
// checkpoint starts at the current watermark: the replica pulls history itself.

// head is a checkpoint at the current watermark for the caller's scope.
func (e *Engine) head(ctx context.Context, coll string) (*Checkpoint, error) {
	sc, _, err := e.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	mark, err := e.db().Watermark(ctx)
	if err != nil {
		return nil, err
	}
	c := &cursor{V: cursorVersion, Coll: coll, Seq: mark, All: sc.All}
	if !sc.All {
		c.Keys = scopeKeys(coll, sc)
	}
	key, err := e.key(ctx)
	if err != nil {
		return nil, err
	}
	cp := c.encode(key)
	return &cp, nil
}

func stream[B any](ctx context.Context, e *Engine, coll string, cp *Checkpoint,
	pull func(context.Context, *Checkpoint) (B, Checkpoint, int, bool, error)) (<-chan B, error) {
	key, err := e.key(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := decodeCursor(cp, coll, key); err != nil {
		return nil, err
	}
	if cp == nil || cp.Cursor == "" {
		var err error
		if cp, err = e.head(ctx, coll); err != nil {
			return nil, err
		}
	}
	out := make(chan B)
	go func() {
		defer close(out)
		tick := time.NewTicker(e.PollInterval)
		defer tick.Stop()
		for {
			woken := e.db().Committed()
			b, next, n, resync, err := pull(ctx, cp)
			if err != nil {
				if ctx.Err() == nil {
					e.Log.WarnContext(ctx, "sync stream pull failed", "collection", coll, "err", err)
				}
				return // the client reconnects and resumes from its checkpoint
			}
			cp = &next
			if n > 0 || resync {
				select {
				case out <- b:
				case <-ctx.Done():
					return
				}
				if n == MaxLimit {
					continue
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-woken:
			case <-tick.C:
			}
		}
	}()
	return out, nil
}

// StreamProblems emits problem batches as they change.
func (e *Engine) StreamProblems(ctx context.Context, cp *Checkpoint) (<-chan *ProblemBatch, error) {
	return stream(ctx, e, store.CollProblems, cp, func(ctx context.Context, cp *Checkpoint) (*ProblemBatch, Checkpoint, int, bool, error) {
		b, err := e.PullProblems(ctx, cp, MaxLimit, nil)
		if err != nil {
			return nil, Checkpoint{}, 0, false, err
		}
		return b, b.Checkpoint, len(b.Documents), b.Resync, nil
	})
}

// StreamProgressNotes emits progress-note batches as they change.
func (e *Engine) StreamProgressNotes(ctx context.Context, cp *Checkpoint) (<-chan *ProgressNoteBatch, error) {
	return stream(ctx, e, store.CollProgressNotes, cp, func(ctx context.Context, cp *Checkpoint) (*ProgressNoteBatch, Checkpoint, int, bool, error) {
		b, err := e.PullProgressNotes(ctx, cp, MaxLimit, nil)
		if err != nil {
			return nil, Checkpoint{}, 0, false, err
		}
		return b, b.Checkpoint, len(b.Documents), b.Resync, nil
	})
}

// StreamVisits emits visit batches as they change.
func (e *Engine) StreamVisits(ctx context.Context, cp *Checkpoint) (<-chan *VisitBatch, error) {
	return stream(ctx, e, store.CollVisits, cp, func(ctx context.Context, cp *Checkpoint) (*VisitBatch, Checkpoint, int, bool, error) {
		b, err := e.PullVisits(ctx, cp, MaxLimit, nil)
		if err != nil {
			return nil, Checkpoint{}, 0, false, err
		}
		return b, b.Checkpoint, len(b.Documents), b.Resync, nil
	})
}
