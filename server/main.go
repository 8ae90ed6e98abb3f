// Command lianqi runs the Lianqi API: GraphQL at /graphql, a playground at
// /playground, health checks at /healthz and /readyz, and with
// --internal-addr Prometheus metrics and pprof on a separate address. Without
// MONGODB_URI it embeds FerretDB in the data directory; in dev mode it seeds
// the demo programme on first start, in production it creates the first
// admin from LIANQI_ADMIN_PASSWORD. Build it with `go build -o lianqi ./server`.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/lianqi/lianqi/auth"
	"github.com/lianqi/lianqi/datalife"
	"github.com/lianqi/lianqi/demo"
	"github.com/lianqi/lianqi/domain"
	"github.com/lianqi/lianqi/embedded"
	"github.com/lianqi/lianqi/graph"
	"github.com/lianqi/lianqi/observe"
	"github.com/lianqi/lianqi/ratelimit"
	"github.com/lianqi/lianqi/service"
	"github.com/lianqi/lianqi/store"
)

// version is the release name, set at link time:
// go build -ldflags "-X main.version=v1.2.3" -o lianqi ./server
var version string

func main() {
	args := os.Args[1:]
	if len(args) > 0 && (args[0] == "--version" || args[0] == "-version") {
		fmt.Print(observe.Build(version))
		return
	}
	// Sub-commands (backup, restore, migrate) run instead of the server.
	if handled, code := datalife.Main(args, os.Getenv, os.Stdout, os.Stderr); handled {
		os.Exit(code)
	}
	cfg, err := ParseConfig(args, os.Getenv)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Println(err)
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "lianqi:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	m := &Main{Config: cfg}
	if err := m.Run(ctx); err != nil {
		m.Log.Error("start failed", "err", err)
		m.Close()
		os.Exit(1)
	}
	<-ctx.Done()
	// From here a second signal ends the process at once, for an operator
	// who does not want to wait for the shutdown timeout.
	stop()
	m.Log.Info("shutting down", "timeout", cfg.ShutdownTimeout.String())
	if err := m.Close(); err != nil {
		m.Log.Error("shutdown", "err", err)
		os.Exit(1)
	}
}

// Main is the whole program, so tests can start it on port 0 and stop it.
type Main struct {
	Config Config
	Log    *slog.Logger // set by Run unless already set

	DB       *store.DB
	Service  *service.Service
	embedded *embedded.Server
	http     *http.Server
	ln       net.Listener
	served   chan error

	// Telemetry: metrics (with --internal-addr), traces (with OTEL_*), and
	// the internal listener serving /metrics and /debug/pprof/.
	observer       *observe.Observer
	tracing        *observe.Tracing
	internal       *http.Server
	internalLn     net.Listener
	internalServed chan error
	// stopWatch ends the background reload of revoked sessions.
	stopWatch context.CancelFunc
}

// Addr is the address the server listens on, once Run has returned.
func (m *Main) Addr() string { return m.ln.Addr().String() }

// Run opens the database, seeds demo data if asked, and starts serving HTTP in
// the background. It returns once the server accepts connections.
func (m *Main) Run(ctx context.Context) error {
	if m.Log == nil { // tests bring their own
		m.Log = newLogger(m.Config)
	}
	m.Log = slog.New(requestIDHandler{m.Log.Handler()})
	build := observe.Build(version)
	m.Log.Info("starting lianqi", "version", build.Version, "revision", build.Revision, "config", m.Config.String())
	// A bad allow-list stops the start before anything is opened.
	manifest, err := graph.LoadManifest(m.Config.PersistedQueries)
	if err != nil {
		return fmt.Errorf("persisted queries: %w", err)
	}
	if manifest != nil {
		m.Log.Info("persisted query allow-list", "file", m.Config.PersistedQueries, "operations", manifest.Len())
	}

	if err := m.startTelemetry(ctx, build); err != nil {
		return err
	}
	uri := m.Config.MongoURI
	if m.Config.Embedded() {
		srv, err := embedded.Start(ctx, embedded.Options{Dir: m.Config.DataDir, Logger: m.Log})
		if err != nil {
			return fmt.Errorf("start embedded database: %w", err)
		}
		m.embedded, uri = srv, srv.URI()
		m.Log.Info("embedded FerretDB started", "dir", m.Config.DataDir, "socket", srv.Socket())
	}
	var dbOpts []store.Option
	if m.observer.Metrics != nil || m.observer.Tracer != nil {
		dbOpts = append(dbOpts, store.WithMonitor(m.observer.CommandMonitor()))
	}
	if m.embedded != nil {
		// The data directory's lock makes this process the database's only writer.
		dbOpts = append(dbOpts, store.SoleWriter())
	}
	db, err := store.Open(ctx, uri, m.Config.DBName, m.Log, dbOpts...)
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	m.DB = db
	if m.Config.SharedLimits {
		if err := db.EnableShared(ctx); err != nil {
			return fmt.Errorf("shared limits: %w", err)
		}
	}
	if m.embedded != nil {
		// The store has created its collections; give their tables the index
		// the embedded engine's _id lookups can use.
		n, err := m.embedded.IndexIDs(ctx, m.Config.DBName)
		if err != nil {
			return fmt.Errorf("index embedded collections: %w", err)
		}
		m.Log.Debug("embedded _id lookup indexes", "tables", n)
	}

	tokens, revocations, err := m.tokens()
	if err != nil {
		return err
	}
	m.Service = service.New(db, tokens, m.Log)
	if m.Config.Deadlines != nil {
		m.Service.Deadlines = m.Config.Deadlines
	}
	m.Service.Revocations = revocations
	m.Service.LoginLimit = ratelimit.New(m.Config.RateLogin, m.Config.RateLogin, nil)
	if l := m.Service.LoginLimit; l != nil {
		l.Refused = func() { m.observer.Refused("login") }
	}
	// shared keeps the API's rate-limit counters in the database (routes).
	var shared ratelimit.Counter
	if m.Config.SharedLimits {
		revocations.Share(db, auth.DefaultRecheck, m.Log)
		m.Service.LoginLimit.Share(db, "login", m.Log)
		shared = db
	}
	if err := m.Service.LoadRevocations(ctx); err != nil {
		return fmt.Errorf("load revoked sessions: %w", err)
	}
	watchCtx, stopWatch := context.WithCancel(context.Background())
	m.stopWatch = stopWatch
	go m.Service.WatchRevocations(watchCtx, 15*time.Second)
	m.startRetention()
	if m.Config.SharedLimits {
		// Other instances' revocations close this one's sockets within 2 s.
		go m.Service.WatchSharedRevocations(watchCtx, 2*time.Second)
	}
	if m.Service.Feed, err = m.liveFeed(ctx, watchCtx); err != nil {
		return err
	}

	if err := m.seed(ctx); err != nil {
		return err
	}

	m.ln, err = net.Listen("tcp", m.Config.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	m.http = &http.Server{
		Handler:           routes(m.Service, tokens, m.Config, m.Log, m.observer, m.tracing, manifest, shared),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(m.Log.Handler(), slog.LevelWarn),
	}
	m.served = make(chan error, 1)
	go func() { m.served <- m.http.Serve(m.ln) }()
	m.Log.Info("listening", "addr", m.Addr(), "graphql", "/graphql", "playground", "/playground")
	return m.serveInternal()
}

// tokens builds the token issuer/verifier from the configuration: EdDSA keys
// kept (and rotated) in the data directory, or the HS256 secret; and the
// external identity provider if one is configured.
func (m *Main) tokens() (*auth.Tokens, *auth.Revocations, error) {
	revocations := auth.NewRevocations(nil)
	cfg := auth.Config{Revoked: revocations.IsRevoked}
	switch m.Config.JWTAlg {
	case "HS256":
		secret := []byte(m.Config.JWTSecret)
		if len(secret) == 0 {
			var err error
			if secret, err = auth.LoadOrCreateSecret(m.Config.DataDir); err != nil {
				return nil, nil, fmt.Errorf("jwt secret: %w", err)
			}
		}
		cfg.Secret = secret
	default:
		keys, err := auth.LoadOrCreateKeys(m.Config.DataDir, time.Now(), m.Config.KeyRotation)
		if err != nil {
			return nil, nil, fmt.Errorf("jwt keys: %w", err)
		}
		cfg.Keys = keys
		// A configured secret keeps HS256 tokens issued before the switch to
		// EdDSA valid until they expire; it no longer signs.
		if m.Config.JWTSecret != "" {
			cfg.Secret = []byte(m.Config.JWTSecret)
		}
	}
	if m.Config.OIDCIssuer != "" {
		cfg.External = &auth.External{Issuer: m.Config.OIDCIssuer, Audience: m.Config.OIDCAudience, JWKSURL: m.Config.OIDCJWKSURL,
			RoleClaim: m.Config.OIDCRoleClaim, OfficialClaim: m.Config.OIDCOfficialClaim, EnterpriseClaim: m.Config.OIDCEnterpriseClaim}
	}
	tokens, err := auth.NewTokens(cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("tokens: %w", err)
	}
	return tokens, revocations, nil
}

// seed gives an empty database its first accounts: the demo programme when
// Config.Demo is set (by --demo, or by default in dev mode on the embedded
// engine), otherwise the first admin from Config.AdminPassword. A database
// with no accounts and neither is refused: nobody could ever sign in, and
// there is no known default password to fall back on.
func (m *Main) seed(ctx context.Context) error {
	n, err := m.DB.CountUsers(ctx)
	if err != nil {
		return fmt.Errorf("count accounts: %w", err)
	}
	switch {
	case n > 0:
		if m.Config.AdminPassword != "" {
			m.Log.Info("accounts exist; the first-admin password is not used", "accounts", n)
		}
		return nil
	case m.Config.Demo:
		seeded, err := demo.Seed(ctx, m.DB, time.Now())
		if err != nil {
			return fmt.Errorf("seed demo data: %w", err)
		}
		if !seeded {
			return nil
		}
		var names []string
		for _, a := range demo.Accounts {
			names = append(names, fmt.Sprintf("%s (%s)", a.Username, a.Role))
		}
		level := slog.LevelInfo
		if !m.Config.Dev {
			level = slog.LevelWarn // a production server with a public password
		}
		m.Log.Log(ctx, level, "seeded demo data", "password", demo.Password, "accounts", strings.Join(names, ", "))
		return nil
	case m.Config.AdminPassword != "":
		return m.createFirstAdmin(ctx)
	default:
		return errors.New("the database has no accounts: set LIANQI_ADMIN_PASSWORD (or --admin-password) to create the first admin, or start with --demo for the demo programme")
	}
}

// createFirstAdmin creates the admin account named by Config.AdminUser with
// Config.AdminPassword, and audits it. The password is never logged.
func (m *Main) createFirstAdmin(ctx context.Context) error {
	hash, err := auth.HashPassword(m.Config.AdminPassword)
	if err != nil {
		return fmt.Errorf("first admin: %w", err)
	}
	u := &domain.User{ID: domain.NewID(), Username: m.Config.AdminUser, DisplayName: m.Config.AdminUser, Role: domain.RoleAdmin, PasswordHash: hash}
	if err := u.Validate(); err != nil {
		return fmt.Errorf("first admin: %w", err)
	}
	if err := m.DB.CreateUser(ctx, u); err != nil {
		return fmt.Errorf("first admin: %w", err)
	}
	ev := &domain.AuditEvent{ID: domain.NewID(), At: time.Now().UTC().Truncate(time.Millisecond), Action: domain.AuditUserCreated,
		SubjectID: u.ID, Detail: "first admin " + u.Username + " created at start-up"}
	if err := m.DB.AppendAudit(ctx, ev); err != nil {
		return fmt.Errorf("first admin: audit: %w", err)
	}
	m.Log.Info("created the first admin account", "username", u.Username)
	return nil
}

// abortGrace is how long Close waits for requests it cancelled (because the
// shutdown timeout passed) to return before closing their connections.
const abortGrace = 2 * time.Second

// Close shuts down in order, so that nothing runs against a closed database:
// it stops accepting connections and tells WebSockets to go (1012, Service
// Restart: clients reconnect and resume from their checkpoints), lets running
// requests finish within the shutdown timeout and then cancels the rest (they
// answer UNAVAILABLE), stops the background watchers, and only then closes the
// database. A shutdown that had to cancel requests is not an error.
func (m *Main) Close() error {
	var errs []error
	if m.stopWatch != nil {
		m.stopWatch()
	}
	if m.http != nil {
		lc, _ := m.http.Handler.(*lifecycle)
		if lc == nil {
			lc = newLifecycle()
		}
		ctx, cancel := context.WithTimeout(context.Background(), m.Config.ShutdownTimeout)
		defer cancel()
		lc.stop()
		err := m.http.Shutdown(ctx)
		if err == nil {
			err = lc.wait(ctx)
		}
		if err != nil {
			m.Log.Warn("shutdown timeout passed: cancelling the requests still running", "running", lc.running.Load(), "timeout", m.Config.ShutdownTimeout.String())
			lc.abort()
			grace, cancel := context.WithTimeout(context.Background(), abortGrace)
			defer cancel()
			if lc.wait(grace) != nil {
				// Closing their connections ends reads that ignore the context.
				_ = m.http.Close()
				grace, cancel := context.WithTimeout(context.Background(), abortGrace)
				defer cancel()
				if lc.wait(grace) != nil {
					m.Log.Warn("requests still running while the database closes", "running", lc.running.Load())
				}
			}
		}
		if err := <-m.served; err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, err)
		}
	}
	if m.internal != nil {
		// Last in line: metrics stay scrapable while the public server drains.
		ctx, cancel := context.WithTimeout(context.Background(), abortGrace)
		defer cancel()
		_ = m.internal.Shutdown(ctx)
		if err := <-m.internalServed; err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, fmt.Errorf("internal listener: %w", err))
		}
	}
	if m.Service != nil {
		// Subscriptions' watchers end with their sockets; wait for them too.
		ctx, cancel := context.WithTimeout(context.Background(), abortGrace)
		defer cancel()
		if err := m.Service.WaitLive(ctx); err != nil {
			m.Log.Warn("subscriptions still running while the database closes", "err", err)
		}
	}
	if m.DB != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := m.DB.Close(ctx); err != nil {
			errs = append(errs, fmt.Errorf("close database: %w", err))
		}
	}
	if m.embedded != nil {
		if err := m.embedded.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close embedded database: %w", err))
		}
	}
	if m.tracing != nil {
		// Sends the spans still batched; a collector that is down must not
		// hold up the stop for long, nor fail it.
		ctx, cancel := context.WithTimeout(context.Background(), abortGrace)
		defer cancel()
		if err := m.tracing.Shutdown(ctx); err != nil {
			m.Log.Warn("traces not sent at shutdown", "err", err)
		}
	}
	if m.Log != nil && len(errs) == 0 {
		m.Log.Info("stopped")
	}
	return errors.Join(errs...)
}

func newLogger(cfg Config) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Dev {
		return slog.New(slog.NewTextHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewJSONHandler(os.Stderr, opts))
}
