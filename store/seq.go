package store

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/lianqi/lianqi/domain"
)

// The change sequence orders every write for the sync protocol's pulls. A plain
// counter has the allocate-then-commit race: writer A takes 5, writer B takes 6
// and commits first, a pull returns 6 and moves its checkpoint past 5, then A
// commits 5 and that change is never pulled. So the counter document also lists
// the sequences allocated but not yet committed, and pulls stop below the oldest
// of them (Watermark). Allocation and registration happen in one conditional
// update of one document, the only atomicity both engines offer.

const changesCounter = "changes"

type seqDoc struct {
	ID      string       `bson:"_id"`
	Next    int64        `bson:"next"`
	Pending []pendingSeq `bson:"pending"`
}

type pendingSeq struct {
	Seq int64 `bson:"seq"`
	// At is the allocation time in Unix milliseconds; an entry older than the
	// lease is presumed abandoned.
	At int64 `bson:"at"`
}

const maxAllocateAttempts = 200

// allocate takes the next change sequence and registers it as pending.
func (db *DB) allocate(ctx context.Context, now time.Time) (pendingSeq, error) {
	c := db.coll(collCounters)
	for attempt := 0; attempt < maxAllocateAttempts; attempt++ {
		var cur seqDoc
		if err := c.FindOne(ctx, bson.D{{Key: "_id", Value: changesCounter}}).Decode(&cur); err != nil {
			return pendingSeq{}, translate("read change counter", err)
		}
		p := pendingSeq{Seq: cur.Next, At: now.UnixMilli()}
		res, err := c.UpdateOne(ctx,
			bson.D{{Key: "_id", Value: changesCounter}, {Key: "next", Value: cur.Next}},
			bson.D{
				{Key: "$set", Value: bson.D{{Key: "next", Value: cur.Next + 1}}},
				{Key: "$push", Value: bson.D{{Key: "pending", Value: p}}},
			})
		if err != nil {
			return pendingSeq{}, translate("allocate change sequence", err)
		}
		if res.MatchedCount == 1 {
			return p, nil
		}
		// Another process took this number; back off briefly and retry.
		select {
		case <-ctx.Done():
			return pendingSeq{}, ctx.Err()
		case <-time.After(time.Duration(attempt+1) * time.Millisecond):
		}
	}
	return pendingSeq{}, domain.Errorf(domain.EINTERNAL, "change counter too contended")
}

// release removes a committed (or failed) allocation from the pending list. It
// runs even when the request's context is done: leaving the entry would hold
// pulls back for a whole lease.
func (db *DB) release(p pendingSeq) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := db.coll(collCounters).UpdateOne(ctx, bson.D{{Key: "_id", Value: changesCounter}},
		bson.D{{Key: "$pull", Value: bson.D{{Key: "pending", Value: p}}}})
	if err != nil {
		db.log.Error("release change sequence", "seq", p.Seq, "err", err)
	}
}

// Watermark returns the highest change sequence below which every change is
// committed: a pull may safely advance its checkpoint up to it and no further.
func (db *DB) Watermark(ctx context.Context) (int64, error) {
	var cur seqDoc
	err := db.coll(collCounters).FindOne(ctx, bson.D{{Key: "_id", Value: changesCounter}}, options.FindOne()).Decode(&cur)
	if err != nil {
		return 0, translate("read change counter", err)
	}
	mark := cur.Next - 1
	expired := db.Now().Add(-db.lease).UnixMilli()
	for _, p := range cur.Pending {
		if p.At < expired {
			continue
		}
		if p.Seq-1 < mark {
			mark = p.Seq - 1
		}
	}
	if mark < 0 {
		mark = 0
	}
	return mark, nil
}

// String helps logging.
func (p pendingSeq) String() string { return fmt.Sprintf("seq %d", p.Seq) }
