package sync

import (
	"context"

	"github.com/lianqi/lianqi/domain"
)

// checkExpiry refuses, with CHECKPOINT_EXPIRED, a checkpoint the change log
// can no longer continue:
//   - its position is below the log's floor: the entries after it were
//     pruned (store.DB.Prune) with the tombstones they announced, so walking
//     on would silently miss deletions;
//   - its position is beyond the log, or the entry there is another write
//     than the one it was issued at: the database was restored from a backup
//     older than the checkpoint, so the replica holds writes the server lost
//     and would skip the new writes that take those numbers again.
//
// The replica must drop the checkpoint and pull from scratch (keeping its
// unsent edits); the pull from no checkpoint then lists every live document
// in scope, and whatever the replica holds beyond that is gone. Two lookups
// by key.
func (e *Engine) checkExpiry(ctx context.Context, c *cursor) error {
	floor, err := e.db().LogFloor(ctx, c.Coll)
	if err != nil {
		return err
	}
	if c.N < floor.N {
		return domain.Errorf(domain.EEXPIRED, "this checkpoint is older than the change history the server keeps (pruned up to %s): drop the checkpoint and pull %s from no checkpoint, keeping unsent edits; documents the full pull does not return were deleted",
			floor.At.UTC().Format("2006-01-02"), c.Coll)
	}
	if c.N == 0 || c.N == floor.N {
		return nil // nothing to compare: no entry yet, or the entry was pruned
	}
	seq, err := e.entrySeq(ctx, c.Coll, c.N)
	if err != nil {
		return err
	}
	if seq == 0 || (c.E != 0 && seq != c.E) {
		return domain.Errorf(domain.EEXPIRED, "this checkpoint is ahead of the server's change history (the database was restored from an earlier backup): drop the checkpoint and pull %s from no checkpoint, keeping unsent edits; documents the full pull does not return are gone",
			c.Coll)
	}
	return nil
}

// entrySeq returns the sequence of entry n of coll's log, 0 when n is 0 or
// the entry does not exist.
func (e *Engine) entrySeq(ctx context.Context, coll string, n int64) (int64, error) {
	if n == 0 {
		return 0, nil
	}
	en, ok, err := e.db().LogEntry(ctx, coll, n)
	if err != nil || !ok {
		return 0, err
	}
	return en.Seq, nil
}
