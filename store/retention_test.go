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

// TestPruneBookkeeping prunes receipts, conflict records, held rows and audit
// events after their windows: a PENDING record stays while its row is held
// and becomes REJECTED (content kept) when the row expires; a window of 0
// keeps everything.
func TestPruneBookkeeping(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	var offset atomic.Int64
	db.Now = func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	day := 24 * time.Hour
	at := db.Now().UTC().Truncate(time.Millisecond)

	if _, err := db.ClaimReceipt(ctx, "u:problems:m1", time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := db.FinishReceipt(ctx, "u:problems:m1", []byte("{}")); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ClaimReceipt(ctx, "u:problems:m2", time.Minute); err != nil { // never finished
		t.Fatal(err)
	}
	pending := &domain.Conflict{ID: domain.NewID(), Collection: "progressNotes", DocumentID: domain.NewID(), Outcome: domain.OutcomePending, Client: `{"text":"held"}`, At: at}
	rejected := &domain.Conflict{ID: domain.NewID(), Collection: "problems", DocumentID: domain.NewID(), Outcome: domain.OutcomeRejected, At: at}
	for _, c := range []*domain.Conflict{pending, rejected} {
		if err := db.CreateConflict(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.HoldRow(ctx, &store.HeldRow{ID: "u:progressNotes:" + pending.DocumentID, UserID: "u", Collection: "progressNotes",
		DocumentID: pending.DocumentID, ParentIDs: []string{domain.NewID()}, ConflictID: pending.ID, At: at}); err != nil {
		t.Fatal(err)
	}
	if err := db.MarkRefused(ctx, "problems", domain.NewID(), "e", "refused"); err != nil {
		t.Fatal(err)
	}
	if err := db.AppendAudit(ctx, &domain.AuditEvent{ID: domain.NewID(), At: at, Action: domain.AuditUserCreated, Detail: "old"}); err != nil {
		t.Fatal(err)
	}

	policy := store.RetentionPolicy{Receipts: 30 * day, Conflicts: 365 * day, Held: 365 * day, Audit: 730 * day}
	if r, err := db.Prune(ctx, store.RetentionPolicy{}, "a"); err != nil || r.Receipts+r.Conflicts+r.Held+r.Audit != 0 {
		t.Fatalf("a policy of zeros pruned: %+v, %v", r, err)
	}
	offset.Store(int64(40 * day))
	if r, err := db.Prune(ctx, policy, "a"); err != nil || r.Receipts != 1 || r.Conflicts+r.Held+r.Audit != 0 {
		t.Fatalf("day 40: %+v, %v; want the finished receipt only", r, err)
	}
	if rc, err := db.ClaimReceipt(ctx, "u:problems:m1", time.Minute); err != nil || rc != nil {
		t.Fatalf("the pruned receipt's row should be claimable again: %+v, %v", rc, err)
	}

	offset.Store(int64(400 * day))
	r, err := db.Prune(ctx, policy, "a")
	if err != nil || r.Held != 2 || r.Conflicts != 1 || r.Audit != 0 {
		t.Fatalf("day 400: %+v, %v; want both held rows and the REJECTED record", r, err)
	}
	if h, err := db.FindHeld(ctx, "u:progressNotes:"+pending.DocumentID); err != nil || h != nil {
		t.Fatalf("held row: %+v, %v", h, err)
	}
	all, err := db.FindConflicts(ctx, domain.Scope{All: true}, "", store.ConflictFilter{}, domain.PageRequest{First: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Items) != 1 || all.Items[0].ID != pending.ID || all.Items[0].Outcome != domain.OutcomeRejected || all.Items[0].Client != `{"text":"held"}` {
		t.Fatalf("conflict records after day 400: %+v", all.Items)
	}

	offset.Store(int64(800 * day))
	if r, err := db.Prune(ctx, policy, "a"); err != nil || r.Audit != 1 {
		t.Fatalf("day 800: %+v, %v; want the audit event", r, err)
	}
}
