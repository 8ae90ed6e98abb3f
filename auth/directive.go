package auth

import (
	"context"
	"slices"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"github.com/lianqi/lianqi/domain"
)

// HasRole implements `directive @hasRole(roles: [Role!]!) on FIELD_DEFINITION`.
// It answers only "may this kind of caller use this field at all"; which rows
// the caller sees is decided by domain.Scope in the store.
func HasRole(ctx context.Context, obj any, next graphql.Resolver, roles []domain.Role) (any, error) {
	p, err := Authenticate(ctx)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(roles, p.Role) {
		// An empty list is a schema mistake; failing closed keeps it from
		// silently opening the field to everyone.
		return nil, domain.Forbidden("this operation requires role %s", describeRoles(roles))
	}
	return next(ctx)
}

// describeRoles renders roles as "A", "A or B", "A, B or C".
func describeRoles(roles []domain.Role) string {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = string(r)
	}
	switch len(names) {
	case 0:
		return "(none configured)"
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// Grant implements `directive @grant(scope: DashboardGrant!)`. For a DASHBOARD
// caller the field (or the type it returns) must carry a grant the token
// holds; every other caller passes, its access being @hasRole and row scope.
// The default deny for fields without any grant is graph's field middleware.
func Grant(ctx context.Context, obj any, next graphql.Resolver, scope domain.Grant) (any, error) {
	if p := domain.PrincipalFrom(ctx); p != nil && p.Role == domain.RoleDashboard && !p.Holds(scope) {
		return nil, domain.Forbidden("this dashboard token does not grant %s", scope)
	}
	return next(ctx)
}
