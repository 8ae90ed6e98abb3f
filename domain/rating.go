package domain

import (
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Rating is an enterprise's judgement of the service on one problem (企业说了算):
// given when it confirms a resolution or rejects it, 1–5 with a comment. It
// counts towards the official who led the enterprise's service at that moment.
type Rating struct {
	ID           string
	ProblemID    string
	EnterpriseID string
	// OfficialID is the lead official of the enterprise's pairing when rated; ""
	// if the enterprise had none.
	OfficialID string
	ByUserID   string
	// Confirmed is true when the rating came with a confirmation, false with a rejection.
	Confirmed bool
	Score     int
	Comment   string
	At        time.Time
	// Source marks demo records: "article: …" for what the source article
	// states, "demo: …" for what was invented (docs/domain.md); "" for real data.
	Source string
	Meta
}

// Validate checks the rating before it is stored.
func (r *Rating) Validate() error {
	r.Comment = strings.TrimSpace(r.Comment)
	if r.Score < 1 || r.Score > 5 {
		return Invalid("rating", "a rating is 1 to 5")
	}
	return checkText("comment", r.Comment, 1000)
}

var ratingNamespace = uuid.MustParse("3d0c1f57-8a0e-4b7e-9b61-2f4f6e1d9a02")

// RatingID is the id of the rating given with the step that took problemID to
// version; like HistoryEntryID it makes a retried write land once.
func RatingID(problemID string, version int64) string {
	return uuid.NewSHA1(ratingNamespace, []byte(problemID+"/"+itoa(version))).String()
}

// RatingFilter narrows a rating listing.
type RatingFilter struct {
	OfficialID   string
	EnterpriseID string
	ProblemID    string
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
