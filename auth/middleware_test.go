package auth

import (
	"context"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lianqi/lianqi/domain"
)

func TestMiddleware(t *testing.T) {
	tk := newTestTokens(t)
	p := domain.Principal{UserID: "u1", Username: "li", Role: domain.RoleLeader}
	valid, _, err := tk.Issue(p)
	if err != nil {
		t.Fatal(err)
	}
	expired := hs256(t, with(func(c map[string]any) { c["exp"] = testNow.Add(-time.Hour).Unix() }))

	tests := []struct {
		name          string
		headers       []string
		wantPrincipal bool
		wantTokenErr  string // expected TokenError message, "" for none
		wantAuthCode  string // expected code from Authenticate
	}{
		{"no header", nil, false, "", domain.EUNAUTHENTICATED},
		{"valid bearer", []string{"Bearer " + valid}, true, "", ""},
		{"lowercase scheme", []string{"bearer " + valid}, true, "", ""},
		{"extra spaces", []string{"Bearer   " + valid + " "}, true, "", ""},
		{"invalid token", []string{"Bearer not.a.token"}, false, "malformed token", domain.EUNAUTHENTICATED},
		{"expired token", []string{"Bearer " + expired}, false, "token expired", domain.EUNAUTHENTICATED},
		{"basic scheme", []string{"Basic dXNlcjpwYXNz"}, false, "unsupported authorization scheme, use Bearer", domain.EUNAUTHENTICATED},
		{"bare token without scheme", []string{valid}, false, "unsupported authorization scheme, use Bearer", domain.EUNAUTHENTICATED},
		{"bearer without token", []string{"Bearer"}, false, "missing token", domain.EUNAUTHENTICATED},
		{"two headers", []string{"Bearer " + valid, "Bearer " + valid}, false, "multiple Authorization headers", domain.EUNAUTHENTICATED},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ctx context.Context
			h := tk.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				ctx = r.Context()
				w.WriteHeader(http.StatusTeapot)
			}))
			req := httptest.NewRequest(http.MethodPost, "/graphql", nil)
			for _, v := range tt.headers {
				req.Header.Add("Authorization", v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)

			if ctx == nil {
				t.Fatal("next handler not called")
			}
			// Only next may write: the middleware never answers on its own.
			if rec.Code != http.StatusTeapot {
				t.Errorf("status = %d, want next handler's %d", rec.Code, http.StatusTeapot)
			}
			got := domain.PrincipalFrom(ctx)
			if (got != nil) != tt.wantPrincipal {
				t.Fatalf("principal = %+v, want present=%v", got, tt.wantPrincipal)
			}
			if got != nil && got.ExpiresAt.IsZero() {
				t.Error("principal has no expiry")
			}
			if got != nil {
				got.ExpiresAt = p.ExpiresAt
			}
			if got != nil && !reflect.DeepEqual(*got, p) {
				t.Errorf("principal = %+v, want %+v", *got, p)
			}
			tokErr := TokenError(ctx)
			if tt.wantTokenErr == "" {
				if tokErr != nil {
					t.Errorf("TokenError = %v, want nil", tokErr)
				}
			} else {
				if c := domain.ErrorCode(tokErr); c != domain.EUNAUTHENTICATED {
					t.Errorf("TokenError code = %q", c)
				}
				if m := domain.ErrorMessage(tokErr); m != tt.wantTokenErr {
					t.Errorf("TokenError message = %q, want %q", m, tt.wantTokenErr)
				}
			}
			ap, aerr := Authenticate(ctx)
			if c := domain.ErrorCode(aerr); c != tt.wantAuthCode {
				t.Fatalf("Authenticate code = %q, want %q", c, tt.wantAuthCode)
			}
			if tt.wantAuthCode == "" && ap == nil {
				t.Error("Authenticate returned no principal")
			}
			if tt.wantTokenErr != "" && domain.ErrorMessage(aerr) != tt.wantTokenErr {
				t.Errorf("Authenticate message = %q, want the token error %q", domain.ErrorMessage(aerr), tt.wantTokenErr)
			}
		})
	}
}

func TestAuthenticate(t *testing.T) {
	p := &domain.Principal{UserID: "u", Role: domain.RoleAdmin}
	tests := []struct {
		name     string
		ctx      context.Context
		wantCode string
		wantMsg  string
	}{
		{"anonymous", context.Background(), domain.EUNAUTHENTICATED, ""},
		{"principal", domain.WithPrincipal(context.Background(), p), "", ""},
		{"token error", withTokenError(context.Background(), unauthenticated("token expired")), domain.EUNAUTHENTICATED, "token expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Authenticate(tt.ctx)
			if c := domain.ErrorCode(err); c != tt.wantCode {
				t.Fatalf("code = %q, want %q", c, tt.wantCode)
			}
			if tt.wantCode == "" && got != p {
				t.Errorf("principal = %v", got)
			}
			if tt.wantMsg != "" && domain.ErrorMessage(err) != tt.wantMsg {
				t.Errorf("message = %q, want %q", domain.ErrorMessage(err), tt.wantMsg)
			}
			if tt.name == "anonymous" && !strings.HasPrefix(domain.ErrorMessage(err), "authentication required") {
				t.Errorf("anonymous message = %q", domain.ErrorMessage(err))
			}
		})
	}
}
