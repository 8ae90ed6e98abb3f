package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lianqi/lianqi/domain"
)

// lockedBuffer collects a server's log lines from its many goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// runMain parses args and env as the command does (on the embedded engine,
// port 0, logging everything down to debug into the returned buffer) and runs
// Main. It returns Run's error; a started server is closed on cleanup.
func runMain(t *testing.T, args []string, env map[string]string) (*testServer, *lockedBuffer, error) {
	t.Helper()
	cfg, err := ParseConfig(append([]string{"--addr=127.0.0.1:0", "--log-level=debug"}, args...), envOf(env))
	if err != nil {
		t.Fatal(err)
	}
	cfg.RateAPI, cfg.RateLogin = 1_000_000, 1_000_000
	logs := &lockedBuffer{}
	m := &Main{Config: cfg, Log: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	if err := m.Run(context.Background()); err != nil {
		if cerr := m.Close(); cerr != nil {
			t.Errorf("close after a failed start: %v", cerr)
		}
		return nil, logs, err
	}
	stop := sync.OnceValue(m.Close)
	mainStops.Store(m, stop)
	t.Cleanup(func() { _ = stop() })
	s := &testServer{t: t, m: m, url: "http://" + m.Addr(), tokens: map[string]string{}}
	return s, logs, nil
}

// mainStops holds, for each Main started by runMain, its Close run at most
// once (a second Close would wait for the HTTP server forever).
var mainStops sync.Map

// stopMain closes a server started by runMain.
func stopMain(s *testServer) error {
	f, _ := mainStops.Load(s.m)
	return f.(func() error)()
}

// loginCode signs in and returns the error code, "" on success.
func (s *testServer) loginCode(user, password string) string {
	s.t.Helper()
	return s.post("", `mutation($u:String!,$p:String!){login(username:$u,password:$p){accessToken}}`,
		map[string]any{"u": user, "p": password}).code()
}

// TestFirstStart: what an empty database gets on a first start, by mode.
// Production never gets the demo accounts unasked, and gets its first admin
// only from a password the operator chose, which is never logged.
func TestFirstStart(t *testing.T) {
	const pw = "Tr0ub4dor&3-first"
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr string
		logins  map[[2]string]string // {user, password} → error code
		log     []string
		users   int64
	}{
		{
			name:    "production without a first admin refuses to start",
			args:    []string{"--dev=false"},
			wantErr: "the database has no accounts: set LIANQI_ADMIN_PASSWORD",
		},
		{
			name:    "production with --demo=false refuses too",
			args:    []string{"--dev=false", "--demo=false"},
			wantErr: "no accounts",
		},
		{
			name:    "dev with the demo turned off and no first admin refuses",
			args:    []string{"--demo=false"},
			wantErr: "no accounts",
		},
		{
			name: "production creates the first admin from the environment",
			args: []string{"--dev=false"},
			env:  map[string]string{"LIANQI_ADMIN_PASSWORD": pw},
			logins: map[[2]string]string{
				{"admin", pw}:                  "",
				{"admin", "demo1234"}:          "UNAUTHENTICATED",
				{"zhoushiyue", "demo1234"}:     "UNAUTHENTICATED",
				{"maojianguo", "demo1234"}:     "UNAUTHENTICATED",
				{"admin", strings.ToUpper(pw)}: "UNAUTHENTICATED",
			},
			log:   []string{`msg="created the first admin account" username=admin`},
			users: 1,
		},
		{
			name: "first admin with its own name from flags",
			args: []string{"--dev=false", "--admin-user=ops", "--admin-password=" + pw},
			logins: map[[2]string]string{
				{"ops", pw}:           "",
				{"admin", pw}:         "UNAUTHENTICATED",
				{"admin", "demo1234"}: "UNAUTHENTICATED",
			},
			users: 1,
		},
		{
			name: "dev with a first admin gets no demo data",
			env:  map[string]string{"LIANQI_ADMIN_PASSWORD": pw},
			logins: map[[2]string]string{
				{"admin", pw}:              "",
				{"zhoushiyue", "demo1234"}: "UNAUTHENTICATED",
			},
			users: 1,
		},
		{
			name: "dev default seeds the demo programme",
			logins: map[[2]string]string{
				{"admin", "demo1234"}:      "",
				{"zhoushiyue", "demo1234"}: "",
			},
			log: []string{`level=INFO msg="seeded demo data"`},
		},
		{
			name: "production with --demo seeds it, with a warning",
			args: []string{"--dev=false", "--demo"},
			logins: map[[2]string]string{
				{"admin", "demo1234"}: "",
			},
			log: []string{`level=WARN msg="seeded demo data"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"--data-dir", t.TempDir()}, tt.args...)
			s, logs, err := runMain(t, args, tt.env)
			if strings.Contains(logs.String(), pw) {
				t.Errorf("the first admin's password is in the log:\n%s", logs)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Run error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			for k, want := range tt.logins {
				if got := s.loginCode(k[0], k[1]); got != want {
					t.Errorf("login %s/%s: code %q, want %q", k[0], k[1], got, want)
				}
			}
			for _, l := range tt.log {
				if !strings.Contains(logs.String(), l) {
					t.Errorf("log lacks %s:\n%s", l, logs)
				}
			}
			if tt.users > 0 {
				if n, err := s.m.DB.CountUsers(context.Background()); err != nil || n != tt.users {
					t.Errorf("accounts = %d, %v; want %d", n, err, tt.users)
				}
			}
			if strings.Contains(logs.String(), pw) {
				t.Errorf("the first admin's password is in the log:\n%s", logs)
			}
		})
	}
}

// TestFirstAdminOnlyOnce: the first-admin password creates an account only in
// an empty database; a later start with another password changes nothing.
func TestFirstAdminOnlyOnce(t *testing.T) {
	dir := t.TempDir()
	const first, second = "first-password-1", "second-password-2"
	s, _, err := runMain(t, []string{"--dev=false", "--data-dir", dir}, map[string]string{"LIANQI_ADMIN_PASSWORD": first})
	if err != nil {
		t.Fatal(err)
	}
	ev, err := s.m.DB.FindAudit(context.Background(), domain.AuditFilter{Action: domain.AuditUserCreated}, domain.PageRequest{First: 10})
	if err != nil || len(ev.Items) != 1 || !strings.Contains(ev.Items[0].Detail, "first admin admin") {
		t.Errorf("audit of the first admin: %+v, %v", ev.Items, err)
	}
	if err := stopMain(s); err != nil {
		t.Fatal(err)
	}

	s, logs, err := runMain(t, []string{"--dev=false", "--data-dir", dir}, map[string]string{"LIANQI_ADMIN_PASSWORD": second})
	if err != nil {
		t.Fatal(err)
	}
	if c := s.loginCode("admin", first); c != "" {
		t.Errorf("first password after restart: %q", c)
	}
	if c := s.loginCode("admin", second); c != "UNAUTHENTICATED" {
		t.Errorf("second password after restart: %q, want UNAUTHENTICATED", c)
	}
	if !strings.Contains(logs.String(), "accounts exist; the first-admin password is not used") || strings.Contains(logs.String(), second) {
		t.Errorf("restart log:\n%s", logs)
	}

	// Production without the variable starts too, once accounts exist.
	if err := stopMain(s); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runMain(t, []string{"--dev=false", "--data-dir", dir}, nil); err != nil {
		t.Fatalf("production restart without the first-admin password: %v", err)
	}
}

// TestDataDirLock: a second server on the same data directory refuses to
// start, naming the first; once the first has closed, a new one starts.
func TestDataDirLock(t *testing.T) {
	dir := t.TempDir()
	first, _, err := runMain(t, []string{"--data-dir", dir}, nil)
	if err != nil {
		t.Fatal(err)
	}

	_, _, err = runMain(t, []string{"--data-dir", dir}, nil)
	host, _ := os.Hostname()
	for _, want := range []string{"data directory " + dir, "is in use by another Lianqi server", fmt.Sprintf("(pid %d on host %s, started ", os.Getpid(), host)} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("second server: error %v, want it to contain %q", err, want)
		}
	}
	// The refused server did not disturb the first.
	if c := first.loginCode("admin", "demo1234"); c != "" {
		t.Fatalf("first server after a refused second: %q", c)
	}

	if err := stopMain(first); err != nil {
		t.Fatal(err)
	}
	third, _, err := runMain(t, []string{"--data-dir", dir}, nil)
	if err != nil {
		t.Fatalf("start after the first closed: %v", err)
	}
	if c := third.loginCode("admin", "demo1234"); c != "" {
		t.Fatalf("third server: %q", c)
	}
}

// serveEnv makes the test binary, run as a child, serve the data directory it
// names until killed (see TestHelperServe).
const serveEnv = "LIANQI_TEST_SERVE_DIR"

// TestHelperServe is not a test: it is the child process of
// TestDataDirLockAfterCrash.
func TestHelperServe(t *testing.T) {
	dir := os.Getenv(serveEnv)
	if dir == "" {
		t.Skip("helper process only")
	}
	cfg, err := ParseConfig([]string{"--addr=127.0.0.1:0", "--data-dir", dir, "--log-level=error"}, envOf(nil))
	if err == nil {
		err = (&Main{Config: cfg}).Run(context.Background())
	}
	if err != nil {
		fmt.Printf("START-ERR %v\n", err)
		os.Exit(1)
	}
	fmt.Println("READY")
	time.Sleep(time.Hour)
}

// TestDataDirLockAfterCrash: a server killed with SIGKILL holds the data
// directory until it dies, and not a moment longer.
func TestDataDirLockAfterCrash(t *testing.T) {
	dir := t.TempDir()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^TestHelperServe$")
	cmd.Env = append(os.Environ(), serveEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "READY" {
		t.Fatalf("child server: %q, %v", line, err)
	}

	_, _, err = runMain(t, []string{"--data-dir", dir}, nil)
	if want := fmt.Sprintf("(pid %d on host ", cmd.Process.Pid); err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("start beside the child server: %v; want it to name %s", err, want)
	}

	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	s, _, err := runMain(t, []string{"--data-dir", dir}, nil)
	if err != nil {
		t.Fatalf("start after the holder was killed: %v", err)
	}
	// The killed server had seeded the demo; its data is there.
	if c := s.loginCode("zhoushiyue", "demo1234"); c != "" {
		t.Fatalf("login on the restarted server: %q", c)
	}
}
