package embedded

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// LockFile is the name of the lock file in the data directory. The lock is
// an OS file lock (flock) taken for as long as the server runs, so the
// kernel releases it when the process exits, however it exits (kill -9
// included); the file itself stays and only names the last holder.
const LockFile = "lianqi.lock"

// Holder describes the process that holds (or last held) a data directory's
// lock, as it wrote itself into the lock file.
type Holder struct {
	PID     int
	Host    string
	Started time.Time
}

func (h Holder) String() string {
	if h.PID == 0 {
		return "an unknown process"
	}
	s := fmt.Sprintf("pid %d on host %s", h.PID, h.Host)
	if !h.Started.IsZero() {
		s += ", started " + h.Started.Format(time.RFC3339)
	}
	return s
}

// LockedError is returned by Start when another process holds the data
// directory's lock.
type LockedError struct {
	Dir    string // the data directory, absolute
	Holder Holder
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("data directory %s is in use by another Lianqi server (%s); stop it or use another data directory", e.Dir, e.Holder)
}

// ErrLocked is matched by errors.Is for a *LockedError.
var ErrLocked = errors.New("data directory in use")

func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// dirLock is a held data-directory lock.
type dirLock struct {
	f *os.File
}

// lockDir takes the exclusive lock on dir/LockFile without waiting and writes
// this process's identity into the file. dir must exist.
func lockDir(dir string) (*dirLock, error) {
	path := filepath.Join(dir, LockFile)
	// Not O_TRUNC: the holder's identity must survive a refused attempt.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	if err := flock(f); err != nil {
		f.Close()
		if errors.Is(err, errWouldBlock) {
			return nil, &LockedError{Dir: dir, Holder: readHolder(path)}
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	host, _ := os.Hostname()
	h := Holder{PID: os.Getpid(), Host: host, Started: time.Now().UTC().Truncate(time.Second)}
	content := fmt.Sprintf("pid=%d\nhost=%s\nstarted=%s\n", h.PID, h.Host, h.Started.Format(time.RFC3339))
	if err := f.Truncate(0); err == nil {
		_, err = f.WriteAt([]byte(content), 0)
	}
	if err != nil {
		f.Close() // releases the lock
		return nil, fmt.Errorf("write lock file %s: %w", path, err)
	}
	return &dirLock{f: f}, nil
}

// release gives the lock up. The file stays: removing it would let a
// process that opened it just before take a lock on an unlinked file while a
// third one locks a new file of the same name.
func (l *dirLock) release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

// readHolder parses a lock file; what cannot be read stays zero.
func readHolder(path string) Holder {
	var h Holder
	b, err := os.ReadFile(path)
	if err != nil {
		return h
	}
	for line := range strings.Lines(string(b)) {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if !ok {
			continue
		}
		switch k {
		case "pid":
			h.PID, _ = strconv.Atoi(v)
		case "host":
			h.Host = v
		case "started":
			h.Started, _ = time.Parse(time.RFC3339, v)
		}
	}
	return h
}
