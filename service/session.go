package service

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lianqi/lianqi/domain"
	"github.com/lianqi/lianqi/store"
)

// Refresh-token lifetimes: a phone that opens the app at least once a month
// stays signed in, but no session outlives MaxSessionAge without a password.
const (
	RefreshTTL    = 30 * 24 * time.Hour
	MaxSessionAge = 90 * 24 * time.Hour
)

// refreshToken is "<session id>.<secret>". Only SHA-256 of the secret is
// stored: the secret is 130 random bits, so a fast hash is enough and a
// database leak yields no usable token.
func newRefreshSecret() (secret, hash string) {
	secret = rand.Text()
	return secret, hashSecret(secret)
}

func hashSecret(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

func splitRefresh(token string) (sid, secret string, ok bool) {
	if len(token) > 200 {
		return "", "", false
	}
	sid, secret, ok = strings.Cut(token, ".")
	return sid, secret, ok && domain.ValidID(sid) && secret != ""
}

// testHookRefreshUserRead lets a test make the account read of a refresh fail
// for real: a cancelled or expired context on the real database.
var testHookRefreshUserRead func(context.Context) context.Context

var errBadRefresh = domain.Errorf(domain.EUNAUTHENTICATED, "invalid or expired refresh token: sign in again")

// startSession opens a login session for u and returns its first tokens.
func (s *Service) startSession(ctx context.Context, u *domain.User) (*Session, error) {
	now := s.now()
	secret, hash := newRefreshSecret()
	sess := &domain.Session{ID: domain.NewID(), UserID: u.ID, Kind: domain.SessionLogin, RefreshHash: hash,
		ExpiresAt: now.Add(RefreshTTL), LastUsedAt: now}
	if err := s.db.CreateSession(ctx, sess); err != nil {
		return nil, err
	}
	return s.issue(u, sess, secret)
}

func (s *Service) issue(u *domain.User, sess *domain.Session, secret string) (*Session, error) {
	p := principalOf(u)
	p.SessionID = sess.ID
	tok, exp, err := s.Tokens.Issue(p)
	if err != nil {
		return nil, err
	}
	return &Session{AccessToken: tok, ExpiresAt: exp, RefreshToken: sess.ID + "." + secret, RefreshExpiresAt: sess.ExpiresAt, User: u}, nil
}

// Refresh exchanges a refresh token for a new access token and a new refresh
// token; the old one is spent. Presenting a spent token means two parties hold
// the family (a stolen copy): the whole session is revoked, so the thief and
// the owner both have to sign in again, and only the owner can.
func (s *Service) Refresh(ctx context.Context, token string) (*Session, error) {
	sid, secret, ok := splitRefresh(token)
	if !ok {
		return nil, errBadRefresh
	}
	sess, err := s.db.FindSessionByID(ctx, sid)
	if err != nil {
		if domain.ErrorCode(err) == domain.ENOTFOUND {
			return nil, errBadRefresh
		}
		return nil, err
	}
	now := s.now()
	if sess.Kind != domain.SessionLogin || !sess.Active(now) {
		return nil, errBadRefresh
	}
	if subtle.ConstantTimeCompare([]byte(hashSecret(secret)), []byte(sess.RefreshHash)) != 1 {
		return nil, s.reuseDetected(ctx, sess)
	}
	readCtx := ctx
	if testHookRefreshUserRead != nil {
		readCtx = testHookRefreshUserRead(ctx)
	}
	u, err := s.db.FindUserByID(readCtx, sess.UserID)
	switch v, reason := refreshVerdict(u, err); v {
	case refreshEnd:
		if err := s.revoke(ctx, sess, reason); err != nil {
			return nil, err
		}
		return nil, errBadRefresh
	case refreshKeep:
		// The token is not spent: the client may present it again once the
		// database answers, and the session must survive a dropped request.
		return nil, errRefreshUnavailable(err)
	}
	newSecret, hash := newRefreshSecret()
	sess.RefreshHash, sess.Generation, sess.LastUsedAt = hash, sess.Generation+1, now
	sess.ExpiresAt = now.Add(RefreshTTL)
	if limit := sess.CreatedAt.Add(MaxSessionAge); sess.ExpiresAt.After(limit) {
		sess.ExpiresAt = limit
	}
	if err := s.db.UpdateSession(ctx, sess); err != nil {
		if domain.ErrorCode(err) == domain.ECONFLICT {
			// Someone rotated this token between our read and write: the same
			// token was presented twice.
			return nil, s.reuseDetected(ctx, sess)
		}
		return nil, err
	}
	out, err := s.issue(u, sess, newSecret)
	if err != nil {
		return nil, err
	}
	// Routine rotation goes to the structured log only: a phone refreshes every
	// 15 minutes, and the audit log (scanned on every query by the embedded
	// engine) keeps the events a reviewer acts on: logins, reuse, revocations.
	s.Log.InfoContext(ctx, "session refreshed", "session", sess.ID, "user", u.Username, "generation", sess.Generation, "ip", ClientIP(ctx))
	return out, nil
}

// verdict is what a refresh does with the session after reading its account.
type verdict int

const (
	refreshRotate verdict = iota // the account may go on: issue the next tokens
	refreshEnd                   // the account can no longer sign in: revoke the session
	refreshKeep                  // the account could not be read: refuse, keep the session
)

// refreshVerdict decides from the account read alone. Only an answer about
// the account ends a session: disabled, or gone. A failed read (timeout, a
// client that hung up, the database away) says nothing about the account, and
// revoking then would sign a user out of every device for a network blip.
func refreshVerdict(u *domain.User, err error) (verdict, string) {
	switch {
	case err == nil && u.Disabled:
		return refreshEnd, "disabled"
	case err == nil:
		return refreshRotate, ""
	case domain.ErrorCode(err) == domain.ENOTFOUND:
		return refreshEnd, "account deleted"
	}
	return refreshKeep, ""
}

// errRefreshUnavailable wraps the cause for the log: the edge logs it once and
// answers "internal error", and the client, whose refresh token was not spent,
// retries with it rather than signing in again.
func errRefreshUnavailable(err error) error {
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("refresh: request cancelled: %w", err)
	}
	return fmt.Errorf("refresh: read account (the refresh token stays valid; retry): %w", err)
}

func (s *Service) reuseDetected(ctx context.Context, sess *domain.Session) error {
	if err := s.revoke(ctx, sess, "reuse"); err != nil {
		return err
	}
	s.Log.WarnContext(ctx, "refresh token reuse: session revoked", "session", sess.ID, "user", sess.UserID, "ip", ClientIP(ctx))
	s.auditAs(ctx, &domain.User{ID: sess.UserID}, domain.AuditRefreshReuse, sess.ID, "a spent refresh token was presented; the session is revoked")
	return domain.Errorf(domain.EUNAUTHENTICATED, "refresh token already used: the session has been revoked, sign in again")
}

// revoke marks the session revoked in the database, then in this process
// (which also closes its live connections). It reloads and retries when a
// concurrent write got there first.
func (s *Service) revoke(ctx context.Context, sess *domain.Session, reason string) error {
	ctx = context.WithoutCancel(ctx)
	for range 5 {
		if sess.RevokedAt != nil {
			break
		}
		now := s.now()
		sess.RevokedAt, sess.RevokedReason = &now, reason
		err := s.db.UpdateSession(ctx, sess)
		if err == nil {
			break
		}
		if domain.ErrorCode(err) != domain.ECONFLICT {
			return err
		}
		if sess, err = s.db.FindSessionByID(ctx, sess.ID); err != nil {
			return err
		}
	}
	until := sess.ExpiresAt
	if t := s.Now().Add(s.Tokens.TTL()); t.After(until) {
		until = t
	}
	if err := s.Revocations.Record(ctx, sess.ID, until); err != nil {
		// The session is revoked in the database already: other instances
		// apply it at their next reload instead of at once.
		s.Log.WarnContext(ctx, "store revocation for other instances", "session", sess.ID, "err", err)
		s.Revocations.Revoke(sess.ID, until)
	}
	return nil
}

// Logout ends a session: the one named by refreshToken if given (so a client
// whose access token has expired can still sign out), else the caller's.
// Its access tokens stop working at once.
func (s *Service) Logout(ctx context.Context, refreshToken *string) error {
	if refreshToken != nil && *refreshToken != "" {
		sid, secret, ok := splitRefresh(*refreshToken)
		if !ok {
			return errBadRefresh
		}
		sess, err := s.db.FindSessionByID(ctx, sid)
		if err != nil || subtle.ConstantTimeCompare([]byte(hashSecret(secret)), []byte(sess.RefreshHash)) != 1 {
			// Knowing a session id is not enough to end someone's session.
			return errBadRefresh
		}
		if err := s.revoke(ctx, sess, "logout"); err != nil {
			return err
		}
		s.auditAs(ctx, &domain.User{ID: sess.UserID}, domain.AuditLogout, sess.ID, "")
		return nil
	}
	p, err := s.caller(ctx)
	if err != nil {
		return err
	}
	if p.SessionID == "" || p.Role == domain.RoleDashboard {
		return domain.Invalid("refreshToken", "this credential has no session to sign out of")
	}
	sess, err := s.db.FindSessionByID(ctx, p.SessionID)
	if err != nil {
		return err
	}
	if err := s.revoke(ctx, sess, "logout"); err != nil {
		return err
	}
	s.audit(ctx, domain.AuditLogout, sess.ID, "")
	return nil
}

// RevokeSessions ends every login session of a user (admins only) and returns
// how many were active. Open subscriptions of those sessions close at once.
func (s *Service) RevokeSessions(ctx context.Context, userID string) (int, error) {
	if _, err := s.require(ctx, domain.RoleAdmin); err != nil {
		return 0, err
	}
	if _, err := s.db.FindUserByID(ctx, userID); err != nil {
		return 0, err
	}
	n, err := s.revokeUserSessions(ctx, userID, "admin")
	if err != nil {
		return 0, err
	}
	s.audit(ctx, domain.AuditSessionsRevoked, userID, fmt.Sprintf("%d sessions", n))
	return n, nil
}

func (s *Service) revokeUserSessions(ctx context.Context, userID, reason string) (int, error) {
	now := s.now()
	sessions, err := s.db.FindSessions(ctx, store.SessionFilter{UserID: userID, Kind: domain.SessionLogin, ActiveAt: &now})
	if err != nil {
		return 0, err
	}
	for _, sess := range sessions {
		if err := s.revoke(ctx, sess, reason); err != nil {
			return 0, err
		}
	}
	return len(sessions), nil
}

// LoadRevocations copies every revoked session a token could still name from
// the database into the in-process set. The server runs it at start (so a
// restart forgets no logout) and periodically (so revocations made by another
// process take effect within the period).
func (s *Service) LoadRevocations(ctx context.Context) error {
	// Access tokens of a session can outlive it by at most their TTL.
	after := s.now().Add(-s.Tokens.TTL())
	sessions, err := s.db.FindSessions(ctx, store.SessionFilter{RevokedOnly: true, ExpiresAfter: &after})
	if err != nil {
		return err
	}
	for _, sess := range sessions {
		if !s.Revocations.Known(sess.ID) {
			s.Revocations.Revoke(sess.ID, sess.ExpiresAt.Add(s.Tokens.TTL()))
		}
	}
	return nil
}

// WatchRevocations runs LoadRevocations every period until ctx ends.
func (s *Service) WatchRevocations(ctx context.Context, period time.Duration) {
	s.every(ctx, period, "reload revocations", func() error { return s.LoadRevocations(ctx) })
}

// WatchSharedRevocations applies, every period until ctx ends, the
// revocations other instances stored (auth.Revocations.Share), so that the
// open WebSockets of a session revoked elsewhere close within the period;
// requests are refused sooner (at most auth.DefaultRecheck).
func (s *Service) WatchSharedRevocations(ctx context.Context, period time.Duration) {
	s.every(ctx, period, "reload shared revocations", func() error {
		revoked, err := s.db.RevokedAfter(ctx, s.Now())
		if err != nil {
			return err
		}
		for id, until := range revoked {
			if !s.Revocations.Known(id) {
				s.Revocations.Revoke(id, until)
			}
		}
		return nil
	})
}

// every runs job every period until ctx ends; a failed run is logged as what
// (unless ctx ended) and the next one tries again.
func (s *Service) every(ctx context.Context, period time.Duration, what string, job func() error) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := job(); err != nil && ctx.Err() == nil {
				s.Log.WarnContext(ctx, what, "err", err)
			}
		}
	}
}

// MySessions lists the caller's active login sessions, newest first.
func (s *Service) MySessions(ctx context.Context) ([]*domain.Session, error) {
	p, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	if p.SessionID == "" || p.Role == domain.RoleDashboard {
		return []*domain.Session{}, nil
	}
	now := s.now()
	return s.db.FindSessions(ctx, store.SessionFilter{UserID: p.UserID, Kind: domain.SessionLogin, ActiveAt: &now})
}

// RevokeSession ends one login session: the caller's own, or anyone's for an
// admin. Another user's session reads as not found, so ids do not leak.
func (s *Service) RevokeSession(ctx context.Context, id string) error {
	p, err := s.caller(ctx)
	if err != nil {
		return err
	}
	sess, err := s.db.FindSessionByID(ctx, id)
	if err != nil || sess.Kind != domain.SessionLogin || (sess.UserID != p.UserID && p.Role != domain.RoleAdmin) || p.Role == domain.RoleDashboard {
		return domain.NotFound("session", id)
	}
	if err := s.revoke(ctx, sess, "logout"); err != nil {
		return err
	}
	s.audit(ctx, domain.AuditLogout, sess.ID, "session ended by "+p.Username)
	return nil
}
