package sync

import (
	"strings"
	"testing"
	"time"

	"github.com/lianqi/lianqi/domain"
)

func TestMerge(t *testing.T) {
	early, late := FormatHLC(1000, 0, "phone"), FormatHLC(3000, 0, "phone")
	base := map[string]any{"title": "A", "description": "d", "tags": []any{"x", "y"}, "status": "REPORTED", "enterpriseId": "e1"}
	for _, tc := range []struct {
		name      string
		client    map[string]any
		server    map[string]any
		clock     string
		field     string
		want      any
		outcome   domain.ConflictOutcome
		steps     []string
		immutable string
		// clocks are the server's field clocks (nil: a document stored before
		// field clocks, whose own clock stands in).
		clocks map[string]string
	}{
		{name: "ClientOnlyChange", client: with(base, "title", "B"), server: base, clock: early, field: "title", want: "B"},
		{name: "ServerOnlyChange", client: base, server: with(base, "title", "S"), clock: late, field: "title", want: "S"},
		{name: "SameChangeBothSides", client: with(base, "title", "B"), server: with(base, "title", "B"), clock: early, field: "title", want: "B"},
		{name: "BothChangedClientLater", client: with(base, "title", "B"), server: with(base, "title", "S"), clock: late, field: "title", want: "B", outcome: domain.OutcomeClientWon},
		{name: "BothChangedServerLater", client: with(base, "title", "B"), server: with(base, "title", "S"), clock: early, field: "title", want: "S", outcome: domain.OutcomeServerKept},
		{name: "TieGoesToServer", client: with(base, "title", "B"), server: with(base, "title", "S"), clock: FormatHLC(2000, 0, "phone"), field: "title", want: "S", outcome: domain.OutcomeServerKept},
		{name: "FieldClockLaterThanDevice", client: with(base, "title", "B"), server: with(base, "title", "S"), clock: late, field: "title", want: "S",
			outcome: domain.OutcomeServerKept, clocks: map[string]string{"title": FormatHLC(4000, 0, "other-phone")}},
		{name: "FieldClockEarlierThanDevice", client: with(base, "title", "B"), server: with(base, "title", "S"), clock: early, field: "title", want: "B",
			outcome: domain.OutcomeClientWon, clocks: map[string]string{"title": FormatHLC(500, 0, "other-phone")}},
		{name: "OtherFieldsClockDoesNotCount", client: with(base, "title", "B"), server: with(base, "title", "S"), clock: early, field: "title", want: "B",
			outcome: domain.OutcomeClientWon, clocks: map[string]string{"title": FormatHLC(500, 0, "p"), "description": FormatHLC(9000, 0, "server")}},
		{name: "SetUnionKeepsBothSides", client: with(base, "tags", []any{"x", "c"}), server: with(base, "tags", []any{"x", "y", "s"}), clock: early, field: "tags",
			want: []any{"x", "s", "c"}, outcome: domain.OutcomeMerged},
		{name: "StatusIsAWorkflowStep", client: with(base, "status", "RESOLVED"), server: base, clock: late, field: "status", want: "REPORTED", steps: []string{"status"}},
		{name: "ErrImmutableEnterprise", client: with(base, "enterpriseId", "e2"), server: base, clock: late, field: "enterpriseId", want: "e1", immutable: "enterpriseId"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := merge(Problems, base, tc.client, tc.server, tc.clock, fieldClock(tc.clocks, domain.Meta{UpdatedAt: timeMs(2000)}))
			if !equal(m.doc[tc.field], tc.want) {
				t.Fatalf("%s = %v, want %v", tc.field, m.doc[tc.field], tc.want)
			}
			var got domain.ConflictOutcome
			if len(m.conflicts) > 0 {
				got = m.conflicts[0].Outcome
			}
			if got != tc.outcome {
				t.Fatalf("outcome = %q, want %q", got, tc.outcome)
			}
			if got == domain.OutcomeServerKept && !strings.Contains(m.conflicts[0].Reason, "server's value was kept") ||
				got == domain.OutcomeClientWon && !strings.Contains(m.conflicts[0].Reason, "device's value was applied") {
				t.Fatalf("reason %q does not say what happened", m.conflicts[0].Reason)
			}
			if len(m.steps) != len(tc.steps) || m.immutable != tc.immutable {
				t.Fatalf("steps %v immutable %q", m.steps, m.immutable)
			}
		})
	}
}

func with(m map[string]any, k string, v any) map[string]any {
	out := map[string]any{}
	for key, val := range m {
		out[key] = val
	}
	out[k] = v
	return out
}

func TestHLC(t *testing.T) {
	c := &HLC{Node: "a", Wall: func() time.Time { return timeMs(5000) }}
	first, second := c.Now(), c.Now()
	if !(first < second) {
		t.Fatalf("clock did not advance within one millisecond: %s, %s", first, second)
	}
	c.Observe(FormatHLC(9000, 3, "b"))
	if next := c.Now(); next <= FormatHLC(9000, 3, "b") {
		t.Fatalf("clock %s is not after an observed value", next)
	}
	if later("garbage", ServerHLC(timeMs(0))) {
		t.Fatal("an unreadable device clock must not win")
	}
}

func timeMs(ms int64) time.Time { return time.UnixMilli(ms).UTC() }
