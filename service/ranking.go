package service

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/lianqi/lianqi/domain"
)

// RankingOptions are the choices a reader of the ranking makes.
type RankingOptions struct {
	// IncludeRetired lists retired chiefs too (marked); by default they are left out.
	IncludeRetired bool
	// AsOf ranks with the configuration that was in force then; nil: now.
	AsOf *time.Time
}

// OfficialRanking ranks the officials who led a pairing during period (see
// domain.Rank and docs/ranking.md) with the office's configuration. It covers
// the whole programme: officials see where they stand among their peers, as
// the county publishes the ranking.
func (s *Service) OfficialRanking(ctx context.Context, period domain.Period, opts RankingOptions) ([]*domain.RankingEntry, error) {
	if _, err := s.require(ctx, domain.RoleAdmin, domain.RoleLeader, domain.RoleOfficial); err != nil {
		return nil, err
	}
	if period.From != nil && period.To != nil && !period.From.Before(*period.To) {
		return nil, domain.Invalid("to", "the period must end after it starts")
	}
	cfg, err := s.rankingConfigAt(ctx, opts.AsOf)
	if err != nil {
		return nil, err
	}
	d, err := s.db.RankingData(ctx)
	if err != nil {
		return nil, err
	}
	d.Period, d.Config, d.Deadlines, d.IncludeRetired = period, cfg, s.Deadlines, opts.IncludeRetired
	return domain.Rank(d, s.now()), nil
}

// RankingConfig returns the configuration in force at asOf (nil: now); version
// 0 is the built-in default, in force until the office first changes it.
func (s *Service) RankingConfig(ctx context.Context, asOf *time.Time) (*domain.RankingConfig, error) {
	if _, err := s.require(ctx, domain.RoleAdmin, domain.RoleLeader, domain.RoleOfficial); err != nil {
		return nil, err
	}
	return s.rankingConfigAt(ctx, asOf)
}

func (s *Service) rankingConfigAt(ctx context.Context, asOf *time.Time) (*domain.RankingConfig, error) {
	all, err := s.db.RankingConfigs(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range all {
		if asOf == nil || !c.ChangedAt.After(*asOf) {
			return c, nil
		}
	}
	return domain.DefaultRankingConfig(), nil
}

// RankingConfigHistory lists every version, newest first, ending with the
// built-in default (version 0): who changed what, when and why.
func (s *Service) RankingConfigHistory(ctx context.Context) ([]*domain.RankingConfig, error) {
	if _, err := s.require(ctx, domain.RoleAdmin, domain.RoleLeader, domain.RoleOfficial); err != nil {
		return nil, err
	}
	all, err := s.db.RankingConfigs(ctx)
	if err != nil {
		return nil, err
	}
	return append(all, domain.DefaultRankingConfig()), nil
}

// RankingConfigInput changes some components' settings; the others stay.
type RankingConfigInput struct {
	Components []*ComponentWeightInput
	Reason     string
	// ExpectedVersion, when given, must be the version in force: an admin
	// editing an older version is told instead of overwriting a change.
	ExpectedVersion *int
}

// ComponentWeightInput is one component's new setting.
type ComponentWeightInput struct {
	Name     string
	Weight   float64
	Cap      *int
	Baseline *float64
}

// SetRankingConfig stores a new version of the ranking's configuration
// (admins only): validated, with the reason, the admin and what changed, and
// audited. Earlier versions stay as history.
func (s *Service) SetRankingConfig(ctx context.Context, in RankingConfigInput) (*domain.RankingConfig, error) {
	p, err := s.require(ctx, domain.RoleAdmin)
	if err != nil {
		return nil, err
	}
	cur, err := s.rankingConfigAt(ctx, nil)
	if err != nil {
		return nil, err
	}
	if in.ExpectedVersion != nil && *in.ExpectedVersion != cur.Version {
		return nil, domain.Errorf(domain.ECONFLICT, "the ranking configuration is at version %d, not %d; reload and try again", cur.Version, *in.ExpectedVersion)
	}
	changes := make([]domain.ComponentWeight, 0, len(in.Components))
	for _, c := range in.Components {
		w := domain.ComponentWeight{Name: strings.TrimSpace(c.Name), Weight: c.Weight}
		if c.Cap != nil {
			w.Cap = *c.Cap
		} else if spec, ok := domain.ComponentByName(w.Name); ok && spec.Kind == domain.KindCount {
			w.Cap = cur.Weight(w.Name).Cap
		}
		if c.Baseline != nil {
			w.Baseline = *c.Baseline
		} else if spec, ok := domain.ComponentByName(w.Name); ok && spec.Kind == domain.KindMean {
			w.Baseline = cur.Weight(w.Name).Baseline
		}
		changes = append(changes, w)
	}
	reason := strings.TrimSpace(in.Reason)
	if err := domain.ValidateChanges(changes, reason); err != nil {
		return nil, err
	}
	next := cur.Apply(changes)
	next.Changes = next.Diff(cur)
	if len(next.Changes) == 0 {
		return nil, domain.Invalid("components", "nothing changes: the settings are those of version %d", cur.Version)
	}
	next.Reason, next.ChangedBy, next.ChangedAt = reason, p.UserID, s.now()
	next.ChangedByName = p.Username
	if names, err := s.PersonNames(ctx, []string{p.UserID}); err == nil && names[p.UserID] != "" {
		next.ChangedByName = names[p.UserID]
	}
	if err := s.db.CreateRankingConfig(ctx, next); err != nil {
		return nil, err
	}
	s.audit(ctx, domain.AuditRankingConfig, fmt.Sprintf("ranking-config-%d", next.Version),
		fmt.Sprintf("version %d: %s (reason: %s)", next.Version, strings.Join(next.Changes, "; "), reason))
	return next, nil
}
