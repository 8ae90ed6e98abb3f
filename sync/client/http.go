package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	lqsync "github.com/lianqi/lianqi/sync"
)

// HTTP speaks the protocol as GraphQL over HTTP, as a phone does.
type HTTP struct {
	URL   string // the /graphql endpoint
	Token string
	// SchemaVersion is sent with every operation; zero means the client's own.
	SchemaVersion int
	Client        *http.Client
	// BytesReceived counts response bytes, for measuring the wire cost.
	BytesReceived int64
}

// fields lists each collection's document fields as GraphQL selects them.
var fields = map[string]string{
	lqsync.Problems: "id enterpriseId category title description status level responsibleDepartment coordinatingDepartments escalationMode tags " +
		"reportedBy reportedAt respondBy resolveBy respondedAt resolvedAt " +
		"letterTo letterSentAt letterReference meetingDate meetingDepartments meetingDecisions executiveDecision executiveAssignee executiveDeadline " +
		"version updatedAt hlc deleted",
	lqsync.ProgressNotes: "id problemId enterpriseId authorId authorName kind text at fromStatus toStatus version updatedAt hlc deleted",
	lqsync.Visits:        "id officialId enterpriseId date notes problemIds version updatedAt hlc deleted",
	lqsync.Enterprises:   "id name town park industry contactName contactPhone status version updatedAt hlc deleted",
	lqsync.Pairings:      "id enterpriseId leadOfficialId teamMemberIds startedAt endedAt endReason version updatedAt hlc deleted",
	lqsync.Officials:     "id name phone bureau title retiredAt version updatedAt hlc deleted",
}

var typeNames = map[string]string{
	lqsync.Problems: "Problem", lqsync.ProgressNotes: "ProgressNote", lqsync.Visits: "Visit",
	lqsync.Enterprises: "Enterprise", lqsync.Pairings: "Pairing", lqsync.Officials: "Official",
}

// GraphQLError is an error the server returned.
type GraphQLError struct {
	Message    string         `json:"message"`
	Extensions map[string]any `json:"extensions"`
}

func (e *GraphQLError) Error() string { return fmt.Sprintf("%s (%v)", e.Message, e.Extensions["code"]) }

// Code is the error's extensions.code.
func (e *GraphQLError) Code() string { c, _ := e.Extensions["code"].(string); return c }

func (h *HTTP) version() int {
	if h.SchemaVersion != 0 {
		return h.SchemaVersion
	}
	return lqsync.SchemaVersion
}

func (h *HTTP) do(ctx context.Context, query string, vars map[string]any, out any) error {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+h.Token)
	c := h.Client
	if c == nil {
		c = http.DefaultClient
	}
	res, err := c.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	var buf bytes.Buffer
	n, err := buf.ReadFrom(res.Body)
	h.BytesReceived += n
	if err != nil {
		return err
	}
	var r struct {
		Data   json.RawMessage `json:"data"`
		Errors []*GraphQLError `json:"errors"`
	}
	if err := json.Unmarshal(buf.Bytes(), &r); err != nil {
		return fmt.Errorf("status %d: %w", res.StatusCode, err)
	}
	if len(r.Errors) > 0 {
		return r.Errors[0]
	}
	return json.Unmarshal(r.Data, out)
}

func cap1(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

// Pull implements Transport.
func (h *HTTP) Pull(ctx context.Context, coll string, cp *lqsync.Checkpoint, limit int) (*PullResult, error) {
	f, ok := fields[coll]
	if !ok {
		return nil, fmt.Errorf("unknown collection %q", coll)
	}
	op := "pull" + cap1(coll)
	q := fmt.Sprintf(`query($cp:SyncCheckpointInput,$limit:Int,$v:Int!){r:%s(checkpoint:$cp,limit:$limit,schemaVersion:$v){documents{%s} checkpoint{cursor seq} resync}}`, op, f)
	vars := map[string]any{"limit": limit, "v": h.version()}
	if cp != nil {
		vars["cp"] = map[string]any{"cursor": cp.Cursor, "seq": cp.Seq}
	}
	var out struct {
		R struct {
			Documents  []json.RawMessage
			Checkpoint lqsync.Checkpoint
			Resync     bool
		}
	}
	if err := h.do(ctx, q, vars, &out); err != nil {
		return nil, err
	}
	return &PullResult{Documents: out.R.Documents, Checkpoint: out.R.Checkpoint, Resync: out.R.Resync}, nil
}

// Push implements Transport.
func (h *HTTP) Push(ctx context.Context, coll string, rows []Row, device string) (*PushResult, error) {
	t, ok := typeNames[coll]
	if !ok {
		return nil, fmt.Errorf("unknown collection %q", coll)
	}
	q := fmt.Sprintf(`mutation($rows:[%sPushRow!]!,$d:String,$v:Int!){r:push%s(rows:$rows,deviceId:$d,schemaVersion:$v){conflicts{%s} rejected{id mutationId code field message conflictIds}}}`,
		t, cap1(coll), fields[coll])
	in := make([]map[string]any, len(rows))
	for i, r := range rows {
		in[i] = map[string]any{"newDocumentState": inputDoc(r.New), "mutationId": r.MutationID}
		if len(r.Assumed) > 0 {
			in[i]["assumedMasterState"] = inputDoc(r.Assumed)
		}
	}
	var out struct {
		R struct {
			Conflicts []json.RawMessage
			Rejected  []lqsync.Rejection
		}
	}
	if err := h.do(ctx, q, map[string]any{"rows": in, "d": device, "v": h.version()}, &out); err != nil {
		return nil, err
	}
	return &PushResult{Conflicts: out.R.Conflicts, Rejected: out.R.Rejected}, nil
}

// inputDoc passes a stored document as a GraphQL input object: every field a
// pull selects exists in the collection's input type (which adds statusReason).
func inputDoc(raw json.RawMessage) map[string]any {
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return m
}

// Conflicts implements ConflictSource.
func (h *HTTP) Conflicts(ctx context.Context, documentID string) ([]Conflict, error) {
	q := `query($d:ID){r:syncConflicts(first:100,documentId:$d){edges{node{id collection documentId enterpriseId userId username deviceId field base client server result outcome reason at}}}}`
	vars := map[string]any{}
	if documentID != "" {
		vars["d"] = documentID
	}
	var out struct {
		R struct{ Edges []struct{ Node Conflict } }
	}
	if err := h.do(ctx, q, vars, &out); err != nil {
		return nil, err
	}
	cs := make([]Conflict, len(out.R.Edges))
	for i, e := range out.R.Edges {
		cs[i] = e.Node
	}
	return cs, nil
}
