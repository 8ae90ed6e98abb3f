package auth

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/lianqi/lianqi/domain"
)

// ErrSessionRevoked is the cause of a live connection's context when its
// session is revoked.
var ErrSessionRevoked = errors.New("session revoked")

// Revocations is the in-process view of revoked sessions and the registry of
// live connections (WebSockets) per session. Access tokens stay stateless
// JWTs; this cheap in-memory check is what makes logout and admin revocation
// take effect at once. The set is filled by the service when it revokes, and
// reloaded from the database periodically so that revocations made by another
// process arrive within that period. It is safe for concurrent use.
type Revocations struct {
	mu      sync.Mutex
	revoked map[string]time.Time // session id → when the session would have expired anyway
	live    map[string]map[*liveConn]struct{}
	now     func() time.Time

	// shared, when set, is the revocation store every instance writes and
	// reads (revocations_shared.go).
	shared *sharedRevocations
}

type liveConn struct {
	cancel context.CancelCauseFunc
}

// NewRevocations returns an empty set.
func NewRevocations(now func() time.Time) *Revocations {
	if now == nil {
		now = time.Now
	}
	return &Revocations{revoked: map[string]time.Time{}, live: map[string]map[*liveConn]struct{}{}, now: now}
}

// IsRevoked reports whether the session was revoked: known here, or (when
// shared) stored by any instance.
func (r *Revocations) IsRevoked(sessionID string) bool {
	if r.Known(sessionID) {
		return true
	}
	return r.storedRevoked(sessionID)
}

// Known reports whether this process knows the session as revoked, without
// asking the store.
func (r *Revocations) Known(sessionID string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.revoked[sessionID]
	return ok
}

// Revoke records the session as revoked until expires (after which no token
// of it verifies anyway) and ends its live connections.
func (r *Revocations) Revoke(sessionID string, expires time.Time) {
	r.mu.Lock()
	r.revoked[sessionID] = expires
	conns := r.live[sessionID]
	delete(r.live, sessionID)
	// Forget revocations no token can outlive, so the set stays small.
	now := r.now()
	for id, exp := range r.revoked {
		if now.After(exp.Add(time.Hour)) {
			delete(r.revoked, id)
		}
	}
	r.mu.Unlock()
	for c := range conns {
		c.cancel(ErrSessionRevoked)
	}
}

// Track ties a long-lived connection to p's session: the returned context is
// cancelled (with cause ErrSessionRevoked) when the session is revoked. A
// principal without a session (external provider) is not tracked. The
// registration ends with ctx.
func (r *Revocations) Track(ctx context.Context, p *domain.Principal) (context.Context, error) {
	if p.SessionID == "" {
		return ctx, nil
	}
	ctx, cancel := context.WithCancelCause(ctx)
	c := &liveConn{cancel: cancel}
	if r.storedRevoked(p.SessionID) {
		cancel(ErrSessionRevoked)
		return ctx, unauthenticated("session revoked: sign in again")
	}
	r.mu.Lock()
	if _, revoked := r.revoked[p.SessionID]; revoked {
		r.mu.Unlock()
		cancel(ErrSessionRevoked)
		return ctx, unauthenticated("session revoked: sign in again")
	}
	if r.live[p.SessionID] == nil {
		r.live[p.SessionID] = map[*liveConn]struct{}{}
	}
	r.live[p.SessionID][c] = struct{}{}
	r.mu.Unlock()
	context.AfterFunc(ctx, func() {
		r.mu.Lock()
		delete(r.live[p.SessionID], c)
		if len(r.live[p.SessionID]) == 0 {
			delete(r.live, p.SessionID)
		}
		r.mu.Unlock()
	})
	return ctx, nil
}

// Live counts the tracked connections of a session (for tests and metrics).
func (r *Revocations) Live(sessionID string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.live[sessionID])
}
