package datalife

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/lianqi/lianqi/embedded"
)

// BenchmarkBackup measures lianqi backup (VACUUM INTO plus the quick check)
// of a database of n documents of about 1 kB, against the plain copy of the
// same SQLite file and its WAL (what an operator's cp would cost, without
// consistency),
// in one run: the ratio is what consistency costs.
func BenchmarkBackup(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		dir := b.TempDir()
		srv, err := embedded.Start(context.Background(), embedded.Options{Dir: dir})
		if err != nil {
			b.Fatal(err)
		}
		c, err := mongo.Connect(options.Client().ApplyURI(srv.URI()))
		if err != nil {
			b.Fatal(err)
		}
		coll := c.Database("lianqi").Collection("problems")
		text := strings.Repeat("问题描述 ", 80)
		for i := 0; i < n; i += 500 {
			var docs []any
			for j := i; j < min(i+500, n); j++ {
				docs = append(docs, bson.D{{Key: "_id", Value: fmt.Sprintf("p%06d", j)}, {Key: "seq", Value: j}, {Key: "description", Value: text}})
			}
			if _, err := coll.InsertMany(context.Background(), docs); err != nil {
				b.Fatal(err)
			}
		}
		file := filepath.Join(embedded.SQLiteDir(dir), "lianqi.sqlite")
		var size int64
		for _, suffix := range []string{"", "-wal"} {
			if fi, err := os.Stat(file + suffix); err == nil {
				size += fi.Size()
			}
		}
		b.Logf("%d documents: %.1f MB in the database file and its WAL", n, float64(size)/1e6)
		b.Run(fmt.Sprintf("backup/%d", n), func(b *testing.B) {
			i := 0
			for b.Loop() {
				i++
				if _, err := Backup(context.Background(), dir, filepath.Join(b.TempDir(), fmt.Sprint(i))); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("copy/%d", n), func(b *testing.B) {
			i := 0
			for b.Loop() {
				i++
				to := filepath.Join(b.TempDir(), fmt.Sprint(i))
				for _, suffix := range []string{"", "-wal"} {
					if err := copyFile(file+suffix, to+suffix); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
		_ = c.Disconnect(context.Background())
		_ = srv.Close()
	}
}
