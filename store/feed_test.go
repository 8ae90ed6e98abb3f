package store_test

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/lianqi/lianqi/live"
	"github.com/lianqi/lianqi/store/storetest"
)

// TestTopologyChoosesFeed: the embedded engine answers hello like a
// standalone and has no change streams, so auto picks the poll and asking
// for streams is refused at start.
func TestTopologyChoosesFeed(t *testing.T) {
	if os.Getenv("MONGODB_URI") != "" {
		t.Skip("the embedded engine's answer")
	}
	db := storetest.Open(t)
	top, err := db.Topology(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !top.FerretDB || top.HasChangeStreams() {
		t.Fatalf("topology %+v: want FerretDB without change streams", top)
	}
	if k, err := live.Choose("auto", top); err != nil || k != live.KindPoll {
		t.Fatalf("auto chose %q, %v; want poll", k, err)
	}
	if _, err := live.Choose("stream", top); err == nil {
		t.Fatal("stream accepted on the embedded engine")
	}
	// And the engine indeed has none: opening one fails, and not as "history lost".
	if _, err := db.OpenStream(context.Background(), nil); err == nil || errors.Is(err, live.ErrHistoryLost) {
		t.Fatalf("OpenStream on the embedded engine: %v; want a plain error", err)
	}
}
