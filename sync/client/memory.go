package client

import (
	"encoding/json"
	"slices"
	"sync"

	lqsync "github.com/lianqi/lianqi/sync"
)

// Memory is an in-memory Store.
type Memory struct {
	mu   sync.Mutex
	docs map[string]json.RawMessage
	cps  map[string]*lqsync.Checkpoint
}

// NewMemory returns an empty in-memory store.
func NewMemory() *Memory {
	return &Memory{docs: map[string]json.RawMessage{}, cps: map[string]*lqsync.Checkpoint{}}
}

func key(kind, coll, id string) string { return kind + "\x00" + coll + "\x00" + id }

// Get implements Store.
func (m *Memory) Get(kind, coll, id string) (json.RawMessage, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, ok := m.docs[key(kind, coll, id)]
	return d, ok
}

// Put implements Store.
func (m *Memory) Put(kind, coll, id string, doc json.RawMessage) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.docs[key(kind, coll, id)] = append(json.RawMessage(nil), doc...)
}

// Delete implements Store.
func (m *Memory) Delete(kind, coll, id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.docs, key(kind, coll, id))
}

// IDs implements Store; ids are sorted.
func (m *Memory) IDs(kind, coll string) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	prefix := kind + "\x00" + coll + "\x00"
	var ids []string
	for k := range m.docs {
		if len(k) > len(prefix) && k[:len(prefix)] == prefix {
			ids = append(ids, k[len(prefix):])
		}
	}
	slices.Sort(ids)
	return ids
}

// Checkpoint implements Store.
func (m *Memory) Checkpoint(coll string) *lqsync.Checkpoint {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.cps[coll]
}

// SetCheckpoint implements Store.
func (m *Memory) SetCheckpoint(coll string, cp *lqsync.Checkpoint) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cps[coll] = cp
}
