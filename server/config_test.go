package main

import (
	"errors"
	"flag"
	"reflect"
	"strings"
	"testing"
	"time"
)

// envOf returns a getenv over m.
func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

const secret32 = "0123456789abcdef0123456789abcdef"

func defaults() Config {
	return Config{
		Addr:            "127.0.0.1:8080",
		DataDir:         "./data",
		DBName:          "lianqi",
		Demo:            true,
		AdminUser:       "admin",
		Dev:             true,
		LogLevel:        "info",
		ShutdownTimeout: 10 * time.Second,
		JWTAlg:          "EdDSA",
		KeyRotation:     30 * 24 * time.Hour,
		Introspection:   "all",
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

		RetainTombstones:  180 * 24 * time.Hour,
		RetainReceipts:    30 * 24 * time.Hour,
		RetainConflicts:   365 * 24 * time.Hour,
		RetainHeld:        365 * 24 * time.Hour,
		RetainAudit:       2 * 365 * 24 * time.Hour,
		RetentionInterval: 24 * time.Hour,
	}
}

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want func(*Config)
	}{
		{
			name: "defaults",
			want: func(*Config) {},
		},
		{
			name: "empty env counts as unset",
			env: map[string]string{
				"LISTEN_ADDR": "", "DATA_DIR": "", "MONGODB_DB": "", "LIANQI_DEV": "",
				"LOG_LEVEL": "", "SHUTDOWN_TIMEOUT": "", "CORS_ORIGINS": "",
			},
			want: func(*Config) {},
		},
		{
			name: "env fallback",
			env: map[string]string{
				"LISTEN_ADDR":      "127.0.0.1:9000",
				"DATA_DIR":         "/var/lib/lianqi",
				"MONGODB_URI":      "mongodb://db.example:27017/",
				"MONGODB_DB":       "lianqi_prod",
				"JWT_SECRET":       secret32,
				"LIANQI_DEMO":      "true",
				"CORS_ORIGINS":     " https://app.example.com , ,http://localhost:5173,",
				"LIANQI_DEV":       "false",
				"LOG_LEVEL":        "debug",
				"SHUTDOWN_TIMEOUT": "30s",
			},
			want: func(c *Config) {
				c.Addr = "127.0.0.1:9000"
				c.DataDir = "/var/lib/lianqi"
				c.MongoURI = "mongodb://db.example:27017/"
				c.SharedLimits = true // several instances may share a MongoDB
				c.DBName = "lianqi_prod"
				c.JWTSecret = secret32
				c.Demo = true
				c.CORSOrigins = []string{"https://app.example.com", "http://localhost:5173"}
				c.Dev = false
				c.LogLevel = "debug"
				c.ShutdownTimeout = 30 * time.Second
			},
		},
		{
			name: "flags",
			args: []string{
				"--addr=:9090", "--data-dir", "/tmp/d", "--mongodb-uri=mongodb://h/", "--db=x",
				"--jwt-secret=" + secret32, "--demo", "--cors-origins=https://a.example", "--dev=false",
				"-log-level=warn", "--shutdown-timeout=1m",
			},
			want: func(c *Config) {
				c.Addr = ":9090"
				c.DataDir = "/tmp/d"
				c.MongoURI = "mongodb://h/"
				c.SharedLimits = true
				c.DBName = "x"
				c.JWTSecret = secret32
				c.Demo = true
				c.CORSOrigins = []string{"https://a.example"}
				c.Dev = false
				c.LogLevel = "warn"
				c.ShutdownTimeout = time.Minute
			},
		},
		{
			name: "flag overrides env",
			args: []string{
				"--addr=:1", "--data-dir=flagdir", "--mongodb-uri=", "--db=flagdb", "--demo=false",
				"--cors-origins=https://flag.example", "--dev", "--log-level=error", "--shutdown-timeout=2s",
			},
			env: map[string]string{
				"LISTEN_ADDR":      ":2",
				"DATA_DIR":         "envdir",
				"MONGODB_URI":      "mongodb://env/",
				"MONGODB_DB":       "envdb",
				"LIANQI_DEMO":      "true",
				"CORS_ORIGINS":     "https://env.example",
				"LIANQI_DEV":       "false",
				"LOG_LEVEL":        "debug",
				"SHUTDOWN_TIMEOUT": "5s",
			},
			want: func(c *Config) {
				c.Addr = ":1"
				c.DataDir = "flagdir"
				c.MongoURI = "" // an explicitly empty flag still wins over the env
				c.DBName = "flagdb"
				c.Demo = false
				c.CORSOrigins = []string{"https://flag.example"}
				c.Dev = true
				c.LogLevel = "error"
				c.ShutdownTimeout = 2 * time.Second
			},
		},
		{
			name: "invalid env overridden by flag is ignored",
			args: []string{"--log-level=warn", "--dev=true", "--shutdown-timeout=3s"},
			env:  map[string]string{"LOG_LEVEL": "loud", "LIANQI_DEV": "maybe", "SHUTDOWN_TIMEOUT": "soon"},
			want: func(c *Config) {
				c.LogLevel = "warn"
				c.ShutdownTimeout = 3 * time.Second
			},
		},
		{
			name: "log level is case-insensitive and normalized",
			env:  map[string]string{"LOG_LEVEL": "WARN"},
			want: func(c *Config) { c.LogLevel = "warn" },
		},
		{
			name: "cors origins normalized and deduplicated",
			args: []string{"--cors-origins=HTTPS://App.Example.com:8443, https://app.example.com:8443,http://[::1]:3000,http://127.0.0.1"},
			want: func(c *Config) {
				c.CORSOrigins = []string{"https://app.example.com:8443", "http://[::1]:3000", "http://127.0.0.1"}
			},
		},
		{
			name: "cors origins only separators",
			args: []string{"--cors-origins= , ,"},
			want: func(*Config) {},
		},
		{
			name: "bool env forms",
			env:  map[string]string{"LIANQI_DEMO": "1", "LIANQI_DEV": "F"},
			want: func(c *Config) { c.Demo = true; c.Dev = false; c.Addr = ":8080" },
		},
		{
			name: "db name with dash and underscore embedded",
			args: []string{"--db=lianqi-test_1"},
			want: func(c *Config) { c.DBName = "lianqi-test_1" },
		},
		{
			name: "db name with characters FerretDB rejects but MongoDB allows",
			args: []string{"--db=lianqi+x", "--mongodb-uri=mongodb://h/"},
			want: func(c *Config) {
				c.DBName = "lianqi+x"
				c.MongoURI = "mongodb://h/"
				c.Demo = false
				c.SharedLimits = true
			},
		},
		{
			name: "production: all interfaces, no demo data",
			args: []string{"--dev=false"},
			want: func(c *Config) { c.Dev = false; c.Addr = ":8080"; c.Demo = false },
		},
		{
			name: "production listen address from env kept",
			env:  map[string]string{"LIANQI_DEV": "false", "LISTEN_ADDR": "10.0.0.5:80"},
			want: func(c *Config) { c.Dev = false; c.Addr = "10.0.0.5:80"; c.Demo = false },
		},
		{
			name: "dev on all interfaces when told",
			args: []string{"--addr=:8080"},
			want: func(c *Config) { c.Addr = ":8080" },
		},
		{
			name: "dev demo can be turned off",
			args: []string{"--demo=false"},
			want: func(c *Config) { c.Demo = false },
		},
		{
			name: "dev on MongoDB: no demo unasked",
			args: []string{"--mongodb-uri=mongodb://h/"},
			want: func(c *Config) { c.MongoURI = "mongodb://h/"; c.Demo = false; c.SharedLimits = true },
		},
		{
			name: "production with demo asked for",
			args: []string{"--dev=false", "--demo"},
			want: func(c *Config) { c.Dev = false; c.Addr = ":8080"; c.Demo = true },
		},
		{
			name: "first admin from env: no demo, in dev too",
			env:  map[string]string{"LIANQI_ADMIN_PASSWORD": "correct horse battery", "LIANQI_ADMIN_USER": "root-admin"},
			want: func(c *Config) { c.AdminPassword = "correct horse battery"; c.AdminUser = "root-admin"; c.Demo = false },
		},
		{
			name: "first admin from flags in production",
			args: []string{"--dev=false", "--admin-password=correct horse battery", "--admin-user=ops"},
			want: func(c *Config) {
				c.Dev = false
				c.Addr = ":8080"
				c.Demo = false
				c.AdminPassword = "correct horse battery"
				c.AdminUser = "ops"
			},
		},
		{
			name: "subscription caps",
			args: []string{"--max-subscriptions-per-socket=6"},
			env:  map[string]string{"MAX_SUBSCRIPTIONS_PER_USER": "12"},
			want: func(c *Config) { c.MaxSubsPerSocket, c.MaxSubsPerUser = 6, 12 },
		},
		{
			name: "retention windows",
			args: []string{"--retain-tombstones=2160h", "--retain-audit=0", "--retention-interval=6h"},
			env:  map[string]string{"RETAIN_RECEIPTS": "168h", "RETAIN_CONFLICTS": "0", "RETAIN_HELD": "720h", "RETAIN_TOMBSTONES": "1h"},
			want: func(c *Config) {
				c.RetainTombstones, c.RetainAudit, c.RetentionInterval = 90*24*time.Hour, 0, 6*time.Hour
				c.RetainReceipts, c.RetainConflicts, c.RetainHeld = 7*24*time.Hour, 0, 30*24*time.Hour
			},
		},
		{
			name: "jwt secret of exactly 32 bytes",
			args: []string{"--jwt-secret", secret32},
			want: func(c *Config) { c.JWTSecret = secret32 },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseConfig(tt.args, envOf(tt.env))
			if err != nil {
				t.Fatalf("ParseConfig: %v", err)
			}
			want := defaults()
			tt.want(&want)
			if !want.Dev && want.Introspection == "all" {
				want.Introspection = "admin" // production's default policy
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("ParseConfig =\n%#v\nwant\n%#v", got, want)
			}
		})
	}
}

func TestParseConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want []string // substrings of the error
	}{
		{name: "unknown flag", args: []string{"--port=1"}, want: []string{"flag provided but not defined: -port"}},
		{name: "bad jwt alg", args: []string{"--jwt-alg=RS256"}, want: []string{"--jwt-alg", "want EdDSA or HS256"}},
		{name: "partial identity provider", args: []string{"--oidc-issuer=https://idp"}, want: []string{"--oidc-issuer", "needs all of"}},
		{name: "bad jwks url", args: []string{"--oidc-issuer=https://idp", "--oidc-audience=a", "--oidc-jwks-url=ftp://x"}, want: []string{"--oidc-jwks-url", "invalid JWKS URL"}},
		{name: "bad introspection", env: map[string]string{"INTROSPECTION": "everyone"}, want: []string{"INTROSPECTION", "want all, admin or off"}},
		{name: "negative rate", args: []string{"--rate-api=-1"}, want: []string{"must not be negative"}},
		{name: "no subscriptions per socket", env: map[string]string{"MAX_SUBSCRIPTIONS_PER_SOCKET": "0"}, want: []string{"MAX_SUBSCRIPTIONS_PER_SOCKET", "at least 1"}},
		{name: "fewer subscriptions per user than per socket", args: []string{"--max-subscriptions-per-user=10"}, want: []string{"--max-subscriptions-per-user", "at least the maximum per socket"}},
		{name: "bad integer env", env: map[string]string{"MAX_QUERY_DEPTH": "deep"}, want: []string{"MAX_QUERY_DEPTH", `invalid integer "deep"`}},
		{name: "retention window under an hour", args: []string{"--retain-tombstones=30m"}, want: []string{"--retain-tombstones", "at least 1h"}},
		{name: "retention interval under an hour env", env: map[string]string{"RETENTION_INTERVAL": "1s"}, want: []string{"RETENTION_INTERVAL", "at least 1h"}},
		{name: "negative retention window", args: []string{"--retain-receipts=-1h"}, want: []string{"--retain-receipts", "at least 1h"}},
		{name: "positional argument", args: []string{"serve"}, want: []string{`unexpected argument "serve"`}},
		{name: "bad bool flag", args: []string{"--dev=maybe"}, want: []string{"invalid boolean value", "-dev"}},
		{name: "bad bool env", env: map[string]string{"LIANQI_DEMO": "yes please"}, want: []string{"LIANQI_DEMO", `invalid boolean "yes please"`}},
		{name: "bad duration flag", args: []string{"--shutdown-timeout=10"}, want: []string{"invalid value", "-shutdown-timeout"}},
		{name: "bad duration env", env: map[string]string{"SHUTDOWN_TIMEOUT": "ten seconds"}, want: []string{"SHUTDOWN_TIMEOUT", `invalid duration "ten seconds"`}},
		{name: "zero duration", args: []string{"--shutdown-timeout=0s"}, want: []string{"--shutdown-timeout", "must be positive"}},
		{name: "negative duration env", env: map[string]string{"SHUTDOWN_TIMEOUT": "-1s"}, want: []string{"SHUTDOWN_TIMEOUT", "must be positive"}},
		{name: "invalid log level flag", args: []string{"--log-level=verbose"}, want: []string{"--log-level", `invalid log level "verbose"`}},
		{name: "invalid log level env", env: map[string]string{"LOG_LEVEL": "trace"}, want: []string{"LOG_LEVEL", `invalid log level "trace"`}},
		{name: "short jwt secret", args: []string{"--jwt-secret=" + secret32[:31]}, want: []string{"--jwt-secret", "31 bytes", "at least 32"}},
		{name: "short jwt secret env", env: map[string]string{"JWT_SECRET": "s3cret"}, want: []string{"JWT_SECRET", "6 bytes"}},
		{name: "cors wildcard", args: []string{"--cors-origins=*"}, want: []string{"--cors-origins", `"*"`, "wildcard"}},
		{name: "cors wildcard in list env", env: map[string]string{"CORS_ORIGINS": "https://a.example, *"}, want: []string{"CORS_ORIGINS", "wildcard"}},
		{name: "cors wildcard subdomain", args: []string{"--cors-origins=https://*.example.com"}, want: []string{"invalid host"}},
		{name: "cors no scheme", args: []string{"--cors-origins=example.com"}, want: []string{`"example.com"`, "scheme"}},
		{name: "cors host:port without scheme", args: []string{"--cors-origins=localhost:3000"}, want: []string{"scheme"}},
		{name: "cors other scheme", args: []string{"--cors-origins=ftp://example.com"}, want: []string{"scheme must be http or https"}},
		{name: "cors trailing slash", args: []string{"--cors-origins=https://example.com/"}, want: []string{"no path"}},
		{name: "cors path", args: []string{"--cors-origins=https://example.com/app"}, want: []string{"no path"}},
		{name: "cors query", args: []string{"--cors-origins=https://example.com?x=1"}, want: []string{"no query"}},
		{name: "cors fragment", args: []string{"--cors-origins=https://example.com#top"}, want: []string{"no fragment"}},
		{name: "cors user info", args: []string{"--cors-origins=https://u:p@example.com"}, want: []string{"user info"}},
		{name: "cors empty host", args: []string{"--cors-origins=https://"}, want: []string{"no host"}},
		{name: "cors bad port", args: []string{"--cors-origins=https://example.com:99999"}, want: []string{"invalid port"}},
		{name: "cors empty port", args: []string{"--cors-origins=https://example.com:"}, want: []string{"empty port"}},
		{name: "empty db name", args: []string{"--db="}, want: []string{"--db", "must not be empty"}},
		{name: "db name with slash", args: []string{"--db=a/b"}, want: []string{`"/"`}},
		{name: "db name with backslash", env: map[string]string{"MONGODB_DB": `a\b`}, want: []string{"MONGODB_DB", `"\\"`}},
		{name: "db name with dot", args: []string{"--db=a.b"}, want: []string{`"."`}},
		{name: "db name with space", args: []string{"--db=a b"}, want: []string{`" "`}},
		{name: "db name with quote", args: []string{`--db=a"b`}, want: []string{`"\""`}},
		{name: "db name with dollar", args: []string{"--db=a$b"}, want: []string{`"$"`}},
		{name: "db name with NUL", args: []string{"--db=a\x00b"}, want: []string{`"\x00"`}},
		{name: "db name too long", args: []string{"--db=" + strings.Repeat("a", 64), "--mongodb-uri=mongodb://h/"}, want: []string{"64 bytes"}},
		{name: "db name FerretDB rejects when embedded", args: []string{"--db=lianqi+x"}, want: []string{"embedded database allows only"}},
		{name: "bad mongodb uri scheme", args: []string{"--mongodb-uri=postgres://h/"}, want: []string{"--mongodb-uri", "mongodb://"}},
		{name: "bad listen addr", env: map[string]string{"LISTEN_ADDR": "8080"}, want: []string{"LISTEN_ADDR", "invalid listen address"}},
		{name: "empty data dir", args: []string{"--data-dir="}, want: []string{"--data-dir", "must not be empty"}},
		{name: "short admin password", env: map[string]string{"LIANQI_ADMIN_PASSWORD": "s3cr3t"}, want: []string{"LIANQI_ADMIN_PASSWORD", "at least 8 characters"}},
		{name: "long admin password", args: []string{"--admin-password=" + strings.Repeat("p", 73)}, want: []string{"--admin-password", "at most 72 bytes"}},
		{name: "bad admin user", args: []string{"--admin-user=a b", "--admin-password=correct horse"}, want: []string{"--admin-user", "username must be"}},
		{name: "upper-case admin user", env: map[string]string{"LIANQI_ADMIN_USER": "Admin"}, want: []string{"LIANQI_ADMIN_USER", "lower case"}},
		{name: "demo and first admin", args: []string{"--demo", "--admin-password=correct horse"}, want: []string{"--demo and --admin-password exclude each other"}},
		{name: "demo and first admin env", env: map[string]string{"LIANQI_DEMO": "true", "LIANQI_ADMIN_PASSWORD": "correct horse"}, want: []string{"LIANQI_DEMO and LIANQI_ADMIN_PASSWORD exclude each other"}},
		{
			name: "several errors reported together",
			args: []string{"--log-level=loud", "--jwt-secret=short"},
			want: []string{"invalid log level", "JWT secret is 5 bytes"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseConfig(tt.args, envOf(tt.env))
			if err == nil {
				t.Fatalf("ParseConfig succeeded with %+v, want error", got)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			for _, pw := range []string{"s3cr3t", "ppppppppp", "correct horse"} {
				if strings.Contains(err.Error(), pw) {
					t.Errorf("error %q leaks the password", err)
				}
			}
			if !reflect.DeepEqual(got, Config{}) {
				t.Errorf("ParseConfig returned %+v with its error, want zero Config", got)
			}
		})
	}
}

func TestParseConfigHelp(t *testing.T) {
	for _, arg := range []string{"-h", "--help"} {
		t.Run(arg, func(t *testing.T) {
			_, err := ParseConfig([]string{arg}, envOf(nil))
			if !errors.Is(err, flag.ErrHelp) {
				t.Fatalf("error = %v, want flag.ErrHelp", err)
			}
			for _, w := range []string{"-addr", "LISTEN_ADDR", "127.0.0.1:8080", "-shutdown-timeout", "SHUTDOWN_TIMEOUT", "-cors-origins", "-admin-password", "LIANQI_ADMIN_PASSWORD"} {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("usage lacks %q:\n%s", w, err)
				}
			}
		})
	}
}

func TestConfigString(t *testing.T) {
	tests := []struct {
		name    string
		cfg     func(*Config)
		want    []string
		notWant []string
	}{
		{
			name: "defaults",
			cfg:  func(*Config) {},
			want: []string{
				"addr=127.0.0.1:8080", "data_dir=./data", "mongodb_uri=(embedded)", "db=lianqi",
				"jwt_secret=(generated)", "demo=true", "admin_user=admin", "admin_password=(none)", "cors_origins=(none)", "dev=true",
				"log_level=info", "shutdown_timeout=10s",
			},
		},
		{
			name:    "admin password masked",
			cfg:     func(c *Config) { c.AdminPassword = "correct horse battery" },
			want:    []string{"admin_password=(set)"},
			notWant: []string{"correct", "horse"},
		},
		{
			name:    "jwt secret set",
			cfg:     func(c *Config) { c.JWTSecret = secret32 },
			want:    []string{"jwt_secret=(set)"},
			notWant: []string{secret32},
		},
		{
			name:    "uri password masked, user kept",
			cfg:     func(c *Config) { c.MongoURI = "mongodb://alice:s3cr%40t@db.example:27017/lianqi?authSource=admin" },
			want:    []string{"mongodb_uri=mongodb://alice:xxxxx@db.example:27017/lianqi?authSource=admin"},
			notWant: []string{"s3cr"},
		},
		{
			name: "srv uri",
			cfg: func(c *Config) {
				c.MongoURI = "mongodb+srv://bob:hunter2@cluster0.example.net/?retryWrites=true&w=majority"
			},
			want:    []string{"mongodb_uri=mongodb+srv://bob:xxxxx@cluster0.example.net/?retryWrites=true&w=majority"},
			notWant: []string{"hunter2"},
		},
		{
			name: "uri without credentials unchanged",
			cfg:  func(c *Config) { c.MongoURI = "mongodb://localhost:27017/" },
			want: []string{"mongodb_uri=mongodb://localhost:27017/"},
		},
		{
			name: "uri with user and no password",
			cfg:  func(c *Config) { c.MongoURI = "mongodb://CN%3Dclient@db.example/?authMechanism=MONGODB-X509" },
			want: []string{"mongodb_uri=mongodb://CN%3Dclient@db.example/?authMechanism=MONGODB-X509"},
		},
		{
			name:    "replica set host list",
			cfg:     func(c *Config) { c.MongoURI = "mongodb://u:pw1@h1:27017,h2:27017,h3:27017/?replicaSet=rs0" },
			want:    []string{"mongodb_uri=mongodb://u:xxxxx@h1:27017,h2:27017,h3:27017/?replicaSet=rs0"},
			notWant: []string{"pw1"},
		},
		{
			name:    "host list net/url rejects",
			cfg:     func(c *Config) { c.MongoURI = "mongodb://u:pw2@h1:27017,h2/db?replicaSet=rs0" },
			want:    []string{"mongodb_uri=mongodb://u:xxxxx@h1:27017,h2/db?replicaSet=rs0"},
			notWant: []string{"pw2"},
		},
		{
			name:    "ipv6 host list",
			cfg:     func(c *Config) { c.MongoURI = "mongodb://u:pw3@[::1]:27017,[::2]:27018/" },
			want:    []string{"mongodb_uri=mongodb://u:xxxxx@[::1]:27017,[::2]:27018/"},
			notWant: []string{"pw3"},
		},
		{
			name: "secret uri options masked",
			cfg: func(c *Config) {
				c.MongoURI = "mongodb://h/?tls=true&tlsCertificateKeyFilePassword=pw4&authMechanismProperties=AWS_SESSION_TOKEN:tok5"
			},
			want:    []string{"tls=true", "tlsCertificateKeyFilePassword=xxxxx", "authMechanismProperties=xxxxx"},
			notWant: []string{"pw4", "tok5"},
		},
		{
			name: "cors origins and quoting",
			cfg: func(c *Config) {
				c.CORSOrigins = []string{"https://a.example", "http://localhost:5173"}
				c.DataDir = "/srv/my data"
			},
			want: []string{"cors_origins=https://a.example,http://localhost:5173", `data_dir="/srv/my data"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := defaults()
			tt.cfg(&c)
			s := c.String()
			for _, w := range tt.want {
				if !strings.Contains(s, w) {
					t.Errorf("String() = %s\nlacks %s", s, w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(s, w) {
					t.Errorf("String() = %s\nleaks %s", s, w)
				}
			}
		})
	}
}

func TestEmbedded(t *testing.T) {
	for _, tt := range []struct {
		name string
		uri  string
		want bool
	}{
		{"no uri", "", true},
		{"uri", "mongodb://localhost/", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := (Config{MongoURI: tt.uri}).Embedded(); got != tt.want {
				t.Errorf("Embedded() = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestSettingsTable keeps the table the one declaration of each setting:
// names unique, defaults valid, every Config field bound by exactly one row
// (CORSOrigins and Deadlines through their raw text), and usage and the
// start-up log line generated from every row.
func TestSettingsTable(t *testing.T) {
	var c Config
	var raw rawSettings
	settings := c.settings(&raw)

	fields := make(map[uintptr]string)
	cv := reflect.ValueOf(&c).Elem()
	for i := range cv.NumField() {
		fields[cv.Field(i).Addr().Pointer()] = cv.Type().Field(i).Name
	}
	fields[reflect.ValueOf(&raw.cors).Pointer()] = "CORSOrigins"
	fields[reflect.ValueOf(&raw.deadlines).Pointer()] = "Deadlines"
	fields[reflect.ValueOf(&raw.proxies).Pointer()] = "TrustedProxies"

	flags, envs, bound := map[string]bool{}, map[string]bool{}, map[string]string{}
	help := usage(settings)
	line := defaults().String()
	for _, s := range settings {
		if s.flag == "" || s.env == "" || s.usage == "" {
			t.Errorf("setting %+v lacks a flag, variable or usage", s)
		}
		if flags[s.flag] || envs[s.env] {
			t.Errorf("setting %s/%s declared twice", s.flag, s.env)
		}
		flags[s.flag], envs[s.env] = true, true
		if s.def != "" {
			if err := s.value.Set(s.def); err != nil {
				t.Errorf("setting %s: default %q: %v", s.flag, s.def, err)
			}
		}
		p := reflect.ValueOf(s.value).Field(0).Pointer()
		name, ok := fields[p]
		if !ok {
			t.Errorf("setting %s is bound to no Config field", s.flag)
		} else if other, dup := bound[name]; dup {
			t.Errorf("Config.%s bound by both %s and %s", name, other, s.flag)
		}
		bound[name] = s.flag
		if !strings.Contains(help, "  -"+s.flag) || !strings.Contains(help, "(env "+s.env+")") {
			t.Errorf("usage lacks %s or %s", s.flag, s.env)
		}
		if key := strings.ReplaceAll(s.flag, "-", "_") + "="; !strings.Contains(line, key) {
			t.Errorf("String() lacks %s", key)
		}
	}
	for i := range cv.NumField() {
		// Telemetry comes from the standard OTEL_* variables (parseOTel).
		if name := cv.Type().Field(i).Name; bound[name] == "" && name != "Telemetry" {
			t.Errorf("Config.%s has no setting", name)
		}
	}
}
