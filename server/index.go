package main

import (
	"html/template"
	"net/http"
	"strings"
)

// index is what GET / answers: where the API, the playground and the health
// checks are, for a person who opened the server's address in a browser and
// for a script that asks for JSON.
type index struct {
	Name       string `json:"name"`
	GraphQL    string `json:"graphql"`
	Playground string `json:"playground,omitempty"`
	Health     string `json:"health"`
	Ready      string `json:"ready"`
	JWKS       string `json:"jwks"`
	// Docs are paths in the source repository: the server serves no
	// documentation, and a link to a public code host would be dead on the
	// intranets this is meant for.
	Docs []string `json:"docs"`
}

var indexPage = template.Must(template.New("index").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Name}}</title>
<style>body { font-family: system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.5; }</style>
</head>
<body>
<h1>{{.Name}}</h1>
<ul>
{{- if .Playground}}
<li><a href="{{.Playground}}">GraphQL playground</a> (GraphiQL, with a sign-in box)</li>
{{- end}}
<li>GraphQL API: <code>POST {{.GraphQL}}</code> (queries also over GET, subscriptions over WebSocket)</li>
<li><a href="{{.Health}}">{{.Health}}</a>: the process is up; <a href="{{.Ready}}">{{.Ready}}</a>: the database answers</li>
<li><a href="{{.JWKS}}">{{.JWKS}}</a>: the keys that verify its tokens</li>
<li>Documentation, in the source repository: {{range $i, $d := .Docs}}{{if $i}}, {{end}}<code>{{$d}}</code>{{end}}</li>
</ul>
</body>
</html>
`))

func serveIndex(playground bool) http.HandlerFunc {
	ix := index{Name: "Lianqi GraphQL API", GraphQL: "/graphql", Health: "/healthz", Ready: "/readyz", JWKS: "/.well-known/jwks.json",
		Docs: []string{"README.md", "docs/domain.md", "docs/sync.md", "docs/ranking.md", "docs/security.md", "docs/deploy.md", "docs/performance.md"}}
	if playground {
		ix.Playground = "/playground"
	}
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Vary", "Accept")
		accept := r.Header.Get("Accept")
		if strings.Contains(accept, "application/json") && !strings.Contains(accept, "text/html") {
			writeJSON(w, http.StatusOK, ix)
			return
		}
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = indexPage.Execute(w, ix)
	}
}
