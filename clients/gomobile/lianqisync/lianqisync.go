// Package lianqisync puts the Go sync client (sync/client) behind an API that
// gomobile can bind for Android (AAR) and iOS (XCFramework):
//
//	gomobile bind -target=android -o lianqisync.aar ./clients/gomobile/lianqisync
//	gomobile bind -target=ios     -o Lianqisync.xcframework ./clients/gomobile/lianqisync
//
// gomobile binds only exported functions, methods and struct fields whose types
// are strings, booleans, numbers, []byte, errors, pointers to exported structs
// of this package, and interfaces of such methods; sync/client's own API uses
// maps, closures, contexts and other packages' types, so it cannot be bound as
// is. Here documents cross the boundary as JSON strings, and the platform's
// database is the KV interface, implemented in Kotlin or Swift (SQLite, Room,
// Core Data, …): Replica keeps the replica's documents, outbox and checkpoints
// there, so they survive the app being killed.
package lianqisync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	lqsync "github.com/lianqi/lianqi/sync"
	"github.com/lianqi/lianqi/sync/client"
)

// KV is the platform's key-value storage. Keys are printable strings without
// newlines; Get returns nil (and no error) for a missing key.
type KV interface {
	Get(key string) ([]byte, error)
	Put(key string, value []byte) error
	Delete(key string) error
	// Keys lists the keys that start with prefix, one per line (gomobile has
	// no string slices).
	Keys(prefix string) (string, error)
}

// Replica is one device's copy of the user's data.
type Replica struct {
	c     *client.Client
	http  *client.HTTP
	store *kvStore
	// Timeout bounds one Sync, in seconds (default 120).
	Timeout int
}

// NewReplica opens the replica kept in kv. url is the server's /graphql
// endpoint; device names this install in conflict records (keep it stable).
func NewReplica(url, device string, kv KV) *Replica {
	h := &client.HTTP{URL: url}
	c := client.New(h, device)
	st := &kvStore{kv: kv}
	c.S = st
	return &Replica{c: c, http: h, store: st, Timeout: 120}
}

// SetToken sets the access token sent with every request (refresh it with the
// refreshToken mutation when Sync fails with code UNAUTHENTICATED).
func (r *Replica) SetToken(token string) { r.http.Token = token }

// Edit merges the fields of patchJSON (a JSON object) into the local document
// coll/id, creating it if needed, and queues the change for the next Sync.
func (r *Replica) Edit(coll, id, patchJSON string) error {
	var patch map[string]any
	if err := json.Unmarshal([]byte(patchJSON), &patch); err != nil {
		return fmt.Errorf("lianqisync: patch is not a JSON object: %w", err)
	}
	r.c.Edit(coll, id, func(doc map[string]any) {
		for k, v := range patch {
			doc[k] = v
		}
	})
	return r.store.takeErr()
}

// Get returns the local document as JSON, or "" if there is none.
func (r *Replica) Get(coll, id string) (string, error) {
	d, ok := r.c.Doc(coll, id)
	if err := r.store.takeErr(); err != nil || !ok {
		return "", err
	}
	b, err := json.Marshal(d)
	return string(b), err
}

// IDs lists the ids of coll's live local documents, one per line.
func (r *Replica) IDs(coll string) (string, error) {
	docs := r.c.Docs(coll)
	if err := r.store.takeErr(); err != nil {
		return "", err
	}
	ids := make([]string, 0, len(docs))
	for id := range docs {
		ids = append(ids, id)
	}
	return strings.Join(ids, "\n"), nil
}

// Pending is the number of edits waiting to be pushed.
func (r *Replica) Pending() int { return r.c.Pending() }

// Report tells what a Sync did. RejectedJSON is a JSON array of the refused
// rows ({id, mutationId, code, field, message}).
type Report struct {
	Pushed       int
	Conflicts    int
	RejectedJSON string
}

// Sync pushes the outbox of the writable collections, then pulls every
// collection to the end. On a network error nothing queued is lost; call it
// again later.
func (r *Replica) Sync() (*Report, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(r.Timeout)*time.Second)
	defer cancel()
	rep, err := r.c.Sync(ctx)
	if err == nil {
		for _, coll := range []string{lqsync.Enterprises, lqsync.Pairings, lqsync.Officials} {
			if err = r.c.Pull(ctx, coll); err != nil {
				break
			}
		}
	}
	if serr := r.store.takeErr(); serr != nil {
		err = errors.Join(err, serr)
	}
	out := &Report{RejectedJSON: "[]"}
	if rep != nil {
		out.Pushed, out.Conflicts = rep.Pushed, rep.Conflicts
		if len(rep.Rejected) > 0 {
			b, _ := json.Marshal(rep.Rejected)
			out.RejectedJSON = string(b)
		}
	}
	return out, err
}

// kvStore is client.Store over KV. client.Store has no error results, so the
// first storage error is kept and returned by the Replica call that caused it.
type kvStore struct {
	kv  KV
	mu  sync.Mutex
	err error
}

func (s *kvStore) fail(err error) {
	if err == nil {
		return
	}
	s.mu.Lock()
	if s.err == nil {
		s.err = err
	}
	s.mu.Unlock()
}

func (s *kvStore) takeErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.err
	s.err = nil
	return err
}

func docKey(kind, coll, id string) string { return kind + "/" + coll + "/" + id }

func (s *kvStore) Get(kind, coll, id string) (json.RawMessage, bool) {
	b, err := s.kv.Get(docKey(kind, coll, id))
	s.fail(err)
	return b, err == nil && b != nil
}

func (s *kvStore) Put(kind, coll, id string, doc json.RawMessage) {
	s.fail(s.kv.Put(docKey(kind, coll, id), doc))
}

func (s *kvStore) Delete(kind, coll, id string) { s.fail(s.kv.Delete(docKey(kind, coll, id))) }

func (s *kvStore) IDs(kind, coll string) []string {
	prefix := docKey(kind, coll, "")
	keys, err := s.kv.Keys(prefix)
	s.fail(err)
	var ids []string
	for _, k := range strings.Split(keys, "\n") {
		if id, ok := strings.CutPrefix(k, prefix); ok && id != "" {
			ids = append(ids, id)
		}
	}
	return ids
}

func (s *kvStore) Checkpoint(coll string) *lqsync.Checkpoint {
	b, err := s.kv.Get("checkpoint/" + coll)
	s.fail(err)
	if err != nil || b == nil {
		return nil
	}
	var cp lqsync.Checkpoint
	if err := json.Unmarshal(b, &cp); err != nil {
		s.fail(err)
		return nil
	}
	return &cp
}

func (s *kvStore) SetCheckpoint(coll string, cp *lqsync.Checkpoint) {
	b, _ := json.Marshal(cp)
	s.fail(s.kv.Put("checkpoint/"+coll, b))
}
