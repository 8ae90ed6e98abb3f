package storetest

import (
	"context"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Baseline is the bare driver on the database a store uses: benchmarks send
// through it the least a direct client needs for the same result (one find,
// one updateOne, one findOne by _id) and report the store's time as a ratio of
// it, measured in the same run on the same engine, so that the ratio says
// what the store adds whatever the machine's load.
type Baseline struct {
	DB *mongo.Database
}

// OpenBaseline connects a bare client to database name on the test engine.
func OpenBaseline(tb testing.TB, name string) *Baseline {
	tb.Helper()
	c, err := mongo.Connect(options.Client().ApplyURI(URI(tb)))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = c.Disconnect(context.Background()) })
	return &Baseline{DB: c.Database(name)}
}

// Clock times calls of f and keeps the total.
type Clock struct {
	Elapsed time.Duration
	N       int
}

// Time runs f once and adds its duration.
func (c *Clock) Time(tb testing.TB, f func() error) {
	tb.Helper()
	start := time.Now()
	err := f()
	c.Elapsed += time.Since(start)
	c.N++
	if err != nil {
		tb.Fatal(err)
	}
}

// Ms is the mean in milliseconds.
func (c *Clock) Ms() float64 {
	if c.N == 0 {
		return 0
	}
	return float64(c.Elapsed.Microseconds()) / 1000 / float64(c.N)
}
