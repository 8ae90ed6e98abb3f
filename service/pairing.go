package service

import (
	"context"
	"fmt"
	"time"

	"github.com/lianqi/lianqi/domain"
)

// Pairings lists pairings inside the caller's scope.
func (s *Service) Pairings(ctx context.Context, f domain.PairingFilter) ([]*domain.Pairing, error) {
	sc, _, err := s.Scope(ctx)
	if err != nil {
		return nil, err
	}
	return s.db.FindPairings(ctx, sc, f)
}

// CreatePairingInput pairs an official with an enterprise.
type CreatePairingInput struct {
	EnterpriseID   string
	LeadOfficialID string
	TeamMemberIDs  []string
	StartedAt      *time.Time
}

// CreatePairing pairs an official (and a service team) with an enterprise (admins
// only). An enterprise has at most one active pairing.
func (s *Service) CreatePairing(ctx context.Context, in CreatePairingInput) (*domain.Pairing, error) {
	if _, err := s.require(ctx, domain.RoleAdmin); err != nil {
		return nil, err
	}
	p := &domain.Pairing{ID: domain.NewID(), EnterpriseID: in.EnterpriseID, LeadOfficialID: in.LeadOfficialID,
		TeamMemberIDs: in.TeamMemberIDs, StartedAt: s.now()}
	if in.StartedAt != nil {
		p.StartedAt = in.StartedAt.UTC()
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if err := s.checkPairingRefs(ctx, p); err != nil {
		return nil, err
	}
	active, err := s.db.FindPairings(ctx, domain.Scope{All: true}, domain.PairingFilter{EnterpriseID: p.EnterpriseID, ActiveOnly: true})
	if err != nil {
		return nil, err
	}
	if len(active) > 0 {
		return nil, &domain.Error{Code: domain.ECONFLICT, Field: "enterpriseId", Message: "the enterprise already has an active pairing; end it first"}
	}
	if err := s.db.CreatePairing(ctx, p); err != nil {
		return nil, err
	}
	s.audit(ctx, domain.AuditPairingChanged, p.ID, fmt.Sprintf("created: enterprise %s, lead official %s", p.EnterpriseID, p.LeadOfficialID))
	return p, nil
}

// checkPairingRefs makes sure the enterprise and every official exist and are
// still in the programme.
func (s *Service) checkPairingRefs(ctx context.Context, p *domain.Pairing) error {
	all := domain.Scope{All: true}
	e, err := s.db.FindEnterpriseByID(ctx, all, p.EnterpriseID)
	if err != nil {
		return notFoundAs(err, "enterpriseId")
	}
	if e.Status != domain.EnterpriseActive {
		return domain.Invalid("enterpriseId", "enterprise %s has left the county", e.Name)
	}
	for i, id := range append([]string{p.LeadOfficialID}, p.TeamMemberIDs...) {
		field := "teamMemberIds"
		if i == 0 {
			field = "leadOfficialId"
		}
		o, err := s.db.FindOfficialByID(ctx, all, id)
		if err != nil {
			return notFoundAs(err, field)
		}
		if o.RetiredAt != nil {
			return domain.Invalid(field, "official %s has retired", o.Name)
		}
	}
	return nil
}

// SetPairingTeam replaces a pairing's service-team members (admins only).
func (s *Service) SetPairingTeam(ctx context.Context, id string, teamMemberIDs []string) (*domain.Pairing, error) {
	return s.editPairing(ctx, id, fmt.Sprintf("team set to %v", teamMemberIDs), func(p *domain.Pairing) error {
		if !p.Active() {
			return domain.Invalid("id", "the pairing has ended")
		}
		p.TeamMemberIDs = teamMemberIDs
		if err := p.Validate(); err != nil {
			return err
		}
		return s.checkPairingRefs(ctx, p)
	})
}

// EndPairing ends a pairing with a reason (admins only). It stays as history.
// Each reason must be a fact already recorded, so that 事随人走 cannot be
// bypassed by naming a reason that is not true: OFFICIAL_RETIRED only once the
// lead official's retirement is recorded (retireOfficial, which ends his
// pairings itself; this covers pairings left active by older data),
// ENTERPRISE_LEFT only for an enterprise recorded as gone (markEnterpriseLeft),
// and REPAIRED never: a re-pairing starts the successor in the same command
// (repairEnterprise). Retirement is not recorded here as a side effect: it
// closes the official's post and every pairing he leads, which is a decision
// of its own with its own date.
func (s *Service) EndPairing(ctx context.Context, id string, reason domain.PairingEndReason) (*domain.Pairing, error) {
	if _, err := s.require(ctx, domain.RoleAdmin); err != nil {
		return nil, err
	}
	all := domain.Scope{All: true}
	p, err := s.db.FindPairingByID(ctx, all, id)
	if err != nil {
		return nil, err
	}
	at := s.now()
	switch reason {
	case domain.EndOfficialRetired:
		o, err := s.db.FindOfficialByID(ctx, all, p.LeadOfficialID)
		if err != nil {
			return nil, err
		}
		if o.RetiredAt == nil {
			return nil, domain.Invalid("reason", "official %s has not retired: record the retirement with retireOfficial, which ends his pairings", o.Name)
		}
		at = *o.RetiredAt
	case domain.EndEnterpriseLeft:
		e, err := s.db.FindEnterpriseByID(ctx, all, p.EnterpriseID)
		if err != nil {
			return nil, err
		}
		if e.Status != domain.EnterpriseLeft {
			return nil, domain.Invalid("reason", "enterprise %s has not left the programme: record it with markEnterpriseLeft, which ends its pairing", e.Name)
		}
	case domain.EndRepaired:
		return nil, domain.Invalid("reason", "re-pair the enterprise with repairEnterprise, which starts the successor pairing in the same step")
	}
	note := unpairedNote
	if reason == domain.EndEnterpriseLeft {
		note = leftNote
	}
	return s.editPairing(ctx, id, "ended: "+string(reason)+note, func(p *domain.Pairing) error { return p.End(reason, at) })
}

// unpairedNote ends the audit entry of a pairing that ended without a
// successor: the enterprise has no chief until an admin re-pairs it.
const (
	unpairedNote = "; the enterprise is unpaired until re-paired (programmeShape.unpairedEnterprises)"
	leftNote     = "; the enterprise has left the programme"
)

func (s *Service) editPairing(ctx context.Context, id, change string, edit func(*domain.Pairing) error) (*domain.Pairing, error) {
	if _, err := s.require(ctx, domain.RoleAdmin); err != nil {
		return nil, err
	}
	p, err := s.db.FindPairingByID(ctx, domain.Scope{All: true}, id)
	if err != nil {
		return nil, err
	}
	if err := edit(p); err != nil {
		return nil, err
	}
	if err := s.db.UpdatePairing(ctx, p); err != nil {
		return nil, err
	}
	s.audit(ctx, domain.AuditPairingChanged, p.ID, change)
	return p, nil
}
