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
