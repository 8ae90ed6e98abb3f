package embedded

import (
	"context"
	"os"
	"strings"
	"testing"
)

// MustStart starts an embedded FerretDB in a fresh temporary directory for
// the test (never an in-memory SQLite database: those hang updates), and
// stops it when the test and its subtests have finished. It fails the test
// immediately if FerretDB does not start.
//
// Register cleanups that disconnect clients after calling MustStart, so that
// they run before the server is closed.
func MustStart(tb testing.TB) *Server {
	tb.Helper()

	dir := tb.TempDir()
	if strings.ContainsAny(dir, "?#%") {
		// The test name ends up in TempDir's path and may contain characters
		// that FerretDB cannot use in its SQLite URI.
		var err error
		if dir, err = os.MkdirTemp("", "embeddedtest-"); err != nil {
			tb.Fatalf("embedded.MustStart: %v", err)
		}
		tb.Cleanup(func() { _ = os.RemoveAll(dir) })
	}

	s, err := Start(context.Background(), Options{Dir: dir})
	if err != nil {
		tb.Fatalf("embedded.MustStart: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("embedded.MustStart: close: %v", err)
		}
	})
	return s
}
