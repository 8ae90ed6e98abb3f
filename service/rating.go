package service

import (
	"context"

	"github.com/lianqi/lianqi/domain"
)

// Ratings lists the enterprises' ratings inside the caller's scope: an
// enterprise sees its own, an official those of the enterprises they serve (so
// their own), leaders and admins all.
func (s *Service) Ratings(ctx context.Context, f domain.RatingFilter) ([]*domain.Rating, error) {
	sc, _, err := s.Scope(ctx)
	if err != nil {
		return nil, err
	}
	return s.db.FindRatings(ctx, sc, f)
}
