package sidecar

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"

	"sidecar/backend"
	"sidecar/conf"
	"sidecar/engine"
	"sidecar/mysql"
	"sidecar/planner"
	"sidecar/sqlerr"
	"sidecar/vindex"
)

// This file runs statements on sharded keyspaces, and implements the
// interface the planner and the lookup vindexes use to reach the database
// (engine.VindexCursor, vindex.Querier) on the client's own session: every internal
// query carries the client's identity and joins its transaction.

// runPlanned runs a statement the sidecar does more with than forward it
// (see Plan.Forwarded) by its engine.Statement. args are a prepared
// statement's arguments, or the text's normalized literals; stmt is set for
// prepared statements so single-shard reads can execute the backend's
// prepared statement and relay binary rows.
func (s *session) runPlanned(plan *planner.Plan, args planner.Args, stmt *preparedStmt, more bool) error {
	st, x, err := s.statementOf(plan, args)
	if err != nil {
		return err
	}
	// Writes route by the lookup table itself, never by a cached entry
	// another sidecar may have made stale. A staged write's reads are
	// statements of their own, which set this again.
	outer := s.lookupNoCache
	s.lookupNoCache = plan.Kind == planner.KindUpdate || plan.Kind == planner.KindDelete
	defer func() { s.lookupNoCache = outer }()
	a := &answering{session: s, plan: plan, args: args, stmt: stmt, more: more}
	return st.Answer(context.Background(), a, x)
}

// statementOf is a planned statement's engine.Statement and its execution
// with args in this session: the shard its hint names, the rows it may
// hold, the planner's part.
func (s *session) statementOf(plan *planner.Plan, args planner.Args) (engine.Statement, engine.Execution, error) {
	hint, err := s.hintedShard(plan)
	if err != nil {
		return nil, engine.Execution{}, err
	}
	st, err := planner.PlanStatement(plan)
	if err != nil {
		return nil, engine.Execution{}, err
	}
	return st, engine.Execution{Args: args, Hint: hint, MaxRows: s.srv.config().MaxMemoryRows,
		Planned: s.srv.planner().Execution(plan, args, s.planSession())}, nil
}

// rowCap is the most rows the client's statement plan may return: the
// session's sql_select_limit for the client's own SELECT without a LIMIT of
// its own, engine.NoLimit otherwise. Where a shard's rows are the client's
// (forwarded, relayed, concatenated) the shard caps them too; the rows the
// sidecar merges or evaluates are all the shards have (see acquireRead).
func (s *session) rowCap(plan *planner.Plan) uint64 {
	if s.selectLimit == "" || s.capturing || plan == nil || plan.Kind != planner.KindSelect && plan.Local != planner.ShowDatabases || plan.Limited() {
		return engine.NoLimit
	}
	n, _ := strconv.ParseUint(s.selectLimit, 10, 64) // digits: see set
	return n
}

// answering is the session as an engine.Statement answers one client
// statement through it.
type answering struct {
	*session
	plan *planner.Plan
	args planner.Args
	stmt *preparedStmt
	more bool
}

func (a *answering) Relay(_ context.Context, shard *conf.Shard, sql string) error {
	if sql == "" {
		if a.stmt != nil {
			return a.executeOn(shard, a.stmt)
		}
		sql = a.stmtPrefix + a.plan.Query
	}
	// Text even for a prepared execute: it is the SELECT without rows of a
	// route to no shard, whose result is framed alike in both protocols.
	res, err := a.forward(shard, sql, a.plan.Kind, a.more)
	return res.failed(err)
}

func (a *answering) Gather(_ context.Context, queries []engine.ShardQuery, mp *engine.MergePlan) error {
	if mp == nil {
		return a.scatter(queries, a.plan, a.stmt, a.more)
	}
	limited := false
	if n := a.rowCap(a.plan); n != engine.NoLimit {
		capped := *mp
		capped.Top = &engine.Limit{Count: n, Source: mp.Top}
		mp, limited = &capped, mp.LimitsPerShard()
	}
	shards := make([]*conf.Shard, len(queries))
	for i, q := range queries {
		shards[i] = q.Shard
	}
	err := a.mergeScatter(shards, mp, limited, a.stmt != nil, a.more)
	if enums := (*engine.EnumKeys)(nil); errors.As(err, &enums) {
		return err // the engine plans the merge again, with their index
	}
	if refused := (errMergeRefused{}); errors.As(err, &refused) {
		return a.evaluate(a.plan, a.args, a.stmt, a.more, refused.err)
	}
	return err
}

func (a *answering) Write(_ context.Context, queries []engine.ShardQuery) (engine.Written, error) {
	return a.runWrites(queries, a.plan)
}

func (a *answering) OK(w engine.Written) error {
	if w.Generated {
		a.lastInsertID = w.InsertID
	}
	return a.okResult(w, a.more)
}

func (a *answering) Returned(w engine.Written, rows *engine.Result) error {
	if w.Generated {
		a.lastInsertID = w.InsertID
	}
	return a.writeResult(rows, a.stmt != nil, w.Warnings, a.more)
}

func (a *answering) Scope(keyspace string, run func() error) error {
	a.beginStatement(keyspace, true)
	scope := a.session.stmt
	return a.endStatement(run(), scope.wrote)
}

func (a *answering) Evaluate(_ context.Context, refusal error) error {
	return a.evaluate(a.plan, a.args, a.stmt, a.more, refusal)
}

// Run runs a staged write, planned from the client's session (its names,
// its keyspace).
func (a *answering) Run(_ context.Context, sql string) error {
	write, err := a.srv.planner().Plan(sql, a.planSession())
	switch {
	case err != nil:
		return err
	case write.SelectFrom != nil || write.Subqueries:
		return sqlerr.Routing("a staged write planned as staged again: %.80s", sql)
	case !write.Forwarded():
		return a.runPlanned(write, write.Args, nil, a.more)
	}
	res, err := a.forward(write.Keyspace.Shards[0], write.Query, write.Kind, a.more)
	return res.failed(err)
}

// hintedShard resolves the routing hint a statement arrived with to a shard
// of its keyspace (by shard name or ProxySQL hostgroup); nil without one.
func (s *session) hintedShard(plan *planner.Plan) (*conf.Shard, error) {
	h := plan.Hint
	if !h.Present() || plan.Keyspace == nil {
		return nil, nil
	}
	ks := plan.Keyspace
	if h.Keyspace != "" && h.Keyspace != ks.Name {
		return nil, sqlerr.Routing("the statement's hint names keyspace %s, but its tables are in keyspace %s", h.Keyspace, ks.Name)
	}
	if h.Shard == "" && !h.HasHostgroup {
		return nil, nil
	}
	if h.Shard == "" && !hasHostgroups(ks) {
		// A hostgroup annotation meant for a ProxySQL in front of the
		// sidecar: it does not name one of our shards.
		return nil, nil
	}
	for _, sh := range ks.Shards {
		if (h.Shard == "" || sh.Name == h.Shard) && (!h.HasHostgroup || (sh.HasHostgroup && sh.Hostgroup == h.Hostgroup)) {
			return sh, nil
		}
	}
	if h.Shard != "" {
		return nil, sqlerr.Routing("the statement's hint names shard %s, which keyspace %s does not have", h.Shard, ks.Name)
	}
	return nil, sqlerr.Routing("the statement's hint names hostgroup %d, which no shard of keyspace %s has", h.Hostgroup, ks.Name)
}

func hasHostgroups(ks *conf.Keyspace) bool {
	for _, sh := range ks.Shards {
		if sh.HasHostgroup {
			return true
		}
	}
	return false
}

// runWrites runs one statement per shard in parallel and adds up the results
// (the warnings of a DDL statement once: see keepWarnings). Each shard's
// connection is taken first (in order, joining the transaction), then the
// statements run concurrently, one goroutine per shard.
func (s *session) runWrites(queries []engine.ShardQuery, plan *planner.Plan) (engine.Written, error) {
	ddl := plan.Kind == planner.KindDDL
	calls := planner.CallsLastInsertID(plan.Query) // LAST_INSERT_ID(expr), its OK packets' insert id
	var res engine.Written
	var infos []string
	wrote := false
	type job struct {
		bc   *backend.Conn
		held bool
		sql  string
		out  *backend.Result
		err  error
	}
	jobs := make([]job, len(queries))
	var firstErr error
	for i, q := range queries {
		bc, held, err := s.acquireFor(q.Shard, vindex.CommitNormal)
		if err != nil {
			firstErr = err
			jobs = jobs[:i]
			break
		}
		jobs[i] = job{bc: bc, held: held, sql: q.SQL}
	}
	if firstErr == nil {
		// With the definitions of any rows: RETURNING's, for the client.
		if len(jobs) == 1 {
			jobs[0].out, jobs[0].err = jobs[0].bc.ExecDefs(jobs[0].sql)
		} else {
			var wg sync.WaitGroup
			for i := range jobs {
				wg.Add(1)
				go func(j *job) {
					defer wg.Done()
					j.out, j.err = j.bc.ExecDefs(j.sql)
				}(&jobs[i])
			}
			wg.Wait()
		}
	}
	for _, j := range jobs {
		if j.err != nil && firstErr == nil {
			firstErr = j.err
		}
	}
	for i, j := range jobs {
		switch {
		case firstErr == nil: // the shards are named only in an error
		case j.err != nil:
			res.Failed = append(res.Failed, j.bc.String())
		case j.out != nil:
			res.Succeeded = append(res.Succeeded, j.bc.String())
		}
		if j.err == nil && j.out != nil {
			wrote = true
			if err := returnedRows(&res, len(jobs), i, j.out); err != nil && firstErr == nil {
				firstErr = err
			}
			infos = append(infos, j.out.OK.Info)
			res.Affected += j.out.OK.AffectedRows
			// Read now: the connection goes back before SHOW WARNINGS comes.
			res.Warnings += s.keepWarnings(j.bc, j.out.OK.Warnings, ddl)
			if id := j.out.OK.InsertID; id != 0 {
				if calls {
					// LAST_INSERT_ID(expr): the value of its last call,
					// which the OK packet carries (the last shard's, as the
					// shards run one after another in keyspace order), is
					// the session's from now on.
					res.InsertID = id
					s.syncLastInsertID(j.bc, id, nil, nil)
				} else if res.InsertID == 0 {
					res.InsertID = id // an INSERT's first generated id
				}
			}
		}
		if j.bc.Broken && j.held {
			s.dropHeld(j.bc)
		}
		s.release(j.bc, j.held, 0)
	}
	if s.stmt != nil && wrote {
		s.stmt.wrote = true
	}
	res.Info = mysql.SumInfo(infos)
	return res, firstErr
}

// returnedRows keeps in w the rows the i-th of n statements returned
// (RETURNING), as the engine's result.
func returnedRows(w *engine.Written, n, i int, out *backend.Result) error {
	if out.Columns == 0 {
		return nil
	}
	res := &engine.Result{Fields: make([]engine.Field, len(out.Defs)), Rows: out.Rows}
	for c, def := range out.Defs {
		var ok bool
		if res.Fields[c], ok = fieldOf(def); !ok {
			return mysql.ErrMalformed
		}
	}
	if w.Returned == nil {
		w.Returned = make([]*engine.Result, n)
	}
	w.Returned[i] = res
	return nil
}

// dropHeld forgets a held connection that broke. Where it carried part of
// the client's transaction, or held its table locks on a shard, the shard
// rolled that part back or released them: the statement ends by rolling
// back or unlocking the rest too (endLostTxn).
func (s *session) dropHeld(bc *backend.Conn) {
	for k, c := range s.conns {
		if c == bc {
			delete(s.conns, k)
		}
	}
	s.txnLost = s.txnLost || bc.InTxn
	s.locksLost = s.locksLost || s.tablesLocked
}

// endLostTxn ends a statement during which a connection carrying part of
// the transaction broke: the other shards' parts are rolled back too, as
// committing them would commit half a transaction, and err, the statement's
// error, says so. A transaction the statement already undid whole (a write
// that failed part-way) has its own message. So for the table locks of a
// LOCK TABLES: with one shard's gone, the others are released.
func (s *session) endLostTxn(err error) error {
	if s.locksLost {
		s.locksLost = false
		if uerr := s.unlockHeld(); uerr != nil {
			s.log.Warn().Err(uerr).Msg("unlock tables after a lost connection")
		}
		if err != nil {
			se := sqlerr.From(err)
			err = sqlerr.New(se.Num, se.State, "table locks released: %s", se.Message)
		}
	}
	if !s.txnLost {
		return err
	}
	s.txnLost = false
	open := s.inTxn
	s.rollback()
	if !open {
		return err
	}
	if err == nil { // its answer is sent: a connection breaks on a failed read or write
		s.log.Warn().Msg("a connection of the transaction broke during a statement that succeeded: transaction rolled back")
		return nil
	}
	se := sqlerr.From(err)
	return sqlerr.New(se.Num, se.State, "transaction rolled back: %s", se.Message)
}

func (s *session) okResult(w engine.Written, more bool) error {
	s.rowCount = int64(w.Affected)
	st := s.status()
	if more {
		st |= mysql.StatusMoreResults
	}
	return s.w.WritePacket(mysql.AppendOK(nil, mysql.OK{AffectedRows: w.Affected, InsertID: w.InsertID, Status: st, Warnings: w.Warnings, Info: w.Info}))
}

// --- engine.VindexCursor and vindex.Querier on the session ---

// Execute runs a lookup vindex's statement: planned like a client statement
// (so a sharded lookup table is routed by its own vindex) and run on the
// session's connections of the given commit order.
func (s *session) Execute(ctx context.Context, sql string, order vindex.CommitOrder) (*vindex.Result, error) {
	keyspace := s.keyspace
	if s.stmt != nil {
		keyspace = s.stmt.keyspace
	}
	return s.runLookupStatement(ctx, &internal{VindexCursor: s, s: s, order: order}, sql, keyspace)
}

// runLookupStatement plans a lookup vindex's statement in keyspace and runs
// it through in.
func (s *session) runLookupStatement(ctx context.Context, in *internal, sql, keyspace string) (*vindex.Result, error) {
	plan, err := s.srv.planner().Plan(sql, planner.Session{Keyspace: keyspace, Mode: s.mode})
	if err != nil {
		return nil, err
	}
	ks := plan.Keyspace
	if ks == nil {
		return nil, sqlerr.Routing("lookup statement names no table: %s", sql)
	}
	in.plan, in.out = plan, &vindex.Result{}
	if !ks.Sharded {
		return in.out, in.Relay(ctx, ks.Shards[0], plan.Query)
	}
	st, x, err := s.statementOf(plan, plan.Args)
	if err != nil {
		return nil, err
	}
	if err := st.Answer(ctx, in, x); err != nil {
		return nil, err
	}
	return in.out, nil
}

// internal is the session as a lookup vindex's statement runs through it:
// on the session's connections of one commit order, one shard at a time,
// inside the client's statement, with the rows going back to the vindex.
// For VEXPLAIN (explain set) it lists the statements and runs only reads.
type internal struct {
	engine.VindexCursor // the session, or VEXPLAIN's explainer
	s                   *session
	order               vindex.CommitOrder
	explain             *explainer
	plan                *planner.Plan
	out                 *vindex.Result
}

func (in *internal) Relay(_ context.Context, shard *conf.Shard, sql string) error {
	if sql == "" {
		sql = in.plan.Query
	}
	order := in.order
	if in.explain != nil {
		in.explain.add(shard.Keyspace, shard.Name, sql)
		if in.plan.Kind != planner.KindSelect {
			in.out.RowsAffected = 1
			return nil
		}
		order = vindex.CommitAutocommit
	}
	res, err := in.s.runInternal(shard, order, sql)
	if err != nil {
		return err
	}
	in.out.RowsAffected += res.OK.AffectedRows
	in.out.Rows = append(in.out.Rows, toValues(res)...)
	if st := in.s.stmt; in.plan.Kind.IsDML() && st != nil && res.OK.AffectedRows > 0 {
		st.wrote = true
	}
	return nil
}

func (in *internal) Gather(ctx context.Context, queries []engine.ShardQuery, mp *engine.MergePlan) error {
	if mp != nil {
		return sqlerr.Unsupported("a lookup statement whose rows need merging: %s", in.plan.Query)
	}
	for _, q := range queries {
		if err := in.Relay(ctx, q.Shard, q.SQL); err != nil {
			return err
		}
	}
	return nil
}

func (in *internal) Write(ctx context.Context, queries []engine.ShardQuery) (engine.Written, error) {
	for _, q := range queries {
		if err := in.Relay(ctx, q.Shard, q.SQL); err != nil {
			return engine.Written{}, err
		}
	}
	return engine.Written{}, nil
}

func (in *internal) OK(engine.Written) error                       { return nil }
func (in *internal) Returned(engine.Written, *engine.Result) error { return nil }

// Scope: the statement is part of the client's, whose scope undoes it; so
// it cannot undo one that has to run again (engine.ErrRetry) alone.
func (in *internal) Scope(_ string, run func() error) error {
	err := run()
	if errors.Is(err, engine.ErrRetry) {
		return sqlerr.Unsupported("a lookup statement that has to run again: %.80s", in.plan.Query)
	}
	return err
}

// InTransaction is false for a lookup's statement: it never runs again
// (Scope), whatever locks it leaves.
func (in *internal) InTransaction() bool { return false }

func (in *internal) Evaluate(_ context.Context, refusal error) error {
	if refusal == nil {
		return in.refuse()
	}
	return refusal
}

func (in *internal) Select(context.Context, engine.Read) (*engine.Result, error) {
	return nil, in.refuse()
}

func (in *internal) SelectOn(context.Context, string, string, ...engine.TempTable) (*engine.Result, error) {
	return nil, in.refuse()
}

func (in *internal) Run(context.Context, string) error { return in.refuse() }

// refuse is the error of a lookup statement that would read across
// keyspaces or shards before it runs: lookup tables are read and written
// by statements of one table.
func (in *internal) refuse() error {
	return sqlerr.Unsupported("a lookup statement that reads across shards or keyspaces first: %.80s", in.plan.Query)
}

// ExecuteKeyspaceID runs sql on the shard of keyspace holding ksid (the
// consistent lookup's owner-row check).
func (s *session) ExecuteKeyspaceID(ctx context.Context, keyspace string, ksid vindex.KeyspaceID, sql string, order vindex.CommitOrder) (*vindex.Result, error) {
	ks := s.srv.topo().Keyspaces[keyspace]
	if ks == nil {
		return nil, unknownKeyspace(keyspace)
	}
	return s.ExecuteShard(ctx, ks.ShardFor(ksid), sql, order)
}

// ExecuteShard runs sql on one shard in the session's transaction (the
// owner rows' read before their lookup rows change).
func (s *session) ExecuteShard(ctx context.Context, sh *conf.Shard, sql string, order vindex.CommitOrder) (*vindex.Result, error) {
	res, err := s.runInternal(sh, order, sql)
	if err != nil {
		return nil, err
	}
	return &vindex.Result{Rows: toValues(res), RowsAffected: res.OK.AffectedRows}, nil
}

// InTransactionAndIsDML: lookup reads lock rows (for update) when they serve
// a write inside a transaction, as Vitess's do.
// NoBackslashEscapes: lookup statements write their values for the
// session's sql_mode (vindex.AppendLiteral).
func (s *session) NoBackslashEscapes() bool { return s.mode.NoBackslashEscapes }

// NoteTxnRow implements vindex.TxnRows, for the client's transaction (see
// txnRows). A statement that commits alone is not noted: one statement
// rarely writes a value back, and a bulk INSERT would note every row.
func (s *session) NoteTxnRow(key string, r vindex.TxnRow) {
	if s.inTxn {
		s.lookupRows.note(key, r)
	}
}

// TxnRow implements vindex.TxnRows.
func (s *session) TxnRow(key string) (vindex.TxnRow, bool) { return s.lookupRows.get(key) }

// LocksOutlastStatement implements vindex.TxnRows: in the client's
// transaction the Pre and Post sessions commit with it.
func (s *session) LocksOutlastStatement() bool { return s.inTxn }

var _ vindex.TxnRows = (*session)(nil)

// InTransaction implements engine.Session.
func (s *session) InTransaction() bool { return s.inTxn }

func (s *session) InTransactionAndIsDML() bool {
	return s.stmt != nil && s.stmt.dml && s.txnActive()
}

func (s *session) runInternal(shard *conf.Shard, order vindex.CommitOrder, sql string) (*backend.Result, error) {
	bc, held, err := s.acquireFor(shard, order)
	if err != nil {
		return nil, err
	}
	res, err := bc.Exec(sql)
	if bc.Broken && held {
		s.dropHeld(bc)
		held = false
	}
	s.release(bc, held, 0)
	return res, err
}

// toValues types a result's raw values by their columns' types.
func toValues(res *backend.Result) [][]vindex.Value {
	out := make([][]vindex.Value, len(res.Rows))
	for i, row := range res.Rows {
		out[i] = make([]vindex.Value, len(row))
		for j, v := range row {
			if v == nil {
				out[i][j] = vindex.Value{Kind: vindex.Null}
			} else {
				out[i][j] = vindex.Value{Kind: res.Kinds[j], Raw: v}
			}
		}
	}
	return out
}

func unknownKeyspace(name string) *sqlerr.Error {
	return sqlerr.New(1049, "42000", "Unknown database '%s'", name)
}

// NextSequence reserves sequence values for an INSERT.
func (s *session) NextSequence(ctx context.Context, seq *conf.Table, n int64) (int64, error) {
	return s.srv.seqs.next(ctx, seq, n)
}

// SequencePast moves the sequence past a value an INSERT wrote itself.
func (s *session) SequencePast(ctx context.Context, seq *conf.Table, v int64) error {
	return s.srv.seqs.past(seq, v)
}

// MapLookup maps values through a unique lookup vindex, cache first. Only
// lookup rows holding a value's own text are cached (see vindex.TextMapper).
// Results read inside a transaction are cached only once it commits: they
// may be rows this very transaction created.
func (s *session) MapLookup(ctx context.Context, ks *conf.Keyspace, cv *conf.ColumnVindex, ids []vindex.Value) ([]vindex.Destination, error) {
	cache := s.srv.cache
	name := ks.Name + "." + cv.Name
	dests := make([]vindex.Destination, len(ids))
	var missIdx []int
	var missIDs []vindex.Value
	for i, id := range ids {
		if cache != nil && !id.IsNull() && !s.lookupNoCache {
			if ksid, ok := cache.Get(name, id); ok {
				dests[i] = vindex.DestinationKeyspaceID(ksid)
				continue
			}
		}
		missIdx, missIDs = append(missIdx, i), append(missIDs, id)
	}
	if len(missIDs) == 0 {
		return dests, nil
	}
	tm, ok := cv.Vindex.(vindex.TextMapper)
	if !ok {
		return nil, sqlerr.Unsupported("vindex %s for routing", cv.Name)
	}
	got, ownText, err := tm.MapByText(ctx, s, missIDs)
	if err != nil {
		return nil, err
	}
	for k, d := range got {
		dests[missIdx[k]] = d
		if ksid, ok := d.(vindex.DestinationKeyspaceID); ok && cache != nil && ownText[k] {
			if s.txnActive() {
				s.pendingCache = append(s.pendingCache, cacheEntry{name, missIDs[k], vindex.KeyspaceID(ksid)})
			} else {
				cache.Add(name, missIDs[k], vindex.KeyspaceID(ksid))
			}
		}
	}
	return dests, nil
}

// LookupWritten drops cached keyspace ids of values whose lookup rows the
// sidecar itself changed, and those this transaction read and would cache
// when it commits.
func (s *session) LookupWritten(ks *conf.Keyspace, cv *conf.ColumnVindex, ids []vindex.Value) {
	if s.srv.cache == nil {
		return
	}
	name := ks.Name + "." + cv.Name
	for _, id := range ids {
		s.srv.cache.Remove(name, id)
		s.pendingCache = slices.DeleteFunc(s.pendingCache, func(e cacheEntry) bool {
			return e.name == name && bytes.Equal(e.id.Raw, id.Raw)
		})
	}
}

// RowsMapped notes the shard an INSERT's rows all go to, when they go to one
// and the statement is its own transaction (see stmtScope.ownShard).
func (s *session) RowsMapped(t *conf.Table, ksids []vindex.KeyspaceID) {
	st := s.stmt
	if st == nil || !st.implicit || st.rowsMapped {
		return // only the client's INSERT, not the lookup tables' own
	}
	st.rowsMapped = true
	var shard *conf.Shard
	for _, ksid := range ksids {
		sh := t.Keyspace.ShardFor(ksid)
		if shard != nil && sh != shard {
			return
		}
		shard = sh
	}
	st.ownShard = shard
}

type cacheEntry struct {
	name string
	id   vindex.Value
	ksid vindex.KeyspaceID
}
