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
	plan, _, err := s.plan(sql, s.planSession(), false)
	if err != nil {
		return err
	}
	ex := &explainer{s: s, keyspace: s.keyspace}
	if err := ex.explain(context.Background(), plan, sql); err != nil {
		return err
	}
	cols := []column{{name: "#"}, {name: "keyspace"}, {name: "shard"}, {name: "query"}}
	rows := make([][]*string, len(ex.steps))
	for i, st := range ex.steps {
		rows[i] = []*string{ptr(strconv.Itoa(i)), ptr(st.keyspace), ptr(st.shard), ptr(st.query)}
	}
	return s.writeTable(more, cols, rows)
}

// explain lists what the statement sql, planned as plan, would send.
func (e *explainer) explain(ctx context.Context, plan *planner.Plan, sql string) error {
	s, ks := e.s, plan.Keyspace
	switch {
	case plan.Local != planner.NotLocal || plan.Kind == planner.KindBegin || plan.Kind == planner.KindCommit || plan.Kind == planner.KindRollback:
		e.add("", "", "(answered by the sidecar) "+plan.Query)
	case s.target != nil:
		e.add(s.target.Keyspace, s.target.Name, sql) // as the client sent it
	case !plan.Forwarded():
		return e.statement(ctx, plan)
	case ks == nil:
		d := s.srv.defaultKeyspace()
		e.add(d.Name, d.Shards[0].Name, plan.Query)
	default:
		e.add(ks.Name, ks.Shards[0].Name, plan.Query)
	}
	return nil
}

type explainStep struct{ keyspace, shard, query string }

// describeLines splits the engine's description of a plan into its lines,
// one node each.
func describeLines(text string) []string { return strings.Split(strings.TrimSuffix(text, "\n"), "\n") }

// explainer is the engine's VindexCursor during VEXPLAIN: it records every statement
// and runs only the reads.
type explainer struct {
	s        *session
	keyspace string
	steps    []explainStep
}

func (e *explainer) add(ks, shard, q string) { e.steps = append(e.steps, explainStep{ks, shard, q}) }

// engine lists the engine's plan of a SELECT, one node per row, with the
// statement's values written in.
func (e *explainer) engine(plan *planner.Plan) error {
	ev, err := e.s.srv.planner().Evaluation(plan, e.s.planSession())
	if err != nil {
		return err
	}
	for _, node := range describeLines(engine.Describe(ev.Bound(plan.Args, e.s.mode.NoBackslashEscapes))) {
		e.add(plan.Keyspace.Name, "", node)
	}
	return nil
}

// statement lists the engine's plan of a statement, one node per row, then
// what a run of it would send: how the route found its shards, each shard's
// statement, the merge's steps.
func (e *explainer) statement(ctx context.Context, plan *planner.Plan) error {
	st, x, err := e.s.statementOf(plan, plan.Args)
	if err != nil {
		return err
	}
	ks := plan.Keyspace
	for _, node := range describeLines(engine.Describe(st)) {
		e.add(ks.Name, "", "(plan) "+node)
	}
	e.keyspace = ks.Name // the lookup statements run in the statement's scope
	x.Planned = explainedRoute{x.Planned, e, ks}
	return st.Answer(ctx, &explaining{e, plan}, x)
}

// explainedRoute lists how the router found a statement's shards: the
// engine's route (by which vindex from how many values, or every shard; a
// join by what binds each table) and how many it found.
type explainedRoute struct {
	engine.Planned
	e  *explainer
	ks *conf.Keyspace
}

func (r explainedRoute) Route(ctx context.Context, cur engine.VindexCursor) (*engine.Routed, error) {
	routed, err := r.Planned.Route(ctx, cur)
	if err != nil {
		return nil, err
	}
	how := strings.TrimSuffix(engine.Describe(routed.Route), "\n")
	r.e.add(r.ks.Name, "", fmt.Sprintf("(route) %s; %d shard(s)", how, len(routed.Shards)))
	return routed, nil
}

// explaining is the engine.Session of a statement VEXPLAIN lists: it lists
// the shards' statements and sends none of them.
type explaining struct {
	*explainer
	plan *planner.Plan
}

func (x *explaining) Relay(_ context.Context, shard *conf.Shard, sql string) error {
	if sql == "" {
		sql = x.plan.Query
	}
	x.add(shard.Keyspace, shard.Name, sql)
	return nil
}

// Gather lists a SELECT across shards as the session runs it: the statement
// each shard gets (with the merge's hidden columns, keys by position and
// pushed-down LIMIT), then what the merge does with their rows.
func (x *explaining) Gather(_ context.Context, queries []engine.ShardQuery, mp *engine.MergePlan) error {
	for _, q := range queries {
		sql := q.SQL
		switch {
		case mp != nil:
			sql = mp.SQL
		case sql == "":
			sql = x.plan.Query
		}
		x.add(q.Shard.Keyspace, q.Shard.Name, sql)
	}
	if mp == nil {
		x.add("", "", "(the shards' rows concatenated)")
		return nil
	}
	// The merge's tree of steps, the last first, each step's source under it.
	for _, step := range describeLines(engine.Describe(mp)) {
		x.add("", "", "(merge) "+step)
	}
	return nil
}

func (x *explaining) Write(_ context.Context, queries []engine.ShardQuery) (engine.Written, error) {
	for _, q := range queries {
		x.add(q.Shard.Keyspace, q.Shard.Name, q.SQL)
	}
	return engine.Written{Listed: true}, nil
}

func (x *explaining) OK(engine.Written) error                       { return nil }
func (x *explaining) Returned(engine.Written, *engine.Result) error { return nil }

func (x *explaining) Scope(_ string, run func() error) error { return run() }

// InTransaction is false: VEXPLAIN runs no write, so nothing runs again.
func (x *explaining) InTransaction() bool { return false }

func (x *explaining) Evaluate(_ context.Context, refusal error) error {
	if refusal != nil && !evaluable(x.plan, refusal) {
		return refusal
	}
	return x.engine(x.plan)
}

// Select lists a staged write's read as VEXPLAIN lists that SELECT, and
// reads nothing: the write, made from the rows, is described, not listed.
func (x *explaining) Select(ctx context.Context, r engine.Read) (*engine.Result, error) {
	sess := x.s.planSession()
	sess.Keyspace, sess.SystemSchema = r.Keyspace, ""
	read, _, err := x.s.plan(r.SQL, sess, false)
	if err != nil {
		return nil, err
	}
	// No rows, in one column: the write is made as for reads that found
	// nothing.
	return &engine.Result{Fields: []engine.Field{{Name: "_"}}}, x.explain(ctx, read, r.SQL)
}

// SelectOn is never reached: Evaluate lists the engine plan instead of
// running it.
func (x *explaining) SelectOn(context.Context, string, string, ...engine.TempTable) (*engine.Result, error) {
	return &engine.Result{}, nil
}

func (x *explaining) Run(context.Context, string) error { return nil }

// Execute lists a lookup statement as the session would run it, and runs it
// when it only reads.
func (e *explainer) Execute(ctx context.Context, sql string, _ vindex.CommitOrder) (*vindex.Result, error) {
	return e.s.runLookupStatement(ctx, &internal{VindexCursor: e, s: e.s, explain: e}, sql, e.keyspace)
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

// SequencePast moves no sequence: VEXPLAIN writes nothing.
func (e *explainer) SequencePast(context.Context, *conf.Table, int64) error { return nil }

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
