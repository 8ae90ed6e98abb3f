package store

import (
	"context"

	"github.com/lianqi/lianqi/domain"
)

type enterpriseDoc struct {
	Stamp    `bson:",inline"`
	Name     string     `bson:"name"`
	Town     string     `bson:"town"`
	Park     string     `bson:"park"`
	Industry string     `bson:"industry"`
	Contact  contactDoc `bson:"contact"`
	Status   string     `bson:"status"`
	Source   string     `bson:"source,omitempty"`
	// Firm size; absent when not known.
	Employees   *int   `bson:"employees,omitempty"`
	RevenueBand string `bson:"revenueBand,omitempty"`
}

type contactDoc struct {
	Name  string `bson:"name"`
	Phone string `bson:"phone"`
}

func (d *enterpriseDoc) visibleIn(s domain.Scope) bool { return s.HasEnterprise(d.ID) }

func enterpriseFromDomain(e *domain.Enterprise) *enterpriseDoc {
	return &enterpriseDoc{Stamp: baseFrom(e.ID, e.Meta), Name: e.Name, Town: e.Town, Park: e.Park, Industry: e.Industry,
		Contact: contactDoc{Name: e.Contact.Name, Phone: e.Contact.Phone}, Status: string(e.Status), Employees: e.Employees, RevenueBand: string(e.RevenueBand), Source: e.Source}
}

func (d *enterpriseDoc) toDomain() *domain.Enterprise {
	return &domain.Enterprise{ID: d.ID, Name: d.Name, Town: d.Town, Park: d.Park, Industry: d.Industry,
		Contact: domain.Contact{Name: d.Contact.Name, Phone: d.Contact.Phone}, Status: domain.EnterpriseStatus(d.Status), Source: d.Source, Meta: d.meta(),
		Employees: d.Employees, RevenueBand: domain.RevenueBand(d.RevenueBand)}
}

// FindEnterpriseByID returns the enterprise if it is inside scope.
func (db *DB) FindEnterpriseByID(ctx context.Context, scope domain.Scope, id string) (*domain.Enterprise, error) {
	return findOne(ctx, db, CollEnterprises, id, scope, (*enterpriseDoc).toDomain)
}

// FindEnterprises lists enterprises inside scope, by name.
func (db *DB) FindEnterprises(ctx context.Context, scope domain.Scope, f domain.EnterpriseFilter, page domain.PageRequest) (domain.Page[*domain.Enterprise], error) {
	filter := and(live(), inScope(scope, "_id"), eqIf("town", f.Town), eqIf("status", string(f.Status)))
	if f.Search != "" {
		filter = and(filter, containsText("name", f.Search))
	}
	return findPage(ctx, db, CollEnterprises, filter, sortSpec{Field: "name"}, page, (*enterpriseDoc).toDomain)
}

// FindEnterprisesByIDs returns the live enterprises among ids that are inside scope.
func (db *DB) FindEnterprisesByIDs(ctx context.Context, scope domain.Scope, ids []string) ([]*domain.Enterprise, error) {
	return findByIDs(ctx, db, CollEnterprises, ids, scope, false, (*enterpriseDoc).toDomain)
}

// CreateEnterprise stores a new enterprise; e's id must be set and its meta is stamped.
func (db *DB) CreateEnterprise(ctx context.Context, e *domain.Enterprise) error {
	return save(ctx, db, CollEnterprises, enterpriseFromDomain(e), 0, &e.Meta)
}

// UpdateEnterprise replaces the enterprise if its stored version is still e.Version.
func (db *DB) UpdateEnterprise(ctx context.Context, e *domain.Enterprise) error {
	return save(ctx, db, CollEnterprises, enterpriseFromDomain(e), e.Version, &e.Meta)
}
