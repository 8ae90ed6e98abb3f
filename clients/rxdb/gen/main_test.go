package main

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
)

// TestGeneratedIsCurrent: the package's checked-in schemas and schema history
// are what the generator makes of the GraphQL schema now (CI also regenerates
// and diffs).
func TestGeneratedIsCurrent(t *testing.T) {
	s, err := load("../../../graph/schema")
	if err != nil {
		t.Fatal(err)
	}
	colls, err := collections(s)
	if err != nil {
		t.Fatal(err)
	}
	h, err := readHistory("history.json")
	if err != nil {
		t.Fatal(err)
	}
	next, versions := versionsOf(s, colls, h)
	if !reflect.DeepEqual(next, h) {
		t.Errorf("clients/rxdb/gen/history.json is stale: run go generate ./clients/rxdb/...")
	}
	js, dts := render(s, colls, versions)
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

// TestVersions: an unchanged schema keeps its version and leaves the history
// as it is (re-running the generator changes nothing); a changed one appends
// a hash and takes the next version; a schema changed back is a new version
// again, since RxDB versions only go up. The seeded history makes the problems
// schema of release 11bd572 version 0 and today's version 1.
func TestVersions(t *testing.T) {
	s, err := load("../../../graph/schema")
	if err != nil {
		t.Fatal(err)
	}
	colls, err := collections(s)
	if err != nil {
		t.Fatal(err)
	}
	var problems []*collection
	for _, c := range colls {
		if c.Name == "problems" {
			problems = append(problems, c)
		}
	}
	cur := schemaHash(rxSchema(s, problems[0]))

	h, v := versionsOf(s, problems, history{})
	if v["problems"] != 0 || !reflect.DeepEqual(h, history{"problems": {cur}}) {
		t.Fatalf("first run: %v %v", h, v)
	}
	h2, v2 := versionsOf(s, problems, h)
	if v2["problems"] != 0 || !reflect.DeepEqual(h2, h) {
		t.Fatalf("re-run changed the history: %v %v", h2, v2)
	}
	old := history{"problems": {"aaaa", cur, "bbbb"}}
	h3, v3 := versionsOf(s, problems, old)
	if v3["problems"] != 3 || len(h3["problems"]) != 4 || h3["problems"][3] != cur || len(old["problems"]) != 3 {
		t.Fatalf("changed back: %v %v (input %v)", h3, v3, old)
	}

	// A change of any field (a description too) is a new version.
	p := *problems[0]
	doc := *p.Doc
	doc.Fields = append(ast.FieldList{}, doc.Fields...)
	doc.Fields = append(doc.Fields, &ast.FieldDefinition{Name: "extra", Type: &ast.Type{NamedType: "String"}})
	p.Doc = &doc
	h4, v4 := versionsOf(s, []*collection{&p}, h)
	if v4["problems"] != 1 || len(h4["problems"]) != 2 {
		t.Fatalf("new field: %v %v", h4, v4)
	}

	checked, err := readHistory("history.json")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(checked["problems"]); n != 2 {
		t.Fatalf("problems history has %d entries, want 2 (release 11bd572, today)", n)
	}
	for _, c := range colls {
		if c.Name != "problems" && len(checked[c.Name]) != 1 {
			t.Errorf("%s changed since release 11bd572? history %v", c.Name, checked[c.Name])
		}
	}
}
