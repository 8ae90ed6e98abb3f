package store

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/lianqi/lianqi/domain"
)

type visitDoc struct {
	Stamp        `bson:",inline"`
	OfficialID   string    `bson:"officialId"`
	EnterpriseID string    `bson:"enterpriseId"`
	Date         time.Time `bson:"date"`
	Notes        string    `bson:"notes"`
	ProblemIDs   []string  `bson:"problemIds"`
	// Clocks is domain.Visit.Clocks; absent on older documents.
	Clocks map[string]string `bson:"clocks,omitempty"`
	// Source: domain.Visit.Source (demo records only).
	Source string `bson:"source,omitempty"`
}

func (d *visitDoc) visibleIn(s domain.Scope) bool { return s.HasEnterprise(d.EnterpriseID) }

func visitFromDomain(v *domain.Visit) *visitDoc {
	ids := v.ProblemIDs
	if ids == nil {
		ids = []string{}
	}
	return &visitDoc{Stamp: baseFrom(v.ID, v.Meta), OfficialID: v.OfficialID, EnterpriseID: v.EnterpriseID, Date: v.Date, Notes: v.Notes, ProblemIDs: ids, Clocks: v.Clocks, Source: v.Source}
}

func (d *visitDoc) toDomain() *domain.Visit {
	return &domain.Visit{ID: d.ID, OfficialID: d.OfficialID, EnterpriseID: d.EnterpriseID, Date: d.Date.UTC(), Notes: d.Notes, ProblemIDs: d.ProblemIDs, Clocks: d.Clocks, Source: d.Source, Meta: d.meta()}
}

// FindVisitByID returns the visit if its enterprise is inside scope.
func (db *DB) FindVisitByID(ctx context.Context, scope domain.Scope, id string) (*domain.Visit, error) {
	return findOne(ctx, db, CollVisits, id, scope, (*visitDoc).toDomain)
}

// FindVisits lists visits inside scope, newest first.
func (db *DB) FindVisits(ctx context.Context, scope domain.Scope, f domain.VisitFilter, page domain.PageRequest) (domain.Page[*domain.Visit], error) {
	filter := and(live(), inScope(scope, "enterpriseId"), eqIf("enterpriseId", f.EnterpriseID), eqIf("officialId", f.OfficialID), dateRange("date", f.From, f.To))
	return findPage(ctx, db, CollVisits, filter, sortSpec{Field: "date", Desc: true}, page, (*visitDoc).toDomain)
}

// dateRange selects from <= field < to, either bound optional.
func dateRange(field string, from, to *time.Time) bson.D {
	var cond bson.D
	if from != nil {
		cond = append(cond, bson.E{Key: "$gte", Value: *from})
	}
	if to != nil {
		cond = append(cond, bson.E{Key: "$lt", Value: *to})
	}
	if cond == nil {
		return nil
	}
	return bson.D{{Key: field, Value: cond}}
}

// CreateVisit stores a new visit.
func (db *DB) CreateVisit(ctx context.Context, v *domain.Visit) error {
	return save(ctx, db, CollVisits, visitFromDomain(v), 0, &v.Meta)
}

// UpdateVisit replaces the visit if its stored version is still v.Version.
func (db *DB) UpdateVisit(ctx context.Context, v *domain.Visit) error {
	return save(ctx, db, CollVisits, visitFromDomain(v), v.Version, &v.Meta)
}

type spotCheckDoc struct {
	Stamp        `bson:",inline"`
	LeaderUserID string        `bson:"leaderId"`
	EnterpriseID string        `bson:"enterpriseId"`
	Date         time.Time     `bson:"date"`
	Findings     string        `bson:"findings"`
	Score        *int          `bson:"score"`
	OfficialID   string        `bson:"officialId"`
	Questions    []questionDoc `bson:"questions"`
	Demands      []demandDoc   `bson:"demands,omitempty"`
	// Source: domain.SpotCheck.Source (demo records only).
	Source string `bson:"source,omitempty"`
}

type demandDoc struct {
	ID         string     `bson:"id"`
	Demand     string     `bson:"demand"`
	OfficialID string     `bson:"officialId"`
	Deadline   time.Time  `bson:"deadline"`
	Answer     string     `bson:"answer"`
	AnsweredAt *time.Time `bson:"answeredAt"`
	AnsweredBy string     `bson:"answeredBy"`
}

type questionDoc struct {
	Question     string `bson:"question"`
	Answer       string `bson:"answer"`
	OfficialKnew bool   `bson:"officialKnew"`
}

func (d *spotCheckDoc) visibleIn(s domain.Scope) bool { return s.HasEnterprise(d.EnterpriseID) }

func spotCheckFromDomain(s *domain.SpotCheck) *spotCheckDoc {
	qs := make([]questionDoc, len(s.Questions))
	for i, q := range s.Questions {
		qs[i] = questionDoc{Question: q.Question, Answer: q.Answer, OfficialKnew: q.OfficialKnew}
	}
	return &spotCheckDoc{Stamp: baseFrom(s.ID, s.Meta), LeaderUserID: s.LeaderUserID, EnterpriseID: s.EnterpriseID, Date: s.Date,
		Findings: s.Findings, Score: s.Score, OfficialID: s.OfficialID, Questions: qs, Demands: demandsFrom(s.Demands), Source: s.Source}
}

func demandsFrom(ds []domain.SpotCheckDemand) []demandDoc {
	var out []demandDoc
	for _, d := range ds {
		out = append(out, demandDoc{ID: d.ID, Demand: d.Demand, OfficialID: d.OfficialID, Deadline: d.Deadline, Answer: d.Answer,
			AnsweredAt: d.AnsweredAt, AnsweredBy: d.AnsweredByUserID})
	}
	return out
}

func demandsTo(ds []demandDoc) []domain.SpotCheckDemand {
	var out []domain.SpotCheckDemand
	for _, d := range ds {
		out = append(out, domain.SpotCheckDemand{ID: d.ID, Demand: d.Demand, OfficialID: d.OfficialID, Deadline: d.Deadline.UTC(), Answer: d.Answer,
			AnsweredAt: utcPtr(d.AnsweredAt), AnsweredByUserID: d.AnsweredBy})
	}
	return out
}

// FindAllSpotChecks returns every live spot check, newest first: leaders'
// demands are followed across all of them, and checks are few.
func (db *DB) FindAllSpotChecks(ctx context.Context) ([]*domain.SpotCheck, error) {
	return findAll(ctx, db, CollSpotChecks, live(), bson.D{{Key: "date", Value: -1}, {Key: "_id", Value: 1}}, (*spotCheckDoc).toDomain)
}

func (d *spotCheckDoc) toDomain() *domain.SpotCheck {
	qs := make([]domain.SpotCheckQuestion, len(d.Questions))
	for i, q := range d.Questions {
		qs[i] = domain.SpotCheckQuestion{Question: q.Question, Answer: q.Answer, OfficialKnew: q.OfficialKnew}
	}
	return &domain.SpotCheck{ID: d.ID, LeaderUserID: d.LeaderUserID, EnterpriseID: d.EnterpriseID, Date: d.Date.UTC(), Findings: d.Findings,
		Score: d.Score, OfficialID: d.OfficialID, Questions: qs, Demands: demandsTo(d.Demands), Source: d.Source, Meta: d.meta()}
}

// FindSpotCheckByID returns the spot check if its enterprise is inside scope.
func (db *DB) FindSpotCheckByID(ctx context.Context, scope domain.Scope, id string) (*domain.SpotCheck, error) {
	return findOne(ctx, db, CollSpotChecks, id, scope, (*spotCheckDoc).toDomain)
}

// FindSpotChecks lists spot checks inside scope, newest first.
func (db *DB) FindSpotChecks(ctx context.Context, scope domain.Scope, f domain.SpotCheckFilter, page domain.PageRequest) (domain.Page[*domain.SpotCheck], error) {
	filter := and(live(), inScope(scope, "enterpriseId"), eqIf("enterpriseId", f.EnterpriseID), eqIf("officialId", f.OfficialID))
	return findPage(ctx, db, CollSpotChecks, filter, sortSpec{Field: "date", Desc: true}, page, (*spotCheckDoc).toDomain)
}

// CreateSpotCheck stores a new spot check.
func (db *DB) CreateSpotCheck(ctx context.Context, s *domain.SpotCheck) error {
	return save(ctx, db, CollSpotChecks, spotCheckFromDomain(s), 0, &s.Meta)
}

// UpdateSpotCheck replaces the spot check if its stored version is still s.Version.
func (db *DB) UpdateSpotCheck(ctx context.Context, s *domain.SpotCheck) error {
	return save(ctx, db, CollSpotChecks, spotCheckFromDomain(s), s.Version, &s.Meta)
}
