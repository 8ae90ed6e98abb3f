package main

import (
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/lianqi/lianqi/clients/gomobile/lianqisync"
	"github.com/lianqi/lianqi/domain"
)

// mapKV stands for the platform database a Kotlin or Swift app implements.
type mapKV struct {
	mu   sync.Mutex
	m    map[string][]byte
	fail bool
}

func (k *mapKV) Get(key string) ([]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.fail {
		return nil, errors.New("disk full")
	}
	return k.m[key], nil
}

func (k *mapKV) Put(key string, v []byte) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.fail {
		return errors.New("disk full")
	}
	k.m[key] = append([]byte(nil), v...)
	return nil
}

func (k *mapKV) Delete(key string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.m, key)
	return nil
}

func (k *mapKV) Keys(prefix string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []string
	for key := range k.m {
		if strings.HasPrefix(key, prefix) {
			out = append(out, key)
		}
	}
	sort.Strings(out)
	return strings.Join(out, "\n"), nil
}

// TestGomobileReplica: the gomobile-bindable wrapper of the Go client syncs
// with the real server, keeps everything in the platform's key-value store (a
// new Replica over the same store is the app after a restart), and reports
// storage failures instead of losing them.
func TestGomobileReplica(t *testing.T) {
	s := startServer(t)
	kv := &mapKV{m: map[string][]byte{}}
	r := lianqisync.NewReplica(s.url+"/graphql", "zhou-android", kv)
	r.SetToken(s.token("zhoushiyue"))
	if _, err := r.Sync(); err != nil {
		t.Fatal(err)
	}
	ids, err := r.IDs("problems")
	if err != nil || ids == "" {
		t.Fatalf("no problems pulled: %q %v", ids, err)
	}
	for _, coll := range []string{"enterprises", "pairings", "officials", "progressNotes"} {
		if got, _ := r.IDs(coll); got == "" {
			t.Errorf("%s not pulled", coll)
		}
	}
	id := strings.Split(ids, "\n")[0]
	if err := r.Edit("problems", id, `{"description":"安卓离线补充"}`); err != nil {
		t.Fatal(err)
	}
	if r.Pending() != 1 {
		t.Fatalf("pending %d, want 1", r.Pending())
	}

	// The app restarts: a new Replica over the same database keeps the outbox.
	r = lianqisync.NewReplica(s.url+"/graphql", "zhou-android", kv)
	r.SetToken(s.token("zhoushiyue"))
	if r.Pending() != 1 {
		t.Fatalf("outbox lost across restart: pending %d", r.Pending())
	}
	rep, err := r.Sync()
	if err != nil || rep.Pushed != 1 || rep.RejectedJSON != "[]" {
		t.Fatalf("sync: %+v %v", rep, err)
	}
	var out struct{ Problem struct{ Description string } }
	s.as("maojianguo", `query($id: ID!) { problem(id: $id) { description } }`, map[string]any{"id": id}).decode(t, &out)
	if out.Problem.Description != "安卓离线补充" {
		t.Fatalf("server has %q", out.Problem.Description)
	}
	doc, err := r.Get("problems", id)
	var m map[string]any
	if err != nil || json.Unmarshal([]byte(doc), &m) != nil || m["description"] != "安卓离线补充" {
		t.Fatalf("local doc %s %v", doc, err)
	}

	// A refused row is reported with its code.
	if err := r.Edit("problems", id, `{"enterpriseId":"`+domain.NewID()+`"}`); err != nil {
		t.Fatal(err)
	}
	rep, err = r.Sync()
	if err != nil || !strings.Contains(rep.RejectedJSON, `"code":"BAD_USER_INPUT"`) {
		t.Fatalf("refused row: %+v %v", rep, err)
	}

	if err := r.Edit("problems", id, `not json`); err == nil {
		t.Fatal("a patch that is not a JSON object is refused")
	}
	// The platform database fails: the call says so.
	kv.fail = true
	if err := r.Edit("problems", id, `{"title":"x"}`); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("storage error not reported: %v", err)
	}
	if _, err := r.Sync(); err == nil {
		t.Fatal("sync over a failing store reported no error")
	}
}
