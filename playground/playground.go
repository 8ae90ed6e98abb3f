// Package playground serves a GraphiQL page whose every script, style and font
// comes from this binary, so that the playground works with no route to the
// internet (an intranet, a blocked or slow CDN). The third-party files under
// assets/ are pinned npm packages put there by ./gen; static/ holds the page's
// own script (the sign-in box) and style.
package playground

//go:generate go run ./gen

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"
)

//go:embed assets static
var files embed.FS

// etags are the files' content hashes: the files change only with the binary,
// so a browser revalidates cheaply (304) instead of downloading 1.6 MB again.
var etags = func() map[string]string {
	m := map[string]string{}
	_ = fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		h := sha256.Sum256(b)
		m[p] = `"` + hex.EncodeToString(h[:12]) + `"`
		return nil
	})
	return m
}()

var page = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Lianqi GraphQL playground</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{{.Base}}/assets/graphiql/graphiql.min.css">
<link rel="stylesheet" href="{{.Base}}/static/playground.css">
</head>
<body data-endpoint="{{.Endpoint}}">
<header id="bar">
  <strong>Lianqi GraphQL</strong>
  <form id="signin" autocomplete="on">
    <label>Username <input id="username" name="username" autocomplete="username" required></label>
    <label>Password <input id="password" name="password" type="password" autocomplete="current-password" required></label>
    <button id="signin-button" type="submit">Sign in</button>
  </form>
  <div id="session" hidden>
    Signed in as <span id="who"></span>
    <button id="signout" type="button">Sign out</button>
  </div>
  <span id="status" role="status" aria-live="polite"></span>
</header>
<main id="graphiql"><p class="loading">Loading the playground…</p></main>
<noscript>The playground needs JavaScript; the API itself is at {{.Endpoint}}.</noscript>
<script src="{{.Base}}/assets/react/react.production.min.js"></script>
<script src="{{.Base}}/assets/react-dom/react-dom.production.min.js"></script>
<script src="{{.Base}}/assets/graphiql/graphiql.min.js"></script>
<script src="{{.Base}}/static/playground.js"></script>
</body>
</html>
`))

// Handler serves the playground page for the GraphQL API at endpoint (a path
// such as "/graphql", or an absolute URL) and, under the page's path, its
// files: mount it on both "/playground" and "/playground/". Every answer
// carries a Content-Security-Policy that allows this origin only (and the
// endpoint's, when absolute), so that nothing on the page reaches elsewhere.
func Handler(endpoint string) http.Handler {
	csp := policy(endpoint)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		p := r.URL.Path
		for _, root := range []string{"/assets/", "/static/"} {
			if i := strings.Index(p, root); i >= 0 {
				serveFile(w, r, root[1:]+p[i+len(root):])
				return
			}
		}
		if len(p) > 1 && strings.HasSuffix(p, "/") {
			http.Redirect(w, r, strings.TrimSuffix(p, "/"), http.StatusMovedPermanently)
			return
		}
		var buf bytes.Buffer
		// Links relative to the page's own name work wherever the handler is
		// mounted: /x/playground links playground/assets/…
		base := path.Base(p)
		if base == "/" || base == "." {
			base = "."
		}
		if err := page.Execute(&buf, map[string]string{"Base": base, "Endpoint": endpoint}); err != nil {
			http.Error(w, "playground page", http.StatusInternalServerError)
			return
		}
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Control", "no-cache")
		_, _ = w.Write(buf.Bytes())
	})
}

func serveFile(w http.ResponseWriter, r *http.Request, name string) {
	tag, ok := etags[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	b, _ := files.ReadFile(name)
	w.Header().Set("ETag", tag)
	w.Header().Set("Cache-Control", "no-cache")
	if strings.HasSuffix(name, "/LICENSE") {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	}
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(b))
}

// policy is the page's Content-Security-Policy. Styles may be inline because
// GraphiQL and CodeMirror set them on elements at run time; fonts and images
// may be data: URLs because GraphiQL's stylesheet embeds its fonts and icons
// that way. Scripts are only this origin's files: the page has no inline script.
func policy(endpoint string) string {
	connect := "'self'"
	if u, err := url.Parse(endpoint); err == nil && u.Host != "" {
		// An API on another origin: its HTTP and WebSocket origins.
		ws := "ws"
		if u.Scheme == "https" {
			ws = "wss"
		}
		connect += " " + u.Scheme + "://" + u.Host + " " + ws + "://" + u.Host
	}
	return strings.Join([]string{
		"default-src 'none'",
		"script-src 'self'",
		"style-src 'self' 'unsafe-inline'",
		"img-src 'self' data:",
		"font-src 'self' data:",
		"connect-src " + connect,
		"base-uri 'none'",
		"form-action 'none'",
		"frame-ancestors 'none'",
	}, "; ")
}
