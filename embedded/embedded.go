// Package embedded runs FerretDB (SQLite backend) inside the process so that
// Lianqi works with no MongoDB installed; the rest of the program talks to it
// with the ordinary MongoDB driver, exactly as to a real MongoDB.
package embedded

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/FerretDB/FerretDB/ferretdb"
)

// subdir is the directory under Options.Dir that holds the SQLite files.
const subdir = "ferretdb"

const (
	// sockDir is the owner-only directory under Options.Dir that holds the
	// engine's socket.
	sockDir  = "run"
	sockName = "ferretdb.sock"
	// maxSockPath is the longest socket path used. The kernel limits it
	// (sun_path: 108 bytes on Linux, 104 on macOS and the BSDs, counting the
	// terminating NUL); a data directory whose socket path would be longer
	// gets its socket in a private temporary directory instead.
	maxSockPath = 100
)

// Options configures an embedded FerretDB.
type Options struct {
	// Dir is the data directory; the SQLite files go in Dir/ferretdb, which is
	// created (mode 0700) if missing. Dir is locked (Dir/lianqi.lock) while
	// the server runs.
	Dir string

	// Logger is the parent logger; nil means slog.Default(). FerretDB gets a
	// logger derived from it that passes ERROR and above only, with the
	// attribute component=ferretdb.
	Logger *slog.Logger
}

// Server is a running embedded FerretDB.
type Server struct {
	uri    string
	dir    string // the absolute directory of the SQLite files
	socket string // the absolute path of the Unix socket
	tmpDir string // the temporary directory holding the socket, if not under Dir

	lock *dirLock

	cancel context.CancelFunc
	done   chan struct{} // closed when the Run goroutine has returned
	runErr error         // set by the Run goroutine before done is closed

	closeOnce sync.Once
	closeErr  error
}

// newMu serializes ferretdb.New: it writes a package-level variable
// (version.Get().Package) without synchronization.
var newMu sync.Mutex

// Start locks opts.Dir, then starts FerretDB with the SQLite backend in
// opts.Dir/ferretdb, listening only on a Unix socket that no other user can
// reach (opts.Dir/run/ferretdb.sock, or a private temporary directory when
// that path is too long for a socket), and returns once it accepts
// connections at URI. There is no TCP listener: FerretDB has no
// authentication, so whoever can connect can read and rewrite everything.
//
// If another process holds the data directory's lock, Start fails with a
// *LockedError (errors.Is(err, ErrLocked)) naming it.
//
// ctx bounds start-up only: cancelling it after Start has returned has no
// effect; stop the server with Close.
func Start(ctx context.Context, opts Options) (_ *Server, err error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("embedded: start: %w", err)
	}
	if opts.Dir == "" {
		return nil, errors.New("embedded: start: Options.Dir is empty")
	}

	root, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("embedded: start: %w", err)
	}
	dir := filepath.Join(root, subdir)
	// FerretDB puts the directory in a file: URI without escaping it and
	// SQLite decodes %XX escapes in it, so these characters cannot be used.
	if strings.ContainsAny(dir, "?#%") {
		return nil, fmt.Errorf("embedded: start: data directory %q must not contain '?', '#' or '%%'", dir)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("embedded: start: create data directory: %w", err)
	}

	// The lock comes before anything that touches the files: a second server
	// must not even remove the first one's socket.
	lock, err := lockDir(root)
	if err != nil {
		return nil, fmt.Errorf("embedded: start: %w", err)
	}
	s := &Server{dir: dir, lock: lock, done: make(chan struct{})}
	defer func() {
		if err != nil {
			s.cleanup()
		}
	}()

	if s.socket, s.tmpDir, err = prepareSocket(root); err != nil {
		return nil, fmt.Errorf("embedded: start: %w", err)
	}

	parent := opts.Logger
	if parent == nil {
		parent = slog.Default()
	}
	logger := slog.New(errorOnly{parent.Handler()}).With(slog.String("component", "ferretdb"))

	newMu.Lock()
	f, err := ferretdb.New(&ferretdb.Config{
		Listener: ferretdb.ListenerConfig{
			Unix: s.socket, // and no TCP
		},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: "file:" + filepath.ToSlash(dir) + "/?_pragma=synchronous(normal)",
	})
	newMu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("embedded: start FerretDB in %s: %w", dir, err)
	}
	// The directory (0700) is what keeps other users out; the socket's own
	// mode (0777 less the umask when bound) is narrowed too, for a directory
	// that someone loosens later.
	if err := os.Chmod(s.socket, 0o600); err != nil {
		_ = f.Run(canceled()) // closes the listener and the backend
		return nil, fmt.Errorf("embedded: start: %w", err)
	}

	// ferretdb.New has already bound the listener (clientconn.Listen calls
	// net.Listen and only then returns), so the kernel queues connections
	// until Run's accept loop picks them up. FerretDB's own MongoDBURI puts
	// the path unescaped in the host, which drivers do not parse.
	s.uri = socketURI(s.socket)

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

// canceled returns a context that is already cancelled.
func canceled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

// socketURI is the mongodb:// URI of a Unix socket: the path, %-encoded
// with its slashes, is the host (drivers require it to end in ".sock").
func socketURI(path string) string {
	return "mongodb://" + strings.ReplaceAll(url.PathEscape(path), "/", "%2F") + "/"
}

// prepareSocket returns the path for the engine's socket in a directory only
// this user can enter: root/run if the path fits in maxSockPath, otherwise a
// new private temporary directory (returned as tmpDir, to be removed on
// close). A socket left there by a process that died without closing it is
// removed: the caller holds the data directory's lock, so nobody serves it.
func prepareSocket(root string) (path, tmpDir string, err error) {
	dir := filepath.Join(root, sockDir)
	if len(filepath.Join(dir, sockName)) > maxSockPath {
		// MkdirTemp creates the directory 0700 under a fresh random name, so
		// nobody can have prepared it.
		if dir, err = os.MkdirTemp("", "lianqi-"); err != nil {
			return "", "", fmt.Errorf("socket directory: %w", err)
		}
		tmpDir = dir
		if p := filepath.Join(dir, sockName); len(p) > maxSockPath {
			_ = os.RemoveAll(dir)
			return "", "", fmt.Errorf("socket path %s is longer than %d bytes, even in the temporary directory: use a shorter data directory or TMPDIR", p, maxSockPath)
		}
	} else if err := privateDir(dir); err != nil {
		return "", "", err
	}
	path = filepath.Join(dir, sockName)
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		if tmpDir != "" {
			_ = os.RemoveAll(tmpDir)
		}
		return "", "", fmt.Errorf("remove stale socket: %w", err)
	}
	return path, tmpDir, nil
}

// privateDir makes dir exist as a real directory of this user with mode
// 0700, refusing a symlink or another user's directory in its place.
func privateDir(dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("socket directory: %w", err)
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("socket directory: %w", err)
	}
	if !fi.IsDir() || !ownedByMe(fi) {
		return fmt.Errorf("socket directory %s is not a directory of this user: remove it", dir)
	}
	if fi.Mode().Perm() != 0o700 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("socket directory: %w", err)
		}
	}
	return nil
}

// URI returns the mongodb:// URI to connect to.
func (s *Server) URI() string {
	return s.uri
}

// Socket returns the path of the Unix socket FerretDB listens on.
func (s *Server) Socket() string {
	return s.socket
}

// Close stops FerretDB, waits for its goroutine to end, and releases the
// data directory. Connections still open are given up to 3 seconds to finish
// (FerretDB's own grace period), so disconnect clients first. Close is
// idempotent and safe for concurrent use.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.cancel()
		<-s.done
		var errs []error
		if s.runErr != nil {
			errs = append(errs, fmt.Errorf("embedded: FerretDB: %w", s.runErr))
		}
		if err := s.cleanup(); err != nil {
			errs = append(errs, fmt.Errorf("embedded: close: %w", err))
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// cleanup removes a temporary socket directory and releases the lock, last,
// once nothing of this server uses the files any more.
func (s *Server) cleanup() error {
	var errs []error
	if s.tmpDir != "" {
		if err := os.RemoveAll(s.tmpDir); err != nil {
			errs = append(errs, err)
		}
	}
	if err := s.lock.release(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
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
