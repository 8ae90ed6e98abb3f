package store_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lianqi/lianqi/domain"
	"github.com/lianqi/lianqi/store"
	"github.com/lianqi/lianqi/store/storetest"
)

// TestPruneLogFloor prunes a change log up to the first mark older than the
// window and checks that every handle on the database, one that never wrote
// included (another process), finds the log's true head above the pruned
// part, reads on from the floor, and appends after it; and that a pass is
// one at a time across processes (a lease that expires).
func TestPruneLogFloor(t *testing.T) {
	ctx := context.Background()
	name := storetest.DBName(t)
	var offset atomic.Int64
	now := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	open := func() *store.DB {
		db, err := store.Open(ctx, storetest.URI(t), name, nil)
		if err != nil {
			t.Fatal(err)
		}
		db.Now = now
		t.Cleanup(func() { _ = db.Drop(ctx); _ = db.Close(ctx) })
		return db
	}
	first, other := open(), open()
	create := func(db *store.DB, n int) {
		t.Helper()
		for i := range n {
			if err := db.CreateEnterprise(ctx, &domain.Enterprise{ID: domain.NewID(), Name: fmt.Sprintf("企业 %d", i), Status: domain.EnterpriseActive}); err != nil {
				t.Fatal(err)
			}
		}
	}
	policy := store.RetentionPolicy{Tombstones: 180 * 24 * time.Hour}

	create(first, 5)
	if r, err := first.Prune(ctx, policy, "a"); err != nil || r.LogEntries != 0 {
		t.Fatalf("first pass: %+v, %v", r, err)
	}
	create(first, 3)
	offset.Store(int64(200 * 24 * time.Hour))
	r, err := first.Prune(ctx, policy, "a")
	if err != nil || r.LogEntries != 5 {
		t.Fatalf("pass past the window: %+v, %v; want the 5 entries of before the first mark", r, err)
	}
	if f, err := other.LogFloor(ctx, store.CollEnterprises); err != nil || f.N != 5 {
		t.Fatalf("floor %+v, %v", f, err)
	}
	for _, db := range []*store.DB{other, first} {
		if head, err := db.LogHead(ctx, store.CollEnterprises); err != nil || head != 8 {
			t.Fatalf("head = %d, %v; want 8", head, err)
		}
	}
	if e, err := other.LogAfter(ctx, store.CollEnterprises, 5, 10); err != nil || len(e) != 3 || e[0].N != 6 {
		t.Fatalf("entries after the floor: %+v, %v", e, err)
	}
	create(other, 1)
	if e, ok, err := first.LogEntry(ctx, store.CollEnterprises, 9); err != nil || !ok || e.N != 9 {
		t.Fatalf("the next write's entry: %+v %v %v; want number 9", e, ok, err)
	}

	// One pass at a time: a lease held elsewhere skips the pass until it
	// expires (its holder died).
	if ok, err := other.TakeLease(ctx, "b"); err != nil || !ok {
		t.Fatalf("take lease: %v %v", ok, err)
	}
	if r, err := first.Prune(ctx, policy, "a"); err != nil || !r.Skipped {
		t.Fatalf("pass while the lease is held: %+v, %v", r, err)
	}
	offset.Add(int64(2 * time.Hour))
	if r, err := first.Prune(ctx, policy, "a"); err != nil || r.Skipped {
		t.Fatalf("pass after the lease expired: %+v, %v", r, err)
	}
}
