package sync

import (
	"context"

	"github.com/lianqi/lianqi/domain"
	"github.com/lianqi/lianqi/store"
)

// batch is one pull's answer before conversion to documents.
type batch struct {
	changes []store.Change
	// gone marks changes to send as bare tombstones: they left the scope.
	gone       map[string]bool
	index      map[string]int
	checkpoint Checkpoint
	// reset tells the replica to drop its copy and start over.
	reset bool
}

// add appends a change, or replaces an earlier one of the same document in the
// batch: each document comes once per batch, in its latest state.
func (b *batch) add(ch store.Change, gone bool) {
	if b.index == nil {
		b.index = map[string]int{}
	}
	if i, ok := b.index[ch.ID]; ok {
		b.changes[i] = ch
	} else {
		b.index[ch.ID] = len(b.changes)
		b.changes = append(b.changes, ch)
	}
	if gone {
		b.gone[ch.ID] = true
	} else {
		delete(b.gone, ch.ID)
	}
}

// pull returns at most limit changes of coll after the checkpoint: first those
// of a pending list (a first pull, a scope change), then the change log's.
func (e *Engine) pull(ctx context.Context, coll string, cp *Checkpoint, limit int) (*batch, error) {
	limit, err := clampLimit(limit)
	if err != nil {
		return nil, err
	}
	sc, p, err := e.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	key, err := e.key(ctx)
	if err != nil {
		return nil, err
	}
	c, err := decodeCursor(cp, coll, p.UserID, key)
	if err != nil {
		return nil, err
	}
	keys := scopeKeys(coll, sc)
	if sc.All {
		keys = nil
	}
	out := &batch{gone: map[string]bool{}}
	if c != nil && c.V == legacyVersion {
		c, out.reset = nil, true
	}
	if c != nil {
		if err := e.checkExpiry(ctx, c); err != nil {
			return nil, err
		}
	}
	if c != nil && c.rescope(sc.All, keys) {
		c, out.reset = nil, true
	}
	if c == nil {
		if c, err = e.start(ctx, coll, p.UserID, sc.All, keys, true); err != nil {
			return nil, err
		}
	}
	if c.List != "" {
		if err := e.listBatch(ctx, c, limit, out); err != nil {
			return nil, err
		}
	}
	if len(out.changes) < limit && c.List == "" {
		if err := e.logBatch(ctx, c, limit, out); err != nil {
			return nil, err
		}
	}
	for _, ch := range out.changes {
		c.Seq = max(c.Seq, ch.Seq)
	}
	out.checkpoint = c.encode(key)
	return out, nil
}

// start returns a cursor at the head of coll's log for a scope; with list, the
// documents already in the scope come first. The head is read before the list
// is computed, so every write is either in the list or after the head.
func (e *Engine) start(ctx context.Context, coll, user string, all bool, keys []string, list bool) (*cursor, error) {
	head, err := e.db().LogHead(ctx, coll)
	if err != nil {
		return nil, err
	}
	c := &cursor{V: cursorVersion, Coll: coll, User: user, N: head, All: all, Keys: keys}
	if c.E, err = e.entrySeq(ctx, coll, head); err != nil {
		return nil, err
	}
	if list {
		c.List, c.Full = newListID(), true
	}
	return c, nil
}

// pullOrBucket serves a pull, or with a bucket the full contents of that
// checksum bucket.
func (e *Engine) pullOrBucket(ctx context.Context, coll string, cp *Checkpoint, limit int, b *Bucket) (*batch, error) {
	if b == nil {
		return e.pull(ctx, coll, cp, limit)
	}
	// A bucket pull hands the checkpoint back unchanged; it still must be the
	// caller's own.
	if cp != nil && cp.Cursor != "" {
		_, p, err := e.scopeOf(ctx)
		if err != nil {
			return nil, err
		}
		key, err := e.key(ctx)
		if err != nil {
			return nil, err
		}
		if _, err := decodeCursor(cp, coll, p.UserID, key); err != nil {
			return nil, err
		}
	}
	for name, c := range storeColl {
		if c == coll {
			return e.bucket(ctx, name, b, cp)
		}
	}
	return nil, domain.Invalid("collection", "unknown collection %q", coll)
}

// keyOf returns the scope key of a change: its enterprise, or its own id for
// enterprises and officials.
func keyOf(coll string, ch store.Change) string {
	if coll == store.CollEnterprises || coll == store.CollOfficials {
		return ch.ID
	}
	v, _ := ch.Doc.Lookup("enterpriseId").StringValueOK()
	return v
}

// PullProblems returns problem documents after the checkpoint.
func (e *Engine) PullProblems(ctx context.Context, cp *Checkpoint, limit int, bucket *Bucket) (*ProblemBatch, error) {
	b, err := e.pullOrBucket(ctx, store.CollProblems, cp, limit, bucket)
	if err != nil {
		return nil, err
	}
	docs, err := convert(b, (store.Change).Problem, problemDoc, func(ch store.Change) *ProblemDoc {
		return &ProblemDoc{ID: ch.ID, EnterpriseID: keyOf(store.CollProblems, ch), CoordinatingDepartments: []string{}, Tags: []string{}, Meta: goneMeta(ch)}
	})
	return &ProblemBatch{Documents: docs, Checkpoint: b.checkpoint, Resync: b.reset}, err
}

// PullProgressNotes returns progress-note documents after the checkpoint.
func (e *Engine) PullProgressNotes(ctx context.Context, cp *Checkpoint, limit int, bucket *Bucket) (*ProgressNoteBatch, error) {
	b, err := e.pullOrBucket(ctx, store.CollProgressNotes, cp, limit, bucket)
	if err != nil {
		return nil, err
	}
	docs, err := convert(b, (store.Change).ProgressNote, noteDoc, func(ch store.Change) *ProgressNoteDoc {
		return &ProgressNoteDoc{ID: ch.ID, EnterpriseID: keyOf(store.CollProgressNotes, ch), Meta: goneMeta(ch)}
	})
	if err == nil {
		err = e.nameAuthors(ctx, docs)
	}
	return &ProgressNoteBatch{Documents: docs, Checkpoint: b.checkpoint, Resync: b.reset}, err
}

// PullVisits returns visit documents after the checkpoint.
func (e *Engine) PullVisits(ctx context.Context, cp *Checkpoint, limit int, bucket *Bucket) (*VisitBatch, error) {
	b, err := e.pullOrBucket(ctx, store.CollVisits, cp, limit, bucket)
	if err != nil {
		return nil, err
	}
	docs, err := convert(b, (store.Change).Visit, visitDoc, func(ch store.Change) *VisitDoc {
		return &VisitDoc{ID: ch.ID, EnterpriseID: keyOf(store.CollVisits, ch), ProblemIDs: []string{}, Meta: goneMeta(ch)}
	})
	return &VisitBatch{Documents: docs, Checkpoint: b.checkpoint, Resync: b.reset}, err
}

// PullEnterprises returns enterprise documents after the checkpoint.
func (e *Engine) PullEnterprises(ctx context.Context, cp *Checkpoint, limit int, bucket *Bucket) (*EnterpriseBatch, error) {
	b, err := e.pullOrBucket(ctx, store.CollEnterprises, cp, limit, bucket)
	if err != nil {
		return nil, err
	}
	docs, err := convert(b, (store.Change).Enterprise, enterpriseDoc, func(ch store.Change) *EnterpriseDoc {
		return &EnterpriseDoc{ID: ch.ID, Meta: goneMeta(ch)}
	})
	return &EnterpriseBatch{Documents: docs, Checkpoint: b.checkpoint, Resync: b.reset}, err
}

// PullPairings returns pairing documents after the checkpoint.
func (e *Engine) PullPairings(ctx context.Context, cp *Checkpoint, limit int, bucket *Bucket) (*PairingBatch, error) {
	b, err := e.pullOrBucket(ctx, store.CollPairings, cp, limit, bucket)
	if err != nil {
		return nil, err
	}
	docs, err := convert(b, (store.Change).Pairing, pairingDoc, func(ch store.Change) *PairingDoc {
		return &PairingDoc{ID: ch.ID, EnterpriseID: keyOf(store.CollPairings, ch), TeamMemberIDs: []string{}, Meta: goneMeta(ch)}
	})
	return &PairingBatch{Documents: docs, Checkpoint: b.checkpoint, Resync: b.reset}, err
}

// PullOfficials returns official documents after the checkpoint.
func (e *Engine) PullOfficials(ctx context.Context, cp *Checkpoint, limit int, bucket *Bucket) (*OfficialBatch, error) {
	b, err := e.pullOrBucket(ctx, store.CollOfficials, cp, limit, bucket)
	if err != nil {
		return nil, err
	}
	docs, err := convert(b, (store.Change).Official, officialDoc, func(ch store.Change) *OfficialDoc {
		return &OfficialDoc{ID: ch.ID, Meta: goneMeta(ch)}
	})
	return &OfficialBatch{Documents: docs, Checkpoint: b.checkpoint, Resync: b.reset}, err
}

// goneMeta is the bookkeeping of a tombstone for a document that left the
// caller's scope: nothing of its content is sent.
func goneMeta(ch store.Change) Meta {
	v, _ := ch.Doc.Lookup("version").AsInt64OK()
	return Meta{Version: v, Deleted: true, HLC: FormatHLC(0, 0, "server")}
}

func convert[T any, D any](b *batch, decode func(store.Change) (T, error), toDoc func(T) *D, gone func(store.Change) *D) ([]*D, error) {
	docs := make([]*D, 0, len(b.changes))
	for _, ch := range b.changes {
		if b.gone[ch.ID] {
			docs = append(docs, gone(ch))
			continue
		}
		rec, err := decode(ch)
		if err != nil {
			return nil, err
		}
		docs = append(docs, toDoc(rec))
	}
	return docs, nil
}

// Batches: one pull's documents and the checkpoint to send next time. Resync
// says the replica must drop its copy of the collection first.
type (
	ProblemBatch struct {
		Documents  []*ProblemDoc
		Checkpoint Checkpoint
		Resync     bool
	}
	ProgressNoteBatch struct {
		Documents  []*ProgressNoteDoc
		Checkpoint Checkpoint
		Resync     bool
	}
	VisitBatch struct {
		Documents  []*VisitDoc
		Checkpoint Checkpoint
		Resync     bool
	}
	EnterpriseBatch struct {
		Documents  []*EnterpriseDoc
		Checkpoint Checkpoint
		Resync     bool
	}
	PairingBatch struct {
		Documents  []*PairingDoc
		Checkpoint Checkpoint
		Resync     bool
	}
	OfficialBatch struct {
		Documents  []*OfficialDoc
		Checkpoint Checkpoint
		Resync     bool
	}
)
