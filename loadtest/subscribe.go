package loadtest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
)

type wsMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// subscription is one problemChanged subscription over graphql-transport-ws.
type subscription struct {
	conn *websocket.Conn
}

// subscribe connects, authenticates and subscribes; it returns once the
// server has acknowledged the connection and taken the subscription.
func (e *env) subscribe(ctx context.Context, token string) (*subscription, error) {
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(dctx, "ws"+strings.TrimPrefix(e.cfg.URL, "http")+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}, HTTPClient: e.http})
	if err != nil {
		return nil, fmt.Errorf("dial: %w", err)
	}
	s := &subscription{conn: conn}
	if err := wsjson.Write(dctx, conn, map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + token}}); err != nil {
		conn.CloseNow()
		return nil, err
	}
	var ack wsMessage
	if err := wsjson.Read(dctx, conn, &ack); err != nil || ack.Type != "connection_ack" {
		conn.CloseNow()
		return nil, fmt.Errorf("connection_init: %s %s %v", ack.Type, ack.Payload, err)
	}
	if err := wsjson.Write(dctx, conn, map[string]any{"id": "1", "type": "subscribe",
		"payload": map[string]any{"query": `subscription{problemChanged{problemId seq}}`}}); err != nil {
		conn.CloseNow()
		return nil, err
	}
	return s, nil
}

// close ends the subscription and the connection as a client should.
func (s *subscription) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := wsjson.Write(ctx, s.conn, map[string]any{"id": "1", "type": "complete"}); err != nil {
		s.conn.CloseNow()
		return err
	}
	return s.conn.Close(websocket.StatusNormalClosure, "")
}

// subscribers are the subscriptions held open for a whole run.
type subscribers struct {
	wg     sync.WaitGroup
	events atomic.Int64
	errs   atomic.Int64
}

// openSubscribers opens cfg.Subscribers subscriptions, by turns as the
// leader, the official and the enterprise, and counts what they receive until
// ctx ends. A subscription that errs or ends before then counts as an error.
func openSubscribers(ctx context.Context, cfg Config, e *env) (*subscribers, error) {
	subs := &subscribers{}
	as := []string{leader, official, enterprise}
	for i := range cfg.Subscribers {
		s, err := e.subscribe(ctx, e.users[as[i%len(as)]])
		if err != nil {
			return nil, fmt.Errorf("loadtest: subscriber %d: %w", i, err)
		}
		subs.wg.Go(func() {
			defer s.conn.CloseNow()
			for {
				var m wsMessage
				err := wsjson.Read(ctx, s.conn, &m)
				if ctx.Err() != nil {
					_ = s.close()
					return
				}
				if err != nil || m.Type == "error" || m.Type == "complete" {
					subs.errs.Add(1)
					return
				}
				if m.Type == "next" {
					var p struct{ Errors []any }
					if json.Unmarshal(m.Payload, &p) != nil || len(p.Errors) > 0 {
						subs.errs.Add(1)
						return
					}
					subs.events.Add(1)
				}
			}
		})
	}
	return subs, nil
}

func (s *subscribers) wait() (int64, int) {
	s.wg.Wait()
	return s.events.Load(), int(s.errs.Load())
}
