package auth

import (
	"context"
	"net/http"
	"strings"

	"github.com/lianqi/lianqi/domain"
)

type tokenErrorKey struct{}

// Middleware attaches the caller named by "Authorization: Bearer <token>" to
// the request context. It never rejects a request: which operations need a
// caller is the schema's business, and login must keep working for a client
// that still holds a stale token. A bad token is recorded instead (see
// TokenError) so that those operations can say why they refused.
func (t *Tokens) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		values := r.Header.Values("Authorization")
		switch len(values) {
		case 0:
			next.ServeHTTP(w, r)
			return
		case 1:
			next.ServeHTTP(w, r.WithContext(t.WithAuthorization(r.Context(), values[0])))
		default:
			// Proxies may join or pick either copy; refuse to guess which one counts.
			ctx := withTokenError(r.Context(), unauthenticated("multiple Authorization headers"))
			next.ServeHTTP(w, r.WithContext(ctx))
		}
	})
}

// WithAuthorization does Middleware's work for one Authorization header value,
// for transports without HTTP headers (such as a WebSocket init payload). An
// empty value leaves ctx anonymous.
func (t *Tokens) WithAuthorization(ctx context.Context, header string) context.Context {
	if header == "" {
		return ctx
	}
	scheme, token, _ := strings.Cut(strings.TrimSpace(header), " ")
	// RFC 9110 makes the scheme name case-insensitive.
	if !strings.EqualFold(scheme, "Bearer") {
		return withTokenError(ctx, unauthenticated("unsupported authorization scheme, use Bearer"))
	}
	p, err := t.VerifyContext(ctx, strings.TrimSpace(token))
	if err != nil {
		return withTokenError(ctx, err)
	}
	return domain.WithPrincipal(ctx, p)
}

func withTokenError(ctx context.Context, err error) context.Context {
	return context.WithValue(ctx, tokenErrorKey{}, err)
}

// TokenError returns the verification error recorded by Middleware, or nil.
func TokenError(ctx context.Context) error {
	err, _ := ctx.Value(tokenErrorKey{}).(error)
	return err
}

// Authenticate returns the caller, or an EUNAUTHENTICATED error that says why
// there is none: the recorded token problem if any, else that a token is needed.
func Authenticate(ctx context.Context) (*domain.Principal, error) {
	if p := domain.PrincipalFrom(ctx); p != nil {
		return p, nil
	}
	if err := TokenError(ctx); err != nil {
		return nil, err
	}
	return domain.RequirePrincipal(ctx)
}
