package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/lianqi/lianqi/domain"
	"github.com/lianqi/lianqi/store"
	lqsync "github.com/lianqi/lianqi/sync"
	"github.com/lianqi/lianqi/sync/client"
)

// Sync benchmarks over real HTTP against the embedded engine (or MONGODB_URI).
// Results and the machine they ran on are in docs/performance.md. Run:
//
//	go test ./server -run '^$' -bench 'SyncFirstPull|SyncIncrementalPull' -benchtime 3x
//	go test ./server -run '^$' -bench SyncPush1000 -benchtime 1x

// benchServer starts the server with the demo programme plus n problems, a
// quarter of them at the official's (周世岳's) enterprise and the rest spread
// over the other enterprises, as in the field report (2,502 of 10,000).
func benchServer(b *testing.B, n int) (*testServer, string) {
	b.Helper()
	s := startServer(b)
	ctx := context.Background()
	u, err := s.m.DB.FindUserByUsername(ctx, "moweiliang")
	if err != nil {
		b.Fatal(err)
	}
	ents, err := s.m.DB.FindEnterprises(ctx, domain.Scope{All: true}, domain.EnterpriseFilter{}, domain.PageRequest{First: 100})
	if err != nil {
		b.Fatal(err)
	}
	var others []string
	for _, e := range ents.Items {
		if e.ID != u.EnterpriseID {
			others = append(others, e.ID)
		}
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	for i := range n {
		ent := u.EnterpriseID
		if i%4 != 0 {
			ent = others[i%len(others)]
		}
		p := &domain.Problem{ID: domain.NewID(), EnterpriseID: ent, Category: domain.CategoryOther, Title: fmt.Sprintf("基准问题 %d", i),
			Description: "用于测量同步性能的问题描述，长度与真实记录相近。", Status: domain.StatusReported, Level: domain.L1,
			Tags: []string{"基准"}, ReportedAt: now, RespondBy: now.Add(24 * time.Hour), ResolveBy: now.Add(72 * time.Hour)}
		if err := s.m.DB.CreateProblem(ctx, p); err != nil {
			b.Fatal(err)
		}
	}
	return s, u.EnterpriseID
}

// driverPull is the baseline: the one driver command that returns every
// problem of the enterprise, decoded, without the sync protocol.
func driverPull(b *testing.B, s *testServer, ent string) int {
	b.Helper()
	ctx := context.Background()
	c, err := mongo.Connect(options.Client().ApplyURI(benchURI(s)))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Disconnect(ctx)
	cur, err := c.Database(s.m.Config.DBName).Collection("problems").Find(ctx, bson.D{{Key: "enterpriseId", Value: bson.D{{Key: "$in", Value: bson.A{ent}}}}},
		options.Find().SetSort(bson.D{{Key: "seq", Value: 1}}))
	if err != nil {
		b.Fatal(err)
	}
	var docs []bson.M
	if err := cur.All(ctx, &docs); err != nil {
		b.Fatal(err)
	}
	return len(docs)
}

func benchURI(s *testServer) string {
	if s.m.embedded != nil {
		return s.m.embedded.URI()
	}
	return s.m.Config.MongoURI
}

// BenchmarkSyncFirstPull: an official's first pull of problems to the end, at
// 1,000 and 10,000 problems, in batches of 100 and 1,000, beside the bare
// driver command that reads the same documents once.
func BenchmarkSyncFirstPull(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			s, ent := benchServer(b, n)
			b.Run("driver", func(b *testing.B) {
				docs := 0
				for b.Loop() {
					docs = driverPull(b, s, ent)
				}
				b.ReportMetric(float64(docs), "docs")
			})
			for _, batch := range []int{100, 1000} {
				b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
					docs, bytes := 0, int64(0)
					before := s.m.DB.SyncReads()
					for b.Loop() {
						tr := &client.HTTP{URL: s.url + "/graphql", Token: s.token("zhoushiyue")}
						c := client.New(tr, "bench")
						c.Limit = batch
						if err := c.Pull(context.Background(), lqsync.Problems); err != nil {
							b.Fatal(err)
						}
						docs, bytes = len(c.Docs(lqsync.Problems)), tr.BytesReceived
					}
					reportReads(b, before, s.m.DB.SyncReads())
					b.ReportMetric(float64(docs), "docs")
					b.ReportMetric(float64(bytes)/float64(docs), "bytes/doc")
				})
			}
		})
	}
}

// BenchmarkSyncIncrementalPull: a pull after ten changes, one of them in the
// official's scope, at 1,000 and 10,000 problems.
func BenchmarkSyncIncrementalPull(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			s, ent := benchServer(b, n)
			other := otherEnterprise(nil, s, ent)
			tr := &client.HTTP{URL: s.url + "/graphql", Token: s.token("zhoushiyue")}
			c := client.New(tr, "bench")
			c.Limit = 1000
			if err := c.Pull(context.Background(), lqsync.Problems); err != nil {
				b.Fatal(err)
			}
			var got, bytes int64
			var reads store.ReadCounts
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				for i := range 10 {
					e := other
					if i == 0 {
						e = ent
					}
					s.as("maojianguo", `mutation($e:ID){reportProblem(input:{enterpriseId:$e,category:OTHER,title:"增量"}){id}}`,
						map[string]any{"e": e}).decode(b, &struct{}{})
				}
				// Let the writes' aftermath (the engine's background work) settle, so
				// that the timer measures the pull.
				time.Sleep(time.Second)
				before := tr.BytesReceived
				n := len(c.Docs(lqsync.Problems))
				r0 := s.m.DB.SyncReads()
				b.StartTimer()
				if err := c.Pull(context.Background(), lqsync.Problems); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				r1 := s.m.DB.SyncReads()
				reads.Passes += r1.Passes - r0.Passes
				reads.Lookups += r1.Lookups - r0.Lookups
				b.StartTimer()
				got += int64(len(c.Docs(lqsync.Problems)) - n)
				bytes += tr.BytesReceived - before
			}
			reportReads(b, store.ReadCounts{}, reads)
			b.ReportMetric(float64(got)/float64(b.N), "docs/pull")
			b.ReportMetric(float64(bytes)/float64(b.N), "bytes/pull")
		})
	}
}

// reportReads reports the change reads per operation: passes over the
// collection and lookups by key (these do not depend on the machine's load).
func reportReads(b *testing.B, before, after store.ReadCounts) {
	b.ReportMetric(float64(after.Passes-before.Passes)/float64(b.N), "passes/op")
	b.ReportMetric(float64(after.Lookups-before.Lookups)/float64(b.N), "lookups/op")
}

func BenchmarkSyncPush1000(b *testing.B) {
	s, _ := benchServer(b, 2000)
	c := client.New(&client.HTTP{URL: s.url + "/graphql", Token: s.token("zhoushiyue")}, "bench")
	if err := c.Pull(context.Background(), lqsync.Problems); err != nil {
		b.Fatal(err)
	}
	var ids []string
	for id := range c.Docs(lqsync.Problems) {
		ids = append(ids, id)
	}
	b.ResetTimer()
	for n := range b.N {
		b.StopTimer()
		// 1,000 offline edits: 500 notes and 500 problem edits.
		for i := range 500 {
			c.Edit(lqsync.ProgressNotes, client.NewID(), func(d map[string]any) {
				d["problemId"], d["kind"], d["text"] = ids[i%len(ids)], "NOTE", fmt.Sprintf("离线记录 %d-%d", n, i)
			})
			c.Edit(lqsync.Problems, ids[i], func(d map[string]any) { d["description"] = fmt.Sprintf("离线修改 %d-%d", n, i) })
		}
		b.StartTimer()
		r, err := c.Sync(context.Background(), lqsync.Problems, lqsync.ProgressNotes)
		if err != nil {
			b.Fatal(err)
		}
		if r.Pushed != 1000 || len(r.Rejected) > 0 {
			b.Fatalf("pushed %d, rejected %v", r.Pushed, r.Rejected)
		}
	}
}
