package domain

import (
	"io"
	"strings"
)

// EnterpriseStatus says whether an enterprise is still served by the programme.
type EnterpriseStatus string

const (
	EnterpriseActive EnterpriseStatus = "ACTIVE"
	// EnterpriseLeft marks a firm that left the county: one of the two events that end a pairing.
	EnterpriseLeft EnterpriseStatus = "LEFT_COUNTY"
)

var enterpriseStatuses = []EnterpriseStatus{EnterpriseActive, EnterpriseLeft}

func (s *EnterpriseStatus) UnmarshalGQL(v any) (err error) {
	*s, err = parseEnum(v, enterpriseStatuses, "EnterpriseStatus")
	return err
}
func (s EnterpriseStatus) MarshalGQL(w io.Writer) { writeEnum(w, s) }

// Contact is a person to call at an enterprise.
type Contact struct {
	Name  string
	Phone string
}

// Enterprise is a firm in the programme.
type Enterprise struct {
	ID       string
	Name     string
	Town     string
	Park     string
	Industry string
	Contact  Contact
	Status   EnterpriseStatus
	// Source marks demo records: "article: …" for what the source article
	// states, "demo: …" for what was invented (docs/domain.md); "" for real data.
	Source string
	// Firm size (size.go): nil and "" when not known.
	Employees   *int
	RevenueBand RevenueBand
	Meta
}

// Validate checks the enterprise before it is stored.
func (e *Enterprise) Validate() error {
	e.Name = strings.TrimSpace(e.Name)
	if e.Name == "" {
		return Invalid("name", "enterprise name is required")
	}
	if e.Status == "" {
		e.Status = EnterpriseActive
	}
	if !contains(enterpriseStatuses, e.Status) {
		return Invalid("status", "unknown enterprise status %q", e.Status)
	}
	if err := e.validateSize(); err != nil {
		return err
	}
	for field, v := range map[string]string{"name": e.Name, "town": e.Town, "park": e.Park, "industry": e.Industry, "contact.name": e.Contact.Name, "contact.phone": e.Contact.Phone} {
		if err := checkText(field, v, 200); err != nil {
			return err
		}
	}
	return nil
}

// EnterpriseFilter narrows an enterprise listing.
type EnterpriseFilter struct {
	Town   string
	Search string // case-insensitive substring of the name
	Status EnterpriseStatus
}
