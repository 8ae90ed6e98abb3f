package graph

import (
	"cmp"
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/lexer"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/lianqi/lianqi/domain"
	"github.com/lianqi/lianqi/service"
)

// Bounds on a query document, checked before gqlgen validates it. Validation
// compares every pair of fields that share a response name
// (OverlappingFieldsCanBeMerged), so its work grows with the square of the
// number of selections: 1,000 selections take ≈50 ms, 4,000 take ≈850 ms,
// 16,000 take over 10 s. 500 selections (≈13 ms at worst) is several times
// the largest query the clients send (a pull with every field has 26).
const (
	DefaultMaxQueryBytes  = 32 << 10
	DefaultMaxTokens      = 5000
	DefaultMaxSelections  = 500
	DefaultExpensiveWait  = 3 * time.Second
	defaultExpensiveAll   = 4
	defaultExpensiveOwner = 2
)

// Field weights: what one call of a field costs before its page size
// multiplies its selections. The unit is a scalar field. On the embedded
// engine every filter but {_id} decodes the whole collection, so a field that
// scans is worth many scalars, and a statistic (one scan plus grouping in Go)
// more still.
const (
	// scanCost is one filtered read of a collection (ratings of a problem,
	// pairings by filter, sessions).
	scanCost = 20
	// listingCost is a connection: its totalCount and its page are two scans.
	listingCost = 2 * scanCost
	// statsCost is a statistic or ranking over everything in scope.
	statsCost = 500
)

// fieldCosts names every field that does more than read a loaded record, by
// "Type.field"; a field whose type is a connection costs listingCost without
// being named. Fields at or above listingCost also take a slot of the
// expensive-work gate while they run.
var fieldCosts = map[string]int{
	"Query.problemStats":         statsCost,
	"Query.unvisitedEnterprises": statsCost,
	"Query.spotCheckDemands":     scanCost,
	"Query.periodicRatings":      scanCost,
	"Query.officialRanking":      statsCost,
	"Query.programmeShape":       statsCost,
	"Query.rankingConfigHistory": scanCost,
	"Query.overdueByOfficial":    statsCost,
	"Query.overdueByDepartment":  statsCost,
	"Query.syncChecksum":         statsCost,
	"Query.pullProblems":         listingCost,
	"Query.pullProgressNotes":    listingCost,
	"Query.pullVisits":           listingCost,
	"Query.pullEnterprises":      listingCost,
	"Query.pullPairings":         listingCost,
	"Query.pullOfficials":        listingCost,
	"Query.ratings":              scanCost,
	"Query.pairings":             scanCost,
	"Query.mySessions":           scanCost,
	"Query.dashboardTokens":      scanCost,
	"Problem.ratings":            scanCost,
	// Enterprise.pairings, Enterprise.leadOfficial and Official.pairings
	// cost as loaded records: a request reads the pairings in scope once,
	// whatever the number of enterprises and officials (see pairingsOf).
}

// weight is the cost of one call of f, before its selections.
func weight(f *ast.Field) int {
	if f.Definition == nil {
		return 1
	}
	if f.ObjectDefinition != nil {
		if w, ok := fieldCosts[f.ObjectDefinition.Name+"."+f.Name]; ok {
			return w
		}
	}
	if strings.HasSuffix(f.Definition.Type.Name(), "Connection") {
		return listingCost
	}
	return 1
}

// unpagedListFactor is the assumed length of a list field without `first`
// (progress notes, history, ratings): small lists, but not free.
const unpagedListFactor = 10

// listLengths are the assumed lengths of the unpaged lists that the domain
// keeps short, by "Type.field": one or two pairings per enterprise, an
// official leads or helps in a few, and holds a post per institutional
// reform. Without these an officials page of 100 with its posts and pairings
// was estimated at ten of each per official and refused.
var listLengths = map[string]int{
	"Enterprise.pairings": 2,
	"Official.pairings":   5,
	"Official.posts":      3,
}

// costCeiling saturates costs so a hostile query cannot overflow the arithmetic.
const costCeiling = 1 << 40

// limits refuses operations that are too large, too deep or too costly before
// any resolver runs, and applies the introspection policy per caller.
//
// Before validation (MutateOperationParameters) the raw document is bounded in
// bytes, tokens and selections, so gqlgen's validation, whose work grows
// faster than the document, always runs on a small one.
//
// After validation (MutateOperationContext) the operation's cost and depth are
// measured in one walk that visits each fragment once and stops as soon as a
// limit is passed. Cost: a field costs its weight (1, or fieldCosts), a
// fragment spread 1 plus its fragment, __typename nothing; a field
// with a `first` argument (given or by its default) multiplies the cost of its
// selections by that page size, and a list without one by unpagedListFactor.
// So `problems(first:100){edges{node{progressNotes{text}}}}` costs
// 40 + 100·(1 + 1 + (1 + 10·1)) = 1340; a connection's edges count once, as
// the page size already multiplied them.
type limits struct {
	MaxDepth, MaxCost                       int
	MaxQueryBytes, MaxTokens, MaxSelections int
	// Introspection is "all", "admin" or "off".
	Introspection string
	// Validated holds documents gqlgen has already parsed and validated; they
	// passed these bounds before and are not measured again.
	Validated graphql.Cache[*ast.QueryDocument]
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
	graphql.OperationContextMutator
} = limits{}

func (limits) ExtensionName() string { return "Limits" }

func (limits) Validate(graphql.ExecutableSchema) error { return nil }

func tooLarge(format string, args ...any) *gqlerror.Error {
	return &gqlerror.Error{Message: fmt.Sprintf(format, args...), Extensions: map[string]any{"code": "QUERY_TOO_LARGE"}}
}

// MutateOperationParameters bounds the raw document before gqlgen parses and
// validates it.
func (l limits) MutateOperationParameters(ctx context.Context, rp *graphql.RawParams) *gqlerror.Error {
	if l.Validated != nil {
		if _, ok := l.Validated.Get(ctx, rp.Query); ok {
			return nil
		}
	}
	return l.checkDocument(rp.Query)
}

// checkDocument applies the byte, token and selection bounds; its work is
// linear in the document and stops at the first bound passed.
func (l limits) checkDocument(query string) *gqlerror.Error {
	if l.MaxQueryBytes > 0 && len(query) > l.MaxQueryBytes {
		return tooLarge("query document is %d bytes, at most %d", len(query), l.MaxQueryBytes)
	}
	if l.MaxTokens > 0 {
		lex := lexer.New(&ast.Source{Input: query})
		for n := 0; ; n++ {
			tok, err := lex.ReadToken()
			if err != nil || tok.Kind == lexer.EOF {
				break // gqlgen's parser reports a lexical error itself
			}
			if n >= l.MaxTokens {
				return tooLarge("query document has more than %d tokens", l.MaxTokens)
			}
		}
	}
	if l.MaxSelections <= 0 {
		return nil
	}
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil {
		return nil // reported by gqlgen's own parse
	}
	n := 0
	for _, op := range doc.Operations {
		if n = countSelections(op.SelectionSet, n, l.MaxSelections); n > l.MaxSelections {
			break
		}
	}
	for _, f := range doc.Fragments {
		if n > l.MaxSelections {
			break
		}
		n = countSelections(f.SelectionSet, n, l.MaxSelections)
	}
	if n > l.MaxSelections {
		return tooLarge("query document has more than %d selections (fields and fragment spreads); split it", l.MaxSelections)
	}
	return nil
}

// countSelections adds the selections written in set (fragments are counted
// where they are defined, not where they are spread) to n, stopping once n
// passes limit. The parser bounds nesting, so the recursion is bounded too.
func countSelections(set ast.SelectionSet, n, limit int) int {
	for _, sel := range set {
		if n++; n > limit {
			return n
		}
		switch s := sel.(type) {
		case *ast.Field:
			n = countSelections(s.SelectionSet, n, limit)
		case *ast.InlineFragment:
			n = countSelections(s.SelectionSet, n, limit)
		}
	}
	return n
}

func (l limits) MutateOperationContext(ctx context.Context, rc *graphql.OperationContext) *gqlerror.Error {
	p := domain.PrincipalFrom(ctx)
	switch l.Introspection {
	case "all":
		rc.DisableIntrospection = false
	case "admin":
		rc.DisableIntrospection = p == nil || p.Role != domain.RoleAdmin
	default:
		rc.DisableIntrospection = true
	}
	if rc.Operation == nil {
		return nil
	}
	w := newWalker(rc.Variables, l.MaxCost, l.MaxDepth)
	m := w.set(rc.Operation.SelectionSet, 0)
	switch {
	case w.overDepth:
		return tooDeep(fmt.Sprintf("more than %d", l.MaxDepth), l.MaxDepth)
	case w.overCost:
		return tooComplex(fmt.Sprintf("more than %d", l.MaxCost), l.MaxCost)
	case rc.DisableIntrospection && m.introspects:
		return &gqlerror.Error{Message: "schema introspection is not available to this caller",
			Extensions: map[string]any{"code": "FORBIDDEN"}}
	case m.depth > l.MaxDepth:
		return tooDeep(m.depth, l.MaxDepth)
	case m.cost > l.MaxCost:
		return tooComplex(m.cost, l.MaxCost)
	}
	return nil
}

func tooDeep(depth any, limit int) *gqlerror.Error {
	return &gqlerror.Error{Message: fmt.Sprintf("query is nested too deeply: depth %v, at most %d", depth, limit),
		Extensions: map[string]any{"code": "QUERY_TOO_DEEP", "maxDepth": limit}}
}

func tooComplex(cost any, limit int) *gqlerror.Error {
	return &gqlerror.Error{Message: fmt.Sprintf("query is too complex: cost %v, at most %d; ask for smaller pages (first), fewer nested lists or fewer statistics", cost, limit),
		Extensions: map[string]any{"code": "QUERY_TOO_COMPLEX", "maxCost": limit}}
}

// measured is what the walk knows of a selection set: its cost, its depth
// below the set's own level, and whether it asks for __schema or __type.
type measured struct {
	cost, depth int
	introspects bool
}

// walker measures an operation, visiting each fragment's definition once
// (the result is independent of where it is spread, so it is remembered by
// name) and abandoning the walk as soon as a limit is certainly passed: every
// cost is a sum of non-negative terms multiplied by factors of at least 1,
// so a partial sum above the limit stays above it.
type walker struct {
	vars              map[string]any
	maxCost, maxDepth int
	frags             map[string]*measured
	overCost          bool
	overDepth         bool
	// visits counts the selections walked, so tests can check the walk is
	// linear in the document.
	visits int
}

func newWalker(vars map[string]any, maxCost, maxDepth int) *walker {
	return &walker{vars: vars, maxCost: maxCost, maxDepth: maxDepth, frags: map[string]*measured{}}
}

func (w *walker) over() bool { return w.overCost || w.overDepth }

// set measures a selection set whose fields sit at depth level+1.
func (w *walker) set(set ast.SelectionSet, level int) measured {
	var m measured
	for _, sel := range set {
		if w.over() {
			return m
		}
		w.visits++
		var c measured
		switch s := sel.(type) {
		case *ast.Field:
			c = w.field(s, level)
		case *ast.InlineFragment:
			c = w.set(s.SelectionSet, level)
		case *ast.FragmentSpread:
			c = w.fragment(s, level)
		}
		m.cost = min(costCeiling, m.cost+c.cost)
		m.depth = max(m.depth, c.depth)
		m.introspects = m.introspects || c.introspects
		if m.cost > w.maxCost {
			w.overCost = true
		}
	}
	return m
}

func (w *walker) field(f *ast.Field, level int) measured {
	if f.Name == "__schema" || f.Name == "__type" {
		// Governed by the introspection policy; gqlparser bounds its depth.
		return measured{introspects: true}
	}
	if strings.HasPrefix(f.Name, "__") {
		return measured{} // __typename is free
	}
	if level+1 > w.maxDepth {
		w.overDepth = true
		return measured{}
	}
	inner := w.set(f.SelectionSet, level+1)
	return measured{
		cost:        min(costCeiling, weight(f)+min(costCeiling, factor(f, w.vars)*inner.cost)),
		depth:       1 + inner.depth,
		introspects: inner.introspects,
	}
}

func (w *walker) fragment(s *ast.FragmentSpread, level int) measured {
	if s.Definition == nil {
		return measured{}
	}
	m, ok := w.frags[s.Name]
	if !ok {
		// Validation refuses cycles; the placeholder makes one harmless anyway.
		w.frags[s.Name] = &measured{}
		got := w.set(s.Definition.SelectionSet, level)
		m = &got
		w.frags[s.Name] = m
	}
	if level+m.depth > w.maxDepth {
		w.overDepth = true
	}
	// A spread costs 1 like a field, so that a document spreading fragments
	// into each other twice per level costs what its expansion would.
	return measured{cost: min(costCeiling, 1+m.cost), depth: m.depth, introspects: m.introspects}
}

func factor(f *ast.Field, vars map[string]any) int {
	if f.Definition == nil {
		return 1
	}
	if f.Definition.Arguments.ForName("first") != nil {
		switch n := f.ArgumentMap(vars)["first"].(type) {
		case int64:
			return clamp(int(n))
		case int:
			return clamp(n)
		}
		return domain.DefaultPageSize
	}
	// A connection's edges are as many as the page above already counted.
	inConnection := f.ObjectDefinition != nil && strings.HasSuffix(f.ObjectDefinition.Name, "Connection")
	if f.Definition.Type.Elem != nil && len(f.SelectionSet) > 0 && !inConnection {
		if f.ObjectDefinition != nil {
			if n, ok := listLengths[f.ObjectDefinition.Name+"."+f.Name]; ok {
				return n
			}
		}
		return unpagedListFactor
	}
	return 1
}

// clamp keeps a page size the store would refuse anyway from dominating the
// estimate: the store's own check reports it as bad input.
func clamp(n int) int { return max(1, min(n, domain.MaxPageSize)) }

// gate bounds the expensive resolvers (fieldCosts at or above listingCost:
// listings, statistics, rankings, pulls) running at once, overall and per
// caller. Each holds a slot only while its own resolver runs, never while
// its children do, so nested listings cannot deadlock. A caller over the cap
// waits up to wait, then is refused with RATE_LIMITED: memory and CPU stay
// bounded whatever the load, and the refusal is quick and typed.
type gate struct {
	all      chan struct{}
	perOwner int
	wait     time.Duration
	// refused, if set, is told of each refusal (for metrics).
	refused func()

	mu     sync.Mutex
	owners map[string]*ownerSlots
}

type ownerSlots struct {
	slots chan struct{}
	refs  int
}

func newGate(all, perOwner int, wait time.Duration) *gate {
	return &gate{all: make(chan struct{}, all), perOwner: perOwner, wait: wait, owners: map[string]*ownerSlots{}}
}

func (g *gate) owner(key string) *ownerSlots {
	g.mu.Lock()
	defer g.mu.Unlock()
	o := g.owners[key]
	if o == nil {
		o = &ownerSlots{slots: make(chan struct{}, g.perOwner)}
		g.owners[key] = o
	}
	o.refs++
	return o
}

func (g *gate) release(key string, o *ownerSlots) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if o.refs--; o.refs == 0 {
		delete(g.owners, key)
	}
}

// enter takes a slot for key and one overall, or says why it could not.
func (g *gate) enter(ctx context.Context, key string) (func(), error) {
	timer := time.NewTimer(g.wait)
	defer timer.Stop()
	busy := func() error {
		if g.refused != nil {
			g.refused()
		}
		return domain.Errorf(domain.ERATELIMITED, "the server is busy with expensive requests (statistics, listings); retry in a few seconds")
	}
	o := g.owner(key)
	select {
	case o.slots <- struct{}{}:
	case <-timer.C:
		g.release(key, o)
		return nil, busy()
	case <-ctx.Done():
		g.release(key, o)
		return nil, ctx.Err()
	}
	select {
	case g.all <- struct{}{}:
	case <-timer.C:
		<-o.slots
		g.release(key, o)
		return nil, busy()
	case <-ctx.Done():
		<-o.slots
		g.release(key, o)
		return nil, ctx.Err()
	}
	return func() {
		<-g.all
		<-o.slots
		g.release(key, o)
	}, nil
}

// middleware runs expensive resolvers through the gate.
func (g *gate) middleware(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || !fc.IsResolver || fc.Field.Field == nil || weight(fc.Field.Field) < listingCost {
		return next(ctx)
	}
	done, err := g.enter(ctx, gateKey(ctx))
	if err != nil {
		return nil, err
	}
	defer done()
	return next(ctx)
}

// gateKey is whom the gate charges: the signed-in user, or the address.
func gateKey(ctx context.Context) string {
	if p := domain.PrincipalFrom(ctx); p != nil {
		return "user:" + p.UserID
	}
	return "ip:" + service.ClientIP(ctx)
}

// gated runs fn inside a slot of g charged to the caller; a nil gate runs it
// at once. Loaders use it for a batch that reads a whole collection.
func gated[T any](g *gate, fn func(context.Context, []string) (T, error)) func(context.Context, []string) (T, error) {
	if g == nil {
		return fn
	}
	return func(ctx context.Context, keys []string) (T, error) {
		done, err := g.enter(ctx, gateKey(ctx))
		if err != nil {
			var zero T
			return zero, err
		}
		defer done()
		return fn(ctx, keys)
	}
}

// Gate is the expensive-work gate offered to work outside GraphQL (the
// spreadsheet exports). Given to NewHandler as Options.Expensive, listings
// and exports share the same slots, so together they stay within the caps.
type Gate struct{ g *gate }

// NewGate returns a gate with all slots overall and perOwner per caller; a
// caller over them waits up to wait, then is refused with RATE_LIMITED.
// Zero values take the defaults (4, 2 and 3s).
func NewGate(all, perOwner int, wait time.Duration) *Gate {
	return &Gate{newGate(cmp.Or(all, defaultExpensiveAll), cmp.Or(perOwner, defaultExpensiveOwner), cmp.Or(wait, DefaultExpensiveWait))}
}

// inner is the gate itself; nil for a nil Gate.
func (g *Gate) inner() *gate {
	if g == nil {
		return nil
	}
	return g.g
}

// Enter takes a slot for key ("user:<id>" or "ip:<address>") and returns the
// function that gives it back.
func (g *Gate) Enter(ctx context.Context, key string) (func(), error) { return g.g.enter(ctx, key) }
