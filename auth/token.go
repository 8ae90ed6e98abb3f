// Package auth issues and verifies access tokens, hashes passwords, attaches the caller to requests and implements the schema's authorization directive.
package auth

import (
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
	Secret    []byte           // HS256 key, at least MinSecretLen bytes
	Issuer    string           // default "lianqi"
	Audience  string           // default "lianqi-api"
	AccessTTL time.Duration    // default 15 * time.Minute
	Leeway    time.Duration    // default 30 * time.Second
	Now       func() time.Time // default time.Now; tests override
}

// Tokens issues and verifies access tokens. It is safe for concurrent use.
type Tokens struct {
	secret   []byte
	issuer   string
	audience string
	ttl      time.Duration
	now      func() time.Time
	parser   *jwt.Parser
}

// claims is the wire form of a domain.Principal. Short names keep the token,
// which travels on every request, small.
type claims struct {
	Name string      `json:"name"`
	Role domain.Role `json:"role"`
	OID  string      `json:"oid,omitempty"`
	EID  string      `json:"eid,omitempty"`
	jwt.RegisteredClaims
}

// NewTokens validates cfg and fills in defaults.
func NewTokens(cfg Config) (*Tokens, error) {
	if len(cfg.Secret) < MinSecretLen {
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
	t := &Tokens{
		// Copied so a caller reusing its buffer cannot change the key under us.
		secret:   append([]byte(nil), cfg.Secret...),
		issuer:   cfg.Issuer,
		audience: cfg.Audience,
		ttl:      cfg.AccessTTL,
		now:      cfg.Now,
	}
	t.parser = jwt.NewParser(
		// Pinning the algorithm defeats alg=none and the HS/RS key-confusion attack.
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
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

// Issue returns a signed HS256 JWT for p and the moment it stops being accepted
// (not counting leeway).
func (t *Tokens) Issue(p domain.Principal) (token string, expiresAt time.Time, err error) {
	if p.UserID == "" {
		return "", time.Time{}, errors.New("auth: cannot issue a token without a user ID")
	}
	if !p.Role.IsValid() {
		return "", time.Time{}, fmt.Errorf("auth: cannot issue a token for unknown role %q", p.Role)
	}
	now := t.now()
	// NumericDate drops sub-second precision; report the exp actually in the token.
	exp := jwt.NewNumericDate(now.Add(t.ttl))
	c := claims{
		Name: p.Username,
		Role: p.Role,
		OID:  p.OfficialID,
		EID:  p.EnterpriseID,
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   p.UserID,
			Issuer:    t.issuer,
			Audience:  jwt.ClaimStrings{t.audience},
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: exp,
			// A unique ID lets a future revocation list name one token.
			ID: rand.Text(),
		},
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(t.secret)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("auth: sign token: %w", err)
	}
	return s, exp.Time, nil
}

// Verify checks token and returns the caller it names. Every failure is an
// EUNAUTHENTICATED *domain.Error whose message is safe to show a client.
func (t *Tokens) Verify(token string) (*domain.Principal, error) {
	if token == "" {
		return nil, unauthenticated("missing token")
	}
	if len(token) > MaxTokenLen {
		return nil, unauthenticated("token too large")
	}
	var c claims
	_, err := t.parser.ParseWithClaims(token, &c, func(tok *jwt.Token) (any, error) {
		// WithValidMethods already checks the header's alg; this also pins the
		// implementation, so a look-alike method registered elsewhere cannot slip in.
		if tok.Method != jwt.SigningMethodHS256 {
			return nil, jwt.ErrTokenSignatureInvalid
		}
		return t.secret, nil
	})
	if err != nil {
		return nil, unauthenticated(reason(err))
	}
	if c.Subject == "" {
		return nil, unauthenticated("invalid token")
	}
	if !c.Role.IsValid() {
		return nil, unauthenticated("invalid token role")
	}
	return &domain.Principal{
		UserID:       c.Subject,
		Username:     c.Name,
		Role:         c.Role,
		OfficialID:   c.OID,
		EnterpriseID: c.EID,
		ExpiresAt:    c.ExpiresAt.Time,
	}, nil
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
