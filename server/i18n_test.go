package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/lianqi/lianqi/domain"
)

// postLang is post with an Accept-Language header ("" sends none).
func (s *testServer) postLang(token, lang, query string, vars map[string]any) gqlResponse {
	s.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, s.url+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	if lang != "" {
		req.Header.Set("Accept-Language", lang)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	var out gqlResponse
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		s.t.Fatal(err)
	}
	return out
}

// TestChineseWherePeopleRead: statuses, levels, history kinds and ranking
// components carry zh-CN labels; error messages are Chinese by default and
// English when asked, with the code unchanged and the English kept in
// extensions.messageEn.
func TestChineseWherePeopleRead(t *testing.T) {
	s := startServer(t)
	var list struct {
		Problems struct {
			Edges []struct {
				Node struct {
					ID, Status, StatusLabel, Level, LevelLabel string
					History                                    []struct{ Kind, KindLabel, ToStatusLabel string }
				}
			}
		}
	}
	s.as("maojianguo", `{problems(first:20){edges{node{id status statusLabel level levelLabel history{kind kindLabel toStatusLabel}}}}}`, nil).decode(t, &list)
	if len(list.Problems.Edges) == 0 {
		t.Fatal("no problems")
	}
	for _, e := range list.Problems.Edges {
		n := e.Node
		if n.StatusLabel != domain.ProblemStatus(n.Status).Label() || n.StatusLabel == "" || n.LevelLabel != domain.Level(n.Level).Label() {
			t.Fatalf("labels of %+v", n)
		}
		for _, h := range n.History {
			if h.KindLabel == "" || h.KindLabel != domain.Action(h.Kind).Label() {
				t.Fatalf("history label %+v", h)
			}
		}
	}
	var rank struct {
		OfficialRanking []struct {
			Components []struct{ Name, Label string }
		}
	}
	s.as("maojianguo", `{officialRanking{components{name label}}}`, nil).decode(t, &rank)
	if len(rank.OfficialRanking) == 0 || len(rank.OfficialRanking[0].Components) == 0 {
		t.Fatal("no ranking")
	}
	for _, c := range rank.OfficialRanking[0].Components {
		if c.Label == "" || c.Label == c.Name {
			t.Fatalf("component %s has label %q", c.Name, c.Label)
		}
	}

	id := list.Problems.Edges[0].Node.ID
	const q = `mutation($id:ID!){withdrawProblem(id:$id,reason:"x"){id}}`
	tok := s.token("zhoushiyue")
	for _, tc := range []struct{ name, lang, wantIn, wantLang string }{
		{"DefaultChinese", "", "", "zh"},
		{"ChineseAsked", "zh-CN,zh;q=0.9", "", "zh"},
		{"EnglishAsked", "en-US,en;q=0.9", "", "en"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := s.postLang(tok, tc.lang, q, map[string]any{"id": id})
			if len(res.Errors) != 1 {
				t.Fatalf("errors = %+v", res.Errors)
			}
			e := res.Errors[0]
			en, _ := e.Extensions["messageEn"].(string)
			if code := res.code(); code != "FORBIDDEN" && code != "NOT_FOUND" && code != "BAD_USER_INPUT" {
				t.Fatalf("code = %q", code)
			}
			if en == "" || !isASCII(en) {
				t.Fatalf("messageEn = %q", en)
			}
			switch tc.wantLang {
			case "en":
				if e.Message != en {
					t.Fatalf("message %q, want the English %q", e.Message, en)
				}
			case "zh":
				if isASCII(e.Message) {
					t.Fatalf("message %q is not Chinese", e.Message)
				}
			}
		})
	}
}

func isASCII(s string) bool {
	return !strings.ContainsFunc(s, func(r rune) bool { return r > 127 })
}
