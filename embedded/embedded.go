// Package embedded runs FerretDB (SQLite backend) inside the process so that
// Lianqi works with no MongoDB installed; the rest of the program talks to it
// with the ordinary MongoDB driver, exactly as to a real MongoDB.
package embedded

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/FerretDB/FerretDB/ferretdb"
)

// subdir is the directory under Options.Dir that holds the SQLite files.
const subdir = "ferretdb"

// Options configures an embedded FerretDB.
type Options struct {
	// Dir is the data directory; the SQLite files go in Dir/ferretdb, which is
	// created (mode 0700) if missing.
	Dir string

	// Logger is the parent logger; nil means slog.Default(). FerretDB gets a
	// logger derived from it that passes ERROR and above only, with the
	// attribute component=ferretdb.
	Logger *slog.Logger
}

// Server is a running embedded FerretDB.
type Server struct {
	uri string
	dir string // the absolute directory of the SQLite files

	cancel context.CancelFunc
	done   chan struct{} // closed when the Run goroutine has returned
	runErr error         // set by the Run goroutine before done is closed

	closeOnce sync.Once
}

// newMu serializes ferretdb.New: it writes a package-level variable
// (version.Get().Package) without synchronization.
var newMu sync.Mutex

// Start starts FerretDB listening on a free loopback port (127.0.0.1 only)
// with the SQLite backend in opts.Dir/ferretdb, and returns once it accepts
// connections at URI.
//
// ctx bounds start-up only: cancelling it after Start has returned has no
// effect; stop the server with Close.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("embedded: start: %w", err)
	}
	if opts.Dir == "" {
		return nil, errors.New("embedded: start: Options.Dir is empty")
	}

	dir, err := filepath.Abs(filepath.Join(opts.Dir, subdir))
	if err != nil {
		return nil, fmt.Errorf("embedded: start: %w", err)
	}
	// FerretDB puts the directory in a file: URI without escaping it and
	// SQLite decodes %XX escapes in it, so these characters cannot be used.
	if strings.ContainsAny(dir, "?#%") {
		return nil, fmt.Errorf("embedded: start: data directory %q must not contain '?', '#' or '%%'", dir)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("embedded: start: create data directory: %w", err)
	}

	parent := opts.Logger
	if parent == nil {
		parent = slog.Default()
	}
	logger := slog.New(errorOnly{parent.Handler()}).With(slog.String("component", "ferretdb"))

	newMu.Lock()
	f, err := ferretdb.New(&ferretdb.Config{
		Listener: ferretdb.ListenerConfig{
			TCP: "127.0.0.1:0",
		},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: "file:" + filepath.ToSlash(dir) + "/?_pragma=synchronous(normal)",
	})
	newMu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("embedded: start FerretDB in %s: %w", dir, err)
	}

	// ferretdb.New has already bound the TCP listener (clientconn.Listen calls
	// net.Listen and only then returns), so MongoDBURI does not block here and
	// the kernel queues connections until Run's accept loop picks them up.
	s := &Server{
		uri:  f.MongoDBURI(),
		dir:  dir,
		done: make(chan struct{}),
	}

	// The server lives until Close, not until ctx is cancelled; keep ctx's
	// values only.
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancel = cancel

	go func() {
		defer close(s.done)
		s.runErr = f.Run(runCtx)
	}()

	if err := ctx.Err(); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("embedded: start: %w", err)
	}

	return s, nil
}

// URI returns the mongodb:// URI to connect to.
func (s *Server) URI() string {
	return s.uri
}

// Close stops FerretDB and waits for its goroutine to end. Connections still
// open are given up to 3 seconds to finish (FerretDB's own grace period), so
// disconnect clients first. Close is idempotent and safe for concurrent use.
func (s *Server) Close() error {
	s.closeOnce.Do(s.cancel)
	<-s.done
	if s.runErr != nil {
		return fmt.Errorf("embedded: FerretDB: %w", s.runErr)
	}
	return nil
}

// errorOnly wraps a slog.Handler to pass records at slog.LevelError and
// above only.
type errorOnly struct {
	h slog.Handler
}

func (e errorOnly) Enabled(ctx context.Context, level slog.Level) bool {
	return level >= slog.LevelError && e.h.Enabled(ctx, level)
}

func (e errorOnly) Handle(ctx context.Context, r slog.Record) error {
	if r.Level < slog.LevelError {
		return nil
	}
	return e.h.Handle(ctx, r)
}

func (e errorOnly) WithAttrs(attrs []slog.Attr) slog.Handler {
	return errorOnly{e.h.WithAttrs(attrs)}
}

func (e errorOnly) WithGroup(name string) slog.Handler {
	return errorOnly{e.h.WithGroup(name)}
}
