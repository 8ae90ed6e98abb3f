package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

var enc = base64.RawURLEncoding.EncodeToString

func TestParseJWK(t *testing.T) {
	rsa2048, _ := rsa.GenerateKey(rand.Reader, 2048)
	rsa1024, _ := rsa.GenerateKey(rand.Reader, 1024)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecb, _ := ec.PublicKey.Bytes()
	ed, _, _ := ed25519.GenerateKey(rand.Reader)
	rsaJWK := func(k *rsa.PrivateKey, alg string) JWK {
		return JWK{Kty: "RSA", Kid: "r", Alg: alg, N: enc(k.N.Bytes()), E: enc(big.NewInt(int64(k.E)).Bytes())}
	}
	for _, tc := range []struct {
		name    string
		jwk     JWK
		wantAlg string // "" = rejected
	}{
		{"RSA2048", rsaJWK(rsa2048, ""), "RS256"},
		{"RSAWithMatchingAlg", rsaJWK(rsa2048, "RS256"), "RS256"},
		{"RSAClaimingHS256", rsaJWK(rsa2048, "HS256"), ""},
		{"RSA1024TooSmall", rsaJWK(rsa1024, ""), ""},
		{"P256", JWK{Kty: "EC", Crv: "P-256", X: enc(ecb[1:33]), Y: enc(ecb[33:])}, "ES256"},
		{"P256PointNotOnCurve", JWK{Kty: "EC", Crv: "P-256", X: enc(ecb[1:33]), Y: enc(ecb[1:33])}, ""},
		{"Ed25519", JWK{Kty: "OKP", Crv: "Ed25519", X: enc(ed)}, "EdDSA"},
		{"SymmetricKeyRefused", JWK{Kty: "oct", Kid: "s"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, ok := parseJWK(tc.jwk)
			if tc.wantAlg == "" {
				if ok {
					t.Fatalf("accepted as %s", k.alg)
				}
				return
			}
			if !ok || k.alg != tc.wantAlg {
				t.Fatalf("got %v %q, want %s", ok, k.alg, tc.wantAlg)
			}
		})
	}
}

// TestExternalRefetchThrottled: tokens with made-up kids do not turn into a
// request each to the identity provider.
func TestExternalRefetchThrottled(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	var fetches atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		json.NewEncoder(w).Encode(JWKS{Keys: []JWK{{Kty: "OKP", Crv: "Ed25519", X: enc(pub), Kid: "k1"}}})
	}))
	defer srv.Close()
	now := time.Now()
	tk, err := NewTokens(Config{Secret: testSecret, Now: func() time.Time { return now },
		External: &External{Issuer: "https://idp", Audience: "api", JWKSURL: srv.URL}})
	if err != nil {
		t.Fatal(err)
	}
	mint := func(kid string) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, jwt.MapClaims{"sub": "s", "roles": "leader", "iss": "https://idp", "aud": "api", "exp": now.Add(time.Minute).Unix()})
		tok.Header["kid"] = kid
		s, _ := tok.SignedString(priv)
		return s
	}
	if p, err := tk.VerifyContext(context.Background(), mint("k1")); err != nil || p.Role != "LEADER" {
		t.Fatalf("valid provider token: %v %v", p, err)
	}
	for range 50 {
		if _, err := tk.VerifyContext(context.Background(), mint("made-up")); err == nil {
			t.Fatal("unknown kid accepted")
		}
	}
	if n := fetches.Load(); n != 1 {
		t.Fatalf("%d JWKS fetches, want 1 within the refetch interval", n)
	}
}
