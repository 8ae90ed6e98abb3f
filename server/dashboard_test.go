package main

import (
	"testing"
	"time"
)

const miaogao = "妙高街道"

type problemRow struct {
	ID         string
	Enterprise struct{ Name, Town string }
}

func (s *testServer) dashboardToken(t *testing.T, grants []string, town any) (token, id string) {
	t.Helper()
	var out struct {
		CreateDashboardToken struct {
			Token          string
			DashboardToken struct{ ID string }
		}
	}
	s.as("admin", `mutation($g:[DashboardGrant!]!,$town:String,$exp:Time!){createDashboardToken(input:{name:"县大屏",grants:$g,town:$town,expiresAt:$exp}){token dashboardToken{id}}}`,
		map[string]any{"g": grants, "town": town, "exp": time.Now().Add(7 * 24 * time.Hour).Format(time.RFC3339)}).decode(t, &out)
	return out.CreateDashboardToken.Token, out.CreateDashboardToken.DashboardToken.ID
}

func allProblems(t *testing.T, s *testServer, token string) []problemRow {
	t.Helper()
	var out struct {
		Problems struct {
			TotalCount int
			Edges      []struct{ Node problemRow }
		}
	}
	s.post(token, `{problems(first:100){totalCount edges{node{id enterprise{name town}}}}}`, nil).decode(t, &out)
	rows := make([]problemRow, len(out.Problems.Edges))
	for i, e := range out.Problems.Edges {
		rows[i] = e.Node
	}
	return rows
}

// TestDashboardTokens: a dashboard token reads exactly its grant (problems of
// one town, with their enterprise and progress log) and nothing else.
func TestDashboardTokens(t *testing.T) {
	s := startServer(t)
	token, id := s.dashboardToken(t, []string{"PROBLEMS_READ"}, miaogao)
	adminRows := allProblems(t, s, s.token("admin"))

	t.Run("ReadsExactlyItsTown", func(t *testing.T) {
		rows := allProblems(t, s, token)
		want := 0
		for _, r := range adminRows {
			if r.Enterprise.Town == miaogao {
				want++
			}
		}
		if len(rows) != want || want == 0 {
			t.Fatalf("dashboard sees %d problems, want the %d of %s", len(rows), want, miaogao)
		}
		for _, r := range rows {
			if r.Enterprise.Town != miaogao {
				t.Fatalf("leak: problem of %s (%s)", r.Enterprise.Name, r.Enterprise.Town)
			}
		}
	})
	t.Run("ProblemOutsideTownNotFound", func(t *testing.T) {
		for _, r := range adminRows {
			if r.Enterprise.Town != miaogao {
				res := s.post(token, `query($id:ID!){problem(id:$id){title}}`, map[string]any{"id": r.ID})
				if res.code() != "NOT_FOUND" {
					t.Fatalf("code %q, want NOT_FOUND", res.code())
				}
				return
			}
		}
		t.Fatal("demo data has no problem outside the town")
	})
	for _, tc := range []struct{ name, query string }{
		{"Me", `{me{id}}`},
		{"Enterprises", `{enterprises{totalCount}}`},
		{"Officials", `{officials{totalCount}}`},
		{"Visits", `{visits{totalCount}}`},
		{"Pairings", `{pairings{id}}`},
		{"SpotChecks", `{spotChecks{totalCount}}`},
		{"Users", `{users{totalCount}}`},
		{"AuditLog", `{auditLog{totalCount}}`},
		{"DashboardTokens", `{dashboardTokens{id}}`},
		{"NestedVisits", `{problems(first:1){edges{node{enterprise{visits{totalCount}}}}}}`},
		{"NestedContact", `{problems(first:1){edges{node{enterprise{contact{phone}}}}}}`},
		{"NestedOfficial", `{problems(first:1){edges{node{enterprise{leadOfficial{name}}}}}}`},
		{"NestedPairings", `{problems(first:1){edges{node{enterprise{pairings{id}}}}}}`},
		{"ReportProblem", `mutation{reportProblem(input:{category:FINANCING,title:"x"}){id}}`},
		{"Logout", `mutation{logout}`},
		{"CreateDashboardToken", `mutation{createDashboardToken(input:{name:"x",grants:[PROBLEMS_READ],expiresAt:"2030-01-01T00:00:00Z"}){token}}`},
		{"StatsWithoutGrant", `{problemStats{collected}}`},
		{"Ranking", `{officialRanking{name}}`},
	} {
		t.Run("Denied/"+tc.name, func(t *testing.T) {
			if c := s.post(token, tc.query, nil).code(); c != "FORBIDDEN" {
				t.Fatalf("code %q, want FORBIDDEN", c)
			}
		})
	}
	t.Run("StatsGrantDoesNotReadProblems", func(t *testing.T) {
		stats, _ := s.dashboardToken(t, []string{"STATS_READ"}, nil)
		if c := s.post(stats, `{problems{totalCount}}`, nil).code(); c != "FORBIDDEN" {
			t.Fatalf("code %q, want FORBIDDEN", c)
		}
	})
	t.Run("StatsGrantReadsStatistics", func(t *testing.T) {
		var all, town struct {
			ProblemStats struct {
				Collected  int
				ByCategory []struct{ Label string }
			}
		}
		stats, _ := s.dashboardToken(t, []string{"STATS_READ"}, nil)
		s.post(stats, `{problemStats{collected byCategory{label}}}`, nil).decode(t, &all)
		if all.ProblemStats.Collected == 0 || len(all.ProblemStats.ByCategory) == 0 {
			t.Fatalf("stats = %+v", all.ProblemStats)
		}
		townStats, _ := s.dashboardToken(t, []string{"STATS_READ"}, miaogao)
		s.post(townStats, `{problemStats{collected}}`, nil).decode(t, &town)
		if town.ProblemStats.Collected >= all.ProblemStats.Collected {
			t.Fatalf("a one-town token counts %d of %d problems", town.ProblemStats.Collected, all.ProblemStats.Collected)
		}
	})
	t.Run("OnlyAdminsIssue", func(t *testing.T) {
		for _, u := range []string{"maojianguo", "zhoushiyue", "moweiliang"} {
			res := s.as(u, `mutation{createDashboardToken(input:{name:"x",grants:[PROBLEMS_READ],expiresAt:"2030-01-01T00:00:00Z"}){token}}`, nil)
			if res.code() != "FORBIDDEN" {
				t.Fatalf("%s: code %q, want FORBIDDEN", u, res.code())
			}
		}
	})
	t.Run("BadInput", func(t *testing.T) {
		for name, exp := range map[string]time.Time{"Past": time.Now().Add(-time.Hour), "TooLong": time.Now().Add(400 * 24 * time.Hour)} {
			res := s.as("admin", `mutation($e:Time!){createDashboardToken(input:{name:"x",grants:[PROBLEMS_READ],expiresAt:$e}){token}}`,
				map[string]any{"e": exp.Format(time.RFC3339)})
			if res.code() != "BAD_USER_INPUT" {
				t.Fatalf("%s: code %q, want BAD_USER_INPUT", name, res.code())
			}
		}
		res := s.as("admin", `mutation{createDashboardToken(input:{name:"x",grants:[],expiresAt:"2030-01-01T00:00:00Z"}){token}}`, nil)
		if res.code() != "BAD_USER_INPUT" {
			t.Fatalf("no grants: code %q, want BAD_USER_INPUT", res.code())
		}
	})
	t.Run("UseIsAudited", func(t *testing.T) {
		var out struct {
			AuditLog struct {
				TotalCount int
				Edges      []struct {
					Node struct{ SubjectID, Detail string }
				}
			}
		}
		s.as("admin", `query($id:String){auditLog(first:100,filter:{action:"dashboard.used",subjectId:$id}){totalCount edges{node{subjectId detail}}}}`,
			map[string]any{"id": id}).decode(t, &out)
		if out.AuditLog.TotalCount == 0 {
			t.Fatal("dashboard use not audited")
		}
	})
	t.Run("ListedAndRevoked", func(t *testing.T) {
		var list struct {
			DashboardTokens []struct {
				ID     string
				Grants []string
				Town   *string
			}
		}
		s.as("admin", `{dashboardTokens{id grants town}}`, nil).decode(t, &list)
		found := false
		for _, d := range list.DashboardTokens {
			found = found || (d.ID == id && d.Town != nil && *d.Town == miaogao)
		}
		if !found {
			t.Fatalf("token not listed: %+v", list)
		}
		var out struct{ RevokeDashboardToken struct{ RevokedAt *string } }
		s.as("admin", `mutation($id:ID!){revokeDashboardToken(id:$id){revokedAt}}`, map[string]any{"id": id}).decode(t, &out)
		if out.RevokeDashboardToken.RevokedAt == nil {
			t.Fatal("revokedAt not set")
		}
		if c := s.post(token, `{problems{totalCount}}`, nil).code(); c != "UNAUTHENTICATED" {
			t.Fatalf("revoked dashboard token: code %q, want UNAUTHENTICATED", c)
		}
	})
}
