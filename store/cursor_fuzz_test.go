package store

import (
	"encoding/base64"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/lianqi/lianqi/domain"
)

// FuzzCursor decodes page cursors as a client may send them: anything that
// is not refused as bad input must be a cursor for this listing's sort whose
// value is a plain scalar, so that the filter built from it (after) compares
// values and can never carry a query operator such as {$regex: …} or
// {$where: …} into the database. `go test ./store -run '^$' -fuzz FuzzCursor`;
// the kept corpus is in testdata/fuzz/FuzzCursor.
func FuzzCursor(f *testing.F) {
	raw := func(v any) string {
		b, err := bson.Marshal(v)
		if err != nil {
			f.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	for _, s := range []string{
		raw(bson.D{{Key: "s", Value: "reportedAt"}, {Key: "v", Value: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}, {Key: "id", Value: domain.NewID()}}),
		raw(bson.D{{Key: "s", Value: "name"}, {Key: "v", Value: "遂昌素兰茶厂"}, {Key: "id", Value: domain.NewID()}}),
		raw(bson.D{{Key: "s", Value: "level"}, {Key: "v", Value: int32(3)}, {Key: "id", Value: "x"}}),
		raw(bson.D{{Key: "s", Value: "name"}, {Key: "v", Value: bson.D{{Key: "$regex", Value: "(a+)+$"}}}, {Key: "id", Value: "x"}}),
		raw(bson.D{{Key: "s", Value: "name"}, {Key: "v", Value: bson.A{"a", "b"}}, {Key: "id", Value: "x"}}),
		"", "!!!", "e30",
	} {
		f.Add(s, "name")
	}
	f.Fuzz(func(t *testing.T, s, field string) {
		sort := sortSpec{Field: field}
		c, err := decodeCursor(s, sort)
		if err != nil {
			if domain.ErrorCode(err) != domain.EINVALID {
				t.Fatalf("refused with %v, want bad input", err)
			}
			return
		}
		if c.Sort != field || c.ID == "" {
			t.Fatalf("accepted a cursor for %q with id %q", c.Sort, c.ID)
		}
		switch c.Value.Type {
		case bson.TypeString, bson.TypeInt32, bson.TypeInt64, bson.TypeDouble, bson.TypeDateTime, bson.TypeBoolean, bson.TypeNull, bson.TypeObjectID:
		default:
			t.Fatalf("accepted a cursor whose value is a %v: it would reach the filter as more than a value", c.Value.Type)
		}
		if _, err := bson.Marshal(c.after(sort)); err != nil {
			t.Fatalf("filter from an accepted cursor does not marshal: %v", err)
		}
		if _, err := bson.Marshal(c.after(sortSpec{Field: field, Desc: true})); err != nil {
			t.Fatalf("filter from an accepted cursor does not marshal: %v", err)
		}
	})
}
