package sync_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

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

// written is one value a device set offline and has not pushed yet.
type written struct {
	coll, id, field, text string
}

// TestPropertyReplicasConverge runs devices that edit offline, go online at
// random (pushing the collections in a random order, so children often arrive
// before their parents), lose answers, and race with edits on the server and
// with scope changes (the enterprise re-paired to another official, or its
// pairing ended, while devices are offline). It checks after every sync that
// every value a device pushed is on the server or in a conflict record its
// author can read, and at the end that every replica equals the server within
// its scope (a document only a device holds must be explained by a REJECTED
// record), and that nothing accepted is lost or applied twice.
//
// CI runs a fixed seed and few checks; LIANQI_RAPID_CHECKS=200 (and
// LIANQI_RAPID_SEED) run more.
func TestPropertyReplicasConverge(t *testing.T) {
	checks, seed := os.Getenv("LIANQI_RAPID_CHECKS"), os.Getenv("LIANQI_RAPID_SEED")
	if checks == "" {
		checks = "3"
	}
	if seed == "" {
		seed = "20261130"
	}
	for name, val := range map[string]string{"rapid.checks": checks, "rapid.seed": seed} {
		if f := flag.Lookup(name); f != nil && !isSet(name) {
			_ = f.Value.Set(val)
		}
	}
	rapid.Check(t, func(rt *rapid.T) {
		v := newEnv(t)
		ctx := context.Background()
		leader, admin := v.as(t, "maojianguo"), v.as(t, "admin")
		ent := v.enterpriseOf(t, "moweiliang")
		zhouOfficial := domain.PrincipalFrom(v.as(t, "zhoushiyue")).OfficialID
		otherOfficial := domain.PrincipalFrom(v.as(t, "zhulijun")).OfficialID
		users := map[string]context.Context{}
		var devices []*device
		for i, user := range []string{"zhoushiyue", "zhoushiyue", "moweiliang", "maojianguo"} {
			users[user] = v.as(t, user)
			p := domain.PrincipalFrom(users[user])
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
		unsent := map[string][]written{}  // device → values set since its last sync
		serverWrites := map[string]bool{} // descriptions the leader wrote online
		counter := 0
		text := func(prefix string) string { counter++; return fmt.Sprintf("%s-%d", prefix, counter) }
		// set notes a value the device wrote; a later value of the same field
		// on the same device replaces it (the user overwrote their own edit).
		set := func(d *device, coll, id, field, value string) {
			ws := slices.DeleteFunc(unsent[d.name], func(w written) bool { return w.coll == coll && w.id == id && w.field == field })
			unsent[d.name] = append(ws, written{coll: coll, id: id, field: field, text: value})
		}

		// onServer reports whether the stored document holds the value.
		onServer := func(w written) bool {
			ch, err := v.db.FindChange(ctx, map[string]string{lqsync.Problems: "problems", lqsync.ProgressNotes: "progressNotes", lqsync.Visits: "visits"}[w.coll], w.id)
			if domain.ErrorCode(err) == domain.ENOTFOUND || err == nil && ch.Deleted {
				return false
			}
			if err != nil {
				rt.Fatal(err)
			}
			var got string
			switch w.coll {
			case lqsync.Problems:
				p, _ := ch.Problem()
				got = map[string]string{"title": p.Title, "description": p.Description}[w.field]
			case lqsync.ProgressNotes:
				n, _ := ch.ProgressNote()
				got = n.Text
			case lqsync.Visits:
				vi, _ := ch.Visit()
				got = vi.Notes
			}
			return got == w.text
		}
		// recorded returns the outcomes of the records user can read of id
		// that keep text as the device's value.
		recorded := func(user, id, text string) []domain.ConflictOutcome {
			page, err := v.e.Conflicts(users[user], &id, domain.PageRequest{First: 100})
			if err != nil {
				rt.Fatal(err)
			}
			var out []domain.ConflictOutcome
			for _, c := range page.Items {
				if text == "" || strings.Contains(c.Client, text) {
					out = append(out, c.Outcome)
				}
			}
			return out
		}

		sync := func(d *device) {
			order := rapid.Permutation(client.Writable).Draw(rt, "push order")
			for attempt := 0; ; attempt++ {
				_, err := d.c.Sync(ctx, order...)
				if err == nil {
					break
				}
				if !errors.Is(err, errLost) || attempt > 50 {
					rt.Fatal(err)
				}
			}
			// Every value pushed is on the server or kept in a record.
			for _, w := range unsent[d.name] {
				if !onServer(w) && len(recorded(d.user, w.id, w.text)) == 0 {
					rt.Fatalf("%s's %s %s %s = %q is neither on the server nor in a conflict record", d.name, w.coll, w.id, w.field, w.text)
				}
			}
			delete(unsent, d.name)
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
		pairedTo := func() string {
			ps, err := v.svc.Pairings(admin, domain.PairingFilter{EnterpriseID: ent, ActiveOnly: true})
			if err != nil {
				rt.Fatal(err)
			}
			if len(ps) == 0 {
				return ""
			}
			return ps[0].LeadOfficialID
		}
		repair := func(to string) {
			if _, err := v.svc.RepairEnterprise(admin, service.RepairEnterpriseInput{EnterpriseID: ent, LeadOfficialID: to}); err != nil {
				rt.Fatal(err)
			}
		}

		steps := rapid.IntRange(10, 24).Draw(rt, "steps")
		for range steps {
			d := rapid.SampledFrom(devices).Draw(rt, "device")
			switch rapid.IntRange(0, 11).Draw(rt, "action") {
			case 0: // edit text offline
				if id, ok := pick(d); ok {
					desc := text("desc-" + d.name)
					d.c.Edit(lqsync.Problems, id, func(doc map[string]any) { doc["description"] = desc })
					set(d, lqsync.Problems, id, "description", desc)
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
			case 2: // write a progress note offline (maybe on a problem created offline)
				if id, ok := pick(d); ok {
					nid, body := client.NewID(), text("note-"+d.name)
					notes[nid] = body
					d.c.Edit(lqsync.ProgressNotes, nid, func(doc map[string]any) {
						doc["problemId"], doc["kind"], doc["text"] = id, "NOTE", body
						if rapid.Bool().Draw(rt, "note names its enterprise") {
							doc["enterpriseId"] = ent
						}
					})
					set(d, lqsync.ProgressNotes, nid, "text", body)
				}
			case 3: // report a problem offline
				pid, title := client.NewID(), text("problem-"+d.name)
				created[pid] = title
				d.c.Edit(lqsync.Problems, pid, func(doc map[string]any) {
					doc["enterpriseId"], doc["category"], doc["title"], doc["tags"] = ent, "OTHER", title, []string{}
				})
				set(d, lqsync.Problems, pid, "title", title)
			case 4: // record a visit offline, linking a problem it can see
				vid, body := client.NewID(), text("visit-"+d.name)
				links := []string{}
				if id, ok := pick(d); ok {
					links = append(links, id)
				}
				d.c.Edit(lqsync.Visits, vid, func(doc map[string]any) {
					doc["enterpriseId"], doc["notes"], doc["problemIds"] = ent, body, links
					doc["date"] = time.Now().UTC().Add(-time.Hour).Truncate(time.Millisecond).Format(time.RFC3339Nano)
				})
				set(d, lqsync.Visits, vid, "notes", body)
			case 11: // edit a visit offline: new notes, and link a problem it can see
				vids := slices.Sorted(maps.Keys(d.c.Docs(lqsync.Visits)))
				if len(vids) == 0 {
					break
				}
				vid, body := rapid.SampledFrom(vids).Draw(rt, "visit"), text("visit-edit-"+d.name)
				pid, linked := pick(d)
				d.c.Edit(lqsync.Visits, vid, func(doc map[string]any) {
					doc["notes"] = body
					if ids, _ := doc["problemIds"].([]any); linked && !slices.Contains(ids, any(pid)) {
						doc["problemIds"] = append(ids, pid)
					}
				})
				set(d, lqsync.Visits, vid, "notes", body)
			case 5, 6, 7: // come online
				sync(d)
			case 8: // an edit on the server meanwhile
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
			case 9: // the enterprise is re-paired, to the other official or back
				if pairedTo() == zhouOfficial {
					repair(otherOfficial)
				} else {
					repair(zhouOfficial)
				}
			case 10: // its pairing ends: a stand-in chief takes it over and retires
				// (a pairing ends only with its fact: retirement, leaving, re-pairing)
				stand, err := v.svc.CreateOfficial(admin, service.CreateOfficialInput{Name: "代管局长"})
				if err != nil {
					rt.Fatal(err)
				}
				repair(stand.ID)
				if _, err := v.svc.RetireOfficial(admin, stand.ID, nil); err != nil {
					rt.Fatal(err)
				}
			}
		}
		// The programme ends as it began: the enterprise served by zhou.
		if pairedTo() != zhouOfficial {
			repair(zhouOfficial)
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

		refused := func(user, id string) bool { return slices.Contains(recorded(user, id, ""), domain.OutcomeRejected) }
		for _, d := range devices {
			truth := client.New(&client.EngineTransport{E: v.e, P: domain.PrincipalFrom(v.as(t, d.user))}, "truth")
			if _, err := truth.Sync(ctx); err != nil {
				rt.Fatal(err)
			}
			for _, coll := range client.Writable {
				want, got := truth.Docs(coll), d.c.Docs(coll)
				for id := range got {
					// Only a row the server refused after accepting it (held,
					// then its problem was refused) may linger on a device.
					if _, ok := want[id]; !ok && !refused(d.user, id) {
						rt.Fatalf("%s holds %s %s, which the server does not have and no record explains", d.name, coll, id)
					}
				}
				for id, w := range want {
					g, ok := got[id]
					if !ok || fmt.Sprint(g["version"]) != fmt.Sprint(w["version"]) || fmt.Sprint(g["description"]) != fmt.Sprint(w["description"]) ||
						fmt.Sprint(g["tags"]) != fmt.Sprint(w["tags"]) || fmt.Sprint(g["text"]) != fmt.Sprint(w["text"]) || fmt.Sprint(g["notes"]) != fmt.Sprint(w["notes"]) {
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
			if count[body] > 1 || count[body] == 0 && !refused("maojianguo", id) {
				rt.Fatalf("note %q stored %d times", body, count[body])
			}
		}
		for id, title := range created {
			p, err := v.svc.Problem(leader, id)
			if (err != nil || p.Title != title) && !refused("maojianguo", id) {
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
