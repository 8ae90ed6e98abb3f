package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/lianqi/lianqi/domain"
)

// dashboardGate is the default deny for DASHBOARD tokens. A dashboard may
// resolve a field only if
//   - the field itself carries a @grant it holds, or its parent type does
//     (so a root field needs its own @grant), and
//   - the field's result is a scalar or enum, or a type carrying a held @grant
//     (so problem.enterprise is open but enterprise.visits is not).
//
// Everything else is FORBIDDEN, whatever scope the store would apply. Opening
// statistics to dashboards later is one `@grant(scope: STATS_READ)` on the
// field and on the types it returns.
func dashboardGate(schema *ast.Schema) graphql.FieldMiddleware {
	return func(ctx context.Context, next graphql.Resolver) (any, error) {
		p := domain.PrincipalFrom(ctx)
		if p == nil || p.Role != domain.RoleDashboard {
			return next(ctx)
		}
		fc := graphql.GetFieldContext(ctx)
		if fc == nil || fc.Field.Field == nil || fc.Field.Definition == nil {
			return nil, domain.Forbidden("not available to dashboard tokens")
		}
		def := fc.Field.Definition
		own := holds(p, def.Directives)
		parent := fc.Field.ObjectDefinition != nil && holds(p, fc.Field.ObjectDefinition.Directives)
		if !own && !parent {
			return nil, domain.Forbidden("%s.%s is not available to this dashboard token", fc.Object, fc.Field.Name)
		}
		if !own {
			if rt := schema.Types[def.Type.Name()]; rt != nil && (rt.Kind == ast.Object || rt.Kind == ast.Interface || rt.Kind == ast.Union) && !holds(p, rt.Directives) {
				return nil, domain.Forbidden("%s.%s is not available to this dashboard token", fc.Object, fc.Field.Name)
			}
		}
		return next(ctx)
	}
}

// holds reports whether dirs include a @grant the caller holds.
func holds(p *domain.Principal, dirs ast.DirectiveList) bool {
	for _, d := range dirs.ForNames("grant") {
		if a := d.Arguments.ForName("scope"); a != nil && a.Value != nil && p.Holds(domain.Grant(a.Value.Raw)) {
			return true
		}
	}
	return false
}
