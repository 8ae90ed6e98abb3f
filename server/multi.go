package main

import (
	"context"
	"fmt"

	"github.com/lianqi/lianqi/live"
	"github.com/lianqi/lianqi/service"
)

// liveFeed chooses how live subscriptions learn of writes (Config.LiveFeed,
// from the deployment's hello) and starts it; a change stream runs until
// run ends (Close).
func (m *Main) liveFeed(ctx, run context.Context) (live.Feed, error) {
	top, err := m.DB.Topology(ctx)
	if err != nil {
		return nil, fmt.Errorf("live feed: %w", err)
	}
	kind, err := live.Choose(m.Config.LiveFeed, top)
	if err != nil {
		return nil, err
	}
	interval := m.Service.PollInterval
	if interval <= 0 {
		interval = service.DefaultPollInterval
	}
	m.Log.Info("live updates", "feed", kind, "replicaSet", top.SetName, "mongos", top.Msg == "isdbgrid")
	if kind == live.KindStream {
		return live.NewStream(run, m.DB, m.DB.Committed, interval, m.Log), nil
	}
	return live.NewPoll(m.DB.Committed, interval), nil
}
