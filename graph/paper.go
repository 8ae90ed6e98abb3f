package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

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
