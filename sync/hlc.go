package sync

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
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
	return fmt.Sprintf("%013d-%04d-%s", ms, counter, node)
}

// ParseHLC reads a clock value.
func ParseHLC(v string) (ms int64, counter int, ok bool) {
	parts := strings.SplitN(v, "-", 3)
	if len(parts) < 2 {
		return 0, 0, false
	}
	ms, err1 := strconv.ParseInt(parts[0], 10, 64)
	c, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil || ms < 0 || c < 0 {
		return 0, 0, false
	}
	return ms, c, true
}

// ServerHLC is the clock value of a server write: its commit time.
func ServerHLC(t time.Time) string { return FormatHLC(t.UnixMilli(), 0, "server") }

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
