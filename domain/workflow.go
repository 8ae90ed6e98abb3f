package domain

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Action is a step in a problem's life. Status and level change only through
// actions, each checked against the current state and the actor's role, so the
// same rules hold for GraphQL commands and for changes synced from phones.
type Action string

const (
	ActionNote        Action = "NOTE" // a free-text progress note; changes nothing
	ActionAcknowledge Action = "ACKNOWLEDGE"
	ActionStart       Action = "START"
	ActionEscalate    Action = "ESCALATE"
	ActionResolve     Action = "RESOLVE"
	ActionConfirm     Action = "CONFIRM"
	ActionReopen      Action = "REOPEN"
	ActionWithdraw    Action = "WITHDRAW"
	// ActionCoordination records the L3 letter (函告) or coordination meeting
	// (协调会) after the escalation; it changes neither status nor level.
	ActionCoordination Action = "RECORD_COORDINATION"
	// ActionReply records another department's reply to an L3 escalation.
	ActionReply Action = "DEPARTMENT_REPLY"
	// ActionDecision records the county executive meeting's decision on an L4 problem.
	ActionDecision Action = "EXECUTIVE_DECISION"
)

var actions = []Action{ActionNote, ActionAcknowledge, ActionStart, ActionEscalate, ActionResolve, ActionConfirm, ActionReopen, ActionWithdraw,
	ActionCoordination, ActionReply, ActionDecision}

func (a *Action) UnmarshalGQL(v any) (err error) {
	*a, err = parseEnum(v, actions, "ProblemAction")
	return err
}
func (a Action) MarshalGQL(w io.Writer) { writeEnum(w, a) }

// EscalationMode is how a problem above L2 is taken to other departments.
type EscalationMode string

const (
	ModeLetter  EscalationMode = "LETTER"  // 函告: a formal letter to another department
	ModeMeeting EscalationMode = "MEETING" // 协调会: a coordination meeting
	// ModeExecutiveMeeting is the county executive meeting (县长办公会议), the only mode of L4.
	ModeExecutiveMeeting EscalationMode = "EXECUTIVE_MEETING"
)

var escalationModes = []EscalationMode{ModeLetter, ModeMeeting, ModeExecutiveMeeting}

func (m *EscalationMode) UnmarshalGQL(v any) (err error) {
	*m, err = parseEnum(v, escalationModes, "EscalationMode")
	return err
}
func (m EscalationMode) MarshalGQL(w io.Writer) { writeEnum(w, m) }

// Step is one requested action with what it needs.
type Step struct {
	Action Action
	// Level, Mode and Departments describe an escalation.
	Level       Level
	Mode        EscalationMode
	Departments []string
	// Reason is why: required to escalate, reopen and withdraw; the resolution
	// summary for resolve; the reply's text for a department's reply.
	Reason string
	// OwnDepartment is the bureau of the enterprise's chief, which an L2
	// escalation makes responsible (the service looks it up).
	OwnDepartment string
	// Letter or Meeting is the paper of an L3 escalation (or of a later record);
	// ReplyBy is when the departments asked must reply (default: the L3
	// response deadline).
	Letter  *EscalationLetter
	Meeting *CoordinationMeeting
	ReplyBy *time.Time
	// Department is the department whose reply is recorded.
	Department string
	// Decision is the executive meeting's decision on an L4 problem.
	Decision *ExecutiveDecision
}

// transition says from which statuses an action may be taken, to which status it
// leads ("" keeps the status) and which roles may take it.
type transition struct {
	from  []ProblemStatus
	to    ProblemStatus
	roles []Role
}

var officials = []Role{RoleOfficial, RoleLeader, RoleAdmin}

var transitions = map[Action]transition{
	ActionAcknowledge: {from: []ProblemStatus{StatusReported}, to: StatusAcknowledged, roles: officials},
	ActionStart:       {from: []ProblemStatus{StatusReported, StatusAcknowledged}, to: StatusInProgress, roles: officials},
	ActionEscalate:    {from: OpenStatuses, roles: officials},
	ActionResolve:     {from: []ProblemStatus{StatusAcknowledged, StatusInProgress}, to: StatusResolved, roles: officials},
	// The enterprise judges whether the help worked (企业说了算); an admin may
	// record a confirmation given on paper.
	ActionConfirm: {from: []ProblemStatus{StatusResolved}, to: StatusConfirmed, roles: []Role{RoleEnterprise, RoleAdmin}},
	ActionReopen:  {from: []ProblemStatus{StatusResolved, StatusConfirmed}, to: StatusInProgress, roles: []Role{RoleEnterprise, RoleLeader}},
	// Withdrawal is checked against the reporter in Apply.
	ActionWithdraw: {from: OpenStatuses, to: StatusWithdrawn, roles: AllRoles},
	ActionNote:     {from: ProblemStatuses, roles: AllRoles},
	// The paper trail is recorded by those who carry the problem; the
	// executive meeting's decision by a leader, as only a leader puts a
	// problem on it.
	ActionCoordination: {from: OpenStatuses, roles: officials},
	ActionReply:        {from: OpenStatuses, roles: officials},
	ActionDecision:     {from: OpenStatuses, roles: []Role{RoleLeader, RoleAdmin}},
}

// Apply checks that actor may take step on the problem now and carries it out,
// returning the history entry to append. On error the problem is unchanged.
func (p *Problem) Apply(step Step, actor *Principal, now time.Time, deadlines map[Level]Deadlines) (*ProgressNote, error) {
	tr, ok := transitions[step.Action]
	if !ok {
		return nil, Invalid("action", "unknown action %q", step.Action)
	}
	if !slices.Contains(tr.roles, actor.Role) {
		return nil, Forbidden("%s accounts cannot %s a problem", actor.Role, strings.ToLower(string(step.Action)))
	}
	if step.Action == ActionWithdraw && actor.UserID != p.ReportedByUserID && actor.Role != RoleAdmin {
		return nil, Forbidden("only the account that reported a problem can withdraw it")
	}
	if !slices.Contains(tr.from, p.Status) {
		return nil, Invalid("status", "cannot %s a problem that is %s", strings.ToLower(string(step.Action)), p.Status)
	}
	step.Reason = strings.TrimSpace(step.Reason)
	if err := checkText("reason", step.Reason, 5000); err != nil {
		return nil, err
	}
	switch step.Action {
	case ActionEscalate, ActionReopen, ActionWithdraw:
		if step.Reason == "" {
			return nil, Invalid("reason", "say why the problem is %s", pastTense[step.Action])
		}
	case ActionNote:
		if step.Reason == "" {
			return nil, Invalid("text", "a progress note needs text")
		}
	case ActionReply:
		if step.Reason == "" {
			return nil, Invalid("reply", "record what the department replied")
		}
	}

	next := *p
	next.DepartmentReplies = slices.Clone(p.DepartmentReplies)
	entry := &ProgressNote{ProblemID: p.ID, EnterpriseID: p.EnterpriseID, AuthorUserID: actor.UserID, AuthorName: actor.Username,
		Kind: step.Action, Text: step.Reason, At: now, FromStatus: p.Status, FromLevel: p.Level}
	if step.Action == ActionEscalate {
		if err := next.escalate(step, actor, now, deadlines); err != nil {
			return nil, err
		}
		entry.Mode = next.EscalationMode
		if next.Level == L3 {
			entry.Departments = next.CoordinatingDepartments
		}
	}
	switch step.Action {
	case ActionCoordination:
		if err := next.recordCoordination(step, entry, now, deadlines); err != nil {
			return nil, err
		}
	case ActionReply:
		if err := next.recordReply(step, actor, entry, now); err != nil {
			return nil, err
		}
	case ActionDecision:
		if err := next.recordDecision(step, actor, entry, now); err != nil {
			return nil, err
		}
	}
	if tr.to != "" {
		next.Status = tr.to
	}
	switch step.Action {
	case ActionAcknowledge, ActionStart:
		if next.RespondedAt == nil {
			next.RespondedAt = &now
		}
	case ActionResolve:
		next.ResolvedAt = &now
	case ActionReopen:
		// A reopened problem gets the current level's time again to be resolved.
		next.ResolvedAt = nil
		next.ResolveBy = now.Add(deadlines[next.Level].Resolve)
	}
	entry.ToStatus, entry.ToLevel = next.Status, next.Level
	*p = next
	return entry, nil
}

var pastTense = map[Action]string{ActionEscalate: "escalated", ActionReopen: "reopened", ActionWithdraw: "withdrawn"}

// escalate moves the problem up the ladder. L3 names the other departments and
// whether a letter or a coordination meeting carries it; L4 goes to the county
// executive meeting, which only a leader can put a problem on.
func (p *Problem) escalate(step Step, actor *Principal, now time.Time, deadlines map[Level]Deadlines) error {
	if !slices.Contains(Levels, step.Level) {
		return Invalid("level", "unknown escalation level %q", step.Level)
	}
	if step.Level != L3 && (step.Letter != nil || step.Meeting != nil || step.ReplyBy != nil) {
		return Invalid("level", "a letter, a meeting and reply deadlines go with an L3 escalation")
	}
	if levelRank(step.Level) <= levelRank(p.Level) {
		return Invalid("level", "a problem at %s can only be escalated upwards", p.Level)
	}
	depts, err := departments("departments", step.Departments)
	if err != nil {
		return err
	}
	switch step.Level {
	case L2:
		if step.Mode != "" {
			return Invalid("mode", "an L2 problem stays inside the department: no letter or meeting")
		}
		// 系统内: the chief's own bureau carries it.
		if step.OwnDepartment != "" {
			p.ResponsibleDepartment = step.OwnDepartment
		}
	case L3:
		if step.Mode != ModeLetter && step.Mode != ModeMeeting {
			return Invalid("mode", "L3 goes to other departments by LETTER (函告) or MEETING (协调会)")
		}
		if len(depts) == 0 {
			return Invalid("departments", "name the departments the problem goes to")
		}
		if step.Letter != nil && step.Mode != ModeLetter || step.Meeting != nil && step.Mode != ModeMeeting {
			return Invalid("mode", "a letter goes with mode LETTER, a meeting with mode MEETING")
		}
		if err := p.setPaper(step.Letter, step.Meeting, depts, now); err != nil {
			return err
		}
		replyBy := now.Add(deadlines[L3].Respond)
		if step.ReplyBy != nil {
			if !step.ReplyBy.After(now) {
				return Invalid("replyBy", "the departments' reply deadline must be in the future")
			}
			replyBy = step.ReplyBy.UTC()
		}
		p.askDepartments(depts, replyBy)
	case L4:
		if actor.Role != RoleLeader {
			return Forbidden("only a leader can put a problem on the county executive meeting (L4)")
		}
		if step.Mode != "" && step.Mode != ModeExecutiveMeeting {
			return Invalid("mode", "L4 is the county executive meeting")
		}
		step.Mode = ModeExecutiveMeeting
	}
	p.Level, p.EscalationMode = step.Level, step.Mode
	if len(depts) > 0 {
		p.CoordinatingDepartments = depts
	}
	// Each rung has its own deadlines, counted from the escalation.
	p.ResolveBy = now.Add(deadlines[p.Level].Resolve)
	if p.Status == StatusReported {
		p.RespondBy = now.Add(deadlines[p.Level].Respond)
	}
	return nil
}

func levelRank(l Level) int { return slices.Index(Levels, l) }

// historyNamespace scopes the ids of history entries (UUIDv5).
var historyNamespace = uuid.MustParse("6f1c6a9e-3b8e-4c59-9a43-0e3a61a5c1d7")

// HistoryEntryID is the id of the history entry that records the step which took
// problemID to version: the same step can only ever produce one entry, so a
// retried insert is a duplicate key, not a second entry.
func HistoryEntryID(problemID string, version int64) string {
	return uuid.NewSHA1(historyNamespace, []byte(fmt.Sprintf("%s/%d", problemID, version))).String()
}
