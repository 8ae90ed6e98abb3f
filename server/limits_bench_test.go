package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lianqi/lianqi/domain"
	"github.com/lianqi/lianqi/store/storetest"
)

// BenchmarkConcurrentListings sends 16 leader listings at once to a server
// holding 10,000 extra problems and reports the peak heap in use and the
// peak resident memory of the process (server and embedded engine) while
// they run, for the expensive-work gate wide open and as configured by
// default. Results are in docs/performance.md. Run:
//
//	go test ./server -run '^$' -bench ConcurrentListings -benchtime 1x
func BenchmarkConcurrentListings(b *testing.B) {
	if os.Getenv("MONGODB_URI") != "" {
		b.Skip("restarts the embedded database in place")
	}
	const problems, concurrent = 10_000, 16
	cfg, err := ParseConfig([]string{"--addr", "127.0.0.1:0", "--data-dir", b.TempDir(), "--log-level", "error"}, func(string) string { return "" })
	if err != nil {
		b.Fatal(err)
	}
	cfg.DBName = storetest.DBName(b)
	cfg.RateAPI, cfg.RateLogin = 1_000_000, 1_000_000
	start := func(edit func(*Config)) *testServer {
		c := cfg
		edit(&c)
		m := &Main{Config: c}
		if err := m.Run(context.Background()); err != nil {
			m.Close()
			b.Fatal(err)
		}
		return &testServer{t: b, m: m, url: "http://" + m.Addr(), tokens: map[string]string{}}
	}

	s := start(func(*Config) {})
	seedListing(b, s, problems)
	if err := s.m.Close(); err != nil {
		b.Fatal(err)
	}

	for _, tc := range []struct {
		name string
		edit func(*Config)
	}{
		{"uncapped", func(c *Config) {
			c.MaxExpensive, c.MaxExpensivePerUser, c.ExpensiveWait = concurrent, concurrent, time.Hour
		}},
		{"default", func(*Config) {}},
		{"cap4-patient", func(c *Config) { c.MaxExpensive, c.MaxExpensivePerUser, c.ExpensiveWait = 4, 4, time.Hour }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			s := start(tc.edit)
			defer s.m.Close()
			tok := s.token("maojianguo")
			const q = `{problems(first:20){totalCount edges{node{id title status enterprise{name}}}}}`
			for b.Loop() {
				// Return what earlier runs left to the OS, so resident memory
				// starts from this run's baseline.
				debug.FreeOSMemory()
				base, baseRSS := heapInuse(), rss()
				peak := newPeak()
				t0 := time.Now()
				codes := make(chan string, concurrent)
				var wg sync.WaitGroup
				for range concurrent {
					wg.Go(func() { codes <- s.post(tok, q, nil).code() })
				}
				wg.Wait()
				took := time.Since(t0)
				heap, rss := peak.stop()
				close(codes)
				count := map[string]int{}
				for c := range codes {
					count[c]++
				}
				b.ReportMetric(float64(base)/(1<<20), "base-heap-MB")
				b.ReportMetric(float64(heap)/(1<<20), "peak-heap-MB")
				b.ReportMetric(float64(baseRSS)/(1<<20), "base-rss-MB")
				b.ReportMetric(float64(rss)/(1<<20), "peak-rss-MB")
				b.ReportMetric(float64(count[""]), "answered")
				b.ReportMetric(float64(count["RATE_LIMITED"]), "refused")
				b.ReportMetric(took.Seconds(), "wall-s")
				if count[""]+count["RATE_LIMITED"] != concurrent {
					b.Fatalf("codes %v", count)
				}
			}
		})
	}
}

// seedListing adds n problems spread over the demo enterprises.
func seedListing(b *testing.B, s *testServer, n int) {
	b.Helper()
	ctx := context.Background()
	ents, err := s.m.DB.FindEnterprises(ctx, domain.Scope{All: true}, domain.EnterpriseFilter{}, domain.PageRequest{First: 100})
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	for i := range n {
		p := &domain.Problem{ID: domain.NewID(), EnterpriseID: ents.Items[i%len(ents.Items)].ID, Category: domain.Categories[i%len(domain.Categories)],
			Title: fmt.Sprintf("基准问题 %d", i), Description: "用于测量列表内存的问题描述，长度与真实记录相近，企业反映的困难与诉求需要跟踪落实。",
			Status: domain.StatusReported, Level: domain.L1, Tags: []string{"基准"}, ReportedAt: now.Add(-time.Duration(i) * time.Minute),
			RespondBy: now.Add(24 * time.Hour), ResolveBy: now.Add(72 * time.Hour)}
		if err := s.m.DB.CreateProblem(ctx, p); err != nil {
			b.Fatal(err)
		}
	}
}

func heapInuse() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// rss is the process's resident memory from /proc (0 where there is none).
func rss() uint64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseUint(f[1], 10, 64)
	return pages * uint64(os.Getpagesize())
}

// peak samples heap in use and resident memory every 10 ms until stopped.
type peak struct {
	stopc     chan struct{}
	done      chan struct{}
	heap, res uint64
}

func newPeak() *peak {
	p := &peak{stopc: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			p.heap, p.res = max(p.heap, heapInuse()), max(p.res, rss())
			select {
			case <-p.stopc:
				return
			case <-t.C:
			}
		}
	}()
	return p
}

func (p *peak) stop() (heap, res uint64) {
	close(p.stopc)
	<-p.done
	return p.heap, p.res
}
