package domain

import (
	"slices"
	"strings"
	"time"
)

// The ladder's paper trail: what each rung of the escalation leaves on record,
// so that an office reading the problem later sees who was asked, how, by when,
// and what they said (事事有回应、件件有落实).

// EscalationLetter is the formal letter (函告) an L3 problem was sent to other departments with.
type EscalationLetter struct {
	// To are the departments addressed; by default those the escalation named.
	To        []string
	SentAt    time.Time
	Reference string // the letter's reference number (文号), e.g. 遂经商函〔2026〕12号
}

// CoordinationMeeting is the coordination meeting (协调会) an L3 problem was taken to.
type CoordinationMeeting struct {
	Date time.Time
	// Departments are those present.
	Departments []string
	Decisions   string
}

// DepartmentReply is one other department's answer to an L3 escalation, due by
// ReplyBy. A department that has not replied by then is overdue on its own,
// whatever the state of the problem as a whole.
type DepartmentReply struct {
	Department      string
	ReplyBy         time.Time
	RepliedAt       *time.Time
	Reply           string
	RepliedByUserID string
}

// Overdue reports whether the department has not replied and its deadline passed.
func (r *DepartmentReply) Overdue(now time.Time) bool {
	return r.RepliedAt == nil && now.After(r.ReplyBy)
}

// ExecutiveDecision is what the county executive meeting (县长办公会议)
// decided on an L4 problem, who is charged with carrying it out and by when.
type ExecutiveDecision struct {
	Date     time.Time
	Decision string
	// Assignee is who the meeting charged: a department or a named person.
	Assignee string
	// Deadline is when the assignee must have carried it out; nil if the meeting set none.
	Deadline         *time.Time
	RecordedByUserID string
}

// Overdue reports whether the decision's deadline passed while the problem is still open.
func (d *ExecutiveDecision) Overdue(p *Problem, now time.Time) bool {
	return d.Deadline != nil && p.Status.Open() && now.After(*d.Deadline)
}

// OverdueDepartments lists the departments that owe the problem a reply past
// their deadline, in the order they were asked. Only an open problem is owed.
func (p *Problem) OverdueDepartments(now time.Time) []string {
	out := []string{}
	if !p.Status.Open() {
		return out
	}
	for i := range p.DepartmentReplies {
		if p.DepartmentReplies[i].Overdue(now) {
			out = append(out, p.DepartmentReplies[i].Department)
		}
	}
	return out
}

// departments trims, de-duplicates and checks a list of department names.
func departments(field string, in []string) ([]string, error) {
	out := make([]string, 0, len(in))
	for _, d := range in {
		d = strings.TrimSpace(d)
		if d == "" || slices.Contains(out, d) {
			continue
		}
		if err := checkText(field, d, 100); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	if len(out) > 30 {
		return nil, Invalid(field, "at most 30 departments")
	}
	return out, nil
}

// validate checks the letter; to defaults to the escalation's departments.
func (l *EscalationLetter) validate(to []string, now time.Time) error {
	var err error
	if l.To, err = departments("letter.to", l.To); err != nil {
		return err
	}
	if len(l.To) == 0 {
		l.To = slices.Clone(to)
	}
	if len(l.To) == 0 {
		return Invalid("letter.to", "name the departments the letter went to")
	}
	l.Reference = strings.TrimSpace(l.Reference)
	if l.Reference == "" {
		return Invalid("letter.reference", "a letter's reference number (文号) is required")
	}
	if err := checkText("letter.reference", l.Reference, 100); err != nil {
		return err
	}
	if l.SentAt.IsZero() {
		l.SentAt = now
	}
	if l.SentAt.After(now.Add(24 * time.Hour)) {
		return Invalid("letter.sentAt", "a letter cannot be recorded as sent in the future")
	}
	return nil
}

// validate checks the meeting; those present default to the escalation's departments.
func (m *CoordinationMeeting) validate(present []string, now time.Time) error {
	var err error
	if m.Departments, err = departments("meeting.departments", m.Departments); err != nil {
		return err
	}
	if len(m.Departments) == 0 {
		m.Departments = slices.Clone(present)
	}
	if m.Date.IsZero() {
		return Invalid("meeting.date", "the meeting's date is required")
	}
	m.Decisions = strings.TrimSpace(m.Decisions)
	return checkText("meeting.decisions", m.Decisions, 5000)
}

// validate checks the decision.
func (d *ExecutiveDecision) validate(now time.Time) error {
	d.Decision, d.Assignee = strings.TrimSpace(d.Decision), strings.TrimSpace(d.Assignee)
	if d.Decision == "" {
		return Invalid("decision", "the meeting's decision is required")
	}
	if d.Assignee == "" {
		return Invalid("assignee", "say who the meeting charged with carrying it out")
	}
	if err := checkText("decision", d.Decision, 5000); err != nil {
		return err
	}
	if err := checkText("assignee", d.Assignee, 100); err != nil {
		return err
	}
	if d.Date.IsZero() {
		d.Date = now
	}
	if d.Date.After(now.Add(24 * time.Hour)) {
		return Invalid("date", "a decision cannot be recorded in the future")
	}
	if d.Deadline != nil && d.Deadline.Before(d.Date) {
		return Invalid("deadline", "the deadline cannot be before the meeting")
	}
	return nil
}

// askDepartments adds a reply owed by each department not yet asked, due by replyBy.
func (p *Problem) askDepartments(depts []string, replyBy time.Time) {
	for _, d := range depts {
		if !slices.ContainsFunc(p.DepartmentReplies, func(r DepartmentReply) bool { return r.Department == d }) {
			p.DepartmentReplies = append(p.DepartmentReplies, DepartmentReply{Department: d, ReplyBy: replyBy})
		}
	}
}

// setPaper validates and records the letter and/or meeting of an L3 step;
// depts are the departments the escalation named (the default addressees and
// those present).
func (p *Problem) setPaper(letter *EscalationLetter, meeting *CoordinationMeeting, depts []string, now time.Time) error {
	if letter != nil {
		l := *letter
		if err := l.validate(depts, now); err != nil {
			return err
		}
		p.Letter = &l
	}
	if meeting != nil {
		m := *meeting
		if err := m.validate(depts, now); err != nil {
			return err
		}
		p.Meeting = &m
	}
	return nil
}

// recordCoordination records the letter or meeting of a problem already sent
// to other departments. Departments it names that were not yet asked owe a
// reply too, by the L3 response deadline from now.
func (p *Problem) recordCoordination(step Step, entry *ProgressNote, now time.Time, deadlines map[Level]Deadlines) error {
	if len(p.CoordinatingDepartments) == 0 {
		return Invalid("level", "only a problem escalated to other departments (L3) has a letter or a meeting")
	}
	if step.Letter == nil && step.Meeting == nil {
		return Invalid("letter", "give the letter or the meeting to record")
	}
	if err := p.setPaper(step.Letter, step.Meeting, p.CoordinatingDepartments, now); err != nil {
		return err
	}
	var named []string
	texts := []string{}
	if step.Letter != nil {
		named = append(named, p.Letter.To...)
		entry.Mode = ModeLetter
		texts = append(texts, "函告 "+p.Letter.Reference)
	}
	if step.Meeting != nil {
		named = append(named, p.Meeting.Departments...)
		entry.Mode = ModeMeeting
		texts = append(texts, "协调会 "+p.Meeting.Date.Format(time.DateOnly))
		if p.Meeting.Decisions != "" {
			texts = append(texts, p.Meeting.Decisions)
		}
	}
	depts := slices.Clone(p.CoordinatingDepartments)
	for _, d := range named {
		if !slices.Contains(depts, d) {
			depts = append(depts, d)
		}
	}
	p.CoordinatingDepartments = depts
	p.askDepartments(named, now.Add(deadlines[L3].Respond))
	entry.Departments = named
	if entry.Text == "" {
		entry.Text = strings.Join(texts, "; ")
	}
	return nil
}

// recordReply records what one asked department replied.
func (p *Problem) recordReply(step Step, actor *Principal, entry *ProgressNote, now time.Time) error {
	d := strings.TrimSpace(step.Department)
	i := slices.IndexFunc(p.DepartmentReplies, func(r DepartmentReply) bool { return r.Department == d })
	if i < 0 {
		return Invalid("department", "%q was not asked to help with this problem", d)
	}
	r := &p.DepartmentReplies[i]
	at := now
	r.RepliedAt, r.Reply, r.RepliedByUserID = &at, step.Reason, actor.UserID
	entry.Departments = []string{d}
	return nil
}

// recordDecision records the executive meeting's decision on an L4 problem.
func (p *Problem) recordDecision(step Step, actor *Principal, entry *ProgressNote, now time.Time) error {
	if p.Level != L4 {
		return Invalid("level", "only a problem on the county executive meeting (L4) has its decision")
	}
	if step.Decision == nil {
		return Invalid("decision", "the meeting's decision is required")
	}
	d := *step.Decision
	if err := d.validate(now); err != nil {
		return err
	}
	d.RecordedByUserID = actor.UserID
	p.ExecutiveDecision = &d
	entry.Mode = ModeExecutiveMeeting
	if entry.Text == "" {
		entry.Text = d.Decision
	}
	return nil
}
