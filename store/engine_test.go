package store_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/event"

	"github.com/lianqi/lianqi/domain"
	"github.com/lianqi/lianqi/store"
	"github.com/lianqi/lianqi/store/storetest"
)

// commandLog records the commands a store sends.
type commandLog struct {
	mu    sync.Mutex
	names []string
}

func (l *commandLog) monitor() *event.CommandMonitor {
	return &event.CommandMonitor{Started: func(_ context.Context, e *event.CommandStartedEvent) {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.names = append(l.names, e.CommandName)
	}}
}

// take returns the commands since the last take.
func (l *commandLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.names
	l.names = nil
	return out
}

// openNamed opens the database name with opts and drops it when the test ends.
func openNamed(t *testing.T, name string, opts ...store.Option) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), storetest.URI(t), name, nil, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		_ = db.Drop(ctx)
		_ = db.Close(ctx)
	})
	return db
}

func newProblem(eid string) *domain.Problem {
	now := time.Now().UTC()
	p := &domain.Problem{ID: domain.NewID(), EnterpriseID: eid, Category: domain.CategoryFinancing, Title: "融资贷款",
		Description: "企业反映融资难", Status: domain.StatusReported, Level: domain.Levels[0], ReportedAt: now, Tags: []string{}}
	p.SetDeadlines(now, domain.DefaultDeadlines)
	return p
}

// profiles are the engine profiles the write path has, each run on the engine
// at hand: the MongoDB one (version in the filter, no lock) only as long as one
// writer at a time, which is when its semantics hold on the embedded engine.
func profiles(t *testing.T) map[string][]store.Option {
	m := map[string][]store.Option{
		"shared": nil,
		"sole":   {store.SoleWriter()},
	}
	if storetest.Embedded(t) {
		m["mongodb"] = []store.Option{store.ForceEngine(store.Engine{Name: "mongodb", Isolated: true})}
	}
	return m
}

// TestUncontendedUpdateCommands counts what an update of a problem's title
// sends: on the embedded engine, as its only writer, the replace and the
// change-log entry, nothing else (no sequence round trip, no version read).
func TestUncontendedUpdateCommands(t *testing.T) {
	if !storetest.Embedded(t) {
		t.Skip("counts the embedded engine's commands")
	}
	ctx := context.Background()
	var log commandLog
	db := openNamed(t, storetest.DBName(t), store.SoleWriter(), store.WithMonitor(log.monitor()))
	if !db.Engine().SoleWriter || db.Engine().Isolated {
		t.Fatalf("engine = %+v", db.Engine())
	}
	log.take()
	p := newProblem(domain.NewID())
	if err := db.CreateProblem(ctx, p); err != nil {
		t.Fatal(err)
	}
	if got := log.take(); len(got) > 2 {
		t.Errorf("create sent %d commands %v, want at most 2", len(got), got)
	}
	for i, title := range []string{"融资贷款（更新）", "融资贷款（再次更新）"} {
		read, err := db.FindProblemByID(ctx, all, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		log.take()
		read.Title = title
		if err := db.UpdateProblem(ctx, read); err != nil {
			t.Fatal(err)
		}
		got := log.take()
		if len(got) > 2 {
			t.Fatalf("update %d sent %d commands %v, want at most 2", i, len(got), got)
		}
		if strings.Join(got, ",") != "update,insert" {
			t.Fatalf("update %d sent %v, want the replace and the log entry", i, got)
		}
	}
	if mark, _ := db.Watermark(ctx); mark != 3 {
		t.Fatalf("watermark = %d, want 3", mark)
	}
	if got := log.take(); len(got) != 0 {
		t.Fatalf("watermark sent %v, want nothing", got)
	}
}

// TestConflictEveryProfile: a stale version is refused with CONFLICT on every
// write path, including the sole writer's remembered versions and a version
// it never saw.
func TestConflictEveryProfile(t *testing.T) {
	for name, opts := range profiles(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			dbName := storetest.DBName(t)
			db := openNamed(t, dbName, opts...)
			p := newProblem(domain.NewID())
			if err := db.CreateProblem(ctx, p); err != nil {
				t.Fatal(err)
			}
			stale := *p
			p.Title = "第一次"
			if err := db.UpdateProblem(ctx, p); err != nil {
				t.Fatal(err)
			}
			stale.Title = "lost"
			if err := db.UpdateProblem(ctx, &stale); domain.ErrorCode(err) != domain.ECONFLICT {
				t.Fatalf("stale update: err = %v, want CONFLICT", err)
			}
			ahead := *p
			ahead.Version += 5
			if err := db.UpdateProblem(ctx, &ahead); domain.ErrorCode(err) != domain.ECONFLICT {
				t.Fatalf("update ahead of the stored version: err = %v, want CONFLICT", err)
			}
			missing := newProblem(p.EnterpriseID)
			missing.Version = 1
			if err := db.UpdateProblem(ctx, missing); domain.ErrorCode(err) != domain.ECONFLICT {
				t.Fatalf("update of a missing problem: err = %v, want CONFLICT", err)
			}
			got, err := db.FindProblemByID(ctx, all, p.ID)
			if err != nil || got.Title != "第一次" || got.Version != 2 {
				t.Fatalf("stored %+v, %v", got, err)
			}
			if name == "mongodb" {
				// Only MongoDB itself makes that profile's conditional
				// write atomic; the embedded engine does not isolate it.
				return
			}
			// Concurrent writers of one version: exactly one wins.
			var wg sync.WaitGroup
			errs := make([]error, 8)
			for i := range errs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					q := *got
					q.Title = "并发"
					errs[i] = db.UpdateProblem(ctx, &q)
				}()
			}
			wg.Wait()
			won := 0
			for _, err := range errs {
				switch domain.ErrorCode(err) {
				case "":
					won++
				case domain.ECONFLICT:
				default:
					t.Fatalf("concurrent update: %v", err)
				}
			}
			if won != 1 {
				t.Fatalf("%d concurrent updates of one version won, want 1", won)
			}
		})
	}
}

// TestSoleWriterSequencesAcrossRestarts: a sole writer's sequences keep
// growing across a clean restart, a crash, and a later shared handle, and a
// write whose log entry was lost in a crash is logged at the next start.
func TestSoleWriterSequencesAcrossRestarts(t *testing.T) {
	ctx := context.Background()
	name := storetest.DBName(t)
	first := openNamed(t, name, store.SoleWriter())
	var last int64
	write := func(db *store.DB) int64 {
		t.Helper()
		e := newEnterprise("企业", "")
		if err := db.CreateEnterprise(ctx, e); err != nil {
			t.Fatal(err)
		}
		ch, err := db.ChangesByID(ctx, store.CollEnterprises, []string{e.ID})
		if err != nil {
			t.Fatal(err)
		}
		if ch[0].Seq <= last {
			t.Fatalf("sequence %d after %d", ch[0].Seq, last)
		}
		last = ch[0].Seq
		return last
	}
	write(first)
	write(first)
	if err := first.Close(ctx); err != nil {
		t.Fatal(err)
	}

	second := openNamed(t, name, store.SoleWriter())
	write(second)
	if mark, _ := second.Watermark(ctx); mark != last {
		t.Fatalf("watermark after restart = %d, want %d", mark, last)
	}
	head, err := second.LogHead(ctx, store.CollEnterprises)
	if err != nil {
		t.Fatal(err)
	}
	crashed := newEnterprise("崩溃前写入", "")
	seq, err := second.CrashedWrite(ctx, crashed)
	if err != nil {
		t.Fatal(err)
	}
	if seq <= last {
		t.Fatalf("sequence %d after %d", seq, last)
	}
	last = seq
	_ = second.Disconnect(ctx)

	third := openNamed(t, name, store.SoleWriter())
	entries, err := third.LogAfter(ctx, store.CollEnterprises, head, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].ID != crashed.ID || entries[0].Seq != seq {
		t.Fatalf("log after the crash = %+v, want the crashed write's entry (seq %d)", entries, seq)
	}
	write(third)
	_ = third.Close(ctx)

	shared := openNamed(t, name)
	write(shared)
}

// TestSoleWriterWatermarkHoldsPending: a sequence handed out from memory holds
// the watermark back until its write is released.
func TestSoleWriterWatermarkHoldsPending(t *testing.T) {
	ctx := context.Background()
	db := openNamed(t, storetest.DBName(t), store.SoleWriter())
	e := newEnterprise("企业", "")
	if err := db.CreateEnterprise(ctx, e); err != nil {
		t.Fatal(err)
	}
	before, _ := db.Watermark(ctx)
	release, err := db.HoldSequence(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateEnterprise(ctx, newEnterprise("后来者", "")); err != nil {
		t.Fatal(err)
	}
	if mark, _ := db.Watermark(ctx); mark != before {
		t.Fatalf("watermark with a pending sequence = %d, want %d", mark, before)
	}
	release()
	if mark, _ := db.Watermark(ctx); mark != before+2 {
		t.Fatalf("watermark after release = %d, want %d", mark, before+2)
	}
}
