package service

import (
	"context"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lianqi/lianqi/domain"
	"github.com/lianqi/lianqi/live"
)

// ProblemEvent is one change to a problem a subscriber may see.
type ProblemEvent struct {
	ProblemID string
	// Deleted is true when the problem was deleted; Problem then holds its last state.
	Deleted bool
	Problem *domain.Problem
	// Seq is the change sequence of the write, for resuming.
	Seq int64
}

// DefaultPollInterval is how often a live subscription checks the watermark
// for writes by other processes, which do not wake it.
const DefaultPollInterval = 2 * time.Second

const watchBatch = 100

// liveShare is the work live subscriptions share, so that a commit costs a
// computation per scope rather than per subscriber, and the count of running
// watchers, so that the shutdown closes the database after the last one.
type liveShare struct {
	running sync.WaitGroup

	mu     sync.Mutex
	stats  map[statsKey]*statsEntry
	scopes watchScopes

	// mark is the last watermark read, shared by the subscribers one commit woke.
	mark struct {
		sync.Mutex
		woken <-chan struct{}
		at    time.Time
		value int64
	}

	// statsComputed counts the statistics subscriptions computed.
	statsComputed atomic.Int64
}

// statsKey names the statistics subscribers can share: the same problems
// (those of the same enterprises, or all) over the same period.
type statsKey struct {
	enterprises string // "*" for all
	from, to    string
}

func statsKeyOf(sc domain.Scope, period domain.Period) statsKey {
	k := statsKey{enterprises: "*"}
	if !sc.All {
		ids := slices.Clone(sc.EnterpriseIDs)
		slices.Sort(ids)
		k.enterprises = strings.Join(ids, ",")
	}
	if period.From != nil {
		k.from = period.From.UTC().Format(time.RFC3339Nano)
	}
	if period.To != nil {
		k.to = period.To.UTC().Format(time.RFC3339Nano)
	}
	return k
}

// statsEntry is the latest computation for one key, and how many subscribers use it.
type statsEntry struct {
	refs int
	last *statsResult
}

// statsResult is the statistics computed after the watermark was seq (so they
// count every change up to it); done closes when st or err is set.
type statsResult struct {
	seq  int64
	done chan struct{}
	st   *domain.ProblemStats
	err  error
}

// watchScopes keeps the scopes computed at one watermark: a scope depends on
// pairings and enterprises only, whose writes move the watermark too, so all
// subscribers of one principal waking at the same watermark share it.
type watchScopes struct {
	mark   int64
	scopes map[string]*scopeResult
}

// scopeResult is one principal's scope; done closes when sc or err is set.
type scopeResult struct {
	done chan struct{}
	sc   domain.Scope
	err  error
}

// StatsComputations reports how many statistics live subscriptions computed
// since the start, first values included (tests and metrics).
func (s *Service) StatsComputations() int64 { return s.live.statsComputed.Load() }

// WaitLive waits until every subscription's watcher has returned, or ctx ends.
func (s *Service) WaitLive(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		s.live.running.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// holdStats registers a subscriber of key; the returned func unregisters it.
func (s *Service) holdStats(key statsKey) func() {
	l := &s.live
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stats == nil {
		l.stats = map[statsKey]*statsEntry{}
	}
	e := l.stats[key]
	if e == nil {
		e = &statsEntry{}
		l.stats[key] = e
	}
	e.refs++
	return func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		if e.refs--; e.refs == 0 {
			delete(l.stats, key)
		}
	}
}

// sharedStats returns the statistics of sc over period counting at least
// every change up to need: the first subscriber to ask computes them (after
// reading watermark mark >= need), the others wait for its result or use a
// later one. The caller holds key (holdStats).
func (s *Service) sharedStats(ctx context.Context, key statsKey, sc domain.Scope, period domain.Period, need, mark int64) (*domain.ProblemStats, error) {
	l := &s.live
	l.mu.Lock()
	e := l.stats[key]
	if r := e.last; r != nil && r.seq >= need {
		l.mu.Unlock()
		select {
		case <-r.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if r.err == nil {
			return r.st, nil
		}
		// The one computing it went away (its context ended): compute alone.
		l.statsComputed.Add(1)
		return s.problemStats(ctx, sc, period)
	}
	r := &statsResult{seq: mark, done: make(chan struct{})}
	e.last = r
	l.mu.Unlock()
	l.statsComputed.Add(1)
	r.st, r.err = s.problemStats(ctx, sc, period)
	close(r.done)
	return r.st, r.err
}

// watermark reads the store's watermark once for all the subscribers one
// commit woke: woken is the commit channel the caller took before asking, and
// a value read since that channel was handed out counts every commit of this
// process before it. Writes of other processes are seen within half a poll
// interval, as the poll itself is not more often.
func (s *Service) watermark(ctx context.Context, woken <-chan struct{}, interval time.Duration) (int64, error) {
	m := &s.live.mark
	// Held during the read, so that subscribers waking together wait for one.
	m.Lock()
	defer m.Unlock()
	if m.woken == woken && time.Since(m.at) < interval/2 {
		return m.value, nil
	}
	v, err := s.db.Watermark(ctx)
	if err != nil {
		return 0, err
	}
	m.woken, m.at, m.value = woken, time.Now(), v
	return v, nil
}

// scopeAt returns p's scope at watermark mark, computed once per principal
// and mark: the first subscriber to ask computes it, the others waking with
// it wait for that.
func (s *Service) scopeAt(ctx context.Context, p *domain.Principal, mark int64) (domain.Scope, error) {
	key := strings.Join([]string{string(p.Role), p.OfficialID, p.EnterpriseID, p.Town}, "\x00")
	l := &s.live
	l.mu.Lock()
	if mark > l.scopes.mark || l.scopes.scopes == nil {
		l.scopes = watchScopes{mark: mark, scopes: map[string]*scopeResult{}}
	}
	if mark < l.scopes.mark {
		// A subscriber behind the others: not worth keeping.
		l.mu.Unlock()
		return s.ScopeOf(ctx, p)
	}
	if r := l.scopes.scopes[key]; r != nil {
		l.mu.Unlock()
		select {
		case <-r.done:
		case <-ctx.Done():
			return domain.Scope{}, ctx.Err()
		}
		if r.err == nil {
			return r.sc, nil
		}
		return s.ScopeOf(ctx, p)
	}
	r := &scopeResult{done: make(chan struct{})}
	l.scopes.scopes[key] = r
	l.mu.Unlock()
	r.sc, r.err = s.ScopeOf(ctx, p)
	close(r.done)
	if r.err != nil {
		l.mu.Lock()
		if l.scopes.scopes[key] == r {
			delete(l.scopes.scopes, key)
		}
		l.mu.Unlock()
	}
	return r.sc, r.err
}

// LiveFeed is the feed live subscriptions and sync streams wait on.
func (s *Service) LiveFeed() live.Feed { return s.feed() }

// feed is the live-update feed the server chose at start (Service.Feed), or
// the watermark poll over this process's commit signal.
func (s *Service) feed() live.Feed {
	if s.Feed != nil {
		return s.Feed
	}
	interval := s.PollInterval
	if interval <= 0 {
		interval = DefaultPollInterval
	}
	return live.NewPoll(s.db.Committed, interval)
}

// watcher follows the change sequence for one subscriber from its own
// checkpoint. It wakes when the feed rings (this process's commits; with
// change streams, any process's) and on the feed's poll timer for writes the
// feed cannot see, reads the watermark and pulls what lies
// between. Scope is recomputed at every new watermark (once for all the
// subscribers of one principal), so a pairing that ends stops the flow at
// once. The pulls themselves are shared among subscribers (changeCache).
// It runs on the subscriber's goroutine and returns when ctx ends:
// the connection closing or the token expiring ends it, nothing outlives it.
type watcher struct {
	s     *Service
	p     *domain.Principal
	after int64
}

func (s *Service) newWatcher(ctx context.Context) (*watcher, error) {
	p, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	mark, err := s.db.Watermark(ctx)
	if err != nil {
		return nil, err
	}
	return &watcher{s: s, p: p, after: mark}, nil
}

// run calls pull after every wake-up that finds a new watermark, until ctx
// ends. pull reports an error to end the subscription.
func (w *watcher) run(ctx context.Context, pull func(sc domain.Scope, upTo int64) error) {
	feed := w.s.feed()
	interval := feed.Poll()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		// Take the commit channel before reading the watermark, so a commit in
		// between still wakes the next wait.
		woken := feed.Woken()
		mark, err := w.s.watermark(ctx, woken, interval)
		if err == nil && mark > w.after {
			var sc domain.Scope
			if sc, err = w.s.scopeAt(ctx, w.p, mark); err == nil {
				err = pull(sc, mark)
			}
		}
		if err != nil {
			if ctx.Err() == nil {
				w.s.Log.WarnContext(ctx, "subscription ended", "user", w.p.Username, "err", err)
			}
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-woken:
		case <-tick.C:
		}
	}
}

// goLive runs f as a subscription's watcher, counted for WaitLive.
func (s *Service) goLive(f func()) {
	s.live.running.Add(1)
	go func() {
		defer s.live.running.Done()
		f()
	}()
}

// WatchProblems streams changes to problems inside the caller's scope (only of
// enterpriseID when given) made after the call. The channel closes when ctx ends.
func (s *Service) WatchProblems(ctx context.Context, enterpriseID *string) (<-chan *ProblemEvent, error) {
	w, err := s.newWatcher(ctx)
	if err != nil {
		return nil, err
	}
	out := make(chan *ProblemEvent)
	s.goLive(func() {
		defer close(out)
		w.run(ctx, func(sc domain.Scope, upTo int64) error {
			for w.after < upTo {
				batch, reached, err := s.problemChanges(ctx, sc, w.after, upTo)
				if err != nil {
					return err
				}
				for _, c := range batch {
					pr := c.Problem
					if enterpriseID != nil && pr.EnterpriseID != *enterpriseID {
						continue
					}
					ev := &ProblemEvent{ProblemID: pr.ID, Deleted: pr.Deleted, Problem: pr, Seq: c.Seq}
					select {
					case out <- ev:
					case <-ctx.Done():
						return ctx.Err()
					}
				}
				w.after = reached
			}
			return nil
		})
	})
	return out, nil
}

// WatchStats sends the statistics at once and again after every change to the
// problems inside the caller's scope, one update for all the changes found at
// one wake-up. Subscribers whose scope covers the same enterprises over the
// same period share one computation per change. The channel closes when ctx ends.
func (s *Service) WatchStats(ctx context.Context, period domain.Period) (<-chan *domain.ProblemStats, error) {
	w, err := s.newWatcher(ctx)
	if err != nil {
		return nil, err
	}
	sc, err := s.scopeAt(ctx, w.p, w.after)
	if err != nil {
		return nil, err
	}
	key := statsKeyOf(sc, period)
	release := s.holdStats(key)
	first, err := s.sharedStats(ctx, key, sc, period, w.after, w.after)
	if err != nil {
		release()
		return nil, err
	}
	out := make(chan *domain.ProblemStats, 1)
	out <- first
	s.goLive(func() {
		defer close(out)
		defer func() { release() }()
		w.run(ctx, func(sc domain.Scope, upTo int64) error {
			// The last change inside the scope is what the statistics must
			// count: subscribers that woke at different watermarks but saw the
			// same changes of their scope share one result.
			var last int64
			for w.after < upTo {
				batch, reached, err := s.problemChanges(ctx, sc, w.after, upTo)
				if err != nil {
					return err
				}
				for _, c := range batch {
					last = max(last, c.Seq)
				}
				w.after = reached
			}
			if last == 0 {
				return nil
			}
			if k := statsKeyOf(sc, period); k != key {
				// The scope changed (a pairing began or ended): share with others of the new one.
				release()
				key, release = k, s.holdStats(k)
			}
			st, err := s.sharedStats(ctx, key, sc, period, last, upTo)
			if err != nil {
				return err
			}
			select {
			case out <- st:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	})
	return out, nil
}
