package graph

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"testing"

	"github.com/lianqi/lianqi/domain"
)

// TestErrorPresenterAtShutdown: whatever a request cancelled by the shutdown
// fails with, it answers UNAVAILABLE and nothing is logged as an internal error.
func TestErrorPresenterAtShutdown(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"Canceled", fmt.Errorf("find problems: %w", context.Canceled)},
		{"Internal", domain.Errorf(domain.EINTERNAL, "find problems: client is disconnected")},
		{"Plain", errors.New("server selection error")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			present := errorPresenter(slog.New(slog.NewTextHandler(&logs, nil)))
			ctx, cancel := context.WithCancelCause(context.Background())
			cancel(ErrServerStopping)
			gerr := present(ctx, tc.err)
			if gerr.Extensions["code"] != "UNAVAILABLE" || logs.Len() > 0 {
				t.Fatalf("got %q %v, logged %q", gerr.Message, gerr.Extensions, logs.String())
			}
			// The same error outside a shutdown is what it was.
			if gerr := present(context.Background(), tc.err); gerr.Extensions["code"] == "UNAVAILABLE" {
				t.Fatalf("UNAVAILABLE outside a shutdown: %v", gerr)
			}
		})
	}
}

// TestInitAuthorization: the connection_init payload shapes clients send.
func TestInitAuthorization(t *testing.T) {
	for _, tc := range []struct {
		name    string
		payload map[string]any
		want    string
		wantErr bool
	}{
		{"Authorization", map[string]any{"Authorization": "Bearer t"}, "Bearer t", false},
		{"LowerCase", map[string]any{"authorization": "Bearer t"}, "Bearer t", false},
		{"Headers", map[string]any{"headers": map[string]any{"Authorization": "Bearer t"}}, "Bearer t", false},
		{"TopLevelFirst", map[string]any{"Authorization": "Bearer a", "headers": map[string]any{"Authorization": "Bearer b"}}, "Bearer a", false},
		{"Token", map[string]any{"token": "t"}, "Bearer t", false},
		{"TokenBearer", map[string]any{"token": "bearer t"}, "bearer t", false},
		{"None", map[string]any{}, "", false},
		{"Nil", nil, "", false},
		{"NullHeaders", map[string]any{"headers": nil}, "", false},
		{"ErrNumber", map[string]any{"Authorization": 1.0}, "", true},
		{"ErrHeaders", map[string]any{"headers": []any{"x"}}, "", true},
		{"ErrToken", map[string]any{"token": true}, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := initAuthorization(tc.payload)
			if got != tc.want || (err != nil) != tc.wantErr {
				t.Fatalf("got %q, %v; want %q, error %v", got, err, tc.want, tc.wantErr)
			}
		})
	}
}
