package sync

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"

	"github.com/lianqi/lianqi/domain"
	"github.com/lianqi/lianqi/store"
)

// Checkpoint is where a replica stands in one collection. Cursor is opaque to
// clients; Seq is the change sequence it covers, for display and debugging.
type Checkpoint struct {
	Cursor string `json:"cursor"`
	Seq    int64  `json:"seq"`
}

// cursor is the decoded checkpoint. A pull has two phases. A list phase sends
// every document a set of scope keys owes the replica, walking an ordered list
// of (sequence, id) computed in one pass (the first pull; after a scope change,
// the documents of the keys that entered and tombstones for those of the keys
// that left). The log phase then walks the collection's change log from entry
// N on, by key. The list's position is a sequence, so a server process that
// does not hold the list in memory recomputes it and continues at the same
// place.
type cursor struct {
	V    int    `json:"v"`
	Coll string `json:"c"`
	// User is the user the checkpoint was issued to: it names the scope keys
	// of that user, so nobody else may pull from it.
	User string `json:"p"`
	// N: every log entry up to N has been walked. Seq is the highest sequence
	// delivered, for display.
	N   int64 `json:"n"`
	Seq int64 `json:"s"`
	// E is the sequence of log entry N (0 when unknown): after a restore
	// from an older backup the log is shorter, and a later write may take
	// number N again; E tells that entry apart (see checkExpiry).
	E int64 `json:"e,omitempty"`
	// All is set when the scope was unrestricted; Keys lists it otherwise
	// (enterprise ids, or official ids for the officials collection).
	All  bool     `json:"a,omitempty"`
	Keys []string `json:"k,omitempty"`
	// A pending list (List names it in the server's cache): documents with a
	// sequence after Done whose key is in In (or in the scope, with Full) are
	// sent, those whose key is in Out are sent as tombstones.
	List string   `json:"l,omitempty"`
	Full bool     `json:"f,omitempty"`
	Done int64    `json:"d,omitempty"`
	In   []string `json:"in,omitempty"`
	Out  []string `json:"out,omitempty"`
}

// cursorVersion 2 walks the change log; version 1 cursors (range queries on
// the sequence, not bound to a user) are answered with a resync.
const (
	cursorVersion = 2
	legacyVersion = 1
)

// The cursor is signed (HMAC-SHA256 with a key kept in the database): it lists
// the scope keys it was computed for, and a forged list would otherwise earn
// tombstones for documents of enterprises outside the caller's scope.

func (c *cursor) encode(key []byte) Checkpoint {
	b, _ := json.Marshal(c)
	body := base64.RawURLEncoding.EncodeToString(b)
	return Checkpoint{Cursor: body + "." + sign(key, body), Seq: c.Seq}
}

func sign(key []byte, body string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(body))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

func decodeCursor(cp *Checkpoint, coll, user string, key []byte) (*cursor, error) {
	if cp == nil || cp.Cursor == "" {
		return nil, nil
	}
	bad := domain.Invalid("checkpoint", "the checkpoint is not one this collection's pull returned; start from no checkpoint")
	body, mac, ok := strings.Cut(cp.Cursor, ".")
	if !ok || !hmac.Equal([]byte(mac), []byte(sign(key, body))) {
		return nil, bad
	}
	b, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil || len(b) > 1<<16 {
		return nil, bad
	}
	var c cursor
	if err := json.Unmarshal(b, &c); err != nil || (c.V != cursorVersion && c.V != legacyVersion) || c.Coll != coll || c.Seq < 0 || c.N < 0 {
		return nil, bad
	}
	if c.V == legacyVersion {
		return &c, nil // the caller starts over with a resync; nothing of it is used
	}
	if c.User != user {
		return nil, domain.Invalid("checkpoint", "the checkpoint was issued to another user; start from no checkpoint (and drop the local copy)")
	}
	return &c, nil
}

// scopeKeys is the part of the scope that decides which documents of coll the
// caller receives.
func scopeKeys(coll string, sc domain.Scope) []string {
	var keys []string
	if coll == store.CollOfficials {
		keys = slices.Clone(sc.OfficialIDs)
	} else {
		keys = slices.Clone(sc.EnterpriseIDs)
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

// keyScope is the scope that selects exactly the documents of coll with keys.
func keyScope(coll string, keys []string) domain.Scope {
	if coll == store.CollOfficials {
		return domain.Scope{OfficialIDs: keys, EnterpriseIDs: []string{}}
	}
	return domain.Scope{EnterpriseIDs: keys, OfficialIDs: []string{}}
}

// inScope reports whether a document with scope key k is in the cursor's scope.
func (c *cursor) inScope(k string) bool {
	if c.All {
		return true
	}
	_, ok := slices.BinarySearch(c.Keys, k)
	return ok
}

// listScope is the scope that selects the documents of the pending list.
func (c *cursor) listScope() domain.Scope {
	switch {
	case c.Full && c.All:
		return domain.Scope{All: true}
	case c.Full:
		return keyScope(c.Coll, c.Keys)
	}
	return keyScope(c.Coll, union(c.In, c.Out))
}

// rescope adapts the cursor to the caller's current scope. It reports whether
// the replica must drop everything and pull from scratch (only when a scope
// turns from unrestricted to restricted, which no role change does today).
// Otherwise a new list is started: the documents of keys that entered the
// scope (whatever their sequence) and tombstones for every document of the keys
// that left, whatever its sequence too: one written after the checkpoint (a
// leader's edit while the phone was offline) is no longer in the scope the log
// walk checks, and would stay live on the phone.
func (c *cursor) rescope(all bool, keys []string) (reset bool) {
	if c.All == all && slices.Equal(c.Keys, keys) {
		return false
	}
	if c.All != all {
		return true
	}
	if c.Full {
		c.In, c.Full = c.Keys, false
	}
	// What the replica fully holds: the old scope minus what was still being
	// listed. Whatever it may hold outside the new scope gets tombstones.
	full := minus(c.Keys, c.In)
	c.In = minus(keys, full)
	c.Out = minus(union(c.Keys, c.Out), keys)
	c.Keys = keys
	c.List, c.Done = "", 0
	if len(c.In) > 0 || len(c.Out) > 0 {
		c.List = newListID()
	}
	return false
}

func minus(a, b []string) []string {
	var out []string
	for _, v := range a {
		if !slices.Contains(b, v) {
			out = append(out, v)
		}
	}
	return out
}

func union(a, b []string) []string {
	out := slices.Concat(a, b)
	slices.Sort(out)
	return slices.Compact(out)
}

func newListID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
