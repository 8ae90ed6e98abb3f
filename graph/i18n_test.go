package graph

import (
	"testing"

	"github.com/lianqi/lianqi/domain"
)

func TestParseAcceptLanguage(t *testing.T) {
	for _, tc := range []struct{ header, want string }{
		{"", langZH},
		{"zh-CN,zh;q=0.9,en;q=0.8", langZH},
		{"en-US,en;q=0.9", langEN},
		{"fr-FR, en;q=0.5", langEN},
		{"fr-FR, de", langZH},
		{"zh;q=0.3, en;q=0.7", langEN},
		{"en;q=0.2, zh-TW;q=0.8", langZH},
		{"EN", langEN},
	} {
		if got := parseAcceptLanguage(tc.header); got != tc.want {
			t.Errorf("Accept-Language %q → %s, want %s", tc.header, got, tc.want)
		}
	}
}

func TestChineseMessages(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  *domain.Error
		want string
	}{
		{"Catalogue", domain.Invalid("title", "a short title is required"), "请填写简短的标题"},
		{"ArgumentsTranslated", domain.Forbidden("%s accounts cannot %s a problem", domain.RoleEnterprise, "resolve"), "企业账号不能办结问题"},
		{"NotFoundKind", domain.NotFound("problem", "p1"), `未找到问题 "p1"`},
		{"UnknownKeepsEnglish", domain.Invalid("x", "something new %d", 3), "输入有误：something new 3"},
		{"Literal", &domain.Error{Code: domain.ECONFLICT, Message: "the enterprise already rated its chief for 2026-Q4"}, "冲突：the enterprise already rated its chief for 2026-Q4"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := chinese(tc.err.Message, tc.err); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}
