package main

import (
	"testing"
)

// TestSpotCheckAsksWhatTheOfficialShouldKnow records a leader's unannounced
// check with the questions asked; it names the paired official it judges and
// the official can read it, the enterprise cannot.
func TestSpotCheckAsksWhatTheOfficialShouldKnow(t *testing.T) {
	s := startServer(t)
	lsy, zhou := s.enterpriseID(t, "浙江良盛元化工有限公司"), s.officialID(t, "周世岳")
	q := `mutation($e:ID!,$qs:[SpotCheckQuestionInput!]){createSpotCheck(input:{enterpriseId:$e,findings:"周局长对企业情况基本熟悉",score:80,questions:$qs}){id official{name} knownCount questions{question answer officialKnew}}}`
	if code := s.as("maojianguo", q, map[string]any{"e": lsy, "qs": []any{map[string]any{"question": " ", "officialKnew": true}}}).code(); code != "BAD_USER_INPUT" {
		t.Fatalf("empty question: %q", code)
	}
	var out struct {
		CreateSpotCheck struct {
			ID         string
			Official   struct{ Name string }
			KnownCount int
			Questions  []struct {
				Question, Answer string
				OfficialKnew     bool
			}
		}
	}
	s.as("maojianguo", q, map[string]any{"e": lsy, "qs": []any{
		map[string]any{"question": "春节什么时候放假？", "answer": "腊月二十五", "officialKnew": true},
		map[string]any{"question": "什么时候复工？", "answer": "正月初八", "officialKnew": false},
	}}).decode(t, &out)
	c := out.CreateSpotCheck
	if c.Official.Name != "周世岳" || c.KnownCount != 1 || len(c.Questions) != 2 || c.Questions[1].Answer != "正月初八" {
		t.Fatalf("spot check = %+v", c)
	}
	var mine struct {
		SpotChecks struct {
			Edges []struct{ Node struct{ ID string } }
		}
	}
	s.as("zhoushiyue", `query($o:ID){spotChecks(filter:{officialId:$o}){edges{node{id}}}}`, map[string]any{"o": zhou}).decode(t, &mine)
	found := false
	for _, e := range mine.SpotChecks.Edges {
		found = found || e.Node.ID == c.ID
	}
	if !found {
		t.Fatalf("周世岳 does not see the check that judged him: %+v", mine)
	}
	if code := s.as("moweiliang", `{spotChecks{totalCount}}`, nil).code(); code != "FORBIDDEN" {
		t.Fatalf("enterprise reads spot checks: %q", code)
	}
}

// TestQuizResults: a leader records a quiz; each official sees only their own
// result; nobody else records or reads quizzes.
func TestQuizResults(t *testing.T) {
	s := startServer(t)
	zhou, zhu := s.officialID(t, "周世岳"), s.officialID(t, "朱立军")
	create := `mutation($r:[QuizResultInput!]){createQuiz(input:{title:"联企局长临时考试",questions:["企业今年产值多少？","企业用工缺口多少人？"],results:$r}){id results{official{name} score}}}`
	if code := s.as("zhoushiyue", create, nil).code(); code != "FORBIDDEN" {
		t.Fatalf("official creates a quiz: %q", code)
	}
	if code := s.as("maojianguo", create, map[string]any{"r": []any{map[string]any{"officialId": zhou, "score": 101}}}).code(); code != "BAD_USER_INPUT" {
		t.Fatalf("score 101: %q", code)
	}
	var out struct{ CreateQuiz struct{ ID string } }
	s.as("maojianguo", create, map[string]any{"r": []any{map[string]any{"officialId": zhou, "score": 90}}}).decode(t, &out)
	id := out.CreateQuiz.ID
	rec := `mutation($id:ID!,$o:ID!,$s:Int!){recordQuizResult(id:$id,input:{officialId:$o,score:$s,note:"对企业用工情况不清楚"}){results{score}}}`
	s.as("maojianguo", rec, map[string]any{"id": id, "o": zhu, "s": 55}).decode(t, &struct{}{})
	if code := s.as("maojianguo", rec, map[string]any{"id": id, "o": "01a21461-0000-7000-8000-0000000000ff", "s": 55}).code(); code != "BAD_USER_INPUT" {
		t.Fatalf("unknown official: %q", code)
	}

	read := `query($id:ID!){quiz(id:$id){questions results{official{name} score note}}}`
	type quizView struct {
		Quiz struct {
			Questions []string
			Results   []struct {
				Official struct{ Name string }
				Score    int
				Note     string
			}
		}
	}
	var leader, own quizView
	s.as("maojianguo", read, map[string]any{"id": id}).decode(t, &leader)
	if len(leader.Quiz.Results) != 2 || len(leader.Quiz.Questions) != 2 {
		t.Fatalf("leader's view = %+v", leader)
	}
	s.as("zhulijun", read, map[string]any{"id": id}).decode(t, &own)
	if r := own.Quiz.Results; len(r) != 1 || r[0].Official.Name != "朱立军" || r[0].Score != 55 {
		t.Fatalf("朱立军 sees %+v, want only his own result", r)
	}
	if code := s.as("yinweizhong", read, map[string]any{"id": id}).code(); code != "NOT_FOUND" {
		t.Fatalf("an official who did not take the quiz: %q", code)
	}
	if code := s.as("moweiliang", read, map[string]any{"id": id}).code(); code != "FORBIDDEN" {
		t.Fatalf("enterprise reads a quiz: %q", code)
	}
}

// TestEnterpriseRatesTheService: ratings come with a confirmation or a
// rejection, count for the paired official and are visible to them and to leaders.
func TestEnterpriseRatesTheService(t *testing.T) {
	s := startServer(t)
	var list struct {
		Problems struct {
			Edges []struct{ Node struct{ ID string } }
		}
	}
	s.as("moweiliang", `{problems(filter:{statuses:[RESOLVED]}){edges{node{id}}}}`, nil).decode(t, &list)
	if len(list.Problems.Edges) == 0 {
		t.Fatal("no resolved problem at 良盛元 in the demo data")
	}
	id := list.Problems.Edges[0].Node.ID
	confirm := `mutation($id:ID!,$r:RatingInput){confirmProblem(id:$id,rating:$r){status version}}`
	for _, bad := range []int{0, 6} {
		if code := s.as("moweiliang", confirm, map[string]any{"id": id, "r": map[string]any{"score": bad}}).code(); code != "BAD_USER_INPUT" {
			t.Fatalf("rating %d: %q", bad, code)
		}
	}
	var cur struct{ Problem struct{ Status string } }
	s.as("moweiliang", `query($id:ID!){problem(id:$id){status}}`, map[string]any{"id": id}).decode(t, &cur)
	if cur.Problem.Status != "RESOLVED" {
		t.Fatalf("a refused rating changed the problem: %s", cur.Problem.Status)
	}
	s.as("moweiliang", confirm, map[string]any{"id": id, "r": map[string]any{"score": 5, "comment": "办事效率高"}}).decode(t, &struct{}{})
	if code := s.as("maojianguo", `mutation($id:ID!){reopenProblem(id:$id,reason:"抽查发现",rating:{score:1}){id}}`, map[string]any{"id": id}).code(); code != "BAD_USER_INPUT" {
		t.Fatalf("leader rates: %q", code)
	}

	type ratingView struct {
		Score     int
		Comment   string
		Confirmed bool
		Official  *struct{ Name string }
		Problem   struct{ ID string }
	}
	var onProblem struct {
		Problem struct{ Ratings []ratingView }
	}
	s.as("moweiliang", `query($id:ID!){problem(id:$id){ratings{score comment confirmed official{name} problem{id}}}}`, map[string]any{"id": id}).decode(t, &onProblem)
	r := onProblem.Problem.Ratings
	if len(r) != 1 || r[0].Score != 5 || !r[0].Confirmed || r[0].Official == nil || r[0].Official.Name != "周世岳" {
		t.Fatalf("ratings = %+v", r)
	}
	zhou := s.officialID(t, "周世岳")
	for _, user := range []string{"zhoushiyue", "maojianguo"} {
		var out struct{ Ratings []ratingView }
		s.as(user, `query($o:ID){ratings(filter:{officialId:$o}){score problem{id}}}`, map[string]any{"o": zhou}).decode(t, &out)
		found := false
		for _, x := range out.Ratings {
			found = found || x.Problem.ID == id
		}
		if !found {
			t.Errorf("%s does not see 周世岳's rating", user)
		}
	}
	var other struct{ Ratings []ratingView }
	s.as("zhulijun", `query($o:ID){ratings(filter:{officialId:$o}){score}}`, map[string]any{"o": zhou}).decode(t, &other)
	if len(other.Ratings) != 0 {
		t.Errorf("朱立军 sees 周世岳's ratings: %+v", other.Ratings)
	}
}
