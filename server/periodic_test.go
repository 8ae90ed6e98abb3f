package main

import (
	"testing"

	"github.com/lianqi/lianqi/domain"
)

// TestPeriodicRatings: an enterprise rates its chief once per quarter,
// whether or not a problem was resolved; the chief, leaders and the firm see
// it, other officials do not; names are display names.
func TestPeriodicRatings(t *testing.T) {
	s := startServer(t)
	type rating struct {
		Period, By, Comment string
		Score               int
		Official            *struct{ Name string }
	}
	// The demo's own quarterly ratings are the baseline; this test counts what it adds.
	users := []string{"moweiliang", "zhoushiyue", "maojianguo", "zhulijun"}
	before := map[string]int{}
	for _, u := range users {
		var list struct{ PeriodicRatings []rating }
		s.as(u, `{periodicRatings{period}}`, nil).decode(t, &list)
		before[u] = len(list.PeriodicRatings)
	}
	stored, err := s.m.DB.FindPeriodicRatings(t.Context(), domain.Scope{All: true}, domain.PeriodicRatingFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var out struct{ RateChief rating }
	s.as("moweiliang", `mutation{rateChief(input:{score:4,comment:"服务及时"}){period by comment score official{name}}}`, nil).decode(t, &out)
	r := out.RateChief
	if r.Period == "" || r.By != "莫伟良" || r.Score != 4 || r.Official == nil || r.Official.Name != "周世岳" {
		t.Fatalf("rating = %+v", r)
	}
	for _, tc := range []struct{ name, user, query, code, field string }{
		{"ErrSecondInQuarter", "moweiliang", `mutation{rateChief(input:{score:2}){id}}`, "CONFLICT", "period"},
		{"ErrFutureQuarter", "moweiliang", `mutation{rateChief(input:{score:3,period:"2999-Q1"}){id}}`, "BAD_USER_INPUT", "period"},
		{"ErrBadPeriod", "moweiliang", `mutation{rateChief(input:{score:3,period:"2026-13"}){id}}`, "BAD_USER_INPUT", "period"},
		{"ErrScore", "moweiliang", `mutation{rateChief(input:{score:6,period:"2025-Q1"}){id}}`, "BAD_USER_INPUT", "score"},
		{"ErrOfficialRates", "zhoushiyue", `mutation{rateChief(input:{score:5}){id}}`, "FORBIDDEN", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := s.as(tc.user, tc.query, nil)
			if res.code() != tc.code {
				t.Fatalf("code = %q, want %q (%+v)", res.code(), tc.code, res.Errors)
			}
			if f, _ := res.Errors[0].Extensions["field"].(string); tc.field != "" && f != tc.field {
				t.Fatalf("field = %q, want %q", f, tc.field)
			}
		})
	}
	// An earlier quarter is a rating of its own.
	s.as("moweiliang", `mutation{rateChief(input:{score:5,period:"2026-Q1"}){id}}`, nil).decode(t, &struct{}{})

	for _, tc := range []struct {
		user string
		want int
	}{{"moweiliang", 2}, {"zhoushiyue", 2}, {"maojianguo", 2}, {"zhulijun", 0}} {
		var list struct{ PeriodicRatings []rating }
		s.as(tc.user, `{periodicRatings{period by score}}`, nil).decode(t, &list)
		if len(list.PeriodicRatings) != before[tc.user]+tc.want {
			t.Fatalf("%s sees %d periodic ratings, want %d (the demo's) + %d", tc.user, len(list.PeriodicRatings), before[tc.user], tc.want)
		}
		if tc.want > 0 && (list.PeriodicRatings[0].Period != r.Period || list.PeriodicRatings[0].By != "莫伟良") {
			t.Fatalf("%s reads %+v first", tc.user, list.PeriodicRatings[0])
		}
	}
	// The ranking reads them through the store (scope All).
	all, err := s.m.DB.FindPeriodicRatings(t.Context(), domain.Scope{All: true}, domain.PeriodicRatingFilter{})
	if err != nil || len(all) != len(stored)+2 {
		t.Fatalf("FindPeriodicRatings = %d, %v", len(all), err)
	}
}
