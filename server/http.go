package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	gosync "sync"
	"sync/atomic"
	"time"

	"github.com/rs/cors"

	"github.com/lianqi/lianqi/auth"
	"github.com/lianqi/lianqi/domain"
	"github.com/lianqi/lianqi/graph"
	"github.com/lianqi/lianqi/observe"
	"github.com/lianqi/lianqi/playground"
	"github.com/lianqi/lianqi/ratelimit"
	"github.com/lianqi/lianqi/service"
)

// maxBodyBytes bounds a request body; GraphQL documents are small.
const maxBodyBytes = 1 << 20

// routes wires the HTTP endpoints. The handler it returns also tracks every
// running request for the shutdown (see lifecycle). shared, when set, keeps
// the API rate limit's counters in the database for every instance.
func routes(svc *service.Service, tokens *auth.Tokens, cfg Config, log *slog.Logger, obs *observe.Observer, tracing *observe.Tracing, manifest *graph.Manifest, shared ratelimit.Counter) *lifecycle {
	lc := newLifecycle()
	mux := http.NewServeMux()
	apiLimit := ratelimit.New(cfg.RateAPI, max(10, cfg.RateAPI/4), nil)
	if apiLimit != nil {
		apiLimit.Refused = func() { obs.Refused("api") }
	}
	if shared != nil {
		apiLimit.Share(shared, "api", log)
	}
	// Listings and spreadsheet exports share one gate for expensive work.
	expensive := graph.NewGate(cfg.MaxExpensive, cfg.MaxExpensivePerUser, cfg.ExpensiveWait)
	gql := graph.NewHandler(svc, graph.Options{Expensive: expensive,
		Introspection: cfg.Introspection, Suggestions: cfg.Dev, MaxDepth: cfg.MaxDepth, MaxCost: cfg.MaxCost,
		Log: log, Tokens: tokens, AllowedOrigins: cfg.CORSOrigins,
		Stopping: lc.stopping, MaxSubscriptionsPerSocket: cfg.MaxSubsPerSocket, MaxSubscriptionsPerUser: cfg.MaxSubsPerUser, Allow: apiLimit.Allow,
		MaxExpensive: cfg.MaxExpensive, MaxExpensivePerUser: cfg.MaxExpensivePerUser, ExpensiveWait: cfg.ExpensiveWait,
		Observer: accessObserver{obs}, PersistedQueries: manifest})
	refusedSocket := func() { obs.Refused("sockets") }
	mux.Handle("/graphql", checkWSOrigin(cfg.CORSOrigins, limitSockets(cfg.MaxSocketsPerAddress, refusedSocket,
		limitBody(tokens.Middleware(noteCaller(limitAPI(apiLimit, gql)))))))
	mux.Handle("GET /export/{file}", tokens.Middleware(noteCaller(limitAPI(apiLimit, exportHandler(svc, expensive, log)))))
	if cfg.Introspection != "off" {
		// The page itself is static; in production the schema behind it opens
		// only to admins (introspection policy), so others see an empty explorer.
		// Its scripts and styles come from the binary (offline intranets).
		pg := playground.Handler("/graphql")
		mux.Handle("GET /playground", pg)
		mux.Handle("GET /playground/", pg)
	}
	mux.HandleFunc("GET /{$}", serveIndex(cfg.Introspection != "off"))
	mux.HandleFunc("GET /.well-known/jwks.json", func(w http.ResponseWriter, r *http.Request) {
		jwks := auth.JWKS{Keys: []auth.JWK{}}
		if ks := tokens.Keys(); ks != nil {
			jwks = ks.JWKS()
		}
		// Short caching: verifiers pick up a rotated key within minutes.
		w.Header().Set("Cache-Control", "public, max-age=300")
		writeJSON(w, http.StatusOK, jwks)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		if err := svc.Ping(ctx); err != nil {
			log.WarnContext(ctx, "readiness check failed", "err", err)
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "error": "database unreachable"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	// route names the pattern a request matches, for metrics and span names:
	// never the raw path, which the client chooses.
	route := func(r *http.Request) string {
		_, pattern := mux.Handler(r)
		return pattern
	}
	if len(cfg.CORSOrigins) == 0 {
		// rs/cors treats an empty origin list as "allow every origin"; no
		// configured origin must mean no cross-origin access at all.
		lc.next = tracing.Handler(requestLog(log, obs.Metrics, route, clientIP(cfg.TrustedProxies, compress(mux))), route)
		return lc
	}
	c := cors.New(cors.Options{
		AllowedOrigins:   cfg.CORSOrigins,
		AllowedMethods:   []string{http.MethodGet, http.MethodPost, http.MethodOptions},
		AllowedHeaders:   []string{"Authorization", "Content-Type"},
		AllowCredentials: true,
		MaxAge:           600,
	})
	lc.next = tracing.Handler(requestLog(log, obs.Metrics, route, c.Handler(clientIP(cfg.TrustedProxies, compress(mux)))), route)
	return lc
}

// lifecycle counts the running handlers, WebSockets included (which
// http.Server.Shutdown does not wait for: they are hijacked), so that the
// database closes only after the last one returned. Stopping tells the
// WebSockets to close with 1012; abort cancels the requests still running
// when the shutdown timeout passes, with graph.ErrServerStopping as the cause.
type lifecycle struct {
	next     http.Handler
	running  atomic.Int64
	stopping context.Context
	stop     context.CancelFunc
	aborted  context.Context
	abort    context.CancelFunc
}

func newLifecycle() *lifecycle {
	l := &lifecycle{}
	l.stopping, l.stop = context.WithCancel(context.Background())
	l.aborted, l.abort = context.WithCancel(context.Background())
	return l
}

func (l *lifecycle) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	l.running.Add(1)
	defer l.running.Add(-1)
	ctx, cancel := context.WithCancelCause(r.Context())
	defer cancel(nil)
	defer context.AfterFunc(l.aborted, func() { cancel(graph.ErrServerStopping) })()
	l.next.ServeHTTP(w, r.WithContext(ctx))
}

// wait returns nil once no handler runs, or ctx's error.
func (l *lifecycle) wait(ctx context.Context) error {
	for l.running.Load() > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
	return nil
}

// checkWSOrigin refuses a WebSocket handshake from a browser page whose
// origin is neither the server's own nor exactly one of the configured CORS
// origins (scheme included: http://x is not https://x). The WebSocket library
// checks hosts only; this makes the check as exact as CORS.
func checkWSOrigin(allowed []string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" || !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			next.ServeHTTP(w, r)
			return
		}
		u, err := url.Parse(origin)
		ok := err == nil && (strings.EqualFold(u.Host, r.Host) || slices.Contains(allowed, strings.ToLower(u.Scheme+"://"+u.Host)))
		if !ok {
			writeJSON(w, http.StatusForbidden, map[string]any{"errors": []map[string]any{{
				"message":    "origin not allowed",
				"extensions": map[string]any{"code": "FORBIDDEN"},
			}}})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// limitSockets bounds the WebSockets open at once from one address. Handshakes
// are not charged to the per-address request budget (a client retrying a bad
// token must hear 4401, not 429), so without this an anonymous client could
// hold any number of sockets, each waiting up to the init timeout. The
// handler of an upgraded request runs for the socket's whole life, so the
// count is of open sockets. Over the cap the handshake is refused with 429
// and RATE_LIMITED; WebSocket clients retry a failed handshake with backoff.
func limitSockets(maxPerAddress int, refused func(), next http.Handler) http.Handler {
	var mu gosync.Mutex
	open := map[string]int{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			next.ServeHTTP(w, r)
			return
		}
		addr := service.ClientIP(r.Context())
		mu.Lock()
		if open[addr] >= maxPerAddress {
			mu.Unlock()
			refused()
			w.Header().Set("Retry-After", "5")
			writeJSON(w, http.StatusTooManyRequests, map[string]any{"errors": []map[string]any{{
				"message":    fmt.Sprintf("too many WebSockets open from this address (at most %d); close one or retry later", maxPerAddress),
				"extensions": map[string]any{"code": "RATE_LIMITED", "retryAfter": 5, "requestId": service.RequestID(r.Context())},
			}}})
			return
		}
		open[addr]++
		mu.Unlock()
		defer func() {
			mu.Lock()
			if open[addr]--; open[addr] == 0 {
				delete(open, addr)
			}
			mu.Unlock()
		}()
		next.ServeHTTP(w, r)
	})
}

// limitBody refuses a declared oversized body at once with 413, and caps
// undeclared (chunked) ones so reading stops at the limit.
func limitBody(next http.Handler) http.Handler {
	capped := http.MaxBytesHandler(next, maxBodyBytes)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > maxBodyBytes {
			writeJSON(w, http.StatusRequestEntityTooLarge, map[string]any{"errors": []map[string]any{{
				"message":    fmt.Sprintf("request body larger than %d bytes", maxBodyBytes),
				"extensions": map[string]any{"code": "PAYLOAD_TOO_LARGE", "requestId": service.RequestID(r.Context())},
			}}})
			return
		}
		capped.ServeHTTP(w, r)
	})
}

// clientIP records the peer address for rate limits and the audit log. It
// deliberately ignores X-Forwarded-For: behind a proxy every client would
// share its address, but trusting the header would let any client choose one.
func clientIP(trusted []netip.Prefix, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := clientAddress(r.RemoteAddr, r.Header.Values("X-Forwarded-For"), trusted)
		next.ServeHTTP(w, r.WithContext(service.WithClientIP(r.Context(), host)))
	})
}

// clientAddress is the client's address: the TCP peer's, unless the peer is
// a trusted proxy; then X-Forwarded-For is read from its right end (what the
// trusted proxies appended), skipping trusted addresses, and the first other
// one is the client. Entries left of it were written by the client and could
// say anything, so they are never used. A malformed entry ends the walk at
// the last trusted hop.
func clientAddress(remote string, forwarded []string, trusted []netip.Prefix) string {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	isTrusted := func(s string) bool {
		a, err := netip.ParseAddr(strings.TrimSpace(s))
		if err != nil {
			return false
		}
		a = a.Unmap()
		for _, p := range trusted {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	if len(trusted) == 0 || !isTrusted(host) {
		return host
	}
	var hops []string
	for _, v := range forwarded {
		hops = append(hops, strings.Split(v, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		hop := strings.TrimSpace(hops[i])
		if isTrusted(hop) {
			host = hop
			continue
		}
		if a, err := netip.ParseAddr(hop); err == nil {
			return a.Unmap().String()
		}
		break
	}
	return host
}

// limitAPI applies the per-caller request budget: per user for signed-in
// callers, per address otherwise. A refusal is an immediate 429 with
// Retry-After and a GraphQL-shaped error (extensions.code RATE_LIMITED), not
// a slow response.
func limitAPI(l *ratelimit.Limiter, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A WebSocket handshake carries no token (it comes in connection_init):
		// it is counted per user once the token is read, so that a client with
		// a bad token is told so (4401) instead of 429.
		if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			next.ServeHTTP(w, r)
			return
		}
		key := "ip:" + service.ClientIP(r.Context())
		if p := domain.PrincipalFrom(r.Context()); p != nil {
			key = "user:" + p.UserID
		}
		if ok, wait := l.Allow(key); !ok {
			secs := int(wait.Seconds()) + 1
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			writeJSON(w, http.StatusTooManyRequests, map[string]any{"errors": []map[string]any{{
				"message":    fmt.Sprintf("too many requests; retry in %d seconds", secs),
				"extensions": map[string]any{"code": "RATE_LIMITED", "retryAfter": secs, "requestId": service.RequestID(r.Context())},
			}}})
			return
		}
		next.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// quietRoutes are polled by load balancers and Prometheus every few seconds:
// their access lines are debug, the rest info.
var quietRoutes = map[string]bool{"GET /healthz": true, "GET /readyz": true}

// requestLog gives each request an id (the caller's X-Request-Id if sane, see
// requestID), echoes it in X-Request-Id and puts it in the context (log lines,
// error extensions), and when the request ends writes its one access log
// line and its metrics.
func requestLog(log *slog.Logger, metrics *observe.Metrics, route func(*http.Request) string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := requestID(r.Header.Get("X-Request-Id"))
		w.Header().Set("X-Request-Id", id)
		info := &access{}
		ctx := service.WithRequestID(context.WithValue(r.Context(), accessKey{}, info), id)
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		start := time.Now()
		next.ServeHTTP(sw, r.WithContext(ctx))
		took := time.Since(start)
		rt := route(r)
		path := rt
		if _, p, ok := strings.Cut(rt, " "); ok {
			path = p // the method is a label of its own
		}
		metrics.HTTPRequest(path, r.Method, sw.status, took)
		level := slog.LevelInfo
		if quietRoutes[rt] {
			level = slog.LevelDebug
		}
		op, role := info.get()
		log.LogAttrs(ctx, level, "request", slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.String("operation", op), slog.String("role", role), slog.Int("status", sw.status),
			slog.Duration("took", took), slog.Int64("bytes", sw.bytes))
	})
}
