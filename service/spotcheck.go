package service

import (
	"context"
	"slices"
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
	// Demands are the leader's demands, given on creation; later ones are
	// added with AddSpotCheckDemand so that answers are never overwritten.
	Demands []SpotCheckDemandInput
}

// SpotCheckDemandInput is one demand a leader makes during a spot check.
type SpotCheckDemandInput struct {
	Demand string
	// OfficialID defaults to the official the check judges.
	OfficialID *string
	Deadline   time.Time
}

func (in SpotCheckDemandInput) demand(c *domain.SpotCheck) domain.SpotCheckDemand {
	d := domain.SpotCheckDemand{ID: domain.NewID(), Demand: in.Demand, OfficialID: c.OfficialID, Deadline: in.Deadline.UTC()}
	if in.OfficialID != nil {
		d.OfficialID = *in.OfficialID
	}
	return d
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
	for _, in := range in.Demands {
		c.Demands = append(c.Demands, in.demand(c))
	}
	if err := c.Validate(s.now()); err != nil {
		return nil, err
	}
	if err := s.checkDemandOfficials(ctx, c.Demands); err != nil {
		return nil, err
	}
	return c, s.db.CreateSpotCheck(ctx, c)
}

// UpdateSpotCheck edits a spot check; its leader or an admin may.
func (s *Service) UpdateSpotCheck(ctx context.Context, id string, expectedVersion *int, in SpotCheckInput) (*domain.SpotCheck, error) {
	return s.editSpotCheck(ctx, id, expectedVersion, func(c *domain.SpotCheck) error {
		if in.ID != nil || in.EnterpriseID != nil {
			return domain.Invalid("enterpriseId", "a spot check's id and enterprise cannot change")
		}
		if in.Demands != nil {
			return domain.Invalid("demands", "add demands with addSpotCheckDemand")
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

// checkDemandOfficials makes sure every demand names an existing official.
func (s *Service) checkDemandOfficials(ctx context.Context, ds []domain.SpotCheckDemand) error {
	for _, d := range ds {
		if _, err := s.db.FindOfficialByID(ctx, domain.Scope{All: true}, d.OfficialID); err != nil {
			return notFoundAs(err, "demands.officialId")
		}
	}
	return nil
}

// AddSpotCheckDemand adds a demand to a spot check; its leader or an admin may.
func (s *Service) AddSpotCheckDemand(ctx context.Context, id string, in SpotCheckDemandInput) (*domain.SpotCheck, error) {
	return s.editSpotCheck(ctx, id, nil, func(c *domain.SpotCheck) error {
		d := in.demand(c)
		c.Demands = append(c.Demands, d)
		if err := c.Validate(s.now()); err != nil {
			return err
		}
		return s.checkDemandOfficials(ctx, []domain.SpotCheckDemand{d})
	})
}

// AnswerSpotCheckDemand records the answer of the official a demand is
// addressed to (or of an admin entering a paper answer). Answering late is
// allowed: the answer shows when it came.
func (s *Service) AnswerSpotCheckDemand(ctx context.Context, id, demandID, answer string) (*domain.SpotCheck, error) {
	p, err := s.require(ctx, domain.RoleOfficial, domain.RoleAdmin)
	if err != nil {
		return nil, err
	}
	c, err := s.db.FindSpotCheckByID(ctx, domain.Scope{All: true}, id)
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(c.Demands, func(d domain.SpotCheckDemand) bool {
		return d.ID == demandID && (p.Role == domain.RoleAdmin || d.OfficialID == p.OfficialID)
	}) {
		// A check with no demand for the caller is not theirs to see.
		return nil, domain.NotFound("demand", demandID)
	}
	if err := c.AnswerDemand(demandID, answer, p, s.now()); err != nil {
		return nil, err
	}
	return c, s.db.UpdateSpotCheck(ctx, c)
}

// SpotCheckDemandItem is one demand with the check it came from.
type SpotCheckDemandItem struct {
	SpotCheck *domain.SpotCheck
	Demand    *domain.SpotCheckDemand
}

// SpotCheckDemands lists leaders' demands, oldest deadline first: leaders and
// admins see all (optionally one official's), an official those addressed to
// them. overdueOnly keeps the unanswered ones past their deadline.
func (s *Service) SpotCheckDemands(ctx context.Context, officialID *string, overdueOnly bool) ([]*SpotCheckDemandItem, error) {
	p, err := s.require(ctx, domain.RoleAdmin, domain.RoleLeader, domain.RoleOfficial)
	if err != nil {
		return nil, err
	}
	want := deref(officialID)
	if p.Role == domain.RoleOfficial {
		if want != "" && want != p.OfficialID {
			return nil, domain.Forbidden("officials see the demands addressed to them")
		}
		want = p.OfficialID
	}
	checks, err := s.db.FindAllSpotChecks(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	out := []*SpotCheckDemandItem{}
	for _, c := range checks {
		for i := range c.Demands {
			d := &c.Demands[i]
			if want != "" && d.OfficialID != want || overdueOnly && !d.Overdue(now) {
				continue
			}
			out = append(out, &SpotCheckDemandItem{SpotCheck: c, Demand: d})
		}
	}
	slices.SortStableFunc(out, func(a, b *SpotCheckDemandItem) int { return a.Demand.Deadline.Compare(b.Demand.Deadline) })
	return out, nil
}
