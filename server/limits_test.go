package main

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lianqi/lianqi/auth"
)

func TestQueryLimits(t *testing.T) {
	s := startServer(t, func(c *Config) { c.MaxDepth = 8; c.MaxCost = 5000 })
	for _, tc := range []struct{ name, query, want string }{
		{"DepthAtLimit", `{problems(first:1){edges{node{enterprise{problems(first:1){edges{node{id}}}}}}}}`, ""},
		{"TooDeep", `{problems(first:1){edges{node{enterprise{problems(first:1){edges{node{enterprise{name}}}}}}}}}`, "QUERY_TOO_DEEP"},
		{"TooDeepThroughFragment", `query{problems(first:1){...P}} fragment P on ProblemConnection{edges{node{enterprise{problems(first:1){edges{node{enterprise{name}}}}}}}}`, "QUERY_TOO_DEEP"},
		{"SmallPagesAllowed", `{problems(first:10){edges{node{enterprise{problems(first:10){edges{node{id}}}}}}}}`, ""},
		{"LargePagesTooComplex", `{problems(first:100){edges{node{enterprise{problems(first:100){edges{node{id}}}}}}}}`, "QUERY_TOO_COMPLEX"},
		{"PageSizeFromVariableCounts", `query($n:Int){problems(first:$n){edges{node{enterprise{problems(first:$n){edges{node{id}}}}}}}}`, "QUERY_TOO_COMPLEX"},
		{"MaxPageSize", `{problems(first:101){totalCount}}`, "BAD_USER_INPUT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := s.as("admin", tc.query, map[string]any{"n": 100})
			if res.code() != tc.want {
				t.Fatalf("code %q (%+v), want %q", res.code(), res.Errors, tc.want)
			}
		})
	}
	t.Run("BodyTooLarge", func(t *testing.T) {
		body := `{"query":"{me{id}}","variables":{"pad":"` + strings.Repeat("x", 2<<20) + `"}}`
		res, err := http.Post(s.url+"/graphql", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode < 400 || res.StatusCode >= 500 {
			t.Fatalf("status %d, want a 4xx refusal", res.StatusCode)
		}
	})
}

func TestRateLimits(t *testing.T) {
	s := startServer(t, func(c *Config) { c.RateAPI, c.RateLogin = 60, 3 })
	t.Run("API", func(t *testing.T) {
		tok := s.token("zhoushiyue")
		limited := 0
		for range 40 {
			req, _ := http.NewRequest(http.MethodPost, s.url+"/graphql", bytes.NewReader([]byte(`{"query":"{me{id}}"}`)))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+tok)
			start := time.Now()
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode == http.StatusTooManyRequests {
				limited++
				if res.Header.Get("Retry-After") == "" {
					t.Fatal("429 without Retry-After")
				}
				if time.Since(start) > time.Second {
					t.Fatal("refusal was slow, not immediate")
				}
			}
		}
		if limited == 0 {
			t.Fatal("40 requests at once were never limited (burst is 15)")
		}
		// The error body carries the code clients branch on.
		res := s.as("zhoushiyue", `{me{id}}`, nil)
		if res.code() != "RATE_LIMITED" {
			t.Fatalf("code %q, want RATE_LIMITED", res.code())
		}
		if c := s.as("maojianguo", `{me{id}}`, nil).code(); c != "" {
			t.Fatalf("another user was limited too: %s", c)
		}
	})
	t.Run("Login", func(t *testing.T) {
		try := func(user string) string {
			return s.post("", `mutation($u:String!){login(username:$u,password:"wrong-password"){accessToken}}`, map[string]any{"u": user}).code()
		}
		// Three attempts per username per minute; the per-address budget is
		// also three, already partly spent by token("zhoushiyue") and
		// token("maojianguo") above.
		codes := []string{try("zhulijun"), try("zhulijun"), try("zhulijun")}
		if !slices.Contains(codes, "RATE_LIMITED") {
			t.Fatalf("codes %v: never limited", codes)
		}
		if c := try("no-such-user"); c != "RATE_LIMITED" {
			t.Fatalf("unknown user: code %q, want RATE_LIMITED like any other (no enumeration)", c)
		}
	})
}

func TestIntrospectionPolicy(t *testing.T) {
	const q = `{__schema{queryType{name}}}`
	t.Run("DevelopmentOpen", func(t *testing.T) {
		s := startServer(t)
		if c := s.post("", q, nil).code(); c != "" {
			t.Fatalf("anonymous introspection in development: %s", c)
		}
		res := s.as("admin", `{problemz{totalCount}}`, nil)
		if len(res.Errors) == 0 || !strings.Contains(res.Errors[0].Message, "Did you mean") {
			t.Fatalf("development lost field suggestions: %+v", res.Errors)
		}
	})
	t.Run("ProductionAdminsOnly", func(t *testing.T) {
		s := startServer(t, func(c *Config) { c.Dev = false; c.Introspection = "admin" })
		for _, u := range []string{"", "maojianguo", "zhoushiyue", "moweiliang"} {
			tok := ""
			if u != "" {
				tok = s.token(u)
			}
			if res := s.post(tok, q, nil); len(res.Errors) == 0 {
				t.Fatalf("%q introspected in production", u)
			}
		}
		if c := s.as("admin", q, nil).code(); c != "" {
			t.Fatalf("admin refused introspection: %s", c)
		}
		res := s.as("admin", `{problemz{totalCount}}`, nil)
		if len(res.Errors) == 0 || strings.Contains(res.Errors[0].Message, "Did you mean") {
			t.Fatalf("production leaks field suggestions: %+v", res.Errors)
		}
	})
	t.Run("Off", func(t *testing.T) {
		s := startServer(t, func(c *Config) { c.Dev = false; c.Introspection = "off" })
		if res := s.as("admin", q, nil); len(res.Errors) == 0 {
			t.Fatal("introspection not off")
		}
		res, err := http.Get(s.url + "/playground")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusNotFound {
			t.Fatalf("playground status %d with introspection off", res.StatusCode)
		}
	})
}

// TestLoginDoesNotEnumerateUsers: an unknown username and a wrong password get
// the same answer after the same work. The timing check runs at the
// production bcrypt cost, where a difference would be tens of milliseconds.
func TestLoginDoesNotEnumerateUsers(t *testing.T) {
	old := auth.BcryptCost
	auth.BcryptCost = 10
	t.Cleanup(func() { auth.BcryptCost = old })
	s := startServer(t)
	const q = `mutation($u:String!,$p:String!){login(username:$u,password:$p){accessToken}}`
	attempt := func(user string) (gqlResponse, time.Duration) {
		start := time.Now()
		res := s.post("", q, map[string]any{"u": user, "p": "wrong-password"})
		return res, time.Since(start)
	}
	known, _ := attempt("zhoushiyue")
	unknown, _ := attempt("nobody-here")
	if known.code() != unknown.code() || known.Errors[0].Message != unknown.Errors[0].Message {
		t.Fatalf("answers differ: %+v vs %+v", known.Errors, unknown.Errors)
	}
	var kt, ut []time.Duration
	for range 7 {
		_, d := attempt("zhoushiyue")
		kt = append(kt, d)
		_, d = attempt("nobody-here")
		ut = append(ut, d)
	}
	slices.Sort(kt)
	slices.Sort(ut)
	mk, mu := kt[len(kt)/2], ut[len(ut)/2]
	if mu < mk/2 || mu > mk*2 {
		t.Fatalf("median time for a known user %v, unknown %v: the difference reveals which usernames exist", mk, mu)
	}
}

// exponentialFragments spreads each fragment into the previous one twice:
// a 1.3 KB document whose expansion has 2^levels selections.
func exponentialFragments(levels int, leaf string) string {
	var b strings.Builder
	b.WriteString("{ ...F0 }")
	for i := range levels {
		fmt.Fprintf(&b, " fragment F%d on Query { ...F%d ...F%d }", i, i+1, i+1)
	}
	fmt.Fprintf(&b, " fragment F%d on Query { %s }", levels, leaf)
	return b.String()
}

func aliases(n int, field string) string {
	var b strings.Builder
	b.WriteString("{")
	for i := range n {
		fmt.Fprintf(&b, " a%d: %s", i, field)
	}
	b.WriteString("}")
	return b.String()
}

// TestHostileRequests: each class of cheap-to-send, expensive-to-serve request
// is refused with a typed error before it costs anything, with or without a
// token. A generous time bound per request stands for "no exponential or
// quadratic work": before the limits the first three took seconds to minutes.
func TestHostileRequests(t *testing.T) {
	s := startServer(t)
	for _, tc := range []struct{ name, user, query, want string }{
		{"ExponentialFragments", "", exponentialFragments(40, "__typename"), "QUERY_TOO_COMPLEX"},
		{"ExponentialFragmentsWithFields", "", exponentialFragments(40, "me { id }"), "QUERY_TOO_COMPLEX"},
		{"ExponentialFragmentsIntrospection", "moweiliang", exponentialFragments(40, "__schema { queryType { name } }"), "QUERY_TOO_COMPLEX"},
		{"RepeatedTypename176KB", "", "{" + strings.Repeat(" __typename", 16000) + "}", "QUERY_TOO_LARGE"},
		{"ManySelectionsUnder32KB", "", "{" + strings.Repeat(" __typename", 2900) + "}", "QUERY_TOO_LARGE"},
		{"ManySelectionsInFragments", "", "{ ...A }" + " fragment A on Query {" + strings.Repeat(" a: __typename", 300) + "} fragment B on Query {" + strings.Repeat(" a: __typename", 300) + "}", "QUERY_TOO_LARGE"},
		{"ManyTokens", "", `{problems(filter:{tags:[` + strings.Repeat(`"a",`, 6000) + `]}){totalCount}}`, "QUERY_TOO_LARGE"},
		{"StatsAliases2400", "moweiliang", aliases(2400, "problemStats { collected }"), "QUERY_TOO_LARGE"},
		{"StatsAliases10", "moweiliang", aliases(10, "problemStats { collected }"), "QUERY_TOO_COMPLEX"},
		{"RankingAliases10", "maojianguo", aliases(10, "officialRanking { total }"), "QUERY_TOO_COMPLEX"},
		{"NestedListings", "maojianguo", `{enterprises(first:100){edges{node{problems(first:10){totalCount edges{node{id}}}}}}}`, "QUERY_TOO_COMPLEX"},
		{"ObjectForInt", "maojianguo", `{problems(first: {}){totalCount}}`, "BAD_USER_INPUT"},
		{"ObjectForIntNested", "maojianguo", `{problems(first: {a: {b: 1}}){totalCount}}`, "GRAPHQL_VALIDATION_FAILED"},
		{"ObjectForIntInNestedField", "maojianguo", `{problems(first: 1){edges{node{enterprise{problems(first: {}){totalCount}}}}}}`, "BAD_USER_INPUT"},
		{"ObjectForStringInInput", "maojianguo", `{problems(first: 1, filter: {search: {}}){totalCount}}`, "BAD_USER_INPUT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok := ""
			if tc.user != "" {
				tok = s.token(tc.user)
			}
			start := time.Now()
			res := s.post(tok, tc.query, nil)
			if took := time.Since(start); took > time.Second {
				t.Errorf("took %v: the refusal did the work it should prevent", took)
			}
			if res.code() != tc.want {
				t.Fatalf("code %q (%+v), want %q", res.code(), res.Errors, tc.want)
			}
		})
	}
	// What real clients send still passes.
	for _, tc := range []struct{ name, user, query string }{
		{"Dashboard", "maojianguo", `{problemStats{collected resolved byCategory{key collected}} officialRanking{rank name total} problems(first:20){totalCount edges{node{id title status enterprise{name}}}}}`},
		{"FewStats", "moweiliang", aliases(4, "problemStats { collected }")},
		{"SmallFragments", "maojianguo", `{...Q} fragment Q on Query { problems(first:5){...C} } fragment C on ProblemConnection { totalCount edges{node{id}} }`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if res := s.as(tc.user, tc.query, nil); len(res.Errors) > 0 {
				t.Fatalf("refused: %+v", res.Errors)
			}
		})
	}
}

// TestExpensiveWorkIsCapped: statistics beyond the concurrent cap wait
// briefly, then are refused with RATE_LIMITED; the others are answered.
func TestExpensiveWorkIsCapped(t *testing.T) {
	s := startServer(t, func(c *Config) { c.MaxExpensive, c.MaxExpensivePerUser, c.ExpensiveWait = 1, 1, time.Millisecond })
	tok := s.token("maojianguo")
	const n = 8
	codes := make(chan string, n)
	for range n {
		go func() { codes <- s.post(tok, `{problemStats{collected byTown{key collected}}}`, nil).code() }()
	}
	count := map[string]int{}
	for range n {
		count[<-codes]++
	}
	if count["RATE_LIMITED"] == 0 || count[""] == 0 || count[""]+count["RATE_LIMITED"] != n {
		t.Fatalf("codes %v: want some answered and the rest RATE_LIMITED", count)
	}
}
