package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/lianqi/lianqi/ratelimit"
	"github.com/lianqi/lianqi/store"
)

// BenchmarkSharedLimits measures what storing rate-limit counters costs (one
// upsert with $inc by exact _id per allowed request), against the bare
// driver command and the in-process bucket, with 1,000 and 10,000 counter
// documents present, and for a whole signed-in request. Results are in
// docs/performance.md. Run:
//
//	go test ./server -run '^$' -bench SharedLimits -benchtime 2s
func BenchmarkSharedLimits(b *testing.B) {
	ctx := context.Background()
	s := startServer(b, func(c *Config) { c.SharedLimits = true })
	uri := s.m.Config.MongoURI
	if s.m.embedded != nil {
		uri = s.m.embedded.URI()
	}
	client, err := mongo.Connect(options.Client().ApplyURI(uri))
	if err != nil {
		b.Fatal(err)
	}
	defer client.Disconnect(ctx)
	coll := client.Database(s.m.Config.DBName).Collection(store.CollRateLimits)
	expires := time.Now().Add(time.Hour)
	seeded := 0
	for _, size := range []int{1_000, 10_000} {
		var docs []any
		for i := seeded; i < size; i++ {
			docs = append(docs, bson.D{{Key: "_id", Value: "seed/ip:" + strconv.Itoa(i) + "/0"}, {Key: "n", Value: int64(1)}, {Key: "expires", Value: expires}})
		}
		if _, err := coll.InsertMany(ctx, docs); err != nil {
			b.Fatal(err)
		}
		seeded = size
		b.Run(fmt.Sprintf("bare-findOneAndUpdate/%d", size), func(b *testing.B) {
			opts := options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)
			update := bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: int64(1)}}}, {Key: "$setOnInsert", Value: bson.D{{Key: "expires", Value: expires}}}}
			for b.Loop() {
				if err := coll.FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: "bare/user:1/0"}}, update, opts).Err(); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("allow-stored/%d", size), func(b *testing.B) {
			l := ratelimit.New(1_000_000_000, 1_000_000_000, nil).Share(s.m.DB, "bench", nil)
			for b.Loop() {
				if ok, _ := l.Allow("user:1"); !ok {
					b.Fatal("refused")
				}
			}
		})
	}
	b.Run("allow-memory", func(b *testing.B) {
		l := ratelimit.New(1_000_000_000, 1_000_000_000, nil)
		for b.Loop() {
			if ok, _ := l.Allow("user:1"); !ok {
				b.Fatal("refused")
			}
		}
	})
	mem := startServer(b, func(c *Config) { c.SharedLimits = false })
	for _, tc := range []struct {
		name string
		s    *testServer
	}{{"request-memory", mem}, {"request-stored", s}} {
		b.Run(tc.name, func(b *testing.B) {
			tok := tc.s.token("zhoushiyue")
			for b.Loop() {
				req, _ := http.NewRequest(http.MethodPost, tc.s.url+"/graphql", bytes.NewReader([]byte(`{"query":"{me{id}}"}`)))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+tok)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					b.Fatalf("status %d", res.StatusCode)
				}
			}
		})
	}
}
