package sync

import (
	"context"
	"slices"

	"github.com/lianqi/lianqi/domain"
)

// Status moves a device made offline are replayed as the workflow's steps, each
// checked by domain.Problem.Apply against the current state and the caller's
// role. routes gives the steps from one status to another.
var routes = map[domain.ProblemStatus]map[domain.ProblemStatus][]domain.Action{
	domain.StatusAcknowledged: {domain.StatusReported: {domain.ActionAcknowledge}},
	domain.StatusInProgress: {
		domain.StatusReported: {domain.ActionStart}, domain.StatusAcknowledged: {domain.ActionStart},
		domain.StatusResolved: {domain.ActionReopen}, domain.StatusConfirmed: {domain.ActionReopen},
	},
	domain.StatusResolved: {
		domain.StatusReported:     {domain.ActionStart, domain.ActionResolve},
		domain.StatusAcknowledged: {domain.ActionResolve}, domain.StatusInProgress: {domain.ActionResolve},
	},
	domain.StatusConfirmed: {domain.StatusResolved: {domain.ActionConfirm}},
	domain.StatusWithdrawn: {
		domain.StatusReported: {domain.ActionWithdraw}, domain.StatusAcknowledged: {domain.ActionWithdraw},
		domain.StatusInProgress: {domain.ActionWithdraw},
	},
}

// stage orders statuses along the life cycle; closed ones are last.
func stage(s domain.ProblemStatus) int {
	switch s {
	case domain.StatusReported:
		return 0
	case domain.StatusAcknowledged:
		return 1
	case domain.StatusInProgress:
		return 2
	case domain.StatusResolved:
		return 3
	}
	return 4
}

func levelStage(l domain.Level) int { return slices.Index(domain.Levels, l) }

// problemWorkflow replays the device's level and status changes (base → nd)
// against the stored problem. When the server's status is still the device's
// base, the device's move is replayed as is. When the server moved meanwhile,
// only further progress is replayed (an offline "resolved" after someone else
// started the work); a stale edit never takes a problem back, so a resolved or
// confirmed problem stays so and the device's move is kept as a conflict. A
// step the workflow refuses because the problem moved on while the device was
// offline is a CONFLICT, not bad input: the device did nothing wrong.
func (e *Engine) problemWorkflow(ctx context.Context, pc *pushCtx, base, nd *ProblemDoc) ([]fieldConflict, error) {
	reason := ""
	if nd.StatusReason != nil {
		reason = *nd.StatusReason
	}
	var out []fieldConflict
	var first error
	fail := func(field string, b, c, s any, err error) {
		out = append(out, fieldConflict{Field: field, Base: b, Client: c, Server: s, Result: s, Outcome: domain.OutcomeRejected, Reason: domain.ErrorMessage(err)})
		if first == nil {
			first = err
		}
	}
	cur, err := e.db().FindProblemByID(ctx, pc.sc, nd.ID)
	if err != nil {
		return nil, err
	}
	movedOn := func() bool { return cur.Status != base.Status || cur.Level != base.Level }
	// stale turns the workflow's refusal of a step into a conflict when the
	// problem is no longer where the device left it.
	stale := func(err error, field string, want any) error {
		if domain.ErrorCode(err) == domain.EINVALID && movedOn() {
			return domain.Errorf(domain.ECONFLICT, "the problem became %s (level %s) while the device was offline; its %s cannot change to %v now: %s",
				cur.Status, cur.Level, field, want, domain.ErrorMessage(err))
		}
		return err
	}

	if nd.Deleted && !base.Deleted {
		if _, err := e.Svc.DeleteProblem(ctx, nd.ID); err != nil {
			if isRace(raced(err)) || domain.ErrorCode(err) == domain.EINTERNAL {
				return nil, raced(err)
			}
			fail("deleted", false, true, false, err)
		}
		return out, first
	}

	if nd.Level != "" && nd.Level != base.Level && nd.Level != cur.Level {
		step := domain.Step{Action: domain.ActionEscalate, Level: nd.Level, Mode: domain.EscalationMode(nd.EscalationMode), Departments: nd.CoordinatingDepartments, Reason: reason}
		if levelStage(nd.Level) < levelStage(cur.Level) {
			fail("level", base.Level, nd.Level, cur.Level, domain.Errorf(domain.ECONFLICT, "the problem was escalated to %s meanwhile; it cannot go back to %s", cur.Level, nd.Level))
		} else if err := e.step(ctx, cur, step); err != nil {
			if isRace(err) || domain.ErrorCode(err) == domain.EINTERNAL {
				return nil, err
			}
			fail("level", base.Level, nd.Level, cur.Level, stale(err, "level", nd.Level))
		}
	}

	if nd.Status != "" && nd.Status != base.Status && nd.Status != cur.Status {
		from := cur.Status
		if from != base.Status && (!from.Open() || stage(nd.Status) <= stage(from)) {
			fail("status", base.Status, nd.Status, cur.Status, domain.Errorf(domain.ECONFLICT,
				"the problem became %s while the device was offline; a stale edit cannot change it to %s", from, nd.Status))
			return out, first
		}
		steps, ok := routes[nd.Status][from]
		if !ok {
			fail("status", base.Status, nd.Status, cur.Status, stale(domain.Invalid("status", "a problem cannot go from %s to %s", from, nd.Status), "status", nd.Status))
			return out, first
		}
		for _, a := range steps {
			if err := e.step(ctx, cur, domain.Step{Action: a, Reason: reason}); err != nil {
				if isRace(err) || domain.ErrorCode(err) == domain.EINTERNAL {
					return nil, err
				}
				fail("status", base.Status, nd.Status, cur.Status, stale(err, "status", nd.Status))
				break
			}
		}
	}
	return out, first
}

// step applies one workflow step to cur through the service's ApplyStep, the
// call GraphQL's workflow mutations make: the history entry's id is derived
// from the problem and its new version, so a retried row can neither duplicate
// nor drop it. The expected version turns a concurrent write into a race that
// retryRaces redoes against the newer state.
func (e *Engine) step(ctx context.Context, cur *domain.Problem, step domain.Step) error {
	v := int(cur.Version)
	next, err := e.Svc.ApplyStep(ctx, cur.ID, &v, step)
	if err != nil {
		return raced(err)
	}
	*cur = *next
	return nil
}
