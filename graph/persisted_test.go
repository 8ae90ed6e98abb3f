package graph

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// TestErrorPresenterGivesEveryErrorACode: an error gqlgen raises without a
// code still gets one: the caller's at request level, ours (logged) on a field.
func TestErrorPresenterGivesEveryErrorACode(t *testing.T) {
	for _, tc := range []struct {
		name   string
		err    *gqlerror.Error
		code   string
		logged bool
	}{
		{"RequestLevel", gqlerror.Errorf("operation could not be read"), codeBadRequest, false},
		{"OnAField", &gqlerror.Error{Message: "must not be null", Path: ast.Path{ast.PathName("me")}}, "INTERNAL_SERVER_ERROR", true},
		{"KeepsItsCode", &gqlerror.Error{Message: "x", Extensions: map[string]any{"code": "GRAPHQL_PARSE_FAILED"}}, "GRAPHQL_PARSE_FAILED", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			gerr := errorPresenter(slog.New(slog.NewTextHandler(&logs, nil)))(context.Background(), tc.err)
			if gerr.Extensions["code"] != tc.code || (logs.Len() > 0) != tc.logged {
				t.Fatalf("code %v, logged %q", gerr.Extensions["code"], logs.String())
			}
		})
	}
}

func TestParseManifest(t *testing.T) {
	for _, tc := range []struct {
		name, json, err string
	}{
		{"OK", `{"format":"apollo-persisted-query-manifest","version":1,"operations":[{"id":"a","name":"A","type":"query","body":"{me{id}}"}]}`, ""},
		{"Empty", `{"format":"apollo-persisted-query-manifest","version":1,"operations":[]}`, ""},
		{"NotJSON", `{`, "unexpected end"},
		{"OtherFormat", `{"format":"relay","version":1}`, "want apollo-persisted-query-manifest version 1"},
		{"OtherVersion", `{"format":"apollo-persisted-query-manifest","version":2}`, "version 2"},
		{"NoBody", `{"format":"apollo-persisted-query-manifest","version":1,"operations":[{"id":"a","name":"A"}]}`, "no id or no body"},
		{"IDTwice", `{"format":"apollo-persisted-query-manifest","version":1,"operations":[{"id":"a","body":"{me{id}}"},{"id":"a","body":"{me{username}}"}]}`, "two different operations"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseManifest([]byte(tc.json))
			if (err == nil) != (tc.err == "") || (err != nil && !strings.Contains(err.Error(), tc.err)) {
				t.Fatalf("error %v, want %q", err, tc.err)
			}
		})
	}
}

// TestQueryCacheIsBounded: documents are dropped least recently used first
// once their total size passes the bound, and one larger than it is not kept.
func TestQueryCacheIsBounded(t *testing.T) {
	c := newQueryCache(10)
	c.add("a", "aaaa")
	c.add("b", "bbbb")
	if _, ok := c.get("a"); !ok { // a is now the most recent
		t.Fatal("a dropped too early")
	}
	c.add("c", "cccc") // 12 bytes: b goes
	if _, ok := c.get("b"); ok {
		t.Error("b kept past the bound")
	}
	for _, h := range []string{"a", "c"} {
		if _, ok := c.get(h); !ok {
			t.Errorf("%s dropped", h)
		}
	}
	c.add("d", strings.Repeat("d", 11))
	if _, ok := c.get("d"); ok || c.size > c.max {
		t.Errorf("size %d over %d", c.size, c.max)
	}
}
