package planner

import (
	"context"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"sidecar/conf"
	"sidecar/sqlerr"
	"sidecar/vindex"
)

// IO is what planning a write needs from the executor: sequence values, and
// the lookup tables behind lookup vindexes (through vindex.Querier, on the
// client's own session).
type IO interface {
	vindex.Querier
	// NextSequence reserves n consecutive values of a sequence table and
	// returns the first.
	NextSequence(ctx context.Context, seq *conf.Table, n int64) (int64, error)
	// MapLookup maps values through a unique lookup vindex, consulting the
	// lookup cache first.
	MapLookup(ctx context.Context, ks *conf.Keyspace, cv *conf.ColumnVindex, ids []vindex.Value) ([]vindex.Destination, error)
	// LookupWritten tells the executor lookup rows of these values changed,
	// so cached keyspace ids of them are dropped.
	LookupWritten(ks *conf.Keyspace, cv *conf.ColumnVindex, ids []vindex.Value)
	// RowsMapped tells the executor the keyspace ids of the rows of an
	// INSERT into a table that owns lookup vindexes, before their lookup
	// rows are written.
	RowsMapped(t *conf.Table, ksids []vindex.KeyspaceID)
}

// ShardQuery is one statement for one shard.
type ShardQuery struct {
	Shard *conf.Shard
	SQL   string
}

// InsertPlan is an INSERT split by shard, after its lookup rows were written.
type InsertPlan struct {
	Table   *conf.Table
	Queries []ShardQuery
	// InsertID is the first sequence value generated (0 if none): the
	// client's LAST_INSERT_ID.
	InsertID uint64
}

// insertRows holds the rows of an INSERT while it is planned: column names,
// one expression per column per row, and each row's keyspace id.
type insertRows struct {
	table   *conf.Table
	columns []string // lower-cased
	rows    [][]ast.ExprNode
	ksids   []vindex.KeyspaceID
	keep    []bool // false: dropped by INSERT IGNORE semantics
	args    Args
	// changed: a column was added, a value filled in or a row dropped, so
	// the statement as the client sent it will not do.
	changed bool
}

func (r *insertRows) column(name string) int {
	name = strings.ToLower(name)
	for i, c := range r.columns {
		if c == name {
			return i
		}
	}
	return -1
}

// addColumn appends a column whose value is NULL in every row, as Vitess does
// for vindex and auto-increment columns the statement leaves out.
func (r *insertRows) addColumn(name string) int {
	r.columns = append(r.columns, strings.ToLower(name))
	r.changed = true
	for i := range r.rows {
		r.rows[i] = append(r.rows[i], literal(vindex.Value{Kind: vindex.Null}))
	}
	return len(r.columns) - 1
}

// value reads the value of column c in row i; ok is false when it is not a
// literal the vindexes can use.
func (r *insertRows) value(i, c int) (vindex.Value, bool) {
	return valueOf(r.rows[i][c], r.args)
}

// PlanInsert plans plan, an INSERT (or REPLACE) into a sharded table, with
// these arguments: sequence values, primary keyspace ids, owned lookup rows
// (written now, through io), reversible columns filled, unowned vindexes
// verified, rows grouped by shard. The AST is not modified, so a prepared
// statement's parse can serve every execute.
func PlanInsert(ctx context.Context, plan *Plan, args Args, io IO) (*InsertPlan, error) {
	ins, t := plan.Stmt.(*ast.InsertStmt), plan.Table
	if plan.Unparsed != "" {
		// The rows' values are filled in and split by shard: the statement
		// is printed again, and the result the clause asks for would come
		// from several shards.
		return nil, sqlerr.Unsupported("%s in an INSERT into sharded table %s", plan.Unparsed, t)
	}
	if ins.Select != nil {
		return nil, sqlerr.Unsupported("INSERT … SELECT into sharded table %s", t)
	}
	values := ins.Lists
	if len(ins.Columns) == 0 {
		return nil, sqlerr.Unsupported("INSERT without a column list into sharded table %s: name the columns", t)
	}
	ignore := ins.IgnoreErr || len(ins.OnDuplicate) > 0
	if err := checkOnDup(ins.OnDuplicate, t); err != nil {
		return nil, err
	}
	r := &insertRows{table: t, args: args, rows: make([][]ast.ExprNode, len(values)),
		ksids: make([]vindex.KeyspaceID, len(values)), keep: make([]bool, len(values))}
	for _, c := range ins.Columns {
		r.columns = append(r.columns, c.Name.L)
	}
	for i, row := range values {
		if len(row) != len(r.columns) {
			return nil, sqlerr.New(1136, "21S01", "Column count doesn't match value count at row %d", i+1)
		}
		r.rows[i] = append(make([]ast.ExprNode, 0, len(row)+2), row...)
		r.keep[i] = true
	}
	for _, cv := range t.ColumnVindexes {
		for _, col := range cv.Columns {
			if r.column(col) < 0 {
				r.addColumn(col)
			}
		}
	}
	ip := &InsertPlan{Table: t}
	if err := r.fillSequence(ctx, ip, io); err != nil {
		return nil, err
	}
	if !t.Keyspace.Sharded {
		// One shard and no vindex: the sequence is all there is to fill.
		ip.Queries = r.split(plan, args)
		return ip, nil
	}
	if err := r.mapPrimary(ctx, io); err != nil {
		return nil, err
	}
	if len(t.Owned) > 0 {
		io.RowsMapped(t, r.ksids)
	}
	for _, cv := range t.Owned {
		if err := r.createLookupRows(ctx, cv, ignore, io); err != nil {
			return nil, err
		}
	}
	for _, cv := range t.ColumnVindexes[1:] {
		if cv.Owned {
			continue
		}
		if err := r.fillOrVerify(ctx, cv, ignore, io); err != nil {
			return nil, err
		}
	}
	ip.Queries = r.split(plan, args)
	return ip, nil
}

// checkOnDup refuses ON DUPLICATE KEY UPDATE of vindex columns: the row would
// move shards or orphan its lookup rows.
func checkOnDup(onDup []*ast.Assignment, t *conf.Table) error {
	for _, upd := range onDup {
		if len(t.VindexesOn(upd.Column.Name.O)) > 0 {
			return sqlerr.Unsupported("ON DUPLICATE KEY UPDATE of vindex column %s of table %s", upd.Column.Name.O, t)
		}
	}
	return nil
}

// fillSequence gives rows without an auto-increment value (NULL, DEFAULT, 0
// or the column left out) consecutive sequence values: one reservation for
// the whole statement.
func (r *insertRows) fillSequence(ctx context.Context, plan *InsertPlan, io IO) error {
	ai := r.table.AutoIncrement
	if ai == nil {
		return nil
	}
	c := r.column(ai.Column)
	if c < 0 {
		c = r.addColumn(ai.Column)
	}
	var need []int
	for i := range r.rows {
		e := r.rows[i][c]
		if d, ok := e.(*ast.DefaultExpr); ok && d.Name == nil {
			need = append(need, i)
		} else if v, ok := valueOf(e, r.args); ok && (v.IsNull() || string(v.Raw) == "0") {
			need = append(need, i)
		}
	}
	if len(need) == 0 {
		return nil
	}
	first, err := io.NextSequence(ctx, ai.Sequence, int64(len(need)))
	if err != nil {
		return err
	}
	for k, i := range need {
		r.rows[i][c] = literal(vindex.NewInt64(first + int64(k)))
		r.changed = true
	}
	plan.InsertID = uint64(first)
	return nil
}

// columnValues reads the values of cv's first column in every row.
func (r *insertRows) columnValues(cv *conf.ColumnVindex) ([]vindex.Value, error) {
	c := r.column(cv.Columns[0])
	ids := make([]vindex.Value, len(r.rows))
	for i := range r.rows {
		v, ok := r.value(i, c)
		if !ok {
			return nil, sqlerr.Unsupported("routing on the expression %s of vindex column %s of table %s",
				nodeText(r.rows[i][c]), cv.Columns[0], r.table)
		}
		ids[i] = v
	}
	return ids, nil
}

// mapPrimary computes each row's keyspace id from the primary vindex.
func (r *insertRows) mapPrimary(ctx context.Context, io IO) error {
	cv := r.table.Primary()
	if len(cv.Columns) != 1 {
		return sqlerr.Unsupported("multi-column primary vindex %s", cv.Name)
	}
	ids, err := r.columnValues(cv)
	if err != nil {
		return err
	}
	dests, err := mapValues(ctx, r.table.Keyspace, cv, ids, io)
	if err != nil {
		return err
	}
	for i, d := range dests {
		switch d := d.(type) {
		case vindex.DestinationKeyspaceID:
			r.ksids[i] = vindex.KeyspaceID(d)
		case vindex.DestinationNone:
			// Vitess fails the whole statement, INSERT IGNORE included.
			return sqlerr.New(1105, "HY000", "VT09023: could not map [%s] to a keyspace id", ids[i])
		default:
			return sqlerr.New(1105, "HY000", "VT09024: could not map [%s] to a unique keyspace id", ids[i])
		}
	}
	return nil
}

// MapValues runs a vindex's Map the way routing does (functional vindexes
// without a round trip, unique lookups through the cache).
func MapValues(ctx context.Context, ks *conf.Keyspace, cv *conf.ColumnVindex, ids []vindex.Value, io IO) ([]vindex.Destination, error) {
	return mapValues(ctx, ks, cv, ids, io)
}

// mapValues runs a vindex's Map, functional vindexes without a round trip and
// unique lookups through the lookup cache.
func mapValues(ctx context.Context, ks *conf.Keyspace, cv *conf.ColumnVindex, ids []vindex.Value, io IO) ([]vindex.Destination, error) {
	if h, ok := cv.Vindex.(vindex.Hashing); ok && !cv.Vindex.NeedsQuerier() {
		dests := make([]vindex.Destination, len(ids))
		for i, id := range ids {
			ksid, err := h.Hash(id)
			if err != nil || ksid == nil {
				dests[i] = vindex.DestinationNone{}
				continue
			}
			dests[i] = vindex.DestinationKeyspaceID(ksid)
		}
		return dests, nil
	}
	if cv.Vindex.NeedsQuerier() && cv.Vindex.IsUnique() {
		return io.MapLookup(ctx, ks, cv, ids)
	}
	sc, ok := cv.Vindex.(vindex.SingleColumn)
	if !ok {
		return nil, sqlerr.Unsupported("vindex %s (%s) for routing", cv.Name, cv.Type)
	}
	return sc.Map(ctx, io, ids)
}

// createLookupRows writes the rows of an owned lookup vindex before the owner
// rows (consistent lookups: in the pre-transaction, with Vitess's duplicate
// protocol). With INSERT IGNORE, rows whose lookup value belongs to another
// row are dropped.
func (r *insertRows) createLookupRows(ctx context.Context, cv *conf.ColumnVindex, ignore bool, io IO) error {
	lk, ok := cv.Vindex.(vindex.Lookup)
	if !ok {
		return sqlerr.Unsupported("owned vindex %s of type %s", cv.Name, cv.Type)
	}
	var rows [][]vindex.Value
	var ksids []vindex.KeyspaceID
	var idx []int
	for i := range r.rows {
		if !r.keep[i] {
			continue
		}
		vals := make([]vindex.Value, len(cv.Columns))
		for k, col := range cv.Columns {
			v, ok := r.value(i, r.column(col))
			if !ok {
				return sqlerr.Unsupported("the expression %s in lookup column %s of table %s",
					nodeText(r.rows[i][r.column(col)]), col, r.table)
			}
			vals[k] = v
		}
		rows, ksids, idx = append(rows, vals), append(ksids, r.ksids[i]), append(idx, i)
	}
	if len(rows) == 0 {
		return nil
	}
	err := lk.Create(ctx, io, rows, ksids, ignore)
	ids := make([]vindex.Value, len(rows))
	for k := range rows {
		ids[k] = rows[k][0]
	}
	io.LookupWritten(r.table.Keyspace, cv, ids)
	if err != nil {
		return err
	}
	if !ignore {
		return nil
	}
	ok2, err := lk.Verify(ctx, io, ids, ksids)
	if err != nil {
		return err
	}
	for k, good := range ok2 {
		if !good && !ids[k].IsNull() {
			r.keep[idx[k]] = false
			r.changed = true
		}
	}
	return nil
}

// fillOrVerify handles an unowned secondary vindex: a NULL value of a
// reversible vindex is computed from the keyspace id (keyspace_id, customer_id
// columns); a supplied value must map to the row's keyspace id.
func (r *insertRows) fillOrVerify(ctx context.Context, cv *conf.ColumnVindex, ignore bool, io IO) error {
	c := r.column(cv.Columns[0])
	rev, reversible := cv.Vindex.(vindex.Reversible)
	var verifyIdx []int
	var verifyIDs []vindex.Value
	var verifyKsids []vindex.KeyspaceID
	for i := range r.rows {
		if !r.keep[i] {
			continue
		}
		v, ok := r.value(i, c)
		if !ok {
			return sqlerr.Unsupported("the expression %s in vindex column %s of table %s", nodeText(r.rows[i][c]), cv.Columns[0], r.table)
		}
		if v.IsNull() {
			if reversible {
				vals, err := rev.ReverseMap([]vindex.KeyspaceID{r.ksids[i]})
				if err != nil {
					return sqlerr.New(1105, "HY000", "%s", err.Error())
				}
				r.rows[i][c] = literal(vals[0])
				r.changed = true
			}
			continue
		}
		verifyIdx, verifyIDs, verifyKsids = append(verifyIdx, i), append(verifyIDs, v), append(verifyKsids, r.ksids[i])
	}
	if len(verifyIDs) == 0 {
		return nil
	}
	sc, ok := cv.Vindex.(vindex.SingleColumn)
	if !ok {
		return sqlerr.Unsupported("vindex %s (%s)", cv.Name, cv.Type)
	}
	good, err := sc.Verify(ctx, io, verifyIDs, verifyKsids)
	if err != nil {
		return err
	}
	for k, g := range good {
		if g {
			continue
		}
		if ignore {
			r.keep[verifyIdx[k]] = false
			r.changed = true
			continue
		}
		return sqlerr.New(1105, "HY000", "values [[%s]] for column [%s] does not map to keyspace ids", verifyIDs[k], cv.Columns[0])
	}
	return nil
}

// split groups the kept rows by shard, keeping their order, and renders one
// INSERT per shard. When all rows go to one shard as the client wrote them,
// that shard gets the statement's own text: rendering costs more than the
// rest of planning.
func (r *insertRows) split(plan *Plan, args Args) []ShardQuery {
	ks := r.table.Keyspace
	if !r.changed { // every row kept, as written
		sh := ks.ShardFor(r.ksids[0])
		i := 1
		for i < len(r.ksids) && ks.ShardFor(r.ksids[i]) == sh {
			i++
		}
		if i == len(r.ksids) {
			return []ShardQuery{{Shard: sh, SQL: plan.Text(args)}}
		}
	}
	var order []*conf.Shard
	byShard := map[*conf.Shard][][]ast.ExprNode{}
	for i, row := range r.rows {
		if !r.keep[i] {
			continue
		}
		sh := ks.ShardFor(r.ksids[i])
		if _, ok := byShard[sh]; !ok {
			order = append(order, sh)
		}
		byShard[sh] = append(byShard[sh], row)
	}
	ins := plan.Stmt.(*ast.InsertStmt)
	cols := make([]*ast.ColumnName, len(r.columns))
	for i, c := range r.columns {
		if i < len(ins.Columns) {
			cols[i] = ins.Columns[i]
		} else {
			cols[i] = &ast.ColumnName{Name: ast.NewCIStr(c)}
		}
	}
	queries := make([]ShardQuery, 0, len(order))
	for _, sh := range order {
		out := *ins
		out.Columns, out.Lists, out.Setlist = cols, byShard[sh], false
		queries = append(queries, ShardQuery{Shard: sh, SQL: printStmt(plan.Leading, &out, r.args, plan.Mode)})
	}
	return queries
}

// InsertRows is the number of rows an INSERT's VALUES list writes (0 for
// other statements).
func (p *Plan) InsertRows() int {
	if ins, ok := p.Stmt.(*ast.InsertStmt); ok {
		return len(ins.Lists)
	}
	return 0
}
