package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// readmeBlock returns the README's GraphQL example that contains marker.
func readmeBlock(t *testing.T, marker string) string {
	t.Helper()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile("(?s)```graphql\n(.*?)```").FindAllStringSubmatch(string(b), -1) {
		if strings.Contains(m[1], marker) {
			return m[1]
		}
	}
	t.Fatalf("README has no GraphQL example with %q", marker)
	return ""
}

// TestReadmePostExample runs the README's changeOfficialPost example as
// written: it used to close 周世岳's post on the day it began and enter the
// same post again.
func TestReadmePostExample(t *testing.T) {
	s := startServer(t)
	var found struct {
		Officials struct {
			Edges []struct {
				Node struct {
					ID          string
					CurrentPost struct{ Bureau, Title string }
				}
			}
		}
	}
	s.as("admin", readmeBlock(t, `officials(filter: { search: "周世岳" })`), nil).decode(t, &found)
	if len(found.Officials.Edges) != 1 || found.Officials.Edges[0].Node.CurrentPost.Bureau != "县市场监管局" {
		t.Fatalf("officials = %+v", found.Officials.Edges)
	}
	id := found.Officials.Edges[0].Node.ID
	mutation := strings.Replace(readmeBlock(t, "changeOfficialPost("), `<周世岳's id>`, id, 1)
	var moved struct {
		ChangeOfficialPost struct {
			Posts []struct {
				Bureau, Title, From string
				To                  *string
			}
			CurrentPost struct{ Bureau string }
			Pairings    []struct{ Active bool }
		}
	}
	s.as("admin", mutation, nil).decode(t, &moved)
	o := moved.ChangeOfficialPost
	if len(o.Posts) != 3 || o.CurrentPost.Bureau != "县发展和改革局" || o.Posts[2].To != nil {
		t.Fatalf("posts = %+v", o.Posts)
	}
	for i := range 2 {
		if o.Posts[i].To == nil || *o.Posts[i].To != o.Posts[i+1].From || o.Posts[i].From >= *o.Posts[i].To {
			t.Fatalf("posts do not follow one another: %+v", o.Posts)
		}
	}
	if len(o.Pairings) == 0 || !o.Pairings[0].Active {
		t.Fatalf("pairings = %+v", o.Pairings)
	}

	// Run again as written, and with a start in 2030: refused, with the field.
	for _, tc := range []struct{ name, query, field string }{
		{"again", mutation, "bureau"},
		{"future", strings.Replace(mutation, "2021-09-01", "2030-01-01", 1), "from"},
		{"same day", strings.Replace(mutation, "县发展和改革局", "县经济商务局", 1), "from"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := s.as("admin", tc.query, nil)
			if r.code() != "BAD_USER_INPUT" || r.Errors[0].Extensions["field"] != tc.field {
				t.Fatalf("errors = %+v, want BAD_USER_INPUT on %s", r.Errors, tc.field)
			}
		})
	}
	var now struct {
		Official struct {
			Posts       []struct{ Bureau string }
			CurrentPost struct{ Bureau string }
		}
	}
	s.as("admin", `query($id:ID!){official(id:$id){posts{bureau} currentPost{bureau}}}`, map[string]any{"id": id}).decode(t, &now)
	if len(now.Official.Posts) != 3 || now.Official.CurrentPost.Bureau != "县发展和改革局" {
		t.Fatalf("a refused change was stored: %+v", now.Official)
	}
}
