package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"time"

	lqsync "github.com/lianqi/lianqi/sync"
	"github.com/lianqi/lianqi/sync/client"
)

// The demo accounts the load acts as: a county leader (reads everything), a
// paired official (works problems, syncs offline) and an enterprise.
const (
	leader     = "maojianguo"
	official   = "zhoushiyue"
	enterprise = "moweiliang"
)

// mix is the fixed share of each operation, in parts of 100: mostly reads, as
// on a working day, with writes, offline sync and subscribers coming and going.
var mix = []op{
	{"read: problem list (leader)", 20, func(ctx context.Context, w *worker) error {
		return w.env.gql(ctx, leader, `{problems(first:20,orderBy:UPDATED_AT_DESC){totalCount edges{node{id title status level reporterName overdue enterprise{name}}}}}`, nil, nil)
	}},
	{"read: problem with history (official)", 20, func(ctx context.Context, w *worker) error {
		return w.env.gql(ctx, official, `query($id:ID!){problem(id:$id){id title status level enterprise{name} history{kind authorName text at}}}`,
			map[string]any{"id": w.pick(w.env.officialProblems)}, nil)
	}},
	{"read: own enterprise (enterprise)", 10, func(ctx context.Context, w *worker) error {
		return w.env.gql(ctx, enterprise, `{me{enterprise{id name problems(first:10){totalCount edges{node{id title status}}}}}}`, nil, nil)
	}},
	{"read: statistics (leader)", 5, func(ctx context.Context, w *worker) error {
		return w.env.gql(ctx, leader, `{problemStats{collected}}`, nil, nil)
	}},
	{"write: progress note (official)", 10, func(ctx context.Context, w *worker) error {
		return w.env.gql(ctx, official, `mutation($p:ID!,$t:String!){addProgressNote(problemId:$p,text:$t){id}}`,
			map[string]any{"p": w.pick(w.env.officialProblems), "t": fmt.Sprintf("负载测试进展 %d-%d", w.id, w.n)}, nil)
	}},
	{"write: report problem (enterprise)", 5, func(ctx context.Context, w *worker) error {
		return w.env.gql(ctx, enterprise, `mutation($t:String!){reportProblem(input:{category:OTHER,title:$t,description:"负载测试报告的问题"}){id}}`,
			map[string]any{"t": fmt.Sprintf("负载测试问题 %d-%d", w.id, w.n)}, nil)
	}},
	{"sync: pull problems (official)", 15, func(ctx context.Context, w *worker) error {
		return w.replica.c.Pull(ctx, lqsync.Problems)
	}},
	{"sync: push a problem edit (official)", 10, func(ctx context.Context, w *worker) error {
		return w.replica.push(ctx, w)
	}},
	{"subscribe: connect, subscribe, close", 5, func(ctx context.Context, w *worker) error {
		s, err := w.env.subscribe(ctx, w.env.users[leader])
		if err != nil {
			return err
		}
		return s.close()
	}},
}

// env is what the workers share: the server, a signed-in token per account,
// and the problems the official may work on.
type env struct {
	cfg              Config
	http             *http.Client
	users            map[string]string // username → access token
	officialProblems []string
	// seed is the official's replica after a first full pull; each worker's
	// replica starts from its checkpoint.
	seed       *client.Client
	openShared []string // open problems the official's replicas edit
}

func prepare(ctx context.Context, cfg Config, h *http.Client) (*env, error) {
	e := &env{cfg: cfg, http: h, users: map[string]string{}}
	for _, u := range []string{leader, official, enterprise} {
		var out struct{ Login struct{ AccessToken string } }
		if err := e.post(ctx, "", `mutation($u:String!,$p:String!){login(username:$u,password:$p){accessToken}}`,
			map[string]any{"u": u, "p": cfg.Password}, &out); err != nil {
			return nil, fmt.Errorf("loadtest: sign in as %s: %w", u, err)
		}
		e.users[u] = out.Login.AccessToken
	}
	e.seed = e.newReplica("seed").c
	e.seed.Limit = 1000
	if err := e.seed.Pull(ctx, lqsync.Problems); err != nil {
		return nil, fmt.Errorf("loadtest: first pull: %w", err)
	}
	for id, doc := range e.seed.Docs(lqsync.Problems) {
		e.officialProblems = append(e.officialProblems, id)
		switch doc["status"] {
		case "REPORTED", "ACKNOWLEDGED", "IN_PROGRESS":
			e.openShared = append(e.openShared, id)
		}
	}
	if len(e.officialProblems) == 0 || len(e.openShared) == 0 {
		return nil, errors.New("loadtest: the official has no open problems to work on")
	}
	return e, nil
}

// worker gives worker i its random sequence and a replica that starts where
// the seed replica's first pull ended, holding its own share of open problems
// (so that its pushes mostly edit problems no other worker pushes).
func (e *env) worker(ctx context.Context, i int, seed uint64) (*worker, error) {
	r := e.newReplica(fmt.Sprintf("load-%d", i))
	r.c.S.SetCheckpoint(lqsync.Problems, e.seed.S.Checkpoint(lqsync.Problems))
	for j, id := range e.openShared {
		if j%e.cfg.Workers != i%e.cfg.Workers && len(e.openShared) >= e.cfg.Workers {
			continue
		}
		doc, _ := e.seed.S.Get(client.Master, lqsync.Problems, id)
		r.c.S.Put(client.Master, lqsync.Problems, id, doc)
		r.c.S.Put(client.Local, lqsync.Problems, id, doc)
		r.mine = append(r.mine, id)
	}
	return &worker{id: i, env: e, rnd: rand.New(rand.NewPCG(seed, uint64(i))), replica: r}, nil
}

func (w *worker) pick(ids []string) string { return ids[w.rnd.IntN(len(ids))] }

// replica is one device of the official's.
type replica struct {
	c    *client.Client
	mine []string
}

func (e *env) newReplica(device string) *replica {
	tr := &client.HTTP{URL: e.cfg.URL + "/graphql", Token: e.users[official], Client: e.http}
	return &replica{c: client.New(tr, device)}
}

// push edits one of the replica's problems offline and pushes it. A conflict
// (another worker or a note changed the problem since) is the protocol's
// normal answer; a refused row is an error.
func (r *replica) push(ctx context.Context, w *worker) error {
	id := w.pick(r.mine)
	r.c.Edit(lqsync.Problems, id, func(doc map[string]any) {
		doc["description"] = fmt.Sprintf("离线编辑 %d-%d %s", w.id, w.n, time.Now().Format(time.RFC3339Nano))
	})
	rep := &client.Report{}
	if err := r.c.Push(ctx, lqsync.Problems, rep); err != nil {
		return err
	}
	w.conflicts.Add(int64(rep.Conflicts))
	if len(rep.Rejected) > 0 {
		j := rep.Rejected[0]
		return fmt.Errorf("push refused: %s %s", j.Code, j.Message)
	}
	return nil
}

// gql sends one GraphQL request as user; any GraphQL error is an error.
func (e *env) gql(ctx context.Context, user, query string, vars map[string]any, out any) error {
	return e.post(ctx, e.users[user], query, vars, out)
}

func (e *env) post(ctx context.Context, token, query string, vars map[string]any, out any) error {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.cfg.URL+"/graphql", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := e.http.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d: %.200s", res.StatusCode, b)
	}
	var r struct {
		Data   json.RawMessage
		Errors []struct {
			Message    string
			Extensions map[string]any
		}
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return fmt.Errorf("decode answer: %w", err)
	}
	if len(r.Errors) > 0 {
		return fmt.Errorf("%v: %s", r.Errors[0].Extensions["code"], r.Errors[0].Message)
	}
	if out != nil {
		return json.Unmarshal(r.Data, out)
	}
	return nil
}
