package store

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/lianqi/lianqi/domain"
)

type periodicRatingDoc struct {
	Stamp        `bson:",inline"`
	EnterpriseID string    `bson:"enterpriseId"`
	OfficialID   string    `bson:"officialId"`
	ByUserID     string    `bson:"byUserId"`
	Period       string    `bson:"period"`
	Score        int       `bson:"score"`
	Comment      string    `bson:"comment"`
	At           time.Time `bson:"at"`
	// Source: domain.PeriodicRating.Source (demo records only).
	Source string `bson:"source,omitempty"`
}

func (d *periodicRatingDoc) toDomain() *domain.PeriodicRating {
	return &domain.PeriodicRating{ID: d.ID, EnterpriseID: d.EnterpriseID, OfficialID: d.OfficialID, ByUserID: d.ByUserID,
		Period: d.Period, Score: d.Score, Comment: d.Comment, At: d.At.UTC(), Source: d.Source, Meta: d.meta()}
}

// FindPeriodicRatings returns the periodic ratings inside scope, newest period
// first. The ranking reads them all (scope All) as part of satisfaction:
// about a hundred firms rating four times a year stay small enough to read whole.
func (db *DB) FindPeriodicRatings(ctx context.Context, scope domain.Scope, f domain.PeriodicRatingFilter) ([]*domain.PeriodicRating, error) {
	filter := and(live(), inScope(scope, "enterpriseId"), eqIf("officialId", f.OfficialID), eqIf("enterpriseId", f.EnterpriseID), eqIf("period", f.Period))
	return findAll(ctx, db, CollPeriodicRatings, filter, bson.D{{Key: "period", Value: -1}, {Key: "at", Value: -1}, {Key: "_id", Value: 1}}, (*periodicRatingDoc).toDomain)
}

// CreatePeriodicRating stores a periodic rating. Its id is derived from the
// enterprise and the period, so a second rating of the period is ECONFLICT.
func (db *DB) CreatePeriodicRating(ctx context.Context, r *domain.PeriodicRating) error {
	d := &periodicRatingDoc{Stamp: baseFrom(r.ID, r.Meta), EnterpriseID: r.EnterpriseID, OfficialID: r.OfficialID, ByUserID: r.ByUserID,
		Period: r.Period, Score: r.Score, Comment: r.Comment, At: r.At, Source: r.Source}
	return save(ctx, db, CollPeriodicRatings, d, 0, &r.Meta)
}
