package sync

import (
	"context"
	"testing"
	"time"

	"github.com/lianqi/lianqi/demo"
	"github.com/lianqi/lianqi/domain"
	"github.com/lianqi/lianqi/service"
	"github.com/lianqi/lianqi/store/storetest"
)

// TestLegacyCheckpointResyncs: a checkpoint of the first cursor version (range
// queries on the sequence, not bound to a user), as phones hold them from
// before the upgrade, is answered with resync and the whole scope, not with an
// error that would leave the app stuck.
func TestLegacyCheckpointResyncs(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	if _, err := demo.Seed(ctx, db, time.Now()); err != nil {
		t.Fatal(err)
	}
	e := New(service.New(db, nil, nil))
	u, err := db.FindUserByUsername(ctx, "zhoushiyue")
	if err != nil {
		t.Fatal(err)
	}
	zhou := domain.WithPrincipal(ctx, &domain.Principal{UserID: u.ID, Username: u.Username, Role: u.Role, OfficialID: u.OfficialID, ExpiresAt: time.Now().Add(time.Hour)})
	key, err := e.key(ctx)
	if err != nil {
		t.Fatal(err)
	}
	old := (&cursor{V: legacyVersion, Coll: Problems, Seq: 1 << 20, Keys: []string{"someone-else's"}}).encode(key)
	b, err := e.PullProblems(zhou, &old, 1000, nil)
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := e.PullProblems(zhou, nil, 1000, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !b.Resync || len(b.Documents) == 0 || len(b.Documents) != len(fresh.Documents) {
		t.Fatalf("legacy checkpoint: resync %v, %d documents; a fresh pull has %d", b.Resync, len(b.Documents), len(fresh.Documents))
	}
}
