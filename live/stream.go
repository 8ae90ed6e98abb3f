package live

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"
)

// ErrHistoryLost is what a Source returns when a stream cannot resume from
// its token (the oplog no longer holds it, the token is invalid, or the
// stream was invalidated): the feed then starts again from now. Subscribers
// lose nothing, as they pull from their own checkpoints.
var ErrHistoryLost = errors.New("change stream cannot resume from its token")

// Stream is an open change stream: one event per commit of any process.
type Stream interface {
	Next(ctx context.Context) bool
	// ResumeToken is the token of the last event returned by Next.
	ResumeToken() []byte
	Err() error
	Close(ctx context.Context) error
}

// Source opens change streams on the database's commits; resumeAfter nil
// starts at the current time.
type Source interface {
	OpenStream(ctx context.Context, resumeAfter []byte) (Stream, error)
}

// resumeFrom decides where the next stream starts after one ended with err:
// where the last one stopped, or from now when that point is gone.
func resumeFrom(token []byte, err error) []byte {
	if errors.Is(err, ErrHistoryLost) {
		return nil
	}
	return token
}

// streamFeed rings on every event of a change stream and on this process's
// commits (no round trip). While the stream is down (the primary stepping
// down, a network cut) it rings every fallback interval, so subscribers poll
// the watermark as with the poll feed until the stream is back.
type streamFeed struct {
	bell     bell
	fallback time.Duration
	up       atomic.Bool
	log      *slog.Logger
	// retry is the wait before reopening a failed stream.
	retry time.Duration
}

// safetyPolls is how many fallback intervals a subscriber waits on a healthy
// stream before looking on its own anyway (a stream that is silently stuck).
const safetyPolls = 15

// NewStream starts a feed over src that runs until ctx ends. committed is the
// store's signal of this process's commits; fallback is the poll interval
// used while the stream is down.
func NewStream(ctx context.Context, src Source, committed func() <-chan struct{}, fallback time.Duration, log *slog.Logger) Feed {
	if log == nil {
		log = slog.Default()
	}
	f := &streamFeed{fallback: fallback, log: log, retry: time.Second}
	go f.follow(ctx, src)
	go f.local(ctx, committed)
	go f.whileDown(ctx)
	return f
}

func (f *streamFeed) Woken() <-chan struct{} { return f.bell.wait() }
func (f *streamFeed) Poll() time.Duration    { return f.fallback * safetyPolls }
func (f *streamFeed) Kind() Kind             { return KindStream }

// Up reports whether the change stream is open (tests and health).
func (f *streamFeed) Up() bool { return f.up.Load() }

func (f *streamFeed) follow(ctx context.Context, src Source) {
	var token []byte
	for ctx.Err() == nil {
		st, err := src.OpenStream(ctx, token)
		if err != nil {
			token = resumeFrom(token, err)
			if ctx.Err() == nil {
				f.log.WarnContext(ctx, "change stream: open failed; polling meanwhile", "err", err, "resume", token != nil)
			}
			sleep(ctx, f.retry)
			continue
		}
		f.up.Store(true)
		// Commits made while no stream was open produced no event.
		f.bell.ring()
		for st.Next(ctx) {
			token = append(token[:0:0], st.ResumeToken()...)
			f.bell.ring()
		}
		err = st.Err()
		_ = st.Close(context.WithoutCancel(ctx))
		f.up.Store(false)
		token = resumeFrom(token, err)
		if ctx.Err() == nil {
			f.log.WarnContext(ctx, "change stream ended; reopening", "err", err, "resume", token != nil)
			sleep(ctx, f.retry)
		}
	}
}

func (f *streamFeed) local(ctx context.Context, committed func() <-chan struct{}) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-committed():
			f.bell.ring()
		}
	}
}

func (f *streamFeed) whileDown(ctx context.Context) {
	t := time.NewTicker(f.fallback)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if !f.up.Load() {
				f.bell.ring()
			}
		}
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
