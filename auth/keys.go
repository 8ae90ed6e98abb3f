package auth

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// KeysFile is the name of the file LoadOrCreateKeys keeps in its directory.
const KeysFile = "jwt-ed25519.json"

// KeyRetention is how long a rotated-out key still verifies tokens. It must
// outlive the longest token signed with it: dashboard tokens live at most
// MaxDashboardTTL, access tokens minutes.
const KeyRetention = MaxDashboardTTL + 24*time.Hour

// MaxDashboardTTL is the longest lifetime an issued dashboard token may have.
const MaxDashboardTTL = 180 * 24 * time.Hour

// SigningKey is one Ed25519 key with its key id.
type SigningKey struct {
	ID      string
	Private ed25519.PrivateKey
	Created time.Time
}

// Public returns the verifying half of the key.
func (k SigningKey) Public() ed25519.PublicKey { return k.Private.Public().(ed25519.PublicKey) }

// KeySet is the server's own asymmetric keys: the newest signs, all verify.
// It is immutable once built, so it needs no locking.
type KeySet struct {
	keys []SigningKey // newest first
}

// NewKeySet builds a set from keys; the most recently created one signs.
func NewKeySet(keys ...SigningKey) (*KeySet, error) {
	if len(keys) == 0 {
		return nil, errors.New("auth: a key set needs at least one key")
	}
	seen := map[string]bool{}
	for _, k := range keys {
		if k.ID == "" || seen[k.ID] {
			return nil, fmt.Errorf("auth: key ids must be unique and non-empty (%q)", k.ID)
		}
		if len(k.Private) != ed25519.PrivateKeySize {
			return nil, fmt.Errorf("auth: key %s is not an Ed25519 private key", k.ID)
		}
		seen[k.ID] = true
	}
	ks := &KeySet{keys: append([]SigningKey(nil), keys...)}
	sort.SliceStable(ks.keys, func(i, j int) bool { return ks.keys[i].Created.After(ks.keys[j].Created) })
	return ks, nil
}

// GenerateKey makes a fresh Ed25519 key with a random key id.
func GenerateKey(now time.Time) (SigningKey, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return SigningKey{}, fmt.Errorf("auth: generate key: %w", err)
	}
	return SigningKey{ID: rand.Text()[:16], Private: priv, Created: now.UTC().Truncate(time.Second)}, nil
}

// Active is the key new tokens are signed with.
func (ks *KeySet) Active() SigningKey { return ks.keys[0] }

// Verifying returns the public key with id kid, if the set has it.
func (ks *KeySet) Verifying(kid string) (ed25519.PublicKey, bool) {
	for _, k := range ks.keys {
		if k.ID == kid {
			return k.Public(), true
		}
	}
	return nil, false
}

// JWK is one public key in a JSON Web Key Set (RFC 7517).
type JWK struct {
	Kty string `json:"kty"`
	Crv string `json:"crv,omitempty"`
	X   string `json:"x,omitempty"`
	Y   string `json:"y,omitempty"`
	N   string `json:"n,omitempty"`
	E   string `json:"e,omitempty"`
	Kid string `json:"kid"`
	Alg string `json:"alg,omitempty"`
	Use string `json:"use,omitempty"`
	// D is a private key component; it is never published, and is only here
	// so that a test can assert that.
	D string `json:"d,omitempty"`
}

// JWKS is the document served at /.well-known/jwks.json.
type JWKS struct {
	Keys []JWK `json:"keys"`
}

// JWKS publishes the public halves of every key in the set, so that other
// services can verify our tokens without sharing a secret.
func (ks *KeySet) JWKS() JWKS {
	out := JWKS{Keys: []JWK{}}
	for _, k := range ks.keys {
		out.Keys = append(out.Keys, JWK{Kty: "OKP", Crv: "Ed25519", X: base64.RawURLEncoding.EncodeToString(k.Public()),
			Kid: k.ID, Alg: "EdDSA", Use: "sig"})
	}
	return out
}

type keyFileEntry struct {
	Kid     string    `json:"kid"`
	Seed    string    `json:"seed"` // base64url Ed25519 seed (32 bytes)
	Created time.Time `json:"created"`
}

type keyFile struct {
	Keys []keyFileEntry `json:"keys"`
}

// LoadOrCreateKeys returns the Ed25519 keys kept in dir/jwt-ed25519.json. It
// rotates on start: when the newest key is older than rotateAfter (0 never
// rotates) a new one is added and becomes the signing key, and keys older than
// KeyRetention are dropped, since no token they signed can still be valid.
// Tokens signed before a rotation keep verifying by their kid.
func LoadOrCreateKeys(dir string, now time.Time, rotateAfter time.Duration) (*KeySet, error) {
	path := filepath.Join(dir, KeysFile)
	var f keyFile
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		if err := json.Unmarshal(b, &f); err != nil {
			return nil, fmt.Errorf("auth: %s: %w", path, err)
		}
	case errors.Is(err, fs.ErrNotExist):
	default:
		return nil, fmt.Errorf("auth: read keys: %w", err)
	}
	var keys []SigningKey
	for _, e := range f.Keys {
		seed, err := base64.RawURLEncoding.DecodeString(e.Seed)
		if err != nil || len(seed) != ed25519.SeedSize {
			return nil, fmt.Errorf("auth: %s: key %s has a bad seed", path, e.Kid)
		}
		if now.Sub(e.Created) > KeyRetention {
			continue
		}
		keys = append(keys, SigningKey{ID: e.Kid, Private: ed25519.NewKeyFromSeed(seed), Created: e.Created})
	}
	changed := len(keys) != len(f.Keys)
	newest := time.Time{}
	for _, k := range keys {
		if k.Created.After(newest) {
			newest = k.Created
		}
	}
	if len(keys) == 0 || (rotateAfter > 0 && now.Sub(newest) >= rotateAfter) {
		k, err := GenerateKey(now)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
		changed = true
	}
	if changed {
		if err := writeKeys(dir, keys); err != nil {
			return nil, err
		}
	}
	return NewKeySet(keys...)
}

func writeKeys(dir string, keys []SigningKey) error {
	var f keyFile
	for _, k := range keys {
		f.Keys = append(f.Keys, keyFileEntry{Kid: k.ID, Seed: base64.RawURLEncoding.EncodeToString(k.Private.Seed()), Created: k.Created})
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("auth: create key dir: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "."+KeysFile+"-*")
	if err != nil {
		return fmt.Errorf("auth: write keys: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("auth: write keys: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("auth: write keys: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("auth: write keys: %w", err)
	}
	// Rename replaces atomically: a reader sees the old set or the new, never half.
	if err := os.Rename(tmp.Name(), filepath.Join(dir, KeysFile)); err != nil {
		return fmt.Errorf("auth: install keys: %w", err)
	}
	return nil
}
