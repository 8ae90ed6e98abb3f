package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/lianqi/lianqi/domain"
	"github.com/lianqi/lianqi/store/storetest"
)

// TestHistoryEntryLandsOnce retries the second write of a workflow step: the
// entry's id is derived from the step, so the retry is a conflict, not a copy.
func TestHistoryEntryLandsOnce(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	pid := domain.NewID()
	entry := func() *domain.ProgressNote {
		return &domain.ProgressNote{ID: domain.HistoryEntryID(pid, 2), ProblemID: pid, EnterpriseID: domain.NewID(),
			Kind: domain.ActionAcknowledge, Text: "收到", At: time.Now(), FromStatus: domain.StatusReported, ToStatus: domain.StatusAcknowledged}
	}
	if err := db.CreateProgressNote(ctx, entry()); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateProgressNote(ctx, entry()); domain.ErrorCode(err) != domain.ECONFLICT {
		t.Fatalf("retry: %v, want ECONFLICT", err)
	}
	notes, err := db.FindProgressNotes(ctx, domain.Scope{All: true}, []string{pid})
	if err != nil {
		t.Fatal(err)
	}
	if len(notes) != 1 {
		t.Fatalf("%d entries, want 1", len(notes))
	}
}
