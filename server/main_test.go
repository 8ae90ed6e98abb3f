package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/lianqi/lianqi/auth"
	"github.com/lianqi/lianqi/store/storetest"
)

func init() {
	// bcrypt at full cost makes every login in the suite slow without testing more.
	auth.BcryptCost = 4
}

// testServer is the whole program started on port 0 against a fresh database.
type testServer struct {
	t   testing.TB
	m   *Main
	url string

	mu     sync.Mutex
	tokens map[string]string
}

// startServer runs Main with the demo data on its own database. With
// MONGODB_URI set the database is on that server (seeded with --demo),
// otherwise the program embeds FerretDB in a temporary data directory, exactly
// as `go run ./server` does.
func startServer(t testing.TB, edit ...func(*Config)) *testServer {
	t.Helper()
	return startServerLog(t, nil, edit...)
}

// startServerLog is startServer with the program logging to log (nil: the
// configured level, error).
func startServerLog(t testing.TB, log *slog.Logger, edit ...func(*Config)) *testServer {
	t.Helper()
	cfg, err := ParseConfig([]string{"--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--log-level", "error"}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if uri := os.Getenv("MONGODB_URI"); uri != "" {
		cfg.MongoURI, cfg.Demo = uri, true
	}
	cfg.DBName = storetest.DBName(t)
	// The suite signs in and queries far faster than any person from one
	// address; tests of the limits themselves set them back down.
	cfg.RateAPI, cfg.RateLogin = 1_000_000, 1_000_000
	for _, e := range edit {
		e(&cfg)
	}
	m := &Main{Config: cfg, Log: log}
	if err := m.Run(context.Background()); err != nil {
		m.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if !cfg.Embedded() {
			_ = m.DB.Drop(context.Background())
		}
		if err := m.Close(); err != nil {
			t.Error(err)
		}
	})
	return &testServer{t: t, m: m, url: "http://" + m.Addr(), tokens: map[string]string{}}
}

type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

type gqlResponse struct {
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
}

// code returns the extensions.code of the first error, or "" if there was none.
func (r gqlResponse) code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

// decode unmarshals data into v, failing the test if the response had errors.
func (r gqlResponse) decode(t testing.TB, v any) {
	t.Helper()
	if len(r.Errors) > 0 {
		t.Fatalf("unexpected errors: %+v", r.Errors)
	}
	if err := json.Unmarshal(r.Data, v); err != nil {
		t.Fatalf("decode %s: %v", r.Data, err)
	}
}

// post sends a GraphQL request with an optional bearer token.
func (s *testServer) post(token, query string, vars map[string]any) gqlResponse {
	s.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, s.url+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	var out gqlResponse
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		s.t.Fatalf("status %d: %v", res.StatusCode, err)
	}
	return out
}

// as runs a request as a demo user, logging in once per user.
func (s *testServer) as(user, query string, vars map[string]any) gqlResponse {
	s.t.Helper()
	return s.post(s.token(user), query, vars)
}

func (s *testServer) token(user string) string {
	s.t.Helper()
	s.mu.Lock()
	tok, ok := s.tokens[user]
	s.mu.Unlock()
	if ok {
		return tok
	}
	var out struct {
		Login struct{ AccessToken string }
	}
	s.post("", `mutation($u:String!,$p:String!){login(username:$u,password:$p){accessToken}}`,
		map[string]any{"u": user, "p": "demo1234"}).decode(s.t, &out)
	s.mu.Lock()
	s.tokens[user] = out.Login.AccessToken
	s.mu.Unlock()
	return out.Login.AccessToken
}

func TestHealthAndReadiness(t *testing.T) {
	s := startServer(t)
	for _, path := range []string{"/healthz", "/readyz"} {
		res, err := http.Get(s.url + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d", path, res.StatusCode)
		}
	}
	res, err := http.Get(s.url + "/playground")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(res.Body)
	if res.StatusCode != http.StatusOK || !strings.Contains(b.String(), "/graphql") {
		t.Fatalf("playground: status %d", res.StatusCode)
	}
}
