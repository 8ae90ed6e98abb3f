package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/lianqi/lianqi/domain"
	"github.com/lianqi/lianqi/export"
)

// download GETs an export with an optional bearer token.
func (s *testServer) download(t *testing.T, token, path string) (rawResponse, []byte) {
	t.Helper()
	r := s.request(t, http.MethodGet, path, "", token, nil)
	return r, r.body
}

// sheetRows reads a downloaded export as rows of text, titles first.
func sheetRows(t *testing.T, format string, body []byte, sheet string) [][]string {
	t.Helper()
	var rows [][]string
	switch format {
	case "csv":
		if !bytes.HasPrefix(body, []byte("\uFEFF")) {
			t.Fatalf("CSV without a UTF-8 byte order mark: %q", body[:min(len(body), 20)])
		}
		var err error
		if rows, err = csv.NewReader(bytes.NewReader(body[3:])).ReadAll(); err != nil {
			t.Fatal(err)
		}
	case "xlsx":
		f, err := excelize.OpenReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if rows, err = f.GetRows(sheet); err != nil {
			t.Fatal(err)
		}
	}
	// Spreadsheets drop trailing empty cells; pad to the title row's width.
	for i := range rows {
		for len(rows[i]) < len(rows[0]) {
			rows[i] = append(rows[i], "")
		}
	}
	return rows
}

type ledgerNode struct {
	ID         string
	Enterprise struct {
		Name, Town   string
		LeadOfficial *struct{ Name string }
	}
	CategoryLabel, Title, Level, Status, ResponsibleDepartment string
	RespondBy, ResolveBy, ReportedAt                           time.Time
	Overdue                                                    bool
	ReporterName                                               string
	History                                                    []struct {
		Kind       domain.Action
		At         time.Time
		AuthorName string
	}
}

const ledgerQuery = `query($f:ProblemFilter,$o:ProblemSort){problems(first:40,filter:$f,orderBy:$o){totalCount edges{node{
	id enterprise{name town leadOfficial{name}} categoryLabel title level status responsibleDepartment
	respondBy resolveBy overdue reportedAt reporterName history{kind at authorName}}}}}`

// ledgerRows is what the problem ledger must hold for the `problems` query's
// answer: the same problems in the same order, one row each.
func ledgerRows(t *testing.T, s *testServer, token string, filter map[string]any, order string) [][]string {
	t.Helper()
	var out struct {
		Problems struct {
			TotalCount int
			Edges      []struct{ Node ledgerNode }
		}
	}
	vars := map[string]any{"f": filter}
	if order != "" {
		vars["o"] = order
	}
	s.post(token, ledgerQuery, vars).decode(t, &out)
	if out.Problems.TotalCount > 40 {
		t.Fatalf("%d problems: the comparison reads one page", out.Problems.TotalCount)
	}
	rows := [][]string{export.ProblemTitles}
	for i, e := range out.Problems.Edges {
		n := e.Node
		lead := ""
		if n.Enterprise.LeadOfficial != nil {
			lead = n.Enterprise.LeadOfficial.Name
		}
		var kind, at, by string
		if h := n.History; len(h) > 0 {
			last := h[len(h)-1]
			kind, at, by = export.ActionLabel(last.Kind), export.FormatTime(last.At), last.AuthorName
		}
		overdue := "否"
		if n.Overdue {
			overdue = "是"
		}
		rows = append(rows, []string{strconv.Itoa(i + 1), n.ID, n.Enterprise.Name, n.Enterprise.Town, lead, n.CategoryLabel, n.Title,
			n.Level, export.StatusLabel(domain.ProblemStatus(n.Status)), n.ResponsibleDepartment, export.FormatTime(n.RespondBy),
			export.FormatTime(n.ResolveBy), overdue, kind, at, by, export.FormatTime(n.ReportedAt), n.ReporterName})
	}
	return rows
}

func sameRows(t *testing.T, got, want [][]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d rows, want %d (titles included)\ngot  %q\nwant %q", len(got), len(want), got, want)
	}
	for i := range want {
		if strings.Join(got[i], "|") != strings.Join(want[i], "|") {
			t.Fatalf("row %d:\ngot  %q\nwant %q", i, got[i], want[i])
		}
	}
}

// TestExportProblems: the ledger holds exactly what the `problems` query
// answers the same caller with the same filter, in CSV and in XLSX.
func TestExportProblems(t *testing.T) {
	s := startServer(t)
	open := []string{"REPORTED", "ACKNOWLEDGED", "IN_PROGRESS"}
	for _, tc := range []struct {
		name, user, query string
		filter            map[string]any
		order             string
	}{
		{"LeaderAll", "maojianguo", "", nil, ""},
		{"LeaderOpenByDue", "maojianguo", "?status=REPORTED&status=ACKNOWLEDGED,IN_PROGRESS&orderBy=DUE_ASC", map[string]any{"statuses": open}, "DUE_ASC"},
		{"AdminLevels", "admin", "?level=L2,L3&category=INFRASTRUCTURE,LABOUR,ENVIRONMENT", map[string]any{"levels": []string{"L2", "L3"}, "categories": []string{"INFRASTRUCTURE", "LABOUR", "ENVIRONMENT"}}, ""},
		{"LeaderOverdue", "maojianguo", "?overdue=true", map[string]any{"overdue": true}, ""},
		// Scope: an official and an enterprise export only what they can list.
		{"OfficialOwn", "zhulijun", "", nil, ""},
		{"EnterpriseOwn", "moweiliang", "", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			token := s.token(tc.user)
			want := ledgerRows(t, s, token, tc.filter, tc.order)
			if tc.name == "LeaderAll" || tc.name == "OfficialOwn" || tc.name == "EnterpriseOwn" {
				if len(want) < 2 {
					t.Fatalf("the demo gives %s no problems to export", tc.user)
				}
			}
			t.Logf("%d problems", len(want)-1)
			for _, format := range []string{"csv", "xlsx"} {
				res, body := s.download(t, token, "/export/problems."+format+tc.query)
				if res.status != http.StatusOK {
					t.Fatalf("%s: status %d: %s", format, res.status, body)
				}
				if ct := res.header.Get("Content-Type"); ct != export.Format(format).ContentType() {
					t.Errorf("%s: Content-Type %q", format, ct)
				}
				cd := res.header.Get("Content-Disposition")
				if !strings.HasPrefix(cd, `attachment; filename="problems-`) || !strings.Contains(cd, "filename*=UTF-8''%E9%97%AE%E9%A2%98%E5%8F%B0%E8%B4%A6-") {
					t.Errorf("%s: Content-Disposition %q", format, cd)
				}
				sameRows(t, sheetRows(t, format, body, "问题台账"), want)
			}
		})
	}
	t.Run("OfficialSeesNoOtherEnterprise", func(t *testing.T) {
		leader := ledgerRows(t, s, s.token("maojianguo"), nil, "")
		_, body := s.download(t, s.token("zhoushiyue"), "/export/problems.csv")
		mine := sheetRows(t, "csv", body, "")
		if len(mine) < 2 || len(mine) >= len(leader) {
			t.Fatalf("周世岳 exported %d rows of the county's %d", len(mine)-1, len(leader)-1)
		}
		for _, r := range mine[1:] {
			if r[2] != "浙江良盛元化工有限公司" {
				t.Fatalf("周世岳 exported a problem of %s", r[2])
			}
		}
	})
	t.Run("DashboardSeesNoNames", func(t *testing.T) {
		token, _ := s.dashboardToken(t, []string{"PROBLEMS_READ"}, miaogao)
		rows := allProblems(t, s, token)
		_, body := s.download(t, token, "/export/problems.xlsx")
		got := sheetRows(t, "xlsx", body, "问题台账")
		if len(got) != len(rows)+1 || len(rows) == 0 {
			t.Fatalf("%d rows, the dashboard lists %d", len(got)-1, len(rows))
		}
		for i, r := range got[1:] {
			if r[1] != rows[i].ID || r[3] != miaogao || r[4] != "" || r[15] != "" || r[17] != "" {
				t.Fatalf("row %d = %q: want problem %s of %s with no names", i+1, r, rows[i].ID, miaogao)
			}
		}
	})
}

// TestExportRefusals: what a caller cannot list, they cannot export; every
// refusal is JSON with a code, never a file.
func TestExportRefusals(t *testing.T) {
	s := startServer(t)
	statsOnly, _ := s.dashboardToken(t, []string{"STATS_READ"}, nil)
	for _, tc := range []struct {
		name, token, path string
		status            int
		code, field       string
	}{
		{"Anonymous", "", "/export/problems.csv", 401, "UNAUTHENTICATED", ""},
		{"BadToken", "not-a-token", "/export/problems.xlsx", 401, "UNAUTHENTICATED", ""},
		{"EnterpriseRanking", s.token("moweiliang"), "/export/ranking.xlsx", 403, "FORBIDDEN", ""},
		{"DashboardWithoutGrant", statsOnly, "/export/problems.csv", 403, "FORBIDDEN", ""},
		{"DashboardRanking", statsOnly, "/export/ranking.csv", 403, "FORBIDDEN", ""},
		{"BadStatus", s.token("maojianguo"), "/export/problems.csv?status=OPEN", 400, "BAD_USER_INPUT", "status"},
		{"BadOverdue", s.token("maojianguo"), "/export/problems.csv?overdue=yes", 400, "BAD_USER_INPUT", "overdue"},
		{"BadOrder", s.token("maojianguo"), "/export/problems.csv?orderBy=TITLE", 400, "BAD_USER_INPUT", "orderBy"},
		{"BadPeriod", s.token("maojianguo"), "/export/ranking.csv?from=2026-02-01&to=2026-01-01", 400, "BAD_USER_INPUT", "to"},
		{"BadDate", s.token("maojianguo"), "/export/ranking.csv?from=yesterday", 400, "BAD_USER_INPUT", "from"},
		{"BadFormat", s.token("maojianguo"), "/export/problems.pdf", 400, "BAD_USER_INPUT", "format"},
		{"Unknown", s.token("maojianguo"), "/export/users.csv", 404, "NOT_FOUND", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body := s.download(t, tc.token, tc.path)
			var out gqlResponse
			if err := json.Unmarshal(body, &out); err != nil {
				t.Fatalf("status %d, not JSON: %q", res.status, body[:min(len(body), 80)])
			}
			if res.status != tc.status || out.code() != tc.code || res.header.Get("Content-Disposition") != "" {
				t.Fatalf("status %d, errors %+v; want %d %s", res.status, out.Errors, tc.status, tc.code)
			}
			if tc.field != "" && out.Errors[0].Extensions["field"] != tc.field {
				t.Fatalf("field = %v, want %s", out.Errors[0].Extensions["field"], tc.field)
			}
		})
	}
}

// TestExportRanking: the ranking file holds the `officialRanking` answer.
func TestExportRanking(t *testing.T) {
	s := startServer(t)
	for _, tc := range []struct{ user, query string }{
		{"maojianguo", ""},
		{"zhoushiyue", "?from=2019-01-01&to=" + time.Now().AddDate(0, 0, 1).Format(time.DateOnly)},
	} {
		t.Run(tc.user, func(t *testing.T) {
			vars := map[string]any{}
			if tc.query != "" {
				vars["from"] = "2019-01-01"
				vars["to"] = time.Now().AddDate(0, 0, 1).Format(time.DateOnly)
			}
			var out struct {
				OfficialRanking []struct {
					Rank     int
					Name     string
					Total    float64
					Official *struct {
						CurrentPost *struct{ Bureau, Title string }
					}
					Components []struct {
						Name          string
						Value, Points float64
					}
				}
			}
			s.as(tc.user, `query($from:Time,$to:Time){officialRanking(from:$from,to:$to){rank name total official{currentPost{bureau title}} components{name value points}}}`, vars).decode(t, &out)
			if len(out.OfficialRanking) == 0 {
				t.Fatal("empty ranking")
			}
			want := [][]string{export.RankingTitles}
			num := func(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
			for _, e := range out.OfficialRanking {
				var bureau, title string
				if e.Official != nil && e.Official.CurrentPost != nil {
					bureau, title = e.Official.CurrentPost.Bureau, e.Official.CurrentPost.Title
				}
				row := []string{strconv.Itoa(e.Rank), e.Name, bureau, title, num(e.Total)}
				for _, c := range e.Components {
					row = append(row, num(c.Value), num(c.Points))
				}
				want = append(want, row)
			}
			for _, format := range []string{"csv", "xlsx"} {
				res, body := s.download(t, s.token(tc.user), "/export/ranking."+format+tc.query)
				if res.status != http.StatusOK {
					t.Fatalf("%s: status %d: %s", format, res.status, body)
				}
				if cd := res.header.Get("Content-Disposition"); !strings.Contains(cd, `filename="ranking-`) {
					t.Errorf("Content-Disposition %q", cd)
				}
				sameRows(t, sheetRows(t, format, body, "服务成绩排名"), want)
			}
		})
	}
}
