package store

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// Engine is what the store knows about the database engine underneath,
// chosen once at Open. Every engine-specific branch of the store reads one of
// these fields and nothing else, so the list of differences is this struct.
type Engine struct {
	// Name is "mongodb" or "ferretdb" (buildInfo announces FerretDB).
	Name string

	// Isolated: a conditional write (filter {_id, version}) is atomic on the
	// server, so writers in this and other processes need no lock and the
	// version stays in the write's filter (MongoDB). When false (FerretDB runs
	// a conditional update as a query and then a write, not isolated), this
	// process serialises its writes with writeMu and checks the version by key
	// before writing by key.
	Isolated bool

	// SoleWriter: no other process writes to this database while it is open.
	// The server asks for it on the embedded engine, whose data-directory lock
	// (an flock held while the process runs) makes it true; it is ignored when
	// the engine is Isolated, which serves many processes. A sole writer
	// reserves change sequences durably in blocks and hands them out from
	// memory (seqmem.go), and answers version checks from the versions it
	// wrote and read (versions.go).
	SoleWriter bool
}

// Option changes how Open connects.
type Option func(*openOptions)

type openOptions struct {
	soleWriter bool
	engine     *Engine
	monitor    *event.CommandMonitor
}

// SoleWriter tells Open that this process alone writes to the database while
// it is open: on the embedded engine, the caller holds the data directory's
// lock. Passing it when another process writes loses changes; it has no
// effect on MongoDB.
func SoleWriter() Option { return func(o *openOptions) { o.soleWriter = true } }

// WithMonitor has the driver report every command to m as well (metrics,
// traces); the store's own command counts keep working.
func WithMonitor(m *event.CommandMonitor) Option { return func(o *openOptions) { o.monitor = m } }

// detectEngine asks the server what it is.
func detectEngine(ctx context.Context, c *mongo.Client, o openOptions) (Engine, error) {
	if o.engine != nil {
		return *o.engine, nil
	}
	var info bson.M
	if err := c.Database("admin").RunCommand(ctx, bson.D{{Key: "buildInfo", Value: 1}}).Decode(&info); err != nil {
		return Engine{}, err
	}
	if _, ferret := info["ferretdbFeatures"]; !ferret {
		return Engine{Name: EngineMongoDB, Isolated: true}, nil
	}
	return Engine{Name: EngineFerretDB, SoleWriter: o.soleWriter}, nil
}

// Engine names (Engine.Name).
const (
	EngineMongoDB  = "mongodb"
	EngineFerretDB = "ferretdb"
)

// Engine returns the engine profile the store runs with.
func (db *DB) Engine() Engine { return db.engine }
