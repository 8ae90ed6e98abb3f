package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/lianqi/lianqi/domain"
)

// Retention prunes what the sync protocol and the audit would otherwise keep
// forever, without ever letting a phone miss a deletion silently.
//
// Change-log entries and tombstones (deleted documents of synced collections)
// are pruned together, up to a horizon: each run of Prune records a mark (the
// time, the watermark, and the head of every change log), and the horizon is
// the newest mark older than the tombstone window. Entries up to the mark's
// heads and tombstones whose sequence is at most the mark's watermark go; a
// checkpoint that has walked a log past the mark's head has received all of
// those tombstones already, and one that has not is older than the window: its
// pull gets CHECKPOINT_EXPIRED (the sync engine compares its position with the
// log's floor) and the replica starts over. The floor is written before any
// entry is removed, so a reader that finds an entry missing below it knows it
// was pruned, not that the log ends there.

const (
	collRetention = "retention"
	// collMarks holds one mark per run of Prune; few, scanned whole.
	collMarks   = "retentionMarks"
	leaseID     = "lease"
	leaseFor    = time.Hour
	floorPrefix = "floor:"
)

// RetentionPolicy is how long each kind of record is kept; zero keeps it
// forever.
type RetentionPolicy struct {
	// Tombstones is the change-log and tombstone window: phones whose
	// checkpoint is older must resync in full.
	Tombstones time.Duration
	// Receipts keeps finished push receipts (the idempotency of retries).
	Receipts time.Duration
	// Conflicts keeps conflict records other than PENDING ones.
	Conflicts time.Duration
	// Held keeps rows waiting for a parent that never came, and the marks of
	// refused creations; an expired held row's PENDING record becomes
	// REJECTED (its content stays in the record).
	Held time.Duration
	// Audit keeps audit events.
	Audit time.Duration
}

// PruneReport says what one run removed.
type PruneReport struct {
	// Skipped: another process is pruning.
	Skipped bool
	// Horizon is the time of the mark up to which logs and tombstones were
	// pruned (zero: no mark old enough yet).
	Horizon                                                  time.Time
	LogEntries, Tombstones, Receipts, Conflicts, Held, Audit int64
}

// LogFloor is the pruned part of a collection's change log: entries 1..N are
// gone. A checkpoint positioned before N has missed them.
type LogFloor struct {
	N   int64     `bson:"n"`
	Seq int64     `bson:"seq"`
	At  time.Time `bson:"at"`
}

// retentionMark is the state of the logs at one run of Prune.
type retentionMark struct {
	ID    string           `bson:"_id"`
	At    time.Time        `bson:"at"`
	Seq   int64            `bson:"seq"`
	Heads map[string]int64 `bson:"heads"`
}

// LogFloor returns coll's log floor (zero when nothing was pruned). It is a
// lookup by key.
func (db *DB) LogFloor(ctx context.Context, coll string) (LogFloor, error) {
	var f LogFloor
	err := db.coll(collRetention).FindOne(ctx, bson.D{{Key: "_id", Value: floorPrefix + coll}}).Decode(&f)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return LogFloor{}, nil
	}
	if err != nil {
		return LogFloor{}, translate("read change log floor", err)
	}
	return f, nil
}

// Prune runs one retention pass: one process at a time across all processes
// on the database (a lease document; a pass that finds it held reports
// Skipped). owner names this process in the lease.
func (db *DB) Prune(ctx context.Context, p RetentionPolicy, owner string) (PruneReport, error) {
	var r PruneReport
	ok, err := db.takeLease(ctx, owner)
	if err != nil || !ok {
		r.Skipped = !ok
		return r, err
	}
	defer db.dropLease(owner)
	now := db.now()

	if p.Tombstones > 0 {
		if err := db.recordMark(ctx, now); err != nil {
			return r, err
		}
		if err := db.pruneLogs(ctx, now.Add(-p.Tombstones), &r); err != nil {
			return r, err
		}
	}
	del := func(coll string, filter bson.D, n *int64) error {
		res, err := db.coll(coll).DeleteMany(ctx, filter)
		if err != nil {
			return translate("prune "+coll, err)
		}
		*n += res.DeletedCount
		return nil
	}
	before := func(d time.Duration) bson.D {
		return bson.D{{Key: "$lt", Value: now.Add(-d)}}
	}
	if p.Receipts > 0 {
		if err := del(collReceipts, bson.D{{Key: "done", Value: true}, {Key: "at", Value: before(p.Receipts)}}, &r.Receipts); err != nil {
			return r, err
		}
	}
	if p.Held > 0 {
		if err := db.pruneHeld(ctx, now.Add(-p.Held), &r); err != nil {
			return r, err
		}
	}
	if p.Conflicts > 0 {
		// A PENDING record stands for a held row; it goes with the row (Held).
		if err := del(CollConflicts, bson.D{{Key: "at", Value: before(p.Conflicts)}, {Key: "$or", Value: bson.A{
			bson.D{{Key: "outcome", Value: bson.D{{Key: "$ne", Value: string(domain.OutcomePending)}}}},
			bson.D{{Key: "deleted", Value: true}}}}}, &r.Conflicts); err != nil {
			return r, err
		}
	}
	if p.Audit > 0 {
		if err := del(CollAudit, bson.D{{Key: "at", Value: before(p.Audit)}}, &r.Audit); err != nil {
			return r, err
		}
	}
	return r, nil
}

// takeLease inserts the lease document, or replaces one that has expired.
// The insert of a unique _id is what decides, on both engines and across
// processes.
func (db *DB) takeLease(ctx context.Context, owner string) (bool, error) {
	now := db.now()
	lease := bson.D{{Key: "_id", Value: leaseID}, {Key: "owner", Value: owner}, {Key: "until", Value: now.Add(leaseFor)}}
	for range 2 {
		_, err := db.coll(collRetention).InsertOne(ctx, lease)
		if err == nil {
			return true, nil
		}
		if !mongo.IsDuplicateKeyError(err) {
			return false, translate("take retention lease", err)
		}
		var held struct {
			Until time.Time `bson:"until"`
		}
		err = db.coll(collRetention).FindOne(ctx, bson.D{{Key: "_id", Value: leaseID}}).Decode(&held)
		if errors.Is(err, mongo.ErrNoDocuments) {
			continue
		}
		if err != nil {
			return false, translate("read retention lease", err)
		}
		if !held.Until.Before(now) {
			return false, nil
		}
		// Left by a process that died mid-pass.
		if _, err := db.coll(collRetention).DeleteOne(ctx, bson.D{{Key: "_id", Value: leaseID}, {Key: "until", Value: held.Until}}); err != nil {
			return false, translate("expire retention lease", err)
		}
	}
	return false, nil
}

func (db *DB) dropLease(owner string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := db.coll(collRetention).DeleteOne(ctx, bson.D{{Key: "_id", Value: leaseID}, {Key: "owner", Value: owner}}); err != nil {
		db.log.Error("release retention lease", "err", err)
	}
}

// recordMark stores the watermark and then every log's head: every write
// at or below the watermark has its entry at or below the head read after it.
func (db *DB) recordMark(ctx context.Context, now time.Time) error {
	w, err := db.Watermark(ctx)
	if err != nil {
		return err
	}
	m := retentionMark{ID: "mark:" + strconv.FormatInt(now.UnixMilli(), 10), At: now, Seq: w, Heads: map[string]int64{}}
	for coll := range logged {
		if m.Heads[coll], err = db.LogHead(ctx, coll); err != nil {
			return err
		}
	}
	_, err = db.coll(collMarks).ReplaceOne(ctx, bson.D{{Key: "_id", Value: m.ID}}, m, options.Replace().SetUpsert(true))
	return translate("record retention mark", err)
}

// pruneLogs prunes every change log and the tombstones up to the newest mark
// recorded before cutoff, then forgets the marks older than that one.
func (db *DB) pruneLogs(ctx context.Context, cutoff time.Time, r *PruneReport) error {
	var horizon retentionMark
	err := db.coll(collMarks).FindOne(ctx, bson.D{{Key: "at", Value: bson.D{{Key: "$lte", Value: cutoff}}}},
		options.FindOne().SetSort(bson.D{{Key: "at", Value: -1}})).Decode(&horizon)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil // not running for long enough yet
	}
	if err != nil {
		return translate("read retention marks", err)
	}
	r.Horizon = horizon.At
	for coll := range logged {
		old, err := db.LogFloor(ctx, coll)
		if err != nil {
			return err
		}
		head := horizon.Heads[coll]
		if head > old.N {
			floor := LogFloor{N: head, Seq: horizon.Seq, At: horizon.At}
			if _, err := db.coll(collRetention).ReplaceOne(ctx, bson.D{{Key: "_id", Value: floorPrefix + coll}}, floor, options.Replace().SetUpsert(true)); err != nil {
				return translate("write change log floor", err)
			}
			// By key, one at a time: the only delete the embedded engine
			// answers without reading the whole log.
			for n := old.N + 1; n <= head; n++ {
				res, err := db.coll(collChangeLog).DeleteOne(ctx, bson.D{{Key: "_id", Value: logID(coll, n)}})
				if err != nil {
					return translate("prune change log", err)
				}
				r.LogEntries += res.DeletedCount
			}
		}
		res, err := db.coll(coll).DeleteMany(ctx, bson.D{{Key: "deleted", Value: true}, {Key: "seq", Value: bson.D{{Key: "$lte", Value: horizon.Seq}}}})
		if err != nil {
			return translate("prune tombstones of "+coll, err)
		}
		r.Tombstones += res.DeletedCount
	}
	_, err = db.coll(collMarks).DeleteMany(ctx, bson.D{{Key: "at", Value: bson.D{{Key: "$lt", Value: horizon.At}}}})
	return translate("prune retention marks", err)
}

// pruneHeld drops the marks of refused creations older than cutoff, and the
// rows held since before cutoff for a parent that never came, turning each
// one's PENDING record into a REJECTED one that keeps its content.
func (db *DB) pruneHeld(ctx context.Context, cutoff time.Time, r *PruneReport) error {
	cur, err := db.coll(collHeld).Find(ctx, bson.D{{Key: "at", Value: bson.D{{Key: "$lt", Value: cutoff}}}})
	if err != nil {
		return translate("read held rows", err)
	}
	var rows []HeldRow
	if err := cur.All(ctx, &rows); err != nil {
		return translate("read held rows", err)
	}
	days := int(db.now().Sub(cutoff).Hours() / 24)
	for _, h := range rows {
		if h.ConflictID != "" {
			if err := db.expirePending(ctx, h.ConflictID, fmt.Sprintf("held for more than %d days: the problem it belongs to never reached the server", days)); err != nil {
				return err
			}
		}
		if err := db.ReleaseHeld(ctx, h.ID); err != nil {
			return err
		}
		r.Held++
	}
	return nil
}

// expirePending turns a PENDING conflict record into a REJECTED one.
func (db *DB) expirePending(ctx context.Context, id, reason string) error {
	ch, err := db.FindChange(ctx, CollConflicts, id)
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		return nil
	}
	if err != nil {
		return err
	}
	var d conflictDoc
	if err := bson.Unmarshal(ch.Doc, &d); err != nil {
		return translate("decode conflict", err)
	}
	if d.Deleted || d.Outcome != string(domain.OutcomePending) {
		return nil
	}
	d.Outcome, d.Reason, d.At = string(domain.OutcomeRejected), reason, db.now()
	return db.commit(ctx, CollConflicts, &d, d.Version)
}
