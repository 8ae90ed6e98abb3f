package domain_test

import (
	"testing"
	"time"

	"github.com/lianqi/lianqi/domain"
)

// rankingData is a small programme whose ranking was worked out by hand (see the
// comments on each record and the expected values in TestRank).
func rankingData() (domain.RankingData, time.Time) {
	day := 24 * time.Hour
	at := func(d int) time.Time { return t0.Add(time.Duration(d) * day) }
	ptr := func(t time.Time) *time.Time { return &t }
	score := func(n int) *int { return &n }
	const A, B, C, D, E = "a", "b", "c", "d", "e"
	d := domain.RankingData{
		Officials: []*domain.Official{{ID: A, Name: "甲"}, {ID: B, Name: "乙"}, {ID: C, Name: "丙"}, {ID: D, Name: "丁"}, {ID: E, Name: "戊"}},
		Pairings: []*domain.Pairing{
			{EnterpriseID: "e1", LeadOfficialID: A, TeamMemberIDs: []string{C}, StartedAt: at(0)},
			// e2 was B's until day 10, then re-paired to A.
			{EnterpriseID: "e2", LeadOfficialID: B, StartedAt: at(0), EndedAt: ptr(at(10)), EndReason: domain.EndRepaired},
			{EnterpriseID: "e2", LeadOfficialID: A, StartedAt: at(10)},
			{EnterpriseID: "e3", LeadOfficialID: D, StartedAt: at(0)},
			{EnterpriseID: "e4", LeadOfficialID: E, StartedAt: at(0)},
		},
		Problems: []*domain.Problem{
			// A: acknowledged in time, resolved and confirmed.
			{EnterpriseID: "e1", Status: domain.StatusConfirmed, ReportedAt: at(1), RespondBy: at(2), ResolveBy: at(4), RespondedAt: ptr(at(1).Add(time.Hour))},
			// B (e2 before the re-pairing): acknowledged late, resolved.
			{EnterpriseID: "e2", Status: domain.StatusResolved, ReportedAt: at(2), RespondBy: at(3), ResolveBy: at(5), RespondedAt: ptr(at(5))},
			// A (e2 after the re-pairing): nobody responded, overdue now.
			{EnterpriseID: "e2", Status: domain.StatusReported, ReportedAt: at(12), RespondBy: at(13), ResolveBy: at(15)},
			// A: acknowledged in time, in progress, not yet due.
			{EnterpriseID: "e1", Status: domain.StatusInProgress, ReportedAt: at(20), RespondBy: at(21), ResolveBy: at(50), RespondedAt: ptr(at(20))},
		},
		Visits: []*domain.Visit{
			{OfficialID: A, Date: at(1)}, {OfficialID: A, Date: at(15)}, {OfficialID: A, Date: at(25)},
			{OfficialID: B, Date: at(3)},
			{OfficialID: C, Date: at(4)}, {OfficialID: C, Date: at(5)}, // a team member: not ranked
		},
		Ratings: []*domain.Rating{
			{OfficialID: A, Score: 5, At: at(30)}, {OfficialID: A, Score: 4, At: at(30)},
			{OfficialID: B, Score: 2, At: at(6)},
		},
		SpotChecks: []*domain.SpotCheck{
			{OfficialID: A, Date: at(30), Score: score(80), Questions: []domain.SpotCheckQuestion{{Question: "放假", OfficialKnew: true}, {Question: "复工"}}},
			{OfficialID: B, Date: at(8), Questions: []domain.SpotCheckQuestion{{Question: "产值"}}},
		},
		Quizzes: []*domain.Quiz{{Date: at(5), Results: []domain.QuizResult{{OfficialID: A, Score: 90}, {OfficialID: B, Score: 50}}}},
	}
	return d, at(40)
}

func TestRank(t *testing.T) {
	d, now := rankingData()
	got := domain.Rank(d, now)
	type want struct {
		name  string
		rank  int
		total float64
		// points per component, in the order of the components
		points []float64
	}
	wants := []want{
		// 3 visits; 2 in time x3; 1 resolved x5; 1 confirmed x5; 1 overdue x-10;
		// ratings mean 4.5 → (4.5-3)x10 = 15; spot check 80 → (80-60)/2 = 10;
		// 1 question missed x-2; quiz 90 → (90-60)/4 = 7.5. Total 39.5.
		{"甲", 1, 39.5, []float64{3, 6, 5, 5, -10, 15, 10, -2, 7.5}},
		// Nothing recorded: 0, sharing rank 2.
		{"丁", 2, 0, []float64{0, 0, 0, 0, 0, 0, 0, 0, 0}},
		{"戊", 2, 0, []float64{0, 0, 0, 0, 0, 0, 0, 0, 0}},
		// 1 visit; late acknowledgement earns nothing; 1 resolved x5; rating 2 →
		// -10; an unscored check earns nothing but its missed question -2; quiz 50
		// → -2.5. Total -8.5.
		{"乙", 4, -8.5, []float64{1, 0, 5, 0, 0, -10, 0, -2, -2.5}},
	}
	if len(got) != len(wants) {
		t.Fatalf("%d entries, want %d: %+v", len(got), len(wants), got)
	}
	for i, w := range wants {
		g := got[i]
		if g.Name != w.name || g.Rank != w.rank || g.Total != w.total {
			t.Errorf("#%d = %s rank %d total %v, want %s rank %d total %v", i, g.Name, g.Rank, g.Total, w.name, w.rank, w.total)
		}
		for j, c := range g.Components {
			if c.Points != w.points[j] {
				t.Errorf("%s %s = %v points (value %v), want %v", g.Name, c.Name, c.Points, c.Value, w.points[j])
			}
		}
	}
	if a := got[0].Components; a[5].Value != 4.5 || a[5].Count != 2 || a[6].Value != 80 {
		t.Errorf("甲's raw values: satisfaction %v/%d, spot checks %v", a[5].Value, a[5].Count, a[6].Value)
	}
}

func TestRankPeriod(t *testing.T) {
	d, now := rankingData()
	from := t0.Add(11 * 24 * time.Hour)
	d.Period = domain.Period{From: &from}
	got := domain.Rank(d, now)
	// 乙's pairing ended before the period: not ranked. 甲: 2 visits; 1 in time x3;
	// 1 overdue x-10; ratings 15; spot check 10; missed -2; the quiz was before. 18.
	if len(got) != 3 || got[0].Name != "甲" || got[0].Total != 18 {
		t.Fatalf("ranking from day 11 = %+v", got[0])
	}
}
