package auth

import (
	"context"
	"slices"
	"strings"

	"github.com/lianqi/lianqi/domain"
)

// RequireRole answers "may this kind of caller use this operation at all" and
// returns the caller; which rows the caller sees is decided by domain.Scope in
// the store. The GraphQL @hasRole directive (graph/directive.go) and plain HTTP
// endpoints both call it, so the rule and its message are the same everywhere.
func RequireRole(ctx context.Context, roles []domain.Role) (*domain.Principal, error) {
	p, err := Authenticate(ctx)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(roles, p.Role) {
		// An empty list is a schema mistake; failing closed keeps it from
		// silently opening the field to everyone.
		return nil, domain.Forbidden("this operation requires role %s", describeRoles(roles))
	}
	return p, nil
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

// CheckGrant refuses a DASHBOARD caller whose token does not hold scope; every
// other caller passes, its access being its role and row scope.
func CheckGrant(ctx context.Context, scope domain.Grant) error {
	if p := domain.PrincipalFrom(ctx); p != nil && p.Role == domain.RoleDashboard && !p.Holds(scope) {
		return domain.Forbidden("this dashboard token does not grant %s", scope)
	}
	return nil
}
