package ratelimit

import (
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := New(60, 3, func() time.Time { return now })
	for i := range 3 {
		if ok, _ := l.Allow("a"); !ok {
			t.Fatalf("burst request %d refused", i)
		}
	}
	t.Run("EmptyBucketRefuses", func(t *testing.T) {
		ok, wait := l.Allow("a")
		if ok || wait <= 0 || wait > time.Second {
			t.Fatalf("Allow = %v, %v; want refused with a wait of at most 1s", ok, wait)
		}
	})
	t.Run("OtherKeyUnaffected", func(t *testing.T) {
		if ok, _ := l.Allow("b"); !ok {
			t.Fatal("other key refused")
		}
	})
	t.Run("Refills", func(t *testing.T) {
		now = now.Add(time.Second)
		if ok, _ := l.Allow("a"); !ok {
			t.Fatal("not refilled after 1s at 60/min")
		}
	})
	t.Run("NilAllows", func(t *testing.T) {
		var off *Limiter = New(0, 0, nil)
		if ok, _ := off.Allow("x"); !ok {
			t.Fatal("disabled limiter refused")
		}
	})
}
