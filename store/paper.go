package store

import (
	"time"

	"github.com/lianqi/lianqi/domain"
)

// Documents of the ladder's paper trail, embedded in the problem.

type letterDoc struct {
	To        []string  `bson:"to"`
	SentAt    time.Time `bson:"sentAt"`
	Reference string    `bson:"reference"`
}

type meetingDoc struct {
	Date        time.Time `bson:"date"`
	Departments []string  `bson:"departments"`
	Decisions   string    `bson:"decisions"`
}

type replyDoc struct {
	Department string     `bson:"department"`
	ReplyBy    time.Time  `bson:"replyBy"`
	RepliedAt  *time.Time `bson:"repliedAt"`
	Reply      string     `bson:"reply"`
	RepliedBy  string     `bson:"repliedBy"`
}

type decisionDoc struct {
	Date       time.Time  `bson:"date"`
	Decision   string     `bson:"decision"`
	Assignee   string     `bson:"assignee"`
	Deadline   *time.Time `bson:"deadline"`
	RecordedBy string     `bson:"recordedBy"`
}

func letterFrom(l *domain.EscalationLetter) *letterDoc {
	if l == nil {
		return nil
	}
	return &letterDoc{To: l.To, SentAt: l.SentAt, Reference: l.Reference}
}

func (d *letterDoc) toDomain() *domain.EscalationLetter {
	if d == nil {
		return nil
	}
	return &domain.EscalationLetter{To: d.To, SentAt: d.SentAt.UTC(), Reference: d.Reference}
}

func meetingFrom(m *domain.CoordinationMeeting) *meetingDoc {
	if m == nil {
		return nil
	}
	return &meetingDoc{Date: m.Date, Departments: m.Departments, Decisions: m.Decisions}
}

func (d *meetingDoc) toDomain() *domain.CoordinationMeeting {
	if d == nil {
		return nil
	}
	return &domain.CoordinationMeeting{Date: d.Date.UTC(), Departments: d.Departments, Decisions: d.Decisions}
}

func repliesFrom(rs []domain.DepartmentReply) []replyDoc {
	out := make([]replyDoc, 0, len(rs))
	for _, r := range rs {
		out = append(out, replyDoc{Department: r.Department, ReplyBy: r.ReplyBy, RepliedAt: r.RepliedAt, Reply: r.Reply, RepliedBy: r.RepliedByUserID})
	}
	return out
}

func repliesTo(ds []replyDoc) []domain.DepartmentReply {
	var out []domain.DepartmentReply
	for _, d := range ds {
		out = append(out, domain.DepartmentReply{Department: d.Department, ReplyBy: d.ReplyBy.UTC(), RepliedAt: utcPtr(d.RepliedAt),
			Reply: d.Reply, RepliedByUserID: d.RepliedBy})
	}
	return out
}

func decisionFrom(x *domain.ExecutiveDecision) *decisionDoc {
	if x == nil {
		return nil
	}
	return &decisionDoc{Date: x.Date, Decision: x.Decision, Assignee: x.Assignee, Deadline: x.Deadline, RecordedBy: x.RecordedByUserID}
}

func (d *decisionDoc) toDomain() *domain.ExecutiveDecision {
	if d == nil {
		return nil
	}
	return &domain.ExecutiveDecision{Date: d.Date.UTC(), Decision: d.Decision, Assignee: d.Assignee, Deadline: utcPtr(d.Deadline), RecordedByUserID: d.RecordedBy}
}
