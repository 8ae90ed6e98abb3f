package sync

import (
	"context"
	"time"

	"github.com/lianqi/lianqi/live"
	"github.com/lianqi/lianqi/store"
)

// Live streams: after every commit of this process (and every PollInterval, for
// writes of other processes, which the commit signal does not see; with a
// change stream feed, after every commit of any instance) the stream
// pulls after its checkpoint and emits a non-empty batch. A stream without a
// checkpoint starts at the head of the change log: the replica pulls history
// itself.

// head is a checkpoint at the head of the change log for the caller's scope.
func (e *Engine) head(ctx context.Context, coll string) (*Checkpoint, error) {
	sc, p, err := e.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	keys := scopeKeys(coll, sc)
	if sc.All {
		keys = nil
	}
	c, err := e.start(ctx, coll, p.UserID, sc.All, keys, false)
	if err != nil {
		return nil, err
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
	_, p, err := e.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	c, err := decodeCursor(cp, coll, p.UserID, key)
	if err != nil {
		return nil, err
	}
	// Refused at subscription, with its code, rather than by a stream that
	// ends at its first pull.
	if c != nil && c.V == cursorVersion {
		if err := e.checkExpiry(ctx, c); err != nil {
			return nil, err
		}
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
		// The live feed rings at this process's commits, and with a change
		// stream at every instance's: then the poll is only a safety net.
		feed := e.Svc.LiveFeed()
		interval := e.PollInterval
		if feed.Kind() == live.KindStream {
			interval = feed.Poll()
		}
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			woken := feed.Woken()
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

// progress tells the stream loop where a batch leaves the replica: its
// checkpoint, how many documents it carries, and whether it asks for a resync.
type progress interface {
	progress() (Checkpoint, int, bool)
}

func (b *ProblemBatch) progress() (Checkpoint, int, bool) {
	return b.Checkpoint, len(b.Documents), b.Resync
}
func (b *ProgressNoteBatch) progress() (Checkpoint, int, bool) {
	return b.Checkpoint, len(b.Documents), b.Resync
}
func (b *VisitBatch) progress() (Checkpoint, int, bool) {
	return b.Checkpoint, len(b.Documents), b.Resync
}
func (b *EnterpriseBatch) progress() (Checkpoint, int, bool) {
	return b.Checkpoint, len(b.Documents), b.Resync
}
func (b *PairingBatch) progress() (Checkpoint, int, bool) {
	return b.Checkpoint, len(b.Documents), b.Resync
}
func (b *OfficialBatch) progress() (Checkpoint, int, bool) {
	return b.Checkpoint, len(b.Documents), b.Resync
}

// streamOf runs the stream loop over one collection's pull.
func streamOf[B progress](ctx context.Context, e *Engine, coll string, cp *Checkpoint,
	pull func(context.Context, *Checkpoint, int, *Bucket) (B, error)) (<-chan B, error) {
	return stream(ctx, e, coll, cp, func(ctx context.Context, cp *Checkpoint) (B, Checkpoint, int, bool, error) {
		b, err := pull(ctx, cp, MaxLimit, nil)
		if err != nil {
			var zero B
			return zero, Checkpoint{}, 0, false, err
		}
		next, n, resync := b.progress()
		return b, next, n, resync, nil
	})
}

// StreamProblems emits problem batches as they change.
func (e *Engine) StreamProblems(ctx context.Context, cp *Checkpoint) (<-chan *ProblemBatch, error) {
	return streamOf(ctx, e, store.CollProblems, cp, e.PullProblems)
}

// StreamProgressNotes emits progress-note batches as they change.
func (e *Engine) StreamProgressNotes(ctx context.Context, cp *Checkpoint) (<-chan *ProgressNoteBatch, error) {
	return streamOf(ctx, e, store.CollProgressNotes, cp, e.PullProgressNotes)
}

// StreamVisits emits visit batches as they change.
func (e *Engine) StreamVisits(ctx context.Context, cp *Checkpoint) (<-chan *VisitBatch, error) {
	return streamOf(ctx, e, store.CollVisits, cp, e.PullVisits)
}

// StreamEnterprises emits enterprise batches as they change; read-only
// collections stream too, so a pairing change reaches an open app at once.
func (e *Engine) StreamEnterprises(ctx context.Context, cp *Checkpoint) (<-chan *EnterpriseBatch, error) {
	return streamOf(ctx, e, store.CollEnterprises, cp, e.PullEnterprises)
}

// StreamPairings emits pairing batches as they change.
func (e *Engine) StreamPairings(ctx context.Context, cp *Checkpoint) (<-chan *PairingBatch, error) {
	return streamOf(ctx, e, store.CollPairings, cp, e.PullPairings)
}

// StreamOfficials emits official batches as they change.
func (e *Engine) StreamOfficials(ctx context.Context, cp *Checkpoint) (<-chan *OfficialBatch, error) {
	return streamOf(ctx, e, store.CollOfficials, cp, e.PullOfficials)
}
