package store

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/lianqi/lianqi/domain"
)

// Change is one record as last written, for the sync protocol's pulls.
type Change struct {
	ID      string
	Seq     int64
	Deleted bool
	Doc     bson.Raw
}

// Changes returns records of coll inside scope written with a sequence in
// (after, upTo], oldest first, tombstones included. Callers pass the
// Watermark as upTo so a pull never skips a change still being written.
func (db *DB) Changes(ctx context.Context, coll string, scope domain.Scope, after, upTo int64, limit int) ([]Change, error) {
	filter := bson.D{{Key: "seq", Value: bson.D{{Key: "$gt", Value: after}, {Key: "$lte", Value: upTo}}}}
	switch coll {
	case CollEnterprises:
		filter = and(filter, inScope(scope, "_id"))
	case CollOfficials:
		// Officials are scoped by who the caller deals with, not by enterprise.
		if !scope.All {
			ids := scope.OfficialIDs
			if ids == nil {
				ids = []string{}
			}
			filter = and(filter, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}})
		}
	case CollUsers:
	default:
		filter = and(filter, inScope(scope, "enterpriseId"))
	}
	cur, err := db.coll(coll).Find(ctx, filter, options.Find().SetSort(bson.D{{Key: "seq", Value: 1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, translate("changes "+coll, err)
	}
	defer cur.Close(ctx)
	var out []Change
	for cur.Next(ctx) {
		var b Stamp
		if err := cur.Decode(&b); err != nil {
			return nil, translate("decode "+coll, err)
		}
		out = append(out, Change{ID: b.ID, Seq: b.Seq, Deleted: b.Deleted, Doc: append(bson.Raw(nil), cur.Current...)})
	}
	return out, translate("changes "+coll, cur.Err())
}

// ProblemChange is one problem as written at Seq.
type ProblemChange struct {
	Seq     int64
	Problem *domain.Problem
}

// ProblemChanges is Changes for problems, decoded: every problem inside scope
// written with a sequence in (after, upTo], oldest first, tombstones included
// (Problem.Deleted set).
func (db *DB) ProblemChanges(ctx context.Context, scope domain.Scope, after, upTo int64, limit int) ([]ProblemChange, error) {
	changes, err := db.Changes(ctx, CollProblems, scope, after, upTo, limit)
	if err != nil {
		return nil, err
	}
	out := make([]ProblemChange, 0, len(changes))
	for _, c := range changes {
		var d problemDoc
		if err := bson.Unmarshal(c.Doc, &d); err != nil {
			return nil, translate("decode problem change", err)
		}
		out = append(out, ProblemChange{Seq: c.Seq, Problem: d.toDomain()})
	}
	return out, nil
}
