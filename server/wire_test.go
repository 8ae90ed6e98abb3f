package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"

	"github.com/lianqi/lianqi/graph"
)

// rawResponse is an HTTP answer from /graphql, decoded as far as it goes.
type rawResponse struct {
	status int
	header http.Header
	body   []byte
	gql    gqlResponse
}

// do sends any request to /graphql (path and query string appended), with
// extra headers if given.
func (s *testServer) do(t testing.TB, method, query, contentType, token string, body io.Reader, header ...string) rawResponse {
	t.Helper()
	return s.request(t, method, "/graphql"+query, contentType, token, body, header...)
}

// request sends any request to path on the server.
func (s *testServer) request(t testing.TB, method, path, contentType, token string, body io.Reader, header ...string) rawResponse {
	t.Helper()
	req, err := http.NewRequest(method, s.url+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := rawResponse{status: res.StatusCode, header: res.Header, body: b}
	_ = json.Unmarshal(b, &out.gql)
	return out
}

// postJSON posts v as the JSON body.
func (s *testServer) postJSON(t testing.TB, token string, v any) rawResponse {
	t.Helper()
	return s.do(t, http.MethodPost, "", "application/json", token, jsonBody(v))
}

// getQuery sends a GET with the given query-string parameters (JSON-encoding
// the non-string ones).
func (s *testServer) getQuery(t testing.TB, token string, params map[string]any) rawResponse {
	t.Helper()
	q := url.Values{}
	for k, v := range params {
		if str, ok := v.(string); ok {
			q.Set(k, str)
			continue
		}
		b, _ := json.Marshal(v)
		q.Set(k, string(b))
	}
	return s.do(t, http.MethodGet, "?"+q.Encode(), "", token, nil)
}

func sha256Of(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func persisted(hash string) map[string]any {
	return map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hash}}
}

// TestErrorCodes: every way a request can fail answers a GraphQL-shaped error
// with extensions.code, including those refused before any operation exists.
func TestErrorCodes(t *testing.T) {
	s := startServer(t)
	big := `{"query":"{__typename}","variables":{"x":"` + strings.Repeat("a", maxBodyBytes) + `"}}`
	tests := []struct {
		name        string
		method      string
		query       string // appended to /graphql
		contentType string
		body        io.Reader
		status      int
		code        string
		header      []string
	}{
		{"mutation over GET", http.MethodGet, "?query=" + url.QueryEscape(`mutation{logout}`), "", nil, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", nil},
		{"malformed JSON", http.MethodPost, "", "application/json", strings.NewReader(`{"query":`), http.StatusBadRequest, "BAD_REQUEST", nil},
		{"JSON that is no request", http.MethodPost, "", "application/json", strings.NewReader(`["{__typename}"]`), http.StatusBadRequest, "BAD_REQUEST", nil},
		{"unsupported content type", http.MethodPost, "", "text/plain", strings.NewReader(`{"query":"{__typename}"}`), http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", nil},
		{"other method", http.MethodPut, "", "application/json", strings.NewReader(`{"query":"{__typename}"}`), http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", nil},
		{"body too large", http.MethodPost, "", "application/json", strings.NewReader(big), http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE", nil},
		// io.MultiReader hides the length: the body goes chunked.
		{"chunked body too large", http.MethodPost, "", "application/json", io.MultiReader(strings.NewReader(big)), http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE", nil},
		{"malformed query string", http.MethodGet, "?query=%zz", "", nil, http.StatusBadRequest, "BAD_REQUEST", nil},
		{"malformed variables over GET", http.MethodGet, "?query=%7B__typename%7D&variables=%7B", "", nil, http.StatusBadRequest, "BAD_REQUEST", nil},
		{"malformed extensions over GET", http.MethodGet, "?query=%7B__typename%7D&extensions=nope", "", nil, http.StatusBadRequest, "BAD_REQUEST", nil},
		{"parse error", http.MethodPost, "", "application/json", strings.NewReader(`{"query":"{"}`), http.StatusUnprocessableEntity, "GRAPHQL_PARSE_FAILED", nil},
		{"validation error", http.MethodPost, "", "application/json", strings.NewReader(`{"query":"{nope}"}`), http.StatusUnprocessableEntity, "GRAPHQL_VALIDATION_FAILED", nil},
		{"no operation", http.MethodPost, "", "application/json", strings.NewReader(`{}`), http.StatusUnprocessableEntity, "GRAPHQL_VALIDATION_FAILED", nil},
		{"unknown operation name", http.MethodPost, "", "application/json", strings.NewReader(`{"query":"query A{__typename}","operationName":"B"}`), http.StatusUnprocessableEntity, "GRAPHQL_VALIDATION_FAILED", nil},
		{"variable of the wrong type", http.MethodPost, "", "application/json", strings.NewReader(`{"query":"query($n:Int!){problems(first:$n){totalCount}}","variables":{"n":"x"}}`), http.StatusUnprocessableEntity, "GRAPHQL_VALIDATION_FAILED", nil},
		{"bad persisted query extension", http.MethodPost, "", "application/json", strings.NewReader(`{"extensions":{"persistedQuery":{"version":2,"sha256Hash":"ab"}}}`), http.StatusOK, "BAD_REQUEST", nil},
		{"unknown persisted query", http.MethodPost, "", "application/json", strings.NewReader(`{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"ab"}}}`), http.StatusOK, "PERSISTED_QUERY_NOT_FOUND", nil},
		{"WebSocket from a foreign origin", http.MethodGet, "", "", nil, http.StatusForbidden, "FORBIDDEN",
			[]string{"Connection", "Upgrade", "Upgrade", "websocket", "Sec-WebSocket-Version", "13", "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==", "Origin", "https://evil.example.com"}},
		{"other upgrade", http.MethodGet, "", "", nil, http.StatusBadRequest, "BAD_REQUEST", []string{"Connection", "Upgrade", "Upgrade", "h2c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := s.do(t, tt.method, tt.query, tt.contentType, "", tt.body, tt.header...)
			if res.status != tt.status || res.gql.code() != tt.code {
				t.Fatalf("status %d code %q, want %d %q: %s", res.status, res.gql.code(), tt.status, tt.code, res.body)
			}
			if ct := res.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type %q", ct)
			}
			if len(res.body) > 1000 {
				t.Errorf("answer of %d bytes echoes the request", len(res.body))
			}
		})
	}
}

// TestAutomaticPersistedQueries: the Apollo APQ protocol over POST, GET and
// WebSocket: a hash alone is PERSISTED_QUERY_NOT_FOUND (message
// PersistedQueryNotFound) until the hash is sent with its query, which is
// checked; then the hash alone runs the query.
func TestAutomaticPersistedQueries(t *testing.T) {
	s := startServer(t)
	const query = `query Officials{officials(first:3){totalCount}}`
	hash := sha256Of(query)
	token := s.token("admin")
	want := func(t *testing.T, res rawResponse) {
		t.Helper()
		var out struct{ Officials struct{ TotalCount int } }
		res.gql.decode(t, &out)
		if res.status != http.StatusOK || out.Officials.TotalCount == 0 {
			t.Fatalf("status %d: %s", res.status, res.body)
		}
	}
	notFound := func(t *testing.T, res rawResponse) {
		t.Helper()
		if res.status != http.StatusOK || res.gql.code() != "PERSISTED_QUERY_NOT_FOUND" || res.gql.Errors[0].Message != "PersistedQueryNotFound" {
			t.Fatalf("hash alone: status %d: %s", res.status, res.body)
		}
	}

	t.Run("POST", func(t *testing.T) {
		notFound(t, s.postJSON(t, token, map[string]any{"extensions": persisted(hash)}))
		wrong := s.postJSON(t, token, map[string]any{"query": query + " ", "extensions": persisted(hash)})
		if wrong.gql.code() != "BAD_REQUEST" {
			t.Fatalf("query not matching its hash: %s", wrong.body)
		}
		notFound(t, s.postJSON(t, token, map[string]any{"extensions": persisted(hash)}))
		want(t, s.postJSON(t, token, map[string]any{"query": query, "extensions": persisted(hash)}))
		want(t, s.postJSON(t, token, map[string]any{"extensions": persisted(hash)}))
	})
	t.Run("GET", func(t *testing.T) {
		const q = `query OfficialsByGet{officials(first:2){totalCount}}`
		h := sha256Of(q)
		notFound(t, s.getQuery(t, token, map[string]any{"extensions": persisted(h)}))
		want(t, s.getQuery(t, token, map[string]any{"query": q, "extensions": persisted(h)}))
		want(t, s.getQuery(t, token, map[string]any{"extensions": persisted(h), "operationName": "OfficialsByGet"}))
		// Registered over POST, found over GET.
		want(t, s.getQuery(t, token, map[string]any{"extensions": persisted(hash)}))
	})
	t.Run("WebSocket", func(t *testing.T) {
		const q = `query OfficialsBySocket{officials(first:1){totalCount}}`
		h := sha256Of(q)
		c := s.openWS(t, "admin")
		c.send(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": "", "extensions": persisted(h)}})
		// gqlgen answers an operation that cannot start with "next" carrying
		// the errors, then "complete".
		m := c.nextOf(t)
		var p gqlResponse
		if m.Type != "next" || json.Unmarshal(m.Payload, &p) != nil || p.code() != "PERSISTED_QUERY_NOT_FOUND" {
			t.Fatalf("hash alone over the socket: %s %s", m.Type, m.Payload)
		}
		for m := c.nextOf(t); m.Type != "complete"; m = c.nextOf(t) {
		}
		c.send(map[string]any{"id": "2", "type": "subscribe", "payload": map[string]any{"query": q, "extensions": persisted(h)}})
		if m := c.nextOf(t); m.Type != "next" || !strings.Contains(string(m.Payload), "totalCount") {
			t.Fatalf("hash with query over the socket: %s %s", m.Type, m.Payload)
		}
		for m := c.nextOf(t); m.Type != "complete"; m = c.nextOf(t) {
		}
		c.send(map[string]any{"id": "3", "type": "subscribe", "payload": map[string]any{"query": "", "extensions": persisted(h)}})
		if m := c.nextOf(t); m.Type != "next" || !strings.Contains(string(m.Payload), "totalCount") {
			t.Fatalf("hash alone over the socket after registering: %s %s", m.Type, m.Payload)
		}
	})
}

// TestPersistedQueryAllowList: with --persisted-queries only the manifest's
// operations run, by id or by body, for every caller but admins.
func TestPersistedQueryAllowList(t *testing.T) {
	const listed = `query Officials{officials(first:3){totalCount}}`
	const custom = `query Me{me{username}}`
	manifest := map[string]any{
		"format": "apollo-persisted-query-manifest", "version": 1,
		"operations": []map[string]any{
			{"id": sha256Of(listed), "name": "Officials", "type": "query", "body": listed},
			{"id": "me-v1", "name": "Me", "type": "query", "body": custom},
			{"id": sha256Of(loginMutation), "name": "Login", "type": "mutation", "body": loginMutation},
		},
	}
	path := filepath.Join(t.TempDir(), "manifest.json")
	b, _ := json.Marshal(manifest)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, func(c *Config) { c.PersistedQueries = path })
	leader := s.token("zhoushiyue") // an official; the login mutation is listed

	tests := []struct {
		name  string
		token string
		body  map[string]any
		code  string // "" runs
	}{
		{"listed by id", leader, map[string]any{"extensions": persisted(sha256Of(listed))}, ""},
		{"listed by body", leader, map[string]any{"query": listed}, ""},
		{"listed by body and hash", leader, map[string]any{"query": listed, "extensions": persisted(sha256Of(listed))}, ""},
		{"listed by a custom id", leader, map[string]any{"extensions": persisted("me-v1")}, ""},
		{"custom id with its body", leader, map[string]any{"query": custom, "extensions": persisted("me-v1")}, ""},
		{"unlisted query", leader, map[string]any{"query": `{officials(first:1){totalCount}}`}, "PERSISTED_QUERY_NOT_ALLOWED"},
		{"unlisted hash", leader, map[string]any{"extensions": persisted(sha256Of("{me{id}}"))}, "PERSISTED_QUERY_NOT_ALLOWED"},
		{"unlisted query registered by APQ", leader, map[string]any{"query": "{me{id}}", "extensions": persisted(sha256Of("{me{id}}"))}, "PERSISTED_QUERY_NOT_ALLOWED"},
		{"hash of another query", leader, map[string]any{"query": "{me{id}}", "extensions": persisted(sha256Of(listed))}, "BAD_REQUEST"},
		{"anonymous unlisted", "", map[string]any{"query": `{__typename}`}, "PERSISTED_QUERY_NOT_ALLOWED"},
		{"admin bypasses the list", s.token("admin"), map[string]any{"query": `{officials(first:1){totalCount}}`}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := s.postJSON(t, tt.token, tt.body)
			if res.gql.code() != tt.code || (tt.code == "" && res.gql.Data == nil) {
				t.Fatalf("code %q, want %q: %s", res.gql.code(), tt.code, res.body)
			}
		})
	}
}

const loginMutation = `mutation($u:String!,$p:String!){login(username:$u,password:$p){accessToken}}`

var (
	fencedGraphQL = regexp.MustCompile("(?s)```graphql\n(.*?)```")
	inlineGraphQL = regexp.MustCompile("`((?:query|mutation|subscription)? ?\\{[^`]*\\})`")
)

// readmeOperations returns the GraphQL operations README.md shows, fenced or
// inline, each with every `first` set to the largest page (100).
func readmeOperations(t testing.TB) []*ast.QueryDocument {
	t.Helper()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	schema := graph.NewExecutableSchema(graph.Config{Resolvers: &graph.Resolver{}}).Schema()
	var texts []string
	for _, m := range fencedGraphQL.FindAllSubmatch(b, -1) {
		texts = append(texts, string(m[1]))
	}
	// Inline code that is GraphQL of this schema (not JSON, not a MongoDB filter).
	for _, m := range inlineGraphQL.FindAllSubmatch(b, -1) {
		if _, errs := gqlparser.LoadQuery(schema, string(m[1])); errs == nil {
			texts = append(texts, string(m[1]))
		}
	}
	var docs []*ast.QueryDocument
	for _, text := range texts {
		doc, errs := gqlparser.LoadQuery(schema, text)
		if errs != nil {
			t.Fatalf("README operation %s: %v", text, errs)
		}
		var widen func(ast.SelectionSet)
		widen = func(set ast.SelectionSet) {
			for _, sel := range set {
				switch s := sel.(type) {
				case *ast.Field:
					if s.Definition.Arguments.ForName("first") != nil {
						v := &ast.Value{Kind: ast.IntValue, Raw: "100"}
						if a := s.Arguments.ForName("first"); a != nil {
							a.Value = v
						} else {
							s.Arguments = append(s.Arguments, &ast.Argument{Name: "first", Value: v})
						}
					}
					widen(s.SelectionSet)
				case *ast.InlineFragment:
					widen(s.SelectionSet)
				}
			}
		}
		for _, op := range doc.Operations {
			widen(op.SelectionSet)
		}
		docs = append(docs, doc)
	}
	if len(docs) < 8 {
		t.Fatalf("found %d operations in README.md", len(docs))
	}
	return docs
}

// TestReadmeQueriesAtFullPageSize: every operation README.md shows, with
// every page at 100, passes the depth and cost limits with the default
// settings; the queries answer without errors against the demo programme.
// So does an officials page with posts and pairings, once refused.
func TestReadmeQueriesAtFullPageSize(t *testing.T) {
	s := startServer(t)
	token := s.token("admin")
	var ops []string
	for _, doc := range readmeOperations(t) {
		var buf bytes.Buffer
		formatter.NewFormatter(&buf).FormatQueryDocument(doc)
		if doc.Operations[0].Operation == ast.Subscription {
			continue // they wait for events; their selections are the same records'
		}
		ops = append(ops, buf.String())
	}
	// The selection changeOfficialPost shows, for a whole page of officials.
	const officials = `{ officials(first: 100) { totalCount edges { node { name currentPost { bureau title }
		posts { bureau title from to } pairings { enterprise { name } active } } } } }`
	ops = append(ops, officials)
	for _, op := range ops {
		t.Run(strings.Join(strings.Fields(op), " ")[:60], func(t *testing.T) {
			res := s.post(token, op, nil)
			if c := res.code(); strings.HasPrefix(c, "QUERY_TOO_") || (!strings.HasPrefix(op, "mutation") && c != "") {
				t.Fatalf("%s\n%s: %+v", op, c, res.Errors)
			}
		})
	}
	var out struct{ Officials struct{ TotalCount int } }
	s.post(token, officials, nil).decode(t, &out)
	if out.Officials.TotalCount < 10 {
		t.Fatalf("%d officials in the demo programme, want at least ten", out.Officials.TotalCount)
	}
}

// TestReadmeListsEveryErrorCode greps the server's code for the error codes
// it can emit and checks README.md's error table names each.
func TestReadmeListsEveryErrorCode(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	codes := map[string]bool{errcode.ParseFailed: true, errcode.ValidationFailed: true}
	for _, c := range graph.Codes {
		codes[c] = true
	}
	patterns := []*regexp.Regexp{
		regexp.MustCompile(`"code":\s*"([A-Z_]+)"`),
		regexp.MustCompile(`refuse\("([A-Z_]+)"`),
		regexp.MustCompile(`\bcode[A-Za-z]*\s*=\s*"([A-Z_]+)"`),
	}
	for _, dir := range []string{"../graph", "../server", "../auth", "../service", "../sync"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") || strings.HasSuffix(f, "generated.go") {
				continue
			}
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, re := range patterns {
				for _, m := range re.FindAllSubmatch(src, -1) {
					codes[string(m[1])] = true
				}
			}
		}
	}
	if len(codes) < 20 {
		t.Fatalf("found only %d codes: %v", len(codes), codes)
	}
	for c := range codes {
		if !bytes.Contains(readme, []byte("| `"+c+"`")) && !bytes.Contains(readme, []byte("`"+c+"` /")) && !bytes.Contains(readme, []byte("/ `"+c+"`")) {
			t.Errorf("README.md's error table lacks %s", c)
		}
	}
}

// TestPersistedQueriesBadManifest: the server does not start on an
// allow-list it cannot read.
func TestPersistedQueriesBadManifest(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"format":"relay","version":1}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{filepath.Join(dir, "missing.json"), bad} {
		cfg, err := ParseConfig([]string{"--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--log-level", "error", "--persisted-queries", path}, envOf(nil))
		if err != nil {
			t.Fatal(err)
		}
		m := &Main{Config: cfg}
		err = m.Run(context.Background())
		m.Close()
		if err == nil || !strings.Contains(err.Error(), "persisted queries") {
			t.Fatalf("%s: Run = %v, want a persisted queries error", path, err)
		}
	}
}
