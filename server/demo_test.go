package main

import (
	"strings"
	"testing"
)

// TestDemoSourcesOverGraphQL: a client reading the demo over GraphQL sees on
// every visit, spot check, quiz, rating and periodic rating where it comes
// from, as on enterprises and problems: "article: …" or "demo: …".
func TestDemoSourcesOverGraphQL(t *testing.T) {
	s := startServer(t)
	var out struct {
		Visits struct {
			Edges []struct{ Node struct{ Source string } }
		}
		SpotChecks struct {
			Edges []struct{ Node struct{ Source string } }
		}
		Quizzes struct {
			Edges []struct{ Node struct{ Source string } }
		}
		Ratings         []struct{ Source string }
		PeriodicRatings []struct{ Source string }
	}
	s.as("maojianguo", `{
		visits(first: 100) { edges { node { source } } }
		spotChecks(first: 100) { edges { node { source } } }
		quizzes(first: 100) { edges { node { source } } }
		ratings { source }
		periodicRatings { source }
	}`, nil).decode(t, &out)

	kinds := map[string][]string{}
	for _, e := range out.Visits.Edges {
		kinds["visit"] = append(kinds["visit"], e.Node.Source)
	}
	for _, e := range out.SpotChecks.Edges {
		kinds["spot check"] = append(kinds["spot check"], e.Node.Source)
	}
	for _, e := range out.Quizzes.Edges {
		kinds["quiz"] = append(kinds["quiz"], e.Node.Source)
	}
	for _, r := range out.Ratings {
		kinds["rating"] = append(kinds["rating"], r.Source)
	}
	for _, r := range out.PeriodicRatings {
		kinds["periodic rating"] = append(kinds["periodic rating"], r.Source)
	}
	for _, kind := range []string{"visit", "spot check", "quiz", "rating", "periodic rating"} {
		if len(kinds[kind]) == 0 {
			t.Errorf("no %s in the demo over GraphQL", kind)
		}
		for _, src := range kinds[kind] {
			if !strings.HasPrefix(src, "article: ") && !strings.HasPrefix(src, "demo: ") {
				t.Errorf("%s: source %q, want article: … or demo: …", kind, src)
			}
		}
	}
}
