package domain

import (
	"math"
	"slices"
	"strings"
	"time"
)

// The service ranking (服务成绩排名) turns an official's record into points, one
// component per thing the programme asks of a chief, each shown with its raw
// value and its points so that nobody has to trust an opaque total. The
// weights are the office's configuration (RankingConfig, rankingconfig.go);
// docs/ranking.md gives the default and why.

// RankingComponent is one part of an official's score.
type RankingComponent struct {
	Name  string
	Label string
	// Value is the raw figure: a count, or a mean for ratings and scores.
	Value float64
	// Count is how many records the value is made of (e.g. ratings averaged).
	Count  int
	Points float64
	// Rule says in words how Value became Points.
	Rule string
}

// RankingEntry is one official's place.
type RankingEntry struct {
	Rank       int
	OfficialID string
	Name       string
	Total      float64
	Components []RankingComponent
	// ConfigVersion is the version of the configuration the points were computed with.
	ConfigVersion int
	// Retired is set for a retired official (listed only when asked for).
	Retired bool
}

// RankingData is everything the ranking reads. Records outside Period are
// ignored; problems are attributed to the official who led their enterprise's
// pairing when they were reported.
type RankingData struct {
	Officials []*Official
	Pairings  []*Pairing
	Problems  []*Problem
	Visits    []*Visit
	Ratings   []*Rating
	// PeriodicRatings are the enterprises' quarterly ratings of their chief;
	// they count towards satisfaction as the ratings of resolved problems do.
	PeriodicRatings []*PeriodicRating
	SpotChecks      []*SpotCheck
	Quizzes         []*Quiz
	// Users map accounts to the officials they act as: a problem an official's
	// account reported is one he collected.
	Users []*User
	// Escalations are the ESCALATE history entries: where each problem was on
	// the ladder, and since when, to charge a delay to whoever held it.
	Escalations []*ProgressNote
	Period      Period
	// Config is the configuration in force; nil: DefaultRankingConfig.
	Config *RankingConfig
	// Deadlines are the programme's per level; nil: DefaultDeadlines.
	Deadlines map[Level]Deadlines
	// IncludeRetired lists retired officials too; by default the ranking is
	// of the chiefs still serving.
	IncludeRetired bool
}

// Period is a half-open time range [From, To); nil ends are open.
type Period struct {
	From, To *time.Time
}

// Contains reports whether t lies in the period.
func (p Period) Contains(t time.Time) bool {
	return (p.From == nil || !t.Before(*p.From)) && (p.To == nil || t.Before(*p.To))
}

// overlaps reports whether [start, end) (end nil: open) meets the period.
func (p Period) overlaps(start time.Time, end *time.Time) bool {
	return (p.To == nil || start.Before(*p.To)) && (end == nil || p.From == nil || end.After(*p.From))
}

// Rank scores every official who led a pairing during the period, best first.
// Equal totals share a rank (1, 2, 2, 4).
func Rank(d RankingData, now time.Time) []*RankingEntry {
	cfg := d.Config
	if cfg == nil {
		cfg = DefaultRankingConfig()
	}
	deadlines := d.Deadlines
	if deadlines == nil {
		deadlines = DefaultDeadlines
	}
	retired := map[string]bool{}
	for _, o := range d.Officials {
		retired[o.ID] = o.RetiredAt != nil
	}
	ranked := map[string]*tally{}
	for _, p := range d.Pairings {
		if d.Period.overlaps(p.StartedAt, p.EndedAt) && (d.IncludeRetired || !retired[p.LeadOfficialID]) {
			ranked[p.LeadOfficialID] = &tally{}
		}
	}
	officialOf := map[string]string{}
	for _, u := range d.Users {
		if u.OfficialID != "" {
			officialOf[u.ID] = u.OfficialID
		}
	}
	// visitedFor: the problems an official linked to his visits, which he
	// collected whoever typed them in.
	visitedFor := map[string]map[string]bool{}
	for _, v := range d.Visits {
		if t := ranked[v.OfficialID]; t != nil && d.Period.Contains(v.Date) {
			t.visits++
		}
		for _, id := range v.ProblemIDs {
			if visitedFor[id] == nil {
				visitedFor[id] = map[string]bool{}
			}
			visitedFor[id][v.OfficialID] = true
		}
	}
	ladder := map[string][]*ProgressNote{}
	for _, n := range d.Escalations {
		ladder[n.ProblemID] = append(ladder[n.ProblemID], n)
	}
	for _, pr := range d.Problems {
		lead := leadAt(d.Pairings, pr.EnterpriseID, pr.ReportedAt)
		t := ranked[lead]
		if t == nil || !d.Period.Contains(pr.ReportedAt) {
			continue
		}
		if pr.Status != StatusWithdrawn && (officialOf[pr.ReportedByUserID] == lead || visitedFor[pr.ID][lead]) {
			t.collected++
		}
		if pr.RespondedAt != nil && !pr.RespondedAt.After(pr.RespondBy) {
			t.ackInTime++
		}
		if pr.Status == StatusResolved || pr.Status == StatusConfirmed {
			t.resolved++
		}
		if pr.Status == StatusConfirmed {
			t.confirmed++
		}
		if ChiefLate(pr, ladder[pr.ID], deadlines, now) {
			t.overdue++
		}
	}
	for _, r := range d.Ratings {
		if t := ranked[r.OfficialID]; t != nil && d.Period.Contains(r.At) {
			t.ratings = append(t.ratings, float64(r.Score))
		}
	}
	for _, r := range d.PeriodicRatings {
		if t := ranked[r.OfficialID]; t != nil && d.Period.Contains(r.At) {
			t.ratings = append(t.ratings, float64(r.Score))
		}
	}
	for _, c := range d.SpotChecks {
		t := ranked[c.OfficialID]
		if t == nil || !d.Period.Contains(c.Date) {
			continue
		}
		if c.Score != nil {
			t.spotScores = append(t.spotScores, float64(*c.Score))
		}
		t.missed += len(c.Questions) - c.KnownCount()
	}
	for _, q := range d.Quizzes {
		if !d.Period.Contains(q.Date) {
			continue
		}
		for _, r := range q.Results {
			if t := ranked[r.OfficialID]; t != nil {
				t.quizScores = append(t.quizScores, float64(r.Score))
			}
		}
	}

	var out []*RankingEntry
	for _, o := range d.Officials {
		if t := ranked[o.ID]; t != nil {
			e := &RankingEntry{OfficialID: o.ID, Name: o.Name, Components: t.components(cfg), ConfigVersion: cfg.Version, Retired: retired[o.ID]}
			for _, c := range e.Components {
				e.Total += c.Points
			}
			e.Total = round1(e.Total)
			out = append(out, e)
		}
	}
	slices.SortStableFunc(out, func(a, b *RankingEntry) int {
		if a.Total != b.Total {
			if a.Total > b.Total {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
	for i, e := range out {
		e.Rank = i + 1
		if i > 0 && e.Total == out[i-1].Total {
			e.Rank = out[i-1].Rank
		}
	}
	return out
}

// ChiefLate reports whether the problem ran late while its chief held it: not
// responded to by its response deadline (responding is always the chief's),
// or past a resolution deadline while it was at L1 (his own) or L2 (his
// bureau's). Time it spent at L3 (other departments, by letter or
// coordination meeting) or L4 (the county executive meeting) is theirs: a
// chief who escalated in time is not charged for their delays. escalations
// are the problem's ESCALATE history entries.
func ChiefLate(pr *Problem, escalations []*ProgressNote, deadlines map[Level]Deadlines, now time.Time) bool {
	if pr.Status == StatusReported && now.After(pr.RespondBy) {
		return true
	}
	chiefs := func(l Level) bool { return l == L1 || l == L2 }
	steps := slices.Clone(escalations)
	slices.SortFunc(steps, func(a, b *ProgressNote) int { return a.At.Compare(b.At) })
	level, since := pr.Level, pr.ReportedAt
	if len(steps) > 0 && steps[0].FromLevel != "" {
		level = steps[0].FromLevel
	}
	for _, s := range steps {
		// He held it at his level until he escalated: late if that was past
		// the level's resolution deadline.
		if chiefs(level) && s.At.After(since.Add(deadlines[level].Resolve)) {
			return true
		}
		level, since = s.ToLevel, s.At
	}
	// Where it is now: overdue now counts against whoever holds it now.
	return chiefs(pr.Level) && pr.Status.Open() && now.After(pr.ResolveBy)
}

// leadAt is the official who led the enterprise's pairing at t, "" if none.
func leadAt(pairings []*Pairing, enterpriseID string, t time.Time) string {
	for _, p := range pairings {
		if p.EnterpriseID == enterpriseID && !p.StartedAt.After(t) && (p.EndedAt == nil || p.EndedAt.After(t)) {
			return p.LeadOfficialID
		}
	}
	return ""
}

type tally struct {
	visits, collected, ackInTime, resolved, confirmed, overdue, missed int
	ratings, spotScores, quizScores                                    []float64
}

func (t *tally) components(cfg *RankingConfig) []RankingComponent {
	mean := func(xs []float64) float64 {
		if len(xs) == 0 {
			return 0
		}
		s := 0.0
		for _, x := range xs {
			s += x
		}
		return round1(s / float64(len(xs)))
	}
	counts := map[string]int{CompVisits: t.visits, CompCollected: t.collected, CompAckInTime: t.ackInTime, CompResolved: t.resolved,
		CompConfirmed: t.confirmed, CompOverdue: t.overdue, CompQuestionsMissed: t.missed}
	means := map[string][]float64{CompSatisfaction: t.ratings, CompSpotChecks: t.spotScores, CompQuizzes: t.quizScores}
	out := make([]RankingComponent, 0, len(RankingComponents))
	for _, spec := range RankingComponents {
		w := cfg.Weight(spec.Name)
		c := RankingComponent{Name: spec.Name, Label: spec.Label, Rule: cfg.Rule(spec.Name)}
		switch spec.Kind {
		case KindCount:
			n := counts[spec.Name]
			c.Value, c.Count = float64(n), n
			if w.Cap > 0 {
				n = min(n, w.Cap)
			}
			c.Points = round1(w.Weight * float64(n))
		case KindMean:
			xs := means[spec.Name]
			c.Value, c.Count = mean(xs), len(xs)
			if len(xs) > 0 {
				c.Points = round1((c.Value - w.Baseline) * w.Weight)
			}
		}
		if c.Points == 0 {
			c.Points = 0 // no −0 in answers
		}
		out = append(out, c)
	}
	return out
}

func round1(x float64) float64 { return math.Round(x*10) / 10 }
