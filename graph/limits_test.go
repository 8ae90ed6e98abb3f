package graph

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/lianqi/lianqi/domain"
)

var testSchema = NewExecutableSchema(Config{Resolvers: &Resolver{}}).Schema()

func testLimits() limits {
	return limits{MaxDepth: 12, MaxCost: 5000, MaxQueryBytes: DefaultMaxQueryBytes, MaxTokens: DefaultMaxTokens,
		MaxSelections: DefaultMaxSelections, Introspection: "off"}
}

// validated parses and validates a query against the real schema.
func validated(t testing.TB, query string) *ast.QueryDocument {
	t.Helper()
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	if errs := validator.Validate(testSchema, doc); len(errs) > 0 {
		t.Fatalf("validate: %v", errs)
	}
	return doc
}

func fragmentTower(levels int, leaf string) string {
	var b strings.Builder
	b.WriteString("{ ...F0 }")
	for i := range levels {
		fmt.Fprintf(&b, " fragment F%d on Query { ...F%d ...F%d }", i, i+1, i+1)
	}
	fmt.Fprintf(&b, " fragment F%d on Query { %s }", levels, leaf)
	return b.String()
}

// TestWalkIsLinear counts the selections the cost walk visits: at most the
// number written in the document, however the fragments multiply.
func TestWalkIsLinear(t *testing.T) {
	for _, tc := range []struct {
		name, query string
		want        string // "" accepted, else a refusal (a limit passed)
	}{
		{"Tower40Typename", fragmentTower(40, "__typename"), "cost"},
		{"Tower40Field", fragmentTower(40, "me { id }"), "cost"},
		{"Tower5Field", fragmentTower(5, "me { id }"), ""},
		{"Tower40Schema", fragmentTower(40, "__schema { queryType { name } }"), "cost"},
		{"DeepThroughFragments", `{...A} fragment A on Query { problems(first:1){edges{node{enterprise{...B}}}} } fragment B on Enterprise { problems(first:1){edges{node{enterprise{...C}}}} } fragment C on Enterprise { problems(first:1){edges{node{enterprise{name}}}} }`, "depth"},
		{"Stats", `{problemStats{collected}}`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := validated(t, tc.query)
			w := newWalker(nil, 5000, 12)
			m := w.set(doc.Operations[0].SelectionSet, 0)
			written := 0
			for _, f := range doc.Fragments {
				written = countSelections(f.SelectionSet, written, 1<<30)
			}
			written = countSelections(doc.Operations[0].SelectionSet, written, 1<<30)
			if w.visits > written {
				t.Errorf("walk visited %d selections, the document has %d", w.visits, written)
			}
			got := ""
			switch {
			case w.overCost || m.cost > 5000:
				got = "cost"
			case w.overDepth || m.depth > 12:
				got = "depth"
			}
			if got != tc.want {
				t.Fatalf("limit passed %q (cost %d, depth %d), want %q", got, m.cost, m.depth, tc.want)
			}
		})
	}
}

func TestCost(t *testing.T) {
	for _, tc := range []struct {
		query string
		want  int
	}{
		{`{me{id}}`, 2},
		{`{__typename}`, 0},
		{`{problemStats{collected}}`, statsCost + 1},
		{`{a: problemStats{collected} b: problemStats{collected}}`, 2 * (statsCost + 1)},
		{`{problems(first:100){edges{node{progressNotes{text}}}}}`, listingCost + 100*(1+1+(1+10*1))},
		{`{problems(first:10){totalCount}}`, listingCost + 10},
		{`{enterprises(first:10){edges{node{pairings{id}}}}}`, listingCost + 10*(1+1+(1+listLengths["Enterprise.pairings"]))},
		{`{problems(first:10){edges{node{enterprise{pairings{id}}}}}}`, listingCost + 10*(1+1+(1+(1+listLengths["Enterprise.pairings"])))},
		{`{...F} fragment F on Query {me{id}}`, 3},
		// The dashboard docs/security.md quotes.
		{`{problemStats{collected resolved byCategory{key collected}} officialRanking{rank name total} problems(first:20){totalCount edges{node{id title status enterprise{name}}}}}`, 1253},
	} {
		t.Run(tc.query, func(t *testing.T) {
			doc := validated(t, tc.query)
			w := newWalker(nil, 1<<40, 100)
			if m := w.set(doc.Operations[0].SelectionSet, 0); m.cost != tc.want {
				t.Fatalf("cost %d, want %d", m.cost, tc.want)
			}
		})
	}
}

func TestCheckDocument(t *testing.T) {
	l := testLimits()
	for _, tc := range []struct {
		name, query string
		refused     bool
	}{
		{"Small", `{me{id}}`, false},
		{"Bytes", "{" + strings.Repeat(" __typename", 16000) + "}", true},
		{"Selections", "{" + strings.Repeat(" a", DefaultMaxSelections+1) + "}", true},
		{"SelectionsAtLimit", "{" + strings.Repeat(" a", DefaultMaxSelections) + "}", false},
		{"SelectionsInUnusedFragments", "{a} fragment X on Query {" + strings.Repeat(" a", DefaultMaxSelections) + "}", true},
		{"Tokens", "{a(b:[" + strings.Repeat("1 ", DefaultMaxTokens) + "])}", true},
		{"SyntaxErrorLeftToParser", "{a(", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := l.checkDocument(tc.query); (err != nil) != tc.refused {
				t.Fatalf("refused %v (%v), want %v", err != nil, err, tc.refused)
			}
		})
	}
}

func TestGate(t *testing.T) {
	g := newGate(2, 1, 20*time.Millisecond)
	ctx := context.Background()
	doneA, err := g.enter(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.enter(ctx, "a"); domain.ErrorCode(err) != domain.ERATELIMITED {
		t.Fatalf("second slot for one owner: %v, want rate limited", err)
	}
	doneB, err := g.enter(ctx, "b")
	if err != nil {
		t.Fatalf("another owner: %v", err)
	}
	if _, err := g.enter(ctx, "c"); domain.ErrorCode(err) != domain.ERATELIMITED {
		t.Fatalf("over the overall cap: %v, want rate limited", err)
	}
	doneA()
	doneC, err := g.enter(ctx, "c")
	if err != nil {
		t.Fatalf("after a release: %v", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := g.enter(cancelled, "c"); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled wait: %v", err)
	}
	doneB()
	doneC()
	if len(g.owners) != 0 || len(g.all) != 0 {
		t.Fatalf("slots left behind: %d owners, %d overall", len(g.owners), len(g.all))
	}
}
