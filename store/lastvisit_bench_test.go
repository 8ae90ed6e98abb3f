package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/lianqi/lianqi/domain"
	"github.com/lianqi/lianqi/store/storetest"
)

// BenchmarkLastVisits measures what lastVisitAt and unvisitedEnterprises read
// (one projected scan of the visits, reduced in Go: the engine has no $max) at
// 1,000 and 10,000 visits, against the bare driver's same find.
// go test ./store -run '^$' -bench LastVisits -benchtime 5x
func BenchmarkLastVisits(b *testing.B) {
	ctx := context.Background()
	t0 := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	for _, n := range []int{1000, 10000} {
		db := storetest.Open(b)
		for i := range n {
			v := &domain.Visit{ID: domain.NewID(), OfficialID: domain.NewID(), EnterpriseID: fmt.Sprintf("e%03d", i%100),
				Date: t0.Add(time.Duration(i) * time.Hour), Notes: "走访"}
			if err := db.CreateVisit(ctx, v); err != nil {
				b.Fatal(err)
			}
		}
		b.Run(fmt.Sprintf("store/%d", n), func(b *testing.B) {
			for b.Loop() {
				if m, err := db.LastVisits(ctx, domain.Scope{All: true}, nil); err != nil || len(m) != 100 {
					b.Fatal(len(m), err)
				}
			}
		})
		b.Run(fmt.Sprintf("bare/%d", n), func(b *testing.B) {
			for b.Loop() {
				if c, err := db.BareVisitScan(ctx); err != nil || c != n {
					b.Fatal(c, err)
				}
			}
		})
	}
}
