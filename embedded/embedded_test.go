package embedded

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// connect connects to s and pings it; the client is disconnected on cleanup
// (before a server started earlier in the test is closed).
func connect(t *testing.T, s *Server) *mongo.Client {
	t.Helper()
	c, err := mongo.Connect(options.Client().ApplyURI(s.URI()))
	if err != nil {
		t.Fatalf("connect %s: %v", s.URI(), err)
	}
	t.Cleanup(func() { _ = c.Disconnect(context.Background()) })

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Ping(ctx, nil); err != nil {
		t.Fatalf("ping %s: %v", s.URI(), err)
	}
	return c
}

func TestStartCRUDRestart(t *testing.T) {
	dir := t.TempDir()
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx := context.Background()

	t0 := time.Now()
	s, err := Start(ctx, Options{Dir: dir, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Start took %v (fresh directory)", time.Since(t0))

	sock := filepath.Join(dir, "run", "ferretdb.sock")
	if want := "mongodb://" + strings.ReplaceAll(sock, "/", "%2F") + "/"; s.URI() != want || s.Socket() != sock {
		t.Fatalf("URI, Socket = %q, %q; want %q, %q", s.URI(), s.Socket(), want, sock)
	}

	fi, err := os.Stat(filepath.Join(dir, "ferretdb"))
	if err != nil {
		t.Fatal(err)
	}
	if !fi.IsDir() || fi.Mode().Perm() != 0o700 {
		t.Errorf("ferretdb dir mode = %v, want directory 0700", fi.Mode())
	}

	c := connect(t, s)
	coll := c.Database("lianqi_test").Collection("things")
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: "a"}, {Key: "n", Value: 42}}); err != nil {
		t.Fatalf("insert: %v", err)
	}
	if _, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: "a"}}, bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: 1}}}}); err != nil {
		t.Fatalf("update: %v", err)
	}
	var got struct {
		ID string `bson:"_id"`
		N  int    `bson:"n"`
	}
	if err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: "a"}}).Decode(&got); err != nil {
		t.Fatalf("find: %v", err)
	}
	if got.ID != "a" || got.N != 43 {
		t.Fatalf("found %+v, want {a 43}", got)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "ferretdb", "lianqi_test.sqlite")); len(m) != 1 {
		t.Errorf("no SQLite file for the database in %s", filepath.Join(dir, "ferretdb"))
	}
	if err := c.Disconnect(ctx); err != nil {
		t.Fatalf("disconnect: %v", err)
	}

	t0 = time.Now()
	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	t.Logf("Close took %v", time.Since(t0))

	// FerretDB logs plenty at INFO/WARN (connections, endSessions on
	// disconnect); none of it may get through.
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		if line != "" && !strings.Contains(line, "level=ERROR") {
			t.Errorf("non-error log line got through: %s", line)
		}
	}

	// The data survives a restart on the same directory.
	t0 = time.Now()
	s2, err := Start(ctx, Options{Dir: dir, Logger: logger})
	if err != nil {
		t.Fatalf("restart: %v", err)
	}
	t.Logf("Start took %v (existing directory)", time.Since(t0))
	t.Cleanup(func() {
		if err := s2.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	c2 := connect(t, s2)
	got.N = 0
	err = c2.Database("lianqi_test").Collection("things").FindOne(ctx, bson.D{{Key: "_id", Value: "a"}}).Decode(&got)
	if err != nil {
		t.Fatalf("find after restart: %v", err)
	}
	if got.ID != "a" || got.N != 43 {
		t.Fatalf("found %+v after restart, want {a 43}", got)
	}
}

func TestCloseIdempotent(t *testing.T) {
	s, err := Start(context.Background(), Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			if err := s.Close(); err != nil {
				t.Errorf("close: %v", err)
			}
		})
	}
	wg.Wait()
	if err := s.Close(); err != nil {
		t.Errorf("close again: %v", err)
	}
}

func TestStartErrors(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()

	tests := []struct {
		name string
		ctx  context.Context
		opts func(t *testing.T) Options
		want string
	}{
		{
			name: "empty dir",
			ctx:  context.Background(),
			opts: func(t *testing.T) Options { return Options{} },
			want: "Dir is empty",
		},
		{
			name: "cancelled context",
			ctx:  cancelled,
			opts: func(t *testing.T) Options { return Options{Dir: t.TempDir()} },
			want: context.Canceled.Error(),
		},
		{
			name: "unusable character in dir",
			ctx:  context.Background(),
			opts: func(t *testing.T) Options { return Options{Dir: filepath.Join(t.TempDir(), "a?b")} },
			want: "must not contain",
		},
		{
			name: "dir is a file",
			ctx:  context.Background(),
			opts: func(t *testing.T) Options {
				f := filepath.Join(t.TempDir(), "file")
				if err := os.WriteFile(f, nil, 0o600); err != nil {
					t.Fatal(err)
				}
				return Options{Dir: f}
			},
			want: "create data directory",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Start(tt.ctx, tt.opts(t))
			if err == nil {
				_ = s.Close()
				t.Fatalf("Start succeeded, want error containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Start error = %q, want it to contain %q", err, tt.want)
			}
		})
	}
	if _, err := Start(cancelled, Options{Dir: t.TempDir()}); !errors.Is(err, context.Canceled) {
		t.Errorf("Start with cancelled ctx: error %v does not wrap context.Canceled", err)
	}
}

func TestErrorOnlyLogger(t *testing.T) {
	var buf bytes.Buffer
	parent := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	l := slog.New(errorOnly{parent.Handler()}).With(slog.String("component", "ferretdb")).With("x", 1)

	l.Info("info")
	l.Warn("warn")
	l.Log(context.Background(), slog.LevelError+1, "dpanic")
	l.Error("boom")

	out := buf.String()
	for _, s := range []string{"info", "warn"} {
		if strings.Contains(out, "msg="+s) {
			t.Errorf("%s record got through: %s", s, out)
		}
	}
	for _, s := range []string{"msg=dpanic", "msg=boom", "component=ferretdb", "x=1"} {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q: %s", s, out)
		}
	}
}

func TestMustStart(t *testing.T) {
	for _, name := range []string{"plain", "100%#?odd"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := MustStart(t)
			c := connect(t, s)
			coll := c.Database("db").Collection("c")
			if _, err := coll.InsertOne(context.Background(), bson.D{{Key: "k", Value: name}}); err != nil {
				t.Fatalf("insert: %v", err)
			}
			n, err := coll.CountDocuments(context.Background(), bson.D{})
			if err != nil || n != 1 {
				t.Fatalf("count = %d, %v; want 1", n, err)
			}
		})
	}
}
