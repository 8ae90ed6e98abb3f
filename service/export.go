package service

import (
	"context"

	"github.com/lianqi/lianqi/auth"
	"github.com/lianqi/lianqi/domain"
)

// EachProblem hands the caller's problem listing (the `problems` query's
// filter, scope and order; a dashboard token needs PROBLEMS_READ as for the
// query) to fn in batches of at most batch, for the spreadsheet exports.
func (s *Service) EachProblem(ctx context.Context, f domain.ProblemFilter, sort domain.ProblemSort, batch int, fn func([]*domain.Problem) error) error {
	if err := auth.CheckGrant(ctx, domain.GrantProblemsRead); err != nil {
		return err
	}
	sc, _, err := s.Scope(ctx)
	if err != nil {
		return err
	}
	return s.db.EachProblem(ctx, sc, f, sort, batch, fn)
}
