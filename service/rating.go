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

// PeriodicRatingInput is an enterprise's rating of its chief for a quarter.
type PeriodicRatingInput struct {
	Score   int
	Comment *string
	// Period defaults to the current quarter.
	Period *string
}

// RateChief records the calling enterprise's rating of the chief who leads its
// service, once per quarter: a second rating of the same quarter is refused
// with ECONFLICT on field "period".
func (s *Service) RateChief(ctx context.Context, in PeriodicRatingInput) (*domain.PeriodicRating, error) {
	p, err := s.require(ctx, domain.RoleEnterprise)
	if err != nil {
		return nil, err
	}
	now := s.now()
	r := &domain.PeriodicRating{EnterpriseID: p.EnterpriseID, ByUserID: p.UserID, Period: domain.QuarterOf(now), Score: in.Score,
		Comment: deref(in.Comment), At: now}
	if in.Period != nil {
		r.Period = *in.Period
	}
	if err := r.Validate(now); err != nil {
		return nil, err
	}
	lead, err := s.db.FindPairings(ctx, domain.Scope{All: true}, domain.PairingFilter{EnterpriseID: r.EnterpriseID, ActiveOnly: true})
	if err != nil {
		return nil, err
	}
	if len(lead) == 0 {
		return nil, domain.Invalid("enterpriseId", "the enterprise has no chief leading its service to rate")
	}
	r.OfficialID, r.ID = lead[0].LeadOfficialID, domain.PeriodicRatingID(r.EnterpriseID, r.Period)
	if err := s.db.CreatePeriodicRating(ctx, r); err != nil {
		if domain.ErrorCode(err) == domain.ECONFLICT {
			e := domain.Errorf(domain.ECONFLICT, "the enterprise already rated its chief for %s", r.Period)
			e.Field = "period"
			return nil, e
		}
		return nil, err
	}
	return r, nil
}

// PeriodicRatings lists the periodic ratings inside the caller's scope: an
// enterprise its own, an official those of the enterprises they serve, leaders
// and admins all.
func (s *Service) PeriodicRatings(ctx context.Context, f domain.PeriodicRatingFilter) ([]*domain.PeriodicRating, error) {
	sc, _, err := s.Scope(ctx)
	if err != nil {
		return nil, err
	}
	return s.db.FindPeriodicRatings(ctx, sc, f)
}
