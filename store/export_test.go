package store

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/lianqi/lianqi/domain"
)

// PruneEvery is exported to tests.
const PruneEvery = pruneEvery

// AbandonedEnterprise stores e as a writer that died after its write and
// before its release leaves it: the sequence marker pending and taken more than
// a lease ago, the document written, no log entry. It returns the sequence.
func (db *DB) AbandonedEnterprise(ctx context.Context, e *domain.Enterprise) (int64, error) {
	doc := enterpriseFromDomain(e)
	seq, err := db.allocate(ctx, db.now().Add(-2*db.lease), refOf(CollEnterprises, doc))
	if err != nil {
		return 0, err
	}
	doc.Version, doc.Seq = 1, seq.Seq
	_, err = db.coll(CollEnterprises).InsertOne(ctx, doc)
	return seq.Seq, err
}

// SeedLog appends n entries to coll's log in one bulk insert (benchmarks).
func (db *DB) SeedLog(ctx context.Context, coll string, n int) error {
	docs := make([]any, n)
	for i := range docs {
		docs[i] = bson.D{{Key: "_id", Value: logID(coll, int64(i+1))}, {Key: "seq", Value: int64(i + 1)},
			{Key: "doc", Value: domain.NewID()}, {Key: "key", Value: domain.NewID()}}
	}
	_, err := db.coll(collChangeLog).InsertMany(ctx, docs)
	return err
}

// ForceEngine runs the store with the engine profile e whatever the server
// is, so that the MongoDB branches run on the embedded engine where their
// semantics allow (one writer at a time).
func ForceEngine(e Engine) Option {
	return func(o *openOptions) { o.engine = &e }
}

// CrashedWrite stores e as a sole writer that dies after its write and before
// its log entry: the sequence is taken from memory, the document written, and
// nothing else.
func (db *DB) CrashedWrite(ctx context.Context, e *domain.Enterprise) (int64, error) {
	doc := enterpriseFromDomain(e)
	seq, err := db.allocate(ctx, db.now(), refOf(CollEnterprises, doc))
	if err != nil {
		return 0, err
	}
	doc.Version, doc.Seq = 1, seq.Seq
	_, err = db.coll(CollEnterprises).InsertOne(ctx, doc)
	return seq.Seq, err
}

// Disconnect drops the connection without Close's bookkeeping, as a process
// that dies does.
func (db *DB) Disconnect(ctx context.Context) error { return db.client.Disconnect(ctx) }

// HoldSequence takes a change sequence as a write would and returns its
// release.
func (db *DB) HoldSequence(ctx context.Context) (func(), error) {
	p, err := db.allocate(ctx, db.now(), ChangeRef{})
	if err != nil {
		return nil, err
	}
	return func() { db.release(p) }, nil
}
