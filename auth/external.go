package auth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/lianqi/lianqi/domain"
)

// External configures an outside identity provider whose tokens are accepted.
type External struct {
	Issuer   string // required: the iss its tokens carry
	Audience string // required: the aud they must name (this API)
	JWKSURL  string // required: where its public keys are published
	// RoleClaim names the claim holding the caller's role (a string or a list
	// of strings; the first that names a Lianqi role wins). Default "roles".
	RoleClaim string
	// OfficialClaim and EnterpriseClaim name the claims that carry the scope ids
	// an OFFICIAL or ENTERPRISE caller acts for. Defaults "official_id", "enterprise_id".
	OfficialClaim   string
	EnterpriseClaim string
	// Client fetches the JWKS; default a client with a 5 s timeout.
	Client *http.Client
	// KeysMaxAge is how long fetched keys are used before a refetch (in the
	// background; verifications go on with the keys they have). A key the
	// provider withdrew is refused once the refetch has landed. Default
	// DefaultKeysMaxAge; never below the refetch throttle of 30 s.
	KeysMaxAge time.Duration
}

// minRefetch keeps a flood of tokens with made-up kids from turning into a
// flood of requests to the identity provider: at most one fetch starts per
// interval, whatever triggers it.
const minRefetch = 30 * time.Second

// DefaultKeysMaxAge is how long fetched provider keys are used before they are
// fetched again, so that a key the provider withdrew stops verifying.
const DefaultKeysMaxAge = 10 * time.Minute

// maxJWKSBytes bounds what we read from the identity provider.
const maxJWKSBytes = 1 << 20

// fetchTimeout bounds one JWKS fetch even with a caller's client that has none.
const fetchTimeout = 10 * time.Second

// externalKey is a verifying key with the one algorithm it may be used with.
type externalKey struct {
	alg string
	key crypto.PublicKey
}

// keySnapshot is one fetched JWKS; it is never changed after it is stored, so
// verifications read it without a lock.
type keySnapshot struct {
	keys    map[string]externalKey
	fetched time.Time
}

// externalVerifier checks tokens from an External provider.
type externalVerifier struct {
	cfg    External
	parser *jwt.Parser
	now    func() time.Time

	keys atomic.Pointer[keySnapshot]

	// mu guards only the fetch bookkeeping, never a network call.
	mu       sync.Mutex
	lastTry  time.Time
	inflight chan struct{} // closed when the running fetch ends; nil when none runs
}

func newExternalVerifier(cfg External, leeway time.Duration, now func() time.Time) (*externalVerifier, error) {
	if cfg.Issuer == "" || cfg.Audience == "" || cfg.JWKSURL == "" {
		return nil, errors.New("auth: an external identity provider needs issuer, audience and JWKS URL")
	}
	if cfg.RoleClaim == "" {
		cfg.RoleClaim = "roles"
	}
	if cfg.OfficialClaim == "" {
		cfg.OfficialClaim = "official_id"
	}
	if cfg.EnterpriseClaim == "" {
		cfg.EnterpriseClaim = "enterprise_id"
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 5 * time.Second}
	}
	if cfg.KeysMaxAge <= 0 {
		cfg.KeysMaxAge = DefaultKeysMaxAge
	}
	cfg.KeysMaxAge = max(cfg.KeysMaxAge, minRefetch)
	v := &externalVerifier{cfg: cfg, now: now}
	v.parser = jwt.NewParser(
		// HS256 is deliberately absent: a provider's public key must never be
		// usable as an HMAC secret.
		jwt.WithValidMethods([]string{"RS256", "ES256", "EdDSA"}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuer(cfg.Issuer),
		jwt.WithAudience(cfg.Audience),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(leeway),
		jwt.WithTimeFunc(now),
		jwt.WithStrictDecoding(),
	)
	return v, nil
}

// verify checks token and maps its claims to a principal.
func (v *externalVerifier) verify(ctx context.Context, token string) (*domain.Principal, error) {
	c := jwt.MapClaims{}
	_, err := v.parser.ParseWithClaims(token, c, func(tok *jwt.Token) (any, error) {
		kid, _ := tok.Header["kid"].(string)
		k, ok := v.key(ctx, kid)
		// Each key is pinned to one algorithm: the header cannot choose another.
		if !ok || k.alg != tok.Method.Alg() {
			return nil, jwt.ErrTokenSignatureInvalid
		}
		return k.key, nil
	})
	if err != nil {
		return nil, unauthenticated(reason(err))
	}
	sub, _ := c["sub"].(string)
	if sub == "" {
		return nil, unauthenticated("invalid token")
	}
	role, ok := v.role(c[v.cfg.RoleClaim])
	if !ok {
		return nil, unauthenticated("token names no Lianqi role")
	}
	name, _ := c["preferred_username"].(string)
	if name == "" {
		name = sub
	}
	p := &domain.Principal{UserID: "ext:" + sub, Username: name, Role: role, Issuer: v.cfg.Issuer}
	p.OfficialID, _ = c[v.cfg.OfficialClaim].(string)
	p.EnterpriseID, _ = c[v.cfg.EnterpriseClaim].(string)
	// A scoped role without its scope id would read nothing or, worse, be
	// treated as unscoped somewhere; refuse it here.
	if (role == domain.RoleOfficial && p.OfficialID == "") || (role == domain.RoleEnterprise && p.EnterpriseID == "") {
		return nil, unauthenticated("token lacks the scope claim its role needs")
	}
	if exp, err := c.GetExpirationTime(); err == nil && exp != nil {
		p.ExpiresAt = exp.Time
	}
	return p, nil
}

// role picks the first user role named by the claim. Dashboard access is only
// granted by tokens this server issues, never by a provider's claim.
func (v *externalVerifier) role(claim any) (domain.Role, bool) {
	var names []string
	switch c := claim.(type) {
	case string:
		names = []string{c}
	case []any:
		for _, x := range c {
			if s, ok := x.(string); ok {
				names = append(names, s)
			}
		}
	}
	for _, n := range names {
		r := domain.Role(strings.ToUpper(strings.TrimSpace(n)))
		if r.IsValid() && r != domain.RoleDashboard {
			return r, true
		}
	}
	return "", false
}

// key returns the key with id kid. A known kid answers from the current
// snapshot at once, even while a fetch is running; when the snapshot is older
// than KeysMaxAge a background refetch replaces it, dropping withdrawn keys.
// An unknown kid (the provider rotated) waits for a refetch, which starts at
// most once per minRefetch and is shared by every caller waiting for it.
func (v *externalVerifier) key(ctx context.Context, kid string) (externalKey, bool) {
	if kid == "" {
		return externalKey{}, false
	}
	if snap := v.keys.Load(); snap != nil {
		if k, ok := snap.keys[kid]; ok {
			if v.now().Sub(snap.fetched) >= v.cfg.KeysMaxAge {
				v.refetch()
			}
			return k, true
		}
	}
	done := v.refetch()
	if done == nil {
		return externalKey{}, false
	}
	select {
	case <-done:
	case <-ctx.Done():
		return externalKey{}, false
	}
	if snap := v.keys.Load(); snap != nil {
		k, ok := snap.keys[kid]
		return k, ok
	}
	return externalKey{}, false
}

// refetch starts a JWKS fetch unless one is running (it returns that one's
// done channel) or one started less than minRefetch ago (it returns nil).
func (v *externalVerifier) refetch() <-chan struct{} {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.inflight != nil {
		return v.inflight
	}
	now := v.now()
	if !v.lastTry.IsZero() && now.Sub(v.lastTry) < minRefetch {
		return nil
	}
	v.lastTry = now
	done := make(chan struct{})
	v.inflight = done
	go func() {
		// Detached from any one request: the fetch serves every verification
		// that waits for it, and one caller hanging up must not fail the rest.
		ctx, cancel := context.WithTimeout(context.Background(), fetchTimeout)
		defer cancel()
		keys, err := fetchJWKS(ctx, v.cfg.Client, v.cfg.JWKSURL)
		if err == nil {
			v.keys.Store(&keySnapshot{keys: keys, fetched: v.now()})
		} else {
			// Keep the old keys: a provider hiccup must not log everyone out.
			slog.WarnContext(ctx, "external identity provider: JWKS fetch failed; keeping the keys we have", "url", v.cfg.JWKSURL, "err", err)
		}
		v.mu.Lock()
		v.inflight = nil
		v.mu.Unlock()
		close(done)
	}()
	return done
}

func fetchJWKS(ctx context.Context, client *http.Client, url string) (map[string]externalKey, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	res, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("jwks: status %d", res.StatusCode)
	}
	var set JWKS
	if err := json.NewDecoder(io.LimitReader(res.Body, maxJWKSBytes)).Decode(&set); err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	keys := map[string]externalKey{}
	for _, j := range set.Keys {
		if k, ok := parseJWK(j); ok && j.Kid != "" && (j.Use == "" || j.Use == "sig") {
			keys[j.Kid] = k
		}
	}
	return keys, nil
}

// parseJWK turns a JWK into a key pinned to the one algorithm its type allows.
// A JWK whose alg disagrees with its type is skipped.
func parseJWK(j JWK) (externalKey, bool) {
	dec := base64.RawURLEncoding.DecodeString
	var k externalKey
	switch {
	case j.Kty == "RSA":
		n, err1 := dec(j.N)
		e, err2 := dec(j.E)
		if err1 != nil || err2 != nil || len(n) < 256 || len(e) == 0 || len(e) > 4 {
			return k, false // below 2048 bits is not accepted
		}
		k = externalKey{alg: "RS256", key: &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}}
	case j.Kty == "EC" && j.Crv == "P-256":
		x, err1 := dec(j.X)
		y, err2 := dec(j.Y)
		if err1 != nil || err2 != nil || len(x) != 32 || len(y) != 32 {
			return k, false
		}
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
		if err != nil {
			return k, false
		}
		k = externalKey{alg: "ES256", key: pub}
	case j.Kty == "OKP" && j.Crv == "Ed25519":
		x, err := dec(j.X)
		if err != nil || len(x) != ed25519.PublicKeySize {
			return k, false
		}
		k = externalKey{alg: "EdDSA", key: ed25519.PublicKey(x)}
	default:
		return k, false
	}
	if j.Alg != "" && j.Alg != k.alg {
		return k, false
	}
	return k, true
}
