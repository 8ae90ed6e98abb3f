package sync

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"slices"

	"github.com/lianqi/lianqi/domain"
	"github.com/lianqi/lianqi/store"
)

// A replica proves it is up to date by comparing checksums with the server's:
// the live documents in the caller's scope are split into buckets by id, and
// each bucket's hash covers its (id, version) pairs. Where a hash differs the
// client pulls only that bucket (a pull with a bucket argument) and replaces
// its copy of it.

// Bucket selects one of Count buckets.
type Bucket struct {
	Count int `json:"count"`
	Index int `json:"index"`
}

// BucketSum is the checksum of one bucket.
type BucketSum struct {
	Index int    `json:"index"`
	Count int    `json:"count"`
	Hash  string `json:"hash"`
}

// Checksum is a collection's checksum for the caller's scope, as of Seq.
type Checksum struct {
	Collection string       `json:"collection"`
	Seq        int64        `json:"seq"`
	Count      int          `json:"count"`
	Buckets    []*BucketSum `json:"buckets"`
}

// MaxBuckets bounds the bucket count a client may ask for.
const MaxBuckets = 4096

// BucketOf is the bucket of a document id: FNV-1a 32 of the id modulo count.
func BucketOf(id string, count int) int {
	h := fnv.New32a()
	h.Write([]byte(id))
	return int(h.Sum32() % uint32(count))
}

// IDVersion is what a checksum covers of one document.
type IDVersion struct {
	ID      string
	Version int64
}

// HashBucket is the hex SHA-256 of "id:version\n" lines sorted by id; a client
// computes the same over its live documents.
func HashBucket(docs []IDVersion) string {
	docs = slices.Clone(docs)
	slices.SortFunc(docs, func(a, b IDVersion) int {
		if a.ID < b.ID {
			return -1
		}
		if a.ID > b.ID {
			return 1
		}
		return 0
	})
	h := sha256.New()
	for _, d := range docs {
		fmt.Fprintf(h, "%s:%d\n", d.ID, d.Version)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func checkBuckets(count int) error {
	if count < 1 || count > MaxBuckets {
		return domain.Invalid("buckets", "the bucket count must be between 1 and %d", MaxBuckets)
	}
	return nil
}

// live returns the live documents of coll in the caller's scope up to the watermark.
func (e *Engine) live(ctx context.Context, coll string) ([]store.Change, int64, error) {
	sc, _, err := e.scopeOf(ctx)
	if err != nil {
		return nil, 0, err
	}
	mark, err := e.db().Watermark(ctx)
	if err != nil {
		return nil, 0, err
	}
	var out []store.Change
	after := int64(0)
	for {
		page, err := e.db().Changes(ctx, storeColl[coll], sc, after, mark, MaxLimit)
		if err != nil {
			return nil, 0, err
		}
		for _, ch := range page {
			if !ch.Deleted {
				out = append(out, ch)
			}
		}
		if len(page) < MaxLimit {
			return out, mark, nil
		}
		after = page[len(page)-1].Seq
	}
}

// Checksum computes a collection's bucketed checksum for the caller's scope.
func (e *Engine) Checksum(ctx context.Context, coll string, buckets int) (*Checksum, error) {
	if _, ok := storeColl[coll]; !ok {
		return nil, domain.Invalid("collection", "unknown collection %q", coll)
	}
	if err := checkBuckets(buckets); err != nil {
		return nil, err
	}
	docs, mark, err := e.live(ctx, coll)
	if err != nil {
		return nil, err
	}
	parts := make([][]IDVersion, buckets)
	for _, ch := range docs {
		v, _ := ch.Doc.Lookup("version").AsInt64OK()
		i := BucketOf(ch.ID, buckets)
		parts[i] = append(parts[i], IDVersion{ID: ch.ID, Version: v})
	}
	out := &Checksum{Collection: coll, Seq: mark, Count: len(docs)}
	for i, p := range parts {
		out.Buckets = append(out.Buckets, &BucketSum{Index: i, Count: len(p), Hash: HashBucket(p)})
	}
	return out, nil
}

// bucket returns every live document of coll in the caller's scope that falls
// in the bucket; the checkpoint is passed back unchanged.
func (e *Engine) bucket(ctx context.Context, coll string, b *Bucket, cp *Checkpoint) (*batch, error) {
	if err := checkBuckets(b.Count); err != nil {
		return nil, err
	}
	if b.Index < 0 || b.Index >= b.Count {
		return nil, domain.Invalid("bucket", "the bucket index must be between 0 and %d", b.Count-1)
	}
	docs, _, err := e.live(ctx, coll)
	if err != nil {
		return nil, err
	}
	out := &batch{gone: map[string]bool{}}
	if cp != nil {
		out.checkpoint = *cp
	}
	for _, ch := range docs {
		if BucketOf(ch.ID, b.Count) == b.Index {
			out.changes = append(out.changes, ch)
		}
	}
	return out, nil
}
