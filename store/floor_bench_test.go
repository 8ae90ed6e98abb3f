package store_test

import (
	"context"
	"fmt"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/lianqi/lianqi/domain"
	"github.com/lianqi/lianqi/store"
	"github.com/lianqi/lianqi/store/storetest"
)

// BenchmarkFloor measures the store's hot operations against the bare driver
// command a direct client needs for the same answer, on the same database in
// the same run, alternating the two in every iteration so that the machine's
// load weighs on both alike. Each reports store-ms, bare-ms and their ratio
// (x-bare), and the store's commands per operation (load-independent). The
// goals (issue 11): listing without totalCount ≤ 1.2× one find, with it ≤
// 2.1×, update ≤ 2× one updateOne, lookup by id ≤ 1.5× one findOne.
//
//	go test ./store -run '^$' -bench Floor -benchtime 5x
//
// Results and their reading are in docs/performance.md ("The engine's floor").
func BenchmarkFloor(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			ctx := context.Background()
			db := storetest.Open(b)
			ids, _ := seedProblems(b, db, n)
			bare := storetest.OpenBaseline(b, db.Name()).DB.Collection(store.CollProblems)
			all := domain.Scope{All: true}

			// pair runs op and its bare equivalent reps times per iteration,
			// in alternating order, after a warm-up (the bare client's first
			// command opens its connection), and reports both and the ratio.
			pair := func(b *testing.B, reps int, op, base func(i int) error) {
				for i := range min(reps, 3) {
					if err := op(i); err != nil {
						b.Fatal(err)
					}
					if err := base(i); err != nil {
						b.Fatal(err)
					}
				}
				var mine, theirs storetest.Clock
				cmds := sum(db.Commands())
				for k := 0; b.Loop(); k++ {
					for r := range reps {
						i := k*reps + r
						if i%2 == 0 {
							mine.Time(b, func() error { return op(i) })
							theirs.Time(b, func() error { return base(i) })
						} else {
							theirs.Time(b, func() error { return base(i) })
							mine.Time(b, func() error { return op(i) })
						}
					}
				}
				b.ReportMetric(mine.Ms(), "store-ms")
				b.ReportMetric(theirs.Ms(), "bare-ms")
				b.ReportMetric(mine.Ms()/theirs.Ms(), "x-bare")
				b.ReportMetric(float64(sum(db.Commands())-cmds)/float64(mine.N), "cmds/op")
				b.ReportMetric(0, "ns/op")
			}
			newest := options.Find().SetSort(bson.D{{Key: "reportedAt", Value: -1}, {Key: "_id", Value: -1}}).SetLimit(20)
			bareFind := func(int) error {
				cur, err := bare.Find(ctx, bson.D{{Key: "deleted", Value: false}}, newest)
				if err != nil {
					return err
				}
				var docs []bson.Raw
				return cur.All(ctx, &docs)
			}
			// A few listings per iteration at 1,000 problems, for more samples
			// in the same time; one at 10,000.
			lists := max(1, 4000/n)
			b.Run("ListWithoutTotalCount", func(b *testing.B) {
				pair(b, lists, func(int) error {
					_, err := db.FindProblems(ctx, all, domain.ProblemFilter{}, domain.SortReportedAtDesc, domain.PageRequest{First: 20, SkipCount: true})
					return err
				}, bareFind)
			})
			b.Run("ListWithTotalCount", func(b *testing.B) {
				pair(b, lists, func(int) error {
					_, err := db.FindProblems(ctx, all, domain.ProblemFilter{}, domain.SortReportedAtDesc, domain.PageRequest{First: 20})
					return err
				}, bareFind)
			})
			b.Run("LookupByID", func(b *testing.B) {
				pair(b, 40, func(i int) error {
					_, err := db.FindProblemByID(ctx, all, ids[spread(i, len(ids))])
					return err
				}, func(i int) error {
					var doc bson.Raw
					return bare.FindOne(ctx, bson.D{{Key: "_id", Value: ids[spread(i, len(ids))]}}).Decode(&doc)
				})
			})
			b.Run("UpdateTitle", func(b *testing.B) {
				// The service reads a problem before it changes it; the read
				// is not timed, the write is: the store's whole write
				// (sequence, version check, replace, change log) against one
				// updateOne by _id of the same field of the same document
				// (it leaves the version alone, so the store's next write
				// of that document still expects the version it wrote).
				problems := make([]*domain.Problem, 64)
				for i := range problems {
					p, err := db.FindProblemByID(ctx, all, ids[spread(i, len(ids))])
					if err != nil {
						b.Fatal(err)
					}
					problems[i] = p
				}
				pair(b, 40, func(i int) error {
					p := problems[i%len(problems)]
					p.Title = fmt.Sprintf("problem %d（%d）", i%len(problems), i)
					return db.UpdateProblem(ctx, p)
				}, func(i int) error {
					_, err := bare.UpdateOne(ctx, bson.D{{Key: "_id", Value: problems[i%len(problems)].ID}},
						bson.D{{Key: "$set", Value: bson.D{{Key: "title", Value: fmt.Sprintf("bare %d", i)}}}})
					return err
				})
			})
		})
	}
}

func sum(m map[string]int64) int64 {
	var t int64
	for _, v := range m {
		t += v
	}
	return t
}
