package sync

import (
	"time"

	"github.com/lianqi/lianqi/domain"
)

// Documents are what replicas hold: flat, JSON-friendly, one per record, with
// the deleted flag RxDB expects. Fields a device may not set (deadlines, who
// reported, version) are carried so replicas equal the server, and ignored on
// push.

// ProblemDoc is a problem as replicated.
type ProblemDoc struct {
	ID                      string               `json:"id"`
	EnterpriseID            string               `json:"enterpriseId"`
	Category                domain.Category      `json:"category"`
	Title                   string               `json:"title"`
	Description             string               `json:"description"`
	Status                  domain.ProblemStatus `json:"status"`
	Level                   domain.Level         `json:"level"`
	ResponsibleDepartment   string               `json:"responsibleDepartment"`
	CoordinatingDepartments []string             `json:"coordinatingDepartments"`
	EscalationMode          string               `json:"escalationMode"`
	Tags                    []string             `json:"tags"`
	ReportedBy              string               `json:"reportedBy"`
	ReportedAt              *time.Time           `json:"reportedAt"`
	RespondBy               *time.Time           `json:"respondBy"`
	ResolveBy               *time.Time           `json:"resolveBy"`
	RespondedAt             *time.Time           `json:"respondedAt"`
	ResolvedAt              *time.Time           `json:"resolvedAt"`
	// The ladder's paper trail, flattened for the phone (the RxDB schema has
	// scalars and lists only). Written by the server's workflow steps; a
	// device cannot change them (immutable in the merge policy table).
	LetterTo           []string   `json:"letterTo"`
	LetterSentAt       *time.Time `json:"letterSentAt"`
	LetterReference    string     `json:"letterReference"`
	MeetingDate        *time.Time `json:"meetingDate"`
	MeetingDepartments []string   `json:"meetingDepartments"`
	MeetingDecisions   string     `json:"meetingDecisions"`
	ExecutiveDecision  string     `json:"executiveDecision"`
	ExecutiveAssignee  string     `json:"executiveAssignee"`
	ExecutiveDeadline  *time.Time `json:"executiveDeadline"`
	// StatusReason is input only: why the device changed status or level
	// (required to escalate, reopen or withdraw). It becomes the history entry.
	StatusReason *string `json:"statusReason,omitempty"`
	Meta
}

// Meta is the bookkeeping every document carries.
type Meta struct {
	Version   int64      `json:"version"`
	UpdatedAt *time.Time `json:"updatedAt"`
	// HLC is the hybrid logical clock of the last edit: the device's on push,
	// the server's (its write time) on pull. Last-writer-wins fields compare it.
	HLC     string `json:"hlc"`
	Deleted bool   `json:"deleted"`
}

func metaOf(m domain.Meta) Meta {
	t := m.UpdatedAt
	return Meta{Version: m.Version, UpdatedAt: &t, HLC: ServerHLC(t), Deleted: m.Deleted}
}

func tp(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func problemDoc(p *domain.Problem) *ProblemDoc {
	d := &ProblemDoc{ID: p.ID, EnterpriseID: p.EnterpriseID, Category: p.Category, Title: p.Title, Description: p.Description,
		Status: p.Status, Level: p.Level, ResponsibleDepartment: p.ResponsibleDepartment,
		CoordinatingDepartments: nonNil(p.CoordinatingDepartments), EscalationMode: string(p.EscalationMode), Tags: nonNil(p.Tags),
		ReportedBy: p.ReportedByUserID, ReportedAt: tp(p.ReportedAt), RespondBy: tp(p.RespondBy), ResolveBy: tp(p.ResolveBy),
		RespondedAt: p.RespondedAt, ResolvedAt: p.ResolvedAt, Meta: metaWithClocks(p.Meta, p.Clocks),
		LetterTo: []string{}, MeetingDepartments: []string{}}
	if l := p.Letter; l != nil {
		d.LetterTo, d.LetterSentAt, d.LetterReference = nonNil(l.To), tp(l.SentAt), l.Reference
	}
	if m := p.Meeting; m != nil {
		d.MeetingDate, d.MeetingDepartments, d.MeetingDecisions = tp(m.Date), nonNil(m.Departments), m.Decisions
	}
	if x := p.ExecutiveDecision; x != nil {
		d.ExecutiveDecision, d.ExecutiveAssignee, d.ExecutiveDeadline = x.Decision, x.Assignee, x.Deadline
	}
	return d
}

// metaWithClocks gives a document the latest of its write time and its field
// clocks as hlc: a device that pulls it observes every clock the server keeps,
// so its next edit is later than all of them (hybrid logical clock).
func metaWithClocks(m domain.Meta, clocks map[string]string) Meta {
	out := metaOf(m)
	for _, c := range clocks {
		out.HLC = maxHLC(out.HLC, c)
	}
	return out
}

// ProgressNoteDoc is an entry of a problem's append-only history.
type ProgressNoteDoc struct {
	ID           string     `json:"id"`
	ProblemID    string     `json:"problemId"`
	EnterpriseID string     `json:"enterpriseId"`
	AuthorID     string     `json:"authorId"`
	AuthorName   string     `json:"authorName"`
	Kind         string     `json:"kind"`
	Text         string     `json:"text"`
	At           *time.Time `json:"at"`
	FromStatus   string     `json:"fromStatus"`
	ToStatus     string     `json:"toStatus"`
	Meta
}

func noteDoc(n *domain.ProgressNote) *ProgressNoteDoc {
	return &ProgressNoteDoc{ID: n.ID, ProblemID: n.ProblemID, EnterpriseID: n.EnterpriseID, AuthorID: n.AuthorUserID,
		AuthorName: n.AuthorName, Kind: string(n.Kind), Text: n.Text, At: tp(n.At), FromStatus: string(n.FromStatus), ToStatus: string(n.ToStatus), Meta: metaOf(n.Meta)}
}

// VisitDoc is an official's visit.
type VisitDoc struct {
	ID           string     `json:"id"`
	OfficialID   string     `json:"officialId"`
	EnterpriseID string     `json:"enterpriseId"`
	Date         *time.Time `json:"date"`
	Notes        string     `json:"notes"`
	ProblemIDs   []string   `json:"problemIds"`
	Meta
}

func visitDoc(v *domain.Visit) *VisitDoc {
	return &VisitDoc{ID: v.ID, OfficialID: v.OfficialID, EnterpriseID: v.EnterpriseID, Date: tp(v.Date), Notes: v.Notes,
		ProblemIDs: nonNil(v.ProblemIDs), Meta: metaWithClocks(v.Meta, v.Clocks)}
}

// EnterpriseDoc is an enterprise (pull only).
type EnterpriseDoc struct {
	ID           string                  `json:"id"`
	Name         string                  `json:"name"`
	Town         string                  `json:"town"`
	Park         string                  `json:"park"`
	Industry     string                  `json:"industry"`
	ContactName  string                  `json:"contactName"`
	ContactPhone string                  `json:"contactPhone"`
	Status       domain.EnterpriseStatus `json:"status"`
	Meta
}

func enterpriseDoc(e *domain.Enterprise) *EnterpriseDoc {
	return &EnterpriseDoc{ID: e.ID, Name: e.Name, Town: e.Town, Park: e.Park, Industry: e.Industry, ContactName: e.Contact.Name,
		ContactPhone: e.Contact.Phone, Status: e.Status, Meta: metaOf(e.Meta)}
}

// PairingDoc is a pairing (pull only).
type PairingDoc struct {
	ID             string     `json:"id"`
	EnterpriseID   string     `json:"enterpriseId"`
	LeadOfficialID string     `json:"leadOfficialId"`
	TeamMemberIDs  []string   `json:"teamMemberIds"`
	StartedAt      *time.Time `json:"startedAt"`
	EndedAt        *time.Time `json:"endedAt"`
	EndReason      string     `json:"endReason"`
	Meta
}

func pairingDoc(p *domain.Pairing) *PairingDoc {
	return &PairingDoc{ID: p.ID, EnterpriseID: p.EnterpriseID, LeadOfficialID: p.LeadOfficialID, TeamMemberIDs: nonNil(p.TeamMemberIDs),
		StartedAt: tp(p.StartedAt), EndedAt: p.EndedAt, EndReason: string(p.EndReason), Meta: metaOf(p.Meta)}
}

// OfficialDoc is an official (pull only); the current post is flattened.
type OfficialDoc struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Phone     string     `json:"phone"`
	Bureau    string     `json:"bureau"`
	Title     string     `json:"title"`
	RetiredAt *time.Time `json:"retiredAt"`
	Meta
}

func officialDoc(o *domain.Official) *OfficialDoc {
	d := &OfficialDoc{ID: o.ID, Name: o.Name, Phone: o.Phone, RetiredAt: o.RetiredAt, Meta: metaOf(o.Meta)}
	if p := o.CurrentPost(); p != nil {
		d.Bureau, d.Title = p.Bureau, p.Title
	}
	return d
}
