package store

import (
	"context"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/lianqi/lianqi/domain"
)

// CollSessions holds login sessions (refresh-token families) and dashboard
// tokens. It is not synced to clients.
const CollSessions = "sessions"

type sessionDoc struct {
	Stamp         `bson:",inline"`
	UserID        string     `bson:"userId"`
	Kind          string     `bson:"kind"`
	Name          string     `bson:"name,omitempty"`
	Grants        []string   `bson:"grants"`
	Town          string     `bson:"town,omitempty"`
	RefreshHash   string     `bson:"refreshHash,omitempty"`
	Generation    int64      `bson:"generation"`
	ExpiresAt     time.Time  `bson:"expiresAt"`
	RevokedAt     *time.Time `bson:"revokedAt"`
	RevokedReason string     `bson:"revokedReason,omitempty"`
	LastUsedAt    time.Time  `bson:"lastUsedAt"`
	CreatedBy     string     `bson:"createdBy,omitempty"`
}

func sessionFromDomain(s *domain.Session) *sessionDoc {
	gs := make([]string, 0, len(s.Grants))
	for _, g := range s.Grants {
		gs = append(gs, string(g))
	}
	return &sessionDoc{Stamp: baseFrom(s.ID, s.Meta), UserID: s.UserID, Kind: s.Kind, Name: s.Name, Grants: gs, Town: s.Town,
		RefreshHash: s.RefreshHash, Generation: s.Generation, ExpiresAt: s.ExpiresAt, RevokedAt: s.RevokedAt,
		RevokedReason: s.RevokedReason, LastUsedAt: s.LastUsedAt, CreatedBy: s.CreatedBy}
}

func (d *sessionDoc) toDomain() *domain.Session {
	gs := make([]domain.Grant, 0, len(d.Grants))
	for _, g := range d.Grants {
		gs = append(gs, domain.Grant(g))
	}
	s := &domain.Session{ID: d.ID, UserID: d.UserID, Kind: d.Kind, Name: d.Name, Grants: gs, Town: d.Town,
		RefreshHash: d.RefreshHash, Generation: d.Generation, ExpiresAt: d.ExpiresAt.UTC(), RevokedReason: d.RevokedReason,
		LastUsedAt: d.LastUsedAt.UTC(), CreatedBy: d.CreatedBy, Meta: d.meta()}
	if d.RevokedAt != nil {
		t := d.RevokedAt.UTC()
		s.RevokedAt = &t
	}
	return s
}

// FindSessionByID returns a session by id, by an exact _id lookup (the one query
// the embedded engine answers from its key), because refresh runs it every time.
func (db *DB) FindSessionByID(ctx context.Context, id string) (*domain.Session, error) {
	return findOne(ctx, db, CollSessions, id, domain.Scope{All: true}, (*sessionDoc).toDomain)
}

// visibleIn is always true: sessions have no row scope; the service checks
// that a caller reads only their own.
func (d *sessionDoc) visibleIn(domain.Scope) bool { return true }

// CreateSession stores a new session.
func (db *DB) CreateSession(ctx context.Context, s *domain.Session) error {
	if s.UserID != "" {
		if err := db.addChild(ctx, CollSessions, s.UserID, s.ID); err != nil {
			return err
		}
	}
	return save(ctx, db, CollSessions, sessionFromDomain(s), 0, &s.Meta)
}

// UpdateSession replaces the session if its stored version is still
// s.Version; a concurrent change (two refreshes racing) is ECONFLICT.
func (db *DB) UpdateSession(ctx context.Context, s *domain.Session) error {
	return save(ctx, db, CollSessions, sessionFromDomain(s), s.Version, &s.Meta)
}

// SessionFilter selects sessions; empty fields match everything.
type SessionFilter struct {
	UserID       string
	Kind         string
	ActiveAt     *time.Time // only sessions neither revoked nor expired at this time
	RevokedOnly  bool       // only revoked sessions (with ExpiresAfter, those a token may still name)
	ExpiresAfter *time.Time
}

// matches is the filter of FindSessions applied to a live session read by key.
func (f SessionFilter) matches(s *domain.Session) bool {
	switch {
	case f.UserID != "" && s.UserID != f.UserID, f.Kind != "" && s.Kind != f.Kind:
		return false
	case f.ActiveAt != nil && (s.RevokedAt != nil || !s.ExpiresAt.After(*f.ActiveAt)):
		return false
	case f.RevokedOnly && s.RevokedAt == nil:
		return false
	case f.ExpiresAfter != nil && !s.ExpiresAt.After(*f.ExpiresAfter):
		return false
	}
	return true
}

// FindSessions lists sessions, newest first. A user's sessions are read by
// key (children.go) and filtered here; other filters read the collection.
func (db *DB) FindSessions(ctx context.Context, f SessionFilter) ([]*domain.Session, error) {
	if f.UserID != "" {
		ids, err := db.children(ctx, CollSessions, []string{f.UserID})
		if err != nil {
			return nil, err
		}
		all, err := findByIDs(ctx, db, CollSessions, ids, domain.Scope{All: true}, false, (*sessionDoc).toDomain)
		if err != nil {
			return nil, err
		}
		out := []*domain.Session{}
		for _, s := range all {
			if f.matches(s) {
				out = append(out, s)
			}
		}
		slices.SortFunc(out, func(a, b *domain.Session) int {
			if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
				return c
			}
			return strings.Compare(b.ID, a.ID)
		})
		return out, nil
	}
	filter := and(live(), eqIf("userId", f.UserID), eqIf("kind", f.Kind))
	if f.ActiveAt != nil {
		filter = and(filter, bson.D{{Key: "revokedAt", Value: nil}, {Key: "expiresAt", Value: bson.D{{Key: "$gt", Value: *f.ActiveAt}}}})
	}
	if f.RevokedOnly {
		filter = and(filter, bson.D{{Key: "revokedAt", Value: bson.D{{Key: "$ne", Value: nil}}}})
	}
	if f.ExpiresAfter != nil {
		filter = and(filter, bson.D{{Key: "expiresAt", Value: bson.D{{Key: "$gt", Value: *f.ExpiresAfter}}}})
	}
	return findAll(ctx, db, CollSessions, filter, bson.D{{Key: "createdAt", Value: -1}, {Key: "_id", Value: -1}}, (*sessionDoc).toDomain)
}
