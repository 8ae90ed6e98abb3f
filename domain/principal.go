package domain

import (
	"context"
	"io"
	"strconv"
	"time"
)

// Role is the closed set of kinds of caller.
type Role string

const (
	RoleAdmin      Role = "ADMIN"
	RoleLeader     Role = "LEADER"
	RoleOfficial   Role = "OFFICIAL"
	RoleEnterprise Role = "ENTERPRISE"
	// RoleDashboard is a machine client holding a dashboard token: it reads
	// exactly the grants in its token. No account has this role.
	RoleDashboard Role = "DASHBOARD"
)

// AllRoles lists every account role, in the order the API documents them.
// RoleDashboard is not among them: it is never an account's role.
var AllRoles = []Role{RoleAdmin, RoleLeader, RoleOfficial, RoleEnterprise}

// IsValid reports whether r is one of the known roles.
func (r Role) IsValid() bool {
	switch r {
	case RoleAdmin, RoleLeader, RoleOfficial, RoleEnterprise, RoleDashboard:
		return true
	}
	return false
}

// ReadsEverything reports whether the role sees every record (row scope "all").
func (r Role) ReadsEverything() bool { return r == RoleAdmin || r == RoleLeader }

func (r Role) String() string { return string(r) }

// UnmarshalGQL lets gqlgen bind the GraphQL Role enum to this type.
func (r *Role) UnmarshalGQL(v any) error {
	var err error
	*r, err = parseEnum(v, AllRoles, "Role")
	return err
}

// MarshalGQL writes the role as a GraphQL enum value.
func (r Role) MarshalGQL(w io.Writer) { io.WriteString(w, strconv.Quote(string(r))) }

// Principal is the authenticated caller of one request.
type Principal struct {
	UserID   string
	Username string
	Role     Role
	// OfficialID is set for OFFICIAL accounts: the official record the account acts as.
	OfficialID string
	// EnterpriseID is set for ENTERPRISE accounts: the one enterprise they belong to.
	EnterpriseID string
	// ExpiresAt is when the credential expires; long-lived connections close then.
	ExpiresAt time.Time
	// SessionID names the login session (or dashboard token) the credential
	// belongs to; revoking it ends the credential at once. Empty for tokens
	// from an external identity provider.
	SessionID string
	// Issuer is set for callers authenticated by an external identity provider.
	Issuer string
	// Grants are what a DASHBOARD caller may read; Town, when set, narrows its
	// rows to the enterprises of one town.
	Grants []Grant
	Town   string
}

// Holds reports whether the caller was granted g.
func (p *Principal) Holds(g Grant) bool {
	for _, x := range p.Grants {
		if x == g {
			return true
		}
	}
	return false
}

type principalKey struct{}

// WithPrincipal returns a context carrying the authenticated caller.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the caller attached to ctx, or nil for an anonymous request.
func PrincipalFrom(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}

// RequirePrincipal returns the caller or an EUNAUTHENTICATED error.
func RequirePrincipal(ctx context.Context) (*Principal, error) {
	p := PrincipalFrom(ctx)
	if p == nil {
		return nil, Errorf(EUNAUTHENTICATED, "authentication required: send Authorization: Bearer <accessToken> from the login mutation")
	}
	return p, nil
}

// Scope is the set of rows a caller may read. The store turns it into filters, so
// a record outside it is simply never found.
type Scope struct {
	// All is true for roles that read everything.
	All bool
	// EnterpriseIDs are the enterprises the caller may read, when All is false.
	EnterpriseIDs []string
	// OfficialIDs are the officials the caller may read, when All is false.
	OfficialIDs []string
	// SpotChecks reports whether the caller may read spot checks at its enterprises.
	SpotChecks bool
}

// HasEnterprise reports whether id is inside the scope.
func (s Scope) HasEnterprise(id string) bool {
	if s.All {
		return true
	}
	for _, e := range s.EnterpriseIDs {
		if e == id {
			return true
		}
	}
	return false
}

// HasOfficial reports whether id is inside the scope.
func (s Scope) HasOfficial(id string) bool {
	if s.All {
		return true
	}
	for _, o := range s.OfficialIDs {
		if o == id {
			return true
		}
	}
	return false
}
