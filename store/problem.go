package store

import (
	"context"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/lianqi/lianqi/domain"
)

type problemDoc struct {
	Stamp                 `bson:",inline"`
	EnterpriseID          string   `bson:"enterpriseId"`
	Category              string   `bson:"category"`
	Title                 string   `bson:"title"`
	Description           string   `bson:"description"`
	Status                string   `bson:"status"`
	Level                 string   `bson:"level"`
	ResponsibleDepartment string   `bson:"responsibleDepartment"`
	CoordinatingDepts     []string `bson:"coordinatingDepartments"`
	EscalationMode        string   `bson:"escalationMode"`
	// The ladder's paper trail; absent on problems that never needed one.
	Letter            *letterDoc   `bson:"letter,omitempty"`
	Meeting           *meetingDoc  `bson:"meeting,omitempty"`
	DepartmentReplies []replyDoc   `bson:"departmentReplies,omitempty"`
	ExecutiveDecision *decisionDoc `bson:"executiveDecision,omitempty"`
	Tags              []string     `bson:"tags"`
	ReportedByUserID  string       `bson:"reportedBy"`
	ReportedAt        time.Time    `bson:"reportedAt"`
	RespondBy         time.Time    `bson:"respondBy"`
	ResolveBy         time.Time    `bson:"resolveBy"`
	RespondedAt       *time.Time   `bson:"respondedAt"`
	ResolvedAt        *time.Time   `bson:"resolvedAt"`
	// Clocks: the hybrid logical clock of the edit behind each content
	// field's value (domain.Problem.Clocks); absent on older documents.
	Clocks map[string]string `bson:"clocks,omitempty"`
	// DueAt is derived (domain.Problem.DueAt) and stored only so that the
	// database can sort by it: "overdue first" is a plain ascending sort.
	DueAt time.Time `bson:"dueAt"`
	// Source: domain.Problem.Source (demo records only).
	Source string `bson:"source,omitempty"`
}

func (d *problemDoc) visibleIn(s domain.Scope) bool { return s.HasEnterprise(d.EnterpriseID) }

func (d *problemDoc) scopeKey() string { return d.EnterpriseID }

func problemFromDomain(p *domain.Problem) *problemDoc {
	tags := p.Tags
	if tags == nil {
		tags = []string{}
	}
	depts := p.CoordinatingDepartments
	if depts == nil {
		depts = []string{}
	}
	return &problemDoc{CoordinatingDepts: depts, EscalationMode: string(p.EscalationMode), Stamp: baseFrom(p.ID, p.Meta), EnterpriseID: p.EnterpriseID, Category: string(p.Category), Title: p.Title,
		Description: p.Description, Status: string(p.Status), Level: string(p.Level), ResponsibleDepartment: p.ResponsibleDepartment,
		Tags: tags, ReportedByUserID: p.ReportedByUserID, ReportedAt: p.ReportedAt, RespondBy: p.RespondBy, ResolveBy: p.ResolveBy,
		RespondedAt: p.RespondedAt, ResolvedAt: p.ResolvedAt, Clocks: p.Clocks, DueAt: p.DueAt(), Source: p.Source,
		Letter: letterFrom(p.Letter), Meeting: meetingFrom(p.Meeting), DepartmentReplies: repliesFrom(p.DepartmentReplies),
		ExecutiveDecision: decisionFrom(p.ExecutiveDecision)}
}

func (d *problemDoc) toDomain() *domain.Problem {
	return &domain.Problem{ID: d.ID, EnterpriseID: d.EnterpriseID, Category: domain.Category(d.Category), Title: d.Title,
		Description: d.Description, Status: domain.ProblemStatus(d.Status), Level: domain.Level(d.Level),
		ResponsibleDepartment: d.ResponsibleDepartment, CoordinatingDepartments: d.CoordinatingDepts,
		EscalationMode: domain.EscalationMode(d.EscalationMode), Tags: d.Tags, ReportedByUserID: d.ReportedByUserID,
		ReportedAt: d.ReportedAt.UTC(), RespondBy: d.RespondBy.UTC(), ResolveBy: d.ResolveBy.UTC(),
		RespondedAt: utcPtr(d.RespondedAt), ResolvedAt: utcPtr(d.ResolvedAt), Clocks: d.Clocks, Source: d.Source, Meta: d.meta(),
		Letter: d.Letter.toDomain(), Meeting: d.Meeting.toDomain(), DepartmentReplies: repliesTo(d.DepartmentReplies),
		ExecutiveDecision: d.ExecutiveDecision.toDomain()}
}

// overdueFilter mirrors domain.Problem.Overdue as a query.
func overdueFilter(now time.Time) bson.D {
	return bson.D{
		{Key: "status", Value: bson.D{{Key: "$in", Value: strs(domain.OpenStatuses)}}},
		{Key: "$or", Value: bson.A{
			bson.D{{Key: "resolveBy", Value: bson.D{{Key: "$lt", Value: now}}}},
			bson.D{{Key: "status", Value: string(domain.StatusReported)}, {Key: "respondBy", Value: bson.D{{Key: "$lt", Value: now}}}},
		}},
	}
}

var problemSorts = map[domain.ProblemSort]sortSpec{
	domain.SortReportedAtDesc: {Field: "reportedAt", Desc: true},
	domain.SortReportedAtAsc:  {Field: "reportedAt"},
	domain.SortUpdatedAtDesc:  {Field: "updatedAt", Desc: true},
	domain.SortResolveByAsc:   {Field: "resolveBy"},
	domain.SortLevelDesc:      {Field: "level", Desc: true},
	domain.SortDueAsc:         {Field: "dueAt"},
}

// problemFilter builds the query for a problem listing inside scope.
func (db *DB) problemFilter(scope domain.Scope, f domain.ProblemFilter) bson.D {
	filter := and(live(), inScope(scope, "enterpriseId"), eqIf("enterpriseId", f.EnterpriseID),
		inIf("status", f.Statuses), inIf("category", f.Categories), inIf("level", f.Levels))
	if f.Search != "" {
		filter = and(filter, bson.D{{Key: "$or", Value: bson.A{containsText("title", f.Search), containsText("description", f.Search)}}})
	}
	if f.Overdue != nil {
		od := overdueFilter(db.now())
		if *f.Overdue {
			filter = and(filter, od)
		} else {
			filter = and(filter, bson.D{{Key: "$nor", Value: bson.A{od}}})
		}
	}
	return filter
}

// FindProblemByID returns the problem if its enterprise is inside scope.
func (db *DB) FindProblemByID(ctx context.Context, scope domain.Scope, id string) (*domain.Problem, error) {
	return findOne(ctx, db, CollProblems, id, scope, (*problemDoc).toDomain)
}

// FindProblems lists problems inside scope.
func (db *DB) FindProblems(ctx context.Context, scope domain.Scope, f domain.ProblemFilter, sort domain.ProblemSort, page domain.PageRequest) (domain.Page[*domain.Problem], error) {
	spec, ok := problemSorts[sort]
	if sort == "" {
		spec, ok = problemSorts[domain.SortReportedAtDesc], true
	}
	if !ok {
		return domain.Page[*domain.Problem]{}, domain.Invalid("orderBy", "unknown order %q", sort)
	}
	return findPage(ctx, db, CollProblems, db.problemFilter(scope, f), spec, page, (*problemDoc).toDomain)
}

// FindProblemsByIDs returns the live problems among ids that are inside scope.
func (db *DB) FindProblemsByIDs(ctx context.Context, scope domain.Scope, ids []string) ([]*domain.Problem, error) {
	return findByIDs(ctx, db, CollProblems, ids, scope, false, (*problemDoc).toDomain)
}

// CreateProblem stores a new problem.
func (db *DB) CreateProblem(ctx context.Context, p *domain.Problem) error {
	return save(ctx, db, CollProblems, problemFromDomain(p), 0, &p.Meta)
}

// UpdateProblem replaces the problem if its stored version is still p.Version.
// Deleting is an update that sets Deleted: the record stays as a tombstone.
func (db *DB) UpdateProblem(ctx context.Context, p *domain.Problem) error {
	return save(ctx, db, CollProblems, problemFromDomain(p), p.Version, &p.Meta)
}

// TouchProblem gives the problem a new change sequence without changing it
// (its version stays): subscribers to problem changes hear that its history
// grew, and pulls send it again. If it was written meanwhile, that write's
// sequence already does the same.
func (db *DB) TouchProblem(ctx context.Context, p *domain.Problem) error {
	unlock := db.lockWrites()
	defer unlock()
	defer db.committed.broadcast()
	return db.restamp(ctx, CollProblems, &Stamp{ID: p.ID, Version: p.Version}, ChangeRef{Coll: CollProblems, ID: p.ID, Key: p.EnterpriseID})
}

type noteDoc struct {
	Stamp        `bson:",inline"`
	ProblemID    string    `bson:"problemId"`
	EnterpriseID string    `bson:"enterpriseId"`
	AuthorUserID string    `bson:"authorId"`
	AuthorName   string    `bson:"authorName"`
	Kind         string    `bson:"kind"`
	Text         string    `bson:"text"`
	At           time.Time `bson:"at"`
	FromStatus   string    `bson:"fromStatus"`
	ToStatus     string    `bson:"toStatus"`
	FromLevel    string    `bson:"fromLevel"`
	ToLevel      string    `bson:"toLevel"`
	Mode         string    `bson:"mode"`
	Departments  []string  `bson:"departments"`
}

func (d *noteDoc) visibleIn(s domain.Scope) bool { return s.HasEnterprise(d.EnterpriseID) }

func (d *noteDoc) scopeKey() string { return d.EnterpriseID }

func (d *noteDoc) toDomain() *domain.ProgressNote {
	return &domain.ProgressNote{ID: d.ID, ProblemID: d.ProblemID, EnterpriseID: d.EnterpriseID, AuthorUserID: d.AuthorUserID,
		AuthorName: d.AuthorName, Kind: domain.Action(d.Kind), Text: d.Text, At: d.At.UTC(),
		FromStatus: domain.ProblemStatus(d.FromStatus), ToStatus: domain.ProblemStatus(d.ToStatus),
		FromLevel: domain.Level(d.FromLevel), ToLevel: domain.Level(d.ToLevel), Mode: domain.EscalationMode(d.Mode),
		Departments: d.Departments, Meta: d.meta()}
}

// FindProgressNotes returns the notes of the given problems inside scope, oldest first.
// The notes of given problems are read by key (children.go): the list of each
// problem's notes, then each note; without problems, every note in scope.
func (db *DB) FindProgressNotes(ctx context.Context, scope domain.Scope, problemIDs []string) ([]*domain.ProgressNote, error) {
	if len(problemIDs) == 0 {
		return findAll(ctx, db, CollProgressNotes, and(live(), inScope(scope, "enterpriseId")),
			bson.D{{Key: "at", Value: 1}, {Key: "_id", Value: 1}}, (*noteDoc).toDomain)
	}
	ids, err := db.children(ctx, CollProgressNotes, problemIDs)
	if err != nil {
		return nil, err
	}
	notes, err := findByIDs(ctx, db, CollProgressNotes, ids, scope, false, (*noteDoc).toDomain)
	if err != nil {
		return nil, err
	}
	want := make(map[string]bool, len(problemIDs))
	for _, id := range problemIDs {
		want[id] = true
	}
	out := notes[:0]
	for _, n := range notes {
		if want[n.ProblemID] {
			out = append(out, n)
		}
	}
	slices.SortFunc(out, func(a, b *domain.ProgressNote) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// CreateProgressNote appends a note. Notes are never updated: the log is append-only.
func (db *DB) CreateProgressNote(ctx context.Context, n *domain.ProgressNote) error {
	d := &noteDoc{Stamp: baseFrom(n.ID, n.Meta), ProblemID: n.ProblemID, EnterpriseID: n.EnterpriseID, AuthorUserID: n.AuthorUserID,
		AuthorName: n.AuthorName, Kind: string(n.Kind), Text: n.Text, At: n.At, FromStatus: string(n.FromStatus),
		ToStatus: string(n.ToStatus), FromLevel: string(n.FromLevel), ToLevel: string(n.ToLevel), Mode: string(n.Mode),
		Departments: n.Departments}
	if d.Kind == "" {
		d.Kind = string(domain.ActionNote)
	}
	if d.Departments == nil {
		d.Departments = []string{}
	}
	if err := db.addChild(ctx, CollProgressNotes, n.ProblemID, n.ID); err != nil {
		return err
	}
	return save(ctx, db, CollProgressNotes, d, 0, &n.Meta)
}

// FindOverdueProblems returns every open problem inside scope that is past a
// deadline now, most overdue first. The set is small by nature (the programme
// exists to keep it small), so it is returned whole.
func (db *DB) FindOverdueProblems(ctx context.Context, scope domain.Scope) ([]*domain.Problem, error) {
	yes := true
	return findAll(ctx, db, CollProblems, db.problemFilter(scope, domain.ProblemFilter{Overdue: &yes}),
		bson.D{{Key: "dueAt", Value: 1}, {Key: "_id", Value: 1}}, (*problemDoc).toDomain)
}

// FindOverdueForDepartments returns the open problems inside scope that are
// overdue or were sent to other departments (L3, L4): a department can owe a
// reply past its own deadline while the problem as a whole is on time. The
// caller judges each department (domain.Problem.OverdueDepartments).
func (db *DB) FindOverdueForDepartments(ctx context.Context, scope domain.Scope) ([]*domain.Problem, error) {
	od := overdueFilter(db.now())
	escalated := bson.D{{Key: "status", Value: bson.D{{Key: "$in", Value: strs(domain.OpenStatuses)}}},
		{Key: "level", Value: bson.D{{Key: "$in", Value: bson.A{string(domain.L3), string(domain.L4)}}}}}
	filter := and(live(), inScope(scope, "enterpriseId"), bson.D{{Key: "$or", Value: bson.A{od, escalated}}})
	return findAll(ctx, db, CollProblems, filter, bson.D{{Key: "dueAt", Value: 1}, {Key: "_id", Value: 1}}, (*problemDoc).toDomain)
}
