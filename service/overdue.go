package service

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/lianqi/lianqi/domain"
)

// OfficialOverdue is one official's overdue problems.
type OfficialOverdue struct {
	Official *domain.Official
	Problems []*domain.Problem
}

// DepartmentOverdue is one department's overdue problems.
type DepartmentOverdue struct {
	Department string
	Problems   []*domain.Problem
}

// OverdueByOfficial groups the overdue problems inside the caller's scope by the
// officials who serve their enterprises now (lead and service team: the team
// shares the lapse). officialID, when given, keeps only that official. Officials
// are ordered by how many overdue problems they carry, most first.
func (s *Service) OverdueByOfficial(ctx context.Context, officialID *string) ([]*OfficialOverdue, error) {
	sc, _, err := s.Scope(ctx)
	if err != nil {
		return nil, err
	}
	overdue, err := s.db.FindOverdueProblems(ctx, sc)
	if err != nil {
		return nil, err
	}
	pairings, err := s.db.FindPairings(ctx, sc, domain.PairingFilter{ActiveOnly: true, OfficialID: deref(officialID)})
	if err != nil {
		return nil, err
	}
	byEnterprise := map[string][]string{}
	for _, p := range pairings {
		for _, o := range append([]string{p.LeadOfficialID}, p.TeamMemberIDs...) {
			if officialID == nil || *officialID == o {
				byEnterprise[p.EnterpriseID] = appendNew(byEnterprise[p.EnterpriseID], o)
			}
		}
	}
	groups := map[string][]*domain.Problem{}
	var order []string
	for _, pr := range overdue {
		for _, o := range byEnterprise[pr.EnterpriseID] {
			if _, ok := groups[o]; !ok {
				order = append(order, o)
			}
			groups[o] = append(groups[o], pr)
		}
	}
	officials, err := s.db.FindOfficialsByIDs(ctx, sc, order)
	if err != nil {
		return nil, err
	}
	out := make([]*OfficialOverdue, 0, len(officials))
	for _, o := range officials {
		out = append(out, &OfficialOverdue{Official: o, Problems: groups[o.ID]})
	}
	slices.SortStableFunc(out, func(a, b *OfficialOverdue) int {
		if c := len(b.Problems) - len(a.Problems); c != 0 {
			return c
		}
		return strings.Compare(a.Official.Name, b.Official.Name)
	})
	return out, nil
}

// OverdueByDepartment groups the overdue work inside the caller's scope by
// department. The responsible department carries a problem that is overdue as
// a whole; each department an L3 escalation asked is judged on its own reply:
// it is listed while it has not replied by its deadline, whether or not the
// problem is overdue, and not once it replied. (Problems escalated before
// replies were tracked have no reply deadlines; their departments share the
// problem's lapse as before.) department, when given, keeps only that one.
func (s *Service) OverdueByDepartment(ctx context.Context, department *string) ([]*DepartmentOverdue, error) {
	sc, _, err := s.Scope(ctx)
	if err != nil {
		return nil, err
	}
	candidates, err := s.db.FindOverdueForDepartments(ctx, sc)
	if err != nil {
		return nil, err
	}
	now := s.now()
	groups := map[string][]*domain.Problem{}
	var order []string
	for _, pr := range candidates {
		for _, d := range overdueDepartments(pr, now) {
			if department != nil && *department != d || slices.Contains(groups[d], pr) {
				continue
			}
			if _, ok := groups[d]; !ok {
				order = append(order, d)
			}
			groups[d] = append(groups[d], pr)
		}
	}
	out := make([]*DepartmentOverdue, 0, len(order))
	for _, d := range order {
		out = append(out, &DepartmentOverdue{Department: d, Problems: groups[d]})
	}
	slices.SortStableFunc(out, func(a, b *DepartmentOverdue) int {
		if c := len(b.Problems) - len(a.Problems); c != 0 {
			return c
		}
		return strings.Compare(a.Department, b.Department)
	})
	return out, nil
}

// overdueDepartments are the departments late on pr now (see OverdueByDepartment).
func overdueDepartments(pr *domain.Problem, now time.Time) []string {
	var out []string
	late := pr.Overdue(now)
	if d := strings.TrimSpace(pr.ResponsibleDepartment); late && d != "" {
		out = append(out, d)
	}
	owing := pr.OverdueDepartments(now)
	for _, d := range pr.CoordinatingDepartments {
		asked := slices.ContainsFunc(pr.DepartmentReplies, func(r domain.DepartmentReply) bool { return r.Department == d })
		if slices.Contains(owing, d) || !asked && late {
			out = appendNew(out, d)
		}
	}
	return out
}
