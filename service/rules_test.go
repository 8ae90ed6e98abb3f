package service_test

import (
	"context"
	"testing"
	"time"

	"github.com/lianqi/lianqi/demo"
	"github.com/lianqi/lianqi/domain"
	"github.com/lianqi/lianqi/service"
	"github.com/lianqi/lianqi/store"
	"github.com/lianqi/lianqi/store/storetest"
)

// These tests call the service directly, without HTTP or GraphQL, against the
// demo programme on a fresh embedded database: the rules hold whichever
// transport calls them.

type env struct {
	db  *store.DB
	svc *service.Service
	now time.Time
}

func newEnv(t *testing.T) *env {
	t.Helper()
	db := storetest.Open(t)
	now := time.Now().UTC().Truncate(time.Millisecond)
	if _, err := demo.Seed(context.Background(), db, now); err != nil {
		t.Fatal(err)
	}
	svc := service.New(db, nil, nil)
	svc.Now = func() time.Time { return now }
	return &env{db: db, svc: svc, now: now}
}

// as acts as a demo account.
func (v *env) as(t *testing.T, username string) context.Context {
	t.Helper()
	u, err := v.db.FindUserByUsername(context.Background(), username)
	if err != nil {
		t.Fatal(err)
	}
	return domain.WithPrincipal(context.Background(), &domain.Principal{UserID: u.ID, Username: u.Username, Role: u.Role,
		OfficialID: u.OfficialID, EnterpriseID: u.EnterpriseID, ExpiresAt: v.now.Add(time.Hour)})
}

// official returns the official record a demo account acts as.
func (v *env) official(t *testing.T, username string) *domain.Official {
	t.Helper()
	u, err := v.db.FindUserByUsername(context.Background(), username)
	if err != nil {
		t.Fatal(err)
	}
	o, err := v.db.FindOfficialByID(context.Background(), domain.Scope{All: true}, u.OfficialID)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func wantErr(t *testing.T, err error, code, field string) {
	t.Helper()
	if c := domain.ErrorCode(err); c != code {
		t.Fatalf("code = %q, want %q (err %v)", c, code, err)
	}
	if field != "" && domain.ErrorField(err) != field {
		t.Fatalf("field = %q, want %q (err %v)", domain.ErrorField(err), field, err)
	}
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// TestChangeOfficialPost: posts follow one another. 周世岳 has held 县市场监管局
// 局长 since the 2019 reform; the README's old example entered that post again
// on the same day, which made a post lasting no time and a duplicate.
func TestChangeOfficialPost(t *testing.T) {
	v := newEnv(t)
	admin := v.as(t, "admin")
	reform := day(2019, time.March, 1)
	for _, tc := range []struct {
		name     string
		ctx      context.Context
		in       service.PostInput
		wantCode string
		field    string
	}{
		{name: "ErrSameDayAsCurrent", in: service.PostInput{Bureau: "县发展和改革局", Title: "局长", From: reform}, wantCode: domain.EINVALID, field: "from"},
		{name: "ErrBeforeCurrent", in: service.PostInput{Bureau: "县发展和改革局", Title: "局长", From: reform.AddDate(0, -1, 0)}, wantCode: domain.EINVALID, field: "from"},
		{name: "ErrDuplicate", in: service.PostInput{Bureau: "县市场监管局", Title: "局长", From: day(2021, time.September, 1)}, wantCode: domain.EINVALID, field: "bureau"},
		{name: "ErrFuture", in: service.PostInput{Bureau: "县发展和改革局", Title: "局长", From: day(2030, time.January, 1)}, wantCode: domain.EINVALID, field: "from"},
		{name: "ErrTomorrow", in: service.PostInput{Bureau: "县发展和改革局", Title: "局长", From: v.now.Add(time.Minute)}, wantCode: domain.EINVALID, field: "from"},
		{name: "ErrNotAdmin", ctx: v.as(t, "maojianguo"), in: service.PostInput{Bureau: "县发展和改革局", Title: "局长", From: day(2021, time.September, 1)}, wantCode: domain.EFORBIDDEN},
		{name: "ErrMissingTitle", in: service.PostInput{Bureau: "县发展和改革局", From: day(2021, time.September, 1)}, wantCode: domain.EINVALID, field: "post.title"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := admin
			if tc.ctx != nil {
				ctx = tc.ctx
			}
			zhou := v.official(t, "zhoushiyue")
			_, err := v.svc.ChangeOfficialPost(ctx, zhou.ID, tc.in)
			wantErr(t, err, tc.wantCode, tc.field)
			after := v.official(t, "zhoushiyue")
			if len(after.Posts) != len(zhou.Posts) || after.CurrentPost().Bureau != "县市场监管局" || after.Version != zhou.Version {
				t.Fatalf("a refused change was stored: %+v", after.Posts)
			}
		})
	}
	t.Run("OK", func(t *testing.T) {
		zhou := v.official(t, "zhoushiyue")
		moved := day(2021, time.September, 1)
		o, err := v.svc.ChangeOfficialPost(admin, zhou.ID, service.PostInput{Bureau: "县发展和改革局", Title: "局长", From: moved})
		if err != nil {
			t.Fatal(err)
		}
		if len(o.Posts) != 3 || !o.Posts[1].To.Equal(moved) || o.CurrentPost().Bureau != "县发展和改革局" || !o.CurrentPost().From.Equal(moved) {
			t.Fatalf("posts = %+v", o.Posts)
		}
	})
	t.Run("OKDefaultsToNow", func(t *testing.T) {
		zhou := v.official(t, "zhoushiyue")
		o, err := v.svc.ChangeOfficialPost(admin, zhou.ID, service.PostInput{Bureau: "县经济商务局", Title: "局长"})
		if err != nil {
			t.Fatal(err)
		}
		if cur := o.CurrentPost(); cur.Bureau != "县经济商务局" || !cur.From.Equal(v.now) {
			t.Fatalf("current post = %+v, want one starting now (%v)", cur, v.now)
		}
	})
	t.Run("CreateOfficialErrFuturePost", func(t *testing.T) {
		_, err := v.svc.CreateOfficial(admin, service.CreateOfficialInput{Name: "新干部", Post: &service.PostInput{Bureau: "县林业局", Title: "局长", From: day(2030, time.January, 1)}})
		wantErr(t, err, domain.EINVALID, "from")
	})
}

// TestWorkflowRules: who may take which step, from which state, on which
// problem. Each case starts from a fresh report by 莫伟良 (浙江良盛元化工有限公司,
// served by 周世岳), taken through setup steps first.
func TestWorkflowRules(t *testing.T) {
	v := newEnv(t)
	ack := func(svc *service.Service, ctx context.Context, id string) error {
		_, err := svc.AcknowledgeProblem(ctx, id, nil, nil)
		return err
	}
	resolve := func(svc *service.Service, ctx context.Context, id string) error {
		_, err := svc.ResolveProblem(ctx, id, nil, "管网已接通")
		return err
	}
	escalateL4 := func(svc *service.Service, ctx context.Context, id string) error {
		_, err := svc.EscalateProblem(ctx, id, nil, service.EscalateProblemInput{Level: domain.L4, Reason: "涉及多个部门"})
		return err
	}
	confirm := func(svc *service.Service, ctx context.Context, id string) error {
		_, err := svc.ConfirmProblem(ctx, id, nil, nil, nil)
		return err
	}
	withdraw := func(svc *service.Service, ctx context.Context, id string) error {
		_, err := svc.WithdrawProblem(ctx, id, nil, "已自行解决")
		return err
	}
	type step func(*service.Service, context.Context, string) error
	for _, tc := range []struct {
		name     string
		setup    []step // taken by 周世岳 before the step under test
		user     string
		step     step
		wantCode string
		status   domain.ProblemStatus // after the step, when it succeeds
	}{
		{name: "OfficialAcknowledges", user: "zhoushiyue", step: ack, status: domain.StatusAcknowledged},
		{name: "LeaderAcknowledges", user: "maojianguo", step: ack, status: domain.StatusAcknowledged},
		{name: "ErrEnterpriseAcknowledges", user: "moweiliang", step: ack, wantCode: domain.EFORBIDDEN},
		{name: "ErrOtherOfficialCannotSeeIt", user: "zhulijun", step: ack, wantCode: domain.ENOTFOUND},
		{name: "ErrAcknowledgeTwice", setup: []step{ack}, user: "zhoushiyue", step: ack, wantCode: domain.EINVALID},
		{name: "ErrResolveUnacknowledged", user: "zhoushiyue", step: resolve, wantCode: domain.EINVALID},
		{name: "OfficialResolves", setup: []step{ack}, user: "zhoushiyue", step: resolve, status: domain.StatusResolved},
		{name: "ErrOfficialEscalatesToL4", user: "zhoushiyue", step: escalateL4, wantCode: domain.EFORBIDDEN},
		{name: "LeaderEscalatesToL4", user: "maojianguo", step: escalateL4, status: domain.StatusReported},
		{name: "EnterpriseConfirms", setup: []step{ack, resolve}, user: "moweiliang", step: confirm, status: domain.StatusConfirmed},
		{name: "ErrOfficialConfirms", setup: []step{ack, resolve}, user: "zhoushiyue", step: confirm, wantCode: domain.EFORBIDDEN},
		{name: "ErrConfirmOpen", setup: []step{ack}, user: "moweiliang", step: confirm, wantCode: domain.EINVALID},
		{name: "ReporterWithdraws", user: "moweiliang", step: withdraw, status: domain.StatusWithdrawn},
		{name: "ErrWithdrawClosed", setup: []step{ack, resolve}, user: "moweiliang", step: withdraw, wantCode: domain.EINVALID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pr, err := v.svc.ReportProblem(v.as(t, "moweiliang"), service.ReportProblemInput{Category: domain.CategoryEnvironment, Title: "排污管网接入 " + tc.name})
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range tc.setup {
				if err := s(v.svc, v.as(t, "zhoushiyue"), pr.ID); err != nil {
					t.Fatalf("setup: %v", err)
				}
			}
			before, err := v.db.FindProblemByID(context.Background(), domain.Scope{All: true}, pr.ID)
			if err != nil {
				t.Fatal(err)
			}
			err = tc.step(v.svc, v.as(t, tc.user), pr.ID)
			wantErr(t, err, tc.wantCode, "")
			after, err := v.db.FindProblemByID(context.Background(), domain.Scope{All: true}, pr.ID)
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantCode != "" {
				if after.Version != before.Version || after.Status != before.Status {
					t.Fatalf("a refused step changed the problem: %s v%d → %s v%d", before.Status, before.Version, after.Status, after.Version)
				}
				return
			}
			if after.Status != tc.status {
				t.Fatalf("status %s, want %s", after.Status, tc.status)
			}
		})
	}
	t.Run("ErrStaleVersion", func(t *testing.T) {
		pr, err := v.svc.ReportProblem(v.as(t, "moweiliang"), service.ReportProblemInput{Category: domain.CategoryLabour, Title: "招工"})
		if err != nil {
			t.Fatal(err)
		}
		stale := int(pr.Version) - 1
		_, err = v.svc.AcknowledgeProblem(v.as(t, "zhoushiyue"), pr.ID, &stale, nil)
		wantErr(t, err, domain.ECONFLICT, "")
	})
}

// TestPairingAndPermissionRules: admin-only commands, one active pairing per
// enterprise, and scope as NOT_FOUND.
func TestPairingAndPermissionRules(t *testing.T) {
	v := newEnv(t)
	admin := v.as(t, "admin")
	zhou, zhu := v.official(t, "zhoushiyue"), v.official(t, "zhulijun")
	mine, err := v.svc.Pairings(v.as(t, "zhoushiyue"), domain.PairingFilter{OfficialID: zhou.ID, ActiveOnly: true})
	if err != nil || len(mine) == 0 {
		t.Fatalf("周世岳's pairings: %v %v", mine, err)
	}
	enterprise := mine[0].EnterpriseID
	others, err := v.svc.Pairings(v.as(t, "zhulijun"), domain.PairingFilter{OfficialID: zhu.ID, ActiveOnly: true})
	if err != nil || len(others) == 0 {
		t.Fatalf("朱立军's pairings: %v %v", others, err)
	}
	for _, tc := range []struct {
		name     string
		run      func() error
		wantCode string
		field    string
	}{
		{"ErrSecondActivePairing", func() error {
			_, err := v.svc.CreatePairing(admin, service.CreatePairingInput{EnterpriseID: enterprise, LeadOfficialID: zhu.ID})
			return err
		}, domain.ECONFLICT, "enterpriseId"},
		{"ErrLeaderPairs", func() error {
			_, err := v.svc.CreatePairing(v.as(t, "maojianguo"), service.CreatePairingInput{EnterpriseID: enterprise, LeadOfficialID: zhu.ID})
			return err
		}, domain.EFORBIDDEN, ""},
		{"ErrUnknownLead", func() error {
			_, err := v.svc.CreatePairing(admin, service.CreatePairingInput{EnterpriseID: enterprise, LeadOfficialID: domain.NewID()})
			return err
		}, domain.EINVALID, "leadOfficialId"},
		{"ErrLeadInOwnTeam", func() error {
			_, err := v.svc.SetPairingTeam(admin, mine[0].ID, []string{zhou.ID})
			return err
		}, domain.EINVALID, ""},
		{"ErrEnterpriseCreatesOfficial", func() error {
			_, err := v.svc.CreateOfficial(v.as(t, "moweiliang"), service.CreateOfficialInput{Name: "x"})
			return err
		}, domain.EFORBIDDEN, ""},
		{"ErrOfficialListsUsers", func() error {
			_, err := v.svc.Users(v.as(t, "zhoushiyue"), "", domain.PageRequest{})
			return err
		}, domain.EFORBIDDEN, ""},
		{"ErrOfficialReadsOtherEnterprise", func() error {
			_, err := v.svc.Enterprise(v.as(t, "zhoushiyue"), others[0].EnterpriseID)
			return err
		}, domain.ENOTFOUND, ""},
		{"ErrEnterpriseReadsOtherOfficial", func() error {
			_, err := v.svc.Official(v.as(t, "moweiliang"), zhu.ID)
			return err
		}, domain.ENOTFOUND, ""},
		{"ErrAnonymous", func() error {
			_, err := v.svc.Problems(context.Background(), domain.ProblemFilter{}, "", domain.PageRequest{})
			return err
		}, domain.EUNAUTHENTICATED, ""},
		{"ErrDashboardWithoutProblemsGrantExports", func() error {
			ctx := domain.WithPrincipal(context.Background(), &domain.Principal{UserID: "dash", Role: domain.RoleDashboard, Grants: []domain.Grant{domain.GrantStatsRead}, ExpiresAt: v.now.Add(time.Hour)})
			return v.svc.EachProblem(ctx, domain.ProblemFilter{}, "", 10, func([]*domain.Problem) error { return nil })
		}, domain.EFORBIDDEN, ""},
		{"OfficialReadsOwnEnterprise", func() error {
			_, err := v.svc.Enterprise(v.as(t, "zhoushiyue"), enterprise)
			return err
		}, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) { wantErr(t, tc.run(), tc.wantCode, tc.field) })
	}
}
