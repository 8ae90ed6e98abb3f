package export

import (
	"bytes"
	"context"
	"encoding/csv"
	"testing"
	"time"

	"github.com/lianqi/lianqi/demo"
	"github.com/lianqi/lianqi/domain"
	"github.com/lianqi/lianqi/service"
	"github.com/lianqi/lianqi/store/storetest"
)

func asLeader(t *testing.T) (context.Context, *service.Service) {
	t.Helper()
	db := storetest.Open(t)
	if _, err := demo.Seed(context.Background(), db, time.Now()); err != nil {
		t.Fatal(err)
	}
	u, err := db.FindUserByUsername(context.Background(), "maojianguo")
	if err != nil {
		t.Fatal(err)
	}
	ctx := domain.WithPrincipal(context.Background(), &domain.Principal{UserID: u.ID, Username: u.Username, Role: u.Role, ExpiresAt: time.Now().Add(time.Hour)})
	return ctx, service.New(db, nil, nil)
}

// TestProblemsInBatches: rows read and joined batch by batch come out as one
// listing, in the query's order, each batch flushed to the client as it is
// written; an empty listing is a file with titles only.
func TestProblemsInBatches(t *testing.T) {
	ctx, svc := asLeader(t)
	defer func(n int) { batchSize = n }(batchSize)
	batchSize = 4
	page, err := svc.Problems(ctx, domain.ProblemFilter{}, domain.SortReportedAtAsc, domain.PageRequest{First: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) <= 2*batchSize {
		t.Fatalf("only %d problems: too few for several batches", len(page.Items))
	}
	for _, tc := range []struct {
		name   string
		filter domain.ProblemFilter
		want   int
	}{
		{"All", domain.ProblemFilter{}, len(page.Items)},
		{"Empty", domain.ProblemFilter{Search: "没有这样的问题"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			opened := 0
			err := Problems(ctx, svc, tc.filter, domain.SortReportedAtAsc, func(sheet string, titles []string) (Sheet, error) {
				opened++
				return NewSheet(CSV, &buf, sheet, titles)
			})
			if err != nil || opened != 1 {
				t.Fatalf("err %v, opened %d times", err, opened)
			}
			rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(buf.Bytes(), []byte("\uFEFF")))).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != tc.want+1 || len(rows[0]) != len(ProblemTitles) {
				t.Fatalf("%d rows of %d columns, want %d", len(rows)-1, len(rows[0]), tc.want)
			}
			for i, r := range rows[1:] {
				if r[1] != page.Items[i].ID || r[2] == "" || r[4] == "" {
					t.Fatalf("row %d = %q, want problem %s with its enterprise and official", i+1, r, page.Items[i].ID)
				}
			}
		})
	}
}

func TestCSVCell(t *testing.T) {
	for _, tc := range []struct {
		in   any
		want string
	}{
		{"排污管网接入", "排污管网接入"},
		{"=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"},
		{"+1", "'+1"},
		{"-1", "'-1"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"", ""},
		{nil, ""},
		{-10.0, "-10"},
		{8.75, "8.75"},
		{3, "3"},
	} {
		if got := csvCell(tc.in); got != tc.want {
			t.Errorf("csvCell(%#v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
