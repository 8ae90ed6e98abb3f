package sync

import (
	"encoding/base64"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/lianqi/lianqi/domain"
)

// FuzzCheckpoint decodes checkpoints as clients send them back. An unsigned
// or badly signed one is refused as bad input; a signed one (the fuzzer signs
// its payload with the test key, standing for anything this server ever
// issued) either is refused as bad input or decodes to a cursor of the right
// collection that survives a change of scope and another round trip.
// `go test ./sync -run '^$' -fuzz FuzzCheckpoint`; the kept corpus is in
// testdata/fuzz/FuzzCheckpoint.
func FuzzCheckpoint(f *testing.F) {
	key := []byte("fuzz-checkpoint-key-0123456789ab")
	for _, s := range []struct {
		payload string
		signed  bool
		keys    string
	}{
		{`{"v":1,"c":"problems","s":12,"k":["a","b"]}`, true, "a,c"},
		{`{"v":2,"c":"problems","p":"u1","n":4,"s":12,"k":["a","b"]}`, true, "a,c"},
		{`{"v":2,"c":"problems","p":"u1","n":4,"s":12,"k":["a"],"l":"x","d":3,"in":["a"],"out":["z"]}`, true, "a,z"},
		{`{"v":2,"c":"problems","p":"u2","n":4,"s":12,"a":true}`, true, ""},
		{`{"v":1,"c":"problems","s":3,"a":true}`, true, ""},
		{`{"v":1,"c":"problems","s":7,"k":["a"],"u":7,"d":2,"in":["a"],"out":["z"]}`, true, "a,z"},
		{`{"v":1,"c":"problems","s":-1}`, true, "a"},
		{`{"v":2,"c":"problems","s":1}`, true, "a"},
		{`{"v":1,"c":"problems","s":1,"k":null,"in":[""]}`, true, ""},
		{`not json`, true, "a"},
		{`eyJ2IjoxfQ.AAAA`, false, "a"},
		{`..`, false, ""},
	} {
		f.Add([]byte(s.payload), s.signed, s.keys)
	}
	f.Fuzz(func(t *testing.T, payload []byte, signed bool, keyList string) {
		cp := &Checkpoint{Cursor: string(payload)}
		if signed {
			body := base64.RawURLEncoding.EncodeToString(payload)
			cp.Cursor = body + "." + sign(key, body)
		}
		c, err := decodeCursor(cp, Problems, "u1", key)
		if err != nil {
			if domain.ErrorCode(err) != domain.EINVALID {
				t.Fatalf("refused with %v, want bad input", err)
			}
			return
		}
		if c == nil {
			if cp.Cursor != "" {
				t.Fatalf("checkpoint %q decoded to no cursor", cp.Cursor)
			}
			return
		}
		if !signed {
			t.Fatalf("an unsigned checkpoint was accepted: %q", cp.Cursor)
		}
		if c.V == legacyVersion && c.Coll == Problems {
			return // answered with a resync; nothing of it is used
		}
		if c.V != cursorVersion || c.Coll != Problems || c.User != "u1" || c.Seq < 0 || c.N < 0 {
			t.Fatalf("accepted %+v", c)
		}
		if !utf8.ValidString(keyList) {
			return // scope keys are record ids; JSON would not keep invalid UTF-8
		}
		var keys []string
		if keyList != "" {
			keys = strings.Split(keyList, ",")
		}
		slices.Sort(keys)
		keys = slices.Compact(keys)
		moved := c.All || !slices.Equal(c.Keys, keys)
		c.rescope(false, keys)
		if !slices.Equal(c.Keys, keys) {
			t.Fatalf("after rescope the cursor covers %q, want %q", c.Keys, keys)
		}
		if !moved {
			return // the catch-up lists are as issued
		}
		for _, k := range c.Out {
			if slices.Contains(keys, k) {
				t.Fatalf("key %q in scope is also to be tombstoned: %+v", k, c)
			}
		}
		for _, k := range c.In {
			if !slices.Contains(keys, k) {
				t.Fatalf("key %q out of scope is to be caught up: %+v", k, c)
			}
		}
		again := c.encode(key)
		d, err := decodeCursor(&again, Problems, "u1", key)
		if err != nil || d == nil {
			t.Fatalf("a cursor this server encoded is refused: %v", err)
		}
		if d.encode(key) != again {
			t.Fatalf("round trip changed the cursor: %+v → %+v", c, d)
		}
	})
}
