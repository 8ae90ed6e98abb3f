package store

import (
	"context"

	"github.com/lianqi/lianqi/domain"
)

// ProgrammeRecords reads every live enterprise, official and pairing, for the
// programme's shape. Like the ranking it covers the whole programme (about a
// hundred of each) and reads each collection once: the engine has no $lookup
// to find the firms without a pairing on its side.
func (db *DB) ProgrammeRecords(ctx context.Context) ([]*domain.Enterprise, []*domain.Official, []*domain.Pairing, error) {
	ents, err := findAll(ctx, db, CollEnterprises, live(), nil, (*enterpriseDoc).toDomain)
	if err != nil {
		return nil, nil, nil, err
	}
	offs, err := findAll(ctx, db, CollOfficials, live(), nil, (*officialDoc).toDomain)
	if err != nil {
		return nil, nil, nil, err
	}
	ps, err := db.FindPairings(ctx, domain.Scope{All: true}, domain.PairingFilter{ActiveOnly: true})
	return ents, offs, ps, err
}
