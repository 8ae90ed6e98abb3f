package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/lianqi/lianqi/store/storetest"
)

func TestSharedState(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	for range 2 { // on every start
		if err := db.EnableShared(ctx); err != nil {
			t.Fatal(err)
		}
	}
	exp := time.Now().Add(time.Minute)
	t.Run("CountersCountPerID", func(t *testing.T) {
		for i, tc := range []struct {
			id   string
			want int64
		}{{"api/ip:1/100", 1}, {"api/ip:1/100", 2}, {"api/ip:1/115", 1}, {"login/ip:1/100", 1}, {"api/ip:1/100", 3}} {
			n, err := db.Incr(ctx, tc.id, exp)
			if err != nil || n != tc.want {
				t.Fatalf("step %d: Incr(%s) = %d, %v; want %d", i, tc.id, n, err, tc.want)
			}
		}
	})
	t.Run("Revocations", func(t *testing.T) {
		if _, ok, err := db.FindRevocation(ctx, "s1"); err != nil || ok {
			t.Fatalf("unknown session: revoked %v, %v", ok, err)
		}
		until := time.Now().Add(time.Hour).UTC().Truncate(time.Millisecond)
		for range 2 { // revoking twice is harmless
			if err := db.PutRevocation(ctx, "s1", until); err != nil {
				t.Fatal(err)
			}
		}
		got, ok, err := db.FindRevocation(ctx, "s1")
		if err != nil || !ok || !got.Equal(until) {
			t.Fatalf("revoked session: %v, %v, %v; want until %v", got, ok, err, until)
		}
	})
}
