package main

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	lqsync "github.com/lianqi/lianqi/sync"
	"github.com/lianqi/lianqi/sync/client"
)

// device is a phone replicating through the real server over HTTP.
func (s *testServer) device(user, name string) *client.Client {
	s.t.Helper()
	return client.New(&client.HTTP{URL: s.url + "/graphql", Token: s.token(user)}, name)
}

func mustSync(t *testing.T, c *client.Client) *client.Report {
	t.Helper()
	r, err := c.Sync(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// findDoc returns the first live local document of coll matching pred.
func findDoc(t *testing.T, c *client.Client, coll string, pred func(map[string]any) bool) map[string]any {
	t.Helper()
	ids := []string{}
	docs := c.Docs(coll)
	for id := range docs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if pred(docs[id]) {
			return docs[id]
		}
	}
	t.Fatalf("no %s document matches", coll)
	return nil
}

func hasCode(r *client.Report, code string) bool {
	for _, rej := range r.Rejected {
		if rej.Code == code {
			return true
		}
	}
	return false
}

// TestSyncOfflineEditsAndConflicts replicates the demo programme to an
// official's and an enterprise's phones and walks the protocol's promises:
// a scoped initial pull, offline creation with client ids, a three-way merge
// with the per-field policies, conflicts recorded as data, the workflow's rules
// for offline status changes, and a too-old client.
func TestSyncOfflineEditsAndConflicts(t *testing.T) {
	s := startServer(t)
	ctx := context.Background()
	zhou := s.device("zhoushiyue", "zhou-phone")
	mo := s.device("moweiliang", "mo-phone")
	mustSync(t, zhou)
	mustSync(t, mo)

	// Scope: the official and the enterprise see the same enterprise's problems.
	zp, mp := zhou.Docs(lqsync.Problems), mo.Docs(lqsync.Problems)
	if len(zp) == 0 || len(zp) != len(mp) {
		t.Fatalf("official sees %d problems, enterprise %d", len(zp), len(mp))
	}
	var ent string
	for _, d := range zp {
		if ent == "" {
			ent = d["enterpriseId"].(string)
		}
		if d["enterpriseId"] != ent {
			t.Fatalf("official pulled a problem of another enterprise: %v", d["enterpriseId"])
		}
	}
	loan := findDoc(t, zhou, lqsync.Problems, func(d map[string]any) bool { return d["status"] == "IN_PROGRESS" })
	loanID := loan["id"].(string)

	t.Run("OfflineCreationKeepsClientID", func(t *testing.T) {
		id := client.NewID()
		zhou.Edit(lqsync.Problems, id, func(d map[string]any) {
			d["enterpriseId"], d["category"], d["title"], d["description"] = ent, "SAFETY", "厂区消防通道被占用", "山区信号差，离线记录"
			d["tags"] = []string{"消防"}
			d["status"] = "IN_PROGRESS" // acknowledged and started at the plant
		})
		noteID := client.NewID()
		zhou.Edit(lqsync.ProgressNotes, noteID, func(d map[string]any) {
			d["problemId"], d["kind"], d["text"] = id, "NOTE", "现场查看，已通知企业整改"
		})
		r := mustSync(t, zhou)
		if len(r.Rejected) > 0 {
			t.Fatalf("rejected: %+v", r.Rejected)
		}
		var out struct{ Problem struct{ ID, Status string } }
		s.as("maojianguo", `query($id:ID!){problem(id:$id){id status}}`, map[string]any{"id": id}).decode(t, &out)
		if out.Problem.ID != id || out.Problem.Status != "IN_PROGRESS" {
			t.Fatalf("server has %+v", out.Problem)
		}
		if d, _ := zhou.Doc(lqsync.Problems, id); d["version"].(float64) < 2 || d["respondBy"] == nil {
			t.Fatalf("replica did not get the server's state: %v", d)
		}
	})

	t.Run("ThreeWayMergeRecordsConflicts", func(t *testing.T) {
		// The official edits offline: description and a tag.
		zhou.Edit(lqsync.Problems, loanID, func(d map[string]any) {
			d["description"] = "离线修改的描述"
			d["tags"] = append(d["tags"].([]any), "离线")
			d["hlc"] = lqsync.FormatHLC(1, 0, "old") // an edit made long ago
		})
		// Meanwhile the leader edits the same problem online.
		s.as("maojianguo", `mutation($id:ID!,$t:[String!]){updateProblem(id:$id,input:{description:"领导修改的描述",tags:$t}){version}}`,
			map[string]any{"id": loanID, "t": append(tagsOf(loan), "县长办公会")}).decode(t, &struct{}{})
		r := mustSync(t, zhou)
		if r.Conflicts != 1 {
			t.Fatalf("conflicts = %d, want 1", r.Conflicts)
		}
		d, _ := zhou.Doc(lqsync.Problems, loanID)
		if d["description"] != "领导修改的描述" {
			t.Fatalf("description = %v: the later server edit must win", d["description"])
		}
		tags := tagsOf(d)
		if !slices.Contains(tags, "离线") || !slices.Contains(tags, "县长办公会") {
			t.Fatalf("tags = %v: both sides' additions must survive", tags)
		}
		var out struct {
			SyncConflicts struct {
				Edges []struct {
					Node struct{ Field, Outcome, DeviceID, Username, Client, Server string }
				}
			}
		}
		for _, user := range []string{"zhoushiyue", "maojianguo"} {
			s.as(user, `query($id:ID){syncConflicts(documentId:$id){edges{node{field outcome deviceId username client server}}}}`,
				map[string]any{"id": loanID}).decode(t, &out)
			got := map[string]string{}
			for _, e := range out.SyncConflicts.Edges {
				got[e.Node.Field] = e.Node.Outcome
				if e.Node.DeviceID != "zhou-phone" || e.Node.Username != "周世岳" {
					t.Fatalf("conflict names %s/%s", e.Node.Username, e.Node.DeviceID)
				}
			}
			if got["description"] != "SERVER_KEPT" || got["tags"] != "MERGED" {
				t.Fatalf("%s reads conflicts %v", user, got)
			}
		}
	})

	t.Run("EnterpriseCannotResolveOffline", func(t *testing.T) {
		mustSync(t, mo)
		mo.Edit(lqsync.Problems, loanID, func(d map[string]any) { d["status"] = "RESOLVED" })
		r := mustSync(t, mo)
		if !hasCode(r, "FORBIDDEN") {
			t.Fatalf("rejections = %+v, want FORBIDDEN", r.Rejected)
		}
		if d, _ := mo.Doc(lqsync.Problems, loanID); d["status"] != "IN_PROGRESS" {
			t.Fatalf("replica status = %v, want the server's IN_PROGRESS", d["status"])
		}
	})

	t.Run("StaleEditCannotRevertConfirmed", func(t *testing.T) {
		licence := findDoc(t, mo, lqsync.Problems, func(d map[string]any) bool { return d["status"] == "RESOLVED" })
		id := licence["id"].(string)
		// A second enterprise phone, offline with the old state, wants to reopen.
		stale := s.device("moweiliang", "mo-tablet")
		mustSync(t, stale)
		mo.Edit(lqsync.Problems, id, func(d map[string]any) { d["status"] = "CONFIRMED" })
		if r := mustSync(t, mo); len(r.Rejected) > 0 {
			t.Fatalf("confirm rejected: %+v", r.Rejected)
		}
		stale.Edit(lqsync.Problems, id, func(d map[string]any) {
			d["status"], d["statusReason"] = "IN_PROGRESS", "还没有解决"
		})
		r := mustSync(t, stale)
		if !hasCode(r, "CONFLICT") {
			t.Fatalf("rejections = %+v, want CONFLICT", r.Rejected)
		}
		if d, _ := stale.Doc(lqsync.Problems, id); d["status"] != "CONFIRMED" {
			t.Fatalf("status = %v, want CONFIRMED", d["status"])
		}
	})

	t.Run("RetriedPushAppliesOnce", func(t *testing.T) {
		row := map[string]any{"mutationId": "m-1", "newDocumentState": map[string]any{
			"id": client.NewID(), "problemId": loanID, "kind": "NOTE", "text": "重复发送的记录"}}
		q := `mutation($rows:[ProgressNotePushRow!]!){pushProgressNotes(rows:$rows,schemaVersion:1){rejected{code}}}`
		for range 3 {
			s.as("zhoushiyue", q, map[string]any{"rows": []any{row}}).decode(t, &struct{}{})
		}
		var out struct {
			Problem struct{ ProgressNotes []struct{ Text string } }
		}
		s.as("zhoushiyue", `query($id:ID!){problem(id:$id){progressNotes{text}}}`, map[string]any{"id": loanID}).decode(t, &out)
		n := 0
		for _, note := range out.Problem.ProgressNotes {
			if note.Text == "重复发送的记录" {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("note stored %d times", n)
		}
	})

	t.Run("ErrUpgradeRequired", func(t *testing.T) {
		old := client.New(&client.HTTP{URL: s.url + "/graphql", Token: s.token("zhoushiyue"), SchemaVersion: -1}, "old")
		_, err := old.Sync(ctx)
		var gerr *client.GraphQLError
		if !asGraphQLError(err, &gerr) || gerr.Code() != "UPGRADE_REQUIRED" {
			t.Fatalf("err = %v, want UPGRADE_REQUIRED", err)
		}
	})
}

func tagsOf(d map[string]any) []string {
	var out []string
	b, _ := json.Marshal(d["tags"])
	_ = json.Unmarshal(b, &out)
	return out
}

func asGraphQLError(err error, target **client.GraphQLError) bool {
	return errors.As(err, target)
}

// TestSyncRefusedCreationsAndHeldChildren walks, over GraphQL as a phone
// speaks it, what the contract promises for rows the server cannot apply as
// sent: a creation refused for good comes back as a tombstone with a rejection
// naming the conflict record that keeps it (readable by the author and the
// enterprise's official), and a note or visit pushed before its problem is
// accepted, held as PENDING, and applied when the problem arrives.
func TestSyncRefusedCreationsAndHeldChildren(t *testing.T) {
	s := startServer(t)
	ctx := context.Background()
	zhou, zhu := s.device("zhoushiyue", "zhou-phone"), s.device("zhulijun", "zhu-phone")
	mustSync(t, zhou)
	mustSync(t, zhu)
	mine := findDoc(t, zhou, lqsync.Problems, func(map[string]any) bool { return true })["enterpriseId"].(string)
	other := findDoc(t, zhu, lqsync.Problems, func(d map[string]any) bool { return d["enterpriseId"] != mine })["enterpriseId"].(string)

	t.Run("RefusedCreationBecomesATombstone", func(t *testing.T) {
		id := client.NewID()
		zhou.Edit(lqsync.Problems, id, func(d map[string]any) {
			d["enterpriseId"], d["category"], d["title"] = other, "OTHER", "written for a firm zhou does not serve"
		})
		r := mustSync(t, zhou)
		if len(r.Rejected) != 1 || r.Rejected[0].ID != id || len(r.Rejected[0].ConflictIDs) != 1 {
			t.Fatalf("rejected = %+v", r.Rejected)
		}
		if _, live := zhou.Docs(lqsync.Problems)[id]; live {
			t.Fatal("the refused creation stays on the phone as a ghost")
		}
		if d, ok := zhou.Doc(lqsync.Problems, id); !ok || d["deleted"] != true {
			t.Fatalf("local copy = %v, want the tombstone", d)
		}
		if rs := zhou.Rejections(lqsync.Problems); len(rs) != 1 || rs[0].ID != id {
			t.Fatalf("the app sees rejections %+v", rs)
		}
		defer func() {
			if zhou.Dismiss(lqsync.Problems, id); len(zhou.Rejections(lqsync.Problems)) != 0 {
				t.Error("a dismissed rejection is still listed")
			}
		}()
		for name, c := range map[string]*client.Client{"author": zhou, "official of the enterprise": zhu} {
			cs, err := c.Conflicts(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if len(cs) != 1 || cs[0].ID != r.Rejected[0].ConflictIDs[0] || cs[0].Outcome != "REJECTED" || cs[0].Field != "" ||
				!strings.Contains(cs[0].Client, "written for a firm zhou does not serve") {
				t.Fatalf("%s reads %+v", name, cs)
			}
		}
	})

	t.Run("ChildrenBeforeTheirProblem", func(t *testing.T) {
		pid, nid, vid := client.NewID(), client.NewID(), client.NewID()
		zhou.Edit(lqsync.Problems, pid, func(d map[string]any) {
			d["enterpriseId"], d["category"], d["title"] = mine, "OTHER", "found at the plant"
		})
		zhou.Edit(lqsync.ProgressNotes, nid, func(d map[string]any) { d["problemId"], d["kind"], d["text"] = pid, "NOTE", "called the bank" })
		zhou.Edit(lqsync.Visits, vid, func(d map[string]any) {
			d["enterpriseId"], d["date"], d["notes"], d["problemIds"] = mine, time.Now().UTC().Add(-time.Hour).Format(time.RFC3339), "walked the floor", []string{pid}
		})
		// The children first, as RxDB's independent replications often do.
		r, err := zhou.Sync(ctx, lqsync.ProgressNotes, lqsync.Visits)
		if err != nil || len(r.Rejected) > 0 || r.Conflicts > 0 {
			t.Fatalf("children: %+v %v", r, err)
		}
		cs, err := zhou.Conflicts(ctx, nid)
		if err != nil || len(cs) != 1 || cs[0].Outcome != "PENDING" {
			t.Fatalf("held note: %+v %v", cs, err)
		}
		if r, err := zhou.Sync(ctx, lqsync.Problems, lqsync.ProgressNotes, lqsync.Visits); err != nil || len(r.Rejected) > 0 {
			t.Fatalf("parent: %+v %v", r, err)
		}
		var out struct {
			Problem struct {
				History []struct{ ID, Kind, Text string }
			}
			Visit struct{ Problems []struct{ ID string } }
		}
		s.as("maojianguo", `query($p:ID!,$v:ID!){problem(id:$p){history{id kind text}} visit(id:$v){problems{id}}}`, map[string]any{"p": pid, "v": vid}).decode(t, &out)
		// The official's own record is acknowledged by that act: that entry, then the note.
		if h := out.Problem.History; len(h) != 2 || h[0].Kind != "ACKNOWLEDGE" || h[1].ID != nid || len(out.Visit.Problems) != 1 || out.Visit.Problems[0].ID != pid {
			t.Fatalf("server has %+v", out)
		}
		if cs, err := zhou.Conflicts(ctx, nid); err != nil || len(cs) != 0 {
			t.Fatalf("records of the applied note: %+v %v", cs, err)
		}
		if d, ok := zhou.Doc(lqsync.ProgressNotes, nid); !ok || d["text"] != "called the bank" {
			t.Fatalf("phone's note = %v", d)
		}
	})
}

// TestSyncConflictNames: a conflict record stores its author's login name; a
// reader sees the name the rule for people allows (the display name), so an
// enterprise reading the records of its firm never learns an official's login.
func TestSyncConflictNames(t *testing.T) {
	s := startServer(t)
	var me struct {
		Me struct{ Enterprise struct{ ID string } }
	}
	s.as("moweiliang", `{me{enterprise{id}}}`, nil).decode(t, &me)
	// A creation refused for bad input (no title) is kept as a REJECTED record.
	row := map[string]any{"newDocumentState": map[string]any{"id": client.NewID(), "enterpriseId": me.Me.Enterprise.ID, "category": "OTHER", "title": ""}, "mutationId": "names-1"}
	var push struct {
		PushProblems struct{ Rejected []struct{ Code string } }
	}
	s.as("zhoushiyue", `mutation($rows:[ProblemPushRow!]!){pushProblems(rows:$rows,schemaVersion:1){rejected{code}}}`,
		map[string]any{"rows": []any{row}}).decode(t, &push)
	if len(push.PushProblems.Rejected) != 1 {
		t.Fatalf("the row was not refused: %+v", push)
	}
	for _, tc := range []struct{ reader, want string }{
		{"moweiliang", "周世岳"}, {"zhoushiyue", "周世岳"}, {"maojianguo", "周世岳"},
	} {
		var out struct {
			SyncConflicts struct {
				Edges []struct{ Node struct{ Username string } }
			}
		}
		s.as(tc.reader, `{syncConflicts(first:10){edges{node{username}}}}`, nil).decode(t, &out)
		if len(out.SyncConflicts.Edges) == 0 {
			t.Fatalf("%s reads no record", tc.reader)
		}
		for _, e := range out.SyncConflicts.Edges {
			if e.Node.Username != tc.want {
				t.Fatalf("%s reads the author as %q, want %q", tc.reader, e.Node.Username, tc.want)
			}
		}
	}
}
