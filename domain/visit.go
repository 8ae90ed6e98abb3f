package domain

import (
	"strings"
	"time"
)

// Visit is an official's visit to an enterprise (走企业、进车间).
type Visit struct {
	ID           string
	OfficialID   string
	EnterpriseID string
	Date         time.Time
	Notes        string
	ProblemIDs   []string
	// Clocks is as Problem.Clocks, for date and notes.
	Clocks map[string]string
	// Source marks demo records: "article: …" for what the source article
	// states, "demo: …" for what was invented (docs/domain.md); "" for real data.
	Source string
	Meta
}

// Validate checks the visit before it is stored.
func (v *Visit) Validate(now time.Time) error {
	v.Notes = strings.TrimSpace(v.Notes)
	if !ValidID(v.OfficialID) {
		return Invalid("officialId", "a valid official id is required")
	}
	if !ValidID(v.EnterpriseID) {
		return Invalid("enterpriseId", "a valid enterprise id is required")
	}
	if v.Date.IsZero() {
		return Invalid("date", "the visit date is required")
	}
	if v.Date.After(now.Add(24 * time.Hour)) {
		return Invalid("date", "a visit cannot be recorded in the future")
	}
	for _, id := range v.ProblemIDs {
		if !ValidID(id) {
			return Invalid("problemIds", "%q is not a valid problem id", id)
		}
	}
	return checkText("notes", v.Notes, 5000)
}

// VisitFilter narrows a visit listing.
type VisitFilter struct {
	EnterpriseID string
	OfficialID   string
	From, To     *time.Time
}

// SpotCheck is a leader's unannounced check at an enterprise (突击抽查).
type SpotCheck struct {
	ID           string
	LeaderUserID string
	EnterpriseID string
	Date         time.Time
	Findings     string
	// Score is 0–100, how well the paired official's service held up; nil if not scored.
	Score *int
	// OfficialID is the official who led the enterprise's service when it was
	// checked: the one the check judges. "" if the enterprise had none.
	OfficialID string
	// Questions are what the leader asked and whether the official knew.
	Questions []SpotCheckQuestion
	// Demands are what the leader demanded, each tracked to an answer (demand.go).
	Demands []SpotCheckDemand
	// Source marks demo records: "article: …" for what the source article
	// states, "demo: …" for what was invented (docs/domain.md); "" for real data.
	Source string
	Meta
}

// SpotCheckQuestion is one thing a leader asked about the enterprise, e.g. when
// the plant closes for the holidays and reopens, and whether the paired official
// knew the answer the enterprise gave.
type SpotCheckQuestion struct {
	Question string
	// Answer is the enterprise's answer, the fact the official should know.
	Answer       string
	OfficialKnew bool
}

// KnownCount is how many of the questions the official knew.
func (s *SpotCheck) KnownCount() int {
	n := 0
	for _, q := range s.Questions {
		if q.OfficialKnew {
			n++
		}
	}
	return n
}

// Validate checks the spot check before it is stored.
func (s *SpotCheck) Validate(now time.Time) error {
	s.Findings = strings.TrimSpace(s.Findings)
	if !ValidID(s.EnterpriseID) {
		return Invalid("enterpriseId", "a valid enterprise id is required")
	}
	if s.Date.IsZero() {
		return Invalid("date", "the check date is required")
	}
	if s.Date.After(now.Add(24 * time.Hour)) {
		return Invalid("date", "a spot check cannot be recorded in the future")
	}
	if s.Score != nil && (*s.Score < 0 || *s.Score > 100) {
		return Invalid("score", "score must be between 0 and 100")
	}
	if len(s.Questions) > 50 {
		return Invalid("questions", "at most 50 questions")
	}
	for i := range s.Questions {
		q := &s.Questions[i]
		q.Question, q.Answer = strings.TrimSpace(q.Question), strings.TrimSpace(q.Answer)
		if q.Question == "" {
			return Invalid("questions.question", "question %d is empty", i+1)
		}
		if err := checkText("questions.question", q.Question, 1000); err != nil {
			return err
		}
		if err := checkText("questions.answer", q.Answer, 1000); err != nil {
			return err
		}
	}
	if len(s.Demands) > 20 {
		return Invalid("demands", "at most 20 demands")
	}
	for i := range s.Demands {
		if err := s.Demands[i].validate(); err != nil {
			return err
		}
	}
	return checkText("findings", s.Findings, 5000)
}

// SpotCheckFilter narrows a spot-check listing.
type SpotCheckFilter struct {
	EnterpriseID string
	// OfficialID keeps the checks that judged this official.
	OfficialID string
}
