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

type requestIDKey struct{}

// WithRequestID records the id the HTTP layer gave the request, for log
// lines and error extensions.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the id recorded by WithRequestID, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}
