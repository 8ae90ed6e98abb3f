package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
)

// wsClient speaks graphql-transport-ws to the real server.
type wsClient struct {
	t    testing.TB
	conn *websocket.Conn
}

type wsMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// dialWS opens a WebSocket to /graphql with an optional Origin header; it
// returns the dial error (a refused origin fails the handshake).
func (s *testServer) dialWS(origin string) (*wsClient, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	h := http.Header{}
	if origin != "" {
		h.Set("Origin", origin)
	}
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.url, "http")+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}, HTTPHeader: h})
	if err != nil {
		return nil, err
	}
	c := &wsClient{t: s.t, conn: conn}
	s.t.Cleanup(func() { conn.CloseNow() })
	return c, nil
}

func (c *wsClient) send(m any) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := wsjson.Write(ctx, c.conn, m); err != nil {
		c.t.Fatal(err)
	}
}

// read returns the next message, or an error when the connection closes or
// nothing arrives within d.
func (c *wsClient) read(d time.Duration) (wsMessage, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var m wsMessage
	err := wsjson.Read(ctx, c.conn, &m)
	return m, err
}

// init sends connection_init with the token and returns the server's answer.
func (c *wsClient) init(token string) wsMessage {
	c.t.Helper()
	c.send(map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + token}})
	m, err := c.read(5 * time.Second)
	if err != nil {
		return wsMessage{Type: "closed"}
	}
	return m
}

func (c *wsClient) subscribe(id, query string) {
	c.send(map[string]any{"id": id, "type": "subscribe", "payload": map[string]any{"query": query}})
}

// waitClosed reads until the connection ends, failing if it stays open for d.
func (c *wsClient) waitClosed(t testing.TB, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if _, err := c.read(time.Until(deadline)); err != nil {
			if strings.Contains(err.Error(), "deadline exceeded") {
				break
			}
			return
		}
	}
	t.Fatalf("connection still open after %s", d)
}

// closed reads until the server closes the connection and returns the close
// status, the types of the messages that came before it, and the reason.
func (c *wsClient) closed(t testing.TB, d time.Duration) (websocket.StatusCode, []string, string) {
	t.Helper()
	code, seen, reason, err := c.closeStatus(d)
	if err != nil {
		t.Fatal(err)
	}
	return code, seen, reason
}

// closeStatus is closed for other goroutines than the test's: it reports
// a connection that ends without a close frame as an error.
func (c *wsClient) closeStatus(d time.Duration) (websocket.StatusCode, []string, string, error) {
	var seen []string
	deadline := time.Now().Add(d)
	for {
		m, err := c.read(time.Until(deadline))
		if err != nil {
			code := websocket.CloseStatus(err)
			if code == -1 {
				return code, seen, "", fmt.Errorf("connection ended without a close frame (after %v): %w", seen, err)
			}
			var ce websocket.CloseError
			errors.As(err, &ce)
			return code, seen, ce.Reason, nil
		}
		if m.Type == "ping" {
			_ = wsjson.Write(context.Background(), c.conn, map[string]any{"type": "pong"})
			continue
		}
		seen = append(seen, m.Type)
	}
}

// TestWebSocketInit: connection_init accepts the payload shapes common clients
// send, and refuses with the graphql-transport-ws close codes and a reason,
// so that clients stop retrying a token that cannot work.
func TestWebSocketInit(t *testing.T) {
	s := startServer(t)
	good := s.token("zhoushiyue")
	revoked := s.login("moweiliang").AccessToken
	if c := s.post(revoked, `mutation{logout}`, nil).code(); c != "" {
		t.Fatalf("logout: %s", c)
	}
	statsOnly, _ := s.dashboardToken(t, []string{"STATS_READ"}, nil)
	problemsOnly, _ := s.dashboardToken(t, []string{"PROBLEMS_READ"}, nil)
	for _, tc := range []struct {
		name string
		msg  string // the first message, raw
		code websocket.StatusCode
		// reason is a part of the close reason the client must get.
		reason string
	}{
		{"Authorization", `{"type":"connection_init","payload":{"Authorization":"Bearer ` + good + `"}}`, 0, ""},
		{"LowerCase", `{"type":"connection_init","payload":{"authorization":"Bearer ` + good + `"}}`, 0, ""},
		{"RxDBHeaders", `{"type":"connection_init","payload":{"headers":{"Authorization":"Bearer ` + good + `"}}}`, 0, ""},
		{"HeadersLowerCase", `{"type":"connection_init","payload":{"headers":{"authorization":"Bearer ` + good + `"}}}`, 0, ""},
		{"Token", `{"type":"connection_init","payload":{"token":"` + good + `"}}`, 0, ""},
		{"TokenWithScheme", `{"type":"connection_init","payload":{"token":"Bearer ` + good + `"}}`, 0, ""},
		{"DashboardWithStats", `{"type":"connection_init","payload":{"Authorization":"Bearer ` + statsOnly + `"}}`, 0, ""},
		{"ErrNoPayload", `{"type":"connection_init"}`, 4401, "no access token"},
		{"ErrEmptyPayload", `{"type":"connection_init","payload":{}}`, 4401, "no access token"},
		{"ErrEmptyHeaders", `{"type":"connection_init","payload":{"headers":{}}}`, 4401, "no access token"},
		{"ErrBadToken", `{"type":"connection_init","payload":{"Authorization":"Bearer nonsense"}}`, 4401, "Unauthorized"},
		{"ErrBadScheme", `{"type":"connection_init","payload":{"Authorization":"Basic eDp5"}}`, 4401, "Bearer"},
		{"ErrRevoked", `{"type":"connection_init","payload":{"Authorization":"Bearer ` + revoked + `"}}`, 4401, "revoked"},
		{"ErrDashboardWithoutStats", `{"type":"connection_init","payload":{"Authorization":"Bearer ` + problemsOnly + `"}}`, 4403, "STATS_READ"},
		{"ErrPayloadString", `{"type":"connection_init","payload":"Bearer x"}`, 4400, "object"},
		{"ErrPayloadArray", `{"type":"connection_init","payload":[1]}`, 4400, "object"},
		{"ErrAuthorizationNumber", `{"type":"connection_init","payload":{"Authorization":42}}`, 4400, "string"},
		{"ErrHeadersString", `{"type":"connection_init","payload":{"headers":"x"}}`, 4400, "object"},
		{"ErrNotJSON", `connection_init please`, 4400, "JSON"},
		{"ErrSubscribeFirst", `{"id":"1","type":"subscribe","payload":{"query":"subscription{problemChanged{problemId}}"}}`, 4401, "connection_init"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := s.dialWS("")
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := c.conn.Write(ctx, websocket.MessageText, []byte(tc.msg)); err != nil {
				t.Fatal(err)
			}
			if tc.code == 0 {
				if m, err := c.read(5 * time.Second); err != nil || m.Type != "connection_ack" {
					t.Fatalf("want connection_ack, got %+v %v", m, err)
				}
				return
			}
			code, seen, reason := c.closed(t, 5*time.Second)
			if code != tc.code || !strings.Contains(reason, tc.reason) || len(seen) > 0 {
				t.Fatalf("closed with %d %q after %v, want %d with %q", code, reason, seen, tc.code, tc.reason)
			}
		})
	}
}

// TestWebSocketNotRateLimitedByAddress: a client retrying a bad token is told
// 4401 every time, never 429, however often it retries from one address; a
// good token is counted per user.
func TestWebSocketNotRateLimitedByAddress(t *testing.T) {
	s := startServer(t, func(c *Config) { c.RateAPI = 10 })
	for i := range 30 {
		c, err := s.dialWS("")
		if err != nil {
			t.Fatalf("attempt %d: handshake refused: %v", i, err)
		}
		c.send(map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer nonsense"}})
		if code, _, _ := c.closed(t, 5*time.Second); code != 4401 {
			t.Fatalf("attempt %d: closed with %d, want 4401", i, code)
		}
	}
	// The per-user budget (bursts of 10) applies to sockets of a signed-in user:
	// refused with 1013, which clients retry after a while.
	tok := s.token("zhoushiyue")
	var codes []websocket.StatusCode
	var open *wsClient
	for range 15 {
		c, err := s.dialWS("")
		if err != nil {
			t.Fatal(err)
		}
		c.send(map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + tok}})
		if m, err := c.read(5 * time.Second); err == nil && m.Type == "connection_ack" {
			open = c
			continue
		} else if err == nil {
			t.Fatalf("connection_init answered %+v", m)
		} else {
			codes = append(codes, websocket.CloseStatus(err))
		}
	}
	if len(codes) == 0 || slices.ContainsFunc(codes, func(c websocket.StatusCode) bool { return c != 1013 }) {
		t.Fatalf("sockets over the user's budget closed with %v, want some, all 1013", codes)
	}
	// A subscription is a request too: with the budget spent it is refused
	// with RATE_LIMITED and the socket stays.
	open.subscribe("1", `subscription{problemChanged{problemId}}`)
	m, err := open.read(5 * time.Second)
	var errs []gqlError
	if err != nil || m.Type != "error" || json.Unmarshal(m.Payload, &errs) != nil || len(errs) == 0 || errs[0].Extensions["code"] != "RATE_LIMITED" {
		t.Fatalf("subscription over the budget: %+v %v", m, err)
	}
}

// TestWebSocketClosesWhenSessionRevoked: logging out ends the session's open
// sockets with 4401, so the client signs in again rather than retrying.
func TestWebSocketClosesWhenSessionRevoked(t *testing.T) {
	s := startServer(t)
	l := s.login("zhoushiyue")
	c, err := s.dialWS("")
	if err != nil {
		t.Fatal(err)
	}
	if m := c.init(l.AccessToken); m.Type != "connection_ack" {
		t.Fatalf("connection_init answered %+v", m)
	}
	c.subscribe("1", `subscription{problemChanged{problemId}}`)
	if code := s.post(l.AccessToken, `mutation{logout}`, nil).code(); code != "" {
		t.Fatalf("logout: %s", code)
	}
	code, seen, reason := c.closed(t, 10*time.Second)
	if code != 4401 || !strings.Contains(reason, "revoked") || slices.Contains(seen, "complete") {
		t.Fatalf("after logout: closed with %d %q after %v, want 4401 revoked", code, reason, seen)
	}
}

// TestWebSocketsPerAddressAreCapped: sockets waiting for connection_init
// are charged to no user, so the number one address holds open is bounded;
// closing one makes room again.
func TestWebSocketsPerAddressAreCapped(t *testing.T) {
	s := startServer(t, func(c *Config) { c.MaxSocketsPerAddress = 3 })
	var open []*wsClient
	for i := range 3 {
		c, err := s.dialWS("")
		if err != nil {
			t.Fatalf("socket %d refused: %v", i, err)
		}
		open = append(open, c)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.url, "http")+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("a fourth socket from one address: %v %v, want 429", resp, err)
	}
	var body struct {
		Errors []gqlError `json:"errors"`
	}
	if json.NewDecoder(resp.Body).Decode(&body) != nil || len(body.Errors) == 0 || body.Errors[0].Extensions["code"] != "RATE_LIMITED" {
		t.Fatalf("refusal body: %+v", body)
	}
	// Ordinary requests from the address are not affected.
	if r := s.post("", `{__typename}`, nil); len(r.Errors) > 0 {
		t.Fatalf("a query beside the sockets: %+v", r.Errors)
	}
	open[0].conn.Close(websocket.StatusNormalClosure, "")
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := s.dialWS("")
		if err == nil {
			c.send(map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + s.token("zhoushiyue")}})
			if m, err := c.read(5 * time.Second); err != nil || m.Type != "connection_ack" {
				t.Fatalf("socket after one closed: %+v %v", m, err)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no room after a socket closed: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
