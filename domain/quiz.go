package domain

import (
	"strings"
	"time"
)

// Quiz is an unscheduled test (临时考试) a leader gives officials: once the county
// party secretary called some thirty chiefs into a meeting and asked them about
// their enterprises. The leader records the questions and each official's result.
type Quiz struct {
	ID           string
	LeaderUserID string
	Title        string
	Date         time.Time
	Questions    []string
	Results      []QuizResult
	// Source marks demo records: "article: …" for what the source article
	// states, "demo: …" for what was invented (docs/domain.md); "" for real data.
	Source string
	Meta
}

// QuizResult is how one official did: the score (0–100) and a remark.
type QuizResult struct {
	OfficialID string
	Score      int
	Note       string
}

// Validate checks the quiz before it is stored.
func (q *Quiz) Validate(now time.Time) error {
	q.Title = strings.TrimSpace(q.Title)
	if q.Title == "" {
		return Invalid("title", "a quiz needs a title")
	}
	if err := checkText("title", q.Title, 200); err != nil {
		return err
	}
	if q.Date.IsZero() {
		return Invalid("date", "the quiz date is required")
	}
	if q.Date.After(now.Add(24 * time.Hour)) {
		return Invalid("date", "a quiz cannot be recorded in the future")
	}
	if len(q.Questions) == 0 || len(q.Questions) > 100 {
		return Invalid("questions", "a quiz has 1 to 100 questions")
	}
	for i, text := range q.Questions {
		q.Questions[i] = strings.TrimSpace(text)
		if q.Questions[i] == "" {
			return Invalid("questions", "question %d is empty", i+1)
		}
		if err := checkText("questions", q.Questions[i], 1000); err != nil {
			return err
		}
	}
	seen := map[string]bool{}
	for i := range q.Results {
		r := &q.Results[i]
		r.Note = strings.TrimSpace(r.Note)
		if !ValidID(r.OfficialID) {
			return Invalid("results.officialId", "%q is not a valid official id", r.OfficialID)
		}
		if seen[r.OfficialID] {
			return Invalid("results.officialId", "official %s has two results", r.OfficialID)
		}
		seen[r.OfficialID] = true
		if r.Score < 0 || r.Score > 100 {
			return Invalid("results.score", "a quiz score is 0 to 100")
		}
		if err := checkText("results.note", r.Note, 1000); err != nil {
			return err
		}
	}
	return nil
}

// SetResult records or replaces one official's result.
func (q *Quiz) SetResult(r QuizResult) {
	for i := range q.Results {
		if q.Results[i].OfficialID == r.OfficialID {
			q.Results[i] = r
			return
		}
	}
	q.Results = append(q.Results, r)
}
