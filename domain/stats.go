package domain

import (
	"slices"
	"time"
)

// StatBucket is one row of a breakdown: the problems sharing one key.
type StatBucket struct {
	Key   string
	Label string
	// Collected counts every problem reported (the article's "119 collected").
	Collected int
	// Resolved counts RESOLVED and CONFIRMED (the article's "78 resolved").
	Resolved  int
	Confirmed int
	Open      int
	Withdrawn int
}

// Add counts n problems with status s.
func (b *StatBucket) Add(s ProblemStatus, n int) {
	b.Collected += n
	switch {
	case s == StatusResolved:
		b.Resolved += n
	case s == StatusConfirmed:
		b.Resolved += n
		b.Confirmed += n
	case s == StatusWithdrawn:
		b.Withdrawn += n
	case s.Open():
		b.Open += n
	}
}

// ProblemStats are the programme's figures over a period.
type ProblemStats struct {
	StatBucket
	Overdue                                             int
	ByCategory, ByLevel, ByStatus, ByTown, ByDepartment []StatBucket
	// ByMonth is by calendar month of the report, Beijing time, oldest first.
	ByMonth []StatBucket
	// MedianResponseHours is from report to first response, over the problems
	// responded to; nil if none were.
	MedianResponseHours *float64
	// MedianResolutionHours is from report to resolution, over the problems
	// resolved; nil if none were.
	MedianResolutionHours *float64
	ComputedAt            time.Time
	// Deletions are the problems reported in the period that were deleted
	// since: they no longer count above, and are listed so that a figure that
	// shrank can be explained.
	Deletions []ProblemDeletion
}

// ProblemDeletion is one deleted problem as the statistics' history shows it.
type ProblemDeletion struct {
	ProblemID    string
	Title        string
	EnterpriseID string
	ReportedAt   time.Time
	DeletedAt    time.Time
	// DeletedByUserID is the account that deleted it (from the audit log); ""
	// if the audit entry is missing.
	DeletedByUserID string
}

// MedianHours is the median of ds in hours, rounded to 0.1; nil for no values.
func MedianHours(ds []time.Duration) *float64 {
	if len(ds) == 0 {
		return nil
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	h := round1(m.Hours())
	return &h
}

// Deleted is how many problems of the period were deleted since.
func (s *ProblemStats) Deleted() int { return len(s.Deletions) }
