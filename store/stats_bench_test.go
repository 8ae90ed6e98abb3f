package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/lianqi/lianqi/domain"
	"github.com/lianqi/lianqi/store/storetest"
)

// BenchmarkProblemStats measures the statistics' database work at 1,000
// problems: the grouped count and the projection the medians read.
// go test ./store -run '^$' -bench ProblemStats -benchtime 5x
func BenchmarkProblemStats(b *testing.B) {
	ctx := context.Background()
	db := storetest.Open(b)
	t0 := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	for i := range 1000 {
		p := &domain.Problem{ID: domain.NewID(), EnterpriseID: fmt.Sprintf("e%02d", i%50), Category: domain.Categories[i%len(domain.Categories)],
			Title: "p", Status: domain.ProblemStatuses[i%len(domain.ProblemStatuses)], Level: domain.Levels[i%4],
			ResponsibleDepartment: fmt.Sprintf("d%d", i%12), ReportedAt: t0.Add(time.Duration(i) * time.Hour)}
		p.SetDeadlines(p.ReportedAt, domain.DefaultDeadlines)
		if err := db.CreateProblem(ctx, p); err != nil {
			b.Fatal(err)
		}
	}
	all := domain.Scope{All: true}
	b.ResetTimer()
	for b.Loop() {
		if _, err := db.CountProblems(ctx, all, domain.Period{}); err != nil {
			b.Fatal(err)
		}
		if _, err := db.FindProblemTimes(ctx, all, domain.Period{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRankingData measures reading everything the ranking needs at 1,000 problems.
func BenchmarkRankingData(b *testing.B) {
	ctx := context.Background()
	db := storetest.Open(b)
	t0 := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	for i := range 1000 {
		p := &domain.Problem{ID: domain.NewID(), EnterpriseID: fmt.Sprintf("e%02d", i%50), Category: domain.CategoryOther,
			Title: "p", Status: domain.StatusConfirmed, Level: domain.L1, ReportedAt: t0.Add(time.Duration(i) * time.Hour)}
		p.SetDeadlines(p.ReportedAt, domain.DefaultDeadlines)
		if err := db.CreateProblem(ctx, p); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		d, err := db.RankingData(ctx)
		if err != nil {
			b.Fatal(err)
		}
		domain.Rank(d, time.Now())
	}
}
