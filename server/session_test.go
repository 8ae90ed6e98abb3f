package main

import (
	"strings"
	"testing"
	"time"
)

type loginOut struct {
	AccessToken  string
	RefreshToken string
	User         struct{ ID string }
}

func (s *testServer) login(user string) loginOut {
	s.t.Helper()
	var out struct{ Login loginOut }
	s.post("", `mutation($u:String!,$p:String!){login(username:$u,password:$p){accessToken refreshToken user{id}}}`,
		map[string]any{"u": user, "p": "demo1234"}).decode(s.t, &out)
	if out.Login.RefreshToken == "" {
		s.t.Fatal("login returned no refresh token")
	}
	return out.Login
}

func (s *testServer) refresh(token string) (loginOut, gqlResponse) {
	s.t.Helper()
	res := s.post("", `mutation($r:String!){refreshToken(refreshToken:$r){accessToken refreshToken user{id}}}`, map[string]any{"r": token})
	var out struct{ RefreshToken loginOut }
	if res.code() == "" {
		res.decode(s.t, &out)
	}
	return out.RefreshToken, res
}

const meQuery = `{me{username}}`

func TestRefreshRotationAndReuse(t *testing.T) {
	s := startServer(t)
	first := s.login("zhoushiyue")

	second, res := s.refresh(first.RefreshToken)
	if res.code() != "" {
		t.Fatalf("refresh: %+v", res.Errors)
	}
	if second.RefreshToken == first.RefreshToken || second.AccessToken == first.AccessToken {
		t.Fatal("refresh did not rotate the tokens")
	}
	if c := s.post(second.AccessToken, meQuery, nil).code(); c != "" {
		t.Fatalf("new access token refused: %s", c)
	}

	t.Run("SpentTokenRevokesFamily", func(t *testing.T) {
		if _, res := s.refresh(first.RefreshToken); res.code() != "UNAUTHENTICATED" {
			t.Fatalf("reused refresh token: code %q, want UNAUTHENTICATED", res.code())
		}
		if _, res := s.refresh(second.RefreshToken); res.code() != "UNAUTHENTICATED" {
			t.Fatalf("current refresh token of a revoked family: code %q, want UNAUTHENTICATED", res.code())
		}
		for name, tok := range map[string]string{"first": first.AccessToken, "second": second.AccessToken} {
			if c := s.post(tok, meQuery, nil).code(); c != "UNAUTHENTICATED" {
				t.Fatalf("%s access token of a revoked family: code %q, want UNAUTHENTICATED", name, c)
			}
		}
	})
	t.Run("OtherSessionsUnaffected", func(t *testing.T) {
		other := s.login("zhoushiyue")
		if c := s.post(other.AccessToken, meQuery, nil).code(); c != "" {
			t.Fatalf("fresh login refused: %s", c)
		}
	})
	t.Run("Garbage", func(t *testing.T) {
		for _, tok := range []string{"", "x", "not-a-uuid.secret", first.RefreshToken + "x", "0190a5c8-0000-7000-8000-000000000000.abc"} {
			if _, res := s.refresh(tok); res.code() != "UNAUTHENTICATED" {
				t.Fatalf("refresh(%q): code %q, want UNAUTHENTICATED", tok, res.code())
			}
		}
	})
	t.Run("Audited", func(t *testing.T) {
		var out struct {
			AuditLog struct{ TotalCount int }
		}
		s.as("admin", `{auditLog(filter:{action:"session.reuse_detected"}){totalCount}}`, nil).decode(t, &out)
		if out.AuditLog.TotalCount != 1 {
			t.Fatalf("reuse events = %d, want 1", out.AuditLog.TotalCount)
		}
	})
}

func TestLogoutTakesEffectAtOnce(t *testing.T) {
	s := startServer(t)
	t.Run("WithAccessToken", func(t *testing.T) {
		l := s.login("moweiliang")
		if c := s.post(l.AccessToken, `mutation{logout}`, nil).code(); c != "" {
			t.Fatalf("logout: %s", c)
		}
		if c := s.post(l.AccessToken, meQuery, nil).code(); c != "UNAUTHENTICATED" {
			t.Fatalf("access token after logout: code %q, want UNAUTHENTICATED", c)
		}
		if _, res := s.refresh(l.RefreshToken); res.code() != "UNAUTHENTICATED" {
			t.Fatalf("refresh after logout: code %q", res.code())
		}
	})
	t.Run("WithRefreshTokenOnly", func(t *testing.T) {
		l := s.login("moweiliang")
		if c := s.post("", `mutation($r:String){logout(refreshToken:$r)}`, map[string]any{"r": l.RefreshToken}).code(); c != "" {
			t.Fatalf("logout: %s", c)
		}
		if c := s.post(l.AccessToken, meQuery, nil).code(); c != "UNAUTHENTICATED" {
			t.Fatalf("access token after logout: code %q, want UNAUTHENTICATED", c)
		}
	})
	t.Run("ForgedRefreshTokenCannotLogOthersOut", func(t *testing.T) {
		l := s.login("moweiliang")
		sid := l.RefreshToken[:36]
		if c := s.post("", `mutation($r:String){logout(refreshToken:$r)}`, map[string]any{"r": sid + ".guess"}).code(); c != "UNAUTHENTICATED" {
			t.Fatalf("logout with a guessed secret: code %q, want UNAUTHENTICATED", c)
		}
		if c := s.post(l.AccessToken, meQuery, nil).code(); c != "" {
			t.Fatalf("session ended by a forged logout: %s", c)
		}
	})
}

func TestRevokeSessionsClosesSubscriptions(t *testing.T) {
	s := startServer(t)
	victim := s.login("zhulijun")
	other := s.login("zhoushiyue")

	open := func(token string) *wsClient {
		c, err := s.dialWS("")
		if err != nil {
			t.Fatal(err)
		}
		if m := c.init(token); m.Type != "connection_ack" {
			t.Fatalf("init: %+v", m)
		}
		c.subscribe("1", `subscription{tokenExpiresIn(everySeconds:10)}`)
		m, err := c.read(5 * time.Second)
		if err != nil || m.Type != "next" {
			t.Fatalf("first event: %+v %v", m, err)
		}
		return c
	}
	ws := open(victim.AccessToken)
	bystander := open(other.AccessToken)

	t.Run("NonAdminRefused", func(t *testing.T) {
		res := s.post(other.AccessToken, `mutation($u:ID!){revokeSessions(userId:$u)}`, map[string]any{"u": victim.User.ID})
		if res.code() != "FORBIDDEN" {
			t.Fatalf("code %q, want FORBIDDEN", res.code())
		}
	})
	var out struct{ RevokeSessions int }
	s.as("admin", `mutation($u:ID!){revokeSessions(userId:$u)}`, map[string]any{"u": victim.User.ID}).decode(t, &out)
	if out.RevokeSessions != 1 {
		t.Fatalf("revoked %d sessions, want 1", out.RevokeSessions)
	}
	t.Run("OpenSubscriptionClosed", func(t *testing.T) { ws.waitClosed(t, 3*time.Second) })
	t.Run("AccessTokenRefused", func(t *testing.T) {
		if c := s.post(victim.AccessToken, meQuery, nil).code(); c != "UNAUTHENTICATED" {
			t.Fatalf("code %q, want UNAUTHENTICATED", c)
		}
	})
	t.Run("NewSubscriptionRefused", func(t *testing.T) {
		c, err := s.dialWS("")
		if err != nil {
			t.Fatal(err)
		}
		if m := c.init(victim.AccessToken); m.Type == "connection_ack" {
			t.Fatal("revoked token opened a subscription")
		}
	})
	t.Run("OtherUsersSubscriptionStaysOpen", func(t *testing.T) {
		if _, err := bystander.read(500 * time.Millisecond); err == nil || !isTimeout(err) {
			t.Fatalf("bystander's connection disturbed: %v", err)
		}
	})
}

func isTimeout(err error) bool {
	return err != nil && strings.Contains(err.Error(), "deadline exceeded")
}

func TestMySessions(t *testing.T) {
	s := startServer(t)
	phone := s.login("zhoushiyue")
	laptop := s.login("zhoushiyue")
	var out struct {
		MySessions []struct {
			ID      string
			Current bool
		}
	}
	s.post(laptop.AccessToken, `{mySessions{id current}}`, nil).decode(t, &out)
	if len(out.MySessions) != 2 {
		t.Fatalf("%d sessions, want 2", len(out.MySessions))
	}
	var phoneID string
	for _, ss := range out.MySessions {
		if !ss.Current {
			phoneID = ss.ID
		}
	}
	t.Run("OthersCannotEndIt", func(t *testing.T) {
		res := s.as("moweiliang", `mutation($id:ID!){revokeSession(id:$id)}`, map[string]any{"id": phoneID})
		if res.code() != "NOT_FOUND" {
			t.Fatalf("code %q, want NOT_FOUND", res.code())
		}
	})
	t.Run("EndLostPhone", func(t *testing.T) {
		if c := s.post(laptop.AccessToken, `mutation($id:ID!){revokeSession(id:$id)}`, map[string]any{"id": phoneID}).code(); c != "" {
			t.Fatalf("revokeSession: %s", c)
		}
		if c := s.post(phone.AccessToken, meQuery, nil).code(); c != "UNAUTHENTICATED" {
			t.Fatalf("lost phone's token: code %q, want UNAUTHENTICATED", c)
		}
		if c := s.post(laptop.AccessToken, meQuery, nil).code(); c != "" {
			t.Fatalf("own session ended too: %s", c)
		}
	})
}
