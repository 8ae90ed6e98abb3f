package service

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lianqi/lianqi/auth"
	"github.com/lianqi/lianqi/domain"
	"github.com/lianqi/lianqi/store"
)

// DashboardToken is a newly issued dashboard token: the JWT (shown once) and
// its record.
type DashboardToken struct {
	Token  string
	Record *domain.Session
}

// CreateDashboardToken issues a named, scoped, expiring token for a machine
// client (admins only). The token is a JWT signed like access tokens, naming
// the record's id as its session, so revoking the record ends it at once.
func (s *Service) CreateDashboardToken(ctx context.Context, in domain.DashboardTokenInput) (*DashboardToken, error) {
	p, err := s.require(ctx, domain.RoleAdmin)
	if err != nil {
		return nil, err
	}
	now := s.now()
	in.Name = strings.TrimSpace(in.Name)
	if err := in.Validate(now, auth.MaxDashboardTTL); err != nil {
		return nil, err
	}
	grants := slices.Clone(in.Grants)
	slices.Sort(grants)
	grants = slices.Compact(grants)
	rec := &domain.Session{ID: domain.NewID(), UserID: p.UserID, Kind: domain.SessionDashboard, Name: in.Name, Grants: grants,
		Town: strings.TrimSpace(deref(in.Town)), ExpiresAt: in.ExpiresAt.UTC().Truncate(time.Millisecond), CreatedBy: p.Username}
	if err := s.db.CreateSession(ctx, rec); err != nil {
		return nil, err
	}
	tok, _, err := s.Tokens.IssueUntil(domain.Principal{UserID: "dashboard:" + rec.ID, Username: rec.Name, Role: domain.RoleDashboard,
		SessionID: rec.ID, Grants: rec.Grants, Town: rec.Town}, rec.ExpiresAt)
	if err != nil {
		return nil, err
	}
	s.audit(ctx, domain.AuditDashboardIssued, rec.ID, fmt.Sprintf("%q grants %v town %q until %s", rec.Name, rec.Grants, rec.Town, rec.ExpiresAt.Format("2006-01-02")))
	return &DashboardToken{Token: tok, Record: rec}, nil
}

// DashboardTokens lists dashboard tokens, newest first (admins only).
func (s *Service) DashboardTokens(ctx context.Context, includeInactive bool) ([]*domain.Session, error) {
	if _, err := s.require(ctx, domain.RoleAdmin); err != nil {
		return nil, err
	}
	f := store.SessionFilter{Kind: domain.SessionDashboard}
	if !includeInactive {
		now := s.now()
		f.ActiveAt = &now
	}
	return s.db.FindSessions(ctx, f)
}

// RevokeDashboardToken ends a dashboard token at once (admins only).
func (s *Service) RevokeDashboardToken(ctx context.Context, id string) (*domain.Session, error) {
	if _, err := s.require(ctx, domain.RoleAdmin); err != nil {
		return nil, err
	}
	rec, err := s.db.FindSessionByID(ctx, id)
	if err != nil || rec.Kind != domain.SessionDashboard {
		return nil, domain.NotFound("dashboard token", id)
	}
	if err := s.revoke(ctx, rec, "admin"); err != nil {
		return nil, err
	}
	s.audit(ctx, domain.AuditDashboardRevoke, rec.ID, rec.Name)
	return rec, nil
}

// dashboardAuditEvery is how often a busy dashboard token writes a summary
// to the audit log. A wall screen polling every ten seconds would otherwise
// add 8,640 audit rows a day, and every audit query on the embedded engine
// scans the whole collection.
const dashboardAuditEvery = 5 * time.Minute

type dashboardUse struct {
	mu      sync.Mutex
	windows map[string]*useWindow // by token (session) id
}

type useWindow struct {
	start  time.Time
	count  int
	fields map[string]bool
}

// RecordDashboardUse logs a request made with a dashboard token: every use
// goes to the structured log at once; the audit log gets the first use and
// then one summary per token every dashboardAuditEvery (count and fields read).
func (s *Service) RecordDashboardUse(ctx context.Context, fields []string) {
	p := domain.PrincipalFrom(ctx)
	if p == nil || p.Role != domain.RoleDashboard {
		return
	}
	s.Log.InfoContext(ctx, "dashboard token used", "token", p.SessionID, "name", p.Username, "fields", fields, "ip", ClientIP(ctx))
	now := s.Now()
	s.dashUse.mu.Lock()
	if s.dashUse.windows == nil {
		s.dashUse.windows = map[string]*useWindow{}
	}
	w := s.dashUse.windows[p.SessionID]
	if w == nil {
		w = &useWindow{fields: map[string]bool{}}
		s.dashUse.windows[p.SessionID] = w
	}
	w.count++
	for _, f := range fields {
		w.fields[f] = true
	}
	var detail string
	if w.start.IsZero() || now.Sub(w.start) >= dashboardAuditEvery {
		names := make([]string, 0, len(w.fields))
		for f := range w.fields {
			names = append(names, f)
		}
		slices.Sort(names)
		since := w.start
		if since.IsZero() {
			since = now
		}
		detail = fmt.Sprintf("%d requests since %s: %s", w.count, since.UTC().Format(time.RFC3339), strings.Join(names, ","))
		*w = useWindow{start: now, fields: map[string]bool{}}
	}
	s.dashUse.mu.Unlock()
	if detail != "" {
		s.audit(ctx, domain.AuditDashboardUse, p.SessionID, detail)
	}
}

// dashboardScope is the rows a dashboard token reads: one town's enterprises
// (and their problems) when it names a town, otherwise every enterprise. It
// never includes spot checks, and no official is visible through it.
func (s *Service) dashboardScope(ctx context.Context, p *domain.Principal) (domain.Scope, error) {
	if p.Town == "" {
		return domain.Scope{All: true}, nil
	}
	sc := domain.Scope{EnterpriseIDs: []string{}, OfficialIDs: []string{}}
	page := domain.PageRequest{First: domain.MaxPageSize, SkipCount: true}
	for {
		res, err := s.db.FindEnterprises(ctx, domain.Scope{All: true}, domain.EnterpriseFilter{Town: p.Town}, page)
		if err != nil {
			return domain.Scope{}, err
		}
		for _, e := range res.Items {
			sc.EnterpriseIDs = append(sc.EnterpriseIDs, e.ID)
		}
		if !res.HasNextPage || len(res.Cursors) == 0 {
			return sc, nil
		}
		page.After = res.Cursors[len(res.Cursors)-1]
	}
}
