package sync

import (
	"context"
	"slices"

	"github.com/lianqi/lianqi/domain"
	"github.com/lianqi/lianqi/service"
	"github.com/lianqi/lianqi/store"
)

// ProblemRow is one pushed problem: the state the device last pulled (nil for a
// creation), the state it has now, and its mutation id.
type ProblemRow struct {
	AssumedMasterState *ProblemDoc
	NewDocumentState   *ProblemDoc
	MutationID         *string
}

// ProblemPushResult is the master state of every row not accepted as sent, and
// why rows (or parts of them) were refused.
type ProblemPushResult struct {
	Conflicts []*ProblemDoc
	Rejected  []*Rejection
}

// PushProblems applies rows one by one; a refused row never blocks the others.
func (e *Engine) PushProblems(ctx context.Context, rows []*ProblemRow, device *string) (*ProblemPushResult, error) {
	pc, err := e.startPush(ctx, len(rows), device)
	if err != nil {
		return nil, err
	}
	conflicts, rejected, err := pushEach(ctx, e, pc, Problems, rows, collOps[*ProblemRow, *ProblemDoc]{
		apply:  func(row *ProblemRow) error { return retryRaces(func() error { return e.pushProblem(ctx, pc, row) }) },
		master: func(id string) (*ProblemDoc, error) { return e.problemMaster(ctx, pc.sc, id) },
		tombstone: func(id string) *ProblemDoc {
			return &ProblemDoc{ID: id, CoordinatingDepartments: []string{}, Tags: []string{}, Meta: Meta{HLC: ServerHLC(e.now()), Deleted: true}}
		},
		enterprise: func(d *ProblemDoc) string {
			if d.EnterpriseID == "" {
				return pc.p.EnterpriseID // an enterprise reports for itself
			}
			return d.EnterpriseID
		},
	})
	if err != nil {
		return nil, err
	}
	e.releaseHeld(ctx, pc)
	return &ProblemPushResult{Conflicts: conflicts, Rejected: rejected}, nil
}

// problemMaster is the problem as the caller may see it now: the document, a
// bare tombstone if it is outside the caller's scope, or nil if it never existed.
func (e *Engine) problemMaster(ctx context.Context, sc domain.Scope, id string) (*ProblemDoc, error) {
	ch, err := e.findRaw(ctx, store.CollProblems, id)
	if err != nil || ch == nil {
		return nil, err
	}
	pr, err := ch.Problem()
	if err != nil {
		return nil, err
	}
	if !sc.HasEnterprise(pr.EnterpriseID) {
		return &ProblemDoc{ID: id, EnterpriseID: pr.EnterpriseID, CoordinatingDepartments: []string{}, Tags: []string{}, Meta: goneMeta(*ch)}, nil
	}
	return problemDoc(pr), nil
}

func (e *Engine) pushProblem(ctx context.Context, pc *pushCtx, row *ProblemRow) error {
	nd := row.NewDocumentState
	if !domain.ValidID(nd.ID) {
		return domain.Invalid("id", "a document id must be a UUID or ULID")
	}
	ch, err := e.findRaw(ctx, store.CollProblems, nd.ID)
	if err != nil {
		return err
	}
	if ch == nil {
		if row.AssumedMasterState != nil {
			return domain.NotFound("problem", nd.ID)
		}
		return e.createProblem(ctx, pc, nd)
	}
	master, err := ch.Problem()
	if err != nil {
		return err
	}
	server := problemDoc(master)
	base := row.AssumedMasterState
	if base == nil {
		// A creation the server already has (a retry whose receipt was lost, or
		// two devices choosing one id): merge against what is stored.
		base = server
	}
	bm, cm, sm := toMap(base), toMap(nd), toMap(server)
	if !pc.sc.HasEnterprise(master.EnterpriseID) || master.Deleted {
		reason := "the problem is no longer in your scope (its pairing ended or changed)"
		if master.Deleted {
			reason = "the problem was deleted"
		}
		if err := e.record(ctx, pc, Problems, nd.ID, master.EnterpriseID, refused(Problems, bm, cm, sm, reason)); err != nil {
			return err
		}
		return domain.NotFound("problem", nd.ID)
	}

	clock := deviceClock(nd.HLC, e.now())
	m := merge(Problems, bm, cm, sm, clock, fieldClock(master.Clocks, master.Meta))
	if m.immutable != "" {
		return domain.Invalid(m.immutable, "%s cannot change after a problem is reported", m.immutable)
	}
	var refusedFields []fieldConflict
	var rejection error
	if err := service.MayEditProblem(pc.p, master); err != nil && len(contentChanges(bm, cm)) > 0 {
		// Refused whatever the clocks say: record the true reason, not a lost
		// merge, for every content field the device changed.
		refusedFields = refusedContent(bm, cm, sm, domain.ErrorMessage(err))
		m.conflicts = slices.DeleteFunc(m.conflicts, func(c fieldConflict) bool { return isContent(c.Field) })
		for _, f := range contentChanges(bm, cm) {
			m.doc[f] = sm[f]
		}
		rejection = err
	}
	merged := fromMap[ProblemDoc](m.doc)
	if content := contentEdit(server, merged); content != nil {
		content.HLC = clock
		v := int(master.Version)
		if _, err := e.Svc.UpdateProblem(ctx, nd.ID, &v, *content); err != nil {
			if err := raced(err); isRace(err) || domain.ErrorCode(err) == domain.EINTERNAL {
				return err
			}
			refusedFields = append(refusedFields, refused(Problems, sm, toMap(merged), sm, domain.ErrorMessage(err))...)
			rejection = err
		}
	}
	if len(m.steps) > 0 {
		fc, err := e.problemWorkflow(ctx, pc, base, nd)
		if isRace(err) || domain.ErrorCode(err) == domain.EINTERNAL {
			return err
		}
		refusedFields = append(refusedFields, fc...)
		if err != nil && rejection == nil {
			rejection = err
		}
	}
	if err := e.record(ctx, pc, Problems, nd.ID, master.EnterpriseID, append(m.conflicts, refusedFields...)); err != nil {
		return err
	}
	return rejection
}

// isContent reports whether a problem field is content (edited by
// UpdateProblem) rather than workflow or bookkeeping.
func isContent(f string) bool {
	pol := policies[Problems][f]
	return pol == lww || pol == setUnion
}

// contentChanges lists the content fields the device changed, sorted.
func contentChanges(base, client map[string]any) []string {
	var out []string
	for f := range policies[Problems] {
		if isContent(f) && !equal(base[f], client[f]) {
			out = append(out, f)
		}
	}
	slices.Sort(out)
	return out
}

// refusedContent lists every content field the device changed as refused.
func refusedContent(base, client, server map[string]any, reason string) []fieldConflict {
	var out []fieldConflict
	for _, f := range contentChanges(base, client) {
		out = append(out, fieldConflict{Field: f, Base: base[f], Client: client[f], Server: server[f], Result: server[f],
			Outcome: domain.OutcomeRejected, Reason: reason})
	}
	return out
}

// contentEdit is the service update that turns server into merged, or nil.
func contentEdit(server, merged *ProblemDoc) *service.UpdateProblemInput {
	in := service.UpdateProblemInput{}
	changed := false
	if merged.Title != server.Title {
		in.Title, changed = &merged.Title, true
	}
	if merged.Description != server.Description {
		in.Description, changed = &merged.Description, true
	}
	if merged.Category != server.Category {
		in.Category, changed = &merged.Category, true
	}
	if merged.ResponsibleDepartment != server.ResponsibleDepartment {
		in.ResponsibleDepartment, changed = &merged.ResponsibleDepartment, true
	}
	if !slices.Equal(merged.Tags, server.Tags) {
		in.Tags, changed = nonNil(merged.Tags), true
	}
	if !changed {
		return nil
	}
	return &in
}

func (e *Engine) createProblem(ctx context.Context, pc *pushCtx, nd *ProblemDoc) error {
	if nd.Deleted {
		return nil // created and deleted offline: nothing to keep
	}
	id, ent := nd.ID, nd.EnterpriseID
	in := service.ReportProblemInput{ID: &id, Category: nd.Category, Title: nd.Title, Description: &nd.Description,
		ResponsibleDepartment: &nd.ResponsibleDepartment, Tags: nonNil(nd.Tags)}
	if ent != "" {
		in.EnterpriseID = &ent
	}
	if nd.Level != "" && nd.Level != domain.L1 && nd.EscalationMode == "" {
		lvl := nd.Level
		in.Level = &lvl
	}
	created, err := e.Svc.ReportProblem(ctx, in)
	if err != nil {
		return err
	}
	pc.created = append(pc.created, created.ID)
	base := problemDoc(created)
	if nd.Status == domain.StatusReported {
		// REPORTED is where a new problem starts, not a step the device asks
		// for: the server may already have acknowledged it (a chief's own record).
		st := *nd
		st.Status = base.Status
		nd = &st
	}
	if nd.Status == "" || nd.Status == base.Status {
		if nd.Level == "" || nd.Level == base.Level {
			return nil
		}
	}
	// Taken further offline (e.g. acknowledged and started at the plant):
	// replay those steps through the workflow.
	fc, err := e.problemWorkflow(ctx, pc, base, nd)
	if isRace(err) || domain.ErrorCode(err) == domain.EINTERNAL {
		return err
	}
	if rerr := e.record(ctx, pc, Problems, nd.ID, created.EnterpriseID, fc); rerr != nil {
		return rerr
	}
	return err
}

func (r *ProblemRow) state() *ProblemDoc {
	if r == nil {
		return nil
	}
	return r.NewDocumentState
}

func (r *ProblemRow) mutation() *string { return r.MutationID }

func (r *ProblemRow) creation() bool { return r.AssumedMasterState == nil }

func (d *ProblemDoc) docID() string { return d.ID }
