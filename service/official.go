package service

import (
	"context"
	"time"

	"github.com/lianqi/lianqi/domain"
)

// Official returns one official inside the caller's scope.
func (s *Service) Official(ctx context.Context, id string) (*domain.Official, error) {
	sc, _, err := s.Scope(ctx)
	if err != nil {
		return nil, err
	}
	return s.db.FindOfficialByID(ctx, sc, id)
}

// OfficialsByIDs returns the officials among ids inside the caller's scope.
func (s *Service) OfficialsByIDs(ctx context.Context, ids []string) ([]*domain.Official, error) {
	sc, _, err := s.Scope(ctx)
	if err != nil {
		return nil, err
	}
	return s.db.FindOfficialsByIDs(ctx, sc, ids)
}

// Officials lists the officials inside the caller's scope.
func (s *Service) Officials(ctx context.Context, f domain.OfficialFilter, page domain.PageRequest) (domain.Page[*domain.Official], error) {
	sc, _, err := s.Scope(ctx)
	if err != nil {
		return domain.Page[*domain.Official]{}, err
	}
	return s.db.FindOfficials(ctx, sc, f, page)
}

// PostInput is a post an official takes up.
type PostInput struct {
	Bureau string
	Title  string
	From   time.Time
}

// CreateOfficialInput adds an official.
type CreateOfficialInput struct {
	ID    *string
	Name  string
	Phone *string
	Post  *PostInput
}

// CreateOfficial adds an official, with the current post if given (admins only).
func (s *Service) CreateOfficial(ctx context.Context, in CreateOfficialInput) (*domain.Official, error) {
	if _, err := s.require(ctx, domain.RoleAdmin); err != nil {
		return nil, err
	}
	id, err := newID(in.ID)
	if err != nil {
		return nil, err
	}
	o := &domain.Official{ID: id, Name: in.Name, Phone: deref(in.Phone)}
	if in.Post != nil {
		from, err := s.postStart(in.Post.From)
		if err != nil {
			return nil, err
		}
		if err := o.ChangePost(in.Post.Bureau, in.Post.Title, from); err != nil {
			return nil, err
		}
	}
	if err := o.Validate(); err != nil {
		return nil, err
	}
	return o, s.db.CreateOfficial(ctx, o)
}

// UpdateOfficialInput changes an official's own details; posts change through
// ChangeOfficialPost so that history is kept.
type UpdateOfficialInput struct {
	Name  *string
	Phone *string
}

// UpdateOfficial changes an official's name or phone (admins only).
func (s *Service) UpdateOfficial(ctx context.Context, id string, expectedVersion *int, in UpdateOfficialInput) (*domain.Official, error) {
	return s.editOfficial(ctx, id, expectedVersion, func(o *domain.Official) error {
		setIf(&o.Name, in.Name)
		setIf(&o.Phone, in.Phone)
		return nil
	})
}

// ChangeOfficialPost records that an official took up a new post, e.g. after an
// institutional reform (admins only). The previous post is closed, not replaced,
// and the official's pairings are untouched: the service follows the person.
func (s *Service) ChangeOfficialPost(ctx context.Context, id string, in PostInput) (*domain.Official, error) {
	return s.editOfficial(ctx, id, nil, func(o *domain.Official) error {
		from, err := s.postStart(in.From)
		if err != nil {
			return err
		}
		return o.ChangePost(in.Bureau, in.Title, from)
	})
}

// postStart is when a new post begins: now when not given, never later than
// now. Planned posts are not a feature: the current post is the last one
// entered, so a post starting in 2030 would read as current today.
func (s *Service) postStart(from time.Time) (time.Time, error) {
	now := s.now()
	if from.IsZero() {
		return now, nil
	}
	if from.After(now) {
		return time.Time{}, domain.Invalid("from", "a post cannot start in the future (%s): record it once it has begun", from.UTC().Format(time.DateOnly))
	}
	return from.UTC(), nil
}

func (s *Service) editOfficial(ctx context.Context, id string, expectedVersion *int, edit func(*domain.Official) error) (*domain.Official, error) {
	if _, err := s.require(ctx, domain.RoleAdmin); err != nil {
		return nil, err
	}
	o, err := s.db.FindOfficialByID(ctx, domain.Scope{All: true}, id)
	if err != nil {
		return nil, err
	}
	if err := checkVersion(expectedVersion, "official", id, o.Version); err != nil {
		return nil, err
	}
	if err := edit(o); err != nil {
		return nil, err
	}
	if err := o.Validate(); err != nil {
		return nil, err
	}
	return o, s.db.UpdateOfficial(ctx, o)
}
