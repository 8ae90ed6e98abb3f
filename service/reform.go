package service

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/lianqi/lianqi/domain"
)

// The service follows the person (事随人走): a change of post keeps every pairing
// (ChangeOfficialPost). A pairing ends only when the official retires, the
// enterprise leaves the county, or an admin re-pairs the enterprise; the ended
// pairing stays, with its reason, as history.
//
// Each command below writes several documents and the embedded engine has no
// transactions, so they are ordered to be safe to retry: the pairings are ended
// first and the official or enterprise is marked last. If a later write fails,
// running the same command again skips what is already done and finishes.

// RetireOfficial records an official's retirement (admins only): the current
// post closes, every pairing the official leads ends with OFFICIAL_RETIRED, and
// the official leaves the service teams they helped in (those pairings go on with
// their lead).
func (s *Service) RetireOfficial(ctx context.Context, id string, at *time.Time) (*domain.Official, error) {
	if _, err := s.require(ctx, domain.RoleAdmin); err != nil {
		return nil, err
	}
	all := domain.Scope{All: true}
	o, err := s.db.FindOfficialByID(ctx, all, id)
	if err != nil {
		return nil, err
	}
	if o.RetiredAt != nil {
		return nil, domain.Invalid("id", "official %s retired on %s", o.Name, o.RetiredAt.Format(time.DateOnly))
	}
	when, err := s.when(at)
	if err != nil {
		return nil, err
	}
	if cur := o.CurrentPost(); cur != nil && when.Before(cur.From) {
		return nil, domain.Invalid("at", "retirement cannot come before the current post began (%s)", cur.From.Format(time.DateOnly))
	}
	pairings, err := s.db.FindPairings(ctx, all, domain.PairingFilter{OfficialID: id, ActiveOnly: true})
	if err != nil {
		return nil, err
	}
	for _, p := range pairings {
		change := "ended: " + string(domain.EndOfficialRetired) + unpairedNote
		if p.LeadOfficialID == id {
			err = p.End(domain.EndOfficialRetired, when)
		} else {
			p.TeamMemberIDs = slices.DeleteFunc(p.TeamMemberIDs, func(m string) bool { return m == id })
			change = fmt.Sprintf("team member %s (%s) retired and left the team", o.Name, o.ID)
		}
		if err != nil {
			return nil, err
		}
		if err := s.db.UpdatePairing(ctx, p); err != nil {
			return nil, err
		}
		s.audit(ctx, domain.AuditPairingChanged, p.ID, change)
	}
	if cur := o.CurrentPost(); cur != nil {
		cur.To = &when
	}
	o.RetiredAt = &when
	if err := s.db.UpdateOfficial(ctx, o); err != nil {
		return nil, err
	}
	s.audit(ctx, domain.AuditOfficialRetired, o.ID, fmt.Sprintf("%s retired on %s; %d pairing(s) touched", o.Name, when.Format(time.DateOnly), len(pairings)))
	return o, nil
}

// MarkEnterpriseLeft records that an enterprise left the county (admins only):
// its active pairing ends with ENTERPRISE_LEFT and its status becomes LEFT_COUNTY.
// Its problems and visits stay as they are, readable by leaders.
func (s *Service) MarkEnterpriseLeft(ctx context.Context, id string, at *time.Time) (*domain.Enterprise, error) {
	if _, err := s.require(ctx, domain.RoleAdmin); err != nil {
		return nil, err
	}
	all := domain.Scope{All: true}
	e, err := s.db.FindEnterpriseByID(ctx, all, id)
	if err != nil {
		return nil, err
	}
	if e.Status == domain.EnterpriseLeft {
		return nil, domain.Invalid("id", "enterprise %s has already left the county", e.Name)
	}
	when, err := s.when(at)
	if err != nil {
		return nil, err
	}
	if err := s.endActivePairings(ctx, id, domain.EndEnterpriseLeft, when, leftNote); err != nil {
		return nil, err
	}
	e.Status = domain.EnterpriseLeft
	if err := s.db.UpdateEnterprise(ctx, e); err != nil {
		return nil, err
	}
	s.audit(ctx, domain.AuditEnterpriseLeft, e.ID, fmt.Sprintf("%s left the programme on %s", e.Name, when.Format(time.DateOnly)))
	return e, nil
}

// RepairEnterpriseInput names the enterprise's new service.
type RepairEnterpriseInput struct {
	EnterpriseID   string
	LeadOfficialID string
	TeamMemberIDs  []string
	// At is when the old pairing ends and the new one starts; defaults to now.
	At *time.Time
}

// RepairEnterprise gives an enterprise a new lead official (admins only). The
// current pairing ends with REPAIRED and stays as history; a new pairing starts.
// If the enterprise has no active pairing (its official retired) it is simply
// paired again.
func (s *Service) RepairEnterprise(ctx context.Context, in RepairEnterpriseInput) (*domain.Pairing, error) {
	if _, err := s.require(ctx, domain.RoleAdmin); err != nil {
		return nil, err
	}
	when, err := s.when(in.At)
	if err != nil {
		return nil, err
	}
	next := &domain.Pairing{ID: domain.NewID(), EnterpriseID: in.EnterpriseID, LeadOfficialID: in.LeadOfficialID,
		TeamMemberIDs: in.TeamMemberIDs, StartedAt: when}
	if err := next.Validate(); err != nil {
		return nil, err
	}
	if err := s.checkPairingRefs(ctx, next); err != nil {
		return nil, err
	}
	active, err := s.db.FindPairings(ctx, domain.Scope{All: true}, domain.PairingFilter{EnterpriseID: in.EnterpriseID, ActiveOnly: true})
	if err != nil {
		return nil, err
	}
	for _, p := range active {
		if p.LeadOfficialID == in.LeadOfficialID {
			return nil, domain.Invalid("leadOfficialId", "the enterprise is already paired with this official")
		}
		if when.Before(p.StartedAt) {
			return nil, domain.Invalid("at", "the new pairing cannot start before the current one (%s)", p.StartedAt.Format(time.DateOnly))
		}
	}
	if err := s.endActivePairings(ctx, in.EnterpriseID, domain.EndRepaired, when, "; successor pairing "+next.ID); err != nil {
		return nil, err
	}
	if err := s.db.CreatePairing(ctx, next); err != nil {
		return nil, err
	}
	s.audit(ctx, domain.AuditPairingChanged, next.ID, fmt.Sprintf("created by re-pairing: enterprise %s, lead official %s", next.EnterpriseID, next.LeadOfficialID))
	return next, nil
}

func (s *Service) endActivePairings(ctx context.Context, enterpriseID string, reason domain.PairingEndReason, at time.Time, note string) error {
	active, err := s.db.FindPairings(ctx, domain.Scope{All: true}, domain.PairingFilter{EnterpriseID: enterpriseID, ActiveOnly: true})
	if err != nil {
		return err
	}
	for _, p := range active {
		if err := p.End(reason, at); err != nil {
			return err
		}
		if err := s.db.UpdatePairing(ctx, p); err != nil {
			return err
		}
		s.audit(ctx, domain.AuditPairingChanged, p.ID, "ended: "+string(reason)+note)
	}
	return nil
}

// when is an optional effective date, defaulting to now. It may not lie in the
// future: these commands record what happened, they do not schedule it.
func (s *Service) when(at *time.Time) (time.Time, error) {
	now := s.now()
	if at == nil || at.IsZero() {
		return now, nil
	}
	if at.After(now.Add(24 * time.Hour)) {
		return time.Time{}, domain.Invalid("at", "the date cannot be in the future")
	}
	return at.UTC(), nil
}
