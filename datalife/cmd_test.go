package datalife

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMain_Dispatch(t *testing.T) {
	empty := t.TempDir()
	notBackup := t.TempDir()
	tests := []struct {
		name    string
		args    []string
		handled bool
		code    int
		out     string // in stdout or stderr
	}{
		{"server flags", []string{"--addr", ":1"}, false, 0, ""},
		{"no args", nil, false, 0, ""},
		{"backup help", []string{"backup", "-h"}, true, 0, "Usage: lianqi backup"},
		{"restore help", []string{"restore", "--help"}, true, 0, "--force"},
		{"migrate help", []string{"migrate", "-h"}, true, 0, "--to"},
		{"backup without out", []string{"backup"}, true, 2, "--out is required"},
		{"backup unknown flag", []string{"backup", "--nope"}, true, 2, "see -h"},
		{"backup extra argument", []string{"backup", "--out", "x", "y"}, true, 2, "unexpected argument"},
		{"backup of no database", []string{"backup", "--data-dir", empty, "--out", filepath.Join(empty, "b")}, true, 1, "no embedded database"},
		{"restore without from", []string{"restore"}, true, 2, "--from is required"},
		{"restore of a non-backup", []string{"restore", "--from", notBackup, "--data-dir", filepath.Join(empty, "d")}, true, 1, "not a Lianqi backup"},
		{"migrate without target", []string{"migrate"}, true, 2, "--to must be"},
		{"migrate to a bad URI", []string{"migrate", "--to", "http://x"}, true, 2, "--to must be"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			handled, code := Main(tt.args, func(string) string { return "" }, &out, &errOut)
			if handled != tt.handled || code != tt.code {
				t.Fatalf("handled %v code %d, want %v %d (stderr %q)", handled, code, tt.handled, tt.code, errOut.String())
			}
			if !strings.Contains(out.String()+errOut.String(), tt.out) {
				t.Fatalf("output %q %q lacks %q", out.String(), errOut.String(), tt.out)
			}
		})
	}
}

func TestValidMember(t *testing.T) {
	for name, want := range map[string]bool{
		"manifest.json": true, "jwt-ed25519.json": true, "jwt-secret": true,
		filepath.Join("ferretdb", "lianqi.sqlite"): true,
		filepath.Join("ferretdb", ".sqlite"):       false,
		filepath.Join("..", "lianqi.sqlite"):       false,
		filepath.Join("ferretdb", "x", "a.sqlite"): false,
		"lianqi.lock": false, "../../etc/passwd": false,
	} {
		if got := validMember(name); got != want {
			t.Errorf("validMember(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestRestoreRefusesForeignArchive(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	if err := os.MkdirAll(filepath.Join(src, "ferretdb"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "evil"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "b.tar.gz")
	if err := writeArchive(src, out); err != nil {
		t.Fatal(err)
	}
	if _, err := Restore(t.Context(), out, filepath.Join(dir, "data"), false); err == nil || !strings.Contains(err.Error(), "unexpected member") {
		t.Fatalf("restore of an archive with a foreign member: %v", err)
	}
}
