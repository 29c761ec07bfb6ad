// Package metrics is the sidecar's Prometheus instrumentation: the metrics,
// their names and labels, and the /metrics handler.
//
// The metrics are the process's (one sidecar per process, as with its lookup
// cache), in a registry of their own, so nothing a library registers globally
// shows up. Label values are bounded: keyspace, shard and sequence names from
// the config, statement types, MySQL error numbers; never SQL text.
//
// The statement path resolves no labels: a label child is resolved the first
// time its keyspace, shard, statement type or error number is seen, and kept
// (see children). What the sidecar already tracks (connections open, pool
// connections, lookup cache counters) is read at scrape time from a Source,
// at no cost to statements.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

var (
	registry = prometheus.NewRegistry()
	factory  = promauto.With(registry)
)

// durationBuckets span a point select on a nearby shard (a few hundred
// microseconds) to a long scatter or a lock wait (seconds).
var durationBuckets = []float64{.00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

var (
	shardQueries = factory.NewCounterVec(prometheus.CounterOpts{
		Name: "sidecar_shard_queries_total",
		Help: "Client statements run on a shard, by statement type; a statement that runs on several shards counts on each.",
	}, []string{"keyspace", "shard", "type"})

	queryDuration = factory.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "sidecar_query_duration_seconds",
		Help:    "Time from a client statement's arrival to its reply, by keyspace and statement type.",
		Buckets: durationBuckets,
	}, []string{"keyspace", "type"})

	errorsTotal = factory.NewCounterVec(prometheus.CounterOpts{
		Name: "sidecar_errors_total",
		Help: "Errors sent to clients, the shards' relayed ones included, by MySQL error number.",
	}, []string{"code"})

	clientConnectionsTotal = factory.NewCounter(prometheus.CounterOpts{
		Name: "sidecar_client_connections_total",
		Help: "Client connections accepted (those refused for max_connections are not).",
	})

	backendWaits = factory.NewCounterVec(prometheus.CounterOpts{
		Name: "sidecar_backend_connection_waits_total",
		Help: "Times a statement found every connection of a shard's pool in use and waited for one.",
	}, []string{"keyspace", "shard"})

	sequenceReserved = factory.NewCounterVec(prometheus.CounterOpts{
		Name: "sidecar_sequence_values_reserved_total",
		Help: "Sequence values reserved in the sequence tables (in blocks of the sequence's cache).",
	}, []string{"keyspace", "sequence"})

	vschemaVersion = factory.NewGauge(prometheus.GaugeOpts{
		Name: "sidecar_vschema_version",
		Help: "Version of the stored VSchema in force (metadata keyspace); 0 while only the config's VSchemas are.",
	})

	lockWaitsBroken = factory.NewCounterVec(prometheus.CounterOpts{
		Name: "sidecar_lock_waits_broken_total",
		Help: "Lock waits no shard could end that the sidecar broke: deadlocks across shards (error 1213) and waits of a transaction for its own locks (error 1205).",
	}, []string{"error"})

	reloads = factory.NewCounterVec(prometheus.CounterOpts{
		Name: "sidecar_reloads_total",
		Help: "Reloads of the config or of a new VSchema version, by result (success or failure).",
	}, []string{"result"})
)

func init() {
	registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&source,
	)
	// Both results exist from the start, so a rate() over them sees the
	// first failure.
	reloads.WithLabelValues("success")
	reloads.WithLabelValues("failure")
}

// LockWaitBroken counts a lock wait the sidecar ended with error code.
func LockWaitBroken(code uint16) { lockWaitsBroken.WithLabelValues(strconv.Itoa(int(code))).Inc() }

// Handler serves the metrics in Prometheus's exposition formats.
func Handler() http.Handler {
	return promhttp.HandlerFor(registry, promhttp.HandlerOpts{})
}

// Shard is the instrumentation of one shard, kept by its pool.
type Shard struct {
	queries *children[string, prometheus.Counter] // by statement type
	waits   prometheus.Counter
}

// NewShard returns the instrumentation of a shard. Pools of the same shard
// (after a reload) share its series.
func NewShard(keyspace, shard string) *Shard {
	return &Shard{
		queries: newChildren(func(typ string) prometheus.Counter {
			return shardQueries.WithLabelValues(keyspace, shard, typ)
		}),
		waits: backendWaits.WithLabelValues(keyspace, shard),
	}
}

// Query counts a client statement of type typ that ran on the shard.
func (s *Shard) Query(typ string) { s.queries.get(typ).Inc() }

// Waited counts a statement that waited for a free connection of the pool.
func (s *Shard) Waited() { s.waits.Inc() }

type keyspaceType struct{ keyspace, typ string }

var durations = newChildren(func(k keyspaceType) prometheus.Observer {
	return queryDuration.WithLabelValues(k.keyspace, k.typ)
})

// Statement records how long a client statement of type typ took in
// keyspace ("" for one that ran nowhere).
func Statement(keyspace, typ string, d time.Duration) {
	durations.get(keyspaceType{keyspace, typ}).Observe(d.Seconds())
}

var errorCounts = newChildren(func(code uint16) prometheus.Counter {
	return errorsTotal.WithLabelValues(strconv.Itoa(int(code)))
})

// Error counts an error sent to a client.
func Error(code uint16) { errorCounts.get(code).Inc() }

// ClientConnected counts an accepted client connection.
func ClientConnected() { clientConnectionsTotal.Inc() }

// SequenceReserved counts n values of a sequence reserved in its table. It
// resolves its labels each time: blocks are reserved once per cache values.
func SequenceReserved(keyspace, sequence string, n int64) {
	sequenceReserved.WithLabelValues(keyspace, sequence).Add(float64(n))
}

// SetVSchemaVersion records the version of the stored VSchema now in force.
func SetVSchemaVersion(version int64) { vschemaVersion.Set(float64(version)) }

// Reloaded counts a reload: a success when err is nil, else a failure (the
// old config stays in force).
func Reloaded(err error) {
	result := "success"
	if err != nil {
		result = "failure"
	}
	reloads.WithLabelValues(result).Inc()
}
