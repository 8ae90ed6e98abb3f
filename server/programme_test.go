package main

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/lianqi/lianqi/domain"
)

type shapeView struct {
	UnpairedEnterprises        []struct{ Name string }
	OfficialsWithoutEnterprise []struct{ Name string }
	OfficialsLeadingSeveral    []struct {
		Official    struct{ Name string }
		Enterprises []struct{ Name string }
	}
	Chiefs, Firms, ActivePairings       int
	ProblemsCollected, ProblemsResolved int
	ArticleFigures                      []struct {
		Key, AsOf     string
		Article, Live int
	}
}

const shapeQuery = `{programmeShape{unpairedEnterprises{name} officialsWithoutEnterprise{name}
	officialsLeadingSeveral{official{name} enterprises{name}} chiefs firms activePairings
	problemsCollected problemsResolved articleFigures{key asOf article live}}}`

func (s *testServer) shape(t *testing.T) shapeView {
	t.Helper()
	var out struct{ ProgrammeShape shapeView }
	s.as("maojianguo", shapeQuery, nil).decode(t, &out)
	return out.ProgrammeShape
}

func names[T any](xs []T, name func(T) string) []string {
	out := []string{}
	for _, x := range xs {
		out = append(out, name(x))
	}
	slices.Sort(out)
	return out
}

// auditCount counts audit events of an action (prefix) about a subject.
func (s *testServer) auditCount(t *testing.T, action, subject string) int {
	t.Helper()
	var out struct{ AuditLog struct{ TotalCount int } }
	s.as("admin", `query($a:String,$s:String){auditLog(filter:{action:$a,subjectId:$s}){totalCount}}`,
		map[string]any{"a": action, "s": subject}).decode(t, &out)
	return out.AuditLog.TotalCount
}

// TestEndPairingChecksItsReason is the bypass the issue describes: endPairing
// named a reason that was not true (OFFICIAL_RETIRED for a serving official),
// leaving the enterprise without its chief. Each reason now needs its fact.
func TestEndPairingChecksItsReason(t *testing.T) {
	s := startServer(t)
	ctx := context.Background()
	lsy := s.enterpriseID(t, "浙江良盛元化工有限公司")
	var ps struct{ Pairings []struct{ ID string } }
	s.as("admin", `query($e:ID!){pairings(filter:{enterpriseId:$e,activeOnly:true}){id}}`, map[string]any{"e": lsy}).decode(t, &ps)
	if len(ps.Pairings) != 1 {
		t.Fatalf("良盛元's active pairings: %+v", ps.Pairings)
	}
	active := ps.Pairings[0].ID
	for _, tc := range []struct {
		reason, want string
	}{
		{"OFFICIAL_RETIRED", "BAD_USER_INPUT"}, // 周世岳 has not retired
		{"ENTERPRISE_LEFT", "BAD_USER_INPUT"},  // 良盛元 is still in the county
		{"REPAIRED", "BAD_USER_INPUT"},         // only repairEnterprise re-pairs
	} {
		t.Run("Refused"+tc.reason, func(t *testing.T) {
			if code := s.as("admin", `mutation($id:ID!,$r:PairingEndReason!){endPairing(id:$id,reason:$r){id}}`,
				map[string]any{"id": active, "r": tc.reason}).code(); code != tc.want {
				t.Fatalf("endPairing(%s) on 周世岳's pairing: %q, want %s", tc.reason, code, tc.want)
			}
		})
	}
	var still struct{ Pairing []struct{ Active bool } }
	s.as("admin", `query($e:ID!){pairing: pairings(filter:{enterpriseId:$e,activeOnly:true}){active}}`, map[string]any{"e": lsy}).decode(t, &still)
	if len(still.Pairing) != 1 {
		t.Fatalf("a refused endPairing ended the pairing: %+v", still.Pairing)
	}
	if n := s.auditCount(t, "pairing.changed", active); n != 0 {
		t.Errorf("refused ends were audited as changes: %d", n)
	}

	// The facts, as older data can hold them: a retired chief still leading a
	// pairing, and a firm recorded as gone with its pairing still active.
	liu := s.officialID(t, "刘根土")
	mk := func(name string, status domain.EnterpriseStatus, lead string) (string, string) {
		e := &domain.Enterprise{ID: domain.NewID(), Name: name, Status: status}
		if err := s.m.DB.CreateEnterprise(ctx, e); err != nil {
			t.Fatal(err)
		}
		p := &domain.Pairing{ID: domain.NewID(), EnterpriseID: e.ID, LeadOfficialID: lead, TeamMemberIDs: []string{}, StartedAt: time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC)}
		if err := s.m.DB.CreatePairing(ctx, p); err != nil {
			t.Fatal(err)
		}
		return e.ID, p.ID
	}
	_, retiredsPairing := mk("遗留结对测试厂", domain.EnterpriseActive, liu)
	_, leftsPairing := mk("已迁出测试厂", domain.EnterpriseLeft, s.officialID(t, "尹卫中"))

	t.Run("AcceptedWhenTrue", func(t *testing.T) {
		var out struct {
			EndPairing struct {
				EndedAt, EndReason string
			}
		}
		s.as("admin", `mutation($id:ID!){endPairing(id:$id,reason:OFFICIAL_RETIRED){endedAt endReason}}`, map[string]any{"id": retiredsPairing}).decode(t, &out)
		// It ends when he retired, not when the office noticed.
		if out.EndPairing.EndReason != "OFFICIAL_RETIRED" || out.EndPairing.EndedAt[:10] != "2018-06-30" {
			t.Fatalf("ended = %+v", out.EndPairing)
		}
		if code := s.as("admin", `mutation($id:ID!){endPairing(id:$id,reason:ENTERPRISE_LEFT){id}}`, map[string]any{"id": leftsPairing}).code(); code != "" {
			t.Fatalf("ENTERPRISE_LEFT for a firm that left: %q", code)
		}
		for _, id := range []string{retiredsPairing, leftsPairing} {
			if n := s.auditCount(t, "pairing.changed", id); n != 1 {
				t.Errorf("pairing %s: %d audit entries, want 1", id, n)
			}
		}
		// The firm whose chief retired is listed as unpaired; the one that left is not.
		if u := names(s.shape(t).UnpairedEnterprises, func(e struct{ Name string }) string { return e.Name }); !slices.Equal(u, []string{"遗留结对测试厂"}) {
			t.Errorf("unpaired = %v", u)
		}
	})
}

// TestEveryPairingEndLeavesATrace goes through each command that ends a
// pairing: each writes an audit entry, and each leaves the enterprise with a
// successor, listed as unpaired, or out of the programme.
func TestEveryPairingEndLeavesATrace(t *testing.T) {
	s := startServer(t)
	zhu, fan, wu := s.officialID(t, "朱立军"), s.officialID(t, "范建文"), s.officialID(t, "吴华军")
	jialong, shuangcai := s.enterpriseID(t, "浙江遂昌嘉隆服饰有限公司"), s.enterpriseID(t, "浙江双彩新材料有限公司")
	pairingOf := func(e string) string {
		var ps struct{ Pairings []struct{ ID string } }
		s.as("admin", `query($e:ID!){pairings(filter:{enterpriseId:$e,activeOnly:true}){id}}`, map[string]any{"e": e}).decode(t, &ps)
		if len(ps.Pairings) != 1 {
			t.Fatalf("active pairings of %s: %+v", e, ps.Pairings)
		}
		return ps.Pairings[0].ID
	}
	entName := func(e struct{ Name string }) string { return e.Name }

	t.Run("Retirement", func(t *testing.T) {
		jl := pairingOf(jialong)
		s.as("admin", `mutation($id:ID!){retireOfficial(id:$id){id}}`, map[string]any{"id": zhu}).decode(t, &struct{}{})
		if n := s.auditCount(t, "pairing.changed", jl); n != 1 {
			t.Errorf("嘉隆's ended pairing: %d audit entries", n)
		}
		if n := s.auditCount(t, "official.retired", zhu); n != 1 {
			t.Errorf("retirement: %d audit entries", n)
		}
		sh := s.shape(t)
		if u := names(sh.UnpairedEnterprises, entName); !slices.Equal(u, []string{"浙江遂昌嘉隆服饰有限公司", "浙江鼎泰新材料有限公司"}) {
			t.Errorf("unpaired after 朱立军 retired = %v", u)
		}
		// His team member 雷志华 served only 鼎泰: he is now without an enterprise.
		if o := names(sh.OfficialsWithoutEnterprise, entName); !slices.Equal(o, []string{"雷志华"}) {
			t.Errorf("officials without an enterprise = %v", o)
		}
	})
	t.Run("Repair", func(t *testing.T) {
		var np struct{ RepairEnterprise struct{ ID string } }
		s.as("admin", `mutation($e:ID!,$o:ID!){repairEnterprise(input:{enterpriseId:$e,leadOfficialId:$o}){id}}`,
			map[string]any{"e": jialong, "o": fan}).decode(t, &np)
		if n := s.auditCount(t, "pairing.changed", np.RepairEnterprise.ID); n != 1 {
			t.Errorf("successor pairing: %d audit entries", n)
		}
		old := pairingOf(shuangcai)
		s.as("admin", `mutation($e:ID!,$o:ID!){repairEnterprise(input:{enterpriseId:$e,leadOfficialId:$o}){id}}`,
			map[string]any{"e": shuangcai, "o": s.officialID(t, "尹卫中")}).decode(t, &struct{}{})
		if n := s.auditCount(t, "pairing.changed", old); n != 1 {
			t.Errorf("re-paired (ended) pairing: %d audit entries", n)
		}
		sh := s.shape(t)
		if u := names(sh.UnpairedEnterprises, entName); !slices.Equal(u, []string{"浙江鼎泰新材料有限公司"}) {
			t.Errorf("unpaired after re-pairing 嘉隆 = %v", u)
		}
		// 吴华军 lost 双彩 to 尹卫中 and serves nobody now.
		if o := names(sh.OfficialsWithoutEnterprise, entName); !slices.Equal(o, []string{"吴华军", "雷志华"}) {
			t.Errorf("officials without an enterprise = %v", o)
		}
		_ = wu
	})
	t.Run("EnterpriseLeaves", func(t *testing.T) {
		p := pairingOf(shuangcai)
		s.as("admin", `mutation($e:ID!){markEnterpriseLeft(id:$e){id}}`, map[string]any{"e": shuangcai}).decode(t, &struct{}{})
		if n := s.auditCount(t, "pairing.changed", p); n != 2 { // created by re-pairing, ended by leaving
			t.Errorf("双彩's pairing: %d audit entries, want 2", n)
		}
		if n := s.auditCount(t, "enterprise.left", shuangcai); n != 1 {
			t.Errorf("leaving: %d audit entries", n)
		}
		if u := names(s.shape(t).UnpairedEnterprises, entName); slices.Contains(u, "浙江双彩新材料有限公司") {
			t.Errorf("a firm that left is listed as unpaired: %v", u)
		}
	})
}

// TestProgrammeShape reads the demo programme's shape: 一对一 with two chiefs
// leading two firms each, the counts, and the article's figures beside them.
func TestProgrammeShape(t *testing.T) {
	s := startServer(t)
	sh := s.shape(t)
	if len(sh.UnpairedEnterprises) != 0 || len(sh.OfficialsWithoutEnterprise) != 0 {
		t.Errorf("demo gaps: unpaired %v, idle %v", sh.UnpairedEnterprises, sh.OfficialsWithoutEnterprise)
	}
	several := map[string][]string{}
	for _, l := range sh.OfficialsLeadingSeveral {
		several[l.Official.Name] = names(l.Enterprises, func(e struct{ Name string }) string { return e.Name })
	}
	if len(several) != 2 || len(several["朱立军"]) != 2 || len(several["范建文"]) != 2 {
		t.Errorf("officials leading several = %v", several)
	}
	if sh.Chiefs != 6 || sh.Firms != 8 || sh.ActivePairings != 8 {
		t.Errorf("counts: %d chiefs, %d firms, %d pairings", sh.Chiefs, sh.Firms, sh.ActivePairings)
	}
	fig := map[string]int{}
	for _, f := range sh.ArticleFigures {
		fig[f.Key+"@"+f.AsOf] = f.Article
		if f.Key == "CHIEFS" && f.Live != sh.Chiefs || f.Key == "PROBLEMS_COLLECTED" && f.Live != sh.ProblemsCollected {
			t.Errorf("figure %s live %d", f.Key, f.Live)
		}
	}
	for k, v := range map[string]int{"CHIEFS_AT_LAUNCH@2016-11": 103, "FIRMS@2019-01": 108, "PROBLEMS_COLLECTED@2019-01": 119, "PROBLEMS_RESOLVED@2019-01": 78} {
		if fig[k] != v {
			t.Errorf("article figure %s = %d, want %d", k, fig[k], v)
		}
	}
	for _, u := range []string{"zhoushiyue", "moweiliang"} {
		if code := s.as(u, shapeQuery, nil).code(); code != "FORBIDDEN" {
			t.Errorf("%s reads the programme's shape: %q", u, code)
		}
	}
}
