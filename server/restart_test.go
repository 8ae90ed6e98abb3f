package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lianqi/lianqi/store/storetest"
)

// TestRevocationSurvivesRestart: signing keys persist, so a live token keeps
// working after a restart, while a logged-out one stays refused because the
// revocation set is reloaded from the database at start.
func TestRevocationSurvivesRestart(t *testing.T) {
	if os.Getenv("MONGODB_URI") != "" {
		t.Skip("restarts the embedded database in place")
	}
	cfg, err := ParseConfig([]string{"--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--log-level", "error"}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	cfg.DBName = storetest.DBName(t)
	start := func(n int) *testServer {
		m := &Main{Config: cfg}
		if err := m.Run(context.Background()); err != nil {
			m.Close()
			t.Fatalf("start %d: %v", n, err)
		}
		return &testServer{t: t, m: m, url: "http://" + m.Addr(), tokens: map[string]string{}}
	}
	s := start(1)
	kept := s.login("zhoushiyue")
	ended := s.login("moweiliang")
	if c := s.post(ended.AccessToken, `mutation{logout}`, nil).code(); c != "" {
		t.Fatalf("logout: %s", c)
	}
	if err := s.m.Close(); err != nil {
		t.Fatal(err)
	}

	s = start(2)
	t.Cleanup(func() { s.m.Close() })
	if c := s.post(kept.AccessToken, meQuery, nil).code(); c != "" {
		t.Fatalf("token from before the restart refused: %s", c)
	}
	if c := s.post(ended.AccessToken, meQuery, nil).code(); c != "UNAUTHENTICATED" {
		t.Fatalf("logged-out token accepted after restart: code %q", c)
	}
	if _, res := s.refresh(kept.RefreshToken); res.code() != "" {
		t.Fatalf("refresh after restart: %+v", res.Errors)
	}
}

// restartConfig is the configuration of a program that a test stops and
// starts again on one data directory: the embedded engine only (a restart
// reopens it in place), rate limits out of the way.
func restartConfig(t *testing.T) Config {
	t.Helper()
	if os.Getenv("MONGODB_URI") != "" {
		t.Skip("restarts the embedded database in place")
	}
	cfg, err := ParseConfig([]string{"--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--log-level", "error"}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	cfg.DBName = storetest.DBName(t)
	cfg.RateAPI, cfg.RateLogin = 1_000_000, 1_000_000
	return cfg
}

// restartable returns a function that starts the program on one data
// directory, again after each Close, and keeps the tokens across starts.
func restartable(t *testing.T, edit ...func(*Config)) func() *testServer {
	t.Helper()
	cfg := restartConfig(t)
	for _, e := range edit {
		e(&cfg)
	}
	tokens := map[string]string{}
	return func() *testServer {
		t.Helper()
		m := &Main{Config: cfg}
		if err := m.Run(context.Background()); err != nil {
			m.Close()
			t.Fatal(err)
		}
		return &testServer{t: t, m: m, url: "http://" + m.Addr(), tokens: tokens}
	}
}

const streamWithCheckpoint = `subscription($cp:SyncCheckpointInput){streamProblems(checkpoint:$cp,schemaVersion:1){documents{id title} checkpoint{cursor seq}}}`

type streamBatch struct {
	Data struct {
		StreamProblems struct {
			Documents []struct{ ID, Title string }
			// Checkpoint is sent back as is.
			Checkpoint map[string]any
		}
	}
}

// TestStreamResumesAfterGracefulRestart: a graceful stop closes a live
// stream's socket with 1012 and sends no "complete" (clients would take it as
// the end of the stream); after the restart on the same data directory the
// client resubscribes from its last checkpoint and gets the write made while
// it was away.
func TestStreamResumesAfterGracefulRestart(t *testing.T) {
	start := restartable(t)
	s := start()
	head := s.headCheckpoint("zhoushiyue", "Problems")
	c := s.openWS(t, "zhoushiyue")
	c.send(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": streamWithCheckpoint, "variables": map[string]any{"cp": head}}})
	var before struct{ ReportProblem struct{ ID string } }
	s.as("moweiliang", `mutation{reportProblem(input:{category:SAFETY,title:"重启前的问题"}){id}}`, nil).decode(t, &before)
	var b streamBatch
	for {
		m := c.nextOf(t)
		if m.Type != "next" || json.Unmarshal(m.Payload, &b) != nil {
			t.Fatalf("stream sent %s %s", m.Type, m.Payload)
		}
		if slices.ContainsFunc(b.Data.StreamProblems.Documents, func(d struct{ ID, Title string }) bool { return d.ID == before.ReportProblem.ID }) {
			break
		}
	}
	cp := b.Data.StreamProblems.Checkpoint

	closed := make(chan error, 1)
	go func() { closed <- s.m.Close() }()
	code, seen, reason := c.closed(t, 15*time.Second)
	if code != 1012 || slices.Contains(seen, "complete") {
		t.Fatalf("graceful stop: closed with %d %q after %v, want 1012 and no complete", code, reason, seen)
	}
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}

	s = start()
	t.Cleanup(func() { s.m.Close() })
	var during struct{ ReportProblem struct{ ID string } }
	s.as("moweiliang", `mutation{reportProblem(input:{category:SAFETY,title:"客户端重连前的问题"}){id}}`, nil).decode(t, &during)
	c = s.openWS(t, "zhoushiyue")
	c.send(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": streamWithCheckpoint, "variables": map[string]any{"cp": cp}}})
	m := c.nextOf(t)
	b = streamBatch{}
	if m.Type != "next" || json.Unmarshal(m.Payload, &b) != nil {
		t.Fatalf("resumed stream sent %s %s", m.Type, m.Payload)
	}
	var got []string
	for _, d := range b.Data.StreamProblems.Documents {
		got = append(got, d.ID)
	}
	if !slices.Contains(got, during.ReportProblem.ID) || slices.Contains(got, before.ReportProblem.ID) {
		t.Fatalf("resumed from the checkpoint: got %v, want %s and not %s", got, during.ReportProblem.ID, before.ReportProblem.ID)
	}
}

// TestMainProcess is not a test of its own: TestGracefulShutdown starts the
// test binary again with LIANQI_TEST_MAIN=1 to run the real main().
func TestMainProcess(t *testing.T) {
	if os.Getenv("LIANQI_TEST_MAIN") != "1" {
		t.Skip("the program's main, run by TestGracefulShutdown")
	}
	os.Args = append([]string{"lianqi"}, strings.Fields(os.Getenv("LIANQI_TEST_ARGS"))...)
	main()
}

// TestGracefulShutdown runs the real program and sends it SIGTERM while a
// request is still arriving, another never completes and a stream is open:
// the first gets its answer from the database, the second is cut after the
// shutdown timeout, the stream's socket closes with 1012 and no complete, the
// database closes last, nothing is logged at ERROR, it logs that it stopped,
// and it exits 0.
func TestGracefulShutdown(t *testing.T) {
	if os.Getenv("MONGODB_URI") != "" {
		t.Skip("runs the program on its embedded database")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestMainProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), "LIANQI_TEST_MAIN=1",
		"LIANQI_TEST_ARGS=--addr 127.0.0.1:0 --demo --shutdown-timeout 5s --rate-api 0 --rate-login 0 --data-dir "+t.TempDir())
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	var mu sync.Mutex
	var logs strings.Builder
	addr := make(chan string, 1)
	logged := make(chan struct{})
	go func() {
		defer close(logged)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			mu.Lock()
			logs.WriteString(line + "\n")
			mu.Unlock()
			if m := listeningRe.FindStringSubmatch(line); m != nil {
				addr <- m[1]
			}
		}
	}()
	var base string
	select {
	case a := <-addr:
		base = "http://" + a
	case <-time.After(2 * time.Minute):
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("the program did not start:\n%s", logs.String())
	}
	s := &testServer{t: t, url: base, tokens: map[string]string{}}
	c := s.openWS(t, "zhoushiyue")
	c.subscribe("1", `subscription{streamProblems(schemaVersion:1){checkpoint{seq}}}`)
	c.subscribe("2", `subscription{problemChanged{problemId}}`)

	// Two requests whose bodies arrive in parts: the server is running them
	// when it gets the signal.
	body := `{"query":"{problems(first:5){totalCount}}"}`
	slow := func() net.Conn {
		conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(conn, "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer %s\r\nContent-Length: %d\r\n\r\n%s",
			s.token("zhoushiyue"), len(body), body[:10])
		return conn
	}
	finishing, stalled := slow(), slow()
	_ = finishing.SetDeadline(time.Now().Add(time.Minute))
	defer stalled.Close()
	time.Sleep(200 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	wsClosed := make(chan string, 1)
	go func() {
		code, seen, reason, err := c.closeStatus(20 * time.Second)
		wsClosed <- fmt.Sprintf("%d %q %v %v", code, reason, seen, err)
	}()
	time.Sleep(300 * time.Millisecond)
	fmt.Fprint(finishing, body[10:])
	res, err := http.ReadResponse(bufio.NewReader(finishing), nil)
	if err != nil {
		t.Fatalf("the request running at the signal got no answer: %v", err)
	}
	var out gqlResponse
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != 200 || len(out.Errors) > 0 || !strings.Contains(string(out.Data), "totalCount") {
		t.Fatalf("the request running at the signal: status %d, %+v %v", res.StatusCode, out, err)
	}
	if got := <-wsClosed; got != `1012 "Service Restart" [] <nil>` {
		t.Fatalf("stream socket closed with %s, want 1012 without complete", got)
	}

	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(time.Minute):
		t.Fatal("still running a minute after SIGTERM")
	}
	<-logged
	mu.Lock()
	defer mu.Unlock()
	if err != nil {
		t.Fatalf("exit: %v\n%s", err, logs.String())
	}
	for _, want := range []string{"shutting down", "cancelling the requests still running", "stopped"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
	for line := range strings.Lines(logs.String()) {
		if strings.Contains(line, "level=ERROR") || strings.Contains(line, `"level":"ERROR"`) {
			t.Errorf("logged at ERROR during the shutdown: %s", line)
		}
	}
}

var listeningRe = regexp.MustCompile(`msg"?[=:]"?listening.*addr"?[=:]"?([0-9.]+:[0-9]+)`)
