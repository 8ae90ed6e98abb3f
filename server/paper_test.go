package main

import (
	"slices"
	"testing"
	"time"

	lqsync "github.com/lianqi/lianqi/sync"
)

// problemPaper is what the ladder's paper trail looks like over GraphQL.
type problemPaper struct {
	ID, Level, ResponsibleDepartment string
	Version                          int
	Letter                           *struct {
		To        []string
		Reference string
	}
	DepartmentReplies []struct {
		Department, Reply, RepliedBy string
		RepliedAt                    *string
		Overdue                      bool
	}
	OverdueDepartments []string
	ExecutiveDecision  *struct {
		Decision, Assignee, RecordedBy string
		Overdue                        bool
	}
	History []struct{ Kind, AuthorName string }
}

const paperFields = `id level version responsibleDepartment letter{to reference} departmentReplies{department reply repliedBy repliedAt overdue}
	overdueDepartments executiveDecision{decision assignee recordedBy overdue} history{kind authorName}`

// TestLadderPaperTrail walks one problem up the ladder through HTTP: L2 makes
// the chief's bureau responsible, L3 by letter asks two departments who are
// judged one by one, L4 records the executive meeting's decision; phones get
// the paper trail and cannot change it.
func TestLadderPaperTrail(t *testing.T) {
	s := startServer(t)
	var me struct {
		Me struct{ Enterprise struct{ ID string } }
	}
	s.as("moweiliang", `{me{enterprise{id}}}`, nil).decode(t, &me)
	var rep struct{ ReportProblem problemPaper }
	s.as("zhoushiyue", `mutation($e:ID){reportProblem(input:{enterpriseId:$e,category:ENVIRONMENT,title:"打桩影响邻厂",responsibleDepartment:"某科室"}){`+paperFields+`}}`,
		map[string]any{"e": me.Me.Enterprise.ID}).decode(t, &rep)
	id := rep.ReportProblem.ID
	step := func(user, mutation string, vars map[string]any) problemPaper {
		t.Helper()
		if vars == nil {
			vars = map[string]any{}
		}
		vars["id"] = id
		var out map[string]problemPaper
		s.as(user, mutation+`{`+paperFields+`}}`, vars).decode(t, &out)
		for _, p := range out {
			return p
		}
		return problemPaper{}
	}

	// The chief recorded it himself, so it is acknowledged already (a
	// difficulty he writes down is taken up by that act).
	p := step("zhoushiyue", `mutation($id:ID!){escalateProblem(id:$id,input:{level:L2,reason:"局内研究"})`, nil)
	if p.ResponsibleDepartment != "县市场监管局" {
		t.Fatalf("L2 responsible department = %q, want the chief's bureau", p.ResponsibleDepartment)
	}

	replyBy := time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)
	p = step("zhoushiyue", `mutation($id:ID!,$by:Time){escalateProblem(id:$id,input:{level:L3,mode:LETTER,departments:["生态环境分局","住建局"],
		reason:"需其他部门",replyBy:$by,letter:{reference:"遂市监函〔2026〕1号"}})`, map[string]any{"by": replyBy})
	if p.Letter == nil || p.Letter.Reference != "遂市监函〔2026〕1号" || !slices.Equal(p.Letter.To, []string{"生态环境分局", "住建局"}) ||
		len(p.DepartmentReplies) != 2 || len(p.OverdueDepartments) != 0 {
		t.Fatalf("after L3: %+v", p)
	}
	p = step("zhoushiyue", `mutation($id:ID!){recordDepartmentReply(id:$id,department:"生态环境分局",reply:"同意改用压路机碾压")`, nil)
	if r := p.DepartmentReplies[0]; r.RepliedAt == nil || r.RepliedBy != "周世岳" || r.Reply != "同意改用压路机碾压" {
		t.Fatalf("reply = %+v", r)
	}
	for _, tc := range []struct{ name, user, query, code string }{
		{"ErrReplyFromDepartmentNotAsked", "zhoushiyue", `mutation($id:ID!){recordDepartmentReply(id:$id,department:"财政局",reply:"x"){id}}`, "BAD_USER_INPUT"},
		{"ErrDecisionBelowL4", "maojianguo", `mutation($id:ID!){recordExecutiveDecision(id:$id,input:{decision:"x",assignee:"y"}){id}}`, "BAD_USER_INPUT"},
		{"ErrOfficialPutsOnL4", "zhoushiyue", `mutation($id:ID!){escalateProblem(id:$id,input:{level:L4,reason:"x"}){id}}`, "FORBIDDEN"},
		{"ErrEnterpriseRecordsReply", "moweiliang", `mutation($id:ID!){recordDepartmentReply(id:$id,department:"住建局",reply:"x"){id}}`, "FORBIDDEN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if code := s.as(tc.user, tc.query, map[string]any{"id": id}).code(); code != tc.code {
				t.Fatalf("code = %q, want %q", code, tc.code)
			}
		})
	}

	t.Run("PhonesReadButCannotChangeThePaper", func(t *testing.T) {
		zhou := s.device("zhoushiyue", "zhou-phone")
		mustSync(t, zhou)
		d, ok := zhou.Doc(lqsync.Problems, id)
		if !ok || d["letterReference"] != "遂市监函〔2026〕1号" {
			t.Fatalf("pulled %v", d)
		}
		zhou.Edit(lqsync.Problems, id, func(d map[string]any) { d["title"] = "打桩影响邻厂（化工储罐）" })
		if r := mustSync(t, zhou); len(r.Rejected) > 0 || r.Conflicts > 0 {
			t.Fatalf("a title edit next to the paper trail: %+v", r)
		}
		zhou.Edit(lqsync.Problems, id, func(d map[string]any) { d["letterReference"] = "伪造" })
		r := mustSync(t, zhou)
		if len(r.Rejected) != 1 || r.Rejected[0].Code != "BAD_USER_INPUT" {
			t.Fatalf("changing the letter from a phone: %+v", r)
		}
		var out struct{ Problem problemPaper }
		s.as("maojianguo", `query($id:ID!){problem(id:$id){`+paperFields+`}}`, map[string]any{"id": id}).decode(t, &out)
		if out.Problem.Letter.Reference != "遂市监函〔2026〕1号" {
			t.Fatalf("letter = %+v", out.Problem.Letter)
		}
	})

	// Three days on: 住建局 has not replied by its deadline, 生态环境分局 has.
	later := time.Now().Add(72 * time.Hour)
	s.m.Service.Now = func() time.Time { return later }
	s.m.DB.Now = func() time.Time { return later }
	var q struct {
		Problem             problemPaper
		OverdueByDepartment []struct {
			Department string
			Problems   []struct{ ID string }
		}
	}
	s.as("maojianguo", `query($id:ID!){problem(id:$id){`+paperFields+`} overdueByDepartment{department problems{id}}}`, map[string]any{"id": id}).decode(t, &q)
	if !slices.Equal(q.Problem.OverdueDepartments, []string{"住建局"}) || q.Problem.DepartmentReplies[1].Overdue == false || q.Problem.DepartmentReplies[0].Overdue {
		t.Fatalf("per-department overdue: %+v", q.Problem)
	}
	listed := map[string]bool{}
	for _, g := range q.OverdueByDepartment {
		for _, pr := range g.Problems {
			if pr.ID == id {
				listed[g.Department] = true
			}
		}
	}
	if !listed["住建局"] || listed["生态环境分局"] || listed["县市场监管局"] {
		t.Fatalf("overdueByDepartment lists the problem under %v, want only 住建局", listed)
	}

	step("maojianguo", `mutation($id:ID!){escalateProblem(id:$id,input:{level:L4,reason:"涉及多部门的共性问题"})`, nil)
	if code := s.as("zhoushiyue", `mutation($id:ID!){recordExecutiveDecision(id:$id,input:{decision:"x",assignee:"y"}){id}}`, map[string]any{"id": id}).code(); code != "FORBIDDEN" {
		t.Fatalf("an official records the executive decision: %q", code)
	}
	deadline := later.Add(24 * time.Hour).UTC().Format(time.RFC3339)
	p = step("maojianguo", `mutation($id:ID!,$d:Time){recordExecutiveDecision(id:$id,input:{decision:"由住建局牵头，一个月内完成",assignee:"住建局",deadline:$d})`, map[string]any{"d": deadline})
	if x := p.ExecutiveDecision; x == nil || x.Assignee != "住建局" || x.RecordedBy != "毛建国" || x.Overdue {
		t.Fatalf("decision = %+v", x)
	}
	var kinds []string
	for _, h := range p.History {
		kinds = append(kinds, h.Kind)
		if h.AuthorName != "周世岳" && h.AuthorName != "毛建国" {
			t.Fatalf("history shows %q, want display names", h.AuthorName)
		}
	}
	for _, k := range []string{"ESCALATE", "DEPARTMENT_REPLY", "EXECUTIVE_DECISION"} {
		if !slices.Contains(kinds, k) {
			t.Fatalf("history kinds %v lack %s", kinds, k)
		}
	}
}

// TestStatsCountCoordinatingDepartmentsAndDeletions: byDepartment counts a
// problem under every department an L3 escalation asked, and a deleted problem
// is audited and listed in the statistics instead of silently vanishing.
func TestStatsCountCoordinatingDepartmentsAndDeletions(t *testing.T) {
	s := startServer(t)
	type stats struct {
		ProblemStats struct {
			Collected, Deleted int
			ByDepartment       []struct {
				Key       string
				Collected int
			}
			Deletions []struct{ ProblemID, Title, DeletedBy string }
		}
	}
	const q = `{problemStats{collected deleted byDepartment{key collected} deletions{problemId title deletedBy}}}`
	var before stats
	s.as("maojianguo", q, nil).decode(t, &before)

	var me struct {
		Me struct{ Enterprise struct{ ID string } }
	}
	s.as("moweiliang", `{me{enterprise{id}}}`, nil).decode(t, &me)
	report := func(title string) string {
		var out struct{ ReportProblem struct{ ID string } }
		s.as("zhoushiyue", `mutation($e:ID,$t:String!){reportProblem(input:{enterpriseId:$e,category:OTHER,title:$t,responsibleDepartment:"县市场监管局"}){id}}`,
			map[string]any{"e": me.Me.Enterprise.ID, "t": title}).decode(t, &out)
		return out.ReportProblem.ID
	}
	shared, mistaken := report("天然气管道安装"), report("录入错误")
	s.as("zhoushiyue", `mutation($id:ID!){escalateProblem(id:$id,input:{level:L3,mode:MEETING,departments:["测试协调局"],reason:"需协调",
		meeting:{date:"2026-11-20T00:00:00Z",decisions:"协调局负责接管"}}){id}}`, map[string]any{"id": shared}).decode(t, &struct{}{})
	s.as("admin", `mutation($id:ID!){deleteProblem(id:$id){id}}`, map[string]any{"id": mistaken}).decode(t, &struct{}{})

	var after stats
	s.as("maojianguo", q, nil).decode(t, &after)
	st := after.ProblemStats
	if st.Collected != before.ProblemStats.Collected+1 || st.Deleted != before.ProblemStats.Deleted+1 {
		t.Fatalf("collected %d → %d, deleted %d → %d", before.ProblemStats.Collected, st.Collected, before.ProblemStats.Deleted, st.Deleted)
	}
	counted := map[string]int{}
	for _, b := range st.ByDepartment {
		counted[b.Key] = b.Collected
	}
	if counted["测试协调局"] != 1 {
		t.Fatalf("the coordinating department counts %d problems, want 1: %v", counted["测试协调局"], counted)
	}
	if len(st.Deletions) == 0 || st.Deletions[0].ProblemID != mistaken || st.Deletions[0].Title != "录入错误" || st.Deletions[0].DeletedBy != "系统管理员" {
		t.Fatalf("deletions = %+v", st.Deletions)
	}
	var audit struct {
		AuditLog struct {
			Edges []struct{ Node struct{ SubjectID string } }
		}
	}
	s.as("admin", `{auditLog(first:5,filter:{action:"problem.deleted"}){edges{node{subjectId}}}}`, nil).decode(t, &audit)
	if len(audit.AuditLog.Edges) != 1 || audit.AuditLog.Edges[0].Node.SubjectID != mistaken {
		t.Fatalf("audit = %+v", audit)
	}
}
