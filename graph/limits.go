package graph

import (
	"context"
	"fmt"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/lianqi/lianqi/domain"
)

// unpagedListFactor is the assumed length of a list field without `first`
// (pairings, progress notes): small lists, but not free.
const unpagedListFactor = 10

// limits refuses operations that are too deep or too costly before any
// resolver runs, and applies the introspection policy per caller.
//
// Cost: every field costs 1; a field with a `first` argument (given or by its
// default) multiplies the cost of its selections by that page size, and a list
// without one by unpagedListFactor. So `problems(first:100){edges{node{
// progressNotes{text}}}}` costs 1 + 100·(1 + 1 + (1 + 10·1)) = 1301; a
// connection's edges count once, as the page size already multiplied them.
type limits struct {
	MaxDepth, MaxCost int
	// Introspection is "all", "admin" or "off".
	Introspection string
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = limits{}

func (limits) ExtensionName() string { return "Limits" }

func (limits) Validate(graphql.ExecutableSchema) error { return nil }

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
	if rc.DisableIntrospection && introspects(rc.Operation.SelectionSet) {
		return &gqlerror.Error{Message: "schema introspection is not available to this caller",
			Extensions: map[string]any{"code": "FORBIDDEN"}}
	}
	cost, depth := measure(rc.Operation.SelectionSet, rc.Variables, 0)
	if depth > l.MaxDepth {
		return &gqlerror.Error{Message: fmt.Sprintf("query is nested too deeply: depth %d, at most %d", depth, l.MaxDepth),
			Extensions: map[string]any{"code": "QUERY_TOO_DEEP", "depth": depth, "maxDepth": l.MaxDepth}}
	}
	if cost > l.MaxCost {
		return &gqlerror.Error{Message: fmt.Sprintf("query is too complex: cost %d, at most %d; ask for smaller pages (first) or fewer nested lists", cost, l.MaxCost),
			Extensions: map[string]any{"code": "QUERY_TOO_COMPLEX", "cost": cost, "maxCost": l.MaxCost}}
	}
	return nil
}

// measure returns the cost and depth of a selection set. Costs saturate so
// a hostile query cannot overflow the arithmetic.
func measure(set ast.SelectionSet, vars map[string]any, level int) (cost, depth int) {
	const ceiling = 1 << 40
	for _, sel := range set {
		var c, d int
		switch s := sel.(type) {
		case *ast.Field:
			if strings.HasPrefix(s.Name, "__") {
				// Introspection is governed by its own policy, and __typename is free.
				continue
			}
			inner, innerDepth := measure(s.SelectionSet, vars, level+1)
			c = 1 + factor(s, vars)*inner
			d = 1 + innerDepth
		case *ast.InlineFragment:
			c, d = measure(s.SelectionSet, vars, level)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				c, d = measure(s.Definition.SelectionSet, vars, level)
			}
		}
		cost = min(ceiling, cost+c)
		depth = max(depth, d)
	}
	return cost, depth
}

// introspects reports whether a selection asks for __schema or __type
// (__typename is ordinary and always allowed).
func introspects(set ast.SelectionSet) bool {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Name == "__schema" || s.Name == "__type" || introspects(s.SelectionSet) {
				return true
			}
		case *ast.InlineFragment:
			if introspects(s.SelectionSet) {
				return true
			}
		case *ast.FragmentSpread:
			if s.Definition != nil && introspects(s.Definition.SelectionSet) {
				return true
			}
		}
	}
	return false
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
		return unpagedListFactor
	}
	return 1
}

// clamp keeps a page size the store would refuse anyway from dominating the
// estimate: the store's own check reports it as bad input.
func clamp(n int) int { return max(1, min(n, domain.MaxPageSize)) }
