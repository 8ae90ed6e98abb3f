package sync

import (
	"crypto/hmac"
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

// cursor is the decoded checkpoint. Besides the sequence it records the scope it
// was computed for, so that when a pairing ends or starts the next pull can
// catch up on exactly what changed: tombstones for the enterprises that left
// the scope and the earlier documents of those that entered it, instead of a
// full reset.
type cursor struct {
	V    int    `json:"v"`
	Coll string `json:"c"`
	// User is the user the checkpoint was issued to: it names the scope keys
	// of that user, so nobody else may pull from it.
	User string `json:"p"`
	// Seq: every change in scope up to Seq has been delivered.
	Seq int64 `json:"s"`
	// All is set when the scope was unrestricted; Keys lists it otherwise
	// (enterprise ids, or official ids for the officials collection).
	All  bool     `json:"a,omitempty"`
	Keys []string `json:"k,omitempty"`
	// A pending catch-up: documents with a sequence in (Done, Upto] whose key is
	// in In are sent, those whose key is in Out are sent as tombstones.
	Upto int64    `json:"u,omitempty"`
	Done int64    `json:"d,omitempty"`
	In   []string `json:"in,omitempty"`
	Out  []string `json:"out,omitempty"`
}

const cursorVersion = 1

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
	if err := json.Unmarshal(b, &c); err != nil || c.V != cursorVersion || c.Coll != coll || c.Seq < 0 {
		return nil, bad
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

// rescope adapts the cursor to the caller's current scope. It reports whether
// the replica must drop everything and pull from scratch (only when a scope
// turns from unrestricted to restricted, which no role change does today).
func (c *cursor) rescope(all bool, keys []string) (reset bool) {
	if c.All == all && slices.Equal(c.Keys, keys) {
		return false
	}
	if c.All != all {
		*c = cursor{V: cursorVersion, Coll: c.Coll, User: c.User, All: all, Keys: keys}
		return true
	}
	// What the replica fully holds: the old scope minus what was still being
	// caught up on. Whatever it may hold outside the new scope gets tombstones.
	full := minus(c.Keys, c.In)
	c.In = minus(keys, full)
	c.Out = minus(union(c.Keys, c.Out), keys)
	c.Upto, c.Done = c.Seq, 0
	c.Keys = keys
	if len(c.In) == 0 && len(c.Out) == 0 {
		c.Upto = 0
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
