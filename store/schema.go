package store

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// indexes lists every index the store relies on. Creating an index that exists
// is a no-op on both engines, so ensureSchema runs on every start.
var indexes = map[string][]mongo.IndexModel{
	CollUsers: {
		{Keys: bson.D{{Key: "username", Value: 1}}, Options: options.Index().SetUnique(true).SetName("username_unique")},
	},
	CollPairings: {
		{Keys: bson.D{{Key: "enterpriseId", Value: 1}}, Options: options.Index().SetName("enterprise")},
		{Keys: bson.D{{Key: "leadOfficialId", Value: 1}}, Options: options.Index().SetName("lead")},
	},
	CollProblems: {
		{Keys: bson.D{{Key: "enterpriseId", Value: 1}, {Key: "reportedAt", Value: -1}}, Options: options.Index().SetName("enterprise_reported")},
		{Keys: bson.D{{Key: "status", Value: 1}, {Key: "resolveBy", Value: 1}}, Options: options.Index().SetName("status_deadline")},
	},
	CollProgressNotes: {
		{Keys: bson.D{{Key: "problemId", Value: 1}, {Key: "at", Value: 1}}, Options: options.Index().SetName("problem_at")},
	},
	CollVisits: {
		{Keys: bson.D{{Key: "enterpriseId", Value: 1}, {Key: "date", Value: -1}}, Options: options.Index().SetName("enterprise_date")},
		{Keys: bson.D{{Key: "officialId", Value: 1}, {Key: "date", Value: -1}}, Options: options.Index().SetName("official_date")},
	},
	CollSessions: {
		{Keys: bson.D{{Key: "userId", Value: 1}}, Options: options.Index().SetName("user")},
	},
	CollAudit: {
		{Keys: bson.D{{Key: "at", Value: -1}}, Options: options.Index().SetName("at")},
	},
	CollSpotChecks: {
		{Keys: bson.D{{Key: "enterpriseId", Value: 1}, {Key: "date", Value: -1}}, Options: options.Index().SetName("enterprise_date")},
	},
}

// syncedCollections carry a change sequence; the sync protocol pulls by it.
var syncedCollections = []string{CollEnterprises, CollOfficials, CollPairings, CollProblems, CollProgressNotes, CollVisits, CollSpotChecks, CollUsers, CollRatings, CollQuizzes, CollPeriodicRatings}

// createMissingIndexes creates the models whose names the collection lacks.
// Asking the embedded engine to create an index that already exists
// alongside others crashes its connection (FerretDB 1.24), which made every
// restart on an existing data directory fail; so only missing ones are sent.
func (db *DB) createMissingIndexes(ctx context.Context, coll string, models []mongo.IndexModel) error {
	have := map[string]bool{}
	cur, err := db.coll(coll).Indexes().List(ctx)
	if err != nil {
		return fmt.Errorf("list indexes on %s: %w", coll, err)
	}
	var specs []struct {
		Name string `bson:"name"`
	}
	if err := cur.All(ctx, &specs); err != nil {
		return fmt.Errorf("list indexes on %s: %w", coll, err)
	}
	for _, sp := range specs {
		have[sp.Name] = true
	}
	var missing []mongo.IndexModel
	for _, m := range models {
		var o options.IndexOptions
		for _, set := range m.Options.List() {
			_ = set(&o)
		}
		if o.Name == nil || !have[*o.Name] {
			missing = append(missing, m)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if _, err := db.coll(coll).Indexes().CreateMany(ctx, missing); err != nil {
		return fmt.Errorf("create indexes on %s: %w", coll, err)
	}
	return nil
}

func (db *DB) ensureSchema(ctx context.Context) error {
	for _, c := range syncedCollections {
		models := append([]mongo.IndexModel{{Keys: bson.D{{Key: "seq", Value: 1}}, Options: options.Index().SetName("seq")}}, indexes[c]...)
		if err := db.createMissingIndexes(ctx, c, models); err != nil {
			return err
		}
	}
	// Security collections are not synced to clients, so they have no seq index.
	for _, c := range []string{CollSessions, CollAudit} {
		if err := db.createMissingIndexes(ctx, c, indexes[c]); err != nil {
			return err
		}
	}
	if err := db.ensureChangeLog(ctx); err != nil {
		return err
	}
	if err := db.ensureChildren(ctx); err != nil {
		return err
	}
	return db.migrateCounter(ctx)
}
