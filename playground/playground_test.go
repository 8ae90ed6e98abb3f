package playground

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func serve(h http.Handler, path string, header ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestHandler(t *testing.T) {
	h := Handler("/graphql")
	for _, tc := range []struct {
		name, path string
		status     int
		typ        string
	}{
		{"Page", "/playground", http.StatusOK, "text/html"},
		{"GraphiQL", "/playground/assets/graphiql/graphiql.min.js", http.StatusOK, "text/javascript"},
		{"GraphiQLStyle", "/playground/assets/graphiql/graphiql.min.css", http.StatusOK, "text/css"},
		{"React", "/playground/assets/react/react.production.min.js", http.StatusOK, "text/javascript"},
		{"ReactDOM", "/playground/assets/react-dom/react-dom.production.min.js", http.StatusOK, "text/javascript"},
		{"Licence", "/playground/assets/react/LICENSE", http.StatusOK, "text/plain"},
		{"Script", "/playground/static/playground.js", http.StatusOK, "text/javascript"},
		{"ErrUnknownAsset", "/playground/assets/react/react.development.js", http.StatusNotFound, ""},
		{"ErrEscape", "/playground/assets/../playground.go", http.StatusNotFound, ""},
		{"TrailingSlash", "/playground/", http.StatusMovedPermanently, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := serve(h, tc.path)
			if rec.Code != tc.status {
				t.Fatalf("GET %s: %d, want %d", tc.path, rec.Code, tc.status)
			}
			if !strings.HasPrefix(rec.Header().Get("Content-Type"), tc.typ) {
				t.Errorf("Content-Type %q, want %s", rec.Header().Get("Content-Type"), tc.typ)
			}
			if rec.Header().Get("Content-Security-Policy") == "" || rec.Header().Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("security headers missing: %v", rec.Header())
			}
		})
	}
}

// TestRevalidate: a browser that has the file gets 304, not 1 MB again.
func TestRevalidate(t *testing.T) {
	h := Handler("/graphql")
	const p = "/playground/assets/graphiql/graphiql.min.js"
	first := serve(h, p)
	tag := first.Header().Get("ETag")
	if tag == "" || first.Body.Len() < 100_000 {
		t.Fatalf("first GET: ETag %q, %d bytes", tag, first.Body.Len())
	}
	if again := serve(h, p, "If-None-Match", tag); again.Code != http.StatusNotModified || again.Body.Len() != 0 {
		t.Errorf("GET with If-None-Match: %d, %d bytes; want 304", again.Code, again.Body.Len())
	}
}

// TestMounted: the page's links are relative to its own name, so it works
// under another path too.
func TestMounted(t *testing.T) {
	h := Handler("/api/graphql")
	page := serve(h, "/admin/explorer").Body.String()
	for _, want := range []string{`src="explorer/assets/graphiql/graphiql.min.js"`, `src="explorer/static/playground.js"`, `data-endpoint="/api/graphql"`} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if rec := serve(h, "/admin/explorer/assets/graphiql/graphiql.min.js"); rec.Code != http.StatusOK {
		t.Errorf("asset under the mount: %d", rec.Code)
	}
}

func TestPolicy(t *testing.T) {
	for _, tc := range []struct {
		name, endpoint, connect string
	}{
		{"SameOrigin", "/graphql", "connect-src 'self';"},
		{"OtherOrigin", "https://api.example.org/graphql", "connect-src 'self' https://api.example.org wss://api.example.org;"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			csp := serve(Handler(tc.endpoint), "/playground").Header().Get("Content-Security-Policy")
			if !strings.Contains(csp, tc.connect) || !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "script-src 'self';") {
				t.Errorf("CSP %q, want %q", csp, tc.connect)
			}
		})
	}
}
