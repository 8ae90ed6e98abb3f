package main

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/lianqi/lianqi/store"
	"github.com/lianqi/lianqi/sync/client"
)

// streamCode subscribes to a stream from a checkpoint and returns the code of
// the error the subscription gets ("" for data).
func streamCode(t *testing.T, s *testServer, token string, cp map[string]any) string {
	t.Helper()
	c := s.subscribe(t, token, streamWithCheckpoint, map[string]any{"cp": cp})
	m := c.next(10 * time.Second)
	var errs []gqlError
	if m.Type == "next" {
		var p gqlResponse
		_ = json.Unmarshal(m.Payload, &p)
		errs = p.Errors
	} else {
		_ = json.Unmarshal(m.Payload, &errs)
	}
	if len(errs) == 0 {
		return ""
	}
	code, _ := errs[0].Extensions["code"].(string)
	return code
}

// isLive reports whether a phone shows a document (holds it, not deleted).
func isLive(c *client.Client, coll, id string) bool {
	d, ok := c.Doc(coll, id)
	return ok && d["deleted"] != true
}

// TestRetentionAndFullResync moves the clock over the retention windows: the
// change log, a deleted problem's tombstone and old receipts are pruned after
// the tombstone and receipt windows, audit events after theirs; a phone that
// synced within the window still pulls incrementally, while one whose
// checkpoint is older is told CHECKPOINT_EXPIRED on pull and stream, starts
// over without losing its queued edit, and holds no ghost of the deleted
// problem afterwards.
func TestRetentionAndFullResync(t *testing.T) {
	s := startServer(t, func(c *Config) { c.RetentionInterval = 0 })
	ctx := context.Background()
	t0 := time.Now()
	var offset atomic.Int64
	now := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	advance := func(d time.Duration) { offset.Add(int64(d)) }
	s.m.DB.Now, s.m.Service.Now = now, now
	day := 24 * time.Hour
	prune := func() store.PruneReport {
		t.Helper()
		r, err := s.m.pruneOnce(ctx)
		if err != nil || r.Skipped {
			t.Fatalf("prune: %+v, %v", r, err)
		}
		return r
	}
	uri := s.m.Config.MongoURI
	if s.m.embedded != nil {
		uri = s.m.embedded.URI()
	}
	raw := rawDB(t, uri, s.m.Config.DBName)
	count := func(coll string, filter bson.D) int64 {
		t.Helper()
		n, err := raw.Collection(coll).CountDocuments(ctx, filter)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	old, recent := s.device("zhoushiyue", "old-phone"), s.device("zhoushiyue", "recent-phone")
	mustSync(t, old)
	problems := phoneProblems(old)
	if len(problems) < 2 {
		t.Fatalf("want two problems in the official's scope, got %d", len(problems))
	}
	gone, kept := problems[0], problems[1]
	// A push leaves a receipt; the admin deletes a problem; the first pass
	// records where the logs stand now.
	old.Edit("problems", kept, func(d map[string]any) { d["description"] = "day 0" })
	mustSync(t, old)
	mustSync(t, recent)
	if res := s.as("admin", `mutation($id:ID!){deleteProblem(id:$id){id}}`, map[string]any{"id": gone}); len(res.Errors) > 0 {
		t.Fatal(res.Errors)
	}
	if r := prune(); r.LogEntries+r.Tombstones+r.Receipts != 0 || !r.Horizon.IsZero() {
		t.Fatalf("first pass pruned before any mark was old enough: %+v", r)
	}
	if count("syncReceipts", bson.D{}) == 0 || count(store.CollProblems, bson.D{{Key: "_id", Value: gone}}) != 1 {
		t.Fatal("no receipt, or no tombstone of the deleted problem, before pruning")
	}

	// 100 days later the recent phone syncs (and hears of the deletion); the
	// old one stays offline with an edit queued.
	advance(100 * day)
	recent.Edit("problems", kept, func(d map[string]any) { d["description"] = "day 100" })
	mustSync(t, recent)
	if isLive(recent, "problems", gone) {
		t.Fatal("the recent phone kept the deleted problem")
	}
	// Receipts go after 30 days, the day-100 one stays.
	if r := prune(); r.Receipts == 0 || count("syncReceipts", bson.D{}) != 1 {
		t.Fatalf("at day 100: %d receipts pruned, %d left; want the day-0 ones pruned and one left", r.Receipts, count("syncReceipts", bson.D{}))
	}
	old.Edit("problems", kept, func(d map[string]any) { d["description"] = "written offline" })

	// Past the 180-day window of the first mark.
	advance(81 * day)
	r := prune()
	if r.Horizon.IsZero() || r.LogEntries == 0 || r.Tombstones == 0 || r.Receipts == 0 {
		t.Fatalf("the pass past the window pruned nothing: %+v", r)
	}
	if n := count(store.CollProblems, bson.D{{Key: "_id", Value: gone}}); n != 0 {
		t.Fatal("the deleted problem's tombstone is still stored")
	}
	if n := count("changeLog", bson.D{{Key: "_id", Value: "problems:1"}}); n != 0 {
		t.Fatal("the first change-log entry is still stored")
	}
	if n := count("syncReceipts", bson.D{}); n != 0 {
		t.Fatalf("%d receipts older than 30 days left", n)
	}

	// The recent phone pulls incrementally: a new edit arrives, no resync.
	if res := s.as("admin", `mutation($id:ID!){updateProblem(id:$id,input:{title:"after pruning"}){id}}`, map[string]any{"id": kept}); len(res.Errors) > 0 {
		t.Fatal(res.Errors)
	}
	res, err := recent.T.Pull(ctx, "problems", recent.S.Checkpoint("problems"), 100)
	if err != nil || res.Resync {
		t.Fatalf("recent phone's pull: %v (resync %v)", err, res != nil && res.Resync)
	}
	if len(res.Documents) != 1 {
		t.Fatalf("recent phone's pull brought %d documents, want the one edited", len(res.Documents))
	}

	// The old checkpoint is refused, with the code, by pull and by stream.
	_, err = old.T.Pull(ctx, "problems", old.S.Checkpoint("problems"), 100)
	var ge *client.GraphQLError
	if !errors.As(err, &ge) || ge.Code() != "CHECKPOINT_EXPIRED" || !client.Expired(err) {
		t.Fatalf("old phone's pull: %v, want CHECKPOINT_EXPIRED", err)
	}
	cp := old.S.Checkpoint("problems")
	if code := streamCode(t, s, s.token("zhoushiyue"), map[string]any{"cursor": cp.Cursor, "seq": cp.Seq}); code != "CHECKPOINT_EXPIRED" {
		t.Fatalf("old phone's stream: %q, want CHECKPOINT_EXPIRED", code)
	}

	if !isLive(old, "problems", gone) {
		t.Fatal("the old phone should still show the problem deleted while it was away")
	}
	// The client starts over: its queued edit survives, the deleted problem
	// does not, and it then holds what the recent phone holds.
	if err := old.Pull(ctx, "problems"); err != nil {
		t.Fatal(err)
	}
	if old.Pending() != 1 {
		t.Fatalf("the full resync lost the queued edit (%d pending)", old.Pending())
	}
	if d, _ := old.Doc("problems", kept); d["description"] != "written offline" {
		t.Fatalf("the queued edit's document reads %v", d["description"])
	}
	if isLive(old, "problems", gone) {
		t.Fatal("a ghost of the deleted problem survived the full resync")
	}
	mustSync(t, old)
	mustSync(t, recent)
	if a, b := phoneProblems(old), phoneProblems(recent); !slices.Equal(a, b) {
		t.Fatalf("after the resync the phones hold %d and %d problems", len(a), len(b))
	}
	if d, _ := old.Doc("problems", kept); d["description"] != "written offline" || d["title"] != "after pruning" {
		t.Fatalf("after syncing: %v / %v", d["description"], d["title"])
	}

	// Audit events go after their own, longer window: at 811 days, those of
	// the first 81 days.
	early := bson.D{{Key: "at", Value: bson.D{{Key: "$lt", Value: t0.Add(81 * day)}}}}
	before := count(store.CollAudit, early)
	advance(630 * day)
	prune()
	if n := count(store.CollAudit, early); n != 0 || before == 0 {
		t.Fatalf("audit events older than two years: %d left of %d", n, before)
	}
}

// TestRetentionJob: the server runs the pass by itself after start (it
// records a mark), and a server with the interval at 0 never does.
func TestRetentionJob(t *testing.T) {
	old := retentionDelay
	retentionDelay = 20 * time.Millisecond
	t.Cleanup(func() { retentionDelay = old })
	marks := func(s *testServer) int64 {
		t.Helper()
		uri := s.m.Config.MongoURI
		if s.m.embedded != nil {
			uri = s.m.embedded.URI()
		}
		n, err := rawDB(t, uri, s.m.Config.DBName).Collection("retentionMarks").CountDocuments(context.Background(), bson.D{})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	on := startServer(t, func(c *Config) { c.RetentionInterval = time.Hour })
	off := startServer(t, func(c *Config) { c.RetentionInterval = 0 })
	deadline := time.Now().Add(20 * time.Second)
	for marks(on) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the retention job did not run")
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	if n := marks(off); n != 0 {
		t.Fatalf("a server with --retention-interval=0 pruned (%d marks)", n)
	}
}
