package embedded

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// dialEnv makes the test binary, run as a child, dial the Unix socket it names
// and print the outcome instead of running tests (see TestHelperDial).
const dialEnv = "LIANQI_TEST_DIAL_SOCKET"

// TestHelperDial is not a test: it is the child process of
// TestSocketRefusesOtherUsers, which runs it under another user id.
func TestHelperDial(t *testing.T) {
	path := os.Getenv(dialEnv)
	if path == "" {
		t.Skip("helper process only")
	}
	c, err := net.DialTimeout("unix", path, 5*time.Second)
	if err != nil {
		fmt.Printf("DIAL-ERR %v\n", err)
		os.Exit(0)
	}
	c.Close()
	fmt.Println("DIAL-OK")
	os.Exit(0)
}

// listeningTCP returns the inodes of this process's listening TCP sockets
// (IPv4 and IPv6), from /proc.
func listeningTCP(t *testing.T) map[string]bool {
	t.Helper()
	listening := map[string]bool{}
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // no IPv6
		}
		for i, line := range strings.Split(string(b), "\n") {
			fields := strings.Fields(line)
			if i == 0 || len(fields) < 10 {
				continue
			}
			if fields[3] == "0A" { // TCP_LISTEN
				listening[fields[9]] = true
			}
		}
	}
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	mine := map[string]bool{}
	for _, fd := range fds {
		target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name()))
		if err != nil {
			continue // closed meanwhile
		}
		if inode, ok := strings.CutPrefix(target, "socket:["); ok {
			inode = strings.TrimSuffix(inode, "]")
			if listening[inode] {
				mine[inode] = true
			}
		}
	}
	return mine
}

// TestSocketOnly: the engine listens on a Unix socket in an owner-only
// directory of the data dir, and opens no TCP port at all.
func TestSocketOnly(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	dir := t.TempDir()
	before := listeningTCP(t)
	s, err := Start(context.Background(), Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	c := connect(t, s)

	after := listeningTCP(t)
	for inode := range after {
		if !before[inode] {
			t.Errorf("a TCP listener (socket inode %s) appeared with the engine", inode)
		}
	}

	sock := filepath.Join(dir, "run", "ferretdb.sock")
	if s.Socket() != sock {
		t.Fatalf("Socket() = %q, want %q", s.Socket(), sock)
	}
	assertMode(t, filepath.Dir(sock), os.ModeDir|0o700)
	assertMode(t, sock, os.ModeSocket|0o600)

	_ = c.Disconnect(context.Background()) // else Close waits for it
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(sock); !os.IsNotExist(err) {
		t.Errorf("socket still there after Close: %v", err)
	}
}

func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode() & (os.ModeType | os.ModePerm); got != want {
		t.Errorf("mode of %s = %v, want %v", path, got, want)
	}
}

// TestSocketRefusesOtherUsers runs a child process under another user id
// (nobody) that dials the engine's socket: it is refused, both by the
// directory's mode and, with the directory opened up, by the socket's own. The
// same child run as this user connects, so the refusal is not the child's
// fault.
func TestSocketRefusesOtherUsers(t *testing.T) {
	if runtime.GOOS != "linux" || os.Geteuid() != 0 {
		t.Skip("needs root to run a child process as another user")
	}
	s := MustStart(t)
	exe := copyTestBinary(t)

	dial := func(uid uint32) string {
		t.Helper()
		cmd := exec.Command(exe, "-test.run=^TestHelperDial$")
		cmd.Dir = filepath.Dir(exe)
		cmd.Env = append(os.Environ(), dialEnv+"="+s.Socket())
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: uid}}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("child as uid %d: %v\n%s", uid, err, out)
		}
		return string(out)
	}

	if out := dial(0); !strings.Contains(out, "DIAL-OK") {
		t.Fatalf("child as this user could not connect: %s", out)
	}
	const nobody = 65534
	if out := dial(nobody); !strings.Contains(out, "DIAL-ERR") || !strings.Contains(out, "permission denied") {
		t.Fatalf("child as another user: %s; want permission denied", out)
	}
	// Should someone loosen the directory, the socket's mode still keeps
	// others out.
	runDir := filepath.Dir(s.Socket())
	if err := os.Chmod(runDir, 0o755); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(runDir, 0o700)
	if out := dial(nobody); !strings.Contains(out, "DIAL-ERR") || !strings.Contains(out, "permission denied") {
		t.Fatalf("child as another user, directory opened: %s; want permission denied", out)
	}
}

// copyTestBinary copies the running test binary where another user can run
// it (go test builds it in a directory only its user can enter).
func copyTestBinary(t *testing.T) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "lianqi-exe-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	src, err := os.Open(self)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	exe := filepath.Join(dir, "embedded.test")
	dst, err := os.OpenFile(exe, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	return exe
}

// TestLongDataDirSocketInTemp: a data directory too deep for a socket path
// gets its socket in a private temporary directory, removed on Close.
func TestLongDataDirSocketInTemp(t *testing.T) {
	dir := filepath.Join(t.TempDir(), strings.Repeat("d", 60), strings.Repeat("e", 60))
	s, err := Start(context.Background(), Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	sock := s.Socket()
	if strings.HasPrefix(sock, dir) || len(sock) > maxSockPath {
		t.Fatalf("socket %q (%d bytes): want it outside the data directory, at most %d bytes", sock, len(sock), maxSockPath)
	}
	if !strings.HasPrefix(sock, os.TempDir()) {
		t.Errorf("socket %q not under %s", sock, os.TempDir())
	}
	assertMode(t, filepath.Dir(sock), os.ModeDir|0o700)
	assertMode(t, sock, os.ModeSocket|0o600)
	_ = connect(t, s).Disconnect(context.Background())
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(filepath.Dir(sock)); !os.IsNotExist(err) {
		t.Errorf("temporary socket directory still there after Close: %v", err)
	}
}

// TestSocketDir: what Start finds where the socket directory belongs. A
// symlink or another user's directory is refused, not used; a loosened
// directory of this user is made private again.
func TestSocketDir(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(t *testing.T, run string)
		wantErr string
	}{
		{
			name: "symlink",
			prepare: func(t *testing.T, run string) {
				if err := os.Symlink(t.TempDir(), run); err != nil {
					t.Fatal(err)
				}
			},
			wantErr: "not a directory of this user",
		},
		{
			name: "another user's directory",
			prepare: func(t *testing.T, run string) {
				if os.Geteuid() != 0 {
					t.Skip("needs root to give a directory away")
				}
				if err := os.Mkdir(run, 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.Chown(run, 65534, 65534); err != nil {
					t.Fatal(err)
				}
			},
			wantErr: "not a directory of this user",
		},
		{
			name: "a file",
			prepare: func(t *testing.T, run string) {
				if err := os.WriteFile(run, nil, 0o600); err != nil {
					t.Fatal(err)
				}
			},
			wantErr: "not a directory of this user",
		},
		{
			name: "loosened",
			prepare: func(t *testing.T, run string) {
				if err := os.Mkdir(run, 0o777); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(run, 0o777); err != nil { // past the umask
					t.Fatal(err)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			run := filepath.Join(dir, "run")
			tt.prepare(t, run)
			s, err := Start(context.Background(), Options{Dir: dir})
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				assertMode(t, run, os.ModeDir|0o700)
				return
			}
			if err == nil {
				s.Close()
				t.Fatalf("Start used it, want error %q", tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want %q", err, tt.wantErr)
			}
			// The refused start released the lock.
			if err := os.RemoveAll(run); err != nil {
				t.Fatal(err)
			}
			s, err = Start(context.Background(), Options{Dir: dir})
			if err != nil {
				t.Fatalf("start after a refused one: %v", err)
			}
			s.Close()
		})
	}
}
