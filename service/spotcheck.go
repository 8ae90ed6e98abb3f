package service

import (
	"context"
	"time"

	"github.com/lianqi/lianqi/domain"
)

// spotCheckScope returns the scope for reading spot checks. Enterprises do not
// see them: the checks judge the officials, not the firm.
func (s *Service) spotCheckScope(ctx context.Context) (domain.Scope, *domain.Principal, error) {
	sc, p, err := s.Scope(ctx)
	if err != nil {
		return sc, p, err
	}
	if !sc.SpotChecks {
		return sc, p, domain.Forbidden("spot checks are not available to %s accounts", p.Role)
	}
	return sc, p, nil
}

// SpotCheck returns one spot check inside the caller's scope.
func (s *Service) SpotCheck(ctx context.Context, id string) (*domain.SpotCheck, error) {
	sc, _, err := s.spotCheckScope(ctx)
	if err != nil {
		return nil, err
	}
	return s.db.FindSpotCheckByID(ctx, sc, id)
}

// SpotChecks lists spot checks inside the caller's scope.
func (s *Service) SpotChecks(ctx context.Context, f domain.SpotCheckFilter, page domain.PageRequest) (domain.Page[*domain.SpotCheck], error) {
	sc, _, err := s.spotCheckScope(ctx)
	if err != nil {
		return domain.Page[*domain.SpotCheck]{}, err
	}
	return s.db.FindSpotChecks(ctx, sc, f, page)
}

// SpotCheckInput records or edits a spot check; nil fields stay on update.
type SpotCheckInput struct {
	ID           *string
	EnterpriseID *string
	Date         *time.Time
	Findings     *string
	Score        *int
	// Questions, when given, replace the questions asked.
	Questions []SpotCheckQuestionInput
}

// SpotCheckQuestionInput is one question of a spot check.
type SpotCheckQuestionInput struct {
	Question     string
	Answer       *string
	OfficialKnew bool
}

func questionsOf(in []SpotCheckQuestionInput) []domain.SpotCheckQuestion {
	out := make([]domain.SpotCheckQuestion, len(in))
	for i, q := range in {
		out[i] = domain.SpotCheckQuestion{Question: q.Question, Answer: deref(q.Answer), OfficialKnew: q.OfficialKnew}
	}
	return out
}

// CreateSpotCheck records a leader's unannounced check at any enterprise,
// including ones nobody visits (leaders and admins).
func (s *Service) CreateSpotCheck(ctx context.Context, in SpotCheckInput) (*domain.SpotCheck, error) {
	p, err := s.require(ctx, domain.RoleLeader, domain.RoleAdmin)
	if err != nil {
		return nil, err
	}
	c := &domain.SpotCheck{LeaderUserID: p.UserID, EnterpriseID: deref(in.EnterpriseID), Findings: deref(in.Findings), Score: in.Score,
		Date: s.now(), Questions: questionsOf(in.Questions)}
	if c.ID, err = newID(in.ID); err != nil {
		return nil, err
	}
	if in.Date != nil {
		c.Date = in.Date.UTC()
	}
	if err := c.Validate(s.now()); err != nil {
		return nil, err
	}
	if _, err := s.db.FindEnterpriseByID(ctx, domain.Scope{All: true}, c.EnterpriseID); err != nil {
		return nil, notFoundAs(err, "enterpriseId")
	}
	// The check judges whoever led the enterprise's service on that day, even if
	// the enterprise is re-paired later.
	pairings, err := s.db.FindPairings(ctx, domain.Scope{All: true}, domain.PairingFilter{EnterpriseID: c.EnterpriseID})
	if err != nil {
		return nil, err
	}
	for _, pr := range pairings {
		if !pr.StartedAt.After(c.Date) && (pr.EndedAt == nil || pr.EndedAt.After(c.Date)) {
			c.OfficialID = pr.LeadOfficialID
		}
	}
	return c, s.db.CreateSpotCheck(ctx, c)
}

// UpdateSpotCheck edits a spot check; its leader or an admin may.
func (s *Service) UpdateSpotCheck(ctx context.Context, id string, expectedVersion *int, in SpotCheckInput) (*domain.SpotCheck, error) {
	return s.editSpotCheck(ctx, id, expectedVersion, func(c *domain.SpotCheck) error {
		if in.ID != nil || in.EnterpriseID != nil {
			return domain.Invalid("enterpriseId", "a spot check's id and enterprise cannot change")
		}
		if in.Date != nil {
			c.Date = in.Date.UTC()
		}
		setIf(&c.Findings, in.Findings)
		if in.Score != nil {
			c.Score = in.Score
		}
		if in.Questions != nil {
			c.Questions = questionsOf(in.Questions)
		}
		return c.Validate(s.now())
	})
}

// DeleteSpotCheck removes a spot check recorded by mistake; its leader or an admin may.
func (s *Service) DeleteSpotCheck(ctx context.Context, id string) (*domain.SpotCheck, error) {
	return s.editSpotCheck(ctx, id, nil, func(c *domain.SpotCheck) error {
		c.Deleted = true
		return nil
	})
}

func (s *Service) editSpotCheck(ctx context.Context, id string, expectedVersion *int, edit func(*domain.SpotCheck) error) (*domain.SpotCheck, error) {
	p, err := s.require(ctx, domain.RoleLeader, domain.RoleAdmin)
	if err != nil {
		return nil, err
	}
	c, err := s.db.FindSpotCheckByID(ctx, domain.Scope{All: true}, id)
	if err != nil {
		return nil, err
	}
	if p.Role != domain.RoleAdmin && c.LeaderUserID != p.UserID {
		return nil, domain.Forbidden("only the leader who made the check may change it")
	}
	if err := checkVersion(expectedVersion, "spot check", id, c.Version); err != nil {
		return nil, err
	}
	if err := edit(c); err != nil {
		return nil, err
	}
	return c, s.db.UpdateSpotCheck(ctx, c)
}
