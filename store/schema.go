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
	CollSpotChecks: {
		{Keys: bson.D{{Key: "enterpriseId", Value: 1}, {Key: "date", Value: -1}}, Options: options.Index().SetName("enterprise_date")},
	},
}

// syncedCollections carry a change sequence; the sync protocol pulls by it.
var syncedCollections = []string{CollEnterprises, CollOfficials, CollPairings, CollProblems, CollProgressNotes, CollVisits, CollSpotChecks, CollUsers}

func (db *DB) ensureSchema(ctx context.Context) error {
	for _, c := range syncedCollections {
		models := append([]mongo.IndexModel{{Keys: bson.D{{Key: "seq", Value: 1}}, Options: options.Index().SetName("seq")}}, indexes[c]...)
		// Only missing indexes are created: FerretDB 1.24 crashes the connection
		// when createIndexes names several indexes that all exist already (a
		// second handle on the database, or a restart).
		have, err := db.indexNames(ctx, c)
		if err != nil {
			return err
		}
		var missing []mongo.IndexModel
		for _, m := range models {
			if !have[indexName(m)] {
				missing = append(missing, m)
			}
		}
		if len(missing) == 0 {
			continue
		}
		if _, err := db.coll(c).Indexes().CreateMany(ctx, missing); err != nil {
			return fmt.Errorf("create indexes on %s: %w", c, err)
		}
	}
	return db.migrateCounter(ctx)
}

func (db *DB) indexNames(ctx context.Context, coll string) (map[string]bool, error) {
	cur, err := db.coll(coll).Indexes().List(ctx)
	if err != nil {
		return nil, fmt.Errorf("list indexes on %s: %w", coll, err)
	}
	var specs []struct {
		Name string `bson:"name"`
	}
	if err := cur.All(ctx, &specs); err != nil {
		return nil, fmt.Errorf("list indexes on %s: %w", coll, err)
	}
	names := map[string]bool{}
	for _, s := range specs {
		names[s.Name] = true
	}
	return names, nil
}

func indexName(m mongo.IndexModel) string {
	var o options.IndexOptions
	if m.Options != nil {
		for _, set := range m.Options.List() {
			_ = set(&o)
		}
	}
	if o.Name == nil {
		return ""
	}
	return *o.Name
}
