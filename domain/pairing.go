package domain

import (
	"io"
	"time"
)

// PairingEndReason records why a pairing ended. A pairing belongs to the official,
// not to the post (事随人走), so a change of post is deliberately not a reason.
type PairingEndReason string

const (
	EndOfficialRetired PairingEndReason = "OFFICIAL_RETIRED"
	EndEnterpriseLeft  PairingEndReason = "ENTERPRISE_LEFT"
	// EndRepaired is used when an admin re-pairs the enterprise with another official.
	EndRepaired PairingEndReason = "REPAIRED"
)

var pairingEndReasons = []PairingEndReason{EndOfficialRetired, EndEnterpriseLeft, EndRepaired}

func (r *PairingEndReason) UnmarshalGQL(v any) (err error) {
	*r, err = parseEnum(v, pairingEndReasons, "PairingEndReason")
	return err
}
func (r PairingEndReason) MarshalGQL(w io.Writer) { writeEnum(w, r) }

// Pairing ties one enterprise to the official who leads its service and the
// service-team members who help.
type Pairing struct {
	ID             string
	EnterpriseID   string
	LeadOfficialID string
	TeamMemberIDs  []string
	StartedAt      time.Time
	EndedAt        *time.Time
	EndReason      PairingEndReason
	// Source marks demo records: "article: …" for what the source article
	// states, "demo: …" for what was invented (docs/domain.md); "" for real data.
	Source string
	Meta
}

// Active reports whether the pairing is still in force.
func (p *Pairing) Active() bool { return p.EndedAt == nil }

// Includes reports whether the official leads or helps in this pairing.
func (p *Pairing) Includes(officialID string) bool {
	return p.LeadOfficialID == officialID || contains(p.TeamMemberIDs, officialID)
}

// Validate checks the pairing before it is stored.
func (p *Pairing) Validate() error {
	if !ValidID(p.EnterpriseID) {
		return Invalid("enterpriseId", "a valid enterprise id is required")
	}
	if !ValidID(p.LeadOfficialID) {
		return Invalid("leadOfficialId", "a valid official id is required")
	}
	seen := map[string]bool{p.LeadOfficialID: true}
	for _, m := range p.TeamMemberIDs {
		if !ValidID(m) {
			return Invalid("teamMemberIds", "%q is not a valid official id", m)
		}
		if seen[m] {
			return Invalid("teamMemberIds", "official %s is listed twice", m)
		}
		seen[m] = true
	}
	if p.StartedAt.IsZero() {
		return Invalid("startedAt", "start date is required")
	}
	if p.EndedAt != nil {
		if p.EndedAt.Before(p.StartedAt) {
			return Invalid("endedAt", "a pairing cannot end before it starts")
		}
		if !contains(pairingEndReasons, p.EndReason) {
			return Invalid("endReason", "an ended pairing needs a reason")
		}
	}
	return nil
}

// End closes the pairing with a reason.
func (p *Pairing) End(reason PairingEndReason, at time.Time) error {
	if !p.Active() {
		return Invalid("id", "pairing already ended")
	}
	if !contains(pairingEndReasons, reason) {
		return Invalid("reason", "unknown end reason %q", reason)
	}
	if at.Before(p.StartedAt) {
		at = p.StartedAt
	}
	p.EndedAt, p.EndReason = &at, reason
	return nil
}

// PairingFilter narrows a pairing listing.
type PairingFilter struct {
	EnterpriseID string
	OfficialID   string
	ActiveOnly   bool
}
