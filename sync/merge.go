package sync

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"time"

	"github.com/lianqi/lianqi/domain"
)

// policy says how a field of a synced document is merged when a device pushes
// an edit made against an older base.
type policy int

const (
	// serverOwned fields are set by the server (deadlines, stamps); what a
	// device sends is ignored.
	serverOwned policy = iota
	// lww: last writer wins by hybrid logical clock, for free text and scalars.
	lww
	// setUnion: both sides' additions and removals are applied (tags, team
	// members, linked problems).
	setUnion
	// workflow fields change only through the domain's workflow steps (status,
	// level): a step the device took is replayed against the current state, and
	// a stale edit cannot undo a resolution or confirmation.
	workflow
	// immutable fields are fixed at creation; changing one rejects the row.
	immutable
)

// policies is the one table of merge rules, per collection and field (JSON
// names). Progress notes are append-only: every field is immutable, so a note
// is created once and never edited; visits are separate documents, so two
// devices' visits are never merged into one.
var policies = map[string]map[string]policy{
	Problems: {
		"title": lww, "description": lww, "category": lww, "responsibleDepartment": lww,
		"tags":   setUnion,
		"status": workflow, "level": workflow, "escalationMode": workflow, "coordinatingDepartments": workflow, "deleted": workflow,
		"enterpriseId": immutable,
		// The ladder's paper trail is the server's record of letters, meetings
		// and decisions, written by workflow steps on the server only.
		"letterTo": immutable, "letterSentAt": immutable, "letterReference": immutable,
		"meetingDate": immutable, "meetingDepartments": immutable, "meetingDecisions": immutable,
		"executiveDecision": immutable, "executiveAssignee": immutable, "executiveDeadline": immutable,
	},
	Visits: {
		"date": lww, "notes": lww,
		"problemIds":   setUnion,
		"deleted":      workflow,
		"enterpriseId": immutable, "officialId": immutable,
	},
	ProgressNotes: {
		"problemId": immutable, "text": immutable, "kind": immutable, "deleted": immutable,
	},
}

// fieldConflict is one field both sides changed, or a change that was refused.
type fieldConflict struct {
	Field                        string
	Base, Client, Server, Result any
	Outcome                      domain.ConflictOutcome
	Reason                       string
}

// merged is the outcome of a three-way merge.
type merged struct {
	doc       map[string]any
	conflicts []fieldConflict
	// steps lists the workflow fields the device changed: the caller replays them.
	steps []string
	// immutable names a fixed field the device tried to change.
	immutable string
}

// merge combines the device's edit (client, made on base) with the server's
// current document: fields only the device changed take its value, fields only
// the server changed keep the server's, and fields both changed follow policy.
// serverClock gives the clock of the edit behind the server's value of a field
// (its field clock, or the document's clock for documents stored before field
// clocks existed).
func merge(coll string, base, client, server map[string]any, clientHLC string, serverClock func(field string) string) merged {
	out := merged{doc: map[string]any{}}
	for k, v := range server {
		out.doc[k] = v
	}
	fields := make([]string, 0, len(policies[coll]))
	for f := range policies[coll] {
		fields = append(fields, f)
	}
	slices.Sort(fields)
	for _, f := range fields {
		b, c, s := base[f], client[f], server[f]
		if equal(c, b) {
			continue // the device did not touch it
		}
		switch pol := policies[coll][f]; pol {
		case immutable:
			if !equal(c, s) && out.immutable == "" {
				out.immutable = f
			}
		case workflow:
			out.steps = append(out.steps, f)
		case lww, setUnion:
			switch {
			case equal(s, b), equal(s, c):
				out.doc[f] = c
			case pol == setUnion:
				out.doc[f] = setMerge(b, c, s)
				out.conflicts = append(out.conflicts, fieldConflict{Field: f, Base: b, Client: c, Server: s, Result: out.doc[f], Outcome: domain.OutcomeMerged,
					Reason: "both changed the set: both sides' additions and removals kept"})
			case later(clientHLC, serverClock(f)):
				out.doc[f] = c
				out.conflicts = append(out.conflicts, fieldConflict{Field: f, Base: b, Client: c, Server: s, Result: c, Outcome: domain.OutcomeClientWon,
					Reason: fmt.Sprintf("both changed %s: the device's edit (hlc %s) is later than the edit behind the server's value (hlc %s), so the device's value was applied",
						f, clientHLC, serverClock(f))})
			default:
				out.conflicts = append(out.conflicts, fieldConflict{Field: f, Base: b, Client: c, Server: s, Result: s, Outcome: domain.OutcomeServerKept,
					Reason: fmt.Sprintf("both changed %s: the edit behind the server's value (hlc %s) is later than the device's edit (hlc %s), so the server's value was kept",
						f, serverClock(f), clientHLC)})
			}
		}
	}
	return out
}

// fieldClock returns the clock of the edit behind each field's stored value:
// its field clock, or, for a document stored before field clocks existed (or
// a field never edited since), the document's own clock, its last write.
func fieldClock(clocks map[string]string, m domain.Meta) func(string) string {
	return func(f string) string {
		if c, ok := clocks[f]; ok {
			return c
		}
		return ServerHLC(m.UpdatedAt)
	}
}

// MaxClockSkew is how far ahead of the server's clock a device's hlc may be.
// A later one (a phone whose date is wrong) counts as the server's now: it
// still beats every earlier edit, but cannot win every conflict to come and,
// observed by other devices through pulls, drag their clocks into the future.
const MaxClockSkew = time.Minute

// deviceClock is the clock of a device's edit as the merge compares and the
// field clocks record it: its hlc, clamped to the server's now plus
// MaxClockSkew, or "" if it sent none or garbage (it then loses every
// conflict, and the fields it writes get the server's clock).
func deviceClock(hlc string, now time.Time) string {
	ms, _, ok := ParseHLC(hlc)
	switch {
	case !ok:
		return ""
	case ms > now.Add(MaxClockSkew).UnixMilli():
		return ServerHLC(now)
	}
	return hlc
}

// setMerge applies the device's additions and removals (relative to base) to
// the server's set, keeping the server's order and appending new members.
// Membership is looked up in sets, not by scanning lists: the device sends
// the lists, and a scan per member made a row of 8,000 tags cost 19 s.
func setMerge(base, client, server any) []any {
	b, c, s := members(list(base)), members(list(client)), list(server)
	out, in := []any{}, map[string]bool{}
	for _, v := range s {
		k := memberKey(v)
		if b[k] && !c[k] {
			continue // removed on the device
		}
		out, in[k] = append(out, v), true
	}
	for _, v := range list(client) {
		if k := memberKey(v); !b[k] && !in[k] {
			out, in[k] = append(out, v), true
		}
	}
	return out
}

func members(l []any) map[string]bool {
	m := make(map[string]bool, len(l))
	for _, v := range l {
		m[memberKey(v)] = true
	}
	return m
}

// memberKey identifies a JSON value: equal values (as equal compares
// members) get equal keys.
func memberKey(v any) string {
	if s, ok := v.(string); ok {
		return "s" + s
	}
	return "j" + jsonString(v)
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

// equal compares JSON values; a missing list equals an empty one.
func equal(a, b any) bool {
	if la, ok := a.([]any); ok && len(la) == 0 && b == nil {
		return true
	}
	if lb, ok := b.([]any); ok && len(lb) == 0 && a == nil {
		return true
	}
	return reflect.DeepEqual(a, b)
}

// toMap gives a document's JSON form for merging.
func toMap(v any) map[string]any {
	b, _ := json.Marshal(v)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return m
}

// fromMap reads a merged JSON form back into a document.
func fromMap[D any](m map[string]any) *D {
	b, _ := json.Marshal(m)
	var d D
	_ = json.Unmarshal(b, &d)
	return &d
}

// sameAsSent reports whether the stored document holds every field the device
// may set with the value it sent: the row was accepted as sent.
func sameAsSent(coll string, sent, stored map[string]any) bool {
	for f, pol := range policies[coll] {
		if pol != serverOwned && !equal(sent[f], stored[f]) {
			return false
		}
	}
	return true
}

func jsonString(v any) string {
	if v == nil {
		return "null"
	}
	b, _ := json.Marshal(v)
	return string(b)
}
