package main

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	lqsync "github.com/lianqi/lianqi/sync"
	"github.com/lianqi/lianqi/sync/client"
)

// headCheckpoint pulls collection (e.g. "Problems") as user to its end and
// returns the checkpoint there. A stream subscribed from it carries every
// write made after this call, however soon after the subscription the write
// arrives: a subscription without a checkpoint starts wherever the log's head
// is when the server gets to it, which a quick write may already have passed.
func (s *testServer) headCheckpoint(user, collection string) map[string]any {
	s.t.Helper()
	var cp map[string]any
	for {
		var out map[string]struct {
			Documents  []struct{ ID string }
			Checkpoint map[string]any
		}
		s.as(user, `query($cp:SyncCheckpointInput){b:pull`+collection+`(checkpoint:$cp,limit:1000,schemaVersion:1){documents{id} checkpoint{cursor seq}}}`,
			map[string]any{"cp": cp}).decode(s.t, &out)
		b := out["b"]
		if b.Checkpoint != nil {
			cp = b.Checkpoint
		}
		if len(b.Documents) == 0 {
			return cp
		}
	}
}

// streamSubscribe opens a graphql-transport-ws subscription as user from the
// head of collection's log (headCheckpoint; query takes it as $cp) and returns
// a function reading its next payload (answering pings), until ctx's deadline.
func (s *testServer) streamSubscribe(ctx context.Context, user, collection, query string) func() json.RawMessage {
	s.t.Helper()
	cp := s.headCheckpoint(user, collection)
	c, err := s.dialWS("")
	if err != nil {
		s.t.Fatal(err)
	}
	if m := c.init(s.token(user)); m.Type != "connection_ack" {
		s.t.Fatalf("connection_init answered %+v", m)
	}
	c.send(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": query, "variables": map[string]any{"cp": cp}}})
	return func() json.RawMessage {
		s.t.Helper()
		for {
			wait := 30 * time.Second
			if deadline, ok := ctx.Deadline(); ok {
				wait = time.Until(deadline)
			}
			m, err := c.read(wait)
			if err != nil {
				s.t.Fatal(err)
			}
			switch m.Type {
			case "next":
				return m.Payload
			case "ping":
				c.send(map[string]any{"type": "pong"})
			default:
				s.t.Fatalf("subscription sent %s %s", m.Type, m.Payload)
			}
		}
	}
}

// TestSyncStreamEmitsChanges subscribes an enterprise's phone to its problems
// and has the official report one from his phone: the stream emits it, and
// nothing of other enterprises.
func TestSyncStreamEmitsChanges(t *testing.T) {
	s := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	next := s.streamSubscribe(ctx, "moweiliang", "Problems", `subscription($cp:SyncCheckpointInput){streamProblems(checkpoint:$cp,schemaVersion:1){documents{id title enterpriseId} checkpoint{seq} resync}}`)

	zhou := s.device("zhoushiyue", "zhou-phone")
	mustSync(t, zhou)
	ent := findDoc(t, zhou, lqsync.Problems, func(map[string]any) bool { return true })["enterpriseId"]
	// A problem elsewhere first: it must not reach the enterprise's stream.
	s.as("admin", `mutation{reportProblem(input:{enterpriseId:"`+otherEnterprise(t, s, ent.(string))+`",category:OTHER,title:"别家的问题"}){id}}`, nil).decode(t, &struct{}{})
	id := client.NewID()
	zhou.Edit(lqsync.Problems, id, func(d map[string]any) {
		d["enterpriseId"], d["category"], d["title"] = ent, "LABOUR", "急需电工两名"
	})
	mustSync(t, zhou)

	var got struct {
		StreamProblems struct {
			Documents []struct{ ID, Title, EnterpriseID string }
		}
	}
	for {
		if err := json.Unmarshal(next(), &struct{ Data any }{Data: &got}); err != nil {
			t.Fatal(err)
		}
		for _, d := range got.StreamProblems.Documents {
			if d.EnterpriseID != ent {
				t.Fatalf("stream leaked a problem of enterprise %s", d.EnterpriseID)
			}
			if d.ID == id && d.Title == "急需电工两名" {
				return
			}
		}
	}
}

// otherEnterprise returns an enterprise id other than not.
func otherEnterprise(t testing.TB, s *testServer, not string) string {
	var out struct {
		Enterprises struct {
			Edges []struct{ Node struct{ ID string } }
		}
	}
	s.as("admin", `{enterprises(first:50){edges{node{id}}}}`, nil).decode(s.t, &out)
	for _, e := range out.Enterprises.Edges {
		if e.Node.ID != not {
			return e.Node.ID
		}
	}
	s.t.Fatal("no other enterprise")
	return ""
}

// TestSyncStreamReadOnlyCollections: read-only collections stream too. An
// admin changing an official's service team reaches the official's open app as a
// pairing batch without a pull.
func TestSyncStreamReadOnlyCollections(t *testing.T) {
	s := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var mine struct{ Pairings []struct{ ID string } }
	s.as("zhoushiyue", `{pairings(filter:{activeOnly:true}){id}}`, nil).decode(t, &mine)
	if len(mine.Pairings) != 1 {
		t.Fatalf("zhoushiyue has %d active pairings, want 1", len(mine.Pairings))
	}
	next := s.streamSubscribe(ctx, "zhoushiyue", "Pairings", `subscription($cp:SyncCheckpointInput){streamPairings(checkpoint:$cp,schemaVersion:1){documents{id teamMemberIds} resync}}`)
	s.as("admin", `mutation($id:ID!){setPairingTeam(id:$id,teamMemberIds:[]){id}}`, map[string]any{"id": mine.Pairings[0].ID}).decode(t, &struct{}{})
	var got struct {
		StreamPairings struct {
			Documents []struct {
				ID            string
				TeamMemberIds []string
			}
		}
	}
	for {
		if err := json.Unmarshal(next(), &struct{ Data any }{Data: &got}); err != nil {
			t.Fatal(err)
		}
		for _, d := range got.StreamPairings.Documents {
			if d.ID == mine.Pairings[0].ID && len(d.TeamMemberIds) == 0 {
				return
			}
		}
	}
}
