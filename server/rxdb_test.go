package main

import (
	"path/filepath"
	"testing"

	"github.com/lianqi/lianqi/e2e/nodetest"
)

// TestRxDBClient runs the tests of the RxDB package (clients/rxdb, node's test
// runner) against this server; nodetest installs its npm packages on first use.
func TestRxDBClient(t *testing.T) {
	dir, _ := filepath.Abs("../clients/rxdb")
	node := nodetest.Install(t, dir, "rxdb")
	h := startNodeHarness(t)
	files, _ := filepath.Glob(filepath.Join(dir, "test", "*.test.js"))
	h.run(node, dir, nil, files...)
}

// TestRxDB runs the RxDB end-to-end suite (e2e/rxdb): three phones, each an
// RxDB database replicated with @lianqi/rxdb, through restarts and scope
// changes; the suite restarts this server through the harness's control
// endpoint.
func TestRxDB(t *testing.T) {
	dir, _ := filepath.Abs("../e2e/rxdb")
	node := nodetest.Install(t, dir, "rxdb")
	h := startNodeHarness(t)
	h.run(node, dir, nil, "problems.test.js", "scenarios.test.js")
}
