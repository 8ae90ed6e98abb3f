package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha512"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCommittedAssets is what CI's `go generate` relies on: the committed
// files are exactly the pins, so generating touches no network.
func TestCommittedAssets(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := run(context.Background(), log, filepath.Join("..", "assets"), true); err != nil {
		t.Fatal(err)
	}
}

func tarball(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for name, body := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body))}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(body))
	}
	tw.Close()
	zw.Close()
	return buf.Bytes()
}

func integrity(b []byte) string {
	h := sha512.Sum512(b)
	return "sha512-" + base64.StdEncoding.EncodeToString(h[:])
}

// TestFetch: a tarball is used only when it matches the pinned integrity and
// each file its pinned sha256.
func TestFetch(t *testing.T) {
	tgz := tarball(t, map[string]string{"package/index.js": "hello", "package/LICENSE": "MIT", "package/other.js": "unused"})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/demo/-/demo-1.0.0.tgz" {
			http.NotFound(w, r)
			return
		}
		w.Write(tgz)
	}))
	defer srv.Close()
	registry = srv.URL
	hello := sum([]byte("hello"))
	for _, tc := range []struct {
		name string
		p    pkg
		err  string
	}{
		{"OK", pkg{"demo", "1.0.0", integrity(tgz), []file{{"package/index.js", "demo/index.js", hello}}}, ""},
		{"ErrIntegrity", pkg{"demo", "1.0.0", integrity([]byte("other")), []file{{"package/index.js", "demo/index.js", hello}}}, "tarball integrity"},
		{"ErrFileSum", pkg{"demo", "1.0.0", integrity(tgz), []file{{"package/index.js", "demo/index.js", sum([]byte("x"))}}}, "sha256"},
		{"ErrUnpinnedFile", pkg{"demo", "1.0.0", integrity(tgz), []file{{"package/index.js", "demo/index.js", ""}}}, "pin these"},
		{"ErrMissingFile", pkg{"demo", "1.0.0", integrity(tgz), []file{{"package/nope.js", "demo/nope.js", hello}}}, "not in the tarball"},
		{"ErrVersion", pkg{"demo", "2.0.0", integrity(tgz), []file{{"package/index.js", "demo/index.js", hello}}}, "404"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			err := fetch(context.Background(), dir, tc.p)
			if tc.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				if b, _ := os.ReadFile(filepath.Join(dir, "demo", "index.js")); string(b) != "hello" {
					t.Errorf("extracted %q", b)
				}
				if _, err := os.Stat(filepath.Join(dir, "demo", "other.js")); err == nil {
					t.Error("an unpinned file was extracted")
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("error %v, want one about %q", err, tc.err)
			}
		})
	}
}
