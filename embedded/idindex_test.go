package embedded

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// ferretIDLookup is the WHERE clause FerretDB 1.24's SQLite backend sends for a
// filter that is exactly {_id: …} (backends/sqlite/collection.go, with
// metadata.IDColumn), copied by hand: re-check it when upgrading FerretDB.
const ferretIDLookup = `_ferretdb_sjson->'$._id' = ?`

// The index must be on exactly the expression FerretDB's _id lookups compare,
// or SQLite ignores it: the test asks SQLite's planner about FerretDB's query.
func TestIndexIDsIsUsedByIDLookups(t *testing.T) {
	ctx := context.Background()
	s := MustStart(t)
	c, err := mongo.Connect(options.Client().ApplyURI(s.URI()))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Disconnect(ctx)
	coll := c.Database("idx").Collection("problems")
	for _, id := range []string{"a", "b", "c"} {
		if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "n", Value: 1}}); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 2; i++ { // idempotent
		if n, err := s.IndexIDs(ctx, "idx"); err != nil || n != 1 {
			t.Fatalf("IndexIDs = %d, %v; want 1 table", n, err)
		}
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(s.dir, "idx.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var table string
	if err := db.QueryRow(`SELECT table_name FROM "_ferretdb_collections" WHERE name = 'problems'`).Scan(&table); err != nil {
		t.Fatal(err)
	}
	rows, err := db.Query(`EXPLAIN QUERY PLAN SELECT _ferretdb_sjson FROM "`+table+`" WHERE `+ferretIDLookup, `"b"`)
	if err != nil {
		t.Fatal(err)
	}
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	rows.Close()
	if !strings.Contains(strings.Join(plan, ";"), "USING INDEX") {
		t.Fatalf("the _id lookup does not use the index: %v", plan)
	}
	// FerretDB still answers through its own path, index or not.
	var got bson.M
	if err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: "b"}}).Decode(&got); err != nil || got["_id"] != "b" {
		t.Fatalf("find by _id: %v %v", got, err)
	}
	if _, err := coll.DeleteOne(ctx, bson.D{{Key: "_id", Value: "b"}}); err != nil {
		t.Fatal(err)
	}
	if err := c.Database("idx").Drop(ctx); err != nil {
		t.Fatalf("drop a database with the extra index: %v", err)
	}
}

func TestIndexIDsUnknownDatabase(t *testing.T) {
	s := MustStart(t)
	if _, err := s.IndexIDs(context.Background(), "nothing-here"); err == nil {
		t.Fatal("no error for a database that does not exist")
	}
}
