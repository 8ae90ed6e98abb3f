package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestRxDB runs the RxDB end-to-end test (e2e/rxdb, node's test runner) against
// this server. It needs node and the packages `npm ci` installs there; .ci/run
// does both. Without them the test is skipped, unless LIANQI_E2E_RXDB=1 demands it.
func TestRxDB(t *testing.T) {
	dir, _ := filepath.Abs("../e2e/rxdb")
	node, err := exec.LookPath("node")
	_, modErr := os.Stat(filepath.Join(dir, "node_modules", "rxdb"))
	if err != nil || modErr != nil {
		if os.Getenv("LIANQI_E2E_RXDB") == "1" {
			t.Fatalf("RxDB e2e demanded but not installed (node: %v, packages: %v): run npm ci in e2e/rxdb", err, modErr)
		}
		t.Skip("node or e2e/rxdb/node_modules missing: run `npm ci` in e2e/rxdb")
	}
	s := startServer(t)
	cmd := exec.Command(node, "--test", "--test-reporter=spec", "problems.test.js")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"LIANQI_URL="+s.url+"/graphql",
		"LIANQI_TOKEN_OFFICIAL="+s.token("zhoushiyue"),
		"LIANQI_TOKEN_LEADER="+s.token("maojianguo"),
		"LIANQI_TOKEN_ADMIN="+s.token("admin"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node --test: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}
