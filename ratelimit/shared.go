package ratelimit

import (
	"context"
	"log/slog"
	"strconv"
	"time"
)

// Counter keeps event counts that every server instance shares.
type Counter interface {
	// Incr adds one to the count of id and returns the new count; the count
	// may be forgotten after expires.
	Incr(ctx context.Context, id string, expires time.Time) (int64, error)
}

// counterTimeout bounds one count; past it the request is limited by this
// process's bucket instead of waiting on the database.
const counterTimeout = 2 * time.Second

// shared counts burst events per fixed window of burst/perMinute minutes,
// which keeps the average rate of the bucket (a window of 150 at 600 a minute
// is 15 s) at the price of allowing up to two bursts across a window's edge.
// One upsert per allowed event is the whole cost; refusals are remembered in
// process until their window ends (a count only grows within a window, so
// that answer cannot go stale), which keeps a flood from reaching the database.
type shared struct {
	c      Counter
	prefix string
	window time.Duration
	log    *slog.Logger

	refused map[string]time.Time // under Limiter.mu
}

// Share makes l count in c, under prefix (which tells apart limiters sharing
// one collection), so that its limit holds across instances. On a nil
// limiter (limits off) it does nothing.
func (l *Limiter) Share(c Counter, prefix string, log *slog.Logger) *Limiter {
	if l == nil {
		return nil
	}
	if log == nil {
		log = slog.Default()
	}
	window := time.Duration(l.burst / l.perMinute * float64(time.Minute))
	l.shared = &shared{c: c, prefix: prefix, window: max(window, time.Second), log: log, refused: map[string]time.Time{}}
	return l
}

func (l *Limiter) allowShared(key string, now time.Time) (bool, time.Duration, error) {
	sh := l.shared
	start := now.Truncate(sh.window)
	end := start.Add(sh.window)
	l.mu.Lock()
	l.sweep(now)
	if until, ok := sh.refused[key]; ok && now.Before(until) {
		l.mu.Unlock()
		return false, until.Sub(now), nil
	}
	l.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), counterTimeout)
	defer cancel()
	id := sh.prefix + "/" + key + "/" + strconv.FormatInt(start.Unix(), 10)
	n, err := sh.c.Incr(ctx, id, end.Add(sh.window))
	if err != nil {
		sh.log.Warn("shared rate limit unavailable; limiting in process", "err", err)
		return false, 0, err
	}
	if float64(n) <= l.burst {
		return true, 0, nil
	}
	l.mu.Lock()
	sh.refused[key] = end
	l.mu.Unlock()
	return false, end.Sub(now), nil
}
