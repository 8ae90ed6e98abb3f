package sync

import (
	"sync"
	"time"

	"github.com/lianqi/lianqi/service"
)

// A hybrid logical clock orders edits made on devices whose wall clocks drift:
// it is the maximum of the wall clock and every clock value seen, plus a counter
// for edits within one millisecond. Written as "<unix ms, 13 digits>-<counter, 4
// digits>-<node>", so that comparing the strings compares the clocks.

// HLC is a hybrid logical clock; the zero value is ready to use.
type HLC struct {
	mu      sync.Mutex
	ms      int64
	counter int
	Node    string
	// Wall is the wall clock; nil means time.Now.
	Wall func() time.Time
}

// Now returns a clock value later than every value this clock returned or observed.
func (c *HLC) Now() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	wall := time.Now
	if c.Wall != nil {
		wall = c.Wall
	}
	ms := wall().UnixMilli()
	if ms > c.ms {
		c.ms, c.counter = ms, 0
	} else {
		c.counter++
	}
	return FormatHLC(c.ms, c.counter, c.Node)
}

// Observe moves the clock past a value seen from elsewhere.
func (c *HLC) Observe(v string) {
	ms, counter, ok := ParseHLC(v)
	if !ok {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if ms > c.ms || (ms == c.ms && counter > c.counter) {
		c.ms, c.counter = ms, counter
	}
}

// FormatHLC writes a clock value.
func FormatHLC(ms int64, counter int, node string) string {
	return service.FormatClock(ms, counter, node)
}

// ParseHLC reads a clock value.
func ParseHLC(v string) (ms int64, counter int, ok bool) { return service.ParseClock(v) }

// ServerHLC is the clock value of a server write: its commit time.
func ServerHLC(t time.Time) string { return service.ServerClock(t) }

// maxHLC is the later of clock values (invalid ones count as earliest).
func maxHLC(vs ...string) string {
	out := ""
	for _, v := range vs {
		if _, _, ok := ParseHLC(v); ok && (out == "" || later(v, out)) {
			out = v
		}
	}
	return out
}

// later reports whether the device's clock a is after the server's b. Ties go to
// the server: a device cannot win by guessing the server's time exactly.
func later(a, b string) bool {
	am, ac, ok := ParseHLC(a)
	if !ok {
		return false
	}
	bm, bc, _ := ParseHLC(b)
	return am > bm || (am == bm && ac > bc)
}
