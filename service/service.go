// Package service implements Lianqi's use cases. Each method authorizes the
// caller (the principal in ctx), validates input with the domain's rules, and
// reads or writes through the store with the caller's row scope. The GraphQL
// resolvers and the sync engine both call it, so the rules hold whichever way a
// change arrives.
package service

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/lianqi/lianqi/auth"
	"github.com/lianqi/lianqi/domain"
	"github.com/lianqi/lianqi/live"
	"github.com/lianqi/lianqi/ratelimit"
	"github.com/lianqi/lianqi/store"
)

// Service is the application layer over one database.
type Service struct {
	db     *store.DB
	Tokens *auth.Tokens
	// Revocations is the in-process set of revoked sessions and live connections.
	Revocations *auth.Revocations
	// LoginLimit limits sign-in attempts per address and per username; nil allows all.
	LoginLimit *ratelimit.Limiter
	Log        *slog.Logger
	Deadlines  map[domain.Level]domain.Deadlines
	dashUse    dashboardUse
	// Now is the clock for business time (deadlines, overdue); tests replace it.
	Now func() time.Time
	// PollInterval is how often subscriptions look for writes by other
	// processes; 0 means DefaultPollInterval.
	PollInterval time.Duration
	// Feed wakes live subscriptions after changes (package live); nil means
	// the watermark poll every PollInterval.
	Feed live.Feed

	changes changeCache
	// live is what subscriptions share and how the shutdown waits for them (watch.go).
	live liveShare
}

// New returns a service with the programme's default deadlines.
func New(db *store.DB, tokens *auth.Tokens, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	return &Service{db: db, Tokens: tokens, Revocations: auth.NewRevocations(nil), Log: log, Deadlines: domain.DefaultDeadlines, Now: time.Now}
}

// Ping reports whether the database answers; the readiness probe uses it.
func (s *Service) Ping(ctx context.Context) error { return s.db.Ping(ctx) }

// SyncStore is the database for the sync engine's own bookkeeping (change log,
// push receipts, held rows, conflict records), which no use case here owns.
// Everything else reaches the store through this package's methods, so that
// authorization and the domain's rules cannot be skipped by accident.
func (s *Service) SyncStore() *store.DB { return s.db }

func (s *Service) now() time.Time { return s.Now().UTC().Truncate(time.Millisecond) }

// caller returns the authenticated principal or an EUNAUTHENTICATED error that
// says why (no token, or the token was rejected).
func (s *Service) caller(ctx context.Context) (*domain.Principal, error) {
	return auth.Authenticate(ctx)
}

// require returns the principal if it has one of roles, EFORBIDDEN otherwise.
func (s *Service) require(ctx context.Context, roles ...domain.Role) (*domain.Principal, error) {
	p, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(roles, p.Role) {
		return nil, domain.Forbidden("this operation is not available to %s accounts", p.Role)
	}
	return p, nil
}

type scopeKey struct{}

type scopeMemo struct {
	once  sync.Once
	scope domain.Scope
	err   error
}

// WithScopeMemo prepares ctx to remember the caller's scope for one request, so
// that resolving many nested fields computes it once.
func WithScopeMemo(ctx context.Context) context.Context {
	return context.WithValue(ctx, scopeKey{}, &scopeMemo{})
}

// Scope returns the rows the caller may read.
func (s *Service) Scope(ctx context.Context) (domain.Scope, *domain.Principal, error) {
	p, err := s.caller(ctx)
	if err != nil {
		return domain.Scope{}, nil, err
	}
	if m, ok := ctx.Value(scopeKey{}).(*scopeMemo); ok {
		m.once.Do(func() { m.scope, m.err = s.ScopeOf(ctx, p) })
		return m.scope, p, m.err
	}
	sc, err := s.ScopeOf(ctx, p)
	return sc, p, err
}

// ScopeOf computes a principal's scope from the current pairings. It is read
// from the database on every request rather than carried in the token, so that
// ending a pairing takes effect at once.
func (s *Service) ScopeOf(ctx context.Context, p *domain.Principal) (domain.Scope, error) {
	switch p.Role {
	case domain.RoleAdmin, domain.RoleLeader:
		return domain.Scope{All: true, SpotChecks: true}, nil
	case domain.RoleOfficial:
		mine, err := s.db.FindPairings(ctx, domain.Scope{All: true}, domain.PairingFilter{OfficialID: p.OfficialID, ActiveOnly: true})
		if err != nil {
			return domain.Scope{}, err
		}
		sc := domain.Scope{SpotChecks: true, EnterpriseIDs: []string{}, OfficialIDs: []string{p.OfficialID}}
		for _, pr := range mine {
			sc.EnterpriseIDs = appendNew(sc.EnterpriseIDs, pr.EnterpriseID)
		}
		return s.withColleagues(ctx, sc)
	case domain.RoleEnterprise:
		sc := domain.Scope{EnterpriseIDs: []string{p.EnterpriseID}, OfficialIDs: []string{}}
		return s.withColleagues(ctx, sc)
	case domain.RoleDashboard:
		return s.dashboardScope(ctx, p)
	}
	return domain.Scope{}, domain.Forbidden("unknown role")
}

// withColleagues adds to sc every official who serves or served one of its
// enterprises: the people a caller deals with are visible, nobody else.
func (s *Service) withColleagues(ctx context.Context, sc domain.Scope) (domain.Scope, error) {
	if len(sc.EnterpriseIDs) == 0 {
		return sc, nil
	}
	all, err := s.db.FindPairings(ctx, sc, domain.PairingFilter{})
	if err != nil {
		return domain.Scope{}, err
	}
	for _, pr := range all {
		sc.OfficialIDs = appendNew(sc.OfficialIDs, pr.LeadOfficialID)
		for _, m := range pr.TeamMemberIDs {
			sc.OfficialIDs = appendNew(sc.OfficialIDs, m)
		}
	}
	return sc, nil
}

func appendNew(list []string, v string) []string {
	if slices.Contains(list, v) {
		return list
	}
	return append(list, v)
}

// checkVersion rejects a write based on a stale read when the client said which
// version it edited.
func checkVersion(expected *int, kind, id string, current int64) error {
	if expected != nil && int64(*expected) != current {
		return domain.Errorf(domain.ECONFLICT, "%s %s is at version %d, not %d: it was changed by someone else; reload and try again", kind, id, current, *expected)
	}
	return nil
}

// newID accepts a client-chosen id (offline creation) or makes one.
func newID(clientID *string) (string, error) {
	if clientID == nil || *clientID == "" {
		return domain.NewID(), nil
	}
	if !domain.ValidID(*clientID) {
		return "", domain.Invalid("id", "a client-chosen id must be a UUID or ULID")
	}
	return *clientID, nil
}
