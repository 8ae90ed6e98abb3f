package sync_test

import (
	"context"
	"fmt"
	"os"
	stdsync "sync"
	"testing"
	"time"

	"github.com/lianqi/lianqi/demo"
	"github.com/lianqi/lianqi/domain"
	"github.com/lianqi/lianqi/service"
	"github.com/lianqi/lianqi/store"
	"github.com/lianqi/lianqi/store/storetest"
	lqsync "github.com/lianqi/lianqi/sync"
)

// env is the demo programme on a fresh database with an engine over it.
type env struct {
	db  *store.DB
	svc *service.Service
	e   *lqsync.Engine
}

func newEnv(t testing.TB) *env {
	t.Helper()
	return newEnvOn(t, storetest.Open(t))
}

func newEnvOn(t testing.TB, db *store.DB) *env {
	t.Helper()
	if _, err := demo.Seed(context.Background(), db, time.Now()); err != nil {
		t.Fatal(err)
	}
	svc := service.New(db, nil, nil)
	return &env{db: db, svc: svc, e: lqsync.New(svc)}
}

// as returns a context acting as a demo user.
func (v *env) as(t testing.TB, username string) context.Context {
	t.Helper()
	u, err := v.db.FindUserByUsername(context.Background(), username)
	if err != nil {
		t.Fatal(err)
	}
	return domain.WithPrincipal(context.Background(), &domain.Principal{UserID: u.ID, Username: u.Username, Role: u.Role,
		OfficialID: u.OfficialID, EnterpriseID: u.EnterpriseID, ExpiresAt: time.Now().Add(time.Hour)})
}

func (v *env) enterpriseOf(t testing.TB, username string) string {
	t.Helper()
	u, err := v.db.FindUserByUsername(context.Background(), username)
	if err != nil {
		t.Fatal(err)
	}
	return u.EnterpriseID
}

// pullAll pulls problems to the end from cp and returns the documents by id.
func pullAll(t testing.TB, ctx context.Context, e *lqsync.Engine, cp *lqsync.Checkpoint, limit int, into map[string]*lqsync.ProblemDoc) *lqsync.Checkpoint {
	t.Helper()
	for {
		b, err := e.PullProblems(ctx, cp, limit, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range b.Documents {
			into[d.ID] = d
		}
		cp = &b.Checkpoint
		if len(b.Documents) < limit {
			return cp
		}
	}
}

// TestPullNeverSkipsConcurrentChanges writes problems from many goroutines
// through two store handles on one database (two "processes") while a replica
// pulls in small batches; every write must reach the replica in its final
// version, although sequences are allocated in one order and committed in
// another.
func TestPullNeverSkipsConcurrentChanges(t *testing.T) {
	name := storetest.DBName(t)
	open := func() *store.DB {
		db, err := store.Open(context.Background(), storetest.URI(t), name, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Drop(context.Background()); _ = db.Close(context.Background()) })
		return db
	}
	first := open()
	other := open()
	v := newEnvOn(t, first)
	ent := v.enterpriseOf(t, "moweiliang")
	leader := v.as(t, "maojianguo")

	const writers, each = 6, 8
	want := map[string]int64{}
	var mu stdsync.Mutex
	var wg stdsync.WaitGroup
	done := make(chan struct{})
	for w := range writers {
		db := v.db
		if w%2 == 1 && os.Getenv("ONEDB") == "" {
			db = other
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				p := &domain.Problem{ID: domain.NewID(), EnterpriseID: ent, Category: domain.CategoryOther, Title: fmt.Sprintf("w%d-%d", w, i),
					Status: domain.StatusReported, Level: domain.L1, ReportedAt: time.Now().UTC().Truncate(time.Millisecond)}
				if err := db.CreateProblem(context.Background(), p); err != nil {
					t.Error(err)
					return
				}
				p.Title += " edited"
				if err := db.UpdateProblem(context.Background(), p); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				want[p.ID] = p.Version
				mu.Unlock()
			}
		}()
	}
	go func() { wg.Wait(); close(done) }()

	got := map[string]*lqsync.ProblemDoc{}
	var cp *lqsync.Checkpoint
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
		}
		cp = pullAll(t, leader, v.e, cp, 3, got)
	}
	cp = pullAll(t, leader, v.e, cp, 3, got)
	for id, ver := range want {
		d, ok := got[id]
		if !ok {
			t.Fatalf("problem %s was never pulled", id)
		}
		if d.Version != ver {
			t.Fatalf("problem %s pulled at version %d, stored %d", id, d.Version, ver)
		}
	}
}
