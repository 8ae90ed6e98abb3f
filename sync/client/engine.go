package client

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/lianqi/lianqi/domain"
	lqsync "github.com/lianqi/lianqi/sync"
)

// EngineTransport calls an engine in the same process as the given principal.
// Tests use it to run many devices quickly; HTTP is the real thing.
type EngineTransport struct {
	E *lqsync.Engine
	P *domain.Principal
}

func (t *EngineTransport) ctx(ctx context.Context) context.Context {
	return domain.WithPrincipal(ctx, t.P)
}

// Pull implements Transport.
func (t *EngineTransport) Pull(ctx context.Context, coll string, cp *lqsync.Checkpoint, limit int) (*PullResult, error) {
	ctx = t.ctx(ctx)
	var docs any
	var out PullResult
	switch coll {
	case lqsync.Problems:
		b, err := t.E.PullProblems(ctx, cp, limit, nil)
		if err != nil {
			return nil, err
		}
		docs, out.Checkpoint, out.Resync = b.Documents, b.Checkpoint, b.Resync
	case lqsync.ProgressNotes:
		b, err := t.E.PullProgressNotes(ctx, cp, limit, nil)
		if err != nil {
			return nil, err
		}
		docs, out.Checkpoint, out.Resync = b.Documents, b.Checkpoint, b.Resync
	case lqsync.Visits:
		b, err := t.E.PullVisits(ctx, cp, limit, nil)
		if err != nil {
			return nil, err
		}
		docs, out.Checkpoint, out.Resync = b.Documents, b.Checkpoint, b.Resync
	default:
		return nil, fmt.Errorf("collection %q is not supported by this transport", coll)
	}
	raw, _ := json.Marshal(docs)
	if err := json.Unmarshal(raw, &out.Documents); err != nil {
		return nil, err
	}
	return &out, nil
}

// Push implements Transport.
func (t *EngineTransport) Push(ctx context.Context, coll string, rows []Row, device string) (*PushResult, error) {
	ctx = t.ctx(ctx)
	raw, _ := json.Marshal(rows)
	var res any
	var err error
	switch coll {
	case lqsync.Problems:
		var rs []*lqsync.ProblemRow
		if err := json.Unmarshal(raw, &rs); err != nil {
			return nil, err
		}
		res, err = t.E.PushProblems(ctx, rs, &device)
	case lqsync.ProgressNotes:
		var rs []*lqsync.ProgressNoteRow
		if err := json.Unmarshal(raw, &rs); err != nil {
			return nil, err
		}
		res, err = t.E.PushProgressNotes(ctx, rs, &device)
	case lqsync.Visits:
		var rs []*lqsync.VisitRow
		if err := json.Unmarshal(raw, &rs); err != nil {
			return nil, err
		}
		res, err = t.E.PushVisits(ctx, rs, &device)
	default:
		return nil, fmt.Errorf("collection %q is not writable", coll)
	}
	if err != nil {
		return nil, err
	}
	out := &PushResult{}
	b, _ := json.Marshal(res)
	var generic struct {
		Conflicts []json.RawMessage
		Rejected  []lqsync.Rejection
	}
	if err := json.Unmarshal(b, &generic); err != nil {
		return nil, err
	}
	out.Conflicts, out.Rejected = generic.Conflicts, generic.Rejected
	return out, nil
}

// Conflicts implements ConflictSource.
func (t *EngineTransport) Conflicts(ctx context.Context, documentID string) ([]Conflict, error) {
	var id *string
	if documentID != "" {
		id = &documentID
	}
	page, err := t.E.Conflicts(t.ctx(ctx), id, domain.PageRequest{First: 100})
	if err != nil {
		return nil, err
	}
	out := make([]Conflict, len(page.Items))
	for i, c := range page.Items {
		out[i] = Conflict{ID: c.ID, Collection: c.Collection, DocumentID: c.DocumentID, EnterpriseID: c.EnterpriseID, UserID: c.UserID,
			Username: c.Username, DeviceID: c.DeviceID, Field: c.Field, Base: c.Base, Client: c.Client, Server: c.Server, Result: c.Result,
			Outcome: string(c.Outcome), Reason: c.Reason, At: c.At}
	}
	return out, nil
}
