package domain

import (
	"strings"
	"time"
)

// Post is one position an official held. Institutional reform (机构改革) moves chiefs
// between bureaus; their pairings stay with them (事随人走), so the post history is
// kept rather than overwritten.
type Post struct {
	Bureau string
	Title  string
	From   time.Time
	// To is nil for the current post.
	To *time.Time
}

// Official is a bureau chief or a service-team member who serves enterprises.
type Official struct {
	ID    string
	Name  string
	Phone string
	// Posts are ordered oldest first; the last one with To == nil is current.
	Posts     []Post
	RetiredAt *time.Time
	// Source marks demo records: "article: …" for what the source article
	// states, "demo: …" for what was invented (docs/domain.md); "" for real data.
	Source string
	Meta
}

// CurrentPost returns the post the official holds now, if any.
func (o *Official) CurrentPost() *Post {
	for i := len(o.Posts) - 1; i >= 0; i-- {
		if o.Posts[i].To == nil {
			return &o.Posts[i]
		}
	}
	return nil
}

// ChangePost closes the current post at 'at' and opens a new one, keeping history.
// Posts follow one another without overlap: the new one must start after the
// current one began (a post lasting no time is a typing mistake, not history)
// and not before an earlier post ended, and it must differ from the current one
// (the same bureau and title again would be a duplicate). Whether 'at' may lie
// in the future is the caller's rule (service.ChangeOfficialPost: it may not).
func (o *Official) ChangePost(bureau, title string, at time.Time) error {
	p := Post{Bureau: strings.TrimSpace(bureau), Title: strings.TrimSpace(title), From: at}
	if err := p.validate("post"); err != nil {
		return err
	}
	if o.RetiredAt != nil {
		return Invalid("officialId", "official %s has retired", o.Name)
	}
	cur := o.CurrentPost()
	if cur != nil {
		if cur.Bureau == p.Bureau && cur.Title == p.Title {
			return Invalid("bureau", "%s already holds this post (%s %s since %s)", o.Name, cur.Bureau, cur.Title, cur.From.Format(time.DateOnly))
		}
		if !at.After(cur.From) {
			return Invalid("from", "the new post must start after the current one began (%s)", cur.From.Format(time.DateOnly))
		}
	}
	for _, past := range o.Posts {
		if past.To != nil && at.Before(*past.To) {
			return Invalid("from", "the new post cannot start before an earlier post ended (%s)", past.To.Format(time.DateOnly))
		}
	}
	if cur != nil {
		end := at
		cur.To = &end
	}
	o.Posts = append(o.Posts, p)
	return nil
}

func (p Post) validate(field string) error {
	if p.Bureau == "" {
		return Invalid(field+".bureau", "bureau is required")
	}
	if p.Title == "" {
		return Invalid(field+".title", "title is required")
	}
	if p.From.IsZero() {
		return Invalid(field+".from", "start date is required")
	}
	if p.To != nil && p.To.Before(p.From) {
		return Invalid(field+".to", "a post cannot end before it starts")
	}
	if err := checkText(field+".bureau", p.Bureau, 100); err != nil {
		return err
	}
	return checkText(field+".title", p.Title, 100)
}

// Validate checks the official before it is stored.
func (o *Official) Validate() error {
	o.Name = strings.TrimSpace(o.Name)
	if o.Name == "" {
		return Invalid("name", "official name is required")
	}
	if err := checkText("name", o.Name, 100); err != nil {
		return err
	}
	if err := checkText("phone", o.Phone, 40); err != nil {
		return err
	}
	open := 0
	for _, p := range o.Posts {
		if err := p.validate("posts"); err != nil {
			return err
		}
		if p.To == nil {
			open++
		}
	}
	if open > 1 {
		return Invalid("posts", "an official holds at most one current post")
	}
	return nil
}

// OfficialFilter narrows an official listing.
type OfficialFilter struct {
	Search string // case-insensitive substring of the name
	Bureau string // current bureau
}
