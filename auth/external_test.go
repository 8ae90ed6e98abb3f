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
	"sync"
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

// provider is a test identity provider: an Ed25519 key per kid, a JWKS that
// publishes the kids in published, and a count of fetches. A fetch blocks
// while gate is non-nil, until gate is closed.
type provider struct {
	t       *testing.T
	srv     *httptest.Server
	mu      sync.Mutex
	keys    map[string]ed25519.PrivateKey
	public  []string
	gate    chan struct{}
	fetches atomic.Int32
	started chan struct{} // receives once per fetch
}

func newProvider(t *testing.T, kids ...string) *provider {
	p := &provider{t: t, keys: map[string]ed25519.PrivateKey{}, started: make(chan struct{}, 100)}
	for _, kid := range kids {
		_, priv, _ := ed25519.GenerateKey(rand.Reader)
		p.keys[kid] = priv
	}
	p.public = kids
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.fetches.Add(1)
		p.started <- struct{}{}
		p.mu.Lock()
		gate := p.gate
		p.mu.Unlock()
		if gate != nil {
			<-gate
		}
		p.mu.Lock()
		var set JWKS
		for _, kid := range p.public {
			set.Keys = append(set.Keys, JWK{Kty: "OKP", Crv: "Ed25519", X: enc(p.keys[kid].Public().(ed25519.PublicKey)), Kid: kid})
		}
		p.mu.Unlock()
		json.NewEncoder(w).Encode(set)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *provider) publish(kids ...string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.public = kids
}

func (p *provider) mint(kid string, now time.Time) string {
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, jwt.MapClaims{"sub": "s", "roles": "leader", "iss": "https://idp", "aud": "api", "exp": now.Add(time.Hour).Unix()})
	tok.Header["kid"] = kid
	s, err := tok.SignedString(p.keys[kid])
	if err != nil {
		p.t.Fatal(err)
	}
	return s
}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func (p *provider) tokens(t *testing.T, c *clock) *Tokens {
	tk, err := NewTokens(Config{Secret: testSecret, Now: c.now, External: &External{Issuer: "https://idp", Audience: "api", JWKSURL: p.srv.URL}})
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

// TestExternalSlowFetchDoesNotBlock: while a JWKS fetch hangs (a token with a
// new kid waits for it), tokens with known kids verify at once.
func TestExternalSlowFetchDoesNotBlock(t *testing.T) {
	p := newProvider(t, "k1", "k2")
	p.publish("k1")
	c := &clock{t: time.Now()}
	tk := p.tokens(t, c)
	ctx := context.Background()
	if _, err := tk.VerifyContext(ctx, p.mint("k1", c.now())); err != nil {
		t.Fatal(err)
	}
	<-p.started
	c.add(minRefetch)

	gate := make(chan struct{})
	p.mu.Lock()
	p.gate = gate
	p.mu.Unlock()
	p.publish("k1", "k2")
	rotated := make(chan error, 1)
	go func() {
		_, err := tk.VerifyContext(ctx, p.mint("k2", c.now()))
		rotated <- err
	}()
	select {
	case <-p.started: // the fetch for k2 is now hanging
	case <-time.After(5 * time.Second):
		t.Fatal("no fetch for the new kid")
	}
	var once sync.Once
	release := func() { once.Do(func() { close(gate) }) }
	t.Cleanup(release) // before the provider closes, which waits for its handlers
	for range 20 {
		known := make(chan error, 1)
		go func() {
			_, err := tk.VerifyContext(ctx, p.mint("k1", c.now()))
			known <- err
		}()
		select {
		case err := <-known:
			if err != nil {
				t.Fatalf("known kid during a fetch: %v", err)
			}
		case <-time.After(2 * time.Second):
			t.Fatal("a known kid waits for the running fetch")
		}
	}
	// Many waiters for new kids share the one running fetch.
	for range 10 {
		go func() { _, _ = tk.VerifyContext(ctx, p.mint("k2", c.now())) }()
	}
	release()
	if err := <-rotated; err != nil {
		t.Fatalf("new kid after the provider rotated: %v", err)
	}
	if n := p.fetches.Load(); n != 2 {
		t.Fatalf("%d fetches, want 2", n)
	}
}

// TestExternalWithdrawnKey: a key the provider stops publishing is refused
// once the keys are older than KeysMaxAge and the refetch has landed; until
// the provider answers, the keys in hand stay usable.
func TestExternalWithdrawnKey(t *testing.T) {
	p := newProvider(t, "k1", "k2")
	c := &clock{t: time.Now()}
	tk := p.tokens(t, c)
	ctx := context.Background()
	for _, kid := range []string{"k1", "k2"} {
		if _, err := tk.VerifyContext(ctx, p.mint(kid, c.now())); err != nil {
			t.Fatalf("%s: %v", kid, err)
		}
	}
	p.publish("k1")
	c.add(DefaultKeysMaxAge - time.Second)
	if _, err := tk.VerifyContext(ctx, p.mint("k2", c.now())); err != nil {
		t.Fatalf("k2 before the keys are stale: %v", err)
	}
	if n := p.fetches.Load(); n != 1 {
		t.Fatalf("%d fetches before the keys are stale, want 1", n)
	}
	c.add(time.Second)
	// This verification finds the keys stale and starts the refetch; it is
	// not held up by it.
	_, _ = tk.VerifyContext(ctx, p.mint("k2", c.now()))
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := tk.VerifyContext(ctx, p.mint("k2", c.now()))
		if err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("withdrawn key still accepted after the refetch")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := tk.VerifyContext(ctx, p.mint("k1", c.now())); err != nil {
		t.Fatalf("k1 after the refetch: %v", err)
	}
	if n := p.fetches.Load(); n != 2 {
		t.Fatalf("%d fetches, want 2", n)
	}
}
