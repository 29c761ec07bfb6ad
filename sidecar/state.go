package sidecar

import (
	"slices"
	"strings"

	"github.com/rs/zerolog"

	"sidecar/backend"
	"sidecar/conf"
	"sidecar/metrics"
	"sidecar/planner"
	"sidecar/sqlerr"
)

// state is what a reload or a VSchema change replaces, whole and at once:
// the config in force, its planner (and plan cache) and the pools of its
// shards. Statements read it afresh, so they see a change as soon as it is
// made. Connections a session holds (its transaction, its session state) are
// known by keyspace and shard name, not by config, so an open transaction
// goes on where it began.
type state struct {
	cfg     *conf.Config // the files' config with the stored VSchemas in force
	planner *planner.Planner
	pools   map[shardKey]*backend.Pool
	// version is the stored VSchema version in force (0: none stored, or
	// no metadata keyspace).
	version int64
}

// shardKey names a shard across configs: a shard of an older config (of a
// prepared statement's plan, of a session's USE ks:shard) finds the pool of
// the shard of the same name in force.
type shardKey struct{ keyspace, shard string }

func keyOf(sh *conf.Shard) shardKey { return shardKey{sh.Keyspace, sh.Name} }

func (k shardKey) String() string { return k.keyspace + "/" + k.shard }

// newState builds the state of cfg. Shards whose backend and hint are as in
// prev keep prev's pool, with its connections; the others get a new one.
func (s *Server) newState(cfg *conf.Config, version int64, prev *state) *state {
	st := &state{
		cfg:     cfg,
		planner: planner.NewPlanner(cfg.Topology, planCacheEntries, planCacheBytes),
		pools:   map[shardKey]*backend.Pool{},
		version: version,
	}
	for _, name := range cfg.Topology.Names {
		for _, sh := range cfg.Topology.Keyspaces[name].Shards {
			p := prev.reusablePool(sh, cfg.ShardHints)
			if p == nil {
				p = newShardPool(sh, cfg.ShardHints, s.log)
				p.SessionMode = s.sessionMode
			}
			st.pools[keyOf(sh)] = p
		}
	}
	return st
}

// newShardPool is a new pool of sh, writing sh's hint when hints are on.
func newShardPool(sh *conf.Shard, hints bool, log zerolog.Logger) *backend.Pool {
	p := backend.NewPool(sh, log)
	if hints {
		p.Hint = hintFor(sh)
		// An incoming hint without a hostgroup still gets ours in front when
		// the shard has a hostgroup: the ProxySQL behind the sidecar needs it,
		// and a hint naming another shard was refused before the statement
		// got here.
		p.OwnHint = func(sql string) bool {
			h := planner.ParseHint(sql)
			return h.Present() && (h.HasHostgroup || !sh.HasHostgroup)
		}
	}
	return p
}

// reusablePool returns prev's pool of sh if it connects the same way and
// writes the same hint; nil otherwise (or without prev).
func (prev *state) reusablePool(sh *conf.Shard, hints bool) *backend.Pool {
	if prev == nil || prev.cfg.ShardHints != hints {
		return nil
	}
	if p := prev.pools[keyOf(sh)]; p != nil && p.Shard.SameBackend(sh) {
		return p
	}
	return nil
}

// swap puts next in force. Pools next does not use are closed: their idle
// connections now, the ones in use when they come back (a transaction open
// on one finishes first).
func (s *Server) swap(next *state) {
	prev := s.state.Swap(next)
	metrics.SetVSchemaVersion(next.version)
	if prev == nil {
		return
	}
	kept := map[*backend.Pool]bool{}
	for _, p := range next.pools {
		kept[p] = true
	}
	for _, p := range prev.pools {
		if !kept[p] {
			p.Close()
		}
	}
}

func (s *Server) config() *conf.Config                { return s.state.Load().cfg }
func (s *Server) planner() *planner.Planner           { return s.state.Load().planner }
func (s *Server) topo() *conf.Topology                { return s.planner().Topo }
func (st *state) poolOf(sh *conf.Shard) *backend.Pool { return st.pools[keyOf(sh)] }

// pool returns the pool of sh's keyspace and shard in the config in force.
// A shard removed by a reload has none: a statement planned before it (a
// prepared statement) gets an error instead of a backend no longer
// configured.
func (s *Server) pool(sh *conf.Shard) (*backend.Pool, error) {
	if p := s.state.Load().poolOf(sh); p != nil {
		return p, nil
	}
	return nil, sqlerr.New(1105, "HY000", "shard %s/%s is no longer in the config (it was reloaded)", sh.Keyspace, sh.Name)
}

// mariaDB reports whether keyspace's first backend, which evaluates the
// engine's statements, announced itself as MariaDB; while it has not been
// connected to yet, whether the first keyspace's did (read at start).
func (s *Server) mariaDB(keyspace string) bool {
	v := ""
	if ks := s.topo().Keyspaces[keyspace]; ks != nil {
		if p, err := s.pool(ks.Shards[0]); err == nil {
			v = p.Version()
		}
	}
	if v == "" {
		v = s.firstPool().Version()
	}
	return strings.Contains(v, "MariaDB")
}

// learnColumns reads the columns need asks for from its table's first shard
// and keeps them in the planner: in the planner in force when none were
// known, in a new one (the plans made with the old columns made again) when
// a row contradicted them. Read again as they were, the columns make the row
// the client's mistake: MySQL's 1136.
func (s *Server) learnColumns(need *planner.NeedColumns) error {
	sh := need.Table.Keyspace.Shards[0]
	p, err := s.pool(sh)
	if err != nil {
		return err
	}
	bc, err := p.Get(false)
	if err != nil {
		return err
	}
	defer p.Put(bc)
	res, err := bc.Exec(planner.ColumnsQuery(sh.Database, need.Table))
	if err != nil {
		return err
	}
	cols := make([]string, len(res.Rows))
	for i, r := range res.Rows {
		cols[i] = string(r[0])
	}
	switch {
	case len(cols) == 0:
		return sqlerr.New(1146, "42S02", "Table '%s.%s' doesn't exist", need.Table.Keyspace.Name, need.Table.Name)
	case need.Known == nil:
		s.planner().LearnColumns(need.Table, cols)
	case slices.Equal(cols, need.Known):
		return need.CountError()
	default:
		s.replacePlanner(func(pl *planner.Planner) { pl.LearnColumns(need.Table, cols) })
	}
	return nil
}

// schemaChanged follows a DDL statement on keyspace ks (nil: on any): the
// columns learned of its tables may have changed, and the plans made with
// them.
func (s *Server) schemaChanged(ks *conf.Keyspace) {
	name := ""
	if ks != nil {
		name = ks.Name
	}
	if s.planner().KnowsColumnsOf(name) {
		s.replacePlanner(func(*planner.Planner) {})
	}
}

// replacePlanner puts a new planner in force for the config in force: its
// plans, and the prepared statements' (which see the planner change), are
// made again. learn gives it what it knows from the start.
func (s *Server) replacePlanner(learn func(*planner.Planner)) {
	for {
		cur := s.state.Load()
		next := *cur
		next.planner = planner.NewPlanner(cur.cfg.Topology, planCacheEntries, planCacheBytes)
		learn(next.planner)
		if s.state.CompareAndSwap(cur, &next) {
			return
		}
	}
}
