package main

import "testing"

// TestAuditLog: security events land in the audit log, which only admins read.
func TestAuditLog(t *testing.T) {
	s := startServer(t)
	s.post("", `mutation{login(username:"zhoushiyue",password:"wrong-password"){accessToken}}`, nil)
	s.post("", `mutation{login(username:"nobody-here",password:"wrong-password"){accessToken}}`, nil)
	victim := s.login("zhulijun")
	// A role change ends the account's sessions: its tokens carry the old role.
	s.as("admin", `mutation($id:ID!){updateUser(id:$id,input:{disabled:true}){id}}`, map[string]any{"id": victim.User.ID}).decode(t, &struct{}{})
	if c := s.post(victim.AccessToken, meQuery, nil).code(); c != "UNAUTHENTICATED" {
		t.Fatalf("disabled account's token still works: code %q", c)
	}
	var pairings struct {
		Pairings []struct {
			ID         string
			Enterprise struct{ ID string }
		}
	}
	s.as("admin", `{pairings(filter:{activeOnly:true}){id enterprise{id}}}`, nil).decode(t, &pairings)
	s.as("admin", `mutation($e:ID!){markEnterpriseLeft(id:$e){id}}`, map[string]any{"e": pairings.Pairings[0].Enterprise.ID}).decode(t, &struct{}{})

	count := func(action, subject string) int {
		var out struct{ AuditLog struct{ TotalCount int } }
		s.as("admin", `query($a:String,$s:String){auditLog(filter:{action:$a,subjectId:$s}){totalCount}}`,
			map[string]any{"a": action, "s": subject}).decode(t, &out)
		return out.AuditLog.TotalCount
	}
	for _, tc := range []struct {
		name, action, subject string
		min                   int
	}{
		{"FailedLogins", "login.failed", "", 2},
		{"Logins", "login.ok", victim.User.ID, 1},
		{"UserChanged", "user.changed", victim.User.ID, 1},
		{"PairingChanged", "pairing.changed", pairings.Pairings[0].ID, 1},
		{"PrefixSelectsFamily", "login", "", 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if n := count(tc.action, tc.subject); n < tc.min {
				t.Fatalf("%d %s events, want at least %d", n, tc.action, tc.min)
			}
		})
	}
	t.Run("AdminsOnly", func(t *testing.T) {
		for _, u := range []string{"maojianguo", "zhoushiyue", "moweiliang"} {
			if c := s.as(u, `{auditLog{totalCount}}`, nil).code(); c != "FORBIDDEN" {
				t.Fatalf("%s: code %q, want FORBIDDEN", u, c)
			}
		}
	})
}
