package main

import (
	"testing"
)

// TestAdminBuildsAPairingAndTheOfficialServesIt walks the whole write path
// through HTTP: an admin creates an enterprise, an official with an account and
// a pairing; the official reports a problem, logs progress and records a visit;
// the enterprise user follows it; an institutional reform keeps the pairing.
func TestAdminBuildsAPairingAndTheOfficialServesIt(t *testing.T) {
	s := startServer(t)
	var ent struct{ CreateEnterprise struct{ ID string } }
	s.as("admin", `mutation{createEnterprise(input:{name:"浙江测试茶业有限公司",town:"大柘镇",industry:"茶叶",contact:{name:"张三",phone:"0578-8000000"}}){id}}`, nil).decode(t, &ent)
	var off struct{ CreateOfficial struct{ ID string } }
	s.as("admin", `mutation{createOfficial(input:{name:"李四",post:{bureau:"国土局",title:"局长",from:"2016-11-01"}}){id}}`, nil).decode(t, &off)
	eid, oid := ent.CreateEnterprise.ID, off.CreateOfficial.ID

	s.as("admin", `mutation($o:ID,$e:ID){
		a:createUser(input:{username:"lisi",password:"lisi-password",role:OFFICIAL,officialId:$o}){id}
		b:createUser(input:{username:"zhangsan",password:"zhangsan-pass",role:ENTERPRISE,enterpriseId:$e}){id}}`,
		map[string]any{"o": oid, "e": eid}).decode(t, &struct{}{})
	login := func(u, p string) string {
		var out struct{ Login struct{ AccessToken string } }
		s.post("", `mutation($u:String!,$p:String!){login(username:$u,password:$p){accessToken}}`, map[string]any{"u": u, "p": p}).decode(t, &out)
		return out.Login.AccessToken
	}
	lisi, zhangsan := login("lisi", "lisi-password"), login("zhangsan", "zhangsan-pass")

	// Before the pairing the official sees nothing of the enterprise.
	if code := s.post(lisi, `query($e:ID!){enterprise(id:$e){name}}`, map[string]any{"e": eid}).code(); code != "NOT_FOUND" {
		t.Fatalf("unpaired official reads the enterprise: %q", code)
	}
	var pr struct{ CreatePairing struct{ ID string } }
	s.as("admin", `mutation($o:ID!,$e:ID!){createPairing(input:{enterpriseId:$e,leadOfficialId:$o,startedAt:"2016-11-15"}){id}}`,
		map[string]any{"o": oid, "e": eid}).decode(t, &pr)
	if code := s.as("admin", `mutation($o:ID!,$e:ID!){createPairing(input:{enterpriseId:$e,leadOfficialId:$o}){id}}`,
		map[string]any{"o": oid, "e": eid}).code(); code != "CONFLICT" {
		t.Fatalf("second active pairing: %q, want CONFLICT", code)
	}

	var rep struct {
		ReportProblem struct {
			ID, Status, Level string
			Version           int
		}
	}
	s.post(lisi, `mutation($e:ID){reportProblem(input:{enterpriseId:$e,category:INFRASTRUCTURE,title:"茶园基地道路硬化",description:"4.1公里机耕路需要硬化",tags:["道路"]}){id status level version}}`,
		map[string]any{"e": eid}).decode(t, &rep)
	p := rep.ReportProblem
	// Recorded by the chief himself: acknowledged by that act.
	if p.Status != "ACKNOWLEDGED" || p.Level != "L1" || p.Version != 1 {
		t.Fatalf("new problem = %+v", p)
	}
	s.post(lisi, `mutation($p:ID!){addProgressNote(problemId:$p,text:"已联系交通运输局"){id}}`, map[string]any{"p": p.ID}).decode(t, &struct{}{})
	s.post(zhangsan, `mutation($p:ID!){addProgressNote(problemId:$p,text:"谢谢，等待施工"){id}}`, map[string]any{"p": p.ID}).decode(t, &struct{}{})
	var upd struct{ UpdateProblem struct{ Version int } }
	s.post(lisi, `mutation($p:ID!){updateProblem(id:$p,expectedVersion:1,input:{responsibleDepartment:"交通运输局"}){version}}`, map[string]any{"p": p.ID}).decode(t, &upd)
	if upd.UpdateProblem.Version != 2 {
		t.Fatalf("version after update = %d", upd.UpdateProblem.Version)
	}
	if code := s.post(lisi, `mutation($p:ID!){updateProblem(id:$p,expectedVersion:1,input:{title:"x"}){version}}`, map[string]any{"p": p.ID}).code(); code != "CONFLICT" {
		t.Fatalf("stale edit: %q, want CONFLICT", code)
	}

	var visit struct {
		CreateVisit struct{ Official struct{ Name string } }
	}
	s.post(lisi, `mutation($e:ID,$p:ID!){createVisit(input:{enterpriseId:$e,date:"2026-11-20",notes:"春节放假时间：腊月二十五至正月初八",problemIds:[$p]}){official{name}}}`,
		map[string]any{"e": eid, "p": p.ID}).decode(t, &visit)
	if visit.CreateVisit.Official.Name != "李四" {
		t.Fatalf("visit official = %q", visit.CreateVisit.Official.Name)
	}

	// The enterprise follows its problem and sees both notes, in order.
	var seen struct {
		Problem struct {
			ResponsibleDepartment string
			ProgressNotes         []struct{ Text, AuthorName string }
		}
	}
	s.post(zhangsan, `query($p:ID!){problem(id:$p){responsibleDepartment progressNotes{text authorName}}}`, map[string]any{"p": p.ID}).decode(t, &seen)
	if len(seen.Problem.ProgressNotes) != 2 || seen.Problem.ProgressNotes[1].AuthorName != "zhangsan" {
		t.Fatalf("notes = %+v", seen.Problem.ProgressNotes)
	}
	// Once officials have taken it up, the enterprise can no longer edit it.
	s.post(lisi, `mutation($p:ID!){updateProblem(id:$p,input:{description:"4.1公里"}){id}}`, map[string]any{"p": p.ID}).decode(t, &struct{}{})

	// 事随人走: a new post closes the old one and the pairing stays.
	var reform struct {
		ChangeOfficialPost struct {
			Posts []struct {
				Bureau string
				To     *string
			}
			CurrentPost struct{ Bureau string }
			Pairings    []struct {
				Active     bool
				Enterprise struct{ ID string }
			}
		}
	}
	s.as("admin", `mutation($o:ID!){changeOfficialPost(id:$o,input:{bureau:"市场监管局",title:"局长",from:"2019-03-01"}){posts{bureau to} currentPost{bureau} pairings{active enterprise{id}}}}`,
		map[string]any{"o": oid}).decode(t, &reform)
	r := reform.ChangeOfficialPost
	if len(r.Posts) != 2 || r.Posts[0].To == nil || r.Posts[1].To != nil || r.CurrentPost.Bureau != "市场监管局" {
		t.Fatalf("posts after reform = %+v", r.Posts)
	}
	if len(r.Pairings) != 1 || !r.Pairings[0].Active || r.Pairings[0].Enterprise.ID != eid {
		t.Fatalf("pairings after reform = %+v", r.Pairings)
	}
	if code := s.post(lisi, `query($e:ID!){enterprise(id:$e){name}}`, map[string]any{"e": eid}).code(); code != "" {
		t.Fatalf("after the reform the official lost the enterprise: %q", code)
	}

	// Retirement ends the pairing and takes the enterprise out of the official's scope at once.
	s.as("admin", `mutation($o:ID!){retireOfficial(id:$o){retiredAt}}`, map[string]any{"o": oid}).decode(t, &struct{}{})
	if code := s.post(lisi, `query($p:ID!){problem(id:$p){title}}`, map[string]any{"p": p.ID}).code(); code != "NOT_FOUND" {
		t.Fatalf("after the pairing ended: %q, want NOT_FOUND", code)
	}

	// Deleting leaves a tombstone: the problem is gone from reads.
	s.as("admin", `mutation($p:ID!){deleteProblem(id:$p){id}}`, map[string]any{"p": p.ID}).decode(t, &struct{}{})
	if code := s.as("admin", `query($p:ID!){problem(id:$p){title}}`, map[string]any{"p": p.ID}).code(); code != "NOT_FOUND" {
		t.Fatalf("deleted problem still readable: %q", code)
	}
}

func TestEnterpriseCannotEditAcknowledgedWork(t *testing.T) {
	s := startServer(t)
	var rep struct{ ReportProblem struct{ ID string } }
	s.as("moweiliang", `mutation{reportProblem(input:{category:LABOUR,title:"招聘熟练工"}){id}}`, nil).decode(t, &rep)
	s.as("moweiliang", `mutation($p:ID!){updateProblem(id:$p,input:{description:"需要20名操作工"}){id}}`, map[string]any{"p": rep.ReportProblem.ID}).decode(t, &struct{}{})
	if code := s.as("moweiliang", `mutation{reportProblem(input:{category:LABOUR,title:"x",level:L4}){id}}`, nil).code(); code != "BAD_USER_INPUT" {
		t.Fatalf("enterprise chose a level: %q", code)
	}
}
