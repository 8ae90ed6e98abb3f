package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"github.com/lianqi/lianqi/domain"
	"github.com/lianqi/lianqi/graph/model"
	lqsync "github.com/lianqi/lianqi/sync"
)

// pageReq is the page a connection field asks for. The count is skipped
// unless the query selects totalCount on the connection (fragments included):
// on the embedded engine it costs a second pass over the collection.
func pageReq(ctx context.Context, first *int, after *string) domain.PageRequest {
	p := domain.PageRequest{First: domain.DefaultPageSize, SkipCount: !selects(ctx, "totalCount")}
	if first != nil {
		p.First = *first
		if p.First == 0 {
			// An explicit 0 is out of range, not "use the default".
			p.First = -1
		}
	}
	if after != nil {
		p.After = *after
	}
	return p
}

// selects reports whether the current field's selection asks for the child
// field name. Without a field context (a direct call) it answers yes.
func selects(ctx context.Context, name string) bool {
	if graphql.GetFieldContext(ctx) == nil || !graphql.HasOperationContext(ctx) {
		return true
	}
	for _, f := range graphql.CollectFieldsCtx(ctx, nil) {
		if f.Name == name {
			return true
		}
	}
	return false
}

// edgesOf turns a page into connection edges and page info.
func edgesOf[T any, E any](p domain.Page[T], edge func(cursor string, node T) E) ([]E, *model.PageInfo) {
	edges := make([]E, len(p.Items))
	for i, it := range p.Items {
		edges[i] = edge(p.Cursors[i], it)
	}
	info := &model.PageInfo{HasNextPage: p.HasNextPage}
	if n := len(p.Cursors); n > 0 {
		info.EndCursor = &p.Cursors[n-1]
	}
	return edges, info
}

func enterpriseConnection(p domain.Page[*domain.Enterprise]) *model.EnterpriseConnection {
	edges, info := edgesOf(p, func(c string, n *domain.Enterprise) *model.EnterpriseEdge {
		return &model.EnterpriseEdge{Cursor: c, Node: n}
	})
	return &model.EnterpriseConnection{Edges: edges, PageInfo: info, TotalCount: int(p.TotalCount)}
}

func officialConnection(p domain.Page[*domain.Official]) *model.OfficialConnection {
	edges, info := edgesOf(p, func(c string, n *domain.Official) *model.OfficialEdge { return &model.OfficialEdge{Cursor: c, Node: n} })
	return &model.OfficialConnection{Edges: edges, PageInfo: info, TotalCount: int(p.TotalCount)}
}

func problemConnection(p domain.Page[*domain.Problem]) *model.ProblemConnection {
	edges, info := edgesOf(p, func(c string, n *domain.Problem) *model.ProblemEdge { return &model.ProblemEdge{Cursor: c, Node: n} })
	return &model.ProblemConnection{Edges: edges, PageInfo: info, TotalCount: int(p.TotalCount)}
}

func visitConnection(p domain.Page[*domain.Visit]) *model.VisitConnection {
	edges, info := edgesOf(p, func(c string, n *domain.Visit) *model.VisitEdge { return &model.VisitEdge{Cursor: c, Node: n} })
	return &model.VisitConnection{Edges: edges, PageInfo: info, TotalCount: int(p.TotalCount)}
}

func spotCheckConnection(p domain.Page[*domain.SpotCheck]) *model.SpotCheckConnection {
	edges, info := edgesOf(p, func(c string, n *domain.SpotCheck) *model.SpotCheckEdge {
		return &model.SpotCheckEdge{Cursor: c, Node: n}
	})
	return &model.SpotCheckConnection{Edges: edges, PageInfo: info, TotalCount: int(p.TotalCount)}
}

func userConnection(p domain.Page[*domain.User]) *model.UserConnection {
	edges, info := edgesOf(p, func(c string, n *domain.User) *model.UserEdge { return &model.UserEdge{Cursor: c, Node: n} })
	return &model.UserConnection{Edges: edges, PageInfo: info, TotalCount: int(p.TotalCount)}
}

func derefOr[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// connOf wraps a service listing call so resolvers read as one line.
func connOf[T any, C any](p domain.Page[T], err error, conv func(domain.Page[T]) C) (C, error) {
	if err != nil {
		var zero C
		return zero, err
	}
	return conv(p), nil
}

// nonEmpty maps an unset enum value (older records) to null.
func nonEmpty[T ~string](v T) *T {
	if v == "" {
		return nil
	}
	return &v
}

func quizConnection(p domain.Page[*domain.Quiz]) *model.QuizConnection {
	edges, info := edgesOf(p, func(c string, n *domain.Quiz) *model.QuizEdge { return &model.QuizEdge{Cursor: c, Node: n} })
	return &model.QuizConnection{Edges: edges, PageInfo: info, TotalCount: int(p.TotalCount)}
}

// optionalOfficial loads an official a record refers to, or nil when there is
// none or the caller may not see them.
func optionalOfficial(ctx context.Context, id string) (*domain.Official, error) {
	if id == "" {
		return nil, nil
	}
	o, err := load(ctx, officialLoader, "official", id)
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		return nil, nil
	}
	return o, err
}

// personName is the name the caller may see for the person behind an account
// (service.PersonNames): "" if the account is gone, or for a dashboard token.
func personName(ctx context.Context, id string) (string, error) {
	if id == "" {
		return "", nil
	}
	name, err := load(ctx, personLoader, "user", id)
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		return "", nil
	}
	return name, err
}

func auditConnection(p domain.Page[*domain.AuditEvent]) *model.AuditEventConnection {
	edges, info := edgesOf(p, func(c string, n *domain.AuditEvent) *model.AuditEventEdge {
		return &model.AuditEventEdge{Cursor: c, Node: n}
	})
	return &model.AuditEventConnection{Edges: edges, PageInfo: info, TotalCount: int(p.TotalCount)}
}

// rejections turns the domain codes of refused sync rows into the codes errors
// carry in extensions.code, so clients handle both alike.
func rejections(rs []*lqsync.Rejection) []*lqsync.Rejection {
	for _, r := range rs {
		if c, ok := Codes[r.Code]; ok {
			r.Code = c
		}
	}
	return rs
}
