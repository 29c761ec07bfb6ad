package sidecar

import (
	"context"
	"strings"
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

// runSharded runs a statement on a sharded keyspace. args are a prepared
// statement's arguments (nil for text); stmt is set for prepared statements
// so single-shard reads can execute the backend's prepared statement and
// relay binary rows.
func (s *session) runSharded(plan *planner.Plan, args planner.Args, stmt *preparedStmt, more bool) error {
	ctx := context.Background()
	ks := plan.Keyspace
	hinted, err := s.hintedShard(plan)
	if err != nil {
		return err
	}
	switch {
	case plan.Kind == planner.KindDDL && plan.Sticky:
		// CREATE/DROP TEMPORARY TABLE: on the session's own connection to
		// every shard, where later statements of the session will find it.
		res, err := s.runWrites(sameOnEach(ks.Shards, plan.Query))
		if err != nil {
			return err
		}
		return s.okResult(0, 0, res.warnings, more)
	case plan.Kind == planner.KindDDL:
		return s.fanOutDDL(ks, plan.Query, more)
	case plan.Table == nil:
		// SHOW, DESCRIBE, EXPLAIN, SELECT and DO without a table: every
		// shard has the same schema and answers the same.
		switch plan.Kind {
		case planner.KindShow, planner.KindSelect, planner.KindExplain, planner.KindDo:
		default:
			return sqlerr.Unsupported("%s statements on sharded keyspace %s: %.80s", plan.Kind, ks.Name, plan.Query)
		}
		return s.runOn(ks.Shards[0], plan, stmt, more)
	case plan.Kind == planner.KindInsert || plan.Kind == planner.KindReplace:
		if plan.Kind == planner.KindReplace && len(plan.Table.Owned) > 0 {
			return sqlerr.Unsupported("REPLACE into table %s, which owns lookup vindexes", plan.Table)
		}
		return s.insertSharded(ctx, plan, args, hinted, more)
	case plan.Kind == planner.KindSelect:
		route, err := planner.RouteStatement(ctx, plan, args, s)
		if err != nil {
			return s.evaluate(plan, args, stmt, more, err)
		}
		if err := applyHint(route, hinted); err != nil {
			return err
		}
		switch len(route.Shards) {
		case 0:
			return s.emptyResult(plan, stmt, more)
		case 1:
			return s.runOn(route.Shards[0], plan, stmt, more)
		}
		return s.scatterSelect(route.Shards, plan, args, stmt, more)
	case plan.Kind == planner.KindUpdate || plan.Kind == planner.KindDelete:
		// Writes route by the lookup table itself, never by a cached entry
		// another sidecar may have made stale.
		s.lookupNoCache = true
		route, err := planner.RouteStatement(ctx, plan, args, s)
		s.lookupNoCache = false
		if err != nil {
			return err
		}
		if err := applyHint(route, hinted); err != nil {
			return err
		}
		if len(plan.Table.Owned) > 0 {
			owned, err := planner.PlanOwnedDML(plan)
			if err != nil {
				return err
			}
			if owned != nil {
				return s.ownedDML(ctx, route, owned, args, plan.Text(args), more)
			}
		}
		switch len(route.Shards) {
		case 0:
			return s.okResult(0, 0, 0, more)
		case 1:
			return s.runOn(route.Shards[0], plan, stmt, more)
		}
		s.beginStatement(ks.Name, true)
		res, err := s.runWrites(sameOnEach(route.Shards, plan.Text(args)))
		if err = s.endStatement(err, res.wrote); err != nil {
			return err
		}
		return s.okResult(res.affected, 0, res.warnings, more)
	}
	return sqlerr.Unsupported("%s statements on sharded keyspace %s: %.80s", plan.Kind, ks.Name, plan.Query)
}

// ownedDML runs an UPDATE/DELETE of a table owning lookup vindexes: the
// affected rows are read and locked first, their lookup rows deleted (post
// transaction for consistent lookups) or moved (delete + create with the
// duplicate protocol), then the statement runs; all in one statement scope.
func (s *session) ownedDML(ctx context.Context, route *planner.Route, owned *engine.OwnedLookups, args planner.Args, sql string, more bool) error {
	s.beginStatement(owned.Table.Keyspace.Name, true)
	err := owned.Run(ctx, s, args, route.Shards)
	var res writeResult
	if err == nil {
		res, err = s.runWrites(sameOnEach(route.Shards, sql))
	}
	if err = s.endStatement(err, s.stmt.wrote || res.wrote); err != nil {
		return err
	}
	return s.okResult(res.affected, 0, res.warnings, more)
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

// applyHint narrows a route to the hinted shard: a scatter goes to that
// shard only; a route chosen by a vindex must agree with the hint.
func applyHint(route *planner.Route, hinted *conf.Shard) error {
	if hinted == nil {
		return nil
	}
	if route.Scatter {
		route.Shards, route.Scatter = []*conf.Shard{hinted}, false
		return nil
	}
	for _, sh := range route.Shards {
		if sh != hinted {
			return hintConflict(hinted, sh)
		}
	}
	return nil
}

func hintConflict(hinted, routed *conf.Shard) error {
	return sqlerr.Routing("the statement's hint names shard %s/%s, but its vindex values route it to shard %s/%s",
		hinted.Keyspace, hinted.Name, routed.Keyspace, routed.Name)
}

// runOn sends the whole statement to one shard and relays the reply.
func (s *session) runOn(shard *conf.Shard, plan *planner.Plan, stmt *preparedStmt, more bool) error {
	if stmt != nil {
		return s.executeOn(shard, stmt)
	}
	res, err := s.forward(shard, plan.Query, plan.Kind, more)
	return res.failed(err)
}

// insertSharded plans an INSERT (sequences, keyspace ids, lookup rows) and
// writes its rows, one statement per shard, in parallel. A statement that
// writes in several places runs in a statement scope, so a failure part-way
// leaves nothing behind.
func (s *session) insertSharded(ctx context.Context, plan *planner.Plan, args planner.Args, hinted *conf.Shard, more bool) error {
	t := plan.Table
	scoped := len(t.Owned) > 0 || plan.InsertRows() > 1
	if scoped {
		s.beginStatement(t.Keyspace.Name, true)
	}
	ip, err := runInsert(ctx, plan, args, s)
	if err == nil && hinted != nil {
		for _, q := range ip.Queries {
			if q.Shard != hinted {
				err = hintConflict(hinted, q.Shard)
			}
		}
	}
	var res writeResult
	if err == nil {
		res, err = s.runWrites(ip.Queries)
	}
	wrote := res.wrote || (s.stmt != nil && s.stmt.wrote)
	if scoped {
		err = s.endStatement(err, wrote)
	}
	if err != nil {
		return err
	}
	insertID := res.insertID
	switch {
	case ip.InsertID != 0: // the first value of a sequence
		insertID = ip.InsertID
		s.lastInsertID = insertID
	case insertID != 0 && planner.InsertIDGenerated(plan, args, insertID):
		// A shard's own AUTO_INCREMENT. An explicit value (a vindex column
		// that is also the shard's AUTO_INCREMENT one, typically) is in the
		// OK packet too, but is no LAST_INSERT_ID(). The shards' statements
		// hold the client's values and the sequence's, and the latter are
		// the case above.
		s.lastInsertID = insertID
	}
	return s.okResult(res.affected, insertID, res.warnings, more)
}

// runInsert plans an INSERT (once per statement shape) and runs it through
// cur up to the shards' statements: sequence values reserved, lookup rows
// written, rows split by shard.
func runInsert(ctx context.Context, plan *planner.Plan, args planner.Args, cur engine.VindexCursor) (*engine.Inserted, error) {
	ins, err := planner.PlanInsert(plan)
	if err != nil {
		return nil, err
	}
	return ins.Run(ctx, cur, args, plan.AsSent())
}

// sameOnEach is one statement for each of these shards.
func sameOnEach(shards []*conf.Shard, sql string) []engine.ShardQuery {
	queries := make([]engine.ShardQuery, len(shards))
	for i, sh := range shards {
		queries[i] = engine.ShardQuery{Shard: sh, SQL: sql}
	}
	return queries
}

type writeResult struct {
	affected uint64
	insertID uint64
	warnings uint16
	wrote    bool // at least one shard statement succeeded
	// succeeded and failed name the shards (keyspace/shard) whose statement
	// ran, when one failed.
	succeeded, failed []string
}

// runWrites runs one statement per shard in parallel and adds up the results.
// Each shard's connection is taken first (in order, joining the transaction),
// then the statements run concurrently, one goroutine per shard.
func (s *session) runWrites(queries []engine.ShardQuery) (writeResult, error) {
	var res writeResult
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
		if len(jobs) == 1 {
			jobs[0].out, jobs[0].err = jobs[0].bc.Exec(jobs[0].sql)
		} else {
			var wg sync.WaitGroup
			for i := range jobs {
				wg.Add(1)
				go func(j *job) {
					defer wg.Done()
					j.out, j.err = j.bc.Exec(j.sql)
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
	for _, j := range jobs {
		switch {
		case firstErr == nil: // the shards are named only in an error
		case j.err != nil:
			res.failed = append(res.failed, j.bc.String())
		case j.out != nil:
			res.succeeded = append(res.succeeded, j.bc.String())
		}
		if j.err == nil && j.out != nil {
			res.wrote = true
			res.affected += j.out.OK.AffectedRows
			res.warnings += j.out.OK.Warnings
			if res.insertID == 0 {
				res.insertID = j.out.OK.InsertID
			}
		}
		if j.bc.Broken && j.held {
			s.dropHeld(j.bc)
		}
		s.release(j.bc, j.held, 0)
	}
	if s.stmt != nil && res.wrote {
		s.stmt.wrote = true
	}
	return res, firstErr
}

// dropHeld forgets a held connection that broke.
func (s *session) dropHeld(bc *backend.Conn) {
	for k, c := range s.conns {
		if c == bc {
			delete(s.conns, k)
		}
	}
}

func (s *session) okResult(affected, insertID uint64, warnings uint16, more bool) error {
	st := s.status()
	if more {
		st |= mysql.StatusMoreResults
	}
	return s.w.WritePacket(mysql.AppendOK(nil, mysql.OK{AffectedRows: affected, InsertID: insertID, Status: st, Warnings: warnings}))
}

// emptyResult answers a SELECT whose vindex values map to no shard: the
// columns still come from a shard (any one has the schema), with no rows.
//
// For a prepared statement the same text query serves: a result without rows
// is framed alike in the text and binary protocols.
func (s *session) emptyResult(plan *planner.Plan, stmt *preparedStmt, more bool) error {
	impossible := planner.Impossible(plan)
	res, err := s.forward(plan.Keyspace.Shards[0], impossible, plan.Kind, more)
	return res.failed(err)
}

// fanOutDDL runs DDL on every shard of a sharded keyspace in parallel, on
// connections in the session's state (a read-only session cannot drop a
// table). A partial failure names the shards that failed and those that did
// not.
func (s *session) fanOutDDL(ks *conf.Keyspace, sql string, more bool) error {
	res, err := s.runWrites(sameOnEach(ks.Shards, sql))
	switch {
	case err == nil:
		return s.okResult(0, 0, res.warnings, more)
	case len(res.succeeded) == 0:
		return err
	}
	first := sqlerr.From(err)
	return sqlerr.New(first.Num, first.State, "DDL failed on %s (succeeded on %s): %s",
		strings.Join(res.failed, ", "), strings.Join(res.succeeded, ", "), first.Message)
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
	plan, err := s.srv.planner().Plan(sql, planner.Session{Keyspace: keyspace, Mode: s.mode})
	if err != nil {
		return nil, err
	}
	ks := plan.Keyspace
	if ks == nil {
		return nil, sqlerr.Routing("lookup statement names no table: %s", sql)
	}
	var queries []engine.ShardQuery
	switch {
	case !ks.Sharded:
		queries = []engine.ShardQuery{{Shard: ks.Shards[0], SQL: plan.Query}}
	case plan.Kind == planner.KindInsert:
		ip, err := runInsert(ctx, plan, plan.Args, s)
		if err != nil {
			return nil, err
		}
		queries = ip.Queries
	default:
		route, err := planner.RouteStatement(ctx, plan, plan.Args, s)
		if err != nil {
			return nil, err
		}
		for _, sh := range route.Shards {
			queries = append(queries, engine.ShardQuery{Shard: sh, SQL: plan.Query})
		}
	}
	out := &vindex.Result{}
	for _, q := range queries {
		res, err := s.runInternal(q.Shard, order, q.SQL)
		if err != nil {
			return nil, err
		}
		out.RowsAffected += res.OK.AffectedRows
		out.Rows = append(out.Rows, toValues(res)...)
		if plan.Kind.IsDML() && s.stmt != nil && res.OK.AffectedRows > 0 {
			s.stmt.wrote = true
		}
	}
	return out, nil
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

// MapLookup maps values through a unique lookup vindex, cache first. Results
// read inside a transaction are cached only once it commits: they may be
// rows this very transaction created.
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
	sc, ok := cv.Vindex.(vindex.SingleColumn)
	if !ok {
		return nil, sqlerr.Unsupported("vindex %s for routing", cv.Name)
	}
	got, err := sc.Map(ctx, s, missIDs)
	if err != nil {
		return nil, err
	}
	for k, d := range got {
		dests[missIdx[k]] = d
		if ksid, ok := d.(vindex.DestinationKeyspaceID); ok && cache != nil {
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
// sidecar itself changed.
func (s *session) LookupWritten(ks *conf.Keyspace, cv *conf.ColumnVindex, ids []vindex.Value) {
	if s.srv.cache == nil {
		return
	}
	name := ks.Name + "." + cv.Name
	for _, id := range ids {
		s.srv.cache.Remove(name, id)
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
