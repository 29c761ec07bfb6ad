package engine

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"sidecar/conf"
	"sidecar/sqlerr"
	"sidecar/vindex"
)

// Template is SQL text with an execution's arguments to write in: each
// piece's Text, then its argument (if any) as a literal.
type Template []Piece

// Piece is text followed by the argument Arg (counting from 1; 0: none).
type Piece struct {
	Text string
	Arg  int
}

// appendTo writes the template with args, as a statement for a session
// whose sql_mode has NO_BACKSLASH_ESCAPES when noBackslash is set.
func (t Template) appendTo(b []byte, args []vindex.Value, noBackslash bool) []byte {
	for _, p := range t {
		b = appendArg(append(b, p.Text...), p.Arg, args, noBackslash)
	}
	return b
}

// appendArg writes argument arg (counting from 1; 0: none).
func appendArg(b []byte, arg int, args []vindex.Value, noBackslash bool) []byte {
	switch {
	case arg == 0:
	case arg <= len(args):
		b = vindex.AppendArgument(b, args[arg-1], noBackslash)
	default: // no argument: the placeholder, as a backend would prepare it
		b = append(b, '?')
	}
	return b
}

// InList is where a route's IN list is in a Template: its values are the
// arguments First … First+N-1 (counting from 1), each ending one piece, the
// pieces of all but the first being the "," between them.
type InList struct{ First, N int }

// InList finds the IN list of route in t; ok is false unless the route's
// values are consecutive plain arguments that t prints as an InList.
func (t Template) InList(route *Route) (l InList, ok bool) {
	if route == nil || route.Opcode != IN {
		return InList{}, false
	}
	l = InList{First: route.Values[0].Arg, N: len(route.Values)}
	for k, c := range route.Values {
		if c.Known || c.Negate || c.Arg != l.First+k {
			return InList{}, false
		}
	}
	found := 0
	for _, p := range t {
		if k := p.Arg - l.First; p.Arg > 0 && k >= 0 && k < l.N {
			if k != found || (k > 0 && p.Text != ",") {
				return InList{}, false
			}
			found++
		}
	}
	return l, found == l.N
}

// appendIn is appendTo with the IN list l cut to the values at the indexes
// keep (ascending): the statement for the shard those values map to.
func (t Template) appendIn(b []byte, args []vindex.Value, noBackslash bool, l InList, keep []int) []byte {
	written := 0
	for _, p := range t {
		k := p.Arg - l.First
		if p.Arg == 0 || k < 0 || k >= l.N {
			b = appendArg(append(b, p.Text...), p.Arg, args, noBackslash)
			continue
		}
		if written < len(keep) && keep[written] == k {
			if k == 0 || written > 0 { // else the "," before it follows dropped values only
				b = append(b, p.Text...)
			}
			b = appendArg(b, p.Arg, args, noBackslash)
			written++
		} else if k == 0 { // the first value dropped: the text before the list stays
			b = append(b, p.Text...)
		}
	}
	return b
}

// String is the template with `?` for its arguments, for messages.
func (t Template) String() string { return string(t.appendTo(nil, nil, false)) }

// Cell is one value of an INSERT's row, as planned.
type Cell struct {
	// SQL is the cell as written to the shards when the sidecar does not
	// fill it in: the client's literal or expression, or its `?`.
	SQL Template
	// Value is a literal's value for vindexes and sequences, when Known (a
	// column the statement leaves out is a known NULL).
	Value vindex.Value
	Known bool
	// Arg: the value is the execution's argument Arg (counting from 1),
	// negated when Negate (a `-?`).
	Arg    int
	Negate bool
	// Default: the bare DEFAULT keyword.
	Default bool
}

// value is the cell's value in an execution; ok is false for expressions the
// sidecar does not evaluate (functions, other columns, DEFAULT).
func (c *Cell) value(args []vindex.Value) (vindex.Value, bool) {
	switch {
	case c.Known:
		return c.Value, true
	case c.Arg > 0 && c.Arg <= len(args):
		if c.Negate {
			return vindex.Negate(args[c.Arg-1])
		}
		return args[c.Arg-1], true
	}
	return vindex.Value{}, false
}

// Insert writes the rows of an INSERT (or REPLACE) into a table with vindexes
// or a sequence: per execution it reserves sequence values for rows without
// an id, maps each row to a keyspace id by the primary vindex, writes the
// rows of owned lookup vindexes (consistent lookups: before the owner rows),
// fills reversible vindex columns from the keyspace id, verifies the values
// of the others, and splits the rows into one INSERT per shard.
type Insert struct {
	Table *conf.Table
	// Columns are the statement's columns, lower-cased, then the vindex and
	// auto-increment columns it leaves out (the last Added), whose cells are
	// NULL.
	Columns []string
	Added   int
	Rows    [][]Cell
	// Prefix is the statement up to its rows ("INSERT INTO `t` (`a`,`b`)
	// VALUES "), Suffix what follows them (ON DUPLICATE KEY UPDATE …).
	Prefix, Suffix Template
	// Ignore: INSERT IGNORE or ON DUPLICATE KEY UPDATE. A row whose lookup
	// value belongs to another row, or whose vindex value maps elsewhere,
	// is dropped instead of failing the statement.
	Ignore bool
	// Assigns: the rows assign user variables (@v := …): each shard would
	// assign its own, so the rows must all go to one.
	Assigns bool
	// Upsert: ON DUPLICATE KEY UPDATE. A row whose lookup value belongs to
	// another row is refused: MySQL would update that row, which may be on
	// another shard than the row the statement inserts.
	Upsert bool
	// NoBackslashEscapes: the statements are written for a sql_mode that
	// reads backslashes in strings as ordinary characters.
	NoBackslashEscapes bool
	// Returning: the statements end with the client's RETURNING clause,
	// whose rows answer the client, in the order of the statement's rows
	// whatever shards they went to.
	Returning bool
}

// ShardQuery is one statement for one shard.
type ShardQuery struct {
	Shard *conf.Shard
	SQL   string
}

// Inserted is what one execution of an Insert sends: one statement per
// shard, after its lookup rows were written.
type Inserted struct {
	run     *insertRun
	Queries []ShardQuery
	// rowQuery is the index in Queries of each row written, in the
	// statement's order (see returned).
	rowQuery []int
	// InsertID is the sequence value of the first row written (0 if
	// none): the client's LAST_INSERT_ID().
	InsertID uint64
	// Explicit is the last row's own value of the sequence's column when the
	// sequence filled none: MySQL's OK packet reports an auto-increment
	// value the statement gives (LAST_INSERT_ID() stays as it was).
	Explicit uint64
}

// Run executes the Insert with args through cur, up to the shards' own
// statements, which it returns for the session to send in its transaction.
// sent is the statement as the client sent it, which goes unchanged to a
// single shard when the sidecar fills in nothing ("" for a prepared
// statement: its text is rendered with its arguments).
func (in *Insert) Run(ctx context.Context, cur VindexCursor, args []vindex.Value, sent string) (*Inserted, error) {
	return in.run(ctx, cur, args, sent, nil)
}

// run is Run without the rows skip says to skip.
func (in *Insert) run(ctx context.Context, cur VindexCursor, args []vindex.Value, sent string, skip []bool) (*Inserted, error) {
	r := &insertRun{Insert: in, args: args, ksids: make([]vindex.KeyspaceID, len(in.Rows)), keep: make([]bool, len(in.Rows))}
	for i := range r.keep {
		r.keep[i] = skip == nil || !skip[i]
	}
	r.changed = skip != nil
	out := &Inserted{run: r}
	if err := r.fillSequence(ctx, cur, out); err != nil {
		return nil, err
	}
	t := in.Table
	if !t.Keyspace.Sharded {
		// One shard and no vindex: the sequence is all there is to fill.
		out.Queries, out.rowQuery = r.split(sent)
		out.InsertID = r.firstSequenced()
		return out, nil
	}
	if err := r.mapPrimary(ctx, cur); err != nil {
		return nil, err
	}
	if len(t.Owned) > 0 {
		cur.RowsMapped(t, r.ksids)
	}
	for _, cv := range t.Owned {
		if err := r.createLookupRows(ctx, cur, cv); err != nil {
			return nil, err
		}
	}
	for _, cv := range t.ColumnVindexes[1:] {
		if cv.Owned {
			continue
		}
		if err := r.fillOrVerify(ctx, cur, cv); err != nil {
			return nil, err
		}
	}
	out.Queries, out.rowQuery = r.split(sent)
	out.InsertID = r.firstSequenced()
	return out, nil
}

// returned puts together the rows the shards' statements returned
// (RETURNING; results[i] of Queries[i]) in the order of the statement's rows,
// as one server returns them.
func (ins *Inserted) returned(results []*Result) (*Result, error) {
	if len(results) != len(ins.Queries) || slices.Contains(results, nil) {
		return nil, sqlerr.Routing("RETURNING: not every shard's statement returned rows")
	}
	out := &Result{Fields: results[0].Fields, Rows: make([][][]byte, 0, len(ins.rowQuery))}
	next := make([]int, len(results))
	for _, q := range ins.rowQuery {
		if next[q] == len(results[q].Rows) {
			return nil, sqlerr.Routing("RETURNING: shard %s returned %d rows for more", ins.Queries[q].Shard.Name, len(results[q].Rows))
		}
		out.Rows = append(out.Rows, results[q].Rows[next[q]])
		next[q]++
	}
	for q, n := range next {
		if n != len(results[q].Rows) {
			return nil, sqlerr.Routing("RETURNING: shard %s returned %d rows for %d", ins.Queries[q].Shard.Name, len(results[q].Rows), n)
		}
	}
	return out, nil
}

// heldElsewhere lists the rows the run dropped for a value rows outside the
// statement hold (INSERT IGNORE: a lookup value another row's, a vindex
// value that maps elsewhere).
func (ins *Inserted) heldElsewhere() []int { return ins.run.heldElsewhere }

// skipped lists the rows of an INSERT IGNORE the shards skipped (a key of
// the table collided with another row), when the affected count says fewer
// were inserted than sent: the rows sent whose primary vindex and owned
// lookup values no row of their shard holds. None when a value is not one
// the sidecar knows, or when the rows found do not account for every row
// inserted (a value the table changed, such as a string cut to the
// column's length): nothing is then known to be skipped.
func (ins *Inserted) skipped(ctx context.Context, cur VindexCursor, affected uint64) ([]int, error) {
	r := ins.run
	var sent []int
	for i, kept := range r.keep {
		if kept {
			sent = append(sent, i)
		}
	}
	if uint64(len(sent)) <= affected {
		return nil, nil
	}
	cols := slices.Clone(r.Table.Primary().Columns)
	for _, cv := range r.Table.Owned {
		cols = append(cols, cv.Columns...)
	}
	at := make([]int, len(cols))
	for k, col := range cols {
		if at[k] = r.column(strings.ToLower(col)); at[k] < 0 {
			return nil, nil
		}
	}
	var order []*conf.Shard
	byShard := map[*conf.Shard][]int{}
	for _, i := range sent {
		sh := r.shard(i)
		if byShard[sh] == nil {
			order = append(order, sh)
		}
		byShard[sh] = append(byShard[sh], i)
	}
	present := map[int]bool{}
	for _, sh := range order {
		// (select 3 from `t` where `id` <=> 5 and `name` <=> 'b' limit 1) union all (…)
		var b []byte
		for n, i := range byShard[sh] {
			if n > 0 {
				b = append(b, " union all "...)
			}
			b = strconv.AppendInt(append(b, "(select "...), int64(i), 10)
			b = append(append(b, " from "...), vindex.QuoteIdent(r.Table.Name)...)
			sep := " where "
			for k, col := range cols {
				left := at[k] >= len(r.Columns)-r.Added && (r.set == nil || !r.set[i*len(r.Columns)+at[k]])
				v, ok := r.value(i, at[k])
				if left || !ok { // the table's default, or an expression
					return nil, nil
				}
				b = append(append(append(b, sep...), vindex.QuoteIdent(col)...), " <=> "...)
				sep = " and "
				b = vindex.AppendLiteral(b, v, r.NoBackslashEscapes)
			}
			b = append(b, " limit 1)"...)
		}
		res, err := cur.ExecuteShard(ctx, sh, string(b), vindex.CommitNormal)
		if err != nil {
			return nil, err
		}
		for _, row := range res.Rows {
			if i, err := strconv.Atoi(string(row[0].Raw)); err == nil {
				present[i] = true
			}
		}
	}
	if uint64(len(present)) < affected {
		return nil, nil
	}
	var skipped []int
	for _, i := range sent {
		if !present[i] {
			skipped = append(skipped, i)
		}
	}
	return skipped, nil
}

// insertRun is one execution of an Insert: its arguments, the values the
// sidecar filled in, each row's keyspace id and whether it is kept.
type insertRun struct {
	*Insert
	args  []vindex.Value
	ksids []vindex.KeyspaceID
	keep  []bool
	// filled holds the values the sidecar wrote into cells (sequence,
	// reversible columns), row-major; set says which. Nil until one is.
	filled  []vindex.Value
	set     []bool
	changed bool // a value filled in or a row dropped
	// sequenced are the rows the sequence gave values (column seqCol), in
	// order.
	sequenced []int
	seqCol    int
	// heldElsewhere are the rows dropped for a value that rows outside the
	// statement hold: dropped whatever its other rows do, and finding that
	// out locked lookup rows (see Insert.Answer). Rows dropped for another
	// row of the statement are not: that row may be skipped yet.
	heldElsewhere []int
}

func (r *insertRun) column(name string) int {
	for i, c := range r.Columns {
		if c == name {
			return i
		}
	}
	return -1
}

// value reads the value of column c in row i; ok is false when it is not a
// literal the vindexes can use.
func (r *insertRun) value(i, c int) (vindex.Value, bool) {
	if r.set != nil && r.set[i*len(r.Columns)+c] {
		return r.filled[i*len(r.Columns)+c], true
	}
	return r.Rows[i][c].value(r.args)
}

func (r *insertRun) fill(i, c int, v vindex.Value) {
	if r.set == nil {
		r.filled = make([]vindex.Value, len(r.Rows)*len(r.Columns))
		r.set = make([]bool, len(r.filled))
	}
	r.filled[i*len(r.Columns)+c], r.set[i*len(r.Columns)+c] = v, true
	r.changed = true
}

// cellText is how cell (i, c) reads in messages.
func (r *insertRun) cellText(i, c int) string { return r.Rows[i][c].SQL.String() }

// fillSequence gives rows without an auto-increment value (NULL, DEFAULT, 0
// or the column left out) consecutive sequence values: one reservation for
// the whole statement.
func (r *insertRun) fillSequence(ctx context.Context, cur VindexCursor, out *Inserted) error {
	ai := r.Table.AutoIncrement
	if ai == nil {
		return nil
	}
	c := r.column(strings.ToLower(ai.Column))
	// As MySQL's AUTO_INCREMENT, in row order: a row without a value takes
	// the next one, a row with its own moves the sequence past it. A run of
	// rows without values takes its values in one reservation; of the rows
	// with their own between two runs, only the greatest value matters.
	var need, run []int
	var past uint64 // the greatest value given since the last run
	fill := func() error {
		if len(run) == 0 {
			return nil
		}
		first, err := cur.NextSequence(ctx, ai.Sequence, int64(len(run)))
		if err != nil {
			return err
		}
		for k, i := range run {
			r.fill(i, c, vindex.NewInt64(first+int64(k)))
		}
		need, run = append(need, run...), nil
		return nil
	}
	skip := func() error {
		if past == 0 || past > math.MaxInt64 {
			return nil
		}
		err := cur.SequencePast(ctx, ai.Sequence, int64(past))
		past = 0
		return err
	}
	for i := range r.Rows {
		if !r.keep[i] {
			continue // skipped: an earlier run found it is not written
		}
		v, ok := r.value(i, c)
		if r.Rows[i][c].Default || ok && (v.IsNull() || string(v.Raw) == "0") {
			if err := skip(); err != nil {
				return err
			}
			run = append(run, i)
		} else if ok {
			if err := fill(); err != nil {
				return err
			}
			past = max(past, explicitID(v))
		}
	}
	if err := fill(); err != nil {
		return err
	}
	if err := skip(); err != nil {
		return err
	}
	if len(need) == 0 {
		if v, ok := r.value(len(r.Rows)-1, c); ok {
			out.Explicit = explicitID(v)
		}
		return nil
	}
	r.sequenced, r.seqCol = need, c
	return nil
}

// explicitID is the insert id MySQL reports for an explicit value v of an
// AUTO_INCREMENT column: the integer stored, whatever the literal's or
// argument's type (drivers send numbers as DOUBLE, big ones as strings); 0
// for a negative value or one that is no integer.
func explicitID(v vindex.Value) uint64 {
	switch v.Kind {
	case vindex.Int64, vindex.Uint64, vindex.Float64, vindex.Decimal, vindex.VarChar, vindex.VarBinary:
	case vindex.HexNum: // 0x21: the number of its bytes
		if len(v.Raw) > 8 {
			return 0
		}
		var n uint64
		for _, c := range v.Raw {
			n = n<<8 | uint64(c)
		}
		return n
	default:
		return 0
	}
	text := strings.TrimSpace(string(v.Raw))
	if n, err := strconv.ParseUint(text, 10, 64); err == nil {
		return n
	}
	if f, err := strconv.ParseFloat(text, 64); err == nil && f >= 0 && f < 1<<64 && f == math.Trunc(f) {
		return uint64(f)
	}
	return 0
}

// firstSequenced is the sequence value of the first row written, the
// client's LAST_INSERT_ID() as MySQL's is the first inserted row's (0: the
// sequence gave no row written a value).
func (r *insertRun) firstSequenced() uint64 {
	for _, i := range r.sequenced {
		if r.keep[i] {
			v, _ := r.value(i, r.seqCol)
			n, _ := strconv.ParseUint(string(v.Raw), 10, 64)
			return n
		}
	}
	return 0
}

// mapPrimary computes each row's keyspace id from the primary vindex.
func (r *insertRun) mapPrimary(ctx context.Context, cur VindexCursor) error {
	cv := r.Table.Primary()
	c := r.column(strings.ToLower(cv.Columns[0]))
	// The rows written: a retry leaves out those an earlier run found
	// held elsewhere, which the sequence gave no value.
	var rows []int
	var ids []vindex.Value
	for i := range r.Rows {
		if !r.keep[i] {
			continue
		}
		v, ok := r.value(i, c)
		if !ok {
			return sqlerr.Unsupported("routing on the expression %s of vindex column %s of table %s",
				r.cellText(i, c), cv.Columns[0], r.Table)
		}
		rows, ids = append(rows, i), append(ids, v)
	}
	dests, err := MapValues(ctx, cur, r.Table.Keyspace, cv, ids)
	if err != nil {
		return err
	}
	for k, d := range dests {
		i := rows[k]
		switch d := d.(type) {
		case vindex.DestinationKeyspaceID:
			r.ksids[i] = vindex.KeyspaceID(d)
		case vindex.DestinationNone:
			switch {
			case ids[k].IsNull() && c >= len(r.Columns)-r.Added:
				// Left out, and no sequence filled it: as MySQL refuses
				// a key column without a default.
				return sqlerr.New(1364, "HY000", "Field '%s' doesn't have a default value", cv.Columns[0])
			case ids[k].IsNull():
				return sqlerr.New(1048, "23000", "Column '%s' cannot be null", cv.Columns[0])
			}
			// Vitess fails the whole statement, INSERT IGNORE included.
			return sqlerr.New(1105, "HY000", "VT09023: could not map [%s] to a keyspace id", ids[k])
		default:
			return sqlerr.New(1105, "HY000", "VT09024: could not map [%s] to a unique keyspace id", ids[k])
		}
	}
	return nil
}

// createLookupRows writes the rows of an owned lookup vindex before the owner
// rows (consistent lookups: in the pre-transaction, with Vitess's duplicate
// protocol). With Ignore, rows whose lookup value belongs to another row are
// dropped, as MySQL ignores a row whose unique value another row holds.
func (r *insertRun) createLookupRows(ctx context.Context, cur VindexCursor, cv *conf.ColumnVindex) error {
	lk := cv.Vindex.(vindex.Lookup) // checked when planned
	unique := r.Ignore && lk.IsUnique() && len(cv.Columns) == 1
	var first map[string]bool // the values of the rows before, for unique
	if unique {
		first = make(map[string]bool, len(r.Rows))
	}
	var rows [][]vindex.Value
	var ksids []vindex.KeyspaceID
	var idx []int
	for i := range r.Rows {
		if !r.keep[i] {
			continue
		}
		vals := make([]vindex.Value, len(cv.Columns))
		for k, col := range cv.Columns {
			c := r.column(strings.ToLower(col))
			v, ok := r.value(i, c)
			if !ok {
				return sqlerr.Unsupported("the expression %s in lookup column %s of table %s", r.cellText(i, c), col, r.Table)
			}
			vals[k] = v
		}
		if unique && !vals[0].IsNull() {
			// A value an earlier row of the statement has: MySQL keeps the
			// earlier row.
			if first[string(vals[0].Raw)] {
				if err := r.dropDuplicate(i, cv, vals[0]); err != nil {
					return err
				}
				continue
			}
			first[string(vals[0].Raw)] = true
		}
		rows, ksids, idx = append(rows, vals), append(ksids, r.ksids[i]), append(idx, i)
	}
	if len(rows) == 0 {
		return nil
	}
	err := lk.Create(ctx, cur, rows, ksids, r.Ignore)
	ids := make([]vindex.Value, len(rows))
	for k := range rows {
		ids[k] = rows[k][0]
	}
	cur.LookupWritten(r.Table.Keyspace, cv, ids)
	if err != nil || !r.Ignore {
		return err
	}
	good, err := lk.Verify(ctx, cur, ids, ksids)
	if err != nil {
		return err
	}
	var taken []int // rows whose value's lookup row is not theirs
	for k, g := range good {
		if !g && !ids[k].IsNull() {
			taken = append(taken, k)
		}
	}
	if unique && len(taken) > 0 {
		// A value equal to another row's of the statement only as the lookup
		// table's collation compares them ('a' and 'A'): its lookup row is
		// that row's, which is not written yet, so the duplicate protocol
		// below would take it over as an orphan's.
		ours := make(map[string]bool, len(ksids))
		for k, g := range good {
			if g {
				ours[string(ksids[k])] = true
			}
		}
		takenIDs := make([]vindex.Value, len(taken))
		for n, k := range taken {
			takenIDs[n] = ids[k]
		}
		dests, err := lk.Map(ctx, cur, takenIDs)
		if err != nil {
			return err
		}
		rest := taken[:0]
		for n, k := range taken {
			if d, ok := dests[n].(vindex.DestinationKeyspaceID); ok && ours[string(d)] {
				if err := r.dropDuplicate(idx[k], cv, ids[k]); err != nil {
					return err
				}
				continue
			}
			rest = append(rest, k)
		}
		taken = rest
	}
	for _, k := range taken {
		// The value's lookup row points elsewhere. A consistent lookup's
		// duplicate protocol takes it over from an orphan; a live owner's
		// is a duplicate.
		if _, consistent := cv.Vindex.(vindex.WantsOwnerInfo); consistent {
			err := lk.Create(ctx, cur, rows[k:k+1], ksids[k:k+1], false)
			if err == nil {
				continue
			}
			if vindex.ErrorNumber(err) != 1062 {
				return err
			}
		}
		if err := r.dropDuplicate(idx[k], cv, ids[k]); err != nil {
			return err
		}
		r.heldElsewhere = append(r.heldElsewhere, r.sameValue(cv, idx[k])...)
	}
	return nil
}

// sameValue lists row i and the later rows whose values of vindex cv are
// row i's, byte for byte: a value held outside the statement is theirs to
// drop too (each would be found taken in a run of its own, see
// Insert.Answer).
func (r *insertRun) sameValue(cv *conf.ColumnVindex, i int) []int {
	cols := make([]int, len(cv.Columns))
	for k, col := range cv.Columns {
		cols[k] = r.column(strings.ToLower(col))
	}
	rows := []int{i}
	for j := i + 1; j < len(r.Rows); j++ {
		same := true
		for _, c := range cols {
			a, _ := r.value(i, c)
			b, ok := r.value(j, c)
			same = same && ok && a.Kind == b.Kind && string(a.Raw) == string(b.Raw)
		}
		if same {
			rows = append(rows, j)
		}
	}
	return rows
}

// dropDuplicate drops row i of an INSERT IGNORE, whose value v of lookup
// vindex cv is another row's. An upsert is refused instead: MySQL would
// update that row.
func (r *insertRun) dropDuplicate(i int, cv *conf.ColumnVindex, v vindex.Value) error {
	if r.Upsert {
		return sqlerr.Unsupported("INSERT … ON DUPLICATE KEY UPDATE of a row whose %s %s is another row's (lookup vindex %s): MySQL would update that row", cv.Columns[0], v, cv.Name)
	}
	r.keep[i] = false
	r.changed = true
	return nil
}

// fillOrVerify handles an unowned secondary vindex: a NULL value of a
// reversible vindex is computed from the keyspace id (keyspace_id,
// customer_id columns); a supplied value must map to the row's keyspace id.
func (r *insertRun) fillOrVerify(ctx context.Context, cur VindexCursor, cv *conf.ColumnVindex) error {
	c := r.column(strings.ToLower(cv.Columns[0]))
	rev, reversible := cv.Vindex.(vindex.Reversible)
	var verifyIdx []int
	var verifyIDs []vindex.Value
	var verifyKsids []vindex.KeyspaceID
	for i := range r.Rows {
		if !r.keep[i] {
			continue
		}
		v, ok := r.value(i, c)
		if !ok {
			return sqlerr.Unsupported("the expression %s in vindex column %s of table %s", r.cellText(i, c), cv.Columns[0], r.Table)
		}
		if v.IsNull() {
			if reversible {
				vals, err := rev.ReverseMap([]vindex.KeyspaceID{r.ksids[i]})
				if err != nil {
					return sqlerr.New(1105, "HY000", "%s", err.Error())
				}
				r.fill(i, c, vals[0])
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
	good, err := sc.Verify(ctx, cur, verifyIDs, verifyKsids)
	if err != nil {
		return err
	}
	for k, g := range good {
		if g {
			continue
		}
		if r.Ignore {
			r.keep[verifyIdx[k]] = false
			r.changed = true
			continue
		}
		return sqlerr.New(1105, "HY000", "values [[%s]] for column [%s] does not map to keyspace ids", verifyIDs[k], cv.Columns[0])
	}
	return nil
}

// shard is the shard of row i.
func (r *insertRun) shard(i int) *conf.Shard {
	ks := r.Table.Keyspace
	if !ks.Sharded {
		return ks.Shards[0]
	}
	return ks.ShardFor(r.ksids[i])
}

// split groups the kept rows by shard, keeping their order, and writes one
// INSERT per shard. When all rows go to one shard as the client wrote them,
// that shard gets the statement as it was sent.
func (r *insertRun) split(sent string) ([]ShardQuery, []int) {
	shards := make([]*conf.Shard, len(r.Rows)) // of the kept rows
	var first *conf.Shard
	one := true
	for i := range r.Rows {
		if r.keep[i] {
			shards[i] = r.shard(i)
			if first == nil {
				first = shards[i]
			}
			one = one && shards[i] == first
		}
	}
	var rowQuery []int
	switch {
	case first == nil:
		return nil, nil // INSERT IGNORE dropped every row
	case one && sent != "" && r.Added == 0 && !r.changed:
		if r.Returning {
			rowQuery = make([]int, len(r.Rows)) // every row in the one statement
		}
		return []ShardQuery{{Shard: first, SQL: sent}}, rowQuery
	}
	var order []*conf.Shard
	if one {
		order = []*conf.Shard{first} // the common case: no grouping
	} else {
		for _, sh := range shards {
			if sh != nil && !slices.Contains(order, sh) {
				order = append(order, sh)
			}
		}
	}
	queries := make([]ShardQuery, len(order))
	if r.Returning {
		rowQuery = make([]int, 0, len(r.Rows))
		for _, sh := range shards {
			if sh != nil {
				rowQuery = append(rowQuery, slices.Index(order, sh))
			}
		}
	}
	var b []byte
	for k, sh := range order {
		b = r.Prefix.appendTo(b[:0], r.args, r.NoBackslashEscapes)
		n := 0
		for i, rowShard := range shards {
			if rowShard != sh {
				continue
			}
			if n > 0 {
				b = append(b, ',')
			}
			b = r.appendRow(b, i)
			n++
		}
		b = r.Suffix.appendTo(b, r.args, r.NoBackslashEscapes)
		queries[k] = ShardQuery{Shard: sh, SQL: string(b)}
	}
	return queries, rowQuery
}

// appendRow writes row i: the values the sidecar filled in, the client's
// cells otherwise.
func (r *insertRun) appendRow(b []byte, i int) []byte {
	b = append(b, '(')
	for c := range r.Columns {
		if c > 0 {
			b = append(b, ',')
		}
		if r.set != nil && r.set[i*len(r.Columns)+c] {
			b = vindex.AppendLiteral(b, r.filled[i*len(r.Columns)+c], r.NoBackslashEscapes)
			continue
		}
		b = r.Rows[i][c].SQL.appendTo(b, r.args, r.NoBackslashEscapes)
	}
	return append(b, ')')
}

func (in *Insert) describe(b *strings.Builder, depth int) {
	t := in.Table
	var parts []string
	if ai := t.AutoIncrement; ai != nil {
		parts = append(parts, fmt.Sprintf("sequence %s fills %s", ai.Sequence.Name, ai.Column))
	}
	if t.Keyspace.Sharded {
		cv := t.Primary()
		parts = append(parts, fmt.Sprintf("keyspace id from %s by vindex %s (%s)", cv.Columns[0], cv.Name, cv.Type))
		for _, cv := range t.ColumnVindexes[1:] {
			switch _, reversible := cv.Vindex.(vindex.Reversible); {
			case cv.Owned:
				parts = append(parts, fmt.Sprintf("lookup rows of %s written first", cv.Name))
			case reversible:
				parts = append(parts, fmt.Sprintf("%s filled or verified by %s", cv.Columns[0], cv.Name))
			default:
				parts = append(parts, fmt.Sprintf("%s verified by %s", cv.Columns[0], cv.Name))
			}
		}
	}
	ignore := ""
	switch {
	case in.Upsert:
		ignore = ", a row whose lookup value is taken refused, rows whose vindex value maps elsewhere dropped"
	case in.Ignore:
		ignore = ", rows whose lookup value is taken or whose vindex value maps elsewhere dropped"
	}
	returning := ""
	if in.Returning {
		returning = ", the rows each returns (RETURNING) put back in the statement's order"
	}
	line(b, depth, "Insert into %s: %d row(s), %s%s; one statement per shard%s", t, len(in.Rows), strings.Join(parts, ", "), ignore, returning)
}
