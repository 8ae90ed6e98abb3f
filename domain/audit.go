package domain

import "time"

// AuditEvent is one security-relevant event: a login, a failed login, a token
// issued or revoked, a role or pairing change.
type AuditEvent struct {
	ID        string
	At        time.Time
	Action    string // dotted, e.g. "login.failed", "session.revoked"
	ActorID   string
	ActorName string
	ActorRole string
	SubjectID string // the account, session, pairing … acted on
	IP        string
	Detail    string
}

// Audit actions.
const (
	AuditLogin           = "login.ok"
	AuditLoginFailed     = "login.failed"
	AuditLoginLimited    = "login.rate_limited"
	AuditRefreshReuse    = "session.reuse_detected"
	AuditLogout          = "session.logout"
	AuditSessionsRevoked = "session.revoked_by_admin"
	AuditDashboardIssued = "dashboard.issued"
	AuditDashboardRevoke = "dashboard.revoked"
	AuditDashboardUse    = "dashboard.used"
	AuditUserCreated     = "user.created"
	AuditUserChanged     = "user.changed"
	AuditPairingChanged  = "pairing.changed"
	AuditOfficialRetired = "official.retired"
	AuditEnterpriseLeft  = "enterprise.left"
	AuditRankingConfig   = "ranking.config_changed"
	// AuditProblemDeleted: a problem was deleted; the statistics list it.
	AuditProblemDeleted = "problem.deleted"
)

// AuditFilter selects audit events; empty fields match everything. Action
// matches as a prefix, so "login" selects every login event.
type AuditFilter struct {
	Action    string
	ActorID   string
	SubjectID string
}
