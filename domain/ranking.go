package domain

import (
	"math"
	"slices"
	"strings"
	"time"
)

// The service ranking (服务成绩排名) turns an official's record into points, one
// component per thing the programme asks of a chief, each shown with its raw
// value and its points so that nobody has to trust an opaque total. The rules
// are in docs/ranking.md; the constants below are the whole formula.
const (
	pointsPerVisit        = 1.0
	maxCountedVisits      = 24 // about two a month: more visits do not buy rank
	pointsPerAckInTime    = 3.0
	pointsPerResolved     = 5.0
	pointsPerConfirmed    = 5.0
	pointsPerOverdue      = -10.0
	pointsPerRatingStep   = 10.0 // per star above or below 3
	spotCheckPass         = 60.0
	spotCheckDivisor      = 2.0
	pointsPerMissedAnswer = -2.0
	quizPass              = 60.0
	quizDivisor           = 4.0
)

// Ranking component names.
const (
	CompVisits          = "VISITS"
	CompAckInTime       = "ACKNOWLEDGED_IN_TIME"
	CompResolved        = "RESOLVED"
	CompConfirmed       = "CONFIRMED"
	CompOverdue         = "OVERDUE"
	CompSatisfaction    = "SATISFACTION"
	CompSpotChecks      = "SPOT_CHECKS"
	CompQuestionsMissed = "QUESTIONS_MISSED"
	CompQuizzes         = "QUIZZES"
)

// RankingComponent is one part of an official's score.
type RankingComponent struct {
	Name string
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
}

// RankingData is everything the ranking reads. Records outside Period are
// ignored; problems are attributed to the official who led their enterprise's
// pairing when they were reported.
type RankingData struct {
	Officials  []*Official
	Pairings   []*Pairing
	Problems   []*Problem
	Visits     []*Visit
	Ratings    []*Rating
	SpotChecks []*SpotCheck
	Quizzes    []*Quiz
	Period     Period
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
	ranked := map[string]*tally{}
	for _, p := range d.Pairings {
		if d.Period.overlaps(p.StartedAt, p.EndedAt) {
			ranked[p.LeadOfficialID] = &tally{}
		}
	}
	for _, v := range d.Visits {
		if t := ranked[v.OfficialID]; t != nil && d.Period.Contains(v.Date) {
			t.visits++
		}
	}
	for _, pr := range d.Problems {
		t := ranked[leadAt(d.Pairings, pr.EnterpriseID, pr.ReportedAt)]
		if t == nil || !d.Period.Contains(pr.ReportedAt) {
			continue
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
		if pr.Overdue(now) {
			t.overdue++
		}
	}
	for _, r := range d.Ratings {
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
			e := &RankingEntry{OfficialID: o.ID, Name: o.Name, Components: t.components()}
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
	visits, ackInTime, resolved, confirmed, overdue, missed int
	ratings, spotScores, quizScores                         []float64
}

func (t *tally) components() []RankingComponent {
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
	scored := func(xs []float64, f func(m float64) float64) float64 {
		if len(xs) == 0 {
			return 0
		}
		return round1(f(mean(xs)))
	}
	return []RankingComponent{
		{Name: CompVisits, Value: float64(t.visits), Count: t.visits, Points: pointsPerVisit * float64(min(t.visits, maxCountedVisits)),
			Rule: "1 point per visit, at most 24 visits count"},
		{Name: CompAckInTime, Value: float64(t.ackInTime), Count: t.ackInTime, Points: pointsPerAckInTime * float64(t.ackInTime),
			Rule: "3 points per problem acknowledged before its response deadline"},
		{Name: CompResolved, Value: float64(t.resolved), Count: t.resolved, Points: pointsPerResolved * float64(t.resolved),
			Rule: "5 points per problem resolved (resolved or confirmed)"},
		{Name: CompConfirmed, Value: float64(t.confirmed), Count: t.confirmed, Points: pointsPerConfirmed * float64(t.confirmed),
			Rule: "5 more points per resolution the enterprise confirmed"},
		{Name: CompOverdue, Value: float64(t.overdue), Count: t.overdue, Points: pointsPerOverdue * float64(t.overdue),
			Rule: "-10 points per problem open past a deadline now"},
		{Name: CompSatisfaction, Value: mean(t.ratings), Count: len(t.ratings),
			Points: scored(t.ratings, func(m float64) float64 { return (m - 3) * pointsPerRatingStep }),
			Rule:   "(mean rating - 3) x 10; no ratings, no points"},
		{Name: CompSpotChecks, Value: mean(t.spotScores), Count: len(t.spotScores),
			Points: scored(t.spotScores, func(m float64) float64 { return (m - spotCheckPass) / spotCheckDivisor }),
			Rule:   "(mean spot-check score - 60) / 2; no scored checks, no points"},
		{Name: CompQuestionsMissed, Value: float64(t.missed), Count: t.missed, Points: pointsPerMissedAnswer * float64(t.missed),
			Rule: "-2 points per spot-check question the official did not know"},
		{Name: CompQuizzes, Value: mean(t.quizScores), Count: len(t.quizScores),
			Points: scored(t.quizScores, func(m float64) float64 { return (m - quizPass) / quizDivisor }),
			Rule:   "(mean quiz score - 60) / 4; no quizzes, no points"},
	}
}

func round1(x float64) float64 { return math.Round(x*10) / 10 }
