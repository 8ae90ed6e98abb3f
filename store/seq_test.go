package store_test

import (
	"context"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/lianqi/lianqi/domain"
	"github.com/lianqi/lianqi/store"
	"github.com/lianqi/lianqi/store/storetest"
)

// TestSequenceContinuesFromOldCounter opens a database written by the earlier
// counter-document allocator: new changes must get sequences above the old
// ones, or replicas holding checkpoints from before the upgrade would skip them.
func TestSequenceContinuesFromOldCounter(t *testing.T) {
	ctx := context.Background()
	name := storetest.DBName(t)
	c, err := mongo.Connect(options.Client().ApplyURI(storetest.URI(t)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Disconnect(ctx)
	if _, err := c.Database(name).Collection("counters").InsertOne(ctx, bson.D{{Key: "_id", Value: "changes"}, {Key: "next", Value: int64(500)}, {Key: "pending", Value: bson.A{}}}); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, storetest.URI(t), name, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Drop(ctx); _ = db.Close(ctx) })
	if mark, _ := db.Watermark(ctx); mark != 499 {
		t.Fatalf("watermark after upgrade = %d, want 499", mark)
	}
	e := &domain.Enterprise{ID: domain.NewID(), Name: "升级测试", Status: domain.EnterpriseActive}
	if err := db.CreateEnterprise(ctx, e); err != nil {
		t.Fatal(err)
	}
	changes, err := db.Changes(ctx, store.CollEnterprises, domain.Scope{All: true}, 499, 1<<40, 10)
	if err != nil || len(changes) != 1 || changes[0].Seq != 500 {
		t.Fatalf("changes after the old counter = %+v, %v", changes, err)
	}
}
