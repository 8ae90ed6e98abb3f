package main

import "testing"

// TestOperationRights is the role × operation matrix for what the schema
// restricts by role: each operation is tried by every role and must succeed or
// fail with exactly the expected code.
func TestOperationRights(t *testing.T) {
	s := startServer(t)
	lsy := enterpriseID(t, s, liangshengyuan)
	ops := []struct {
		name  string
		query string
		vars  map[string]any
		// allowed roles by demo user; every other user must get FORBIDDEN.
		allowed map[string]bool
	}{
		{"users", `{users{totalCount}}`, nil, set("admin")},
		{"spotChecks", `{spotChecks{totalCount}}`, nil, set("admin", "maojianguo", "zhoushiyue", "zhulijun")},
		{"createEnterprise", `mutation{createEnterprise(input:{name:"测试企业"}){id}}`, nil, set("admin")},
		{"createOfficial", `mutation{createOfficial(input:{name:"测试"}){id}}`, nil, set("admin")},
		{"createSpotCheck", `mutation($e:ID){createSpotCheck(input:{enterpriseId:$e,findings:"周末抽查"}){id}}`, map[string]any{"e": lsy}, set("admin", "maojianguo")},
		{"createVisit", `mutation($e:ID){createVisit(input:{enterpriseId:$e,date:"2026-11-20",notes:"走访"}){id}}`, map[string]any{"e": lsy}, set("zhoushiyue")},
		{"reportProblem", `mutation($e:ID){reportProblem(input:{enterpriseId:$e,category:FINANCING,title:"融资难"}){id}}`, map[string]any{"e": lsy}, set("admin", "maojianguo", "zhoushiyue", "moweiliang")},
	}
	users := []string{"admin", "maojianguo", "zhoushiyue", "zhulijun", "moweiliang"}
	for _, op := range ops {
		for _, u := range users {
			t.Run(op.name+"/"+u, func(t *testing.T) {
				res := s.as(u, op.query, op.vars)
				switch {
				case op.allowed[u] && res.code() != "":
					t.Fatalf("allowed but got %s: %s", res.code(), res.Errors[0].Message)
				case !op.allowed[u] && res.code() != "FORBIDDEN" && res.code() != "BAD_USER_INPUT":
					t.Fatalf("refused with %q, want FORBIDDEN (or BAD_USER_INPUT for an out-of-scope reference)", res.code())
				}
			})
		}
	}
}

func set(users ...string) map[string]bool {
	m := map[string]bool{}
	for _, u := range users {
		m[u] = true
	}
	return m
}

func TestAuthenticationErrors(t *testing.T) {
	s := startServer(t)
	for _, tc := range []struct {
		name, token, query string
		vars               map[string]any
		want               string
	}{
		{"NoToken", "", `{me{id}}`, nil, "UNAUTHENTICATED"},
		{"GarbageToken", "not.a.token", `{enterprises{totalCount}}`, nil, "UNAUTHENTICATED"},
		{"WrongPassword", "", `mutation{login(username:"admin",password:"wrong-password"){accessToken}}`, nil, "UNAUTHENTICATED"},
		{"UnknownUser", "", `mutation{login(username:"nobody",password:"demo1234"){accessToken}}`, nil, "UNAUTHENTICATED"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if code := s.post(tc.token, tc.query, tc.vars).code(); code != tc.want {
				t.Fatalf("code = %q, want %s", code, tc.want)
			}
		})
	}
	t.Run("Me", func(t *testing.T) {
		var out struct {
			Me struct{ Username, Role string }
		}
		s.as("moweiliang", `{me{username role}}`, nil).decode(t, &out)
		if out.Me.Username != "moweiliang" || out.Me.Role != "ENTERPRISE" {
			t.Fatalf("me = %+v", out.Me)
		}
	})
}

func TestBadInputIsTyped(t *testing.T) {
	s := startServer(t)
	lsy := enterpriseID(t, s, liangshengyuan)
	for _, tc := range []struct {
		name, query string
		vars        map[string]any
		code, field string
	}{
		{"EmptyTitle", `mutation($e:ID){reportProblem(input:{enterpriseId:$e,category:LABOUR,title:"  "}){id}}`, map[string]any{"e": lsy}, "BAD_USER_INPUT", "title"},
		{"BadTime", `mutation($e:ID){createVisit(input:{enterpriseId:$e,date:"yesterday"}){id}}`, map[string]any{"e": lsy}, "BAD_USER_INPUT", ""},
		{"FutureVisit", `mutation($e:ID){createVisit(input:{enterpriseId:$e,date:"2099-01-01"}){id}}`, map[string]any{"e": lsy}, "BAD_USER_INPUT", "date"},
		{"PageTooLarge", `{problems(first:1000){totalCount}}`, nil, "BAD_USER_INPUT", "first"},
		{"BadCursor", `{problems(after:"zzz"){totalCount}}`, nil, "BAD_USER_INPUT", "after"},
		{"StaleVersion", `mutation($e:ID!){updateEnterprise(id:$e,expectedVersion:0,input:{town:"x"}){id}}`, map[string]any{"e": lsy}, "FORBIDDEN", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := s.as("zhoushiyue", tc.query, tc.vars)
			if res.code() != tc.code {
				t.Fatalf("code = %q (%v), want %s", res.code(), res.Errors, tc.code)
			}
			if tc.field != "" && res.Errors[0].Extensions["field"] != tc.field {
				t.Fatalf("field = %v, want %s", res.Errors[0].Extensions["field"], tc.field)
			}
		})
	}
	t.Run("StaleVersionAsAdmin", func(t *testing.T) {
		res := s.as("admin", `mutation($e:ID!){updateEnterprise(id:$e,expectedVersion:0,input:{town:"x"}){id}}`, map[string]any{"e": lsy})
		if res.code() != "CONFLICT" {
			t.Fatalf("code = %q, want CONFLICT", res.code())
		}
	})
}
