package service

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/lianqi/lianqi/domain"
)

// Field clocks. Every content edit of a problem or a visit records, per field
// it changed, the hybrid logical clock of the edit: the device's clock for an
// edit synced from a phone, a server clock for an edit made here (GraphQL).
// Sync's three-way merge compares a device's clock with the clock of the value
// it would overwrite, so the later edit wins whatever order devices sync in.
// Clock values are "<unix ms, 13 digits>-<counter, 4 digits>-<node>" and compare
// as strings (sync.HLC writes them).

// FormatClock writes a clock value.
func FormatClock(ms int64, counter int, node string) string {
	return fmt.Sprintf("%013d-%04d-%s", ms, counter, node)
}

// ParseClock reads a clock value.
func ParseClock(v string) (ms int64, counter int, ok bool) {
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

// ServerClock is the clock of a write made on the server at t.
func ServerClock(t time.Time) string { return FormatClock(t.UnixMilli(), 0, "server") }

// clockAt is the clock a server edit at now gives a field whose value was
// written at prev: now, or just after prev when prev is not earlier (a device
// whose wall clock runs ahead), so a new edit is always the later one.
func clockAt(now time.Time, prev string) string {
	ms, c, ok := ParseClock(prev)
	if !ok || ms < now.UnixMilli() {
		return ServerClock(now)
	}
	return FormatClock(ms, c+1, "server")
}

// stampClocks records clock (or, when empty, a server clock at now) for every
// field whose value changed from before to after.
func stampClocks(clocks map[string]string, clock string, now time.Time, before, after map[string]any) map[string]string {
	for f, b := range before {
		if fmt.Sprint(b) == fmt.Sprint(after[f]) {
			continue
		}
		if clocks == nil {
			clocks = map[string]string{}
		}
		if clock != "" {
			clocks[f] = clock
		} else {
			clocks[f] = clockAt(now, clocks[f])
		}
	}
	return clocks
}

// problemContent is what UpdateProblem may change, by JSON field name.
func problemContent(p *domain.Problem) map[string]any {
	return map[string]any{"title": p.Title, "description": p.Description, "category": p.Category,
		"responsibleDepartment": p.ResponsibleDepartment, "tags": p.Tags}
}

// visitContent is what UpdateVisit may change, by JSON field name.
func visitContent(v *domain.Visit) map[string]any {
	return map[string]any{"date": v.Date.UnixMilli(), "notes": v.Notes, "problemIds": v.ProblemIDs}
}
