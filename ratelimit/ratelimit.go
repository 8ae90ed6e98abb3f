// Package ratelimit limits events per caller (a user id, an IP address, a
// username). By default it keeps token buckets in process memory: behind
// several server processes each would enforce its own limit, multiplying it by
// their number. Shared (shared.go) counts in fixed windows stored in the
// database instead, so that the limit holds across every instance.
package ratelimit

import (
	"math"
	"sync"
	"time"
)

// Limiter allows Burst events at once per key and refills Per per minute.
type Limiter struct {
	perMinute float64
	burst     float64
	now       func() time.Time
	// Refused, if set, is called on each refusal (for metrics). Set it
	// before the limiter is used.
	Refused func()

	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time

	// shared, when set, counts in the database (shared.go).
	shared *shared
}

type bucket struct {
	tokens float64
	at     time.Time
}

// New returns a limiter allowing perMinute events per key on average and
// bursts of burst. perMinute <= 0 returns nil, which allows everything.
func New(perMinute, burst int, now func() time.Time) *Limiter {
	if perMinute <= 0 {
		return nil
	}
	if burst < 1 {
		burst = 1
	}
	if now == nil {
		now = time.Now
	}
	return &Limiter{perMinute: float64(perMinute), burst: float64(burst), now: now, buckets: map[string]*bucket{}}
}

// Allow takes one token from key's bucket. When it is empty it reports false
// and how long until a token is available.
func (l *Limiter) Allow(key string) (bool, time.Duration) {
	if l == nil {
		return true, 0
	}
	now := l.now()
	if l.shared != nil {
		if ok, wait, err := l.allowShared(key, now); err == nil {
			return ok, wait
		}
		// The database did not answer: this process's bucket still limits.
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[key] = b
	}
	b.tokens = math.Min(l.burst, b.tokens+now.Sub(b.at).Minutes()*l.perMinute)
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) / l.perMinute * float64(time.Minute))
	if l.Refused != nil {
		l.Refused()
	}
	return false, wait
}

// sweep drops buckets that have refilled completely, so that the map holds
// only recently active keys (an attacker rotating IPs cannot grow it without bound
// faster than it is swept).
func (l *Limiter) sweep(now time.Time) {
	if now.Sub(l.swept) < time.Minute {
		return
	}
	l.swept = now
	full := time.Duration(l.burst / l.perMinute * float64(time.Minute))
	for k, b := range l.buckets {
		if now.Sub(b.at) > full {
			delete(l.buckets, k)
		}
	}
	if l.shared != nil {
		for k, until := range l.shared.refused {
			if !now.Before(until) {
				delete(l.shared.refused, k)
			}
		}
	}
}
