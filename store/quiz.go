package store

import (
	"context"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/lianqi/lianqi/domain"
)

type quizDoc struct {
	Stamp        `bson:",inline"`
	LeaderUserID string          `bson:"leaderId"`
	Title        string          `bson:"title"`
	Date         time.Time       `bson:"date"`
	Questions    []string        `bson:"questions"`
	Results      []quizResultDoc `bson:"results"`
	// OfficialIDs repeats the officials with a result, so that "quizzes this
	// official took" is a plain equality filter on an array of strings.
	OfficialIDs []string `bson:"officialIds"`
	// Source: domain.Quiz.Source (demo records only).
	Source string `bson:"source,omitempty"`
}

type quizResultDoc struct {
	OfficialID string `bson:"officialId"`
	Score      int    `bson:"score"`
	Note       string `bson:"note"`
}

func quizFromDomain(q *domain.Quiz) *quizDoc {
	d := &quizDoc{Stamp: baseFrom(q.ID, q.Meta), LeaderUserID: q.LeaderUserID, Title: q.Title, Date: q.Date, Questions: q.Questions,
		Results: make([]quizResultDoc, len(q.Results)), OfficialIDs: make([]string, len(q.Results)), Source: q.Source}
	for i, r := range q.Results {
		d.Results[i] = quizResultDoc{OfficialID: r.OfficialID, Score: r.Score, Note: r.Note}
		d.OfficialIDs[i] = r.OfficialID
	}
	return d
}

func (d *quizDoc) toDomain() *domain.Quiz {
	q := &domain.Quiz{ID: d.ID, LeaderUserID: d.LeaderUserID, Title: d.Title, Date: d.Date.UTC(), Questions: d.Questions,
		Results: make([]domain.QuizResult, len(d.Results)), Source: d.Source, Meta: d.meta()}
	for i, r := range d.Results {
		q.Results[i] = domain.QuizResult{OfficialID: r.OfficialID, Score: r.Score, Note: r.Note}
	}
	return q
}

// quizScope limits quizzes to those taken by the scope's officials; leaders and
// admins (All) see every quiz.
func quizScope(scope domain.Scope, officialID string) bson.D {
	if scope.All {
		return eqIf("officialIds", officialID)
	}
	return bson.D{{Key: "officialIds", Value: officialID}}
}

// FindQuizByID returns the quiz if officialID took it, or any quiz for scope.All.
func (db *DB) FindQuizByID(ctx context.Context, scope domain.Scope, officialID, id string) (*domain.Quiz, error) {
	d, err := fetchByID[quizDoc](ctx, db, CollQuizzes, id, domain.Scope{All: true}, false)
	if err != nil {
		return nil, err
	}
	if (!scope.All || officialID != "") && !slices.Contains(d.OfficialIDs, officialID) {
		return nil, domain.NotFound("quiz", id)
	}
	return d.toDomain(), nil
}

// visibleIn is decided by FindQuizByID: quizzes are scoped by the officials who
// took them, not by enterprise.
func (d *quizDoc) visibleIn(domain.Scope) bool { return true }

// FindQuizzes lists quizzes newest first: all of them for scope.All (narrowed to
// officialID when given), otherwise those officialID took.
func (db *DB) FindQuizzes(ctx context.Context, scope domain.Scope, officialID string, page domain.PageRequest) (domain.Page[*domain.Quiz], error) {
	return findPage(ctx, db, CollQuizzes, and(live(), quizScope(scope, officialID)), sortSpec{Field: "date", Desc: true}, page, (*quizDoc).toDomain)
}

// FindAllQuizzes returns every live quiz (for the ranking).
func (db *DB) FindAllQuizzes(ctx context.Context) ([]*domain.Quiz, error) {
	return findAll(ctx, db, CollQuizzes, live(), bson.D{{Key: "date", Value: 1}}, (*quizDoc).toDomain)
}

// CreateQuiz stores a new quiz.
func (db *DB) CreateQuiz(ctx context.Context, q *domain.Quiz) error {
	return save(ctx, db, CollQuizzes, quizFromDomain(q), 0, &q.Meta)
}

// UpdateQuiz replaces the quiz if its stored version is still q.Version.
func (db *DB) UpdateQuiz(ctx context.Context, q *domain.Quiz) error {
	return save(ctx, db, CollQuizzes, quizFromDomain(q), q.Version, &q.Meta)
}
