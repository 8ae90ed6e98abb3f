package main

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/lianqi/lianqi/auth"
)

// testIdP is an external identity provider served by the test itself on
// 127.0.0.1: an RSA key published as a JWKS.
type testIdP struct {
	srv *httptest.Server
	key *rsa.PrivateKey
	kid string
}

const idpIssuer = "https://idp.test"
const idpAudience = "lianqi-dashboards"

func newTestIdP(t *testing.T) *testIdP {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	idp := &testIdP{key: key, kid: "idp-1"}
	jwk := auth.JWK{Kty: "RSA", Kid: idp.kid, Alg: "RS256", Use: "sig",
		N: base64.RawURLEncoding.EncodeToString(key.N.Bytes()),
		E: base64.RawURLEncoding.EncodeToString(big.NewInt(int64(key.E)).Bytes())}
	idp.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(auth.JWKS{Keys: []auth.JWK{jwk}})
	}))
	t.Cleanup(idp.srv.Close)
	return idp
}

func (idp *testIdP) configure(c *Config) {
	c.OIDCIssuer, c.OIDCAudience, c.OIDCJWKSURL = idpIssuer, idpAudience, idp.srv.URL
}

// pubPEM is the RSA public key as an attacker would find it published.
func (idp *testIdP) pubPEM(t *testing.T) []byte {
	der, err := x509.MarshalPKIXPublicKey(&idp.key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func sign(t *testing.T, m jwt.SigningMethod, kid string, claims jwt.MapClaims, key any) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// rawToken assembles a token from a header, claims and a signature computed
// by hand, for attacks the library refuses to produce.
func rawToken(t *testing.T, header map[string]any, claims jwt.MapClaims, sig func(signingInput string) []byte) string {
	t.Helper()
	h, _ := json.Marshal(header)
	c, _ := json.Marshal(claims)
	in := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
	return in + "." + base64.RawURLEncoding.EncodeToString(sig(in))
}

func hmacSig(key []byte) func(string) []byte {
	return func(in string) []byte {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(in))
		return m.Sum(nil)
	}
}

// TestTokenAttacks sends each forged or broken token to the real server and
// expects UNAUTHENTICATED; the valid controls prove the query itself works.
func TestTokenAttacks(t *testing.T) {
	idp := newTestIdP(t)
	s := startServer(t, idp.configure)
	now := time.Now()
	keys := s.m.Service.Tokens.Keys()
	active := keys.Active()
	pub := active.Public()

	own := func(edit func(jwt.MapClaims)) jwt.MapClaims {
		c := jwt.MapClaims{"sub": "u-attacker", "name": "admin", "role": "ADMIN", "iss": "lianqi", "aud": "lianqi-api",
			"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(10 * time.Minute).Unix()}
		if edit != nil {
			edit(c)
		}
		return c
	}
	ext := func(edit func(jwt.MapClaims)) jwt.MapClaims {
		c := jwt.MapClaims{"sub": "ext-leader", "roles": []string{"leader"}, "iss": idpIssuer, "aud": idpAudience,
			"iat": now.Unix(), "exp": now.Add(10 * time.Minute).Unix()}
		if edit != nil {
			edit(c)
		}
		return c
	}
	otherRSA, _ := rsa.GenerateKey(rand.Reader, 2048)
	_, otherEd, _ := ed25519.GenerateKey(rand.Reader)
	valid := sign(t, jwt.SigningMethodEdDSA, active.ID, own(nil), active.Private)
	parts := strings.Split(valid, ".")
	tamperedClaims, _ := json.Marshal(own(func(c jwt.MapClaims) { c["role"] = "LEADER"; c["sub"] = "u-other" }))

	for _, tc := range []struct {
		name  string
		token string
		ok    bool
	}{
		{"ValidOwnToken", valid, true},
		{"ValidExternalToken", sign(t, jwt.SigningMethodRS256, idp.kid, ext(nil), idp.key), true},
		{"AlgNone", rawToken(t, map[string]any{"alg": "none", "typ": "JWT"}, own(nil), func(string) []byte { return nil }), false},
		{"AlgNoneNoSignature", strings.TrimSuffix(rawToken(t, map[string]any{"alg": "none"}, own(nil), func(string) []byte { return nil }), "."), false},
		{"RSAPublicKeyAsHMACSecret", rawToken(t, map[string]any{"alg": "HS256", "kid": idp.kid}, ext(nil), hmacSig(idp.pubPEM(t))), false},
		{"RSAModulusAsHMACSecret", rawToken(t, map[string]any{"alg": "HS256", "kid": idp.kid}, ext(nil), hmacSig(idp.key.N.Bytes())), false},
		{"Ed25519PublicKeyAsHMACSecret", rawToken(t, map[string]any{"alg": "HS256", "kid": active.ID}, own(nil), hmacSig(pub)), false},
		{"HS256WithoutKid", rawToken(t, map[string]any{"alg": "HS256"}, own(nil), hmacSig(pub)), false},
		{"Expired", sign(t, jwt.SigningMethodEdDSA, active.ID, own(func(c jwt.MapClaims) { c["exp"] = now.Add(-2 * time.Minute).Unix() }), active.Private), false},
		{"ExpiredWithinLeewayAccepted", sign(t, jwt.SigningMethodEdDSA, active.ID, own(func(c jwt.MapClaims) { c["exp"] = now.Add(-5 * time.Second).Unix() }), active.Private), true},
		{"NoExp", sign(t, jwt.SigningMethodEdDSA, active.ID, own(func(c jwt.MapClaims) { delete(c, "exp") }), active.Private), false},
		{"NotYetValid", sign(t, jwt.SigningMethodEdDSA, active.ID, own(func(c jwt.MapClaims) { c["nbf"] = now.Add(5 * time.Minute).Unix() }), active.Private), false},
		{"IssuedInFuture", sign(t, jwt.SigningMethodEdDSA, active.ID, own(func(c jwt.MapClaims) { c["iat"] = now.Add(5 * time.Minute).Unix() }), active.Private), false},
		{"WrongIssuer", sign(t, jwt.SigningMethodEdDSA, active.ID, own(func(c jwt.MapClaims) { c["iss"] = "someone-else" }), active.Private), false},
		{"WrongAudience", sign(t, jwt.SigningMethodEdDSA, active.ID, own(func(c jwt.MapClaims) { c["aud"] = "other-api" }), active.Private), false},
		{"Tampered", parts[0] + "." + base64.RawURLEncoding.EncodeToString(tamperedClaims) + "." + parts[2], false},
		{"SignatureTruncated", parts[0] + "." + parts[1] + "." + parts[2][:len(parts[2])-4], false},
		{"UnknownKid", sign(t, jwt.SigningMethodEdDSA, "no-such-kid", own(nil), active.Private), false},
		{"SignedByAnotherEd25519Key", sign(t, jwt.SigningMethodEdDSA, active.ID, own(nil), otherEd), false},
		{"Oversized", sign(t, jwt.SigningMethodEdDSA, active.ID, own(func(c jwt.MapClaims) { c["pad"] = strings.Repeat("x", 9000) }), active.Private), false},
		{"Garbage", "not.a.jwt", false},
		{"ExternalSignedByAnotherKey", sign(t, jwt.SigningMethodRS256, idp.kid, ext(nil), otherRSA), false},
		{"ExternalWrongAudience", sign(t, jwt.SigningMethodRS256, idp.kid, ext(func(c jwt.MapClaims) { c["aud"] = "lianqi-api" }), idp.key), false},
		{"ExternalExpired", sign(t, jwt.SigningMethodRS256, idp.kid, ext(func(c jwt.MapClaims) { c["exp"] = now.Add(-time.Hour).Unix() }), idp.key), false},
		{"ExternalUnknownRole", sign(t, jwt.SigningMethodRS256, idp.kid, ext(func(c jwt.MapClaims) { c["roles"] = []string{"superuser"} }), idp.key), false},
		{"ExternalDashboardRoleRefused", sign(t, jwt.SigningMethodRS256, idp.kid, ext(func(c jwt.MapClaims) { c["roles"] = "DASHBOARD" }), idp.key), false},
		{"ExternalOfficialWithoutScope", sign(t, jwt.SigningMethodRS256, idp.kid, ext(func(c jwt.MapClaims) { c["roles"] = "OFFICIAL" }), idp.key), false},
		{"ExternalIssuerWithOwnKey", sign(t, jwt.SigningMethodEdDSA, active.ID, ext(nil), active.Private), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := s.post(tc.token, `{enterprises(first:1){totalCount}}`, nil)
			if tc.ok {
				if res.code() != "" {
					t.Fatalf("valid token refused: %+v", res.Errors)
				}
				return
			}
			if res.code() != "UNAUTHENTICATED" {
				t.Fatalf("code = %q (errors %+v, data %s), want UNAUTHENTICATED", res.code(), res.Errors, res.Data)
			}
		})
	}
}

// TestJWKS checks the published key set verifies a token the server issued.
func TestJWKS(t *testing.T) {
	s := startServer(t)
	res, err := http.Get(s.url + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var set auth.JWKS
	if err := json.NewDecoder(res.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	if len(set.Keys) == 0 || set.Keys[0].Kty != "OKP" || set.Keys[0].Alg != "EdDSA" {
		t.Fatalf("jwks = %+v", set)
	}
	tok := s.token("admin")
	parsed, err := jwt.Parse(tok, func(tk *jwt.Token) (any, error) {
		for _, k := range set.Keys {
			if k.Kid == tk.Header["kid"] {
				x, err := base64.RawURLEncoding.DecodeString(k.X)
				return ed25519.PublicKey(x), err
			}
		}
		return nil, jwt.ErrTokenUnverifiable
	}, jwt.WithValidMethods([]string{"EdDSA"}))
	if err != nil || !parsed.Valid {
		t.Fatalf("server token does not verify against its JWKS: %v", err)
	}
	for _, k := range set.Keys {
		if k.D != "" {
			t.Fatal("JWKS leaks a private key")
		}
	}
}

// TestHS256Mode: a single deployment with a configured secret signs HS256,
// publishes no keys, and refuses EdDSA tokens and other secrets.
func TestHS256Mode(t *testing.T) {
	const secret = "an-hs256-secret-of-at-least-32-bytes!"
	s := startServer(t, func(c *Config) { c.JWTAlg, c.JWTSecret = "HS256", secret })
	tok := s.token("admin")
	if h := strings.Split(tok, ".")[0]; !strings.Contains(string(mustB64(t, h)), `"HS256"`) {
		t.Fatalf("token header %s is not HS256", mustB64(t, h))
	}
	if c := s.post(tok, meQuery, nil).code(); c != "" {
		t.Fatalf("own token refused: %s", c)
	}
	res, err := http.Get(s.url + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	var set auth.JWKS
	json.NewDecoder(res.Body).Decode(&set)
	res.Body.Close()
	if len(set.Keys) != 0 {
		t.Fatalf("HS256 deployment publishes keys: %+v", set)
	}
	now := time.Now()
	claims := jwt.MapClaims{"sub": "x", "name": "admin", "role": "ADMIN", "iss": "lianqi", "aud": "lianqi-api", "iat": now.Unix(), "exp": now.Add(time.Minute).Unix()}
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	for name, forged := range map[string]string{
		"OtherSecret": sign(t, jwt.SigningMethodHS256, "", claims, []byte("another-secret-of-at-least-32-bytes!!")),
		"EdDSA":       sign(t, jwt.SigningMethodEdDSA, "k", claims, ed),
		"WithKid":     sign(t, jwt.SigningMethodHS256, "k", claims, []byte(secret)),
	} {
		t.Run(name, func(t *testing.T) {
			if c := s.post(forged, meQuery, nil).code(); c != "UNAUTHENTICATED" {
				t.Fatalf("code %q, want UNAUTHENTICATED", c)
			}
		})
	}
}

func mustB64(t *testing.T, s string) []byte {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
