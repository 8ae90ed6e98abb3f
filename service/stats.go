package service

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/lianqi/lianqi/domain"
	"github.com/lianqi/lianqi/store"
)

// beijing is the county's clock for calendar months.
var beijing = time.FixedZone("CST", 8*60*60)

// ProblemStats computes the figures over the problems inside the caller's scope
// reported in period. Counts by category, level, status, enterprise (for towns)
// and department come from the database ($match + $group/$sum); overdue counts,
// months and medians are computed here from a projection of the problems'
// dates, because the embedded engine has no date or median operators. Kept
// apart from the record queries so that a read-only dashboard token can be
// granted just this.
func (s *Service) ProblemStats(ctx context.Context, period domain.Period) (*domain.ProblemStats, error) {
	sc, _, err := s.Scope(ctx)
	if err != nil {
		return nil, err
	}
	return s.problemStats(ctx, sc, period)
}

func (s *Service) problemStats(ctx context.Context, sc domain.Scope, period domain.Period) (*domain.ProblemStats, error) {
	var err error
	if period.From != nil && period.To != nil && !period.From.Before(*period.To) {
		return nil, domain.Invalid("to", "the period must end after it starts")
	}
	st := &domain.ProblemStats{ComputedAt: s.now()}

	group := func(field string, label func(string) string) ([]domain.StatBucket, []store.StatCount, error) {
		counts, err := s.DB.CountProblems(ctx, sc, period, field)
		if err != nil {
			return nil, nil, err
		}
		return buckets(counts, label), counts, nil
	}
	var byStatus []store.StatCount
	if st.ByStatus, byStatus, err = group(store.ByStatus, nil); err != nil {
		return nil, err
	}
	for _, c := range byStatus {
		st.Add(c.Status, c.Count)
	}
	if st.ByCategory, _, err = group(store.ByCategory, func(k string) string { return domain.Category(k).Label() }); err != nil {
		return nil, err
	}
	if st.ByLevel, _, err = group(store.ByLevel, nil); err != nil {
		return nil, err
	}
	if st.ByDepartment, _, err = group(store.ByDepartment, func(k string) string {
		if k == "" {
			return "(未指定)"
		}
		return k
	}); err != nil {
		return nil, err
	}
	if st.ByTown, err = s.byTown(ctx, sc, period); err != nil {
		return nil, err
	}

	times, err := s.DB.FindProblemTimes(ctx, sc, period)
	if err != nil {
		return nil, err
	}
	var respond, resolve []time.Duration
	months := map[string]*domain.StatBucket{}
	now := s.now()
	for _, t := range times {
		p := domain.Problem{Status: t.Status, RespondBy: t.RespondBy, ResolveBy: t.ResolveBy}
		if p.Overdue(now) {
			st.Overdue++
		}
		if t.RespondedAt != nil {
			respond = append(respond, t.RespondedAt.Sub(t.ReportedAt))
		}
		if t.ResolvedAt != nil {
			resolve = append(resolve, t.ResolvedAt.Sub(t.ReportedAt))
		}
		m := t.ReportedAt.In(beijing).Format("2006-01")
		if months[m] == nil {
			months[m] = &domain.StatBucket{Key: m, Label: m}
		}
		months[m].Add(t.Status, 1)
	}
	for _, b := range months {
		st.ByMonth = append(st.ByMonth, *b)
	}
	slices.SortFunc(st.ByMonth, func(a, b domain.StatBucket) int { return cmp.Compare(a.Key, b.Key) })
	st.MedianResponseHours, st.MedianResolutionHours = domain.MedianHours(respond), domain.MedianHours(resolve)
	return st, nil
}

// byTown counts by enterprise in the database and folds enterprises into their
// towns here: towns live on the enterprises and the engine has no $lookup.
func (s *Service) byTown(ctx context.Context, sc domain.Scope, period domain.Period) ([]domain.StatBucket, error) {
	counts, err := s.DB.CountProblems(ctx, sc, period, store.ByEnterprise)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(counts))
	for _, c := range counts {
		ids = appendNew(ids, c.Key)
	}
	ents, err := s.DB.FindEnterprisesByIDs(ctx, sc, ids)
	if err != nil {
		return nil, err
	}
	town := map[string]string{}
	for _, e := range ents {
		town[e.ID] = e.Town
	}
	for i := range counts {
		counts[i].Key = town[counts[i].Key]
	}
	return buckets(counts, func(k string) string {
		if k == "" {
			return "(未指定)"
		}
		return k
	}), nil
}

// buckets folds (key, status, count) rows into one bucket per key, largest first.
func buckets(counts []store.StatCount, label func(string) string) []domain.StatBucket {
	byKey := map[string]*domain.StatBucket{}
	var keys []string
	for _, c := range counts {
		b := byKey[c.Key]
		if b == nil {
			b = &domain.StatBucket{Key: c.Key, Label: c.Key}
			if label != nil {
				b.Label = label(c.Key)
			}
			byKey[c.Key] = b
			keys = append(keys, c.Key)
		}
		b.Add(c.Status, c.Count)
	}
	out := make([]domain.StatBucket, 0, len(keys))
	for _, k := range keys {
		out = append(out, *byKey[k])
	}
	slices.SortFunc(out, func(a, b domain.StatBucket) int {
		if c := cmp.Compare(b.Collected, a.Collected); c != 0 {
			return c
		}
		return cmp.Compare(a.Key, b.Key)
	})
	return out
}

// OfficialRanking ranks the officials who led a pairing during period (see
// domain.Rank and docs/ranking.md). It covers the whole programme: officials
// see where they stand among their peers, as the county publishes the ranking.
func (s *Service) OfficialRanking(ctx context.Context, period domain.Period) ([]*domain.RankingEntry, error) {
	if _, err := s.require(ctx, domain.RoleAdmin, domain.RoleLeader, domain.RoleOfficial); err != nil {
		return nil, err
	}
	if period.From != nil && period.To != nil && !period.From.Before(*period.To) {
		return nil, domain.Invalid("to", "the period must end after it starts")
	}
	d, err := s.DB.RankingData(ctx)
	if err != nil {
		return nil, err
	}
	d.Period = period
	return domain.Rank(d, s.now()), nil
}
