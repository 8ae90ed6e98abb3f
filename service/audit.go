package service

import (
	"context"

	"github.com/lianqi/lianqi/domain"
)

// audit records a security event with the caller (if any) as actor. A failed
// audit write is logged loudly but does not undo or refuse the operation: the
// operation already happened, and refusing logins because the log is down
// would turn an outage of one into an outage of all.
func (s *Service) audit(ctx context.Context, action, subjectID, detail string) {
	e := &domain.AuditEvent{ID: domain.NewID(), At: s.now(), Action: action, SubjectID: subjectID, IP: ClientIP(ctx), Detail: detail}
	if p := domain.PrincipalFrom(ctx); p != nil {
		e.ActorID, e.ActorName, e.ActorRole = p.UserID, p.Username, string(p.Role)
	}
	s.auditEvent(ctx, e)
}

// auditAs records an event whose actor is not the request's principal (a
// login, where the caller is only becoming someone).
func (s *Service) auditAs(ctx context.Context, actor *domain.User, action, subjectID, detail string) {
	e := &domain.AuditEvent{ID: domain.NewID(), At: s.now(), Action: action, SubjectID: subjectID, IP: ClientIP(ctx), Detail: detail}
	if actor != nil {
		e.ActorID, e.ActorName, e.ActorRole = actor.ID, actor.Username, string(actor.Role)
	}
	s.auditEvent(ctx, e)
}

func (s *Service) auditEvent(ctx context.Context, e *domain.AuditEvent) {
	// The caller's cancellation must not lose the record of what it did.
	if err := s.db.AppendAudit(context.WithoutCancel(ctx), e); err != nil {
		s.Log.ErrorContext(ctx, "audit write failed", "action", e.Action, "actor", e.ActorID, "subject", e.SubjectID, "err", err)
	}
}

// AuditLog lists audit events, newest first (admins only).
func (s *Service) AuditLog(ctx context.Context, f domain.AuditFilter, page domain.PageRequest) (domain.Page[*domain.AuditEvent], error) {
	if _, err := s.require(ctx, domain.RoleAdmin); err != nil {
		return domain.Page[*domain.AuditEvent]{}, err
	}
	return s.db.FindAudit(ctx, f, page)
}
