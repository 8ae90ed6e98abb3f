package domain_test

import (
	"strings"
	"testing"
	"time"

	"github.com/lianqi/lianqi/domain"
)

func TestRatingValidate(t *testing.T) {
	for _, tc := range []struct {
		name    string
		score   int
		comment string
		code    string
	}{
		{"OK", 5, "办事效率高", ""},
		{"LowestOK", 1, "", ""},
		{"ErrZero", 0, "", domain.EINVALID},
		{"ErrSix", 6, "", domain.EINVALID},
		{"ErrCommentTooLong", 3, strings.Repeat("长", 1001), domain.EINVALID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &domain.Rating{Score: tc.score, Comment: tc.comment}
			if code := domain.ErrorCode(r.Validate()); code != tc.code {
				t.Fatalf("code %q, want %q", code, tc.code)
			}
		})
	}
}

func TestQuizValidate(t *testing.T) {
	off := "01a21461-0000-7000-8000-000000000001"
	for _, tc := range []struct {
		name string
		edit func(*domain.Quiz)
		code string
	}{
		{"OK", func(*domain.Quiz) {}, ""},
		{"ErrNoTitle", func(q *domain.Quiz) { q.Title = " " }, domain.EINVALID},
		{"ErrNoQuestions", func(q *domain.Quiz) { q.Questions = nil }, domain.EINVALID},
		{"ErrEmptyQuestion", func(q *domain.Quiz) { q.Questions = []string{"x", " "} }, domain.EINVALID},
		{"ErrFuture", func(q *domain.Quiz) { q.Date = t0.Add(72 * time.Hour) }, domain.EINVALID},
		{"ErrScoreOver100", func(q *domain.Quiz) { q.Results[0].Score = 101 }, domain.EINVALID},
		{"ErrTwoResultsForOne", func(q *domain.Quiz) { q.Results = append(q.Results, q.Results[0]) }, domain.EINVALID},
		{"ErrBadOfficialID", func(q *domain.Quiz) { q.Results[0].OfficialID = "zhou" }, domain.EINVALID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := &domain.Quiz{Title: "临时考试", Date: t0, Questions: []string{"企业哪天放假？"}, Results: []domain.QuizResult{{OfficialID: off, Score: 80}}}
			tc.edit(q)
			if code := domain.ErrorCode(q.Validate(t0)); code != tc.code {
				t.Fatalf("code %q, want %q", code, tc.code)
			}
		})
	}
	q := &domain.Quiz{Results: []domain.QuizResult{{OfficialID: off, Score: 80}}}
	q.SetResult(domain.QuizResult{OfficialID: off, Score: 60})
	if len(q.Results) != 1 || q.Results[0].Score != 60 {
		t.Fatalf("SetResult did not replace: %+v", q.Results)
	}
}

func TestSpotCheckQuestions(t *testing.T) {
	ent := "01a21461-0000-7000-8000-0000000000bb"
	for _, tc := range []struct {
		name string
		qs   []domain.SpotCheckQuestion
		code string
	}{
		{"OK", []domain.SpotCheckQuestion{{Question: "放假", OfficialKnew: true}, {Question: "复工"}}, ""},
		{"ErrEmptyQuestion", []domain.SpotCheckQuestion{{Question: " "}}, domain.EINVALID},
		{"ErrTooMany", make([]domain.SpotCheckQuestion, 51), domain.EINVALID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &domain.SpotCheck{EnterpriseID: ent, Date: t0, Questions: tc.qs}
			if code := domain.ErrorCode(c.Validate(t0)); code != tc.code {
				t.Fatalf("code %q, want %q", code, tc.code)
			}
			if tc.code == "" && c.KnownCount() != 1 {
				t.Fatalf("KnownCount = %d", c.KnownCount())
			}
		})
	}
}

func TestMedianHours(t *testing.T) {
	if domain.MedianHours(nil) != nil {
		t.Fatal("median of nothing")
	}
	odd := domain.MedianHours([]time.Duration{3 * time.Hour, time.Hour, 2 * time.Hour})
	even := domain.MedianHours([]time.Duration{4 * time.Hour, time.Hour, 2 * time.Hour, 3 * time.Hour})
	if *odd != 2 || *even != 2.5 {
		t.Fatalf("medians %v %v, want 2 and 2.5", *odd, *even)
	}
}
