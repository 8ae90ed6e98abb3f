package service

import (
	"context"
	"time"

	"github.com/lianqi/lianqi/domain"
)

// QuizResultInput is one official's result in a quiz.
type QuizResultInput struct {
	OfficialID string
	Score      int
	Note       *string
}

// QuizInput records a quiz (临时考试).
type QuizInput struct {
	ID        *string
	Title     string
	Date      *time.Time
	Questions []string
	Results   []QuizResultInput
}

// quizReader returns the scope and whose quizzes the caller may read: leaders
// and admins all of them, an official the quizzes they took (with only their own
// result, see Quiz), nobody else.
func (s *Service) quizReader(ctx context.Context) (domain.Scope, *domain.Principal, error) {
	p, err := s.require(ctx, domain.RoleAdmin, domain.RoleLeader, domain.RoleOfficial)
	if err != nil {
		return domain.Scope{}, nil, err
	}
	return domain.Scope{All: p.Role != domain.RoleOfficial}, p, nil
}

// ownResults keeps only the official's own result: the others' scores are for
// the leaders.
func ownResults(q *domain.Quiz, p *domain.Principal) *domain.Quiz {
	if p.Role != domain.RoleOfficial {
		return q
	}
	own := q.Results[:0:0]
	for _, r := range q.Results {
		if r.OfficialID == p.OfficialID {
			own = append(own, r)
		}
	}
	q.Results = own
	return q
}

// Quiz returns one quiz the caller may read.
func (s *Service) Quiz(ctx context.Context, id string) (*domain.Quiz, error) {
	sc, p, err := s.quizReader(ctx)
	if err != nil {
		return nil, err
	}
	q, err := s.db.FindQuizByID(ctx, sc, p.OfficialID, id)
	if err != nil {
		return nil, err
	}
	return ownResults(q, p), nil
}

// Quizzes lists the quizzes the caller may read, newest first; officialID
// narrows a leader's listing to one official.
func (s *Service) Quizzes(ctx context.Context, officialID *string, page domain.PageRequest) (domain.Page[*domain.Quiz], error) {
	sc, p, err := s.quizReader(ctx)
	if err != nil {
		return domain.Page[*domain.Quiz]{}, err
	}
	who := p.OfficialID
	if sc.All {
		who = deref(officialID)
	}
	pg, err := s.db.FindQuizzes(ctx, sc, who, page)
	for _, q := range pg.Items {
		ownResults(q, p)
	}
	return pg, err
}

// CreateQuiz records a quiz with its questions and any results known so far
// (leaders and admins).
func (s *Service) CreateQuiz(ctx context.Context, in QuizInput) (*domain.Quiz, error) {
	p, err := s.require(ctx, domain.RoleLeader, domain.RoleAdmin)
	if err != nil {
		return nil, err
	}
	q := &domain.Quiz{LeaderUserID: p.UserID, Title: in.Title, Date: s.now(), Questions: in.Questions}
	if q.ID, err = newID(in.ID); err != nil {
		return nil, err
	}
	if in.Date != nil {
		q.Date = in.Date.UTC()
	}
	for _, r := range in.Results {
		q.Results = append(q.Results, domain.QuizResult{OfficialID: r.OfficialID, Score: r.Score, Note: deref(r.Note)})
	}
	if err := s.checkQuiz(ctx, q); err != nil {
		return nil, err
	}
	return q, s.db.CreateQuiz(ctx, q)
}

// RecordQuizResult records or corrects one official's result (leaders and admins).
func (s *Service) RecordQuizResult(ctx context.Context, id string, in QuizResultInput) (*domain.Quiz, error) {
	if _, err := s.require(ctx, domain.RoleLeader, domain.RoleAdmin); err != nil {
		return nil, err
	}
	q, err := s.db.FindQuizByID(ctx, domain.Scope{All: true}, "", id)
	if err != nil {
		return nil, err
	}
	q.SetResult(domain.QuizResult{OfficialID: in.OfficialID, Score: in.Score, Note: deref(in.Note)})
	if err := s.checkQuiz(ctx, q); err != nil {
		return nil, err
	}
	return q, s.db.UpdateQuiz(ctx, q)
}

func (s *Service) checkQuiz(ctx context.Context, q *domain.Quiz) error {
	if err := q.Validate(s.now()); err != nil {
		return err
	}
	for _, r := range q.Results {
		if _, err := s.db.FindOfficialByID(ctx, domain.Scope{All: true}, r.OfficialID); err != nil {
			return notFoundAs(err, "results.officialId")
		}
	}
	return nil
}
