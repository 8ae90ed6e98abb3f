package domain

import (
	"io"
	"strconv"
	"time"
)

// Grant is one thing a dashboard token may read. Schema fields open to
// dashboards say which grant they need with @grant(scope: ...); a dashboard
// reaches no other root field.
type Grant string

const (
	// GrantProblemsRead reads the problem listing (optionally of one town).
	GrantProblemsRead Grant = "PROBLEMS_READ"
	// GrantStatsRead reads programme statistics.
	GrantStatsRead Grant = "STATS_READ"
)

// AllGrants lists every grant.
var AllGrants = []Grant{GrantProblemsRead, GrantStatsRead}

// UnmarshalGQL binds the GraphQL DashboardGrant enum.
func (g *Grant) UnmarshalGQL(v any) error {
	var err error
	*g, err = parseEnum(v, AllGrants, "DashboardGrant")
	return err
}

// MarshalGQL writes the grant as an enum value.
func (g Grant) MarshalGQL(w io.Writer) { io.WriteString(w, strconv.Quote(string(g))) }

// Session is one login (a refresh-token family) or one dashboard token. Both
// are revoked the same way: by id, which every access token names.
type Session struct {
	ID     string
	UserID string
	// Kind is SessionLogin or SessionDashboard.
	Kind string
	// Name labels a dashboard token ("county statistics screen").
	Name   string
	Grants []Grant
	Town   string
	// RefreshHash is the SHA-256 of the current refresh token's secret;
	// Generation counts rotations.
	RefreshHash string
	Generation  int64
	ExpiresAt   time.Time
	RevokedAt   *time.Time
	// RevokedReason says why: logout, admin, reuse, disabled.
	RevokedReason string
	LastUsedAt    time.Time
	CreatedBy     string
	Meta
}

// Session kinds.
const (
	SessionLogin     = "LOGIN"
	SessionDashboard = "DASHBOARD"
)

// Active reports whether the session may still be used at now.
func (s *Session) Active(now time.Time) bool {
	return s.RevokedAt == nil && now.Before(s.ExpiresAt)
}

// DashboardTokenInput is an admin's request for a dashboard token.
type DashboardTokenInput struct {
	Name      string
	Grants    []Grant
	Town      *string
	ExpiresAt time.Time
}

// Validate checks the request against now and the longest allowed lifetime.
func (in *DashboardTokenInput) Validate(now time.Time, maxTTL time.Duration) error {
	if err := checkText("name", in.Name, 100); err != nil {
		return err
	}
	if in.Name == "" {
		return Invalid("name", "a dashboard token needs a name")
	}
	if len(in.Grants) == 0 {
		return Invalid("grants", "a dashboard token needs at least one grant")
	}
	if in.Town != nil {
		if err := checkText("town", *in.Town, 50); err != nil {
			return err
		}
	}
	if !in.ExpiresAt.After(now) {
		return Invalid("expiresAt", "expiresAt must be in the future")
	}
	if in.ExpiresAt.Sub(now) > maxTTL {
		return Invalid("expiresAt", "a dashboard token may live at most %d days", int(maxTTL.Hours()/24))
	}
	return nil
}
