package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGeneratedIsCurrent: the package's checked-in schemas are what the
// generator makes of the GraphQL schema now (CI also regenerates and diffs).
func TestGeneratedIsCurrent(t *testing.T) {
	s, err := load("../../../graph/schema")
	if err != nil {
		t.Fatal(err)
	}
	colls, err := collections(s)
	if err != nil {
		t.Fatal(err)
	}
	js, dts := render(s, colls)
	for name, want := range map[string][]byte{"generated.js": js, "generated.d.ts": dts} {
		got, err := os.ReadFile(filepath.Join("..", "src", name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("clients/rxdb/src/%s is stale: run go generate ./clients/rxdb/...", name)
		}
	}
}

// TestCollections: every pull query is a collection; push, row and stream are
// found by name; push-only input fields become local fields; deleted is not a
// stored field.
func TestCollections(t *testing.T) {
	s, err := load("../../../graph/schema")
	if err != nil {
		t.Fatal(err)
	}
	colls, err := collections(s)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*collection{}
	var names []string
	for _, c := range colls {
		byName[c.Name] = c
		names = append(names, c.Name)
	}
	if got := strings.Join(names, ","); got != "problems,progressNotes,visits,enterprises,pairings,officials" {
		t.Fatalf("collections %s", got)
	}
	p := byName["problems"]
	if p.Push != "pushProblems" || p.PushRow != "ProblemPushRow" || p.Stream != "streamProblems" || p.Doc.Name != "ProblemDoc" {
		t.Fatalf("problems: %+v", p)
	}
	if len(p.LocalOnly) != 1 || p.LocalOnly[0].Name != "statusReason" {
		t.Fatalf("problems local fields: %v", p.LocalOnly)
	}
	if e := byName["enterprises"]; e.Push != "" || e.Input != nil {
		t.Fatalf("enterprises are read-only: %+v", e)
	}
	props := rxSchema(s, p)["properties"].(map[string]any)
	if _, ok := props["deleted"]; ok {
		t.Fatal("deleted is RxDB's _deleted, not a schema field")
	}
	if id := props["id"].(map[string]any); id["maxLength"] != 100 {
		t.Fatalf("primary key: %v", id)
	}
	if st := props["status"].(map[string]any); st["enum"].([]any)[len(st["enum"].([]any))-1] != nil {
		t.Fatalf("a nullable enum admits null: %v", st)
	}
	if tags := props["tags"].(map[string]any); tags["type"] != "array" {
		t.Fatalf("tags: %v", tags)
	}
}
