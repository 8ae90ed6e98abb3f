package sync_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/lianqi/lianqi/domain"
	lqsync "github.com/lianqi/lianqi/sync"
)

func TestPullErrors(t *testing.T) {
	v := newEnv(t)
	zhou := v.as(t, "zhoushiyue")
	notes, err := v.e.PullProgressNotes(zhou, nil, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	problems, err := v.e.PullProblems(zhou, nil, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	// A checkpoint whose recorded scope was edited: its signature no longer fits.
	body, mac, _ := strings.Cut(problems.Checkpoint.Cursor, ".")
	raw, _ := base64.RawURLEncoding.DecodeString(body)
	forged := &lqsync.Checkpoint{Cursor: base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(raw), `"k":[`, `"k":["01936f5e-0000-7000-8000-000000000000",`, 1))) + "." + mac}
	for _, tc := range []struct {
		name  string
		cp    *lqsync.Checkpoint
		limit int
		want  string
	}{
		{"OK", nil, 10, ""},
		{"ErrCheckpointGarbage", &lqsync.Checkpoint{Cursor: "not a cursor"}, 10, domain.EINVALID},
		{"ErrCheckpointOfAnotherCollection", &notes.Checkpoint, 10, domain.EINVALID},
		{"ErrCheckpointForged", forged, 10, domain.EINVALID},
		{"OKCheckpointContinues", &problems.Checkpoint, 10, ""},
		{"ErrLimitTooLarge", nil, lqsync.MaxLimit + 1, domain.EINVALID},
		{"ErrLimitNegative", nil, -1, domain.EINVALID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := v.e.PullProblems(zhou, tc.cp, tc.limit, nil)
			if got := domain.ErrorCode(err); got != tc.want {
				t.Fatalf("code = %q, want %q (%v)", got, tc.want, err)
			}
		})
	}
	t.Run("ErrUnauthenticated", func(t *testing.T) {
		_, err := v.e.PullProblems(t.Context(), nil, 10, nil)
		if got := domain.ErrorCode(err); got != domain.EUNAUTHENTICATED {
			t.Fatalf("code = %q", got)
		}
	})
}

func TestCheckSchema(t *testing.T) {
	for _, tc := range []struct {
		name    string
		version int
		want    string
	}{
		{"OK", lqsync.SchemaVersion, ""},
		{"ErrTooOld", lqsync.MinSchemaVersion - 1, domain.EUPGRADE},
		{"ErrFromTheFuture", lqsync.SchemaVersion + 1, domain.EINVALID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := domain.ErrorCode(lqsync.CheckSchema(tc.version)); got != tc.want {
				t.Fatalf("code = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestPushRowErrors(t *testing.T) {
	v := newEnv(t)
	zhou := v.as(t, "zhoushiyue")
	ent := v.enterpriseOf(t, "moweiliang")
	good := &lqsync.ProblemDoc{ID: domain.NewID(), EnterpriseID: ent, Category: domain.CategoryOther, Title: "good row"}
	rows := []*lqsync.ProblemRow{
		{NewDocumentState: &lqsync.ProblemDoc{ID: "not-an-id", Title: "x"}},
		{NewDocumentState: &lqsync.ProblemDoc{ID: domain.NewID(), EnterpriseID: ent, Category: domain.CategoryOther, Title: ""}},
		{NewDocumentState: &lqsync.ProblemDoc{ID: domain.NewID(), EnterpriseID: domain.NewID(), Category: domain.CategoryOther, Title: "elsewhere"}},
		{AssumedMasterState: &lqsync.ProblemDoc{ID: domain.NewID()}, NewDocumentState: &lqsync.ProblemDoc{ID: domain.NewID(), Title: "ghost"}},
		{NewDocumentState: good},
		nil,
	}
	res, err := v.e.PushProblems(zhou, rows, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{domain.EINVALID, domain.EINVALID, domain.EINVALID, domain.ENOTFOUND, domain.EINVALID}
	if len(res.Rejected) != len(want) {
		t.Fatalf("rejected = %+v", res.Rejected)
	}
	for i, r := range res.Rejected {
		if r.Code != want[i] {
			t.Errorf("rejection %d = %+v, want code %s", i, r, want[i])
		}
	}
	if _, err := v.db.FindProblemByID(zhou, domain.Scope{All: true}, good.ID); err != nil {
		t.Fatalf("the good row was not applied among bad ones: %v", err)
	}
}
