// Package client is a Go replica of Lianqi's offline sync: a local store with an
// outbox, and pull/push/stream against the server. It keeps documents as JSON
// so the store can be any key-value store (the in-memory one here, or a
// gomobile-wrapped database on a phone) and one client code path serves every
// collection.
package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/lianqi/lianqi/domain"
	lqsync "github.com/lianqi/lianqi/sync"
)

// Writable collections a client pushes; the others are pulled only.
var Writable = []string{lqsync.Problems, lqsync.ProgressNotes, lqsync.Visits}

// Row is one pushed change.
type Row struct {
	Assumed    json.RawMessage `json:"assumedMasterState"`
	New        json.RawMessage `json:"newDocumentState"`
	MutationID string          `json:"mutationId"`
}

// PullResult is one pulled batch.
type PullResult struct {
	Documents  []json.RawMessage
	Checkpoint lqsync.Checkpoint
	Resync     bool
}

// PushResult is the server's answer to a push.
type PushResult struct {
	Conflicts []json.RawMessage
	Rejected  []lqsync.Rejection
}

// Transport carries the protocol: GraphQL over HTTP (HTTP) or, in tests, direct
// calls into the engine.
type Transport interface {
	Pull(ctx context.Context, coll string, cp *lqsync.Checkpoint, limit int) (*PullResult, error)
	Push(ctx context.Context, coll string, rows []Row, device string) (*PushResult, error)
}

// Store is the replica's local storage. Master holds the last known server
// state of each document, Local the state the user sees (master plus pending
// edits), Outbox the pending edits. Implementations must be safe for one
// goroutine; Client serialises access.
type Store interface {
	Get(kind, coll, id string) (json.RawMessage, bool)
	Put(kind, coll, id string, doc json.RawMessage)
	Delete(kind, coll, id string)
	IDs(kind, coll string) []string
	Checkpoint(coll string) *lqsync.Checkpoint
	SetCheckpoint(coll string, cp *lqsync.Checkpoint)
}

// Kinds of entries in a Store.
const (
	Master = "master"
	Local  = "local"
	Outbox = "outbox"
	// Rejected holds the server's last rejection of a row (lqsync.Rejection as
	// JSON) until the app dismisses it or the document is accepted later.
	Rejected = "rejected"
)

// pending is an outbox entry: the base the edit was made on and a mutation id
// that stays the same across retries of the same edit.
type pending struct {
	Base       json.RawMessage `json:"base"`
	MutationID string          `json:"mutationId"`
}

// Client is one device's replica.
type Client struct {
	T      Transport
	S      Store
	Device string
	Clock  *lqsync.HLC
	// Limit is the pull batch size.
	Limit int

	mu sync.Mutex
}

// New returns a client with an in-memory store.
func New(t Transport, device string) *Client {
	return &Client{T: t, S: NewMemory(), Device: device, Clock: &lqsync.HLC{Node: device}, Limit: 100}
}

// Edit changes (or creates) a document locally and queues it for push. fn gets
// the current local document as a JSON object (nil fields for a new one).
func (c *Client) Edit(coll, id string, fn func(doc map[string]any)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	doc := map[string]any{}
	if raw, ok := c.S.Get(Local, coll, id); ok {
		_ = json.Unmarshal(raw, &doc)
	}
	fn(doc)
	doc["id"] = id
	doc["hlc"] = c.Clock.Now()
	raw, _ := json.Marshal(doc)
	c.S.Put(Local, coll, id, raw)
	// Every edit gets a fresh mutation id: a retry repeats the latest one, an
	// edit after a lost answer is a new row against the same base.
	p := pending{MutationID: uuid.Must(uuid.NewV7()).String()}
	if old, ok := c.S.Get(Outbox, coll, id); ok {
		var prev pending
		_ = json.Unmarshal(old, &prev)
		p.Base = prev.Base
	} else if m, ok := c.S.Get(Master, coll, id); ok {
		p.Base = m
	}
	b, _ := json.Marshal(p)
	c.S.Put(Outbox, coll, id, b)
}

// Doc returns the local document.
func (c *Client) Doc(coll, id string) (map[string]any, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	raw, ok := c.S.Get(Local, coll, id)
	if !ok {
		return nil, false
	}
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return m, true
}

// Docs returns every live local document of coll.
func (c *Client) Docs(coll string) map[string]map[string]any {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]map[string]any{}
	for _, id := range c.S.IDs(Local, coll) {
		raw, _ := c.S.Get(Local, coll, id)
		var m map[string]any
		_ = json.Unmarshal(raw, &m)
		if d, _ := m["deleted"].(bool); !d {
			out[id] = m
		}
	}
	return out
}

// Pending reports how many edits wait in the outbox.
func (c *Client) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, coll := range Writable {
		n += len(c.S.IDs(Outbox, coll))
	}
	return n
}

// Sync pushes every pending edit, then pulls every collection to the end.
func (c *Client) Sync(ctx context.Context, colls ...string) (*Report, error) {
	if len(colls) == 0 {
		colls = Writable
	}
	r := &Report{}
	for _, coll := range colls {
		if err := c.Push(ctx, coll, r); err != nil {
			return r, err
		}
	}
	for _, coll := range colls {
		if err := c.Pull(ctx, coll); err != nil {
			return r, err
		}
	}
	return r, nil
}

// Report tells what a sync did.
type Report struct {
	Pushed    int
	Conflicts int
	Rejected  []lqsync.Rejection
}

// Push sends the outbox of coll. Rows the server accepted become the master
// state; rows it did not come back with the master state, which replaces the
// local document. On a transport error the outbox stays as it is, mutation ids
// included, so the retry is applied once.
func (c *Client) Push(ctx context.Context, coll string, r *Report) error {
	c.mu.Lock()
	ids := c.S.IDs(Outbox, coll)
	rows := make([]Row, 0, len(ids))
	for _, id := range ids {
		ob, _ := c.S.Get(Outbox, coll, id)
		var p pending
		_ = json.Unmarshal(ob, &p)
		local, _ := c.S.Get(Local, coll, id)
		rows = append(rows, Row{Assumed: p.Base, New: local, MutationID: p.MutationID})
	}
	c.mu.Unlock()
	if len(rows) == 0 {
		return nil
	}
	res, err := c.T.Push(ctx, coll, rows, c.Device)
	if err != nil {
		return fmt.Errorf("push %s: %w", coll, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	conflicts := map[string]json.RawMessage{}
	for _, d := range res.Conflicts {
		conflicts[docID(d)] = d
	}
	rejected, again := map[string]bool{}, map[string]bool{}
	for _, rej := range res.Rejected {
		if Transient(rej) {
			// Not a refusal: the row stays queued, mutation id and all, and
			// the master state the answer carries must not replace the edit.
			again[rej.ID] = true
			continue
		}
		rejected[rej.ID] = true
		if rej.ID != "" {
			b, _ := json.Marshal(rej)
			c.S.Put(Rejected, coll, rej.ID, b)
		}
	}
	for _, row := range rows {
		id := docID(row.New)
		if again[id] {
			continue
		}
		// An edit made while the push was under way stays queued.
		if ob, ok := c.S.Get(Outbox, coll, id); ok {
			var p pending
			_ = json.Unmarshal(ob, &p)
			if p.MutationID != row.MutationID {
				continue
			}
		}
		c.S.Delete(Outbox, coll, id)
		if !rejected[id] {
			c.S.Delete(Rejected, coll, id)
		}
		// A refused creation comes back as a tombstone (deleted, version 0):
		// it replaces the local copy like any master state, so no ghost stays;
		// its content is in the conflict records the rejection names.
		if m, ok := conflicts[id]; ok {
			c.S.Put(Master, coll, id, m)
			c.S.Put(Local, coll, id, m)
			c.observe(m)
		} else if rejected[id] {
			// Refused and unknown to the server (e.g. a creation it did not
			// allow): the reason is in the report; the replica follows the server.
			c.S.Delete(Master, coll, id)
			c.S.Delete(Local, coll, id)
		} else {
			c.S.Put(Master, coll, id, row.New)
		}
	}
	if r != nil {
		r.Pushed += len(rows)
		r.Conflicts += len(res.Conflicts)
		r.Rejected = append(r.Rejected, res.Rejected...)
	}
	return nil
}

// Transient reports whether a rejection means "send this row again later"
// rather than a refusal: the row is still being applied by another request
// (a retry that overtook the first attempt, or an attempt cut short by a
// crash whose claim has not expired yet), or a write that kept losing races.
// The server says so in the message of a CONFLICT ("…; retry" or "… retry
// shortly"), as the RxDB package (clients/rxdb, isTransient) reads it too.
func Transient(r lqsync.Rejection) bool {
	if r.Code != "CONFLICT" && r.Code != "conflict" {
		return false
	}
	m := strings.TrimSpace(r.Message)
	return strings.HasSuffix(m, "; retry") || strings.HasSuffix(m, "retry shortly")
}

// Rejections lists the rows of coll the server refused (or refused in part)
// and the app has not dismissed, by document id: the code and message to show,
// and in ConflictIDs the conflict records that keep the refused content (read
// them with Conflicts), so the user can redo the edit where it belongs.
func (c *Client) Rejections(coll string) []lqsync.Rejection {
	c.mu.Lock()
	defer c.mu.Unlock()
	ids := c.S.IDs(Rejected, coll)
	out := make([]lqsync.Rejection, 0, len(ids))
	for _, id := range ids {
		raw, _ := c.S.Get(Rejected, coll, id)
		var r lqsync.Rejection
		if json.Unmarshal(raw, &r) == nil {
			out = append(out, r)
		}
	}
	return out
}

// Dismiss forgets a rejection the app has shown.
func (c *Client) Dismiss(coll, id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.S.Delete(Rejected, coll, id)
}

// Conflict is a conflict record as syncConflicts returns it. Base, Client,
// Server and Result are JSON values; Field is "" for a whole row (a refused or
// held creation, whose content is in Client).
type Conflict struct {
	ID           string    `json:"id"`
	Collection   string    `json:"collection"`
	DocumentID   string    `json:"documentId"`
	EnterpriseID string    `json:"enterpriseId"`
	UserID       string    `json:"userId"`
	Username     string    `json:"username"`
	DeviceID     string    `json:"deviceId"`
	Field        string    `json:"field"`
	Base         string    `json:"base"`
	Client       string    `json:"client"`
	Server       string    `json:"server"`
	Result       string    `json:"result"`
	Outcome      string    `json:"outcome"`
	Reason       string    `json:"reason"`
	At           time.Time `json:"at"`
}

// ConflictSource is a transport that can read conflict records.
type ConflictSource interface {
	Conflicts(ctx context.Context, documentID string) ([]Conflict, error)
}

// Conflicts reads the conflict records of a document (all the caller may read
// when documentID is ""), newest first, at most 100.
func (c *Client) Conflicts(ctx context.Context, documentID string) ([]Conflict, error) {
	src, ok := c.T.(ConflictSource)
	if !ok {
		return nil, fmt.Errorf("transport %T cannot read conflict records", c.T)
	}
	return src.Conflicts(ctx, documentID)
}

// Pull fetches coll's changes until the server has no more. A document with a
// pending edit keeps the edit: only its master state moves.
func (c *Client) Pull(ctx context.Context, coll string) error {
	for {
		c.mu.Lock()
		cp := c.S.Checkpoint(coll)
		c.mu.Unlock()
		res, err := c.T.Pull(ctx, coll, cp, c.Limit)
		if err != nil && cp != nil && Expired(err) {
			// Offline for longer than the server keeps deletions: start over
			// from no checkpoint, and let the first batch drop every copy the
			// server may have deleted meanwhile (pending edits stay queued).
			c.mu.Lock()
			c.S.SetCheckpoint(coll, nil)
			c.mu.Unlock()
			if res, err = c.T.Pull(ctx, coll, nil, c.Limit); err == nil {
				res.Resync = true
			}
		}
		if err != nil {
			return fmt.Errorf("pull %s: %w", coll, err)
		}
		c.Apply(coll, res)
		if len(res.Documents) < c.Limit {
			return nil
		}
	}
}

// Expired reports whether err is the server's CHECKPOINT_EXPIRED: the
// checkpoint is older than the change history it keeps. Pull reacts by
// pulling from scratch; an app that applies streamed batches itself
// resubscribes without a checkpoint after a Pull.
func Expired(err error) bool {
	var ge *GraphQLError
	if errors.As(err, &ge) {
		return ge.Code() == "CHECKPOINT_EXPIRED"
	}
	return domain.ErrorCode(err) == domain.EEXPIRED
}

// Apply stores a pulled (or streamed) batch. With Resync, the copies of
// every document without a pending edit are dropped first.
func (c *Client) Apply(coll string, res *PullResult) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if res.Resync {
		for _, id := range c.S.IDs(Master, coll) {
			c.S.Delete(Master, coll, id)
			if _, ok := c.S.Get(Outbox, coll, id); !ok {
				c.S.Delete(Local, coll, id)
			}
		}
	}
	for _, d := range res.Documents {
		id := docID(d)
		c.S.Put(Master, coll, id, d)
		if _, ok := c.S.Get(Outbox, coll, id); !ok {
			c.S.Put(Local, coll, id, d)
		}
		c.observe(d)
	}
	cp := res.Checkpoint
	c.S.SetCheckpoint(coll, &cp)
}

func (c *Client) observe(doc json.RawMessage) {
	var m struct {
		HLC string `json:"hlc"`
	}
	if json.Unmarshal(doc, &m) == nil {
		c.Clock.Observe(m.HLC)
	}
}

func docID(doc json.RawMessage) string {
	var m struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(doc, &m)
	return m.ID
}

// NewID returns a client-generated document id (UUIDv7).
func NewID() string { return uuid.Must(uuid.NewV7()).String() }
