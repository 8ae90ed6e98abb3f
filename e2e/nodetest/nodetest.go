// Package nodetest prepares the Node.js end-to-end suites under e2e/ for Go
// tests that run them against the real server. The Go test is the entry point so
// that `go test ./...` alone runs everything, on a developer's machine as in CI.
package nodetest

import (
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var installMu sync.Mutex

// Install returns the node binary after making sure the suite in dir has its
// npm packages (running `npm ci` when node_modules lacks the marker package,
// or when a package the suite takes from this repository, a "file:"
// dependency copied in by npm, changed after the last install).
// Without node the test is skipped, except under CI (CI set in the
// environment), where a missing toolchain must fail the run rather than pass
// it silently.
func Install(t testing.TB, dir, marker string) string {
	t.Helper()
	node, nodeErr := exec.LookPath("node")
	npm, npmErr := exec.LookPath("npm")
	if nodeErr != nil || npmErr != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("node and npm are required in CI for %s", dir)
		}
		t.Skipf("node/npm not installed: the end-to-end suite %s needs Node.js 20+", dir)
	}
	installMu.Lock()
	defer installMu.Unlock()
	if _, err := os.Stat(filepath.Join(dir, "node_modules", marker)); err == nil && !stale(dir) {
		return node
	}
	cmd := exec.Command(npm, "ci", "--no-audit", "--no-fund")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm ci in %s: %v\n%s", dir, err, out)
	}
	return node
}

// stale reports whether a local package the suite depends on ("file:…") has a
// file newer than the suite's last install: npm copied it then, so the copy
// would test old code.
func stale(dir string) bool {
	stamp, err := os.Stat(filepath.Join(dir, "node_modules", ".package-lock.json"))
	if err != nil {
		return true
	}
	b, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		return true
	}
	var pkg struct{ Dependencies map[string]string }
	if json.Unmarshal(b, &pkg) != nil {
		return true
	}
	for _, v := range pkg.Dependencies {
		local, ok := strings.CutPrefix(v, "file:")
		if !ok {
			continue
		}
		if newest(filepath.Join(dir, local)).After(stamp.ModTime()) {
			return true
		}
	}
	return false
}

func newest(root string) time.Time {
	var t time.Time
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() && (d.Name() == "node_modules" || d.Name() == "test" || d.Name() == "gen") {
			return filepath.SkipDir
		}
		if info, err := d.Info(); err == nil && !d.IsDir() && info.ModTime().After(t) {
			t = info.ModTime()
		}
		return nil
	})
	return t
}
