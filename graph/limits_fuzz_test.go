package graph

import (
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
)

// FuzzLimits feeds documents through the request limits as the server does:
// the pre-validation bounds, gqlgen's validation, then the cost walk. Whatever
// the input, nothing panics, a document that passed the bounds is within
// them, and the walk visits no more selections than the document holds.
// `go test ./graph -run '^$' -fuzz FuzzLimits`; the kept corpus is in
// testdata/fuzz/FuzzLimits and runs with the ordinary tests.
func FuzzLimits(f *testing.F) {
	for _, q := range []string{
		`{me{id}}`,
		`{problems(first:5){totalCount edges{node{id title enterprise{name}}}}}`,
		`query($n:Int){problems(first:$n){edges{node{progressNotes{text}}}}}`,
		`{problemStats{collected byTown{key}} officialRanking{rank total}}`,
		fragmentTower(12, "__typename"),
		fragmentTower(6, "me { id }"),
		`{...A} fragment A on Query {...B} fragment B on Query {...A}`,
		`{__schema{queryType{name}}}`,
		"{" + strings.Repeat(" __typename", 600) + "}",
		`{problems(first: {}){totalCount}}`,
		`{a(b:[[[[[[1]]]]]])}`,
	} {
		f.Add(q)
	}
	l := testLimits()
	f.Fuzz(func(t *testing.T, query string) {
		if l.checkDocument(query) != nil {
			return
		}
		if len(query) > l.MaxQueryBytes {
			t.Fatalf("a %d-byte document passed", len(query))
		}
		doc, err := parser.ParseQuery(&ast.Source{Input: query})
		if err != nil {
			return
		}
		written := 0
		for _, op := range doc.Operations {
			written = countSelections(op.SelectionSet, written, 1<<30)
		}
		for _, fr := range doc.Fragments {
			written = countSelections(fr.SelectionSet, written, 1<<30)
		}
		if written > l.MaxSelections {
			t.Fatalf("a document with %d selections passed", written)
		}
		if errs := validator.Validate(testSchema, doc); len(errs) > 0 {
			return
		}
		for _, op := range doc.Operations {
			w := newWalker(map[string]any{"n": 100}, l.MaxCost, l.MaxDepth)
			m := w.set(op.SelectionSet, 0)
			if w.visits > written {
				t.Fatalf("walk visited %d selections, the document has %d", w.visits, written)
			}
			if m.cost < 0 || m.depth < 0 {
				t.Fatalf("cost %d, depth %d", m.cost, m.depth)
			}
		}
	})
}
