package main

import (
	"fmt"
	"sort"
	"testing"
)

// pullAll pulls one collection to the end as a phone would, and returns the ids
// of the live documents with their enterprise (or their own id for enterprises
// and officials).
func pullAll(t *testing.T, s *testServer, token, field, enterpriseField string) map[string]string {
	t.Helper()
	got := map[string]string{}
	var cp any
	for range 100 {
		query := fmt.Sprintf(`query($cp:SyncCheckpointInput){%s(checkpoint:$cp,limit:50,schemaVersion:1){
			documents{id %s deleted} checkpoint{cursor seq}}}`, field, enterpriseField)
		var out map[string]struct {
			Documents  []map[string]any
			Checkpoint struct {
				Cursor string
				Seq    int
			}
		}
		s.post(token, query, map[string]any{"cp": cp}).decode(t, &out)
		batch := out[field]
		for _, d := range batch.Documents {
			id := d["id"].(string)
			if d["deleted"] == true {
				delete(got, id)
				continue
			}
			got[id], _ = d[enterpriseField].(string)
		}
		if len(batch.Documents) == 0 {
			return got
		}
		cp = map[string]any{"cursor": batch.Checkpoint.Cursor}
	}
	t.Fatalf("%s did not end", field)
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// TestSyncSecurityMatrix: the sync rows of every collection, pulled to the end
// by every kind of caller, are exactly the caller's rightful view computed by
// the security matrix's independent model (no leak, nothing missing); pushes of
// rows outside the caller's rights are refused row by row and change nothing;
// dashboard tokens cannot sync at all.
func TestSyncSecurityMatrix(t *testing.T) {
	s := startServer(t)
	w := loadWorld(t, s)
	for _, user := range []string{"admin", "maojianguo", "zhoushiyue", "zhulijun", "moweiliang"} {
		c := w.callerFor(s, t, user)
		inScope := func(ent string) bool { return c.all || c.ents[ent] }
		t.Run(user, func(t *testing.T) {
			for _, tc := range []struct{ field, entField, kind string }{
				{"pullProblems", "enterpriseId", "problem"},
				{"pullVisits", "enterpriseId", "visit"},
				{"pullEnterprises", "id", "enterprise"},
			} {
				got := pullAll(t, s, c.token, tc.field, tc.entField)
				want := map[string]bool{}
				for id, ent := range w.records[tc.kind] {
					if inScope(ent) {
						want[id] = true
					}
				}
				if fmt.Sprint(sortedKeys(got)) != fmt.Sprint(sortedKeys(want)) {
					t.Fatalf("%s: pulled %d documents, rightful %d", tc.field, len(got), len(want))
				}
			}
			pairings := pullAll(t, s, c.token, "pullPairings", "enterpriseId")
			rightful := 0
			for _, p := range w.pairings {
				if inScope(p.Enterprise.ID) {
					rightful++
				}
			}
			for _, ent := range pairings {
				if !inScope(ent) {
					t.Fatalf("pullPairings leaked a pairing of enterprise %s", ent)
				}
			}
			if len(pairings) != rightful {
				t.Fatalf("pullPairings: %d pairings, rightful %d", len(pairings), rightful)
			}
			officials := pullAll(t, s, c.token, "pullOfficials", "id")
			for id := range officials {
				if !c.all && !c.officials[id] {
					t.Fatalf("pullOfficials leaked official %s", id)
				}
			}
			if c.all && len(officials) != len(w.officials) || !c.all && len(officials) != len(c.officials) {
				t.Fatalf("pullOfficials: %d officials, rightful %d", len(officials), len(c.officials))
			}
			notes := pullAll(t, s, c.token, "pullProgressNotes", "enterpriseId")
			for _, ent := range notes {
				if !inScope(ent) {
					t.Fatalf("pullProgressNotes leaked a note of enterprise %s", ent)
				}
			}
		})
	}

	// A problem none of zhoushiyue's or moweiliang's enterprises own.
	var foreign, own string
	zhou := w.callerFor(s, t, "zhoushiyue")
	for id, ent := range w.records["problem"] {
		if zhou.ents[ent] {
			own = id
		} else {
			foreign = id
		}
	}
	var before struct{ Problem struct{ Title string } }
	s.as("admin", `query($id:ID!){problem(id:$id){title}}`, map[string]any{"id": foreign}).decode(t, &before)
	for _, tc := range []struct{ name, user, id, field string }{
		{"OfficialEditsForeignProblem", "zhoushiyue", foreign, "title"},
		{"EnterpriseEditsForeignProblem", "moweiliang", foreign, "title"},
		{"EnterpriseResolvesOwnProblem", "moweiliang", own, "status"},
	} {
		t.Run("Push/"+tc.name, func(t *testing.T) {
			nd := map[string]any{"id": tc.id, "title": "偷改的标题"}
			if tc.field == "status" {
				nd = map[string]any{"id": tc.id, "status": "RESOLVED"}
			}
			var out struct {
				PushProblems struct {
					Rejected []struct{ ID, Code string }
				}
			}
			s.as(tc.user, `mutation($rows:[ProblemPushRow!]!){pushProblems(rows:$rows,schemaVersion:1){rejected{id code}}}`,
				map[string]any{"rows": []any{map[string]any{"newDocumentState": nd, "mutationId": tc.name}}}).decode(t, &out)
			if len(out.PushProblems.Rejected) != 1 {
				t.Fatalf("the row was not refused: %+v", out.PushProblems)
			}
			if code := out.PushProblems.Rejected[0].Code; code != "NOT_FOUND" && code != "FORBIDDEN" && code != "BAD_USER_INPUT" {
				t.Fatalf("refused with %q", code)
			}
		})
	}
	var after struct{ Problem struct{ Title string } }
	s.as("admin", `query($id:ID!){problem(id:$id){title}}`, map[string]any{"id": foreign}).decode(t, &after)
	if after.Problem.Title != before.Problem.Title {
		t.Fatal("a refused push changed the problem")
	}

	t.Run("DashboardCannotSync", func(t *testing.T) {
		tok, _ := s.dashboardToken(t, []string{"PROBLEMS_READ", "STATS_READ"}, nil)
		for _, q := range []string{
			`{pullProblems(limit:10,schemaVersion:1){documents{id}}}`,
			`mutation{pushProblems(rows:[],schemaVersion:1){rejected{id}}}`,
		} {
			if code := s.post(tok, q, nil).code(); code != "FORBIDDEN" {
				t.Fatalf("%s: code %q, want FORBIDDEN", q, code)
			}
		}
	})
}
