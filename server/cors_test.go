package main

import (
	"net/http"
	"strings"
	"testing"
)

func TestCORS(t *testing.T) {
	s := startServer(t, func(c *Config) { c.CORSOrigins = []string{"https://dash.example.org"} })
	for _, tc := range []struct {
		name, origin string
		allowed      bool
	}{
		{"ConfiguredOrigin", "https://dash.example.org", true},
		{"OtherOrigin", "https://evil.example.com", false},
		{"SchemeMismatch", "http://dash.example.org", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodOptions, s.url+"/graphql", nil)
			req.Header.Set("Origin", tc.origin)
			req.Header.Set("Access-Control-Request-Method", "POST")
			req.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			got := res.Header.Get("Access-Control-Allow-Origin")
			if tc.allowed {
				if got != tc.origin {
					t.Fatalf("Access-Control-Allow-Origin = %q, want %q", got, tc.origin)
				}
				if res.Header.Get("Access-Control-Allow-Credentials") != "true" || res.Header.Get("Access-Control-Max-Age") == "" {
					t.Fatalf("preflight headers: %v", res.Header)
				}
			} else if got != "" {
				t.Fatalf("disallowed origin got Access-Control-Allow-Origin %q", got)
			}
		})
	}
	t.Run("NoOriginsByDefault", func(t *testing.T) {
		d := startServer(t)
		req, _ := http.NewRequest(http.MethodOptions, d.url+"/graphql", nil)
		req.Header.Set("Origin", "https://dash.example.org")
		req.Header.Set("Access-Control-Request-Method", "POST")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if got := res.Header.Get("Access-Control-Allow-Origin"); got != "" {
			t.Fatalf("default config allows %q", got)
		}
	})
}

// TestCORSActualRequests: on real (non-preflight) requests too, only the
// configured origin is named and only it gets credentials.
func TestCORSActualRequests(t *testing.T) {
	s := startServer(t, func(c *Config) { c.CORSOrigins = []string{"https://dash.example.org"} })
	for _, tc := range []struct {
		name, origin string
		allowed      bool
	}{
		{"ConfiguredOrigin", "https://dash.example.org", true},
		{"OtherOrigin", "https://evil.example.com", false},
		{"SuffixTrick", "https://dash.example.org.evil.example.com", false},
		{"NullOrigin", "null", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, s.url+"/graphql", strings.NewReader(`{"query":"{__typename}"}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Origin", tc.origin)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			acao, acac := res.Header.Get("Access-Control-Allow-Origin"), res.Header.Get("Access-Control-Allow-Credentials")
			if tc.allowed && (acao != tc.origin || acac != "true") {
				t.Fatalf("allowed origin: ACAO %q ACAC %q", acao, acac)
			}
			if !tc.allowed && (acao != "" || acac != "") {
				t.Fatalf("disallowed origin: ACAO %q ACAC %q", acao, acac)
			}
		})
	}
}

// TestWebSocketOrigin: the WebSocket handshake checks Origin against the same
// list, so a page on another site cannot ride a user's connection.
func TestWebSocketOrigin(t *testing.T) {
	s := startServer(t, func(c *Config) { c.CORSOrigins = []string{"https://dash.example.org"} })
	tok := s.token("zhoushiyue")
	t.Run("ConfiguredOrigin", func(t *testing.T) {
		c, err := s.dialWS("https://dash.example.org")
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		if m := c.init(tok); m.Type != "connection_ack" {
			t.Fatalf("init: %+v", m)
		}
	})
	t.Run("NoOriginNonBrowser", func(t *testing.T) {
		if _, err := s.dialWS(""); err != nil {
			t.Fatalf("dial without Origin (not a browser): %v", err)
		}
	})
	for _, origin := range []string{"https://evil.example.com", "http://dash.example.org"} {
		t.Run("Refused/"+origin, func(t *testing.T) {
			if _, err := s.dialWS(origin); err == nil {
				t.Fatal("handshake from a foreign origin succeeded")
			}
		})
	}
}
