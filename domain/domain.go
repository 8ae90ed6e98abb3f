// Package domain holds Lianqi's vocabulary: the programme's records (officials,
// enterprises, pairings, problems, visits, spot checks, accounts), the rules that
// validate them, the caller's identity and scope, and the error codes every layer
// speaks. It imports no database driver and no transport, so the store, the
// GraphQL layer and the sync engine can all depend on it and on nothing of each other.
package domain

import (
	"time"

	"github.com/google/uuid"
)

// NewID returns a fresh record id. UUIDv7 ids sort by creation time and can be
// generated offline by clients without coordination, which the sync protocol relies on.
func NewID() string {
	return uuid.Must(uuid.NewV7()).String()
}

// ValidID reports whether s has the shape of an id this system accepts: a UUID
// (any version) or a ULID. Anything else is rejected before it reaches the database.
func ValidID(s string) bool {
	if _, err := uuid.Parse(s); err == nil && len(s) == 36 {
		return true
	}
	return isULID(s)
}

func isULID(s string) bool {
	if len(s) != 26 {
		return false
	}
	const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		found := false
		for j := 0; j < len(alphabet); j++ {
			if alphabet[j] == c {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return s[0] <= '7'
}

// Meta is the bookkeeping every stored record carries. The store stamps it on every
// write; clients read it to detect conflicts (Version) and tombstones (Deleted).
type Meta struct {
	Version   int64
	CreatedAt time.Time
	UpdatedAt time.Time
	Deleted   bool
}
