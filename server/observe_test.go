package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/lianqi/lianqi/service"
)

// getStatus fetches url and returns its status and body (get, in
// playground_test.go, with no Accept header).
func getStatus(t *testing.T, url string) (int, string) {
	t.Helper()
	res, body := get(t, url, "")
	return res.StatusCode, body
}

// metric sums the samples of name whose labels include every "key=value" of
// labels, in a scrape in the Prometheus text format.
func metric(body, name string, labels ...string) float64 {
	var sum float64
	for line := range strings.Lines(body) {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, name) {
			continue
		}
		rest := line[len(name):]
		var set string
		if strings.HasPrefix(rest, "{") {
			end := strings.Index(rest, "}")
			set, rest = rest[1:end], rest[end+1:]
		}
		if !strings.HasPrefix(rest, " ") {
			continue // a longer name with the same prefix
		}
		have := map[string]bool{}
		for kv := range strings.SplitSeq(set, ",") {
			k, v, _ := strings.Cut(kv, "=")
			have[k+"="+strings.Trim(v, `"`)] = true
		}
		ok := true
		for _, l := range labels {
			ok = ok && have[l]
		}
		if v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64); ok && err == nil {
			sum += v
		}
	}
	return sum
}

// TestMetrics drives the real server and reads its /metrics on the internal
// address: HTTP requests by route, operations and errors by name and code,
// expensive fields, sync pulls and pushes, subscriptions open, database
// commands, refusals by limiter and the build. Neither metrics nor pprof are
// on the public listener.
func TestMetrics(t *testing.T) {
	s := startServer(t, func(c *Config) { c.InternalAddr = "127.0.0.1:0"; c.RateLogin = 1 })
	internal := "http://" + s.m.InternalAddr()
	tok := s.token("zhoushiyue")

	// The login limiter allows one attempt per address a minute: this is the second.
	if res := s.post("", `mutation Again($u:String!,$p:String!){login(username:$u,password:$p){accessToken}}`,
		map[string]any{"u": "zhoushiyue", "p": "demo1234"}); res.code() != "RATE_LIMITED" {
		t.Fatalf("second login: %+v", res)
	}
	var listing struct{ Problems struct{ TotalCount int } }
	s.post(tok, `query Listing { problems(first: 5) { totalCount } }`, nil).decode(t, &listing)
	var pull struct {
		PullProblems struct{ Documents []struct{ ID string } }
	}
	s.post(tok, `query Pull { pullProblems(schemaVersion: 1, limit: 7) { documents { id } } }`, nil).decode(t, &pull)
	// A creation without a title is refused.
	row := map[string]any{"newDocumentState": map[string]any{"id": "metrics-row-1", "enterpriseId": "none", "category": "OTHER", "title": ""}, "mutationId": "metrics-1"}
	var push struct {
		PushProblems struct{ Rejected []struct{ Code string } }
	}
	s.post(tok, `mutation Push($rows:[ProblemPushRow!]!){pushProblems(rows:$rows,schemaVersion:1){rejected{code}}}`,
		map[string]any{"rows": []any{row}}).decode(t, &push)
	if res := s.post(tok, `query Broken { noSuchField }`, nil); res.code() != "GRAPHQL_VALIDATION_FAILED" {
		t.Fatalf("invalid query: %+v", res)
	}
	if code, _ := getStatus(t, s.url+"/no/such/page"); code != http.StatusNotFound {
		t.Fatalf("unknown path: %d", code)
	}
	sub := s.subscribe(t, tok, `subscription Watch { problemChanged { problemId } }`, nil)

	// The subscription's start is reported once it runs; wait for it.
	var body string
	for deadline := time.Now().Add(10 * time.Second); ; {
		_, body = getStatus(t, internal+"/metrics")
		started := metric(body, "lianqi_graphql_operation_duration_seconds_count", "operation=Watch")
		if metric(body, "lianqi_subscriptions_open") == 1 && started == 1 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, tc := range []struct {
		name   string
		labels []string
		want   func(float64) bool
	}{
		{"lianqi_subscriptions_open", nil, eq(1)},
		{"lianqi_build_info", []string{"goversion=" + runtime.Version()}, eq(1)},
		{"lianqi_http_request_duration_seconds_count", []string{"route=/graphql", "method=POST", "status=200"}, atLeast(5)},
		{"lianqi_http_request_duration_seconds_count", []string{"route=other", "method=GET", "status=404"}, eq(1)},
		{"lianqi_graphql_operation_duration_seconds_count", []string{"operation=Listing", "type=query"}, eq(1)},
		{"lianqi_graphql_operation_duration_seconds_count", []string{"operation=anonymous", "type=mutation"}, eq(1)},
		{"lianqi_graphql_operation_duration_seconds_count", []string{"operation=Watch", "type=subscription"}, eq(1)},
		{"lianqi_graphql_errors_total", []string{"operation=Again", "code=RATE_LIMITED"}, eq(1)},
		{"lianqi_graphql_errors_total", []string{"operation=invalid", "code=GRAPHQL_VALIDATION_FAILED"}, eq(1)},
		{"lianqi_graphql_errors_total", []string{"operation=Listing"}, eq(0)},
		{"lianqi_graphql_field_duration_seconds_count", []string{"field=Query.problems"}, eq(1)},
		{"lianqi_graphql_field_duration_seconds_count", []string{"field=Query.pullProblems"}, eq(1)},
		{"lianqi_sync_pulls_total", []string{"collection=problems"}, eq(1)},
		{"lianqi_sync_pulled_documents_total", []string{"collection=problems"}, eq(float64(len(pull.PullProblems.Documents)))},
		{"lianqi_sync_pushes_total", []string{"collection=problems"}, eq(1)},
		{"lianqi_sync_pushed_rows_total", []string{"collection=problems"}, eq(1)},
		{"lianqi_sync_rejections_total", []string{"collection=problems"}, eq(float64(len(push.PushProblems.Rejected)))},
		// A refused creation is answered with a tombstone among the conflicts.
		{"lianqi_sync_conflicts_total", []string{"collection=problems"}, eq(1)},
		{"lianqi_db_command_duration_seconds_count", []string{"command=find", "outcome=ok"}, atLeast(1)},
		{"lianqi_rate_limit_refusals_total", []string{"limiter=login"}, eq(1)},
	} {
		if got := metric(body, tc.name, tc.labels...); !tc.want(got) {
			t.Errorf("%s%v = %v", tc.name, tc.labels, got)
		}
	}
	if len(pull.PullProblems.Documents) == 0 || len(push.PushProblems.Rejected) != 1 {
		t.Fatalf("the demo gives no documents to pull or the row was not refused: %+v %+v", pull, push)
	}

	// The gauge goes down when the subscription ends.
	sub.conn.CloseNow()
	for deadline := time.Now().Add(10 * time.Second); metric(body, "lianqi_subscriptions_open") != 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("lianqi_subscriptions_open stays at 1 after the socket closed")
		}
		_, body = getStatus(t, internal+"/metrics")
	}

	for _, tc := range []struct {
		url, want string
		status    int
	}{
		{internal + "/debug/pprof/", "goroutine", http.StatusOK},
		{internal + "/debug/pprof/cmdline", "", http.StatusOK},
		{s.url + "/metrics", "", http.StatusNotFound},
		{s.url + "/debug/pprof/", "", http.StatusNotFound},
	} {
		if code, b := getStatus(t, tc.url); code != tc.status || !strings.Contains(b, tc.want) {
			t.Errorf("GET %s: %d, want %d with %q", tc.url, code, tc.status, tc.want)
		}
	}
}

func eq(want float64) func(float64) bool      { return func(v float64) bool { return v == want } }
func atLeast(want float64) func(float64) bool { return func(v float64) bool { return v >= want } }

// logBuffer collects JSON log lines written concurrently.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// lines returns the logged records with message msg.
func (l *logBuffer) lines(msg string) []map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(l.b.Bytes()))
	for sc.Scan() {
		var rec map[string]any
		if json.Unmarshal(sc.Bytes(), &rec) == nil && rec["msg"] == msg {
			out = append(out, rec)
		}
	}
	return out
}

// startLogged is startServer with the program's log captured as JSON, at
// debug level.
func startLogged(t *testing.T, logs *logBuffer) *testServer {
	t.Helper()
	return startServerLog(t, slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
}

// TestRequestID checks that every request gets an id — the caller's if sane —
// echoed in X-Request-Id, in every error's extensions.requestId, in log lines
// written with the request's context, and in the request's one access log
// line, which names the operation, the caller's role, status, duration and
// size. Metrics and the internal listener are off by default.
func TestRequestID(t *testing.T) {
	var logs logBuffer
	s := startLogged(t, &logs)
	if s.m.InternalAddr() != "" || s.m.observer.Metrics != nil || s.m.tracing != nil {
		t.Fatal("metrics or tracing on without being configured")
	}
	tok := s.token("zhoushiyue")
	generated := regexp.MustCompile(`^[0-9a-f]{16}$`)
	for _, tc := range []struct {
		name, sent string
		keep       bool
		token      string
		body       string
		status     int
		code       string
		operation  string
		role       string
	}{
		{"KeptFromCaller", "req-0001.a:b", true, tok, `{"query":"query Missing { problem(id: \"nope\") { id } }"}`, 200, "NOT_FOUND", "Missing", "OFFICIAL"},
		{"Generated", "", false, "", `{"query":"query Who { me { id } }"}`, 200, "UNAUTHENTICATED", "Who", ""},
		{"ReplacedUnsafe", "a b\"c", false, "", `{"query":"{ me { id } }"}`, 200, "UNAUTHENTICATED", "anonymous", ""},
		{"ReplacedTooLong", strings.Repeat("x", 65), false, tok, `{"query":"query V { noSuchField }"}`, 422, "GRAPHQL_VALIDATION_FAILED", "invalid", "OFFICIAL"},
		{"TooLarge", "big-1", true, "", `{"query":"` + strings.Repeat(" ", maxBodyBytes) + `{me{id}}"}`, 413, "PAYLOAD_TOO_LARGE", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, s.url+"/graphql", strings.NewReader(tc.body))
			req.Header.Set("Content-Type", "application/json")
			if tc.sent != "" {
				req.Header.Set("X-Request-Id", tc.sent)
			}
			if tc.token != "" {
				req.Header.Set("Authorization", "Bearer "+tc.token)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var out gqlResponse
			if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
				t.Fatal(err)
			}
			id := res.Header.Get("X-Request-Id")
			if tc.keep && id != tc.sent || !tc.keep && !generated.MatchString(id) {
				t.Fatalf("X-Request-Id = %q (sent %q)", id, tc.sent)
			}
			if res.StatusCode != tc.status || out.code() != tc.code || out.Errors[0].Extensions["requestId"] != id {
				t.Fatalf("status %d, errors %+v; want %d, %s and requestId %s", res.StatusCode, out.Errors, tc.status, tc.code, id)
			}
			var lines []map[string]any
			for _, l := range logs.lines("request") {
				if l["request_id"] == id {
					lines = append(lines, l)
				}
			}
			if len(lines) != 1 {
				t.Fatalf("%d access lines for %s, want 1", len(lines), id)
			}
			l := lines[0]
			if l["method"] != "POST" || l["path"] != "/graphql" || l["operation"] != tc.operation || l["role"] != tc.role ||
				l["status"] != float64(tc.status) || l["bytes"].(float64) <= 0 || l["took"] == nil || l["level"] != "INFO" {
				t.Fatalf("access line %v", l)
			}
		})
	}

	// Whoever logs with the request's context gets its id on the line.
	s.m.Log.WarnContext(service.WithRequestID(context.Background(), "from-ctx"), "something about the request")
	if l := logs.lines("something about the request"); len(l) != 1 || l[0]["request_id"] != "from-ctx" {
		t.Fatalf("log line without the request id: %v", l)
	}
	// Health checks are polled all the time: their lines are debug.
	if code, _ := getStatus(t, s.url+"/healthz"); code != 200 {
		t.Fatal(code)
	}
	for _, l := range logs.lines("request") {
		if l["path"] == "/healthz" && l["level"] != "DEBUG" {
			t.Fatalf("health check logged at %v", l["level"])
		}
	}
}

// TestTracing sends one GraphQL request, continuing the caller's trace, to a
// server whose OTLP endpoint is a receiver on 127.0.0.1: the receiver gets
// the HTTP span (in the caller's trace), the operation's span under it and
// the database commands' spans under the operation's.
func TestTracing(t *testing.T) {
	var mu sync.Mutex
	var spans []*tracepb.Span
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/traces" {
			http.NotFound(w, r)
			return
		}
		var body io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			body = zr
		}
		b, _ := io.ReadAll(body)
		var req coltracepb.ExportTraceServiceRequest
		if err := proto.Unmarshal(b, &req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		for _, rs := range req.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				spans = append(spans, ss.Spans...)
			}
		}
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
		out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
		_, _ = w.Write(out)
	}))
	defer recv.Close()
	s := startServer(t, func(c *Config) { c.Tracing, c.OTLPEndpoint = true, recv.URL+"/v1/traces" })
	tok := s.token("zhoushiyue")

	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	req, _ := http.NewRequest(http.MethodPost, s.url+"/graphql", strings.NewReader(`{"query":"query Traced { problems(first: 2) { totalCount } }"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Traceparent", "00-"+traceID+"-00f067aa0ba902b7-01")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var out gqlResponse
	_ = json.NewDecoder(res.Body).Decode(&out)
	res.Body.Close()
	if res.StatusCode != 200 || len(out.Errors) > 0 {
		t.Fatalf("status %d %+v", res.StatusCode, out.Errors)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.m.tracing.Flush(ctx); err != nil {
		t.Fatal(err)
	}

	mu.Lock()
	defer mu.Unlock()
	byName := map[string]*tracepb.Span{}
	for _, sp := range spans {
		if hex.EncodeToString(sp.TraceId) == traceID {
			byName[sp.Name] = sp
		}
	}
	httpSpan, op := byName["POST /graphql"], byName["query Traced"]
	if httpSpan == nil || op == nil {
		t.Fatalf("spans in the caller's trace: %v", slices.Collect(maps.Keys(byName)))
	}
	if !bytes.Equal(op.ParentSpanId, httpSpan.SpanId) {
		t.Fatal("the operation's span is not a child of the request's")
	}
	dbSpans := 0
	for _, sp := range spans {
		if hex.EncodeToString(sp.TraceId) != traceID {
			continue // the login's
		}
		for _, a := range sp.Attributes {
			if a.Key == "db.system" && a.Value.GetStringValue() == "mongodb" {
				if !bytes.Equal(sp.ParentSpanId, op.SpanId) {
					t.Errorf("database span %q is not a child of the operation's", sp.Name)
				}
				dbSpans++
			}
		}
	}
	if dbSpans == 0 {
		t.Fatalf("no database span among %d spans", len(spans))
	}
}

// TestRefusalMetrics: refusals are counted by the limiter that refused —
// the per-caller request budget, the WebSockets per address and the
// subscriptions per socket.
func TestRefusalMetrics(t *testing.T) {
	s := startServer(t, func(c *Config) {
		c.InternalAddr = "127.0.0.1:0"
		c.RateAPI, c.MaxSocketsPerAddress, c.MaxSubsPerSocket, c.MaxSubsPerUser = 100, 1, 1, 1
	})
	s.token("zhoushiyue") // signed in before the address's budget runs out
	// The budget allows bursts of 25 (a quarter of the rate) per caller.
	refused := 0
	for range 30 {
		if s.post("", `{__typename}`, nil).code() == "RATE_LIMITED" {
			refused++
		}
	}
	c := s.openWS(t, "zhoushiyue")
	if _, err := s.dialWS(""); err == nil {
		t.Fatal("a second WebSocket from the address was accepted")
	}
	c.subscribe("1", `subscription { problemChanged { problemId } }`)
	c.subscribe("2", `subscription { problemChanged { problemId } }`)
	// The two start concurrently: either may be the one refused.
	if m := c.nextOf(t); m.Type != "error" || !strings.Contains(string(m.Payload), `"requestId"`) {
		t.Fatalf("second subscription: %s %s %s", m.Type, m.ID, m.Payload)
	}
	_, body := getStatus(t, "http://"+s.m.InternalAddr()+"/metrics")
	for _, tc := range []struct {
		limiter string
		want    float64
	}{{"api", float64(refused)}, {"sockets", 1}, {"subscriptions", 1}, {"login", 0}} {
		if got := metric(body, "lianqi_rate_limit_refusals_total", "limiter="+tc.limiter); got != tc.want || tc.limiter == "api" && got < 5 {
			t.Errorf("refusals by %s = %v, want %v", tc.limiter, got, tc.want)
		}
	}
}
