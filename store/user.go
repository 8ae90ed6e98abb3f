package store

import (
	"context"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/lianqi/lianqi/domain"
)

type userDoc struct {
	Stamp        `bson:",inline"`
	Username     string `bson:"username"`
	DisplayName  string `bson:"displayName"`
	Role         string `bson:"role"`
	PasswordHash string `bson:"passwordHash"`
	OfficialID   string `bson:"officialId"`
	EnterpriseID string `bson:"enterpriseId"`
	Disabled     bool   `bson:"disabled"`
}

// visibleIn is always true: accounts have no row scope; the service decides who
// may read them.
func (d *userDoc) visibleIn(domain.Scope) bool { return true }

func userFromDomain(u *domain.User) *userDoc {
	return &userDoc{Stamp: baseFrom(u.ID, u.Meta), Username: u.Username, DisplayName: u.DisplayName, Role: string(u.Role),
		PasswordHash: u.PasswordHash, OfficialID: u.OfficialID, EnterpriseID: u.EnterpriseID, Disabled: u.Disabled}
}

func (d *userDoc) toDomain() *domain.User {
	return &domain.User{ID: d.ID, Username: d.Username, DisplayName: d.DisplayName, Role: domain.Role(d.Role),
		PasswordHash: d.PasswordHash, OfficialID: d.OfficialID, EnterpriseID: d.EnterpriseID, Disabled: d.Disabled, Meta: d.meta()}
}

// FindUserByID returns a live account.
func (db *DB) FindUserByID(ctx context.Context, id string) (*domain.User, error) {
	return findOne(ctx, db, CollUsers, id, domain.Scope{All: true}, (*userDoc).toDomain)
}

// FindUserByUsername returns a live account by its (case-insensitive) name.
func (db *DB) FindUserByUsername(ctx context.Context, username string) (*domain.User, error) {
	var d userDoc
	err := db.coll(CollUsers).FindOne(ctx, bson.D{{Key: "username", Value: strings.ToLower(username)}, {Key: "deleted", Value: false}}).Decode(&d)
	if err != nil {
		return nil, translate("find user", err)
	}
	return d.toDomain(), nil
}

// FindUsers lists accounts by username.
func (db *DB) FindUsers(ctx context.Context, role domain.Role, page domain.PageRequest) (domain.Page[*domain.User], error) {
	return findPage(ctx, db, CollUsers, and(live(), eqIf("role", string(role))), sortSpec{Field: "username"}, page, (*userDoc).toDomain)
}

// CountUsers counts live accounts; the server seeds demo data only into an empty database.
func (db *DB) CountUsers(ctx context.Context) (int64, error) {
	n, err := db.coll(CollUsers).CountDocuments(ctx, live())
	return n, translate("count users", err)
}

// CreateUser stores a new account; a taken username is ECONFLICT.
func (db *DB) CreateUser(ctx context.Context, u *domain.User) error {
	return save(ctx, db, CollUsers, userFromDomain(u), 0, &u.Meta)
}

// UpdateUser replaces the account if its stored version is still u.Version.
func (db *DB) UpdateUser(ctx context.Context, u *domain.User) error {
	return save(ctx, db, CollUsers, userFromDomain(u), u.Version, &u.Meta)
}

// FindUsersByIDs returns the accounts among ids, deleted ones included: a
// record keeps naming who made it.
func (db *DB) FindUsersByIDs(ctx context.Context, ids []string) ([]*domain.User, error) {
	return findByIDs(ctx, db, CollUsers, ids, domain.Scope{All: true}, true, (*userDoc).toDomain)
}
