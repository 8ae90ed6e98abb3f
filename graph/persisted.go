package graph

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/lianqi/lianqi/domain"
)

// Codes of persisted queries. PERSISTED_QUERY_NOT_FOUND, with the message
// "PersistedQueryNotFound", is what Apollo's persisted-query link (and urql's
// and graphql-request's) wait for to send the query with its hash.
const (
	codePersistedNotFound   = "PERSISTED_QUERY_NOT_FOUND"
	codePersistedNotAllowed = "PERSISTED_QUERY_NOT_ALLOWED"
	msgPersistedNotFound    = "PersistedQueryNotFound"
)

// DefaultAPQCacheBytes bounds the documents the automatic persisted query
// cache keeps (least recently used go first): at the default 32 KiB per
// document at least 256 of them, many times the operations the clients have.
const DefaultAPQCacheBytes = 8 << 20

// Manifest is an allow-list of operations in the format Apollo's
// generate-persisted-query-manifest writes.
type Manifest struct {
	byID   map[string]string // operation id (sent as sha256Hash) → body
	byHash map[string]bool   // sha256 of each body, for clients sending the body
}

// Len is the number of operations listed.
func (m *Manifest) Len() int { return len(m.byID) }

// LoadManifest reads an allow-list manifest:
// {"format":"apollo-persisted-query-manifest","version":1,
// "operations":[{"id","name","type","body"}]}. An empty path returns nil.
func LoadManifest(path string) (*Manifest, error) {
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseManifest(b)
}

// ParseManifest parses a manifest (see LoadManifest).
func ParseManifest(b []byte) (*Manifest, error) {
	var f struct {
		Format     string `json:"format"`
		Version    int    `json:"version"`
		Operations []struct {
			ID, Name, Type, Body string
		} `json:"operations"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("persisted query manifest: %w", err)
	}
	if f.Format != "apollo-persisted-query-manifest" || f.Version != 1 {
		return nil, fmt.Errorf("persisted query manifest: format %q version %d, want apollo-persisted-query-manifest version 1", f.Format, f.Version)
	}
	m := &Manifest{byID: map[string]string{}, byHash: map[string]bool{}}
	for i, op := range f.Operations {
		if op.ID == "" || op.Body == "" {
			return nil, fmt.Errorf("persisted query manifest: operation %d (%s) has no id or no body", i, op.Name)
		}
		if prev, ok := m.byID[op.ID]; ok && prev != op.Body {
			return nil, fmt.Errorf("persisted query manifest: id %s names two different operations", op.ID)
		}
		m.byID[op.ID] = op.Body
		m.byHash[sha256Hex(op.Body)] = true
	}
	return m, nil
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// persistedQueries implements the automatic persisted query protocol
// (extensions.persistedQuery {version: 1, sha256Hash}) over GET, POST and
// WebSocket, and, with an allow-list, runs only the operations it lists.
//
// Admins are not held to the allow-list: the playground is their tool for
// questions no client asks, and an admin can change anything anyway. Every
// other caller, signed in or not, runs only listed operations.
type persistedQueries struct {
	cache *queryCache
	allow *Manifest
	// maxQueryBytes: longer documents are refused by the limits anyway and
	// are not cached.
	maxQueryBytes int
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = persistedQueries{}

func (persistedQueries) ExtensionName() string                   { return "PersistedQueries" }
func (persistedQueries) Validate(graphql.ExecutableSchema) error { return nil }

func persistedError(code, format string, args ...any) *gqlerror.Error {
	return &gqlerror.Error{Message: fmt.Sprintf(format, args...), Extensions: map[string]any{"code": code}}
}

// hashOf reads extensions.persistedQuery; ok is false when there is none.
func hashOf(ext map[string]any) (hash string, ok bool, gerr *gqlerror.Error) {
	raw, ok := ext["persistedQuery"]
	if !ok || raw == nil {
		return "", false, nil
	}
	pq, isMap := raw.(map[string]any)
	hash, isString := pq["sha256Hash"].(string)
	if !isMap || !isString || hash == "" {
		return "", false, persistedError(codeBadRequest, "extensions.persistedQuery must be {version: 1, sha256Hash}")
	}
	if v := fmt.Sprint(pq["version"]); v != "1" {
		return "", false, persistedError(codeBadRequest, "persisted query version %s is not supported; use 1", v)
	}
	return hash, true, nil
}

func (p persistedQueries) MutateOperationParameters(ctx context.Context, rp *graphql.RawParams) *gqlerror.Error {
	hash, hashed, gerr := hashOf(rp.Extensions)
	if gerr != nil {
		return gerr
	}
	if p.allow != nil {
		if pr := domain.PrincipalFrom(ctx); pr == nil || pr.Role != domain.RoleAdmin {
			return p.allowed(rp, hash, hashed)
		}
	}
	if !hashed {
		return nil
	}
	if rp.Query == "" {
		q, ok := p.cache.get(hash)
		if !ok {
			return persistedError(codePersistedNotFound, msgPersistedNotFound)
		}
		rp.Query = q
		return nil
	}
	if sha256Hex(rp.Query) != hash {
		return persistedError(codeBadRequest, "persisted query hash does not match the query's SHA-256")
	}
	if len(rp.Query) <= p.maxQueryBytes {
		p.cache.add(hash, rp.Query)
	}
	return nil
}

// allowed lets through only the operations of the allow-list: by id (hash
// only, as Apollo's persisted query link sends them) or by body.
func (p persistedQueries) allowed(rp *graphql.RawParams, hash string, hashed bool) *gqlerror.Error {
	notAllowed := func() *gqlerror.Error {
		return persistedError(codePersistedNotAllowed, "this server runs only the operations of its persisted query list")
	}
	if hashed {
		body, ok := p.allow.byID[hash]
		switch {
		case rp.Query == "" && ok:
			rp.Query = body
			return nil
		case rp.Query == "":
			return notAllowed()
		case body != rp.Query && sha256Hex(rp.Query) != hash:
			return persistedError(codeBadRequest, "persisted query hash does not match the query")
		}
	}
	if !p.allow.byHash[sha256Hex(rp.Query)] {
		return notAllowed()
	}
	return nil
}

// queryCache is a least-recently-used map from hash to document bounded by
// the total size of its documents, so that clients registering documents
// cannot grow the server's memory.
type queryCache struct {
	mu        sync.Mutex
	max, size int
	order     *list.List // of *cached, most recent first
	byHash    map[string]*list.Element
}

type cached struct{ hash, query string }

func newQueryCache(maxBytes int) *queryCache {
	return &queryCache{max: maxBytes, order: list.New(), byHash: map[string]*list.Element{}}
}

func (c *queryCache) get(hash string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byHash[hash]
	if !ok {
		return "", false
	}
	c.order.MoveToFront(e)
	return e.Value.(*cached).query, true
}

func (c *queryCache) add(hash, query string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byHash[hash]; ok {
		c.order.MoveToFront(e)
		return
	}
	if len(query) > c.max {
		return
	}
	c.byHash[hash] = c.order.PushFront(&cached{hash, query})
	c.size += len(query)
	for c.size > c.max {
		e := c.order.Back()
		old := c.order.Remove(e).(*cached)
		delete(c.byHash, old.hash)
		c.size -= len(old.query)
	}
}
