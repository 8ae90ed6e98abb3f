package domain

import (
	"io"
	"strings"
	"time"
)

// Category is the kind of difficulty an enterprise reports.
type Category string

const (
	CategoryFinancing      Category = "FINANCING"          // 融资
	CategoryLabour         Category = "LABOUR"             // 用工
	CategoryInfrastructure Category = "INFRASTRUCTURE"     // 基础配套
	CategoryGovernment     Category = "GOVERNMENT_SERVICE" // 政府保障
	CategoryEnvironment    Category = "ENVIRONMENT"        // 环保
	CategoryLandPlanning   Category = "LAND_PLANNING"      // 土地规划
	CategorySafety         Category = "SAFETY"             // 安全
	CategoryPermits        Category = "PERMITS"            // 审批证照
	CategoryOther          Category = "OTHER"              // 其他
)

// Categories lists every category in display order.
var Categories = []Category{CategoryFinancing, CategoryLabour, CategoryInfrastructure, CategoryGovernment,
	CategoryEnvironment, CategoryLandPlanning, CategorySafety, CategoryPermits, CategoryOther}

var categoryLabels = map[Category]string{
	CategoryFinancing: "融资", CategoryLabour: "用工", CategoryInfrastructure: "基础配套",
	CategoryGovernment: "政府保障", CategoryEnvironment: "环保", CategoryLandPlanning: "土地规划",
	CategorySafety: "安全", CategoryPermits: "审批证照", CategoryOther: "其他",
}

// Label is the Chinese name users know the category by.
func (c Category) Label() string { return categoryLabels[c] }

func (c *Category) UnmarshalGQL(v any) (err error) {
	*c, err = parseEnum(v, Categories, "ProblemCategory")
	return err
}
func (c Category) MarshalGQL(w io.Writer) { writeEnum(w, c) }

// ProblemStatus is where a problem stands in its life.
type ProblemStatus string

const (
	StatusReported     ProblemStatus = "REPORTED"
	StatusAcknowledged ProblemStatus = "ACKNOWLEDGED"
	StatusInProgress   ProblemStatus = "IN_PROGRESS"
	StatusResolved     ProblemStatus = "RESOLVED"
	StatusConfirmed    ProblemStatus = "CONFIRMED"
	StatusWithdrawn    ProblemStatus = "WITHDRAWN"
)

// ProblemStatuses lists every status in life-cycle order.
var ProblemStatuses = []ProblemStatus{StatusReported, StatusAcknowledged, StatusInProgress, StatusResolved, StatusConfirmed, StatusWithdrawn}

func (s *ProblemStatus) UnmarshalGQL(v any) (err error) {
	*s, err = parseEnum(v, ProblemStatuses, "ProblemStatus")
	return err
}
func (s ProblemStatus) MarshalGQL(w io.Writer) { writeEnum(w, s) }

// Open reports whether the problem still needs work: it counts towards "overdue".
func (s ProblemStatus) Open() bool {
	return s == StatusReported || s == StatusAcknowledged || s == StatusInProgress
}

// OpenStatuses are the statuses for which Open is true.
var OpenStatuses = []ProblemStatus{StatusReported, StatusAcknowledged, StatusInProgress}

// Level is the rung of the escalation ladder a problem is on.
type Level string

const (
	L1 Level = "L1" // 当场解决: the chief solves it on the spot
	L2 Level = "L2" // 系统内: inside the chief's own department
	L3 Level = "L3" // 函告/协调会: another department, by letter or coordination meeting
	L4 Level = "L4" // 县长办公会议: the county executive meeting
)

// Levels lists the ladder bottom to top.
var Levels = []Level{L1, L2, L3, L4}

func (l *Level) UnmarshalGQL(v any) (err error) {
	*l, err = parseEnum(v, Levels, "EscalationLevel")
	return err
}
func (l Level) MarshalGQL(w io.Writer) { writeEnum(w, l) }

// Deadlines are how long a problem on one level may wait for a response and for
// its resolution.
type Deadlines struct {
	Respond time.Duration
	Resolve time.Duration
}

// DefaultDeadlines are the programme's defaults per level; "every matter gets a
// response" means even an L4 problem is acknowledged within days.
var DefaultDeadlines = map[Level]Deadlines{
	L1: {Respond: 24 * time.Hour, Resolve: 3 * 24 * time.Hour},
	L2: {Respond: 2 * 24 * time.Hour, Resolve: 15 * 24 * time.Hour},
	L3: {Respond: 3 * 24 * time.Hour, Resolve: 30 * 24 * time.Hour},
	L4: {Respond: 5 * 24 * time.Hour, Resolve: 60 * 24 * time.Hour},
}

// Problem is a difficulty an enterprise faces (困难/问题), followed to the end.
type Problem struct {
	ID                    string
	EnterpriseID          string
	Category              Category
	Title                 string
	Description           string
	Status                ProblemStatus
	Level                 Level
	ResponsibleDepartment string
	// CoordinatingDepartments are the other departments an L3 problem went to.
	CoordinatingDepartments []string
	EscalationMode          EscalationMode
	// The ladder's paper trail (paper.go): the L3 letter or meeting, each
	// asked department's reply, the L4 executive meeting's decision.
	Letter            *EscalationLetter
	Meeting           *CoordinationMeeting
	DepartmentReplies []DepartmentReply
	ExecutiveDecision *ExecutiveDecision
	Tags              []string
	ReportedByUserID  string
	ReportedAt        time.Time
	// RespondBy and ResolveBy are the deadlines of the current level.
	RespondBy   time.Time
	ResolveBy   time.Time
	RespondedAt *time.Time
	ResolvedAt  *time.Time
	// Source marks demo records: "article: …" for what the source article
	// states, "demo: …" for what was invented (docs/domain.md); "" for real data.
	Source string
	// Clocks holds, per content field (JSON name), the hybrid logical clock of
	// the edit that wrote its current value, so that of two offline edits the
	// later wins whatever order they sync in. Records older than per-field
	// clocks have none; the record's own clock stands in for them.
	Clocks map[string]string
	Meta
}

// Overdue reports whether the problem missed a deadline and is still open.
func (p *Problem) Overdue(now time.Time) bool {
	if !p.Status.Open() {
		return false
	}
	if p.Status == StatusReported && now.After(p.RespondBy) {
		return true
	}
	return now.After(p.ResolveBy)
}

// NoDeadline is the DueAt of a closed problem: later than any real deadline, so
// that sorting by DueAt puts closed problems last.
var NoDeadline = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

// DueAt is the deadline that applies now: the response deadline while nobody
// has responded, the resolution deadline while the problem is in work, and
// NoDeadline once it is closed. The problem is overdue exactly when now is past
// DueAt (a reported problem past its resolution deadline is past its earlier
// response deadline too, as respondBy never comes after resolveBy).
func (p *Problem) DueAt() time.Time {
	switch {
	case !p.Status.Open():
		return NoDeadline
	case p.Status == StatusReported && p.RespondBy.Before(p.ResolveBy):
		return p.RespondBy
	}
	return p.ResolveBy
}

// SetDeadlines sets the deadlines of the problem's level counted from 'from'.
func (p *Problem) SetDeadlines(from time.Time, d map[Level]Deadlines) {
	dl := d[p.Level]
	p.RespondBy = from.Add(dl.Respond)
	p.ResolveBy = from.Add(dl.Resolve)
}

// Validate checks the problem's content before it is stored.
func (p *Problem) Validate() error {
	p.Title = strings.TrimSpace(p.Title)
	if !ValidID(p.EnterpriseID) {
		return Invalid("enterpriseId", "a valid enterprise id is required")
	}
	if p.Title == "" {
		return Invalid("title", "a short title is required")
	}
	if !contains(Categories, p.Category) {
		return Invalid("category", "unknown category %q", p.Category)
	}
	if !contains(ProblemStatuses, p.Status) {
		return Invalid("status", "unknown status %q", p.Status)
	}
	if !contains(Levels, p.Level) {
		return Invalid("level", "unknown escalation level %q", p.Level)
	}
	if err := checkText("title", p.Title, 200); err != nil {
		return err
	}
	if err := checkText("description", p.Description, 5000); err != nil {
		return err
	}
	if err := checkText("responsibleDepartment", p.ResponsibleDepartment, 100); err != nil {
		return err
	}
	if len(p.Tags) > 20 {
		return Invalid("tags", "at most 20 tags")
	}
	for _, t := range p.Tags {
		if strings.TrimSpace(t) == "" {
			return Invalid("tags", "tags must not be empty")
		}
		if err := checkText("tags", t, 40); err != nil {
			return err
		}
	}
	return nil
}

// ProblemFilter narrows a problem listing.
type ProblemFilter struct {
	Statuses     []ProblemStatus
	Categories   []Category
	Levels       []Level
	EnterpriseID string
	// Overdue, when set, keeps only problems that are (true) or are not (false) overdue.
	Overdue *bool
	Search  string
}

// ProblemSort orders a problem listing.
type ProblemSort string

const (
	SortReportedAtDesc ProblemSort = "REPORTED_AT_DESC"
	SortReportedAtAsc  ProblemSort = "REPORTED_AT_ASC"
	SortUpdatedAtDesc  ProblemSort = "UPDATED_AT_DESC"
	SortResolveByAsc   ProblemSort = "RESOLVE_BY_ASC"
	SortLevelDesc      ProblemSort = "LEVEL_DESC"
	// SortDueAsc puts the most overdue first, then the nearest deadline that
	// applies now (see DueAt); closed problems last.
	SortDueAsc ProblemSort = "DUE_ASC"
)

var problemSorts = []ProblemSort{SortReportedAtDesc, SortReportedAtAsc, SortUpdatedAtDesc, SortResolveByAsc, SortLevelDesc, SortDueAsc}

func (s *ProblemSort) UnmarshalGQL(v any) (err error) {
	*s, err = parseEnum(v, problemSorts, "ProblemSort")
	return err
}
func (s ProblemSort) MarshalGQL(w io.Writer) { writeEnum(w, s) }

// ProgressNote is one entry of a problem's append-only history: a free-text note
// (Kind NOTE) or a recorded workflow step with who, when, why and what changed.
type ProgressNote struct {
	ID           string
	ProblemID    string
	EnterpriseID string
	AuthorUserID string
	AuthorName   string
	Kind         Action
	Text         string
	At           time.Time
	// For workflow steps: the status and level before and after.
	FromStatus, ToStatus ProblemStatus
	FromLevel, ToLevel   Level
	Mode                 EscalationMode
	Departments          []string
	Meta
}

// Validate checks the note before it is stored.
func (n *ProgressNote) Validate() error {
	n.Text = strings.TrimSpace(n.Text)
	if n.Kind == "" {
		n.Kind = ActionNote
	}
	if n.Text == "" {
		return Invalid("text", "a progress note needs text")
	}
	return checkText("text", n.Text, 5000)
}
