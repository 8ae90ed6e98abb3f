package graph

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vikstrous/dataloadgen"

	"github.com/lianqi/lianqi/demo"
	"github.com/lianqi/lianqi/domain"
	"github.com/lianqi/lianqi/service"
	"github.com/lianqi/lianqi/store/storetest"
)

// TestLoadersBatch: the lookups of one request that arrive together become
// one service call (one database query), and scope still applies: what the
// caller may not see is NOT_FOUND for load and skipped by loadAll.
func TestLoadersBatch(t *testing.T) {
	db := storetest.Open(t)
	if _, err := demo.Seed(context.Background(), db, time.Now()); err != nil {
		t.Fatal(err)
	}
	svc := service.New(db, nil, nil)
	all, err := db.FindEnterprises(context.Background(), domain.Scope{All: true}, domain.EnterpriseFilter{}, domain.PageRequest{First: 100})
	if err != nil {
		t.Fatal(err)
	}
	as := func(username string) context.Context {
		u, err := db.FindUserByUsername(context.Background(), username)
		if err != nil {
			t.Fatal(err)
		}
		return service.WithScopeMemo(domain.WithPrincipal(context.Background(), &domain.Principal{UserID: u.ID, Username: u.Username,
			Role: u.Role, OfficialID: u.OfficialID, EnterpriseID: u.EnterpriseID, ExpiresAt: time.Now().Add(time.Hour)}))
	}
	// The loaders of one request, with the enterprise fetch counted.
	withLoaders := func(ctx context.Context) (context.Context, *atomic.Int32, *[]int) {
		var calls atomic.Int32
		var mu sync.Mutex
		sizes := []int{}
		l := newLoaders(svc, nil)
		find := byID(svc.EnterprisesByIDs, func(e *domain.Enterprise) string { return e.ID })
		l.enterprise = dataloadgen.NewMappedLoader(func(ctx context.Context, ids []string) (map[string]*domain.Enterprise, error) {
			calls.Add(1)
			mu.Lock()
			sizes = append(sizes, len(ids))
			mu.Unlock()
			return find(ctx, ids)
			// A wider window than loaderWait keeps the test deterministic on a
			// loaded machine; what is tested is that one window is one call.
		}, dataloadgen.WithWait(100*time.Millisecond))
		return context.WithValue(ctx, loadersKey{}, l), &calls, &sizes
	}
	if len(all.Items) < 5 {
		t.Fatalf("demo has %d enterprises", len(all.Items))
	}

	t.Run("ConcurrentLoadsOneCall", func(t *testing.T) {
		ctx, calls, sizes := withLoaders(as("maojianguo"))
		var wg sync.WaitGroup
		errs := make([]error, len(all.Items)*2)
		for i := range errs {
			wg.Go(func() {
				e, err := load(ctx, enterpriseLoader, "enterprise", all.Items[i%len(all.Items)].ID)
				if err == nil && e.ID != all.Items[i%len(all.Items)].ID {
					err = domain.Errorf(domain.EINTERNAL, "got %s", e.ID)
				}
				errs[i] = err
			})
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		// Duplicates are asked once; the loader's wait gathers the rest.
		if calls.Load() != 1 || (*sizes)[0] != len(all.Items) {
			t.Fatalf("%d calls of sizes %v for %d distinct ids", calls.Load(), *sizes, len(all.Items))
		}
	})
	t.Run("LoadAllOneCallSkipsOutOfScope", func(t *testing.T) {
		ctx, calls, _ := withLoaders(as("zhoushiyue"))
		ids := make([]string, len(all.Items))
		for i, e := range all.Items {
			ids[i] = e.ID
		}
		got, err := loadAll(ctx, enterpriseLoader, ids)
		if err != nil {
			t.Fatal(err)
		}
		if calls.Load() != 1 || len(got) == 0 || len(got) >= len(ids) {
			t.Fatalf("%d calls, %d of %d enterprises visible to an official", calls.Load(), len(got), len(ids))
		}
		for _, e := range got {
			if e.Name != "浙江良盛元化工有限公司" {
				t.Fatalf("official sees %s", e.Name)
			}
		}
		var hidden string
		for _, e := range all.Items {
			if e.Name != "浙江良盛元化工有限公司" {
				hidden = e.ID
				break
			}
		}
		if _, err := load(ctx, enterpriseLoader, "enterprise", hidden); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Fatalf("out of scope: %v, want NOT_FOUND", err)
		}
	})
	t.Run("NoLoaders", func(t *testing.T) {
		if _, err := load(context.Background(), enterpriseLoader, "enterprise", "x"); domain.ErrorCode(err) != domain.EINTERNAL {
			t.Fatalf("err = %v", err)
		}
	})
}

// TestLastVisitsTakeAGateSlot: every enterprise's last visit comes from one
// read of all the visits in scope, so the batch waits for a slot of the
// expensive-work gate like a listing, and a caller whose slots are all taken
// is refused with RATE_LIMITED instead of adding one more scan.
func TestLastVisitsTakeAGateSlot(t *testing.T) {
	db := storetest.Open(t)
	if _, err := demo.Seed(context.Background(), db, time.Now()); err != nil {
		t.Fatal(err)
	}
	svc := service.New(db, nil, nil)
	u, err := db.FindUserByUsername(context.Background(), "admin")
	if err != nil {
		t.Fatal(err)
	}
	ctx := service.WithScopeMemo(domain.WithPrincipal(context.Background(), &domain.Principal{UserID: u.ID, Username: u.Username,
		Role: u.Role, ExpiresAt: time.Now().Add(time.Hour)}))
	all, err := db.FindEnterprises(ctx, domain.Scope{All: true}, domain.EnterpriseFilter{}, domain.PageRequest{First: 1})
	if err != nil || len(all.Items) == 0 {
		t.Fatalf("enterprises: %v", err)
	}
	id := all.Items[0].ID

	g := newGate(1, 1, 50*time.Millisecond)
	free := context.WithValue(ctx, loadersKey{}, newLoaders(svc, g))
	if _, err := lastVisit(free, id); err != nil {
		t.Fatalf("with a free slot: %v", err)
	}
	done, err := g.enter(ctx, gateKey(ctx))
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	busy := context.WithValue(ctx, loadersKey{}, newLoaders(svc, g))
	if _, err := lastVisit(busy, id); domain.ErrorCode(err) != domain.ERATELIMITED {
		t.Fatalf("with the caller's slot taken: %v, want %s", err, domain.ERATELIMITED)
	}
}
