package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// world is the whole demo programme as the admin sees it, from which each
// caller's rightful view is computed independently of the server's scope code.
type world struct {
	enterpriseTown map[string]string
	officials      []string
	pairings       []struct {
		Active       bool
		Enterprise   struct{ ID string }
		LeadOfficial struct{ ID string }
		TeamMembers  []struct{ ID string }
	}
	// record kind → id → enterprise id
	records map[string]map[string]string
	// accounts by id
	accounts map[string]account
}

type account struct{ ID, Username, DisplayName, Role string }

func loadWorld(t *testing.T, s *testServer) *world {
	t.Helper()
	w := &world{enterpriseTown: map[string]string{}, records: map[string]map[string]string{}}
	var out struct {
		Enterprises struct {
			Edges []struct{ Node struct{ ID, Town string } }
		}
		Officials struct {
			Edges []struct{ Node struct{ ID string } }
		}
		Problems struct {
			Edges []struct {
				Node struct {
					ID         string
					Enterprise struct{ ID string }
				}
			}
		}
		Visits struct {
			Edges []struct {
				Node struct {
					ID         string
					Enterprise struct{ ID string }
				}
			}
		}
		SpotChecks struct {
			Edges []struct {
				Node struct {
					ID         string
					Enterprise struct{ ID string }
				}
			}
		}
	}
	s.as("admin", `{enterprises(first:100){edges{node{id town}}} officials(first:100){edges{node{id}}}
		problems(first:100){edges{node{id enterprise{id}}}} visits(first:100){edges{node{id enterprise{id}}}}
		spotChecks(first:100){edges{node{id enterprise{id}}}}}`, nil).decode(t, &out)
	for _, e := range out.Enterprises.Edges {
		w.enterpriseTown[e.Node.ID] = e.Node.Town
	}
	for _, o := range out.Officials.Edges {
		w.officials = append(w.officials, o.Node.ID)
	}
	add := func(kind, id, ent string) {
		if w.records[kind] == nil {
			w.records[kind] = map[string]string{}
		}
		w.records[kind][id] = ent
	}
	for _, e := range out.Problems.Edges {
		add("problem", e.Node.ID, e.Node.Enterprise.ID)
	}
	for _, e := range out.Visits.Edges {
		add("visit", e.Node.ID, e.Node.Enterprise.ID)
	}
	for _, e := range out.SpotChecks.Edges {
		add("spotCheck", e.Node.ID, e.Node.Enterprise.ID)
	}
	for id := range w.enterpriseTown {
		add("enterprise", id, id)
	}
	var pr struct{ Pairings json.RawMessage }
	s.as("admin", `{pairings{active enterprise{id} leadOfficial{id} teamMembers{id}}}`, nil).decode(t, &pr)
	if err := json.Unmarshal(pr.Pairings, &w.pairings); err != nil {
		t.Fatal(err)
	}
	var us struct {
		Users struct {
			Edges []struct{ Node account }
		}
	}
	s.as("admin", `{users(first:100){edges{node{id username displayName role}}}}`, nil).decode(t, &us)
	w.accounts = map[string]account{}
	for _, e := range us.Users.Edges {
		w.accounts[e.Node.ID] = e.Node
	}
	if len(w.records["problem"]) == 0 || len(w.records["visit"]) == 0 || len(w.records["spotCheck"]) == 0 {
		t.Fatal("demo data lacks a record kind")
	}
	return w
}

// caller is one row of the matrix: what it should see.
type caller struct {
	name, token string
	role        string
	all         bool
	ents        map[string]bool
	officials   map[string]bool
}

func (w *world) callerFor(s *testServer, t *testing.T, user string) caller {
	var me struct {
		Me struct {
			Role       string
			Official   *struct{ ID string }
			Enterprise *struct{ ID string }
		}
	}
	s.as(user, `{me{role official{id} enterprise{id}}}`, nil).decode(t, &me)
	c := caller{name: user, token: s.token(user), role: me.Me.Role, ents: map[string]bool{}, officials: map[string]bool{}}
	switch c.role {
	case "ADMIN", "LEADER":
		c.all = true
	case "OFFICIAL":
		c.officials[me.Me.Official.ID] = true
		for _, p := range w.pairings {
			serves := p.LeadOfficial.ID == me.Me.Official.ID
			for _, m := range p.TeamMembers {
				serves = serves || m.ID == me.Me.Official.ID
			}
			if p.Active && serves {
				c.ents[p.Enterprise.ID] = true
			}
		}
	case "ENTERPRISE":
		c.ents[me.Me.Enterprise.ID] = true
	}
	for _, p := range w.pairings {
		if c.ents[p.Enterprise.ID] {
			c.officials[p.LeadOfficial.ID] = true
			for _, m := range p.TeamMembers {
				c.officials[m.ID] = true
			}
		}
	}
	return c
}

// TestSecurityMatrix tries every record of every kind, by id, as every kind
// of caller, and every listing, and checks the answer is exactly the caller's
// rightful view: the record, NOT_FOUND outside scope, FORBIDDEN for a kind
// the role may not read. Lists must equal the rightful set (no leak, nothing
// missing), nested paths must stay inside it, and subscriptions are open to
// accounts but not to dashboard tokens.
func TestSecurityMatrix(t *testing.T) {
	s := startServer(t)
	w := loadWorld(t, s)
	var callers []caller
	for _, u := range []string{"admin", "maojianguo", "zhoushiyue", "zhulijun", "moweiliang"} {
		callers = append(callers, w.callerFor(s, t, u))
	}
	dash, _ := s.dashboardToken(t, []string{"PROBLEMS_READ"}, miaogao)
	d := caller{name: "dashboard", token: dash, role: "DASHBOARD", ents: map[string]bool{}, officials: map[string]bool{}}
	for id, town := range w.enterpriseTown {
		if town == miaogao {
			d.ents[id] = true
		}
	}
	callers = append(callers, d)

	// forbidden reports which kinds a role may not read at all.
	forbidden := func(role, kind string) bool {
		switch role {
		case "DASHBOARD":
			return kind != "problem"
		case "ENTERPRISE":
			return kind == "spotCheck"
		}
		return false
	}
	byID := map[string]string{
		"enterprise": `query($id:ID!){enterprise(id:$id){id}}`,
		"problem":    `query($id:ID!){problem(id:$id){id}}`,
		"visit":      `query($id:ID!){visit(id:$id){id}}`,
		"spotCheck":  `query($id:ID!){spotCheck(id:$id){id}}`,
		"official":   `query($id:ID!){official(id:$id){id}}`,
	}
	for _, c := range callers {
		for kind, q := range byID {
			t.Run(fmt.Sprintf("ByID/%s/%s", c.name, kind), func(t *testing.T) {
				ids := map[string]bool{}
				if kind == "official" {
					for _, o := range w.officials {
						ids[o] = c.all || c.officials[o]
					}
				} else {
					for id, ent := range w.records[kind] {
						ids[id] = c.all || c.ents[ent]
					}
				}
				for id, visible := range ids {
					code := s.post(c.token, q, map[string]any{"id": id}).code()
					want := "NOT_FOUND"
					switch {
					case forbidden(c.role, kind):
						want = "FORBIDDEN"
					case visible:
						want = ""
					}
					if code != want {
						t.Fatalf("%s %s: code %q, want %q", kind, id, code, want)
					}
				}
			})
		}
		lists := map[string]string{
			"enterprise": `{l:enterprises(first:100){edges{node{id}}}}`,
			"problem":    `{l:problems(first:100){edges{node{id}}}}`,
			"visit":      `{l:visits(first:100){edges{node{id}}}}`,
			"spotCheck":  `{l:spotChecks(first:100){edges{node{id}}}}`,
		}
		for kind, q := range lists {
			t.Run(fmt.Sprintf("List/%s/%s", c.name, kind), func(t *testing.T) {
				res := s.post(c.token, q, nil)
				if forbidden(c.role, kind) {
					if res.code() != "FORBIDDEN" {
						t.Fatalf("code %q, want FORBIDDEN", res.code())
					}
					return
				}
				var out struct {
					L struct {
						Edges []struct{ Node struct{ ID string } }
					}
				}
				res.decode(t, &out)
				var got, want []string
				for _, e := range out.L.Edges {
					got = append(got, e.Node.ID)
				}
				for id, ent := range w.records[kind] {
					if c.all || c.ents[ent] {
						want = append(want, id)
					}
				}
				slices.Sort(got)
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Fatalf("listed %d %ss, rightful %d", len(got), kind, len(want))
				}
			})
		}
		t.Run("Nested/"+c.name, func(t *testing.T) {
			if c.role == "DASHBOARD" {
				return // its nested reach is TestDashboardTokens' subject
			}
			var out struct {
				Officials struct {
					Edges []struct {
						Node struct {
							Pairings []struct{ Enterprise struct{ ID string } }
							Visits   struct {
								Edges []struct {
									Node struct{ Enterprise struct{ ID string } }
								}
							}
						}
					}
				}
				Visits struct {
					Edges []struct {
						Node struct {
							Problems []struct{ Enterprise struct{ ID string } }
						}
					}
				}
			}
			s.post(c.token, `{officials(first:20){edges{node{pairings{enterprise{id}} visits(first:20){edges{node{enterprise{id}}}}}}}
				visits(first:20){edges{node{problems{enterprise{id}}}}}}`, nil).decode(t, &out)
			check := func(path, ent string) {
				if !c.all && !c.ents[ent] {
					t.Fatalf("leak through %s: enterprise %s", path, ent)
				}
			}
			for _, o := range out.Officials.Edges {
				for _, p := range o.Node.Pairings {
					check("official.pairings", p.Enterprise.ID)
				}
				for _, v := range o.Node.Visits.Edges {
					check("official.visits", v.Node.Enterprise.ID)
				}
			}
			for _, v := range out.Visits.Edges {
				for _, p := range v.Node.Problems {
					check("visit.problems", p.Enterprise.ID)
				}
			}
		})
		t.Run("Names/"+c.name, func(t *testing.T) { w.checkNames(t, s, c) })
		t.Run("Subscription/"+c.name, func(t *testing.T) {
			ws, err := s.dialWS("")
			if err != nil {
				t.Fatal(err)
			}
			if c.role == "DASHBOARD" {
				// A dashboard token without STATS_READ may not use any
				// subscription: refused at connection_init with 4403.
				ws.send(map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + c.token}})
				if m, err := ws.read(5 * time.Second); websocket.CloseStatus(err) != 4403 {
					t.Fatalf("dashboard init: %+v %v, want close 4403", m, err)
				}
				return
			}
			if m := ws.init(c.token); m.Type != "connection_ack" {
				t.Fatalf("init: %+v", m)
			}
			ws.subscribe("1", `subscription{tokenExpiresIn(everySeconds:10)}`)
			m, err := ws.read(5 * time.Second)
			if err != nil {
				t.Fatal(err)
			}
			var p struct {
				Data   map[string]any
				Errors []gqlError
			}
			_ = json.Unmarshal(m.Payload, &p)
			if m.Type != "next" || p.Data["tokenExpiresIn"] == nil {
				t.Fatalf("subscription: %s %s", m.Type, m.Payload)
			}
		})
	}
}

// checkNames reads every field that names a person (who reported a problem,
// who wrote each history entry, which leader made a spot check or a quiz) as
// caller c and checks it against the accounts: a login name reaches only
// admins, leaders and the account's owner; officials and enterprises see
// display names; a dashboard token sees no person at all, by id or by name.
// Ids in reportedBy and authorId mean what they mean in sync documents.
func (w *world) checkNames(t *testing.T, s *testServer, c caller) {
	var me struct{ Me struct{ Username string } }
	if c.role != "DASHBOARD" {
		s.post(c.token, `{me{username}}`, nil).decode(t, &me)
	}
	mayKnowLogin := func(a account) bool {
		return c.role == "ADMIN" || c.role == "LEADER" || a.Username == me.Me.Username
	}
	for _, q := range []string{
		`{l:problems(first:100){edges{node{reportedBy reporterName progressNotes{authorId authorName} history{authorId authorName}}}}}`,
		`{l:spotChecks(first:100){edges{node{leader}}}}`,
		`{l:quizzes(first:100){edges{node{leader}}}}`,
		// The sync copy of the same history: a phone stores what it pulls.
		`{l:pullProgressNotes(limit:1000,schemaVersion:1){documents{authorId authorName}}}`,
		`{l:syncConflicts(first:100){edges{node{userId username}}}}`,
	} {
		res := s.post(c.token, q, nil)
		if res.code() == "FORBIDDEN" {
			continue
		}
		raw := string(res.Data)
		for _, e := range res.Errors {
			raw += e.Message
		}
		for _, a := range w.accounts {
			if strings.Contains(raw, `"`+a.Username+`"`) && !mayKnowLogin(a) {
				t.Fatalf("%s: login name %q of a %s account reached a %s caller", q, a.Username, a.Role, c.role)
			}
			if c.role == "DASHBOARD" && (strings.Contains(raw, a.ID) || strings.Contains(raw, `"`+a.DisplayName+`"`)) {
				t.Fatalf("%s: account %s (%s) named to a dashboard token", q, a.Username, a.DisplayName)
			}
		}
	}

	var out struct {
		L struct {
			Edges []struct {
				Node struct {
					ReportedBy, ReporterName string
					ProgressNotes, History   []struct{ AuthorID, AuthorName string }
				}
			}
		}
	}
	s.post(c.token, `{l:problems(first:100){edges{node{reportedBy reporterName progressNotes{authorId authorName} history{authorId authorName}}}}}`, nil).decode(t, &out)
	others := 0
	check := func(what, id, name string) {
		if c.role == "DASHBOARD" {
			if id != "" || name != "" {
				t.Fatalf("%s = %q %q for a dashboard token, want both empty", what, id, name)
			}
			return
		}
		a, ok := w.accounts[id]
		if !ok {
			t.Fatalf("%s = %q: not an account id", what, id)
		}
		if name != a.DisplayName {
			t.Fatalf("%s of %s = %q, want the display name %q", what, a.Username, name, a.DisplayName)
		}
		if a.Username != me.Me.Username {
			others++
		}
	}
	for _, e := range out.L.Edges {
		n := e.Node
		check("reportedBy/reporterName", n.ReportedBy, n.ReporterName)
		for _, h := range append(n.ProgressNotes, n.History...) {
			check("authorId/authorName", h.AuthorID, h.AuthorName)
		}
	}
	if c.role != "DASHBOARD" && len(out.L.Edges) > 0 && others == 0 {
		t.Fatal("no record names another account: the check proves nothing")
	}
}
