package graph

import (
	"context"
	"net/http"
	"time"

	"github.com/vikstrous/dataloadgen"

	"github.com/lianqi/lianqi/domain"
	"github.com/lianqi/lianqi/service"
)

// loaders batch the nested lookups of one request. On the embedded engine every
// lookup that is not a bare _id match scans the collection, so resolving twenty
// problems' enterprises as one $in query instead of twenty queries matters.
type loaders struct {
	enterprise *dataloadgen.Loader[string, *domain.Enterprise]
	official   *dataloadgen.Loader[string, *domain.Official]
	problem    *dataloadgen.Loader[string, *domain.Problem]
	notes      *dataloadgen.Loader[string, []*domain.ProgressNote]
	// pairings by "official:<id>" (led or helped) and "enterprise:<id>".
	pairings *dataloadgen.Loader[string, []*domain.Pairing]
	// person maps account ids to the name the caller may see (service.PersonNames).
	person *dataloadgen.Loader[string, string]
	// lastVisit maps enterprise ids to the date of their latest visit.
	lastVisit *dataloadgen.Loader[string, time.Time]
}

type loadersKey struct{}

const loaderWait = time.Millisecond

// newLoaders makes one request's loaders; a batch that reads a whole
// collection (last visits: a scan of the visits on the embedded engine) takes
// a slot of expensive (nil: no gate), as a listing does.
func newLoaders(svc *service.Service, expensive *gate) *loaders {
	return &loaders{
		enterprise: dataloadgen.NewMappedLoader(byID(svc.EnterprisesByIDs, func(e *domain.Enterprise) string { return e.ID }), dataloadgen.WithWait(loaderWait)),
		official:   dataloadgen.NewMappedLoader(byID(svc.OfficialsByIDs, func(o *domain.Official) string { return o.ID }), dataloadgen.WithWait(loaderWait)),
		problem:    dataloadgen.NewMappedLoader(byID(svc.ProblemsByIDs, func(p *domain.Problem) string { return p.ID }), dataloadgen.WithWait(loaderWait)),
		notes: dataloadgen.NewMappedLoader(func(ctx context.Context, ids []string) (map[string][]*domain.ProgressNote, error) {
			notes, err := svc.ProgressNotes(ctx, ids)
			if err != nil {
				return nil, err
			}
			out := make(map[string][]*domain.ProgressNote, len(ids))
			for _, id := range ids {
				out[id] = []*domain.ProgressNote{}
			}
			for _, n := range notes {
				out[n.ProblemID] = append(out[n.ProblemID], n)
			}
			return out, nil
		}, dataloadgen.WithWait(loaderWait)),
		person:    dataloadgen.NewMappedLoader(svc.PersonNames, dataloadgen.WithWait(loaderWait)),
		pairings:  dataloadgen.NewMappedLoader(pairingsOf(svc), dataloadgen.WithWait(loaderWait)),
		lastVisit: dataloadgen.NewMappedLoader(gated(expensive, svc.LastVisits), dataloadgen.WithWait(loaderWait)),
	}
}

// pairingsOf fetches the pairings of many officials and enterprises with one
// read of the pairings in the caller's scope (they are few: one or two per
// enterprise), where one filtered read per official or enterprise would scan
// the collection each time on the embedded engine. Each list keeps the
// store's order (oldest first).
func pairingsOf(svc *service.Service) func(context.Context, []string) (map[string][]*domain.Pairing, error) {
	return func(ctx context.Context, keys []string) (map[string][]*domain.Pairing, error) {
		all, err := svc.Pairings(ctx, domain.PairingFilter{})
		if err != nil {
			return nil, err
		}
		out := make(map[string][]*domain.Pairing, len(keys))
		for _, k := range keys {
			out[k] = []*domain.Pairing{}
		}
		add := func(key string, p *domain.Pairing) {
			if ps, ok := out[key]; ok {
				out[key] = append(ps, p)
			}
		}
		for _, p := range all {
			add(enterprisePairings(p.EnterpriseID), p)
			add(officialPairings(p.LeadOfficialID), p)
			for _, id := range p.TeamMemberIDs {
				if id != p.LeadOfficialID {
					add(officialPairings(id), p)
				}
			}
		}
		return out, nil
	}
}

func officialPairings(id string) string   { return "official:" + id }
func enterprisePairings(id string) string { return "enterprise:" + id }

// pairings returns the pairings under key through the request's loader.
func pairings(ctx context.Context, key string) ([]*domain.Pairing, error) {
	l := loadersFrom(ctx)
	if l == nil {
		return nil, domain.Errorf(domain.EINTERNAL, "request has no loaders")
	}
	return l.pairings.Load(ctx, key)
}

// byID adapts a "find these ids" service call to a loader fetch. Ids the caller
// may not see are simply absent from the map.
func byID[T any](find func(context.Context, []string) ([]T, error), id func(T) string) func(context.Context, []string) (map[string]T, error) {
	return func(ctx context.Context, ids []string) (map[string]T, error) {
		items, err := find(ctx, ids)
		if err != nil {
			return nil, err
		}
		out := make(map[string]T, len(items))
		for _, it := range items {
			out[id(it)] = it
		}
		return out, nil
	}
}

// Middleware gives every request its own loaders and scope memo; nothing is cached
// across requests, so one caller's data never answers another's.
func Middleware(svc *service.Service, expensive *Gate, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := context.WithValue(r.Context(), loadersKey{}, newLoaders(svc, expensive.inner()))
		next.ServeHTTP(w, r.WithContext(service.WithScopeMemo(ctx)))
	})
}

func loadersFrom(ctx context.Context) *loaders {
	l, _ := ctx.Value(loadersKey{}).(*loaders)
	return l
}

// load fetches one record through the request's loader; a missing key is a
// not-found error naming the kind.
func load[T any](ctx context.Context, pick func(*loaders) *dataloadgen.Loader[string, T], kind, id string) (T, error) {
	var zero T
	l := loadersFrom(ctx)
	if l == nil {
		return zero, domain.Errorf(domain.EINTERNAL, "request has no loaders")
	}
	v, err := pick(l).Load(ctx, id)
	if err != nil {
		if err == dataloadgen.ErrNotFound {
			return zero, domain.NotFound(kind, id)
		}
		return zero, err
	}
	return v, nil
}

// loadAll fetches several records in one batch, skipping the ones the caller may
// not see.
func loadAll[T any](ctx context.Context, pick func(*loaders) *dataloadgen.Loader[string, T], ids []string) ([]T, error) {
	l := loadersFrom(ctx)
	if l == nil {
		return nil, domain.Errorf(domain.EINTERNAL, "request has no loaders")
	}
	thunks := make([]func() (T, error), len(ids))
	for i, id := range ids {
		thunks[i] = pick(l).LoadThunk(ctx, id)
	}
	out := make([]T, 0, len(ids))
	for _, thunk := range thunks {
		v, err := thunk()
		if err == dataloadgen.ErrNotFound {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func enterpriseLoader(l *loaders) *dataloadgen.Loader[string, *domain.Enterprise] {
	return l.enterprise
}
func officialLoader(l *loaders) *dataloadgen.Loader[string, *domain.Official]    { return l.official }
func problemLoader(l *loaders) *dataloadgen.Loader[string, *domain.Problem]      { return l.problem }
func notesLoader(l *loaders) *dataloadgen.Loader[string, []*domain.ProgressNote] { return l.notes }
func personLoader(l *loaders) *dataloadgen.Loader[string, string]                { return l.person }
