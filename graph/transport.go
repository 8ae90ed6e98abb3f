package graph

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/lianqi/lianqi/domain"
)

// Codes of the errors a request meets before it becomes an operation. gqlgen's
// own GET and POST transports answer these with a message and no code (and
// echo a malformed body back whole), so the endpoint has its own transports:
// every answer carries extensions.code.
const (
	codeBadRequest       = "BAD_REQUEST"            // malformed JSON, query string, variables or extensions
	codePayloadTooLarge  = "PAYLOAD_TOO_LARGE"      // a body over the server's limit
	codeMethodNotAllowed = "METHOD_NOT_ALLOWED"     // a mutation over GET, or a method other than GET, POST, OPTIONS
	codeUnsupportedMedia = "UNSUPPORTED_MEDIA_TYPE" // a POST body that is not application/json
)

const (
	mediaJSON            = "application/json"
	mediaGraphQLResponse = "application/graphql-response+json"
)

// writeCoded answers a request that failed before any operation existed.
func writeCoded(w http.ResponseWriter, status int, code, format string, args ...any) {
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", mediaJSON)
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(&graphql.Response{Errors: gqlerror.List{{
		Message: fmt.Sprintf(format, args...), Extensions: map[string]any{"code": code},
	}}})
}

// responseType negotiates the response's media type as gqlgen does:
// application/json unless the client asks only for the GraphQL-over-HTTP
// media type, which also changes the status of request errors (see run).
func responseType(r *http.Request) string {
	accept := r.Header.Get("Accept")
	if accept == "" {
		return mediaJSON
	}
	for part := range strings.SplitSeq(accept, ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mt {
		case "*/*", "application/*", mediaJSON:
			return mediaJSON
		case mediaGraphQLResponse:
			return mediaGraphQLResponse
		}
	}
	return mediaGraphQLResponse
}

// run executes params and writes the response. GET may run queries only.
func run(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor, params *graphql.RawParams, queriesOnly bool) {
	ctx := r.Context()
	ct := responseType(r)
	w.Header().Set("Content-Type", ct)
	params.Headers = r.Header
	params.ReadTime.End = graphql.Now()
	opCtx, errs := exec.CreateOperationContext(ctx, params)
	if errs != nil {
		status := http.StatusOK
		if errcode.GetErrorKind(errs) == errcode.KindProtocol {
			// As gqlgen: parse and validation failures are 422, or 400 for
			// clients that speak application/graphql-response+json.
			status = http.StatusUnprocessableEntity
			if ct == mediaGraphQLResponse {
				status = http.StatusBadRequest
			}
		}
		w.WriteHeader(status)
		writeResponse(w, exec.DispatchError(graphql.WithOperationContext(ctx, opCtx), errs))
		return
	}
	if queriesOnly && opCtx.Operation.Operation != ast.Query {
		// GraphQL over HTTP: a mutation must not run on a safe method.
		w.Header().Set("Allow", "POST")
		writeCoded(w, http.StatusMethodNotAllowed, codeMethodNotAllowed, "GET runs queries only; send a %s with POST", opCtx.Operation.Operation)
		return
	}
	responses, ctx := exec.DispatchOperation(ctx, opCtx)
	writeResponse(w, responses(ctx))
}

func writeResponse(w io.Writer, resp *graphql.Response) {
	b, err := json.Marshal(resp)
	if err != nil {
		// Resolvers return marshalable values; if not, say so with a code.
		b, _ = json.Marshal(&graphql.Response{Errors: gqlerror.List{{Message: "internal error",
			Extensions: map[string]any{"code": Codes[domain.EINTERNAL]}}}})
	}
	_, _ = w.Write(b)
}

// decodeJSON decodes one JSON value, keeping numbers exact as gqlgen does.
func decodeJSON(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	return dec.Decode(v)
}

// getTransport runs queries sent as GET ?query=&variables=&extensions=
// (persisted queries send only the extensions).
type getTransport struct{}

func (getTransport) Supports(r *http.Request) bool {
	return r.Header.Get("Upgrade") == "" && r.Method == http.MethodGet
}

func (getTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	params := &graphql.RawParams{ReadTime: graphql.TraceTiming{Start: graphql.Now()}}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		writeCoded(w, http.StatusBadRequest, codeBadRequest, "malformed query string: %v", err)
		return
	}
	params.Query, params.OperationName = q.Get("query"), q.Get("operationName")
	for _, p := range []struct {
		name string
		into any
	}{{"variables", &params.Variables}, {"extensions", &params.Extensions}} {
		if v := q.Get(p.name); v != "" {
			if err := decodeJSON(strings.NewReader(v), p.into); err != nil {
				writeCoded(w, http.StatusBadRequest, codeBadRequest, "%s is not a JSON object: %v", p.name, err)
				return
			}
		}
	}
	run(w, r, exec, params, true)
}

// postTransport runs operations sent as a JSON body.
type postTransport struct{}

func (postTransport) Supports(r *http.Request) bool {
	if r.Header.Get("Upgrade") != "" || r.Method != http.MethodPost {
		return false
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == mediaJSON
}

func (postTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	params := &graphql.RawParams{ReadTime: graphql.TraceTiming{Start: graphql.Now()}}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		// A body without Content-Length is capped while it is read (see
		// server's limitBody); this is where it ends.
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			writeCoded(w, http.StatusRequestEntityTooLarge, codePayloadTooLarge, "request body larger than %d bytes", mbe.Limit)
			return
		}
		writeCoded(w, http.StatusBadRequest, codeBadRequest, "could not read the request body")
		return
	}
	// The body is not echoed: it can be large, and it may hold a password.
	if err := decodeJSON(bytes.NewReader(body), params); err != nil {
		writeCoded(w, http.StatusBadRequest, codeBadRequest, "request body is not a JSON object with query, variables, operationName and extensions: %v", err)
		return
	}
	run(w, r, exec, params, false)
}

// otherUpgrade comes first: gqlgen's WebSocket transport takes any Upgrade
// header and answers one that is not a WebSocket with a bare 426.
type otherUpgrade struct{}

func (otherUpgrade) Supports(r *http.Request) bool {
	u := r.Header.Get("Upgrade")
	return u != "" && !strings.Contains(strings.ToLower(u), "websocket")
}

func (otherUpgrade) Do(w http.ResponseWriter, r *http.Request, _ graphql.GraphExecutor) {
	writeCoded(w, http.StatusBadRequest, codeBadRequest, "unsupported upgrade %q: use a WebSocket with the graphql-transport-ws protocol", r.Header.Get("Upgrade"))
}

// refusedTransport comes last: whatever no other transport took is answered
// with a coded error instead of gqlgen's bare "transport not supported".
type refusedTransport struct{}

func (refusedTransport) Supports(*http.Request) bool { return true }

func (refusedTransport) Do(w http.ResponseWriter, r *http.Request, _ graphql.GraphExecutor) {
	switch {
	case r.Header.Get("Upgrade") != "":
		otherUpgrade{}.Do(w, r, nil)
	case r.Method == http.MethodPost:
		writeCoded(w, http.StatusUnsupportedMediaType, codeUnsupportedMedia, "POST bodies must be application/json, not %q", r.Header.Get("Content-Type"))
	default:
		w.Header().Set("Allow", "GET, POST, OPTIONS")
		writeCoded(w, http.StatusMethodNotAllowed, codeMethodNotAllowed, "method %s not allowed: use GET for queries, POST for any operation", r.Method)
	}
}
