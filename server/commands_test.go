package main

import (
	"testing"
	"time"
)

type problemState struct {
	ID, Status, Level, EscalationMode string
	Version                           int
	CoordinatingDepartments           []string
}

const stateFields = `id status level escalationMode version coordinatingDepartments`

// TestWorkflowCommands walks a problem through every command, trying each one
// also as a role or a caller that may not take it: a refused command answers
// with its code and changes nothing (the version stays).
func TestWorkflowCommands(t *testing.T) {
	s := startServer(t)
	var rep struct{ ReportProblem problemState }
	s.as("moweiliang", `mutation{reportProblem(input:{category:ENVIRONMENT,title:"新车间废气处理",responsibleDepartment:"市场监管局"}){`+stateFields+`}}`, nil).decode(t, &rep)
	id := rep.ReportProblem.ID

	version := 1
	// step runs a command as user and checks the outcome: a code for a refusal
	// (then the problem must be unchanged), or the new status and level.
	step := func(t *testing.T, user, mutation string, vars map[string]any, wantCode, wantStatus, wantLevel string) problemState {
		t.Helper()
		if vars == nil {
			vars = map[string]any{}
		}
		vars["id"] = id
		res := s.as(user, mutation, vars)
		if wantCode != "" {
			if res.code() != wantCode {
				t.Fatalf("%s: code %q (%+v), want %q", user, res.code(), res.Errors, wantCode)
			}
			var cur struct{ Problem problemState }
			s.as("admin", `query($id:ID!){problem(id:$id){`+stateFields+`}}`, map[string]any{"id": id}).decode(t, &cur)
			if cur.Problem.Version != version {
				t.Fatalf("refused command changed the problem: version %d, want %d", cur.Problem.Version, version)
			}
			return cur.Problem
		}
		var out map[string]problemState
		res.decode(t, &out)
		var got problemState
		for _, v := range out {
			got = v
		}
		version++
		if got.Status != wantStatus || got.Level != wantLevel || got.Version != version {
			t.Fatalf("%s: got %+v, want %s %s v%d", user, got, wantStatus, wantLevel, version)
		}
		return got
	}
	ack := `mutation($id:ID!,$v:Int){acknowledgeProblem(id:$id,expectedVersion:$v,note:"收到，明天到厂"){` + stateFields + `}}`
	start := `mutation($id:ID!){startProblem(id:$id){` + stateFields + `}}`
	esc := `mutation($id:ID!,$in:EscalateProblemInput!){escalateProblem(id:$id,input:$in){` + stateFields + `}}`
	resolve := `mutation($id:ID!,$s:String!){resolveProblem(id:$id,summary:$s){` + stateFields + `}}`
	confirm := `mutation($id:ID!){confirmProblem(id:$id,comment:"满意"){` + stateFields + `}}`
	reopen := `mutation($id:ID!,$r:String!){reopenProblem(id:$id,reason:$r){` + stateFields + `}}`
	withdraw := `mutation($id:ID!,$r:String!){withdrawProblem(id:$id,reason:$r){` + stateFields + `}}`

	t.Run("Acknowledge", func(t *testing.T) {
		step(t, "moweiliang", ack, nil, "FORBIDDEN", "", "")
		step(t, "zhulijun", ack, nil, "NOT_FOUND", "", "") // not his enterprise: it does not exist for him
		step(t, "zhoushiyue", ack, map[string]any{"v": 7}, "CONFLICT", "", "")
		step(t, "zhoushiyue", ack, map[string]any{"v": 1}, "", "ACKNOWLEDGED", "L1")
		step(t, "zhoushiyue", ack, nil, "BAD_USER_INPUT", "", "")
	})
	t.Run("ResolveNeedsWorkStarted", func(t *testing.T) {
		step(t, "moweiliang", resolve, map[string]any{"s": "x"}, "FORBIDDEN", "", "")
	})
	t.Run("Escalate", func(t *testing.T) {
		step(t, "moweiliang", esc, map[string]any{"in": map[string]any{"level": "L2", "reason": "x"}}, "FORBIDDEN", "", "")
		step(t, "zhoushiyue", esc, map[string]any{"in": map[string]any{"level": "L2", "reason": "需局内执法科研究"}}, "", "ACKNOWLEDGED", "L2")
		step(t, "zhoushiyue", esc, map[string]any{"in": map[string]any{"level": "L2", "reason": "again"}}, "BAD_USER_INPUT", "", "")
		step(t, "zhoushiyue", esc, map[string]any{"in": map[string]any{"level": "L3", "mode": "MEETING", "reason": "x"}}, "BAD_USER_INPUT", "", "")
		step(t, "zhoushiyue", esc, map[string]any{"in": map[string]any{"level": "L3", "departments": []string{"生态环境分局"}, "reason": "x"}}, "BAD_USER_INPUT", "", "")
		step(t, "zhoushiyue", esc, map[string]any{"in": map[string]any{"level": "L3", "mode": "LETTER", "departments": []string{"生态环境分局"}, "reason": ""}}, "BAD_USER_INPUT", "", "")
		got := step(t, "zhoushiyue", esc, map[string]any{"in": map[string]any{"level": "L3", "mode": "LETTER", "departments": []string{"生态环境分局", "经济开发区管委会"}, "reason": "需环保部门出具意见"}}, "", "ACKNOWLEDGED", "L3")
		if got.EscalationMode != "LETTER" || len(got.CoordinatingDepartments) != 2 {
			t.Fatalf("L3 = %+v", got)
		}
		step(t, "zhoushiyue", esc, map[string]any{"in": map[string]any{"level": "L4", "reason": "涉及多部门"}}, "FORBIDDEN", "", "")
		got = step(t, "maojianguo", esc, map[string]any{"in": map[string]any{"level": "L4", "reason": "列入县长办公会议"}}, "", "ACKNOWLEDGED", "L4")
		if got.EscalationMode != "EXECUTIVE_MEETING" {
			t.Fatalf("L4 mode = %q", got.EscalationMode)
		}
	})
	t.Run("StartResolveConfirm", func(t *testing.T) {
		step(t, "moweiliang", start, nil, "FORBIDDEN", "", "")
		step(t, "zhoushiyue", start, nil, "", "IN_PROGRESS", "L4")
		step(t, "zhoushiyue", confirm, nil, "FORBIDDEN", "", "") // the role is checked before the state
		step(t, "moweiliang", confirm, nil, "BAD_USER_INPUT", "", "")
		step(t, "zhoushiyue", resolve, map[string]any{"s": "县长办公会议明确由开发区统一建设废气处理设施"}, "", "RESOLVED", "L4")
		step(t, "zhoushiyue", confirm, nil, "FORBIDDEN", "", "")
		step(t, "zhoushiyue", reopen, map[string]any{"r": "x"}, "FORBIDDEN", "", "")
		step(t, "moweiliang", reopen, map[string]any{"r": ""}, "BAD_USER_INPUT", "", "")
		step(t, "moweiliang", reopen, map[string]any{"r": "设施还没有动工"}, "", "IN_PROGRESS", "L4")
		step(t, "zhoushiyue", resolve, map[string]any{"s": "设施已投运"}, "", "RESOLVED", "L4")
		step(t, "moweiliang", withdraw, map[string]any{"r": "x"}, "BAD_USER_INPUT", "", "")
		step(t, "moweiliang", confirm, nil, "", "CONFIRMED", "L4")
		step(t, "moweiliang", confirm, nil, "BAD_USER_INPUT", "", "")
		step(t, "maojianguo", reopen, map[string]any{"r": "抽查发现仍有异味"}, "", "IN_PROGRESS", "L4")
	})
	t.Run("Withdraw", func(t *testing.T) {
		step(t, "zhoushiyue", withdraw, map[string]any{"r": "x"}, "FORBIDDEN", "", "")
		step(t, "maojianguo", withdraw, map[string]any{"r": "x"}, "FORBIDDEN", "", "")
		step(t, "moweiliang", withdraw, map[string]any{"r": "企业自行改造"}, "", "WITHDRAWN", "L4")
		step(t, "zhoushiyue", start, nil, "BAD_USER_INPUT", "", "")
	})

	t.Run("History", func(t *testing.T) {
		s.as("zhoushiyue", `mutation($id:ID!){addProgressNote(problemId:$id,text:"已向企业说明"){id}}`, map[string]any{"id": id}).decode(t, &struct{}{})
		var h struct {
			Problem struct {
				History []struct {
					Kind, AuthorName, Text, At string
					FromStatus, ToStatus       *string
					FromLevel, ToLevel, Mode   *string
					Departments                []string
				}
				ProgressNotes []struct{ Kind, Text string }
			}
		}
		s.as("moweiliang", `query($id:ID!){problem(id:$id){history{kind authorName text at fromStatus toStatus fromLevel toLevel mode departments} progressNotes{kind text}}}`,
			map[string]any{"id": id}).decode(t, &h)
		want := []struct{ kind, author, from, to, fromLevel, toLevel string }{
			{"ACKNOWLEDGE", "周世岳", "REPORTED", "ACKNOWLEDGED", "L1", "L1"},
			{"ESCALATE", "周世岳", "ACKNOWLEDGED", "ACKNOWLEDGED", "L1", "L2"},
			{"ESCALATE", "周世岳", "ACKNOWLEDGED", "ACKNOWLEDGED", "L2", "L3"},
			{"ESCALATE", "毛建国", "ACKNOWLEDGED", "ACKNOWLEDGED", "L3", "L4"},
			{"START", "周世岳", "ACKNOWLEDGED", "IN_PROGRESS", "L4", "L4"},
			{"RESOLVE", "周世岳", "IN_PROGRESS", "RESOLVED", "L4", "L4"},
			{"REOPEN", "莫伟良", "RESOLVED", "IN_PROGRESS", "L4", "L4"},
			{"RESOLVE", "周世岳", "IN_PROGRESS", "RESOLVED", "L4", "L4"},
			{"CONFIRM", "莫伟良", "RESOLVED", "CONFIRMED", "L4", "L4"},
			{"REOPEN", "毛建国", "CONFIRMED", "IN_PROGRESS", "L4", "L4"},
			{"WITHDRAW", "莫伟良", "IN_PROGRESS", "WITHDRAWN", "L4", "L4"},
			{"NOTE", "周世岳", "WITHDRAWN", "WITHDRAWN", "L4", "L4"},
		}
		got := h.Problem.History
		if len(got) != len(want) {
			t.Fatalf("history has %d entries, want %d: %+v", len(got), len(want), got)
		}
		for i, w := range want {
			g := got[i]
			if g.Kind != w.kind || g.AuthorName != w.author || *g.FromStatus != w.from || *g.ToStatus != w.to || *g.FromLevel != w.fromLevel || *g.ToLevel != w.toLevel {
				t.Errorf("history[%d] = %s %s %s→%s %s→%s, want %+v", i, g.Kind, g.AuthorName, *g.FromStatus, *g.ToStatus, *g.FromLevel, *g.ToLevel, w)
			}
			if _, err := time.Parse(time.RFC3339, g.At); err != nil {
				t.Errorf("history[%d].at = %q", i, g.At)
			}
		}
		if l3 := got[2]; *l3.Mode != "LETTER" || len(l3.Departments) != 2 || l3.Text != "需环保部门出具意见" {
			t.Errorf("L3 entry = %+v", l3)
		}
		if l4 := got[3]; *l4.Mode != "EXECUTIVE_MEETING" {
			t.Errorf("L4 entry mode = %v", *l4.Mode)
		}
		if n := h.Problem.ProgressNotes; len(n) != 1 || n[0].Kind != "NOTE" {
			t.Errorf("progressNotes = %+v, want only the free-text note", n)
		}
	})
}

// TestOverdueLists shortens the deadlines so that a problem reported now is
// overdue at once, and finds it per official, per department and first in the
// DUE_ASC order.
func TestOverdueLists(t *testing.T) {
	s := startServer(t, func(c *Config) {
		d, err := parseDeadlines("L1=1ms/2ms")
		if err != nil {
			t.Fatal(err)
		}
		c.Deadlines = d
	})
	var rep struct{ ReportProblem struct{ ID string } }
	s.as("moweiliang", `mutation{reportProblem(input:{category:LABOUR,title:"招聘熟练操作工",responsibleDepartment:"人力社保局"}){id}}`, nil).decode(t, &rep)
	id := rep.ReportProblem.ID
	time.Sleep(10 * time.Millisecond)

	var byOff struct {
		OverdueByOfficial []struct {
			Official struct{ Name string }
			Problems []struct {
				ID      string
				Overdue bool
			}
		}
	}
	s.as("zhoushiyue", `{overdueByOfficial{official{name} problems{id overdue}}}`, nil).decode(t, &byOff)
	// 周世岳 sees his own list and his service team's (they serve the same firm).
	found := false
	for _, g := range byOff.OverdueByOfficial {
		for _, p := range g.Problems {
			found = found || (p.ID == id && g.Official.Name == "周世岳")
			if !p.Overdue {
				t.Errorf("problem %s listed as overdue but overdue=false", p.ID)
			}
		}
	}
	if !found {
		t.Fatalf("new problem missing from 周世岳's overdue list: %+v", byOff)
	}

	var byDept struct {
		OverdueByDepartment []struct {
			Department string
			Problems   []struct{ ID string }
		}
	}
	s.as("maojianguo", `{overdueByDepartment(department:"人力社保局"){department problems{id}}}`, nil).decode(t, &byDept)
	if g := byDept.OverdueByDepartment; len(g) != 1 || g[0].Department != "人力社保局" || !containsID(g[0].Problems, id) {
		t.Fatalf("人力社保局 overdue = %+v", g)
	}

	// Acknowledging meets the response deadline but not the 2ms resolution one.
	s.as("zhoushiyue", `mutation($id:ID!){acknowledgeProblem(id:$id){id}}`, map[string]any{"id": id}).decode(t, &struct{}{})
	var list struct {
		Problems struct {
			Edges []struct {
				Node struct {
					ID      string
					Overdue bool
				}
			}
		}
	}
	s.as("maojianguo", `{problems(first:100,orderBy:DUE_ASC){edges{node{id overdue}}}}`, nil).decode(t, &list)
	seenOnTime := false
	for _, e := range list.Problems.Edges {
		if !e.Node.Overdue {
			seenOnTime = true
		} else if seenOnTime {
			t.Fatalf("DUE_ASC puts an overdue problem after one that is not: %+v", list.Problems.Edges)
		}
	}
	var od struct {
		Problems struct{ TotalCount int }
	}
	s.as("maojianguo", `{problems(filter:{overdue:true}){totalCount}}`, nil).decode(t, &od)
	if od.Problems.TotalCount == 0 {
		t.Fatal("no overdue problems")
	}
}

func containsID(list []struct{ ID string }, id string) bool {
	for _, x := range list {
		if x.ID == id {
			return true
		}
	}
	return false
}
