package demo

import (
	"fmt"
	"slices"
	"time"

	"github.com/lianqi/lianqi/domain"
)

// actingAccount is who takes the workflow steps for an enterprise's problems:
// its chief's login where the chief has one, otherwise the programme office
// (admin) typing in what the chief reported by phone.
var actingAccount = map[string]string{
	"sulan": "zhuyigen", "liangshengyuan": "zhoushiyue", "dingtai": "zhulijun", "jialong": "zhulijun", "yongshang": "yinweizhong",
}

// judgementSpec is how an enterprise judged a resolution: the rating given on
// confirming, and optionally a resolution it rejected first.
type judgementSpec struct {
	Score   int
	Comment string
	// RejectReason, when set, is an earlier resolution the enterprise sent back
	// (REOPEN) with RejectScore, before the one it confirmed.
	RejectReason string
	RejectScore  int
}

var judgements = map[string]judgementSpec{
	"lsy-piling":  {Score: 5, Comment: "你们真像“及时雨”，打夯纠纷一周就调解好了。"},
	"lsy-gas":     {Score: 4, Comment: "管道接通了，就是审批环节多，等了将近一个月。"},
	"lsy-sewage":  {Score: 4, Comment: "第二次整改后纳管正常。", RejectReason: "纳管后雨天仍有渗漏，要求重新整改。", RejectScore: 2},
	"lsy-title":   {Score: 5, Comment: "不动产权证送上门，一趟都没跑。"},
	"sy-crossing": {Score: 5, Comment: "一个月就装好了斑马线和限速标志，工人上下班安全多了。"},
	"dt-drawings": {Score: 5, Comment: "图审提速，协调会开得及时。"},
	"dt-survey":   {Score: 4, Comment: "地勘和强夯衔接顺利。"},
	"dt-permit":   {Score: 5, Comment: "10个月就建成投产，比计划提前两个月。"},
	"jl-medical":  {Score: 4, Comment: "异地就医备案讲得很清楚。"},
}

// paperSpec is the paper trail of an L3 escalation by letter (函告): the
// departments it went to (the table's department first), the letter's
// reference and the replies received, each After the letter. A department
// without a reply still owes one, and is overdue once its deadline passes.
type paperSpec struct {
	To        []string
	Reference string
	Replies   []replySpec
}

type replySpec struct {
	Department string
	After      time.Duration
	Text       string
}

var papers = map[string]paperSpec{
	"dt-school": {
		To:        []string{"县教育局", "县人力社保局"},
		Reference: "遂医保函〔%d〕7号",
		Replies: []replySpec{
			{"县人力社保局", 2 * day, "6名随迁骨干已认定为企业引进人才，子女可按人才子女就学政策安排，具体学位由县教育局统筹。"},
		},
	},
}

// escalationOf says how an L3 problem went to other departments: by a
// coordination meeting when the table tags it 协调会, by letter otherwise.
func escalationOf(s problemSpec) domain.EscalationMode {
	if slices.Contains(s.Tags, "协调会") {
		return domain.ModeMeeting
	}
	return domain.ModeLetter
}

// history writes the workflow steps that brought a demo problem to the state
// its table row gives, with the same entries the commands record: acknowledge,
// escalate up to its level, start, resolve, confirm (or withdraw), spread
// between the response and the resolution (or now). A problem still REPORTED
// was entered at its level and has no steps. It also sets the problem's
// escalation mode and coordinating departments, and returns the ratings given.
func history(s problemSpec, p *domain.Problem, now time.Time, author func(string) (string, error)) ([]*domain.ProgressNote, []*domain.Rating, error) {
	if p.Status == domain.StatusReported {
		return nil, nil, nil
	}
	actor := actingAccount[s.Enterprise]
	if actor == "" {
		actor = "admin"
	}
	judge := s.ReportedBy
	if judge == "" || !isEnterpriseAccount(judge) {
		judge = "admin" // a confirmation given on paper, entered by the office
	}
	type step struct {
		by     string
		action domain.Action
		level  domain.Level
		text   string
		score  int
	}
	var steps []step
	for _, l := range domain.Levels[1:] {
		if slices.Index(domain.Levels, l) > slices.Index(domain.Levels, p.Level) {
			break
		}
		switch l {
		case domain.L2:
			steps = append(steps, step{actor, domain.ActionEscalate, l, "当场无法解决，提交局内研究。", 0})
		case domain.L3:
			steps = append(steps, step{actor, domain.ActionEscalate, l, "需要" + s.Department + "办理。", 0})
		case domain.L4:
			steps = append(steps, step{"maojianguo", domain.ActionEscalate, l, "共性问题，提交县长办公会议研究。", 0})
		}
	}
	j, judged := judgements[s.Key]
	switch p.Status {
	case domain.StatusInProgress:
		steps = append(steps, step{actor, domain.ActionStart, "", "", 0})
	case domain.StatusResolved, domain.StatusConfirmed:
		steps = append(steps, step{actor, domain.ActionStart, "", "", 0})
		if judged && j.RejectReason != "" {
			steps = append(steps, step{actor, domain.ActionResolve, "", "已整改完毕。", 0},
				step{judge, domain.ActionReopen, "", j.RejectReason, j.RejectScore})
		}
		steps = append(steps, step{actor, domain.ActionResolve, "", "已办结。", 0})
	case domain.StatusWithdrawn:
		steps = append(steps, step{judge, domain.ActionWithdraw, "", "与另一条问题重复，撤回。", 0})
	}

	// Replay on a copy from REPORTED/L1 with the domain's own rules, so the
	// demo history is exactly what the commands would have written.
	sim := *p
	sim.Status, sim.Level, sim.EscalationMode, sim.CoordinatingDepartments = domain.StatusReported, domain.L1, "", nil
	sim.RespondedAt, sim.ResolvedAt = nil, nil
	at := func(i, n int) time.Time {
		end := now
		if p.ResolvedAt != nil {
			end = *p.ResolvedAt
		}
		return stamp(p.RespondedAt.Add(end.Sub(*p.RespondedAt) * time.Duration(i) / time.Duration(n)))
	}
	var notes []*domain.ProgressNote
	var ratings []*domain.Rating
	apply := func(by string, st domain.Step, when time.Time, score int) error {
		uid, err := author(by)
		if err != nil {
			return err
		}
		role := domain.RoleOfficial
		switch {
		case by == "admin":
			role = domain.RoleAdmin
		case by == "maojianguo":
			role = domain.RoleLeader
		case isEnterpriseAccount(by):
			role = domain.RoleEnterprise
		}
		actor := &domain.Principal{UserID: uid, Username: by, Role: role}
		n, err := sim.Apply(st, actor, when, domain.DefaultDeadlines)
		if err != nil {
			return fmt.Errorf("%s by %s: %w", st.Action, by, err)
		}
		n.ID = domain.NewID()
		notes = append(notes, n)
		if score > 0 {
			src := ratingSources[s.Key]
			if src == "" {
				return fmt.Errorf("rating: no source (sources.go)")
			}
			ratings = append(ratings, &domain.Rating{ID: domain.NewID(), ProblemID: p.ID, EnterpriseID: p.EnterpriseID, ByUserID: uid,
				Confirmed: st.Action == domain.ActionConfirm, Score: score, Comment: st.Reason, At: when, Source: src})
		}
		return nil
	}
	if err := apply(actor, domain.Step{Action: domain.ActionAcknowledge, Reason: "收到，马上对接。"}, *p.RespondedAt, 0); err != nil {
		return nil, nil, err
	}
	paper, hasPaper := papers[s.Key]
	for i, st := range steps {
		when := at(i+1, len(steps)+1)
		if st.action == domain.ActionResolve && i == len(steps)-1 && p.ResolvedAt != nil {
			when = *p.ResolvedAt
		}
		step := domain.Step{Action: st.action, Level: st.level, Reason: st.text}
		if st.level == domain.L3 {
			step.Mode, step.Departments = escalationOf(s), []string{s.Department}
			if hasPaper {
				if step.Mode != domain.ModeLetter || len(paper.To) == 0 || paper.To[0] != s.Department {
					return nil, nil, fmt.Errorf("its letter must go by LETTER, first to %s", s.Department)
				}
				step.Departments = paper.To
				step.Letter = &domain.EscalationLetter{To: paper.To, SentAt: when,
					Reference: fmt.Sprintf(paper.Reference, when.In(cst).Year())}
			}
		}
		if err := apply(st.by, step, when, st.score); err != nil {
			return nil, nil, err
		}
		if st.level == domain.L3 && hasPaper {
			for _, r := range paper.Replies {
				reply := domain.Step{Action: domain.ActionReply, Department: r.Department, Reason: r.Text}
				rwhen := stamp(when.Add(r.After))
				if rwhen.After(now) {
					return nil, nil, fmt.Errorf("the reply of %s is in the future", r.Department)
				}
				if err := apply(actor, reply, rwhen, 0); err != nil {
					return nil, nil, err
				}
			}
		}
	}
	if p.Status == domain.StatusConfirmed {
		when := p.ResolvedAt.Add(day)
		if when.After(now) {
			when = now
		}
		score, comment := 0, "确认已解决。"
		if judged {
			score, comment = j.Score, j.Comment
		}
		if err := apply(judge, domain.Step{Action: domain.ActionConfirm, Reason: comment}, stamp(when), score); err != nil {
			return nil, nil, err
		}
	}
	if sim.Status != p.Status || sim.Level != p.Level {
		return nil, nil, fmt.Errorf("replayed history ends %s/%s, table says %s/%s", sim.Status, sim.Level, p.Status, p.Level)
	}
	p.EscalationMode, p.CoordinatingDepartments = sim.EscalationMode, sim.CoordinatingDepartments
	if hasPaper {
		// Only a problem with a paper trail in the tables keeps the replies the
		// replay asked for: for the others the tables say nothing of replies, and
		// a department shown as owing one would be an invented failure.
		p.Letter, p.DepartmentReplies = sim.Letter, sim.DepartmentReplies
		if p.Letter == nil {
			return nil, nil, fmt.Errorf("a paper trail in the tables, but no L3 letter in the history")
		}
	}
	if p.CoordinatingDepartments == nil {
		p.CoordinatingDepartments = []string{}
	}
	return notes, ratings, nil
}

func isEnterpriseAccount(username string) bool {
	for _, a := range accountSpecs {
		if a.Username == username {
			return a.Role == domain.RoleEnterprise
		}
	}
	return false
}

// periodicRatings are enterprises' quarterly ratings of their chief
// (rateChief), for the quarter before At.
var periodicRatings = []struct {
	Enterprise, By string
	At             ago
	Score          int
	Comment        string
}{
	{"liangshengyuan", "moweiliang", ago{8, 10, 0}, 5, "上个季度周局和服务团队有求必应，许可证换证也提前上门指导。"},
	{"dingtai", "zouyongliang", ago{6, 15, 0}, 3, "厂房的事办得快，随迁员工子女入学一直没有落实。"},
}

// quiz is 毛建国's unscheduled meeting with the chiefs (临时考试).
var quiz = struct {
	Title     string
	Date      ago
	Questions []string
	Results   map[string]int // official key → score
}{
	Title: "联企局长临时考试（县委常委会议室）",
	Date:  ago{20, 16, 0},
	Questions: []string{
		"你联系的企业今年春节哪天放假、什么时候开工？",
		"企业目前最大的困难是什么，办到哪一步了？",
		"企业今年的产值和用工人数大约是多少？",
	},
	Results: map[string]int{"zhoushiyue": 95, "zhulijun": 90, "zhuyigen": 85, "yinweizhong": 80, "fanjianwen": 75, "wuhuajun": 60},
}

// spotCheckQuestions are what 毛建国 asked at each checked enterprise.
var spotCheckQuestions = map[string][]domain.SpotCheckQuestion{
	"sulan": {
		{Question: "机耕路有多长？", Answer: "4.1公里", OfficialKnew: true},
		{Question: "路基的钱是哪里出的？", Answer: "县农办出资60多万元", OfficialKnew: true},
	},
	"shuangcai": {
		{Question: "企业春节哪天放假？", Answer: "腊月廿五", OfficialKnew: false},
		{Question: "节后什么时候开工？", Answer: "正月初十", OfficialKnew: false},
		{Question: "企业主要产品是什么？", Answer: "新材料", OfficialKnew: true},
	},
}
