package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/lianqi/lianqi/datalife"
	"github.com/lianqi/lianqi/embedded"
	"github.com/lianqi/lianqi/store"
	"github.com/lianqi/lianqi/sync/client"
)

// startOn runs the program on an existing data directory (and optionally a
// MongoDB URI) with the database name of the server it was copied from.
func startOn(t *testing.T, dataDir, dbName, mongoURI string) *testServer {
	t.Helper()
	cfg := restartConfig(t)
	cfg.DataDir, cfg.DBName, cfg.MongoURI, cfg.Demo = dataDir, dbName, mongoURI, false
	m := &Main{Config: cfg}
	if err := m.Run(context.Background()); err != nil {
		m.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Error(err)
		}
	})
	return &testServer{t: t, m: m, url: "http://" + m.Addr(), tokens: map[string]string{}}
}

// rawDB connects to the database a running program uses.
func rawDB(t *testing.T, uri, name string) *mongo.Database {
	t.Helper()
	c, err := mongo.Connect(options.Client().ApplyURI(uri))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Disconnect(context.Background()) })
	return c.Database(name)
}

// writeNotes adds progress notes with ids prefix-1, prefix-2, … to the
// official's problems, one after another, until stop is closed; n counts the
// notes acknowledged. prefix is 8 hex digits (see noteID).
func writeNotes(t *testing.T, s *testServer, user, prefix string, problems []string, stop chan struct{}, n *atomic.Int64) *sync.WaitGroup {
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 1; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			res := s.as(user, `mutation($p:ID!,$id:ID){addProgressNote(problemId:$p,text:"进展",id:$id){id}}`,
				map[string]any{"p": problems[i%len(problems)], "id": noteID(prefix, i)})
			if len(res.Errors) > 0 {
				t.Errorf("write %d: %+v", i, res.Errors)
				return
			}
			n.Store(int64(i))
		}
	})
	return &wg
}

// noteID is the id of the i-th note a test writes: a UUID (v7 layout) whose
// first group names the test and last group counts, so ids sort in order.
func noteID(prefix string, i int) string {
	return fmt.Sprintf("%s-0000-7000-8000-%012d", prefix, i)
}

// checkCoherent checks what a restored (or migrated) database must hold
// after notes prefix-1 … were written one after another: a gap-free prefix
// of them (returned: how many), each problem's history reachable, dense
// change logs whose entries name documents at least as new, and a change
// sequence above every document's.
func checkCoherent(t *testing.T, db *mongo.Database, prefix string) int {
	t.Helper()
	ctx := context.Background()
	var notes []struct {
		ID        string `bson:"_id"`
		ProblemID string `bson:"problemId"`
	}
	cur, err := db.Collection(store.CollProgressNotes).Find(ctx, bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	if err := cur.All(ctx, &notes); err != nil {
		t.Fatal(err)
	}
	var ours []string
	problems := map[string]bool{}
	for _, n := range notes {
		problems[n.ProblemID] = true
		if strings.HasPrefix(n.ID, prefix+"-") && strings.HasSuffix(n.ID[:23], "-0000-7000-8000") {
			ours = append(ours, n.ID)
		}
	}
	slices.Sort(ours)
	for i, id := range ours {
		if want := noteID(prefix, i+1); id != want {
			t.Fatalf("note %d is %s, want %s: the snapshot holds a later write without an earlier one", i+1, id, want)
		}
	}
	for p := range problems {
		if err := db.Collection(store.CollProblems).FindOne(ctx, bson.D{{Key: "_id", Value: p}}).Err(); err != nil {
			t.Fatalf("notes name problem %s, which is missing: %v", p, err)
		}
	}

	// Every document's sequence, and the change log of each synced collection.
	maxSeq := int64(0)
	for _, coll := range []string{store.CollProblems, store.CollProgressNotes, store.CollVisits, store.CollEnterprises, store.CollPairings, store.CollOfficials} {
		seqs := map[string]int64{}
		cur, err := db.Collection(coll).Find(ctx, bson.D{})
		if err != nil {
			t.Fatal(err)
		}
		var docs []struct {
			ID  string `bson:"_id"`
			Seq int64  `bson:"seq"`
		}
		if err := cur.All(ctx, &docs); err != nil {
			t.Fatal(err)
		}
		for _, d := range docs {
			seqs[d.ID] = d.Seq
			maxSeq = max(maxSeq, d.Seq)
		}
		for n := int64(1); ; n++ {
			var e struct {
				Seq int64  `bson:"seq"`
				Doc string `bson:"doc"`
			}
			err := db.Collection("changeLog").FindOne(ctx, bson.D{{Key: "_id", Value: fmt.Sprintf("%s:%d", coll, n)}}).Decode(&e)
			if err == mongo.ErrNoDocuments {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if s, ok := seqs[e.Doc]; !ok || s < e.Seq {
				t.Fatalf("%s log entry %d names %s at sequence %d; the document is at %d (present: %v)", coll, n, e.Doc, e.Seq, s, ok)
			}
		}
	}
	var high struct {
		Seq int64 `bson:"_id"`
	}
	if err := db.Collection("changeSeqs").FindOne(ctx, bson.D{}, options.FindOne().SetSort(bson.D{{Key: "_id", Value: -1}})).Decode(&high); err != nil {
		t.Fatal(err)
	}
	if high.Seq < maxSeq {
		t.Fatalf("highest change sequence %d is below a document's %d: new writes would reuse sequences", high.Seq, maxSeq)
	}
	return len(ours)
}

// phoneProblems returns the problem ids an official's phone holds.
func phoneProblems(c *client.Client) []string {
	var ids []string
	for id := range c.Docs(client.Writable[0]) {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// TestBackupUnderWritesRestores takes a backup of the running embedded
// database while a goroutine keeps adding notes through the API, restores it
// into a new data directory and starts the program there: the snapshot holds
// a gap-free prefix of the writes with coherent change logs and sequences,
// the tokens issued before (keys and sessions restored) still work, and a
// phone's checkpoint from before the backup pulls on without a resync.
func TestBackupUnderWritesRestores(t *testing.T) {
	s := startServer(t)
	if !s.m.Config.Embedded() {
		t.Skip("backs up the embedded database")
	}
	phone := s.device("zhoushiyue", "phone")
	mustSync(t, phone)
	problems := phoneProblems(phone)
	if len(problems) == 0 {
		t.Fatal("the official's phone holds no problems")
	}

	stop := make(chan struct{})
	var n atomic.Int64
	wg := writeNotes(t, s, "zhoushiyue", "0000b0c0", problems, stop, &n)
	for n.Load() < 5 && !t.Failed() {
		time.Sleep(10 * time.Millisecond)
	}
	out := filepath.Join(t.TempDir(), "county.tar.gz")
	before := n.Load()
	m, err := datalife.Backup(context.Background(), s.m.Config.DataDir, out)
	if err != nil {
		close(stop)
		wg.Wait()
		t.Fatal(err)
	}
	atBackup := n.Load()
	for n.Load() < atBackup+3 && !t.Failed() {
		time.Sleep(10 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	// This phone syncs after the backup: it holds writes the restore loses.
	late := s.device("zhoushiyue", "late-phone")
	mustSync(t, late)
	if !slices.Contains(m.Secrets, "jwt-ed25519.json") {
		t.Fatalf("the backup lacks the JWT keys: %+v", m)
	}
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v, mode %v; want 0600 (it holds secrets)", err, fi.Mode())
	}

	dir := t.TempDir()
	// A non-empty data directory is refused without force; the running
	// server's is refused even with it (its lock).
	if _, err := datalife.Restore(context.Background(), out, s.m.Config.DataDir, true); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("restore into the running server's data directory: %v, want refused as in use", err)
	}
	if _, err := datalife.Restore(context.Background(), out, dir, false); err != nil {
		t.Fatal(err)
	}
	if _, err := datalife.Restore(context.Background(), out, dir, false); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("second restore without force: %v, want refused", err)
	}
	if _, err := datalife.Restore(context.Background(), out, dir, true); err != nil {
		t.Fatalf("restore --force: %v", err)
	}

	r := startOn(t, dir, s.m.Config.DBName, "")
	got := checkCoherent(t, rawDB(t, r.m.embedded.URI(), r.m.Config.DBName), "0000b0c0")
	// A write acknowledged before the backup began is in it; one in flight
	// when it ended may be.
	if int64(got) < before || int64(got) > atBackup+1 {
		t.Fatalf("the snapshot holds %d notes; %d were acknowledged when it began, %d when it ended", got, before, atBackup)
	}

	// The phone, with its pre-backup checkpoints and token, pulls on.
	phone.T = &client.HTTP{URL: r.url + "/graphql", Token: s.token("zhoushiyue")}
	if err := phone.Pull(context.Background(), "progressNotes"); err != nil {
		t.Fatalf("pull from a checkpoint of before the backup: %v", err)
	}
	for i := 1; i <= got; i++ {
		if _, ok := phone.Doc("progressNotes", noteID("0000b0c0", i)); !ok {
			t.Fatalf("the phone did not receive note %d of %d", i, got)
		}
	}
	// New writes continue the sequence.
	res := r.as("zhoushiyue", `mutation($p:ID!){addProgressNote(problemId:$p,text:"after restore"){id}}`, map[string]any{"p": problems[0]})
	if len(res.Errors) > 0 {
		t.Fatal(res.Errors)
	}
	checkCoherent(t, rawDB(t, r.m.embedded.URI(), r.m.Config.DBName), "0000b0c0")

	// The phone that synced after the backup is told its checkpoint is ahead
	// of the restored history (even now that a new write took a number it
	// had seen), and after starting over it holds none of the lost writes.
	late.T = &client.HTTP{URL: r.url + "/graphql", Token: s.token("zhoushiyue")}
	for _, coll := range []string{"problems", "progressNotes"} {
		if _, err := late.T.Pull(context.Background(), coll, late.S.Checkpoint(coll), 100); !client.Expired(err) {
			t.Fatalf("pull %s from a checkpoint newer than the backup: %v, want CHECKPOINT_EXPIRED", coll, err)
		}
	}
	mustSync(t, late)
	for i := 1; i <= int(n.Load()); i++ {
		if d, ok := late.Doc("progressNotes", noteID("0000b0c0", i)); (i <= got) != (ok && d["deleted"] != true) {
			t.Fatalf("after the resync, note %d (of %d restored) on the late phone: %v", i, got, ok)
		}
	}
}

// TestMigrateToMongoDB moves a county's embedded database into another
// engine over the MongoDB protocol (a second embedded FerretDB stands in for
// MongoDB, which this machine lacks), refuses to overwrite it unless forced,
// and starts the program on it with MONGODB_URI: the data is coherent, old
// tokens work, and a phone's checkpoint from before the move pulls the
// changes made since without a resync.
func TestMigrateToMongoDB(t *testing.T) {
	cfg := restartConfig(t)
	m := &Main{Config: cfg}
	if err := m.Run(context.Background()); err != nil {
		m.Close()
		t.Fatal(err)
	}
	s := &testServer{t: t, m: m, url: "http://" + m.Addr(), tokens: map[string]string{}}
	phone := s.device("zhoushiyue", "phone")
	mustSync(t, phone)
	problems := phoneProblems(phone)
	for i := 1; i <= 3; i++ {
		res := s.as("zhoushiyue", `mutation($p:ID!,$id:ID){addProgressNote(problemId:$p,text:"before the move",id:$id){id}}`,
			map[string]any{"p": problems[0], "id": noteID("00000316", i)})
		if len(res.Errors) > 0 {
			t.Fatal(res.Errors)
		}
	}
	// migrate needs the data directory to itself.
	opts := datalife.MigrateOptions{DataDir: cfg.DataDir, DB: cfg.DBName}
	target := embedded.MustStart(t)
	opts.To = target.URI()
	if _, err := datalife.Migrate(context.Background(), opts); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("migrate while the server runs: %v, want refused", err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}

	reports, err := datalife.Migrate(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]datalife.CollectionReport{}
	for _, r := range reports {
		byName[r.Name] = r
	}
	for _, coll := range []string{store.CollProblems, store.CollProgressNotes, store.CollUsers, "changeLog", "changeSeqs", "sessions"} {
		if byName[coll].Docs == 0 {
			t.Errorf("%s: nothing copied (%+v)", coll, byName[coll])
		}
	}
	if byName[store.CollProblems].SyncHash == "" || byName[store.CollUsers].Indexes == 0 {
		t.Errorf("problems' sync checksum or users' indexes missing: %+v %+v", byName[store.CollProblems], byName[store.CollUsers])
	}
	if _, err := datalife.Migrate(context.Background(), opts); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("migrate into a non-empty target: %v, want refused", err)
	}
	opts.Force = true
	if _, err := datalife.Migrate(context.Background(), opts); err != nil {
		t.Fatalf("migrate --force: %v", err)
	}

	r := startOn(t, cfg.DataDir, cfg.DBName, target.URI())
	checkCoherent(t, rawDB(t, target.URI(), cfg.DBName), "00000316")
	phone.T = &client.HTTP{URL: r.url + "/graphql", Token: s.token("zhoushiyue")}
	for _, coll := range []string{store.CollProblems, store.CollProgressNotes} {
		res, err := phone.T.Pull(context.Background(), coll, phone.S.Checkpoint(coll), 100)
		if err != nil {
			t.Fatalf("pull %s from a checkpoint of before the move: %v", coll, err)
		}
		if res.Resync {
			t.Fatalf("pull %s after the move asks for a resync", coll)
		}
		phone.Apply(coll, res)
	}
	for i := 1; i <= 3; i++ {
		if _, ok := phone.Doc(store.CollProgressNotes, noteID("00000316", i)); !ok {
			t.Fatalf("note %d written before the move did not reach the phone", i)
		}
	}
}
