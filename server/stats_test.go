package main

import (
	"math"
	"testing"
	"time"
)

type bucket struct {
	Key, Label                                      string
	Collected, Resolved, Confirmed, Open, Withdrawn int
}

type statsView struct {
	ProblemStats struct {
		Collected, Resolved, Confirmed, Open, Withdrawn, Overdue int
		ByCategory, ByLevel, ByStatus, ByTown, ByDepartment      []bucket
		ByMonth                                                  []bucket
		MedianResponseHours, MedianResolutionHours               *float64
	}
}

const statsQuery = `query($from:Time,$to:Time){problemStats(from:$from,to:$to){collected resolved confirmed open withdrawn overdue
	byCategory{key label collected resolved confirmed open withdrawn} byLevel{key label collected resolved confirmed open withdrawn}
	byStatus{key label collected resolved confirmed open withdrawn} byTown{key label collected resolved confirmed open withdrawn}
	byDepartment{key label collected resolved confirmed open withdrawn} byMonth{key label collected resolved confirmed open withdrawn}
	medianResponseHours medianResolutionHours}}`

// TestProblemStatsAgreeWithTheRecords checks the figures against the problems
// listed one by one, for a leader (everything) and an official (own firms).
func TestProblemStatsAgreeWithTheRecords(t *testing.T) {
	s := startServer(t)
	for _, user := range []string{"maojianguo", "zhulijun"} {
		t.Run(user, func(t *testing.T) {
			var list struct {
				Problems struct {
					TotalCount int
					Edges      []struct {
						Node struct {
							Status, Category string
							Overdue          bool
						}
					}
				}
			}
			s.as(user, `{problems(first:100){totalCount edges{node{status category overdue}}}}`, nil).decode(t, &list)
			want := map[string]int{}
			for _, e := range list.Problems.Edges {
				n := e.Node
				want["collected"]++
				want["cat:"+n.Category]++
				switch n.Status {
				case "RESOLVED":
					want["resolved"]++
				case "CONFIRMED":
					want["resolved"]++
					want["confirmed"]++
				case "WITHDRAWN":
					want["withdrawn"]++
				default:
					want["open"]++
				}
				if n.Overdue {
					want["overdue"]++
				}
			}
			start := time.Now()
			var st statsView
			s.as(user, statsQuery, nil).decode(t, &st)
			t.Logf("problemStats over %d problems: %v", list.Problems.TotalCount, time.Since(start))
			p := st.ProblemStats
			got := map[string]int{"collected": p.Collected, "resolved": p.Resolved, "confirmed": p.Confirmed, "withdrawn": p.Withdrawn, "open": p.Open, "overdue": p.Overdue}
			for k, v := range got {
				if want[k] != v {
					t.Errorf("%s = %d, want %d", k, v, want[k])
				}
			}
			for name, bs := range map[string][]bucket{"category": p.ByCategory, "level": p.ByLevel, "status": p.ByStatus, "town": p.ByTown, "department": p.ByDepartment, "month": p.ByMonth} {
				sum, resolved := 0, 0
				for _, b := range bs {
					sum += b.Collected
					resolved += b.Resolved
					if b.Collected != b.Resolved+b.Open+b.Withdrawn {
						t.Errorf("%s %s: %d collected != %d resolved + %d open + %d withdrawn", name, b.Key, b.Collected, b.Resolved, b.Open, b.Withdrawn)
					}
				}
				if name == "department" {
					// A problem counts under each department that carries it.
					if sum < p.Collected || resolved < p.Resolved {
						t.Errorf("by department sums to %d/%d, want at least %d/%d", sum, resolved, p.Collected, p.Resolved)
					}
				} else if sum != p.Collected || resolved != p.Resolved {
					t.Errorf("by %s sums to %d/%d, want %d/%d", name, sum, resolved, p.Collected, p.Resolved)
				}
			}
			for _, b := range p.ByCategory {
				if b.Collected != want["cat:"+b.Key] || b.Label == b.Key {
					t.Errorf("category %s (%s) = %d, want %d", b.Key, b.Label, b.Collected, want["cat:"+b.Key])
				}
			}
			if p.MedianResponseHours == nil || p.MedianResolutionHours == nil {
				t.Errorf("medians missing: %v %v", p.MedianResponseHours, p.MedianResolutionHours)
			}
		})
	}
	t.Run("Period", func(t *testing.T) {
		var all, none statsView
		s.as("maojianguo", statsQuery, map[string]any{"from": "2000-01-01T00:00:00Z"}).decode(t, &all)
		s.as("maojianguo", statsQuery, map[string]any{"to": "2000-01-01T00:00:00Z"}).decode(t, &none)
		if all.ProblemStats.Collected == 0 || none.ProblemStats.Collected != 0 || none.ProblemStats.MedianResponseHours != nil {
			t.Fatalf("period: all %d, none %d", all.ProblemStats.Collected, none.ProblemStats.Collected)
		}
		if code := s.as("maojianguo", statsQuery, map[string]any{"from": "2026-01-01T00:00:00Z", "to": "2025-01-01T00:00:00Z"}).code(); code != "BAD_USER_INPUT" {
			t.Fatalf("reversed period: %q", code)
		}
	})
}

// TestOfficialRankingShowsItsComponents checks that every entry's total is the
// sum of its components' points and that the order follows the totals.
func TestOfficialRankingShowsItsComponents(t *testing.T) {
	s := startServer(t)
	q := `{officialRanking{rank officialId name total official{name} components{name value count points rule}}}`
	var out struct {
		OfficialRanking []struct {
			Rank       int
			OfficialID string
			Name       string
			Total      float64
			Official   *struct{ Name string }
			Components []struct {
				Name   string
				Value  float64
				Count  int
				Points float64
				Rule   string
			}
		}
	}
	start := time.Now()
	s.as("maojianguo", q, nil).decode(t, &out)
	t.Logf("officialRanking: %v", time.Since(start))
	r := out.OfficialRanking
	if len(r) < 5 {
		t.Fatalf("ranking has %d officials", len(r))
	}
	for i, e := range r {
		sum := 0.0
		for _, c := range e.Components {
			sum += c.Points
			if c.Rule == "" {
				t.Errorf("%s: component %s has no rule", e.Name, c.Name)
			}
		}
		if len(e.Components) != 10 || math.Abs(sum-e.Total) > 0.05 {
			t.Errorf("%s: %d components summing to %v, total %v", e.Name, len(e.Components), sum, e.Total)
		}
		if i > 0 && (e.Total > r[i-1].Total || e.Rank < r[i-1].Rank) {
			t.Errorf("out of order at %d: %+v after %+v", i, e, r[i-1])
		}
		if e.Official == nil || e.Official.Name != e.Name {
			t.Errorf("leader cannot open %s's record", e.Name)
		}
	}
	var seen struct {
		OfficialRanking []struct{ Name string }
	}
	s.as("zhoushiyue", `{officialRanking{name}}`, nil).decode(t, &seen)
	if len(seen.OfficialRanking) != len(r) {
		t.Errorf("an official sees %d entries, the leader %d", len(seen.OfficialRanking), len(r))
	}
	if code := s.as("moweiliang", `{officialRanking{name}}`, nil).code(); code != "FORBIDDEN" {
		t.Errorf("enterprise reads the ranking: %q", code)
	}
}
