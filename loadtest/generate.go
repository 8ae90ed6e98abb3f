package loadtest

import (
	"context"
	"fmt"
	"time"

	"github.com/lianqi/lianqi/domain"
	"github.com/lianqi/lianqi/store"
)

// Generate adds n problems to the demo programme in db, spread over every
// enterprise, reported by the demo official and open at each step of the
// workflow, so that listings, statistics and sync work on more than the demo's
// handful. It writes through the store, as the server does.
func Generate(ctx context.Context, db *store.DB, n int) error {
	if n <= 0 {
		return nil
	}
	u, err := db.FindUserByUsername(ctx, official)
	if err != nil {
		return fmt.Errorf("loadtest: generate: %w", err)
	}
	ents, err := db.FindEnterprises(ctx, domain.Scope{All: true}, domain.EnterpriseFilter{}, domain.PageRequest{First: 100})
	if err != nil {
		return fmt.Errorf("loadtest: generate: %w", err)
	}
	if len(ents.Items) == 0 {
		return fmt.Errorf("loadtest: generate: no enterprises")
	}
	categories := []domain.Category{domain.CategoryOther, domain.CategoryFinancing, domain.CategoryLabour, domain.CategorySafety}
	statuses := []domain.ProblemStatus{domain.StatusReported, domain.StatusAcknowledged, domain.StatusInProgress, domain.StatusResolved}
	now := time.Now().UTC().Truncate(time.Millisecond)
	for i := range n {
		at := now.Add(-time.Duration(i%90) * 24 * time.Hour)
		p := &domain.Problem{ID: domain.NewID(), EnterpriseID: ents.Items[i%len(ents.Items)].ID, Category: categories[i%len(categories)],
			Title: fmt.Sprintf("生成的问题 %d", i), Description: "负载测试生成的问题，长度与真实记录相近：用地手续办理进度缓慢，需协调。",
			Status: statuses[i%len(statuses)], Level: domain.L1, ResponsibleDepartment: "自然资源局", Tags: []string{"生成"},
			ReportedByUserID: u.ID, ReportedAt: at, RespondBy: at.Add(24 * time.Hour), ResolveBy: at.Add(72 * time.Hour)}
		if p.Status == domain.StatusResolved {
			r := at.Add(48 * time.Hour)
			p.RespondedAt, p.ResolvedAt = &at, &r
		}
		if err := db.CreateProblem(ctx, p); err != nil {
			return fmt.Errorf("loadtest: generate problem %d: %w", i, err)
		}
	}
	return nil
}
