package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"golang.org/x/sync/errgroup"

	"github.com/lianqi/lianqi/domain"
)

// Change is one record as last written, for the sync protocol's pulls.
type Change struct {
	ID      string
	Seq     int64
	Deleted bool
	Doc     bson.Raw
}

// Changes returns records of coll inside scope written with a sequence in
// (after, upTo], oldest first, tombstones included. Callers pass the
// Watermark as upTo so a pull never skips a change still being written.
func (db *DB) Changes(ctx context.Context, coll string, scope domain.Scope, after, upTo int64, limit int) ([]Change, error) {
	db.clog.passes.Add(1)
	filter := and(bson.D{{Key: "seq", Value: bson.D{{Key: "$gt", Value: after}, {Key: "$lte", Value: upTo}}}}, scopeFilter(coll, scope))
	cur, err := db.coll(coll).Find(ctx, filter, options.Find().SetSort(bson.D{{Key: "seq", Value: 1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, translate("changes "+coll, err)
	}
	defer cur.Close(ctx)
	var out []Change
	for cur.Next(ctx) {
		var b Stamp
		if err := cur.Decode(&b); err != nil {
			return nil, translate("decode "+coll, err)
		}
		out = append(out, Change{ID: b.ID, Seq: b.Seq, Deleted: b.Deleted, Doc: append(bson.Raw(nil), cur.Current...)})
	}
	return out, translate("changes "+coll, cur.Err())
}

// scopeFilter selects the records of coll inside scope.
func scopeFilter(coll string, scope domain.Scope) bson.D {
	switch coll {
	case CollEnterprises:
		return inScope(scope, "_id")
	case CollOfficials:
		// Officials are scoped by who the caller deals with, not by enterprise.
		if !scope.All {
			ids := scope.OfficialIDs
			if ids == nil {
				ids = []string{}
			}
			return bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}}
		}
	case CollUsers:
	default:
		return inScope(scope, "enterpriseId")
	}
	return nil
}

// ProblemChange is one problem as written at Seq.
type ProblemChange struct {
	Seq     int64
	Problem *domain.Problem
}

// ProblemChanges is Changes for problems, decoded: every problem inside scope
// written with a sequence in (after, upTo], oldest first, tombstones included
// (Problem.Deleted set).
func (db *DB) ProblemChanges(ctx context.Context, scope domain.Scope, after, upTo int64, limit int) ([]ProblemChange, error) {
	changes, err := db.Changes(ctx, CollProblems, scope, after, upTo, limit)
	if err != nil {
		return nil, err
	}
	out := make([]ProblemChange, 0, len(changes))
	for _, c := range changes {
		var d problemDoc
		if err := bson.Unmarshal(c.Doc, &d); err != nil {
			return nil, translate("decode problem change", err)
		}
		out = append(out, ProblemChange{Seq: c.Seq, Problem: d.toDomain()})
	}
	return out, nil
}

// The change log lets a pull walk what changed in one collection since its
// checkpoint with lookups by key. The embedded engine answers only a filter
// that is exactly {_id: …} without decoding the whole collection, so a range
// query on seq costs as much as reading every document: a pull batch was a full
// decode, and a first sync in small batches cost batches × collection.
//
// Each synced collection has a dense log: entry n (n = 1, 2, …) is stored
// under the string _id "<collection>:<n>" and names the document written, its
// sequence and its scope key. An entry is appended when its write is released
// (after the document landed), so a reader that finds entry n knows that write
// is visible; the first missing n is the end of the log. Numbers are taken by
// inserting (a duplicate key means another writer took it: try the next), which
// is atomic on both engines and across processes, and never leaves a gap. A
// writer that dies between its write and its entry leaves its sequence marker
// pending; when the marker expires, the pruning that removes it appends the
// entry first (the reader then checks whether the document has that sequence).

const collChangeLog = "changeLog"

// logState is what this process knows of the logs' heads (a lower bound: other
// processes append too).
type logState struct {
	mu    sync.Mutex
	heads map[string]int64
	// passes and lookups count reads for SyncReads.
	passes, lookups atomic.Int64
}

// ReadCounts is how many change reads a DB made: Passes are queries that read
// a whole collection on the embedded engine (a range of sequences, a scope),
// Lookups are reads by key. Benchmarks report them because, unlike times, they
// do not depend on how busy the machine is.
type ReadCounts struct{ Passes, Lookups int64 }

// SyncReads returns the counts so far.
func (db *DB) SyncReads() ReadCounts {
	return ReadCounts{Passes: db.clog.passes.Load(), Lookups: db.clog.lookups.Load()}
}

// logged are the collections clients replicate; only they have a log.
var logged = map[string]bool{CollProblems: true, CollProgressNotes: true, CollVisits: true,
	CollEnterprises: true, CollPairings: true, CollOfficials: true}

// ChangeRef names one write for the log: the document and its scope key (its
// enterprise, or its own id for enterprises and officials).
type ChangeRef struct {
	Coll string `bson:"c,omitempty"`
	ID   string `bson:"d,omitempty"`
	Key  string `bson:"k,omitempty"`
}

// LogEntry is entry N of a collection's change log.
type LogEntry struct {
	N   int64  `bson:"-"`
	Seq int64  `bson:"seq"`
	ID  string `bson:"doc"`
	Key string `bson:"key"`
}

func logID(coll string, n int64) string { return coll + ":" + strconv.FormatInt(n, 10) }

// refOf returns what the log records of a write, or the zero ref for a
// collection that has no log.
func refOf(coll string, doc stamped) ChangeRef {
	if !logged[coll] {
		return ChangeRef{}
	}
	id := doc.stamp().ID
	if coll == CollEnterprises || coll == CollOfficials {
		return ChangeRef{Coll: coll, ID: id, Key: id}
	}
	if k, ok := doc.(interface{ scopeKey() string }); ok {
		// The hot documents say it without being marshalled once more.
		return ChangeRef{Coll: coll, ID: id, Key: k.scopeKey()}
	}
	raw, err := bson.Marshal(doc)
	if err != nil {
		return ChangeRef{Coll: coll, ID: id}
	}
	key, _ := bson.Raw(raw).Lookup("enterpriseId").StringValueOK()
	return ChangeRef{Coll: coll, ID: id, Key: key}
}

// ensureChangeLog creates the log collection at start, so that the embedded
// engine's _id lookup index (added to the collections that exist once the
// store is open) covers it.
func (db *DB) ensureChangeLog(ctx context.Context) error {
	return db.ensureCollection(ctx, collChangeLog)
}

// ensureCollection creates coll if it is missing.
func (db *DB) ensureCollection(ctx context.Context, coll string) error {
	err := db.db.CreateCollection(ctx, coll)
	var ce mongo.CommandError
	if err != nil && !(errors.As(err, &ce) && (ce.Code == 48 || ce.Name == "NamespaceExists")) {
		return fmt.Errorf("create %s: %w", coll, err)
	}
	return nil
}

// appendLog appends the entry of a released write to its collection's log.
func (db *DB) appendLog(ctx context.Context, seq int64, ref ChangeRef) error {
	if ref.Coll == "" {
		return nil
	}
	db.clog.mu.Lock()
	head, known := db.clog.heads[ref.Coll]
	db.clog.mu.Unlock()
	for n := head + 1; ; n++ {
		if !known {
			// First append of this process, or another process appended since:
			// find the head instead of trying every number on the way.
			h, err := db.LogHead(ctx, ref.Coll)
			if err != nil {
				return err
			}
			n, known = h+1, true
		}
		_, err := db.coll(collChangeLog).InsertOne(ctx, bson.D{{Key: "_id", Value: logID(ref.Coll, n)},
			{Key: "seq", Value: seq}, {Key: "doc", Value: ref.ID}, {Key: "key", Value: ref.Key}})
		if err == nil {
			db.logHint(ref.Coll, n)
			return nil
		}
		if !mongo.IsDuplicateKeyError(err) {
			return translate("append change log", err)
		}
		known = false
	}
}

// logHint records that entry n of coll exists.
func (db *DB) logHint(coll string, n int64) {
	db.clog.mu.Lock()
	defer db.clog.mu.Unlock()
	if db.clog.heads == nil {
		db.clog.heads = map[string]int64{}
	}
	db.clog.heads[coll] = max(db.clog.heads[coll], n)
}

// LogEntry returns entry n of coll's log; ok is false past its end.
func (db *DB) LogEntry(ctx context.Context, coll string, n int64) (e LogEntry, ok bool, err error) {
	db.clog.lookups.Add(1)
	err = db.coll(collChangeLog).FindOne(ctx, bson.D{{Key: "_id", Value: logID(coll, n)}}).Decode(&e)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return LogEntry{}, false, nil
	}
	if err != nil {
		return LogEntry{}, false, translate("read change log", err)
	}
	e.N = n
	return e, true, nil
}

// LogHead returns the number of the last entry of coll's log (0 for none). It
// starts from the highest entry this process knows of and probes forward,
// doubling, then bisects: a few lookups by key however long the log is, and
// one more for the floor of a pruned log (retention.go).
func (db *DB) LogHead(ctx context.Context, coll string) (int64, error) {
	db.clog.mu.Lock()
	lo := db.clog.heads[coll]
	db.clog.mu.Unlock()
	exists := func(n int64) (bool, error) {
		_, ok, err := db.LogEntry(ctx, coll, n)
		return ok, err
	}
	step, hi := int64(1), int64(0)
	for {
		ok, err := exists(lo + step)
		if err != nil {
			return 0, err
		}
		if !ok {
			hi = lo + step
			break
		}
		lo += step
		step *= 2
	}
	// lo exists (or is 0), hi does not.
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		ok, err := exists(mid)
		if err != nil {
			return 0, err
		}
		if ok {
			lo = mid
		} else {
			hi = mid
		}
	}
	// Entries below the floor were pruned (the floor is written first): a
	// probe that started below it found a gap, not the end.
	floor, err := db.LogFloor(ctx, coll)
	if err != nil {
		return 0, err
	}
	if lo < floor.N {
		db.logHint(coll, floor.N)
		return db.LogHead(ctx, coll)
	}
	db.logHint(coll, lo)
	return lo, nil
}

// LogAfter returns up to max entries of coll's log after entry n, in order,
// stopping at the end of the log. Lookups run concurrently.
func (db *DB) LogAfter(ctx context.Context, coll string, n int64, max int) ([]LogEntry, error) {
	found := make([]LogEntry, max)
	ok := make([]bool, max)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(lookupParallelism)
	for i := range max {
		g.Go(func() error {
			e, exists, err := db.LogEntry(gctx, coll, n+1+int64(i))
			found[i], ok[i] = e, exists
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for i := range max {
		if !ok[i] {
			return found[:i], nil
		}
	}
	return found, nil
}

// ChangeList returns the records of coll inside scope whose last write has a
// sequence after after, in sequence order, tombstones included. Records are
// kept whole while their total size stays within budget bytes; past it only
// ID, Seq and Deleted are kept (Doc is nil) and callers fetch the rest by key.
// On the embedded engine it is one pass over the collection.
func (db *DB) ChangeList(ctx context.Context, coll string, scope domain.Scope, after int64, budget int) ([]Change, error) {
	db.clog.passes.Add(1)
	cur, err := db.coll(coll).Find(ctx, and(bson.D{{Key: "seq", Value: bson.D{{Key: "$gt", Value: after}}}}, scopeFilter(coll, scope)),
		options.Find().SetSort(bson.D{{Key: "seq", Value: 1}}))
	if err != nil {
		return nil, translate("change list "+coll, err)
	}
	defer cur.Close(ctx)
	var out []Change
	for cur.Next(ctx) {
		var b Stamp
		if err := cur.Decode(&b); err != nil {
			return nil, translate("decode "+coll, err)
		}
		ch := Change{ID: b.ID, Seq: b.Seq, Deleted: b.Deleted}
		if budget -= len(cur.Current); budget >= 0 {
			ch.Doc = append(bson.Raw(nil), cur.Current...)
		}
		out = append(out, ch)
	}
	return out, translate("change list "+coll, cur.Err())
}

// ChangesByID returns the records of coll with the given ids as last written,
// tombstones included, in the order of ids; a missing one is a Change with an
// empty ID. Each is a lookup by key; they run concurrently.
func (db *DB) ChangesByID(ctx context.Context, coll string, ids []string) ([]Change, error) {
	db.clog.lookups.Add(int64(len(ids)))
	out := make([]Change, len(ids))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(lookupParallelism)
	for i, id := range ids {
		g.Go(func() error {
			raw, err := db.coll(coll).FindOne(gctx, bson.D{{Key: "_id", Value: id}}).Raw()
			if errors.Is(err, mongo.ErrNoDocuments) {
				return nil
			}
			if err != nil {
				return translate("read "+singular(coll), err)
			}
			var b Stamp
			if err := bson.Unmarshal(raw, &b); err != nil {
				return translate("decode "+singular(coll), err)
			}
			out[i] = Change{ID: b.ID, Seq: b.Seq, Deleted: b.Deleted, Doc: append(bson.Raw(nil), raw...)}
			return nil
		})
	}
	return out, g.Wait()
}
