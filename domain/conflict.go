package domain

import (
	"io"
	"time"
)

// ConflictOutcome says how a synced edit that collided with another change
// was settled.
type ConflictOutcome string

const (
	// OutcomeClientWon: both sides changed the field; the device's edit was
	// later (hybrid logical clock) and was applied.
	OutcomeClientWon ConflictOutcome = "CLIENT_WON"
	// OutcomeServerKept: both sides changed the field; the server's value stays.
	OutcomeServerKept ConflictOutcome = "SERVER_KEPT"
	// OutcomeMerged: both sides changed a set; the result holds both changes.
	OutcomeMerged ConflictOutcome = "MERGED"
	// OutcomeRejected: the edit broke a rule (role, workflow, scope) and was not applied.
	OutcomeRejected ConflictOutcome = "REJECTED"
	// OutcomePending: a row (a note or a visit) named a problem the server does
	// not have yet; it is held and applied when the problem arrives. The record
	// is removed once the row is applied (or replaced by a REJECTED one).
	OutcomePending ConflictOutcome = "PENDING"
)

var conflictOutcomes = []ConflictOutcome{OutcomeClientWon, OutcomeServerKept, OutcomeMerged, OutcomeRejected, OutcomePending}

func (o *ConflictOutcome) UnmarshalGQL(v any) (err error) {
	*o, err = parseEnum(v, conflictOutcomes, "ConflictOutcome")
	return err
}
func (o ConflictOutcome) MarshalGQL(w io.Writer) { writeEnum(w, o) }

// Conflict records an offline edit that was not a clean merge, so that nothing a
// device sent disappears without a trace: the user who made it, the leaders and
// whoever now serves the enterprise can read what happened.
type Conflict struct {
	ID           string
	Collection   string
	DocumentID   string
	EnterpriseID string
	UserID       string
	Username     string
	DeviceID     string
	// Field is the field that collided, or "" for the whole row.
	Field string
	// Base, Client, Server and Result are JSON values: what the device last saw,
	// what it sent, what the server had, and what is stored now.
	Base, Client, Server, Result string
	Outcome                      ConflictOutcome
	Reason                       string
	At                           time.Time
	Meta
}
