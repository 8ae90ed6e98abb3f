package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/lianqi/lianqi/domain"
	lqsync "github.com/lianqi/lianqi/sync"
	"github.com/lianqi/lianqi/sync/client"
)

// Sync benchmarks over real HTTP against the embedded engine. Results and the
// machine they ran on are in docs/performance.md. Run:
//
//	go test ./server -run '^$' -bench Sync -benchtime 5x

// benchProblems is how many extra problems the official's enterprise gets, and
// as many again go to the other enterprises so that scope filtering counts.
const benchProblems = 1000

func benchServer(b *testing.B) (*testServer, string) {
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
	now := time.Now().UTC().Truncate(time.Millisecond)
	for i := range 2 * benchProblems {
		ent := u.EnterpriseID
		if i%2 == 1 {
			ent = ents.Items[i%len(ents.Items)].ID
			if ent == u.EnterpriseID {
				ent = ents.Items[(i+1)%len(ents.Items)].ID
			}
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

func BenchmarkSyncInitialPull(b *testing.B) {
	s, _ := benchServer(b)
	docs, bytes := 0, int64(0)
	b.ResetTimer()
	for range b.N {
		tr := &client.HTTP{URL: s.url + "/graphql", Token: s.token("zhoushiyue")}
		c := client.New(tr, "bench")
		if err := c.Pull(context.Background(), lqsync.Problems); err != nil {
			b.Fatal(err)
		}
		docs, bytes = len(c.Docs(lqsync.Problems)), tr.BytesReceived
	}
	b.ReportMetric(float64(docs), "docs")
	b.ReportMetric(float64(bytes)/float64(docs), "bytes/doc")
}

func BenchmarkSyncIncrementalPull(b *testing.B) {
	s, ent := benchServer(b)
	tr := &client.HTTP{URL: s.url + "/graphql", Token: s.token("zhoushiyue")}
	c := client.New(tr, "bench")
	if err := c.Pull(context.Background(), lqsync.Problems); err != nil {
		b.Fatal(err)
	}
	var got, bytes int64
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		// Ten changes since the last pull, one of them the official's.
		for i := range 10 {
			s.as("maojianguo", `mutation($e:ID){reportProblem(input:{enterpriseId:$e,category:OTHER,title:"增量"}){id}}`,
				map[string]any{"e": map[bool]string{true: ent, false: otherEnterprise(nil, s, ent)}[i == 0]}).decode(b, &struct{}{})
		}
		before := tr.BytesReceived
		n := len(c.Docs(lqsync.Problems))
		b.StartTimer()
		if err := c.Pull(context.Background(), lqsync.Problems); err != nil {
			b.Fatal(err)
		}
		got += int64(len(c.Docs(lqsync.Problems)) - n)
		bytes += tr.BytesReceived - before
	}
	b.ReportMetric(float64(got)/float64(b.N), "docs/pull")
	b.ReportMetric(float64(bytes)/float64(b.N), "bytes/pull")
}

func BenchmarkSyncPush1000(b *testing.B) {
	s, _ := benchServer(b)
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
