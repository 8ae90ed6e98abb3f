package live

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestChoose(t *testing.T) {
	replica := Topology{SetName: "rs0"}
	mongos := Topology{Msg: "isdbgrid"}
	standalone := Topology{}
	ferret := Topology{FerretDB: true}
	tests := []struct {
		name    string
		mode    string
		top     Topology
		want    Kind
		wantErr bool
	}{
		{"AutoReplicaSet", "auto", replica, KindStream, false},
		{"AutoMongos", "auto", mongos, KindStream, false},
		{"AutoStandalone", "auto", standalone, KindPoll, false},
		{"AutoEmbedded", "", ferret, KindPoll, false},
		{"AutoFerretDBClaimingSet", "auto", Topology{SetName: "rs0", FerretDB: true}, KindPoll, false},
		{"PollOnReplicaSet", "poll", replica, KindPoll, false},
		{"StreamOnReplicaSet", "stream", replica, KindStream, false},
		{"ErrStreamOnStandalone", "stream", standalone, "", true},
		{"ErrStreamOnEmbedded", "stream", ferret, "", true},
		{"ErrUnknownMode", "sometimes", replica, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Choose(tt.mode, tt.top)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("Choose(%q, %+v) = %q, %v; want %q, error %v", tt.mode, tt.top, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestResumeFrom(t *testing.T) {
	tok := []byte("t1")
	tests := []struct {
		name string
		err  error
		want []byte
	}{
		{"EndedCleanly", nil, tok},
		{"NetworkError", errors.New("connection reset"), tok},
		{"HistoryLost", ErrHistoryLost, nil},
		{"HistoryLostWrapped", fmt.Errorf("resume: %w", ErrHistoryLost), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := resumeFrom(tok, tt.err); string(got) != string(tt.want) {
				t.Fatalf("resumeFrom = %q, want %q", got, tt.want)
			}
		})
	}
}

// fakeSource hands out scripted streams and records where each was opened.
type fakeSource struct {
	mu      sync.Mutex
	opened  [][]byte
	streams []*fakeStream
}

func (s *fakeSource) OpenStream(ctx context.Context, resumeAfter []byte) (Stream, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opened = append(s.opened, resumeAfter)
	if len(s.streams) == 0 {
		return nil, errors.New("no more streams")
	}
	st := s.streams[0]
	s.streams = s.streams[1:]
	return st, nil
}

func (s *fakeSource) openedAt() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]byte(nil), s.opened...)
}

// fakeStream delivers its tokens one per Next as the test sends on events, then ends with err.
type fakeStream struct {
	events chan string
	tok    []byte
	err    error
}

func (s *fakeStream) Next(ctx context.Context) bool {
	select {
	case tok, ok := <-s.events:
		if !ok {
			return false
		}
		s.tok = []byte(tok)
		return true
	case <-ctx.Done():
		return false
	}
}
func (s *fakeStream) ResumeToken() []byte             { return s.tok }
func (s *fakeStream) Err() error                      { return s.err }
func (s *fakeStream) Close(ctx context.Context) error { return nil }

func waitRing(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		t.Fatalf("no wake-up after %s", what)
	}
}

func TestStreamFeed(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	first := &fakeStream{events: make(chan string), err: errors.New("primary stepped down")}
	second := &fakeStream{events: make(chan string), err: ErrHistoryLost}
	third := &fakeStream{events: make(chan string)}
	src := &fakeSource{streams: []*fakeStream{first, second, third}}
	local := &bell{}
	f := NewStream(ctx, src, local.wait, time.Hour, nil).(*streamFeed)
	f.retry = time.Millisecond
	if f.Kind() != KindStream {
		t.Fatalf("kind %q", f.Kind())
	}

	t.Run("EventWakes", func(t *testing.T) {
		w := f.Woken()
		first.events <- "a"
		waitRing(t, w, "an event")
	})
	t.Run("LocalCommitWakes", func(t *testing.T) {
		w := f.Woken()
		// The feed's goroutine may not be waiting on the commit signal yet
		// (a commit nobody waits for wakes nobody): commit until it hears.
		deadline := time.After(5 * time.Second)
		for woken := false; !woken; {
			local.ring()
			select {
			case <-w:
				woken = true
			case <-time.After(10 * time.Millisecond):
			case <-deadline:
				t.Fatal("no wake-up after local commits")
			}
		}
	})
	t.Run("ResumesAfterLastToken", func(t *testing.T) {
		first.events <- "b"
		close(first.events) // the stream fails with a network-like error
		w := f.Woken()
		second.events <- "c" // only readable once the second stream is open
		waitRing(t, w, "the reopened stream's event")
		if got := src.openedAt(); len(got) < 2 || string(got[1]) != "b" {
			t.Fatalf("reopened at %q, want after token b", got)
		}
	})
	t.Run("StartsFromNowWhenHistoryLost", func(t *testing.T) {
		close(second.events) // ends with ErrHistoryLost
		third.events <- "d"
		if got := src.openedAt(); len(got) < 3 || got[2] != nil {
			t.Fatalf("third stream opened at %q, want from now (nil)", got)
		}
	})
}

func TestPollFeed(t *testing.T) {
	local := &bell{}
	f := NewPoll(local.wait, 2*time.Second)
	if f.Kind() != KindPoll || f.Poll() != 2*time.Second {
		t.Fatalf("poll feed %q every %v", f.Kind(), f.Poll())
	}
	w := f.Woken()
	local.ring()
	waitRing(t, w, "a local commit")
}
