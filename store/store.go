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

	"go.mongodb.org/mongo-driver/v2/bson"
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
	collCounters      = "counters"
)

// DB is a connection to one Lianqi database.
type DB struct {
	client *mongo.Client
	db     *mongo.Database
	log    *slog.Logger

	// Now is the clock used for stamps; tests replace it.
	Now func() time.Time

	// writeMu serialises this process's writes. The embedded engine performs
	// read-modify-write updates ($inc, conditional updates) without isolation, so
	// two concurrent writers would both succeed; a single process owns the embedded
	// database, so one lock here makes its writes atomic. Against MongoDB the same
	// conditional updates are atomic on the server and also protect writers in other
	// processes.
	writeMu sync.Mutex

	// lease is how long an allocated but uncommitted change sequence holds back
	// pulls before it is presumed abandoned (its writer crashed).
	lease time.Duration

	committed signal
	clog      logState

	// keyOnlyWrites is set for the embedded engine, which uses its primary key
	// only for a filter that is exactly {_id: …}: a conditional replace
	// {_id, version} there scans the whole collection (measured: 16 ms at 1,000
	// problems, 125 ms at 10,000). Its writes are already serialised by writeMu,
	// so checking the version first and replacing by _id alone is as safe. On
	// MongoDB the version stays in the filter, which keeps writers in other
	// processes honest.
	keyOnlyWrites bool

	// sharedState is the bookkeeping of the collections several instances
	// share (shared.go).
	sharedState sharedState
}

// Open connects to uri, checks the database answers, and creates indexes and the
// change counter if they are missing. It is safe to call on every start.
func Open(ctx context.Context, uri, dbName string, log *slog.Logger) (*DB, error) {
	if log == nil {
		log = slog.Default()
	}
	client, err := mongo.Connect(options.Client().ApplyURI(uri).SetAppName("lianqi"))
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	db := &DB{client: client, db: client.Database(dbName), log: log, Now: time.Now, lease: 30 * time.Second}
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := db.Ping(pctx); err != nil {
		_ = client.Disconnect(ctx)
		return nil, fmt.Errorf("ping: %w", err)
	}
	if db.keyOnlyWrites, err = isFerretDB(ctx, db.client); err != nil {
		_ = client.Disconnect(ctx)
		return nil, fmt.Errorf("buildInfo: %w", err)
	}
	if err := db.ensureSchema(ctx); err != nil {
		_ = client.Disconnect(ctx)
		return nil, err
	}
	return db, nil
}

// isFerretDB reports whether the server is FerretDB, which announces itself in
// buildInfo.
func isFerretDB(ctx context.Context, c *mongo.Client) (bool, error) {
	var info bson.M
	if err := c.Database("admin").RunCommand(ctx, bson.D{{Key: "buildInfo", Value: 1}}).Decode(&info); err != nil {
		return false, err
	}
	_, ok := info["ferretdbFeatures"]
	return ok, nil
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	return db.client.Ping(ctx, readpref.Primary())
}

// Close disconnects from the database.
func (db *DB) Close(ctx context.Context) error {
	return db.client.Disconnect(ctx)
}

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
