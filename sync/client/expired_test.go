package client

import (
	"errors"
	"fmt"
	"testing"

	"github.com/lianqi/lianqi/domain"
)

func TestExpired(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want bool
	}{
		{&GraphQLError{Message: "old", Extensions: map[string]any{"code": "CHECKPOINT_EXPIRED"}}, true},
		{fmt.Errorf("pull: %w", &GraphQLError{Extensions: map[string]any{"code": "CHECKPOINT_EXPIRED"}}), true},
		{domain.Errorf(domain.EEXPIRED, "old"), true},
		{&GraphQLError{Extensions: map[string]any{"code": "BAD_USER_INPUT"}}, false},
		{domain.Invalid("checkpoint", "bad"), false},
		{errors.New("network"), false},
		{nil, false},
	} {
		if got := Expired(tt.err); got != tt.want {
			t.Errorf("Expired(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}
