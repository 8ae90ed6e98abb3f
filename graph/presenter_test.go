package graph

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/lianqi/lianqi/domain"
)

// TestErrorPresenter: every error leaves with a code; domain errors keep
// their message and field, internals are masked and logged exactly once.
func TestErrorPresenter(t *testing.T) {
	for _, tc := range []struct {
		name   string
		err    error
		code   string
		msg    string
		field  string
		logged bool
	}{
		{"Invalid", domain.Invalid("from", "a post cannot start in the future"), "BAD_USER_INPUT", "a post cannot start in the future", "from", false},
		{"WrappedInvalid", fmt.Errorf("change post: %w", domain.Invalid("bureau", "duplicate")), "BAD_USER_INPUT", "duplicate", "bureau", false},
		{"NotFound", domain.NotFound("problem", "x"), "NOT_FOUND", `problem "x" not found`, "", false},
		{"Forbidden", domain.Forbidden("not for you"), "FORBIDDEN", "not for you", "", false},
		{"Conflict", domain.Errorf(domain.ECONFLICT, "stale"), "CONFLICT", "stale", "", false},
		{"RateLimited", domain.Errorf(domain.ERATELIMITED, "busy"), "RATE_LIMITED", "busy", "", false},
		{"Upgrade", domain.Errorf(domain.EUPGRADE, "update the app"), "UPGRADE_REQUIRED", "update the app", "", false},
		{"DomainInternal", domain.Errorf(domain.EINTERNAL, "mongo: secret detail"), "INTERNAL_SERVER_ERROR", "internal error", "", true},
		{"Plain", errors.New("dial tcp 10.0.0.1: secret detail"), "INTERNAL_SERVER_ERROR", "internal error", "", true},
		{"Cancelled", fmt.Errorf("find: %w", context.Canceled), "TIMEOUT", "request cancelled or timed out", "", false},
		{"DeadlineExceeded", context.DeadlineExceeded, "TIMEOUT", "request cancelled or timed out", "", false},
		{"GQLErrorKeepsItsCode", &gqlerror.Error{Message: "bad query", Extensions: map[string]any{"code": "GRAPHQL_VALIDATION_FAILED"}}, "GRAPHQL_VALIDATION_FAILED", "bad query", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			present := errorPresenter(slog.New(slog.NewTextHandler(&logs, nil)))
			gerr := present(context.Background(), tc.err)
			// Messages are localised (zh-CN by default); the English stays in
			// extensions.messageEn where a translation was made.
			en, _ := gerr.Extensions["messageEn"].(string)
			if en == "" {
				en = gerr.Message
			}
			if gerr.Extensions["code"] != tc.code || en != tc.msg {
				t.Fatalf("got %q %v, want %q %s", gerr.Message, gerr.Extensions, tc.msg, tc.code)
			}
			if f, _ := gerr.Extensions["field"].(string); f != tc.field {
				t.Fatalf("field %q, want %q", f, tc.field)
			}
			if n := strings.Count(logs.String(), "internal error"); (n == 1) != tc.logged || n > 1 {
				t.Fatalf("logged %d times: %q", n, logs.String())
			}
			if tc.logged && !strings.Contains(logs.String(), "secret detail") {
				t.Fatalf("the log lacks the detail the client was spared: %q", logs.String())
			}
		})
	}
}

// TestCodesCoverDomain: every domain code maps to an extensions.code.
func TestCodesCoverDomain(t *testing.T) {
	for _, c := range []string{domain.EINVALID, domain.ENOTFOUND, domain.ECONFLICT, domain.EUNAUTHENTICATED,
		domain.EFORBIDDEN, domain.EINTERNAL, domain.ERATELIMITED, domain.EUPGRADE} {
		if Codes[c] == "" {
			t.Errorf("domain code %s has no GraphQL code", c)
		}
	}
}
