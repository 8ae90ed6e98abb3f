package service

import (
	"context"
	"testing"
	"time"

	"github.com/lianqi/lianqi/domain"
	"github.com/lianqi/lianqi/store/storetest"
)

// TestSharedPullKeepsEachScope: subscribers waking together share one pull,
// and each keeps only its own enterprises' changes; a full batch reports where
// it was cut so the next pull starts there.
func TestSharedPullKeepsEachScope(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	s := New(db, nil, nil)
	e1, e2 := domain.NewID(), domain.NewID()
	before, err := db.Watermark(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := range watchBatch + 5 {
		e := e1
		if i%2 == 1 {
			e = e2
		}
		p := &domain.Problem{ID: domain.NewID(), EnterpriseID: e, Category: domain.CategoryOther, Title: "p", Status: domain.StatusReported,
			Level: domain.L1, ReportedAt: time.Now()}
		if err := db.CreateProblem(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	mark, err := db.Watermark(ctx)
	if err != nil {
		t.Fatal(err)
	}
	one, reached1, err := s.problemChanges(ctx, domain.Scope{EnterpriseIDs: []string{e1}}, before, mark)
	if err != nil {
		t.Fatal(err)
	}
	two, reached2, err := s.problemChanges(ctx, domain.Scope{EnterpriseIDs: []string{e2}}, before, mark)
	if err != nil {
		t.Fatal(err)
	}
	if len(one) != watchBatch/2 || len(two) != watchBatch/2 {
		t.Fatalf("first batch split %d/%d, want %d each", len(one), len(two), watchBatch/2)
	}
	for _, c := range one {
		if c.Problem.EnterpriseID != e1 {
			t.Fatalf("scope e1 got a change of %s", c.Problem.EnterpriseID)
		}
	}
	if reached1 != reached2 || reached1 >= mark || reached1 != before+watchBatch {
		t.Fatalf("cut at %d/%d, want %d (watermark %d)", reached1, reached2, before+watchBatch, mark)
	}
	rest, reached, err := s.problemChanges(ctx, domain.Scope{All: true}, reached1, mark)
	if err != nil {
		t.Fatal(err)
	}
	if len(rest) != 5 || reached != mark {
		t.Fatalf("second pull: %d changes up to %d, want 5 up to %d", len(rest), reached, mark)
	}
}
