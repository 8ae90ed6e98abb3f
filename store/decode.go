package store

import (
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/lianqi/lianqi/domain"
)

// The sync engine receives changes as raw documents; these decoders turn them
// into domain records with the same conversion the store's own reads use, so
// the document layout stays private to this package.

func decodeAs[D any, T any](raw bson.Raw, conv func(*D) T) (T, error) {
	var d D
	if err := bson.Unmarshal(raw, &d); err != nil {
		var zero T
		return zero, translate("decode change", err)
	}
	return conv(&d), nil
}

// Problem decodes a change of the problems collection.
func (c Change) Problem() (*domain.Problem, error) { return decodeAs(c.Doc, (*problemDoc).toDomain) }

// ProgressNote decodes a change of the progress-notes collection.
func (c Change) ProgressNote() (*domain.ProgressNote, error) {
	return decodeAs(c.Doc, (*noteDoc).toDomain)
}

// Visit decodes a change of the visits collection.
func (c Change) Visit() (*domain.Visit, error) { return decodeAs(c.Doc, (*visitDoc).toDomain) }

// Enterprise decodes a change of the enterprises collection.
func (c Change) Enterprise() (*domain.Enterprise, error) {
	return decodeAs(c.Doc, (*enterpriseDoc).toDomain)
}

// Pairing decodes a change of the pairings collection.
func (c Change) Pairing() (*domain.Pairing, error) { return decodeAs(c.Doc, (*pairingDoc).toDomain) }

// Official decodes a change of the officials collection.
func (c Change) Official() (*domain.Official, error) { return decodeAs(c.Doc, (*officialDoc).toDomain) }
