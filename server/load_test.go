package main

import (
	"context"
	"flag"
	"os"
	"testing"
	"time"

	"github.com/lianqi/lianqi/loadtest"
)

// The bounded load test: the whole program on port 0 with the embedded
// engine, demo data plus generated problems, driven over loopback by
// package loadtest for a fixed time at a fixed concurrency. It runs only when
// asked (it takes a minute or more):
//
//	go test ./server -run '^TestLoad$' -load -v
//
// Results and the machine they ran on are in docs/performance.md ("Load test").
var (
	loadRun         = flag.Bool("load", false, "run the bounded load test TestLoad")
	loadDuration    = flag.Duration("load-duration", 30*time.Second, "how long TestLoad drives the server")
	loadWorkers     = flag.Int("load-workers", 8, "concurrent request loops in TestLoad")
	loadSubscribers = flag.Int("load-subscribers", 30, "subscriptions TestLoad holds open")
	loadProblems    = flag.Int("load-problems", 1000, "problems TestLoad generates on top of the demo data")
	loadOut         = flag.String("load-out", "", "file TestLoad writes its Markdown report to")
)

func TestLoad(t *testing.T) {
	if !*loadRun {
		t.Skip("the bounded load test runs with -load: go test ./server -run '^TestLoad$' -load -v")
	}
	runLoad(t, *loadProblems, loadtest.Config{Duration: *loadDuration, Workers: *loadWorkers, Subscribers: *loadSubscribers})
}

// TestLoadSmoke runs the same harness briefly on the demo data alone, so the
// load test keeps working between the runs that measure; it asserts the same
// thing: no errors.
func TestLoadSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	runLoad(t, 0, loadtest.Config{Duration: 2 * time.Second, Workers: 2, Subscribers: 3})
}

func runLoad(t *testing.T, problems int, cfg loadtest.Config) {
	s := startServer(t)
	ctx := context.Background()
	start := time.Now()
	if err := loadtest.Generate(ctx, s.m.DB, problems); err != nil {
		t.Fatal(err)
	}
	t.Logf("generated %d problems in %s", problems, time.Since(start).Round(time.Millisecond))
	cfg.URL, cfg.Password, cfg.Seed = s.url, "demo1234", 1
	res, err := loadtest.Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	report := res.Markdown()
	t.Logf("load test, %d generated problems on top of the demo data:\n%s", problems, report)
	if *loadOut != "" && problems > 0 {
		if err := os.WriteFile(*loadOut, []byte(report), 0o644); err != nil {
			t.Error(err)
		}
	}
	if res.Errors > 0 || res.SubscriberErrors > 0 {
		t.Fatalf("%d errors, %d subscriber errors; first: %v", res.Errors, res.SubscriberErrors, res.FirstErrors)
	}
	if res.Requests == 0 {
		t.Fatal("no requests were made")
	}
}
