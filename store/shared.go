package store

import (
	"context"
	"errors"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// State that several server instances share: revoked sessions and rate-limit
// counters. Both are read and written by exact _id only, the one filter the
// embedded engine answers from an index, and both expire: a TTL index removes
// them on MongoDB; the embedded engine has no TTL indexes, so expired ones
// are deleted here at most once a minute.
const (
	CollRevocations = "revocations"
	CollRateLimits  = "rateLimits"
)

type revocationDoc struct {
	SessionID string    `bson:"_id"`
	Until     time.Time `bson:"until"`
}

// sharedState is the bookkeeping of the shared collections.
type sharedState struct {
	// limitMu serialises this process's counter upserts on the embedded
	// engine, whose $inc is not isolated (see DB.writeMu). It is not writeMu,
	// so that counting a request never waits behind a commit.
	limitMu sync.Mutex

	pruneMu sync.Mutex
	pruned  time.Time
}

func (db *DB) shared() *sharedState { return &db.sharedState }

// EnableShared creates the shared collections and their expiry indexes. Run
// it before the embedded engine's _id indexes are built (server.Main does),
// so that their lookups use one.
func (db *DB) EnableShared(ctx context.Context) error {
	for coll, field := range map[string]string{CollRevocations: "until", CollRateLimits: "expires"} {
		if err := db.db.CreateCollection(ctx, coll); err != nil && !isNamespaceExists(err) {
			return translate("create "+coll, err)
		}
		if db.engine.Name == EngineFerretDB {
			continue // no TTL indexes on the embedded engine
		}
		ttl := mongo.IndexModel{Keys: bson.D{{Key: field, Value: 1}}, Options: options.Index().SetName("expiry").SetExpireAfterSeconds(0)}
		if err := db.createMissingIndexes(ctx, coll, []mongo.IndexModel{ttl}); err != nil {
			return err
		}
	}
	return nil
}

func isNamespaceExists(err error) bool {
	var ce mongo.CommandError
	return errors.As(err, &ce) && (ce.Code == 48 || ce.Name == "NamespaceExists")
}

// PutRevocation records that sessionID's tokens are refused until until.
func (db *DB) PutRevocation(ctx context.Context, sessionID string, until time.Time) error {
	_, err := db.coll(CollRevocations).ReplaceOne(ctx, bson.D{{Key: "_id", Value: sessionID}},
		revocationDoc{SessionID: sessionID, Until: until.UTC().Truncate(time.Millisecond)}, options.Replace().SetUpsert(true))
	if err != nil && !mongo.IsDuplicateKeyError(err) { // a concurrent upsert of the same revocation
		return translate("store revocation", err)
	}
	db.pruneShared()
	return nil
}

// FindRevocation reports whether sessionID is stored as revoked.
func (db *DB) FindRevocation(ctx context.Context, sessionID string) (time.Time, bool, error) {
	var d revocationDoc
	err := db.coll(CollRevocations).FindOne(ctx, bson.D{{Key: "_id", Value: sessionID}}).Decode(&d)
	if err == mongo.ErrNoDocuments {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, translate("read revocation", err)
	}
	return d.Until, true, nil
}

// RevokedAfter returns the sessions stored as revoked whose tokens are still
// presentable at t, with until when. The collection holds only those (expired
// ones are removed), so this reads a few documents.
func (db *DB) RevokedAfter(ctx context.Context, t time.Time) (map[string]time.Time, error) {
	cur, err := db.coll(CollRevocations).Find(ctx, bson.D{{Key: "until", Value: bson.D{{Key: "$gt", Value: t}}}})
	if err != nil {
		return nil, translate("read revocations", err)
	}
	var docs []revocationDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, translate("read revocations", err)
	}
	out := make(map[string]time.Time, len(docs))
	for _, d := range docs {
		out[d.SessionID] = d.Until
	}
	return out, nil
}

// Incr adds one to the rate-limit counter id (a key and its window) with one
// upsert, and returns the new count.
func (db *DB) Incr(ctx context.Context, id string, expires time.Time) (int64, error) {
	if !db.engine.Isolated {
		// The engine's upsert with $inc is a read then a write: serialise.
		st := db.shared()
		st.limitMu.Lock()
		defer st.limitMu.Unlock()
	}
	update := bson.D{
		{Key: "$inc", Value: bson.D{{Key: "n", Value: int64(1)}}},
		{Key: "$setOnInsert", Value: bson.D{{Key: "expires", Value: expires.UTC().Truncate(time.Millisecond)}}},
	}
	opts := options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)
	var doc struct {
		N int64 `bson:"n"`
	}
	var err error
	for range 2 { // two instances creating the same window's document: the loser retries as an update
		err = db.coll(CollRateLimits).FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: id}}, update, opts).Decode(&doc)
		if !mongo.IsDuplicateKeyError(err) {
			break
		}
	}
	if err != nil {
		return 0, translate("count rate limit", err)
	}
	db.pruneShared()
	return doc.N, nil
}

// pruneShared deletes expired shared documents on the embedded engine, at
// most once a minute, in the background.
func (db *DB) pruneShared() {
	if db.engine.Name != EngineFerretDB {
		return // MongoDB's TTL indexes expire them
	}
	st := db.shared()
	now := db.Now()
	st.pruneMu.Lock()
	if now.Sub(st.pruned) < time.Minute {
		st.pruneMu.Unlock()
		return
	}
	st.pruned = now
	st.pruneMu.Unlock()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for coll, field := range map[string]string{CollRevocations: "until", CollRateLimits: "expires"} {
			if _, err := db.coll(coll).DeleteMany(ctx, bson.D{{Key: field, Value: bson.D{{Key: "$lt", Value: now}}}}); err != nil {
				db.log.Warn("prune expired shared state", "collection", coll, "err", err)
			}
		}
	}()
}
