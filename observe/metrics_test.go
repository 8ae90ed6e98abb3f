package observe

import (
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestOperationNamesBounded: operation names are the client's choice, so a
// client sending a new name each time must not grow the series without limit.
func TestOperationNamesBounded(t *testing.T) {
	m := NewMetrics(BuildInfo{Version: "test"})
	for i := range MaxOperationNames + 50 {
		m.Operation(fmt.Sprintf("Op%d", i), "query", time.Millisecond, []string{"NOT_FOUND"})
	}
	for _, tc := range []struct{ name, want string }{
		{"Op0", "Op0"}, // known before the cap: keeps its series
		{"Fresh", OtherOperation},
		{"", AnonymousOperation},
		{InvalidOperation, InvalidOperation},
		{"has space", OtherOperation},
		{strings.Repeat("a", 65), OtherOperation},
	} {
		if got := m.operationLabel(tc.name); got != tc.want {
			t.Errorf("operationLabel(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Result().Body)
	series := strings.Count(string(body), "lianqi_graphql_errors_total{")
	if series != MaxOperationNames+1 {
		t.Fatalf("%d error series, want %d (the names kept and other)", series, MaxOperationNames+1)
	}
	for _, tc := range []struct{ code, want string }{{"NOT_FOUND", "NOT_FOUND"}, {"", "NONE"}, {"not a code", "OTHER"}} {
		if got := codeLabel(tc.code); got != tc.want {
			t.Errorf("codeLabel(%q) = %q, want %q", tc.code, got, tc.want)
		}
	}
}

// TestNilMetrics: without metrics configured every hook is a no-op.
func TestNilMetrics(t *testing.T) {
	var m *Metrics
	m.HTTPRequest("/graphql", "POST", 200, time.Millisecond)
	m.Operation("Op", "query", time.Millisecond, []string{"X"})
	m.Field("Query.problems", time.Millisecond)
	m.SyncPull("problems", 1)
	m.SyncPush("problems", 1, 0, 0)
	m.Subscriptions(1)
	m.Command("find", time.Millisecond, false)
	m.Refused("api")
	o := &Observer{}
	ctx, done := o.Operation(t.Context(), "Op", "query", time.Now())
	done(nil)
	mon := o.CommandMonitor()
	mon.Started(ctx, nil) // no tracer: returns before reading the event
}
