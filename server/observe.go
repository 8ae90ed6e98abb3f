package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"regexp"
	"sync"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/lianqi/lianqi/domain"
	"github.com/lianqi/lianqi/graph"
	"github.com/lianqi/lianqi/observe"
	"github.com/lianqi/lianqi/service"
)

// startTelemetry sets up what the configuration asks for: metrics when an
// internal address is configured (nobody could read them otherwise), traces
// when the OTEL_* variables ask for them. Without either, the hooks record
// nothing and cost next to nothing.
func (m *Main) startTelemetry(ctx context.Context, build observe.BuildInfo) error {
	m.observer = &observe.Observer{}
	if m.Config.InternalAddr != "" {
		m.observer.Metrics = observe.NewMetrics(build)
	}
	if m.Config.Tracing {
		t, err := observe.StartTracing(ctx, m.Config.OTLPEndpoint, build, m.Log)
		if err != nil {
			return fmt.Errorf("tracing: %w", err)
		}
		m.tracing = t
		m.observer.Tracer = t.Tracer()
		m.Log.Info("tracing on", "endpoint", maskURI(m.Config.OTLPEndpoint))
	}
	return nil
}

// serveInternal starts the internal listener: /metrics and /debug/pprof/.
// It is a separate address so that neither is reachable where the API is
// public; pprof in particular reveals the server's internals and can burn CPU.
func (m *Main) serveInternal() error {
	if m.Config.InternalAddr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", m.Config.InternalAddr)
	if err != nil {
		return fmt.Errorf("listen on the internal address: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.observer.Metrics.Handler())
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	m.internalLn = ln
	m.internal = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(m.Log.Handler(), slog.LevelWarn)}
	m.internalServed = make(chan error, 1)
	go func() { m.internalServed <- m.internal.Serve(ln) }()
	m.Log.Info("internal listener", "addr", ln.Addr().String(), "metrics", "/metrics", "pprof", "/debug/pprof/")
	return nil
}

// InternalAddr is the internal listener's address, or "" when it is off.
func (m *Main) InternalAddr() string {
	if m.internalLn == nil {
		return ""
	}
	return m.internalLn.Addr().String()
}

// requestIDHandler adds the request's id (and trace id, when traced) to every
// log line written with the request's context, whoever writes it.
type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := service.RequestID(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r.AddAttrs(slog.String("trace_id", sc.TraceID().String()))
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestIDHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(as)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}

// requestIDRe is what an incoming X-Request-Id may be to be kept: short and
// made of characters that are safe in logs and headers (UUIDs, hex, ULIDs).
var requestIDRe = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)

// requestID keeps a sane id from the caller (a proxy or client that logs
// its own) or makes a new one.
func requestID(incoming string) string {
	if requestIDRe.MatchString(incoming) {
		return incoming
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// access collects what inner layers learn about a request for its access
// log line: the GraphQL operation and the caller's role.
type access struct {
	mu        sync.Mutex
	operation string
	role      string
}

type accessKey struct{}

func accessFrom(ctx context.Context) *access {
	a, _ := ctx.Value(accessKey{}).(*access)
	return a
}

// note records the operation (the first one, for a WebSocket carrying many)
// and the caller's role, if known.
func (a *access) note(operation string, p *domain.Principal) {
	if a == nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if operation != "" && a.operation == "" {
		a.operation = operation
	}
	if p != nil {
		a.role = string(p.Role)
	}
}

func (a *access) get() (operation, role string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.operation, a.role
}

// noteCaller records the caller the token names, for requests refused
// before GraphQL runs (429).
func noteCaller(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		accessFrom(r.Context()).note("", domain.PrincipalFrom(r.Context()))
		next.ServeHTTP(w, r)
	})
}

// accessObserver also tells the access log which operation ran and for whom.
type accessObserver struct{ *observe.Observer }

var _ graph.Observer = accessObserver{}

func (o accessObserver) Operation(ctx context.Context, name, kind string, start time.Time) (context.Context, func([]string)) {
	op := name
	if op == "" && kind != "" {
		op = observe.AnonymousOperation
	}
	accessFrom(ctx).note(op, domain.PrincipalFrom(ctx))
	return o.Observer.Operation(ctx, name, kind, start)
}
