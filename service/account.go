package service

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/lianqi/lianqi/auth"
	"github.com/lianqi/lianqi/domain"
)

// Session is what a successful login or refresh returns.
type Session struct {
	AccessToken string
	ExpiresAt   time.Time
	// RefreshToken is opaque and single-use: Refresh spends it and returns the next.
	RefreshToken     string
	RefreshExpiresAt time.Time
	User             *domain.User
}

// Login checks a username and password. Unknown users, disabled users and wrong
// passwords all get the same error after the same amount of work, so that the
// answer does not reveal which usernames exist.
func (s *Service) Login(ctx context.Context, username, password string) (*Session, error) {
	bad := domain.Errorf(domain.EUNAUTHENTICATED, "wrong username or password")
	username = strings.ToLower(strings.TrimSpace(username))
	// Both limits apply whether or not the account exists, so a refusal says
	// nothing about it. The per-username limit stops a distributed guesser;
	// the per-address one stops one address spraying many usernames.
	if err := s.limitLogin(ctx, username); err != nil {
		return nil, err
	}
	if username == "" || len(username) > 64 || len(password) > 1024 {
		auth.DummyCheck(password)
		s.auditAs(ctx, nil, domain.AuditLoginFailed, "", "username "+truncate(username, 64))
		return nil, bad
	}
	u, err := s.db.FindUserByUsername(ctx, username)
	if err != nil {
		if domain.ErrorCode(err) != domain.ENOTFOUND {
			return nil, err
		}
		auth.DummyCheck(password)
		s.auditAs(ctx, nil, domain.AuditLoginFailed, "", "username "+username)
		return nil, bad
	}
	if !auth.CheckPassword(u.PasswordHash, password) || u.Disabled {
		s.auditAs(ctx, u, domain.AuditLoginFailed, u.ID, "username "+username)
		return nil, bad
	}
	out, err := s.startSession(ctx, u)
	if err != nil {
		return nil, err
	}
	s.Log.InfoContext(ctx, "login", "user", u.Username, "role", u.Role)
	s.auditAs(ctx, u, domain.AuditLogin, u.ID, "")
	return out, nil
}

func (s *Service) limitLogin(ctx context.Context, username string) error {
	for _, key := range []string{"ip:" + ClientIP(ctx), "user:" + truncate(username, 64)} {
		if ok, wait := s.LoginLimit.Allow(key); !ok {
			s.auditAs(ctx, nil, domain.AuditLoginLimited, "", key)
			return domain.Errorf(domain.ERATELIMITED, "too many sign-in attempts; try again in %d seconds", int(wait.Seconds())+1)
		}
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func principalOf(u *domain.User) domain.Principal {
	return domain.Principal{UserID: u.ID, Username: u.Username, Role: u.Role, OfficialID: u.OfficialID, EnterpriseID: u.EnterpriseID}
}

// Me returns the caller's account.
func (s *Service) Me(ctx context.Context) (*domain.User, error) {
	p, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	u, err := s.db.FindUserByID(ctx, p.UserID)
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		return nil, domain.Errorf(domain.EUNAUTHENTICATED, "the account of this token no longer exists")
	}
	return u, err
}

// Users lists accounts (admins only).
func (s *Service) Users(ctx context.Context, role domain.Role, page domain.PageRequest) (domain.Page[*domain.User], error) {
	if _, err := s.require(ctx, domain.RoleAdmin); err != nil {
		return domain.Page[*domain.User]{}, err
	}
	return s.db.FindUsers(ctx, role, page)
}

// CreateUserInput is an admin's request for a new account.
type CreateUserInput struct {
	Username     string
	Password     string
	DisplayName  *string
	Role         domain.Role
	OfficialID   *string
	EnterpriseID *string
}

// CreateUser makes an account (admins only). The official or enterprise an account
// acts for must exist.
func (s *Service) CreateUser(ctx context.Context, in CreateUserInput) (*domain.User, error) {
	if _, err := s.require(ctx, domain.RoleAdmin); err != nil {
		return nil, err
	}
	if err := domain.CheckPassword(in.Password); err != nil {
		return nil, err
	}
	hash, err := auth.HashPassword(in.Password)
	if err != nil {
		return nil, err
	}
	u := &domain.User{ID: domain.NewID(), Username: in.Username, DisplayName: deref(in.DisplayName), Role: in.Role,
		PasswordHash: hash, OfficialID: deref(in.OfficialID), EnterpriseID: deref(in.EnterpriseID)}
	if err := s.saveUser(ctx, u, true); err != nil {
		return nil, err
	}
	s.audit(ctx, domain.AuditUserCreated, u.ID, fmt.Sprintf("%s role %s", u.Username, u.Role))
	return u, nil
}

// UpdateUserInput changes an account; nil fields stay as they are.
type UpdateUserInput struct {
	DisplayName  *string
	Role         *domain.Role
	Password     *string
	Disabled     *bool
	OfficialID   *string
	EnterpriseID *string
}

// UpdateUser changes an account (admins only).
func (s *Service) UpdateUser(ctx context.Context, id string, in UpdateUserInput) (*domain.User, error) {
	p, err := s.require(ctx, domain.RoleAdmin)
	if err != nil {
		return nil, err
	}
	u, err := s.db.FindUserByID(ctx, id)
	if err != nil {
		return nil, err
	}
	before := *u
	if u.ID == p.UserID && ((in.Disabled != nil && *in.Disabled) || (in.Role != nil && *in.Role != domain.RoleAdmin)) {
		return nil, domain.Invalid("id", "an admin cannot disable or demote their own account")
	}
	setIf(&u.DisplayName, in.DisplayName)
	setIf(&u.Role, in.Role)
	setIf(&u.Disabled, in.Disabled)
	setIf(&u.OfficialID, in.OfficialID)
	setIf(&u.EnterpriseID, in.EnterpriseID)
	if in.Password != nil {
		if err := domain.CheckPassword(*in.Password); err != nil {
			return nil, err
		}
		if u.PasswordHash, err = auth.HashPassword(*in.Password); err != nil {
			return nil, err
		}
	}
	if err := s.saveUser(ctx, u, false); err != nil {
		return nil, err
	}
	// Tokens carry the role and scope ids: after a change, or when the account
	// is disabled, its sessions end so no token keeps the old powers.
	if before.Role != u.Role || before.OfficialID != u.OfficialID || before.EnterpriseID != u.EnterpriseID || (u.Disabled && !before.Disabled) || in.Password != nil {
		if _, err := s.revokeUserSessions(ctx, u.ID, "account changed"); err != nil {
			return nil, err
		}
	}
	s.audit(ctx, domain.AuditUserChanged, u.ID, describeUserChange(&before, u, in.Password != nil))
	return u, nil
}

func describeUserChange(before, after *domain.User, password bool) string {
	var parts []string
	if before.Role != after.Role {
		parts = append(parts, fmt.Sprintf("role %s→%s", before.Role, after.Role))
	}
	if before.Disabled != after.Disabled {
		parts = append(parts, fmt.Sprintf("disabled %v→%v", before.Disabled, after.Disabled))
	}
	if before.OfficialID != after.OfficialID || before.EnterpriseID != after.EnterpriseID {
		parts = append(parts, "scope ids changed")
	}
	if password {
		parts = append(parts, "password changed")
	}
	if len(parts) == 0 {
		return "profile changed"
	}
	return strings.Join(parts, ", ")
}

func (s *Service) saveUser(ctx context.Context, u *domain.User, create bool) error {
	if err := u.Validate(); err != nil {
		return err
	}
	all := domain.Scope{All: true}
	if u.OfficialID != "" {
		if _, err := s.db.FindOfficialByID(ctx, all, u.OfficialID); err != nil {
			return notFoundAs(err, "officialId")
		}
	}
	if u.EnterpriseID != "" {
		if _, err := s.db.FindEnterpriseByID(ctx, all, u.EnterpriseID); err != nil {
			return notFoundAs(err, "enterpriseId")
		}
	}
	if create {
		if _, err := s.db.FindUserByUsername(ctx, u.Username); err == nil {
			return &domain.Error{Code: domain.ECONFLICT, Field: "username", Message: "username " + u.Username + " is taken"}
		}
		return s.db.CreateUser(ctx, u)
	}
	return s.db.UpdateUser(ctx, u)
}

// notFoundAs turns a missing referenced record into bad input naming the field.
func notFoundAs(err error, field string) error {
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		return domain.Invalid(field, "%s", domain.ErrorMessage(err))
	}
	return err
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func setIf[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// SeesPeople reports whether the caller may learn who did something (the
// account ids and names on records). Every account may; a dashboard token, a
// machine on a wall screen, sees what happened and never who.
func (s *Service) SeesPeople(ctx context.Context) bool {
	p, err := s.caller(ctx)
	return err == nil && p.Role != domain.RoleDashboard
}

// roleLabel names a person by role when their account has no display name.
var roleLabel = map[domain.Role]string{
	domain.RoleAdmin:      "系统管理员",
	domain.RoleLeader:     "县领导",
	domain.RoleOfficial:   "挂联干部",
	domain.RoleEnterprise: "企业用户",
}

// PersonNames maps account ids to the name the caller may see for each person
// who reported, wrote or checked something. A login name is a credential half
// and stays with those who administer accounts: admins and leaders see the
// display name or, lacking one, the login name; officials and enterprises see
// the display name or, lacking one, the role (their own login name excepted);
// dashboard tokens see no names (an empty map). Accounts since deleted keep naming who made a record.
func (s *Service) PersonNames(ctx context.Context, ids []string) (map[string]string, error) {
	p, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	if p.Role == domain.RoleDashboard {
		return map[string]string{}, nil
	}
	users, err := s.db.FindUsersByIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(users))
	for _, u := range users {
		switch {
		case u.DisplayName != "":
			out[u.ID] = u.DisplayName
		case p.Role.ReadsEverything() || u.ID == p.UserID:
			out[u.ID] = u.Username
		default:
			out[u.ID] = roleLabel[u.Role]
		}
	}
	return out, nil
}
