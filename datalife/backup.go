// Package datalife is the data lifecycle of a county's installation: backups of
// a running embedded database and their restore (lianqi backup, lianqi
// restore), and the move of an embedded database to MongoDB (lianqi migrate).
// Retention (pruning and the full-resync signal) lives in the store and the
// sync engine; this package only carries the operator commands.
package datalife

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the SQLite driver the embedded FerretDB uses

	"github.com/lianqi/lianqi/auth"
	"github.com/lianqi/lianqi/embedded"
)

// ManifestFile names the backup's table of contents.
const ManifestFile = "manifest.json"

// FormatVersion is the layout of a backup this build writes and reads.
const FormatVersion = 1

// Manifest describes a backup: what it holds and when it was taken.
type Manifest struct {
	Format    int       `json:"format"`
	CreatedAt time.Time `json:"createdAt"`
	// Databases are the SQLite files, relative to the backup's root
	// (ferretdb/<database>.sqlite), each a consistent snapshot on its own.
	Databases []string `json:"databases"`
	// Secrets are the key files of the data directory (JWT signing keys or
	// secret): whoever holds the backup can sign tokens for any account.
	Secrets []string `json:"secrets"`
}

// secretFiles are the data directory's files a backup must carry so that
// tokens issued before it stay valid after a restore.
var secretFiles = []string{auth.KeysFile, auth.SecretFile}

// isArchive reports whether path names a gzip tar rather than a directory.
func isArchive(path string) bool {
	return strings.HasSuffix(path, ".tar.gz") || strings.HasSuffix(path, ".tgz")
}

// Backup writes a consistent snapshot of the embedded database in dataDir,
// with its key files, to out: a new directory, or a .tar.gz/.tgz file. The
// server may be running. Each SQLite file is copied with VACUUM INTO through
// a read-only connection of its own: SQLite (WAL mode) lets a reader in
// another process see one committed state while the server goes on writing,
// so neither the server's lock nor its cooperation is needed, and the copy
// never writes to the live files.
func Backup(ctx context.Context, dataDir, out string) (*Manifest, error) {
	if out == "" {
		return nil, errors.New("backup: no output given")
	}
	if _, err := os.Stat(out); err == nil {
		return nil, fmt.Errorf("backup: %s exists; name a new file or directory", out)
	}
	src := embedded.SQLiteDir(dataDir)
	files, err := filepath.Glob(filepath.Join(src, "*.sqlite"))
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("backup: no embedded database in %s (a server on MongoDB is backed up with mongodump)", src)
	}
	dir := out
	if isArchive(out) {
		if dir, err = os.MkdirTemp(filepath.Dir(out), ".lianqi-backup-"); err != nil {
			return nil, fmt.Errorf("backup: %w", err)
		}
		defer os.RemoveAll(dir)
	} else if err := os.Mkdir(dir, 0o700); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	ok := false
	defer func() {
		if !ok && !isArchive(out) {
			_ = os.RemoveAll(dir)
		}
	}()
	if err := os.Mkdir(filepath.Join(dir, "ferretdb"), 0o700); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	m := &Manifest{Format: FormatVersion, CreatedAt: time.Now().UTC().Truncate(time.Second)}
	for _, f := range files {
		rel := filepath.Join("ferretdb", filepath.Base(f))
		if err := snapshot(ctx, f, filepath.Join(dir, rel)); err != nil {
			return nil, fmt.Errorf("backup %s: %w", filepath.Base(f), err)
		}
		m.Databases = append(m.Databases, filepath.ToSlash(rel))
	}
	for _, name := range secretFiles {
		switch err := copyFile(filepath.Join(dataDir, name), filepath.Join(dir, name)); {
		case err == nil:
			m.Secrets = append(m.Secrets, name)
		case errors.Is(err, fs.ErrNotExist):
		default:
			return nil, fmt.Errorf("backup: %w", err)
		}
	}
	if err := writeManifest(dir, m); err != nil {
		return nil, err
	}
	if isArchive(out) {
		if err := writeArchive(dir, out); err != nil {
			_ = os.Remove(out)
			return nil, err
		}
	}
	ok = true
	return m, nil
}

// snapshot copies the SQLite database src to the new file dst with VACUUM
// INTO, which runs in one read transaction, and checks the copy.
func snapshot(ctx context.Context, src, dst string) error {
	db, err := sql.Open("sqlite", "file:"+filepath.ToSlash(src)+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "VACUUM INTO "+sqlString(dst)); err != nil {
		return fmt.Errorf("vacuum into: %w", err)
	}
	if err := os.Chmod(dst, 0o600); err != nil {
		return err
	}
	return check(ctx, dst)
}

// check runs SQLite's quick check on a database file.
func check(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite", "file:"+filepath.ToSlash(path)+"?mode=ro")
	if err != nil {
		return err
	}
	defer db.Close()
	var res string
	if err := db.QueryRowContext(ctx, "PRAGMA quick_check").Scan(&res); err != nil {
		return fmt.Errorf("check %s: %w", filepath.Base(path), err)
	}
	if res != "ok" {
		return fmt.Errorf("check %s: %s", filepath.Base(path), res)
	}
	return nil
}

func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func writeManifest(dir string, m *Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, ManifestFile), append(b, '\n'), 0o600)
}

// writeArchive writes the files of dir (one level of subdirectories) into a
// new gzip tar at out, mode 0600: it holds secrets.
func writeArchive(dir, out string) error {
	f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	zw := gzip.NewWriter(f)
	tw := tar.NewWriter(zw)
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if err := tw.WriteHeader(&tar.Header{Name: filepath.ToSlash(rel), Mode: 0o600, Size: fi.Size(), ModTime: fi.ModTime(), Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		in, err := os.Open(path)
		if err != nil {
			return err
		}
		defer in.Close()
		_, err = io.Copy(tw, in)
		return err
	})
	for _, c := range []io.Closer{tw, zw} {
		if cerr := c.Close(); err == nil {
			err = cerr
		}
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("backup: write %s: %w", out, err)
	}
	return nil
}

// extractArchive unpacks a backup archive into the empty directory dir,
// accepting only the names a backup contains.
func extractArchive(path, dir string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		name := filepath.FromSlash(h.Name)
		if h.Typeflag != tar.TypeReg || !validMember(name) {
			return fmt.Errorf("%s: unexpected member %q: not a Lianqi backup", path, h.Name)
		}
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o700); err != nil {
			return err
		}
		out, err := os.OpenFile(filepath.Join(dir, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return err
		}
		_, err = io.Copy(out, tr)
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
}

// validMember reports whether name is a file a backup holds: the manifest, a
// key file, or ferretdb/<name>.sqlite.
func validMember(name string) bool {
	if name == ManifestFile || slices.Contains(secretFiles, name) {
		return true
	}
	d, f := filepath.Split(name)
	return d == "ferretdb"+string(filepath.Separator) && strings.HasSuffix(f, ".sqlite") && !strings.ContainsAny(f, `/\`) && f != ".sqlite"
}

// Restore brings the backup at from (a directory or archive written by
// Backup) into the data directory dataDir, which no server may be using (its
// lock is taken for the duration). A data directory that already holds a
// database or keys is refused unless force, which replaces them.
func Restore(ctx context.Context, from, dataDir string, force bool) (*Manifest, error) {
	release, err := embedded.Lock(dataDir)
	if err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	defer release()

	src := from
	if isArchive(from) {
		tmp, err := os.MkdirTemp(dataDir, ".restore-")
		if err != nil {
			return nil, fmt.Errorf("restore: %w", err)
		}
		defer os.RemoveAll(tmp)
		if err := extractArchive(from, tmp); err != nil {
			return nil, fmt.Errorf("restore: %w", err)
		}
		src = tmp
	}
	var m Manifest
	b, err := os.ReadFile(filepath.Join(src, ManifestFile))
	if err != nil {
		return nil, fmt.Errorf("restore: %s is not a Lianqi backup: %w", from, err)
	}
	if err := json.Unmarshal(b, &m); err != nil || m.Format != FormatVersion || len(m.Databases) == 0 {
		return nil, fmt.Errorf("restore: %s: unreadable manifest (format %d, want %d)", from, m.Format, FormatVersion)
	}
	for _, rel := range append(slices.Clone(m.Databases), m.Secrets...) {
		if !validMember(filepath.FromSlash(rel)) {
			return nil, fmt.Errorf("restore: manifest names %q: not a Lianqi backup", rel)
		}
	}
	for _, rel := range m.Databases {
		if err := check(ctx, filepath.Join(src, filepath.FromSlash(rel))); err != nil {
			return nil, fmt.Errorf("restore: the backup is damaged: %w", err)
		}
	}

	dbDir := embedded.SQLiteDir(dataDir)
	existing, _ := filepath.Glob(filepath.Join(dbDir, "*.sqlite*"))
	for _, name := range secretFiles {
		if _, err := os.Stat(filepath.Join(dataDir, name)); err == nil {
			existing = append(existing, filepath.Join(dataDir, name))
		}
	}
	if len(existing) > 0 {
		if !force {
			return nil, fmt.Errorf("restore: %s already holds a database or keys (%s); use --force to replace them", dataDir, filepath.Base(existing[0]))
		}
		for _, p := range existing {
			if err := os.Remove(p); err != nil {
				return nil, fmt.Errorf("restore: %w", err)
			}
		}
	}
	if err := os.MkdirAll(dbDir, 0o700); err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	for _, rel := range append(slices.Clone(m.Databases), m.Secrets...) {
		if err := copyFile(filepath.Join(src, filepath.FromSlash(rel)), filepath.Join(dataDir, filepath.FromSlash(rel))); err != nil {
			return nil, fmt.Errorf("restore: %w", err)
		}
	}
	return &m, nil
}
