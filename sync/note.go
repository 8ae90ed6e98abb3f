package sync

import (
	"context"
	"slices"

	"github.com/lianqi/lianqi/auth"
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
	conflicts, rejected, err := pushEach(ctx, e, pc, ProgressNotes, rows, collOps[*ProgressNoteRow, *ProgressNoteDoc]{
		apply:  func(row *ProgressNoteRow) error { return e.pushNote(ctx, pc, row) },
		master: func(id string) (*ProgressNoteDoc, error) { return e.noteMaster(ctx, pc.sc, id) },
		tombstone: func(id string) *ProgressNoteDoc {
			return &ProgressNoteDoc{ID: id, Meta: Meta{HLC: ServerHLC(e.now()), Deleted: true}}
		},
		enterprise: func(d *ProgressNoteDoc) string { return e.noteEnterprise(ctx, d) },
	})
	if err != nil {
		return nil, err
	}
	e.releaseHeld(ctx, pc)
	if err := e.nameAuthors(ctx, conflicts); err != nil {
		return nil, err
	}
	return &ProgressNotePushResult{Conflicts: conflicts, Rejected: rejected}, nil
}

// nameAuthors replaces the author name stored with each note (the name the
// author had when writing it, a login name for older entries) with the name
// the caller may see of that person (service.PersonNames): a login name is
// for those who administer accounts, not for an enterprise's phone. An entry
// whose author is unknown keeps its stored name only for callers who read
// everything.
func (e *Engine) nameAuthors(ctx context.Context, docs []*ProgressNoteDoc) error {
	var ids []string
	for _, d := range docs {
		if d.AuthorID != "" && !d.Deleted {
			ids = append(ids, d.AuthorID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	slices.Sort(ids)
	names, err := e.Svc.PersonNames(ctx, slices.Compact(ids))
	if err != nil {
		return err
	}
	p, err := auth.Authenticate(ctx)
	if err != nil {
		return err
	}
	for _, d := range docs {
		if d.AuthorID == "" || d.Deleted {
			continue
		}
		if n, ok := names[d.AuthorID]; ok {
			d.AuthorName = n
		} else if !p.Role.ReadsEverything() {
			d.AuthorName = ""
		}
	}
	return nil
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
		held, err := e.heldCreation(ctx, pc, ProgressNotes, nd.ID)
		if err != nil {
			return err
		}
		if !held {
			return domain.NotFound("progress note", nd.ID)
		}
		row = &ProgressNoteRow{NewDocumentState: nd, MutationID: row.MutationID}
	}
	if nd.Kind != "" && nd.Kind != string(domain.ActionNote) {
		return domain.Invalid("kind", "a device writes NOTE entries; status changes are made on the problem")
	}
	if nd.Deleted {
		return domain.Invalid("deleted", "progress notes are append-only and cannot be deleted")
	}
	missing, err := e.missingProblems(ctx, "problemId", []string{nd.ProblemID})
	if err != nil {
		return err
	}
	if len(missing) > 0 {
		if nd.EnterpriseID != "" && !pc.sc.HasEnterprise(nd.EnterpriseID) {
			// Its problem could not be created here either (the enterprise
			// left the caller's scope): refuse now, so the device drops its
			// copy, rather than hold a row that would only be refused later.
			return domain.Invalid("enterpriseId", "enterprise %s is not in your scope, so the note's problem %s cannot be created", nd.EnterpriseID, nd.ProblemID)
		}
		return e.hold(ctx, pc, ProgressNotes, nd.ID, nd.EnterpriseID, missing, row, nd)
	}
	id := nd.ID
	_, err = e.Svc.AddProgressNote(ctx, nd.ProblemID, nd.Text, &id)
	return err
}

// noteEnterprise is the enterprise a note belongs to: its problem's, when the
// server has the problem, otherwise what the device sent.
func (e *Engine) noteEnterprise(ctx context.Context, nd *ProgressNoteDoc) string {
	if p, err := e.findRaw(ctx, store.CollProblems, nd.ProblemID); err == nil && p != nil {
		return keyOf(store.CollProblems, *p)
	}
	return nd.EnterpriseID
}

func (r *ProgressNoteRow) state() *ProgressNoteDoc {
	if r == nil {
		return nil
	}
	return r.NewDocumentState
}

func (r *ProgressNoteRow) mutation() *string { return r.MutationID }

func (r *ProgressNoteRow) creation() bool { return r.AssumedMasterState == nil }

func (d *ProgressNoteDoc) docID() string { return d.ID }
