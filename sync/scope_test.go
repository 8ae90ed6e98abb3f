package sync_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/lianqi/lianqi/domain"
	"github.com/lianqi/lianqi/service"
	lqsync "github.com/lianqi/lianqi/sync"
)

func ptr[T any](v T) *T { return &v }

// TestScopeChangeCatchUp ends an official's pairing and gives him a new
// enterprise: his next pull, from the old checkpoint, brings tombstones for
// what left his scope and the older documents of what entered it, and an edit
// he made offline before the change survives as a conflict record that the
// enterprise's new official and the leaders can read.
func TestScopeChangeCatchUp(t *testing.T) {
	v := newEnv(t)
	admin, zhou, zhu, leader := v.as(t, "admin"), v.as(t, "zhoushiyue"), v.as(t, "zhulijun"), v.as(t, "maojianguo")
	zhouP := domain.PrincipalFrom(zhou)

	// A new enterprise with a problem, written before the official's first pull.
	ent, err := v.svc.CreateEnterprise(admin, service.EnterpriseInput{Name: ptr("浙江测试食品有限公司"), Town: ptr("妙高街道")})
	if err != nil {
		t.Fatal(err)
	}
	newProblem, err := v.svc.ReportProblem(admin, service.ReportProblemInput{EnterpriseID: &ent.ID, Category: domain.CategoryLabour, Title: "招工难"})
	if err != nil {
		t.Fatal(err)
	}

	held := map[string]*lqsync.ProblemDoc{}
	cp := pullAll(t, zhou, v.e, nil, 4, held)
	if _, ok := held[newProblem.ID]; ok || len(held) == 0 {
		t.Fatalf("initial pull: %d problems, new enterprise's included: %v", len(held), ok)
	}
	var oldEnt, edited string
	for id, d := range held {
		oldEnt, edited = d.EnterpriseID, id
	}

	// Pairings change: 良盛元 goes to 朱立军, 周世岳 takes the new enterprise.
	pairings, err := v.db.FindPairings(context.Background(), domain.Scope{All: true}, domain.PairingFilter{EnterpriseID: oldEnt, ActiveOnly: true})
	if err != nil || len(pairings) != 1 {
		t.Fatalf("pairings of %s: %v %v", oldEnt, pairings, err)
	}
	if _, err := v.svc.RepairEnterprise(admin, service.RepairEnterpriseInput{EnterpriseID: oldEnt, LeadOfficialID: domain.PrincipalFrom(zhu).OfficialID}); err != nil {
		t.Fatal(err)
	}
	if _, err := v.svc.CreatePairing(admin, service.CreatePairingInput{EnterpriseID: ent.ID, LeadOfficialID: zhouP.OfficialID}); err != nil {
		t.Fatal(err)
	}

	got := map[string]*lqsync.ProblemDoc{}
	pullAll(t, zhou, v.e, cp, 4, got)
	for id := range held {
		d, ok := got[id]
		if !ok || !d.Deleted {
			t.Fatalf("problem %s left the scope but no tombstone came: %+v", id, d)
		}
		if d.Title != "" {
			t.Fatalf("tombstone for a problem out of scope carries its content: %q", d.Title)
		}
	}
	if d, ok := got[newProblem.ID]; !ok || d.Deleted || d.Title != "招工难" {
		t.Fatalf("the new enterprise's earlier problem did not arrive: %+v", d)
	}

	// The edit made offline while the device still served 良盛元.
	base := held[edited]
	next := *base
	next.Description = "离线时写的进展"
	res, err := v.e.PushProblems(zhou, []*lqsync.ProblemRow{{AssumedMasterState: base, NewDocumentState: &next}}, ptr("zhou-phone"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rejected) != 1 || res.Rejected[0].Code != domain.ENOTFOUND || len(res.Conflicts) != 1 || !res.Conflicts[0].Deleted {
		t.Fatalf("push after losing scope = %+v", res)
	}
	for name, ctx := range map[string]context.Context{"new official": zhu, "leader": leader, "author": zhou} {
		page, err := v.e.Conflicts(ctx, &edited, domain.PageRequest{First: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) != 1 || page.Items[0].Outcome != domain.OutcomeRejected || page.Items[0].Client != `"离线时写的进展"` {
			t.Fatalf("%s reads conflicts %+v", name, page.Items)
		}
	}
}

// TestChecksumFindsDrift lets a replica lose a document and keep a stale
// version of another; comparing checksums names the buckets that differ, and
// pulling only those buckets repairs the replica.
func TestChecksumFindsDrift(t *testing.T) {
	v := newEnv(t)
	zhou := v.as(t, "zhoushiyue")
	held := map[string]*lqsync.ProblemDoc{}
	pullAll(t, zhou, v.e, nil, 100, held)
	const buckets = 8
	var lost, stale string
	for id := range held {
		if lost == "" {
			lost = id
		} else if stale == "" && lqsync.BucketOf(id, buckets) != lqsync.BucketOf(lost, buckets) {
			stale = id
		}
	}
	delete(held, lost)
	held[stale].Version--

	sum, err := v.e.Checksum(zhou, lqsync.Problems, buckets)
	if err != nil {
		t.Fatal(err)
	}
	local := func() map[int]string {
		parts := make([][]lqsync.IDVersion, buckets)
		for id, d := range held {
			i := lqsync.BucketOf(id, buckets)
			parts[i] = append(parts[i], lqsync.IDVersion{ID: id, Version: d.Version})
		}
		out := map[int]string{}
		for i, p := range parts {
			out[i] = lqsync.HashBucket(p)
		}
		return out
	}
	var differ []int
	for _, b := range sum.Buckets {
		if local()[b.Index] != b.Hash {
			differ = append(differ, b.Index)
		}
	}
	if len(differ) != 2 {
		t.Fatalf("differing buckets = %v, want the two with the lost and the stale document", differ)
	}
	for _, i := range differ {
		b, err := v.e.PullProblems(zhou, nil, 0, &lqsync.Bucket{Count: buckets, Index: i})
		if err != nil {
			t.Fatal(err)
		}
		for id := range held {
			if lqsync.BucketOf(id, buckets) == i {
				delete(held, id)
			}
		}
		for _, d := range b.Documents {
			held[d.ID] = d
		}
	}
	for _, b := range sum.Buckets {
		if local()[b.Index] != b.Hash {
			t.Fatalf("bucket %d still differs after resync", b.Index)
		}
	}

	t.Run("ErrBucketCount", func(t *testing.T) {
		if _, err := v.e.Checksum(zhou, lqsync.Problems, 0); domain.ErrorCode(err) != domain.EINVALID {
			t.Fatalf("err = %v, want EINVALID", err)
		}
	})
	t.Run("ErrUnknownCollection", func(t *testing.T) {
		if _, err := v.e.Checksum(zhou, "users", 4); domain.ErrorCode(err) != domain.EINVALID {
			t.Fatalf("err = %v, want EINVALID", err)
		}
	})
}

// pullAllPairings pulls pairings to the end from cp into the map.
func pullAllPairings(t testing.TB, ctx context.Context, e *lqsync.Engine, cp *lqsync.Checkpoint, limit int, into map[string]*lqsync.PairingDoc) *lqsync.Checkpoint {
	t.Helper()
	return drain(t, cp, limit, into, func(cp *lqsync.Checkpoint) ([]*lqsync.PairingDoc, lqsync.Checkpoint, error) {
		b, err := e.PullPairings(ctx, cp, limit, nil)
		if err != nil {
			return nil, lqsync.Checkpoint{}, err
		}
		return b.Documents, b.Checkpoint, nil
	}, func(d *lqsync.PairingDoc) string { return d.ID })
}

// TestScopeExitTombstonesEveryDocument: a phone goes offline; a leader edits
// one problem of the official's enterprise; an admin re-pairs the enterprise
// or ends its pairing. Pulling (or streaming) from the old checkpoint brings a
// tombstone for every problem of that enterprise, the edited one included,
// and for the pairing that ended.
func TestScopeExitTombstonesEveryDocument(t *testing.T) {
	for _, tc := range []struct {
		name   string
		stream bool
		exit   func(t *testing.T, v *env, admin context.Context, ent, pairing string)
	}{
		{"Repair", false, func(t *testing.T, v *env, admin context.Context, ent, _ string) {
			zhu := domain.PrincipalFrom(v.as(t, "zhulijun"))
			if _, err := v.svc.RepairEnterprise(admin, service.RepairEnterpriseInput{EnterpriseID: ent, LeadOfficialID: zhu.OfficialID}); err != nil {
				t.Fatal(err)
			}
		}},
		{"EnterpriseLeaves", false, func(t *testing.T, v *env, admin context.Context, ent, _ string) {
			if _, err := v.svc.MarkEnterpriseLeft(admin, ent, nil); err != nil {
				t.Fatal(err)
			}
		}},
		{"StreamRepair", true, func(t *testing.T, v *env, admin context.Context, ent, _ string) {
			zhu := domain.PrincipalFrom(v.as(t, "zhulijun"))
			if _, err := v.svc.RepairEnterprise(admin, service.RepairEnterpriseInput{EnterpriseID: ent, LeadOfficialID: zhu.OfficialID}); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := newEnv(t)
			admin, zhou, leader := v.as(t, "admin"), v.as(t, "zhoushiyue"), v.as(t, "maojianguo")
			held := map[string]*lqsync.ProblemDoc{}
			cp := pullAll(t, zhou, v.e, nil, 3, held)
			pairings := map[string]*lqsync.PairingDoc{}
			pcp := pullAllPairings(t, zhou, v.e, nil, 3, pairings)
			if len(held) < 2 || len(pairings) == 0 {
				t.Fatalf("initial pull: %d problems, %d pairings", len(held), len(pairings))
			}
			var ent, edited, pairing string
			for id, d := range held {
				ent, edited = d.EnterpriseID, id
			}
			for id, d := range pairings {
				if d.EnterpriseID == ent && d.EndedAt == nil && !d.Deleted {
					pairing = id
				}
			}
			if pairing == "" {
				t.Fatalf("no active pairing of %s among %v", ent, pairings)
			}

			// Offline: a leader edits one problem, then the enterprise leaves the scope.
			if _, err := v.svc.UpdateProblem(leader, edited, nil, service.UpdateProblemInput{Title: ptr("领导改过的标题")}); err != nil {
				t.Fatal(err)
			}
			tc.exit(t, v, admin, ent, pairing)

			got := map[string]*lqsync.ProblemDoc{}
			gotPairings := map[string]*lqsync.PairingDoc{}
			if tc.stream {
				streamUntil(t, zhou, v, cp, pcp, held, got, gotPairings, pairing)
			} else {
				pullAll(t, zhou, v.e, cp, 3, got)
				pullAllPairings(t, zhou, v.e, pcp, 3, gotPairings)
			}
			for id := range held {
				d, ok := got[id]
				if !ok || !d.Deleted || d.Title != "" {
					t.Fatalf("problem %s (edited: %v) left the scope but came as %+v", id, id == edited, d)
				}
			}
			if d, ok := gotPairings[pairing]; !ok || !d.Deleted {
				t.Fatalf("the pairing that ended came as %+v", d)
			}
		})
	}
}

// streamUntil opens problem and pairing streams from the old checkpoints and
// collects what they emit until every held problem and the pairing arrived.
func streamUntil(t *testing.T, ctx context.Context, v *env, cp, pcp *lqsync.Checkpoint, held map[string]*lqsync.ProblemDoc,
	got map[string]*lqsync.ProblemDoc, gotPairings map[string]*lqsync.PairingDoc, pairing string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	problems, err := v.e.StreamProblems(ctx, cp)
	if err != nil {
		t.Fatal(err)
	}
	pairs, err := v.e.StreamPairings(ctx, pcp)
	if err != nil {
		t.Fatal(err)
	}
	done := func() bool {
		for id := range held {
			if d, ok := got[id]; !ok || !d.Deleted {
				return false
			}
		}
		d, ok := gotPairings[pairing]
		return ok && d.Deleted
	}
	for !done() {
		select {
		case b, ok := <-problems:
			if !ok {
				t.Fatalf("problem stream ended; got %d of %d", len(got), len(held))
			}
			for _, d := range b.Documents {
				got[d.ID] = d
			}
		case b, ok := <-pairs:
			if !ok {
				t.Fatal("pairing stream ended")
			}
			for _, d := range b.Documents {
				gotPairings[d.ID] = d
			}
		case <-ctx.Done():
			t.Fatalf("stream: %d of %d problems came as tombstones; pairing %+v", len(got), len(held), gotPairings[pairing])
		}
	}
}

// TestCheckpointBoundToUser: a checkpoint is bound to the user it was issued
// to; another user presenting it gets BAD_USER_INPUT and nothing else, on a
// pull and on a stream.
func TestCheckpointBoundToUser(t *testing.T) {
	v := newEnv(t)
	zhou, zhu := v.as(t, "zhoushiyue"), v.as(t, "zhulijun")
	b, err := v.e.PullProblems(zhou, nil, 5, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("SameUser", func(t *testing.T) {
		if _, err := v.e.PullProblems(zhou, &b.Checkpoint, 5, nil); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ErrPullOtherUser", func(t *testing.T) {
		got, err := v.e.PullProblems(zhu, &b.Checkpoint, 5, nil)
		if domain.ErrorCode(err) != domain.EINVALID {
			t.Fatalf("pull with another user's checkpoint = %+v, %v; want BAD_USER_INPUT", got, err)
		}
	})
	t.Run("ErrBucketPullOtherUser", func(t *testing.T) {
		got, err := v.e.PullProblems(zhu, &b.Checkpoint, 5, &lqsync.Bucket{Count: 4, Index: 0})
		if domain.ErrorCode(err) != domain.EINVALID {
			t.Fatalf("bucket pull with another user's checkpoint = %+v, %v; want BAD_USER_INPUT", got, err)
		}
	})
	t.Run("ErrStreamOtherUser", func(t *testing.T) {
		ctx, cancel := context.WithCancel(zhu)
		defer cancel()
		if _, err := v.e.StreamProblems(ctx, &b.Checkpoint); domain.ErrorCode(err) != domain.EINVALID {
			t.Fatalf("stream with another user's checkpoint: %v; want BAD_USER_INPUT", err)
		}
	})
}

// TestFirstPullAcrossProcesses: each batch of a first pull is served by
// another engine (another server process, whose list cache misses), with a
// write between batches; the replica ends equal to the server.
func TestFirstPullAcrossProcesses(t *testing.T) {
	v := newEnv(t)
	leader := v.as(t, "maojianguo")
	engines := []*lqsync.Engine{v.e, lqsync.New(v.svc), lqsync.New(v.svc)}
	got := map[string]*lqsync.ProblemDoc{}
	var cp *lqsync.Checkpoint
	edited := ""
	for i := 0; ; i++ {
		b, err := engines[i%len(engines)].PullProblems(leader, cp, 4, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range b.Documents {
			got[d.ID] = d
		}
		cp = &b.Checkpoint
		if i == 1 {
			// An edit of a document already delivered comes again.
			for id := range got {
				edited = id
				break
			}
			if _, err := v.svc.UpdateProblem(leader, edited, nil, service.UpdateProblemInput{Title: ptr("批次之间改的")}); err != nil {
				t.Fatal(err)
			}
		}
		if len(b.Documents) < 4 {
			break
		}
	}
	want := map[string]*lqsync.ProblemDoc{}
	pullAll(t, leader, v.e, nil, 1000, want)
	if len(got) != len(want) {
		t.Fatalf("pulled %d problems across engines, %d in one", len(got), len(want))
	}
	for id, w := range want {
		if g := got[id]; g == nil || g.Version != w.Version || g.Title != w.Title {
			t.Fatalf("problem %s: got %+v, want %+v", id, g, w)
		}
	}
	if got[edited].Title != "批次之间改的" {
		t.Fatalf("the edit between batches did not arrive: %q", got[edited].Title)
	}
}

// TestPullFarBehindRelists: a replica far behind (more changes since its
// checkpoint than an engine walks in one pull) gets its scope in one pass
// instead, and ends equal to the server.
func TestPullFarBehindRelists(t *testing.T) {
	v := newEnv(t)
	leader := v.as(t, "maojianguo")
	held := map[string]*lqsync.ProblemDoc{}
	cp := pullAll(t, leader, v.e, nil, 100, held)
	i := 0
	for id := range held {
		if i++; i > 12 {
			break
		}
		if _, err := v.svc.UpdateProblem(leader, id, nil, service.UpdateProblemInput{Title: ptr(fmt.Sprintf("离线期间改的 %d", i))}); err != nil {
			t.Fatal(err)
		}
	}
	e := lqsync.New(v.svc)
	e.MaxWalk = 4
	before := v.db.SyncReads()
	pullAll(t, leader, e, cp, 5, held)
	if passes := v.db.SyncReads().Passes - before.Passes; passes == 0 {
		t.Fatal("no pass over the scope: the far-behind pull walked the whole log")
	}
	want := map[string]*lqsync.ProblemDoc{}
	pullAll(t, leader, v.e, nil, 1000, want)
	if len(held) != len(want) {
		t.Fatalf("replica holds %d problems, server %d", len(held), len(want))
	}
	for id, w := range want {
		if g := held[id]; g == nil || g.Version != w.Version || g.Title != w.Title {
			t.Fatalf("problem %s: replica %+v, server %+v", id, g, w)
		}
	}
}
