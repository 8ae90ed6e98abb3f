package main

import (
	"slices"
	"testing"
	"time"
)

// TestSpotCheckChoiceAndDemands: a leader sees the firms' size and who has not
// been visited for N days (scope-checked, longest first), makes demands during
// a check, and follows them to the official's answer by a deadline.
func TestSpotCheckChoiceAndDemands(t *testing.T) {
	s := startServer(t)
	var me struct {
		Me struct{ Enterprise struct{ ID string } }
	}
	s.as("moweiliang", `{me{enterprise{id}}}`, nil).decode(t, &me)
	ent := me.Me.Enterprise.ID

	var upd struct {
		UpdateEnterprise struct {
			Employees        int
			RevenueBand      string
			RevenueBandLabel string
		}
	}
	s.as("admin", `mutation($e:ID!){updateEnterprise(id:$e,input:{employees:45,revenueBand:UNDER_5M}){employees revenueBand revenueBandLabel}}`,
		map[string]any{"e": ent}).decode(t, &upd)
	if u := upd.UpdateEnterprise; u.Employees != 45 || u.RevenueBand != "UNDER_5M" || u.RevenueBandLabel != "500万元以下" {
		t.Fatalf("size = %+v", u)
	}
	if code := s.as("admin", `mutation($e:ID!){updateEnterprise(id:$e,input:{employees:-1}){id}}`, map[string]any{"e": ent}).code(); code != "BAD_USER_INPUT" {
		t.Fatalf("negative employees: %q", code)
	}

	type unvisited struct {
		UnvisitedEnterprises []struct {
			Enterprise     struct{ ID string }
			LastVisitAt    *string
			DaysSinceVisit *int
		}
	}
	const q = `query($d:Int!){unvisitedEnterprises(days:$d){enterprise{id} lastVisitAt daysSinceVisit}}`
	var all unvisited
	s.as("maojianguo", q, map[string]any{"d": 0}).decode(t, &all)
	if len(all.UnvisitedEnterprises) < 2 {
		t.Fatalf("leader sees %d firms", len(all.UnvisitedEnterprises))
	}
	for i := 1; i < len(all.UnvisitedEnterprises); i++ {
		a, b := all.UnvisitedEnterprises[i-1].DaysSinceVisit, all.UnvisitedEnterprises[i].DaysSinceVisit
		if a != nil && (b == nil || *a < *b) {
			t.Fatalf("not sorted never-visited first, then by days: %v then %v", a, b)
		}
	}

	// The official visits today: the firm drops off a 1-day list.
	s.as("zhoushiyue", `mutation($e:ID){createVisit(input:{enterpriseId:$e,date:"`+time.Now().UTC().Format(time.RFC3339)+`",notes:"了解复工时间"}){id}}`,
		map[string]any{"e": ent}).decode(t, &struct{}{})
	var last struct {
		Enterprise struct{ LastVisitAt *string }
	}
	s.as("maojianguo", `query($e:ID!){enterprise(id:$e){lastVisitAt}}`, map[string]any{"e": ent}).decode(t, &last)
	if last.Enterprise.LastVisitAt == nil {
		t.Fatal("lastVisitAt is null after a visit")
	}
	var recent unvisited
	s.as("maojianguo", q, map[string]any{"d": 1}).decode(t, &recent)
	for _, u := range recent.UnvisitedEnterprises {
		if u.Enterprise.ID == ent {
			t.Fatal("a firm visited today is listed as not visited for a day")
		}
	}
	var own unvisited
	s.as("zhoushiyue", q, map[string]any{"d": 0}).decode(t, &own)
	if len(own.UnvisitedEnterprises) != 1 || own.UnvisitedEnterprises[0].Enterprise.ID != ent || *own.UnvisitedEnterprises[0].DaysSinceVisit != 0 {
		t.Fatalf("the official's list is not his own firm: %+v", own)
	}
	for _, tc := range []struct{ name, user, code string }{
		{"ErrEnterprise", "moweiliang", "FORBIDDEN"},
	} {
		if code := s.as(tc.user, q, map[string]any{"d": 30}).code(); code != tc.code {
			t.Fatalf("%s: %q, want %q", tc.name, code, tc.code)
		}
	}
	if code := s.as("maojianguo", q, map[string]any{"d": -1}).code(); code != "BAD_USER_INPUT" {
		t.Fatalf("negative days: %q", code)
	}

	type check struct {
		ID      string
		Demands []struct {
			ID, Demand, Answer, AnsweredBy string
			AnswerBy                       *struct{ Name string }
			Overdue                        bool
		}
	}
	const fields = `id demands{id demand answer answeredBy answerBy{name} overdue}`
	var created struct{ CreateSpotCheck check }
	s.as("maojianguo", `mutation($e:ID,$dl:Time!){createSpotCheck(input:{enterpriseId:$e,findings:"周末突击抽查",
		demands:[{demand:"一周内查明贷款卡在哪个环节",deadline:$dl}]}){`+fields+`}}`,
		map[string]any{"e": ent, "dl": time.Now().Add(7 * 24 * time.Hour).UTC().Format(time.RFC3339)}).decode(t, &created)
	c := created.CreateSpotCheck
	if len(c.Demands) != 1 || c.Demands[0].AnswerBy == nil || c.Demands[0].AnswerBy.Name != "周世岳" || c.Demands[0].Overdue {
		t.Fatalf("demand = %+v", c.Demands)
	}
	demand := c.Demands[0].ID
	if code := s.as("zhulijun", `mutation($c:ID!,$d:ID!){answerSpotCheckDemand(spotCheckId:$c,demandId:$d,answer:"x"){id}}`,
		map[string]any{"c": c.ID, "d": demand}).code(); code != "NOT_FOUND" {
		t.Fatalf("another official answers: %q", code)
	}
	var answered struct{ AnswerSpotCheckDemand check }
	s.as("zhoushiyue", `mutation($c:ID!,$d:ID!){answerSpotCheckDemand(spotCheckId:$c,demandId:$d,answer:"已查明：抵押登记材料不全，已协调补齐"){`+fields+`}}`,
		map[string]any{"c": c.ID, "d": demand}).decode(t, &answered)
	if d := answered.AnswerSpotCheckDemand.Demands[0]; d.Answer == "" || d.AnsweredBy != "周世岳" {
		t.Fatalf("answered = %+v", d)
	}
	// A second demand already past its deadline is overdue until answered.
	s.as("maojianguo", `mutation($c:ID!,$dl:Time!){addSpotCheckDemand(spotCheckId:$c,input:{demand:"报告员工社保缴纳情况",deadline:$dl}){id}}`,
		map[string]any{"c": c.ID, "dl": time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)}).decode(t, &struct{}{})
	type item struct {
		SpotCheck struct{ ID string }
		Demand    struct {
			Demand  string
			Overdue bool
		}
	}
	type items struct{ SpotCheckDemands []item }
	for _, tc := range []struct {
		user, query string
		want        int
	}{
		{"maojianguo", `{spotCheckDemands{spotCheck{id} demand{demand overdue}}}`, 2},
		{"maojianguo", `{spotCheckDemands(overdueOnly:true){spotCheck{id} demand{demand overdue}}}`, 1},
		{"zhoushiyue", `{spotCheckDemands{spotCheck{id} demand{demand overdue}}}`, 2},
		{"zhulijun", `{spotCheckDemands{spotCheck{id} demand{demand overdue}}}`, 0},
	} {
		var out items
		s.as(tc.user, tc.query, nil).decode(t, &out)
		// Only this check's demands: the demo seeds demands of its own.
		out.SpotCheckDemands = slices.DeleteFunc(out.SpotCheckDemands, func(i item) bool { return i.SpotCheck.ID != c.ID })
		if len(out.SpotCheckDemands) != tc.want {
			t.Fatalf("%s %s: %d demands, want %d", tc.user, tc.query, len(out.SpotCheckDemands), tc.want)
		}
		if tc.want == 1 && (!out.SpotCheckDemands[0].Demand.Overdue || out.SpotCheckDemands[0].Demand.Demand != "报告员工社保缴纳情况") {
			t.Fatalf("overdue list = %+v", out.SpotCheckDemands)
		}
	}
}
