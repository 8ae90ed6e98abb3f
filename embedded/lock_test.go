package embedded

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// holdEnv makes the test binary, run as a child, start a server on the data
// directory it names and wait to be killed (see TestHelperHold).
const holdEnv = "LIANQI_TEST_HOLD_DIR"

// TestHelperHold is not a test: it is the child process of
// TestLockReleasedByCrash.
func TestHelperHold(t *testing.T) {
	dir := os.Getenv(holdEnv)
	if dir == "" {
		t.Skip("helper process only")
	}
	if _, err := Start(context.Background(), Options{Dir: dir}); err != nil {
		fmt.Printf("START-ERR %v\n", err)
		os.Exit(1)
	}
	fmt.Println("READY")
	time.Sleep(time.Hour)
}

func TestLockRefusesSecondServer(t *testing.T) {
	dir := t.TempDir()
	s1, err := Start(context.Background(), Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s1.Close() })
	c := connect(t, s1)

	s2, err := Start(context.Background(), Options{Dir: dir})
	if err == nil {
		s2.Close()
		t.Fatal("a second server started on a locked data directory")
	}
	var le *LockedError
	if !errors.As(err, &le) || !errors.Is(err, ErrLocked) {
		t.Fatalf("error %v (%T) is not a *LockedError", err, err)
	}
	host, _ := os.Hostname()
	if le.Holder.PID != os.Getpid() || le.Holder.Host != host || time.Since(le.Holder.Started) > time.Minute {
		t.Errorf("holder = %+v, want this process on %s, started just now", le.Holder, host)
	}
	for _, want := range []string{dir, "in use by another Lianqi server", fmt.Sprintf("pid %d on host %s, started ", os.Getpid(), host)} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	// The refused server touched nothing: the first one still serves.
	if err := c.Ping(context.Background(), nil); err != nil {
		t.Fatalf("first server after a refused second: %v", err)
	}
	if err := c.Disconnect(context.Background()); err != nil {
		t.Fatal(err)
	}

	if err := s1.Close(); err != nil {
		t.Fatal(err)
	}
	s3, err := Start(context.Background(), Options{Dir: dir})
	if err != nil {
		t.Fatalf("start after the holder closed: %v", err)
	}
	t.Cleanup(func() { _ = s3.Close() })
	connect(t, s3) // its cleanup disconnects before the Close above
}

// TestLockReleasedByCrash: a holder killed with SIGKILL leaves its lock file
// and its socket behind, and neither blocks the next server.
func TestLockReleasedByCrash(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no flock")
	}
	dir := t.TempDir()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^TestHelperHold$")
	cmd.Env = append(os.Environ(), holdEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "READY" {
		t.Fatalf("child: %q, %v", line, err)
	}

	_, err = Start(context.Background(), Options{Dir: dir})
	var le *LockedError
	if !errors.As(err, &le) || le.Holder.PID != cmd.Process.Pid {
		t.Fatalf("start beside a live child: %v; want the child (pid %d) named as holder", err, cmd.Process.Pid)
	}

	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no cleanup runs
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if _, err := os.Lstat(filepath.Join(dir, "run", "ferretdb.sock")); err != nil {
		t.Fatalf("the killed child left no socket, the test proves less than it says: %v", err)
	}

	s, err := Start(context.Background(), Options{Dir: dir})
	if err != nil {
		t.Fatalf("start after the holder was killed: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	connect(t, s)
	if h := readHolder(filepath.Join(dir, LockFile)); h.PID != os.Getpid() {
		t.Errorf("lock file names %+v, want this process", h)
	}
}
