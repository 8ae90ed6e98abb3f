// Package nodetest prepares the Node.js end-to-end suites under e2e/ for Go
// tests that run them against the real server. The Go test is the entry point so
// that `go test ./...` alone runs everything, on a developer's machine as in CI.
package nodetest

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

var installMu sync.Mutex

// Install returns the node binary after making sure the suite in dir has its
// npm packages (running `npm ci` when node_modules lacks the marker package).
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
	if _, err := os.Stat(filepath.Join(dir, "node_modules", marker)); err == nil {
		return node
	}
	cmd := exec.Command(npm, "ci", "--no-audit", "--no-fund")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm ci in %s: %v\n%s", dir, err, out)
	}
	return node
}
