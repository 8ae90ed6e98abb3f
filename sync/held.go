package sync

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/lianqi/lianqi/domain"
	"github.com/lianqi/lianqi/service"
	"github.com/lianqi/lianqi/store"
)

// Children before parents. RxDB replicates each collection on its own, so a
// note (or a visit linking a problem) created offline together with its problem
// often arrives before the problem. Such a row is accepted and held: it is kept
// in syncHeld with the pusher's identity, listed as a PENDING conflict record
// (so it is visible, never silently waiting), and applied at the end of the push
// that brings the parent (whoever pushes it) or of the author's next push, with
// the author's rights as they are then. Applying is idempotent: the row keeps
// its client id, and a note or visit already stored is recognised.

func heldID(userID, coll, docID string) string { return userID + ":" + coll + ":" + docID }

// DefaultMaxHeld is Engine.MaxHeld's default.
const DefaultMaxHeld = 1000

// missingProblems lists the ids among ids (valid ones only: an invalid id is
// bad input, not a parent to wait for) that the server has never stored. A
// parent whose creation was refused is not waited for: the row is refused
// with field's error saying why.
func (e *Engine) missingProblems(ctx context.Context, field string, ids []string) ([]string, error) {
	var out []string
	for _, id := range ids {
		if !domain.ValidID(id) {
			continue
		}
		ch, err := e.findRaw(ctx, store.CollProblems, id)
		if err != nil {
			return nil, err
		}
		if ch != nil {
			continue
		}
		why, _, err := e.db().RefusedCreation(ctx, Problems, id)
		if err != nil {
			return nil, err
		}
		if why != "" {
			return nil, domain.Invalid(field, "problem %s was not created (%s), so this row cannot be applied either", id, why)
		}
		out = append(out, id)
	}
	return out, nil
}

// heldCreation returns row as a creation if an earlier version of it is held:
// the device assumed the held state was the master, but the server has nothing
// yet, so the new state replaces the held one.
func (e *Engine) heldCreation(ctx context.Context, pc *pushCtx, coll, docID string) (bool, error) {
	h, err := e.db().FindHeld(ctx, heldID(pc.p.UserID, coll, docID))
	return h != nil, err
}

// tombstoneHeld stores a tombstone for a held creation that was finally
// refused. The device was told the row was accepted, so only a pull can make it
// drop its copy, and a pull sends only stored documents: this one is deleted,
// content empty, filed under the enterprise the row named, and reaches every
// replica that has that enterprise in scope. (Outside the scope no pull sends
// it; a checksum round removes the copy there.) A held edit of a stored visit
// needs none: the visit itself is pulled.
func (e *Engine) tombstoneHeld(ctx context.Context, h store.HeldRow, enterpriseID string) error {
	if enterpriseID == "" {
		return nil
	}
	if ch, err := e.findRaw(ctx, storeColl[h.Collection], h.DocumentID); err != nil || ch != nil {
		return err
	}
	meta := domain.Meta{Deleted: true}
	var err error
	switch h.Collection {
	case ProgressNotes:
		var row ProgressNoteRow
		_ = json.Unmarshal(h.Row, &row)
		err = e.db().CreateProgressNote(ctx, &domain.ProgressNote{ID: h.DocumentID, ProblemID: row.NewDocumentState.ProblemID,
			EnterpriseID: enterpriseID, AuthorUserID: h.UserID, AuthorName: h.Username, Kind: domain.ActionNote, At: e.now(), Meta: meta})
	case Visits:
		err = e.db().CreateVisit(ctx, &domain.Visit{ID: h.DocumentID, OfficialID: h.OfficialID, EnterpriseID: enterpriseID, Date: e.now(), Meta: meta})
	}
	if domain.ErrorCode(err) == domain.ECONFLICT {
		return nil // written meanwhile: that document is what pulls send
	}
	return err
}

// dropHeld forgets a held row the device deleted before its parent arrived.
func (e *Engine) dropHeld(ctx context.Context, pc *pushCtx, coll, docID string) error {
	h, err := e.db().FindHeld(ctx, heldID(pc.p.UserID, coll, docID))
	if err != nil || h == nil {
		return err
	}
	if err := e.db().ResolveConflict(ctx, h.ConflictID); err != nil {
		return err
	}
	return e.db().ReleaseHeld(ctx, h.ID)
}

// hold keeps row until parents exist and lists it as a PENDING conflict record.
func (e *Engine) hold(ctx context.Context, pc *pushCtx, coll, docID, enterpriseID string, parents []string, row, doc any) error {
	id := heldID(pc.p.UserID, coll, docID)
	prev, err := e.db().FindHeld(ctx, id)
	if err != nil {
		return err
	}
	if prev == nil {
		if !pc.heldKnown {
			rows, err := e.db().HeldRows(ctx, pc.p.UserID, nil)
			if err != nil {
				return err
			}
			pc.held, pc.heldKnown = len(rows), true
		}
		if pc.held >= e.MaxHeld {
			return domain.Invalid("problemId", "%d rows already wait for problems this server does not have: push those problems first", pc.held)
		}
		pc.held++
	}
	raw, err := json.Marshal(row)
	if err != nil {
		return err
	}
	cid, err := e.keepRow(ctx, pc, coll, docID, enterpriseID, doc, domain.OutcomePending, fmt.Sprintf(
		"waiting for problem %s, which the server does not have yet: the row is applied as soon as that problem is pushed", strings.Join(parents, ", ")))
	if err != nil {
		return err
	}
	h := &store.HeldRow{ID: id, UserID: pc.p.UserID, Username: pc.p.Username, Role: string(pc.p.Role), OfficialID: pc.p.OfficialID,
		EnterpriseID: pc.p.EnterpriseID, DeviceID: pc.device, Collection: coll, DocumentID: docID, ParentIDs: parents, Row: raw,
		ConflictID: cid, At: e.now()}
	if err := e.db().HoldRow(ctx, h); err != nil {
		return err
	}
	if prev != nil {
		return e.db().ResolveConflict(ctx, prev.ConflictID)
	}
	return nil
}

// releaseHeld applies the held rows of the caller and those waiting for a
// problem this push created, where every parent now exists. A failure is
// logged and the row stays held for the next push: it never fails the push
// that triggered it, whose own rows are already answered.
func (e *Engine) releaseHeld(ctx context.Context, pc *pushCtx) {
	e.heldMu.Lock()
	defer e.heldMu.Unlock()
	rows, err := e.db().HeldRows(ctx, pc.p.UserID, pc.created)
	if err != nil {
		e.Log.ErrorContext(ctx, "list held rows", "user", pc.p.Username, "err", err)
		return
	}
	for _, h := range rows {
		if err := e.applyHeld(ctx, h); err != nil {
			e.Log.ErrorContext(ctx, "apply held row", "row", h.ID, "err", err)
		}
	}
}

func (e *Engine) applyHeld(ctx context.Context, h store.HeldRow) error {
	missing, err := e.missingProblems(ctx, "problemId", h.ParentIDs)
	if refusal(err) {
		missing, err = nil, nil // the row is applied below, and refused for the same reason
	}
	if err != nil || len(missing) > 0 {
		return err
	}
	p := &domain.Principal{UserID: h.UserID, Username: h.Username, Role: domain.Role(h.Role), OfficialID: h.OfficialID,
		EnterpriseID: h.EnterpriseID, ExpiresAt: e.now().Add(time.Minute)}
	hctx := service.WithScopeMemo(domain.WithPrincipal(ctx, p))
	sc, err := e.Svc.ScopeOf(hctx, p)
	if err != nil {
		return err
	}
	pc := &pushCtx{p: p, sc: sc, device: h.DeviceID}
	var apply func() error
	var doc any
	var ent string
	switch h.Collection {
	case ProgressNotes:
		var row ProgressNoteRow
		if err := json.Unmarshal(h.Row, &row); err != nil || row.NewDocumentState == nil {
			return fmt.Errorf("decode held note: %v", err)
		}
		apply = func() error { return e.pushNote(hctx, pc, &row) }
		doc, ent = row.NewDocumentState, e.noteEnterprise(ctx, row.NewDocumentState)
	case Visits:
		var row VisitRow
		if err := json.Unmarshal(h.Row, &row); err != nil || row.NewDocumentState == nil {
			return fmt.Errorf("decode held visit: %v", err)
		}
		apply = func() error { return retryRaces(func() error { return e.pushVisit(hctx, pc, &row) }) }
		doc, ent = row.NewDocumentState, row.NewDocumentState.EnterpriseID
	default:
		return fmt.Errorf("held row of unknown collection %q", h.Collection)
	}
	if err := apply(); refusal(err) {
		if ent == "" && len(h.ParentIDs) > 0 {
			_, ent, _ = e.db().RefusedCreation(ctx, Problems, h.ParentIDs[0])
		}
		if _, err := e.keepRow(hctx, pc, h.Collection, h.DocumentID, ent, doc, domain.OutcomeRejected,
			fmt.Sprintf("held until its problem arrived, then refused (%s): %s", domain.ErrorCode(err), domain.ErrorMessage(err))); err != nil {
			return err
		}
		if err := e.tombstoneHeld(ctx, h, ent); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	if err := e.db().ResolveConflict(ctx, h.ConflictID); err != nil {
		return err
	}
	return e.db().ReleaseHeld(ctx, h.ID)
}
