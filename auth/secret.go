package auth

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// SecretFile is the name of the file LoadOrCreateSecret keeps in its directory.
const SecretFile = "jwt-secret"

// LoadOrCreateSecret returns the HS256 key kept in dir/jwt-secret, creating it
// with 32 random bytes on first use. The file holds the key hex-encoded (one
// line), so an operator can read it or pass the same value to --jwt-secret.
// Keeping the key on disk means restarts do not log every user out.
func LoadOrCreateSecret(dir string) ([]byte, error) {
	path := filepath.Join(dir, SecretFile)
	secret, err := readSecret(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return secret, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("auth: create secret dir: %w", err)
	}
	secret = make([]byte, MinSecretLen)
	if _, err := rand.Read(secret); err != nil {
		return nil, fmt.Errorf("auth: generate secret: %w", err)
	}
	if err := createExclusive(path, []byte(hex.EncodeToString(secret)+"\n")); err != nil {
		if errors.Is(err, fs.ErrExist) {
			// Another process won the race; everyone must sign with its key.
			return readSecret(path)
		}
		return nil, err
	}
	return secret, nil
}

func readSecret(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	secret, err := hex.DecodeString(string(bytes.TrimSpace(b)))
	if err != nil {
		return nil, fmt.Errorf("auth: %s is not hex-encoded", path)
	}
	if len(secret) < MinSecretLen {
		return nil, fmt.Errorf("auth: %s holds %d bytes, need at least %d", path, len(secret), MinSecretLen)
	}
	return secret, nil
}

// createExclusive writes data to path only if path does not exist, and never
// exposes a partly written file: the data goes to a temporary file that is
// then hard-linked into place, which fails rather than overwrites.
func createExclusive(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+SecretFile+"-*")
	if err != nil {
		return fmt.Errorf("auth: create secret: %w", err)
	}
	defer os.Remove(tmp.Name())
	// CreateTemp already uses 0600; Chmod guards against a future change there.
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("auth: create secret: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("auth: write secret: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("auth: write secret: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("auth: write secret: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return err
		}
		return fmt.Errorf("auth: install secret: %w", err)
	}
	return nil
}
