package service

import (
	"context"
	"time"

	"github.com/lianqi/lianqi/domain"
)

// Visit returns one visit inside the caller's scope.
func (s *Service) Visit(ctx context.Context, id string) (*domain.Visit, error) {
	sc, _, err := s.Scope(ctx)
	if err != nil {
		return nil, err
	}
	return s.db.FindVisitByID(ctx, sc, id)
}

// Visits lists visits inside the caller's scope.
func (s *Service) Visits(ctx context.Context, f domain.VisitFilter, page domain.PageRequest) (domain.Page[*domain.Visit], error) {
	sc, _, err := s.Scope(ctx)
	if err != nil {
		return domain.Page[*domain.Visit]{}, err
	}
	return s.db.FindVisits(ctx, sc, f, page)
}

// VisitInput records or edits a visit; nil fields stay as they are on update.
type VisitInput struct {
	ID           *string
	EnterpriseID *string
	OfficialID   *string
	Date         *time.Time
	Notes        *string
	ProblemIDs   []string
	// HLC is as UpdateProblemInput.HLC.
	HLC string
}

// CreateVisit records an official's visit. Officials record their own visits to
// enterprises they serve; admins may record any (imports).
func (s *Service) CreateVisit(ctx context.Context, in VisitInput) (*domain.Visit, error) {
	sc, p, err := s.Scope(ctx)
	if err != nil {
		return nil, err
	}
	v := &domain.Visit{Notes: deref(in.Notes), ProblemIDs: in.ProblemIDs, EnterpriseID: deref(in.EnterpriseID), OfficialID: deref(in.OfficialID)}
	if v.ID, err = newID(in.ID); err != nil {
		return nil, err
	}
	switch p.Role {
	case domain.RoleOfficial:
		if v.OfficialID != "" && v.OfficialID != p.OfficialID {
			return nil, domain.Forbidden("officials record only their own visits")
		}
		v.OfficialID = p.OfficialID
	case domain.RoleAdmin:
		if _, err := s.db.FindOfficialByID(ctx, sc, v.OfficialID); err != nil {
			return nil, notFoundAs(err, "officialId")
		}
	default:
		return nil, domain.Forbidden("only officials record visits")
	}
	if in.Date != nil {
		v.Date = in.Date.UTC()
	}
	if err := s.checkVisit(ctx, sc, v); err != nil {
		return nil, err
	}
	return v, s.db.CreateVisit(ctx, v)
}

func (s *Service) checkVisit(ctx context.Context, sc domain.Scope, v *domain.Visit) error {
	if err := v.Validate(s.now()); err != nil {
		return err
	}
	if _, err := s.db.FindEnterpriseByID(ctx, sc, v.EnterpriseID); err != nil {
		return notFoundAs(err, "enterpriseId")
	}
	if len(v.ProblemIDs) > 0 {
		found, err := s.db.FindProblemsByIDs(ctx, sc, v.ProblemIDs)
		if err != nil {
			return err
		}
		ok := map[string]bool{}
		for _, pr := range found {
			ok[pr.ID] = pr.EnterpriseID == v.EnterpriseID
		}
		for _, id := range v.ProblemIDs {
			if !ok[id] {
				return domain.Invalid("problemIds", "problem %s is not a problem of this enterprise", id)
			}
		}
	}
	return nil
}

// UpdateVisit edits a visit; only its official or an admin may.
func (s *Service) UpdateVisit(ctx context.Context, id string, expectedVersion *int, in VisitInput) (*domain.Visit, error) {
	return s.editVisit(ctx, id, expectedVersion, func(sc domain.Scope, v *domain.Visit) error {
		if in.ID != nil || in.EnterpriseID != nil || in.OfficialID != nil {
			return domain.Invalid("enterpriseId", "a visit's id, enterprise and official cannot change")
		}
		before := visitContent(v)
		defer func() { v.Clocks = stampClocks(v.Clocks, in.HLC, s.now(), before, visitContent(v)) }()
		if in.Date != nil {
			v.Date = in.Date.UTC()
		}
		setIf(&v.Notes, in.Notes)
		if in.ProblemIDs != nil {
			v.ProblemIDs = in.ProblemIDs
		}
		return s.checkVisit(ctx, sc, v)
	})
}

// DeleteVisit removes a visit recorded by mistake; only its official or an admin may.
func (s *Service) DeleteVisit(ctx context.Context, id string) (*domain.Visit, error) {
	return s.editVisit(ctx, id, nil, func(_ domain.Scope, v *domain.Visit) error {
		v.Deleted = true
		return nil
	})
}

func (s *Service) editVisit(ctx context.Context, id string, expectedVersion *int, edit func(domain.Scope, *domain.Visit) error) (*domain.Visit, error) {
	sc, p, err := s.Scope(ctx)
	if err != nil {
		return nil, err
	}
	v, err := s.db.FindVisitByID(ctx, sc, id)
	if err != nil {
		return nil, err
	}
	if p.Role != domain.RoleAdmin && !(p.Role == domain.RoleOfficial && v.OfficialID == p.OfficialID) {
		return nil, domain.Forbidden("only the official who made the visit may change it")
	}
	if err := checkVersion(expectedVersion, "visit", id, v.Version); err != nil {
		return nil, err
	}
	if err := edit(sc, v); err != nil {
		return nil, err
	}
	return v, s.db.UpdateVisit(ctx, v)
}
