package ratelimit

import (
	"context"
	"errors"
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

// mapCounter stands for the database's counter documents in the pure tests;
// the stored one is tested across two server instances in server/.
type mapCounter struct {
	n     map[string]int64
	calls int
	err   error
}

func (c *mapCounter) Incr(_ context.Context, id string, _ time.Time) (int64, error) {
	c.calls++
	if c.err != nil {
		return 0, c.err
	}
	c.n[id]++
	return c.n[id], nil
}

func TestShared(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	c := &mapCounter{n: map[string]int64{}}
	// Two instances, 60 a minute in bursts of 3: a window of 3 s.
	a := New(60, 3, clock).Share(c, "api", nil)
	b := New(60, 3, clock).Share(c, "api", nil)
	t.Run("CountsAcrossInstances", func(t *testing.T) {
		for i, l := range []*Limiter{a, b, a} {
			if ok, _ := l.Allow("ip:1"); !ok {
				t.Fatalf("request %d refused", i)
			}
		}
		ok, wait := b.Allow("ip:1")
		if ok || wait <= 0 || wait > 3*time.Second {
			t.Fatalf("4th request across instances = %v, %v; want refused until the window ends", ok, wait)
		}
	})
	t.Run("RefusalRememberedInProcess", func(t *testing.T) {
		calls := c.calls
		if ok, _ := b.Allow("ip:1"); ok {
			t.Fatal("allowed")
		}
		if c.calls != calls {
			t.Fatal("a known refusal asked the database again")
		}
	})
	t.Run("PrefixSeparatesLimiters", func(t *testing.T) {
		login := New(60, 3, clock).Share(c, "login", nil)
		if ok, _ := login.Allow("ip:1"); !ok {
			t.Fatal("the login limiter counted the API limiter's requests")
		}
	})
	t.Run("NextWindowAllows", func(t *testing.T) {
		now = now.Add(3 * time.Second)
		if ok, _ := b.Allow("ip:1"); !ok {
			t.Fatal("refused in a new window")
		}
	})
	t.Run("DatabaseDownFallsBackToBucket", func(t *testing.T) {
		c.err = errors.New("no primary")
		defer func() { c.err = nil }()
		down := New(60, 2, clock).Share(c, "api", nil)
		for range 2 {
			if ok, _ := down.Allow("ip:2"); !ok {
				t.Fatal("refused within the in-process burst")
			}
		}
		if ok, _ := down.Allow("ip:2"); ok {
			t.Fatal("no limit at all while the database is down")
		}
	})
	t.Run("NilShareIsOff", func(t *testing.T) {
		if l := New(0, 0, nil).Share(c, "x", nil); l != nil {
			t.Fatal("sharing a disabled limiter enabled it")
		}
	})
}
