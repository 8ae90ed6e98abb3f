package domain_test

import (
	"strings"
	"testing"
	"time"

	"github.com/lianqi/lianqi/domain"
)

func TestValidID(t *testing.T) {
	for _, tc := range []struct {
		id   string
		want bool
	}{
		{domain.NewID(), true},
		{"01ARZ3NDEKTSV4RRFFQ69G5FAV", true},              // ULID
		{"01arz3ndektsv4rrffq69g5fav", true},              // ULID, lower case
		{"81ARZ3NDEKTSV4RRFFQ69G5FAV", false},             // ULID overflow
		{"01ARZ3NDEKTSV4RRFFQ69G5FAU", false},             // U is not in the alphabet
		{"{6ba7b810-9dad-11d1-80b4-00c04fd430c8}", false}, // braces accepted by uuid.Parse
		{"6ba7b8109dad11d180b400c04fd430c8", false},
		{"", false},
		{"$where", false},
	} {
		if got := domain.ValidID(tc.id); got != tc.want {
			t.Errorf("ValidID(%q) = %v, want %v", tc.id, got, tc.want)
		}
	}
}

func TestProblemValidate(t *testing.T) {
	ok := func() *domain.Problem {
		return &domain.Problem{ID: domain.NewID(), EnterpriseID: domain.NewID(), Category: domain.CategoryLabour, Title: "招工难",
			Status: domain.StatusReported, Level: domain.L1}
	}
	for _, tc := range []struct {
		name  string
		edit  func(*domain.Problem)
		field string
	}{
		{"OK", func(*domain.Problem) {}, ""},
		{"ErrTitleRequired", func(p *domain.Problem) { p.Title = "  " }, "title"},
		{"ErrTitleTooLong", func(p *domain.Problem) { p.Title = strings.Repeat("长", 201) }, "title"},
		{"ErrNulInDescription", func(p *domain.Problem) { p.Description = "a\x00b" }, "description"},
		{"ErrInvalidUTF8", func(p *domain.Problem) { p.Description = "\xff" }, "description"},
		{"ErrCategory", func(p *domain.Problem) { p.Category = "TAXES" }, "category"},
		{"ErrLevel", func(p *domain.Problem) { p.Level = "L5" }, "level"},
		{"ErrEnterprise", func(p *domain.Problem) { p.EnterpriseID = "x" }, "enterpriseId"},
		{"ErrEmptyTag", func(p *domain.Problem) { p.Tags = []string{" "} }, "tags"},
		{"ErrTooManyTags", func(p *domain.Problem) { p.Tags = strings.Split(strings.Repeat("t,", 21), ",") }, "tags"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := ok()
			tc.edit(p)
			err := p.Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if domain.ErrorCode(err) != domain.EINVALID || domain.ErrorField(err) != tc.field {
				t.Fatalf("err = %v, want invalid %s", err, tc.field)
			}
		})
	}
}

func TestChangePostKeepsHistory(t *testing.T) {
	o := &domain.Official{ID: domain.NewID(), Name: "周世岳"}
	reform := time.Date(2019, 3, 1, 0, 0, 0, 0, time.UTC)
	if err := o.ChangePost("县国土局", "局长", time.Date(2016, 11, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	if err := o.ChangePost("县市场监管局", "局长", reform); err != nil {
		t.Fatal(err)
	}
	if len(o.Posts) != 2 || o.Posts[0].To == nil || !o.Posts[0].To.Equal(reform) || o.CurrentPost().Bureau != "县市场监管局" {
		t.Fatalf("posts = %+v", o.Posts)
	}
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	t.Run("ErrBeforeCurrent", func(t *testing.T) {
		err := o.ChangePost("县医保局", "局长", reform.AddDate(0, -1, 0))
		if domain.ErrorCode(err) != domain.EINVALID || len(o.Posts) != 2 {
			t.Fatalf("err = %v, posts = %d", err, len(o.Posts))
		}
	})
	t.Run("ErrRetired", func(t *testing.T) {
		r := *o
		at := reform.AddDate(2, 0, 0)
		r.RetiredAt = &at
		if err := r.ChangePost("县医保局", "局长", at); domain.ErrorCode(err) != domain.EINVALID {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestPairingValidateAndEnd(t *testing.T) {
	lead, member := domain.NewID(), domain.NewID()
	start := time.Date(2016, 11, 18, 0, 0, 0, 0, time.UTC)
	p := &domain.Pairing{ID: domain.NewID(), EnterpriseID: domain.NewID(), LeadOfficialID: lead, TeamMemberIDs: []string{member}, StartedAt: start}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	t.Run("ErrLeadInTeam", func(t *testing.T) {
		q := *p
		q.TeamMemberIDs = []string{lead}
		if err := q.Validate(); domain.ErrorField(err) != "teamMemberIds" {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("ErrUnknownReason", func(t *testing.T) {
		q := *p
		if err := q.End("POST_CHANGED", start.AddDate(1, 0, 0)); domain.ErrorCode(err) != domain.EINVALID || !q.Active() {
			t.Fatalf("err = %v", err)
		}
	})
	if err := p.End(domain.EndOfficialRetired, start.AddDate(3, 0, 0)); err != nil || p.Active() {
		t.Fatalf("end: %v", err)
	}
	if err := p.End(domain.EndRepaired, start.AddDate(4, 0, 0)); domain.ErrorCode(err) != domain.EINVALID {
		t.Fatalf("ending twice: %v", err)
	}
}

func TestUserValidate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		user  domain.User
		field string
	}{
		{"OKOfficial", domain.User{Username: "ZhouShiYue", Role: domain.RoleOfficial, OfficialID: domain.NewID(), PasswordHash: "h"}, ""},
		{"ErrOfficialWithoutRecord", domain.User{Username: "zhou", Role: domain.RoleOfficial, PasswordHash: "h"}, "officialId"},
		{"ErrEnterpriseWithOfficial", domain.User{Username: "moweiliang", Role: domain.RoleEnterprise, EnterpriseID: domain.NewID(), OfficialID: domain.NewID(), PasswordHash: "h"}, "officialId"},
		{"ErrLeaderTied", domain.User{Username: "mao", Role: domain.RoleLeader, EnterpriseID: domain.NewID(), PasswordHash: "h"}, "role"},
		{"ErrUsername", domain.User{Username: "a b", Role: domain.RoleAdmin, PasswordHash: "h"}, "username"},
		{"ErrRole", domain.User{Username: "root", Role: "ROOT", PasswordHash: "h"}, "role"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := tc.user
			err := u.Validate()
			if tc.field == "" {
				if err != nil || u.Username != "zhoushiyue" {
					t.Fatalf("err = %v, username %q", err, u.Username)
				}
				return
			}
			if domain.ErrorField(err) != tc.field {
				t.Fatalf("err = %v, want field %s", err, tc.field)
			}
		})
	}
	if err := domain.CheckPassword("short"); domain.ErrorField(err) != "password" {
		t.Fatalf("short password: %v", err)
	}
}
