package sync

import (
	"context"
	"math"
	"slices"

	"github.com/lianqi/lianqi/domain"
	"github.com/lianqi/lianqi/store"
)

// batch is one pull's answer before conversion to documents.
type batch struct {
	changes []store.Change
	// gone marks changes to send as bare tombstones: they left the scope.
	gone       map[string]bool
	checkpoint Checkpoint
	// reset tells the replica to drop its copy and start over.
	reset bool
}

// pull returns the changes of coll after the checkpoint, at most limit, in
// sequence order. It never advances past the watermark, so a change whose
// writer took its sequence but has not committed yet is not skipped.
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
	out := &batch{gone: map[string]bool{}}
	if c == nil {
		c = &cursor{V: cursorVersion, Coll: coll, User: p.UserID, All: sc.All, Keys: keys}
	} else {
		out.reset = c.rescope(sc.All, keys)
	}
	if sc.All {
		c.Keys = nil
	}

	if c.Upto > 0 {
		if err := e.catchUp(ctx, c, limit, out); err != nil {
			return nil, err
		}
	}
	if room := limit - len(out.changes); room > 0 && c.Upto == 0 {
		mark, err := e.db().Watermark(ctx)
		if err != nil {
			return nil, err
		}
		changes, err := e.db().Changes(ctx, coll, sc, c.Seq, mark, room)
		if err != nil {
			return nil, err
		}
		out.changes = append(out.changes, changes...)
		if len(changes) == room {
			c.Seq = changes[len(changes)-1].Seq
		} else if mark > c.Seq {
			c.Seq = mark
		}
	}
	out.checkpoint = c.encode(key)
	return out, nil
}

// pullOrBucket serves a pull, or with a bucket the full contents of that
// checksum bucket.
func (e *Engine) pullOrBucket(ctx context.Context, coll string, cp *Checkpoint, limit int, b *Bucket) (*batch, error) {
	if b == nil {
		return e.pull(ctx, coll, cp, limit)
	}
	for name, c := range storeColl {
		if c == coll {
			return e.bucket(ctx, name, b, cp)
		}
	}
	return nil, domain.Invalid("collection", "unknown collection %q", coll)
}

// catchUp sends what a scope change owes the replica: earlier documents of the
// keys that entered the scope and tombstones for those of the keys that left.
// It walks every sequence, not only those up to the old checkpoint: a document
// of a key that left may have been written after the checkpoint (a leader's
// edit while the phone was offline), and the ordinary pull no longer sees it.
// A document's sequence only grows, so one still owed is always after Done.
func (e *Engine) catchUp(ctx context.Context, c *cursor, limit int, out *batch) error {
	changes, err := e.db().Changes(ctx, c.Coll, keyScope(c.Coll, union(c.In, c.Out)), c.Done, math.MaxInt64, limit)
	if err != nil {
		return err
	}
	for _, ch := range changes {
		if slices.Contains(c.Out, keyOf(c.Coll, ch)) {
			out.gone[ch.ID] = true
		}
	}
	out.changes = append(out.changes, changes...)
	if len(changes) == limit {
		c.Done = changes[len(changes)-1].Seq
		return nil
	}
	c.Upto, c.Done, c.In, c.Out = 0, 0, nil, nil
	return nil
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
