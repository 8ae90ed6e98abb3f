package embedded

import (
	"fmt"
	"os"
	"path/filepath"
)

// SQLiteDir returns the directory under the data directory dataDir that holds
// the SQLite files (one <database>.sqlite per database), for tools that read
// or replace them (lianqi backup and restore).
func SQLiteDir(dataDir string) string {
	return filepath.Join(dataDir, subdir)
}

// Lock takes the data directory's lock exactly as a starting server does,
// creating the directory (0700) if missing, so that a tool which rewrites the
// files (lianqi restore) cannot run beside a server, nor a server start while
// it runs. It fails with a *LockedError when a server holds it.
func Lock(dataDir string) (release func() error, err error) {
	root, err := filepath.Abs(dataDir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	l, err := lockDir(root)
	if err != nil {
		return nil, err
	}
	return l.release, nil
}
