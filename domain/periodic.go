package domain

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"
)

// PeriodicRating is an enterprise's rating of its chief for one period (a
// quarter), given whether or not a problem was resolved in it: the firm judges
// the service as a whole (企业说了算), once per period.
type PeriodicRating struct {
	ID           string
	EnterpriseID string
	// OfficialID is the lead official of the enterprise's pairing when rated.
	OfficialID string
	ByUserID   string
	// Period is the quarter rated, "2026-Q4", in Beijing time.
	Period  string
	Score   int
	Comment string
	At      time.Time
	// Source marks demo records: "article: …" for what the source article
	// states, "demo: …" for what was invented (docs/domain.md); "" for real data.
	Source string
	Meta
}

// beijing is the county's calendar.
var beijing = time.FixedZone("CST", 8*60*60)

// QuarterOf is the period t falls in: "2026-Q4".
func QuarterOf(t time.Time) string {
	t = t.In(beijing)
	return fmt.Sprintf("%d-Q%d", t.Year(), (int(t.Month())-1)/3+1)
}

var periodPattern = regexp.MustCompile(`^[0-9]{4}-Q[1-4]$`)

// Validate checks the rating before it is stored: a score of 1 to 5, a
// well-formed period that has begun.
func (r *PeriodicRating) Validate(now time.Time) error {
	r.Comment, r.Period = strings.TrimSpace(r.Comment), strings.TrimSpace(r.Period)
	if !ValidID(r.EnterpriseID) {
		return Invalid("enterpriseId", "a valid enterprise id is required")
	}
	if !periodPattern.MatchString(r.Period) {
		return Invalid("period", "a period is a quarter such as 2026-Q4")
	}
	if r.Period > QuarterOf(now) {
		return Invalid("period", "the quarter %s has not begun", r.Period)
	}
	if r.Score < 1 || r.Score > 5 {
		return Invalid("score", "a rating is 1 to 5")
	}
	return checkText("comment", r.Comment, 1000)
}

var periodicNamespace = uuid.MustParse("9b7e0c2a-51d4-4c8e-8f1e-6a2d3c4b5e60")

// PeriodicRatingID is the one id an enterprise's rating of a period can have:
// a second rating of the same period is a duplicate key, not a second record.
func PeriodicRatingID(enterpriseID, period string) string {
	return uuid.NewSHA1(periodicNamespace, []byte(enterpriseID+"/"+period)).String()
}

// PeriodicRatingFilter narrows a listing of periodic ratings.
type PeriodicRatingFilter struct {
	OfficialID   string
	EnterpriseID string
	Period       string
}
