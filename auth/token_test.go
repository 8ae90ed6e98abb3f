package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/lianqi/lianqi/domain"
)

var (
	testNow    = time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	testSecret = []byte("0123456789abcdef0123456789abcdef")
	otherKey   = []byte("fedcba9876543210fedcba9876543210")
)

func newTestTokens(t *testing.T) *Tokens {
	t.Helper()
	tk, err := NewTokens(Config{Secret: testSecret, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatalf("NewTokens: %v", err)
	}
	return tk
}

// validClaims is what Issue would put in a token at testNow, as a map so cases
// can delete or change single claims.
func validClaims() map[string]any {
	return map[string]any{
		"sub":  "u1",
		"name": "alice",
		"role": "ENTERPRISE",
		"eid":  "e1",
		"iss":  "lianqi",
		"aud":  "lianqi-api",
		"iat":  testNow.Unix(),
		"nbf":  testNow.Unix(),
		"exp":  testNow.Add(15 * time.Minute).Unix(),
		"jti":  "j1",
	}
}

func b64(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// forge builds a token by hand so the header can claim any alg, signing the
// header and payload with HMAC-SHA256 under key (no signature when key is nil).
func forge(t *testing.T, header, claims map[string]any, key []byte) string {
	t.Helper()
	signing := b64(t, header) + "." + b64(t, claims)
	if key == nil {
		return signing + "."
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(signing))
	return signing + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func hs256(t *testing.T, claims map[string]any) string {
	t.Helper()
	return forge(t, map[string]any{"alg": "HS256", "typ": "JWT"}, claims, testSecret)
}

func with(change func(map[string]any)) map[string]any {
	c := validClaims()
	change(c)
	return c
}

func librarySigned(t *testing.T, m jwt.SigningMethod, claims map[string]any) string {
	t.Helper()
	s, err := jwt.NewWithClaims(m, jwt.MapClaims(claims)).SignedString(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestNewTokens(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr bool
	}{
		{"32-byte secret", Config{Secret: testSecret}, false},
		{"short secret", Config{Secret: testSecret[:31]}, true},
		{"no secret", Config{}, true},
		{"negative ttl", Config{Secret: testSecret, AccessTTL: -time.Minute}, true},
		{"negative leeway", Config{Secret: testSecret, Leeway: -time.Second}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewTokens(tt.cfg)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
		})
	}
}

func TestIssueVerifyRoundTrip(t *testing.T) {
	tk := newTestTokens(t)
	tests := []struct {
		name string
		p    domain.Principal
	}{
		{"admin", domain.Principal{UserID: "u0", Username: "root", Role: domain.RoleAdmin}},
		{"leader", domain.Principal{UserID: "u1", Username: "li", Role: domain.RoleLeader}},
		{"official", domain.Principal{UserID: "u2", Username: "wang", Role: domain.RoleOfficial, OfficialID: "o7"}},
		{"enterprise", domain.Principal{UserID: "u3", Username: "zhang", Role: domain.RoleEnterprise, EnterpriseID: "e9"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, exp, err := tk.Issue(tt.p)
			if err != nil {
				t.Fatalf("Issue: %v", err)
			}
			if want := testNow.Add(15 * time.Minute); !exp.Equal(want) {
				t.Errorf("expiresAt = %v, want %v", exp, want)
			}
			got, err := tk.Verify(tok)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			want := tt.p
			want.ExpiresAt = exp
			if !got.ExpiresAt.Equal(exp) {
				t.Errorf("ExpiresAt = %v, want %v", got.ExpiresAt, exp)
			}
			got.ExpiresAt = exp
			if !reflect.DeepEqual(*got, want) {
				t.Errorf("Verify = %+v, want %+v", *got, want)
			}
		})
	}
}

func TestIssueClaims(t *testing.T) {
	tk := newTestTokens(t)
	p := domain.Principal{UserID: "u1", Username: "li", Role: domain.RoleLeader}
	tok1, _, err := tk.Issue(p)
	if err != nil {
		t.Fatal(err)
	}
	tok2, _, _ := tk.Issue(p)

	parts := strings.Split(tok1, ".")
	var header, claims map[string]any
	hb, _ := base64.RawURLEncoding.DecodeString(parts[0])
	cb, _ := base64.RawURLEncoding.DecodeString(parts[1])
	if err := json.Unmarshal(hb, &header); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(cb, &claims); err != nil {
		t.Fatal(err)
	}
	if header["alg"] != "HS256" {
		t.Errorf("alg = %v", header["alg"])
	}
	want := map[string]any{
		"sub": "u1", "name": "li", "role": "LEADER", "iss": "lianqi",
		"iat": float64(testNow.Unix()), "nbf": float64(testNow.Unix()),
		"exp": float64(testNow.Add(15 * time.Minute).Unix()),
	}
	for k, v := range want {
		if claims[k] != v {
			t.Errorf("claim %s = %v, want %v", k, claims[k], v)
		}
	}
	if aud, _ := json.Marshal(claims["aud"]); string(aud) != `["lianqi-api"]` && string(aud) != `"lianqi-api"` {
		t.Errorf("aud = %s", aud)
	}
	for _, k := range []string{"oid", "eid"} {
		if _, ok := claims[k]; ok {
			t.Errorf("empty %s should be omitted", k)
		}
	}
	if jti, _ := claims["jti"].(string); jti == "" {
		t.Error("jti missing")
	}
	if tok1 == tok2 {
		t.Error("two tokens issued at the same instant are identical; jti is not random")
	}
}

func TestIssueRejectsBadPrincipal(t *testing.T) {
	tk := newTestTokens(t)
	tests := []struct {
		name string
		p    domain.Principal
	}{
		{"no user id", domain.Principal{Username: "x", Role: domain.RoleAdmin}},
		{"unknown role", domain.Principal{UserID: "u", Role: "ROOT"}},
		{"empty role", domain.Principal{UserID: "u"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := tk.Issue(tt.p); err == nil {
				t.Fatal("Issue succeeded")
			}
		})
	}
}

func TestVerify(t *testing.T) {
	tk := newTestTokens(t)
	hs256Header := map[string]any{"alg": "HS256", "typ": "JWT"}
	valid := hs256(t, validClaims())

	// Tampered: same header and signature, payload promoted to ADMIN.
	parts := strings.Split(valid, ".")
	tampered := parts[0] + "." + b64(t, with(func(c map[string]any) { c["role"] = "ADMIN" })) + "." + parts[2]

	// Correctly signed, so only the size check can reject it.
	oversized := hs256(t, with(func(c map[string]any) { c["pad"] = strings.Repeat("x", MaxTokenLen) }))

	tests := []struct {
		name     string
		token    string
		wantCode string // "" means accepted
		wantMsg  string // checked when non-empty
	}{
		{"valid", valid, "", ""},
		{"library signed HS256", librarySigned(t, jwt.SigningMethodHS256, validClaims()), "", ""},
		{"alg none", forge(t, map[string]any{"alg": "none", "typ": "JWT"}, validClaims(), nil), domain.EUNAUTHENTICATED, "invalid token"},
		{"alg none with signature", forge(t, map[string]any{"alg": "none"}, validClaims(), testSecret), domain.EUNAUTHENTICATED, "invalid token"},
		{"alg None capitalised", forge(t, map[string]any{"alg": "None"}, validClaims(), nil), domain.EUNAUTHENTICATED, "invalid token"},
		{"no alg", forge(t, map[string]any{"typ": "JWT"}, validClaims(), testSecret), domain.EUNAUTHENTICATED, ""},
		{"different secret", forge(t, hs256Header, validClaims(), otherKey), domain.EUNAUTHENTICATED, "invalid token"},
		{"HS384", librarySigned(t, jwt.SigningMethodHS384, validClaims()), domain.EUNAUTHENTICATED, "invalid token"},
		{"HS512", librarySigned(t, jwt.SigningMethodHS512, validClaims()), domain.EUNAUTHENTICATED, "invalid token"},
		{"RS256 label HMAC signed", forge(t, map[string]any{"alg": "RS256", "typ": "JWT"}, validClaims(), testSecret), domain.EUNAUTHENTICATED, "invalid token"},
		{"expired beyond leeway", hs256(t, with(func(c map[string]any) { c["exp"] = testNow.Add(-31 * time.Second).Unix() })), domain.EUNAUTHENTICATED, "token expired"},
		{"expired within leeway", hs256(t, with(func(c map[string]any) { c["exp"] = testNow.Add(-29 * time.Second).Unix() })), "", ""},
		{"expired long ago", hs256(t, with(func(c map[string]any) {
			c["iat"] = testNow.Add(-48 * time.Hour).Unix()
			c["nbf"] = c["iat"]
			c["exp"] = testNow.Add(-24 * time.Hour).Unix()
		})), domain.EUNAUTHENTICATED, "token expired"},
		{"nbf in future", hs256(t, with(func(c map[string]any) { c["nbf"] = testNow.Add(5 * time.Minute).Unix() })), domain.EUNAUTHENTICATED, "token not yet valid"},
		{"nbf within leeway", hs256(t, with(func(c map[string]any) { c["nbf"] = testNow.Add(20 * time.Second).Unix() })), "", ""},
		{"iat in future", hs256(t, with(func(c map[string]any) { c["iat"] = testNow.Add(time.Hour).Unix() })), domain.EUNAUTHENTICATED, "token not yet valid"},
		{"wrong iss", hs256(t, with(func(c map[string]any) { c["iss"] = "someone-else" })), domain.EUNAUTHENTICATED, "token not issued for this service"},
		{"missing iss", hs256(t, with(func(c map[string]any) { delete(c, "iss") })), domain.EUNAUTHENTICATED, ""},
		{"wrong aud", hs256(t, with(func(c map[string]any) { c["aud"] = "lianqi-admin" })), domain.EUNAUTHENTICATED, "token not issued for this service"},
		{"missing aud", hs256(t, with(func(c map[string]any) { delete(c, "aud") })), domain.EUNAUTHENTICATED, ""},
		{"aud array containing ours", hs256(t, with(func(c map[string]any) { c["aud"] = []string{"other", "lianqi-api"} })), "", ""},
		{"missing exp", hs256(t, with(func(c map[string]any) { delete(c, "exp") })), domain.EUNAUTHENTICATED, "token missing required claim"},
		{"exp wrong type", hs256(t, with(func(c map[string]any) { c["exp"] = "tomorrow" })), domain.EUNAUTHENTICATED, ""},
		{"tampered payload", tampered, domain.EUNAUTHENTICATED, "invalid token"},
		{"truncated signature", valid[:len(valid)-4], domain.EUNAUTHENTICATED, ""},
		{"oversized", oversized, domain.EUNAUTHENTICATED, "token too large"},
		{"empty", "", domain.EUNAUTHENTICATED, "missing token"},
		{"garbage", "not a token", domain.EUNAUTHENTICATED, "malformed token"},
		{"three garbage segments", "a.b.c", domain.EUNAUTHENTICATED, "malformed token"},
		{"two segments", parts[0] + "." + parts[1], domain.EUNAUTHENTICATED, "malformed token"},
		{"invalid role", hs256(t, with(func(c map[string]any) { c["role"] = "ROOT" })), domain.EUNAUTHENTICATED, "invalid token role"},
		{"lowercase role", hs256(t, with(func(c map[string]any) { c["role"] = "admin" })), domain.EUNAUTHENTICATED, "invalid token role"},
		{"missing role", hs256(t, with(func(c map[string]any) { delete(c, "role") })), domain.EUNAUTHENTICATED, "invalid token role"},
		{"role wrong type", hs256(t, with(func(c map[string]any) { c["role"] = 1 })), domain.EUNAUTHENTICATED, ""},
		{"missing sub", hs256(t, with(func(c map[string]any) { delete(c, "sub") })), domain.EUNAUTHENTICATED, "invalid token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := tk.Verify(tt.token)
			if got := domain.ErrorCode(err); got != tt.wantCode {
				t.Fatalf("code = %q, want %q (err %v)", got, tt.wantCode, err)
			}
			if tt.wantCode == "" {
				if p == nil || p.UserID != "u1" {
					t.Fatalf("principal = %+v", p)
				}
				return
			}
			if p != nil {
				t.Errorf("principal returned with error: %+v", p)
			}
			msg := domain.ErrorMessage(err)
			if tt.wantMsg != "" && msg != tt.wantMsg {
				t.Errorf("message = %q, want %q", msg, tt.wantMsg)
			}
			// The library's wording must not leak through.
			if strings.Contains(msg, "jwt") || strings.Contains(msg, "signing method") || strings.Contains(msg, "could not") {
				t.Errorf("message leaks library detail: %q", msg)
			}
		})
	}
}

func TestVerifyUsesConfiguredIssuerAudienceAndTTL(t *testing.T) {
	now := testNow
	tk, err := NewTokens(Config{
		Secret: testSecret, Issuer: "iss-x", Audience: "aud-x",
		AccessTTL: time.Minute, Leeway: time.Second,
		Now: func() time.Time { return now },
	})
	if err != nil {
		t.Fatal(err)
	}
	tok, exp, err := tk.Issue(domain.Principal{UserID: "u", Role: domain.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	if !exp.Equal(testNow.Add(time.Minute)) {
		t.Errorf("expiresAt = %v", exp)
	}
	tests := []struct {
		name     string
		at       time.Time
		wantCode string
	}{
		{"fresh", testNow, ""},
		{"just inside leeway", testNow.Add(time.Minute + 500*time.Millisecond), ""},
		{"past leeway", testNow.Add(time.Minute + 2*time.Second), domain.EUNAUTHENTICATED},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now = tt.at
			_, err := tk.Verify(tok)
			if got := domain.ErrorCode(err); got != tt.wantCode {
				t.Fatalf("code = %q, want %q (err %v)", got, tt.wantCode, err)
			}
		})
	}
	// Default-configured tokens must not accept tokens for another issuer.
	now = testNow
	if _, err := newTestTokens(t).Verify(tok); domain.ErrorCode(err) != domain.EUNAUTHENTICATED {
		t.Fatalf("token for iss-x/aud-x accepted by default config: %v", err)
	}
}
