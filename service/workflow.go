package service

import (
	"context"
	"time"

	"github.com/lianqi/lianqi/domain"
)

// ApplyStep carries out one workflow command on a problem in the caller's scope:
// the domain checks the step against the problem's state and the caller's role,
// then the new state and the history entry are stored.
//
// Persisting is two single-document writes, because the embedded engine has no
// transactions: first the problem, guarded by its version, then the history
// entry. The entry's id is derived from (problem id, new version), so whoever
// retries the second write cannot create a duplicate. If the second write still
// fails, the problem keeps its new state, the error is logged and returned as
// internal, and the history lacks that one entry: the problem's version and
// updatedAt still show a step was taken, and the log line carries the entry so it
// can be re-inserted by hand (with the same id it lands exactly once).
func (s *Service) ApplyStep(ctx context.Context, id string, expectedVersion *int, step domain.Step) (*domain.Problem, error) {
	sc, p, err := s.Scope(ctx)
	if err != nil {
		return nil, err
	}
	if step.Action == domain.ActionNote {
		return nil, domain.Invalid("action", "add notes with addProgressNote")
	}
	pr, err := s.db.FindProblemByID(ctx, sc, id)
	if err != nil {
		return nil, err
	}
	if err := checkVersion(expectedVersion, "problem", id, pr.Version); err != nil {
		return nil, err
	}
	if step.Action == domain.ActionEscalate && step.Level == domain.L2 && step.OwnDepartment == "" {
		if step.OwnDepartment, err = s.chiefBureau(ctx, pr.EnterpriseID, p); err != nil {
			return nil, err
		}
	}
	now := s.now()
	entry, err := pr.Apply(step, p, now, s.Deadlines)
	if err != nil {
		return nil, err
	}
	if err := s.db.UpdateProblem(ctx, pr); err != nil {
		return nil, err
	}
	entry.ID = domain.HistoryEntryID(pr.ID, pr.Version)
	if err := s.appendHistory(ctx, entry); err != nil {
		s.Log.ErrorContext(ctx, "history entry lost", "problem", pr.ID, "version", pr.Version, "entryId", entry.ID,
			"kind", entry.Kind, "from", entry.FromStatus, "to", entry.ToStatus, "author", entry.AuthorUserID, "err", err)
		return nil, domain.Errorf(domain.EINTERNAL, "the problem was updated but its history entry could not be stored")
	}
	return pr, nil
}

// appendHistory inserts a history entry, retrying briefly: the id is fixed, so
// a retry after a write that did land reports a duplicate, which means done.
func (s *Service) appendHistory(ctx context.Context, n *domain.ProgressNote) error {
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		err = s.db.CreateProgressNote(ctx, n)
		if err == nil || domain.ErrorCode(err) == domain.ECONFLICT {
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(attempt+1) * 20 * time.Millisecond):
		}
	}
	return err
}

// chiefBureau is the bureau of the chief who leads the enterprise's service now
// (the caller's own, for an official acting on an unpaired enterprise): an L2
// problem is solved inside it (系统内). "" if neither holds a post.
func (s *Service) chiefBureau(ctx context.Context, enterpriseID string, p *domain.Principal) (string, error) {
	officialID := p.OfficialID
	pairings, err := s.db.FindPairings(ctx, domain.Scope{All: true}, domain.PairingFilter{EnterpriseID: enterpriseID, ActiveOnly: true})
	if err != nil {
		return "", err
	}
	if len(pairings) > 0 {
		officialID = pairings[0].LeadOfficialID
	}
	if officialID == "" {
		return "", nil
	}
	o, err := s.db.FindOfficialByID(ctx, domain.Scope{All: true}, officialID)
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		return "", nil
	} else if err != nil {
		return "", err
	}
	if post := o.CurrentPost(); post != nil {
		return post.Bureau, nil
	}
	return "", nil
}

// EscalateProblemInput says where a problem goes up the ladder and why, and
// for L3 the paper that carries it.
type EscalateProblemInput struct {
	Level       domain.Level
	Mode        *domain.EscalationMode
	Departments []string
	Reason      string
	Letter      *EscalationLetterInput
	Meeting     *CoordinationMeetingInput
	ReplyBy     *time.Time
}

// EscalationLetterInput is the letter (函告) an L3 problem goes out with.
type EscalationLetterInput struct {
	To        []string
	SentAt    *time.Time
	Reference string
}

func (in *EscalationLetterInput) domain() *domain.EscalationLetter {
	if in == nil {
		return nil
	}
	l := &domain.EscalationLetter{To: in.To, Reference: in.Reference}
	if in.SentAt != nil {
		l.SentAt = in.SentAt.UTC()
	}
	return l
}

// CoordinationMeetingInput is the coordination meeting (协调会) an L3 problem goes to.
type CoordinationMeetingInput struct {
	Date        time.Time
	Departments []string
	Decisions   *string
}

func (in *CoordinationMeetingInput) domain() *domain.CoordinationMeeting {
	if in == nil {
		return nil
	}
	return &domain.CoordinationMeeting{Date: in.Date.UTC(), Departments: in.Departments, Decisions: deref(in.Decisions)}
}

// ExecutiveDecisionInput is what the county executive meeting decided.
type ExecutiveDecisionInput struct {
	Date     *time.Time
	Decision string
	Assignee string
	Deadline *time.Time
}

// RecordCoordination records the letter or meeting of a problem already sent
// to other departments (L3), when it was not known at the escalation.
func (s *Service) RecordCoordination(ctx context.Context, id string, expectedVersion *int, letter *EscalationLetterInput, meeting *CoordinationMeetingInput, note *string) (*domain.Problem, error) {
	return s.ApplyStep(ctx, id, expectedVersion, domain.Step{Action: domain.ActionCoordination, Letter: letter.domain(), Meeting: meeting.domain(), Reason: deref(note)})
}

// RecordDepartmentReply records what a department asked by an L3 escalation replied.
func (s *Service) RecordDepartmentReply(ctx context.Context, id string, expectedVersion *int, department, reply string) (*domain.Problem, error) {
	return s.ApplyStep(ctx, id, expectedVersion, domain.Step{Action: domain.ActionReply, Department: department, Reason: reply})
}

// RecordExecutiveDecision records the county executive meeting's decision on an L4 problem.
func (s *Service) RecordExecutiveDecision(ctx context.Context, id string, expectedVersion *int, in ExecutiveDecisionInput) (*domain.Problem, error) {
	d := &domain.ExecutiveDecision{Decision: in.Decision, Assignee: in.Assignee}
	if in.Date != nil {
		d.Date = in.Date.UTC()
	}
	if in.Deadline != nil {
		t := in.Deadline.UTC()
		d.Deadline = &t
	}
	return s.ApplyStep(ctx, id, expectedVersion, domain.Step{Action: domain.ActionDecision, Decision: d})
}

// AcknowledgeProblem records that an official has taken note of a reported problem.
func (s *Service) AcknowledgeProblem(ctx context.Context, id string, expectedVersion *int, note *string) (*domain.Problem, error) {
	return s.ApplyStep(ctx, id, expectedVersion, domain.Step{Action: domain.ActionAcknowledge, Reason: deref(note)})
}

// StartProblem records that work on the problem has begun.
func (s *Service) StartProblem(ctx context.Context, id string, expectedVersion *int, note *string) (*domain.Problem, error) {
	return s.ApplyStep(ctx, id, expectedVersion, domain.Step{Action: domain.ActionStart, Reason: deref(note)})
}

// EscalateProblem moves the problem up the escalation ladder.
func (s *Service) EscalateProblem(ctx context.Context, id string, expectedVersion *int, in EscalateProblemInput) (*domain.Problem, error) {
	return s.ApplyStep(ctx, id, expectedVersion, domain.Step{Action: domain.ActionEscalate, Level: in.Level,
		Mode: deref(in.Mode), Departments: in.Departments, Reason: in.Reason,
		Letter: in.Letter.domain(), Meeting: in.Meeting.domain(), ReplyBy: in.ReplyBy})
}

// ResolveProblem records the resolution; the enterprise then confirms or reopens it.
func (s *Service) ResolveProblem(ctx context.Context, id string, expectedVersion *int, summary string) (*domain.Problem, error) {
	return s.ApplyStep(ctx, id, expectedVersion, domain.Step{Action: domain.ActionResolve, Reason: summary})
}

// RatingInput is the enterprise's judgement given with a confirmation or a rejection.
type RatingInput struct {
	Score   int
	Comment *string
}

// ConfirmProblem closes a resolved problem: the enterprise says the help worked,
// and may rate the service.
func (s *Service) ConfirmProblem(ctx context.Context, id string, expectedVersion *int, comment *string, rating *RatingInput) (*domain.Problem, error) {
	return s.judge(ctx, id, expectedVersion, domain.Step{Action: domain.ActionConfirm, Reason: deref(comment)}, rating)
}

// ReopenProblem rejects a resolution (enterprise, optionally rating the service)
// or reopens a closed problem (leader).
func (s *Service) ReopenProblem(ctx context.Context, id string, expectedVersion *int, reason string, rating *RatingInput) (*domain.Problem, error) {
	return s.judge(ctx, id, expectedVersion, domain.Step{Action: domain.ActionReopen, Reason: reason}, rating)
}

// judge applies a confirmation or rejection and stores the rating that came with
// it. The rating is checked before anything is written; it is a third write
// after the problem and its history entry, with an id derived from the step, so
// it too lands at most once. If it fails, the step stands and the error says so.
func (s *Service) judge(ctx context.Context, id string, expectedVersion *int, step domain.Step, in *RatingInput) (*domain.Problem, error) {
	var r *domain.Rating
	if in != nil {
		p, err := s.caller(ctx)
		if err != nil {
			return nil, err
		}
		if p.Role != domain.RoleEnterprise && p.Role != domain.RoleAdmin {
			return nil, domain.Invalid("rating", "ratings come from the enterprise")
		}
		r = &domain.Rating{ByUserID: p.UserID, Confirmed: step.Action == domain.ActionConfirm, Score: in.Score, Comment: deref(in.Comment)}
		if err := r.Validate(); err != nil {
			return nil, err
		}
	}
	pr, err := s.ApplyStep(ctx, id, expectedVersion, step)
	if err != nil || r == nil {
		return pr, err
	}
	r.ID, r.ProblemID, r.EnterpriseID, r.At = domain.RatingID(pr.ID, pr.Version), pr.ID, pr.EnterpriseID, s.now()
	lead, err := s.db.FindPairings(ctx, domain.Scope{All: true}, domain.PairingFilter{EnterpriseID: pr.EnterpriseID, ActiveOnly: true})
	if err == nil && len(lead) > 0 {
		r.OfficialID = lead[0].LeadOfficialID
	}
	if err == nil {
		err = s.db.CreateRating(ctx, r)
	}
	if err != nil && domain.ErrorCode(err) != domain.ECONFLICT {
		s.Log.ErrorContext(ctx, "rating lost", "problem", pr.ID, "version", pr.Version, "score", r.Score, "err", err)
		return nil, domain.Errorf(domain.EINTERNAL, "the problem was %s but the rating could not be stored", pastTense(step.Action))
	}
	return pr, nil
}

// WithdrawProblem lets the reporter take back a problem that is still open.
func (s *Service) WithdrawProblem(ctx context.Context, id string, expectedVersion *int, reason string) (*domain.Problem, error) {
	return s.ApplyStep(ctx, id, expectedVersion, domain.Step{Action: domain.ActionWithdraw, Reason: reason})
}

func pastTense(a domain.Action) string {
	if a == domain.ActionConfirm {
		return "confirmed"
	}
	return "reopened"
}
