package main

import (
	"context"
	"encoding/json"
	"net/http"
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
