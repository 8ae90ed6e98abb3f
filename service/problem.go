package service

import (
	"context"
	"fmt"
	"time"

	"github.com/lianqi/lianqi/domain"
)

// Problem returns one problem inside the caller's scope.
func (s *Service) Problem(ctx context.Context, id string) (*domain.Problem, error) {
	sc, _, err := s.Scope(ctx)
	if err != nil {
		return nil, err
	}
	return s.db.FindProblemByID(ctx, sc, id)
}

// Problems lists problems inside the caller's scope.
func (s *Service) Problems(ctx context.Context, f domain.ProblemFilter, sort domain.ProblemSort, page domain.PageRequest) (domain.Page[*domain.Problem], error) {
	sc, _, err := s.Scope(ctx)
	if err != nil {
		return domain.Page[*domain.Problem]{}, err
	}
	return s.db.FindProblems(ctx, sc, f, sort, page)
}

// ProblemsByIDs returns the problems among ids inside the caller's scope.
func (s *Service) ProblemsByIDs(ctx context.Context, ids []string) ([]*domain.Problem, error) {
	sc, _, err := s.Scope(ctx)
	if err != nil {
		return nil, err
	}
	return s.db.FindProblemsByIDs(ctx, sc, ids)
}

// ProgressNotes returns the progress notes of problems inside the caller's scope.
func (s *Service) ProgressNotes(ctx context.Context, problemIDs []string) ([]*domain.ProgressNote, error) {
	sc, _, err := s.Scope(ctx)
	if err != nil {
		return nil, err
	}
	return s.db.FindProgressNotes(ctx, sc, problemIDs)
}

// ReportProblemInput is a newly reported difficulty.
type ReportProblemInput struct {
	ID                    *string
	EnterpriseID          *string
	Category              domain.Category
	Title                 string
	Description           *string
	ResponsibleDepartment *string
	Tags                  []string
	Level                 *domain.Level
}

// ReportProblem records a difficulty of an enterprise in the caller's scope. An
// enterprise user reports for their own enterprise and cannot choose the level:
// where a problem sits on the ladder is the officials' call.
func (s *Service) ReportProblem(ctx context.Context, in ReportProblemInput) (*domain.Problem, error) {
	sc, p, err := s.Scope(ctx)
	if err != nil {
		return nil, err
	}
	id, err := newID(in.ID)
	if err != nil {
		return nil, err
	}
	enterpriseID := deref(in.EnterpriseID)
	if p.Role == domain.RoleEnterprise {
		if enterpriseID == "" {
			enterpriseID = p.EnterpriseID
		}
		if in.Level != nil {
			return nil, domain.Invalid("level", "the escalation level is set by officials, not by the enterprise")
		}
	}
	if enterpriseID == "" {
		return nil, domain.Invalid("enterpriseId", "enterpriseId is required")
	}
	e, err := s.db.FindEnterpriseByID(ctx, sc, enterpriseID)
	if err != nil {
		return nil, notFoundAs(err, "enterpriseId")
	}
	now := s.now()
	pr := &domain.Problem{ID: id, EnterpriseID: e.ID, Category: in.Category, Title: in.Title, Description: deref(in.Description),
		Status: domain.StatusReported, Level: domain.L1, ResponsibleDepartment: deref(in.ResponsibleDepartment), Tags: in.Tags,
		ReportedByUserID: p.UserID, ReportedAt: now}
	setIf(&pr.Level, in.Level)
	if err := pr.Validate(); err != nil {
		return nil, err
	}
	pr.SetDeadlines(now, s.Deadlines)
	// A chief who records a difficulty himself (at the plant, on a visit) has
	// taken it up by that act: it is acknowledged, not left REPORTED to go
	// overdue because he did not also acknowledge what he wrote down.
	var ack *domain.ProgressNote
	if p.Role == domain.RoleOfficial {
		if ack, err = pr.Apply(domain.Step{Action: domain.ActionAcknowledge, Reason: SelfRecordedNote}, p, now, s.Deadlines); err != nil {
			return nil, err
		}
	}
	if err := s.db.CreateProblem(ctx, pr); err != nil {
		return nil, err
	}
	if ack != nil {
		ack.ID = domain.HistoryEntryID(pr.ID, pr.Version)
		if err := s.appendHistory(ctx, ack); err != nil {
			// The problem stands acknowledged; only the entry saying so is missing.
			s.Log.ErrorContext(ctx, "history entry lost", "problem", pr.ID, "entryId", ack.ID, "kind", ack.Kind, "err", err)
		}
	}
	return pr, nil
}

// SelfRecordedNote is the history text of the acknowledgement a chief gives
// by recording a difficulty himself.
const SelfRecordedNote = "联系局长本人记录，记录即受理 (recorded by the chief himself: acknowledged by that act)"

// UpdateProblemInput edits a problem's content; nil fields stay. Status and level
// change only through the workflow commands.
type UpdateProblemInput struct {
	Title                 *string
	Description           *string
	Category              *domain.Category
	ResponsibleDepartment *string
	Tags                  []string
	// HLC is the hybrid logical clock of the edit, recorded for every field it
	// changes: the device's for a synced edit; empty for an edit made now.
	HLC string
}

// UpdateProblem edits a problem's content. Officials, leaders and admins may edit
// problems in their scope; an enterprise may edit its own only until an official
// has acknowledged it.
func (s *Service) UpdateProblem(ctx context.Context, id string, expectedVersion *int, in UpdateProblemInput) (*domain.Problem, error) {
	sc, p, err := s.Scope(ctx)
	if err != nil {
		return nil, err
	}
	pr, err := s.db.FindProblemByID(ctx, sc, id)
	if err != nil {
		return nil, err
	}
	if err := MayEditProblem(p, pr); err != nil {
		return nil, err
	}
	if err := checkVersion(expectedVersion, "problem", id, pr.Version); err != nil {
		return nil, err
	}
	before := problemContent(pr)
	setIf(&pr.Title, in.Title)
	setIf(&pr.Description, in.Description)
	setIf(&pr.Category, in.Category)
	setIf(&pr.ResponsibleDepartment, in.ResponsibleDepartment)
	if in.Tags != nil {
		pr.Tags = in.Tags
	}
	if err := pr.Validate(); err != nil {
		return nil, err
	}
	pr.Clocks = stampClocks(pr.Clocks, in.HLC, s.now(), before, problemContent(pr))
	return pr, s.db.UpdateProblem(ctx, pr)
}

// MayEditProblem says whether p may edit the content of pr (in scope): an
// enterprise only until officials have acknowledged its problem. Sync asks it
// before merging, so that an edit refused for this reason is recorded as
// refused even when the merge would have kept the server's value anyway.
func MayEditProblem(p *domain.Principal, pr *domain.Problem) error {
	if p.Role == domain.RoleEnterprise && pr.Status != domain.StatusReported {
		return domain.Forbidden("the problem has been taken up by officials; add a progress note instead")
	}
	return nil
}

// DeleteProblem removes a problem entered by mistake (admins only). It becomes a
// tombstone so that offline copies learn of the deletion.
func (s *Service) DeleteProblem(ctx context.Context, id string) (*domain.Problem, error) {
	if _, err := s.require(ctx, domain.RoleAdmin); err != nil {
		return nil, err
	}
	pr, err := s.db.FindProblemByID(ctx, domain.Scope{All: true}, id)
	if err != nil {
		return nil, err
	}
	pr.Deleted = true
	if err := s.db.UpdateProblem(ctx, pr); err != nil {
		return nil, err
	}
	s.audit(ctx, domain.AuditProblemDeleted, pr.ID, fmt.Sprintf("%s (enterprise %s, reported %s)", pr.Title, pr.EnterpriseID, pr.ReportedAt.Format(time.DateOnly)))
	return pr, nil
}

// AddProgressNote appends a note to a problem in the caller's scope. Notes are
// never edited or removed: the log is the record of what was done. A note is the
// workflow's NOTE action, so the same rules (any role in scope, text required)
// hold here and for notes synced from phones; it changes nothing on the problem
// but its change sequence, so that problemChanged subscribers hear of it.
func (s *Service) AddProgressNote(ctx context.Context, problemID, text string, clientID *string) (*domain.ProgressNote, error) {
	sc, p, err := s.Scope(ctx)
	if err != nil {
		return nil, err
	}
	pr, err := s.db.FindProblemByID(ctx, sc, problemID)
	if err != nil {
		return nil, notFoundAs(err, "problemId")
	}
	id, err := newID(clientID)
	if err != nil {
		return nil, err
	}
	n, err := pr.Apply(domain.Step{Action: domain.ActionNote, Reason: text}, p, s.now(), s.Deadlines)
	if err != nil {
		return nil, err
	}
	n.ID = id
	if err := s.db.CreateProgressNote(ctx, n); err != nil {
		return nil, err
	}
	// The note is part of the problem's history, which problemChanged
	// subscribers show: tell them. The note is stored either way; a failure
	// here only delays the event to the problem's next write.
	if err := s.db.TouchProblem(ctx, pr); err != nil {
		s.Log.WarnContext(ctx, "problem not touched after a note", "problem", pr.ID, "note", n.ID, "err", err)
	}
	return n, nil
}
