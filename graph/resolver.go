// Package graph is Lianqi's GraphQL layer: the schema (schema/*.graphqls), the code
// gqlgen generates from it, and thin resolvers that convert arguments, call the
// service and convert results. Authorization lives in the service and the store;
// the @hasRole directive adds a field-level check on top.
package graph

//go:generate go tool gqlgen generate

import (
	"github.com/lianqi/lianqi/service"
	lqsync "github.com/lianqi/lianqi/sync"
)

// Resolver is the root resolver; one per server.
type Resolver struct {
	Svc *service.Service
	// Sync is the offline replication engine the sync operations adapt.
	Sync *lqsync.Engine
}
