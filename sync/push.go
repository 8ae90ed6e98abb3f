package sync

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/lianqi/lianqi/domain"
	"github.com/lianqi/lianqi/store"
)

// Rejection says why a pushed row was not applied (or not entirely). Code is a
// domain error code; the transport maps it as it maps errors.
type Rejection struct {
	ID         string `json:"id"`
	MutationID string `json:"mutationId"`
	Code       string `json:"code"`
	Field      string `json:"field,omitempty"`
	Message    string `json:"message"`
	// ConflictIDs names the conflict records (outcome REJECTED) in which the
	// refused content of the row was kept; empty when nothing was lost (e.g. a
	// row that is only being applied by another request).
	ConflictIDs []string `json:"conflictIds"`
}

// pushCtx is what every row of one push shares.
type pushCtx struct {
	p      *domain.Principal
	sc     domain.Scope
	device string
	// kept collects the REJECTED conflict records written for the row being
	// applied; they become its rejection's conflictIds.
	kept []string
	// created lists the problems this push created: held rows waiting for
	// them are applied at the end of the push.
	created []string
	// held counts the caller's held rows, read at the push's first hold.
	held      int
	heldKnown bool
}

func (e *Engine) startPush(ctx context.Context, rows int, device *string) (*pushCtx, error) {
	if rows > MaxPushRows {
		return nil, domain.Invalid("rows", "at most %d rows per push; send the rest in another", MaxPushRows)
	}
	sc, p, err := e.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	pc := &pushCtx{p: p, sc: sc}
	if device != nil {
		if len(*device) > 100 {
			return nil, domain.Invalid("deviceId", "a device id is at most 100 characters")
		}
		pc.device = *device
	}
	return pc, nil
}

// mutationKey names a row for deduplication: the client's mutation id, or a
// digest of the row itself, so that a retried identical row is recognised even
// from a client that sends no ids.
func mutationKey(given *string, row any) (string, error) {
	if given != nil && *given != "" {
		if len(*given) > 100 {
			return "", domain.Invalid("mutationId", "a mutation id is at most 100 characters")
		}
		return *given, nil
	}
	b, _ := json.Marshal(row)
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:16]), nil
}

// once applies a row at most once per (user, collection, mutation id). The
// receipt is claimed before applying, so a duplicate delivered concurrently
// finds it; the row's rejection (if any) is kept so a retry hears the same
// answer. apply returns a domain error to reject the row; any other error is
// internal, and the claim is dropped so that a retry applies the row.
func (e *Engine) once(ctx context.Context, pc *pushCtx, coll, id string, key string, apply func() error) (*Rejection, error) {
	receipt := pc.p.UserID + ":" + coll + ":" + key
	prev, err := e.db().ClaimReceipt(ctx, receipt, e.StaleReceipt)
	if err != nil {
		return nil, err
	}
	if prev != nil {
		if !prev.Done {
			return &Rejection{ID: id, MutationID: key, Code: domain.ECONFLICT, Message: "this row is being applied by another request; retry shortly"}, nil
		}
		var rej *Rejection
		if len(prev.Result) > 0 {
			if err := json.Unmarshal(prev.Result, &rej); err != nil {
				return nil, err
			}
		}
		return rej, nil
	}
	pc.kept = nil
	err = apply()
	var rej *Rejection
	var de *domain.Error
	switch {
	case err == nil:
	case errors.As(err, &de) && de.Code != domain.EINTERNAL:
		rej = &Rejection{ID: id, MutationID: key, Code: de.Code, Field: de.Field, Message: de.Message, ConflictIDs: slices.Clone(pc.kept)}
	default:
		// The claim must be released even when the client hung up (that is
		// often why apply failed): a claim left behind answers every retry
		// "being applied" until it goes stale.
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if derr := e.db().DropReceipt(dctx, receipt); derr != nil {
			e.Log.ErrorContext(ctx, "drop receipt", "receipt", receipt, "err", derr)
		}
		return nil, err
	}
	var result []byte
	if rej != nil {
		result, _ = json.Marshal(rej)
	}
	// The row is applied: its receipt must say so even if the client is gone,
	// or a retry would wait for a claim that nobody finishes.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	return rej, e.db().FinishReceipt(fctx, receipt, result)
}

// record stores conflict records for what a row could not apply cleanly.
func (e *Engine) record(ctx context.Context, pc *pushCtx, coll, docID, enterpriseID string, cs []fieldConflict) error {
	for _, c := range cs {
		rec := &domain.Conflict{ID: domain.NewID(), Collection: coll, DocumentID: docID, EnterpriseID: enterpriseID,
			UserID: pc.p.UserID, Username: pc.p.Username, DeviceID: pc.device, Field: c.Field,
			Base: jsonString(c.Base), Client: jsonString(c.Client), Server: jsonString(c.Server), Result: jsonString(c.Result),
			Outcome: c.Outcome, Reason: c.Reason, At: e.now()}
		if err := e.db().CreateConflict(ctx, rec); err != nil {
			return err
		}
		if c.Outcome == domain.OutcomeRejected {
			pc.kept = append(pc.kept, rec.ID)
		}
	}
	return nil
}

// keepRow stores a whole row the server could not apply (or not yet) as one
// conflict record (field ""), its content in `client`, and returns its id.
func (e *Engine) keepRow(ctx context.Context, pc *pushCtx, coll, docID, enterpriseID string, doc any, outcome domain.ConflictOutcome, reason string) (string, error) {
	rec := &domain.Conflict{ID: domain.NewID(), Collection: coll, DocumentID: docID, EnterpriseID: enterpriseID,
		UserID: pc.p.UserID, Username: pc.p.Username, DeviceID: pc.device, Base: "null", Client: jsonString(toMap(doc)),
		Server: "null", Result: "null", Outcome: outcome, Reason: reason, At: e.now()}
	if err := e.db().CreateConflict(ctx, rec); err != nil {
		return "", err
	}
	if outcome == domain.OutcomeRejected {
		pc.kept = append(pc.kept, rec.ID)
	}
	return rec.ID, nil
}

// refusal reports whether err refuses a row for good (a domain error a retry
// would meet again), as opposed to a race or an internal failure.
func refusal(err error) bool {
	var de *domain.Error
	return err != nil && !isRace(err) && errors.As(err, &de) && de.Code != domain.EINTERNAL
}

// refused lists every field the device changed as a rejected conflict, so the
// edit survives as data for whoever serves the enterprise now.
func refused(coll string, base, client, server map[string]any, reason string) []fieldConflict {
	var out []fieldConflict
	for f, pol := range policies[coll] {
		if pol != serverOwned && !equal(base[f], client[f]) {
			out = append(out, fieldConflict{Field: f, Base: base[f], Client: client[f], Server: server[f], Result: server[f],
				Outcome: domain.OutcomeRejected, Reason: reason})
		}
	}
	return out
}

// retryRaces re-runs a row whose write lost a race with a concurrent writer
// (the stored version moved between read and write): the merge is redone
// against the newer state.
func retryRaces(apply func() error) error {
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		if err = apply(); !isRace(err) {
			return err
		}
	}
	return domain.Errorf(domain.ECONFLICT, "the record is being edited by others right now; retry")
}

var errRace = errors.New("raced")

func isRace(err error) bool { return errors.Is(err, errRace) }

// raced marks a version conflict from the store as a race to retry.
func raced(err error) error {
	if domain.ErrorCode(err) == domain.ECONFLICT {
		return errRace
	}
	return err
}

func (e *Engine) findRaw(ctx context.Context, coll, id string) (*store.Change, error) {
	ch, err := e.db().FindChange(ctx, coll, id)
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &ch, nil
}

// pushed is a document type a push carries (*ProblemDoc, *ProgressNoteDoc, *VisitDoc).
type pushed interface {
	comparable
	docID() string
}

// pushRow is a pushed row: its new document state (nil if missing, also for a
// nil row), whether it is a creation (no assumed master state) and the
// client's mutation id.
type pushRow[D pushed] interface {
	state() D
	creation() bool
	mutation() *string
}

// collOps is what pushEach needs of a collection.
type collOps[R any, D pushed] struct {
	apply func(R) error
	// master is the document as the caller may see it now: the document, a
	// tombstone when out of scope, or nil when the server never had it.
	master func(id string) (D, error)
	// tombstone is the answer that makes a replica drop a document the server
	// does not have: deleted, version 0, content empty.
	tombstone func(id string) D
	// enterprise is the enterprise a refused creation is filed under, so that
	// the people responsible for it can read the record.
	enterprise func(D) string
}

// pushEach is the loop every push shares: each row needs a new state and a
// mutation key, is applied at most once (receipts), and is answered with the
// master state when that differs from what was sent. A refused row never blocks
// or loses the others; only a failure of the database stops the push.
//
// A creation refused for good (bad input, forbidden, out of scope) leaves
// nothing on the server, so its content is kept as one REJECTED conflict record
// named in the rejection's conflictIds, and the answer carries a tombstone for
// its id: the replica drops its copy instead of keeping a ghost that no pull or
// checksum would ever explain.
func pushEach[R pushRow[D], D pushed](ctx context.Context, e *Engine, pc *pushCtx, coll string, rows []R, ops collOps[R, D]) ([]D, []*Rejection, error) {
	var none D
	conflicts, rejected := []D{}, []*Rejection{}
	for i, row := range rows {
		nd := row.state()
		if nd == none {
			rejected = append(rejected, &Rejection{Code: domain.EINVALID, Field: "newDocumentState", Message: fmt.Sprintf("row %d has no newDocumentState", i), ConflictIDs: []string{}})
			continue
		}
		key, err := mutationKey(row.mutation(), row)
		if err != nil {
			rejected = append(rejected, &Rejection{ID: nd.docID(), Code: domain.EINVALID, Field: "mutationId", Message: domain.ErrorMessage(err), ConflictIDs: []string{}})
			continue
		}
		rej, err := e.once(ctx, pc, coll, nd.docID(), key, func() error {
			err := ops.apply(row)
			if !row.creation() || !refusal(err) || len(pc.kept) > 0 {
				return err
			}
			m, merr := ops.master(nd.docID())
			if merr != nil {
				return merr
			}
			if m != none {
				return err // partly applied: the stored document carries the rest
			}
			if _, rerr := e.keepRow(ctx, pc, coll, nd.docID(), ops.enterprise(nd), nd, domain.OutcomeRejected,
				fmt.Sprintf("not created (%s): %s", domain.ErrorCode(err), domain.ErrorMessage(err))); rerr != nil {
				return rerr
			}
			if coll == Problems {
				// Notes and visits naming it, held or still to come, are refused
				// too rather than waiting for a parent that will never arrive.
				if rerr := e.db().MarkRefused(ctx, coll, nd.docID(), ops.enterprise(nd), domain.ErrorMessage(err)); rerr != nil {
					return rerr
				}
			}
			return err
		})
		if err != nil {
			return nil, nil, err
		}
		m, err := ops.master(nd.docID())
		if err != nil {
			return nil, nil, err
		}
		if rej != nil {
			if rej.ConflictIDs == nil {
				rej.ConflictIDs = []string{}
			}
			rejected = append(rejected, rej)
			if m == none && row.creation() && len(rej.ConflictIDs) > 0 {
				conflicts = append(conflicts, ops.tombstone(nd.docID()))
				continue
			}
		}
		if m != none && !sameAsSent(coll, toMap(nd), toMap(m)) {
			if rej == nil {
				// A held edit is accepted as sent: answering with the master
				// state would make the device undo it.
				held, err := e.db().FindHeld(ctx, heldID(pc.p.UserID, coll, nd.docID()))
				if err != nil {
					return nil, nil, err
				}
				if held != nil {
					continue
				}
			}
			conflicts = append(conflicts, m)
		}
	}
	return conflicts, rejected, nil
}
