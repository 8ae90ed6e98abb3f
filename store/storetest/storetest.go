// Package storetest gives tests a real database: a fresh database per test on
// the MongoDB named by MONGODB_URI when it is set, otherwise on an embedded
// FerretDB shared by the test binary. There is no mock: tests run the same
// driver code path as the server.
package storetest

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lianqi/lianqi/embedded"
	"github.com/lianqi/lianqi/store"
)

var (
	once    sync.Once
	srv     *embedded.Server
	uri     string
	initErr error
	counter atomic.Int64
)

// URI returns the database server tests use, starting the embedded one on
// first use. The embedded server lives until the test binary exits.
func URI(tb testing.TB) string {
	tb.Helper()
	once.Do(func() {
		if u := os.Getenv("MONGODB_URI"); u != "" {
			uri = u
			return
		}
		dir, err := os.MkdirTemp("", "lianqi-test-")
		if err != nil {
			initErr = err
			return
		}
		if srv, initErr = embedded.Start(context.Background(), embedded.Options{Dir: dir}); initErr != nil {
			return
		}
		uri = srv.URI()
	})
	if initErr != nil {
		tb.Fatalf("start test database: %v", initErr)
	}
	return uri
}

var unsafe = regexp.MustCompile(`[^a-zA-Z0-9_]`)

// DBName returns a database name unique to this test and this run.
func DBName(tb testing.TB) string {
	name := unsafe.ReplaceAllString(tb.Name(), "_")
	if len(name) > 40 {
		name = name[:40]
	}
	return fmt.Sprintf("t%d_%d_%s", os.Getpid()%100000, counter.Add(1), name)
}

// Open returns a store on a fresh database, dropped and closed when the test ends.
func Open(tb testing.TB) *store.DB {
	tb.Helper()
	ctx := context.Background()
	name := DBName(tb)
	// Like the server: a fresh database here has one writer, this handle.
	db, err := store.Open(ctx, URI(tb), name, nil, store.SoleWriter())
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	// Like the server: the embedded engine gets its _id lookup indexes.
	if srv != nil {
		if _, err := srv.IndexIDs(ctx, name); err != nil {
			tb.Fatalf("index ids: %v", err)
		}
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = db.Drop(ctx)
		_ = db.Close(ctx)
	})
	return db
}

// Embedded reports whether tests run on the embedded engine.
func Embedded(tb testing.TB) bool {
	URI(tb)
	return srv != nil
}
