package auth

import (
	"testing"
	"time"
)

func TestLoadOrCreateKeysRotates(t *testing.T) {
	dir := t.TempDir()
	day := 24 * time.Hour
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ks1, err := LoadOrCreateKeys(dir, t0, 30*day)
	if err != nil {
		t.Fatal(err)
	}
	old := ks1.Active()

	t.Run("SameKeyBeforeRotation", func(t *testing.T) {
		ks, err := LoadOrCreateKeys(dir, t0.Add(10*day), 30*day)
		if err != nil {
			t.Fatal(err)
		}
		if ks.Active().ID != old.ID {
			t.Fatalf("active = %s, want %s", ks.Active().ID, old.ID)
		}
	})
	t.Run("NewKeySignsOldStillVerifies", func(t *testing.T) {
		ks, err := LoadOrCreateKeys(dir, t0.Add(31*day), 30*day)
		if err != nil {
			t.Fatal(err)
		}
		if ks.Active().ID == old.ID {
			t.Fatal("did not rotate")
		}
		if _, ok := ks.Verifying(old.ID); !ok {
			t.Fatal("rotated-out key no longer verifies")
		}
		if n := len(ks.JWKS().Keys); n != 2 {
			t.Fatalf("JWKS has %d keys, want 2", n)
		}
	})
	t.Run("RetiredAfterRetention", func(t *testing.T) {
		ks, err := LoadOrCreateKeys(dir, t0.Add(KeyRetention+day), 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := ks.Verifying(old.ID); ok {
			t.Fatal("key older than the retention still verifies")
		}
	})
}
