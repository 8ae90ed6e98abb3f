package store

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/lianqi/lianqi/domain"
)

// CollConflicts holds the sync conflict records.
const CollConflicts = "syncConflicts"

type conflictDoc struct {
	Stamp        `bson:",inline"`
	Collection   string    `bson:"collection"`
	DocumentID   string    `bson:"documentId"`
	EnterpriseID string    `bson:"enterpriseId"`
	UserID       string    `bson:"userId"`
	Username     string    `bson:"username"`
	DeviceID     string    `bson:"deviceId"`
	Field        string    `bson:"field"`
	Base         string    `bson:"base"`
	Client       string    `bson:"client"`
	Server       string    `bson:"server"`
	Result       string    `bson:"result"`
	Outcome      string    `bson:"outcome"`
	Reason       string    `bson:"reason"`
	At           time.Time `bson:"at"`
}

func (d *conflictDoc) toDomain() *domain.Conflict {
	return &domain.Conflict{ID: d.ID, Collection: d.Collection, DocumentID: d.DocumentID, EnterpriseID: d.EnterpriseID,
		UserID: d.UserID, Username: d.Username, DeviceID: d.DeviceID, Field: d.Field, Base: d.Base, Client: d.Client,
		Server: d.Server, Result: d.Result, Outcome: domain.ConflictOutcome(d.Outcome), Reason: d.Reason, At: d.At.UTC(), Meta: d.meta()}
}

// CreateConflict stores a conflict record.
func (db *DB) CreateConflict(ctx context.Context, c *domain.Conflict) error {
	d := &conflictDoc{Stamp: baseFrom(c.ID, c.Meta), Collection: c.Collection, DocumentID: c.DocumentID, EnterpriseID: c.EnterpriseID,
		UserID: c.UserID, Username: c.Username, DeviceID: c.DeviceID, Field: c.Field, Base: c.Base, Client: c.Client,
		Server: c.Server, Result: c.Result, Outcome: string(c.Outcome), Reason: c.Reason, At: c.At}
	return save(ctx, db, CollConflicts, d, 0, &c.Meta)
}

// ConflictFilter narrows a conflict listing.
type ConflictFilter struct {
	DocumentID string
}

// FindConflicts lists, newest first, the conflicts a caller may read: all of them
// with an unrestricted scope, otherwise those the user caused and those at the
// enterprises in scope (the people who serve the enterprise now).
func (db *DB) FindConflicts(ctx context.Context, scope domain.Scope, userID string, f ConflictFilter, page domain.PageRequest) (domain.Page[*domain.Conflict], error) {
	filter := and(live(), eqIf("documentId", f.DocumentID))
	if !scope.All {
		ids := scope.EnterpriseIDs
		if ids == nil {
			ids = []string{}
		}
		filter = and(filter, bson.D{{Key: "$or", Value: bson.A{
			bson.D{{Key: "userId", Value: userID}},
			bson.D{{Key: "enterpriseId", Value: bson.D{{Key: "$in", Value: ids}}}},
		}}})
	}
	return findPage(ctx, db, CollConflicts, filter, sortSpec{Field: "at", Desc: true}, page, (*conflictDoc).toDomain)
}

// ResolveConflict removes a conflict record that no longer stands (a held row
// that has been applied): it becomes a tombstone, so listings skip it.
func (db *DB) ResolveConflict(ctx context.Context, id string) error {
	ch, err := db.FindChange(ctx, CollConflicts, id)
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		return nil
	}
	if err != nil {
		return err
	}
	var d conflictDoc
	if err := bson.Unmarshal(ch.Doc, &d); err != nil {
		return translate("decode conflict", err)
	}
	if d.Deleted {
		return nil
	}
	d.Deleted = true
	return db.commit(ctx, CollConflicts, &d, d.Version)
}
