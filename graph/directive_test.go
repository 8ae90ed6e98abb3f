package graph

import (
	"context"
	"os/exec"
	"strings"
	"testing"

	"github.com/lianqi/lianqi/domain"
)

// auth is the programme's rules about who may act; it must stay usable from
// any transport, as domain knows no driver.
func TestAuthKnowsNoTransport(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/lianqi/lianqi/auth").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasPrefix(dep, "github.com/99designs/gqlgen") || strings.HasPrefix(dep, "github.com/vektah/gqlparser") {
			t.Errorf("auth depends on %s: GraphQL glue belongs in graph", dep)
		}
	}
}

func TestDirectives(t *testing.T) {
	as := func(r domain.Role, grants ...domain.Grant) context.Context {
		return domain.WithPrincipal(context.Background(), &domain.Principal{UserID: "u", Role: r, Grants: grants})
	}
	admins := []domain.Role{domain.RoleAdmin}
	tests := []struct {
		name     string
		run      func(ctx context.Context, next func(context.Context) (any, error)) (any, error)
		ctx      context.Context
		wantCode string
	}{
		{"hasRole allows", func(ctx context.Context, next func(context.Context) (any, error)) (any, error) {
			return hasRole(ctx, nil, next, admins)
		}, as(domain.RoleAdmin), ""},
		{"hasRole refuses", func(ctx context.Context, next func(context.Context) (any, error)) (any, error) {
			return hasRole(ctx, nil, next, admins)
		}, as(domain.RoleOfficial), domain.EFORBIDDEN},
		{"hasRole anonymous", func(ctx context.Context, next func(context.Context) (any, error)) (any, error) {
			return hasRole(ctx, nil, next, admins)
		}, context.Background(), domain.EUNAUTHENTICATED},
		{"grant held", func(ctx context.Context, next func(context.Context) (any, error)) (any, error) {
			return grant(ctx, nil, next, domain.GrantProblemsRead)
		}, as(domain.RoleDashboard, domain.GrantProblemsRead), ""},
		{"grant not held", func(ctx context.Context, next func(context.Context) (any, error)) (any, error) {
			return grant(ctx, nil, next, domain.GrantProblemsRead)
		}, as(domain.RoleDashboard), domain.EFORBIDDEN},
		{"grant ignores other roles", func(ctx context.Context, next func(context.Context) (any, error)) (any, error) {
			return grant(ctx, nil, next, domain.GrantProblemsRead)
		}, as(domain.RoleEnterprise), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			called := false
			res, err := tt.run(tt.ctx, func(context.Context) (any, error) { called = true; return "resolved", nil })
			if c := domain.ErrorCode(err); c != tt.wantCode {
				t.Fatalf("code = %q, want %q (err %v)", c, tt.wantCode, err)
			}
			if (tt.wantCode == "") != called || (called && res != "resolved") {
				t.Fatalf("next called = %v, res = %v", called, res)
			}
		})
	}
}
