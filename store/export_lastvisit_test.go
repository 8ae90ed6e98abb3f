package store

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// BareVisitScan is the bare driver's part of LastVisits: the same projected
// find over the live visits, decoded into raw documents, with no reduction.
func (db *DB) BareVisitScan(ctx context.Context) (int, error) {
	cur, err := db.coll(CollVisits).Find(ctx, live(), options.Find().SetProjection(bson.D{{Key: "enterpriseId", Value: 1}, {Key: "date", Value: 1}}))
	if err != nil {
		return 0, err
	}
	defer cur.Close(ctx)
	n := 0
	for cur.Next(ctx) {
		n++
	}
	return n, cur.Err()
}
