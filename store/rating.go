package store

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/lianqi/lianqi/domain"
)

type ratingDoc struct {
	Stamp        `bson:",inline"`
	ProblemID    string    `bson:"problemId"`
	EnterpriseID string    `bson:"enterpriseId"`
	OfficialID   string    `bson:"officialId"`
	ByUserID     string    `bson:"byUserId"`
	Confirmed    bool      `bson:"confirmed"`
	Score        int       `bson:"score"`
	Comment      string    `bson:"comment"`
	At           time.Time `bson:"at"`
	// Source: domain.Rating.Source (demo records only).
	Source string `bson:"source,omitempty"`
}

func (d *ratingDoc) toDomain() *domain.Rating {
	return &domain.Rating{ID: d.ID, ProblemID: d.ProblemID, EnterpriseID: d.EnterpriseID, OfficialID: d.OfficialID, ByUserID: d.ByUserID,
		Confirmed: d.Confirmed, Score: d.Score, Comment: d.Comment, At: d.At.UTC(), Source: d.Source, Meta: d.meta()}
}

// FindRatings returns the ratings inside scope, newest first. Ratings are few
// (one per confirmed or rejected resolution), so they are returned whole.
func (db *DB) FindRatings(ctx context.Context, scope domain.Scope, f domain.RatingFilter) ([]*domain.Rating, error) {
	filter := and(live(), inScope(scope, "enterpriseId"), eqIf("officialId", f.OfficialID), eqIf("enterpriseId", f.EnterpriseID), eqIf("problemId", f.ProblemID))
	return findAll(ctx, db, CollRatings, filter, bson.D{{Key: "at", Value: -1}, {Key: "_id", Value: 1}}, (*ratingDoc).toDomain)
}

// CreateRating stores a rating; ratings are not edited.
func (db *DB) CreateRating(ctx context.Context, r *domain.Rating) error {
	d := &ratingDoc{Stamp: baseFrom(r.ID, r.Meta), ProblemID: r.ProblemID, EnterpriseID: r.EnterpriseID, OfficialID: r.OfficialID,
		ByUserID: r.ByUserID, Confirmed: r.Confirmed, Score: r.Score, Comment: r.Comment, At: r.At, Source: r.Source}
	return save(ctx, db, CollRatings, d, 0, &r.Meta)
}
