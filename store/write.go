package store

import (
	"context"
	"errors"

	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/lianqi/lianqi/domain"
)

// Stamp is the part every stored document shares: its id and the bookkeeping that
// commit stamps. Document structs embed it inline. It is exported only because the
// BSON codec silently skips embedded structs of unexported types, which would
// store documents without _id and version.
type Stamp struct {
	ID        string    `bson:"_id"`
	Version   int64     `bson:"version"`
	CreatedAt time.Time `bson:"createdAt"`
	UpdatedAt time.Time `bson:"updatedAt"`
	// Seq is the change sequence of the last write; pulls order by it.
	Seq     int64 `bson:"seq"`
	Deleted bool  `bson:"deleted"`
}

func (b *Stamp) stamp() *Stamp { return b }

func (b *Stamp) meta() domain.Meta {
	return domain.Meta{Version: b.Version, CreatedAt: b.CreatedAt, UpdatedAt: b.UpdatedAt, Deleted: b.Deleted}
}

func baseFrom(id string, m domain.Meta) Stamp {
	return Stamp{ID: id, Version: m.Version, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt, Deleted: m.Deleted}
}

type stamped interface{ stamp() *Stamp }

// commit is the single write path of the store. It allocates a change sequence,
// stamps version/updatedAt/seq, and writes the whole document: an insert when
// expectedVersion is 0, otherwise a replace that succeeds only if the stored
// version is still expectedVersion (optimistic concurrency). A lost race is an
// ECONFLICT error. On success doc's stamps hold what was stored.
func (db *DB) commit(ctx context.Context, coll string, doc stamped, expectedVersion int64) error {
	unlock := db.lockWrites()
	defer unlock()

	b := doc.stamp()
	now := db.now()
	ref := refOf(coll, doc)
	seq, err := db.allocate(ctx, now, ref)
	if err != nil {
		return err
	}
	// Deferred calls run last-in first-out: waiters are woken only after the
	// sequence is released, so the watermark they read already covers it.
	defer db.committed.broadcast()
	defer db.release(seq)

	old := *b
	b.Version, b.UpdatedAt, b.Seq = expectedVersion+1, now, seq.Seq
	if expectedVersion == 0 {
		b.CreatedAt = now
		_, err = db.coll(coll).InsertOne(ctx, doc)
	} else {
		var matched int64
		if matched, err = db.replaceVersion(ctx, coll, doc, b.ID, expectedVersion); err == nil && matched == 0 {
			err = domain.Errorf(domain.ECONFLICT, "%s %s was changed by someone else (expected version %d); reload and try again", singular(coll), b.ID, expectedVersion)
		}
	}
	if err != nil {
		if domain.ErrorCode(err) != domain.ECONFLICT {
			db.versions.wrote(coll, b.ID, 0) // the outcome is unknown
		}
		*b = old
		return translate("write "+singular(coll), err)
	}
	db.versions.wrote(coll, b.ID, b.Version)

	// A writer that stalled past the lease may have been presumed dead, and a pull
	// may have moved past its sequence. Restamping with a fresh sequence makes the
	// change visible again instead of lost.
	if db.Now().Sub(time.UnixMilli(seq.At)) > db.lease/2 {
		if err := db.restamp(ctx, coll, b, ref); err != nil {
			return err
		}
	}
	return nil
}

// replaceVersion replaces the document only if it still has the expected
// version, and reports how many documents matched (0 or 1).
func (db *DB) replaceVersion(ctx context.Context, coll string, doc stamped, id string, expectedVersion int64) (int64, error) {
	filter, err := db.versionFilter(ctx, coll, id, expectedVersion)
	if filter == nil || err != nil {
		return 0, err
	}
	r, err := db.coll(coll).ReplaceOne(ctx, filter, doc)
	if err != nil {
		return 0, err
	}
	return r.MatchedCount, nil
}

// lockWrites takes writeMu where the engine does not isolate conditional
// writes, and returns its release.
func (db *DB) lockWrites() func() {
	if db.engine.Isolated {
		return func() {}
	}
	db.writeMu.Lock()
	return db.writeMu.Unlock
}

// versionFilter returns the filter that selects the document only at the
// expected version, or nil if it is not at that version. Callers hold
// lockWrites.
func (db *DB) versionFilter(ctx context.Context, coll, id string, expectedVersion int64) (bson.D, error) {
	if db.engine.Isolated {
		return bson.D{{Key: "_id", Value: id}, {Key: "version", Value: expectedVersion}}, nil
	}
	// Not isolated: the version is checked before a write by key alone (on
	// the embedded engine {_id, version} would decode the whole collection),
	// which writeMu makes atomic. A sole writer knows the stored version of
	// what it wrote or read; a mismatch is confirmed by a read.
	if db.soleWriter() {
		if v, ok := db.versions.lookup(coll, id); ok && v == expectedVersion {
			return bson.D{{Key: "_id", Value: id}}, nil
		}
	}
	var cur Stamp
	err := db.coll(coll).FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&cur)
	if errors.Is(err, mongo.ErrNoDocuments) || (err == nil && cur.Version != expectedVersion) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if db.soleWriter() {
		db.versions.observe(coll, id, cur.Version, db.versions.generation())
	}
	return bson.D{{Key: "_id", Value: id}}, nil
}

func (db *DB) restamp(ctx context.Context, coll string, b *Stamp, ref ChangeRef) error {
	seq, err := db.allocate(ctx, db.now(), ref)
	if err != nil {
		return err
	}
	defer db.release(seq)
	filter, err := db.versionFilter(ctx, coll, b.ID, b.Version)
	if filter == nil || err != nil {
		// Someone else wrote the document since: their write has a newer sequence.
		return translate("restamp "+singular(coll), err)
	}
	_, err = db.coll(coll).UpdateOne(ctx, filter, bson.D{{Key: "$set", Value: bson.D{{Key: "seq", Value: seq.Seq}}}})
	if err != nil {
		return translate("restamp "+singular(coll), err)
	}
	b.Seq = seq.Seq
	return nil
}

// singular names one record of a collection in error messages.
func singular(coll string) string {
	switch coll {
	case CollEnterprises:
		return "enterprise"
	case CollOfficials:
		return "official"
	case CollPairings:
		return "pairing"
	case CollProblems:
		return "problem"
	case CollProgressNotes:
		return "progress note"
	case CollVisits:
		return "visit"
	case CollSpotChecks:
		return "spot check"
	case CollUsers:
		return "user"
	case CollRatings:
		return "rating"
	case CollQuizzes:
		return "quiz"
	case CollPeriodicRatings:
		return "periodic rating"
	case CollSessions:
		return "session"
	case CollAudit:
		return "audit event"
	}
	return coll
}

// save commits d and copies the stamped bookkeeping back into the domain record.
func save(ctx context.Context, db *DB, coll string, d stamped, expectedVersion int64, meta *domain.Meta) error {
	if err := db.commit(ctx, coll, d, expectedVersion); err != nil {
		return err
	}
	*meta = d.stamp().meta()
	return nil
}
