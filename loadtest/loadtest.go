// Package loadtest drives a running Lianqi server with a fixed mix of GraphQL
// reads and writes, sync pulls and pushes, and WebSocket subscriptions, at a
// fixed concurrency for a fixed time, and reports throughput, latency
// percentiles, errors and peak memory. It talks to one server over loopback
// and stops by itself; the server tests start it (go test ./server -run
// TestLoad -load, see docs/performance.md).
package loadtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Config says how hard and how long to drive the server.
type Config struct {
	// URL is the server's base URL (http://127.0.0.1:port).
	URL string
	// Duration is how long the mixed load runs; the run then stops by itself
	// (requests under way are finished and counted).
	Duration time.Duration
	// Workers is the number of request loops running at once; each sends its
	// next request when the previous one has been answered.
	Workers int
	// Subscribers is the number of problemChanged subscriptions held open on
	// their own WebSockets for the whole run.
	Subscribers int
	// Password of the demo accounts the load signs in as.
	Password string
	// Seed makes the sequence of operations repeatable.
	Seed uint64
}

// Result is what one run measured.
type Result struct {
	Config   Config
	Elapsed  time.Duration
	Ops      []*OpStats // by name
	Requests int
	Errors   int
	// FirstErrors are a few error messages, to find the cause of any error.
	FirstErrors []string
	// Events is how many problemChanged events the subscribers received;
	// SubscriberErrors counts subscriptions that failed or ended early.
	Events           int64
	SubscriberErrors int
	// Conflicts is how many pushed sync rows came back as conflicts (two
	// workers editing the same problem): the protocol's answer, not an error.
	Conflicts int64
	Memory    Memory
}

// OpStats are the latencies of one kind of operation.
type OpStats struct {
	Name    string
	Count   int
	Errors  int
	P50     time.Duration
	P99     time.Duration
	Max     time.Duration
	samples []time.Duration
}

// op is one kind of operation in the mix.
type op struct {
	name   string
	weight int
	run    func(ctx context.Context, w *worker) error
}

// recorder collects latencies and errors from every worker.
type recorder struct {
	mu     sync.Mutex
	ops    map[string]*OpStats
	errors []string
}

func (r *recorder) add(name string, d time.Duration, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.ops[name]
	if s == nil {
		s = &OpStats{Name: name}
		r.ops[name] = s
	}
	s.Count++
	s.samples = append(s.samples, d)
	if err != nil {
		s.Errors++
		if len(r.errors) < 10 {
			r.errors = append(r.errors, name+": "+err.Error())
		}
	}
}

// Run signs in, prepares one sync replica per worker, opens the subscribers,
// then runs the mix for cfg.Duration and returns what it measured. Setup
// failures are returned as errors; failures during the run are counted.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if cfg.Workers <= 0 || cfg.Duration <= 0 {
		return nil, fmt.Errorf("loadtest: workers and duration must be positive")
	}
	if !strings.HasPrefix(cfg.URL, "http://127.0.0.1:") && !strings.HasPrefix(cfg.URL, "http://localhost:") {
		return nil, fmt.Errorf("loadtest: %s is not a loopback address", cfg.URL)
	}
	h := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: cfg.Workers + 4}, Timeout: time.Minute}
	env, err := prepare(ctx, cfg, h)
	if err != nil {
		return nil, err
	}
	rec := &recorder{ops: map[string]*OpStats{}}

	mem := startMemory()
	subCtx, stopSubs := context.WithCancel(ctx)
	subs, err := openSubscribers(subCtx, cfg, env)
	if err != nil {
		stopSubs()
		return nil, err
	}

	start := time.Now()
	// The run ends at a deadline that workers check between requests: a
	// request under way is finished and counted, not cancelled, so the end of
	// the run does not look like a crowd of clients hanging up.
	end := start.Add(cfg.Duration)
	var wg sync.WaitGroup
	workers := make([]*worker, cfg.Workers)
	for i := range workers {
		w, err := env.worker(ctx, i, cfg.Seed)
		if err != nil {
			stopSubs()
			return nil, err
		}
		workers[i] = w
	}
	for _, w := range workers {
		wg.Go(func() { w.loop(ctx, end, rec) })
	}
	wg.Wait()
	elapsed := time.Since(start)
	// Let the last writes reach the subscribers before counting.
	time.Sleep(200 * time.Millisecond)
	stopSubs()
	events, subErrs := subs.wait()

	res := &Result{Config: cfg, Elapsed: elapsed, FirstErrors: rec.errors, Events: events, SubscriberErrors: subErrs, Memory: mem.stop()}
	for _, w := range workers {
		res.Conflicts += w.conflicts.Load()
	}
	for _, s := range rec.ops {
		slices.Sort(s.samples)
		s.P50, s.P99, s.Max = pct(s.samples, 50), pct(s.samples, 99), s.samples[len(s.samples)-1]
		res.Ops = append(res.Ops, s)
		res.Requests += s.Count
		res.Errors += s.Errors
	}
	slices.SortFunc(res.Ops, func(a, b *OpStats) int { return strings.Compare(a.Name, b.Name) })
	return res, nil
}

// All returns the latencies of every operation together.
func (r *Result) All() *OpStats {
	all := &OpStats{Name: "all"}
	for _, s := range r.Ops {
		all.Count += s.Count
		all.Errors += s.Errors
		all.samples = append(all.samples, s.samples...)
	}
	slices.Sort(all.samples)
	if len(all.samples) > 0 {
		all.P50, all.P99, all.Max = pct(all.samples, 50), pct(all.samples, 99), all.samples[len(all.samples)-1]
	}
	return all
}

func pct(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100
	return sorted[min(max(i-1, 0), len(sorted)-1)]
}

// Markdown renders the result as the table docs/performance.md keeps.
func (r *Result) Markdown() string {
	var b strings.Builder
	secs := r.Elapsed.Seconds()
	fmt.Fprintf(&b, "%d workers, %d subscribers, %s: %d requests, %.0f/s, %d errors; %d subscription events, %d subscriber errors; %d sync conflicts\n\n",
		r.Config.Workers, r.Config.Subscribers, r.Elapsed.Round(time.Millisecond), r.Requests, float64(r.Requests)/secs, r.Errors,
		r.Events, r.SubscriberErrors, r.Conflicts)
	b.WriteString("| operation | requests | per second | p50 | p99 | max | errors |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, s := range append(r.Ops, r.All()) {
		fmt.Fprintf(&b, "| %s | %d | %.1f | %s | %s | %s | %d |\n", s.Name, s.Count, float64(s.Count)/secs, ms(s.P50), ms(s.P99), ms(s.Max), s.Errors)
	}
	fmt.Fprintf(&b, "\nmemory: process RSS %s at start, peak %s (VmHWM%s); Go heap peak %s (sampled every 100 ms)\n",
		mib(r.Memory.StartRSS), mib(r.Memory.PeakRSS), r.Memory.hwmNote(), mib(r.Memory.PeakHeap))
	perReq := time.Duration(0)
	if r.Requests > 0 {
		perReq = r.Memory.CPU / time.Duration(r.Requests)
	}
	fmt.Fprintf(&b, "CPU: %s for the process (server, embedded engine and load together), %s per request; host load average %s → %s on %d cores\n",
		r.Memory.CPU.Round(10*time.Millisecond), ms(perReq), r.Memory.LoadAvg[0], r.Memory.LoadAvg[1], r.Memory.Cores)
	return b.String()
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }
func mib(n uint64) string       { return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20)) }

// worker is one request loop with its own random sequence and sync replica.
type worker struct {
	id        int
	env       *env
	rnd       *rand.Rand
	replica   *replica
	n         int
	conflicts atomic.Int64
}

func (w *worker) loop(ctx context.Context, end time.Time, rec *recorder) {
	total := 0
	for _, o := range mix {
		total += o.weight
	}
	for ctx.Err() == nil && time.Now().Before(end) {
		pick := w.rnd.IntN(total)
		var o op
		for _, o = range mix {
			if pick < o.weight {
				break
			}
			pick -= o.weight
		}
		w.n++
		start := time.Now()
		err := o.run(ctx, w)
		rec.add(o.name, time.Since(start), err)
	}
}
