package demo

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lianqi/lianqi/auth"
	"github.com/lianqi/lianqi/domain"
	"github.com/lianqi/lianqi/embedded"
	"github.com/lianqi/lianqi/store"
)

var (
	all  = domain.Scope{All: true}
	page = domain.PageRequest{First: 100}
)

// counts is the total of every kind of record the seed writes.
type counts struct {
	enterprises, officials, pairings, problems, notes, visits, spotChecks, users int64
}

func countAll(t *testing.T, ctx context.Context, db *store.DB) counts {
	t.Helper()
	var c counts
	must := func(n int64, err error) int64 {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	ep, err := db.FindEnterprises(ctx, all, domain.EnterpriseFilter{}, page)
	c.enterprises = must(ep.TotalCount, err)
	op, err := db.FindOfficials(ctx, all, domain.OfficialFilter{}, page)
	c.officials = must(op.TotalCount, err)
	pp, err := db.FindPairings(ctx, all, domain.PairingFilter{})
	c.pairings = must(int64(len(pp)), err)
	pr, err := db.FindProblems(ctx, all, domain.ProblemFilter{}, "", page)
	c.problems = must(pr.TotalCount, err)
	notes, err := db.FindProgressNotes(ctx, all, nil)
	c.notes = must(int64(len(notes)), err)
	vp, err := db.FindVisits(ctx, all, domain.VisitFilter{}, page)
	c.visits = must(vp.TotalCount, err)
	sp, err := db.FindSpotChecks(ctx, all, domain.SpotCheckFilter{}, page)
	c.spotChecks = must(sp.TotalCount, err)
	c.users = must(db.CountUsers(ctx))
	return c
}

func TestSeed(t *testing.T) {
	srv := embedded.MustStart(t)
	ctx := context.Background()
	db, err := store.Open(ctx, srv.URI(), "demo_test", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close(context.Background()) })

	now := time.Now()
	seeded, err := Seed(ctx, db, now)
	if err != nil {
		t.Fatal(err)
	}
	if !seeded {
		t.Fatal("first Seed returned false on an empty database")
	}

	before := countAll(t, ctx, db)
	t.Logf("seeded: %+v", before)
	if before.enterprises < 8 || before.officials < 6 || before.problems < 20 || before.pairings < 8 ||
		before.notes < 5 || before.visits < 5 || before.spotChecks < 1 || before.users != int64(len(Accounts)) {
		t.Errorf("too few records: %+v", before)
	}
	t.Run("the workflow is exercised", func(t *testing.T) { checkWorkflow(t, ctx, db) })

	t.Run("sources survive the store", func(t *testing.T) {
		var srcs []string
		vp, err := db.FindVisits(ctx, all, domain.VisitFilter{}, page)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range vp.Items {
			srcs = append(srcs, v.Source)
		}
		sp, err := db.FindSpotChecks(ctx, all, domain.SpotCheckFilter{}, page)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range sp.Items {
			srcs = append(srcs, c.Source)
		}
		qs, err := db.FindAllQuizzes(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range qs {
			srcs = append(srcs, q.Source)
		}
		rs, err := db.FindRatings(ctx, all, domain.RatingFilter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			srcs = append(srcs, r.Source)
		}
		prs, err := db.FindPeriodicRatings(ctx, all, domain.PeriodicRatingFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(prs) != 2 {
			t.Errorf("%d periodic ratings stored, want 2", len(prs))
		}
		for _, r := range prs {
			srcs = append(srcs, r.Source)
		}
		for _, src := range srcs {
			if !strings.HasPrefix(src, "article: ") && !strings.HasPrefix(src, "demo: ") {
				t.Errorf("stored source %q", src)
			}
		}
		pr, err := db.FindProblems(ctx, all, domain.ProblemFilter{}, "", page)
		if err != nil {
			t.Fatal(err)
		}
		letters := 0
		for _, p := range pr.Items {
			if p.Letter != nil {
				letters++
				if len(p.DepartmentReplies) != 2 || len(p.OverdueDepartments(now)) != 1 {
					t.Errorf("%s: replies %+v", p.Title, p.DepartmentReplies)
				}
			}
		}
		if letters != 1 {
			t.Errorf("%d stored problems with a letter, want 1", letters)
		}
	})

	t.Run("problems cover every category, status and level", func(t *testing.T) {
		pr, err := db.FindProblems(ctx, all, domain.ProblemFilter{}, domain.SortReportedAtAsc, page)
		if err != nil {
			t.Fatal(err)
		}
		cats, statuses, levels := map[domain.Category]bool{}, map[domain.ProblemStatus]bool{}, map[domain.Level]bool{}
		var overdue, openOnTime []string
		for _, p := range pr.Items {
			cats[p.Category], statuses[p.Status], levels[p.Level] = true, true, true
			if p.Overdue(now) {
				overdue = append(overdue, p.Title)
			} else if p.Status.Open() {
				openOnTime = append(openOnTime, p.Title)
			}
			if p.ReportedAt.After(now) || p.ReportedAt.Location() != time.UTC {
				t.Errorf("%s: reportedAt %v", p.Title, p.ReportedAt)
			}
			if (p.RespondedAt != nil) != (p.Status != domain.StatusReported) {
				t.Errorf("%s: status %s but respondedAt %v", p.Title, p.Status, p.RespondedAt)
			}
			if (p.ResolvedAt != nil) != (p.Status == domain.StatusResolved || p.Status == domain.StatusConfirmed) {
				t.Errorf("%s: status %s but resolvedAt %v", p.Title, p.Status, p.ResolvedAt)
			}
			if _, err := db.FindUserByID(ctx, p.ReportedByUserID); err != nil {
				t.Errorf("%s: reporter %s: %v", p.Title, p.ReportedByUserID, err)
			}
		}
		for _, c := range domain.Categories {
			if !cats[c] {
				t.Errorf("no problem in category %s", c)
			}
		}
		for _, s := range domain.ProblemStatuses {
			if !statuses[s] {
				t.Errorf("no problem with status %s", s)
			}
		}
		for _, l := range domain.Levels {
			if !levels[l] {
				t.Errorf("no problem on level %s", l)
			}
		}
		if len(overdue) == 0 || len(openOnTime) == 0 {
			t.Errorf("want both overdue and on-time open problems; overdue %q, on time %q", overdue, openOnTime)
		}
		t.Logf("overdue: %q", overdue)

		// The store's overdue filter (clock: real time) agrees with the domain rule.
		yes := true
		od, err := db.FindProblems(ctx, all, domain.ProblemFilter{Overdue: &yes}, "", page)
		if err != nil {
			t.Fatal(err)
		}
		if od.TotalCount != int64(len(overdue)) {
			t.Errorf("store finds %d overdue problems, domain %d", od.TotalCount, len(overdue))
		}
	})

	t.Run("progress notes follow their problems", func(t *testing.T) {
		notes, err := db.FindProgressNotes(ctx, all, nil)
		if err != nil {
			t.Fatal(err)
		}
		withNotes := map[string]bool{}
		for _, n := range notes {
			p, err := db.FindProblemByID(ctx, all, n.ProblemID)
			if err != nil {
				t.Fatalf("note %s: %v", n.ID, err)
			}
			withNotes[p.ID] = true
			if !n.At.After(p.ReportedAt) || n.At.After(now) || n.EnterpriseID != p.EnterpriseID {
				t.Errorf("note %q at %v on problem reported %v (enterprise %s vs %s)", n.Text, n.At, p.ReportedAt, n.EnterpriseID, p.EnterpriseID)
			}
			u, err := db.FindUserByID(ctx, n.AuthorUserID)
			if err != nil || u.Username != n.AuthorName {
				t.Errorf("note %q: author %s/%s: %v", n.Text, n.AuthorUserID, n.AuthorName, err)
			}
		}
		if len(withNotes) < 5 {
			t.Errorf("only %d problems have notes", len(withNotes))
		}
	})

	t.Run("visits link problems of the same enterprise", func(t *testing.T) {
		vp, err := db.FindVisits(ctx, all, domain.VisitFilter{}, page)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range vp.Items {
			if v.Date.After(now) {
				t.Errorf("visit %s in the future", v.ID)
			}
			ps, err := db.FindProblemsByIDs(ctx, all, v.ProblemIDs)
			if err != nil {
				t.Fatal(err)
			}
			if len(ps) != len(v.ProblemIDs) || len(ps) == 0 {
				t.Errorf("visit %s links %d problems, %d found", v.ID, len(v.ProblemIDs), len(ps))
			}
			for _, p := range ps {
				if p.EnterpriseID != v.EnterpriseID {
					t.Errorf("visit %s links problem %q of another enterprise", v.ID, p.Title)
				}
			}
		}
	})

	t.Run("spot check by the county secretary on a weekend", func(t *testing.T) {
		mao, err := db.FindUserByUsername(ctx, "maojianguo")
		if err != nil {
			t.Fatal(err)
		}
		sp, err := db.FindSpotChecks(ctx, all, domain.SpotCheckFilter{}, page)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range sp.Items {
			wd := s.Date.In(cst).Weekday()
			if s.LeaderUserID != mao.ID || (wd != time.Saturday && wd != time.Sunday) || s.Score == nil || s.Findings == "" {
				t.Errorf("spot check %+v (weekday %s)", s, wd)
			}
		}
	})

	t.Run("accounts", func(t *testing.T) {
		for _, a := range Accounts {
			u, err := db.FindUserByUsername(ctx, a.Username)
			if err != nil {
				t.Errorf("%s: %v", a.Username, err)
				continue
			}
			if a.Password != Password || !auth.CheckPassword(u.PasswordHash, a.Password) {
				t.Errorf("%s: password %q does not match", a.Username, a.Password)
			}
			if u.Role != a.Role {
				t.Errorf("%s: role %s, want %s", a.Username, u.Role, a.Role)
			}
		}
		for _, name := range []string{"admin", "maojianguo", "zhoushiyue", "zhulijun", "moweiliang"} {
			if !slices.ContainsFunc(Accounts, func(a Account) bool { return a.Username == name }) {
				t.Errorf("Accounts lacks %s", name)
			}
		}
	})

	t.Run("事随人走: officials keep their pairings across posts", func(t *testing.T) {
		official := func(name string) *domain.Official {
			t.Helper()
			op, err := db.FindOfficials(ctx, all, domain.OfficialFilter{Search: name}, page)
			if err != nil || len(op.Items) != 1 {
				t.Fatalf("official %s: %v (%d found)", name, err, len(op.Items))
			}
			return op.Items[0]
		}
		enterprise := func(name string) string {
			t.Helper()
			ep, err := db.FindEnterprises(ctx, all, domain.EnterpriseFilter{Search: name}, page)
			if err != nil || len(ep.Items) != 1 {
				t.Fatalf("enterprise %s: %v (%d found)", name, err, len(ep.Items))
			}
			return ep.Items[0].ID
		}
		leads := func(o *domain.Official) []string {
			t.Helper()
			ps, err := db.FindPairings(ctx, all, domain.PairingFilter{OfficialID: o.ID, ActiveOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, p := range ps {
				if p.LeadOfficialID == o.ID {
					ids = append(ids, p.EnterpriseID)
				}
			}
			return ids
		}

		zhou := official("周世岳")
		if len(zhou.Posts) != 2 || zhou.Posts[0].To == nil || zhou.Posts[1].To != nil ||
			zhou.Posts[0].Bureau != "县国土局" || zhou.Posts[1].Bureau != "县市场监管局" || !zhou.Posts[0].To.Equal(zhou.Posts[1].From) {
			t.Errorf("周世岳's posts: %+v", zhou.Posts)
		}
		if got := leads(zhou); !slices.Equal(got, []string{enterprise("良盛元")}) {
			t.Errorf("周世岳 leads %v", got)
		}
		zhu := official("朱立军")
		got := leads(zhu)
		slices.Sort(got)
		want := []string{enterprise("鼎泰"), enterprise("嘉隆")}
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("朱立军 leads %v, want %v", got, want)
		}

		u, err := db.FindUserByUsername(ctx, "zhoushiyue")
		if err != nil || u.OfficialID != zhou.ID {
			t.Errorf("zhoushiyue account: %+v, %v", u, err)
		}
		u, err = db.FindUserByUsername(ctx, "moweiliang")
		if err != nil || u.EnterpriseID != enterprise("良盛元") {
			t.Errorf("moweiliang account: %+v, %v", u, err)
		}

		ps, err := db.FindPairings(ctx, all, domain.PairingFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(ps, func(p *domain.Pairing) bool { return !p.Active() && p.EndReason != "" }) {
			t.Error("no ended pairing in the history")
		}
	})

	// A second seed must leave the database exactly as it was.
	seeded, err = Seed(ctx, db, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if seeded {
		t.Error("second Seed returned true")
	}
	if after := countAll(t, ctx, db); after != before {
		t.Errorf("second Seed wrote records: before %+v, after %+v", before, after)
	}
}

// TestBuildAtAnyHour builds the data for seeding times spread over two days and
// checks that no moment lands in the future and that which problems are overdue
// does not depend on the hour the server happens to start.
func TestBuildAtAnyHour(t *testing.T) {
	base := time.Date(2026, time.March, 14, 0, 7, 0, 0, cst) // a Saturday, just after midnight
	var want []string
	for step := 0; step < 48*6; step++ {
		now := base.Add(time.Duration(step) * 10 * time.Minute)
		d, err := build(now, "$2a$10$notarealhash")
		if err != nil {
			t.Fatalf("now %v: %v", now, err)
		}
		var overdue []string
		for i, p := range d.problems {
			if p.Overdue(now) {
				overdue = append(overdue, d.problemKeys[i])
			}
		}
		if want == nil {
			want = overdue
			t.Logf("overdue: %v", want)
		} else if !slices.Equal(overdue, want) {
			t.Errorf("now %v: overdue %v, want %v", now, overdue, want)
		}
		for _, s := range d.spotChecks {
			if s.Date.After(now) || s.Date.In(cst).Weekday() != time.Saturday {
				t.Errorf("now %v: spot check on %v", now, s.Date)
			}
		}
	}
	if len(want) == 0 {
		t.Error("no overdue problems")
	}
}

// checkWorkflow checks that the demo exercises the workflow: escalations to
// L3 and L4 recorded in the history, ratings for confirmed and rejected
// resolutions, spot-check questions and a quiz.
func checkWorkflow(t *testing.T, ctx context.Context, db *store.DB) {
	notes, err := db.FindProgressNotes(ctx, all, nil)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, n := range notes {
		key := string(n.Kind)
		if n.Kind == domain.ActionEscalate {
			key += string(n.ToLevel)
			if n.ToLevel == domain.L3 && (n.Mode == "" || len(n.Departments) == 0) {
				t.Errorf("L3 entry without mode or departments: %+v", n)
			}
		}
		kinds[key]++
	}
	for _, k := range []string{"ACKNOWLEDGE", "ESCALATEL3", "ESCALATEL4", "START", "RESOLVE", "CONFIRM", "REOPEN", "WITHDRAW", "NOTE"} {
		if kinds[k] == 0 {
			t.Errorf("no %s entry in the demo history (%v)", k, kinds)
		}
	}
	ratings, err := db.FindRatings(ctx, all, domain.RatingFilter{})
	if err != nil {
		t.Fatal(err)
	}
	rejected := 0
	for _, r := range ratings {
		if r.OfficialID == "" {
			t.Errorf("rating %+v counts for nobody", r)
		}
		if !r.Confirmed {
			rejected++
		}
	}
	if len(ratings) < 5 || rejected == 0 {
		t.Errorf("%d ratings, %d with a rejection", len(ratings), rejected)
	}
	sp, err := db.FindSpotChecks(ctx, all, domain.SpotCheckFilter{}, page)
	if err != nil {
		t.Fatal(err)
	}
	missed := 0
	for _, c := range sp.Items {
		missed += len(c.Questions) - c.KnownCount()
		if c.OfficialID == "" {
			t.Errorf("spot check %s judges nobody", c.ID)
		}
	}
	if missed == 0 {
		t.Error("no spot-check question the official did not know")
	}
	qs, err := db.FindAllQuizzes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(qs) != 1 || len(qs[0].Results) < 5 {
		t.Errorf("quizzes = %+v", qs)
	}
}

// TestDemoDoesNotOverclaim: every record the demo creates says where it comes
// from, every phone number is an obviously fictional one, and a difficulty an
// official recorded himself stands acknowledged, as the service would leave it.
func TestDemoDoesNotOverclaim(t *testing.T) {
	now := time.Date(2026, time.March, 14, 10, 0, 0, 0, cst)
	d, err := build(now, "$2a$10$notarealhash")
	if err != nil {
		t.Fatal(err)
	}
	sourced := func(kind, name, src string) {
		if !strings.HasPrefix(src, "article: ") && !strings.HasPrefix(src, "demo: ") {
			t.Errorf("%s %s: source %q, want article: … or demo: …", kind, name, src)
		}
	}
	fictional := func(who, phone string) {
		if phone != "" && !strings.HasPrefix(phone, "138-0000-") {
			t.Errorf("%s has phone %q: not an obviously fictional number", who, phone)
		}
	}
	for _, e := range d.enterprises {
		sourced("enterprise", e.Name, e.Source)
		fictional(e.Contact.Name, e.Contact.Phone)
	}
	for _, o := range d.officials {
		sourced("official", o.Name, o.Source)
		fictional(o.Name, o.Phone)
	}
	for _, p := range d.pairings {
		sourced("pairing", p.ID, p.Source)
	}
	officials := map[string]bool{}
	for _, u := range d.users {
		officials[u.ID] = u.OfficialID != ""
	}
	for _, p := range d.problems {
		sourced("problem", p.Title, p.Source)
		if officials[p.ReportedByUserID] && p.Status == domain.StatusReported {
			t.Errorf("problem %s was recorded by an official but is still REPORTED", p.Title)
		}
	}
	for _, v := range d.visits {
		sourced("visit", v.Date.Format(time.DateOnly), v.Source)
	}
	for _, c := range d.spotChecks {
		sourced("spot check", c.Date.Format(time.DateOnly), c.Source)
	}
	for _, q := range d.quizzes {
		sourced("quiz", q.Title, q.Source)
	}
	for _, r := range d.ratings {
		sourced("rating", r.Comment, r.Source)
	}
	for _, r := range d.periodic {
		sourced("periodic rating", r.Period, r.Source)
	}
	// Every kind is there to be checked: a kind left empty would pass unseen.
	for kind, n := range map[string]int{"enterprise": len(d.enterprises), "official": len(d.officials), "pairing": len(d.pairings),
		"problem": len(d.problems), "visit": len(d.visits), "spot check": len(d.spotChecks), "quiz": len(d.quizzes),
		"rating": len(d.ratings), "periodic rating": len(d.periodic)} {
		if n == 0 {
			t.Errorf("the demo seeds no %s", kind)
		}
	}

	// The features the demo shows, all invented, say so.
	invented := func(kind, src string) {
		if !strings.Contains(src, "demo: ") {
			t.Errorf("%s: source %q does not say what is invented", kind, src)
		}
	}
	letters := 0
	for _, p := range d.problems {
		if p.Letter == nil {
			continue
		}
		letters++
		invented("problem with a letter", p.Source)
		var replied, overdue int
		for _, r := range p.DepartmentReplies {
			if r.RepliedAt != nil && !r.RepliedAt.After(r.ReplyBy) {
				replied++
			}
			if r.Overdue(now) {
				overdue++
			}
		}
		if p.Letter.Reference == "" || replied != 1 || overdue != 1 || !slices.Equal(p.OverdueDepartments(now), []string{"县教育局"}) {
			t.Errorf("problem %s: letter %+v, replies %+v: want one on time, one overdue", p.Title, p.Letter, p.DepartmentReplies)
		}
	}
	if letters != 1 {
		t.Errorf("%d problems with a letter (函告), want 1", letters)
	}
	withDemands := 0
	for _, c := range d.spotChecks {
		if len(c.Demands) == 0 {
			continue
		}
		withDemands++
		invented("spot check with demands", c.Source)
		var answered, overdue int
		for _, dm := range c.Demands {
			if dm.AnsweredAt != nil && dm.AnsweredByUserID != "" && !dm.AnsweredAt.After(dm.Deadline) {
				answered++
			}
			if dm.Overdue(now) {
				overdue++
			}
			if dm.OfficialID != c.OfficialID {
				t.Errorf("demand %q addressed to %s, not the official the check judges", dm.Demand, dm.OfficialID)
			}
		}
		if answered != 1 || overdue != 1 {
			t.Errorf("spot check %s: %d demands answered on time, %d overdue, want 1 and 1", c.ID, answered, overdue)
		}
	}
	if withDemands != 1 {
		t.Errorf("%d spot checks with demands, want 1", withDemands)
	}
	if len(d.periodic) != 2 {
		t.Errorf("%d periodic ratings, want 2", len(d.periodic))
	}
	for _, r := range d.periodic {
		invented("periodic rating", r.Source)
		if !strings.HasPrefix(r.Source, "demo: ") || r.OfficialID == "" || r.Period >= domain.QuarterOf(now) {
			t.Errorf("periodic rating %+v", r)
		}
	}
	for _, c := range d.spotChecks {
		// 吴华军's check is the one he remembers from 2018.
		if strings.Contains(c.Findings, "吴华军") && c.Date.In(cst).Year() != 2018 {
			t.Errorf("吴华军's spot check dated %v, the article puts it in 2018", c.Date)
		}
	}
	// The article's dated events keep the article's dates.
	for _, o := range d.officials {
		if o.Name == "朱宜根" {
			if cur := o.CurrentPost(); cur == nil || cur.From.Format(time.DateOnly) != "2019-01-18" {
				t.Errorf("朱宜根's post as 科协书记 from %v, want 2019-01-18", cur)
			}
		}
	}
	for _, p := range d.pairings {
		if p.StartedAt.Before(time.Date(2016, time.November, 1, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("pairing %s starts %v, before the programme (2016-11)", p.ID, p.StartedAt)
		}
	}
}
