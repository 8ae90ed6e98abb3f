package sync

import (
	"context"
	"slices"

	"github.com/lianqi/lianqi/domain"
	"github.com/lianqi/lianqi/store"
)

// Conflicts lists the conflict records the caller may read: their own, those at
// the enterprises they serve now, and all of them for leaders and admins.
func (e *Engine) Conflicts(ctx context.Context, documentID *string, page domain.PageRequest) (domain.Page[*domain.Conflict], error) {
	sc, p, err := e.scopeOf(ctx)
	if err != nil {
		return domain.Page[*domain.Conflict]{}, err
	}
	f := store.ConflictFilter{}
	if documentID != nil {
		f.DocumentID = *documentID
	}
	pg, err := e.db().FindConflicts(ctx, sc, p.UserID, f, page)
	if err != nil || len(pg.Items) == 0 {
		return pg, err
	}
	// The record stores the author's login name; the reader sees the name the
	// rule for people allows them (service.PersonNames), as everywhere else.
	ids := make([]string, 0, len(pg.Items))
	for _, c := range pg.Items {
		ids = append(ids, c.UserID)
	}
	slices.Sort(ids)
	names, err := e.Svc.PersonNames(ctx, slices.Compact(ids))
	if err != nil {
		return pg, err
	}
	for _, c := range pg.Items {
		if n, ok := names[c.UserID]; ok {
			c.Username = n
		} else if !p.Role.ReadsEverything() && c.UserID != p.UserID {
			c.Username = ""
		}
	}
	return pg, nil
}
