// Package demo seeds the programme described in the source article — Suichang county's chiefs, enterprises, their difficulties, visits and a spot check — so that a newcomer has something real to query.
package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/lianqi/lianqi/auth"
	"github.com/lianqi/lianqi/domain"
	"github.com/lianqi/lianqi/store"
)

// Seed writes the demo data through the store's normal write path. It is idempotent at the level the server needs: it returns (false, nil) without writing if any user account already exists (db.CountUsers > 0).
//
// Relative dates (difficulties, notes, visits, spot checks) are counted back from
// now; the programme's history (posts, pairings) has the article's fixed dates.
func Seed(ctx context.Context, db *store.DB, now time.Time) (seeded bool, err error) {
	n, err := db.CountUsers(ctx)
	if err != nil {
		return false, fmt.Errorf("demo: %w", err)
	}
	if n > 0 {
		return false, nil
	}
	// bcrypt is deliberately slow; every demo account has the same password, so
	// one hash serves them all.
	hash, err := auth.HashPassword(Password)
	if err != nil {
		return false, fmt.Errorf("demo: %w", err)
	}
	d, err := build(now, hash)
	if err != nil {
		return false, err
	}
	if err := d.write(ctx, db); err != nil {
		return false, err
	}
	return true, nil
}

// dataset is every record of the demo, built and validated before anything is
// written, so that a mistake in the tables fails before the database is touched.
type dataset struct {
	enterprises []*domain.Enterprise
	officials   []*domain.Official
	pairings    []*domain.Pairing
	problems    []*domain.Problem
	notes       []*domain.ProgressNote
	visits      []*domain.Visit
	spotChecks  []*domain.SpotCheck
	ratings     []*domain.Rating
	quizzes     []*domain.Quiz
	periodic    []*domain.PeriodicRating
	users       []*domain.User

	// problemKeys[i] names problems[i] as in the tables; tests and reports use it.
	problemKeys []string
}

// write stores the dataset. Accounts go last because they are what Seed checks
// to decide whether the database was seeded: if a write fails part-way, the next
// start tries again rather than leaving logins over half the data (the records
// written before the failure are then written a second time; drop the database
// to start clean).
func (d *dataset) write(ctx context.Context, db *store.DB) error {
	for _, e := range d.enterprises {
		if err := db.CreateEnterprise(ctx, e); err != nil {
			return fmt.Errorf("demo: enterprise %s: %w", e.Name, err)
		}
	}
	for _, o := range d.officials {
		if err := db.CreateOfficial(ctx, o); err != nil {
			return fmt.Errorf("demo: official %s: %w", o.Name, err)
		}
	}
	for _, p := range d.pairings {
		if err := db.CreatePairing(ctx, p); err != nil {
			return fmt.Errorf("demo: pairing %s: %w", p.ID, err)
		}
	}
	for _, p := range d.problems {
		if err := db.CreateProblem(ctx, p); err != nil {
			return fmt.Errorf("demo: problem %s: %w", p.Title, err)
		}
	}
	for _, n := range d.notes {
		if err := db.CreateProgressNote(ctx, n); err != nil {
			return fmt.Errorf("demo: progress note %s: %w", n.ID, err)
		}
	}
	for _, v := range d.visits {
		if err := db.CreateVisit(ctx, v); err != nil {
			return fmt.Errorf("demo: visit %s: %w", v.ID, err)
		}
	}
	for _, s := range d.spotChecks {
		if err := db.CreateSpotCheck(ctx, s); err != nil {
			return fmt.Errorf("demo: spot check %s: %w", s.ID, err)
		}
	}
	for _, r := range d.ratings {
		if err := db.CreateRating(ctx, r); err != nil {
			return fmt.Errorf("demo: rating %s: %w", r.ID, err)
		}
	}
	for _, q := range d.quizzes {
		if err := db.CreateQuiz(ctx, q); err != nil {
			return fmt.Errorf("demo: quiz %s: %w", q.ID, err)
		}
	}
	for _, r := range d.periodic {
		if err := db.CreatePeriodicRating(ctx, r); err != nil {
			return fmt.Errorf("demo: periodic rating %s: %w", r.ID, err)
		}
	}
	for _, u := range d.users {
		if err := db.CreateUser(ctx, u); err != nil {
			return fmt.Errorf("demo: user %s: %w", u.Username, err)
		}
	}
	return nil
}

// stamp normalises a time the way the store keeps it: UTC, whole milliseconds.
func stamp(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

func stampPtr(t time.Time) *time.Time {
	s := stamp(t)
	return &s
}

// build turns the tables into validated domain records with fresh ids.
func build(now time.Time, passwordHash string) (*dataset, error) {
	now = stamp(now)
	d := &dataset{}

	enterpriseIDs := map[string]string{}
	for _, s := range enterprises {
		e := &domain.Enterprise{ID: domain.NewID(), Name: s.Name, Town: s.Town, Park: s.Park, Industry: s.Industry,
			Contact: domain.Contact{Name: s.ContactName, Phone: s.ContactPhone}, Status: domain.EnterpriseActive, Source: enterpriseSources[s.Key]}
		if e.Source == "" {
			return nil, fmt.Errorf("demo: enterprise %s: no source (sources.go)", s.Key)
		}
		if err := e.Validate(); err != nil {
			return nil, fmt.Errorf("demo: enterprise %s: %w", s.Key, err)
		}
		enterpriseIDs[s.Key] = e.ID
		d.enterprises = append(d.enterprises, e)
	}

	officialIDs := map[string]string{}
	officialByKey := map[string]*domain.Official{}
	for _, s := range officials {
		o := &domain.Official{ID: domain.NewID(), Name: s.Name, Phone: s.Phone, Source: officialSources[s.Key]}
		if o.Source == "" {
			return nil, fmt.Errorf("demo: official %s: no source (sources.go)", s.Key)
		}
		for _, p := range s.Posts {
			if err := o.ChangePost(p.Bureau, p.Title, stamp(p.From)); err != nil {
				return nil, fmt.Errorf("demo: official %s: %w", s.Key, err)
			}
		}
		if !s.Retired.IsZero() {
			// Retirement ends the current post; ChangePost has no "retire", and
			// refuses further moves once RetiredAt is set.
			if cur := o.CurrentPost(); cur != nil {
				cur.To = stampPtr(s.Retired)
			}
			o.RetiredAt = stampPtr(s.Retired)
		}
		if err := o.Validate(); err != nil {
			return nil, fmt.Errorf("demo: official %s: %w", s.Key, err)
		}
		officialIDs[s.Key] = o.ID
		officialByKey[s.Key] = o
		d.officials = append(d.officials, o)
	}

	for _, s := range pairings {
		eid, ok := enterpriseIDs[s.Enterprise]
		if !ok {
			return nil, fmt.Errorf("demo: pairing: unknown enterprise %q", s.Enterprise)
		}
		lead, ok := officialIDs[s.Lead]
		if !ok {
			return nil, fmt.Errorf("demo: pairing: unknown official %q", s.Lead)
		}
		p := &domain.Pairing{ID: domain.NewID(), EnterpriseID: eid, LeadOfficialID: lead, TeamMemberIDs: []string{}, StartedAt: stamp(s.Started),
			Source: pairingSources[s.Enterprise+"/"+s.Lead]}
		if p.Source == "" {
			return nil, fmt.Errorf("demo: pairing %s/%s: no source (sources.go)", s.Enterprise, s.Lead)
		}
		for _, m := range s.Team {
			id, ok := officialIDs[m]
			if !ok {
				return nil, fmt.Errorf("demo: pairing: unknown team member %q", m)
			}
			p.TeamMemberIDs = append(p.TeamMemberIDs, id)
		}
		if !s.Ended.IsZero() {
			if err := p.End(s.Reason, stamp(s.Ended)); err != nil {
				return nil, fmt.Errorf("demo: pairing %s/%s: %w", s.Enterprise, s.Lead, err)
			}
		} else if officialByKey[s.Lead].RetiredAt != nil {
			// 事随人走 ends only with retirement: a retired chief cannot still lead.
			return nil, fmt.Errorf("demo: pairing %s/%s: the lead has retired", s.Enterprise, s.Lead)
		}
		if err := p.Validate(); err != nil {
			return nil, fmt.Errorf("demo: pairing %s/%s: %w", s.Enterprise, s.Lead, err)
		}
		d.pairings = append(d.pairings, p)
	}

	// Account ids are chosen now because problems and notes name their authors,
	// though the accounts themselves are written last (see write).
	userIDs := map[string]string{}
	officialUsers := map[string]string{} // official id → the account acting as that official
	for _, s := range accountSpecs {
		u := &domain.User{ID: domain.NewID(), Username: s.Username, DisplayName: s.DisplayName, Role: s.Role, PasswordHash: passwordHash}
		if s.Official != "" {
			if u.OfficialID = officialIDs[s.Official]; u.OfficialID == "" {
				return nil, fmt.Errorf("demo: account %s: unknown official %q", s.Username, s.Official)
			}
		}
		if s.Enterprise != "" {
			if u.EnterpriseID = enterpriseIDs[s.Enterprise]; u.EnterpriseID == "" {
				return nil, fmt.Errorf("demo: account %s: unknown enterprise %q", s.Username, s.Enterprise)
			}
		}
		if err := u.Validate(); err != nil {
			return nil, fmt.Errorf("demo: account %s: %w", s.Username, err)
		}
		userIDs[u.Username] = u.ID
		if u.OfficialID != "" {
			officialUsers[u.OfficialID] = u.ID
		}
		d.users = append(d.users, u)
	}
	author := func(username string) (string, error) {
		if username == "" {
			username = "admin"
		}
		id, ok := userIDs[username]
		if !ok {
			return "", fmt.Errorf("unknown account %q", username)
		}
		return id, nil
	}
	past := func(what string, t time.Time) error {
		if t.After(now) {
			return fmt.Errorf("%s %s is in the future", what, t.Format(time.RFC3339))
		}
		return nil
	}

	problemByKey := map[string]*domain.Problem{}
	for _, s := range problems {
		p, notes, err := buildProblem(s, now, enterpriseIDs, author, past)
		if err != nil {
			return nil, fmt.Errorf("demo: problem %s: %w", s.Key, err)
		}
		if problemByKey[s.Key] != nil {
			return nil, fmt.Errorf("demo: problem %s is listed twice", s.Key)
		}
		steps, ratings, err := history(s, p, now, author)
		if err != nil {
			return nil, fmt.Errorf("demo: problem %s: %w", s.Key, err)
		}
		for _, r := range ratings {
			r.OfficialID = leadAt(d.pairings, r.EnterpriseID, r.At)
			if err := r.Validate(); err != nil {
				return nil, fmt.Errorf("demo: problem %s: rating: %w", s.Key, err)
			}
		}
		problemByKey[s.Key] = p
		d.problems = append(d.problems, p)
		d.problemKeys = append(d.problemKeys, s.Key)
		d.notes = append(d.notes, notes...)
		d.notes = append(d.notes, steps...)
		d.ratings = append(d.ratings, ratings...)
	}

	for _, s := range visits {
		v := &domain.Visit{ID: domain.NewID(), OfficialID: officialIDs[s.Official], EnterpriseID: enterpriseIDs[s.Enterprise],
			Date: stamp(s.Date.before(now)), Notes: s.Notes, ProblemIDs: []string{}, Source: visitSources[fmt.Sprintf("%s/%s@%d", s.Official, s.Enterprise, s.Date.days)]}
		if v.Source == "" {
			return nil, fmt.Errorf("demo: visit %s/%s@%d: no source (sources.go)", s.Official, s.Enterprise, s.Date.days)
		}
		for _, k := range s.Problems {
			p := problemByKey[k]
			if p == nil {
				return nil, fmt.Errorf("demo: visit %s/%s: unknown problem %q", s.Official, s.Enterprise, k)
			}
			// A visit only touches difficulties of the firm visited.
			if p.EnterpriseID != v.EnterpriseID {
				return nil, fmt.Errorf("demo: visit %s/%s: problem %s belongs to another enterprise", s.Official, s.Enterprise, k)
			}
			v.ProblemIDs = append(v.ProblemIDs, p.ID)
		}
		if !servesAt(d.pairings, v.OfficialID, v.EnterpriseID, v.Date) {
			return nil, fmt.Errorf("demo: visit %s/%s: the official does not serve the enterprise on that date", s.Official, s.Enterprise)
		}
		if err := v.Validate(now); err != nil {
			return nil, fmt.Errorf("demo: visit %s/%s: %w", s.Official, s.Enterprise, err)
		}
		if err := past("visit date", v.Date); err != nil {
			return nil, fmt.Errorf("demo: visit %s/%s: %w", s.Official, s.Enterprise, err)
		}
		d.visits = append(d.visits, v)
	}

	leader, err := author("maojianguo")
	if err != nil {
		return nil, fmt.Errorf("demo: spot checks: %w", err)
	}
	for _, s := range spotChecks {
		eid, ok := enterpriseIDs[s.Enterprise]
		if !ok {
			return nil, fmt.Errorf("demo: spot check: unknown enterprise %q", s.Enterprise)
		}
		score := s.Score
		date := s.On
		if date.IsZero() {
			date = saturdayBefore(now, s.WeeksAgo)
		}
		c := &domain.SpotCheck{ID: domain.NewID(), LeaderUserID: leader, EnterpriseID: eid,
			Date: stamp(date), Findings: s.Findings, Score: &score, Questions: spotCheckQuestions[s.Enterprise],
			Source: spotCheckSources[s.Enterprise]}
		if c.Source == "" {
			return nil, fmt.Errorf("demo: spot check %s: no source (sources.go)", s.Enterprise)
		}
		c.OfficialID = leadAt(d.pairings, eid, c.Date)
		for _, ds := range s.Demands {
			dm := domain.SpotCheckDemand{ID: domain.NewID(), Demand: ds.Demand, OfficialID: c.OfficialID, Deadline: stamp(c.Date.Add(ds.Due))}
			if ds.Answered > 0 {
				dm.Answer, dm.AnsweredAt, dm.AnsweredByUserID = ds.Answer, stampPtr(c.Date.Add(ds.Answered)), officialUsers[c.OfficialID]
				if dm.AnsweredByUserID == "" {
					return nil, fmt.Errorf("demo: spot check %s: the official who answers has no account", s.Enterprise)
				}
				if err := past("demand answer", *dm.AnsweredAt); err != nil {
					return nil, fmt.Errorf("demo: spot check %s: %w", s.Enterprise, err)
				}
			}
			c.Demands = append(c.Demands, dm)
		}
		if err := c.Validate(now); err != nil {
			return nil, fmt.Errorf("demo: spot check %s: %w", s.Enterprise, err)
		}
		if err := past("spot check date", c.Date); err != nil {
			return nil, fmt.Errorf("demo: spot check %s: %w", s.Enterprise, err)
		}
		d.spotChecks = append(d.spotChecks, c)
	}

	q := &domain.Quiz{ID: domain.NewID(), LeaderUserID: leader, Title: quiz.Title, Date: stamp(quiz.Date.before(now)), Questions: quiz.Questions,
		Source: quizSource}
	for _, o := range officials {
		if score, ok := quiz.Results[o.Key]; ok {
			q.Results = append(q.Results, domain.QuizResult{OfficialID: officialIDs[o.Key], Score: score})
		}
	}
	if len(q.Results) != len(quiz.Results) {
		return nil, fmt.Errorf("demo: quiz: unknown official among %v", quiz.Results)
	}
	if err := q.Validate(now); err != nil {
		return nil, fmt.Errorf("demo: quiz: %w", err)
	}
	d.quizzes = append(d.quizzes, q)

	for _, s := range periodicRatings {
		eid, ok := enterpriseIDs[s.Enterprise]
		if !ok {
			return nil, fmt.Errorf("demo: periodic rating: unknown enterprise %q", s.Enterprise)
		}
		by, err := author(s.By)
		if err != nil {
			return nil, fmt.Errorf("demo: periodic rating %s: %w", s.Enterprise, err)
		}
		at := stamp(s.At.before(now))
		r := &domain.PeriodicRating{EnterpriseID: eid, OfficialID: leadAt(d.pairings, eid, at), ByUserID: by,
			Period: previousQuarter(at), Score: s.Score, Comment: s.Comment, At: at, Source: periodicSource}
		r.ID = domain.PeriodicRatingID(r.EnterpriseID, r.Period)
		if r.OfficialID == "" {
			return nil, fmt.Errorf("demo: periodic rating %s: the enterprise has no chief to rate", s.Enterprise)
		}
		if err := r.Validate(now); err != nil {
			return nil, fmt.Errorf("demo: periodic rating %s: %w", s.Enterprise, err)
		}
		d.periodic = append(d.periodic, r)
	}
	return d, nil
}

// previousQuarter is the quarter before the one t falls in: a firm rates its
// chief for a quarter once it is over.
func previousQuarter(t time.Time) string {
	y, m, _ := t.In(cst).Date()
	first := time.Date(y, m-(m-1)%3, 1, 12, 0, 0, 0, cst)
	return domain.QuarterOf(first.AddDate(0, 0, -1))
}

// leadAt is the official leading the enterprise's pairing at t, "" if none.
func leadAt(pairings []*domain.Pairing, enterpriseID string, t time.Time) string {
	for _, p := range pairings {
		if p.EnterpriseID == enterpriseID && !t.Before(p.StartedAt) && (p.EndedAt == nil || t.Before(*p.EndedAt)) {
			return p.LeadOfficialID
		}
	}
	return ""
}

// buildProblem makes one problem and its progress notes, checking that the
// status agrees with the response and resolution times the table gives.
func buildProblem(s problemSpec, now time.Time, enterpriseIDs map[string]string,
	author func(string) (string, error), past func(string, time.Time) error) (*domain.Problem, []*domain.ProgressNote, error) {
	eid, ok := enterpriseIDs[s.Enterprise]
	if !ok {
		return nil, nil, fmt.Errorf("unknown enterprise %q", s.Enterprise)
	}
	reporter, err := author(s.ReportedBy)
	if err != nil {
		return nil, nil, err
	}
	tags := s.Tags
	if tags == nil {
		tags = []string{}
	}
	p := &domain.Problem{ID: domain.NewID(), EnterpriseID: eid, Category: s.Category, Title: s.Title, Description: s.Desc,
		Status: s.Status, Level: s.Level, ResponsibleDepartment: s.Department, Tags: tags,
		ReportedByUserID: reporter, ReportedAt: stamp(s.Reported.before(now)), Source: problemSources[s.Key]}
	if p.Source == "" {
		return nil, nil, fmt.Errorf("no source (sources.go)")
	}
	p.SetDeadlines(p.ReportedAt, domain.DefaultDeadlines)

	switch s.Status {
	case domain.StatusReported:
		if s.Responded != 0 || s.Resolved != 0 {
			return nil, nil, fmt.Errorf("a REPORTED problem has no response or resolution yet")
		}
	case domain.StatusAcknowledged, domain.StatusInProgress:
		if s.Responded <= 0 || s.Resolved != 0 {
			return nil, nil, fmt.Errorf("%s needs a response time and no resolution", s.Status)
		}
	case domain.StatusResolved, domain.StatusConfirmed:
		if s.Responded <= 0 || s.Resolved < s.Responded {
			return nil, nil, fmt.Errorf("%s needs a response and a later resolution", s.Status)
		}
	case domain.StatusWithdrawn:
		if s.Resolved != 0 {
			return nil, nil, fmt.Errorf("a withdrawn problem is not resolved")
		}
	}
	if s.Responded > 0 {
		p.RespondedAt = stampPtr(p.ReportedAt.Add(s.Responded))
		if err := past("response", *p.RespondedAt); err != nil {
			return nil, nil, err
		}
	}
	if s.Resolved > 0 {
		p.ResolvedAt = stampPtr(p.ReportedAt.Add(s.Resolved))
		if err := past("resolution", *p.ResolvedAt); err != nil {
			return nil, nil, err
		}
	}
	if err := p.Validate(); err != nil {
		return nil, nil, err
	}

	var notes []*domain.ProgressNote
	for i, ns := range s.Notes {
		uid, err := author(ns.By)
		if err != nil {
			return nil, nil, fmt.Errorf("note %d: %w", i, err)
		}
		if ns.After <= 0 {
			return nil, nil, fmt.Errorf("note %d: a note comes after the report", i)
		}
		// AuthorName is the username, as the service's AddProgressNote records it.
		n := &domain.ProgressNote{ID: domain.NewID(), ProblemID: p.ID, EnterpriseID: p.EnterpriseID, AuthorUserID: uid,
			AuthorName: ns.By, Text: ns.Text, At: stamp(p.ReportedAt.Add(ns.After))}
		if err := past(fmt.Sprintf("note %d", i), n.At); err != nil {
			return nil, nil, err
		}
		if err := n.Validate(); err != nil {
			return nil, nil, fmt.Errorf("note %d: %w", i, err)
		}
		notes = append(notes, n)
	}
	return p, notes, nil
}

// servesAt reports whether the official leads or helps in a pairing of the
// enterprise that was in force at t.
func servesAt(pairings []*domain.Pairing, officialID, enterpriseID string, t time.Time) bool {
	for _, p := range pairings {
		if p.EnterpriseID == enterpriseID && p.Includes(officialID) && !t.Before(p.StartedAt) && (p.EndedAt == nil || t.Before(*p.EndedAt)) {
			return true
		}
	}
	return false
}
