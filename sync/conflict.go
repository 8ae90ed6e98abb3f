package sync

import (
	"context"

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
	return e.db().FindConflicts(ctx, sc, p.UserID, f, page)
}
