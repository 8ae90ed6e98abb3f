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
)

var actions = []Action{ActionNote, ActionAcknowledge, ActionStart, ActionEscalate, ActionResolve, ActionConfirm, ActionReopen, ActionWithdraw}

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
	// summary for resolve.
	Reason string
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
	}

	next := *p
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
	if levelRank(step.Level) <= levelRank(p.Level) {
		return Invalid("level", "a problem at %s can only be escalated upwards", p.Level)
	}
	depts := make([]string, 0, len(step.Departments))
	for _, d := range step.Departments {
		d = strings.TrimSpace(d)
		if d == "" || slices.Contains(depts, d) {
			continue
		}
		if err := checkText("departments", d, 100); err != nil {
			return err
		}
		depts = append(depts, d)
	}
	switch step.Level {
	case L2:
		if step.Mode != "" {
			return Invalid("mode", "an L2 problem stays inside the department: no letter or meeting")
		}
	case L3:
		if step.Mode != ModeLetter && step.Mode != ModeMeeting {
			return Invalid("mode", "L3 goes to other departments by LETTER (函告) or MEETING (协调会)")
		}
		if len(depts) == 0 {
			return Invalid("departments", "name the departments the problem goes to")
		}
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
