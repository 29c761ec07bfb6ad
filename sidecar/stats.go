package sidecar

import (
	"slices"
	"strings"
	"time"

	"github.com/pingcap/tidb/pkg/parser"

	"sidecar/backend"
	"sidecar/metrics"
	"sidecar/planner"
	"sidecar/sqlerr"
)

// stmtStats follows the client statement being run, for the metrics and the
// slow query log. It lives in the session and is reused: following a
// statement allocates nothing.
type stmtStats struct {
	start  time.Time
	sql    string          // the client's text, or a prepared statement's
	plan   *planner.Plan   // nil until planned
	shards []*backend.Pool // the shards it ran on, each once
}

// begin starts following a statement.
func (st *stmtStats) begin(sql string) {
	st.start = time.Now()
	st.sql, st.plan = sql, nil
	st.shards = st.shards[:0]
}

// ranOn notes a shard the statement uses.
func (st *stmtStats) ranOn(p *backend.Pool) {
	if !slices.Contains(st.shards, p) {
		st.shards = append(st.shards, p)
	}
}

// statementDone counts the statement that ended with err, and logs it when
// it was slower than log.slow_query.
func (s *session) statementDone(err error) {
	st := &s.stats
	d := time.Since(st.start)
	var kind planner.Kind
	keyspace := ""
	if st.plan != nil {
		kind = st.plan.Kind
		if ks := st.plan.Keyspace; ks != nil {
			keyspace = ks.Name
		}
	} else {
		kind = planner.Classify(st.sql) // not planned: it failed, or is the sidecar's own
	}
	if keyspace == "" && len(st.shards) > 0 {
		keyspace = st.shards[0].Shard.Keyspace // a statement naming no table
	}
	typ := typeLabel(kind)
	for _, p := range st.shards {
		p.Stats.Query(typ)
	}
	metrics.Statement(keyspace, typ, d)
	if slow := s.srv.cfg.Log.SlowQuery; slow > 0 && d >= slow { // log settings are not reloaded
		s.logSlow(d, keyspace, typ, err)
	}
}

// typeLabel is a statement kind as a label value: one word.
func typeLabel(k planner.Kind) string {
	return strings.ReplaceAll(k.String(), " ", "_") // copies only "rollback to", "lock tables"…
}

func (s *session) logSlow(d time.Duration, keyspace, typ string, err error) {
	st := &s.stats
	shards := make([]string, len(st.shards))
	for i, p := range st.shards {
		shards[i] = p.Shard.Keyspace + "/" + p.Shard.Name
	}
	ev := s.log.Warn().Dur("duration_ms", d).Str("keyspace", keyspace).Strs("shards", shards).Str("type", typ)
	if err != nil {
		ev = ev.Uint16("error", sqlerr.From(err).Num)
	}
	if len(st.sql) > maxNormalized {
		ev = ev.Bool("statement_cut", true)
	}
	ev.Str("statement", normalizedStatement(st.sql)).Msg("slow query")
}

// maxNormalized bounds the text the slow query log normalizes: a statement of
// megabytes (a bulk INSERT) is read this far. Cutting it cannot leak a value:
// a string literal cut short is unterminated, and the normalizer drops it.
const maxNormalized = 16 << 10

// normalizedStatement is sql with every literal replaced by ? (lists of them
// by ...), comments dropped and keywords lowercased: TiDB's statement
// digest text, which MySQL's performance_schema digests resemble. The plan
// cache's shapes are no substitute: they keep the literals that decide a
// plan (select list, LIMIT), and exist only for the statements it caches.
func normalizedStatement(sql string) string {
	if len(sql) > maxNormalized {
		sql = sql[:maxNormalized]
	}
	return parser.Normalize(sql, "ON") // "ON": literals become ?
}

// metricsSource is what /metrics reads from the server at each scrape.
type metricsSource struct{ s *Server }

func (m metricsSource) ClientConnections() int { return int(m.s.conns.Load()) }

func (m metricsSource) BackendPools(f func(keyspace, shard string, inUse, idle int)) {
	for _, p := range m.s.state.Load().pools {
		inUse, idle := p.Usage()
		f(p.Shard.Keyspace, p.Shard.Name, inUse, idle)
	}
}

func (m metricsSource) LookupCache() (metrics.CacheStats, bool) {
	if m.s.cache == nil {
		return metrics.CacheStats{}, false
	}
	st := m.s.cache.Stats()
	return metrics.CacheStats{Hits: st.Hits, Misses: st.Misses, Entries: st.Len}, true
}
