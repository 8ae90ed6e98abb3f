package sync

import (
	"context"

	"github.com/lianqi/lianqi/domain"
	"github.com/lianqi/lianqi/store"
)

// ProgressNoteRow is one pushed progress note. Notes are append-only: a row
// creates a note or repeats one already stored.
type ProgressNoteRow struct {
	AssumedMasterState *ProgressNoteDoc
	NewDocumentState   *ProgressNoteDoc
	MutationID         *string
}

// ProgressNotePushResult is the master state of every row not accepted as sent
// and the reasons rows were refused.
type ProgressNotePushResult struct {
	Conflicts []*ProgressNoteDoc
	Rejected  []*Rejection
}

// PushProgressNotes appends the notes written on a device.
func (e *Engine) PushProgressNotes(ctx context.Context, rows []*ProgressNoteRow, device *string) (*ProgressNotePushResult, error) {
	pc, err := e.startPush(ctx, len(rows), device)
	if err != nil {
		return nil, err
	}
	conflicts, rejected, err := pushEach(ctx, e, pc, ProgressNotes, rows,
		func(row *ProgressNoteRow) error { return e.pushNote(ctx, pc, row) },
		func(id string) (*ProgressNoteDoc, error) { return e.noteMaster(ctx, pc.sc, id) })
	if err != nil {
		return nil, err
	}
	return &ProgressNotePushResult{Conflicts: conflicts, Rejected: rejected}, nil
}

func (e *Engine) noteMaster(ctx context.Context, sc domain.Scope, id string) (*ProgressNoteDoc, error) {
	ch, err := e.findRaw(ctx, store.CollProgressNotes, id)
	if err != nil || ch == nil {
		return nil, err
	}
	n, err := ch.ProgressNote()
	if err != nil {
		return nil, err
	}
	if !sc.HasEnterprise(n.EnterpriseID) {
		return &ProgressNoteDoc{ID: id, EnterpriseID: n.EnterpriseID, Meta: goneMeta(*ch)}, nil
	}
	return noteDoc(n), nil
}

func (e *Engine) pushNote(ctx context.Context, pc *pushCtx, row *ProgressNoteRow) error {
	nd := row.NewDocumentState
	if !domain.ValidID(nd.ID) {
		return domain.Invalid("id", "a document id must be a UUID or ULID")
	}
	ch, err := e.findRaw(ctx, store.CollProgressNotes, nd.ID)
	if err != nil {
		return err
	}
	if ch != nil {
		n, err := ch.ProgressNote()
		if err != nil {
			return err
		}
		if !sameAsSent(ProgressNotes, toMap(nd), toMap(noteDoc(n))) {
			return domain.Invalid("text", "progress notes are append-only: write a new note instead of editing one")
		}
		return nil
	}
	if row.AssumedMasterState != nil {
		return domain.NotFound("progress note", nd.ID)
	}
	if nd.Kind != "" && nd.Kind != string(domain.ActionNote) {
		return domain.Invalid("kind", "a device writes NOTE entries; status changes are made on the problem")
	}
	if nd.Deleted {
		return domain.Invalid("deleted", "progress notes are append-only and cannot be deleted")
	}
	id := nd.ID
	if _, err := e.Svc.AddProgressNote(ctx, nd.ProblemID, nd.Text, &id); err != nil {
		if domain.ErrorCode(err) == domain.ENOTFOUND || domain.ErrorCode(err) == domain.EFORBIDDEN {
			// Written while the device could still see the problem: keep the
			// text as a conflict record for whoever serves the enterprise now.
			ent := ""
			if p, ferr := e.findRaw(ctx, store.CollProblems, nd.ProblemID); ferr == nil && p != nil {
				ent = keyOf(store.CollProblems, *p)
			}
			if rerr := e.record(ctx, pc, ProgressNotes, nd.ID, ent, []fieldConflict{{Field: "text", Client: nd.Text,
				Outcome: domain.OutcomeRejected, Reason: "the problem is no longer in your scope: " + domain.ErrorMessage(err)}}); rerr != nil {
				return rerr
			}
		}
		return err
	}
	return nil
}

func (r *ProgressNoteRow) state() *ProgressNoteDoc {
	if r == nil {
		return nil
	}
	return r.NewDocumentState
}

func (r *ProgressNoteRow) mutation() *string { return r.MutationID }

func (d *ProgressNoteDoc) docID() string { return d.ID }
