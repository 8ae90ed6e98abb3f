package store

import (
	"context"
	"crypto/rand"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/lianqi/lianqi/domain"
)

// Receipts make sync pushes idempotent. A row's receipt is inserted before the
// row is applied; the insert fails with a duplicate key if the same client
// mutation was seen before, which is atomic on both engines (a unique _id), so
// two concurrent deliveries of one row cannot both apply it. Receipts are
// bookkeeping, not synced records, so they do not go through commit.

const collReceipts = "syncReceipts"

// Receipt records that a pushed row was (or is being) applied.
type Receipt struct {
	ID string `bson:"_id"`
	// Done is false while the row is being applied.
	Done bool      `bson:"done"`
	At   time.Time `bson:"at"`
	// Result is what the push answered for the row, replayed on a retry.
	Result []byte `bson:"result"`
}

// ClaimReceipt inserts a pending receipt for id. It returns (nil, nil) when the
// caller now owns the row and must apply it, or the existing receipt when the
// row was seen before. A pending receipt older than stale is presumed left by a
// crashed writer and is taken over.
func (db *DB) ClaimReceipt(ctx context.Context, id string, stale time.Duration) (*Receipt, error) {
	now := db.now()
	_, err := db.coll(collReceipts).InsertOne(ctx, Receipt{ID: id, At: now, Result: []byte{}})
	if err == nil {
		return nil, nil
	}
	if !mongo.IsDuplicateKeyError(err) {
		return nil, translate("claim receipt", err)
	}
	var r Receipt
	if err := db.coll(collReceipts).FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&r); err != nil {
		return nil, translate("read receipt", err)
	}
	if !r.Done && now.Sub(r.At) > stale {
		res, err := db.coll(collReceipts).UpdateOne(ctx,
			bson.D{{Key: "_id", Value: id}, {Key: "done", Value: false}, {Key: "at", Value: r.At}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "at", Value: now}}}})
		if err != nil {
			return nil, translate("take over receipt", err)
		}
		if res.MatchedCount == 1 {
			return nil, nil
		}
	}
	return &r, nil
}

// FinishReceipt stores the row's answer and marks it done.
func (db *DB) FinishReceipt(ctx context.Context, id string, result []byte) error {
	_, err := db.coll(collReceipts).UpdateOne(ctx, bson.D{{Key: "_id", Value: id}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "done", Value: true}, {Key: "result", Value: result}}}})
	return translate("finish receipt", err)
}

// DropReceipt forgets a claim whose row failed for a reason a retry may not
// meet (an internal error), so that the retry is applied.
func (db *DB) DropReceipt(ctx context.Context, id string) error {
	_, err := db.coll(collReceipts).DeleteOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "done", Value: false}})
	return translate("drop receipt", err)
}

// FindChange returns the stored document id of coll as last written, tombstone
// or not, without scope: the sync engine checks scope itself so that it can
// tell "left your scope" from "never existed".
func (db *DB) FindChange(ctx context.Context, coll, id string) (Change, error) {
	if !domain.ValidID(id) {
		return Change{}, domain.NotFound(singular(coll), id)
	}
	raw, err := db.coll(coll).FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Raw()
	if err != nil {
		if domain.ErrorCode(translate("find", err)) == domain.ENOTFOUND {
			return Change{}, domain.NotFound(singular(coll), id)
		}
		return Change{}, translate("find "+singular(coll), err)
	}
	var b Stamp
	if err := bson.Unmarshal(raw, &b); err != nil {
		return Change{}, translate("decode "+singular(coll), err)
	}
	return Change{ID: b.ID, Seq: b.Seq, Deleted: b.Deleted, Doc: append(bson.Raw(nil), raw...)}, nil
}

// SyncKey returns the database's secret for signing sync checkpoints, creating
// it on first use. Every server process on the database reads the same key, so
// a checkpoint from one is valid on all.
func (db *DB) SyncKey(ctx context.Context) ([]byte, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	_, err := db.coll(collCounters).InsertOne(ctx, bson.D{{Key: "_id", Value: "syncKey"}, {Key: "key", Value: key}})
	if err != nil && !mongo.IsDuplicateKeyError(err) {
		return nil, translate("create sync key", err)
	}
	var doc struct {
		Key []byte `bson:"key"`
	}
	if err := db.coll(collCounters).FindOne(ctx, bson.D{{Key: "_id", Value: "syncKey"}}).Decode(&doc); err != nil {
		return nil, translate("read sync key", err)
	}
	return doc.Key, nil
}

// collHeld holds pushed rows that name a parent the server does not have yet
// (a note of a problem, a visit linking problems, created offline and pushed
// before the problem). Like receipts they are bookkeeping, not synced records.
const collHeld = "syncHeld"

// HeldRow is a pushed row waiting for its parents, with the identity of the
// user who pushed it, so that it is applied with that user's rights.
type HeldRow struct {
	ID           string    `bson:"_id"`
	UserID       string    `bson:"userId"`
	Username     string    `bson:"username"`
	Role         string    `bson:"role"`
	OfficialID   string    `bson:"officialId"`
	EnterpriseID string    `bson:"enterpriseId"`
	DeviceID     string    `bson:"deviceId"`
	Collection   string    `bson:"collection"`
	DocumentID   string    `bson:"documentId"`
	ParentIDs    []string  `bson:"parentIds"`
	Row          []byte    `bson:"row"`
	ConflictID   string    `bson:"conflictId"`
	At           time.Time `bson:"at"`
}

// HoldRow stores (or replaces) a held row.
func (db *DB) HoldRow(ctx context.Context, h *HeldRow) error {
	_, err := db.coll(collHeld).ReplaceOne(ctx, bson.D{{Key: "_id", Value: h.ID}}, h, options.Replace().SetUpsert(true))
	return translate("hold row", err)
}

// FindHeld returns the held row id, or nil.
func (db *DB) FindHeld(ctx context.Context, id string) (*HeldRow, error) {
	var h HeldRow
	err := db.coll(collHeld).FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&h)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, nil
	}
	if err != nil {
		return nil, translate("find held row", err)
	}
	return &h, nil
}

// HeldRows lists the rows held for userID or waiting for one of parentIDs,
// oldest first. The collection is small (rows wait only until their parent's
// push), so the scan the embedded engine makes for this filter is cheap.
func (db *DB) HeldRows(ctx context.Context, userID string, parentIDs []string) ([]HeldRow, error) {
	or := bson.A{bson.D{{Key: "userId", Value: userID}}}
	if len(parentIDs) > 0 {
		or = append(or, bson.D{{Key: "parentIds", Value: bson.D{{Key: "$in", Value: parentIDs}}}})
	}
	cur, err := db.coll(collHeld).Find(ctx, bson.D{{Key: "$or", Value: or}}, options.Find().SetSort(bson.D{{Key: "at", Value: 1}, {Key: "_id", Value: 1}}))
	if err != nil {
		return nil, translate("find held rows", err)
	}
	var out []HeldRow
	if err := cur.All(ctx, &out); err != nil {
		return nil, translate("read held rows", err)
	}
	return out, nil
}

// ReleaseHeld forgets a held row that was applied (or finally refused).
func (db *DB) ReleaseHeld(ctx context.Context, id string) error {
	_, err := db.coll(collHeld).DeleteOne(ctx, bson.D{{Key: "_id", Value: id}})
	return translate("release held row", err)
}

// MarkRefused remembers that the creation of id in coll was refused for good,
// so that rows waiting for it as their parent are refused too instead of
// waiting forever. The mark lives beside the held rows.
func (db *DB) MarkRefused(ctx context.Context, coll, id, enterpriseID, reason string) error {
	h := &HeldRow{ID: "refused:" + coll + ":" + id, Collection: "refused:" + coll, DocumentID: id, EnterpriseID: enterpriseID,
		Row: []byte(reason), At: db.now()}
	return db.HoldRow(ctx, h)
}

// RefusedCreation returns why the creation of id in coll was refused and the
// enterprise the device named for it, or "" when it was not refused.
func (db *DB) RefusedCreation(ctx context.Context, coll, id string) (reason, enterpriseID string, err error) {
	h, err := db.FindHeld(ctx, "refused:"+coll+":"+id)
	if err != nil || h == nil {
		return "", "", err
	}
	return string(h.Row), h.EnterpriseID, nil
}
