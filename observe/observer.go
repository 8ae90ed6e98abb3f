package observe

import (
	"context"
	"strings"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/event"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// Observer records what the server does as metrics and spans. It implements
// graph.Observer; CommandMonitor gives the database driver's hook. Either
// half may be missing: a nil Metrics records no metrics, a nil Tracer makes
// no spans.
type Observer struct {
	Metrics *Metrics
	Tracer  trace.Tracer

	spans sync.Map // commandKey → trace.Span, from a command's start to its end
}

// Operation starts the span of a GraphQL query or mutation (a child of the
// HTTP request's span) and, when it is done, records its latency and error
// codes.
func (o *Observer) Operation(ctx context.Context, name, kind string, start time.Time) (context.Context, func([]string)) {
	var span trace.Span
	if o.Tracer != nil && kind != "" {
		spanName := kind
		if name != "" {
			spanName += " " + name
		}
		ctx, span = o.Tracer.Start(ctx, spanName, trace.WithTimestamp(start), trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(attribute.String("graphql.operation.type", kind), attribute.String("graphql.operation.name", name)))
	}
	return ctx, func(errCodes []string) {
		o.Metrics.Operation(name, kind, time.Since(start), errCodes)
		if span == nil {
			return
		}
		if len(errCodes) > 0 {
			span.SetAttributes(attribute.StringSlice("graphql.error.codes", errCodes))
			span.SetStatus(codes.Error, errCodes[0])
		}
		span.End()
	}
}

// Field records an expensive field's resolver time.
func (o *Observer) Field(_ context.Context, field string, took time.Duration) {
	o.Metrics.Field(field, took)
}

// Subscriptions moves the open-subscriptions gauge.
func (o *Observer) Subscriptions(delta int) { o.Metrics.Subscriptions(delta) }

// SyncPull records a pull batch.
func (o *Observer) SyncPull(collection string, n int) { o.Metrics.SyncPull(collection, n) }

// SyncPush records a push.
func (o *Observer) SyncPush(collection string, rows, conflicts, rejected int) {
	o.Metrics.SyncPush(collection, rows, conflicts, rejected)
}

// Refused counts a refusal by a limiter.
func (o *Observer) Refused(limiter string) { o.Metrics.Refused(limiter) }

// commandKey identifies a command between its started and finished events.
type commandKey struct {
	conn string
	id   int64
}

// CommandMonitor returns the driver hook that times every database command
// and, for commands run on behalf of a traced request, makes a client span
// under the request's current span. Commands outside a trace (the background
// reload of revoked sessions, start-up) get no span: they would each be a
// trace of their own. The span carries the command and collection, never the
// command's document (it holds people's data).
func (o *Observer) CommandMonitor() *event.CommandMonitor {
	return &event.CommandMonitor{
		Started: func(ctx context.Context, e *event.CommandStartedEvent) {
			if o.Tracer == nil || !trace.SpanContextFromContext(ctx).IsValid() {
				return
			}
			attrs := []attribute.KeyValue{attribute.String("db.system", "mongodb"), attribute.String("db.namespace", e.DatabaseName),
				attribute.String("db.operation.name", e.CommandName)}
			spanName := e.CommandName
			if v, err := e.Command.IndexErr(0); err == nil {
				if coll, ok := v.Value().StringValueOK(); ok && coll != "" && !strings.ContainsAny(coll, "\x00") {
					attrs = append(attrs, attribute.String("db.collection.name", coll))
					spanName += " " + coll
				}
			}
			_, span := o.Tracer.Start(ctx, spanName, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
			o.spans.Store(commandKey{e.ConnectionID, e.RequestID}, span)
		},
		Succeeded: func(_ context.Context, e *event.CommandSucceededEvent) {
			o.Metrics.Command(e.CommandName, e.Duration, false)
			o.endSpan(e.ConnectionID, e.RequestID, nil)
		},
		Failed: func(_ context.Context, e *event.CommandFailedEvent) {
			o.Metrics.Command(e.CommandName, e.Duration, true)
			o.endSpan(e.ConnectionID, e.RequestID, e.Failure)
		},
	}
}

func (o *Observer) endSpan(conn string, id int64, failure error) {
	v, ok := o.spans.LoadAndDelete(commandKey{conn, id})
	if !ok {
		return
	}
	span := v.(trace.Span)
	if failure != nil {
		span.SetStatus(codes.Error, "command failed")
	}
	span.End()
}
