package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"
)

// nodeHarness runs a Node test suite against a server the suite can restart.
// Clients talk to a TCP proxy whose address never changes, so that a restarted
// server (on a new port) is the same URL to them, and so that a "crash" can
// drop every connection without a close frame (the client sees 1006) while a
// graceful restart goes through Main.Close as SIGTERM does. The suite drives
// this through a control endpoint (LIANQI_CONTROL) that exists only in tests:
//
//	POST /restart?mode=graceful|crash&downMs=N  stop, wait N ms, start again
//	POST /token?user=U&ttlMs=N                   a fresh login's access token, cut to N ms
type nodeHarness struct {
	t     *testing.T
	cfg   Config
	proxy *tcpProxy

	mu  sync.Mutex
	srv *testServer
}

func startNodeHarness(t *testing.T) *nodeHarness {
	t.Helper()
	h := &nodeHarness{t: t, cfg: restartConfig(t)}
	h.proxy = newTCPProxy(t)
	h.start()
	t.Cleanup(func() {
		h.proxy.close()
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.srv != nil {
			h.srv.m.Close()
		}
	})
	return h
}

func (h *nodeHarness) start() {
	h.t.Helper()
	m := &Main{Config: h.cfg}
	if err := m.Run(context.Background()); err != nil {
		m.Close()
		h.t.Fatal(err)
	}
	h.mu.Lock()
	h.srv = &testServer{t: h.t, m: m, url: "http://" + m.Addr(), tokens: map[string]string{}}
	h.mu.Unlock()
	h.proxy.setTarget(m.Addr())
}

func (h *nodeHarness) server() *testServer {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.srv
}

// restart stops the server (gracefully, or by cutting every connection
// first), keeps it down for down, and starts it again on the same data.
func (h *nodeHarness) restart(mode string, down time.Duration) error {
	h.mu.Lock()
	old := h.srv
	h.srv = nil
	h.mu.Unlock()
	h.proxy.setTarget("")
	if mode == "crash" {
		h.proxy.cut()
	}
	if err := old.m.Close(); err != nil {
		return err
	}
	time.Sleep(down)
	m := &Main{Config: h.cfg}
	if err := m.Run(context.Background()); err != nil {
		m.Close()
		return err
	}
	h.mu.Lock()
	h.srv = &testServer{t: h.t, m: m, url: "http://" + m.Addr(), tokens: map[string]string{}}
	h.mu.Unlock()
	h.proxy.setTarget(m.Addr())
	return nil
}

func (h *nodeHarness) control() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /restart", func(w http.ResponseWriter, r *http.Request) {
		mode := r.URL.Query().Get("mode")
		if mode != "graceful" && mode != "crash" {
			http.Error(w, "mode is graceful or crash", http.StatusBadRequest)
			return
		}
		down, _ := strconv.Atoi(r.URL.Query().Get("downMs"))
		if err := h.restart(mode, time.Duration(down)*time.Millisecond); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		s := h.server()
		if s == nil {
			http.Error(w, "server is down", http.StatusServiceUnavailable)
			return
		}
		tok, err := shortToken(s, r.URL.Query().Get("user"), r.URL.Query().Get("ttlMs"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		json.NewEncoder(w).Encode(map[string]string{"accessToken": tok})
	})
	return mux
}

// shortToken logs user in (a session of its own, so revoking it touches no
// other test) and re-issues the access token with a short lifetime.
func shortToken(s *testServer, user, ttlMs string) (string, error) {
	body, _ := json.Marshal(map[string]any{"query": `mutation($u:String!,$p:String!){login(username:$u,password:$p){accessToken}}`,
		"variables": map[string]any{"u": user, "p": "demo1234"}})
	res, err := http.Post(s.url+"/graphql", "application/json", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	var out struct {
		Data struct{ Login struct{ AccessToken string } }
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		return "", err
	}
	tok := out.Data.Login.AccessToken
	ms, _ := strconv.Atoi(ttlMs)
	if ms <= 0 {
		return tok, nil
	}
	p, err := s.m.Service.Tokens.Verify(tok)
	if err != nil {
		return "", err
	}
	short, _, err := s.m.Service.Tokens.IssueUntil(*p, time.Now().Add(time.Duration(ms)*time.Millisecond))
	return short, err
}

// run starts node's test runner on files in dir with the harness's URLs in
// the environment and fails the test with its output if a test failed.
func (h *nodeHarness) run(node, dir string, env []string, files ...string) {
	h.t.Helper()
	ctl := httptest.NewServer(h.control())
	defer ctl.Close()
	args := []string{"--test", "--test-reporter=spec", "--test-concurrency=1"}
	if p := os.Getenv("LIANQI_TEST_PATTERN"); p != "" {
		// Runs only the Node tests whose name matches, while working on them.
		args = append(args, "--test-name-pattern="+p)
	}
	args = append(args, files...)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(),
		"LIANQI_URL=http://"+h.proxy.addr()+"/graphql",
		"LIANQI_CONTROL="+ctl.URL,
		"LIANQI_PASSWORD=demo1234"), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		h.t.Fatalf("node --test: %v\n%s", err, out)
	}
	h.t.Logf("%s", out)
}

// tcpProxy forwards 127.0.0.1 connections to the current server.
type tcpProxy struct {
	ln     net.Listener
	mu     sync.Mutex
	target string
	conns  map[net.Conn]struct{}
}

func newTCPProxy(t *testing.T) *tcpProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{ln: ln, conns: map[net.Conn]struct{}{}}
	go p.serve()
	return p
}

func (p *tcpProxy) addr() string { return p.ln.Addr().String() }

func (p *tcpProxy) setTarget(addr string) {
	p.mu.Lock()
	p.target = addr
	p.mu.Unlock()
}

func (p *tcpProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.handle(c)
	}
}

func (p *tcpProxy) track(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		p.conns[c] = struct{}{}
	}
}

func (p *tcpProxy) handle(c net.Conn) {
	p.mu.Lock()
	target := p.target
	p.mu.Unlock()
	var s net.Conn
	var err error
	if target != "" {
		s, err = net.DialTimeout("tcp", target, 2*time.Second)
	}
	if target == "" || err != nil {
		reset(c)
		return
	}
	p.track(c, s)
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		io.Copy(dst, src)
		done <- struct{}{}
	}
	go pipe(s, c)
	go pipe(c, s)
	<-done
	c.Close()
	s.Close()
	<-done
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, s)
	p.mu.Unlock()
}

// cut drops every connection with a reset, as a crashed server would.
func (p *tcpProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		reset(c)
	}
}

func (p *tcpProxy) close() {
	p.ln.Close()
	p.cut()
}

func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	c.Close()
}
