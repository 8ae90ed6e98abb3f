package datalife

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/lianqi/lianqi/embedded"
	"github.com/lianqi/lianqi/store"
	lqsync "github.com/lianqi/lianqi/sync"
)

// MigrateOptions names what lianqi migrate copies where.
type MigrateOptions struct {
	DataDir string // the embedded database's data directory (the server must be stopped)
	DB      string // database name in the embedded engine
	To      string // the target's mongodb:// URI
	ToDB    string // database name on the target; DB when empty
	// Force empties a target database that already holds collections.
	Force bool
	// Log gets a line per copied collection; nil discards them.
	Log *slog.Logger
}

// CollectionReport is what was copied of one collection and how it was
// verified.
type CollectionReport struct {
	Name    string
	Docs    int64
	Indexes int
	// Digest is the SHA-256 of every document's bytes in _id order, the same
	// on both sides.
	Digest string
	// SyncHash is the sync checksum (sync.HashBucket over id:version of the
	// live documents, one bucket) of a replicated collection, what phones
	// compare with syncChecksum; empty for the others.
	SyncHash string
}

// synced are the collections phones replicate; their sync checksums must
// survive the move, or every phone would pull them again.
var synced = []string{store.CollProblems, store.CollProgressNotes, store.CollVisits,
	store.CollEnterprises, store.CollPairings, store.CollOfficials}

// Migrate copies every collection of the embedded database in opts.DataDir,
// with its indexes, into the MongoDB at opts.To, then compares document
// counts, content digests and sync checksums of both sides. The embedded
// engine is started here, so the data directory's lock is taken: a server
// still running on it is refused. Everything the sync protocol depends on is
// a collection (the change sequence markers, the change log, the checkpoint
// signing key, sessions and receipts), so a phone's checkpoint taken before
// the move goes on pulling after it. The JWT keys stay in the data directory,
// which the server on MongoDB keeps using (--data-dir).
func Migrate(ctx context.Context, opts MigrateOptions) ([]CollectionReport, error) {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.DB == "" {
		opts.DB = "lianqi"
	}
	if opts.ToDB == "" {
		opts.ToDB = opts.DB
	}
	srv, err := embedded.Start(ctx, embedded.Options{Dir: opts.DataDir, Logger: opts.Log})
	if err != nil {
		return nil, fmt.Errorf("migrate: open the embedded database: %w", err)
	}
	defer srv.Close()
	src, err := mongo.Connect(options.Client().ApplyURI(srv.URI()))
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	defer src.Disconnect(context.WithoutCancel(ctx))
	dst, err := mongo.Connect(options.Client().ApplyURI(opts.To).SetAppName("lianqi-migrate"))
	if err != nil {
		return nil, fmt.Errorf("migrate: target: %w", err)
	}
	defer dst.Disconnect(context.WithoutCancel(ctx))
	from, to := src.Database(opts.DB), dst.Database(opts.ToDB)

	names, err := from.ListCollectionNames(ctx, bson.D{})
	if err != nil {
		return nil, fmt.Errorf("migrate: list source collections: %w", err)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("migrate: database %q in %s is empty or missing", opts.DB, opts.DataDir)
	}
	slices.Sort(names)
	existing, err := to.ListCollectionNames(ctx, bson.D{})
	if err != nil {
		return nil, fmt.Errorf("migrate: target: %w", err)
	}
	if len(existing) > 0 {
		if !opts.Force {
			return nil, fmt.Errorf("migrate: the target database %q is not empty (%d collections, e.g. %s); use --force to replace it", opts.ToDB, len(existing), existing[0])
		}
		if err := to.Drop(ctx); err != nil {
			return nil, fmt.Errorf("migrate: empty the target: %w", err)
		}
	}

	var reports []CollectionReport
	for _, name := range names {
		r, err := copyCollection(ctx, from.Collection(name), to.Collection(name))
		if err != nil {
			return nil, fmt.Errorf("migrate %s: %w", name, err)
		}
		opts.Log.Info("copied", "collection", name, "documents", r.Docs, "indexes", r.Indexes)
		reports = append(reports, r)
	}
	for i, r := range reports {
		if err := verify(ctx, from.Collection(r.Name), to.Collection(r.Name), &reports[i]); err != nil {
			return reports, fmt.Errorf("migrate: verify %s: %w", r.Name, err)
		}
	}
	return reports, nil
}

// copyCollection creates dst with src's indexes (before the documents, so a
// unique index refuses nothing it would refuse later) and copies every
// document as raw BSON, unchanged.
func copyCollection(ctx context.Context, src, dst *mongo.Collection) (CollectionReport, error) {
	r := CollectionReport{Name: src.Name()}
	if err := dst.Database().CreateCollection(ctx, dst.Name()); err != nil {
		return r, fmt.Errorf("create: %w", err)
	}
	cur, err := src.Indexes().List(ctx)
	if err != nil {
		return r, fmt.Errorf("list indexes: %w", err)
	}
	var specs []bson.Raw
	if err := cur.All(ctx, &specs); err != nil {
		return r, fmt.Errorf("list indexes: %w", err)
	}
	var models []mongo.IndexModel
	for _, sp := range specs {
		name, _ := sp.Lookup("name").StringValueOK()
		if name == "_id_" {
			continue
		}
		keys, ok := sp.Lookup("key").DocumentOK()
		if !ok {
			return r, fmt.Errorf("index %q has no keys", name)
		}
		o := options.Index().SetName(name)
		if u, ok := sp.Lookup("unique").BooleanOK(); ok && u {
			o.SetUnique(true)
		}
		models = append(models, mongo.IndexModel{Keys: keys, Options: o})
	}
	if len(models) > 0 {
		if _, err := dst.Indexes().CreateMany(ctx, models); err != nil {
			return r, fmt.Errorf("create indexes: %w", err)
		}
	}
	r.Indexes = len(models)

	docs, err := src.Find(ctx, bson.D{})
	if err != nil {
		return r, fmt.Errorf("read: %w", err)
	}
	defer docs.Close(ctx)
	var batch []any
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if _, err := dst.InsertMany(ctx, batch); err != nil {
			return fmt.Errorf("write: %w", err)
		}
		r.Docs += int64(len(batch))
		batch = batch[:0]
		return nil
	}
	for docs.Next(ctx) {
		batch = append(batch, append(bson.Raw(nil), docs.Current...))
		if len(batch) == 1000 {
			if err := flush(); err != nil {
				return r, err
			}
		}
	}
	if err := docs.Err(); err != nil {
		return r, fmt.Errorf("read: %w", err)
	}
	return r, flush()
}

// summary is what verify compares of one side.
type summary struct {
	count          int64
	digest, synced string
}

func summarize(ctx context.Context, c *mongo.Collection, isSynced bool) (summary, error) {
	cur, err := c.Find(ctx, bson.D{})
	if err != nil {
		return summary{}, err
	}
	defer cur.Close(ctx)
	type doc struct {
		id  string
		raw []byte
	}
	var docs []doc
	var live []lqsync.IDVersion
	for cur.Next(ctx) {
		raw := append(bson.Raw(nil), cur.Current...)
		id := raw.Lookup("_id").String()
		docs = append(docs, doc{id, raw})
		if isSynced {
			if del, _ := raw.Lookup("deleted").BooleanOK(); !del {
				v, _ := raw.Lookup("version").AsInt64OK()
				sid, _ := raw.Lookup("_id").StringValueOK()
				live = append(live, lqsync.IDVersion{ID: sid, Version: v})
			}
		}
	}
	if err := cur.Err(); err != nil {
		return summary{}, err
	}
	sort.Slice(docs, func(i, j int) bool { return docs[i].id < docs[j].id })
	h := sha256.New()
	for _, d := range docs {
		h.Write(d.raw)
	}
	s := summary{count: int64(len(docs)), digest: hex.EncodeToString(h.Sum(nil))}
	if isSynced {
		s.synced = lqsync.HashBucket(live)
	}
	return s, nil
}

// verify compares the two sides of one collection: counts (also as the
// server counts them), the digest of the documents' bytes and, for a
// replicated collection, its sync checksum.
func verify(ctx context.Context, src, dst *mongo.Collection, r *CollectionReport) error {
	isSynced := slices.Contains(synced, r.Name)
	a, err := summarize(ctx, src, isSynced)
	if err != nil {
		return fmt.Errorf("source: %w", err)
	}
	b, err := summarize(ctx, dst, isSynced)
	if err != nil {
		return fmt.Errorf("target: %w", err)
	}
	n, err := dst.CountDocuments(ctx, bson.D{})
	if err != nil {
		return fmt.Errorf("target count: %w", err)
	}
	var errs []error
	if a.count != b.count || n != a.count {
		errs = append(errs, fmt.Errorf("%d documents in the source, %d in the target (counted: %d)", a.count, b.count, n))
	}
	if !bytes.Equal([]byte(a.digest), []byte(b.digest)) {
		errs = append(errs, errors.New("the documents' contents differ"))
	}
	if a.synced != b.synced {
		errs = append(errs, errors.New("the sync checksums differ"))
	}
	r.Digest, r.SyncHash = a.digest, a.synced
	return errors.Join(errs...)
}
