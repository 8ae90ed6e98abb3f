package store

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/lianqi/lianqi/domain"
)

// CollRankingConfigs holds the versions of the ranking's configuration. A
// version is only ever inserted, under an id made from its number, so two
// admins saving the same next version collide on the key (ECONFLICT) instead
// of one silently replacing the other. Not synced to clients.
const CollRankingConfigs = "rankingConfigs"

type componentWeightDoc struct {
	Name     string  `bson:"name"`
	Weight   float64 `bson:"weight"`
	Cap      int     `bson:"cap"`
	Baseline float64 `bson:"baseline"`
}

type rankingConfigDoc struct {
	Stamp         `bson:",inline"`
	Number        int                  `bson:"number"`
	Components    []componentWeightDoc `bson:"components"`
	Reason        string               `bson:"reason"`
	ChangedBy     string               `bson:"changedBy"`
	ChangedByName string               `bson:"changedByName"`
	ChangedAt     time.Time            `bson:"changedAt"`
	Changes       []string             `bson:"changes"`
}

func (d *rankingConfigDoc) toDomain() *domain.RankingConfig {
	c := &domain.RankingConfig{Version: d.Number, Reason: d.Reason, ChangedBy: d.ChangedBy, ChangedByName: d.ChangedByName,
		ChangedAt: d.ChangedAt.UTC(), Changes: d.Changes}
	for _, w := range d.Components {
		c.Components = append(c.Components, domain.ComponentWeight{Name: w.Name, Weight: w.Weight, Cap: w.Cap, Baseline: w.Baseline})
	}
	return c
}

// rankingConfigID is the key of a version: zero-padded so ids sort as numbers.
func rankingConfigID(n int) string { return fmt.Sprintf("ranking-config-%06d", n) }

// CreateRankingConfig stores a new version; ECONFLICT if that version exists.
func (db *DB) CreateRankingConfig(ctx context.Context, c *domain.RankingConfig) error {
	d := &rankingConfigDoc{Stamp: Stamp{ID: rankingConfigID(c.Version)}, Number: c.Version, Reason: c.Reason, ChangedBy: c.ChangedBy,
		ChangedByName: c.ChangedByName, ChangedAt: c.ChangedAt, Changes: c.Changes, Components: []componentWeightDoc{}}
	if d.Changes == nil {
		d.Changes = []string{}
	}
	for _, w := range c.Components {
		d.Components = append(d.Components, componentWeightDoc{Name: w.Name, Weight: w.Weight, Cap: w.Cap, Baseline: w.Baseline})
	}
	var m domain.Meta
	return save(ctx, db, CollRankingConfigs, d, 0, &m)
}

// RankingConfigs returns every stored version, newest first. There are few:
// one per change the office makes.
func (db *DB) RankingConfigs(ctx context.Context) ([]*domain.RankingConfig, error) {
	return findAll(ctx, db, CollRankingConfigs, live(), bson.D{{Key: "number", Value: -1}}, (*rankingConfigDoc).toDomain)
}
