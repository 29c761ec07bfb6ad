package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"sidecar/mysql"
	"sidecar/sqlerr"
	"sidecar/vindex"
)

// Evaluate answers a SELECT that no shard can answer alone (a join of tables
// on different shards, a subquery across shards, a HAVING comparing strings or COUNT(DISTINCT)
// over a scatter, a UNION across keyspaces). Each table reference of the
// statement is gathered from its shards by its own routed SELECT; then the
// statement itself runs on one backend with every table reference replaced
// by a derived table of the gathered rows, written as literals (see
// appendDerived). The backend is MySQL, so joins, subqueries, grouping,
// HAVING, window functions and UNION get MySQL's own semantics, NULLs and
// all.
//
// The cost is the gathered rows: the conditions on one table alone go into
// its gather, and a table joined by an equality to a table gathered before
// it reads only the rows whose join column matches a gathered value (IN
// lists, routed by the vindex when the column has one). What a plan holds is
// bounded by Env.MaxRows.
//
// The plan is made once per statement shape: its texts are Templates, which
// each execution writes with its arguments.
type Evaluate struct {
	Keyspace string // where the statement runs: a backend of this keyspace
	// Parts is the statement around its table references: Parts[i] comes
	// before the derived table of Tables[Slots[i]], the last part after the
	// last one.
	Parts  []Template
	Slots  []int
	Tables []*Gather // in the order they are gathered
}

// Gather reads the rows one table reference contributes.
type Gather struct {
	Alias    string // the reference's name in the statement
	Keyspace string
	Select   string // SELECT <columns> FROM <table> AS <alias>
	// From is Select's FROM clause, which the gathered columns' collations
	// are read from (see collations); "" to not read them.
	From   string
	Where  Template // the conditions on this table alone; nil for none
	Reduce *Reduce
	// Typed: the table is in the evaluating keyspace, whose backend gives
	// the derived table its columns' types (see appendDerived).
	Typed bool
	// Shadowed: another table reference of the statement has this alias
	// (a derived table around the gathered one): the result's columns of
	// that name need not be this gather's (see Evaluate.sources).
	Shadowed bool
	// Lock is the locking read of the statement's SELECT (FOR UPDATE …),
	// taken by the gather on the rows it reads; "" for none.
	Lock string

	// Known keeps what executions of the plan read of the table that does
	// not change (nil: each reads it again).
	Known *GatherKnown
	// Union are the reads whose rows, together, are the gathered ones, in
	// place of Select (information_schema.SCHEMATA: each keyspace's own),
	// each run as it is on its keyspace's first backend (Cursor.SelectOn);
	// without Where or Reduce.
	Union []Read
}

// GatherKnown are the collations of a gather's text columns and of its
// reduced column, once read (see collations): a column's collation is the
// table's, the same at each execution of the plan, which a DDL through the
// sidecar replaces.
type GatherKnown struct {
	textColls   atomic.Pointer[[]string]
	reducedColl atomic.Pointer[string]
}

// Reduce narrows a gather to the rows whose Column equals a value of
// SourceColumn in the rows of an earlier gather (Source indexes
// Evaluate.Tables).
type Reduce struct {
	Column       string // printed, qualified by the gather's alias
	Source       int
	SourceColumn string
}

// reduceBatch is the most values of one IN list. Integer values are split
// over several lists when there are more; other values are not, because two
// different strings may be equal under the column's collation and a row
// would then come back once per list: above one list, the table is gathered
// whole.
const reduceBatch = 2000

func (e *Evaluate) Execute(ctx context.Context, env *Env) (*Result, error) {
	gathered := make([]*Result, len(e.Tables))
	colls := make([][]string, len(e.Tables))
	for i, g := range e.Tables {
		res, err := g.run(ctx, env, gathered, colls)
		if err != nil {
			return nil, err
		}
		gathered[i] = res
		if env.CastCollate {
			if colls[i], err = g.collations(ctx, env, res); err != nil {
				return nil, err
			}
		}
	}
	sql, temps := e.statement(env, gathered, colls, true)
	res, err := env.Cursor.SelectOn(ctx, e.Keyspace, sql, temps...)
	if errors.As(err, new(*TempTableError)) {
		// No temporary table there (a READ ONLY transaction, a user
		// without the privilege): literals, whose types a UNION loosens,
		// are what the backend can read.
		sql, _ = e.statement(env, gathered, colls, false)
		res, err = env.Cursor.SelectOn(ctx, e.Keyspace, sql)
	}
	if err != nil {
		return nil, err
	}
	e.sources(res, gathered)
	return res, env.hold(len(res.Rows))
}

// TempTableError is a Cursor's failure to make or fill a TempTable (the
// statement did not run).
type TempTableError struct{ Err error }

func (e *TempTableError) Error() string {
	return "a temporary table of gathered rows: " + e.Err.Error()
}
func (e *TempTableError) Unwrap() error { return e.Err }

// statement is the evaluating SELECT over the gathered rows: derived tables
// of literals, or, with useTemps, temporary tables where literals would
// loosen a column's type (see TempTable).
func (e *Evaluate) statement(env *Env, gathered []*Result, colls [][]string, useTemps bool) (string, []TempTable) {
	var b []byte
	var temps []TempTable
	for i, slot := range e.Slots {
		b = e.Parts[i].appendTo(b, env.Args, env.NoBackslashEscapes)
		g, rows := e.Tables[slot], gathered[slot]
		if useTemps && g.Typed && len(rows.Rows) > 0 && unionLosesType(rows) {
			t := tempTable(fmt.Sprintf("_sidecar_rows_%d", i), g, rows, colls[slot], env.NoBackslashEscapes)
			temps = append(temps, t)
			b = append(b, vindex.QuoteIdent(t.Name)...)
			continue
		}
		b = appendDerived(b, g, rows, colls[slot], env.NoBackslashEscapes)
	}
	b = e.Parts[len(e.Parts)-1].appendTo(b, env.Args, env.NoBackslashEscapes)
	return string(b), temps
}

// sources finds the gathered column each column of the result shows as it
// is. The evaluating SELECT reads derived tables of the gathered rows, whose
// columns come from no table; the gathered column names its table and
// column. A UNION of the table's empty SELECT and integer literals widens a
// TINYINT, SMALLINT or MEDIUMINT column to INT, and literals type a Loose
// column more loosely still (an ENUM becomes a VARCHAR, a YEAR a DECIMAL);
// the gathered column has the table's own type, which then goes to the
// client (the values are the same text).
func (e *Evaluate) sources(res *Result, gathered []*Result) {
	for i := range res.Fields {
		f := &res.Fields[i]
		if f.Table == "" || f.OrgName == "" {
			continue
		}
		// Gathers of that name (a subquery's c and the outer c, or C and c)
		// whose columns differ leave the column its own definition: either
		// would be a guess.
		var src *Field
		guess := false
		for g, t := range e.Tables {
			if t.Shadowed || !strings.EqualFold(t.Alias, f.Table) {
				continue
			}
			c := gathered[g].column(f.OrgName)
			if c < 0 {
				continue // not the column's table
			}
			if src != nil && !bytes.Equal(src.Def, gathered[g].Fields[c].Def) {
				guess = true
			}
			src = &gathered[g].Fields[c]
		}
		if src != nil && !guess {
			f.Source = src
			f.SourceType = src.Loose || src.Kind == f.Kind && (f.Kind == Int || f.Kind == Unsigned)
		}
	}
}

// run gathers g's rows: with a Reduce, those whose column equals a value of
// the earlier gather's column. An IN list of the values compares them in the
// reduced column's collation, where the join compares both columns in the
// one MySQL's coercion rules pick: a string column whose collation (colls)
// is not the reduced column's is not reduced by (latin1_swedish_ci would
// tell 'U' from 'Ü', which the join in utf8mb4_general_ci finds equal).
func (g *Gather) run(ctx context.Context, env *Env, gathered []*Result, colls [][]string) (*Result, error) {
	if g.Reduce == nil {
		return g.query(ctx, env, "")
	}
	src := gathered[g.Reduce.Source]
	col := src.column(g.Reduce.SourceColumn)
	if col < 0 {
		return nil, sqlerr.Routing("gathering %s: column %s missing from the rows it is joined to", g.Alias, g.Reduce.SourceColumn)
	}
	kind := src.Fields[col].Kind
	if kind == Float && src.Fields[col].Loose {
		// A FLOAT's text read as a DOUBLE literal is another number (1.1
		// is not the FLOAT 1.1): an IN list of them would find none of
		// the rows the join finds equal, FLOAT to FLOAT.
		return g.query(ctx, env, "")
	}
	if kind == Unsigned {
		// Plain numbers in an IN list: the router maps them by the vindex
		// (a CAST it could not), and the column's own type decides.
		kind = Int
	}
	if sc := colls[g.Reduce.Source]; col < len(sc) && sc[col] != "" {
		tc, err := g.columnCollation(ctx, env)
		if err != nil {
			return nil, err
		}
		if tc != "" && tc != sc[col] {
			return g.query(ctx, env, "")
		}
	}
	seen := map[string]bool{}
	var values [][]byte
	for _, row := range src.Rows {
		if v := row[col]; v != nil && !seen[string(v)] { // NULL equals nothing
			seen[string(v)] = true
			values = append(values, appendLiteral(nil, v, kind, env.NoBackslashEscapes))
		}
	}
	if len(values) == 0 {
		return g.query(ctx, env, "FALSE") // for the column names
	}
	if len(values) > reduceBatch && kind != Int {
		return g.query(ctx, env, "")
	}
	var out *Result
	for start := 0; start < len(values); start += reduceBatch {
		batch := values[start:min(start+reduceBatch, len(values))]
		res, err := g.query(ctx, env, g.Reduce.Column+" IN ("+string(joinBytes(batch, ", "))+")")
		if err != nil {
			return nil, err
		}
		out = out.concat(res)
	}
	return out, nil
}

// concat is r with next's rows after its own; next when r is nil.
func (r *Result) concat(next *Result) *Result {
	if r == nil {
		return next
	}
	r.Rows = append(r.Rows, next.Rows...)
	return r
}

// query runs the gather's SELECT with one more condition (none if "").
func (g *Gather) query(ctx context.Context, env *Env, cond string) (*Result, error) {
	if len(g.Union) > 0 {
		var out *Result
		for _, r := range g.Union {
			res, err := env.Cursor.SelectOn(ctx, r.Keyspace, r.SQL)
			if err != nil {
				return nil, err
			}
			out = out.concat(res)
			if err := env.hold(len(res.Rows)); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	where := string(g.Where.appendTo(nil, env.Args, env.NoBackslashEscapes))
	res, err := env.Cursor.Select(ctx, Read{Keyspace: g.Keyspace, SQL: g.sql(where, cond)})
	if err != nil {
		return nil, err
	}
	return res, env.hold(len(res.Rows))
}

// sql is the gather's SELECT with its conditions, where, and one more, cond.
func (g *Gather) sql(where, cond string) string {
	switch {
	case cond == "":
	case where == "":
		where = cond
	default:
		where = "(" + where + ") AND " + cond
	}
	sql := g.Select
	if where != "" {
		sql += " WHERE " + where
	}
	if g.Lock != "" {
		sql += " " + g.Lock
	}
	return sql
}

// collations are the collations of the gathered text columns, by field ("":
// another type, or unknown), read from the table itself: a result's column
// definitions name the connection's collation instead. The derived table
// writes its string literals in them, so that they compare as the table's
// values do where the optimizer moves a condition onto them (MariaDB pushes
// a derived table's conditions into each part of its UNION), and where the
// table is of another keyspace and only literals make the derived table.
// CAST(… COLLATE …), not a COLLATE clause, keeps the column's implicit
// coercibility: a BINARY or COLLATE of the statement still wins over it.
func (g *Gather) collations(ctx context.Context, env *Env, res *Result) ([]string, error) {
	if g.Known != nil {
		if known := g.Known.textColls.Load(); known != nil && len(*known) == len(res.Fields) {
			return *known, nil
		}
	}
	if g.From == "" || len(res.Rows) == 0 {
		return nil, nil
	}
	var b strings.Builder
	var text []int
	for i, f := range res.Fields {
		if f.Kind != Text || f.OrgName == "" {
			continue
		}
		if len(text) == 0 {
			b.WriteString("SELECT ")
		} else {
			b.WriteString(", ")
		}
		b.WriteString("COLLATION(" + vindex.QuoteIdent(g.Alias) + "." + vindex.QuoteIdent(f.OrgName) + ")")
		text = append(text, i)
	}
	if len(text) == 0 {
		return nil, nil
	}
	b.WriteString(g.From + " LIMIT 1")
	got, err := env.Cursor.Select(ctx, Read{Keyspace: g.Keyspace, SQL: b.String()})
	if err != nil || len(got.Rows) == 0 || len(got.Rows[0]) != len(text) {
		return nil, err // no row left: the literals keep the connection's collation
	}
	out := make([]string, len(res.Fields))
	for k, i := range text {
		if name := string(got.Rows[0][k]); collationName(name) {
			out[i] = name
		}
	}
	if g.Known != nil {
		g.Known.textColls.Store(&out)
	}
	return out, nil
}

// columnCollation is the collation of the reduced column of g's table (""
// when the table has no row, or for another type).
func (g *Gather) columnCollation(ctx context.Context, env *Env) (string, error) {
	if g.Known != nil {
		if known := g.Known.reducedColl.Load(); known != nil {
			return *known, nil
		}
	}
	got, err := env.Cursor.Select(ctx, Read{Keyspace: g.Keyspace, SQL: "SELECT COLLATION(" + g.Reduce.Column + ")" + g.From + " LIMIT 1"})
	if err != nil || len(got.Rows) == 0 || len(got.Rows[0]) != 1 {
		return "", err
	}
	coll := string(got.Rows[0][0])
	if g.Known != nil {
		g.Known.reducedColl.Store(&coll)
	}
	return coll, nil
}

// collationName reports a name a COLLATE clause can carry as it is, and
// that names a character set before its first '_' (every collation but
// binary does).
func collationName(s string) bool {
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return strings.IndexByte(s, '_') > 0
}

func (r *Result) column(name string) int {
	for i, f := range r.Fields {
		if strings.EqualFold(f.Name, name) {
			return i
		}
	}
	return -1
}

func joinBytes(parts [][]byte, sep string) []byte {
	var b []byte
	for i, p := range parts {
		if i > 0 {
			b = append(b, sep...)
		}
		b = append(b, p...)
	}
	return b
}

// appendDerived writes the rows of a gather as a derived table's SELECT in
// parentheses: the gather's own SELECT with a condition no row meets, then
// one SELECT of literals per row, joined by UNION ALL. The empty first part
// names the columns and gives them the table's own types and collations: a
// UNION's columns take the type that holds all of its parts, so the literals
// are read as values of the table's columns, and strings compare by the
// column's collation, as they would in the table.
//
// A table of another keyspace is not on the evaluating backend: its rows are
// literals alone, the first row naming the columns (none: a row of NULLs
// that no condition lets through), and the columns take the literals' types.
// Strings are written in their column's collation, colls (see collations).
func appendDerived(b []byte, g *Gather, res *Result, colls []string, nbe bool) []byte {
	castFloat := floatColumns(res)
	b = append(b, '(')
	if g.Typed {
		b = append(b, g.Select...)
		b = append(b, " WHERE FALSE"...)
	}
	for r, row := range res.Rows {
		if g.Typed || r > 0 {
			b = append(b, " UNION ALL "...)
		}
		b = append(b, "SELECT "...)
		var names []Field
		if !g.Typed && r == 0 {
			names = res.Fields
		}
		b = appendValues(b, row, res, castFloat, colls, names, nbe)
	}
	if !g.Typed && len(res.Rows) == 0 {
		b = append(b, "SELECT "...)
		for i, f := range res.Fields {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = append(b, "NULL AS "...)
			b = append(b, vindex.QuoteIdent(f.Name)...)
		}
		b = append(b, " FROM DUAL WHERE FALSE"...)
	}
	return append(b, ')')
}

// floatColumns are the columns of res whose values are written as FLOATs
// (CAST(… AS FLOAT)), not as DOUBLEs: the column stays FLOAT, and its values
// the table's. Not a FLOAT(M,D), whose text is rounded to its decimals, as
// its value is not (12345.67 would be the FLOAT 12345.6699…, shown 12345.7).
func floatColumns(res *Result) []bool {
	castFloat := make([]bool, len(res.Fields))
	for i, f := range res.Fields {
		col, ok := mysql.ParseColumn(f.Def)
		castFloat[i] = ok && col.Type == mysql.TypeFloat && col.Decimals == mysql.NotFixedDecimals
	}
	return castFloat
}

// appendValues writes a gathered row's values as literals, separated by
// commas, each named as its column of names where names are given.
func appendValues(b []byte, row [][]byte, res *Result, castFloat []bool, colls []string, names []Field, nbe bool) []byte {
	for i, v := range row {
		if i > 0 {
			b = append(b, ", "...)
		}
		coll := ""
		if i < len(colls) {
			coll = colls[i]
		}
		if castFloat[i] && isNumber(v, true) {
			b = append(append(append(b, "CAST("...), v...), " AS FLOAT)"...)
		} else {
			b = appendCollated(b, v, res.Fields[i].Kind, coll, nbe)
		}
		if names != nil {
			b = append(b, " AS "...)
			b = append(b, vindex.QuoteIdent(names[i].Name)...)
		}
	}
	return b
}

// TempTable is a temporary table holding a gather's rows on the evaluating
// connection, in place of a derived table of literals, where a UNION with
// literals would change the type of a column: an ENUM or SET becomes a
// VARCHAR (compared and ordered by its text, not by its members' order), a
// BIT a VARBINARY. Made from the table's own columns, it keeps their types.
type TempTable struct {
	Name   string
	Create string // CREATE TEMPORARY TABLE … AS <the gather's SELECT> WHERE FALSE
	Insert string // INSERT IGNORE INTO … VALUES: the rows
}

// unionLosesType reports a gathered column whose type a UNION with
// literals does not keep in a way a statement can tell (see TempTable).
func unionLosesType(res *Result) bool {
	for _, f := range res.Fields {
		if col, ok := mysql.ParseColumn(f.Def); ok && (col.Flags&(mysql.FlagEnum|mysql.FlagSet) != 0 || col.Type == mysql.TypeBit) {
			return true
		}
	}
	return false
}

// tempTable is the temporary table name of gather g's rows (res).
func tempTable(name string, g *Gather, res *Result, colls []string, nbe bool) TempTable {
	t := TempTable{Name: name, Create: "CREATE TEMPORARY TABLE " + vindex.QuoteIdent(name) + " AS " + g.Select + " WHERE FALSE"}
	castFloat := floatColumns(res)
	// IGNORE: an ENUM's invalid value (index 0, shown '', which a
	// non-strict sql_mode stored) goes in as that value again, where a
	// strict one would refuse the ''.
	b := []byte("INSERT IGNORE INTO " + vindex.QuoteIdent(name) + " VALUES ")
	for r, row := range res.Rows {
		if r > 0 {
			b = append(b, ", "...)
		}
		b = append(b, '(')
		b = appendValues(b, row, res, castFloat, colls, nil, nbe)
		b = append(b, ')')
	}
	t.Insert = string(b)
	return t
}

// appendLiteral writes a value of a column of kind k as a literal MySQL reads
// back as the same value of (nearly) the same type. Text that does not look
// like its kind is written as a string, through the one renderer of SQL
// values: a value can never end its literal early.
func appendLiteral(b, v []byte, k Kind, nbe bool) []byte {
	if v == nil {
		if k == Unsigned {
			return append(b, "CAST(NULL AS UNSIGNED)"...) // a bare NULL makes the column DECIMAL too
		}
		return append(b, "NULL"...)
	}
	switch k {
	case Int, Decimal:
		if isNumber(v, false) {
			return append(b, v...)
		}
	case Float:
		if isNumber(v, true) {
			b = append(b, v...)
			if !strings.ContainsAny(string(v), "eE") {
				b = append(b, "e0"...) // a DOUBLE literal, not a DECIMAL one
			}
			return b
		}
	case Unsigned:
		// An unsigned column and a (signed) integer literal would make a
		// DECIMAL column of the UNION; this keeps it an unsigned integer.
		if isNumber(v, false) {
			b = append(b, "CAST("...)
			b = append(b, v...)
			return append(b, " AS UNSIGNED)"...)
		}
	case Date, DateTime, Time:
		if !isTemporal(v) {
			break
		}
		if zeroDate(v) {
			// No literal reads a zero date; a cast of the string does.
			b = append(b, "CAST('"...)
			b = append(b, v...)
			if k == Date {
				return append(b, "' AS DATE)"...)
			}
			return append(b, "' AS DATETIME)"...)
		}
		switch k {
		case Date:
			b = append(b, "DATE'"...)
		case DateTime:
			b = append(b, "TIMESTAMP'"...)
		default:
			b = append(b, "TIME'"...)
		}
		b = append(b, v...)
		return append(b, '\'')
	case Binary:
		return vindex.AppendLiteral(b, vindex.Value{Kind: vindex.VarBinary, Raw: v}, nbe)
	case JSON:
		b = append(b, "CAST("...)
		b = vindex.AppendLiteral(b, vindex.Value{Kind: vindex.VarChar, Raw: v}, nbe)
		return append(b, " AS JSON)"...)
	}
	return vindex.AppendLiteral(b, vindex.Value{Kind: vindex.VarChar, Raw: v}, nbe)
}

// appendCollated writes v as appendLiteral does, in collation coll unless it
// is "" (see Gather.collations): the text is in the connection's character
// set, converted to coll's. A CAST, not a COLLATE clause, keeps a column's
// implicit coercibility.
func appendCollated(b, v []byte, k Kind, coll string, nbe bool) []byte {
	if coll == "" || v == nil {
		return appendLiteral(b, v, k, nbe)
	}
	b = append(b, "CAST("...)
	b = appendLiteral(b, v, k, nbe)
	return append(b, " AS CHAR CHARACTER SET "+coll[:strings.IndexByte(coll, '_')]+" COLLATE "+coll+")"...)
}

// isNumber: [-]digits[.digits], and with exp an exponent.
func isNumber(v []byte, exp bool) bool {
	digits := 0
	for i, c := range v {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '-' && (i == 0 || exp && (v[i-1] == 'e' || v[i-1] == 'E')):
		case c == '+' && exp && i > 0 && (v[i-1] == 'e' || v[i-1] == 'E'):
		case c == '.':
		case (c == 'e' || c == 'E') && exp && digits > 0:
		default:
			return false
		}
	}
	return digits > 0
}

// isTemporal: only the digits, dashes, colons, dots and space MySQL writes
// dates and times with.
func isTemporal(v []byte) bool {
	for _, c := range v {
		if (c < '0' || c > '9') && c != '-' && c != ':' && c != '.' && c != ' ' {
			return false
		}
	}
	return len(v) > 0
}

// zeroDate: a date with a zero year, month or day, which MySQL keeps (outside
// strict modes) but no DATE or TIMESTAMP literal accepts.
func zeroDate(v []byte) bool {
	date, _, _ := strings.Cut(string(v), " ")
	parts := strings.Split(date, "-")
	if len(parts) != 3 {
		return false
	}
	for _, p := range parts {
		if strings.Trim(p, "0") == "" {
			return true
		}
	}
	return false
}

// Bound is the plan with args written into its texts, as an execution with
// them sends it (for VEXPLAIN).
func (e *Evaluate) Bound(args []vindex.Value, noBackslash bool) *Evaluate {
	bind := func(t Template) Template {
		if t == nil {
			return nil
		}
		return Template{{Text: string(t.appendTo(nil, args, noBackslash))}}
	}
	b := *e
	b.Parts = make([]Template, len(e.Parts))
	for i, p := range e.Parts {
		b.Parts[i] = bind(p)
	}
	b.Tables = make([]*Gather, len(e.Tables))
	for i, g := range e.Tables {
		bound := *g
		bound.Where = bind(g.Where)
		b.Tables[i] = &bound
	}
	return &b
}

func (e *Evaluate) describe(b *strings.Builder, depth int) {
	var sql strings.Builder
	for i, slot := range e.Slots {
		sql.WriteString(e.Parts[i].String())
		sql.WriteString("(<" + e.Tables[slot].Alias + ">)")
	}
	sql.WriteString(e.Parts[len(e.Parts)-1].String())
	line(b, depth, "Evaluate on %s: %s", e.Keyspace, sql.String())
	for _, g := range e.Tables {
		g.describe(b, depth+1, e.Tables)
	}
}

func (g *Gather) describe(b *strings.Builder, depth int, tables []*Gather) {
	if len(g.Union) > 0 {
		line(b, depth, "Gather %s, the rows of:", g.Alias)
		for _, r := range g.Union {
			line(b, depth+1, "%s: %s", r.Keyspace, r.SQL)
		}
		return
	}
	sql := g.sql(g.Where.String(), "")
	if r := g.Reduce; r != nil {
		line(b, depth, "Gather %s from %s: %s, %s IN (values of %s.%s)", g.Alias, g.Keyspace, sql, r.Column, tables[r.Source].Alias, r.SourceColumn)
		return
	}
	line(b, depth, "Gather %s from %s: %s", g.Alias, g.Keyspace, sql)
}
