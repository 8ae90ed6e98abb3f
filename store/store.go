// Package store keeps Lianqi's records in MongoDB through the official driver. The
// same code serves a real MongoDB and the embedded FerretDB, so it uses only what
// both engines support: single-document operations, simple filters and sorts, and
// $group with $sum. Every write goes through commit (write.go), which stamps
// version, updatedAt and the change sequence the sync protocol reads.
package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"

	"github.com/lianqi/lianqi/domain"
)

// Collection names.
const (
	CollEnterprises   = "enterprises"
	CollOfficials     = "officials"
	CollPairings      = "pairings"
	CollProblems      = "problems"
	CollProgressNotes = "progressNotes"
	CollVisits        = "visits"
	CollSpotChecks    = "spotChecks"
	CollUsers         = "users"
	CollRatings       = "ratings"
	CollQuizzes       = "quizzes"
	// CollPeriodicRatings holds the enterprises' ratings of their chief per quarter.
	CollPeriodicRatings = "periodicRatings"
	collCounters        = "counters"
)

// DB is a connection to one Lianqi database.
type DB struct {
	client *mongo.Client
	db     *mongo.Database
	log    *slog.Logger

	// Now is the clock used for stamps; tests replace it.
	Now func() time.Time

	// engine is what the engine underneath can do (engine.go).
	engine Engine

	// writeMu serialises this process's writes on an engine that is not
	// Isolated: the embedded engine performs read-modify-write updates ($inc,
	// conditional updates) without isolation, so two concurrent writers would
	// both succeed. Against MongoDB the conditional write is the guard, and
	// it also protects writers in other processes, so no lock is taken.
	writeMu sync.Mutex

	// lease is how long an allocated but uncommitted change sequence holds back
	// pulls before it is presumed abandoned (its writer crashed).
	lease time.Duration

	committed signal
	clog      logState

	// seq and versions serve a SoleWriter (seqmem.go, versions.go).
	seq      seqMem
	versions versions

	commands commandCounts

	// sharedState is the bookkeeping of the collections several instances
	// share (shared.go).
	sharedState sharedState
}

// Open connects to uri, checks the database answers, and creates indexes and the
// change counter if they are missing. It is safe to call on every start.
func Open(ctx context.Context, uri, dbName string, log *slog.Logger, opts ...Option) (*DB, error) {
	if log == nil {
		log = slog.Default()
	}
	var o openOptions
	for _, opt := range opts {
		opt(&o)
	}
	db := &DB{log: log, Now: time.Now, lease: 30 * time.Second}
	co := options.Client().ApplyURI(uri).SetAppName("lianqi").SetMonitor(db.commands.monitor(o.monitor))
	client, err := mongo.Connect(co)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	db.client, db.db = client, client.Database(dbName)
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := db.Ping(pctx); err != nil {
		_ = client.Disconnect(ctx)
		return nil, fmt.Errorf("ping: %w", err)
	}
	if db.engine, err = detectEngine(ctx, db.client, o); err != nil {
		_ = client.Disconnect(ctx)
		return nil, fmt.Errorf("buildInfo: %w", err)
	}
	if err := db.ensureSchema(ctx); err != nil {
		_ = client.Disconnect(ctx)
		return nil, err
	}
	if db.soleWriter() {
		if err := db.startSole(ctx); err != nil {
			_ = client.Disconnect(ctx)
			return nil, err
		}
	}
	return db, nil
}

// soleWriter reports whether sequences and version checks are served from
// this process's memory.
func (db *DB) soleWriter() bool { return db.engine.SoleWriter && !db.engine.Isolated }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	return db.client.Ping(ctx, readpref.Primary())
}

// Close disconnects from the database.
func (db *DB) Close(ctx context.Context) error {
	if db.soleWriter() {
		if err := db.closeSole(ctx); err != nil {
			db.log.Error("close change sequences", "err", err)
		}
	}
	return db.client.Disconnect(ctx)
}

// Name is the database's name.
func (db *DB) Name() string { return db.db.Name() }

// Drop removes the whole database; tests against a shared MongoDB use it.
func (db *DB) Drop(ctx context.Context) error {
	return db.db.Drop(ctx)
}

// now returns the stamp time, truncated to what BSON dates hold so that values
// read back compare equal to values written.
func (db *DB) now() time.Time {
	return db.Now().UTC().Truncate(time.Millisecond)
}

func (db *DB) coll(name string) *mongo.Collection { return db.db.Collection(name) }

// translate turns driver errors into domain errors at the boundary.
func translate(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, mongo.ErrNoDocuments):
		return domain.Errorf(domain.ENOTFOUND, "%s: not found", op)
	case mongo.IsDuplicateKeyError(err):
		return domain.Errorf(domain.ECONFLICT, "%s: a record with the same key already exists", op)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%s: %w", op, err)
	}
	var de *domain.Error
	if errors.As(err, &de) {
		return err
	}
	return fmt.Errorf("%s: %w", op, err)
}
