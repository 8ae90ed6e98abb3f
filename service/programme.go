package service

import (
	"context"

	"github.com/lianqi/lianqi/domain"
)

// ProgrammeShape shows the programme office the gaps in 一对一 service:
// enterprises without a chief, officials without an enterprise, officials
// leading several, and the counts beside the article's (leaders and admins).
func (s *Service) ProgrammeShape(ctx context.Context) (*domain.ProgrammeShape, error) {
	if _, err := s.require(ctx, domain.RoleAdmin, domain.RoleLeader); err != nil {
		return nil, err
	}
	ents, offs, ps, err := s.db.ProgrammeRecords(ctx)
	if err != nil {
		return nil, err
	}
	shape := domain.Shape(ents, offs, ps)
	counts, err := s.db.CountProblems(ctx, domain.Scope{All: true}, domain.Period{})
	if err != nil {
		return nil, err
	}
	for _, c := range counts {
		if c.Status == domain.StatusWithdrawn {
			continue
		}
		shape.ProblemsCollected += c.Count
		if c.Status == domain.StatusResolved || c.Status == domain.StatusConfirmed {
			shape.ProblemsResolved += c.Count
		}
	}
	shape.Figures()
	return shape, nil
}
