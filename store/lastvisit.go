package store

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/lianqi/lianqi/domain"
)

// LastVisits maps each enterprise inside scope (among ids; all when ids is
// nil) to the date of its latest live visit; never-visited firms are absent.
// The engine has no $max accumulator, so the visits are read as a projection
// of two fields and reduced here: one scan of the visits collection.
func (db *DB) LastVisits(ctx context.Context, scope domain.Scope, ids []string) (map[string]time.Time, error) {
	filter := and(live(), inScope(scope, "enterpriseId"))
	if ids != nil {
		filter = and(filter, inIf("enterpriseId", ids))
	}
	proj := bson.D{{Key: "enterpriseId", Value: 1}, {Key: "date", Value: 1}}
	cur, err := db.coll(CollVisits).Find(ctx, filter, options.Find().SetProjection(proj))
	if err != nil {
		return nil, translate("find last visits", err)
	}
	defer cur.Close(ctx)
	out := map[string]time.Time{}
	for cur.Next(ctx) {
		var d struct {
			EnterpriseID string    `bson:"enterpriseId"`
			Date         time.Time `bson:"date"`
		}
		if err := cur.Decode(&d); err != nil {
			return nil, translate("decode last visits", err)
		}
		if d.Date.After(out[d.EnterpriseID]) {
			out[d.EnterpriseID] = d.Date.UTC()
		}
	}
	return out, translate("find last visits", cur.Err())
}

// FindActiveEnterprises returns every live enterprise inside scope still in
// the programme (not left the county), by name.
func (db *DB) FindActiveEnterprises(ctx context.Context, scope domain.Scope) ([]*domain.Enterprise, error) {
	filter := and(live(), inScope(scope, "_id"), bson.D{{Key: "status", Value: bson.D{{Key: "$ne", Value: string(domain.EnterpriseLeft)}}}})
	return findAll(ctx, db, CollEnterprises, filter, bson.D{{Key: "name", Value: 1}, {Key: "_id", Value: 1}}, (*enterpriseDoc).toDomain)
}
