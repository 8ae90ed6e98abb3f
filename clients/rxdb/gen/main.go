// Command gen writes the RxDB package's collection schemas and types from the
// GraphQL schema (graph/schema/*.graphqls), so that the JavaScript client can
// never drift from what the server pulls, pushes and streams. Run it with
// `go generate ./clients/rxdb/...`; CI regenerates and fails on a difference.
//
// A collection is every Query field pull<Name> returning a batch of documents;
// its push mutation (push<Name>) and subscription (stream<Name>) are found by
// name. The RxDB JSON schema is the document type's fields, minus `deleted`
// (RxDB keeps deletion in `_deleted`; the replication maps it), plus the
// push-only input fields (such as statusReason) as optional local fields.
//
// RxDB refuses to open stored data whose schema changed under the same
// version, so each collection's schema hash is kept in history.json, in
// order; a schema that differs from the last entry appends one, and the
// schema's version is its index there (a reverted schema gets a new version
// too: RxDB versions only go up).
package main

//go:generate go run . -schema ../../../graph/schema -out ../src -history history.json

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	lqsync "github.com/lianqi/lianqi/sync"
)

func main() {
	schemaDir := flag.String("schema", "graph/schema", "folder of the GraphQL schema files")
	out := flag.String("out", "clients/rxdb/src", "folder to write generated.js and generated.d.ts to")
	historyFile := flag.String("history", "clients/rxdb/gen/history.json", "the schema history of every collection (read and updated)")
	flag.Parse()
	schema, err := load(*schemaDir)
	if err != nil {
		log.Fatal(err)
	}
	colls, err := collections(schema)
	if err != nil {
		log.Fatal(err)
	}
	hist, err := readHistory(*historyFile)
	if err != nil {
		log.Fatal(err)
	}
	hist, versions := versionsOf(schema, colls, hist)
	js, dts := render(schema, colls, versions)
	files := map[string][]byte{
		filepath.Join(*out, "generated.js"):   js,
		filepath.Join(*out, "generated.d.ts"): dts,
		*historyFile:                          []byte(mustJSON(hist) + "\n"),
	}
	for name, b := range files {
		if err := os.WriteFile(name, b, 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

// history is, per collection, the hash of each RxDB schema version in order.
type history map[string][]string

func readHistory(path string) (history, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return history{}, nil
	}
	if err != nil {
		return nil, err
	}
	h := history{}
	if err := json.Unmarshal(b, &h); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return h, nil
}

// schemaHash identifies an RxDB schema apart from its version: the SHA-256 of
// its stable JSON (descriptions included: RxDB's own hash covers them too).
func schemaHash(schema map[string]any) string {
	c := make(map[string]any, len(schema))
	for k, v := range schema {
		if k != "version" {
			c[k] = v
		}
	}
	sum := sha256.Sum256([]byte(mustJSON(c)))
	return hex.EncodeToString(sum[:8])
}

// versionsOf returns the history with every changed schema appended (a new
// history; h is not modified) and each collection's version in it.
func versionsOf(s *ast.Schema, colls []*collection, h history) (history, map[string]int) {
	out := history{}
	for k, v := range h {
		out[k] = slices.Clone(v)
	}
	versions := map[string]int{}
	for _, c := range colls {
		sum := schemaHash(rxSchema(s, c))
		hs := out[c.Name]
		if len(hs) == 0 || hs[len(hs)-1] != sum {
			hs = append(hs, sum)
			out[c.Name] = hs
		}
		versions[c.Name] = len(hs) - 1
	}
	return out, versions
}

func load(dir string) (*ast.Schema, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.graphqls"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var sources []*ast.Source
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		sources = append(sources, &ast.Source{Name: filepath.Base(f), Input: string(b)})
	}
	s, gerr := gqlparser.LoadSchema(sources...)
	if gerr != nil {
		return nil, gerr
	}
	return s, nil
}

// collection is one synced collection as the GraphQL schema declares it.
type collection struct {
	Name      string // RxDB collection name: problems, progressNotes, …
	Pull      string
	Push      string // "" for read-only collections
	PushRow   string // the row input type of the push mutation
	Stream    string
	Doc       *ast.Definition
	Input     *ast.Definition // the pushed document input, nil if read-only
	LocalOnly []*ast.FieldDefinition
}

func collections(s *ast.Schema) ([]*collection, error) {
	var out []*collection
	for _, f := range s.Query.Fields {
		suffix, ok := strings.CutPrefix(f.Name, "pull")
		if !ok || suffix == "" {
			continue
		}
		batch := s.Types[f.Type.Name()]
		docs := batch.Fields.ForName("documents")
		if docs == nil {
			return nil, fmt.Errorf("%s: batch type %s has no documents", f.Name, batch.Name)
		}
		c := &collection{Name: strings.ToLower(suffix[:1]) + suffix[1:], Pull: f.Name, Doc: s.Types[docs.Type.Name()]}
		if st := s.Subscription.Fields.ForName("stream" + suffix); st != nil {
			c.Stream = st.Name
		}
		if p := s.Mutation.Fields.ForName("push" + suffix); p != nil {
			c.Push = p.Name
			c.PushRow = p.Arguments.ForName("rows").Type.Name()
			row := s.Types[c.PushRow]
			c.Input = s.Types[row.Fields.ForName("newDocumentState").Type.Name()]
			for _, in := range c.Input.Fields {
				if c.Doc.Fields.ForName(in.Name) == nil {
					c.LocalOnly = append(c.LocalOnly, in)
				}
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// jsonType is the JSON schema of a GraphQL type as RxDB stores it.
func jsonType(s *ast.Schema, t *ast.Type, nullable bool) map[string]any {
	if t.Elem != nil {
		m := map[string]any{"type": "array", "items": jsonType(s, t.Elem, !t.Elem.NonNull)}
		if nullable {
			m["type"] = []any{"array", "null"}
		}
		return m
	}
	m := map[string]any{}
	var base string
	def := s.Types[t.NamedType]
	switch {
	case def != nil && def.Kind == ast.Enum:
		base = "string"
		var values []any
		for _, v := range def.EnumValues {
			values = append(values, v.Name)
		}
		if nullable {
			values = append(values, nil)
		}
		m["enum"] = values
	case t.NamedType == "Int":
		base = "integer"
	case t.NamedType == "Float":
		base = "number"
	case t.NamedType == "Boolean":
		base = "boolean"
	case t.NamedType == "Time":
		base = "string"
		m["format"] = "date-time"
	default: // ID, String
		base = "string"
	}
	if nullable {
		m["type"] = []any{base, "null"}
	} else {
		m["type"] = base
	}
	return m
}

// zero is the value a creation on the device starts with for a non-null field
// the app left out (the server owns most of them and overwrites them).
func zero(s *ast.Schema, t *ast.Type) any {
	if !t.NonNull {
		return nil
	}
	if t.Elem != nil {
		return []any{}
	}
	switch t.NamedType {
	case "Int", "Float":
		return 0
	case "Boolean":
		return false
	case "Time":
		return nil
	}
	if d := s.Types[t.NamedType]; d != nil && d.Kind == ast.Enum {
		return nil
	}
	return ""
}

func rxSchema(s *ast.Schema, c *collection) map[string]any {
	props := map[string]any{}
	for _, f := range c.Doc.Fields {
		if f.Name == "deleted" {
			continue
		}
		p := jsonType(s, f.Type, !f.Type.NonNull)
		if f.Name == "id" {
			// RxDB indexes the primary key and needs its length bound.
			p["maxLength"] = 100
		}
		if f.Description != "" {
			p["description"] = f.Description
		}
		props[f.Name] = p
	}
	for _, f := range c.LocalOnly {
		p := jsonType(s, f.Type, true)
		p["description"] = strings.TrimSpace("Sent with the next push, never pulled. " + f.Description)
		props[f.Name] = p
	}
	return map[string]any{
		"title":       c.Name,
		"description": "Lianqi sync collection " + c.Name + " (" + c.Doc.Name + "), generated from the GraphQL schema.",
		"version":     0,
		"primaryKey":  "id",
		"type":        "object",
		"properties":  props,
		"required":    []string{"id"},
	}
}

func names(fs ast.FieldList, skip ...string) []string {
	var out []string
	for _, f := range fs {
		if !slices.Contains(skip, f.Name) {
			out = append(out, f.Name)
		}
	}
	return out
}

func render(s *ast.Schema, colls []*collection, versions map[string]int) (js, dts []byte) {
	meta := map[string]any{}
	var order []string
	for _, c := range colls {
		defaults := map[string]any{}
		for _, f := range c.Doc.Fields {
			if v := zero(s, f.Type); v != nil && f.Name != "id" && f.Name != "deleted" {
				defaults[f.Name] = v
			}
		}
		schema := rxSchema(s, c)
		schema["version"] = versions[c.Name]
		m := map[string]any{
			"docType":  c.Doc.Name,
			"schema":   schema,
			"fields":   names(c.Doc.Fields),
			"defaults": defaults,
			"pull":     c.Pull,
			"stream":   nilIfEmpty(c.Stream),
			"push":     nilIfEmpty(c.Push),
			"pushRow":  nilIfEmpty(c.PushRow),
		}
		if c.Input != nil {
			m["inputFields"] = names(c.Input.Fields)
		}
		meta[c.Name] = m
		order = append(order, c.Name)
	}
	var b bytes.Buffer
	b.WriteString("// Code generated by clients/rxdb/gen from graph/schema/*.graphqls. DO NOT EDIT.\n\n")
	fmt.Fprintf(&b, "/** The sync document schema this package speaks (sync.SchemaVersion). */\nexport const SCHEMA_VERSION = %d;\n\n", lqsync.SchemaVersion)
	fmt.Fprintf(&b, "/** Every synced collection, in the server's order. */\nexport const COLLECTION_NAMES = %s;\n\n", mustJSON(order))
	fmt.Fprintf(&b, "/** Fields of a push rejection (SyncRejection). */\nexport const REJECTION_FIELDS = %s;\n\n", mustJSON(scalarNames(s, s.Types["SyncRejection"])))
	fmt.Fprintf(&b, "/** Fields of a conflict record (SyncConflict). */\nexport const CONFLICT_FIELDS = %s;\n\n", mustJSON(scalarNames(s, s.Types["SyncConflict"])))
	b.WriteString("/**\n * Per collection: the RxDB JSON schema, the document's GraphQL fields, the\n * defaults of a creation, and the pull, push and stream operations.\n * @type {import('./generated.js').CollectionMetaMap}\n */\n")
	fmt.Fprintf(&b, "export const COLLECTIONS = %s;\n", mustJSON(meta))

	var d bytes.Buffer
	d.WriteString("// Code generated by clients/rxdb/gen from graph/schema/*.graphqls. DO NOT EDIT.\n\n")
	d.WriteString("export declare const SCHEMA_VERSION: number;\n")
	fmt.Fprintf(&d, "export type LianqiCollectionName = %s;\n", union(order))
	d.WriteString("export declare const COLLECTION_NAMES: LianqiCollectionName[];\n")
	d.WriteString("export declare const REJECTION_FIELDS: string[];\n")
	d.WriteString("export declare const CONFLICT_FIELDS: string[];\n\n")
	for _, c := range colls {
		var fields ast.FieldList
		for _, f := range c.Doc.Fields {
			if f.Name != "deleted" { // RxDB keeps deletion in _deleted
				fields = append(fields, f)
			}
		}
		writeInterface(&d, s, c.Doc.Name, c.Doc.Description, fields, c.LocalOnly)
	}
	writeInterface(&d, s, "SyncRejection", s.Types["SyncRejection"].Description, s.Types["SyncRejection"].Fields, nil)
	writeInterface(&d, s, "SyncConflict", s.Types["SyncConflict"].Description, s.Types["SyncConflict"].Fields, nil)
	d.WriteString("/** The document type of each collection as RxDB stores it. */\nexport interface LianqiDocTypes {\n")
	for _, c := range colls {
		fmt.Fprintf(&d, "  %s: %s;\n", c.Name, c.Doc.Name)
	}
	d.WriteString("}\n\n")
	d.WriteString(`export interface CollectionMeta {
  docType: string;
  schema: any;
  fields: string[];
  inputFields?: string[];
  defaults: Record<string, unknown>;
  pull: string;
  stream: string | null;
  push: string | null;
  pushRow: string | null;
}
export type CollectionMetaMap = { [K in LianqiCollectionName]: CollectionMeta };
export declare const COLLECTIONS: CollectionMetaMap;
`)
	return b.Bytes(), d.Bytes()
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// scalarNames lists the fields that need no selection set.
func scalarNames(s *ast.Schema, def *ast.Definition) []string {
	var out []string
	for _, f := range def.Fields {
		if t := s.Types[f.Type.Name()]; t != nil && (t.Kind == ast.Scalar || t.Kind == ast.Enum) {
			out = append(out, f.Name)
		}
	}
	return out
}

func union(names []string) string {
	var q []string
	for _, n := range names {
		q = append(q, "'"+n+"'")
	}
	return strings.Join(q, " | ")
}

func tsType(s *ast.Schema, t *ast.Type) string {
	var base string
	if t.Elem != nil {
		base = tsType(s, t.Elem) + "[]"
		if !t.Elem.NonNull {
			base = "(" + tsType(s, t.Elem) + ")[]"
		}
	} else {
		switch t.NamedType {
		case "Int", "Float":
			base = "number"
		case "Boolean":
			base = "boolean"
		default:
			base = "string"
			if d := s.Types[t.NamedType]; d != nil && d.Kind == ast.Enum {
				var vs []string
				for _, v := range d.EnumValues {
					vs = append(vs, "'"+v.Name+"'")
				}
				base = strings.Join(vs, " | ")
			}
		}
	}
	if !t.NonNull {
		return base + " | null"
	}
	return base
}

func writeInterface(w *bytes.Buffer, s *ast.Schema, name, desc string, fields ast.FieldList, local []*ast.FieldDefinition) {
	if desc != "" {
		fmt.Fprintf(w, "/** %s */\n", strings.ReplaceAll(desc, "*/", "* /"))
	}
	fmt.Fprintf(w, "export interface %s {\n", name)
	for _, f := range fields {
		if f.Description != "" {
			fmt.Fprintf(w, "  /** %s */\n", strings.ReplaceAll(f.Description, "*/", "* /"))
		}
		opt := ""
		if !f.Type.NonNull {
			opt = "?"
		}
		fmt.Fprintf(w, "  %s%s: %s;\n", f.Name, opt, tsType(s, f.Type))
	}
	for _, f := range local {
		fmt.Fprintf(w, "  /** Sent with the next push, never pulled. %s */\n", strings.ReplaceAll(f.Description, "*/", "* /"))
		fmt.Fprintf(w, "  %s?: %s;\n", f.Name, tsType(s, &ast.Type{NamedType: f.Type.NamedType, Elem: f.Type.Elem}))
	}
	w.WriteString("}\n\n")
}

// mustJSON writes stable, indented JSON (map keys sorted) that reads as JS.
func mustJSON(v any) string {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		panic(err)
	}
	return string(b)
}
