package auth

import (
	"context"
	"log/slog"
	"time"
)

// RevocationStore keeps revoked sessions where every server instance sees
// them (the store's revocations collection, keyed by session id).
type RevocationStore interface {
	PutRevocation(ctx context.Context, sessionID string, until time.Time) error
	// FindRevocation reports whether the session is stored as revoked, and
	// until when its tokens could still be presented.
	FindRevocation(ctx context.Context, sessionID string) (until time.Time, found bool, err error)
}

// DefaultRecheck is how long a "not revoked" answer from the store is reused
// for one session: a revocation made on another instance is refused here
// within this time. A "revoked" answer is kept until the session's tokens
// expire, as it cannot change.
const DefaultRecheck = time.Second

const storeTimeout = 2 * time.Second

type sharedRevocations struct {
	store   RevocationStore
	recheck time.Duration
	log     *slog.Logger
	checked map[string]time.Time // session id → when the store last said "not revoked"; under Revocations.mu
}

// Share makes r record revocations in store and consult it for sessions it
// does not know as revoked, so that a logout on one instance holds on all.
func (r *Revocations) Share(store RevocationStore, recheck time.Duration, log *slog.Logger) {
	if log == nil {
		log = slog.Default()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.shared = &sharedRevocations{store: store, recheck: recheck, log: log, checked: map[string]time.Time{}}
}

// Record stores the revocation for every instance (when shared) and applies
// it here (Revoke).
func (r *Revocations) Record(ctx context.Context, sessionID string, until time.Time) error {
	if sh := r.sharedStore(); sh != nil {
		if err := sh.store.PutRevocation(ctx, sessionID, until); err != nil {
			return err
		}
	}
	r.Revoke(sessionID, until)
	return nil
}

func (r *Revocations) sharedStore() *sharedRevocations {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.shared
}

// storedRevoked asks the store about a session not known as revoked here,
// unless it said "not revoked" less than recheck ago. A store that does not
// answer counts as "not revoked" (logged): the request then fails on the same
// database anyway, or succeeds as it would have before this instance joined;
// the periodic reload still applies the revocation.
func (r *Revocations) storedRevoked(sessionID string) bool {
	r.mu.Lock()
	sh := r.shared
	if sh == nil {
		r.mu.Unlock()
		return false
	}
	now := r.now()
	if at, ok := sh.checked[sessionID]; ok && now.Sub(at) < sh.recheck {
		r.mu.Unlock()
		return false
	}
	r.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	until, revoked, err := sh.store.FindRevocation(ctx, sessionID)
	if err != nil {
		sh.log.Warn("revocation store unavailable", "session", sessionID, "err", err)
		return false
	}
	if revoked {
		r.Revoke(sessionID, until)
		return true
	}
	r.mu.Lock()
	if len(sh.checked) > 10_000 {
		for id, at := range sh.checked {
			if now.Sub(at) >= sh.recheck {
				delete(sh.checked, id)
			}
		}
	}
	sh.checked[sessionID] = now
	r.mu.Unlock()
	return false
}
