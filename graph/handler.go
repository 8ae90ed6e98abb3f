package graph

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/lianqi/lianqi/auth"
	"github.com/lianqi/lianqi/domain"
	"github.com/lianqi/lianqi/service"
	lqsync "github.com/lianqi/lianqi/sync"
)

// Options configure the GraphQL endpoint.
type Options struct {
	// Introspection is who may introspect the schema: "all", "admin" or "off".
	Introspection string
	// Suggestions keeps "did you mean …" hints in validation errors; they
	// leak field names, so production turns them off.
	Suggestions bool
	// MaxDepth and MaxCost bound each operation (see limits).
	MaxDepth, MaxCost int
	Log               *slog.Logger
	// MaxQueryBytes, MaxTokens and MaxSelections bound the query document
	// before it is validated; 0 means the Default… value.
	MaxQueryBytes, MaxTokens, MaxSelections int
	// MaxExpensive and MaxExpensivePerUser bound the expensive resolvers
	// (listings, statistics, rankings, pulls) running at once, overall and
	// per caller; over them a call waits ExpensiveWait, then is refused with
	// RATE_LIMITED. 0 means the default (4, 2 and 3s).
	MaxExpensive, MaxExpensivePerUser int
	ExpensiveWait                     time.Duration
	// Expensive, when set, is the gate to use instead of one made from the
	// three settings above: the server shares it with the exports.
	Expensive *Gate
	// Tokens verifies the access token sent in a WebSocket's connection_init
	// payload; without it subscriptions are refused.
	Tokens *auth.Tokens
	// AllowedOrigins are the browser origins (scheme://host[:port]) allowed to
	// open WebSockets besides the server's own.
	AllowedOrigins []string
	// Stopping ends when the server shuts down: every WebSocket then closes
	// with 1012 (Service Restart) and no "complete", so clients resume.
	Stopping context.Context
	// MaxSubscriptionsPerSocket and MaxSubscriptionsPerUser cap live
	// subscriptions (0: the defaults).
	MaxSubscriptionsPerSocket, MaxSubscriptionsPerUser int
	// PersistedQueries, if set, is the allow-list: callers other than admins
	// run only its operations. Without it any operation runs, and clients may
	// still use automatic persisted queries.
	PersistedQueries *Manifest
	// APQCacheBytes bounds the automatic persisted query cache (0: DefaultAPQCacheBytes).
	APQCacheBytes int
	// Allow takes one request from a caller's budget (key "user:<id>"): each
	// WebSocket and each subscription is one. Nil allows all.
	Allow func(key string) (bool, time.Duration)
	// Observer is told about operations, expensive fields, subscriptions,
	// sync batches and refusals (metrics, traces, the access log); nil
	// observes nothing.
	Observer Observer
}

// NewHandler returns the /graphql endpoint: POST for queries and mutations, GET
// for queries. Callers wrap it with the auth middleware.
func NewHandler(svc *service.Service, opts Options) http.Handler {
	log := opts.Log
	if log == nil {
		log = slog.Default()
	}
	cfg := Config{Resolvers: &Resolver{Svc: svc, Sync: lqsync.New(svc)}}
	cfg.Directives.HasRole = hasRole
	cfg.Directives.Grant = grant
	schema := NewExecutableSchema(cfg)
	srv := handler.New(schema)
	srv.AddTransport(otherUpgrade{})
	srv.AddTransport(websocketTransport(opts, svc.Revocations))
	srv.AddTransport(transport.Options{})
	srv.AddTransport(getTransport{})
	srv.AddTransport(postTransport{})
	srv.AddTransport(refusedTransport{})
	validated := lru.New[*ast.QueryDocument](1000)
	srv.SetQueryCache(validated)
	obs := opts.Observer
	if obs == nil {
		obs = noObserver{}
	}
	expensive := opts.Expensive
	if expensive == nil {
		expensive = NewGate(opts.MaxExpensive, opts.MaxExpensivePerUser, opts.ExpensiveWait)
	}
	expensive.g.refused = func() { obs.Refused("expensive") }
	// Outermost, so that the operation's span (if traced) is the parent of
	// everything the resolvers do.
	srv.AroundResponses(observeResponses(obs))
	// Every response gets fresh loaders and a fresh scope memo. For queries and
	// mutations that is what Middleware already gave the request; a subscription
	// lives as long as its connection and sends many responses, each of which
	// must read the records (and the caller's scope) as they are now.
	srv.AroundResponses(func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		ctx = context.WithValue(ctx, loadersKey{}, newLoaders(svc, expensive.g))
		return next(service.WithScopeMemo(ctx))
	})
	if opts.MaxDepth == 0 {
		opts.MaxDepth = 12
	}
	if opts.MaxCost == 0 {
		opts.MaxCost = 5000
	}
	if opts.Introspection == "" {
		opts.Introspection = "off"
	}
	opts.MaxQueryBytes = cmp.Or(opts.MaxQueryBytes, DefaultMaxQueryBytes)
	opts.MaxTokens = cmp.Or(opts.MaxTokens, DefaultMaxTokens)
	opts.MaxSelections = cmp.Or(opts.MaxSelections, DefaultMaxSelections)
	// Before the limits: a hash-only request has its document only after this.
	srv.Use(persistedQueries{cache: newQueryCache(cmp.Or(opts.APQCacheBytes, DefaultAPQCacheBytes)),
		allow: opts.PersistedQueries, maxQueryBytes: opts.MaxQueryBytes})
	srv.Use(limits{MaxDepth: opts.MaxDepth, MaxCost: opts.MaxCost, Introspection: opts.Introspection,
		MaxQueryBytes: opts.MaxQueryBytes, MaxTokens: opts.MaxTokens, MaxSelections: opts.MaxSelections, Validated: validated})
	// The limits extension counts tokens first and refuses with a clearer
	// code; this keeps gqlgen's own parse bounded even without it.
	srv.SetParserTokenLimit(opts.MaxTokens)
	srv.SetDisableSuggestion(!opts.Suggestions)
	srv.AroundFields(dashboardGate(schema.Schema()))
	srv.AroundFields(expensive.g.middleware)
	// Inside the gate: the time a resolver works, not the time it queued.
	srv.AroundFields(observeFields(obs))
	srv.AroundRootFields(func(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
		if p := domain.PrincipalFrom(ctx); p != nil && p.Role == domain.RoleDashboard {
			svc.RecordDashboardUse(ctx, []string{graphql.GetRootFieldContext(ctx).Field.Name})
		}
		return next(ctx)
	})
	srv.SetErrorPresenter(errorPresenter(log))
	caps := newSubscriptionCaps(opts.MaxSubscriptionsPerSocket, opts.MaxSubscriptionsPerUser, opts.Allow)
	caps.refused = func() { obs.Refused("subscriptions") }
	srv.AroundOperations(caps.around)
	srv.AroundOperations(observeSubscriptions(obs))
	srv.SetRecoverFunc(func(ctx context.Context, v any) error {
		log.ErrorContext(ctx, "panic in resolver", "panic", fmt.Sprint(v))
		return domain.Errorf(domain.EINTERNAL, "internal error")
	})
	return Middleware(svc, expensive, srv)
}

// Codes maps domain error codes to GraphQL extensions.code values.
var Codes = map[string]string{
	domain.EINVALID:         "BAD_USER_INPUT",
	domain.ENOTFOUND:        "NOT_FOUND",
	domain.ECONFLICT:        "CONFLICT",
	domain.EUNAUTHENTICATED: "UNAUTHENTICATED",
	domain.EFORBIDDEN:       "FORBIDDEN",
	domain.EINTERNAL:        "INTERNAL_SERVER_ERROR",
	domain.ERATELIMITED:     "RATE_LIMITED",
	domain.EUPGRADE:         "UPGRADE_REQUIRED",
	domain.EEXPIRED:         "CHECKPOINT_EXPIRED",
}

// errorPresenter gives every error a code. Domain errors keep their message (and
// name the bad field), in the caller's language (i18n.go: zh-CN unless
// Accept-Language prefers English; the English always in
// extensions.messageEn); errors gqlgen raises itself (parse, validation) pass
// through; anything else is an internal error, logged here once and masked.
func errorPresenter(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gerr := graphql.DefaultErrorPresenter(ctx, err)
		var de *domain.Error
		switch {
		case errors.Is(context.Cause(ctx), ErrServerStopping):
			// Cancelled by the shutdown: whatever broke, it is not a fault to log.
			gerr.Message = "the server is shutting down; retry the request"
			gerr.Extensions = map[string]any{"code": "UNAVAILABLE"}
		case errors.As(err, &de):
			if de.Code == domain.EINTERNAL {
				log.ErrorContext(ctx, "internal error", "err", err, "path", gerr.Path.String())
				gerr.Message = "internal error"
			} else {
				gerr.Message = de.Message
			}
			gerr.Extensions = map[string]any{"code": Codes[de.Code]}
			if field := inputField(gerr, de); field != "" {
				gerr.Extensions["field"] = field
			}
			gerr.Message = localize(ctx, gerr.Message, de, gerr.Extensions)
		case gerr.Err == nil || isGQLError(gerr.Err):
			// Raised by gqlgen itself, with a safe message and mostly a code
			// (parse, validation). One without a code is still given one: a
			// request-level error is the caller's, an error on a field is a
			// fault of ours (a null where the schema promises a value).
			if _, ok := gerr.Extensions["code"].(string); !ok {
				code := codeBadRequest
				if len(gerr.Path) > 0 {
					log.ErrorContext(ctx, "internal error", "err", gerr.Message, "path", gerr.Path.String())
					code = Codes[domain.EINTERNAL]
				}
				if gerr.Extensions == nil {
					gerr.Extensions = map[string]any{}
				}
				gerr.Extensions["code"] = code
			}
		case isArgumentError(ctx, gerr):
			// A literal validation lets through but the argument's type cannot
			// take (an object for an Int): the caller's mistake, not ours.
			gerr.Message = "invalid value for argument " + gerr.Path.String()
			gerr.Extensions = map[string]any{"code": Codes[domain.EINVALID], "field": gerr.Path.String()}
		case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
			gerr.Message = "request cancelled or timed out"
			gerr.Extensions = map[string]any{"code": "TIMEOUT"}
		default:
			log.ErrorContext(ctx, "internal error", "err", err, "path", gerr.Path.String())
			gerr.Extensions = map[string]any{"code": Codes[domain.EINTERNAL]}
			gerr.Message = localize(ctx, "internal error", nil, gerr.Extensions)
		}
		if id := service.RequestID(ctx); id != "" {
			// A copy: gqlgen may hand the same error to several responses.
			ext := maps.Clone(gerr.Extensions)
			if ext == nil {
				ext = map[string]any{}
			}
			ext["requestId"] = id
			gerr.Extensions = ext
		}
		return gerr
	}
}

// isArgumentError reports whether gerr was raised while gqlgen unmarshalled
// the arguments of the field being resolved: its path goes on from the
// field's own path into one of the field's arguments.
func isArgumentError(ctx context.Context, gerr *gqlerror.Error) bool {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Definition == nil {
		return false
	}
	own := fc.Path()
	if len(gerr.Path) <= len(own) {
		return false
	}
	for i, el := range own {
		if gerr.Path[i] != el {
			return false
		}
	}
	name, ok := gerr.Path[len(own)].(ast.PathName)
	return ok && fc.Field.Definition.Arguments.ForName(string(name)) != nil
}

func isGQLError(err error) bool {
	var g *gqlerror.Error
	return errors.As(err, &g) && g.Err == nil
}

// inputField names the input that was wrong: the domain error's field, or for a
// value gqlgen could not parse, the argument path it reports.
func inputField(gerr *gqlerror.Error, de *domain.Error) string {
	if de.Field != "" {
		return de.Field
	}
	if de.Code == domain.EINVALID && len(gerr.Path) > 0 {
		return gerr.Path.String()
	}
	return ""
}
