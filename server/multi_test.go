package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lianqi/lianqi/live"
	"github.com/lianqi/lianqi/store/storetest"
)

// startPair starts two instances over one database, as a province runs them
// over one MongoDB: both connect by URI (MONGODB_URI, or the tests' own
// FerretDB server), A seeding the demo programme, with the same token secret.
// Both store rate limits and revocations (off by default without a URI). A
// server on its own embedded engine cannot be one of them: its data
// directory's lock makes it the database's sole writer, which hands change
// sequences out from memory (store.SoleWriter).
func startPair(t *testing.T, edit ...func(*Config)) (a, b *testServer) {
	t.Helper()
	uri, name := storetest.URI(t), storetest.DBName(t)
	// Every instance must verify the others' tokens: one signing secret.
	shared := func(c *Config) {
		c.MongoURI, c.DBName = uri, name
		c.SharedLimits = true
		c.JWTAlg, c.JWTSecret = "HS256", "two-instances-share-this-secret-0123456789"
	}
	a = startServer(t, append([]func(*Config){shared, func(c *Config) { c.Demo = true }}, edit...)...)
	b = startServer(t, append([]func(*Config){shared, func(c *Config) { c.Demo = false }}, edit...)...)
	return a, b
}

func TestLiveFeedChosenAtStart(t *testing.T) {
	if a := startServer(t); a.m.Config.Embedded() {
		if k := a.m.Service.Feed.Kind(); k != live.KindPoll {
			t.Fatalf("embedded engine: feed %q, want poll (it has no change streams)", k)
		}
	}
	t.Run("ErrStreamWithoutReplicaSet", func(t *testing.T) {
		cfg, err := ParseConfig([]string{"--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--log-level", "error", "--live-feed", "stream"}, func(string) string { return "" })
		if err != nil {
			t.Fatal(err)
		}
		m := &Main{Config: cfg}
		err = m.Run(context.Background())
		m.Close()
		if err == nil || !strings.Contains(err.Error(), "change streams") {
			t.Fatalf("Run with --live-feed stream on the embedded engine: %v; want a refusal naming change streams", err)
		}
	})
	t.Run("ErrUnknownFeed", func(t *testing.T) {
		if _, err := ParseConfig([]string{"--live-feed", "sometimes"}, func(string) string { return "" }); err == nil {
			t.Fatal("accepted --live-feed sometimes")
		}
	})
	t.Run("SharedLimitsDefault", func(t *testing.T) {
		for _, tt := range []struct {
			args []string
			want bool
		}{
			{nil, false},
			{[]string{"--mongodb-uri", "mongodb://db:27017/?replicaSet=rs0"}, true},
			{[]string{"--mongodb-uri", "mongodb://db:27017", "--shared-limits=false"}, false},
			{[]string{"--shared-limits"}, true},
		} {
			c, err := ParseConfig(tt.args, func(string) string { return "" })
			if err != nil || c.SharedLimits != tt.want {
				t.Errorf("%v: shared limits %v, %v; want %v", tt.args, c.SharedLimits, err, tt.want)
			}
		}
	})
}

// TestTwoInstances: what one instance does holds on the other — a
// subscription on B hears a write made on A, a session revoked on A is
// refused on B, and login attempts count on both.
func TestTwoInstances(t *testing.T) {
	// The login budget is counted in windows of a minute: start early in one,
	// so that the whole test runs inside it.
	if s := time.Now().Second(); s > 40 {
		time.Sleep(time.Duration(61-s) * time.Second)
	}
	const loginBudget = 8
	a, b := startPair(t, func(c *Config) { c.RateLogin = loginBudget })

	// Three sign-ins from this address, on both instances (a fourth below).
	sub := b.subscribe(t, b.token("zhoushiyue"), problemChanged, nil)
	reporter := a.token("moweiliang")
	l := a.login("moweiliang")

	t.Run("SubscriptionOnBSeesWriteOnA", func(t *testing.T) {
		var rep struct{ ReportProblem struct{ ID string } }
		a.post(reporter, `mutation{reportProblem(input:{category:SAFETY,title:"两个实例之间的实时更新"}){id}}`, nil).decode(t, &rep)
		var ev problemEvent
		sub.data(&ev)
		if ev.ProblemChanged.ProblemID != rep.ReportProblem.ID {
			t.Fatalf("B's subscriber got %+v, want problem %s", ev.ProblemChanged, rep.ReportProblem.ID)
		}
	})

	t.Run("RevokedOnAIsRefusedOnB", func(t *testing.T) {
		if c := b.post(l.AccessToken, meQuery, nil).code(); c != "" {
			t.Fatalf("token refused on B before logout: %s", c)
		}
		if c := a.post(l.AccessToken, `mutation{logout}`, nil).code(); c != "" {
			t.Fatalf("logout on A: %s", c)
		}
		// B rechecks a session it saw accepted after at most a second; its
		// periodic reload (15 s) is not what this waits for.
		start := time.Now()
		for b.post(l.AccessToken, meQuery, nil).code() != "UNAUTHENTICATED" {
			if time.Since(start) > 5*time.Second {
				t.Fatal("B still accepts a token whose session A revoked 5 s ago")
			}
			time.Sleep(100 * time.Millisecond)
		}
	})

	t.Run("SocketOnBClosedByLogoutOnA", func(t *testing.T) {
		l := a.login("maojianguo") // the fourth sign-in from this address
		c, err := b.dialWS("")
		if err != nil {
			t.Fatal(err)
		}
		if m := c.init(l.AccessToken); m.Type != "connection_ack" {
			t.Fatalf("connection_init on B answered %+v", m)
		}
		c.subscribe("1", `subscription{problemChanged{problemId}}`)
		if code := a.post(l.AccessToken, `mutation{logout}`, nil).code(); code != "" {
			t.Fatalf("logout on A: %s", code)
		}
		// Within B's 2 s reload of stored revocations, not its 15 s one.
		code, _, reason := c.closed(t, 6*time.Second)
		if code != 4401 || !strings.Contains(reason, "revoked") {
			t.Fatalf("B's socket after logout on A: closed with %d %q, want 4401 revoked", code, reason)
		}
	})

	t.Run("LoginLimitCountsAcrossInstances", func(t *testing.T) {
		// Wrong passwords, alternating instances: the address has spent 4
		// of its budget; in-process limits would allow about twice the rest.
		allowed := 0
		for i := range loginBudget {
			s := []*testServer{a, b}[i%2]
			c := s.post("", `mutation{login(username:"zhulijun",password:"wrong-password"){accessToken}}`, nil).code()
			switch c {
			case "UNAUTHENTICATED":
				allowed++
			case "RATE_LIMITED":
			default:
				t.Fatalf("attempt %d: code %q", i, c)
			}
		}
		if want := loginBudget - 4; allowed != want {
			t.Fatalf("%d wrong-password attempts allowed over A and B, want %d (one budget of %d per address)", allowed, want, loginBudget)
		}
	})
}
