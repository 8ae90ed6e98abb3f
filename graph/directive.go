package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"github.com/lianqi/lianqi/auth"
	"github.com/lianqi/lianqi/domain"
)

// The schema directives are GraphQL glue over auth's rules, kept here so that
// auth knows no transport (TestAuthKnowsNoTransport).

// hasRole implements `directive @hasRole(roles: [Role!]!) on FIELD_DEFINITION`.
func hasRole(ctx context.Context, _ any, next graphql.Resolver, roles []domain.Role) (any, error) {
	if _, err := auth.RequireRole(ctx, roles); err != nil {
		return nil, err
	}
	return next(ctx)
}

// grant implements `directive @grant(scope: DashboardGrant!)`. For a DASHBOARD
// caller the field (or the type it returns) must carry a grant the token
// holds; the default deny for fields without any grant is dashboardGate.
func grant(ctx context.Context, _ any, next graphql.Resolver, scope domain.Grant) (any, error) {
	if err := auth.CheckGrant(ctx, scope); err != nil {
		return nil, err
	}
	return next(ctx)
}
