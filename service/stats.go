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
// reported in period. The counts by category, level, status, enterprise and
// department come from the database in one $match + $group/$sum pass and are
// folded into breakdowns here (towns joined from the enterprises here too: no
// $lookup); overdue counts, months and medians are computed here from a
// projection of the problems' dates, because the embedded engine has no date
// or median operators. Kept
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
	counts, err := s.db.CountProblems(ctx, sc, period)
	if err != nil {
		return nil, err
	}
	town, err := s.towns(ctx, sc, counts)
	if err != nil {
		return nil, err
	}
	orNone := func(k string) string {
		if k == "" {
			return "(未指定)"
		}
		return k
	}
	st.ByCategory = fold(counts, func(c store.ProblemCount) string { return string(c.Category) }, func(k string) string { return domain.Category(k).Label() })
	st.ByLevel = fold(counts, func(c store.ProblemCount) string { return string(c.Level) }, func(k string) string { return domain.Level(k).Label() })
	st.ByStatus = fold(counts, func(c store.ProblemCount) string { return string(c.Status) }, func(k string) string { return domain.ProblemStatus(k).Label() })
	st.ByTown = fold(counts, func(c store.ProblemCount) string { return town[c.EnterpriseID] }, orNone)
	for _, c := range counts {
		st.Add(c.Status, c.Count)
	}

	times, err := s.db.FindProblemTimes(ctx, sc, period)
	if err != nil {
		return nil, err
	}
	var respond, resolve []time.Duration
	months := map[string]*domain.StatBucket{}
	// A problem counts once for each department that carries it: the
	// responsible one and every department an L3 escalation asked.
	depts := map[string]*domain.StatBucket{}
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
		ds := t.Departments
		if len(ds) == 0 {
			ds = []string{""}
		}
		for _, d := range ds {
			if depts[d] == nil {
				depts[d] = &domain.StatBucket{Key: d, Label: orNone(d)}
			}
			depts[d].Add(t.Status, 1)
		}
	}
	for _, b := range depts {
		st.ByDepartment = append(st.ByDepartment, *b)
	}
	slices.SortFunc(st.ByDepartment, func(a, b domain.StatBucket) int {
		if c := cmp.Compare(b.Collected, a.Collected); c != 0 {
			return c
		}
		return cmp.Compare(a.Key, b.Key)
	})
	if st.Deletions, err = s.deletions(ctx, sc, period); err != nil {
		return nil, err
	}
	for _, b := range months {
		st.ByMonth = append(st.ByMonth, *b)
	}
	slices.SortFunc(st.ByMonth, func(a, b domain.StatBucket) int { return cmp.Compare(a.Key, b.Key) })
	st.MedianResponseHours, st.MedianResolutionHours = domain.MedianHours(respond), domain.MedianHours(resolve)
	return st, nil
}

// deletions lists the problems of the period deleted since, each with who
// deleted it according to the audit log.
func (s *Service) deletions(ctx context.Context, sc domain.Scope, period domain.Period) ([]domain.ProblemDeletion, error) {
	gone, err := s.db.FindDeletedProblems(ctx, sc, period)
	if err != nil {
		return nil, err
	}
	out := make([]domain.ProblemDeletion, 0, len(gone))
	for _, p := range gone {
		d := domain.ProblemDeletion{ProblemID: p.ID, Title: p.Title, EnterpriseID: p.EnterpriseID, ReportedAt: p.ReportedAt, DeletedAt: p.UpdatedAt}
		events, err := s.db.FindAudit(ctx, domain.AuditFilter{Action: domain.AuditProblemDeleted, SubjectID: p.ID}, domain.PageRequest{First: 1})
		if err != nil {
			return nil, err
		}
		if len(events.Items) > 0 {
			d.DeletedByUserID = events.Items[0].ActorID
		}
		out = append(out, d)
	}
	return out, nil
}

// towns maps the counted enterprises to their towns: towns live on the
// enterprises and the engine has no $lookup, so the join is done here.
func (s *Service) towns(ctx context.Context, sc domain.Scope, counts []store.ProblemCount) (map[string]string, error) {
	ids := []string{}
	for _, c := range counts {
		ids = appendNew(ids, c.EnterpriseID)
	}
	ents, err := s.db.FindEnterprisesByIDs(ctx, sc, ids)
	if err != nil {
		return nil, err
	}
	town := make(map[string]string, len(ents))
	for _, e := range ents {
		town[e.ID] = e.Town
	}
	return town, nil
}

// fold sums the database's rows into one bucket per key, largest first.
func fold(counts []store.ProblemCount, key func(store.ProblemCount) string, label func(string) string) []domain.StatBucket {
	byKey := map[string]*domain.StatBucket{}
	var keys []string
	for _, c := range counts {
		k := key(c)
		b := byKey[k]
		if b == nil {
			b = &domain.StatBucket{Key: k, Label: k}
			if label != nil {
				b.Label = label(k)
			}
			byKey[k] = b
			keys = append(keys, k)
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
