package domain

import (
	"regexp"
	"strings"
)

// User is an account that can sign in.
type User struct {
	ID           string
	Username     string
	DisplayName  string
	Role         Role
	PasswordHash string
	OfficialID   string
	EnterpriseID string
	Disabled     bool
	Meta
}

var usernameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{2,31}$`)

// MinPasswordLength is the shortest password accepted for an account.
const MinPasswordLength = 8

// Validate checks the account before it is stored.
func (u *User) Validate() error {
	u.Username = strings.ToLower(strings.TrimSpace(u.Username))
	if !usernameRE.MatchString(u.Username) {
		return Invalid("username", "username must be 3–32 characters of a-z, 0-9, '.', '_' or '-'")
	}
	if !u.Role.IsValid() {
		return Invalid("role", "unknown role %q", u.Role)
	}
	if err := checkText("displayName", u.DisplayName, 100); err != nil {
		return err
	}
	switch u.Role {
	case RoleDashboard:
		return Invalid("role", "DASHBOARD is not an account role: issue a dashboard token instead")
	case RoleOfficial:
		if !ValidID(u.OfficialID) {
			return Invalid("officialId", "an OFFICIAL account must name its official record")
		}
		if u.EnterpriseID != "" {
			return Invalid("enterpriseId", "an OFFICIAL account has no enterprise")
		}
	case RoleEnterprise:
		if !ValidID(u.EnterpriseID) {
			return Invalid("enterpriseId", "an ENTERPRISE account must name its enterprise")
		}
		if u.OfficialID != "" {
			return Invalid("officialId", "an ENTERPRISE account has no official record")
		}
	default:
		if u.OfficialID != "" || u.EnterpriseID != "" {
			return Invalid("role", "%s accounts are not tied to an official or enterprise", u.Role)
		}
	}
	if u.PasswordHash == "" {
		return Invalid("password", "a password is required")
	}
	return nil
}

// CheckPassword enforces the password policy on a new password.
func CheckPassword(pw string) error {
	if len([]rune(pw)) < MinPasswordLength {
		return Invalid("password", "password must be at least %d characters", MinPasswordLength)
	}
	if len(pw) > 72 {
		return Invalid("password", "password must be at most 72 bytes")
	}
	return nil
}
