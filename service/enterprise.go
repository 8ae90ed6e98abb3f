package service

import (
	"context"

	"github.com/lianqi/lianqi/domain"
)

// Enterprise returns one enterprise inside the caller's scope.
func (s *Service) Enterprise(ctx context.Context, id string) (*domain.Enterprise, error) {
	sc, _, err := s.Scope(ctx)
	if err != nil {
		return nil, err
	}
	return s.db.FindEnterpriseByID(ctx, sc, id)
}

// EnterprisesByIDs returns the enterprises among ids inside the caller's scope
// (for batched loading of nested fields).
func (s *Service) EnterprisesByIDs(ctx context.Context, ids []string) ([]*domain.Enterprise, error) {
	sc, _, err := s.Scope(ctx)
	if err != nil {
		return nil, err
	}
	return s.db.FindEnterprisesByIDs(ctx, sc, ids)
}

// Enterprises lists the enterprises inside the caller's scope.
func (s *Service) Enterprises(ctx context.Context, f domain.EnterpriseFilter, page domain.PageRequest) (domain.Page[*domain.Enterprise], error) {
	sc, _, err := s.Scope(ctx)
	if err != nil {
		return domain.Page[*domain.Enterprise]{}, err
	}
	return s.db.FindEnterprises(ctx, sc, f, page)
}

// ContactInput is a contact person; nil fields stay as they are on update.
type ContactInput struct {
	Name  *string
	Phone *string
}

// EnterpriseInput creates or changes an enterprise; nil fields stay as they are.
type EnterpriseInput struct {
	ID       *string
	Name     *string
	Town     *string
	Park     *string
	Industry *string
	Contact  *ContactInput
	Status   *domain.EnterpriseStatus
	// Firm size, for leaders choosing small firms to spot-check.
	Employees   *int
	RevenueBand *domain.RevenueBand
}

func (in EnterpriseInput) apply(e *domain.Enterprise) {
	setIf(&e.Name, in.Name)
	setIf(&e.Town, in.Town)
	setIf(&e.Park, in.Park)
	setIf(&e.Industry, in.Industry)
	setIf(&e.Status, in.Status)
	if in.Employees != nil {
		n := *in.Employees
		e.Employees = &n
	}
	setIf(&e.RevenueBand, in.RevenueBand)
	if in.Contact != nil {
		setIf(&e.Contact.Name, in.Contact.Name)
		setIf(&e.Contact.Phone, in.Contact.Phone)
	}
}

// CreateEnterprise adds an enterprise to the programme (admins only).
func (s *Service) CreateEnterprise(ctx context.Context, in EnterpriseInput) (*domain.Enterprise, error) {
	if _, err := s.require(ctx, domain.RoleAdmin); err != nil {
		return nil, err
	}
	id, err := newID(in.ID)
	if err != nil {
		return nil, err
	}
	e := &domain.Enterprise{ID: id}
	in.apply(e)
	if err := e.Validate(); err != nil {
		return nil, err
	}
	return e, s.db.CreateEnterprise(ctx, e)
}

// UpdateEnterprise changes an enterprise (admins only).
func (s *Service) UpdateEnterprise(ctx context.Context, id string, expectedVersion *int, in EnterpriseInput) (*domain.Enterprise, error) {
	if _, err := s.require(ctx, domain.RoleAdmin); err != nil {
		return nil, err
	}
	if in.ID != nil {
		return nil, domain.Invalid("id", "an enterprise's id cannot change")
	}
	e, err := s.db.FindEnterpriseByID(ctx, domain.Scope{All: true}, id)
	if err != nil {
		return nil, err
	}
	if err := checkVersion(expectedVersion, "enterprise", id, e.Version); err != nil {
		return nil, err
	}
	if in.Status != nil && *in.Status == domain.EnterpriseLeft && e.Status != domain.EnterpriseLeft {
		// Leaving ends the pairing too; one command does both.
		return nil, domain.Invalid("status", "use markEnterpriseLeft, which also ends the enterprise's pairing")
	}
	in.apply(e)
	if err := e.Validate(); err != nil {
		return nil, err
	}
	return e, s.db.UpdateEnterprise(ctx, e)
}
