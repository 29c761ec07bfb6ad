package sidecar

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"sidecar/conf"
	"sidecar/engine"
	"sidecar/planner"
	"sidecar/sqlerr"
	"sidecar/vindex"
)

// vexplain answers `VEXPLAIN <statement>`: the statements the sidecar would
// send, with their keyspace and shard, in order — lookup queries, lookup
// writes, sequence reads, the per-shard rewritten SQL. Nothing is written:
// lookup reads run (they change nothing), lookup writes and sequence
// reservations are only listed. A SELECT the engine answers shows its plan:
// the gather of each table, then the statement evaluated over their rows.
func (s *session) vexplain(sql string, more bool) error {
	plan, err := s.srv.planner().Plan(sql, s.planSession())
	if err != nil {
		return err
	}
	ex := &explainer{s: s, keyspace: s.keyspace}
	ctx := context.Background()
	ks := plan.Keyspace
	switch {
	case plan.Local != planner.NotLocal || plan.Kind == planner.KindBegin || plan.Kind == planner.KindCommit || plan.Kind == planner.KindRollback:
		ex.add("", "", "(answered by the sidecar) "+plan.Query)
	case s.target != nil:
		ex.add(s.target.Keyspace, s.target.Name, sql)
	case plan.Engine:
		if err := ex.engine(plan); err != nil {
			return err
		}
	case ks == nil:
		d := s.srv.defaultKeyspace()
		ex.add(d.Name, d.Shards[0].Name, plan.Query)
	case !ks.Sharded || plan.Table == nil:
		if ks.Sharded && plan.Kind == planner.KindDDL {
			for _, sh := range ks.Shards {
				ex.add(ks.Name, sh.Name, plan.Query)
			}
			break
		}
		ex.add(ks.Name, ks.Shards[0].Name, plan.Query)
	case plan.Kind == planner.KindInsert || plan.Kind == planner.KindReplace:
		ex.keyspace = ks.Name
		ins, err := planner.PlanInsert(plan)
		if err != nil {
			return err
		}
		ex.add(ks.Name, "", "(insert) "+strings.TrimSuffix(engine.Describe(ins), "\n"))
		ip, err := ins.Run(ctx, ex, plan.Args, plan.AsSent())
		if err != nil {
			return err
		}
		for _, q := range ip.Queries {
			ex.add(ks.Name, q.Shard.Name, q.SQL)
		}
	default:
		route, err := planner.RouteStatement(ctx, plan, plan.Args, ex)
		if err != nil && evaluable(plan, err) {
			if err := ex.engine(plan); err != nil {
				return err
			}
			break
		}
		if err != nil {
			return err
		}
		ex.route(ks, route)
		if len(plan.Table.Owned) > 0 && plan.Kind.IsDML() {
			if owned, err := planner.PlanOwnedDML(plan); err != nil {
				return err
			} else if owned != nil {
				// The affected rows' read is listed, not run: the lookup
				// statements depend on what it would read.
				ex.add(ks.Name, "", "(lookups) "+strings.TrimSuffix(engine.Describe(owned), "\n"))
				if err := owned.Run(ctx, ex, plan.Args, route.Shards); err != nil {
					return err
				}
				ex.add("", "", "(lookup rows of the selected values deleted or moved)")
			}
		}
		if len(route.Shards) > 1 && plan.Kind == planner.KindSelect {
			if err := ex.scatter(plan, route.Shards); err != nil {
				return err
			}
			break
		}
		for _, sh := range route.Shards {
			ex.add(ks.Name, sh.Name, plan.Query)
		}
	}
	cols := []column{{name: "#"}, {name: "keyspace"}, {name: "shard"}, {name: "query"}}
	rows := make([][]*string, len(ex.steps))
	for i, st := range ex.steps {
		rows[i] = []*string{ptr(strconv.Itoa(i)), ptr(st.keyspace), ptr(st.shard), ptr(st.query)}
	}
	return s.writeTable(more, cols, rows)
}

type explainStep struct{ keyspace, shard, query string }

// explainer is the engine's VindexCursor during VEXPLAIN: it records every statement
// and runs only the reads.
type explainer struct {
	s        *session
	keyspace string
	steps    []explainStep
}

func (e *explainer) add(ks, shard, q string) { e.steps = append(e.steps, explainStep{ks, shard, q}) }

// engine lists the engine's plan of a SELECT, one node per row.
func (e *explainer) engine(plan *planner.Plan) error {
	prim, err := e.s.planEvaluate(plan, plan.Args)
	if err != nil {
		return err
	}
	for _, node := range strings.Split(strings.TrimSuffix(engine.Describe(prim), "\n"), "\n") {
		e.add(plan.Keyspace.Name, "", node)
	}
	return nil
}

// route says how the router found the shards: the engine's route (by which
// vindex from how many values, or every shard) and how many it found, or
// how a join was pinned.
func (e *explainer) route(ks *conf.Keyspace, r *planner.Route) {
	var how string
	switch {
	case r.Plan != nil:
		how = strings.TrimSuffix(engine.Describe(r.Plan), "\n")
	case r.Scatter:
		how = "every shard: the tables are co-located (joined on their primary vindex columns of one vindex)"
	default:
		how = "one shard: every table's primary vindex column is bound to a value on it"
	}
	e.add(ks.Name, "", fmt.Sprintf("(route) %s; %d shard(s)", how, len(r.Shards)))
}

// scatter lists a SELECT across shards as scatterSelect runs it: the
// statement each shard gets (with the merge's hidden columns, keys by
// position and pushed-down LIMIT), then what the merge does with their rows;
// or the engine's plan when no merge answers it.
func (e *explainer) scatter(plan *planner.Plan, shards []*conf.Shard) error {
	mp, err := planner.PlanMerge(plan, plan.Args)
	if err != nil {
		if evaluable(plan, err) {
			return e.engine(plan)
		}
		return err
	}
	sql := plan.Query
	if mp != nil {
		sql = mp.SQL
	}
	for _, sh := range shards {
		e.add(plan.Keyspace.Name, sh.Name, sql)
	}
	if mp == nil {
		e.add("", "", "(the shards' rows concatenated)")
		return nil
	}
	// The merge's steps, the last first, as engine.Merge chains them.
	for _, step := range strings.Split(strings.TrimSuffix(engine.Describe(mp), "\n"), "\n") {
		e.add("", "", "(merge) "+step)
	}
	return nil
}

func (e *explainer) Execute(ctx context.Context, sql string, order vindex.CommitOrder) (*vindex.Result, error) {
	plan, err := e.s.srv.planner().Plan(sql, planner.Session{Keyspace: e.keyspace, Mode: e.s.mode})
	if err != nil {
		return nil, err
	}
	ks := plan.Keyspace
	if ks == nil {
		return nil, sqlerr.Routing("lookup statement names no table: %s", sql)
	}
	shards := ks.Shards[:1]
	if ks.Sharded && plan.Table != nil && plan.Kind != planner.KindInsert {
		route, err := planner.RouteStatement(ctx, plan, plan.Args, e)
		if err != nil {
			return nil, err
		}
		shards = route.Shards
	} else if ks.Sharded && plan.Kind == planner.KindInsert {
		ip, err := runInsert(ctx, plan, plan.Args, e)
		if err != nil {
			return nil, err
		}
		for _, q := range ip.Queries {
			e.add(ks.Name, q.Shard.Name, q.SQL)
		}
		return &vindex.Result{RowsAffected: 1}, nil
	}
	out := &vindex.Result{}
	for _, sh := range shards {
		e.add(ks.Name, sh.Name, plan.Query)
		if plan.Kind == planner.KindSelect {
			res, err := e.s.runInternal(sh, vindex.CommitAutocommit, plan.Query)
			if err != nil {
				return nil, err
			}
			out.Rows = append(out.Rows, toValues(res)...)
		} else {
			out.RowsAffected = 1
		}
	}
	return out, nil
}

func (e *explainer) ExecuteKeyspaceID(ctx context.Context, keyspace string, ksid vindex.KeyspaceID, sql string, order vindex.CommitOrder) (*vindex.Result, error) {
	if ks := e.s.srv.topo().Keyspaces[keyspace]; ks != nil {
		e.add(keyspace, ks.ShardFor(ksid).Name, sql)
	}
	return &vindex.Result{}, nil
}

// ExecuteShard lists the statement and reads nothing: the owner rows'
// locking read is what it would run.
func (e *explainer) ExecuteShard(ctx context.Context, sh *conf.Shard, sql string, order vindex.CommitOrder) (*vindex.Result, error) {
	e.add(sh.Keyspace, sh.Name, sql)
	return &vindex.Result{}, nil
}

func (e *explainer) InTransactionAndIsDML() bool { return false }

func (e *explainer) NoBackslashEscapes() bool { return e.s.mode.NoBackslashEscapes }

// NextSequence reads the sequence's next value without reserving anything.
func (e *explainer) NextSequence(ctx context.Context, seq *conf.Table, n int64) (int64, error) {
	q := "select next_id from " + vindex.QuoteIdent(seq.Name) + " where id = 0"
	e.add(seq.Keyspace.Name, seq.Keyspace.Shards[0].Name, "(reserve "+strconv.FormatInt(n, 10)+" values) "+q)
	res, err := e.s.runInternal(seq.Keyspace.Shards[0], vindex.CommitAutocommit, q)
	if err != nil || len(res.Rows) != 1 {
		return 0, err
	}
	return strconv.ParseInt(string(res.Rows[0][0]), 10, 64)
}

func (e *explainer) MapLookup(ctx context.Context, ks *conf.Keyspace, cv *conf.ColumnVindex, ids []vindex.Value) ([]vindex.Destination, error) {
	sc, ok := cv.Vindex.(vindex.SingleColumn)
	if !ok {
		return nil, sqlerr.Unsupported("vindex %s for routing", cv.Name)
	}
	return sc.Map(ctx, e, ids)
}

func (e *explainer) LookupWritten(*conf.Keyspace, *conf.ColumnVindex, []vindex.Value) {}

func (e *explainer) RowsMapped(*conf.Table, []vindex.KeyspaceID) {}
