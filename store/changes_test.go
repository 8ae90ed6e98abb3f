package store_test

import (
	"context"
	"fmt"
	stdsync "sync"
	"testing"

	"github.com/lianqi/lianqi/domain"
	"github.com/lianqi/lianqi/store"
	"github.com/lianqi/lianqi/store/storetest"
)

// TestChangeLogDenseAcrossProcesses writes from two store handles on one
// database at once: the change log must hold every write exactly at one
// number, with no gap (a reader stops at the first missing number), and both
// handles must agree on its head.
func TestChangeLogDenseAcrossProcesses(t *testing.T) {
	ctx := context.Background()
	name := storetest.DBName(t)
	open := func() *store.DB {
		db, err := store.Open(ctx, storetest.URI(t), name, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Drop(ctx); _ = db.Close(ctx) })
		return db
	}
	first, other := open(), open()

	const writers, each = 4, 10
	var wg stdsync.WaitGroup
	var mu stdsync.Mutex
	want := map[string]bool{}
	for w := range writers {
		db := first
		if w%2 == 1 {
			db = other
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				e := &domain.Enterprise{ID: domain.NewID(), Name: fmt.Sprintf("企业 %d-%d", w, i), Status: domain.EnterpriseActive}
				if err := db.CreateEnterprise(ctx, e); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				want[e.ID] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for _, db := range []*store.DB{first, other} {
		head, err := db.LogHead(ctx, store.CollEnterprises)
		if err != nil || head != writers*each {
			t.Fatalf("log head = %d, %v; want %d", head, err, writers*each)
		}
	}
	entries, err := first.LogAfter(ctx, store.CollEnterprises, 0, writers*each+5)
	if err != nil || len(entries) != writers*each {
		t.Fatalf("log = %d entries, %v", len(entries), err)
	}
	for i, e := range entries {
		if e.N != int64(i+1) || !want[e.ID] || e.Key != e.ID {
			t.Fatalf("entry %d = %+v", i+1, e)
		}
		delete(want, e.ID)
	}
	if len(want) != 0 {
		t.Fatalf("writes missing from the log: %v", want)
	}
}

// TestChangeLogOnlySyncedCollections: writes of collections no client
// replicates (sessions, audit, users) take no log entries.
func TestChangeLogOnlySyncedCollections(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	u := &domain.User{ID: domain.NewID(), Username: "logtest", Role: domain.RoleLeader}
	if err := db.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	for _, coll := range []string{store.CollUsers, store.CollProblems} {
		if head, err := db.LogHead(ctx, coll); err != nil || head != 0 {
			t.Fatalf("%s log head = %d, %v; want 0", coll, head, err)
		}
	}
}

// TestChangeLogAbandonedWriter: a writer takes a sequence, writes its
// document and dies before its log entry is appended. When its marker expires,
// the pruning that removes it appends the entry, so log readers see the write.
// (A sole writer has no markers: TestSoleWriterSequencesAcrossRestarts.)
func TestChangeLogAbandonedWriter(t *testing.T) {
	ctx := context.Background()
	db := openNamed(t, storetest.DBName(t))
	e := &domain.Enterprise{ID: domain.NewID(), Name: "中途掉线", Status: domain.EnterpriseActive}
	seq, err := db.AbandonedEnterprise(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	// Other writes run until one prunes.
	for range store.PruneEvery + 1 {
		other := &domain.Enterprise{ID: domain.NewID(), Name: "其他企业", Status: domain.EnterpriseActive}
		if err := db.CreateEnterprise(ctx, other); err != nil {
			t.Fatal(err)
		}
	}
	entries, err := db.LogAfter(ctx, store.CollEnterprises, 0, store.PruneEvery+5)
	if err != nil {
		t.Fatal(err)
	}
	for _, en := range entries {
		if en.ID == e.ID && en.Seq == seq {
			return
		}
	}
	t.Fatalf("the abandoned write is not in the log (%d entries)", len(entries))
}

// BenchmarkChangeLogLookup: reading a log entry by key costs the same at
// 1,000 and 10,000 entries (the embedded engine's _id lookup index).
func BenchmarkChangeLogLookup(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			ctx := context.Background()
			db := storetest.Open(b)
			if err := db.SeedLog(ctx, store.CollProblems, n); err != nil {
				b.Fatal(err)
			}
			for i := 0; b.Loop(); i++ {
				if _, ok, err := db.LogEntry(ctx, store.CollProblems, int64(1+(i*7919)%n)); err != nil || !ok {
					b.Fatal(ok, err)
				}
			}
		})
	}
}
