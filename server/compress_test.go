package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/klauspost/compress/zstd"

	lqsync "github.com/lianqi/lianqi/sync"
	"github.com/lianqi/lianqi/sync/client"
)

// pullQuery is a sync client's first pull of problems (documents with every
// field the client keeps).
const pullQuery = `query($limit:Int,$v:Int!){r:pullProblems(limit:$limit,schemaVersion:$v){documents{id enterpriseId category title description status level responsibleDepartment coordinatingDepartments escalationMode tags reportedBy reportedAt respondBy resolveBy respondedAt resolvedAt version updatedAt hlc deleted} checkpoint{cursor seq} resync}}`

// encoded sends a POST with the given Accept-Encoding ("identity" for none)
// and returns the encoding of the answer, its size on the wire and its
// decoded body.
func (s *testServer) encoded(t testing.TB, acceptEncoding, token, query string, vars map[string]any) (enc string, wire int, body []byte) {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, s.url+"/graphql", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	// Set by hand, Go's client neither adds gzip nor decodes the answer.
	req.Header.Set("Accept-Encoding", acceptEncoding)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	enc = res.Header.Get("Content-Encoding")
	var r io.Reader = bytes.NewReader(raw)
	switch enc {
	case "gzip":
		if r, err = gzip.NewReader(r); err != nil {
			t.Fatal(err)
		}
	case "zstd":
		d, err := zstd.NewReader(r)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		r = d
	case "":
	default:
		t.Fatalf("Content-Encoding %q", enc)
	}
	if body, err = io.ReadAll(r); err != nil {
		t.Fatalf("decode %s: %v", enc, err)
	}
	if enc != "" && !strings.Contains(res.Header.Get("Vary"), "Accept-Encoding") {
		t.Errorf("compressed answer without Vary: Accept-Encoding")
	}
	return enc, len(raw), body
}

// TestCompression: JSON answers (here a sync pull) come compressed with
// zstd or gzip as the client accepts, decode to the plain answer, small
// answers stay plain, and WebSockets still open when the browser offers
// compression.
func TestCompression(t *testing.T) {
	s := startServer(t)
	token := s.token("zhoushiyue")
	vars := map[string]any{"limit": 25, "v": lqsync.SchemaVersion}
	_, plainSize, plain := s.encoded(t, "identity", token, pullQuery, vars)
	if !json.Valid(plain) || !strings.Contains(string(plain), `"documents"`) || plainSize < 2048 {
		t.Fatalf("plain pull of %d bytes: %.200s", plainSize, plain)
	}
	for _, tt := range []struct {
		name, accept, want string
	}{
		{"gzip", "gzip", "gzip"},
		{"zstd", "zstd", "zstd"},
		{"zstd preferred", "gzip, deflate, br, zstd", "zstd"},
		{"gzip when zstd refused", "gzip, zstd;q=0", "gzip"},
		{"none", "identity", ""},
		{"unknown", "br", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			enc, wire, body := s.encoded(t, tt.accept, token, pullQuery, vars)
			if enc != tt.want {
				t.Fatalf("Content-Encoding %q, want %q", enc, tt.want)
			}
			// Only the checkpoint's cursor may differ between two pulls.
			if len(body) != len(plain) {
				t.Errorf("decoded %d bytes, plain answer %d", len(body), len(plain))
			}
			if enc != "" && wire*2 > plainSize {
				t.Errorf("%s: %d bytes of %d", enc, wire, plainSize)
			}
		})
	}
	t.Run("small answers stay plain", func(t *testing.T) {
		if enc, _, body := s.encoded(t, "gzip, zstd", token, `{__typename}`, nil); enc != "" || !strings.Contains(string(body), "Query") {
			t.Fatalf("Content-Encoding %q: %s", enc, body)
		}
	})
	t.Run("WebSocket", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		h := http.Header{"Accept-Encoding": {"gzip, deflate, br, zstd"}}
		conn, res, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.url, "http")+"/graphql",
			&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}, HTTPHeader: h})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.CloseNow()
		if enc := res.Header.Get("Content-Encoding"); enc != "" {
			t.Fatalf("upgrade answered with Content-Encoding %q", enc)
		}
		c := &wsClient{t: t, conn: conn}
		if m := c.init(token); m.Type != "connection_ack" {
			t.Fatalf("connection_init answered %+v", m)
		}
	})
}

// BenchmarkPullCompression: the wire size of a first sync pull of 25
// problems, plain and compressed, with the ratio to plain, on the demo
// programme plus 1,000 problems. Results in docs/performance.md.
//
//	go test ./server -run '^$' -bench PullCompression -benchtime 20x
func BenchmarkPullCompression(b *testing.B) {
	s, _ := benchServer(b, 1000)
	token := s.token("zhoushiyue")
	vars := map[string]any{"limit": 25, "v": lqsync.SchemaVersion}
	_, plain, _ := s.encoded(b, "identity", token, pullQuery, vars)
	for _, enc := range []string{"identity", "gzip", "zstd"} {
		b.Run(enc, func(b *testing.B) {
			wire := 0
			for b.Loop() {
				_, wire, _ = s.encoded(b, enc, token, pullQuery, vars)
			}
			b.ReportMetric(float64(wire), "wirebytes")
			b.ReportMetric(float64(plain)/float64(wire), "ratio")
		})
	}
	// The same through the sync client, which leaves Accept-Encoding to Go's
	// transport (gzip, decoded transparently): the pull works end to end.
	tr := &client.HTTP{URL: s.url + "/graphql", Token: token}
	if _, err := tr.Pull(context.Background(), lqsync.Problems, nil, 25); err != nil {
		b.Fatal(fmt.Errorf("sync client over gzip: %w", err))
	}
}
