package store

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/lianqi/lianqi/domain"
)

type officialDoc struct {
	Stamp     `bson:",inline"`
	Name      string     `bson:"name"`
	Phone     string     `bson:"phone"`
	Posts     []postDoc  `bson:"posts"`
	RetiredAt *time.Time `bson:"retiredAt"`
	// Bureau duplicates the current post's bureau so listings can filter on it.
	Bureau string `bson:"bureau"`
	Source string `bson:"source,omitempty"`
}

type postDoc struct {
	Bureau string     `bson:"bureau"`
	Title  string     `bson:"title"`
	From   time.Time  `bson:"from"`
	To     *time.Time `bson:"to"`
}

func (d *officialDoc) visibleIn(s domain.Scope) bool { return s.HasOfficial(d.ID) }

func officialFromDomain(o *domain.Official) *officialDoc {
	d := &officialDoc{Stamp: baseFrom(o.ID, o.Meta), Name: o.Name, Phone: o.Phone, RetiredAt: o.RetiredAt, Posts: []postDoc{}, Source: o.Source}
	for _, p := range o.Posts {
		d.Posts = append(d.Posts, postDoc{Bureau: p.Bureau, Title: p.Title, From: p.From, To: p.To})
	}
	if cur := o.CurrentPost(); cur != nil {
		d.Bureau = cur.Bureau
	}
	return d
}

func (d *officialDoc) toDomain() *domain.Official {
	o := &domain.Official{ID: d.ID, Name: d.Name, Phone: d.Phone, RetiredAt: utcPtr(d.RetiredAt), Source: d.Source, Meta: d.meta()}
	for _, p := range d.Posts {
		o.Posts = append(o.Posts, domain.Post{Bureau: p.Bureau, Title: p.Title, From: p.From.UTC(), To: utcPtr(p.To)})
	}
	return o
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// officialScope restricts officials to those the caller may read.
func officialScope(scope domain.Scope) bson.D {
	if scope.All {
		return nil
	}
	return inIf("_id", append([]string{""}, scope.OfficialIDs...))
}

// FindOfficialByID returns the official if inside scope.
func (db *DB) FindOfficialByID(ctx context.Context, scope domain.Scope, id string) (*domain.Official, error) {
	return findOne(ctx, db, CollOfficials, id, scope, (*officialDoc).toDomain)
}

// FindOfficials lists officials inside scope, by name.
func (db *DB) FindOfficials(ctx context.Context, scope domain.Scope, f domain.OfficialFilter, page domain.PageRequest) (domain.Page[*domain.Official], error) {
	filter := and(live(), officialScope(scope), eqIf("bureau", f.Bureau))
	if f.Search != "" {
		filter = and(filter, containsText("name", f.Search))
	}
	return findPage(ctx, db, CollOfficials, filter, sortSpec{Field: "name"}, page, (*officialDoc).toDomain)
}

// FindOfficialsByIDs returns the live officials among ids that are inside scope.
func (db *DB) FindOfficialsByIDs(ctx context.Context, scope domain.Scope, ids []string) ([]*domain.Official, error) {
	return findByIDs(ctx, db, CollOfficials, ids, scope, false, (*officialDoc).toDomain)
}

// CreateOfficial stores a new official.
func (db *DB) CreateOfficial(ctx context.Context, o *domain.Official) error {
	return save(ctx, db, CollOfficials, officialFromDomain(o), 0, &o.Meta)
}

// UpdateOfficial replaces the official if its stored version is still o.Version.
func (db *DB) UpdateOfficial(ctx context.Context, o *domain.Official) error {
	return save(ctx, db, CollOfficials, officialFromDomain(o), o.Version, &o.Meta)
}
