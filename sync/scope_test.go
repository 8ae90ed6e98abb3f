package sync_test

import (
	"context"
	"testing"

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
	pairings, err := v.svc.DB.FindPairings(context.Background(), domain.Scope{All: true}, domain.PairingFilter{EnterpriseID: oldEnt, ActiveOnly: true})
	if err != nil || len(pairings) != 1 {
		t.Fatalf("pairings of %s: %v %v", oldEnt, pairings, err)
	}
	if _, err := v.svc.EndPairing(admin, pairings[0].ID, domain.EndRepaired); err != nil {
		t.Fatal(err)
	}
	if _, err := v.svc.CreatePairing(admin, service.CreatePairingInput{EnterpriseID: oldEnt, LeadOfficialID: domain.PrincipalFrom(zhu).OfficialID}); err != nil {
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
