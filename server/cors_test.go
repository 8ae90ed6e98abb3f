package main

import (
	"net/http"
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
