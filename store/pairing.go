package store

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/lianqi/lianqi/domain"
)

type pairingDoc struct {
	Stamp          `bson:",inline"`
	EnterpriseID   string     `bson:"enterpriseId"`
	LeadOfficialID string     `bson:"leadOfficialId"`
	TeamMemberIDs  []string   `bson:"teamMemberIds"`
	StartedAt      time.Time  `bson:"startedAt"`
	EndedAt        *time.Time `bson:"endedAt"`
	EndReason      string     `bson:"endReason"`
	Active         bool       `bson:"active"`
	Source         string     `bson:"source,omitempty"`
}

func (d *pairingDoc) visibleIn(s domain.Scope) bool { return s.HasEnterprise(d.EnterpriseID) }

func pairingFromDomain(p *domain.Pairing) *pairingDoc {
	team := p.TeamMemberIDs
	if team == nil {
		team = []string{}
	}
	return &pairingDoc{Stamp: baseFrom(p.ID, p.Meta), EnterpriseID: p.EnterpriseID, LeadOfficialID: p.LeadOfficialID,
		TeamMemberIDs: team, StartedAt: p.StartedAt, EndedAt: p.EndedAt, EndReason: string(p.EndReason), Active: p.Active(), Source: p.Source}
}

func (d *pairingDoc) toDomain() *domain.Pairing {
	return &domain.Pairing{ID: d.ID, EnterpriseID: d.EnterpriseID, LeadOfficialID: d.LeadOfficialID, TeamMemberIDs: d.TeamMemberIDs,
		StartedAt: d.StartedAt.UTC(), EndedAt: utcPtr(d.EndedAt), EndReason: domain.PairingEndReason(d.EndReason), Source: d.Source, Meta: d.meta()}
}

// FindPairingByID returns the pairing if its enterprise is inside scope.
func (db *DB) FindPairingByID(ctx context.Context, scope domain.Scope, id string) (*domain.Pairing, error) {
	return findOne(ctx, db, CollPairings, id, scope, (*pairingDoc).toDomain)
}

// FindPairings lists pairings inside scope, oldest first. Pairings are few (one or
// two per enterprise), so they are not paginated.
func (db *DB) FindPairings(ctx context.Context, scope domain.Scope, f domain.PairingFilter) ([]*domain.Pairing, error) {
	filter := and(live(), inScope(scope, "enterpriseId"), eqIf("enterpriseId", f.EnterpriseID))
	if f.OfficialID != "" {
		filter = and(filter, bson.D{{Key: "$or", Value: bson.A{
			bson.D{{Key: "leadOfficialId", Value: f.OfficialID}},
			bson.D{{Key: "teamMemberIds", Value: f.OfficialID}},
		}}})
	}
	if f.ActiveOnly {
		filter = and(filter, bson.D{{Key: "active", Value: true}})
	}
	return findAll(ctx, db, CollPairings, filter, bson.D{{Key: "startedAt", Value: 1}, {Key: "_id", Value: 1}}, (*pairingDoc).toDomain)
}

// CreatePairing stores a new pairing.
func (db *DB) CreatePairing(ctx context.Context, p *domain.Pairing) error {
	return save(ctx, db, CollPairings, pairingFromDomain(p), 0, &p.Meta)
}

// UpdatePairing replaces the pairing if its stored version is still p.Version.
func (db *DB) UpdatePairing(ctx context.Context, p *domain.Pairing) error {
	return save(ctx, db, CollPairings, pairingFromDomain(p), p.Version, &p.Meta)
}
