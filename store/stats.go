package store

import (
	"context"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/lianqi/lianqi/domain"
)

// ProblemCount is how many problems share one combination of the fields the
// statistics break down by.
type ProblemCount struct {
	Category     domain.Category
	Level        domain.Level
	Status       domain.ProblemStatus
	EnterpriseID string
	Department   string
	Count        int
}

// CountProblems counts the live problems inside scope reported in period,
// grouped by category, level, status, enterprise and responsible department
// together. The database does the counting ($match, then $group with $sum,
// within what the embedded engine supports) in one pass; the caller folds the
// rows into one breakdown per field, since the engine has no $facet and every
// pipeline scans the whole collection. Measured on the embedded engine at 1,000
// problems: one $group pipeline per field ≈165 ms each (≈0.8 s for five); this
// single pipeline 0.5–0.65 s with ~1,000 distinct combinations (synthetic
// worst case; real data has far fewer), plus ≈0.2–0.3 s for FindProblemTimes.
func (db *DB) CountProblems(ctx context.Context, scope domain.Scope, period domain.Period) ([]ProblemCount, error) {
	match := and(live(), inScope(scope, "enterpriseId"), dateRange("reportedAt", period.From, period.To))
	pipeline := bson.A{
		bson.D{{Key: "$match", Value: match}},
		bson.D{{Key: "$group", Value: bson.D{
			{Key: "_id", Value: bson.D{{Key: "c", Value: "$category"}, {Key: "l", Value: "$level"}, {Key: "s", Value: "$status"},
				{Key: "e", Value: "$enterpriseId"}, {Key: "d", Value: "$responsibleDepartment"}}},
			{Key: "n", Value: bson.D{{Key: "$sum", Value: 1}}},
		}}},
	}
	cur, err := db.coll(CollProblems).Aggregate(ctx, pipeline)
	if err != nil {
		return nil, translate("count problems", err)
	}
	defer cur.Close(ctx)
	var out []ProblemCount
	for cur.Next(ctx) {
		var row struct {
			ID struct {
				C string `bson:"c"`
				L string `bson:"l"`
				S string `bson:"s"`
				E string `bson:"e"`
				D string `bson:"d"`
			} `bson:"_id"`
			N int `bson:"n"`
		}
		if err := cur.Decode(&row); err != nil {
			return nil, translate("decode problem counts", err)
		}
		out = append(out, ProblemCount{Category: domain.Category(row.ID.C), Level: domain.Level(row.ID.L), Status: domain.ProblemStatus(row.ID.S),
			EnterpriseID: row.ID.E, Department: row.ID.D, Count: row.N})
	}
	return out, translate("count problems", cur.Err())
}

// ProblemTimes are the dates of one problem that medians and periods need.
type ProblemTimes struct {
	Status      domain.ProblemStatus
	ReportedAt  time.Time
	RespondedAt *time.Time
	ResolvedAt  *time.Time
	RespondBy   time.Time
	ResolveBy   time.Time
	// Departments are the responsible department and every department an
	// escalation asked to help (L3), each once.
	Departments []string
}

// FindProblemTimes returns the dates of the live problems inside scope reported
// in period, projected to those fields only. Medians and calendar months are
// computed from them in Go: the embedded engine has no $percentile, $median or
// date operators in $group.
func (db *DB) FindProblemTimes(ctx context.Context, scope domain.Scope, period domain.Period) ([]ProblemTimes, error) {
	filter := and(live(), inScope(scope, "enterpriseId"), dateRange("reportedAt", period.From, period.To))
	proj := bson.D{{Key: "status", Value: 1}, {Key: "reportedAt", Value: 1}, {Key: "respondedAt", Value: 1},
		{Key: "resolvedAt", Value: 1}, {Key: "respondBy", Value: 1}, {Key: "resolveBy", Value: 1},
		{Key: "responsibleDepartment", Value: 1}, {Key: "coordinatingDepartments", Value: 1}}
	cur, err := db.coll(CollProblems).Find(ctx, filter, options.Find().SetProjection(proj))
	if err != nil {
		return nil, translate("find problem times", err)
	}
	defer cur.Close(ctx)
	var out []ProblemTimes
	for cur.Next(ctx) {
		var d problemDoc
		if err := cur.Decode(&d); err != nil {
			return nil, translate("decode problem times", err)
		}
		out = append(out, ProblemTimes{Status: domain.ProblemStatus(d.Status), ReportedAt: d.ReportedAt.UTC(),
			RespondedAt: utcPtr(d.RespondedAt), ResolvedAt: utcPtr(d.ResolvedAt), RespondBy: d.RespondBy.UTC(), ResolveBy: d.ResolveBy.UTC(),
			Departments: problemDepartments(d.ResponsibleDepartment, d.CoordinatingDepts)})
	}
	return out, translate("find problem times", cur.Err())
}

func problemDepartments(responsible string, coordinating []string) []string {
	out := []string{}
	for _, d := range append([]string{responsible}, coordinating...) {
		if d = strings.TrimSpace(d); d != "" && !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out
}

// FindDeletedProblems returns the problems inside scope reported in period
// that were deleted since (tombstones), newest deletion first: the statistics
// show them so that a figure that shrank can be explained.
func (db *DB) FindDeletedProblems(ctx context.Context, scope domain.Scope, period domain.Period) ([]*domain.Problem, error) {
	filter := and(bson.D{{Key: "deleted", Value: true}}, inScope(scope, "enterpriseId"), dateRange("reportedAt", period.From, period.To))
	return findAll(ctx, db, CollProblems, filter, bson.D{{Key: "updatedAt", Value: -1}, {Key: "_id", Value: 1}}, (*problemDoc).toDomain)
}

// RankingData loads every record the official ranking reads. The ranking
// covers the whole programme whoever asks, so nothing is scoped; the
// collections are small (about a hundred officials and firms) and each is read
// once.
func (db *DB) RankingData(ctx context.Context) (domain.RankingData, error) {
	var d domain.RankingData
	var err error
	all := domain.Scope{All: true}
	if d.Officials, err = findAll(ctx, db, CollOfficials, live(), nil, (*officialDoc).toDomain); err != nil {
		return d, err
	}
	if d.Pairings, err = db.FindPairings(ctx, all, domain.PairingFilter{}); err != nil {
		return d, err
	}
	if d.Problems, err = findAll(ctx, db, CollProblems, live(), nil, (*problemDoc).toDomain); err != nil {
		return d, err
	}
	if d.Visits, err = findAll(ctx, db, CollVisits, live(), nil, (*visitDoc).toDomain); err != nil {
		return d, err
	}
	if d.Ratings, err = db.FindRatings(ctx, all, domain.RatingFilter{}); err != nil {
		return d, err
	}
	if d.PeriodicRatings, err = db.FindPeriodicRatings(ctx, all, domain.PeriodicRatingFilter{}); err != nil {
		return d, err
	}
	if d.SpotChecks, err = findAll(ctx, db, CollSpotChecks, live(), nil, (*spotCheckDoc).toDomain); err != nil {
		return d, err
	}
	if d.Quizzes, err = db.FindAllQuizzes(ctx); err != nil {
		return d, err
	}
	// Only the escalations: they say where on the ladder each problem was
	// when, which is what charging a delay needs.
	if d.Escalations, err = findAll(ctx, db, CollProgressNotes, and(live(), bson.D{{Key: "kind", Value: string(domain.ActionEscalate)}}),
		nil, (*noteDoc).toDomain); err != nil {
		return d, err
	}
	if d.Users, err = findAll(ctx, db, CollUsers, live(), nil, (*userDoc).toDomain); err != nil {
		return d, err
	}
	for _, u := range d.Users {
		u.PasswordHash = "" // the ranking needs whom an account acts as, nothing more
	}
	return d, nil
}
