package domain_test

import (
	"math"
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
		// 3 visits; nothing collected; 2 in time x3; 1 resolved x5; 1 confirmed x5; 1 overdue x-10;
		// ratings mean 4.5 → (4.5-3)x10 = 15; spot check 80 → (80-60)/2 = 10;
		// 1 question missed x-2; quiz 90 → (90-60)/4 = 7.5. Total 39.5.
		{"甲", 1, 39.5, []float64{3, 0, 6, 5, 5, -10, 15, 10, -2, 7.5}},
		// Nothing recorded: 0, sharing rank 2.
		{"丁", 2, 0, []float64{0, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
		{"戊", 2, 0, []float64{0, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
		// 1 visit; late acknowledgement earns nothing; 1 resolved x5; rating 2 →
		// -10; an unscored check earns nothing but its missed question -2; quiz 50
		// → -2.5. Total -8.5.
		{"乙", 4, -8.5, []float64{1, 0, 0, 5, 0, 0, -10, 0, -2, -2.5}},
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
	if a := got[0].Components; a[6].Value != 4.5 || a[6].Count != 2 || a[7].Value != 80 {
		t.Errorf("甲's raw values: satisfaction %v/%d, spot checks %v", a[6].Value, a[6].Count, a[7].Value)
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

// points returns the points of one component of an entry.
func points(e *domain.RankingEntry, name string) float64 {
	for _, c := range e.Components {
		if c.Name == name {
			return c.Points
		}
	}
	return math.NaN()
}

func entry(es []*domain.RankingEntry, name string) *domain.RankingEntry {
	for _, e := range es {
		if e.Name == name {
			return e
		}
	}
	return nil
}

// TestRankRewardsCollecting: the first thing the article asks of a chief is to
// collect his firm's difficulties. One he recorded himself and one he linked
// to his visit count; one the enterprise reported on its own does not.
func TestRankRewardsCollecting(t *testing.T) {
	d, now := rankingData()
	at := func(n int) time.Time { return t0.Add(time.Duration(n) * 24 * time.Hour) }
	d.Users = []*domain.User{{ID: "u-a", OfficialID: "a"}, {ID: "u-e1", EnterpriseID: "e1"}}
	d.Problems = append(d.Problems,
		&domain.Problem{ID: "p-self", EnterpriseID: "e1", Status: domain.StatusAcknowledged, ReportedByUserID: "u-a", ReportedAt: at(30), RespondBy: at(31), ResolveBy: at(60), RespondedAt: ptrT(at(30))},
		&domain.Problem{ID: "p-visit", EnterpriseID: "e1", Status: domain.StatusAcknowledged, ReportedByUserID: "admin", ReportedAt: at(31), RespondBy: at(32), ResolveBy: at(60), RespondedAt: ptrT(at(31))},
		&domain.Problem{ID: "p-firm", EnterpriseID: "e1", Status: domain.StatusAcknowledged, ReportedByUserID: "u-e1", ReportedAt: at(32), RespondBy: at(33), ResolveBy: at(60), RespondedAt: ptrT(at(32))})
	d.Visits = append(d.Visits, &domain.Visit{OfficialID: "a", EnterpriseID: "e1", Date: at(31), ProblemIDs: []string{"p-visit"}})
	a := entry(domain.Rank(d, now), "甲")
	if got := points(a, domain.CompCollected); got != 4 {
		t.Fatalf("甲 collected points = %v, want 2 × 2 = 4", got)
	}
}

func ptrT(t time.Time) *time.Time { return &t }

// TestChiefLate charges each delay to whoever held the problem when it ran
// late: the chief for the response and for L1/L2; not for L3 (other
// departments) or L4 (the county executive meeting) once he escalated in time.
func TestChiefLate(t *testing.T) {
	day := 24 * time.Hour
	at := func(n int) time.Time { return t0.Add(time.Duration(n) * day) }
	dl := domain.DefaultDeadlines // L1 resolve 3 days, L2 15, L3 30, L4 60
	esc := func(d int, from, to domain.Level) *domain.ProgressNote {
		return &domain.ProgressNote{Kind: domain.ActionEscalate, At: at(d), FromLevel: from, ToLevel: to}
	}
	for _, tc := range []struct {
		name  string
		p     domain.Problem
		steps []*domain.ProgressNote
		now   int
		late  bool
	}{
		{"NotRespondedInTime", domain.Problem{Status: domain.StatusReported, Level: domain.L1, ReportedAt: at(0), RespondBy: at(1), ResolveBy: at(3)}, nil, 2, true},
		{"OverdueAtL1", domain.Problem{Status: domain.StatusInProgress, Level: domain.L1, ReportedAt: at(0), RespondBy: at(1), ResolveBy: at(3)}, nil, 5, true},
		{"OverdueAtL2", domain.Problem{Status: domain.StatusInProgress, Level: domain.L2, ReportedAt: at(0), RespondBy: at(2), ResolveBy: at(15)}, nil, 20, true},
		{"OverdueAtL3EscalatedInTime", domain.Problem{Status: domain.StatusInProgress, Level: domain.L3, ReportedAt: at(0), RespondBy: at(1), ResolveBy: at(32)},
			[]*domain.ProgressNote{esc(2, domain.L1, domain.L3)}, 40, false},
		{"OverdueAtL4EscalatedInTime", domain.Problem{Status: domain.StatusInProgress, Level: domain.L4, ReportedAt: at(0), RespondBy: at(1), ResolveBy: at(70)},
			[]*domain.ProgressNote{esc(10, domain.L2, domain.L3), esc(10, domain.L3, domain.L4)}, 90, false},
		{"EscalatedLateFromL2", domain.Problem{Status: domain.StatusInProgress, Level: domain.L3, ReportedAt: at(0), RespondBy: at(2), ResolveBy: at(50)},
			[]*domain.ProgressNote{esc(20, domain.L2, domain.L3)}, 30, true},
		{"ResolvedInTime", domain.Problem{Status: domain.StatusResolved, Level: domain.L1, ReportedAt: at(0), RespondBy: at(1), ResolveBy: at(3)}, nil, 30, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := domain.ChiefLate(&tc.p, tc.steps, dl, at(tc.now)); got != tc.late {
				t.Fatalf("ChiefLate = %v, want %v", got, tc.late)
			}
		})
	}
}

// TestRankLeavesOutRetiredChiefs: a retired chief is not in the default
// ranking; asked for, he is, marked.
func TestRankLeavesOutRetiredChiefs(t *testing.T) {
	d, now := rankingData()
	gone := t0.Add(35 * 24 * time.Hour)
	d.Officials[3].RetiredAt = &gone // 丁
	if e := entry(domain.Rank(d, now), "丁"); e != nil {
		t.Fatalf("retired 丁 ranked: %+v", e)
	}
	d.IncludeRetired = true
	if e := entry(domain.Rank(d, now), "丁"); e == nil || !e.Retired {
		t.Fatalf("with includeRetired: %+v", e)
	}
}

// TestRankUsesTheConfiguration: the office's weights, not constants, make the
// points, and each entry names the version.
func TestRankUsesTheConfiguration(t *testing.T) {
	d, now := rankingData()
	cfg := domain.DefaultRankingConfig().Apply([]domain.ComponentWeight{{Name: domain.CompVisits, Weight: 2, Cap: 2}, {Name: domain.CompOverdue, Weight: -20}})
	d.Config = cfg
	a := entry(domain.Rank(d, now), "甲")
	if a.ConfigVersion != 1 || points(a, domain.CompVisits) != 4 || points(a, domain.CompOverdue) != -20 || a.Total != 30.5 {
		t.Fatalf("甲 under version 1: %+v", a)
	}
}

func TestValidateRankingChanges(t *testing.T) {
	for _, tc := range []struct {
		name    string
		changes []domain.ComponentWeight
		reason  string
		ok      bool
	}{
		{"Fine", []domain.ComponentWeight{{Name: domain.CompVisits, Weight: 2, Cap: 30}}, "多走访", true},
		{"NoReason", []domain.ComponentWeight{{Name: domain.CompVisits, Weight: 2}}, " ", false},
		{"Unknown", []domain.ComponentWeight{{Name: "BRIBES", Weight: 2}}, "x", false},
		{"Twice", []domain.ComponentWeight{{Name: domain.CompVisits, Weight: 2}, {Name: domain.CompVisits, Weight: 3}}, "x", false},
		{"RewardTurnedPenalty", []domain.ComponentWeight{{Name: domain.CompResolved, Weight: -5}}, "x", false},
		{"PenaltyTurnedReward", []domain.ComponentWeight{{Name: domain.CompOverdue, Weight: 10}}, "x", false},
		{"BaselineOffScale", []domain.ComponentWeight{{Name: domain.CompSatisfaction, Weight: 10, Baseline: 7}}, "x", false},
		{"CapOnMean", []domain.ComponentWeight{{Name: domain.CompQuizzes, Weight: 0.5, Baseline: 60, Cap: 3}}, "x", false},
		{"NegativeCap", []domain.ComponentWeight{{Name: domain.CompVisits, Weight: 1, Cap: -1}}, "x", false},
		{"Nothing", nil, "x", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := domain.ValidateChanges(tc.changes, tc.reason)
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v, want ok %v", err, tc.ok)
			}
			if err != nil && domain.ErrorCode(err) != domain.EINVALID {
				t.Fatalf("code %q", domain.ErrorCode(err))
			}
		})
	}
}

// TestRankCountsPeriodicRatings: an enterprise's quarterly rating of its chief
// counts towards satisfaction like a rating given with a resolved problem, and
// only inside the period.
func TestRankCountsPeriodicRatings(t *testing.T) {
	d, now := rankingData()
	before := entry(domain.Rank(d, now), "甲")
	for _, c := range before.Components {
		if c.Name == domain.CompSatisfaction && c.Count == 0 {
			t.Fatal("the dataset should give 甲 ratings already")
		}
	}
	count := func(e *domain.RankingEntry) int {
		for _, c := range e.Components {
			if c.Name == domain.CompSatisfaction {
				return c.Count
			}
		}
		return -1
	}
	d.PeriodicRatings = []*domain.PeriodicRating{
		{ID: "q1", OfficialID: before.OfficialID, Period: "2026-Q1", Score: 1, At: now.Add(-time.Hour)},
		{ID: "q0", OfficialID: before.OfficialID, Period: "2020-Q1", Score: 1, At: time.Date(2020, 2, 1, 0, 0, 0, 0, time.UTC)},
	}
	from := now.Add(-30 * 24 * time.Hour)
	d.Period = domain.Period{From: &from}
	inPeriod := entry(domain.Rank(d, now), "甲")
	d.PeriodicRatings = nil
	without := entry(domain.Rank(d, now), "甲")
	if count(inPeriod) != count(without)+1 {
		t.Fatalf("satisfaction counts %d ratings with one quarterly rating in the period, %d without", count(inPeriod), count(without))
	}
	if count(without) == 0 || points(inPeriod, domain.CompSatisfaction) >= points(without, domain.CompSatisfaction) {
		t.Fatalf("a score of 1 should lower satisfaction: %v vs %v", points(inPeriod, domain.CompSatisfaction), points(without, domain.CompSatisfaction))
	}
}
