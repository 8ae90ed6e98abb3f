package main

import (
	"strings"
	"testing"
	"time"

	"github.com/lianqi/lianqi/domain"
)

func TestParseDeadlines(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     map[domain.Level]domain.Deadlines
		err      string
	}{
		{"Empty", "", nil, ""},
		{"OneLevel", "L1=12h/48h", map[domain.Level]domain.Deadlines{domain.L1: {Respond: 12 * time.Hour, Resolve: 48 * time.Hour},
			domain.L2: domain.DefaultDeadlines[domain.L2], domain.L3: domain.DefaultDeadlines[domain.L3], domain.L4: domain.DefaultDeadlines[domain.L4]}, ""},
		{"LowerCaseAndSpaces", " l4 = 24h / 2400h ", nil, ""},
		{"ErrUnknownLevel", "L5=1h/2h", nil, "L1..L4"},
		{"ErrNoSlash", "L1=1h", nil, "respond/resolve"},
		{"ErrBadDuration", "L1=1d/2d", nil, "durations like"},
		{"ErrNegative", "L1=-1h/2h", nil, "positive"},
		{"ErrRespondAfterResolve", "L2=72h/24h", nil, "cannot be later"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseDeadlines(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one mentioning %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.want != nil {
				for _, l := range domain.Levels {
					if got[l] != tc.want[l] {
						t.Errorf("%s = %+v, want %+v", l, got[l], tc.want[l])
					}
				}
			}
			if tc.in != "" && len(got) != 4 {
				t.Errorf("got %d levels, want all 4", len(got))
			}
		})
	}
	if _, err := ParseConfig(nil, func(k string) string {
		if k == "DEADLINES" {
			return "L1=2h/1h"
		}
		return ""
	}); err == nil || !strings.Contains(err.Error(), "DEADLINES") {
		t.Fatalf("bad DEADLINES env: %v, want an error naming DEADLINES", err)
	}
}
