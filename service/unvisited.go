package service

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/lianqi/lianqi/domain"
)

// UnvisitedEnterprise is a firm nobody has visited for a while: what a leader
// looks at to choose where to make a spot check (the article's small firms
// nobody visits).
type UnvisitedEnterprise struct {
	Enterprise *domain.Enterprise
	// LastVisitAt is nil for a firm never visited.
	LastVisitAt *time.Time
	// DaysSinceVisit is whole days since the last visit; nil if never visited.
	DaysSinceVisit *int
}

// LastVisits maps the enterprises among ids inside the caller's scope to the
// date of their latest visit.
func (s *Service) LastVisits(ctx context.Context, ids []string) (map[string]time.Time, error) {
	sc, _, err := s.Scope(ctx)
	if err != nil {
		return nil, err
	}
	return s.db.LastVisits(ctx, sc, ids)
}

// UnvisitedEnterprises lists the enterprises inside the caller's scope (still
// in the programme) not visited for at least days days, never-visited ones
// first, then the longest unvisited; ties by name.
func (s *Service) UnvisitedEnterprises(ctx context.Context, days int) ([]*UnvisitedEnterprise, error) {
	if _, err := s.require(ctx, domain.RoleAdmin, domain.RoleLeader, domain.RoleOfficial); err != nil {
		return nil, err
	}
	if days < 0 || days > 3650 {
		return nil, domain.Invalid("days", "days must be between 0 and 3650")
	}
	sc, _, err := s.Scope(ctx)
	if err != nil {
		return nil, err
	}
	ents, err := s.db.FindActiveEnterprises(ctx, sc)
	if err != nil {
		return nil, err
	}
	last, err := s.db.LastVisits(ctx, sc, nil)
	if err != nil {
		return nil, err
	}
	now := s.now()
	out := []*UnvisitedEnterprise{}
	for _, e := range ents {
		u := &UnvisitedEnterprise{Enterprise: e}
		if at, ok := last[e.ID]; ok {
			d := int(now.Sub(at) / (24 * time.Hour))
			if d < days {
				continue
			}
			u.LastVisitAt, u.DaysSinceVisit = &at, &d
		}
		out = append(out, u)
	}
	slices.SortStableFunc(out, func(a, b *UnvisitedEnterprise) int {
		switch {
		case a.DaysSinceVisit == nil && b.DaysSinceVisit != nil:
			return -1
		case a.DaysSinceVisit != nil && b.DaysSinceVisit == nil:
			return 1
		case a.DaysSinceVisit != nil && *a.DaysSinceVisit != *b.DaysSinceVisit:
			return cmp.Compare(*b.DaysSinceVisit, *a.DaysSinceVisit)
		}
		return strings.Compare(a.Enterprise.Name, b.Enterprise.Name)
	})
	return out, nil
}
