package store

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// A sole writer (Engine.SoleWriter) takes change sequences without a round
// trip. The guarantees of seq.go still hold: sequences only grow, across
// restarts too, and a pull never moves past a sequence whose write is not
// released. Growth is kept by reserving sequences in blocks: the end of the
// block is stored as a done marker in changeSeqs before any sequence of the
// block is handed out, so the next start (and highest(), which every handle
// on the database reads) continues above it. A crash skips the rest of the
// block: sequences have gaps, which nothing relies on. Pending sequences live
// in memory, where Watermark reads them: no other process writes, so none can
// hold a sequence this one does not know about.
//
// What the markers did for a writer that dies between its write and its log
// entry, the owner record does here: it names the first sequence of the
// session and is marked closed by Close. A start that finds it open (the
// previous process died) appends the log entries the session's writes lack.

// seqBlock is how many sequences one reservation covers; a new block is
// reserved in the background when a quarter of the current one is left.
const seqBlock = 1024

const ownerID = "sequenceOwner"

type ownerDoc struct {
	ID string `bson:"_id"`
	// From is the first sequence the session could hand out.
	From int64 `bson:"from"`
	Open bool  `bson:"open"`
}

type seqMem struct {
	mu       sync.Mutex
	next     int64           // the next sequence to hand out
	limit    int64           // the end of the reserved blocks (durable)
	pending  map[int64]int64 // sequence → allocation time (Unix ms)
	unlogged []pendingSeq    // released writes whose log entry could not be appended yet
	reserve  sync.Mutex      // one reservation at a time
	bg       sync.WaitGroup
	growing  bool
	closed   bool
}

// startSole takes over sequence allocation for this process: it settles what
// a previous process left (pending markers, an unclosed session) and reserves
// the first block.
func (db *DB) startSole(ctx context.Context) error {
	high, err := db.highest(ctx)
	if err != nil {
		return err
	}
	// Markers still pending belong to writers that are gone (no other
	// process writes now): log them as pruning would after their lease.
	if err := db.logAbandoned(ctx, high+1, time.Now().Add(time.Hour).UnixMilli()); err != nil {
		return err
	}
	var owner ownerDoc
	err = db.coll(collCounters).FindOne(ctx, bson.D{{Key: "_id", Value: ownerID}}).Decode(&owner)
	if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
		return fmt.Errorf("read sequence owner: %w", err)
	}
	if err == nil && owner.Open {
		if err := db.recoverSession(ctx, owner.From); err != nil {
			return err
		}
	}
	db.seq.next, db.seq.limit = high+1, high
	if err := db.reserveBlock(ctx); err != nil {
		return err
	}
	_, err = db.coll(collSeqs).DeleteMany(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$lt", Value: db.seq.limit}}}})
	if err != nil {
		return fmt.Errorf("prune change sequences: %w", err)
	}
	_, err = db.coll(collCounters).ReplaceOne(ctx, bson.D{{Key: "_id", Value: ownerID}},
		ownerDoc{ID: ownerID, From: high + 1, Open: true}, options.Replace().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("write sequence owner: %w", err)
	}
	// No other process appends to the logs: knowing their heads now saves
	// the first write of each collection the search for it.
	for coll := range logged {
		if _, err := db.LogHead(ctx, coll); err != nil {
			return err
		}
	}
	return nil
}

// closeSole waits for a reservation under way and records a clean end.
func (db *DB) closeSole(ctx context.Context) error {
	db.seq.bg.Wait()
	db.seq.mu.Lock()
	closed := db.seq.closed
	db.seq.closed = true
	db.seq.mu.Unlock()
	if closed {
		return nil
	}
	_, err := db.coll(collCounters).UpdateOne(ctx, bson.D{{Key: "_id", Value: ownerID}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "open", Value: false}}}})
	return err
}

// reserveBlock stores the end of a new block, then makes it usable.
func (db *DB) reserveBlock(ctx context.Context) error {
	db.seq.reserve.Lock()
	defer db.seq.reserve.Unlock()
	db.seq.mu.Lock()
	old := db.seq.limit
	db.seq.mu.Unlock()
	end := old + seqBlock
	if _, err := db.coll(collSeqs).InsertOne(ctx, seqMark{Seq: end, At: time.Now().UnixMilli(), Done: true}); err != nil && !mongo.IsDuplicateKeyError(err) {
		return translate("reserve change sequences", err)
	}
	db.seq.mu.Lock()
	db.seq.limit = max(db.seq.limit, end)
	db.seq.mu.Unlock()
	if old > 0 {
		// The previous block's end is below the new one: highest() no longer
		// needs it.
		_, _ = db.coll(collSeqs).DeleteOne(ctx, bson.D{{Key: "_id", Value: old}})
	}
	return nil
}

// allocateSole hands out the next sequence from memory.
func (db *DB) allocateSole(ctx context.Context, now time.Time, ref ChangeRef) (pendingSeq, error) {
	s := &db.seq
	s.mu.Lock()
	for s.next > s.limit {
		s.mu.Unlock()
		if err := db.reserveBlock(ctx); err != nil {
			return pendingSeq{}, err
		}
		s.mu.Lock()
	}
	p := pendingSeq{Seq: s.next, At: now.UnixMilli(), Ref: ref}
	s.next++
	if s.pending == nil {
		s.pending = map[int64]int64{}
	}
	s.pending[p.Seq] = p.At
	if s.limit-s.next < seqBlock/4 && !s.growing {
		s.growing = true
		s.bg.Add(1)
		go func() {
			defer s.bg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := db.reserveBlock(ctx); err != nil {
				db.log.Error("reserve change sequences", "err", err)
			}
			s.mu.Lock()
			s.growing = false
			s.mu.Unlock()
		}()
	}
	s.mu.Unlock()
	return p, nil
}

// releaseSole appends the log entry and ends the sequence's pending state. An
// entry that cannot be appended now is retried by the next release, and its
// sequence stays pending (holding pulls back) until it is.
func (db *DB) releaseSole(p pendingSeq) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s := &db.seq
	s.mu.Lock()
	todo := append(s.unlogged, p)
	s.unlogged = nil
	s.mu.Unlock()
	var failed []pendingSeq
	for _, q := range todo {
		if err := db.appendLog(ctx, q.Seq, q.Ref); err != nil {
			db.log.Error("append change log", "seq", q.Seq, "collection", q.Ref.Coll, "id", q.Ref.ID, "err", err)
			failed = append(failed, q)
			continue
		}
		s.mu.Lock()
		delete(s.pending, q.Seq)
		s.mu.Unlock()
	}
	if failed != nil {
		s.mu.Lock()
		s.unlogged = append(s.unlogged, failed...)
		s.mu.Unlock()
	}
}

// watermarkSole is Watermark from memory.
func (db *DB) watermarkSole() int64 {
	s := &db.seq
	s.mu.Lock()
	defer s.mu.Unlock()
	mark := s.next - 1
	expired := db.Now().Add(-db.lease).UnixMilli()
	for seq, at := range s.pending {
		if at >= expired && seq-1 < mark {
			mark = seq - 1
		}
	}
	return max(mark, 0)
}

// recoverSession appends the log entries that the writes of a session which
// did not end cleanly lack: documents of a logged collection with a sequence
// from from on, whose (id, sequence) is not among the log entries appended
// since. Entries of the session come after every earlier entry, so the log is
// read backwards from its head until the first entry before from.
func (db *DB) recoverSession(ctx context.Context, from int64) error {
	colls := make([]string, 0, len(logged))
	for c := range logged {
		colls = append(colls, c)
	}
	sort.Strings(colls)
	for _, coll := range colls {
		head, err := db.LogHead(ctx, coll)
		if err != nil {
			return err
		}
		type write struct {
			id  string
			seq int64
		}
		have := map[write]bool{}
		for n := head; n > 0; n-- {
			e, ok, err := db.LogEntry(ctx, coll, n)
			if err != nil {
				return err
			}
			if !ok || e.Seq < from {
				break
			}
			have[write{e.ID, e.Seq}] = true
		}
		cur, err := db.coll(coll).Find(ctx, bson.D{{Key: "seq", Value: bson.D{{Key: "$gte", Value: from}}}},
			options.Find().SetSort(bson.D{{Key: "seq", Value: 1}}))
		if err != nil {
			return translate("recover change log", err)
		}
		var docs []bson.Raw
		if err := cur.All(ctx, &docs); err != nil {
			return translate("recover change log", err)
		}
		for _, raw := range docs {
			var b Stamp
			if err := bson.Unmarshal(raw, &b); err != nil {
				return translate("recover change log", err)
			}
			if have[write{b.ID, b.Seq}] {
				continue
			}
			ref := ChangeRef{Coll: coll, ID: b.ID, Key: b.ID}
			if coll != CollEnterprises && coll != CollOfficials {
				ref.Key, _ = raw.Lookup("enterpriseId").StringValueOK()
			}
			if err := db.appendLog(ctx, b.Seq, ref); err != nil {
				return err
			}
			db.log.Warn("appended a change log entry lost in a crash", "collection", coll, "id", b.ID, "seq", b.Seq)
		}
	}
	return nil
}
