package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	coderws "github.com/coder/websocket"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/lianqi/lianqi/auth"
	"github.com/lianqi/lianqi/domain"
	"github.com/lianqi/lianqi/service"
)

// ErrServerStopping is the cause with which the server cancels its work when it
// shuts down: WebSockets close with 1012 (Service Restart) and requests still
// running when the shutdown timeout passes answer UNAVAILABLE.
var ErrServerStopping = errors.New("the server is shutting down")

// Close codes the server sends on a WebSocket. Clients of graphql-transport-ws
// (graphql-ws, RxDB) retry 1012 and 1013 with backoff; 4400 and 4401 end the
// client's retries until it has a new token, which is what stops reconnect storms.
const (
	CloseServiceRestart = 1012
	CloseTryAgainLater  = 1013
	CloseBadRequest     = 4400
	CloseUnauthorized   = 4401
	CloseForbidden      = 4403
)

// Default subscription caps (Options.MaxSubscriptionsPerSocket / PerUser).
const (
	DefaultMaxSubscriptionsPerSocket = 25
	DefaultMaxSubscriptionsPerUser   = 100
)

// errTokenExpired is the cause of a connection's context when its access token expires.
var errTokenExpired = errors.New("access token expired")

// socket is the state of one WebSocket connection that gqlgen's transport does
// not keep: the close code its end deserves, and its subscriptions.
type socket struct {
	mu sync.Mutex
	// base is the request's context, cancelled with ErrServerStopping at shutdown.
	base context.Context
	// ctx is the connection's context once connection_init succeeded (it
	// ends at token expiry and session revocation).
	ctx context.Context
	// code and reason, when set, replace whatever close the transport sends.
	code   int
	reason string
	// ready is set once connection_init was accepted.
	ready bool
	conn  transport.WebsocketConn
	subs  int
}

type socketKey struct{}

func socketFrom(ctx context.Context) *socket {
	s, _ := ctx.Value(socketKey{}).(*socket)
	return s
}

// refuse fixes the close code and reason the connection will be closed with.
func (s *socket) refuse(code int, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.code == 0 {
		s.code, s.reason = code, closeReason(reason)
	}
}

// closeStatus returns the close code and reason to send instead of what the
// transport chose: gqlgen closes every cancelled connection with 1000
// "terminated", which clients take as the end of their subscriptions.
func (s *socket) closeStatus(code int, reason string) (int, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.code != 0 {
		return s.code, s.reason
	}
	if s.base != nil && errors.Is(context.Cause(s.base), ErrServerStopping) {
		return CloseServiceRestart, "Service Restart"
	}
	if s.ctx != nil && s.ctx.Err() != nil {
		switch cause := context.Cause(s.ctx); {
		case errors.Is(cause, auth.ErrSessionRevoked):
			return CloseUnauthorized, "Unauthorized: session revoked, sign in again"
		case errors.Is(cause, errTokenExpired):
			return CloseUnauthorized, "Unauthorized: access token expired, refresh it and reconnect"
		}
	}
	return code, reason
}

// closeNow closes the connection with the status closeStatus gives; it is for
// connections the transport is not watching yet (waiting for connection_init).
func (s *socket) closeNow() {
	s.mu.Lock()
	c := s.conn
	s.mu.Unlock()
	if c != nil {
		_ = c.WriteClose(transport.WebsocketCloseNormalClosure, "terminated")
	}
}

// closeReason fits a reason into a close frame (at most 123 bytes).
func closeReason(s string) string {
	for len(s) > 123 {
		s = s[:len(s)-1]
	}
	return strings.ToValidUTF8(s, "")
}

// socketImpl accepts WebSockets as gqlgen's coder/websocket adapter does and
// wraps each connection so that its close code says why it closed.
type socketImpl struct {
	inner transport.WebsocketImplementation
	s     *socket
}

func (i socketImpl) Accept(w http.ResponseWriter, r *http.Request, opts transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	c, err := i.inner.Accept(w, r, opts)
	if err != nil {
		return nil, err
	}
	sc := &socketConn{WebsocketConn: c, s: i.s}
	i.s.mu.Lock()
	i.s.conn = sc
	i.s.mu.Unlock()
	if i.s.base.Err() != nil {
		// Upgraded after the shutdown began: say so at once rather than wait
		// for a connection_init.
		i.s.closeNow()
	}
	return sc, nil
}

type socketConn struct {
	transport.WebsocketConn
	s *socket
}

var (
	_ transport.WebsocketReadLimiter   = (*socketConn)(nil)
	_ transport.WebsocketReadDeadliner = (*socketConn)(nil)
)

func (c *socketConn) WriteClose(code int, reason string) error {
	code, reason = c.s.closeStatus(code, reason)
	return c.WebsocketConn.WriteClose(code, reason)
}

func (c *socketConn) SetReadLimit(n int64) {
	if l, ok := c.WebsocketConn.(transport.WebsocketReadLimiter); ok {
		l.SetReadLimit(n)
	}
}

func (c *socketConn) SetReadDeadline(t time.Time) error {
	if d, ok := c.WebsocketConn.(transport.WebsocketReadDeadliner); ok {
		return d.SetReadDeadline(t)
	}
	return nil
}

var errRefused = errors.New("connection refused")

// NextReader looks at what arrives before connection_init was accepted:
// gqlgen drops a connection whose init payload is not an object without a
// close frame, and answers garbage with 1002; graphql-transport-ws wants 4400,
// and 4401 for a subscribe sent before the connection was acknowledged.
func (c *socketConn) NextReader() (int, io.Reader, error) {
	typ, r, err := c.WebsocketConn.NextReader()
	c.s.mu.Lock()
	ready := c.s.ready
	c.s.mu.Unlock()
	if err != nil || ready {
		return typ, r, err
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return typ, nil, err
	}
	var m struct {
		Type    string          `json:"type"`
		Payload json.RawMessage `json:"payload"`
	}
	switch {
	case json.Unmarshal(b, &m) != nil:
		c.s.refuse(CloseBadRequest, "Bad Request: the message is not JSON")
		return typ, nil, errRefused
	case m.Type == "connection_init":
		if p := bytes.TrimSpace(m.Payload); len(p) > 0 && p[0] != '{' && !bytes.Equal(p, []byte("null")) {
			c.s.refuse(CloseBadRequest, "Bad Request: the connection_init payload must be an object")
			return typ, nil, errRefused
		}
	case m.Type == "subscribe" || m.Type == "start":
		c.s.refuse(CloseUnauthorized, "Unauthorized: send connection_init with an access token first")
		return typ, nil, errRefused
	}
	return typ, bytes.NewReader(b), nil
}

// wsTransport is gqlgen's WebSocket transport with a socket per connection:
// the server's shutdown closes it with 1012 and the close codes say why a
// connection ended.
type wsTransport struct {
	transport.Websocket
	stopping context.Context
}

func (t wsTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	s := &socket{}
	ctx, cancel := context.WithCancelCause(context.WithValue(r.Context(), socketKey{}, s))
	defer cancel(nil)
	s.base = ctx
	if t.stopping != nil {
		// Cancel first, so that the transport sends no "complete" for the
		// subscriptions (clients would take it as their end), then close:
		// a connection still waiting for connection_init is not watching its context.
		stop := context.AfterFunc(t.stopping, func() {
			cancel(ErrServerStopping)
			s.closeNow()
		})
		defer stop()
	}
	ws := t.Websocket
	ws.Implementation = socketImpl{inner: t.Implementation, s: s}
	ws.Do(w, r.WithContext(ctx), exec)
}

// websocketTransport serves subscriptions over graphql-transport-ws (and the
// older graphql-ws). Browsers cannot set headers on a WebSocket, so the access
// token travels in the connection_init payload (initAuthorization lists the
// accepted shapes); the connection closes with 4401 when that token expires or
// its session is revoked.
func websocketTransport(opts Options, revocations *auth.Revocations) wsTransport {
	var hosts []string
	for _, o := range opts.AllowedOrigins {
		if u, err := url.Parse(o); err == nil && u.Host != "" {
			hosts = append(hosts, u.Host)
		}
	}
	return wsTransport{stopping: opts.Stopping, Websocket: transport.Websocket{
		Implementation:        transport.CoderWebsocketImplementation{AcceptOptions: coderws.AcceptOptions{OriginPatterns: hosts}},
		InitTimeout:           10 * time.Second,
		KeepAlivePingInterval: 15 * time.Second,
		InitFunc: func(ctx context.Context, payload transport.InitPayload) (context.Context, *transport.InitPayload, error) {
			s := socketFrom(ctx)
			refuse := func(code int, reason string) (context.Context, *transport.InitPayload, error) {
				reason = closeReason(reason)
				ctx = transport.AppendCloseReason(transport.WithWebsocketCloseCode(ctx, code), reason)
				return ctx, nil, errors.New(reason)
			}
			header, err := initAuthorization(payload)
			switch {
			case err != nil:
				return refuse(CloseBadRequest, "Bad Request: "+err.Error())
			case header == "":
				return refuse(CloseUnauthorized, `Unauthorized: no access token in the connection_init payload (send {"Authorization": "Bearer <token>"})`)
			case opts.Tokens == nil:
				return refuse(CloseForbidden, "Forbidden: subscriptions are not enabled")
			}
			ctx = opts.Tokens.WithAuthorization(ctx, header)
			p, err := auth.Authenticate(ctx)
			if err != nil {
				return refuse(closeCodeFor(err), closeTitle(closeCodeFor(err))+": "+errorMessage(err))
			}
			if p.Role == domain.RoleDashboard && !p.Holds(domain.GrantStatsRead) {
				// Of the subscriptions only statsChanged is open to dashboard tokens.
				return refuse(CloseForbidden, "Forbidden: this dashboard token grants no subscription (statsChanged needs STATS_READ)")
			}
			// A socket is one request of the caller's budget, counted per user:
			// counted per address before the token is read, a client with a bad
			// token would be told "429" instead of why its token was refused.
			if opts.Allow != nil {
				if ok, wait := opts.Allow("user:" + p.UserID); !ok {
					return refuse(CloseTryAgainLater, fmt.Sprintf("Try Again Later: too many requests; retry in %d seconds", int(wait.Seconds())+1))
				}
			}
			// The connection's context ends with the request; the deadline's
			// timer is released then too.
			ctx, cancel := context.WithDeadlineCause(ctx, p.ExpiresAt, errTokenExpired)
			context.AfterFunc(ctx, cancel)
			// Logout or revocation of the session cancels it at once.
			if ctx, err = revocations.Track(ctx, p); err != nil {
				return refuse(closeCodeFor(err), closeTitle(closeCodeFor(err))+": "+errorMessage(err))
			}
			if s != nil {
				s.mu.Lock()
				s.ctx, s.ready = ctx, true
				s.mu.Unlock()
			}
			// Only the older graphql-ws protocol sends this (as connection_error);
			// graphql-transport-ws clients read the close code and reason.
			return transport.AppendCloseReason(ctx, "connection closed by the server"), nil, nil
		},
	}}
}

// initAuthorization finds the Authorization value in a connection_init payload
// in the shapes common clients send: {"Authorization": "Bearer <t>"} (or
// lower case), {"headers": {"Authorization": "Bearer <t>"}} (RxDB) and
// {"token": "<t>"} with or without the scheme. It reports "" when there is no
// token and an error when the payload has the keys with values of the wrong type.
func initAuthorization(payload transport.InitPayload) (string, error) {
	str := func(m map[string]any, key string) (string, bool, error) {
		v, ok := m[key]
		if !ok || v == nil {
			return "", false, nil
		}
		s, ok := v.(string)
		if !ok {
			return "", false, fmt.Errorf("%q in the connection_init payload must be a string", key)
		}
		return s, s != "", nil
	}
	header := func(m map[string]any) (string, bool, error) {
		for _, k := range []string{"Authorization", "authorization"} {
			if v, ok, err := str(m, k); ok || err != nil {
				return v, ok, err
			}
		}
		return "", false, nil
	}
	if v, ok, err := header(payload); ok || err != nil {
		return v, err
	}
	if h, ok := payload["headers"]; ok && h != nil {
		m, ok := h.(map[string]any)
		if !ok {
			return "", errors.New(`"headers" in the connection_init payload must be an object`)
		}
		if v, ok, err := header(m); ok || err != nil {
			return v, err
		}
	}
	tok, ok, err := str(payload, "token")
	if !ok || err != nil {
		return "", err
	}
	if scheme, _, found := strings.Cut(strings.TrimSpace(tok), " "); found && strings.EqualFold(scheme, "Bearer") {
		return tok, nil
	}
	return "Bearer " + tok, nil
}

// closeCodeFor maps a refused init's error to a close code.
func closeCodeFor(err error) int {
	switch domain.ErrorCode(err) {
	case domain.EUNAUTHENTICATED:
		return CloseUnauthorized
	case domain.EFORBIDDEN:
		return CloseForbidden
	case domain.EINVALID:
		return CloseBadRequest
	}
	// Anything else is the server's trouble (a store read failed): worth retrying.
	return CloseTryAgainLater
}

func closeTitle(code int) string {
	switch code {
	case CloseUnauthorized:
		return "Unauthorized"
	case CloseForbidden:
		return "Forbidden"
	case CloseBadRequest:
		return "Bad Request"
	}
	return "Try Again Later"
}

func errorMessage(err error) string {
	var de *domain.Error
	if errors.As(err, &de) && de.Code != domain.EINTERNAL {
		return de.Message
	}
	return "the server could not check the token"
}

// subscriptionCaps bounds the live subscriptions of one socket and of one user
// (across all their sockets): each holds a watcher that wakes on every commit.
type subscriptionCaps struct {
	perSocket, perUser int
	allow              func(key string) (bool, time.Duration)
	// refused, if set, is told when a cap refuses a subscription (for metrics).
	refused func()

	mu    sync.Mutex
	users map[string]int
}

func newSubscriptionCaps(perSocket, perUser int, allow func(string) (bool, time.Duration)) *subscriptionCaps {
	if perSocket <= 0 {
		perSocket = DefaultMaxSubscriptionsPerSocket
	}
	if perUser <= 0 {
		perUser = DefaultMaxSubscriptionsPerUser
	}
	return &subscriptionCaps{perSocket: perSocket, perUser: perUser, allow: allow, users: map[string]int{}}
}

// around refuses a subscription over the caps with a graphql-transport-ws
// "error" message (extensions.code TOO_MANY_SUBSCRIPTIONS); the socket and its
// other subscriptions stay. A slot is freed when its subscription ends,
// whatever ends it.
func (c *subscriptionCaps) around(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	s := socketFrom(ctx)
	p := domain.PrincipalFrom(ctx)
	if s == nil || p == nil || oc.Operation == nil || oc.Operation.Operation != ast.Subscription {
		return next(ctx)
	}
	refuse := func(code, msg string, ext map[string]any) graphql.ResponseHandler {
		if code == "TOO_MANY_SUBSCRIPTIONS" && c.refused != nil {
			c.refused()
		}
		e := &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": code}}
		for k, v := range ext {
			e.Extensions[k] = v
		}
		// Sent as is, not through the error presenter.
		if id := service.RequestID(ctx); id != "" {
			e.Extensions["requestId"] = id
		}
		transport.AddSubscriptionError(ctx, e)
		return func(context.Context) *graphql.Response { return nil }
	}
	if c.allow != nil {
		if ok, wait := c.allow("user:" + p.UserID); !ok {
			secs := int(wait.Seconds()) + 1
			return refuse(Codes[domain.ERATELIMITED], fmt.Sprintf("too many requests; retry in %d seconds", secs), map[string]any{"retryAfter": secs})
		}
	}
	c.mu.Lock()
	switch {
	case s.subs >= c.perSocket:
		c.mu.Unlock()
		return refuse("TOO_MANY_SUBSCRIPTIONS", fmt.Sprintf("too many subscriptions on this connection (at most %d); complete one first", c.perSocket), map[string]any{"limit": c.perSocket})
	case c.users[p.UserID] >= c.perUser:
		c.mu.Unlock()
		return refuse("TOO_MANY_SUBSCRIPTIONS", fmt.Sprintf("too many subscriptions for this user (at most %d over all connections); complete one first", c.perUser), map[string]any{"limit": c.perUser})
	}
	s.subs++
	c.users[p.UserID]++
	c.mu.Unlock()
	context.AfterFunc(ctx, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		s.subs--
		if c.users[p.UserID]--; c.users[p.UserID] <= 0 {
			delete(c.users, p.UserID)
		}
	})
	return next(ctx)
}
