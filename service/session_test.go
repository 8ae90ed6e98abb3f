package service

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lianqi/lianqi/auth"
	"github.com/lianqi/lianqi/domain"
	"github.com/lianqi/lianqi/store/storetest"
)

// TestRefreshFailureKinds: of the ways reading the account during a refresh
// can go wrong, only an answer about the account (disabled, deleted) ends the
// session. A read that fails (the client hung up, a timeout) refuses this
// refresh and keeps the session: the same refresh token works on retry.
func TestRefreshFailureKinds(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	key, err := auth.GenerateKey(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	keys, err := auth.NewKeySet(key)
	if err != nil {
		t.Fatal(err)
	}
	s := New(db, nil, nil)
	if s.Tokens, err = auth.NewTokens(auth.Config{Keys: keys}); err != nil {
		t.Fatal(err)
	}

	cancelled := func(ctx context.Context) context.Context {
		ctx, cancel := context.WithCancel(ctx)
		cancel()
		return ctx
	}
	expired := func(ctx context.Context) context.Context {
		ctx, cancel := context.WithDeadline(ctx, time.Now().Add(-time.Second))
		t.Cleanup(cancel)
		return ctx
	}
	for _, tc := range []struct {
		name     string
		account  func(u *domain.User) // changes the stored account before the refresh
		read     func(context.Context) context.Context
		wantCode string // of the refresh
		revoked  string // the session's revocation reason, "" if it must stay active
	}{
		{name: "OK"},
		{name: "ClientGone", read: cancelled, wantCode: domain.EINTERNAL},
		{name: "Timeout", read: expired, wantCode: domain.EINTERNAL},
		{name: "Disabled", account: func(u *domain.User) { u.Disabled = true }, wantCode: domain.EUNAUTHENTICATED, revoked: "disabled"},
		{name: "Deleted", account: func(u *domain.User) { u.Deleted = true }, wantCode: domain.EUNAUTHENTICATED, revoked: "account deleted"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := &domain.User{ID: domain.NewID(), Username: "user-" + strings.ToLower(tc.name), Role: domain.RoleLeader}
			if err := db.CreateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
			first, err := s.startSession(ctx, u)
			if err != nil {
				t.Fatal(err)
			}
			if tc.account != nil {
				tc.account(u)
				if err := db.UpdateUser(ctx, u); err != nil {
					t.Fatal(err)
				}
			}
			testHookRefreshUserRead = tc.read
			_, err = s.Refresh(ctx, first.RefreshToken)
			testHookRefreshUserRead = nil
			if got := domain.ErrorCode(err); got != tc.wantCode {
				t.Fatalf("refresh: code %q (%v), want %q", got, err, tc.wantCode)
			}
			if tc.read != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("refresh error %v lost its cause", err)
			}
			sid := first.RefreshToken[:36]
			sess, err := db.FindSessionByID(ctx, sid)
			if err != nil {
				t.Fatal(err)
			}
			if got := sess.RevokedReason; got != tc.revoked || s.Revocations.IsRevoked(sid) != (tc.revoked != "") {
				t.Fatalf("session revoked %q (in process %v), want %q", got, s.Revocations.IsRevoked(sid), tc.revoked)
			}
			if tc.read != nil {
				// The refused refresh did not spend the token.
				if _, err := s.Refresh(ctx, first.RefreshToken); err != nil {
					t.Fatalf("retry with the same refresh token: %v", err)
				}
			}
		})
	}
}

func TestRefreshVerdict(t *testing.T) {
	for _, tc := range []struct {
		name   string
		u      *domain.User
		err    error
		want   verdict
		reason string
	}{
		{"Active", &domain.User{}, nil, refreshRotate, ""},
		{"Disabled", &domain.User{Disabled: true}, nil, refreshEnd, "disabled"},
		{"Gone", nil, domain.NotFound("user", "x"), refreshEnd, "account deleted"},
		{"Cancelled", nil, context.Canceled, refreshKeep, ""},
		{"Timeout", nil, context.DeadlineExceeded, refreshKeep, ""},
		{"DatabaseDown", nil, errors.New("server selection error"), refreshKeep, ""},
		{"OtherDomainError", nil, domain.Errorf(domain.EINTERNAL, "decode"), refreshKeep, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, reason := refreshVerdict(tc.u, tc.err); got != tc.want || reason != tc.reason {
				t.Fatalf("verdict %d %q, want %d %q", got, reason, tc.want, tc.reason)
			}
		})
	}
}
