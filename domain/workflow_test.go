package domain_test

import (
	"testing"
	"time"

	"github.com/lianqi/lianqi/domain"
)

var (
	t0         = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	reporterID = "01a21461-0000-7000-8000-00000000000e"
	official   = &domain.Principal{UserID: "01a21461-0000-7000-8000-000000000001", Username: "zhoushiyue", Role: domain.RoleOfficial}
	leader     = &domain.Principal{UserID: "01a21461-0000-7000-8000-000000000002", Username: "maojianguo", Role: domain.RoleLeader}
	admin      = &domain.Principal{UserID: "01a21461-0000-7000-8000-000000000003", Username: "admin", Role: domain.RoleAdmin}
	reporter   = &domain.Principal{UserID: reporterID, Username: "moweiliang", Role: domain.RoleEnterprise}
	otherEnt   = &domain.Principal{UserID: "01a21461-0000-7000-8000-000000000004", Username: "other", Role: domain.RoleEnterprise}
)

func problemAt(status domain.ProblemStatus, level domain.Level) *domain.Problem {
	p := &domain.Problem{ID: "01a21461-0000-7000-8000-0000000000aa", EnterpriseID: "01a21461-0000-7000-8000-0000000000bb",
		Category: domain.CategoryEnvironment, Title: "排污", Status: status, Level: level, ReportedByUserID: reporterID, ReportedAt: t0}
	p.SetDeadlines(t0, domain.DefaultDeadlines)
	return p
}

func TestApply(t *testing.T) {
	now := t0.Add(48 * time.Hour)
	for _, tc := range []struct {
		name       string
		status     domain.ProblemStatus
		level      domain.Level
		actor      *domain.Principal
		step       domain.Step
		code       string
		wantStatus domain.ProblemStatus
		wantLevel  domain.Level
	}{
		{"AcknowledgeOK", domain.StatusReported, domain.L1, official, domain.Step{Action: domain.ActionAcknowledge}, "", domain.StatusAcknowledged, domain.L1},
		{"ErrAcknowledgeTwice", domain.StatusAcknowledged, domain.L1, official, domain.Step{Action: domain.ActionAcknowledge}, domain.EINVALID, "", ""},
		{"ErrEnterpriseAcknowledges", domain.StatusReported, domain.L1, reporter, domain.Step{Action: domain.ActionAcknowledge}, domain.EFORBIDDEN, "", ""},
		{"StartFromReported", domain.StatusReported, domain.L1, official, domain.Step{Action: domain.ActionStart}, "", domain.StatusInProgress, domain.L1},
		{"ResolveOK", domain.StatusInProgress, domain.L2, official, domain.Step{Action: domain.ActionResolve, Reason: "已完成"}, "", domain.StatusResolved, domain.L2},
		{"ErrResolveReported", domain.StatusReported, domain.L1, official, domain.Step{Action: domain.ActionResolve}, domain.EINVALID, "", ""},
		{"ErrEnterpriseResolves", domain.StatusInProgress, domain.L1, reporter, domain.Step{Action: domain.ActionResolve}, domain.EFORBIDDEN, "", ""},
		{"ConfirmByEnterprise", domain.StatusResolved, domain.L1, reporter, domain.Step{Action: domain.ActionConfirm}, "", domain.StatusConfirmed, domain.L1},
		{"ErrOfficialConfirms", domain.StatusResolved, domain.L1, official, domain.Step{Action: domain.ActionConfirm}, domain.EFORBIDDEN, "", ""},
		{"ErrConfirmOpen", domain.StatusInProgress, domain.L1, reporter, domain.Step{Action: domain.ActionConfirm}, domain.EINVALID, "", ""},
		{"ReopenResolvedByEnterprise", domain.StatusResolved, domain.L2, reporter, domain.Step{Action: domain.ActionReopen, Reason: "问题仍在"}, "", domain.StatusInProgress, domain.L2},
		{"ReopenConfirmedByLeader", domain.StatusConfirmed, domain.L2, leader, domain.Step{Action: domain.ActionReopen, Reason: "抽查发现"}, "", domain.StatusInProgress, domain.L2},
		{"ErrReopenWithoutReason", domain.StatusResolved, domain.L2, reporter, domain.Step{Action: domain.ActionReopen}, domain.EINVALID, "", ""},
		{"ErrOfficialReopens", domain.StatusResolved, domain.L2, official, domain.Step{Action: domain.ActionReopen, Reason: "x"}, domain.EFORBIDDEN, "", ""},
		{"ErrReopenOpen", domain.StatusInProgress, domain.L2, reporter, domain.Step{Action: domain.ActionReopen, Reason: "x"}, domain.EINVALID, "", ""},
		{"WithdrawByReporter", domain.StatusAcknowledged, domain.L1, reporter, domain.Step{Action: domain.ActionWithdraw, Reason: "已自行解决"}, "", domain.StatusWithdrawn, domain.L1},
		{"ErrWithdrawByOther", domain.StatusAcknowledged, domain.L1, otherEnt, domain.Step{Action: domain.ActionWithdraw, Reason: "x"}, domain.EFORBIDDEN, "", ""},
		{"ErrWithdrawResolved", domain.StatusResolved, domain.L1, reporter, domain.Step{Action: domain.ActionWithdraw, Reason: "x"}, domain.EINVALID, "", ""},
		{"EscalateToL2", domain.StatusAcknowledged, domain.L1, official, domain.Step{Action: domain.ActionEscalate, Level: domain.L2, Reason: "需局内研究"}, "", domain.StatusAcknowledged, domain.L2},
		{"EscalateToL3ByLetter", domain.StatusInProgress, domain.L2, official, domain.Step{Action: domain.ActionEscalate, Level: domain.L3, Mode: domain.ModeLetter, Departments: []string{"生态环境分局"}, Reason: "需环保部门"}, "", domain.StatusInProgress, domain.L3},
		{"ErrL3WithoutDepartments", domain.StatusInProgress, domain.L2, official, domain.Step{Action: domain.ActionEscalate, Level: domain.L3, Mode: domain.ModeMeeting, Reason: "x"}, domain.EINVALID, "", ""},
		{"ErrL3WithoutMode", domain.StatusInProgress, domain.L2, official, domain.Step{Action: domain.ActionEscalate, Level: domain.L3, Departments: []string{"住建局"}, Reason: "x"}, domain.EINVALID, "", ""},
		{"ErrOfficialToL4", domain.StatusInProgress, domain.L3, official, domain.Step{Action: domain.ActionEscalate, Level: domain.L4, Reason: "共性问题"}, domain.EFORBIDDEN, "", ""},
		{"ErrAdminToL4", domain.StatusInProgress, domain.L3, admin, domain.Step{Action: domain.ActionEscalate, Level: domain.L4, Reason: "共性问题"}, domain.EFORBIDDEN, "", ""},
		{"LeaderToL4", domain.StatusInProgress, domain.L3, leader, domain.Step{Action: domain.ActionEscalate, Level: domain.L4, Reason: "共性问题"}, "", domain.StatusInProgress, domain.L4},
		{"ErrEscalateDown", domain.StatusInProgress, domain.L3, official, domain.Step{Action: domain.ActionEscalate, Level: domain.L2, Reason: "x"}, domain.EINVALID, "", ""},
		{"ErrEscalateResolved", domain.StatusResolved, domain.L1, official, domain.Step{Action: domain.ActionEscalate, Level: domain.L2, Reason: "x"}, domain.EINVALID, "", ""},
		{"ErrEscalateWithoutReason", domain.StatusInProgress, domain.L1, official, domain.Step{Action: domain.ActionEscalate, Level: domain.L2}, domain.EINVALID, "", ""},
		{"ErrEnterpriseEscalates", domain.StatusInProgress, domain.L1, reporter, domain.Step{Action: domain.ActionEscalate, Level: domain.L2, Reason: "x"}, domain.EFORBIDDEN, "", ""},
		{"NoteKeepsState", domain.StatusConfirmed, domain.L2, reporter, domain.Step{Action: domain.ActionNote, Reason: "谢谢"}, "", domain.StatusConfirmed, domain.L2},
		{"ErrEmptyNote", domain.StatusConfirmed, domain.L2, reporter, domain.Step{Action: domain.ActionNote}, domain.EINVALID, "", ""},
		{"ErrUnknownAction", domain.StatusReported, domain.L1, admin, domain.Step{Action: "DELETE"}, domain.EINVALID, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := problemAt(tc.status, tc.level)
			before := *p
			entry, err := p.Apply(tc.step, tc.actor, now, domain.DefaultDeadlines)
			if code := domain.ErrorCode(err); code != tc.code {
				t.Fatalf("code = %q (%v), want %q", code, err, tc.code)
			}
			if tc.code != "" {
				if p.Status != before.Status || p.Level != before.Level || p.ResolveBy != before.ResolveBy {
					t.Fatal("a refused step changed the problem")
				}
				return
			}
			if p.Status != tc.wantStatus || p.Level != tc.wantLevel {
				t.Fatalf("now %s/%s, want %s/%s", p.Status, p.Level, tc.wantStatus, tc.wantLevel)
			}
			if entry.Kind != tc.step.Action || entry.FromStatus != tc.status || entry.ToStatus != tc.wantStatus ||
				entry.FromLevel != tc.level || entry.ToLevel != tc.wantLevel || entry.AuthorUserID != tc.actor.UserID || !entry.At.Equal(now) {
				t.Fatalf("history entry = %+v", entry)
			}
		})
	}
}

func TestEscalationResetsDeadlines(t *testing.T) {
	p := problemAt(domain.StatusInProgress, domain.L2)
	now := t0.Add(10 * 24 * time.Hour)
	if _, err := p.Apply(domain.Step{Action: domain.ActionEscalate, Level: domain.L3, Mode: domain.ModeMeeting,
		Departments: []string{"住建局", " 住建局 ", "自然资源和规划局"}, Reason: "需要协调会"}, official, now, domain.DefaultDeadlines); err != nil {
		t.Fatal(err)
	}
	if want := now.Add(domain.DefaultDeadlines[domain.L3].Resolve); !p.ResolveBy.Equal(want) {
		t.Fatalf("resolveBy = %v, want %v", p.ResolveBy, want)
	}
	if len(p.CoordinatingDepartments) != 2 || p.EscalationMode != domain.ModeMeeting {
		t.Fatalf("departments = %v, mode = %s", p.CoordinatingDepartments, p.EscalationMode)
	}
}

func TestOverdue(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status domain.ProblemStatus
		after  time.Duration
		want   bool
	}{
		{"ReportedInTime", domain.StatusReported, 12 * time.Hour, false},
		{"ReportedNoResponse", domain.StatusReported, 25 * time.Hour, true},
		{"AcknowledgedInTime", domain.StatusAcknowledged, 48 * time.Hour, false},
		{"InProgressLate", domain.StatusInProgress, 4 * 24 * time.Hour, true},
		{"ResolvedNeverOverdue", domain.StatusResolved, 400 * 24 * time.Hour, false},
		{"WithdrawnNeverOverdue", domain.StatusWithdrawn, 400 * 24 * time.Hour, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := problemAt(tc.status, domain.L1).Overdue(t0.Add(tc.after)); got != tc.want {
				t.Fatalf("overdue = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestHistoryEntryID(t *testing.T) {
	p := "01a21461-0000-7000-8000-0000000000aa"
	a, b := domain.HistoryEntryID(p, 3), domain.HistoryEntryID(p, 3)
	if a != b || !domain.ValidID(a) {
		t.Fatalf("ids %q %q: want equal and valid", a, b)
	}
	if domain.HistoryEntryID(p, 4) == a || domain.HistoryEntryID("01a21461-0000-7000-8000-0000000000ab", 3) == a {
		t.Fatal("different steps share a history id")
	}
}
