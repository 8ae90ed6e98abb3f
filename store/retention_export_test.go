package store

import "context"

// TakeLease takes the retention lease as a pass does, for tests of passes
// that find it held.
func (db *DB) TakeLease(ctx context.Context, owner string) (bool, error) {
	return db.takeLease(ctx, owner)
}
