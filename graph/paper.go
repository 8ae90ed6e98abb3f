package graph

import (
	"context"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vikstrous/dataloadgen"

	"github.com/lianqi/lianqi/domain"
)

// parentProblem is the problem a nested object (a department's reply, an
// executive decision) was resolved under, or nil: whether such an object is
// overdue depends on whether its problem is still open.
func parentProblem(ctx context.Context) *domain.Problem {
	for fc := graphql.GetFieldContext(ctx); fc != nil; fc = fc.Parent {
		if p, ok := fc.Result.(*domain.Problem); ok {
			return p
		}
	}
	return nil
}

// lastVisit is the date of the enterprise's latest visit, nil if never visited.
func lastVisit(ctx context.Context, enterpriseID string) (*time.Time, error) {
	at, err := load(ctx, func(l *loaders) *dataloadgen.Loader[string, time.Time] { return l.lastVisit }, "visit", enterpriseID)
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &at, nil
}
