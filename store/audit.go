package store

import (
	"context"
	"regexp"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/lianqi/lianqi/domain"
)

// CollAudit holds the audit log. Entries are only ever inserted.
const CollAudit = "audit"

type auditDoc struct {
	Stamp     `bson:",inline"`
	At        time.Time `bson:"at"`
	Action    string    `bson:"action"`
	ActorID   string    `bson:"actorId,omitempty"`
	ActorName string    `bson:"actorName,omitempty"`
	ActorRole string    `bson:"actorRole,omitempty"`
	SubjectID string    `bson:"subjectId,omitempty"`
	IP        string    `bson:"ip,omitempty"`
	Detail    string    `bson:"detail,omitempty"`
}

func (d *auditDoc) toDomain() *domain.AuditEvent {
	return &domain.AuditEvent{ID: d.ID, At: d.At.UTC(), Action: d.Action, ActorID: d.ActorID, ActorName: d.ActorName,
		ActorRole: d.ActorRole, SubjectID: d.SubjectID, IP: d.IP, Detail: d.Detail}
}

// AppendAudit stores one audit event.
func (db *DB) AppendAudit(ctx context.Context, e *domain.AuditEvent) error {
	d := &auditDoc{Stamp: Stamp{ID: e.ID}, At: e.At, Action: e.Action, ActorID: e.ActorID, ActorName: e.ActorName,
		ActorRole: e.ActorRole, SubjectID: e.SubjectID, IP: e.IP, Detail: e.Detail}
	var m domain.Meta
	return save(ctx, db, CollAudit, d, 0, &m)
}

// FindAudit lists audit events, newest first.
func (db *DB) FindAudit(ctx context.Context, f domain.AuditFilter, page domain.PageRequest) (domain.Page[*domain.AuditEvent], error) {
	filter := and(live(), eqIf("actorId", f.ActorID), eqIf("subjectId", f.SubjectID))
	if f.Action != "" {
		// A prefix ("login") selects a family of actions ("login.failed").
		filter = and(filter, bson.D{{Key: "action", Value: bson.D{{Key: "$regex", Value: "^" + regexp.QuoteMeta(f.Action)}}}})
	}
	return findPage(ctx, db, CollAudit, filter, sortSpec{Field: "at", Desc: true}, page, (*auditDoc).toDomain)
}
