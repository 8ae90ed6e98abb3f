package sync_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/lianqi/lianqi/domain"
	"github.com/lianqi/lianqi/service"
	lqsync "github.com/lianqi/lianqi/sync"
	"github.com/lianqi/lianqi/sync/client"
)

// flaky loses the answer to some pushes after the server applied them, as a
// dropped connection in the mountains does; the client then retries with the
// same mutation ids.
type flaky struct {
	client.Transport
	lose func() bool
}

var errLost = errors.New("connection lost")

func (f *flaky) Push(ctx context.Context, coll string, rows []client.Row, device string) (*client.PushResult, error) {
	res, err := f.Transport.Push(ctx, coll, rows, device)
	if err == nil && f.lose() {
		return nil, errLost
	}
	return res, err
}

type device struct {
	name string
	user string
	c    *client.Client
}

// TestPropertyReplicasConverge runs devices that edit offline, go online at
// random, lose answers, and race with edits on the server. After everyone
// syncs, every replica equals the server within its scope, every accepted
// note and creation is on the server exactly once, and none is lost.
//
// CI runs a fixed seed and few checks; LIANQI_RAPID_CHECKS=200 (and
// LIANQI_RAPID_SEED) run more.
func TestPropertyReplicasConverge(t *testing.T) {
	checks, seed := os.Getenv("LIANQI_RAPID_CHECKS"), os.Getenv("LIANQI_RAPID_SEED")
	if checks == "" {
		checks = "6"
	}
	if seed == "" {
		seed = "20261125"
	}
	for name, val := range map[string]string{"rapid.checks": checks, "rapid.seed": seed} {
		if f := flag.Lookup(name); f != nil && !isSet(name) {
			_ = f.Value.Set(val)
		}
	}
	rapid.Check(t, func(rt *rapid.T) {
		v := newEnv(t)
		ctx := context.Background()
		leader := v.as(t, "maojianguo")
		ent := v.enterpriseOf(t, "moweiliang")
		var devices []*device
		for i, user := range []string{"zhoushiyue", "zhoushiyue", "moweiliang", "maojianguo"} {
			p := domain.PrincipalFrom(v.as(t, user))
			name := fmt.Sprintf("%s-%d", user, i)
			tr := &flaky{Transport: &client.EngineTransport{E: v.e, P: p}, lose: func() bool { return rapid.IntRange(0, 3).Draw(rt, "lose") == 0 }}
			c := client.New(tr, name)
			c.Limit = 7
			if _, err := c.Sync(ctx); err != nil {
				rt.Fatal(err)
			}
			devices = append(devices, &device{name: name, user: user, c: c})
		}
		notes := map[string]string{}      // note id → text, written on devices
		created := map[string]string{}    // problem id → title, created on devices
		rejected := map[string]bool{}     // documents the server refused
		serverWrites := map[string]bool{} // descriptions the leader wrote online
		counter := 0
		text := func(prefix string) string { counter++; return fmt.Sprintf("%s-%d", prefix, counter) }

		sync := func(d *device) {
			for attempt := 0; ; attempt++ {
				r, err := d.c.Sync(ctx)
				if r != nil {
					for _, rej := range r.Rejected {
						rejected[rej.ID] = true
					}
				}
				if err == nil {
					return
				}
				if !errors.Is(err, errLost) || attempt > 50 {
					rt.Fatal(err)
				}
			}
		}
		pick := func(d *device) (string, bool) {
			docs := d.c.Docs(lqsync.Problems)
			ids := make([]string, 0, len(docs))
			for id, doc := range docs {
				if doc["enterpriseId"] == ent {
					ids = append(ids, id)
				}
			}
			if len(ids) == 0 {
				return "", false
			}
			slices.Sort(ids)
			return rapid.SampledFrom(ids).Draw(rt, "problem"), true
		}

		steps := rapid.IntRange(10, 40).Draw(rt, "steps")
		for range steps {
			d := rapid.SampledFrom(devices).Draw(rt, "device")
			switch rapid.IntRange(0, 6).Draw(rt, "action") {
			case 0: // edit text offline
				if id, ok := pick(d); ok {
					desc := text("desc-" + d.name)
					d.c.Edit(lqsync.Problems, id, func(doc map[string]any) { doc["description"] = desc })
				}
			case 1: // add or remove a tag offline
				if id, ok := pick(d); ok {
					tag := rapid.SampledFrom([]string{"融资", "用工", "道路", "排污"}).Draw(rt, "tag")
					d.c.Edit(lqsync.Problems, id, func(doc map[string]any) {
						tags, _ := doc["tags"].([]any)
						if i := slices.Index(tags, any(tag)); i >= 0 {
							doc["tags"] = slices.Delete(tags, i, i+1)
						} else {
							doc["tags"] = append(tags, tag)
						}
					})
				}
			case 2: // write a progress note offline
				if id, ok := pick(d); ok {
					nid, body := client.NewID(), text("note-"+d.name)
					notes[nid] = body
					d.c.Edit(lqsync.ProgressNotes, nid, func(doc map[string]any) {
						doc["problemId"], doc["kind"], doc["text"] = id, "NOTE", body
					})
				}
			case 3: // report a problem offline
				pid, title := client.NewID(), text("problem-"+d.name)
				created[pid] = title
				d.c.Edit(lqsync.Problems, pid, func(doc map[string]any) {
					doc["enterpriseId"], doc["category"], doc["title"], doc["tags"] = ent, "OTHER", title, []string{}
				})
			case 4, 5: // come online
				sync(d)
			case 6: // an edit on the server meanwhile
				page, err := v.svc.Problems(leader, domain.ProblemFilter{EnterpriseID: ent}, "", domain.PageRequest{First: 100})
				if err != nil {
					rt.Fatal(err)
				}
				if len(page.Items) > 0 {
					p := rapid.SampledFrom(page.Items).Draw(rt, "server problem")
					desc := text("server")
					serverWrites[desc] = true
					if _, err := v.svc.UpdateProblem(leader, p.ID, nil, service.UpdateProblemInput{Description: &desc}); err != nil {
						rt.Fatal(err)
					}
				}
			}
		}

		// Everyone comes online until no edit is pending, then pulls once more.
		for round := 0; ; round++ {
			pending := 0
			for _, d := range devices {
				sync(d)
				pending += d.c.Pending()
			}
			if pending == 0 {
				break
			}
			if round > 10 {
				rt.Fatalf("outboxes never drained: %d pending", pending)
			}
		}
		for _, d := range devices {
			sync(d)
		}

		for _, d := range devices {
			truth := client.New(&client.EngineTransport{E: v.e, P: domain.PrincipalFrom(v.as(t, d.user))}, "truth")
			if _, err := truth.Sync(ctx); err != nil {
				rt.Fatal(err)
			}
			for _, coll := range client.Writable {
				want, got := truth.Docs(coll), d.c.Docs(coll)
				if len(want) != len(got) {
					rt.Fatalf("%s holds %d %s, the server %d", d.name, len(got), coll, len(want))
				}
				for id, w := range want {
					g, ok := got[id]
					if !ok || fmt.Sprint(g["version"]) != fmt.Sprint(w["version"]) || fmt.Sprint(g["description"]) != fmt.Sprint(w["description"]) ||
						fmt.Sprint(g["tags"]) != fmt.Sprint(w["tags"]) || fmt.Sprint(g["text"]) != fmt.Sprint(w["text"]) {
						rt.Fatalf("%s's %s %s = %v, server %v", d.name, coll, id, g, w)
					}
				}
			}
		}

		// Nothing accepted is lost, nothing is applied twice.
		all, err := v.svc.ProgressNotes(leader, nil)
		if err != nil {
			rt.Fatal(err)
		}
		count := map[string]int{}
		for _, n := range all {
			count[n.Text]++
		}
		for id, body := range notes {
			if rejected[id] {
				continue
			}
			if count[body] != 1 {
				rt.Fatalf("note %q stored %d times", body, count[body])
			}
		}
		for id, title := range created {
			if rejected[id] {
				continue
			}
			p, err := v.svc.Problem(leader, id)
			if err != nil || p.Title != title {
				rt.Fatalf("problem %s created offline: %v %v", id, p, err)
			}
		}
	})
}

func isSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
