package main

import (
	"slices"
	"testing"
	"time"
)

type rankingView struct {
	Name          string
	Total         float64
	ConfigVersion int
	Retired       bool
	Components    []struct {
		Name, Label string
		Value       float64
		Points      float64
	}
}

func (r rankingView) points(name string) float64 {
	for _, c := range r.Components {
		if c.Name == name {
			return c.Points
		}
	}
	return -999
}

func (r rankingView) value(name string) float64 {
	for _, c := range r.Components {
		if c.Name == name {
			return c.Value
		}
	}
	return -999
}

const rankingFields = `name total configVersion retired components{name label value points}`

func (s *testServer) ranking(t *testing.T, user, args string) map[string]rankingView {
	t.Helper()
	var out struct{ OfficialRanking []rankingView }
	s.as(user, `{officialRanking`+args+`{`+rankingFields+`}}`, nil).decode(t, &out)
	m := map[string]rankingView{}
	for _, e := range out.OfficialRanking {
		m[e.Name] = e
	}
	return m
}

// TestRankingConfigurationIsTheOffices: the weights are a stored, versioned
// configuration the office changes with a reason; the ranking says which
// version made its points, and the history says who changed what, when, why.
func TestRankingConfigurationIsTheOffices(t *testing.T) {
	s := startServer(t)
	type cfgView struct {
		Version       int
		Reason        string
		ChangedByName *string
		ChangedAt     *string
		Changes       []string
		Components    []struct {
			Name, Label, Kind, Why string
			Weight, Baseline       float64
			Cap                    int
		}
	}
	const cfgFields = `version reason changedByName changedAt changes components{name label kind why weight baseline cap}`
	var def struct{ RankingConfig cfgView }
	s.as("zhoushiyue", `{rankingConfig{`+cfgFields+`}}`, nil).decode(t, &def)
	d := def.RankingConfig
	if d.Version != 0 || len(d.Components) != 10 || d.ChangedAt != nil || d.Components[0].Name != "VISITS" || d.Components[0].Weight != 1 || d.Components[0].Cap != 24 {
		t.Fatalf("default configuration = %+v", d)
	}
	for _, c := range d.Components {
		if c.Why == "" || c.Label == "" {
			t.Errorf("component %s has no reason or label", c.Name)
		}
	}
	before := s.ranking(t, "maojianguo", "")
	mark := time.Now().UTC()
	time.Sleep(5 * time.Millisecond)

	const set = `mutation($i:RankingConfigInput!){setRankingConfig(input:$i){` + cfgFields + `}}`
	visits := func(w float64) map[string]any {
		return map[string]any{"components": []map[string]any{{"name": "VISITS", "weight": w}}, "reason": "走访是服务的基础，加倍计分"}
	}
	for _, tc := range []struct {
		name, user string
		input      map[string]any
		want       string
	}{
		{"Leader", "maojianguo", visits(2), "FORBIDDEN"},
		{"Official", "zhoushiyue", visits(2), "FORBIDDEN"},
		{"UnknownComponent", "admin", map[string]any{"components": []map[string]any{{"name": "GIFTS", "weight": 1}}, "reason": "x"}, "BAD_USER_INPUT"},
		{"NoReason", "admin", map[string]any{"components": []map[string]any{{"name": "VISITS", "weight": 2}}, "reason": "  "}, "BAD_USER_INPUT"},
		{"RewardAsPenalty", "admin", map[string]any{"components": []map[string]any{{"name": "RESOLVED", "weight": -5}}, "reason": "x"}, "BAD_USER_INPUT"},
		{"OutOfRange", "admin", visits(500), "BAD_USER_INPUT"},
		{"NothingChanges", "admin", visits(1), "BAD_USER_INPUT"},
		{"StaleVersion", "admin", map[string]any{"components": []map[string]any{{"name": "VISITS", "weight": 2}}, "reason": "x", "expectedVersion": 3}, "CONFLICT"},
	} {
		t.Run("Refused"+tc.name, func(t *testing.T) {
			if code := s.as(tc.user, set, map[string]any{"i": tc.input}).code(); code != tc.want {
				t.Fatalf("code %q, want %s", code, tc.want)
			}
		})
	}

	var changed struct{ SetRankingConfig cfgView }
	in := visits(2)
	in["expectedVersion"] = 0
	s.as("admin", set, map[string]any{"i": in}).decode(t, &changed)
	c := changed.SetRankingConfig
	if c.Version != 1 || c.ChangedByName == nil || *c.ChangedByName != "系统管理员" || c.ChangedAt == nil ||
		!slices.Equal(c.Changes, []string{"VISITS: weight 1 → 2"}) || c.Components[0].Cap != 24 {
		t.Fatalf("version 1 = %+v", c)
	}

	after := s.ranking(t, "maojianguo", "")
	for name, b := range before {
		a := after[name]
		if a.ConfigVersion != 1 || b.ConfigVersion != 0 {
			t.Fatalf("%s: versions %d → %d", name, b.ConfigVersion, a.ConfigVersion)
		}
		if a.points("VISITS") != 2*b.points("VISITS") || a.Total-b.Total-b.points("VISITS") > 0.01 {
			t.Errorf("%s: visits %v → %v, total %v → %v", name, b.points("VISITS"), a.points("VISITS"), b.Total, a.Total)
		}
	}
	// As of before the change, the ranking is computed as it was.
	old := s.ranking(t, "maojianguo", `(asOf:"`+mark.Format(time.RFC3339Nano)+`")`)
	for name, b := range before {
		if o := old[name]; o.ConfigVersion != 0 || o.Total != b.Total {
			t.Errorf("%s as of before the change: %+v, want %+v", name, o, b)
		}
	}

	var hist struct{ RankingConfigHistory []cfgView }
	s.as("zhoushiyue", `{rankingConfigHistory{`+cfgFields+`}}`, nil).decode(t, &hist)
	if h := hist.RankingConfigHistory; len(h) != 2 || h[0].Version != 1 || h[0].Reason != "走访是服务的基础，加倍计分" || h[1].Version != 0 {
		t.Fatalf("history = %+v", h)
	}
	if n := s.auditCount(t, "ranking.config_changed", ""); n != 1 {
		t.Errorf("%d audit entries for the change", n)
	}
}

// TestRankingPerverseCases through the server: a chief's own record of a
// difficulty is acknowledged by that act and earns COLLECTED; a retired chief
// leaves the default ranking. (Delays at L3/L4 are domain.TestChiefLate.)
func TestRankingPerverseCases(t *testing.T) {
	s := startServer(t)
	before := s.ranking(t, "maojianguo", "")

	t.Run("SelfRecordedIsAcknowledgedAndCollected", func(t *testing.T) {
		var rep struct {
			ReportProblem struct {
				ID, Status  string
				RespondedAt *string
				History     []struct{ Kind, Text string }
			}
		}
		lsy := s.enterpriseID(t, "浙江良盛元化工有限公司")
		s.as("zhoushiyue", `mutation($e:ID){reportProblem(input:{enterpriseId:$e,category:LABOUR,title:"技术工人缺口30人"}){id status respondedAt history{kind text}}}`,
			map[string]any{"e": lsy}).decode(t, &rep)
		r := rep.ReportProblem
		if r.Status != "ACKNOWLEDGED" || r.RespondedAt == nil || len(r.History) != 1 || r.History[0].Kind != "ACKNOWLEDGE" {
			t.Fatalf("self-recorded problem = %+v", r)
		}
		after := s.ranking(t, "maojianguo", "")
		b, a := before["周世岳"], after["周世岳"]
		if a.value("COLLECTED") != b.value("COLLECTED")+1 || a.value("ACKNOWLEDGED_IN_TIME") != b.value("ACKNOWLEDGED_IN_TIME")+1 {
			t.Fatalf("周世岳 collected %v → %v, in time %v → %v", b.value("COLLECTED"), a.value("COLLECTED"), b.value("ACKNOWLEDGED_IN_TIME"), a.value("ACKNOWLEDGED_IN_TIME"))
		}
		// An enterprise's own report is not the chief's collecting.
		s.as("moweiliang", `mutation{reportProblem(input:{category:FINANCING,title:"流动资金贷款"}){id}}`, nil).decode(t, &struct{}{})
		if again := s.ranking(t, "maojianguo", "")["周世岳"]; again.value("COLLECTED") != a.value("COLLECTED") {
			t.Fatalf("an enterprise's report counted as collected: %v", again.value("COLLECTED"))
		}
	})

	t.Run("RetiredLeaveTheDefaultRanking", func(t *testing.T) {
		if _, ok := before["尹卫中"]; !ok {
			t.Fatal("尹卫中 not ranked before retiring")
		}
		s.as("admin", `mutation($id:ID!){retireOfficial(id:$id){id}}`, map[string]any{"id": s.officialID(t, "尹卫中")}).decode(t, &struct{}{})
		if _, ok := s.ranking(t, "maojianguo", "")["尹卫中"]; ok {
			t.Fatal("retired 尹卫中 is in the default ranking")
		}
		if e, ok := s.ranking(t, "maojianguo", "(includeRetired:true)")["尹卫中"]; !ok || !e.Retired {
			t.Fatalf("with includeRetired: %+v", e)
		}
	})
}
