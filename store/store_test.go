package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/lianqi/lianqi/domain"
	"github.com/lianqi/lianqi/store"
	"github.com/lianqi/lianqi/store/storetest"
)

var all = domain.Scope{All: true}

func newEnterprise(name, town string) *domain.Enterprise {
	return &domain.Enterprise{ID: domain.NewID(), Name: name, Town: town, Status: domain.EnterpriseActive}
}

func TestCommitStampsVersionAndSequence(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	e := newEnterprise("遂昌素兰茶厂", "大柘镇")
	if err := db.CreateEnterprise(ctx, e); err != nil {
		t.Fatal(err)
	}
	if e.Version != 1 || e.CreatedAt.IsZero() || !e.UpdatedAt.Equal(e.CreatedAt) {
		t.Fatalf("after create: %+v", e.Meta)
	}
	mark1, err := db.Watermark(ctx)
	if err != nil {
		t.Fatal(err)
	}
	e.Town = "妙高街道"
	if err := db.UpdateEnterprise(ctx, e); err != nil {
		t.Fatal(err)
	}
	if e.Version != 2 {
		t.Fatalf("version after update = %d, want 2", e.Version)
	}
	mark2, _ := db.Watermark(ctx)
	if mark2 <= mark1 {
		t.Fatalf("watermark did not advance: %d then %d", mark1, mark2)
	}
	got, err := db.FindEnterpriseByID(ctx, all, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Town != "妙高街道" || got.Version != 2 || !got.UpdatedAt.Equal(e.UpdatedAt) {
		t.Fatalf("read back %+v", got)
	}
}

func TestCommitConflicts(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	e := newEnterprise("浙江永上特材有限公司", "")
	if err := db.CreateEnterprise(ctx, e); err != nil {
		t.Fatal(err)
	}
	t.Run("ErrDuplicateID", func(t *testing.T) {
		dup := *e
		dup.Meta = domain.Meta{}
		if err := db.CreateEnterprise(ctx, &dup); domain.ErrorCode(err) != domain.ECONFLICT {
			t.Fatalf("err = %v, want conflict", err)
		}
	})
	t.Run("ErrStaleVersion", func(t *testing.T) {
		stale := *e
		e.Name += "（新）"
		if err := db.UpdateEnterprise(ctx, e); err != nil {
			t.Fatal(err)
		}
		stale.Name = "lost"
		err := db.UpdateEnterprise(ctx, &stale)
		if domain.ErrorCode(err) != domain.ECONFLICT {
			t.Fatalf("err = %v, want conflict", err)
		}
		if stale.Version != 1 {
			t.Fatalf("a failed write changed the caller's version to %d", stale.Version)
		}
		got, _ := db.FindEnterpriseByID(ctx, all, e.ID)
		if got.Name == "lost" {
			t.Fatal("stale write was applied")
		}
	})
}

// Concurrent writers to one record: exactly one wins each version, none is lost.
// The embedded engine alone would let several win (its updates are not
// isolated); the store's write path must not.
func TestConcurrentUpdatesOneWinnerPerVersion(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	e := newEnterprise("浙江良盛元化工有限公司", "")
	if err := db.CreateEnterprise(ctx, e); err != nil {
		t.Fatal(err)
	}
	const writers, rounds = 6, 10
	var mu sync.Mutex
	wins := 0
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				cur, err := db.FindEnterpriseByID(ctx, all, e.ID)
				if err != nil {
					t.Error(err)
					return
				}
				cur.Industry = fmt.Sprintf("w%d r%d", w, r)
				err = db.UpdateEnterprise(ctx, cur)
				switch domain.ErrorCode(err) {
				case "":
					mu.Lock()
					wins++
					mu.Unlock()
				case domain.ECONFLICT:
				default:
					t.Error(err)
				}
			}
		}(w)
	}
	wg.Wait()
	got, _ := db.FindEnterpriseByID(ctx, all, e.ID)
	if got.Version != int64(wins)+1 {
		t.Fatalf("version %d after %d successful updates: some were lost or doubled", got.Version, wins)
	}
}

// Every committed change gets a distinct sequence and the watermark never passes
// a sequence that is still being written.
func TestSequencesUniqueUnderConcurrency(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				if err := db.CreateEnterprise(ctx, newEnterprise(fmt.Sprintf("e%d-%d", w, i), "")); err != nil {
					t.Error(err)
				}
			}
		}(w)
	}
	wg.Wait()
	changes, err := db.Changes(ctx, store.CollEnterprises, all, 0, 1000, 1000)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int64]bool{}
	for _, c := range changes {
		if seen[c.Seq] {
			t.Fatalf("sequence %d used twice", c.Seq)
		}
		seen[c.Seq] = true
	}
	if len(seen) != 40 {
		t.Fatalf("%d changes, want 40", len(seen))
	}
	mark, _ := db.Watermark(ctx)
	if mark != 40 {
		t.Fatalf("watermark = %d, want 40", mark)
	}
}

func TestFindEnterprisesPaginationAndScope(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	var ids []string
	for i := 0; i < 7; i++ {
		e := newEnterprise(fmt.Sprintf("企业%02d", i), []string{"大柘镇", "妙高街道"}[i%2])
		if err := db.CreateEnterprise(ctx, e); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, e.ID)
	}
	t.Run("Pages", func(t *testing.T) {
		var names []string
		after := ""
		for pages := 0; ; pages++ {
			p, err := db.FindEnterprises(ctx, all, domain.EnterpriseFilter{}, domain.PageRequest{First: 3, After: after})
			if err != nil {
				t.Fatal(err)
			}
			if p.TotalCount != 7 {
				t.Fatalf("total = %d", p.TotalCount)
			}
			for _, e := range p.Items {
				names = append(names, e.Name)
			}
			if !p.HasNextPage {
				break
			}
			after = p.Cursors[len(p.Cursors)-1]
			if pages > 5 {
				t.Fatal("pagination does not end")
			}
		}
		if len(names) != 7 || names[0] != "企业00" || names[6] != "企业06" {
			t.Fatalf("names = %v", names)
		}
	})
	t.Run("FilterTownAndSearch", func(t *testing.T) {
		p, err := db.FindEnterprises(ctx, all, domain.EnterpriseFilter{Town: "大柘镇", Search: "业0"}, domain.PageRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if p.TotalCount != 4 {
			t.Fatalf("total = %d, want 4", p.TotalCount)
		}
	})
	t.Run("SearchIsNotAPattern", func(t *testing.T) {
		p, err := db.FindEnterprises(ctx, all, domain.EnterpriseFilter{Search: ".*"}, domain.PageRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if p.TotalCount != 0 {
			t.Fatalf("'.*' matched %d names", p.TotalCount)
		}
	})
	t.Run("Scope", func(t *testing.T) {
		sc := domain.Scope{EnterpriseIDs: ids[:2]}
		p, err := db.FindEnterprises(ctx, sc, domain.EnterpriseFilter{}, domain.PageRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if p.TotalCount != 2 {
			t.Fatalf("scoped total = %d, want 2", p.TotalCount)
		}
		if _, err := db.FindEnterpriseByID(ctx, sc, ids[3]); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Fatalf("out of scope read: err = %v, want not found", err)
		}
		empty := domain.Scope{}
		if p, _ := db.FindEnterprises(ctx, empty, domain.EnterpriseFilter{}, domain.PageRequest{}); p.TotalCount != 0 {
			t.Fatalf("empty scope sees %d", p.TotalCount)
		}
	})
	t.Run("ErrBadCursor", func(t *testing.T) {
		_, err := db.FindEnterprises(ctx, all, domain.EnterpriseFilter{}, domain.PageRequest{After: "bm90IGEgY3Vyc29y"})
		if domain.ErrorCode(err) != domain.EINVALID || domain.ErrorField(err) != "after" {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("ErrPageTooLarge", func(t *testing.T) {
		_, err := db.FindEnterprises(ctx, all, domain.EnterpriseFilter{}, domain.PageRequest{First: 101})
		if domain.ErrorCode(err) != domain.EINVALID {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestFindProblemsOverdueAndSort(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	now := time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return now }
	eid := domain.NewID()
	mk := func(title string, status domain.ProblemStatus, reportedDaysAgo int) *domain.Problem {
		p := &domain.Problem{ID: domain.NewID(), EnterpriseID: eid, Category: domain.CategoryFinancing, Title: title,
			Status: status, Level: domain.L2, ReportedAt: now.AddDate(0, 0, -reportedDaysAgo)}
		p.SetDeadlines(p.ReportedAt, domain.DefaultDeadlines)
		if err := db.CreateProblem(ctx, p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	mk("fresh", domain.StatusReported, 0)
	mk("unanswered", domain.StatusReported, 3)       // past the 2-day response deadline
	mk("slow", domain.StatusInProgress, 20)          // past the 15-day resolution deadline
	mk("closed late", domain.StatusConfirmed, 40)    // closed: never overdue
	mk("acknowledged", domain.StatusAcknowledged, 3) // responded, resolution not due
	yes, no := true, false
	for _, tc := range []struct {
		name    string
		overdue *bool
		want    int64
	}{{"Overdue", &yes, 2}, {"NotOverdue", &no, 3}, {"Any", nil, 5}} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := db.FindProblems(ctx, all, domain.ProblemFilter{Overdue: tc.overdue}, "", domain.PageRequest{})
			if err != nil {
				t.Fatal(err)
			}
			if p.TotalCount != tc.want {
				t.Fatalf("total = %d, want %d", p.TotalCount, tc.want)
			}
			for _, pr := range p.Items {
				if tc.overdue != nil && pr.Overdue(now) != *tc.overdue {
					t.Fatalf("%s: query and domain disagree on overdue", pr.Title)
				}
			}
		})
	}
	t.Run("SortReportedAtDesc", func(t *testing.T) {
		p, err := db.FindProblems(ctx, all, domain.ProblemFilter{}, domain.SortReportedAtDesc, domain.PageRequest{First: 2})
		if err != nil {
			t.Fatal(err)
		}
		if p.Items[0].Title != "fresh" || !p.HasNextPage {
			t.Fatalf("first = %s", p.Items[0].Title)
		}
		rest, err := db.FindProblems(ctx, all, domain.ProblemFilter{}, domain.SortReportedAtDesc, domain.PageRequest{First: 10, After: p.Cursors[1]})
		if err != nil {
			t.Fatal(err)
		}
		if len(rest.Items) != 3 || rest.Items[2].Title != "closed late" {
			t.Fatalf("rest = %d items", len(rest.Items))
		}
	})
}

func TestCommittedSignalsAfterRelease(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	before, _ := db.Watermark(ctx)
	ch := db.Committed()
	done := make(chan int64)
	go func() {
		<-ch
		m, _ := db.Watermark(ctx)
		done <- m
	}()
	if err := db.CreateEnterprise(ctx, newEnterprise("浙江荣凯科技发展有限公司", "")); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-done:
		if m <= before {
			t.Fatalf("woken with watermark %d, not past %d: the change was still pending", m, before)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no signal after a commit")
	}
}
