package graph

import (
	"context"
	"reflect"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// Observer is told what the endpoint does, for metrics, traces and the access
// log. The server implements it (package observe); graph knows no metrics or
// tracing library. Methods are called concurrently and must be cheap.
type Observer interface {
	// Operation is called when a response starts being made: for a query or
	// mutation, before its resolvers run; for a request refused before an
	// operation was chosen (parse or validation errors), with kind "". The
	// returned context is the one the resolvers get (a span may be in it);
	// done is called with the response's error codes.
	Operation(ctx context.Context, name, kind string, start time.Time) (_ context.Context, done func(codes []string))
	// Field reports how long an expensive field's resolver took (see fieldCosts).
	Field(ctx context.Context, field string, took time.Duration)
	// Subscriptions moves the count of running subscriptions by delta.
	Subscriptions(delta int)
	// SyncPull reports a pull batch of n documents of a collection.
	SyncPull(collection string, n int)
	// SyncPush reports a push of rows, of which conflicts were answered with
	// the server's master and rejected were refused.
	SyncPush(collection string, rows, conflicts, rejected int)
	// Refused reports a refusal by a limiter ("expensive", "subscriptions").
	Refused(limiter string)
}

type noObserver struct{}

func (noObserver) Operation(ctx context.Context, _, _ string, _ time.Time) (context.Context, func([]string)) {
	return ctx, func([]string) {}
}
func (noObserver) Field(context.Context, string, time.Duration) {}
func (noObserver) Subscriptions(int)                            {}
func (noObserver) SyncPull(string, int)                         {}
func (noObserver) SyncPush(string, int, int, int)               {}
func (noObserver) Refused(string)                               {}

// observeResponses reports each query's or mutation's response (and each
// refusal before an operation was chosen) with its error codes. Subscription
// events are not operations of their own: the subscription is counted by
// observeSubscriptions.
func observeResponses(obs Observer) graphql.ResponseMiddleware {
	return func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		name, kind, start := "invalid", "", time.Now()
		if graphql.HasOperationContext(ctx) {
			oc := graphql.GetOperationContext(ctx)
			if !oc.Stats.OperationStart.IsZero() {
				start = oc.Stats.OperationStart
			}
			if oc.Operation != nil {
				name, kind = oc.Operation.Name, string(oc.Operation.Operation)
			}
		}
		if kind == string(ast.Subscription) {
			return next(ctx)
		}
		ctx, done := obs.Operation(ctx, name, kind, start)
		resp := next(ctx)
		var codes []string
		if resp != nil {
			for _, e := range resp.Errors {
				c, _ := e.Extensions["code"].(string)
				codes = append(codes, c)
			}
		}
		done(codes)
		return resp
	}
}

// observeSubscriptions counts the subscriptions running, and reports each
// one's start as an operation (its latency is the time to set it up; its
// events are not operations). It sits inside the subscription caps, so a
// refused subscription is never counted.
func observeSubscriptions(obs Observer) graphql.OperationMiddleware {
	return func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		oc := graphql.GetOperationContext(ctx)
		if oc.Operation == nil || oc.Operation.Operation != ast.Subscription {
			return next(ctx)
		}
		obs.Subscriptions(1)
		context.AfterFunc(ctx, func() { obs.Subscriptions(-1) })
		// Its span covers the set-up only; the events that follow for hours
		// are not its children.
		_, done := obs.Operation(ctx, oc.Operation.Name, string(ast.Subscription), time.Now())
		defer done(nil)
		return next(ctx)
	}
}

// observeFields times the expensive fields' resolvers (those with a weight in
// fieldCosts or a connection type: the label's values are bounded by the
// schema) and reports sync pulls and pushes by their results.
func observeFields(obs Observer) graphql.FieldMiddleware {
	return func(ctx context.Context, next graphql.Resolver) (any, error) {
		fc := graphql.GetFieldContext(ctx)
		if fc == nil || !fc.IsResolver || fc.Field.Field == nil {
			return next(ctx)
		}
		timed := weight(fc.Field.Field) >= scanCost
		root := fc.Object == "Query" || fc.Object == "Mutation"
		if !timed && !root {
			return next(ctx)
		}
		start := time.Now()
		res, err := next(ctx)
		if timed {
			obs.Field(ctx, fc.Object+"."+fc.Field.Name, time.Since(start))
		}
		if root && err == nil {
			observeSync(obs, fc, res)
		}
		return res, err
	}
}

// observeSync reports a pullX or pushX result: the batch's Documents, the push
// result's Conflicts and Rejected (each collection has its own Go types, all
// with these fields).
func observeSync(obs Observer, fc *graphql.FieldContext, res any) {
	name := fc.Field.Name
	var pull bool
	switch {
	case strings.HasPrefix(name, "pull"):
		pull = true
	case strings.HasPrefix(name, "push"):
	default:
		return
	}
	v := reflect.ValueOf(res)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return
	}
	v = v.Elem()
	count := func(field string) int {
		if f := v.FieldByName(field); f.IsValid() && f.Kind() == reflect.Slice {
			return f.Len()
		}
		return 0
	}
	coll := collectionOf(name[len("pull"):])
	if pull {
		obs.SyncPull(coll, count("Documents"))
		return
	}
	rows := 0
	if r := reflect.ValueOf(fc.Args["rows"]); r.Kind() == reflect.Slice {
		rows = r.Len()
	}
	obs.SyncPush(coll, rows, count("Conflicts"), count("Rejected"))
}

// collectionOf turns "ProgressNotes" into the collection name "progressNotes".
func collectionOf(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToLower(r)) + s[n:]
}
