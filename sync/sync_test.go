package sync_test

import (
	"context"
	"encoding/json"
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
	return drain(t, cp, limit, into, func(cp *lqsync.Checkpoint) ([]*lqsync.ProblemDoc, lqsync.Checkpoint, error) {
		b, err := e.PullProblems(ctx, cp, limit, nil)
		if err != nil {
			return nil, lqsync.Checkpoint{}, err
		}
		return b.Documents, b.Checkpoint, nil
	}, func(d *lqsync.ProblemDoc) string { return d.ID })
}

// drain pulls batches of one collection from cp until one is short, keeping
// the latest state of each document by id, and returns the last checkpoint.
func drain[D any](t testing.TB, cp *lqsync.Checkpoint, limit int, into map[string]D,
	pull func(*lqsync.Checkpoint) ([]D, lqsync.Checkpoint, error), id func(D) string) *lqsync.Checkpoint {
	t.Helper()
	for {
		docs, next, err := pull(cp)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range docs {
			into[id(d)] = d
		}
		cp = &next
		if len(docs) < limit {
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

// TestPushRefusedCreations checks that a creation the server refuses for good
// is answered with a tombstone for its id (so no ghost stays on the phone) and
// a rejection naming the conflict record that keeps its content, readable by
// the author, by the officials now serving the enterprise and by leaders; a
// retry hears the same answer and writes no second record.
func TestPushRefusedCreations(t *testing.T) {
	v := newEnv(t)
	zhou, leader, zhu := v.as(t, "zhoushiyue"), v.as(t, "maojianguo"), v.as(t, "zhulijun")
	mine, other := v.enterpriseOf(t, "moweiliang"), v.enterpriseOf(t, "zouyongliang")
	elsewhere := v.problemOn(t, leader, other, "a problem of another enterprise", false)
	day := time.Now().UTC().Add(-time.Hour).Truncate(time.Millisecond)
	for _, tc := range []struct {
		name, coll, code, text string
		push                   func(id, mut string) (any, []*lqsync.Rejection, error)
		readers                []context.Context
	}{
		{name: "ProblemOutOfScope", coll: lqsync.Problems, code: domain.EINVALID, text: "for a firm I no longer serve", readers: []context.Context{zhou, leader, zhu},
			push: func(id, mut string) (any, []*lqsync.Rejection, error) {
				r, err := v.e.PushProblems(zhou, []*lqsync.ProblemRow{{MutationID: &mut, NewDocumentState: &lqsync.ProblemDoc{ID: id, EnterpriseID: other,
					Category: domain.CategoryOther, Title: "for a firm I no longer serve"}}}, nil)
				return r.Conflicts, r.Rejected, err
			}},
		{name: "ProblemBadInput", coll: lqsync.Problems, code: domain.EINVALID, text: "no title given", readers: []context.Context{zhou, leader},
			push: func(id, mut string) (any, []*lqsync.Rejection, error) {
				r, err := v.e.PushProblems(zhou, []*lqsync.ProblemRow{{MutationID: &mut, NewDocumentState: &lqsync.ProblemDoc{ID: id, EnterpriseID: mine,
					Category: domain.CategoryOther, Description: "no title given"}}}, nil)
				return r.Conflicts, r.Rejected, err
			}},
		{name: "VisitOutOfScope", coll: lqsync.Visits, code: domain.EINVALID, text: "visited the wrong firm", readers: []context.Context{zhou, leader, zhu},
			push: func(id, mut string) (any, []*lqsync.Rejection, error) {
				r, err := v.e.PushVisits(zhou, []*lqsync.VisitRow{{MutationID: &mut, NewDocumentState: &lqsync.VisitDoc{ID: id, EnterpriseID: other,
					Date: &day, Notes: "visited the wrong firm"}}}, nil)
				return r.Conflicts, r.Rejected, err
			}},
		{name: "NoteOutOfScope", coll: lqsync.ProgressNotes, code: domain.EINVALID, text: "a note on a problem I cannot see", readers: []context.Context{zhou, leader, zhu},
			push: func(id, mut string) (any, []*lqsync.Rejection, error) {
				r, err := v.e.PushProgressNotes(zhou, []*lqsync.ProgressNoteRow{{MutationID: &mut, NewDocumentState: &lqsync.ProgressNoteDoc{ID: id,
					ProblemID: elsewhere.ID, Kind: "NOTE", Text: "a note on a problem I cannot see"}}}, nil)
				return r.Conflicts, r.Rejected, err
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, mut := domain.NewID(), domain.NewID()
			var first []string
			for attempt := range 2 {
				conflicts, rejected, err := tc.push(id, mut)
				if err != nil {
					t.Fatal(err)
				}
				if len(rejected) != 1 || rejected[0].ID != id || rejected[0].Code != tc.code || len(rejected[0].ConflictIDs) != 1 {
					t.Fatalf("attempt %d: rejected = %+v", attempt, rejected)
				}
				if attempt == 0 {
					first = rejected[0].ConflictIDs
				} else if !slices.Equal(first, rejected[0].ConflictIDs) {
					t.Fatalf("retry names %v, first answer %v", rejected[0].ConflictIDs, first)
				}
				docs := toMaps(t, conflicts)
				if len(docs) != 1 || docs[0]["id"] != id || docs[0]["deleted"] != true || docs[0]["version"] != float64(0) {
					t.Fatalf("attempt %d: conflicts = %v, want one tombstone", attempt, docs)
				}
			}
			for i, reader := range tc.readers {
				cs := v.conflicts(t, reader, id)
				if len(cs) != 1 || cs[0].ID != first[0] || cs[0].Outcome != domain.OutcomeRejected || !strings.Contains(cs[0].Client, tc.text) {
					t.Fatalf("reader %d sees %+v", i, cs)
				}
			}
		})
	}
}

func toMaps(t testing.TB, docs any) []map[string]any {
	t.Helper()
	b, _ := json.Marshal(docs)
	var out []map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestPushChildrenBeforeParents creates a problem, a note on it and a visit
// linking it on one device, and pushes the three collections in every order:
// a child that arrives first is accepted and held (not refused, not in
// conflicts, listed as PENDING), and applied when the problem arrives; retries
// change nothing.
func TestPushChildrenBeforeParents(t *testing.T) {
	v := newEnv(t)
	zhou := v.as(t, "zhoushiyue")
	ent := v.enterpriseOf(t, "moweiliang")
	day := time.Now().UTC().Add(-time.Hour).Truncate(time.Millisecond)
	orders := [][]string{
		{lqsync.ProgressNotes, lqsync.Visits, lqsync.Problems}, {lqsync.Visits, lqsync.ProgressNotes, lqsync.Problems},
		{lqsync.ProgressNotes, lqsync.Problems, lqsync.Visits}, {lqsync.Visits, lqsync.Problems, lqsync.ProgressNotes},
		{lqsync.Problems, lqsync.ProgressNotes, lqsync.Visits}, {lqsync.Problems, lqsync.Visits, lqsync.ProgressNotes},
	}
	for _, order := range orders {
		t.Run(strings.Join(order, "-"), func(t *testing.T) {
			pid, nid, vid := domain.NewID(), domain.NewID(), domain.NewID()
			muts := map[string]string{lqsync.Problems: domain.NewID(), lqsync.ProgressNotes: domain.NewID(), lqsync.Visits: domain.NewID()}
			push := func(coll string) (int, []*lqsync.Rejection) {
				mut := muts[coll]
				var conflicts any
				var rejected []*lqsync.Rejection
				var err error
				switch coll {
				case lqsync.Problems:
					var r *lqsync.ProblemPushResult
					r, err = v.e.PushProblems(zhou, []*lqsync.ProblemRow{{MutationID: &mut, NewDocumentState: &lqsync.ProblemDoc{ID: pid, EnterpriseID: ent,
						Category: domain.CategoryOther, Title: "found at the plant", Status: domain.StatusReported, Level: domain.L1}}}, nil)
					if r != nil {
						conflicts, rejected = r.Conflicts, r.Rejected
					}
				case lqsync.ProgressNotes:
					var r *lqsync.ProgressNotePushResult
					r, err = v.e.PushProgressNotes(zhou, []*lqsync.ProgressNoteRow{{MutationID: &mut, NewDocumentState: &lqsync.ProgressNoteDoc{ID: nid,
						ProblemID: pid, EnterpriseID: ent, Kind: "NOTE", Text: "called the bank"}}}, nil)
					if r != nil {
						conflicts, rejected = r.Conflicts, r.Rejected
					}
				case lqsync.Visits:
					var r *lqsync.VisitPushResult
					r, err = v.e.PushVisits(zhou, []*lqsync.VisitRow{{MutationID: &mut, NewDocumentState: &lqsync.VisitDoc{ID: vid, EnterpriseID: ent, OfficialID: domain.PrincipalFrom(zhou).OfficialID,
						Date: &day, Notes: "walked the shop floor", ProblemIDs: []string{pid}}}}, nil)
					if r != nil {
						conflicts, rejected = r.Conflicts, r.Rejected
					}
				}
				if err != nil {
					t.Fatal(err)
				}
				ms := toMaps(t, conflicts)
				if coll == lqsync.Problems && len(ms) == 1 && ms[0]["status"] == string(domain.StatusAcknowledged) {
					// The answer carries the master state: the official's own
					// record is acknowledged by that act, and the phone takes it.
					return 0, rejected
				}
				return len(ms), rejected
			}
			parentIn := false
			for _, coll := range order {
				for range 2 { // every push is retried once with the same mutation id
					n, rejected := push(coll)
					if n != 0 || len(rejected) != 0 {
						t.Fatalf("push %s: %d conflicts, rejected %+v", coll, n, rejected)
					}
				}
				parentIn = parentIn || coll == lqsync.Problems
				if !parentIn {
					cs := v.conflicts(t, zhou, map[string]string{lqsync.ProgressNotes: nid, lqsync.Visits: vid}[coll])
					if len(cs) != 1 || cs[0].Outcome != domain.OutcomePending || !strings.Contains(cs[0].Reason, pid) {
						t.Fatalf("held %s: records %+v, want one PENDING naming %s", coll, cs, pid)
					}
				}
			}
			history, err := v.svc.ProgressNotes(zhou, []string{pid})
			if err != nil {
				t.Fatal(err)
			}
			notes := slices.DeleteFunc(history, func(n *domain.ProgressNote) bool { return n.Kind != domain.ActionNote })
			if len(notes) != 1 || notes[0].ID != nid || notes[0].Text != "called the bank" {
				t.Fatalf("notes of the problem = %+v", notes)
			}
			visit, err := v.svc.Visit(zhou, vid)
			if err != nil || !slices.Equal(visit.ProblemIDs, []string{pid}) {
				t.Fatalf("visit = %+v, %v", visit, err)
			}
			for _, id := range []string{nid, vid} {
				if cs := v.conflicts(t, zhou, id); len(cs) != 0 {
					t.Fatalf("records of %s after the parent arrived: %+v", id, cs)
				}
			}
		})
	}
}

// TestPushLastWriterWinsPerField edits one field on two devices offline and
// syncs them in both orders: the edit with the later hlc wins either way (the
// server keeps the clock of the edit behind each field's value), and the loser
// is a conflict record that says what happened. GraphQL edits record a server
// clock through the same service call; documents stored before field clocks
// fall back to their own write time.
func TestPushLastWriterWinsPerField(t *testing.T) {
	v := newEnv(t)
	zhou, leader, ent := v.as(t, "zhoushiyue"), v.as(t, "maojianguo"), v.enterpriseOf(t, "moweiliang")
	now := time.Now()
	at := func(d time.Duration, node string) string { return lqsync.FormatHLC(now.Add(d).UnixMilli(), 0, node) }
	edit := func(base *lqsync.ProblemDoc, title, hlc string) *lqsync.ProblemRow {
		nd := clone(base)
		nd.Title, nd.HLC = title, hlc
		return &lqsync.ProblemRow{AssumedMasterState: base, NewDocumentState: nd, MutationID: str(domain.NewID())}
	}
	push := func(rows ...*lqsync.ProblemRow) {
		t.Helper()
		for _, row := range rows {
			if res, err := v.e.PushProblems(zhou, []*lqsync.ProblemRow{row}, nil); err != nil || len(res.Rejected) != 0 {
				t.Fatalf("push: %+v %v", res, err)
			}
		}
	}
	check := func(id, title string, outcome domain.ConflictOutcome, lost string) {
		t.Helper()
		p, err := v.svc.Problem(zhou, id)
		if err != nil || p.Title != title {
			t.Fatalf("title = %q (%v), want %q", p.Title, err, title)
		}
		cs := v.conflicts(t, zhou, id)
		if len(cs) != 1 || cs[0].Field != "title" || cs[0].Outcome != outcome || !strings.Contains(cs[0].Client+cs[0].Server, lost) || !strings.Contains(cs[0].Reason, "hlc") {
			t.Fatalf("records = %+v, want one %s keeping %q", cs, outcome, lost)
		}
	}

	t.Run("EarlierEditSyncsFirst", func(t *testing.T) {
		base := v.problemOn(t, zhou, ent, "two phones", false)
		early, late := edit(base, "from phone A", at(-10*time.Minute, "A")), edit(base, "from phone B", at(-5*time.Minute, "B"))
		push(early, late)
		check(base.ID, "from phone B", domain.OutcomeClientWon, "from phone A")
	})
	t.Run("LaterEditSyncsFirst", func(t *testing.T) {
		base := v.problemOn(t, zhou, ent, "two phones", false)
		early, late := edit(base, "from phone A", at(-10*time.Minute, "A")), edit(base, "from phone B", at(-5*time.Minute, "B"))
		push(late, early)
		check(base.ID, "from phone B", domain.OutcomeServerKept, "from phone A")
	})
	t.Run("GraphQLEditLaterThanOfflineEdit", func(t *testing.T) {
		base := v.problemOn(t, zhou, ent, "phone and desk", false)
		offline := edit(base, "from the phone", at(-time.Hour, "A"))
		title := "from the desk"
		p, err := v.svc.UpdateProblem(leader, base.ID, nil, service.UpdateProblemInput{Title: &title})
		if err != nil || p.Clocks["title"] == "" {
			t.Fatalf("GraphQL edit recorded clocks %v (%v)", p.Clocks, err)
		}
		push(offline)
		check(base.ID, "from the desk", domain.OutcomeServerKept, "from the phone")
	})
	t.Run("DeviceClockFarAheadIsClamped", func(t *testing.T) {
		base := v.problemOn(t, zhou, ent, "a phone with a wrong date", false)
		push(edit(base, "from the phone a year ahead", at(365*24*time.Hour, "A")))
		time.Sleep(5 * time.Millisecond)
		push(edit(base, "from a phone with the right date", lqsync.FormatHLC(time.Now().UnixMilli(), 0, "B")))
		check(base.ID, "from a phone with the right date", domain.OutcomeClientWon, "a year ahead")
	})
	t.Run("DocumentWithoutFieldClocks", func(t *testing.T) {
		for _, tc := range []struct {
			name, title string
			hlc         func(written time.Time) string
			outcome     domain.ConflictOutcome
		}{
			{"DeviceEarlierThanTheWrite", "written before field clocks", func(w time.Time) string { return lqsync.FormatHLC(w.UnixMilli()-1, 0, "A") }, domain.OutcomeServerKept},
			{"DeviceLaterThanTheWrite", "from the phone", func(w time.Time) string { return lqsync.FormatHLC(w.UnixMilli()+1, 0, "A") }, domain.OutcomeClientWon},
		} {
			t.Run(tc.name, func(t *testing.T) {
				// Written through the store, as before this change: no clocks.
				p := &domain.Problem{ID: domain.NewID(), EnterpriseID: ent, Category: domain.CategoryOther, Title: "old", Status: domain.StatusReported,
					Level: domain.L1, ReportedAt: now.UTC().Truncate(time.Millisecond)}
				if err := v.db.CreateProblem(leader, p); err != nil {
					t.Fatal(err)
				}
				base := v.doc(t, p.ID)
				p.Title = "written before field clocks"
				if err := v.db.UpdateProblem(leader, p); err != nil {
					t.Fatal(err)
				}
				push(edit(base, "from the phone", tc.hlc(p.UpdatedAt)))
				lost := map[domain.ConflictOutcome]string{domain.OutcomeServerKept: "from the phone", domain.OutcomeClientWon: "written before field clocks"}[tc.outcome]
				check(p.ID, tc.title, tc.outcome, lost)
			})
		}
	})
}

// TestNoteSendsProblemChanged checks that a progress note, added through
// GraphQL's service call or pushed from a phone, is announced to problemChanged
// subscribers (the note is part of the problem's history), without changing
// the problem's version.
func TestNoteSendsProblemChanged(t *testing.T) {
	v := newEnv(t)
	zhou, ent := v.as(t, "zhoushiyue"), v.enterpriseOf(t, "moweiliang")
	base := v.problemOn(t, zhou, ent, "watched", false)
	ctx, cancel := context.WithTimeout(v.as(t, "maojianguo"), 20*time.Second)
	defer cancel()
	for _, tc := range []struct {
		name string
		add  func() error
	}{
		{"GraphQL", func() error { _, err := v.svc.AddProgressNote(zhou, base.ID, "called the bank", nil); return err }},
		{"Sync", func() error {
			res, err := v.e.PushProgressNotes(zhou, []*lqsync.ProgressNoteRow{{NewDocumentState: &lqsync.ProgressNoteDoc{ID: domain.NewID(),
				ProblemID: base.ID, Kind: "NOTE", Text: "visited again"}}}, nil)
			if err == nil && len(res.Rejected) > 0 {
				err = fmt.Errorf("rejected %+v", res.Rejected[0])
			}
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			events, err := v.svc.WatchProblems(ctx, &ent)
			if err != nil {
				t.Fatal(err)
			}
			if err := tc.add(); err != nil {
				t.Fatal(err)
			}
			select {
			case ev := <-events:
				if ev.ProblemID != base.ID || ev.Problem.Version != base.Version {
					t.Fatalf("event %+v (version %d), want problem %s at version %d", ev, ev.Problem.Version, base.ID, base.Version)
				}
			case <-ctx.Done():
				t.Fatal("no problemChanged event after a note")
			}
		})
	}
}

// TestPushChildOfRefusedParent checks that a note whose problem's creation is
// refused does not wait forever: held before the refusal, it becomes a
// REJECTED record when the problem is refused; pushed after, it is refused at
// once (tombstone and conflictIds).
func TestPushChildOfRefusedParent(t *testing.T) {
	v := newEnv(t)
	zhou, ent := v.as(t, "zhoushiyue"), v.enterpriseOf(t, "moweiliang")
	for _, noteFirst := range []bool{true, false} {
		t.Run(fmt.Sprintf("NoteFirst=%v", noteFirst), func(t *testing.T) {
			pid, nid := domain.NewID(), domain.NewID()
			pushProblem := func() {
				res, err := v.e.PushProblems(zhou, []*lqsync.ProblemRow{{NewDocumentState: &lqsync.ProblemDoc{ID: pid, EnterpriseID: ent,
					Category: domain.CategoryOther, Title: ""}}}, nil) // no title: refused
				if err != nil || len(res.Rejected) != 1 {
					t.Fatalf("problem: %+v %v", res, err)
				}
			}
			pushNote := func() *lqsync.ProgressNotePushResult {
				res, err := v.e.PushProgressNotes(zhou, []*lqsync.ProgressNoteRow{{NewDocumentState: &lqsync.ProgressNoteDoc{ID: nid,
					ProblemID: pid, Kind: "NOTE", Text: "a note on a problem that never was"}}}, nil)
				if err != nil {
					t.Fatal(err)
				}
				return res
			}
			if noteFirst {
				if res := pushNote(); len(res.Rejected) != 0 {
					t.Fatalf("held note refused: %+v", res.Rejected)
				}
				pushProblem()
				// The device was told "accepted": a pulled tombstone makes it drop
				// its copy.
				b, err := v.e.PullProgressNotes(zhou, nil, lqsync.MaxLimit, nil)
				if err != nil {
					t.Fatal(err)
				}
				i := slices.IndexFunc(b.Documents, func(d *lqsync.ProgressNoteDoc) bool { return d.ID == nid })
				if i < 0 || !b.Documents[i].Deleted || b.Documents[i].Text != "" {
					t.Fatalf("pull has no tombstone for the refused held note (index %d)", i)
				}
			} else {
				pushProblem()
				res := pushNote()
				if len(res.Rejected) != 1 || res.Rejected[0].Code != domain.EINVALID || len(res.Rejected[0].ConflictIDs) != 1 ||
					len(res.Conflicts) != 1 || !res.Conflicts[0].Deleted {
					t.Fatalf("note after its refused problem: %+v", res)
				}
			}
			cs := v.conflicts(t, zhou, nid)
			if len(cs) != 1 || cs[0].Outcome != domain.OutcomeRejected || !strings.Contains(cs[0].Reason, pid) || !strings.Contains(cs[0].Client, "never was") {
				t.Fatalf("records of the note: %+v", cs)
			}
		})
	}
}

// TestPushEditAfterScopeExit checks that an offline edit of a problem whose
// enterprise was re-paired meanwhile is refused with NOT_FOUND, answered with
// a tombstone, and names in conflictIds the REJECTED records that keep the
// changed fields, which the new official can read.
func TestPushEditAfterScopeExit(t *testing.T) {
	v := newEnv(t)
	zhou, admin, ent := v.as(t, "zhoushiyue"), v.as(t, "admin"), v.enterpriseOf(t, "moweiliang")
	base := v.problemOn(t, zhou, ent, "before the re-pairing", false)
	nd := clone(base)
	nd.Title, nd.Description, nd.HLC = "edited offline", "while still paired", lqsync.FormatHLC(time.Now().UnixMilli(), 0, "phone")
	if _, err := v.svc.RepairEnterprise(admin, service.RepairEnterpriseInput{EnterpriseID: ent, LeadOfficialID: domain.PrincipalFrom(v.as(t, "zhulijun")).OfficialID}); err != nil {
		t.Fatal(err)
	}
	res, err := v.e.PushProblems(zhou, []*lqsync.ProblemRow{{AssumedMasterState: base, NewDocumentState: nd}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rejected) != 1 || res.Rejected[0].Code != domain.ENOTFOUND || len(res.Rejected[0].ConflictIDs) != 2 {
		t.Fatalf("rejected = %+v, want NOT_FOUND naming two records", res.Rejected)
	}
	if len(res.Conflicts) != 1 || !res.Conflicts[0].Deleted {
		t.Fatalf("conflicts = %+v, want a tombstone", res.Conflicts)
	}
	cs := v.conflicts(t, v.as(t, "zhulijun"), base.ID)
	ids := []string{}
	for _, c := range cs {
		if c.Outcome != domain.OutcomeRejected {
			t.Fatalf("record %+v", c)
		}
		ids = append(ids, c.ID)
	}
	slices.Sort(ids)
	want := slices.Clone(res.Rejected[0].ConflictIDs)
	slices.Sort(want)
	if !slices.Equal(ids, want) {
		t.Fatalf("the new official reads %v, the rejection names %v", ids, want)
	}
}

// TestPushVisitEditBeforeItsProblem links an existing visit to a problem
// created offline and pushes the visit first: the edit is held (not refused,
// the device keeps the link) and applied when the problem arrives.
func TestPushVisitEditBeforeItsProblem(t *testing.T) {
	v := newEnv(t)
	zhou, ent := v.as(t, "zhoushiyue"), v.enterpriseOf(t, "moweiliang")
	day := time.Now().UTC().Add(-time.Hour).Truncate(time.Millisecond)
	visit, err := v.svc.CreateVisit(zhou, service.VisitInput{EnterpriseID: &ent, Date: &day, Notes: str("first walk")})
	if err != nil {
		t.Fatal(err)
	}
	all, err := v.e.PullVisits(zhou, nil, lqsync.MaxLimit, nil)
	if err != nil {
		t.Fatal(err)
	}
	var base *lqsync.VisitDoc
	for _, d := range all.Documents {
		if d.ID == visit.ID {
			base = d
		}
	}
	pid := domain.NewID()
	nd := *base
	nd.ProblemIDs, nd.Notes, nd.HLC = []string{pid}, "found a problem", lqsync.FormatHLC(time.Now().UnixMilli(), 0, "phone")
	res, err := v.e.PushVisits(zhou, []*lqsync.VisitRow{{AssumedMasterState: base, NewDocumentState: &nd}}, nil)
	if err != nil || len(res.Rejected) != 0 || len(res.Conflicts) != 0 {
		t.Fatalf("visit edit: %+v %v", res, err)
	}
	if cs := v.conflicts(t, zhou, visit.ID); len(cs) != 1 || cs[0].Outcome != domain.OutcomePending {
		t.Fatalf("records = %+v, want one PENDING", cs)
	}
	if _, err := v.e.PushProblems(zhou, []*lqsync.ProblemRow{{NewDocumentState: &lqsync.ProblemDoc{ID: pid, EnterpriseID: ent,
		Category: domain.CategoryOther, Title: "found on the walk", Status: domain.StatusReported, Level: domain.L1}}}, nil); err != nil {
		t.Fatal(err)
	}
	got, err := v.svc.Visit(zhou, visit.ID)
	if err != nil || !slices.Equal(got.ProblemIDs, []string{pid}) || got.Notes != "found a problem" {
		t.Fatalf("visit = %+v %v", got, err)
	}
	if cs := v.conflicts(t, zhou, visit.ID); len(cs) != 0 {
		t.Fatalf("records after the problem arrived = %+v", cs)
	}
}

// TestPushHeldRowsAreBounded checks that rows naming problems that never come
// cannot pile up without bound: past Engine.MaxHeld they are refused (and kept
// as REJECTED records, with tombstones).
func TestPushHeldRowsAreBounded(t *testing.T) {
	v := newEnv(t)
	v.e.MaxHeld = 2
	zhou := v.as(t, "zhoushiyue")
	var rows []*lqsync.ProgressNoteRow
	for i := range 3 {
		rows = append(rows, &lqsync.ProgressNoteRow{NewDocumentState: &lqsync.ProgressNoteDoc{ID: domain.NewID(), ProblemID: domain.NewID(),
			Kind: "NOTE", Text: fmt.Sprintf("waiting %d", i)}})
	}
	res, err := v.e.PushProgressNotes(zhou, rows, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rejected) != 1 || res.Rejected[0].ID != rows[2].NewDocumentState.ID || res.Rejected[0].Code != domain.EINVALID ||
		len(res.Rejected[0].ConflictIDs) != 1 || len(res.Conflicts) != 1 || !res.Conflicts[0].Deleted {
		t.Fatalf("push = %+v", res)
	}
}

// TestPushChildOutOfScopeIsNotHeld checks that a note or visit naming an
// unknown problem of an enterprise outside the caller's scope is refused at
// once (tombstone, conflictIds) instead of being held for a problem that could
// not be created here either.
func TestPushChildOutOfScopeIsNotHeld(t *testing.T) {
	v := newEnv(t)
	zhou, other := v.as(t, "zhoushiyue"), v.enterpriseOf(t, "zouyongliang")
	day := time.Now().UTC().Add(-time.Hour).Truncate(time.Millisecond)
	notes, err := v.e.PushProgressNotes(zhou, []*lqsync.ProgressNoteRow{{NewDocumentState: &lqsync.ProgressNoteDoc{ID: domain.NewID(),
		ProblemID: domain.NewID(), EnterpriseID: other, Kind: "NOTE", Text: "for a firm zhou no longer serves"}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	visits, err := v.e.PushVisits(zhou, []*lqsync.VisitRow{{NewDocumentState: &lqsync.VisitDoc{ID: domain.NewID(), EnterpriseID: other,
		Date: &day, Notes: "for a firm zhou no longer serves", ProblemIDs: []string{domain.NewID()}}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, r := range map[string]struct {
		rejected  []*lqsync.Rejection
		tombstone bool
	}{
		"note":  {notes.Rejected, len(notes.Conflicts) == 1 && notes.Conflicts[0].Deleted},
		"visit": {visits.Rejected, len(visits.Conflicts) == 1 && visits.Conflicts[0].Deleted},
	} {
		if len(r.rejected) != 1 || len(r.rejected[0].ConflictIDs) != 1 || !r.tombstone {
			t.Errorf("%s: rejected %+v, tombstone %v", name, r.rejected, r.tombstone)
		}
	}
}

// TestPushVisitNotesLastWriterWins is TestPushLastWriterWinsPerField for a
// visit's notes: the later edit wins in both sync orders, and a GraphQL edit
// records its clock through the same service call.
func TestPushVisitNotesLastWriterWins(t *testing.T) {
	v := newEnv(t)
	zhou, ent := v.as(t, "zhoushiyue"), v.enterpriseOf(t, "moweiliang")
	day := time.Now().UTC().Add(-time.Hour).Truncate(time.Millisecond)
	now := time.Now()
	for _, laterFirst := range []bool{false, true} {
		t.Run(fmt.Sprintf("LaterSyncsFirst=%v", laterFirst), func(t *testing.T) {
			visit, err := v.svc.CreateVisit(zhou, service.VisitInput{EnterpriseID: &ent, Date: &day, Notes: str("walked the floor")})
			if err != nil {
				t.Fatal(err)
			}
			b, err := v.e.PullVisits(zhou, nil, lqsync.MaxLimit, nil)
			if err != nil {
				t.Fatal(err)
			}
			base := b.Documents[slices.IndexFunc(b.Documents, func(d *lqsync.VisitDoc) bool { return d.ID == visit.ID })]
			edit := func(notes string, ago time.Duration) *lqsync.VisitRow {
				nd := *base
				nd.Notes, nd.HLC = notes, lqsync.FormatHLC(now.Add(-ago).UnixMilli(), 0, "phone")
				return &lqsync.VisitRow{AssumedMasterState: base, NewDocumentState: &nd}
			}
			rows := []*lqsync.VisitRow{edit("earlier phone", 10*time.Minute), edit("later phone", 5*time.Minute)}
			if laterFirst {
				rows[0], rows[1] = rows[1], rows[0]
			}
			for _, row := range rows {
				if res, err := v.e.PushVisits(zhou, []*lqsync.VisitRow{row}, nil); err != nil || len(res.Rejected) != 0 {
					t.Fatalf("push: %+v %v", res, err)
				}
			}
			got, err := v.svc.Visit(zhou, visit.ID)
			if err != nil || got.Notes != "later phone" || got.Clocks["notes"] != lqsync.FormatHLC(now.Add(-5*time.Minute).UnixMilli(), 0, "phone") {
				t.Fatalf("visit = %+v %v", got, err)
			}
			cs := v.conflicts(t, zhou, visit.ID)
			if len(cs) != 1 || !strings.Contains(cs[0].Client+cs[0].Server, "earlier phone") {
				t.Fatalf("records = %+v", cs)
			}
		})
	}
}
