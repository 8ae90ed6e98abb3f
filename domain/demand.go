package domain

import (
	"strings"
	"time"
)

// SpotCheckDemand is something a leader demanded of the paired official during
// a spot check (e.g. "find out why the firm's loan stalled"), tracked until the
// official answers, by a deadline.
type SpotCheckDemand struct {
	ID     string
	Demand string
	// OfficialID is who must answer: by default the official the check judges.
	OfficialID       string
	Deadline         time.Time
	Answer           string
	AnsweredAt       *time.Time
	AnsweredByUserID string
}

// Overdue reports whether the demand is unanswered past its deadline.
func (d *SpotCheckDemand) Overdue(now time.Time) bool {
	return d.AnsweredAt == nil && now.After(d.Deadline)
}

func (d *SpotCheckDemand) validate() error {
	d.Demand, d.Answer = strings.TrimSpace(d.Demand), strings.TrimSpace(d.Answer)
	if d.Demand == "" {
		return Invalid("demands.demand", "a demand needs text")
	}
	if !ValidID(d.OfficialID) {
		return Invalid("demands.officialId", "name the official who must answer (the check judges nobody)")
	}
	if d.Deadline.IsZero() {
		return Invalid("demands.deadline", "a demand needs a deadline")
	}
	if err := checkText("demands.demand", d.Demand, 2000); err != nil {
		return err
	}
	return checkText("answer", d.Answer, 5000)
}

// AnswerDemand records the answer of the official who must give it (or an
// admin entering one given on paper).
func (s *SpotCheck) AnswerDemand(demandID, answer string, actor *Principal, now time.Time) error {
	for i := range s.Demands {
		d := &s.Demands[i]
		if d.ID != demandID {
			continue
		}
		if actor.Role != RoleAdmin && (actor.OfficialID == "" || actor.OfficialID != d.OfficialID) {
			return Forbidden("only the official the demand is addressed to can answer it")
		}
		answer = strings.TrimSpace(answer)
		if answer == "" {
			return Invalid("answer", "an answer needs text")
		}
		if err := checkText("answer", answer, 5000); err != nil {
			return err
		}
		at := now
		d.Answer, d.AnsweredAt, d.AnsweredByUserID = answer, &at, actor.UserID
		return nil
	}
	return NotFound("demand", demandID)
}
