package domain

import (
	"cmp"
	"slices"
)

// ProgrammeShape is what the programme office (领导小组办公室) checks to see that
// every enterprise has its chief and every chief an enterprise (一对一): the
// gaps, the exceptions and the counts, with the figures the source article
// reports beside the live ones.
type ProgrammeShape struct {
	// UnpairedEnterprises are in the programme (ACTIVE) without an active
	// pairing: their chief retired and nobody has been re-paired yet.
	UnpairedEnterprises []*Enterprise
	// OfficialsWithoutEnterprise are not retired and serve no enterprise, as
	// lead or as service-team member.
	OfficialsWithoutEnterprise []*Official
	// OfficialsLeadingSeveral lead more than one active pairing.
	OfficialsLeadingSeveral []*OfficialLoad
	// Chiefs lead at least one active pairing; Firms are in the programme.
	Chiefs, Firms, ActivePairings int
	// ProblemsCollected and ProblemsResolved are live, for the article's 119/78.
	ProblemsCollected, ProblemsResolved int
	ArticleFigures                      []ArticleFigure
}

// OfficialLoad is an official with the enterprises he leads.
type OfficialLoad struct {
	Official    *Official
	Enterprises []*Enterprise
}

// ArticleFigure is a number the source article reports, with its date as the
// article gives it and the same count in the live data.
type ArticleFigure struct {
	Key, Label string
	Article    int
	// AsOf is when the article puts the figure ("2016-11", "2019-01").
	AsOf string
	Live int
}

// Shape works out the programme's shape from every enterprise, official and
// pairing (ended ones are ignored).
func Shape(enterprises []*Enterprise, officials []*Official, pairings []*Pairing) *ProgrammeShape {
	s := &ProgrammeShape{}
	ents := map[string]*Enterprise{}
	for _, e := range enterprises {
		ents[e.ID] = e
	}
	led := map[string][]*Enterprise{}
	serving := map[string]bool{}
	paired := map[string]bool{}
	for _, p := range pairings {
		if !p.Active() {
			continue
		}
		s.ActivePairings++
		paired[p.EnterpriseID] = true
		serving[p.LeadOfficialID] = true
		for _, m := range p.TeamMemberIDs {
			serving[m] = true
		}
		if e := ents[p.EnterpriseID]; e != nil {
			led[p.LeadOfficialID] = append(led[p.LeadOfficialID], e)
		}
	}
	for _, e := range enterprises {
		if e.Status != EnterpriseActive {
			continue
		}
		s.Firms++
		if !paired[e.ID] {
			s.UnpairedEnterprises = append(s.UnpairedEnterprises, e)
		}
	}
	for _, o := range officials {
		if len(led[o.ID]) > 0 {
			s.Chiefs++
		}
		if len(led[o.ID]) > 1 {
			es := led[o.ID]
			slices.SortFunc(es, func(a, b *Enterprise) int { return cmp.Compare(a.Name, b.Name) })
			s.OfficialsLeadingSeveral = append(s.OfficialsLeadingSeveral, &OfficialLoad{Official: o, Enterprises: es})
		}
		if o.RetiredAt == nil && !serving[o.ID] {
			s.OfficialsWithoutEnterprise = append(s.OfficialsWithoutEnterprise, o)
		}
	}
	byName := func(a, b *Enterprise) int { return cmp.Compare(a.Name, b.Name) }
	slices.SortFunc(s.UnpairedEnterprises, byName)
	slices.SortFunc(s.OfficialsWithoutEnterprise, func(a, b *Official) int { return cmp.Compare(a.Name, b.Name) })
	slices.SortFunc(s.OfficialsLeadingSeveral, func(a, b *OfficialLoad) int { return cmp.Compare(a.Official.Name, b.Official.Name) })
	return s
}

// Figures fills ArticleFigures from the live counts. The article: "全县103名联系局长
// 负责对接103家企业 … 后来经过调整增加到108名局长对接108家企业" and "共收集汇总企业困难
// 问题119件 … 其中已解决78个问题" (reported in January 2019).
func (s *ProgrammeShape) Figures() {
	s.ArticleFigures = []ArticleFigure{
		{Key: "CHIEFS_AT_LAUNCH", Label: "启动时联系局长", Article: 103, AsOf: "2016-11", Live: s.Chiefs},
		{Key: "FIRMS_AT_LAUNCH", Label: "启动时结对企业", Article: 103, AsOf: "2016-11", Live: s.Firms},
		{Key: "CHIEFS", Label: "调整后联系局长", Article: 108, AsOf: "2019-01", Live: s.Chiefs},
		{Key: "FIRMS", Label: "调整后结对企业", Article: 108, AsOf: "2019-01", Live: s.Firms},
		{Key: "PROBLEMS_COLLECTED", Label: "收集企业困难问题", Article: 119, AsOf: "2019-01", Live: s.ProblemsCollected},
		{Key: "PROBLEMS_RESOLVED", Label: "已解决问题", Article: 78, AsOf: "2019-01", Live: s.ProblemsResolved},
	}
}
