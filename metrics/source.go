package metrics

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// Source is the state of the sidecar that a scrape reads as it is: the
// sidecar keeps it anyway, so statements pay nothing more for it.
type Source interface {
	// ClientConnections is the number of client connections open.
	ClientConnections() int
	// BackendPools calls f with the connections of every shard's pool.
	BackendPools(f func(keyspace, shard string, inUse, idle int))
	// LookupCache returns the lookup cache's counters; ok is false when
	// the cache is off.
	LookupCache() (stats CacheStats, ok bool)
}

// CacheStats are the lookup cache's counters since the start.
type CacheStats struct {
	Hits, Misses uint64
	Entries      int
}

// Observe makes src the Source of the following scrapes (the last server
// created, as there is one per process).
func Observe(src Source) { source.src.Store(&src) }

var (
	clientConnectionsDesc = prometheus.NewDesc("sidecar_client_connections",
		"Client connections open, handshakes in progress included.", nil, nil)
	backendConnectionsDesc = prometheus.NewDesc("sidecar_backend_connections",
		"Connections of a shard's pool, by state: in_use (by a statement or a session) or idle.",
		[]string{"keyspace", "shard", "state"}, nil)
	lookupCacheRequestsDesc = prometheus.NewDesc("sidecar_lookup_cache_requests_total",
		"Lookup vindex values looked up in the lookup cache, by result (hit or miss).", []string{"result"}, nil)
	lookupCacheEntriesDesc = prometheus.NewDesc("sidecar_lookup_cache_entries",
		"Values in the lookup cache.", nil, nil)
)

var source sourceCollector

type sourceCollector struct{ src atomic.Pointer[Source] }

func (c *sourceCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- clientConnectionsDesc
	ch <- backendConnectionsDesc
	ch <- lookupCacheRequestsDesc
	ch <- lookupCacheEntriesDesc
}

func (c *sourceCollector) Collect(ch chan<- prometheus.Metric) {
	p := c.src.Load()
	if p == nil {
		return
	}
	src := *p
	ch <- prometheus.MustNewConstMetric(clientConnectionsDesc, prometheus.GaugeValue, float64(src.ClientConnections()))
	src.BackendPools(func(keyspace, shard string, inUse, idle int) {
		ch <- prometheus.MustNewConstMetric(backendConnectionsDesc, prometheus.GaugeValue, float64(inUse), keyspace, shard, "in_use")
		ch <- prometheus.MustNewConstMetric(backendConnectionsDesc, prometheus.GaugeValue, float64(idle), keyspace, shard, "idle")
	})
	if st, ok := src.LookupCache(); ok {
		ch <- prometheus.MustNewConstMetric(lookupCacheRequestsDesc, prometheus.CounterValue, float64(st.Hits), "hit")
		ch <- prometheus.MustNewConstMetric(lookupCacheRequestsDesc, prometheus.CounterValue, float64(st.Misses), "miss")
		ch <- prometheus.MustNewConstMetric(lookupCacheEntriesDesc, prometheus.GaugeValue, float64(st.Entries))
	}
}
