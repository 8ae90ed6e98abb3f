package main

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/lianqi/lianqi/domain"
)

// Config is the server configuration, from command-line flags, environment
// variables and defaults, in that order of precedence.
type Config struct {
	Addr            string        // --addr, env LISTEN_ADDR, default "127.0.0.1:8080" with --dev, ":8080" without
	DataDir         string        // --data-dir, env DATA_DIR, default "./data"
	MongoURI        string        // --mongodb-uri, env MONGODB_URI, default "" (embedded FerretDB)
	DBName          string        // --db, env MONGODB_DB, default "lianqi"
	JWTSecret       string        // --jwt-secret, env JWT_SECRET, default "" (generated once, kept in the data dir)
	Demo            bool          // --demo, env LIANQI_DEMO: seed demo data into an empty database; default true in dev mode on the embedded engine without --admin-password
	AdminUser       string        // --admin-user, env LIANQI_ADMIN_USER, default "admin": the first admin's username
	AdminPassword   string        // --admin-password, env LIANQI_ADMIN_PASSWORD: creates the first admin in an empty database; never logged
	CORSOrigins     []string      // --cors-origins, env CORS_ORIGINS: comma separated scheme://host[:port], default none
	Dev             bool          // --dev, env LIANQI_DEV, default true: text logs, playground and introspection; false = production (JSON logs)
	LogLevel        string        // --log-level, env LOG_LEVEL, default "info": debug, info, warn or error
	ShutdownTimeout time.Duration // --shutdown-timeout, env SHUTDOWN_TIMEOUT, default 10s
	// Deadlines per escalation level: --deadlines, env DEADLINES, e.g.
	// "L1=24h/72h,L3=72h/720h" (respond/resolve); unnamed levels keep domain.DefaultDeadlines.
	Deadlines map[domain.Level]domain.Deadlines

	JWTAlg      string        // --jwt-alg, env JWT_ALG, default "EdDSA" (keys kept in the data dir); "HS256" signs with the secret
	KeyRotation time.Duration // --jwt-key-rotation, env JWT_KEY_ROTATION, default 720h: a new Ed25519 key on the first start after this
	// External identity provider; all three of issuer, audience and JWKS URL or none.
	OIDCIssuer          string // --oidc-issuer, env OIDC_ISSUER
	OIDCAudience        string // --oidc-audience, env OIDC_AUDIENCE
	OIDCJWKSURL         string // --oidc-jwks-url, env OIDC_JWKS_URL
	OIDCRoleClaim       string // --oidc-role-claim, env OIDC_ROLE_CLAIM, default "roles"
	OIDCOfficialClaim   string // --oidc-official-claim, env OIDC_OFFICIAL_CLAIM, default "official_id"
	OIDCEnterpriseClaim string // --oidc-enterprise-claim, env OIDC_ENTERPRISE_CLAIM, default "enterprise_id"

	Introspection string // --introspection, env INTROSPECTION: all, admin or off; default all in dev, admin in production
	MaxDepth      int    // --max-depth, env MAX_QUERY_DEPTH, default 12
	MaxCost       int    // --max-complexity, env MAX_QUERY_COMPLEXITY, default 5000 (page sizes multiply)
	RateAPI       int    // --rate-api, env RATE_API: requests per minute per user (or per IP when anonymous), default 600; 0 = off
	RateLogin     int    // --rate-login, env RATE_LOGIN: login attempts per minute per IP and per username, default 10; 0 = off
	// Expensive resolvers (listings, statistics, rankings, sync pulls) running at once:
	MaxExpensive        int           // --max-expensive, env MAX_EXPENSIVE, default 4 overall
	MaxExpensivePerUser int           // --max-expensive-per-user, env MAX_EXPENSIVE_PER_USER, default 2 per caller
	ExpensiveWait       time.Duration // --expensive-wait, env EXPENSIVE_WAIT, default 3s, then RATE_LIMITED
	// Live subscriptions: a socket's and a user's (over all their sockets).
	MaxSubsPerSocket int // --max-subscriptions-per-socket, env MAX_SUBSCRIPTIONS_PER_SOCKET, default 25
	MaxSubsPerUser   int // --max-subscriptions-per-user, env MAX_SUBSCRIPTIONS_PER_USER, default 100
	// MaxSocketsPerAddress bounds the WebSockets open at once from one address,
	// signed in or not: a socket waiting for connection_init has no user to
	// charge yet.
	MaxSocketsPerAddress int // --max-sockets-per-address, env MAX_SOCKETS_PER_ADDRESS, default 256

	// Several instances on one MongoDB (docs/deploy.md):
	LiveFeed     string // --live-feed, env LIVE_FEED, default "" (auto): change streams on a replica set or sharded cluster, else "poll"; "stream" refuses to start without them
	SharedLimits bool   // --shared-limits, env SHARED_LIMITS: rate limits and revocations stored for every instance; default true with MONGODB_URI, false on the embedded engine
}

// MinJWTSecretLen is the minimum length in bytes of a configured JWT secret.
const MinJWTSecretLen = 32

// maskedPassword replaces passwords in String.
const maskedPassword = "xxxxx"

// helpError is returned by ParseConfig for -h/--help: its message is the
// usage text and it wraps flag.ErrHelp.
type helpError struct{ usage string }

func (e *helpError) Error() string { return e.usage }
func (e *helpError) Unwrap() error { return flag.ErrHelp }

// ParseConfig parses args (without the program name), falling back to the
// environment (through getenv; nil means os.Getenv) for flags not given, then
// to defaults. An environment variable set to the empty string counts as
// unset. For -h/--help it returns an error wrapping flag.ErrHelp whose message
// is the usage text.
func ParseConfig(args []string, getenv func(string) string) (Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}

	c := Config{
		DataDir:         "./data",
		DBName:          "lianqi",
		AdminUser:       "admin",
		Dev:             true,
		LogLevel:        "info",
		ShutdownTimeout: 10 * time.Second,
		JWTAlg:          "EdDSA",
		KeyRotation:     30 * 24 * time.Hour,
		MaxDepth:        12,
		MaxCost:         5000,
		RateAPI:         600,
		RateLogin:       10,
		// Expensive work at once (see graph.Options).
		MaxExpensive:        4,
		MaxExpensivePerUser: 2,
		ExpensiveWait:       3 * time.Second,

		MaxSubsPerSocket: 25,
		MaxSubsPerUser:   100,

		MaxSocketsPerAddress: 256,
	}
	var cors, deadlines string

	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(io.Discard)

	// settings ties each flag to its environment variable and to a parser
	// for values from the environment.
	type setting struct {
		flag, env string
		fromEnv   func(string) error
	}
	str := func(p *string) func(string) error {
		return func(v string) error { *p = v; return nil }
	}
	boolean := func(p *bool) func(string) error {
		return func(v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("invalid boolean %q", v)
			}
			*p = b
			return nil
		}
	}
	integer := func(p *int) func(string) error {
		return func(v string) error {
			n, err := strconv.Atoi(v)
			if err != nil {
				return fmt.Errorf("invalid integer %q", v)
			}
			*p = n
			return nil
		}
	}
	duration := func(p *time.Duration) func(string) error {
		return func(v string) error {
			d, err := time.ParseDuration(v)
			if err != nil {
				return fmt.Errorf("invalid duration %q (e.g. 10s, 1m30s)", v)
			}
			*p = d
			return nil
		}
	}
	settings := []setting{
		{"addr", "LISTEN_ADDR", str(&c.Addr)},
		{"data-dir", "DATA_DIR", str(&c.DataDir)},
		{"mongodb-uri", "MONGODB_URI", str(&c.MongoURI)},
		{"db", "MONGODB_DB", str(&c.DBName)},
		{"jwt-secret", "JWT_SECRET", str(&c.JWTSecret)},
		{"demo", "LIANQI_DEMO", boolean(&c.Demo)},
		{"admin-user", "LIANQI_ADMIN_USER", str(&c.AdminUser)},
		{"admin-password", "LIANQI_ADMIN_PASSWORD", str(&c.AdminPassword)},
		{"cors-origins", "CORS_ORIGINS", str(&cors)},
		{"dev", "LIANQI_DEV", boolean(&c.Dev)},
		{"log-level", "LOG_LEVEL", str(&c.LogLevel)},
		{"deadlines", "DEADLINES", str(&deadlines)},
		{"shutdown-timeout", "SHUTDOWN_TIMEOUT", func(v string) error {
			d, err := time.ParseDuration(v)
			if err != nil {
				return fmt.Errorf("invalid duration %q (e.g. 10s, 1m30s)", v)
			}
			c.ShutdownTimeout = d
			return nil
		}},
		{"jwt-alg", "JWT_ALG", str(&c.JWTAlg)},
		{"jwt-key-rotation", "JWT_KEY_ROTATION", duration(&c.KeyRotation)},
		{"oidc-issuer", "OIDC_ISSUER", str(&c.OIDCIssuer)},
		{"oidc-audience", "OIDC_AUDIENCE", str(&c.OIDCAudience)},
		{"oidc-jwks-url", "OIDC_JWKS_URL", str(&c.OIDCJWKSURL)},
		{"oidc-role-claim", "OIDC_ROLE_CLAIM", str(&c.OIDCRoleClaim)},
		{"oidc-official-claim", "OIDC_OFFICIAL_CLAIM", str(&c.OIDCOfficialClaim)},
		{"oidc-enterprise-claim", "OIDC_ENTERPRISE_CLAIM", str(&c.OIDCEnterpriseClaim)},
		{"introspection", "INTROSPECTION", str(&c.Introspection)},
		{"max-depth", "MAX_QUERY_DEPTH", integer(&c.MaxDepth)},
		{"max-complexity", "MAX_QUERY_COMPLEXITY", integer(&c.MaxCost)},
		{"rate-api", "RATE_API", integer(&c.RateAPI)},
		{"rate-login", "RATE_LOGIN", integer(&c.RateLogin)},
		{"max-expensive", "MAX_EXPENSIVE", integer(&c.MaxExpensive)},
		{"max-expensive-per-user", "MAX_EXPENSIVE_PER_USER", integer(&c.MaxExpensivePerUser)},
		{"expensive-wait", "EXPENSIVE_WAIT", duration(&c.ExpensiveWait)},
		{"max-subscriptions-per-socket", "MAX_SUBSCRIPTIONS_PER_SOCKET", integer(&c.MaxSubsPerSocket)},
		{"max-subscriptions-per-user", "MAX_SUBSCRIPTIONS_PER_USER", integer(&c.MaxSubsPerUser)},
		{"max-sockets-per-address", "MAX_SOCKETS_PER_ADDRESS", integer(&c.MaxSocketsPerAddress)},
		{"live-feed", "LIVE_FEED", str(&c.LiveFeed)},
		{"shared-limits", "SHARED_LIMITS", boolean(&c.SharedLimits)},
	}
	env := make(map[string]string, len(settings))
	for _, s := range settings {
		env[s.flag] = s.env
	}
	usage := func(u string, flagName string) string {
		return fmt.Sprintf("%s (env %s)", u, env[flagName])
	}

	fs.StringVar(&c.Addr, "addr", c.Addr, usage("HTTP listen address (default 127.0.0.1:8080 with --dev, :8080 without)", "addr"))
	fs.StringVar(&c.DataDir, "data-dir", c.DataDir, usage("data directory (embedded database, generated JWT secret)", "data-dir"))
	fs.StringVar(&c.MongoURI, "mongodb-uri", c.MongoURI, usage("MongoDB URI; empty runs an embedded FerretDB in the data directory", "mongodb-uri"))
	fs.StringVar(&c.DBName, "db", c.DBName, usage("database name", "db"))
	fs.StringVar(&c.JWTSecret, "jwt-secret", c.JWTSecret, usage(fmt.Sprintf("JWT signing secret, at least %d bytes; empty generates one once and keeps it in the data directory", MinJWTSecretLen), "jwt-secret"))
	fs.BoolVar(&c.Demo, "demo", c.Demo, usage("seed the demo programme (accounts with the public password demo1234) into an empty database (default true with --dev on the embedded engine unless --admin-password is given)", "demo"))
	fs.StringVar(&c.AdminUser, "admin-user", c.AdminUser, usage("username of the first admin, created with --admin-password", "admin-user"))
	fs.StringVar(&c.AdminPassword, "admin-password", c.AdminPassword, usage("create the first admin with this password when the database has no accounts (prefer the environment variable: flags are visible to other local users)", "admin-password"))
	fs.StringVar(&cors, "cors-origins", cors, usage("comma-separated allowed CORS origins, scheme://host[:port]", "cors-origins"))
	fs.BoolVar(&c.Dev, "dev", c.Dev, usage("development mode: text logs, GraphQL playground and introspection; false is production (JSON logs)", "dev"))
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, usage("log level: debug, info, warn or error", "log-level"))
	fs.StringVar(&deadlines, "deadlines", deadlines, usage("response/resolution deadlines per escalation level, e.g. L1=24h/72h,L3=72h/720h; unnamed levels keep the defaults ("+formatDeadlines(domain.DefaultDeadlines)+")", "deadlines"))
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", c.ShutdownTimeout, usage("how long to wait for requests to finish on shutdown", "shutdown-timeout"))

	fs.StringVar(&c.JWTAlg, "jwt-alg", c.JWTAlg, usage("access token signature: EdDSA (Ed25519 keys kept in the data directory, published at /.well-known/jwks.json) or HS256 (the JWT secret)", "jwt-alg"))
	fs.DurationVar(&c.KeyRotation, "jwt-key-rotation", c.KeyRotation, usage("start signing with a new Ed25519 key on the first start after the newest is this old; 0 never rotates", "jwt-key-rotation"))
	fs.StringVar(&c.OIDCIssuer, "oidc-issuer", c.OIDCIssuer, usage("issuer (iss) of an external identity provider whose tokens are accepted", "oidc-issuer"))
	fs.StringVar(&c.OIDCAudience, "oidc-audience", c.OIDCAudience, usage("audience (aud) the external provider's tokens must name", "oidc-audience"))
	fs.StringVar(&c.OIDCJWKSURL, "oidc-jwks-url", c.OIDCJWKSURL, usage("URL of the external provider's JWKS", "oidc-jwks-url"))
	fs.StringVar(&c.OIDCRoleClaim, "oidc-role-claim", c.OIDCRoleClaim, usage("claim holding the caller's role (default roles)", "oidc-role-claim"))
	fs.StringVar(&c.OIDCOfficialClaim, "oidc-official-claim", c.OIDCOfficialClaim, usage("claim holding an OFFICIAL's official id (default official_id)", "oidc-official-claim"))
	fs.StringVar(&c.OIDCEnterpriseClaim, "oidc-enterprise-claim", c.OIDCEnterpriseClaim, usage("claim holding an ENTERPRISE caller's enterprise id (default enterprise_id)", "oidc-enterprise-claim"))
	fs.StringVar(&c.Introspection, "introspection", c.Introspection, usage("who may introspect the schema and use the playground: all, admin or off (default all with --dev, admin otherwise)", "introspection"))
	fs.IntVar(&c.MaxDepth, "max-depth", c.MaxDepth, usage("maximum query depth", "max-depth"))
	fs.IntVar(&c.MaxCost, "max-complexity", c.MaxCost, usage("maximum query complexity (each field costs 1, multiplied by the page sizes above it)", "max-complexity"))
	fs.IntVar(&c.RateAPI, "rate-api", c.RateAPI, usage("GraphQL requests per minute per user, or per IP address for anonymous callers; 0 disables", "rate-api"))
	fs.IntVar(&c.RateLogin, "rate-login", c.RateLogin, usage("login attempts per minute per IP address and per username; 0 disables", "rate-login"))
	fs.IntVar(&c.MaxExpensive, "max-expensive", c.MaxExpensive, usage("expensive resolvers (listings, statistics, rankings, sync pulls) running at once; on the embedded engine each decodes a whole collection in memory", "max-expensive"))
	fs.IntVar(&c.MaxExpensivePerUser, "max-expensive-per-user", c.MaxExpensivePerUser, usage("expensive resolvers running at once for one user (or one address, anonymously)", "max-expensive-per-user"))
	fs.DurationVar(&c.ExpensiveWait, "expensive-wait", c.ExpensiveWait, usage("how long an expensive resolver waits for a slot before it is refused with RATE_LIMITED", "expensive-wait"))
	fs.IntVar(&c.MaxSubsPerSocket, "max-subscriptions-per-socket", c.MaxSubsPerSocket, usage("live subscriptions one WebSocket may hold", "max-subscriptions-per-socket"))
	fs.IntVar(&c.MaxSubsPerUser, "max-subscriptions-per-user", c.MaxSubsPerUser, usage("live subscriptions one user may hold over all their WebSockets", "max-subscriptions-per-user"))
	fs.IntVar(&c.MaxSocketsPerAddress, "max-sockets-per-address", c.MaxSocketsPerAddress, usage("WebSockets open at once from one client address (phones behind one NAT share it)", "max-sockets-per-address"))
	fs.StringVar(&c.LiveFeed, "live-feed", c.LiveFeed, usage("how live subscriptions learn of other instances' writes: auto (the default: change streams on a replica set or sharded cluster, else poll), poll or stream", "live-feed"))
	fs.BoolVar(&c.SharedLimits, "shared-limits", c.SharedLimits, usage("store rate-limit counters and revoked sessions in the database so that they hold across instances (default true with --mongodb-uri, false on the embedded engine, which one process owns)", "shared-limits"))

	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			var b strings.Builder
			b.WriteString("Usage: server [flags]\n\nFlags (each overrides its environment variable):\n")
			fs.SetOutput(&b)
			fs.PrintDefaults()
			return Config{}, &helpError{usage: b.String()}
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
		if err := s.fromEnv(v); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", s.env, err))
		}
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
	origins, err := parseCORSOrigins(cors)
	if err != nil {
		errs = append(errs, from("cors-origins", err))
	}
	c.CORSOrigins = origins
	if c.Deadlines, err = parseDeadlines(deadlines); err != nil {
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

// String renders c on one line for the start-up log, with secrets masked:
// the JWT secret as "(set)" or "(generated)", the first admin's password as
// "(set)" or "(none)", and the password in the MongoDB
// URI (and secret-bearing URI options) as "xxxxx".
func (c Config) String() string {
	secret := "(generated)"
	if c.JWTSecret != "" {
		secret = "(set)"
	}
	mongo := "(embedded)"
	if !c.Embedded() {
		mongo = maskURI(c.MongoURI)
	}
	adminPassword := "(none)"
	if c.AdminPassword != "" {
		adminPassword = "(set)"
	}
	cors := "(none)"
	if len(c.CORSOrigins) > 0 {
		cors = strings.Join(c.CORSOrigins, ",")
	}
	var b strings.Builder
	for _, kv := range [][2]string{
		{"addr", c.Addr},
		{"data_dir", c.DataDir},
		{"mongodb_uri", mongo},
		{"db", c.DBName},
		{"jwt_secret", secret},
		{"demo", strconv.FormatBool(c.Demo)},
		{"admin_user", c.AdminUser},
		{"admin_password", adminPassword},
		{"cors_origins", cors},
		{"dev", strconv.FormatBool(c.Dev)},
		{"log_level", c.LogLevel},
		{"shutdown_timeout", c.ShutdownTimeout.String()},
		{"deadlines", formatDeadlines(c.Deadlines)},
		{"jwt_alg", c.JWTAlg},
		{"oidc_issuer", c.OIDCIssuer},
		{"introspection", c.Introspection},
		{"max_depth", strconv.Itoa(c.MaxDepth)},
		{"max_complexity", strconv.Itoa(c.MaxCost)},
		{"rate_api", strconv.Itoa(c.RateAPI)},
		{"rate_login", strconv.Itoa(c.RateLogin)},
		{"max_expensive", strconv.Itoa(c.MaxExpensive)},
		{"max_expensive_per_user", strconv.Itoa(c.MaxExpensivePerUser)},
		{"expensive_wait", c.ExpensiveWait.String()},
		{"max_subscriptions_per_socket", strconv.Itoa(c.MaxSubsPerSocket)},
		{"max_subscriptions_per_user", strconv.Itoa(c.MaxSubsPerUser)},
		{"max_sockets_per_address", strconv.Itoa(c.MaxSocketsPerAddress)},
		{"live_feed", cmp.Or(c.LiveFeed, "auto")},
		{"shared_limits", strconv.FormatBool(c.SharedLimits)},
	} {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(kv[0])
		b.WriteByte('=')
		v := kv[1]
		if v == "" || strings.ContainsAny(v, " \t\r\n\"\\") {
			v = strconv.Quote(v)
		}
		b.WriteString(v)
	}
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
