package export

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/lianqi/lianqi/demo"
	"github.com/lianqi/lianqi/domain"
	"github.com/lianqi/lianqi/loadtest"
	"github.com/lianqi/lianqi/service"
	"github.com/lianqi/lianqi/store"
	"github.com/lianqi/lianqi/store/storetest"
)

// BenchmarkProblemLedger measures a whole-county ledger export at 1k and 10k
// problems against the bare driver command that reads the same problems in
// the same order, and against paging through the listing 100 at a time (what
// the export would cost through the `problems` query). docs/performance.md
// has the figures.
func BenchmarkProblemLedger(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			ctx := context.Background()
			name := storetest.DBName(b)
			db, err := store.Open(ctx, storetest.URI(b), name, nil)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = db.Drop(ctx); _ = db.Close(ctx) })
			if _, err := demo.Seed(ctx, db, time.Now()); err != nil {
				b.Fatal(err)
			}
			start := time.Now()
			if err := loadtest.Generate(ctx, db, n); err != nil {
				b.Fatal(err)
			}
			b.Logf("generated %d problems in %v", n, time.Since(start))
			u, err := db.FindUserByUsername(ctx, "maojianguo")
			if err != nil {
				b.Fatal(err)
			}
			leader := domain.WithPrincipal(ctx, &domain.Principal{UserID: u.ID, Username: u.Username, Role: u.Role, ExpiresAt: time.Now().Add(24 * time.Hour)})
			svc := service.New(db, nil, nil)
			c, err := mongo.Connect(options.Client().ApplyURI(storetest.URI(b)))
			if err != nil {
				b.Fatal(err)
			}
			defer c.Disconnect(ctx)
			b.Run("Driver", func(b *testing.B) {
				for b.Loop() {
					cur, err := c.Database(name).Collection(store.CollProblems).Find(ctx, bson.D{{Key: "deleted", Value: false}},
						options.Find().SetSort(bson.D{{Key: "reportedAt", Value: -1}, {Key: "_id", Value: -1}}).SetBatchSize(int32(batchSize)))
					if err != nil {
						b.Fatal(err)
					}
					rows := 0
					for cur.Next(ctx) {
						var d bson.M
						if err := cur.Decode(&d); err != nil {
							b.Fatal(err)
						}
						rows++
					}
					if err := cur.Close(ctx); err != nil || rows < n {
						b.Fatalf("%d rows, %v", rows, err)
					}
				}
			})
			for _, f := range []Format{CSV, XLSX} {
				b.Run("Export"+string(f), func(b *testing.B) {
					for b.Loop() {
						err := Problems(leader, svc, domain.ProblemFilter{}, "", func(sheet string, titles []string) (Sheet, error) {
							return NewSheet(f, io.Discard, sheet, titles)
						})
						if err != nil {
							b.Fatal(err)
						}
					}
				})
			}
			if n > 1000 {
				return // each page is a full decode plus a count: quadratic, minutes at 10k
			}
			b.Run("Paged100", func(b *testing.B) {
				for b.Loop() {
					page := domain.PageRequest{First: 100}
					for {
						p, err := svc.Problems(leader, domain.ProblemFilter{}, "", page)
						if err != nil {
							b.Fatal(err)
						}
						if !p.HasNextPage {
							break
						}
						page.After = p.Cursors[len(p.Cursors)-1]
					}
				}
			})
		})
	}
}
