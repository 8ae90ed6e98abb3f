package store_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"

	"github.com/lianqi/lianqi/domain"
	"github.com/lianqi/lianqi/store"
	"github.com/lianqi/lianqi/store/storetest"
)

// readFilters records the filter of every find the store sends.
type readFilters struct {
	mu      sync.Mutex
	filters []bson.Raw
}

func (r *readFilters) monitor() *event.CommandMonitor {
	return &event.CommandMonitor{Started: func(_ context.Context, e *event.CommandStartedEvent) {
		if e.CommandName != "find" {
			return
		}
		f, _ := e.Command.Lookup("filter").DocumentOK()
		r.mu.Lock()
		defer r.mu.Unlock()
		r.filters = append(r.filters, append(bson.Raw(nil), f...))
	}}
}

func (r *readFilters) take() []bson.Raw {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.filters
	r.filters = nil
	return out
}

// byKey reports whether every filter is exactly {_id: <string>}, the one
// filter the embedded engine answers without decoding the collection.
func byKey(filters []bson.Raw) bool {
	for _, f := range filters {
		els, err := f.Elements()
		if err != nil || len(els) != 1 || els[0].Key() != "_id" || els[0].Value().Type != bson.TypeString {
			return false
		}
	}
	return true
}

func newNote(p *domain.Problem, text string, at time.Time) *domain.ProgressNote {
	return &domain.ProgressNote{ID: domain.NewID(), ProblemID: p.ID, EnterpriseID: p.EnterpriseID, AuthorUserID: "u1",
		AuthorName: "周世岳", Kind: domain.ActionNote, Text: text, At: at}
}

// TestHistoryByKey: a problem's notes are read with lookups by key only, in
// order, inside scope.
func TestHistoryByKey(t *testing.T) {
	ctx := context.Background()
	var reads readFilters
	db := openNamed(t, storetest.DBName(t), store.SoleWriter(), store.WithMonitor(reads.monitor()))
	p, other := newProblem(domain.NewID()), newProblem(domain.NewID())
	for _, x := range []*domain.Problem{p, other} {
		if err := db.CreateProblem(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	t0 := time.Now().UTC().Truncate(time.Millisecond)
	var want []string
	for i, text := range []string{"第三", "第一", "第二"} {
		n := newNote(p, text, t0.Add(time.Duration([]int{3, 1, 2}[i])*time.Minute))
		if err := db.CreateProgressNote(ctx, n); err != nil {
			t.Fatal(err)
		}
		if err := db.CreateProgressNote(ctx, newNote(other, "别的问题", t0)); err != nil {
			t.Fatal(err)
		}
	}
	want = []string{"第一", "第二", "第三"}
	cases := []struct {
		name  string
		scope domain.Scope
		ids   []string
		want  []string
	}{
		{"OK", all, []string{p.ID}, want},
		{"Twice", all, []string{p.ID, p.ID}, want},
		{"InScope", domain.Scope{EnterpriseIDs: []string{p.EnterpriseID}}, []string{p.ID}, want},
		{"OutOfScope", domain.Scope{EnterpriseIDs: []string{other.EnterpriseID}}, []string{p.ID}, nil},
		{"NoNotes", all, []string{domain.NewID()}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			reads.take()
			notes, err := db.FindProgressNotes(ctx, c.scope, c.ids)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, n := range notes {
				got = append(got, n.Text)
			}
			if !slices.Equal(got, c.want) {
				t.Fatalf("notes = %v, want %v", got, c.want)
			}
			if f := reads.take(); !byKey(f) {
				t.Fatalf("history read with filters %v, want lookups by _id only", f)
			}
		})
	}
}

// TestChildrenListsBuiltAtStart: notes and sessions written before the lists
// existed are found by key after the next start.
func TestChildrenListsBuiltAtStart(t *testing.T) {
	ctx := context.Background()
	name := storetest.DBName(t)
	bare := storetest.OpenBaseline(t, name).DB
	p := newProblem(domain.NewID())
	now := time.Now().UTC().Truncate(time.Millisecond)
	for i, id := range []string{domain.NewID(), domain.NewID()} {
		_, err := bare.Collection(store.CollProgressNotes).InsertOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "problemId", Value: p.ID},
			{Key: "enterpriseId", Value: p.EnterpriseID}, {Key: "text", Value: "旧记录"}, {Key: "kind", Value: "NOTE"},
			{Key: "at", Value: now.Add(time.Duration(i) * time.Minute)}, {Key: "version", Value: int64(1)}, {Key: "deleted", Value: false}})
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := bare.Collection(store.CollSessions).InsertOne(ctx, bson.D{{Key: "_id", Value: domain.NewID()}, {Key: "userId", Value: "u-old"},
		{Key: "kind", Value: domain.SessionLogin}, {Key: "expiresAt", Value: now.Add(time.Hour)}, {Key: "revokedAt", Value: nil},
		{Key: "version", Value: int64(1)}, {Key: "deleted", Value: false}, {Key: "createdAt", Value: now}})
	if err != nil {
		t.Fatal(err)
	}
	db := openNamed(t, name, store.SoleWriter())
	notes, err := db.FindProgressNotes(ctx, all, []string{p.ID})
	if err != nil || len(notes) != 2 {
		t.Fatalf("old notes after start = %d, %v; want 2", len(notes), err)
	}
	sessions, err := db.FindSessions(ctx, store.SessionFilter{UserID: "u-old", Kind: domain.SessionLogin, ActiveAt: &now})
	if err != nil || len(sessions) != 1 {
		t.Fatalf("old sessions after start = %d, %v; want 1", len(sessions), err)
	}
}

// TestSessionsByKey: a user's sessions read by key answer every filter as the
// query over the whole collection does.
func TestSessionsByKey(t *testing.T) {
	ctx := context.Background()
	var reads readFilters
	db := openNamed(t, storetest.DBName(t), store.SoleWriter(), store.WithMonitor(reads.monitor()))
	now := time.Now().UTC().Truncate(time.Millisecond)
	revoked := now.Add(-time.Minute)
	for i, user := range []string{"u1", "u1", "u1", "u1", "u2"} {
		s := &domain.Session{ID: domain.NewID(), UserID: user, Kind: domain.SessionLogin, ExpiresAt: now.Add(time.Hour)}
		switch i {
		case 1:
			s.RevokedAt = &revoked
		case 2:
			s.ExpiresAt = now.Add(-time.Hour)
		case 3:
			s.Kind = domain.SessionDashboard
		}
		if err := db.CreateSession(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	past := now.Add(-2 * time.Hour)
	filters := map[string]store.SessionFilter{
		"All":          {},
		"Login":        {Kind: domain.SessionLogin},
		"Active":       {Kind: domain.SessionLogin, ActiveAt: &now},
		"Revoked":      {RevokedOnly: true, ExpiresAfter: &past},
		"ExpiresAfter": {ExpiresAfter: &now},
	}
	for name, f := range filters {
		t.Run(name, func(t *testing.T) {
			everyone, err := db.FindSessions(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, s := range everyone {
				if s.UserID == "u1" {
					want = append(want, s.ID)
				}
			}
			f.UserID = "u1"
			reads.take()
			mine, err := db.FindSessions(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range mine {
				got = append(got, s.ID)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("by key %v, by query %v", got, want)
			}
			if r := reads.take(); !byKey(r) {
				t.Fatalf("a user's sessions read with filters %v, want lookups by _id only", r)
			}
		})
	}
}
