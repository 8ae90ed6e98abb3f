package store

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/lianqi/lianqi/domain"
)

// EachProblem hands every problem of a listing (the same filter, scope and
// order as FindProblems) to fn in batches of at most batch, reading them
// from one database cursor. A whole-ledger export pays one query instead of a
// page query plus a count for every 100 rows (on the embedded engine each is
// a full decode of the collection), and holds one batch at a time.
func (db *DB) EachProblem(ctx context.Context, scope domain.Scope, f domain.ProblemFilter, sort domain.ProblemSort, batch int, fn func([]*domain.Problem) error) error {
	spec, ok := problemSorts[sort]
	if sort == "" {
		spec, ok = problemSorts[domain.SortReportedAtDesc], true
	}
	if !ok {
		return domain.Invalid("orderBy", "unknown order %q", sort)
	}
	batch = max(batch, 1)
	cur, err := db.coll(CollProblems).Find(ctx, db.problemFilter(scope, f), options.Find().SetSort(spec.bson()).SetBatchSize(int32(batch)))
	if err != nil {
		return translate("find "+CollProblems, err)
	}
	defer cur.Close(ctx)
	items := make([]*domain.Problem, 0, batch)
	for cur.Next(ctx) {
		var d problemDoc
		if err := cur.Decode(&d); err != nil {
			return translate("decode "+CollProblems, err)
		}
		if items = append(items, d.toDomain()); len(items) == batch {
			if err := fn(items); err != nil {
				return err
			}
			items = make([]*domain.Problem, 0, batch)
		}
	}
	if err := cur.Err(); err != nil {
		return translate("find "+CollProblems, err)
	}
	if len(items) > 0 {
		return fn(items)
	}
	return nil
}
