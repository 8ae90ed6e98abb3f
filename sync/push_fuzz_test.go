package sync

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/lianqi/lianqi/domain"
)

// FuzzPushRow decodes pushed rows as the transport hands them over and runs
// what a push does with a row before the service sees it: the mutation key,
// the JSON forms and the three-way merge against a stored document. Whatever
// the row, nothing panics, server-owned fields keep the server's value, a
// last-writer-wins field takes one side's value, an immutable field changes
// only with the row refused, and the merged document reads back.
// `go test ./sync -run '^$' -fuzz FuzzPushRow`; the kept corpus is in
// testdata/fuzz/FuzzPushRow.
func FuzzPushRow(f *testing.F) {
	for _, s := range []struct {
		visit bool
		row   string
	}{
		{false, `{"NewDocumentState":{"id":"01J0000000000000000000000A","enterpriseId":"e1","title":"新标题","tags":["a","c"],"hlc":"9999999999999-0000-dev"},"AssumedMasterState":{"id":"01J0000000000000000000000A","enterpriseId":"e1","title":"t","tags":["a","b"]}}`},
		{false, `{"NewDocumentState":{"id":"x","enterpriseId":"other","status":"RESOLVED","respondBy":"2020-01-01T00:00:00Z","version":99}}`},
		{false, `{"NewDocumentState":{"tags":[1,{"a":null},[]],"hlc":"-1-2-3"},"MutationID":""}`},
		{false, `{"NewDocumentState":null}`},
		{true, `{"NewDocumentState":{"id":"v","officialId":"o2","problemIds":["p1","p1","p3"],"notes":"n","hlc":"0000000000001-0001-d"},"AssumedMasterState":{"id":"v","officialId":"o1","problemIds":["p1"]}}`},
		{true, `{"NewDocumentState":{"id":"v","date":"2026-11-30T00:00:00+08:00","deleted":true},"MutationID":"m1"}`},
	} {
		f.Add(s.visit, []byte(s.row))
	}
	at := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	serverProblem := &ProblemDoc{ID: "01J0000000000000000000000A", EnterpriseID: "e1", Category: "OTHER", Title: "t", Description: "d",
		Status: domain.ProblemStatus("OPEN"), Level: domain.L1, Tags: []string{"a", "b"}, CoordinatingDepartments: []string{},
		ReportedAt: &at, RespondBy: &at, Meta: Meta{Version: 3, UpdatedAt: &at, HLC: ServerHLC(at)}}
	serverVisit := &VisitDoc{ID: "v", OfficialID: "o1", EnterpriseID: "e1", Date: &at, Notes: "n", ProblemIDs: []string{"p1", "p2"},
		Meta: Meta{Version: 2, UpdatedAt: &at, HLC: ServerHLC(at)}}
	f.Fuzz(func(t *testing.T, visit bool, row []byte) {
		if visit {
			var r *VisitRow
			if json.Unmarshal(row, &r) != nil || r.state() == nil {
				return
			}
			checkRow(t, Visits, r, r.NewDocumentState, r.AssumedMasterState, serverVisit, r.NewDocumentState.HLC, serverVisit.HLC)
			fromMap[VisitDoc](merge(Visits, toMap(r.AssumedMasterState), toMap(r.NewDocumentState), toMap(serverVisit), r.NewDocumentState.HLC, sameClock(serverVisit.HLC)).doc)
			return
		}
		var r *ProblemRow
		if json.Unmarshal(row, &r) != nil || r.state() == nil {
			return
		}
		checkRow(t, Problems, r, r.NewDocumentState, r.AssumedMasterState, serverProblem, r.NewDocumentState.HLC, serverProblem.HLC)
		m := merge(Problems, toMap(r.AssumedMasterState), toMap(r.NewDocumentState), toMap(serverProblem), r.NewDocumentState.HLC, sameClock(serverProblem.HLC))
		if merged := fromMap[ProblemDoc](m.doc); merged == nil {
			t.Fatal("merged problem does not read back")
		} else {
			contentEdit(serverProblem, merged)
		}
	})
}

func checkRow[D any](t *testing.T, coll string, row any, nd, base, server *D, clientHLC, serverHLC string) {
	t.Helper()
	var given *string
	switch r := row.(type) {
	case *ProblemRow:
		given = r.MutationID
	case *VisitRow:
		given = r.MutationID
	}
	if key, err := mutationKey(given, row); err != nil {
		if domain.ErrorCode(err) != domain.EINVALID {
			t.Fatalf("mutation key refused with %v", err)
		}
	} else if key == "" || len(key) > 100 {
		t.Fatalf("mutation key %q", key)
	}
	if base == nil {
		base = server
	}
	bm, cm, sm := toMap(base), toMap(nd), toMap(server)
	m := merge(coll, bm, cm, sm, clientHLC, sameClock(serverHLC))
	for f, pol := range policies[coll] {
		got := m.doc[f]
		switch pol {
		case serverOwned:
			if !equal(got, sm[f]) {
				t.Fatalf("server-owned %s became %v", f, got)
			}
		case lww:
			if !equal(got, sm[f]) && !equal(got, cm[f]) {
				t.Fatalf("%s merged to %v, neither the device's %v nor the server's %v", f, got, cm[f], sm[f])
			}
		case immutable, workflow:
			if !equal(got, sm[f]) {
				t.Fatalf("%s changed by the merge itself to %v", f, got)
			}
			if pol == immutable && m.immutable == "" && !equal(cm[f], bm[f]) && !equal(cm[f], sm[f]) {
				t.Fatalf("immutable %s changed from %v to %v and the row was not refused", f, sm[f], cm[f])
			}
		case setUnion:
			for _, v := range list(got) {
				if !slices.ContainsFunc(list(sm[f]), eq(v)) && !slices.ContainsFunc(list(cm[f]), eq(v)) {
					t.Fatalf("%s gained %v from neither side", f, v)
				}
			}
		}
	}
	for f, v := range sm {
		if _, ok := policies[coll][f]; !ok && !equal(m.doc[f], v) {
			t.Fatalf("field %s outside the merge rules became %v", f, m.doc[f])
		}
	}
}

func eq(a any) func(any) bool { return func(b any) bool { return equal(a, b) } }

// TestSetMergeIsLinear: the device sends the lists a set merge reads; 20,000
// members on each side took minutes when each lookup scanned a list.
func TestSetMergeIsLinear(t *testing.T) {
	const n = 20_000
	b, c := make([]any, n), make([]any, n)
	for i := range n {
		b[i], c[i] = fmt.Sprint("b", i), fmt.Sprint("c", i)
	}
	start := time.Now()
	out := setMerge(b, c, []any{"x", "b1"})
	if took := time.Since(start); took > time.Second {
		t.Fatalf("set merge of %d members took %v", n, took)
	}
	if len(out) != n+1 || out[0] != "x" || out[1] != "c0" {
		t.Fatalf("merged %d members starting %v", len(out), out[:2])
	}
}

// sameClock is a server document whose every field was last written at one
// clock (a document without field clocks).
func sameClock(hlc string) func(string) string { return func(string) string { return hlc } }
