// Package auth issues and verifies access tokens, hashes passwords, attaches the caller to requests and implements the schema's authorization directive.
package auth

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/lianqi/lianqi/domain"
)

// MinSecretLen is the shortest HS256 key accepted: anything shorter than the
// hash output weakens HMAC below its design strength.
const MinSecretLen = 32

// MaxTokenLen bounds the work an unauthenticated caller can make us do: a
// legitimate token is a few hundred bytes, so anything near this is an attack
// on the base64 and JSON decoders rather than a login.
const MaxTokenLen = 8 << 10

// Config for tokens.
type Config struct {
	// Keys are the server's Ed25519 keys. When set, tokens are signed with
	// EdDSA by the active key and carry its kid.
	Keys *KeySet
	// Secret is an HS256 key (at least MinSecretLen bytes). It signs tokens
	// when Keys is nil; when both are set it only verifies, which lets a
	// deployment move from HS256 to EdDSA without logging everyone out.
	Secret []byte
	// External, when set, also accepts tokens from that identity provider.
	External  *External
	Issuer    string           // default "lianqi"
	Audience  string           // default "lianqi-api"
	AccessTTL time.Duration    // default 15 * time.Minute
	Leeway    time.Duration    // default 30 * time.Second
	Now       func() time.Time // default time.Now; tests override
	// Revoked reports whether a session has been revoked; a token naming a
	// revoked session is refused even though its signature is good.
	Revoked func(sessionID string) bool
}

// Tokens issues and verifies access tokens. It is safe for concurrent use.
type Tokens struct {
	keys     *KeySet
	secret   []byte
	issuer   string
	audience string
	ttl      time.Duration
	now      func() time.Time
	parser   *jwt.Parser
	external *externalVerifier
	revoked  func(string) bool
}

// claims is the wire form of a domain.Principal. Short names keep the token,
// which travels on every request, small.
type claims struct {
	Name   string         `json:"name"`
	Role   domain.Role    `json:"role"`
	OID    string         `json:"oid,omitempty"`
	EID    string         `json:"eid,omitempty"`
	SID    string         `json:"sid,omitempty"`
	Grants []domain.Grant `json:"grt,omitempty"`
	Town   string         `json:"town,omitempty"`
	jwt.RegisteredClaims
}

// NewTokens validates cfg and fills in defaults.
func NewTokens(cfg Config) (*Tokens, error) {
	if cfg.Keys == nil && len(cfg.Secret) == 0 {
		return nil, errors.New("auth: tokens need signing keys or an HS256 secret")
	}
	if len(cfg.Secret) > 0 && len(cfg.Secret) < MinSecretLen {
		return nil, fmt.Errorf("auth: token secret must be at least %d bytes, got %d", MinSecretLen, len(cfg.Secret))
	}
	if cfg.Issuer == "" {
		cfg.Issuer = "lianqi"
	}
	if cfg.Audience == "" {
		cfg.Audience = "lianqi-api"
	}
	if cfg.AccessTTL == 0 {
		cfg.AccessTTL = 15 * time.Minute
	}
	if cfg.AccessTTL < 0 {
		return nil, fmt.Errorf("auth: access token TTL must be positive, got %s", cfg.AccessTTL)
	}
	if cfg.Leeway == 0 {
		cfg.Leeway = 30 * time.Second
	}
	if cfg.Leeway < 0 {
		return nil, fmt.Errorf("auth: leeway must not be negative, got %s", cfg.Leeway)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Revoked == nil {
		cfg.Revoked = func(string) bool { return false }
	}
	t := &Tokens{
		keys: cfg.Keys,
		// Copied so a caller reusing its buffer cannot change the key under us.
		secret:   append([]byte(nil), cfg.Secret...),
		issuer:   cfg.Issuer,
		audience: cfg.Audience,
		ttl:      cfg.AccessTTL,
		now:      cfg.Now,
		revoked:  cfg.Revoked,
	}
	if cfg.External != nil {
		if cfg.External.Issuer == cfg.Issuer {
			return nil, errors.New("auth: the external identity provider's issuer must differ from ours")
		}
		var err error
		if t.external, err = newExternalVerifier(*cfg.External, cfg.Leeway, cfg.Now); err != nil {
			return nil, err
		}
	}
	// Pinning the algorithms defeats alg=none and key confusion; only the
	// methods we actually have keys for are listed.
	var methods []string
	if t.keys != nil {
		methods = append(methods, jwt.SigningMethodEdDSA.Alg())
	}
	if len(t.secret) > 0 {
		methods = append(methods, jwt.SigningMethodHS256.Alg())
	}
	t.parser = jwt.NewParser(
		jwt.WithValidMethods(methods),
		// Without this a token lacking exp would never expire.
		jwt.WithExpirationRequired(),
		jwt.WithIssuer(t.issuer),
		jwt.WithAudience(t.audience),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(cfg.Leeway),
		jwt.WithTimeFunc(cfg.Now),
		// Rejects non-canonical base64 so a token has exactly one valid spelling.
		jwt.WithStrictDecoding(),
	)
	return t, nil
}

// Keys returns the server's asymmetric keys, or nil in an HS256-only setup.
func (t *Tokens) Keys() *KeySet { return t.keys }

// TTL is the lifetime of access tokens.
func (t *Tokens) TTL() time.Duration { return t.ttl }

// Issue returns a signed access token for p and the moment it stops being
// accepted (not counting leeway).
func (t *Tokens) Issue(p domain.Principal) (token string, expiresAt time.Time, err error) {
	return t.IssueUntil(p, t.now().Add(t.ttl))
}

// IssueUntil is Issue with an explicit expiry, for dashboard tokens.
func (t *Tokens) IssueUntil(p domain.Principal, until time.Time) (token string, expiresAt time.Time, err error) {
	if p.UserID == "" {
		return "", time.Time{}, errors.New("auth: cannot issue a token without a user ID")
	}
	if !p.Role.IsValid() {
		return "", time.Time{}, fmt.Errorf("auth: cannot issue a token for unknown role %q", p.Role)
	}
	now := t.now()
	// NumericDate drops sub-second precision; report the exp actually in the token.
	exp := jwt.NewNumericDate(until)
	c := claims{
		Name:   p.Username,
		Role:   p.Role,
		OID:    p.OfficialID,
		EID:    p.EnterpriseID,
		SID:    p.SessionID,
		Grants: p.Grants,
		Town:   p.Town,
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   p.UserID,
			Issuer:    t.issuer,
			Audience:  jwt.ClaimStrings{t.audience},
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: exp,
			ID:        rand.Text(),
		},
	}
	var s string
	if t.keys != nil {
		k := t.keys.Active()
		tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c)
		tok.Header["kid"] = k.ID
		s, err = tok.SignedString(k.Private)
	} else {
		s, err = jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(t.secret)
	}
	if err != nil {
		return "", time.Time{}, fmt.Errorf("auth: sign token: %w", err)
	}
	return s, exp.Time, nil
}

// Verify checks token and returns the caller it names. Every failure is an
// EUNAUTHENTICATED *domain.Error whose message is safe to show a client.
func (t *Tokens) Verify(token string) (*domain.Principal, error) {
	return t.VerifyContext(context.Background(), token)
}

// VerifyContext is Verify; ctx bounds a JWKS fetch from an external provider.
func (t *Tokens) VerifyContext(ctx context.Context, token string) (*domain.Principal, error) {
	if token == "" {
		return nil, unauthenticated("missing token")
	}
	if len(token) > MaxTokenLen {
		return nil, unauthenticated("token too large")
	}
	if t.external != nil && t.unverifiedIssuer(token) == t.external.cfg.Issuer {
		// The unverified iss only chooses which verifier runs; that verifier
		// checks iss again along with everything else.
		return t.external.verify(ctx, token)
	}
	var c claims
	_, err := t.parser.ParseWithClaims(token, &c, t.key)
	if err != nil {
		return nil, unauthenticated(reason(err))
	}
	if c.Subject == "" {
		return nil, unauthenticated("invalid token")
	}
	if !c.Role.IsValid() {
		return nil, unauthenticated("invalid token role")
	}
	if c.Role == domain.RoleDashboard && (c.SID == "" || len(c.Grants) == 0) {
		return nil, unauthenticated("invalid token")
	}
	if c.SID != "" && t.revoked(c.SID) {
		return nil, unauthenticated("session revoked: sign in again")
	}
	return &domain.Principal{
		UserID:       c.Subject,
		Username:     c.Name,
		Role:         c.Role,
		OfficialID:   c.OID,
		EnterpriseID: c.EID,
		ExpiresAt:    c.ExpiresAt.Time,
		SessionID:    c.SID,
		Grants:       c.Grants,
		Town:         c.Town,
	}, nil
}

// key picks the verifying key for a token. Each key is pinned to its one
// algorithm: an Ed25519 kid with an HS256 header (the public key used as an
// HMAC secret) finds nothing.
func (t *Tokens) key(tok *jwt.Token) (any, error) {
	kid, _ := tok.Header["kid"].(string)
	switch tok.Method {
	case jwt.SigningMethodEdDSA:
		if t.keys != nil {
			if k, ok := t.keys.Verifying(kid); ok {
				return k, nil
			}
		}
	case jwt.SigningMethodHS256:
		if len(t.secret) > 0 && kid == "" {
			return t.secret, nil
		}
	}
	return nil, jwt.ErrTokenSignatureInvalid
}

func (t *Tokens) unverifiedIssuer(token string) string {
	var c jwt.RegisteredClaims
	if _, _, err := jwt.NewParser().ParseUnverified(token, &c); err != nil {
		return ""
	}
	return c.Issuer
}

func unauthenticated(msg string) *domain.Error {
	return &domain.Error{Code: domain.EUNAUTHENTICATED, Message: msg}
}

// reason turns a jwt error into a short message. The library's own text can
// quote header values and internal detail, so it never reaches the client.
// Order matters: the library wraps claim failures in ErrTokenInvalidClaims too.
func reason(err error) string {
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return "token expired"
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return "token not yet valid"
	case errors.Is(err, jwt.ErrTokenInvalidIssuer), errors.Is(err, jwt.ErrTokenInvalidAudience):
		return "token not issued for this service"
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return "token missing required claim"
	case errors.Is(err, jwt.ErrTokenMalformed):
		return "malformed token"
	default:
		// Bad signature, wrong algorithm, invalid claim types: one message, so a
		// forger learns nothing about which check failed.
		return "invalid token"
	}
}
