package client

import (
	"context"
	"encoding/json"
	"testing"

	lqsync "github.com/lianqi/lianqi/sync"
)

// answering is a transport that answers every push with a fixed result and
// records the rows it was sent: the server's side of these cases is tested
// in package sync and over HTTP in package server; here it is the client's
// reading of the answer.
type answering struct {
	res  PushResult
	sent [][]Row
}

func (a *answering) Pull(context.Context, string, *lqsync.Checkpoint, int) (*PullResult, error) {
	return &PullResult{}, nil
}

func (a *answering) Push(_ context.Context, _ string, rows []Row, _ string) (*PushResult, error) {
	a.sent = append(a.sent, rows)
	return &a.res, nil
}

func TestPushAnswers(t *testing.T) {
	master := json.RawMessage(`{"id":"p1","title":"server's","version":3}`)
	for _, tc := range []struct {
		name      string
		rejection lqsync.Rejection
		conflict  bool
		// queued: the edit stays in the outbox; title: the local title after.
		queued     bool
		title      string
		rejections int
	}{
		{"BeingApplied", lqsync.Rejection{ID: "p1", Code: "CONFLICT", Message: "this row is being applied by another request; retry shortly"}, true, true, "phone's", 0},
		{"LostRaces", lqsync.Rejection{ID: "p1", Code: "CONFLICT", Message: "the record is being edited by others right now; retry"}, true, true, "phone's", 0},
		{"StaleStep", lqsync.Rejection{ID: "p1", Code: "CONFLICT", Message: "the problem was resolved meanwhile"}, true, false, "server's", 1},
		{"Forbidden", lqsync.Rejection{ID: "p1", Code: "FORBIDDEN", Message: "enterprises cannot resolve problems"}, true, false, "server's", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := &answering{res: PushResult{Rejected: []lqsync.Rejection{tc.rejection}}}
			if tc.conflict {
				tr.res.Conflicts = []json.RawMessage{master}
			}
			c := New(tr, "phone")
			c.Edit("problems", "p1", func(d map[string]any) { d["title"] = "phone's" })
			if err := c.Push(context.Background(), "problems", nil); err != nil {
				t.Fatal(err)
			}
			if got := c.Pending(); (got == 1) != tc.queued {
				t.Fatalf("pending edits %d, queued want %v", got, tc.queued)
			}
			if d, _ := c.Doc("problems", "p1"); d["title"] != tc.title {
				t.Fatalf("local title %v, want %q", d["title"], tc.title)
			}
			if got := len(c.Rejections("problems")); got != tc.rejections {
				t.Fatalf("rejections kept for the app: %d, want %d", got, tc.rejections)
			}
			if !tc.queued {
				return
			}
			// The retry sends the same row with the same mutation id, so the
			// server applies it once.
			if err := c.Push(context.Background(), "problems", nil); err != nil {
				t.Fatal(err)
			}
			if len(tr.sent) != 2 || tr.sent[0][0].MutationID != tr.sent[1][0].MutationID {
				t.Fatalf("retry did not repeat the row: %+v", tr.sent)
			}
		})
	}
}
