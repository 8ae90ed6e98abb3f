package sync_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/lianqi/lianqi/domain"
	"github.com/lianqi/lianqi/store"
	lqsync "github.com/lianqi/lianqi/sync"
)

// BenchmarkPull measures the engine's pulls without HTTP or GraphQL, at 1,000
// and 10,000 extra problems (a quarter at the official's enterprise): a first
// pull to the end in batches of 100 and 1,000, and a pull after ten changes,
// one of them in the official's scope. Results in docs/performance.md. Run:
//
//	go test ./sync -run '^$' -bench Pull -benchtime 5x
func BenchmarkPull(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			v := newEnv(b)
			ctx := context.Background()
			mine := v.enterpriseOf(b, "moweiliang")
			other := v.enterpriseOf(b, "zouyongliang")
			now := time.Now().UTC().Truncate(time.Millisecond)
			for i := range n {
				ent := other
				if i%4 == 0 {
					ent = mine
				}
				p := &domain.Problem{ID: domain.NewID(), EnterpriseID: ent, Category: domain.CategoryOther, Title: fmt.Sprintf("基准问题 %d", i),
					Description: "用于测量同步性能的问题描述，长度与真实记录相近。", Status: domain.StatusReported, Level: domain.L1,
					Tags: []string{"基准"}, ReportedAt: now}
				if err := v.db.CreateProblem(ctx, p); err != nil {
					b.Fatal(err)
				}
			}
			zhou := v.as(b, "zhoushiyue")
			for _, batch := range []int{100, 1000} {
				b.Run(fmt.Sprintf("first/batch=%d", batch), func(b *testing.B) {
					docs := 0
					r0 := v.db.SyncReads()
					for b.Loop() {
						held := map[string]*lqsync.ProblemDoc{}
						pullAll(b, zhou, v.e, nil, batch, held)
						docs = len(held)
					}
					reads(b, r0, v.db.SyncReads())
					b.ReportMetric(float64(docs), "docs")
				})
			}
			b.Run("incremental", func(b *testing.B) {
				held := map[string]*lqsync.ProblemDoc{}
				cp := pullAll(b, zhou, v.e, nil, 1000, held)
				var total store.ReadCounts
				b.ResetTimer()
				for range b.N {
					b.StopTimer()
					for i := range 10 {
						ent := other
						if i == 0 {
							ent = mine
						}
						p := &domain.Problem{ID: domain.NewID(), EnterpriseID: ent, Category: domain.CategoryOther, Title: "增量",
							Status: domain.StatusReported, Level: domain.L1, ReportedAt: now}
						if err := v.db.CreateProblem(ctx, p); err != nil {
							b.Fatal(err)
						}
					}
					r0 := v.db.SyncReads()
					b.StartTimer()
					cp = pullAll(b, zhou, v.e, cp, 1000, held)
					b.StopTimer()
					r1 := v.db.SyncReads()
					total.Passes += r1.Passes - r0.Passes
					total.Lookups += r1.Lookups - r0.Lookups
					b.StartTimer()
				}
				reads(b, store.ReadCounts{}, total)
			})
		})
	}
}

func reads(b *testing.B, before, after store.ReadCounts) {
	b.ReportMetric(float64(after.Passes-before.Passes)/float64(b.N), "passes/op")
	b.ReportMetric(float64(after.Lookups-before.Lookups)/float64(b.N), "lookups/op")
}
