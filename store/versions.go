package store

import "sync"

// versions remembers the stored version of documents a sole writer wrote or
// read, so that a write's version check costs no read. It is only consulted
// under writeMu on an engine that is not Isolated with a SoleWriter, where
// every write of a stamped document goes through commit in this process:
// an entry is then the stored version, or the document was removed since (a
// write by key then matches nothing, which commit reports as a conflict).
//
// A read fills an entry only if no write ran in this process while it was
// reading (gen unchanged): a read that started before a write may return the
// old version after the write recorded the new one.
type versions struct {
	mu  sync.Mutex
	gen uint64
	m   map[versionKey]int64
}

type versionKey struct{ coll, id string }

// maxVersions bounds the memory: past it the map starts again empty (a miss
// costs one read by key).
const maxVersions = 100_000

// generation is taken before a read whose result may be observed.
func (v *versions) generation() uint64 {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.gen
}

// observe records a version read from the database at generation gen.
func (v *versions) observe(coll, id string, version int64, gen uint64) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.gen == gen {
		v.set(versionKey{coll, id}, version)
	}
}

// wrote records the version a committed write stored; version 0 forgets the
// entry (the outcome of a failed write is unknown).
func (v *versions) wrote(coll, id string, version int64) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.gen++
	if version == 0 {
		delete(v.m, versionKey{coll, id})
		return
	}
	v.set(versionKey{coll, id}, version)
}

func (v *versions) set(k versionKey, version int64) {
	if v.m == nil || len(v.m) >= maxVersions {
		v.m = map[versionKey]int64{}
	}
	v.m[k] = version
}

// lookup returns the remembered version.
func (v *versions) lookup(coll, id string) (int64, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	n, ok := v.m[versionKey{coll, id}]
	return n, ok
}
