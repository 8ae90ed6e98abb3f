package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/lianqi/lianqi/domain"
	"github.com/lianqi/lianqi/store"
	"github.com/lianqi/lianqi/store/storetest"
)

// The benchmarks measure what the store's queries cost on the engine in use
// (the embedded FerretDB unless MONGODB_URI is set) at programme sizes: a county
// has about a hundred enterprises and a few thousand problems over the years.
// Results are in docs/store-costs.md.

// seedProblems writes n problems spread over 100 enterprises and returns their ids.
func seedProblems(b *testing.B, db *store.DB, n int) ([]string, []string) {
	b.Helper()
	ctx := context.Background()
	ents := make([]string, 100)
	for i := range ents {
		ents[i] = domain.NewID()
	}
	ids := make([]string, n)
	now := time.Now().UTC()
	for i := range ids {
		p := &domain.Problem{ID: domain.NewID(), EnterpriseID: ents[i%len(ents)], Category: domain.Categories[i%len(domain.Categories)],
			Title: fmt.Sprintf("problem %d", i), Description: "描述：企业反映的困难与诉求，需要跟踪落实。", Status: domain.ProblemStatuses[i%len(domain.ProblemStatuses)],
			Level: domain.Levels[i%len(domain.Levels)], ReportedAt: now.Add(-time.Duration(i) * time.Hour), Tags: []string{"测试"}}
		p.SetDeadlines(p.ReportedAt, domain.DefaultDeadlines)
		if err := db.CreateProblem(ctx, p); err != nil {
			b.Fatal(err)
		}
		ids[i] = p.ID
	}
	return ids, ents
}

// spread visits indexes all over the collection, so lookups do not all hit the
// first documents (a scan that stops at the first match would look fast).
func spread(i, n int) int { return (i * 7919) % n }

func BenchmarkProblemQueries(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			ctx := context.Background()
			db := storetest.Open(b)
			ids, ents := seedProblems(b, db, n)
			all := domain.Scope{All: true}
			official := domain.Scope{EnterpriseIDs: ents[:2]}
			yes := true
			b.Run("FindProblemByID", func(b *testing.B) {
				for i := 0; b.Loop(); i++ {
					if _, err := db.FindProblemByID(ctx, all, ids[spread(i, len(ids))]); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("FindProblemsByIDs/20", func(b *testing.B) {
				for b.Loop() {
					if _, err := db.FindProblemsByIDs(ctx, all, ids[len(ids)/2:len(ids)/2+20]); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("FindProblems/leader/first20", func(b *testing.B) {
				for b.Loop() {
					if _, err := db.FindProblems(ctx, all, domain.ProblemFilter{}, domain.SortReportedAtDesc, domain.PageRequest{First: 20}); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("FindProblems/leader/overdue", func(b *testing.B) {
				for b.Loop() {
					if _, err := db.FindProblems(ctx, all, domain.ProblemFilter{Overdue: &yes}, domain.SortResolveByAsc, domain.PageRequest{First: 20}); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("FindProblems/official/first20", func(b *testing.B) {
				for b.Loop() {
					if _, err := db.FindProblems(ctx, official, domain.ProblemFilter{}, domain.SortReportedAtDesc, domain.PageRequest{First: 20}); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("UpdateProblem", func(b *testing.B) {
				for i := 0; b.Loop(); i++ {
					p, err := db.FindProblemByID(ctx, all, ids[spread(i, len(ids))])
					if err != nil {
						b.Fatal(err)
					}
					p.Description += "。"
					if err := db.UpdateProblem(ctx, p); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("CreateProblem", func(b *testing.B) {
				now := time.Now().UTC()
				for i := 0; b.Loop(); i++ {
					p := &domain.Problem{ID: domain.NewID(), EnterpriseID: ents[i%len(ents)], Category: domain.CategoryOther, Title: "new",
						Status: domain.StatusReported, Level: domain.L1, ReportedAt: now}
					if err := db.CreateProblem(ctx, p); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
