package domain_test

import (
	"slices"
	"testing"
	"time"

	"github.com/lianqi/lianqi/domain"
)

// TestPaperTrail: each rung of the ladder records its paper, and each asked
// department is judged on its own reply.
func TestPaperTrail(t *testing.T) {
	now := t0.Add(time.Hour)
	in := func(d time.Duration) *time.Time { x := now.Add(d); return &x }
	letter := &domain.EscalationLetter{Reference: "遂市监函〔2026〕1号"}
	l3 := func(p *domain.Problem) {
		t.Helper()
		if _, err := p.Apply(domain.Step{Action: domain.ActionEscalate, Level: domain.L3, Mode: domain.ModeLetter,
			Departments: []string{"生态环境分局", "住建局"}, Letter: letter, Reason: "需其他部门"}, official, now, domain.DefaultDeadlines); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name  string
		level domain.Level
		setup func(*domain.Problem)
		actor *domain.Principal
		step  domain.Step
		code  string
		check func(*testing.T, *domain.Problem, *domain.ProgressNote)
	}{
		{name: "L2OwnBureau", level: domain.L1, actor: official,
			step: domain.Step{Action: domain.ActionEscalate, Level: domain.L2, OwnDepartment: "县市场监管局", Reason: "局内研究"},
			check: func(t *testing.T, p *domain.Problem, _ *domain.ProgressNote) {
				if p.ResponsibleDepartment != "县市场监管局" {
					t.Fatalf("responsible = %q", p.ResponsibleDepartment)
				}
			}},
		{name: "L3LetterAsksEachDepartment", level: domain.L2, actor: official,
			step: domain.Step{Action: domain.ActionEscalate, Level: domain.L3, Mode: domain.ModeLetter, Departments: []string{"生态环境分局", "住建局"},
				Letter: letter, ReplyBy: in(48 * time.Hour), Reason: "需其他部门"},
			check: func(t *testing.T, p *domain.Problem, _ *domain.ProgressNote) {
				if p.Letter == nil || !slices.Equal(p.Letter.To, []string{"生态环境分局", "住建局"}) || !p.Letter.SentAt.Equal(now) {
					t.Fatalf("letter = %+v", p.Letter)
				}
				if len(p.DepartmentReplies) != 2 || !p.DepartmentReplies[1].ReplyBy.Equal(*in(48 * time.Hour)) {
					t.Fatalf("replies = %+v", p.DepartmentReplies)
				}
				if got := p.OverdueDepartments(now.Add(72 * time.Hour)); !slices.Equal(got, []string{"生态环境分局", "住建局"}) {
					t.Fatalf("overdue = %v", got)
				}
			}},
		{name: "L3MeetingDefaultsPresent", level: domain.L2, actor: official,
			step: domain.Step{Action: domain.ActionEscalate, Level: domain.L3, Mode: domain.ModeMeeting, Departments: []string{"住建局"},
				Meeting: &domain.CoordinationMeeting{Date: now, Decisions: "改用压路机碾压"}, Reason: "需协调"},
			check: func(t *testing.T, p *domain.Problem, _ *domain.ProgressNote) {
				if p.Meeting == nil || !slices.Equal(p.Meeting.Departments, []string{"住建局"}) || p.Meeting.Decisions != "改用压路机碾压" {
					t.Fatalf("meeting = %+v", p.Meeting)
				}
				// Default reply deadline: the L3 response deadline.
				if !p.DepartmentReplies[0].ReplyBy.Equal(now.Add(domain.DefaultDeadlines[domain.L3].Respond)) {
					t.Fatalf("replyBy = %v", p.DepartmentReplies[0].ReplyBy)
				}
			}},
		{name: "ErrLetterWithMeetingMode", level: domain.L2, actor: official,
			step: domain.Step{Action: domain.ActionEscalate, Level: domain.L3, Mode: domain.ModeMeeting, Departments: []string{"住建局"}, Letter: letter, Reason: "x"},
			code: domain.EINVALID},
		{name: "ErrLetterWithoutReference", level: domain.L2, actor: official,
			step: domain.Step{Action: domain.ActionEscalate, Level: domain.L3, Mode: domain.ModeLetter, Departments: []string{"住建局"},
				Letter: &domain.EscalationLetter{}, Reason: "x"},
			code: domain.EINVALID},
		{name: "ErrReplyByInPast", level: domain.L2, actor: official,
			step: domain.Step{Action: domain.ActionEscalate, Level: domain.L3, Mode: domain.ModeLetter, Departments: []string{"住建局"},
				ReplyBy: in(-time.Hour), Reason: "x"},
			code: domain.EINVALID},
		{name: "ErrLetterOnL2", level: domain.L1, actor: official,
			step: domain.Step{Action: domain.ActionEscalate, Level: domain.L2, Letter: letter, Reason: "x"}, code: domain.EINVALID},
		{name: "ReplyClearsOverdue", level: domain.L2, setup: l3, actor: official,
			step: domain.Step{Action: domain.ActionReply, Department: "住建局", Reason: "同意配合"},
			check: func(t *testing.T, p *domain.Problem, n *domain.ProgressNote) {
				if got := p.OverdueDepartments(now.Add(30 * 24 * time.Hour)); !slices.Equal(got, []string{"生态环境分局"}) {
					t.Fatalf("overdue = %v", got)
				}
				if n.Kind != domain.ActionReply || !slices.Equal(n.Departments, []string{"住建局"}) || n.Text != "同意配合" {
					t.Fatalf("entry = %+v", n)
				}
			}},
		{name: "ErrReplyFromDepartmentNotAsked", level: domain.L2, setup: l3, actor: official,
			step: domain.Step{Action: domain.ActionReply, Department: "财政局", Reason: "x"}, code: domain.EINVALID},
		{name: "ErrReplyWithoutText", level: domain.L2, setup: l3, actor: official,
			step: domain.Step{Action: domain.ActionReply, Department: "住建局"}, code: domain.EINVALID},
		{name: "ErrEnterpriseRecordsReply", level: domain.L2, setup: l3, actor: reporter,
			step: domain.Step{Action: domain.ActionReply, Department: "住建局", Reason: "x"}, code: domain.EFORBIDDEN},
		{name: "CoordinationLaterAddsDepartment", level: domain.L2, setup: l3, actor: official,
			step: domain.Step{Action: domain.ActionCoordination, Meeting: &domain.CoordinationMeeting{Date: now, Departments: []string{"住建局", "财政局"}}},
			check: func(t *testing.T, p *domain.Problem, n *domain.ProgressNote) {
				if !slices.Contains(p.CoordinatingDepartments, "财政局") || len(p.DepartmentReplies) != 3 || p.Letter == nil {
					t.Fatalf("problem = %+v", p)
				}
				if n.Mode != domain.ModeMeeting || n.Text == "" {
					t.Fatalf("entry = %+v", n)
				}
			}},
		{name: "ErrCoordinationBelowL3", level: domain.L2, actor: official,
			step: domain.Step{Action: domain.ActionCoordination, Letter: letter}, code: domain.EINVALID},
		{name: "DecisionByLeader", level: domain.L4, actor: leader,
			step: domain.Step{Action: domain.ActionDecision, Decision: &domain.ExecutiveDecision{Decision: "由住建局牵头", Assignee: "住建局", Deadline: in(24 * time.Hour)}},
			check: func(t *testing.T, p *domain.Problem, n *domain.ProgressNote) {
				d := p.ExecutiveDecision
				if d == nil || d.RecordedByUserID != leader.UserID || !d.Date.Equal(now) || n.Text != "由住建局牵头" {
					t.Fatalf("decision = %+v, entry %+v", d, n)
				}
				if d.Overdue(p, now) || !d.Overdue(p, now.Add(48*time.Hour)) {
					t.Fatal("overdue is judged by the decision's deadline")
				}
			}},
		{name: "ErrDecisionByOfficial", level: domain.L4, actor: official,
			step: domain.Step{Action: domain.ActionDecision, Decision: &domain.ExecutiveDecision{Decision: "x", Assignee: "y"}}, code: domain.EFORBIDDEN},
		{name: "ErrDecisionBelowL4", level: domain.L3, actor: leader,
			step: domain.Step{Action: domain.ActionDecision, Decision: &domain.ExecutiveDecision{Decision: "x", Assignee: "y"}}, code: domain.EINVALID},
		{name: "ErrDecisionWithoutAssignee", level: domain.L4, actor: leader,
			step: domain.Step{Action: domain.ActionDecision, Decision: &domain.ExecutiveDecision{Decision: "x"}}, code: domain.EINVALID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := problemAt(domain.StatusInProgress, tc.level)
			if tc.setup != nil {
				tc.setup(p)
			}
			before := *p
			n, err := p.Apply(tc.step, tc.actor, now, domain.DefaultDeadlines)
			if domain.ErrorCode(err) != tc.code {
				t.Fatalf("err = %v, want code %q", err, tc.code)
			}
			if err != nil {
				if p.Version != before.Version || len(p.DepartmentReplies) != len(before.DepartmentReplies) || p.Level != before.Level {
					t.Fatal("a refused step changed the problem")
				}
				return
			}
			tc.check(t, p, n)
		})
	}
}
