package main

import (
	"testing"
)

type pairingView struct {
	ID, EndReason string
	Active        bool
	Enterprise    struct{ Name string }
	LeadOfficial  struct{ Name string }
	TeamMembers   []struct{ Name string }
}

const pairingFields = `id endReason active enterprise{name} leadOfficial{name} teamMembers{name}`

// officialID and enterpriseID look up demo records by name as admin.
func (s *testServer) officialID(t *testing.T, name string) string {
	t.Helper()
	var out struct {
		Officials struct {
			Edges []struct{ Node struct{ ID, Name string } }
		}
	}
	s.as("admin", `query($n:String){officials(first:50,filter:{search:$n}){edges{node{id name}}}}`, map[string]any{"n": name}).decode(t, &out)
	for _, e := range out.Officials.Edges {
		if e.Node.Name == name {
			return e.Node.ID
		}
	}
	t.Fatalf("no official %s", name)
	return ""
}

func (s *testServer) enterpriseID(t *testing.T, name string) string {
	t.Helper()
	var out struct {
		Enterprises struct {
			Edges []struct{ Node struct{ ID, Name string } }
		}
	}
	s.as("admin", `query($n:String){enterprises(first:50,filter:{search:$n}){edges{node{id name}}}}`, map[string]any{"n": name}).decode(t, &out)
	for _, e := range out.Enterprises.Edges {
		if e.Node.Name == name {
			return e.Node.ID
		}
	}
	t.Fatalf("no enterprise %s", name)
	return ""
}

// TestReformKeepsThePairing is the article's case: the institutional reform
// moved 周世岳 from the land bureau to market supervision, and he still serves
// 良盛元. A later change of post keeps it too.
func TestReformKeepsThePairing(t *testing.T) {
	s := startServer(t)
	zhou, lsy := s.officialID(t, "周世岳"), s.enterpriseID(t, "浙江良盛元化工有限公司")
	type officialView struct {
		Posts []struct {
			Bureau, From string
			To           *string
		}
		CurrentPost struct{ Bureau string }
		Pairings    []pairingView
	}
	var before struct{ Official officialView }
	s.as("zhoushiyue", `query($id:ID!){official(id:$id){posts{bureau from to} currentPost{bureau} pairings{`+pairingFields+`}}}`, map[string]any{"id": zhou}).decode(t, &before)
	o := before.Official
	if len(o.Posts) != 2 || o.Posts[0].Bureau != "县国土局" || o.Posts[0].To == nil || o.CurrentPost.Bureau != "县市场监管局" {
		t.Fatalf("posts = %+v", o.Posts)
	}
	if len(o.Pairings) != 1 || !o.Pairings[0].Active || o.Pairings[0].Enterprise.Name != "浙江良盛元化工有限公司" {
		t.Fatalf("pairings = %+v", o.Pairings)
	}
	// The pairing began under the land bureau and is his still.
	var pr struct {
		Pairings []struct{ StartedAt string }
	}
	s.as("admin", `query($e:ID!){pairings(filter:{enterpriseId:$e,activeOnly:true}){startedAt}}`, map[string]any{"e": lsy}).decode(t, &pr)
	if len(pr.Pairings) != 1 || pr.Pairings[0].StartedAt >= o.Posts[1].From {
		t.Fatalf("the active pairing %+v should predate the reform (%s)", pr.Pairings, o.Posts[1].From)
	}

	var after struct{ ChangeOfficialPost officialView }
	s.as("admin", `mutation($id:ID!){changeOfficialPost(id:$id,input:{bureau:"县发展和改革局",title:"局长"}){posts{bureau from to} currentPost{bureau} pairings{`+pairingFields+`}}}`,
		map[string]any{"id": zhou}).decode(t, &after)
	if a := after.ChangeOfficialPost; len(a.Posts) != 3 || a.CurrentPost.Bureau != "县发展和改革局" || len(a.Pairings) != 1 || !a.Pairings[0].Active {
		t.Fatalf("after a second move: %+v", a)
	}
	// He still acts for 良盛元, and 莫伟良 sees him with the new post.
	var rep struct{ ReportProblem struct{ ID string } }
	s.as("moweiliang", `mutation{reportProblem(input:{category:PERMITS,title:"危化品经营许可证换证"}){id}}`, nil).decode(t, &rep)
	s.as("zhoushiyue", `mutation($id:ID!){acknowledgeProblem(id:$id){status}}`, map[string]any{"id": rep.ReportProblem.ID}).decode(t, &struct{}{})
	var ent struct {
		Enterprise struct {
			LeadOfficial struct {
				Name        string
				CurrentPost struct{ Bureau string }
			}
		}
	}
	s.as("moweiliang", `query($e:ID!){enterprise(id:$e){leadOfficial{name currentPost{bureau}}}}`, map[string]any{"e": lsy}).decode(t, &ent)
	if l := ent.Enterprise.LeadOfficial; l.Name != "周世岳" || l.CurrentPost.Bureau != "县发展和改革局" {
		t.Fatalf("lead official seen by the enterprise = %+v", l)
	}
}

// TestPairingsEndOnlyByRetirementLeavingOrRepairing retires an official, marks
// an enterprise as having left and re-pairs another; every ended pairing stays
// with its reason.
func TestPairingsEndOnlyByRetirementLeavingOrRepairing(t *testing.T) {
	s := startServer(t)
	zhu, lei, fan := s.officialID(t, "朱立军"), s.officialID(t, "雷志华"), s.officialID(t, "范建文")
	dingtai, jialong, shuangcai := s.enterpriseID(t, "浙江鼎泰新材料有限公司"), s.enterpriseID(t, "浙江遂昌嘉隆服饰有限公司"), s.enterpriseID(t, "浙江双彩新材料有限公司")

	t.Run("OnlyAdmins", func(t *testing.T) {
		for _, user := range []string{"maojianguo", "zhulijun", "zouyongliang"} {
			if code := s.as(user, `mutation($id:ID!){retireOfficial(id:$id){id}}`, map[string]any{"id": zhu}).code(); code != "FORBIDDEN" {
				t.Errorf("%s retires: %q, want FORBIDDEN", user, code)
			}
		}
		if code := s.as("admin", `mutation($e:ID!){updateEnterprise(id:$e,input:{status:LEFT_COUNTY}){id}}`, map[string]any{"e": shuangcai}).code(); code != "BAD_USER_INPUT" {
			t.Errorf("leaving through updateEnterprise: %q, want BAD_USER_INPUT", code)
		}
		if code := s.as("admin", `mutation($id:ID!){retireOfficial(id:$id,at:"2999-01-01T00:00:00Z"){id}}`, map[string]any{"id": zhu}).code(); code != "BAD_USER_INPUT" {
			t.Errorf("retiring in the future: %q, want BAD_USER_INPUT", code)
		}
	})

	t.Run("TeamMemberRetires", func(t *testing.T) {
		s.as("admin", `mutation($id:ID!){retireOfficial(id:$id){retiredAt}}`, map[string]any{"id": lei}).decode(t, &struct{}{})
		var ps struct{ Pairings []pairingView }
		s.as("admin", `query($e:ID!){pairings(filter:{enterpriseId:$e}){`+pairingFields+`}}`, map[string]any{"e": dingtai}).decode(t, &ps)
		if len(ps.Pairings) != 1 || !ps.Pairings[0].Active || len(ps.Pairings[0].TeamMembers) != 0 {
			t.Fatalf("鼎泰 after its team member retired: %+v", ps.Pairings)
		}
	})

	t.Run("LeadRetires", func(t *testing.T) {
		var out struct {
			RetireOfficial struct {
				RetiredAt   *string
				CurrentPost *struct{ Bureau string }
				Pairings    []pairingView
			}
		}
		s.as("admin", `mutation($id:ID!){retireOfficial(id:$id){retiredAt currentPost{bureau} pairings{`+pairingFields+`}}}`, map[string]any{"id": zhu}).decode(t, &out)
		r := out.RetireOfficial
		if r.RetiredAt == nil || r.CurrentPost != nil || len(r.Pairings) != 2 {
			t.Fatalf("retired = %+v", r)
		}
		for _, p := range r.Pairings {
			if p.Active || p.EndReason != "OFFICIAL_RETIRED" {
				t.Errorf("pairing %+v, want ended OFFICIAL_RETIRED", p)
			}
		}
		if code := s.as("zhulijun", `query($e:ID!){enterprise(id:$e){name}}`, map[string]any{"e": dingtai}).code(); code != "NOT_FOUND" {
			t.Errorf("retired official still reads 鼎泰: %q", code)
		}
		if code := s.as("admin", `mutation($id:ID!){retireOfficial(id:$id){id}}`, map[string]any{"id": zhu}).code(); code != "BAD_USER_INPUT" {
			t.Errorf("retiring twice: %q", code)
		}
		if code := s.as("admin", `mutation($id:ID!){changeOfficialPost(id:$id,input:{bureau:"x",title:"y"}){id}}`, map[string]any{"id": zhu}).code(); code != "BAD_USER_INPUT" {
			t.Errorf("new post after retirement: %q", code)
		}
	})

	t.Run("Repair", func(t *testing.T) {
		// 嘉隆 lost its official to retirement: it is simply paired again.
		var np struct{ RepairEnterprise pairingView }
		s.as("admin", `mutation($e:ID!,$o:ID!){repairEnterprise(input:{enterpriseId:$e,leadOfficialId:$o}){`+pairingFields+`}}`,
			map[string]any{"e": jialong, "o": fan}).decode(t, &np)
		if !np.RepairEnterprise.Active || np.RepairEnterprise.LeadOfficial.Name != "范建文" {
			t.Fatalf("new pairing = %+v", np.RepairEnterprise)
		}
		if code := s.as("admin", `mutation($e:ID!,$o:ID!){repairEnterprise(input:{enterpriseId:$e,leadOfficialId:$o}){id}}`,
			map[string]any{"e": jialong, "o": fan}).code(); code != "BAD_USER_INPUT" {
			t.Errorf("re-pairing with the same official: %q", code)
		}
		if code := s.as("admin", `mutation($e:ID!,$o:ID!){repairEnterprise(input:{enterpriseId:$e,leadOfficialId:$o}){id}}`,
			map[string]any{"e": jialong, "o": zhu}).code(); code != "BAD_USER_INPUT" {
			t.Errorf("re-pairing with a retired official: %q", code)
		}
		// 双彩 is re-paired from 吴华军 to 范建文: the old pairing ends REPAIRED.
		s.as("admin", `mutation($e:ID!,$o:ID!){repairEnterprise(input:{enterpriseId:$e,leadOfficialId:$o}){id}}`,
			map[string]any{"e": shuangcai, "o": fan}).decode(t, &struct{}{})
		var ps struct{ Pairings []pairingView }
		s.as("admin", `query($e:ID!){pairings(filter:{enterpriseId:$e}){`+pairingFields+`}}`, map[string]any{"e": shuangcai}).decode(t, &ps)
		reasons := map[string]bool{}
		for _, p := range ps.Pairings {
			reasons[p.LeadOfficial.Name+"/"+p.EndReason] = p.Active
		}
		if len(ps.Pairings) != 2 || !reasons["范建文/"] || reasons["吴华军/REPAIRED"] {
			t.Fatalf("双彩 pairings = %+v", ps.Pairings)
		}
	})

	t.Run("EnterpriseLeaves", func(t *testing.T) {
		var out struct {
			MarkEnterpriseLeft struct {
				Status   string
				Pairings []pairingView
			}
		}
		s.as("admin", `mutation($e:ID!){markEnterpriseLeft(id:$e){status pairings{`+pairingFields+`}}}`, map[string]any{"e": shuangcai}).decode(t, &out)
		m := out.MarkEnterpriseLeft
		if m.Status != "LEFT_COUNTY" || len(m.Pairings) != 2 {
			t.Fatalf("left = %+v", m)
		}
		for _, p := range m.Pairings {
			if p.Active {
				t.Errorf("pairing still active after leaving: %+v", p)
			}
			if p.LeadOfficial.Name == "范建文" && p.EndReason != "ENTERPRISE_LEFT" {
				t.Errorf("end reason %q, want ENTERPRISE_LEFT", p.EndReason)
			}
		}
		if code := s.as("admin", `mutation($e:ID!,$o:ID!){repairEnterprise(input:{enterpriseId:$e,leadOfficialId:$o}){id}}`,
			map[string]any{"e": shuangcai, "o": fan}).code(); code != "BAD_USER_INPUT" {
			t.Errorf("re-pairing a firm that left: %q", code)
		}
	})
}
