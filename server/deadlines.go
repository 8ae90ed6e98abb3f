package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/lianqi/lianqi/domain"
)

// parseDeadlines reads per-level response and resolution deadlines written as
// "L1=24h/72h,L3=72h/720h": level=respond/resolve, comma separated. Levels not
// named keep the programme's defaults, so one rung can be tightened alone. An
// empty s returns nil: the service's defaults apply.
func parseDeadlines(s string) (map[domain.Level]domain.Deadlines, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	out := maps.Clone(domain.DefaultDeadlines)
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		lvl, durs, ok := strings.Cut(item, "=")
		level := domain.Level(strings.ToUpper(strings.TrimSpace(lvl)))
		if !ok || !slices.Contains(domain.Levels, level) {
			return nil, fmt.Errorf("invalid deadline %q: want LEVEL=respond/resolve with LEVEL one of L1..L4, e.g. L1=24h/72h", item)
		}
		r, v, ok := strings.Cut(durs, "/")
		if !ok {
			return nil, fmt.Errorf("invalid deadline %q: want respond/resolve durations, e.g. 24h/72h", item)
		}
		respond, err1 := time.ParseDuration(strings.TrimSpace(r))
		resolve, err2 := time.ParseDuration(strings.TrimSpace(v))
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("invalid deadline %q: durations like 24h or 90m", item)
		}
		if respond <= 0 || resolve <= 0 {
			return nil, fmt.Errorf("invalid deadline %q: durations must be positive", item)
		}
		if respond > resolve {
			return nil, fmt.Errorf("invalid deadline %q: the response deadline cannot be later than the resolution deadline", item)
		}
		out[level] = domain.Deadlines{Respond: respond, Resolve: resolve}
	}
	return out, nil
}

// formatDeadlines writes deadlines back in the form parseDeadlines reads.
func formatDeadlines(d map[domain.Level]domain.Deadlines) string {
	if d == nil {
		d = domain.DefaultDeadlines
	}
	parts := make([]string, 0, len(domain.Levels))
	for _, l := range domain.Levels {
		parts = append(parts, fmt.Sprintf("%s=%s/%s", l, d[l].Respond, d[l].Resolve))
	}
	return strings.Join(parts, ",")
}
