package export

import (
	"context"

	"github.com/lianqi/lianqi/domain"
	"github.com/lianqi/lianqi/service"
)

// rankingComponents is the order of the component columns: the order the
// ranking's configuration lists them in (docs/ranking.md).
var rankingComponents = func() []string {
	names := make([]string, len(domain.RankingComponents))
	for i, c := range domain.RankingComponents {
		names[i] = c.Name
	}
	return names
}()

// RankingTitles are the columns of the ranking (服务成绩排名): for each
// component its raw value and the points it earned.
var RankingTitles = func() []string {
	t := []string{"排名", "姓名", "单位", "职务", "总分"}
	for _, c := range rankingComponents {
		t = append(t, domain.ComponentLabel(c)+"（数值）", domain.ComponentLabel(c)+"（得分）")
	}
	return t
}()

// Ranking writes the official ranking for period, as the `officialRanking`
// query gives it to the caller (same roles, same figures). The post is the
// official's current one where the caller may read the official, as
// rankingEntry.official is; otherwise it is left empty.
func Ranking(ctx context.Context, svc *service.Service, period domain.Period, opts service.RankingOptions, open Opener) error {
	entries, err := svc.OfficialRanking(ctx, period, opts)
	if err != nil {
		return err
	}
	ids := make([]string, len(entries))
	for i, e := range entries {
		ids[i] = e.OfficialID
	}
	officials, err := svc.OfficialsByIDs(ctx, ids)
	if err != nil {
		return err
	}
	posts := make(map[string]*domain.Post, len(officials))
	for _, o := range officials {
		posts[o.ID] = o.CurrentPost()
	}
	sheet, err := open("服务成绩排名", RankingTitles)
	if err != nil {
		return err
	}
	for _, e := range entries {
		var bureau, title string
		if p := posts[e.OfficialID]; p != nil {
			bureau, title = p.Bureau, p.Title
		}
		row := []any{e.Rank, e.Name, bureau, title, e.Total}
		comps := make(map[string]domain.RankingComponent, len(e.Components))
		for _, c := range e.Components {
			comps[c.Name] = c
		}
		for _, name := range rankingComponents {
			c := comps[name]
			row = append(row, c.Value, c.Points)
		}
		if err := sheet.Row(row); err != nil {
			return err
		}
	}
	return sheet.Close()
}
