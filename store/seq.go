package store

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/lianqi/lianqi/domain"
)

// The change sequence orders every write for the sync protocol's pulls. A plain
// counter has the allocate-then-commit race: writer A takes 5, writer B takes 6
// and commits first, a pull returns 6 and moves its checkpoint past 5, then A
// commits 5 and that change is never pulled. So every allocated sequence is a
// marker document, pending until its write is committed, and pulls stop below
// the oldest pending one (Watermark).
//
// A sequence is taken by inserting its marker: the unique _id makes the insert
// the one operation that is atomic on both engines even across processes
// (FerretDB does not isolate conditional updates, so a counter document updated
// with "next = n only if it is still n" hands the same number to two
// processes). Committed markers are pruned; the highest one always stays.

const collSeqs = "changeSeqs"

type seqMark struct {
	Seq int64 `bson:"_id"`
	// At is the allocation time in Unix milliseconds; a pending marker older
	// than the lease is presumed abandoned (its writer crashed).
	At   int64 `bson:"at"`
	Done bool  `bson:"done"`
	// Ref is what the change log records of the write, kept here so that the
	// entry of a writer that died before appending it is appended on pruning.
	Ref ChangeRef `bson:",inline"`
}

type pendingSeq struct {
	Seq int64
	At  int64
	Ref ChangeRef
}

const maxAllocateAttempts = 200

// highest returns the highest allocated sequence (0 for none).
func (db *DB) highest(ctx context.Context) (int64, error) {
	var m seqMark
	err := db.coll(collSeqs).FindOne(ctx, bson.D{}, options.FindOne().SetSort(bson.D{{Key: "_id", Value: -1}})).Decode(&m)
	if err == mongo.ErrNoDocuments {
		return 0, nil
	}
	if err != nil {
		return 0, translate("read change sequence", err)
	}
	return m.Seq, nil
}

// allocate takes the next change sequence for the write ref names and
// registers it as pending.
func (db *DB) allocate(ctx context.Context, now time.Time, ref ChangeRef) (pendingSeq, error) {
	if db.soleWriter() {
		return db.allocateSole(ctx, now, ref)
	}
	next, err := db.highest(ctx)
	if err != nil {
		return pendingSeq{}, err
	}
	for attempt := 0; attempt < maxAllocateAttempts; attempt++ {
		next++
		m := seqMark{Seq: next, At: now.UnixMilli(), Ref: ref}
		_, err := db.coll(collSeqs).InsertOne(ctx, m)
		if err == nil {
			return pendingSeq{Seq: m.Seq, At: m.At, Ref: ref}, nil
		}
		if !mongo.IsDuplicateKeyError(err) {
			return pendingSeq{}, translate("allocate change sequence", err)
		}
		// Another process took this number; try the next one.
	}
	return pendingSeq{}, domain.Errorf(domain.EINTERNAL, "change sequence too contended")
}

// pruneEvery is how often (in sequences) committed markers are removed.
const pruneEvery = 64

// release appends the write to the change log and marks a committed (or
// failed) allocation done. It runs even when the request's context is done:
// leaving it pending would hold pulls back for a whole lease. If the log entry
// cannot be appended the marker stays pending, so that pruning appends it once
// the lease is over.
func (db *DB) release(p pendingSeq) {
	if db.soleWriter() {
		db.releaseSole(p)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := db.appendLog(ctx, p.Seq, p.Ref); err != nil {
		db.log.Error("append change log", "seq", p.Seq, "collection", p.Ref.Coll, "id", p.Ref.ID, "err", err)
		return
	}
	_, err := db.coll(collSeqs).UpdateOne(ctx, bson.D{{Key: "_id", Value: p.Seq}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "done", Value: true}}}})
	if err != nil {
		db.log.Error("release change sequence", "seq", p.Seq, "err", err)
		return
	}
	if p.Seq%pruneEvery == 0 {
		// Markers below this one are no longer needed once done (or abandoned);
		// this one stays, so the highest sequence is never lost.
		expired := db.Now().Add(-db.lease).UnixMilli()
		if err := db.logAbandoned(ctx, p.Seq, expired); err != nil {
			db.log.Error("log abandoned change sequences", "err", err)
			return
		}
		_, err := db.coll(collSeqs).DeleteMany(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$lt", Value: p.Seq}}},
			{Key: "$or", Value: bson.A{bson.D{{Key: "done", Value: true}}, bson.D{{Key: "at", Value: bson.D{{Key: "$lt", Value: expired}}}}}}})
		if err != nil {
			db.log.Error("prune change sequences", "err", err)
		}
	}
}

// logAbandoned appends the log entries of the expired pending markers below
// seq before pruning removes them: their writer died after taking the sequence,
// maybe after writing the document.
func (db *DB) logAbandoned(ctx context.Context, seq, expired int64) error {
	cur, err := db.coll(collSeqs).Find(ctx, bson.D{{Key: "done", Value: false}})
	if err != nil {
		return translate("read change sequences", err)
	}
	var pending []seqMark
	if err := cur.All(ctx, &pending); err != nil {
		return translate("read change sequences", err)
	}
	for _, m := range pending {
		if m.Seq < seq && m.At < expired {
			if err := db.appendLog(ctx, m.Seq, m.Ref); err != nil {
				return err
			}
		}
	}
	return nil
}

// Watermark returns the highest change sequence below which every change is
// committed: a pull may safely advance its checkpoint up to it and no further.
func (db *DB) Watermark(ctx context.Context) (int64, error) {
	if db.soleWriter() {
		return db.watermarkSole(), nil
	}
	mark, err := db.highest(ctx)
	if err != nil {
		return 0, err
	}
	cur, err := db.coll(collSeqs).Find(ctx, bson.D{{Key: "done", Value: false}})
	if err != nil {
		return 0, translate("read change sequences", err)
	}
	var pending []seqMark
	if err := cur.All(ctx, &pending); err != nil {
		return 0, translate("read change sequences", err)
	}
	expired := db.Now().Add(-db.lease).UnixMilli()
	for _, p := range pending {
		if p.At >= expired && p.Seq-1 < mark {
			mark = p.Seq - 1
		}
	}
	return max(mark, 0), nil
}

// String helps logging.
func (p pendingSeq) String() string { return fmt.Sprintf("seq %d", p.Seq) }

// migrateCounter carries the sequence of a database written by the earlier
// counter-document allocator over to the markers, so sequences keep growing.
func (db *DB) migrateCounter(ctx context.Context) error {
	var old struct {
		Next int64 `bson:"next"`
	}
	err := db.coll(collCounters).FindOne(ctx, bson.D{{Key: "_id", Value: "changes"}}).Decode(&old)
	if err == mongo.ErrNoDocuments || (err == nil && old.Next <= 1) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read old change counter: %w", err)
	}
	high, err := db.highest(ctx)
	if err != nil || high >= old.Next-1 {
		return err
	}
	_, err = db.coll(collSeqs).InsertOne(ctx, seqMark{Seq: old.Next - 1, Done: true})
	if err != nil && !mongo.IsDuplicateKeyError(err) {
		return fmt.Errorf("migrate change counter: %w", err)
	}
	return nil
}
