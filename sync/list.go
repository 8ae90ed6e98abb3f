package sync

import (
	"context"
	"slices"
	gosync "sync"
	"time"

	"github.com/lianqi/lianqi/store"
)

// A pending list is computed in one pass over the collection (on the embedded
// engine any query but a lookup by _id reads every document) and kept here, so
// that the pull's later batches do not read the collection again. Documents
// are kept whole up to a byte budget; past it only (sequence, id), and batches
// fetch those by key. A document kept whole may be sent in the state the pass
// read: any later write of it is after the log head the list started at, so
// the log walk sends it afterwards. The cache is an optimisation only: the
// list's position is in the signed checkpoint, and a process that misses
// (restarted, evicted, another server process) recomputes the rest of the list
// from it.
const (
	maxLists    = 32
	listMaxAge  = 15 * time.Minute
	listBudget  = 16 << 20 // bytes of whole documents one list keeps
	cacheBudget = 64 << 20 // bytes of whole documents all lists keep
)

type cachedList struct {
	user, coll string
	refs       []store.Change // sorted by sequence
	bytes      int
	at         time.Time
}

type listCache struct {
	mu    gosync.Mutex
	lists map[string]*cachedList
	bytes int
}

func (lc *listCache) get(id, user, coll string, now time.Time) []store.Change {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	l, ok := lc.lists[id]
	if !ok || l.user != user || l.coll != coll || now.Sub(l.at) > listMaxAge {
		return nil
	}
	return l.refs
}

func (lc *listCache) put(id string, l *cachedList) {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	if lc.lists == nil {
		lc.lists = map[string]*cachedList{}
	}
	for k, old := range lc.lists {
		if l.at.Sub(old.at) > listMaxAge {
			lc.remove(k)
		}
	}
	for len(lc.lists) > 0 && (len(lc.lists) >= maxLists || lc.bytes+l.bytes > cacheBudget) {
		var oldest string
		for k, old := range lc.lists {
			if oldest == "" || old.at.Before(lc.lists[oldest].at) {
				oldest = k
			}
		}
		lc.remove(oldest)
	}
	lc.remove(id)
	lc.lists[id] = l
	lc.bytes += l.bytes
}

func (lc *listCache) remove(id string) {
	if l, ok := lc.lists[id]; ok {
		lc.bytes -= l.bytes
		delete(lc.lists, id)
	}
}

func (lc *listCache) drop(id string) {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	lc.remove(id)
}

// listRefs returns the cursor's pending list after its position.
func (e *Engine) listRefs(ctx context.Context, c *cursor) ([]store.Change, error) {
	refs := e.lists.get(c.List, c.User, c.Coll, time.Now())
	if refs == nil {
		var err error
		if refs, err = e.db().ChangeList(ctx, c.Coll, c.listScope(), c.Done, listBudget); err != nil {
			return nil, err
		}
		l := &cachedList{user: c.User, coll: c.Coll, refs: refs, at: time.Now()}
		for _, r := range refs {
			l.bytes += len(r.Doc)
		}
		e.lists.put(c.List, l)
	}
	i, _ := slices.BinarySearchFunc(refs, c.Done, func(r store.Change, seq int64) int {
		switch {
		case r.Seq < seq:
			return -1
		case r.Seq > seq:
			return 1
		}
		return 0
	})
	for i < len(refs) && refs[i].Seq <= c.Done {
		i++
	}
	return refs[i:], nil
}

// listBatch adds documents of the pending list to out until it holds limit,
// and ends the list when it is exhausted.
func (e *Engine) listBatch(ctx context.Context, c *cursor, limit int, out *batch) error {
	refs, err := e.listRefs(ctx, c)
	if err != nil {
		return err
	}
	for len(refs) > 0 && len(out.changes) < limit {
		chunk := refs[:min(len(refs), limit-len(out.changes))]
		refs = refs[len(chunk):]
		var ids []string
		for _, r := range chunk {
			if r.Doc == nil {
				ids = append(ids, r.ID)
			}
		}
		fetched, err := e.db().ChangesByID(ctx, c.Coll, ids)
		if err != nil {
			return err
		}
		docs := slices.Clone(chunk)
		for i, j := 0, 0; i < len(docs); i++ {
			if docs[i].Doc == nil {
				docs[i], j = fetched[j], j+1
			}
		}
		for i, ch := range docs {
			c.Done = chunk[i].Seq
			if ch.ID == "" {
				continue
			}
			k := keyOf(c.Coll, ch)
			switch {
			case c.Full, slices.Contains(c.In, k):
				out.add(ch, false)
			case slices.Contains(c.Out, k):
				out.add(ch, true)
			}
		}
	}
	if len(refs) == 0 {
		e.lists.drop(c.List)
		c.List, c.Full, c.Done, c.In, c.Out = "", false, 0, nil, nil
	}
	return nil
}

// logBatch walks the change log after the cursor's entry and adds to out each
// document whose entry is its last write and whose key is in scope, until out
// holds limit or the log ends.
func (e *Engine) logBatch(ctx context.Context, c *cursor, limit int, out *batch) error {
	step, walked := 4, 0
	for len(out.changes) < limit {
		if e.MaxWalk > 0 && walked >= e.MaxWalk {
			// Far behind (a phone offline for months): one pass over the scope
			// is cheaper than walking every change of the collection since.
			return e.relist(ctx, c, limit, out)
		}
		walked += step
		entries, err := e.db().LogAfter(ctx, c.Coll, c.N, step)
		if err != nil {
			return err
		}
		var ids []string
		for _, en := range entries {
			if c.inScope(en.Key) {
				ids = append(ids, en.ID)
			}
		}
		docs, err := e.db().ChangesByID(ctx, c.Coll, ids)
		if err != nil {
			return err
		}
		byID := make(map[string]store.Change, len(docs))
		for _, d := range docs {
			byID[d.ID] = d
		}
		for _, en := range entries {
			if len(out.changes) == limit {
				return nil
			}
			c.N, c.E = en.N, en.Seq
			// Only a document's last write is sent: an entry it has moved on
			// from is covered by a later entry, one it never reached was a
			// write that failed.
			if d, ok := byID[en.ID]; ok && d.Seq == en.Seq && c.inScope(en.Key) {
				out.add(d, false)
				c.Seq = max(c.Seq, en.Seq)
			}
		}
		if len(entries) < step {
			return nil
		}
		step = min(step*2, 128)
	}
	return nil
}

// relist replaces the rest of the log walk by a list of every document in the
// cursor's scope, from the current head of the log on. Documents the replica
// already holds come again in their latest state.
func (e *Engine) relist(ctx context.Context, c *cursor, limit int, out *batch) error {
	head, err := e.db().LogHead(ctx, c.Coll)
	if err != nil {
		return err
	}
	if c.E, err = e.entrySeq(ctx, c.Coll, head); err != nil {
		return err
	}
	c.N, c.List, c.Full, c.Done, c.In, c.Out = head, newListID(), true, 0, nil, nil
	return e.listBatch(ctx, c, limit, out)
}
