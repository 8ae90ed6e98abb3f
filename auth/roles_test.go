package auth

import (
	"context"
	"strings"
	"testing"

	"github.com/lianqi/lianqi/domain"
)

func TestRequireRole(t *testing.T) {
	as := func(r domain.Role) context.Context {
		return domain.WithPrincipal(context.Background(), &domain.Principal{UserID: "u", Role: r})
	}
	leaders := []domain.Role{domain.RoleAdmin, domain.RoleLeader}
	tests := []struct {
		name     string
		ctx      context.Context
		roles    []domain.Role
		wantCode string
		wantMsg  string
	}{
		{"admin allowed", as(domain.RoleAdmin), leaders, "", ""},
		{"leader allowed", as(domain.RoleLeader), leaders, "", ""},
		{"enterprise forbidden", as(domain.RoleEnterprise), leaders, domain.EFORBIDDEN, "this operation requires role ADMIN or LEADER"},
		{"single role forbidden", as(domain.RoleOfficial), []domain.Role{domain.RoleAdmin}, domain.EFORBIDDEN, "this operation requires role ADMIN"},
		{"three roles forbidden", as(domain.RoleEnterprise), []domain.Role{domain.RoleAdmin, domain.RoleLeader, domain.RoleOfficial}, domain.EFORBIDDEN, "this operation requires role ADMIN, LEADER or OFFICIAL"},
		{"empty role list fails closed", as(domain.RoleAdmin), nil, domain.EFORBIDDEN, ""},
		{"anonymous", context.Background(), leaders, domain.EUNAUTHENTICATED, ""},
		{"anonymous with stale token", withTokenError(context.Background(), unauthenticated("token expired")), leaders, domain.EUNAUTHENTICATED, "token expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := RequireRole(tt.ctx, tt.roles)
			if c := domain.ErrorCode(err); c != tt.wantCode {
				t.Fatalf("code = %q, want %q (err %v)", c, tt.wantCode, err)
			}
			if tt.wantCode == "" {
				if p == nil || p.UserID != "u" {
					t.Fatalf("principal = %+v, want the caller", p)
				}
				return
			}
			if p != nil {
				t.Fatal("a refused caller was returned")
			}
			msg := domain.ErrorMessage(err)
			if tt.wantMsg != "" && msg != tt.wantMsg {
				t.Errorf("message = %q, want %q", msg, tt.wantMsg)
			}
			if tt.name == "anonymous" && !strings.HasPrefix(msg, "authentication required") {
				t.Errorf("message = %q", msg)
			}
		})
	}
}
