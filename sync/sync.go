// Package sync is the offline replication engine, transport-free: pulls by
// checkpoint, idempotent pushes with a three-way merge, conflict records,
// scope-change catch-up and checksums. Its shape follows RxDB's GraphQL
// replication ({documents, checkpoint} pulls; pushes of {assumedMasterState,
// newDocumentState} rows answered with the master state of rows not accepted as
// sent). The GraphQL layer only adapts it. Every write goes through the service
// and the domain's workflow, so a change synced from a phone meets the same rules
// as a GraphQL mutation.
package sync

import (
	"context"
	"log/slog"
	gosync "sync"
	"time"

	"github.com/lianqi/lianqi/auth"
	"github.com/lianqi/lianqi/domain"
	"github.com/lianqi/lianqi/service"
	"github.com/lianqi/lianqi/store"
)

// SchemaVersion is the document schema this server speaks; MinSchemaVersion is
// the oldest client schema it still accepts.
const (
	SchemaVersion    = 1
	MinSchemaVersion = 1
)

// Collection names as clients see them.
const (
	Problems      = "problems"
	ProgressNotes = "progressNotes"
	Visits        = "visits"
	Enterprises   = "enterprises"
	Pairings      = "pairings"
	Officials     = "officials"
)

// storeColl maps a synced collection to the store's.
var storeColl = map[string]string{
	Problems: store.CollProblems, ProgressNotes: store.CollProgressNotes, Visits: store.CollVisits,
	Enterprises: store.CollEnterprises, Pairings: store.CollPairings, Officials: store.CollOfficials,
}

// Limits of one request.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
	MaxPushRows  = 1000
)

// Engine runs the protocol for one database.
type Engine struct {
	Svc *service.Service
	Log *slog.Logger
	// StaleReceipt is how long a push row claimed by a writer that never finished
	// blocks retries before they take it over.
	StaleReceipt time.Duration
	// PollInterval is how often live streams look for writes of other processes,
	// which the in-process commit signal does not see.
	PollInterval time.Duration
	// MaxHeld bounds the rows one user may have waiting for their parent
	// problem, so that rows naming problems that never come cannot fill the
	// database; beyond it such rows are refused (BAD_USER_INPUT).
	MaxHeld int
	// MaxWalk is how many change-log entries one pull walks before it reads
	// the caller's scope in one pass instead (cheaper when far behind).
	MaxWalk int

	keyMu   gosync.Mutex
	signKey []byte
	// heldMu makes one release of held rows at a time in this process, so two
	// pushes finishing together do not apply the same held row twice.
	heldMu gosync.Mutex
	lists  listCache
}

// New returns an engine over the service.
func New(svc *service.Service) *Engine {
	return &Engine{Svc: svc, Log: svc.Log, StaleReceipt: time.Minute, PollInterval: 2 * time.Second, MaxHeld: DefaultMaxHeld, MaxWalk: 5000}
}

func (e *Engine) db() *store.DB { return e.Svc.SyncStore() }

// key returns the checkpoint signing key, read from the database once.
func (e *Engine) key(ctx context.Context) ([]byte, error) {
	e.keyMu.Lock()
	defer e.keyMu.Unlock()
	if e.signKey == nil {
		k, err := e.db().SyncKey(ctx)
		if err != nil {
			return nil, err
		}
		e.signKey = k
	}
	return e.signKey, nil
}

func (e *Engine) now() time.Time { return e.Svc.Now().UTC().Truncate(time.Millisecond) }

// CheckSchema rejects a client whose document schema this server no longer speaks.
func CheckSchema(v int) error {
	if v < MinSchemaVersion {
		return domain.Errorf(domain.EUPGRADE, "this app speaks sync schema %d but the server needs at least %d: update the app, then sync again", v, MinSchemaVersion)
	}
	if v > SchemaVersion {
		return domain.Invalid("schemaVersion", "schema %d is newer than the server's %d", v, SchemaVersion)
	}
	return nil
}

func clampLimit(limit int) (int, error) {
	switch {
	case limit == 0:
		return DefaultLimit, nil
	case limit < 0 || limit > MaxLimit:
		return 0, domain.Invalid("limit", "limit must be between 1 and %d", MaxLimit)
	}
	return limit, nil
}

// scopeOf returns the caller's scope and identity, computed fresh: a pairing that
// ended a second ago no longer counts.
func (e *Engine) scopeOf(ctx context.Context) (domain.Scope, *domain.Principal, error) {
	p, err := auth.Authenticate(ctx)
	if err != nil {
		return domain.Scope{}, nil, err
	}
	sc, err := e.Svc.ScopeOf(ctx, p)
	return sc, p, err
}
