package service

import "context"

type clientIPKey struct{}

// WithClientIP records the caller's network address for rate limits and the
// audit log. The HTTP layer sets it from the connection, not from headers a
// client could forge.
func WithClientIP(ctx context.Context, ip string) context.Context {
	return context.WithValue(ctx, clientIPKey{}, ip)
}

// ClientIP returns the address recorded by WithClientIP, or "".
func ClientIP(ctx context.Context) string {
	ip, _ := ctx.Value(clientIPKey{}).(string)
	return ip
}
