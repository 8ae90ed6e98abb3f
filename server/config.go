package main

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/lianqi/lianqi/domain"
)

// Config is the server configuration, from command-line flags, environment
// variables and defaults, in that order of precedence. Each field's flag,
// environment variable, default and usage are in one row of
// (*Config).settings, the only place a setting is declared.
type Config struct {
	Addr          string
	DataDir       string
	MongoURI      string // "" runs the embedded FerretDB
	DBName        string
	JWTSecret     string // "" generates one, kept in the data dir
	Demo          bool
	AdminUser     string
	AdminPassword string // never logged
	CORSOrigins   []string
	// TrustedProxies are the load balancers whose X-Forwarded-For names the
	// client (see clientAddress); none: the TCP peer is the client.
	TrustedProxies  []netip.Prefix
	Dev             bool
	LogLevel        string
	ShutdownTimeout time.Duration
	// Deadlines per escalation level; nil keeps domain.DefaultDeadlines.
	Deadlines map[domain.Level]domain.Deadlines

	JWTAlg      string
	KeyRotation time.Duration
	// External identity provider; all three of issuer, audience and JWKS URL or none.
	OIDCIssuer          string
	OIDCAudience        string
	OIDCJWKSURL         string
	OIDCRoleClaim       string
	OIDCOfficialClaim   string
	OIDCEnterpriseClaim string

	Introspection string
	MaxDepth      int
	MaxCost       int
	RateAPI       int
	RateLogin     int
	// Expensive resolvers (listings, statistics, rankings, sync pulls) running at once.
	MaxExpensive        int
	MaxExpensivePerUser int
	ExpensiveWait       time.Duration
	// Live subscriptions: a socket's and a user's (over all their sockets).
	MaxSubsPerSocket     int
	MaxSubsPerUser       int
	MaxSocketsPerAddress int
	// PersistedQueries names an allow-list manifest; "" runs any operation.
	PersistedQueries string
	// InternalAddr serves /metrics and /debug/pprof/; "" is off, and it is
	// never the public listener.
	InternalAddr string

	// Retention (store.RetentionPolicy): how long each kind of record is
	// kept, 0 = forever; a periodic job prunes, one process at a time.
	RetainTombstones  time.Duration
	RetainReceipts    time.Duration
	RetainConflicts   time.Duration
	RetainHeld        time.Duration
	RetainAudit       time.Duration
	RetentionInterval time.Duration

	// Several instances on one MongoDB (docs/deploy.md): how live
	// subscriptions learn of other instances' writes ("" = auto), and whether
	// rate limits and revocations are stored for every instance.
	LiveFeed     string
	SharedLimits bool

	// Telemetry follows the standard OpenTelemetry variables only, not the
	// table (see parseOTel): they are the names every operator already uses.
	Telemetry
}

// Telemetry is what the OTEL_* variables decide. Tracing is on when
// OTEL_TRACES_EXPORTER=otlp or an OTLP endpoint is set, off with
// OTEL_TRACES_EXPORTER=none or OTEL_SDK_DISABLED=true. OTLPEndpoint is
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as given, or OTEL_EXPORTER_OTLP_ENDPOINT
// + "/v1/traces"; "" is the SDK's default.
type Telemetry struct {
	Tracing      bool
	OTLPEndpoint string
}

// MinJWTSecretLen is the minimum length in bytes of a configured JWT secret.
const MinJWTSecretLen = 32

// maskedPassword replaces passwords in String.
const maskedPassword = "xxxxx"

// setting is one configuration setting: its flag, its environment variable,
// its default, its usage and the Config field it fills.
//
// Why a table and not a tag library such as caarlos0/env: those read only
// the environment, so flags would still be declared a second time, and their
// errors do not name where a bad value came from (--flag, VARIABLE or
// default), which ours do. A table of plain rows keeps flag > env > default,
// generates the usage and the start-up log line, and needs no dependency.
type setting struct {
	flag, env string
	// def is the default as it would be written on the command line, parsed
	// by value.Set; "" leaves the zero value (or a default computed from
	// other settings, which usage then describes).
	def   string
	usage string
	value value
	// show renders the final value for the start-up log (masking secrets,
	// formatting values parsed after the flags); nil uses value.String.
	show func() string
}

// value is a flag.Value bound to a Config field (or to a raw string parsed
// after all settings are read) that can name its type for the usage.
type value interface {
	flag.Value
	typeName() string
}

type stringValue struct{ p *string }

func (v stringValue) Set(s string) error { *v.p = s; return nil }
func (v stringValue) String() string     { return deref(v.p) }
func (stringValue) typeName() string     { return "string" }

type boolValue struct{ p *bool }

func (v boolValue) Set(s string) error {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return fmt.Errorf("invalid boolean %q", s)
	}
	*v.p = b
	return nil
}
func (v boolValue) String() string { return strconv.FormatBool(deref(v.p)) }
func (boolValue) typeName() string { return "" }

// IsBoolFlag lets a bare --flag mean --flag=true.
func (boolValue) IsBoolFlag() bool { return true }

type intValue struct{ p *int }

func (v intValue) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil {
		return fmt.Errorf("invalid integer %q", s)
	}
	*v.p = n
	return nil
}
func (v intValue) String() string { return strconv.Itoa(deref(v.p)) }
func (intValue) typeName() string { return "int" }

type durationValue struct{ p *time.Duration }

func (v durationValue) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("invalid duration %q (e.g. 10s, 1m30s)", s)
	}
	*v.p = d
	return nil
}
func (v durationValue) String() string { return deref(v.p).String() }
func (durationValue) typeName() string { return "duration" }

// deref tolerates the nil pointer of the zero value that package flag
// creates to compare defaults.
func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// rawSettings holds the settings whose text is parsed after all flags and
// variables are read, so that their errors name the flag or variable.
type rawSettings struct{ cors, deadlines, proxies string }

// settings is the table of every setting, bound to the fields of c and raw.
// Flag and environment names and defaults are contracts with operators:
// never rename one.
func (c *Config) settings(raw *rawSettings) []setting {
	str := func(p *string) value { return stringValue{p} }
	boolean := func(p *bool) value { return boolValue{p} }
	integer := func(p *int) value { return intValue{p} }
	duration := func(p *time.Duration) value { return durationValue{p} }
	return []setting{
		{flag: "addr", env: "LISTEN_ADDR", value: str(&c.Addr),
			usage: "HTTP listen address (default 127.0.0.1:8080 with --dev, :8080 without)"},
		{flag: "data-dir", env: "DATA_DIR", def: "./data", value: str(&c.DataDir),
			usage: "data directory (embedded database, generated JWT secret)"},
		{flag: "mongodb-uri", env: "MONGODB_URI", value: str(&c.MongoURI),
			usage: "MongoDB URI; empty runs an embedded FerretDB in the data directory",
			show: func() string {
				if c.Embedded() {
					return "(embedded)"
				}
				return maskURI(c.MongoURI)
			}},
		{flag: "db", env: "MONGODB_DB", def: "lianqi", value: str(&c.DBName),
			usage: "database name"},
		{flag: "jwt-secret", env: "JWT_SECRET", value: str(&c.JWTSecret),
			usage: fmt.Sprintf("JWT signing secret, at least %d bytes; empty generates one once and keeps it in the data directory", MinJWTSecretLen),
			show:  func() string { return setOr(c.JWTSecret, "(generated)") }},
		{flag: "demo", env: "LIANQI_DEMO", value: boolean(&c.Demo),
			usage: "seed the demo programme (accounts with the public password demo1234) into an empty database (default true with --dev on the embedded engine unless --admin-password is given)"},
		{flag: "admin-user", env: "LIANQI_ADMIN_USER", def: "admin", value: str(&c.AdminUser),
			usage: "username of the first admin, created with --admin-password"},
		{flag: "admin-password", env: "LIANQI_ADMIN_PASSWORD", value: str(&c.AdminPassword),
			usage: "create the first admin with this password when the database has no accounts (prefer the environment variable: flags are visible to other local users)",
			show:  func() string { return setOr(c.AdminPassword, "(none)") }},
		{flag: "trusted-proxies", env: "TRUSTED_PROXIES", value: str(&raw.proxies),
			usage: "comma-separated addresses or CIDR ranges of load balancers whose X-Forwarded-For header names the client (rate limits, socket caps and logs then count the client, not the balancer); none trusts no header",
			show: func() string {
				if len(c.TrustedProxies) == 0 {
					return "(none)"
				}
				out := make([]string, len(c.TrustedProxies))
				for i, p := range c.TrustedProxies {
					out[i] = p.String()
				}
				return strings.Join(out, ",")
			}},
		{flag: "cors-origins", env: "CORS_ORIGINS", value: str(&raw.cors),
			usage: "comma-separated allowed CORS origins, scheme://host[:port]",
			show: func() string {
				if len(c.CORSOrigins) == 0 {
					return "(none)"
				}
				return strings.Join(c.CORSOrigins, ",")
			}},
		{flag: "dev", env: "LIANQI_DEV", def: "true", value: boolean(&c.Dev),
			usage: "development mode: text logs, GraphQL playground and introspection; false is production (JSON logs)"},
		{flag: "log-level", env: "LOG_LEVEL", def: "info", value: str(&c.LogLevel),
			usage: "log level: debug, info, warn or error"},
		{flag: "deadlines", env: "DEADLINES", value: str(&raw.deadlines),
			usage: "response/resolution deadlines per escalation level, e.g. L1=24h/72h,L3=72h/720h; unnamed levels keep the defaults (" + formatDeadlines(domain.DefaultDeadlines) + ")",
			show:  func() string { return formatDeadlines(c.Deadlines) }},
		{flag: "shutdown-timeout", env: "SHUTDOWN_TIMEOUT", def: "10s", value: duration(&c.ShutdownTimeout),
			usage: "how long to wait for requests to finish on shutdown"},

		{flag: "jwt-alg", env: "JWT_ALG", def: "EdDSA", value: str(&c.JWTAlg),
			usage: "access token signature: EdDSA (Ed25519 keys kept in the data directory, published at /.well-known/jwks.json) or HS256 (the JWT secret)"},
		{flag: "jwt-key-rotation", env: "JWT_KEY_ROTATION", def: "720h", value: duration(&c.KeyRotation),
			usage: "start signing with a new Ed25519 key on the first start after the newest is this old; 0 never rotates"},
		{flag: "oidc-issuer", env: "OIDC_ISSUER", value: str(&c.OIDCIssuer),
			usage: "issuer (iss) of an external identity provider whose tokens are accepted"},
		{flag: "oidc-audience", env: "OIDC_AUDIENCE", value: str(&c.OIDCAudience),
			usage: "audience (aud) the external provider's tokens must name"},
		{flag: "oidc-jwks-url", env: "OIDC_JWKS_URL", value: str(&c.OIDCJWKSURL),
			usage: "URL of the external provider's JWKS"},
		// The claims' defaults are applied where tokens are read, so an
		// unset claim stays "" here (as before the table).
		{flag: "oidc-role-claim", env: "OIDC_ROLE_CLAIM", value: str(&c.OIDCRoleClaim),
			usage: "claim holding the caller's role (default roles)"},
		{flag: "oidc-official-claim", env: "OIDC_OFFICIAL_CLAIM", value: str(&c.OIDCOfficialClaim),
			usage: "claim holding an OFFICIAL's official id (default official_id)"},
		{flag: "oidc-enterprise-claim", env: "OIDC_ENTERPRISE_CLAIM", value: str(&c.OIDCEnterpriseClaim),
			usage: "claim holding an ENTERPRISE caller's enterprise id (default enterprise_id)"},
		{flag: "introspection", env: "INTROSPECTION", value: str(&c.Introspection),
			usage: "who may introspect the schema and use the playground: all, admin or off (default all with --dev, admin otherwise)"},
		{flag: "max-depth", env: "MAX_QUERY_DEPTH", def: "12", value: integer(&c.MaxDepth),
			usage: "maximum query depth"},
		{flag: "max-complexity", env: "MAX_QUERY_COMPLEXITY", def: "5000", value: integer(&c.MaxCost),
			usage: "maximum query complexity (each field costs 1, multiplied by the page sizes above it)"},
		{flag: "rate-api", env: "RATE_API", def: "600", value: integer(&c.RateAPI),
			usage: "GraphQL requests per minute per user, or per IP address for anonymous callers; 0 disables"},
		{flag: "rate-login", env: "RATE_LOGIN", def: "10", value: integer(&c.RateLogin),
			usage: "login attempts per minute per IP address and per username; 0 disables"},
		{flag: "max-expensive", env: "MAX_EXPENSIVE", def: "4", value: integer(&c.MaxExpensive),
			usage: "expensive resolvers (listings, statistics, rankings, sync pulls) running at once; on the embedded engine each decodes a whole collection in memory"},
		{flag: "max-expensive-per-user", env: "MAX_EXPENSIVE_PER_USER", def: "2", value: integer(&c.MaxExpensivePerUser),
			usage: "expensive resolvers running at once for one user (or one address, anonymously)"},
		{flag: "expensive-wait", env: "EXPENSIVE_WAIT", def: "3s", value: duration(&c.ExpensiveWait),
			usage: "how long an expensive resolver waits for a slot before it is refused with RATE_LIMITED"},
		{flag: "max-subscriptions-per-socket", env: "MAX_SUBSCRIPTIONS_PER_SOCKET", def: "25", value: integer(&c.MaxSubsPerSocket),
			usage: "live subscriptions one WebSocket may hold"},
		{flag: "max-subscriptions-per-user", env: "MAX_SUBSCRIPTIONS_PER_USER", def: "100", value: integer(&c.MaxSubsPerUser),
			usage: "live subscriptions one user may hold over all their WebSockets"},
		// A socket waiting for connection_init has no user to charge yet,
		// so sockets are bounded per address, signed in or not.
		{flag: "max-sockets-per-address", env: "MAX_SOCKETS_PER_ADDRESS", def: "256", value: integer(&c.MaxSocketsPerAddress),
			usage: "WebSockets open at once from one client address (phones behind one NAT share it)"},
		{flag: "persisted-queries", env: "PERSISTED_QUERIES", value: str(&c.PersistedQueries),
			usage: "file of an Apollo persisted query manifest (generate-persisted-query-manifest); when set, callers other than admins run only its operations"},
		{flag: "internal-addr", env: "INTERNAL_ADDR", value: str(&c.InternalAddr),
			usage: "internal listen address for /metrics (Prometheus) and /debug/pprof/; empty = off. Keep it off the public network: pprof shows the server's internals"},
		{flag: "retain-tombstones", env: "RETAIN_TOMBSTONES", def: "4320h", value: duration(&c.RetainTombstones),
			usage: "keep the sync change log and deleted documents this long; a phone whose checkpoint is older must pull from scratch (CHECKPOINT_EXPIRED); 0 keeps them forever"},
		{flag: "retain-receipts", env: "RETAIN_RECEIPTS", def: "720h", value: duration(&c.RetainReceipts),
			usage: "keep finished push receipts (what makes a retried row apply once) this long; 0 keeps them forever"},
		{flag: "retain-conflicts", env: "RETAIN_CONFLICTS", def: "8760h", value: duration(&c.RetainConflicts),
			usage: "keep sync conflict records this long (PENDING ones stay while their row is held); 0 keeps them forever"},
		{flag: "retain-held", env: "RETAIN_HELD", def: "8760h", value: duration(&c.RetainHeld),
			usage: "keep pushed rows waiting for a problem that never came this long, then refuse them (their content stays in a REJECTED record); 0 keeps them forever"},
		{flag: "retain-audit", env: "RETAIN_AUDIT", def: "17520h", value: duration(&c.RetainAudit),
			usage: "keep audit events this long; 0 keeps them forever"},
		{flag: "retention-interval", env: "RETENTION_INTERVAL", def: "24h", value: duration(&c.RetentionInterval),
			usage: "how often the retention job prunes (one server process at a time); 0 never prunes"},
		{flag: "live-feed", env: "LIVE_FEED", value: str(&c.LiveFeed),
			usage: "how live subscriptions learn of other instances' writes: auto (change streams on a replica set or sharded cluster, else the watermark poll), poll, or stream (refuses to start without change streams)",
			show:  func() string { return cmp.Or(c.LiveFeed, "auto") }},
		{flag: "shared-limits", env: "SHARED_LIMITS", value: boolean(&c.SharedLimits),
			usage: "store rate-limit counters and revoked sessions in the database so they hold across instances (default true with a MongoDB URI, false on the embedded engine)"},
	}
}

// setOr renders a secret as "(set)", or absent when it is empty.
func setOr(secret, absent string) string {
	if secret != "" {
		return "(set)"
	}
	return absent
}

// helpError is returned by ParseConfig for -h/--help: its message is the
// usage text and it wraps flag.ErrHelp.
type helpError struct{ usage string }

func (e *helpError) Error() string { return e.usage }
func (e *helpError) Unwrap() error { return flag.ErrHelp }

// usage renders the help text from the settings table.
func usage(settings []setting) string {
	var b strings.Builder
	b.WriteString("Usage: lianqi [flags]\n       lianqi --version\n\nFlags (each overrides its environment variable):\n")
	for _, s := range settings {
		fmt.Fprintf(&b, "  -%s", s.flag)
		if t := s.value.typeName(); t != "" {
			fmt.Fprintf(&b, " %s", t)
		}
		fmt.Fprintf(&b, "\n    \t%s (env %s)", s.usage, s.env)
		if s.def != "" {
			fmt.Fprintf(&b, " (default %s)", s.def)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// ParseConfig parses args (without the program name), falling back to the
// environment (through getenv; nil means os.Getenv) for flags not given, then
// to defaults. An environment variable set to the empty string counts as
// unset. For -h/--help it returns an error wrapping flag.ErrHelp whose message
// is the usage text.
func ParseConfig(args []string, getenv func(string) string) (Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}

	var c Config
	var raw rawSettings
	settings := c.settings(&raw)
	fs := flag.NewFlagSet("lianqi", flag.ContinueOnError)
	fs.Usage = func() {} // the help text comes from usage(settings)
	fs.SetOutput(discard{})
	for _, s := range settings {
		if s.def != "" {
			if err := s.value.Set(s.def); err != nil {
				panic(fmt.Sprintf("setting %s: bad default: %v", s.flag, err))
			}
		}
		fs.Var(s.value, s.flag, s.usage)
	}

	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return Config{}, &helpError{usage: usage(settings)}
		}
		return Config{}, fmt.Errorf("%w (see --help)", err)
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected argument %q (see --help)", fs.Arg(0))
	}

	// source names where each value came from, for error messages.
	source := make(map[string]string, len(settings))
	fs.Visit(func(f *flag.Flag) { source[f.Name] = "--" + f.Name })
	var errs []error
	for _, s := range settings {
		if _, ok := source[s.flag]; ok {
			continue
		}
		v := getenv(s.env)
		if v == "" {
			source[s.flag] = "default"
			continue
		}
		source[s.flag] = s.env
		if err := s.value.Set(v); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", s.env, err))
		}
	}
	var err error
	if c.Tracing, c.OTLPEndpoint, err = parseOTel(getenv); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return Config{}, errors.Join(errs...)
	}

	// Defaults that depend on other settings. Development listens on
	// loopback only: it has a playground, introspection for all and demo
	// accounts with a public password.
	if source["addr"] == "default" {
		c.Addr = ":8080"
		if c.Dev {
			c.Addr = "127.0.0.1:8080"
		}
	}
	// Demo data never comes unasked to a production server, nor to a
	// MongoDB named by URI, nor when the first admin is configured.
	if source["demo"] == "default" {
		c.Demo = c.Dev && c.Embedded() && c.AdminPassword == ""
	}
	// One process owns the embedded engine: nothing to share, and its
	// counter upserts are only isolated within a process.
	if source["shared-limits"] == "default" {
		c.SharedLimits = !c.Embedded()
	}
	if c.Demo && c.AdminPassword != "" {
		errs = append(errs, fmt.Errorf("%s and %s exclude each other: the demo programme has its own admin account", source["demo"], source["admin-password"]))
	}

	// Validation errors name where the bad value came from.
	from := func(flagName string, err error) error {
		if src := source[flagName]; src != "default" {
			return fmt.Errorf("%s: %w", src, err)
		}
		return err
	}
	origins, err := parseCORSOrigins(raw.cors)
	if err != nil {
		errs = append(errs, from("cors-origins", err))
	}
	c.CORSOrigins = origins
	if c.TrustedProxies, err = parseProxies(raw.proxies); err != nil {
		errs = append(errs, from("trusted-proxies", err))
	}
	if c.Deadlines, err = parseDeadlines(raw.deadlines); err != nil {
		errs = append(errs, from("deadlines", err))
	}
	for _, fe := range c.validate() {
		errs = append(errs, from(fe.flag, fe.err))
	}
	if len(errs) > 0 {
		return Config{}, errors.Join(errs...)
	}
	return c, nil
}

// discard swallows package flag's own messages: ParseConfig returns them.
type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// fieldError is a validation error for the setting with the given flag name.
type fieldError struct {
	flag string
	err  error
}

// validate checks the values of c and normalizes the log level to lower case.
func (c *Config) validate() []fieldError {
	var errs []fieldError
	add := func(flag, format string, args ...any) {
		errs = append(errs, fieldError{flag: flag, err: fmt.Errorf(format, args...)})
	}

	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		add("addr", "invalid listen address %q: want [host]:port", c.Addr)
	}
	if c.DataDir == "" {
		add("data-dir", "data directory must not be empty")
	}
	switch c.LiveFeed {
	case "", "auto", "poll", "stream":
	default:
		add("live-feed", "invalid live feed %q: want auto, poll or stream", c.LiveFeed)
	}
	if c.MongoURI != "" && !strings.HasPrefix(c.MongoURI, "mongodb://") && !strings.HasPrefix(c.MongoURI, "mongodb+srv://") {
		add("mongodb-uri", "MongoDB URI must start with mongodb:// or mongodb+srv://")
	}
	if err := validateDBName(c.DBName, c.Embedded()); err != nil {
		add("db", "%w", err)
	}
	if err := validateAdminUser(c.AdminUser); err != nil {
		add("admin-user", "%w", err)
	}
	if c.AdminPassword != "" {
		// The message must not echo the password.
		if err := domain.CheckPassword(c.AdminPassword); err != nil {
			add("admin-password", "first admin's password: %w", err)
		}
	}
	if c.JWTSecret != "" && len(c.JWTSecret) < MinJWTSecretLen {
		add("jwt-secret", "JWT secret is %d bytes, want at least %d (or none, to generate one)", len(c.JWTSecret), MinJWTSecretLen)
	}

	switch lvl := strings.ToLower(c.LogLevel); lvl {
	case "debug", "info", "warn", "error":
		c.LogLevel = lvl
	default:
		add("log-level", "invalid log level %q: want debug, info, warn or error", c.LogLevel)
	}
	if c.ShutdownTimeout <= 0 {
		add("shutdown-timeout", "shutdown timeout must be positive, got %v", c.ShutdownTimeout)
	}
	switch c.JWTAlg {
	case "EdDSA", "HS256":
	default:
		add("jwt-alg", "invalid JWT algorithm %q: want EdDSA or HS256", c.JWTAlg)
	}
	if c.KeyRotation < 0 {
		add("jwt-key-rotation", "key rotation period must not be negative, got %v", c.KeyRotation)
	}
	if n := countSet(c.OIDCIssuer, c.OIDCAudience, c.OIDCJWKSURL); n != 0 && n != 3 {
		add("oidc-issuer", "an external identity provider needs all of --oidc-issuer, --oidc-audience and --oidc-jwks-url")
	}
	if c.OIDCJWKSURL != "" {
		if u, err := url.Parse(c.OIDCJWKSURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			add("oidc-jwks-url", "invalid JWKS URL %q", c.OIDCJWKSURL)
		}
	}
	if c.Introspection == "" {
		c.Introspection = "admin"
		if c.Dev {
			c.Introspection = "all"
		}
	}
	switch c.Introspection {
	case "all", "admin", "off":
	default:
		add("introspection", "invalid introspection policy %q: want all, admin or off", c.Introspection)
	}
	if c.MaxDepth < 2 {
		add("max-depth", "maximum query depth must be at least 2, got %d", c.MaxDepth)
	}
	if c.MaxCost < 10 {
		add("max-complexity", "maximum query complexity must be at least 10, got %d", c.MaxCost)
	}
	if c.RateAPI < 0 || c.RateLogin < 0 {
		add("rate-api", "rate limits must not be negative")
	}
	if c.MaxExpensive < 1 || c.MaxExpensivePerUser < 1 {
		add("max-expensive", "expensive work must be allowed at least once at a time, overall and per user")
	}
	if c.ExpensiveWait <= 0 {
		add("expensive-wait", "the wait for expensive work must be positive, got %v", c.ExpensiveWait)
	}
	if c.MaxSubsPerSocket < 1 {
		add("max-subscriptions-per-socket", "maximum subscriptions per socket must be at least 1, got %d", c.MaxSubsPerSocket)
	}
	if c.MaxSocketsPerAddress < 1 {
		add("max-sockets-per-address", "maximum WebSockets per address must be at least 1, got %d", c.MaxSocketsPerAddress)
	}
	if c.InternalAddr != "" {
		if _, _, err := net.SplitHostPort(c.InternalAddr); err != nil {
			add("internal-addr", "invalid internal address %q: want [host]:port", c.InternalAddr)
		} else if c.InternalAddr == c.Addr {
			add("internal-addr", "the internal address must differ from the public one (%s): metrics and pprof are not public", c.Addr)
		}
	}
	for _, r := range []struct {
		flag string
		d    time.Duration
	}{{"retain-tombstones", c.RetainTombstones}, {"retain-receipts", c.RetainReceipts}, {"retain-conflicts", c.RetainConflicts},
		{"retain-held", c.RetainHeld}, {"retain-audit", c.RetainAudit}, {"retention-interval", c.RetentionInterval}} {
		if r.d != 0 && r.d < time.Hour {
			add(r.flag, "%s must be 0 (never) or at least 1h, got %v", r.flag, r.d)
		}
	}
	if c.MaxSubsPerUser < c.MaxSubsPerSocket {
		add("max-subscriptions-per-user", "maximum subscriptions per user (%d) must be at least the maximum per socket (%d)", c.MaxSubsPerUser, c.MaxSubsPerSocket)
	}
	return errs
}

// validateAdminUser checks the first admin's username as the account would
// be checked when created.
func validateAdminUser(name string) error {
	u := domain.User{Username: name, DisplayName: name, Role: domain.RoleAdmin, PasswordHash: "-"}
	if err := u.Validate(); err != nil {
		return fmt.Errorf("first admin's username: %w", err)
	}
	if u.Username != name {
		return fmt.Errorf("first admin's username %q: use lower case without spaces", name)
	}
	return nil
}

func countSet(vs ...string) int {
	n := 0
	for _, v := range vs {
		if v != "" {
			n++
		}
	}
	return n
}

// ferretDBNameRe is what FerretDB's SQLite backend accepts as a database name.
var ferretDBNameRe = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,63}$`)

// validateDBName checks name against MongoDB's rules (and FerretDB's
// stricter ones when embedded).
func validateDBName(name string, embedded bool) error {
	if name == "" {
		return errors.New("database name must not be empty")
	}
	if i := strings.IndexAny(name, "/\\. \"$\x00"); i >= 0 {
		return fmt.Errorf("database name %q contains %q, which MongoDB does not allow (none of / \\ . space \" $ NUL)", name, name[i:i+1])
	}
	if len(name) >= 64 {
		return fmt.Errorf("database name is %d bytes, MongoDB allows at most 63", len(name))
	}
	if embedded && !ferretDBNameRe.MatchString(name) {
		return fmt.Errorf("database name %q: the embedded database allows only letters, digits, _ and -", name)
	}
	return nil
}

// parseCORSOrigins splits a comma-separated list of origins, trimming spaces
// and dropping empty items, and checks that each is scheme://host[:port] with
// scheme http or https. Origins are returned lowercased (as browsers send
// them), without duplicates.
func parseCORSOrigins(s string) ([]string, error) {
	var origins []string
	seen := make(map[string]bool)
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		o, err := parseOrigin(item)
		if err != nil {
			return nil, err
		}
		if !seen[o] {
			seen[o] = true
			origins = append(origins, o)
		}
	}
	return origins, nil
}

// hostRe matches a DNS name or IPv4 address (IPv6 is checked separately).
var hostRe = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$`)

func parseOrigin(s string) (string, error) {
	bad := func(why string) error {
		return fmt.Errorf("invalid CORS origin %q: %s; want scheme://host[:port] with scheme http or https", s, why)
	}
	if s == "*" {
		return "", bad("wildcard is not allowed, list the origins")
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", bad("not a URL")
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return "", bad("scheme must be http or https")
	case u.Opaque != "" || u.Host == "":
		return "", bad("no host")
	case u.User != nil:
		return "", bad("user info is not allowed")
	case u.Path != "" || u.RawPath != "":
		return "", bad("no path allowed, not even /")
	case u.RawQuery != "" || u.ForceQuery:
		return "", bad("no query allowed")
	case u.Fragment != "" || strings.Contains(s, "#"):
		return "", bad("no fragment allowed")
	}
	host := strings.ToLower(u.Hostname())
	if strings.HasPrefix(u.Host, "[") {
		if ip := net.ParseIP(host); ip == nil || ip.To4() != nil {
			return "", bad("invalid IPv6 address")
		}
	} else if !hostRe.MatchString(host) {
		return "", bad("invalid host name")
	}
	if strings.HasSuffix(u.Host, ":") {
		return "", bad("empty port")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return "", bad("invalid port")
		}
	}
	return u.Scheme + "://" + strings.ToLower(u.Host), nil
}

// Embedded reports whether the embedded FerretDB is used (MongoURI == "").
func (c Config) Embedded() bool {
	return c.MongoURI == ""
}

// String renders c on one line for the start-up log, one key per setting
// (its flag name with underscores), with secrets masked: the JWT secret as
// "(set)" or "(generated)", the first admin's password as "(set)" or
// "(none)", and the password in the MongoDB URI (and secret-bearing URI
// options) as "xxxxx".
func (c Config) String() string {
	var b strings.Builder
	for _, s := range c.settings(&rawSettings{}) {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strings.ReplaceAll(s.flag, "-", "_"))
		b.WriteByte('=')
		v := s.value.String()
		if s.show != nil {
			v = s.show()
		}
		if v == "" || strings.ContainsAny(v, " \t\r\n\"\\") {
			v = strconv.Quote(v)
		}
		b.WriteString(v)
	}
	tracing := "off"
	if c.Tracing {
		tracing = cmp.Or(maskURI(c.OTLPEndpoint), "(OTLP default)")
	}
	b.WriteString(" tracing=" + strconv.Quote(tracing))
	return b.String()
}

// maskURI replaces the password in a MongoDB URI with "xxxxx", keeping the
// user name, and masks the values of options that carry secrets. It uses
// net/url, falling back to splitting by hand for valid MongoDB URIs that
// net/url rejects (several hosts with a port on the first but not the last,
// IPv6 host lists, percent-encoded socket paths).
func maskURI(s string) string {
	if u, err := url.Parse(s); err == nil {
		masked := false
		if u.User != nil {
			if _, ok := u.User.Password(); ok {
				u.User = url.UserPassword(u.User.Username(), maskedPassword)
				masked = true
			}
		}
		if q := maskQuery(u.RawQuery); q != u.RawQuery {
			u.RawQuery = q
			masked = true
		}
		if !masked {
			return s // as given, not re-encoded
		}
		return u.String()
	}

	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return "(unparsable URI hidden)"
	}
	end := strings.IndexAny(rest, "/?")
	if end < 0 {
		end = len(rest)
	}
	authority, tail := rest[:end], rest[end:]
	if at := strings.LastIndex(authority, "@"); at >= 0 {
		if user, _, hasPass := strings.Cut(authority[:at], ":"); hasPass {
			authority = user + ":" + maskedPassword + authority[at:]
		}
	}
	if path, query, ok := strings.Cut(tail, "?"); ok {
		tail = path + "?" + maskQuery(query)
	}
	return scheme + "://" + authority + tail
}

// maskQuery masks the values of URI options that carry secrets
// (tlsCertificateKeyFilePassword, authMechanismProperties with e.g.
// AWS_SESSION_TOKEN), keeping the order of options.
func maskQuery(q string) string {
	if q == "" {
		return q
	}
	parts := strings.Split(q, "&")
	for i, p := range parts {
		k, _, ok := strings.Cut(p, "=")
		lk := strings.ToLower(k)
		if ok && (strings.Contains(lk, "password") || lk == "authmechanismproperties") {
			parts[i] = k + "=" + maskedPassword
		}
	}
	return strings.Join(parts, "&")
}

// parseOTel reads the standard OpenTelemetry variables that decide whether
// traces are sent and where. Only the OTLP/HTTP exporter is built in.
func parseOTel(getenv func(string) string) (on bool, endpoint string, err error) {
	if v := getenv("OTEL_SDK_DISABLED"); v != "" {
		if off, perr := strconv.ParseBool(v); perr != nil {
			return false, "", fmt.Errorf("OTEL_SDK_DISABLED: invalid boolean %q", v)
		} else if off {
			return false, "", nil
		}
	}
	endpoint = getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
	if base := getenv("OTEL_EXPORTER_OTLP_ENDPOINT"); endpoint == "" && base != "" {
		endpoint = strings.TrimRight(base, "/") + "/v1/traces"
	}
	switch exp := strings.TrimSpace(getenv("OTEL_TRACES_EXPORTER")); exp {
	case "none":
		return false, "", nil
	case "otlp":
		on = true
	case "":
		on = endpoint != ""
	default:
		return false, "", fmt.Errorf("OTEL_TRACES_EXPORTER: unsupported exporter %q: want otlp or none", exp)
	}
	if !on {
		return false, "", nil
	}
	if p := cmp.Or(getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"), getenv("OTEL_EXPORTER_OTLP_PROTOCOL")); p != "" && p != "http/protobuf" {
		return false, "", fmt.Errorf("OTLP protocol %q is not supported: only http/protobuf (port 4318) is built in", p)
	}
	if endpoint != "" {
		if u, perr := url.Parse(endpoint); perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return false, "", fmt.Errorf("OTLP traces endpoint %q: want an http:// or https:// URL", endpoint)
		}
	}
	return true, endpoint, nil
}

// parseProxies reads a comma-separated list of addresses (a single host) and
// CIDR ranges.
func parseProxies(v string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("invalid trusted proxy %q: want an address (10.0.0.5) or a CIDR range (10.0.0.0/8)", f)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}
