package main

import (
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lianqi/lianqi/e2e/nodetest"
)

// TestPlaygroundChromium runs e2e/playground: headless Chromium (Debian's
// chromium package) driven by playwright-core loads /playground with every
// request off 127.0.0.1 refused, signs in with the sign-in box, runs a query
// and a subscription, renews the token and signs out. Its screenshot is kept
// in e2e/playground/artifacts (git-ignored), or under -outputdir with
// -artifacts. Without Chromium or Node it is skipped, except under CI.
func TestPlaygroundChromium(t *testing.T) {
	browser := cmp.Or(os.Getenv("LIANQI_CHROMIUM"), "/usr/bin/chromium")
	if _, err := os.Stat(browser); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("chromium is required in CI (.ci/run installs Debian's package): %v", err)
		}
		t.Skipf("no chromium at %s (apt-get install chromium, or set LIANQI_CHROMIUM)", browser)
	}
	dir, _ := filepath.Abs(filepath.Join("..", "e2e", "playground"))
	node := nodetest.Install(t, dir, "playwright-core")
	artifacts := filepath.Join(dir, "artifacts")
	if f := flag.Lookup("test.artifacts"); f != nil && f.Value.String() == "true" {
		artifacts = t.ArtifactDir()
	}
	s := startServer(t)

	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec", "playground.test.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"LIANQI_URL="+s.url,
		"LIANQI_ARTIFACTS="+artifacts,
		"LIANQI_PASSWORD=demo1234",
		"CHROMIUM="+browser,
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node --test: %v\n%s", err, out)
	}
	t.Logf("%s\nscreenshot: %s", out, filepath.Join(artifacts, "playground.png"))
}

// TestPlaygroundRoutes checks, without a browser, that the playground page
// names nothing outside this server (every script and stylesheet it links is
// served from the binary, and its Content-Security-Policy allows no other
// origin), and that GET / answers with a page for browsers and JSON for
// clients that ask for it, naming the playground only when it is served: not
// with --introspection off.
func TestPlaygroundRoutes(t *testing.T) {
	for _, tc := range []struct {
		name, introspection string
		playground          bool
	}{
		{"Served", "admin", true},
		{"Off", "off", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startServer(t, func(c *Config) { c.Introspection = tc.introspection })
			t.Run("Playground", func(t *testing.T) { checkPlayground(t, s, tc.playground) })
			t.Run("Index", func(t *testing.T) { checkIndex(t, s, tc.playground) })
		})
	}
}

func checkPlayground(t *testing.T, s *testServer, served bool) {
	res, body := get(t, s.url+"/playground", "")
	if !served {
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("GET /playground: %d, want 404", res.StatusCode)
		}
		if r, _ := get(t, s.url+"/playground/assets/react/react.production.min.js", ""); r.StatusCode != http.StatusNotFound {
			t.Errorf("asset with the playground off: %d, want 404", r.StatusCode)
		}
		return
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /playground: %d", res.StatusCode)
	}
	csp := res.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if m := regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+`).FindString(body); m != "" {
		t.Errorf("page names another host: %q", m)
	}
	if strings.Contains(body, "<script>") {
		t.Error("page has an inline script, which its CSP forbids")
	}
	refs := regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllStringSubmatch(body, -1)
	types := map[string]string{".js": "text/javascript", ".css": "text/css"}
	seen := 0
	for _, m := range refs {
		ref := m[1]
		if strings.HasPrefix(ref, "data:") {
			continue
		}
		seen++
		r, b := get(t, s.url+"/"+ref, "")
		if r.StatusCode != http.StatusOK || len(b) == 0 {
			t.Errorf("GET %s: %d, %d bytes", ref, r.StatusCode, len(b))
			continue
		}
		if want := types[filepath.Ext(ref)]; !strings.HasPrefix(r.Header.Get("Content-Type"), want) {
			t.Errorf("GET %s: Content-Type %q, want %s", ref, r.Header.Get("Content-Type"), want)
		}
	}
	if seen != 6 {
		t.Errorf("page links %d files, want 6 (GraphiQL's CSS and JS, React, ReactDOM, the page's script and style): %q", seen, refs)
	}
	for _, p := range []string{"graphiql/LICENSE", "react/LICENSE", "react-dom/LICENSE"} {
		if r, _ := get(t, s.url+"/playground/assets/"+p, ""); r.StatusCode != http.StatusOK {
			t.Errorf("licence %s: %d", p, r.StatusCode)
		}
	}
	if r, _ := get(t, s.url+"/playground/assets/nope.js", ""); r.StatusCode != http.StatusNotFound {
		t.Errorf("unknown asset: %d, want 404", r.StatusCode)
	}
}

func checkIndex(t *testing.T, s *testServer, playground bool) {
	res, body := get(t, s.url+"/", "text/html,application/xhtml+xml,application/json;q=0.9,*/*;q=0.8")
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET / for a browser: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	for _, want := range []string{`href="/healthz"`, `href="/readyz"`, "/graphql", "docs/sync.md"} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if got := strings.Contains(body, `href="/playground"`); got != playground {
		t.Errorf("page links the playground: %v, want %v", got, playground)
	}

	res, body = get(t, s.url+"/", "application/json")
	if !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("GET / for JSON: Content-Type %s", res.Header.Get("Content-Type"))
	}
	var ix index
	if err := json.Unmarshal([]byte(body), &ix); err != nil {
		t.Fatal(err)
	}
	if ix.GraphQL != "/graphql" || ix.Health != "/healthz" || ix.Ready != "/readyz" || len(ix.Docs) == 0 {
		t.Errorf("JSON index: %+v", ix)
	}
	if got := ix.Playground == "/playground"; got != playground {
		t.Errorf("JSON names the playground: %q, want %v", ix.Playground, playground)
	}
	// The index is / only: other paths stay 404.
	if r, _ := get(t, s.url+"/nothing-here", ""); r.StatusCode != http.StatusNotFound {
		t.Errorf("GET /nothing-here: %d, want 404", r.StatusCode)
	}
}

func get(t *testing.T, url, accept string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// TestIndexDocsExist: the documents GET / names are in the repository.
func TestIndexDocsExist(t *testing.T) {
	var ix index
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("Accept", "application/json")
	serveIndex(false)(rec, req)
	if err := json.Unmarshal(rec.Body.Bytes(), &ix); err != nil || len(ix.Docs) == 0 {
		t.Fatalf("index: %v %q", err, rec.Body.String())
	}
	for _, d := range ix.Docs {
		if _, err := os.Stat(filepath.Join("..", d)); err != nil {
			t.Errorf("GET / names %s: %v", d, err)
		}
	}
}
