package sync

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/lianqi/lianqi/domain"
	"github.com/lianqi/lianqi/service"
	"github.com/lianqi/lianqi/store"
)

// VisitRow is one pushed visit.
type VisitRow struct {
	AssumedMasterState *VisitDoc
	NewDocumentState   *VisitDoc
	MutationID         *string
}

// VisitPushResult is the master state of every row not accepted as sent and the
// reasons rows were refused.
type VisitPushResult struct {
	Conflicts []*VisitDoc
	Rejected  []*Rejection
}

// PushVisits applies rows one by one; a refused row never blocks the others.
func (e *Engine) PushVisits(ctx context.Context, rows []*VisitRow, device *string) (*VisitPushResult, error) {
	pc, err := e.startPush(ctx, len(rows), device)
	if err != nil {
		return nil, err
	}
	conflicts, rejected, err := pushEach(ctx, e, pc, Visits, rows, collOps[*VisitRow, *VisitDoc]{
		apply:  func(row *VisitRow) error { return retryRaces(func() error { return e.pushVisit(ctx, pc, row) }) },
		master: func(id string) (*VisitDoc, error) { return e.visitMaster(ctx, pc.sc, id) },
		tombstone: func(id string) *VisitDoc {
			return &VisitDoc{ID: id, ProblemIDs: []string{}, Meta: Meta{HLC: ServerHLC(e.now()), Deleted: true}}
		},
		enterprise: func(d *VisitDoc) string { return d.EnterpriseID },
	})
	if err != nil {
		return nil, err
	}
	e.releaseHeld(ctx, pc)
	return &VisitPushResult{Conflicts: conflicts, Rejected: rejected}, nil
}

func (e *Engine) visitMaster(ctx context.Context, sc domain.Scope, id string) (*VisitDoc, error) {
	ch, err := e.findRaw(ctx, store.CollVisits, id)
	if err != nil || ch == nil {
		return nil, err
	}
	v, err := ch.Visit()
	if err != nil {
		return nil, err
	}
	if !sc.HasEnterprise(v.EnterpriseID) {
		return &VisitDoc{ID: id, EnterpriseID: v.EnterpriseID, ProblemIDs: []string{}, Meta: goneMeta(*ch)}, nil
	}
	return visitDoc(v), nil
}

func (e *Engine) pushVisit(ctx context.Context, pc *pushCtx, row *VisitRow) (result error) {
	nd := row.NewDocumentState
	if !domain.ValidID(nd.ID) {
		return domain.Invalid("id", "a document id must be a UUID or ULID")
	}
	ch, err := e.findRaw(ctx, store.CollVisits, nd.ID)
	if err != nil {
		return err
	}
	if ch == nil {
		if row.AssumedMasterState != nil {
			held, err := e.heldCreation(ctx, pc, Visits, nd.ID)
			if err != nil {
				return err
			}
			if !held {
				return domain.NotFound("visit", nd.ID)
			}
			row = &VisitRow{NewDocumentState: nd, MutationID: row.MutationID}
		}
		if nd.Deleted {
			return e.dropHeld(ctx, pc, Visits, nd.ID) // created and deleted offline: nothing to keep
		}
		missing, err := e.missingProblems(ctx, "problemIds", nd.ProblemIDs)
		if err != nil {
			return err
		}
		// A visit to an enterprise outside the caller's scope is refused below
		// at once (its problems could not be created here either).
		if len(missing) > 0 && pc.sc.HasEnterprise(nd.EnterpriseID) {
			return e.hold(ctx, pc, Visits, nd.ID, nd.EnterpriseID, missing, row, nd)
		}
		id, ent := nd.ID, nd.EnterpriseID
		in := service.VisitInput{ID: &id, EnterpriseID: &ent, Date: nd.Date, Notes: &nd.Notes, ProblemIDs: nonNil(nd.ProblemIDs)}
		if nd.OfficialID != "" && pc.p.Role == domain.RoleAdmin {
			in.OfficialID = &nd.OfficialID
		}
		if nd.OfficialID != "" && pc.p.Role == domain.RoleOfficial && nd.OfficialID != pc.p.OfficialID {
			return domain.Forbidden("officials record only their own visits")
		}
		_, err = e.Svc.CreateVisit(ctx, in)
		return err
	}
	master, err := ch.Visit()
	if err != nil {
		return err
	}
	server := visitDoc(master)
	held, err := e.db().FindHeld(ctx, heldID(pc.p.UserID, Visits, nd.ID))
	if err != nil {
		return err
	}
	if held != nil {
		// An earlier edit of this visit waits for a problem it links: this
		// row continues it, so it is merged from the same base.
		var prev VisitRow
		if err := json.Unmarshal(held.Row, &prev); err != nil {
			return err
		}
		row = &VisitRow{AssumedMasterState: prev.AssumedMasterState, NewDocumentState: nd, MutationID: row.MutationID}
	}
	base := row.AssumedMasterState
	if base == nil {
		base = server
	}
	bm, cm, sm := toMap(base), toMap(nd), toMap(server)
	if in := pc.sc.HasEnterprise(master.EnterpriseID) && !master.Deleted; in && !nd.Deleted {
		// A problem linked on the device and not pushed yet: hold the edit
		// until it arrives, like a creation. A problem whose creation was
		// refused is left to the service, which refuses the link.
		var added []string
		for _, id := range nd.ProblemIDs {
			if !slices.Contains(base.ProblemIDs, id) {
				added = append(added, id)
			}
		}
		missing, err := e.missingProblems(ctx, "problemIds", added)
		if err != nil && !refusal(err) {
			return err
		}
		if len(missing) > 0 {
			return e.hold(ctx, pc, Visits, nd.ID, master.EnterpriseID, missing, row, nd)
		}
	}
	if held != nil {
		defer func() {
			if isRace(result) || domain.ErrorCode(result) == domain.EINTERNAL {
				return // retried with the held base
			}
			if err := e.dropHeld(ctx, pc, Visits, nd.ID); err != nil {
				e.Log.ErrorContext(ctx, "drop held visit edit", "visit", nd.ID, "err", err)
			}
		}()
	}
	if !pc.sc.HasEnterprise(master.EnterpriseID) || master.Deleted {
		reason := "the visit's enterprise is no longer in your scope"
		if master.Deleted {
			reason = "the visit was deleted"
		}
		if err := e.record(ctx, pc, Visits, nd.ID, master.EnterpriseID, refused(Visits, bm, cm, sm, reason)); err != nil {
			return err
		}
		return domain.NotFound("visit", nd.ID)
	}
	clock := deviceClock(nd.HLC, e.now())
	m := merge(Visits, bm, cm, sm, clock, fieldClock(master.Clocks, master.Meta))
	if m.immutable != "" {
		return domain.Invalid(m.immutable, "a visit's %s cannot change", m.immutable)
	}
	merged := fromMap[VisitDoc](m.doc)
	var fail error
	var refusedFields []fieldConflict
	if nd.Deleted && !base.Deleted {
		_, fail = e.Svc.DeleteVisit(ctx, nd.ID)
	} else if in, ok := visitEdit(server, merged); ok {
		in.HLC = clock
		v := int(master.Version)
		_, fail = e.Svc.UpdateVisit(ctx, nd.ID, &v, in)
	}
	if fail != nil {
		if err := raced(fail); isRace(err) || domain.ErrorCode(err) == domain.EINTERNAL {
			return err
		}
		refusedFields = refused(Visits, sm, toMap(merged), sm, domain.ErrorMessage(fail))
	}
	if err := e.record(ctx, pc, Visits, nd.ID, master.EnterpriseID, append(m.conflicts, refusedFields...)); err != nil {
		return err
	}
	return fail
}

func visitEdit(server, merged *VisitDoc) (service.VisitInput, bool) {
	var in service.VisitInput
	changed := false
	if merged.Date != nil && (server.Date == nil || !merged.Date.Equal(*server.Date)) {
		d := merged.Date.UTC().Truncate(time.Millisecond)
		in.Date, changed = &d, true
	}
	if merged.Notes != server.Notes {
		in.Notes, changed = &merged.Notes, true
	}
	if fmt.Sprint(merged.ProblemIDs) != fmt.Sprint(server.ProblemIDs) {
		in.ProblemIDs, changed = nonNil(merged.ProblemIDs), true
	}
	return in, changed
}

func (r *VisitRow) state() *VisitDoc {
	if r == nil {
		return nil
	}
	return r.NewDocumentState
}

func (r *VisitRow) mutation() *string { return r.MutationID }

func (r *VisitRow) creation() bool { return r.AssumedMasterState == nil }

func (d *VisitDoc) docID() string { return d.ID }
