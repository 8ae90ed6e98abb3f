package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkObservability sends the same small query and the same listing to
// three servers on one database: telemetry off (the default), metrics on
// (--internal-addr), and metrics plus tracing to an OTLP receiver that
// discards what it gets. Results are in docs/performance.md. Run:
//
//	go test ./server -run '^$' -bench Observability -benchtime 300x
func BenchmarkObservability(b *testing.B) {
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	}))
	// Closed after the servers (cleanups run last in, first out), which send
	// their last spans at shutdown.
	b.Cleanup(recv.Close)
	modes := []struct {
		name string
		edit func(*Config)
	}{
		{"off", func(*Config) {}},
		{"metrics", func(c *Config) { c.InternalAddr = "127.0.0.1:0" }},
		{"metrics+tracing", func(c *Config) {
			c.InternalAddr = "127.0.0.1:0"
			c.Tracing, c.OTLPEndpoint = true, recv.URL+"/v1/traces"
		}},
	}
	queries := []struct{ name, query string }{
		{"me", `query Me { me { id } }`},
		{"listing", `query Listing { problems(first: 20) { totalCount edges { node { id title status } } } }`},
	}
	servers := make([]*testServer, len(modes))
	tokens := make([]string, len(modes))
	for i, mode := range modes {
		servers[i] = startServer(b, mode.edit)
		tokens[i] = servers[i].token("zhoushiyue")
	}
	// Modes side by side for each query, twice, so that a change in the
	// machine's load shows as a difference between the two rounds.
	for round := range 2 {
		for _, q := range queries {
			for i, mode := range modes {
				b.Run(fmt.Sprintf("%s/%s/%d", q.name, mode.name, round+1), func(b *testing.B) {
					for b.Loop() {
						if res := servers[i].post(tokens[i], q.query, nil); len(res.Errors) > 0 {
							b.Fatal(res.Errors)
						}
					}
				})
			}
		}
	}
}
