package main

import (
	"sort"
	"testing"
)

const (
	liangshengyuan = "浙江良盛元化工有限公司"
	dingtai        = "浙江鼎泰新材料有限公司"
	jialong        = "浙江遂昌嘉隆服饰有限公司"
)

// names of the enterprises a connection query returns, sorted.
func enterpriseNames(t *testing.T, s *testServer, user string) []string {
	var out struct {
		Enterprises struct {
			TotalCount int
			Edges      []struct{ Node struct{ Name string } }
		}
	}
	s.as(user, `{enterprises(first:100){totalCount edges{node{name}}}}`, nil).decode(t, &out)
	var names []string
	for _, e := range out.Enterprises.Edges {
		names = append(names, e.Node.Name)
	}
	if out.Enterprises.TotalCount != len(names) {
		t.Fatalf("%s: totalCount %d but %d edges", user, out.Enterprises.TotalCount, len(names))
	}
	sort.Strings(names)
	return names
}

// enterpriseID looks an enterprise up by name as admin.
func enterpriseID(t *testing.T, s *testServer, name string) string {
	var out struct {
		Enterprises struct {
			Edges []struct{ Node struct{ ID, Name string } }
		}
	}
	s.as("admin", `query($n:String){enterprises(first:5,filter:{search:$n}){edges{node{id name}}}}`, map[string]any{"n": name}).decode(t, &out)
	for _, e := range out.Enterprises.Edges {
		if e.Node.Name == name {
			return e.Node.ID
		}
	}
	t.Fatalf("no enterprise %s", name)
	return ""
}

func TestRowScopeByRole(t *testing.T) {
	s := startServer(t)
	all := enterpriseNames(t, s, "admin")
	if len(all) < 8 {
		t.Fatalf("admin sees %d enterprises, want the whole demo programme", len(all))
	}
	for _, tc := range []struct {
		user string
		want []string // nil: everything
	}{
		{"admin", nil},
		{"maojianguo", nil},
		{"zhoushiyue", []string{liangshengyuan}},
		{"zhulijun", []string{dingtai, jialong}},
		{"moweiliang", []string{liangshengyuan}},
	} {
		t.Run(tc.user, func(t *testing.T) {
			want := tc.want
			if want == nil {
				want = all
			}
			sort.Strings(want)
			got := enterpriseNames(t, s, tc.user)
			if len(got) != len(want) {
				t.Fatalf("enterprises = %v, want %v", got, want)
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("enterprises = %v, want %v", got, want)
				}
			}
			allowed := map[string]bool{}
			for _, n := range want {
				allowed[n] = true
			}
			// Every problem and visit, and every nested enterprise reached through
			// them, must belong to the caller's enterprises.
			var out struct {
				Problems struct {
					TotalCount int
					Edges      []struct {
						Node struct {
							Enterprise struct{ Name string }
						}
					}
				}
				Visits struct {
					Edges []struct {
						Node struct {
							Enterprise struct{ Name string }
							Problems   []struct{ Enterprise struct{ Name string } }
						}
					}
				}
			}
			s.as(tc.user, `{problems(first:100){totalCount edges{node{enterprise{name}}}}
				visits(first:100){edges{node{enterprise{name} problems{enterprise{name}}}}}}`, nil).decode(t, &out)
			if out.Problems.TotalCount == 0 {
				t.Fatal("no problems visible: the demo data should give every role some")
			}
			for _, e := range out.Problems.Edges {
				if !allowed[e.Node.Enterprise.Name] {
					t.Fatalf("problem of %s leaked", e.Node.Enterprise.Name)
				}
			}
			for _, e := range out.Visits.Edges {
				if !allowed[e.Node.Enterprise.Name] {
					t.Fatalf("visit at %s leaked", e.Node.Enterprise.Name)
				}
				for _, p := range e.Node.Problems {
					if !allowed[p.Enterprise.Name] {
						t.Fatalf("problem of %s leaked through a visit", p.Enterprise.Name)
					}
				}
			}
		})
	}
}

func TestOutOfScopeReadsAsNotFound(t *testing.T) {
	s := startServer(t)
	dt := enterpriseID(t, s, dingtai)
	var probs struct {
		Problems struct {
			Edges []struct{ Node struct{ ID string } }
		}
	}
	s.as("admin", `query($e:ID){problems(first:1,filter:{enterpriseId:$e}){edges{node{id}}}}`, map[string]any{"e": dt}).decode(t, &probs)
	if len(probs.Problems.Edges) == 0 {
		t.Fatal("demo data has no problem at 鼎泰")
	}
	pid := probs.Problems.Edges[0].Node.ID
	var leadOut struct {
		Enterprise struct{ LeadOfficial struct{ ID string } }
	}
	s.as("admin", `query($id:ID!){enterprise(id:$id){leadOfficial{id}}}`, map[string]any{"id": dt}).decode(t, &leadOut)
	zhulijunID := leadOut.Enterprise.LeadOfficial.ID

	for _, user := range []string{"zhoushiyue", "moweiliang"} {
		for _, tc := range []struct {
			name, query string
			vars        map[string]any
		}{
			{"Enterprise", `query($id:ID!){enterprise(id:$id){name}}`, map[string]any{"id": dt}},
			{"Problem", `query($id:ID!){problem(id:$id){title}}`, map[string]any{"id": pid}},
			{"Official", `query($id:ID!){official(id:$id){name}}`, map[string]any{"id": zhulijunID}},
			{"UnknownID", `query($id:ID!){enterprise(id:$id){name}}`, map[string]any{"id": "01a21461-0000-7000-8000-000000000000"}},
			{"NotAnID", `query($id:ID!){problem(id:$id){title}}`, map[string]any{"id": "../../etc/passwd"}},
		} {
			t.Run(user+"/"+tc.name, func(t *testing.T) {
				if code := s.as(user, tc.query, tc.vars).code(); code != "NOT_FOUND" {
					t.Fatalf("code = %q, want NOT_FOUND", code)
				}
			})
		}
		t.Run(user+"/FilterByForeignEnterprise", func(t *testing.T) {
			var out struct{ Problems struct{ TotalCount int } }
			s.as(user, `query($e:ID){problems(filter:{enterpriseId:$e}){totalCount}}`, map[string]any{"e": dt}).decode(t, &out)
			if out.Problems.TotalCount != 0 {
				t.Fatalf("filtering by another enterprise returned %d problems", out.Problems.TotalCount)
			}
		})
	}
	t.Run("zhulijun/Problem", func(t *testing.T) {
		if code := s.as("zhulijun", `query($id:ID!){problem(id:$id){title}}`, map[string]any{"id": pid}).code(); code != "" {
			t.Fatalf("the paired official cannot read the problem: %s", code)
		}
	})
}
