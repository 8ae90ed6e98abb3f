package main

import (
	"context"
	"os"
	"testing"

	"github.com/lianqi/lianqi/store/storetest"
)

// TestRevocationSurvivesRestart: signing keys persist, so a live token keeps
// working after a restart, while a logged-out one stays refused because the
// revocation set is reloaded from the database at start.
func TestRevocationSurvivesRestart(t *testing.T) {
	if os.Getenv("MONGODB_URI") != "" {
		t.Skip("restarts the embedded database in place")
	}
	cfg, err := ParseConfig([]string{"--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--log-level", "error"}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	cfg.DBName = storetest.DBName(t)
	start := func(n int) *testServer {
		m := &Main{Config: cfg}
		if err := m.Run(context.Background()); err != nil {
			m.Close()
			t.Fatalf("start %d: %v", n, err)
		}
		return &testServer{t: t, m: m, url: "http://" + m.Addr(), tokens: map[string]string{}}
	}
	s := start(1)
	kept := s.login("zhoushiyue")
	ended := s.login("moweiliang")
	if c := s.post(ended.AccessToken, `mutation{logout}`, nil).code(); c != "" {
		t.Fatalf("logout: %s", c)
	}
	if err := s.m.Close(); err != nil {
		t.Fatal(err)
	}

	s = start(2)
	t.Cleanup(func() { s.m.Close() })
	if c := s.post(kept.AccessToken, meQuery, nil).code(); c != "" {
		t.Fatalf("token from before the restart refused: %s", c)
	}
	if c := s.post(ended.AccessToken, meQuery, nil).code(); c != "UNAUTHENTICATED" {
		t.Fatalf("logged-out token accepted after restart: code %q", c)
	}
	if _, res := s.refresh(kept.RefreshToken); res.code() != "" {
		t.Fatalf("refresh after restart: %+v", res.Errors)
	}
}
