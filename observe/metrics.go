// Package observe is Lianqi's operational telemetry: Prometheus metrics,
// OpenTelemetry traces and build information. Other packages do not import
// Prometheus or the OpenTelemetry SDK; they call small hooks (graph.Observer,
// a driver CommandMonitor, func fields) that the server wires to this package.
package observe

import (
	"net/http"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// MaxOperationNames bounds the distinct GraphQL operation names a metric
// keeps as label values. Operation names are chosen by clients: without a
// bound, a client sending a new name with every request would grow the
// series (and the scrape) without limit. Names beyond it count as "other".
const MaxOperationNames = 200

// Label values used when the real value is unknown or folded.
const (
	OtherOperation     = "other"     // past MaxOperationNames, or not a plausible name
	AnonymousOperation = "anonymous" // an operation without a name
	InvalidOperation   = "invalid"   // refused before an operation was chosen (parse, validation)
)

// Metrics holds the server's Prometheus collectors in a registry of its own
// (not the global one, so that several servers in one test process do not
// share counters). A nil *Metrics records nothing, so callers need no checks.
type Metrics struct {
	reg *prometheus.Registry

	httpDuration  *prometheus.HistogramVec
	opDuration    *prometheus.HistogramVec
	opErrors      *prometheus.CounterVec
	fieldDuration *prometheus.HistogramVec
	syncPulls     *prometheus.CounterVec
	syncPulled    *prometheus.CounterVec
	syncPushes    *prometheus.CounterVec
	syncPushed    *prometheus.CounterVec
	syncConflicts *prometheus.CounterVec
	syncRejected  *prometheus.CounterVec
	subscriptions prometheus.Gauge
	dbDuration    *prometheus.HistogramVec
	refusals      *prometheus.CounterVec

	mu    sync.Mutex
	names map[string]bool
}

// Latency buckets: requests on the embedded engine range from a millisecond
// (a lookup by id) to seconds (a statistic over 10,000 problems).
var latencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// dbBuckets are finer: most single commands take well under a millisecond.
var dbBuckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}

// NewMetrics registers Lianqi's metrics, the Go runtime's and the process's,
// and lianqi_build_info for b.
func NewMetrics(b BuildInfo) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), names: map[string]bool{}}
	f := func(c prometheus.Collector) { m.reg.MustRegister(c) }
	f(collectors.NewGoCollector())
	f(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	build := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "lianqi_build_info",
		Help: "Always 1; the labels say which build is running."}, []string{"version", "goversion", "revision"})
	build.WithLabelValues(b.Version, b.GoVersion, b.Revision).Set(1)
	f(build)

	m.httpDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "lianqi_http_request_duration_seconds",
		Help:    "HTTP requests by route (the pattern that matched, or \"other\"), method and status; _count is the number of requests.",
		Buckets: latencyBuckets}, []string{"route", "method", "status"})
	m.opDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "lianqi_graphql_operation_duration_seconds",
		Help:    "GraphQL queries and mutations by operation name and type, from the request's start to the response.",
		Buckets: latencyBuckets}, []string{"operation", "type"})
	m.opErrors = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "lianqi_graphql_errors_total",
		Help: "GraphQL errors by operation name and extensions.code."}, []string{"operation", "code"})
	m.fieldDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "lianqi_graphql_field_duration_seconds",
		Help:    "Resolver time of the expensive fields (listings, statistics, sync pulls, scans), by Type.field.",
		Buckets: latencyBuckets}, []string{"field"})
	m.syncPulls = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "lianqi_sync_pulls_total",
		Help: "Sync pull batches served, by collection."}, []string{"collection"})
	m.syncPulled = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "lianqi_sync_pulled_documents_total",
		Help: "Documents sent in sync pull batches, by collection."}, []string{"collection"})
	m.syncPushes = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "lianqi_sync_pushes_total",
		Help: "Sync push calls answered, by collection."}, []string{"collection"})
	m.syncPushed = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "lianqi_sync_pushed_rows_total",
		Help: "Rows received in sync pushes, by collection."}, []string{"collection"})
	m.syncConflicts = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "lianqi_sync_conflicts_total",
		Help: "Documents sent back to pushers as the server's state, by collection: a stale edit's master, or the tombstone of a refused creation."}, []string{"collection"})
	m.syncRejected = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "lianqi_sync_rejections_total",
		Help: "Pushed rows refused (invalid, forbidden, not allowed by the workflow), by collection."}, []string{"collection"})
	m.subscriptions = prometheus.NewGauge(prometheus.GaugeOpts{Name: "lianqi_subscriptions_open",
		Help: "GraphQL subscriptions running now."})
	m.dbDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "lianqi_db_command_duration_seconds",
		Help:    "Database commands as the driver saw them, by command name and outcome (ok or error).",
		Buckets: dbBuckets}, []string{"command", "outcome"})
	m.refusals = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "lianqi_rate_limit_refusals_total",
		Help: "Requests refused by a limit, by limiter: api, login, expensive, subscriptions, sockets."}, []string{"limiter"})
	for _, c := range []prometheus.Collector{m.httpDuration, m.opDuration, m.opErrors, m.fieldDuration, m.syncPulls, m.syncPulled,
		m.syncPushes, m.syncPushed, m.syncConflicts, m.syncRejected, m.subscriptions, m.dbDuration, m.refusals} {
		f(c)
	}
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// HTTPRequest records one finished HTTP request. route must come from the
// server's own patterns, never from the request's path.
func (m *Metrics) HTTPRequest(route, method string, status int, took time.Duration) {
	if m == nil {
		return
	}
	if route == "" {
		route = "other"
	}
	switch method {
	case http.MethodGet, http.MethodPost, http.MethodOptions, http.MethodHead:
	default:
		method = "other" // the method is the client's choice too
	}
	m.httpDuration.WithLabelValues(route, method, strconv.Itoa(status)).Observe(took.Seconds())
}

// Operation records one GraphQL query or mutation and the codes of its errors.
func (m *Metrics) Operation(name, kind string, took time.Duration, codes []string) {
	if m == nil {
		return
	}
	name = m.operationLabel(name)
	if kind != "" {
		m.opDuration.WithLabelValues(name, kind).Observe(took.Seconds())
	}
	for _, c := range codes {
		m.opErrors.WithLabelValues(name, codeLabel(c)).Inc()
	}
}

// Field records the resolver time of an expensive field.
func (m *Metrics) Field(field string, took time.Duration) {
	if m == nil {
		return
	}
	m.fieldDuration.WithLabelValues(field).Observe(took.Seconds())
}

// SyncPull records one pull batch of n documents.
func (m *Metrics) SyncPull(collection string, n int) {
	if m == nil {
		return
	}
	m.syncPulls.WithLabelValues(collection).Inc()
	m.syncPulled.WithLabelValues(collection).Add(float64(n))
}

// SyncPush records one push of rows, of which conflicts came back as
// conflicts and rejected were refused.
func (m *Metrics) SyncPush(collection string, rows, conflicts, rejected int) {
	if m == nil {
		return
	}
	m.syncPushes.WithLabelValues(collection).Inc()
	m.syncPushed.WithLabelValues(collection).Add(float64(rows))
	m.syncConflicts.WithLabelValues(collection).Add(float64(conflicts))
	m.syncRejected.WithLabelValues(collection).Add(float64(rejected))
}

// Subscriptions moves the open-subscriptions gauge by delta.
func (m *Metrics) Subscriptions(delta int) {
	if m == nil {
		return
	}
	m.subscriptions.Add(float64(delta))
}

// Command records one database command.
func (m *Metrics) Command(name string, took time.Duration, failed bool) {
	if m == nil {
		return
	}
	outcome := "ok"
	if failed {
		outcome = "error"
	}
	m.dbDuration.WithLabelValues(name, outcome).Observe(took.Seconds())
}

// Refused counts one refusal by the named limiter.
func (m *Metrics) Refused(limiter string) {
	if m == nil {
		return
	}
	m.refusals.WithLabelValues(limiter).Inc()
}

// nameRe is what a GraphQL name may be, bounded in length for a label.
var nameRe = regexp.MustCompile(`^[_A-Za-z][_0-9A-Za-z]{0,63}$`)

// operationLabel bounds the operation names used as label values: the first
// MaxOperationNames distinct plausible names keep their own series, later
// ones count as "other".
func (m *Metrics) operationLabel(name string) string {
	switch name {
	case "", AnonymousOperation:
		return AnonymousOperation
	case InvalidOperation, OtherOperation:
		return name
	}
	if !nameRe.MatchString(name) {
		return OtherOperation
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.names[name] {
		return name
	}
	if len(m.names) >= MaxOperationNames {
		return OtherOperation
	}
	m.names[name] = true
	return name
}

// codeRe bounds error codes used as labels; the server's codes are upper
// snake case (extensions.code), anything else is folded.
var codeRe = regexp.MustCompile(`^[A-Z][A-Z0-9_]{0,47}$`)

func codeLabel(code string) string {
	if code == "" {
		return "NONE"
	}
	if !codeRe.MatchString(code) {
		return "OTHER"
	}
	return code
}
