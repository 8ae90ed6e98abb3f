package store

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	livefeed "github.com/lianqi/lianqi/live"
)

// Topology reads the deployment's shape from hello, for the choice of the
// live-update feed (livefeed.Choose).
func (db *DB) Topology(ctx context.Context) (livefeed.Topology, error) {
	var hello struct {
		SetName string `bson:"setName"`
		Msg     string `bson:"msg"`
	}
	if err := db.client.Database("admin").RunCommand(ctx, bson.D{{Key: "hello", Value: 1}}).Decode(&hello); err != nil {
		return livefeed.Topology{}, fmt.Errorf("hello: %w", err)
	}
	return livefeed.Topology{SetName: hello.SetName, Msg: hello.Msg, FerretDB: db.engine.Name == EngineFerretDB}, nil
}

// Server error codes after which a change stream cannot resume from its token.
const (
	codeInvalidResumeToken      = 260
	codeChangeStreamFatal       = 280
	codeChangeStreamHistoryLost = 286
)

// OpenStream watches the change-sequence markers: every commit of every
// process inserts one and marks it done, so their events ring once or twice
// per write whatever collection it touched. Only the event's id (the resume
// token) is asked for; subscribers read the data themselves.
func (db *DB) OpenStream(ctx context.Context, resumeAfter []byte) (livefeed.Stream, error) {
	pipeline := mongo.Pipeline{
		{{Key: "$match", Value: bson.D{{Key: "operationType", Value: bson.D{{Key: "$in", Value: bson.A{"insert", "update", "replace"}}}}}}},
		{{Key: "$project", Value: bson.D{{Key: "operationType", Value: 1}}}},
	}
	opts := options.ChangeStream()
	if resumeAfter != nil {
		opts.SetResumeAfter(bson.Raw(resumeAfter))
	}
	cs, err := db.coll(collSeqs).Watch(ctx, pipeline, opts)
	if err != nil {
		return nil, streamErr(err)
	}
	return &changeStream{cs: cs}, nil
}

type changeStream struct {
	cs  *mongo.ChangeStream
	err error
}

func (s *changeStream) Next(ctx context.Context) bool {
	if !s.cs.Next(ctx) {
		return false
	}
	if op, _ := s.cs.Current.Lookup("operationType").StringValueOK(); op == "invalidate" {
		// The collection was dropped or renamed: its tokens cannot resume.
		s.err = livefeed.ErrHistoryLost
		return false
	}
	return true
}

func (s *changeStream) ResumeToken() []byte { return s.cs.ResumeToken() }

func (s *changeStream) Err() error {
	if s.err != nil {
		return s.err
	}
	return streamErr(s.cs.Err())
}

func (s *changeStream) Close(ctx context.Context) error { return s.cs.Close(ctx) }

// streamErr maps the server's "cannot resume" codes to livefeed.ErrHistoryLost.
func streamErr(err error) error {
	var se mongo.ServerError
	if err != nil && errors.As(err, &se) {
		for _, c := range []int{codeInvalidResumeToken, codeChangeStreamFatal, codeChangeStreamHistoryLost} {
			if se.HasErrorCode(c) {
				return fmt.Errorf("%w: %w", livefeed.ErrHistoryLost, err)
			}
		}
	}
	return err
}
