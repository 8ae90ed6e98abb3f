package store

import (
	"errors"
	"testing"

	"go.mongodb.org/mongo-driver/v2/mongo"

	livefeed "github.com/lianqi/lianqi/live"
)

func TestStreamErr(t *testing.T) {
	tests := []struct {
		name string
		err  error
		lost bool
	}{
		{"HistoryLost", mongo.CommandError{Code: codeChangeStreamHistoryLost, Name: "ChangeStreamHistoryLost"}, true},
		{"InvalidToken", mongo.CommandError{Code: codeInvalidResumeToken}, true},
		{"Fatal", mongo.CommandError{Code: codeChangeStreamFatal}, true},
		{"NotPrimary", mongo.CommandError{Code: 10107, Name: "NotWritablePrimary"}, false},
		{"Network", errors.New("connection reset"), false},
		{"Nil", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := errors.Is(streamErr(tt.err), livefeed.ErrHistoryLost); got != tt.lost {
				t.Fatalf("streamErr(%v) history lost = %v, want %v", tt.err, got, tt.lost)
			}
		})
	}
}
