package sync

import (
	"context"

	"github.com/lianqi/lianqi/domain"
)

// checkExpiry refuses a checkpoint whose position in the change log is below
// the log's floor: the entries after it were pruned (store.DB.Prune), with
// the tombstones they announced, so walking on would silently miss
// deletions. The replica must drop the checkpoint and pull from scratch
// (keeping its unsent edits); the pull from no checkpoint then lists every
// live document in scope, and whatever the replica holds beyond that is
// gone. One lookup by key.
func (e *Engine) checkExpiry(ctx context.Context, c *cursor) error {
	floor, err := e.db().LogFloor(ctx, c.Coll)
	if err != nil {
		return err
	}
	if c.N < floor.N {
		return domain.Errorf(domain.EEXPIRED, "this checkpoint is older than the change history the server keeps (pruned up to %s): drop the checkpoint and pull %s from no checkpoint, keeping unsent edits; documents the full pull does not return were deleted",
			floor.At.UTC().Format("2006-01-02"), c.Coll)
	}
	return nil
}
