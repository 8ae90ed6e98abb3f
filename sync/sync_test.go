package sync_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
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

// problemOn reports a problem for the enterprise as ctx, optionally started,
// and returns the replicated document as a device would hold it.
func (v *env) problemOn(t testing.TB, ctx context.Context, ent, title string, start bool) *lqsync.ProblemDoc {
	t.Helper()
	p, err := v.svc.ReportProblem(ctx, service.ReportProblemInput{EnterpriseID: &ent, Category: domain.CategoryOther, Title: title})
	if err != nil {
		t.Fatal(err)
	}
	if start {
		if _, err := v.svc.StartProblem(v.as(t, "zhoushiyue"), p.ID, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	return v.doc(t, p.ID)
}

// doc is the problem's replicated document as the leader pulls it.
func (v *env) doc(t testing.TB, id string) *lqsync.ProblemDoc {
	t.Helper()
	all := map[string]*lqsync.ProblemDoc{}
	pullAll(t, v.as(t, "maojianguo"), v.e, nil, lqsync.MaxLimit, all)
	d, ok := all[id]
	if !ok {
		t.Fatalf("problem %s not pulled", id)
	}
	return d
}

// conflicts lists the conflict records of a document that ctx may read.
func (v *env) conflicts(t testing.TB, ctx context.Context, id string) []*domain.Conflict {
	t.Helper()
	page, err := v.e.Conflicts(ctx, &id, domain.PageRequest{First: 100})
	if err != nil {
		t.Fatal(err)
	}
	return page.Items
}

func clone(d *lqsync.ProblemDoc) *lqsync.ProblemDoc {
	c := *d
	c.Tags = slices.Clone(d.Tags)
	return &c
}

func str(s string) *string { return &s }

// TestPushWorkflowOutcomes checks what a device hears about an offline
// workflow step: a step on a problem that moved on meanwhile is a CONFLICT (not
// bad input), a content edit refused by role is recorded with its true reason
// (not as a lost merge), and a synced step writes its history entry through the
// service with the deterministic id GraphQL's steps use.
func TestPushWorkflowOutcomes(t *testing.T) {
	v := newEnv(t)
	zhou, leader, ent := v.as(t, "zhoushiyue"), v.as(t, "maojianguo"), v.enterpriseOf(t, "moweiliang")
	clock := &lqsync.HLC{Node: "phone"}

	t.Run("ErrStaleEscalationIsConflict", func(t *testing.T) {
		base := v.problemOn(t, zhou, ent, "stale escalation", true)
		if _, err := v.svc.ResolveProblem(zhou, base.ID, nil, "done online"); err != nil {
			t.Fatal(err)
		}
		nd := clone(base)
		nd.Level, nd.StatusReason, nd.HLC = domain.L2, str("needs the bureau"), clock.Now()
		res, err := v.e.PushProblems(zhou, []*lqsync.ProblemRow{{AssumedMasterState: base, NewDocumentState: nd}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Rejected) != 1 || res.Rejected[0].Code != domain.ECONFLICT || res.Rejected[0].Field != "" && res.Rejected[0].Field != "level" {
			t.Fatalf("rejected = %+v, want one CONFLICT", res.Rejected)
		}
		cs := v.conflicts(t, zhou, base.ID)
		if len(cs) != 1 || cs[0].Field != "level" || cs[0].Outcome != domain.OutcomeRejected || !strings.Contains(cs[0].Reason, "RESOLVED") {
			t.Fatalf("conflicts = %+v", cs)
		}
	})

	t.Run("ForbiddenEditKeepsItsReason", func(t *testing.T) {
		mo := v.as(t, "moweiliang")
		base := v.problemOn(t, mo, ent, "reported by the plant", false)
		if _, err := v.svc.AcknowledgeProblem(zhou, base.ID, nil, nil); err != nil {
			t.Fatal(err)
		}
		nd := clone(base)
		nd.Title, nd.HLC = "edited at the plant", clock.Now() // earlier than the leader's edit below
		title := "edited by the leader"
		if _, err := v.svc.UpdateProblem(leader, base.ID, nil, service.UpdateProblemInput{Title: &title}); err != nil {
			t.Fatal(err)
		}
		res, err := v.e.PushProblems(mo, []*lqsync.ProblemRow{{AssumedMasterState: base, NewDocumentState: nd}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Rejected) != 1 || res.Rejected[0].Code != domain.EFORBIDDEN {
			t.Fatalf("rejected = %+v, want FORBIDDEN", res.Rejected)
		}
		cs := v.conflicts(t, mo, base.ID)
		if len(cs) != 1 || cs[0].Outcome != domain.OutcomeRejected || !strings.Contains(cs[0].Reason, "taken up by officials") {
			t.Fatalf("conflicts = %+v, want one REJECTED record with the role's reason", cs)
		}
	})

	t.Run("StepWritesHistoryThroughTheService", func(t *testing.T) {
		base := v.problemOn(t, zhou, ent, "acknowledged offline", false)
		nd := clone(base)
		nd.Status, nd.HLC = domain.StatusAcknowledged, clock.Now()
		row := &lqsync.ProblemRow{AssumedMasterState: base, NewDocumentState: nd, MutationID: str(domain.NewID())}
		for range 2 { // a retry with the same mutation id changes nothing
			if res, err := v.e.PushProblems(zhou, []*lqsync.ProblemRow{row}, nil); err != nil || len(res.Rejected) != 0 {
				t.Fatalf("push: %+v %v", res, err)
			}
		}
		p, err := v.svc.Problem(zhou, base.ID)
		if err != nil {
			t.Fatal(err)
		}
		notes, err := v.svc.ProgressNotes(zhou, []string{base.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(notes) != 1 || notes[0].ID != domain.HistoryEntryID(p.ID, p.Version) || notes[0].Kind != domain.ActionAcknowledge {
			t.Fatalf("history = %+v, want one ACKNOWLEDGE entry with id HistoryEntryID(%s, %d)", notes, p.ID, p.Version)
		}
	})
}
