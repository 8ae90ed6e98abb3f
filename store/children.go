package store

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"golang.org/x/sync/errgroup"
)

// The embedded engine answers only a filter that is exactly {_id: …} by key;
// "the notes of this problem" or "the sessions of this user" decode the whole
// collection there, however few they are. Children keep their own ids (notes
// are created on phones under ids the server does not choose), so each parent
// gets a small document listing its children's ids, stored under the key
// "<collection>/<parent id>": a parent's children are one lookup for the list
// and one per child, whatever the size of the collection.
//
// The list is extended before the child is written, so a child a reader can
// miss is one whose write is still under way (or failed: its id is then
// listed but not found, and skipped). Databases written before the lists
// existed get them at the next start (ensureChildren); every process on one
// database must run this version, or children created by an older one are
// missing from the lists.

const collChildren = "children"

// childrenVersion is bumped when a new kind of list is added, so that the
// start builds it for existing data.
const childrenVersion = 1

// childParents names, for each collection that has lists, the field holding
// the parent's id.
var childParents = map[string]string{CollProgressNotes: "problemId", CollSessions: "userId"}

func childrenKey(coll, parent string) string { return coll + "/" + parent }

// addChild lists id among the children of parent. $addToSet is a
// read-modify-write on the embedded engine, not isolated: it runs under
// lockWrites like every write there.
func (db *DB) addChild(ctx context.Context, coll, parent, id string) error {
	unlock := db.lockWrites()
	defer unlock()
	_, err := db.coll(collChildren).UpdateOne(ctx, bson.D{{Key: "_id", Value: childrenKey(coll, parent)}},
		bson.D{{Key: "$addToSet", Value: bson.D{{Key: "ids", Value: id}}}}, options.UpdateOne().SetUpsert(true))
	return translate("list "+singular(coll), err)
}

// children returns the listed child ids of each parent, by concurrent lookups
// by key, in the order of parents.
func (db *DB) children(ctx context.Context, coll string, parents []string) ([]string, error) {
	lists := make([][]string, len(parents))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(lookupParallelism)
	seen := map[string]bool{}
	for i, p := range parents {
		if seen[p] {
			continue
		}
		seen[p] = true
		g.Go(func() error {
			var doc struct {
				IDs []string `bson:"ids"`
			}
			err := db.coll(collChildren).FindOne(gctx, bson.D{{Key: "_id", Value: childrenKey(coll, p)}}).Decode(&doc)
			if errors.Is(err, mongo.ErrNoDocuments) {
				return nil
			}
			lists[i] = doc.IDs
			return translate("read "+singular(coll)+" list", err)
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out, nil
}

// ensureChildren builds the lists for children written before they existed:
// one pass over each collection, once per database (a version mark in the
// counters). Building is idempotent, so processes starting together may both
// do it.
func (db *DB) ensureChildren(ctx context.Context) error {
	// Created now so that the embedded engine's _id lookup index, added to
	// the collections that exist once the store is open, covers it.
	if err := db.ensureCollection(ctx, collChildren); err != nil {
		return err
	}
	var mark struct {
		Version int `bson:"version"`
	}
	err := db.coll(collCounters).FindOne(ctx, bson.D{{Key: "_id", Value: collChildren}}).Decode(&mark)
	if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
		return fmt.Errorf("read children mark: %w", err)
	}
	if mark.Version >= childrenVersion {
		return nil
	}
	for coll, field := range childParents {
		cur, err := db.coll(coll).Find(ctx, bson.D{}, options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}, {Key: field, Value: 1}}))
		if err != nil {
			return fmt.Errorf("list %s for their parents: %w", coll, err)
		}
		byParent := map[string][]string{}
		for cur.Next(ctx) {
			id, _ := cur.Current.Lookup("_id").StringValueOK()
			parent, _ := cur.Current.Lookup(field).StringValueOK()
			if id != "" && parent != "" {
				byParent[parent] = append(byParent[parent], id)
			}
		}
		if err := cur.Err(); err != nil {
			cur.Close(ctx)
			return fmt.Errorf("list %s for their parents: %w", coll, err)
		}
		cur.Close(ctx)
		for parent, ids := range byParent {
			_, err := db.coll(collChildren).UpdateOne(ctx, bson.D{{Key: "_id", Value: childrenKey(coll, parent)}},
				bson.D{{Key: "$addToSet", Value: bson.D{{Key: "ids", Value: bson.D{{Key: "$each", Value: ids}}}}}}, options.UpdateOne().SetUpsert(true))
			if err != nil {
				return fmt.Errorf("list %s of %s: %w", coll, parent, err)
			}
		}
		if len(byParent) > 0 {
			db.log.Info("listed children by parent", "collection", coll, "parents", len(byParent))
		}
	}
	_, err = db.coll(collCounters).ReplaceOne(ctx, bson.D{{Key: "_id", Value: collChildren}},
		bson.D{{Key: "_id", Value: collChildren}, {Key: "version", Value: childrenVersion}}, options.Replace().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("write children mark: %w", err)
	}
	return nil
}
