package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/lianqi/lianqi/e2e/nodetest"
)

// TestRxDB runs the RxDB end-to-end test (e2e/rxdb, node's test runner) against
// this server; nodetest installs its npm packages on first use.
func TestRxDB(t *testing.T) {
	dir, _ := filepath.Abs("../e2e/rxdb")
	node := nodetest.Install(t, dir, "rxdb")
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
