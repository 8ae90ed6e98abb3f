package main

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/lianqi/lianqi/auth"
	"github.com/lianqi/lianqi/domain"
)

// subClient speaks graphql-transport-ws to the server, as a browser would.
type subClient struct {
	t    *testing.T
	conn *websocket.Conn
	msgs chan wsMessage
	done chan error // receives the read error when the connection ends
}

// subscribe opens a connection with token, subscribes to query and returns once
// the server acknowledged the connection.
func (s *testServer) subscribe(t *testing.T, token, query string, vars map[string]any) *subClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.url, "http")+"/graphql", &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	c := &subClient{t: t, conn: conn, msgs: make(chan wsMessage, 16), done: make(chan error, 1)}
	t.Cleanup(func() { conn.CloseNow() })
	go func() {
		for {
			_, b, err := conn.Read(context.Background())
			if err != nil {
				c.done <- err
				close(c.msgs)
				return
			}
			var m wsMessage
			if json.Unmarshal(b, &m) == nil {
				if m.Type == "ping" {
					_ = c.send(wsMessage{Type: "pong"})
					continue
				}
				c.msgs <- m
			}
		}
	}()
	init, _ := json.Marshal(map[string]string{"Authorization": "Bearer " + token})
	if err := c.send(wsMessage{Type: "connection_init", Payload: init}); err != nil {
		t.Fatal(err)
	}
	if m := c.next(5 * time.Second); m.Type != "connection_ack" {
		t.Fatalf("after connection_init: %+v", m)
	}
	payload, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err := c.send(wsMessage{ID: "1", Type: "subscribe", Payload: payload}); err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *subClient) send(m wsMessage) error {
	b, _ := json.Marshal(m)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return c.conn.Write(ctx, websocket.MessageText, b)
}

// next returns the next message, failing the test after wait.
func (c *subClient) next(wait time.Duration) wsMessage {
	c.t.Helper()
	select {
	case m, ok := <-c.msgs:
		if !ok {
			c.t.Fatalf("connection closed: %v", <-c.done)
		}
		return m
	case <-time.After(wait):
		c.t.Fatalf("no message within %v", wait)
	}
	return wsMessage{}
}

// data decodes the next "next" message's data into v.
func (c *subClient) data(v any) {
	c.t.Helper()
	m := c.next(10 * time.Second)
	var p gqlResponse
	if m.Type != "next" || json.Unmarshal(m.Payload, &p) != nil || len(p.Errors) > 0 {
		c.t.Fatalf("want data, got %s %s", m.Type, m.Payload)
	}
	if err := json.Unmarshal(p.Data, v); err != nil {
		c.t.Fatal(err)
	}
}

// watchers counts the goroutines following the change sequence for a subscriber.
func watchers() int {
	buf := make([]byte, 1<<22)
	buf = buf[:runtime.Stack(buf, true)]
	return strings.Count(string(buf), "service.(*watcher).run")
}

func waitForWatchers(t *testing.T, want int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for watchers() != want {
		if time.Now().After(deadline) {
			t.Fatalf("%d subscription goroutines, want %d", watchers(), want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type problemEvent struct {
	ProblemChanged struct {
		ProblemID string
		Deleted   bool
		Problem   *struct {
			Title, Status string
			Enterprise    struct{ Name string }
		}
	}
}

const problemChanged = `subscription{problemChanged{problemId deleted problem{title status enterprise{name}}}}`

// TestSubscriptions subscribes over a real WebSocket, changes data as other
// users and checks who hears what; closing the clients leaves no goroutine.
func TestSubscriptions(t *testing.T) {
	s := startServer(t)
	before := watchers()
	zhou := s.subscribe(t, s.token("zhoushiyue"), problemChanged, nil)
	zhu := s.subscribe(t, s.token("zhulijun"), problemChanged, nil)
	dash := s.subscribe(t, s.token("maojianguo"), `subscription{statsChanged{collected open}}`, nil)
	var st0 struct{ StatsChanged struct{ Collected, Open int } }
	dash.data(&st0)
	waitForWatchers(t, before+3)

	// 莫伟良 reports at 良盛元: 周世岳 hears it, 朱立军 does not.
	var rep struct{ ReportProblem struct{ ID string } }
	s.as("moweiliang", `mutation{reportProblem(input:{category:SAFETY,title:"厂区门口需要斑马线和限速标志"}){id}}`, nil).decode(t, &rep)
	var ev problemEvent
	zhou.data(&ev)
	if e := ev.ProblemChanged; e.ProblemID != rep.ReportProblem.ID || e.Deleted || e.Problem == nil || e.Problem.Status != "REPORTED" || e.Problem.Enterprise.Name != "浙江良盛元化工有限公司" {
		t.Fatalf("周世岳 got %+v", e)
	}
	var st1 struct{ StatsChanged struct{ Collected, Open int } }
	dash.data(&st1)
	if st1.StatsChanged.Collected != st0.StatsChanged.Collected+1 || st1.StatsChanged.Open != st0.StatsChanged.Open+1 {
		t.Fatalf("stats %+v after %+v", st1, st0)
	}

	// A change at 鼎泰 is the first thing 朱立军 hears: the 良盛元 report never reached him.
	var rep2 struct{ ReportProblem struct{ ID string } }
	s.as("zouyongliang", `mutation{reportProblem(input:{category:LABOUR,title:"招聘涂料工艺技术员"}){id}}`, nil).decode(t, &rep2)
	var ev2 problemEvent
	zhu.data(&ev2)
	if ev2.ProblemChanged.ProblemID != rep2.ReportProblem.ID {
		t.Fatalf("朱立军's first event is %+v, want the 鼎泰 problem", ev2.ProblemChanged)
	}

	// A workflow step and a deletion reach the subscriber too.
	s.as("zhoushiyue", `mutation($id:ID!){acknowledgeProblem(id:$id){id}}`, map[string]any{"id": rep.ReportProblem.ID}).decode(t, &struct{}{})
	zhou.data(&ev)
	if ev.ProblemChanged.Problem == nil || ev.ProblemChanged.Problem.Status != "ACKNOWLEDGED" {
		t.Fatalf("after acknowledging: %+v", ev.ProblemChanged)
	}
	s.as("admin", `mutation($id:ID!){deleteProblem(id:$id){id}}`, map[string]any{"id": rep.ReportProblem.ID}).decode(t, &struct{}{})
	zhou.data(&ev)
	if e := ev.ProblemChanged; e.ProblemID != rep.ReportProblem.ID || !e.Deleted || e.Problem != nil {
		t.Fatalf("deletion event = %+v", e)
	}

	// Clients that go away leave nothing running.
	zhou.conn.Close(websocket.StatusNormalClosure, "")
	zhu.conn.CloseNow()
	dash.conn.Close(websocket.StatusNormalClosure, "")
	waitForWatchers(t, before)
}

// TestSubscriptionClosesWhenTheTokenExpires uses a token that lives two
// seconds: the server closes the connection then, and its watcher ends.
func TestSubscriptionClosesWhenTheTokenExpires(t *testing.T) {
	secret := "subscription-test-secret-0123456789abcdef"
	s := startServer(t, func(c *Config) { c.JWTSecret = secret })
	short, err := auth.NewTokens(auth.Config{Secret: []byte(secret), AccessTTL: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var me struct {
		Me struct {
			ID       string
			Username string
			Official struct{ ID string }
		}
	}
	s.as("zhoushiyue", `{me{id username official{id}}}`, nil).decode(t, &me)
	tok, exp, err := short.Issue(domain.Principal{UserID: me.Me.ID, Username: me.Me.Username, Role: domain.RoleOfficial, OfficialID: me.Me.Official.ID})
	if err != nil {
		t.Fatal(err)
	}
	before := watchers()
	c := s.subscribe(t, tok, problemChanged, nil)
	select {
	case err := <-c.done:
		if time.Now().Before(exp.Add(-time.Second)) {
			t.Fatalf("closed before the token expired: %v", err)
		}
		// 4401 tells the client to refresh its token before reconnecting.
		if code := websocket.CloseStatus(err); code != 4401 {
			t.Errorf("closed with %d, want 4401: %v", code, err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("connection still open after the token expired")
	}
	waitForWatchers(t, before)

	// An invalid token is refused at connection_init.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.url, "http")+"/graphql", &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	conn.Write(ctx, websocket.MessageText, []byte(`{"type":"connection_init","payload":{"Authorization":"Bearer nonsense"}}`))
	for {
		_, b, err := conn.Read(ctx)
		if err != nil {
			if code := websocket.CloseStatus(err); code != 4401 {
				t.Fatalf("invalid token: %v, want close 4401", err)
			}
			break
		}
		if strings.Contains(string(b), "connection_ack") {
			t.Fatal("invalid token acknowledged")
		}
	}
}

// nextOf reads the next message that is not a ping.
func (c *wsClient) nextOf(t testing.TB) wsMessage {
	t.Helper()
	for {
		m, err := c.read(15 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if m.Type == "ping" {
			c.send(map[string]any{"type": "pong"})
			continue
		}
		return m
	}
}

func (s *testServer) openWS(t testing.TB, user string) *wsClient {
	t.Helper()
	c, err := s.dialWS("")
	if err != nil {
		t.Fatal(err)
	}
	if m := c.init(s.token(user)); m.Type != "connection_ack" {
		t.Fatalf("connection_init answered %+v", m)
	}
	return c
}

const statsSub = `subscription{statsChanged{collected}}`

// collected decodes a statsChanged "next" message.
func collected(t testing.TB, m wsMessage) int {
	t.Helper()
	var p struct {
		Data   struct{ StatsChanged struct{ Collected int } }
		Errors []gqlError
	}
	if m.Type != "next" || json.Unmarshal(m.Payload, &p) != nil || len(p.Errors) > 0 {
		t.Fatalf("want statsChanged data, got %s %s", m.Type, m.Payload)
	}
	return p.Data.StatsChanged.Collected
}

// TestSubscriptionCaps: a socket and a user hold a bounded number of live
// subscriptions; one over the cap gets an "error" message with code
// TOO_MANY_SUBSCRIPTIONS and the socket and its other subscriptions stay.
func TestSubscriptionCaps(t *testing.T) {
	s := startServer(t, func(c *Config) { c.MaxSubsPerSocket, c.MaxSubsPerUser = 3, 5 })
	refused := func(c *wsClient, id, why string) {
		t.Helper()
		c.subscribe(id, statsSub)
		m := c.nextOf(t)
		var errs []gqlError
		if m.Type != "error" || m.ID != id || json.Unmarshal(m.Payload, &errs) != nil || len(errs) != 1 ||
			errs[0].Extensions["code"] != "TOO_MANY_SUBSCRIPTIONS" || !strings.Contains(errs[0].Message, why) {
			t.Fatalf("subscription %s over the cap: got %s %s %s", id, m.Type, m.ID, m.Payload)
		}
	}
	accepted := func(c *wsClient, id string) {
		t.Helper()
		c.subscribe(id, statsSub)
		if m := c.nextOf(t); m.ID != id {
			t.Fatalf("subscription %s: got %s for %s", id, m.Type, m.ID)
		} else {
			collected(t, m)
		}
	}
	a := s.openWS(t, "zhoushiyue")
	for _, id := range []string{"1", "2", "3"} {
		accepted(a, id)
	}
	refused(a, "4", "connection")
	// Completing one frees its slot (the release runs when its context ends).
	a.send(map[string]any{"id": "1", "type": "complete"})
	if m := a.nextOf(t); m.Type != "complete" || m.ID != "1" {
		t.Fatalf("after completing 1: %s %s %s", m.ID, m.Type, m.Payload)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		a.subscribe("5", statsSub)
		m := a.nextOf(t)
		if m.Type == "next" && m.ID == "5" {
			break
		}
		if m.Type != "error" || m.ID != "5" {
			t.Fatalf("subscription 5: %s %s %s", m.ID, m.Type, m.Payload)
		}
		if time.Now().After(deadline) {
			t.Fatalf("slot not freed: %s %s %s", m.ID, m.Type, m.Payload)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The user's cap spans sockets: 3 on a, 2 more on b, then no more.
	b := s.openWS(t, "zhoushiyue")
	accepted(b, "1")
	accepted(b, "2")
	refused(b, "3", "user")
	// Others are not affected, and the refused socket still serves.
	accepted(s.openWS(t, "zhulijun"), "1")
	a.subscribe("9", `{__typename}`)
	if m := a.nextOf(t); m.Type != "next" || m.ID != "9" {
		t.Fatalf("socket after a refusal: %s %s %s", m.ID, m.Type, m.Payload)
	}
}

// TestStatsChangedSharedPerScope: many statsChanged subscribers of one scope
// cause one computation per change, and a change outside their scope none.
func TestStatsChangedSharedPerScope(t *testing.T) {
	s := startServer(t)
	const sockets, perSocket = 4, 5
	var subs []*wsClient
	var first int
	for range sockets {
		c := s.openWS(t, "zhoushiyue")
		for j := range perSocket {
			id := fmt.Sprint(j + 1)
			c.subscribe(id, statsSub)
			first = collected(t, c.nextOf(t))
			subs = append(subs, c)
		}
	}
	before := s.m.Service.StatsComputations()
	// A report outside 周世岳's scope (鼎泰), then one inside (良盛元).
	s.as("zouyongliang", `mutation{reportProblem(input:{category:LABOUR,title:"招聘涂料工艺技术员"}){id}}`, nil).decode(t, &struct{}{})
	s.as("moweiliang", `mutation{reportProblem(input:{category:SAFETY,title:"厂区门口需要斑马线和限速标志"}){id}}`, nil).decode(t, &struct{}{})
	for i, c := range subs {
		m := c.nextOf(t)
		if got := collected(t, m); got != first+1 {
			t.Fatalf("subscriber %d: collected %d, want %d", i, got, first+1)
		}
	}
	if n := s.m.Service.StatsComputations() - before; n != 1 {
		t.Fatalf("%d subscribers in one scope computed the statistics %d times for one change, want once", len(subs), n)
	}
}

// cpuTime is the CPU time this process (test and server alike) has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkStatsChangedSubscribers: 200 statsChanged subscriptions of one
// official (8 sockets of 25) and, per op, 5 reports of problems, inside the
// official's scope (each subscriber waits for the statistics to count them)
// or elsewhere (then 3 s for the watchers to look). Reports the CPU time of
// the whole process and the statistics computed, per op.
func BenchmarkStatsChangedSubscribers(b *testing.B) {
	for _, tc := range []struct{ name, reporter string }{{"Elsewhere", "zouyongliang"}, {"InScope", "moweiliang"}} {
		b.Run(tc.name, func(b *testing.B) {
			s := startServer(b, func(c *Config) { c.MaxSubsPerUser = 200 })
			type sub struct {
				c    *wsClient
				id   string
				last int
			}
			var subs []*sub
			for range 8 {
				c := s.openWS(b, "zhoushiyue")
				for j := range 25 {
					id := fmt.Sprint(j + 1)
					c.subscribe(id, statsSub)
				}
				for range 25 {
					m := c.nextOf(b)
					subs = append(subs, &sub{c: c, id: m.ID, last: collected(b, m)})
				}
			}
			byConn := map[*wsClient]map[string]*sub{}
			for _, x := range subs {
				if byConn[x.c] == nil {
					byConn[x.c] = map[string]*sub{}
				}
				byConn[x.c][x.id] = x
			}
			computed := s.m.Service.StatsComputations()
			want := subs[0].last
			b.ResetTimer()
			start := cpuTime()
			for range b.N {
				for range 5 {
					s.as(tc.reporter, `mutation{reportProblem(input:{category:OTHER,title:"基准测试"}){id}}`, nil).decode(b, &struct{}{})
				}
				if tc.reporter != "moweiliang" {
					time.Sleep(3 * time.Second)
					continue
				}
				want += 5
				for c, mine := range byConn {
					for done := 0; done < len(mine); {
						m := c.nextOf(b)
						x := mine[m.ID]
						if x.last = collected(b, m); x.last == want {
							done++
						}
					}
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(cpuTime()-start)/float64(b.N)/1e6, "cpu-ms/op")
			b.ReportMetric(float64(s.m.Service.StatsComputations()-computed)/float64(b.N), "stats/op")
		})
	}
}
