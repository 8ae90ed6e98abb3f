package main

import (
	"testing"
)

// TestListingCountsOnlyWhenSelected: a connection's totalCount costs a count
// (an aggregate on the wire, a second pass over the collection on the
// embedded engine) only when the query selects it, directly or in a fragment.
func TestListingCountsOnlyWhenSelected(t *testing.T) {
	s := startServer(t)
	s.token("maojianguo")
	cases := []struct {
		name, query string
		counts      int64
	}{
		{"NotSelected", `{problems(first:5){edges{node{id title}} pageInfo{hasNextPage}}}`, 0},
		{"Selected", `{problems(first:5){totalCount edges{node{id}}}}`, 1},
		{"InFragment", `{problems(first:5){...c}} fragment c on ProblemConnection{totalCount}`, 1},
		{"InInlineFragment", `{problems(first:5){... on ProblemConnection{totalCount}}}`, 1},
		{"NestedNotSelected", `{enterprises(first:2){edges{node{problems(first:3){edges{node{id}}}}}}}`, 0},
		{"NestedSelected", `{enterprises(first:2){edges{node{problems(first:3){totalCount}}}}}`, 2},
		{"OuterOnly", `{enterprises(first:2){totalCount edges{node{problems(first:3){edges{node{id}}}}}}}`, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := s.m.DB.Commands()["aggregate"]
			var out map[string]any
			s.as("maojianguo", c.query, nil).decode(t, &out)
			if got := s.m.DB.Commands()["aggregate"] - before; got != c.counts {
				t.Fatalf("%s sent %d counts, want %d", c.query, got, c.counts)
			}
		})
	}
	// The count is still right where it is asked for.
	var all struct {
		Problems struct {
			TotalCount int
			Edges      []struct{ Node struct{ ID string } }
		}
	}
	s.as("maojianguo", `{problems(first:100){totalCount edges{node{id}}}}`, nil).decode(t, &all)
	if all.Problems.TotalCount == 0 || all.Problems.TotalCount != len(all.Problems.Edges) {
		t.Fatalf("totalCount %d for %d problems", all.Problems.TotalCount, len(all.Problems.Edges))
	}
}
