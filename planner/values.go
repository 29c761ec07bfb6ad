package planner

import (
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/charset"
	"github.com/pingcap/tidb/pkg/parser/mysql"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	driver "github.com/pingcap/tidb/pkg/parser/test_driver"
	"github.com/pingcap/tidb/pkg/parser/types"

	"sidecar/vindex"
)

// Value is a vindex value, as statements carry them.
type Value = vindex.Value

// Args are the arguments of a prepared statement or of a normalized shape:
// the n-th `?` of the text reads Args[n-1].
type Args []vindex.Value

// LimitArgs are a prepared statement's arguments with those of its LIMITs as
// the unsigned integers MariaDB reads them as (vindex.NewCount), for the
// statements the sidecar writes with them (a merge's, an evaluation's): a
// negative integer as its unsigned value (-1: every row), a DOUBLE rounded
// half to even, a DECIMAL half away from zero, either clamped to the signed
// range first, a string by its leading integer ('3x' is 3, 'x' 0), NULL 0.
func (p *Plan) LimitArgs(args Args) Args {
	if len(p.limitParams) == 0 {
		return args
	}
	out := slices.Clone(args)
	for _, n := range p.limitParams {
		if n < len(out) {
			out[n] = vindex.NewCount(limitArg(out[n]))
		}
	}
	return out
}

func limitArg(v vindex.Value) uint64 {
	raw := string(v.Raw)
	switch v.Kind {
	case vindex.Null:
		return 0
	case vindex.Uint64:
		n, _ := strconv.ParseUint(raw, 10, 64)
		return n
	case vindex.Int64:
		n, _ := strconv.ParseInt(raw, 10, 64)
		return uint64(n)
	case vindex.Float64, vindex.Decimal:
		f, _ := strconv.ParseFloat(raw, 64)
		if v.Kind == vindex.Float64 {
			f = math.RoundToEven(f)
		} else {
			f = math.Round(f)
		}
		switch {
		case f >= math.MaxInt64:
			return math.MaxInt64
		case f <= math.MinInt64:
			return 1 << 63 // math.MinInt64 as unsigned
		}
		return uint64(int64(f))
	}
	s := strings.TrimLeft(raw, " \t\n\r")
	end := 0
	if end < len(s) && (s[end] == '-' || s[end] == '+') {
		end++
	}
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	n, err := strconv.ParseInt(s[:end], 10, 64) // out of range: clamped
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0
	}
	return uint64(n)
}

// introduced is the value of a hexadecimal or bit literal written with a
// character set introducer: a string of those bytes (a number only where one
// is wanted, as its text reads), binary under _binary.
func introduced(cs string, b []byte) vindex.Value {
	if strings.EqualFold(cs, charset.CharsetBin) {
		return vindex.Value{Kind: vindex.VarBinary, Raw: b}
	}
	return vindex.Value{Kind: vindex.VarChar, Raw: b}
}

// valueOf reads a literal (or bound argument) as the vindexes see it. ok is
// false for anything else: a function call, an expression, a column.
func valueOf(e ast.ExprNode, args Args) (vindex.Value, bool) {
	switch v := e.(type) {
	case *paramExpr:
		if v.n < len(args) {
			return args[v.n], true
		}
	case *literalExpr:
		return v.v, true
	case *hexNumber:
		if v.Type.GetFlag()&mysql.UnderScoreCharsetFlag != 0 {
			return introduced(v.Type.GetCharset(), v.GetBytes()), true // _utf8mb4 0x3530: the string '50'
		}
		return vindex.Value{Kind: vindex.HexNum, Raw: v.GetBytes()}, true
	case *driver.ValueExpr:
		switch v.Kind() {
		case driver.KindNull:
			return vindex.Value{Kind: vindex.Null}, true
		case driver.KindInt64:
			return vindex.NewInt64(v.GetInt64()), true
		case driver.KindUint64:
			return vindex.Value{Kind: vindex.Uint64, Raw: strconv.AppendUint(nil, v.GetUint64(), 10)}, true
		case driver.KindFloat64, driver.KindFloat32:
			return vindex.Value{Kind: vindex.Float64, Raw: strconv.AppendFloat(nil, v.GetFloat64(), 'g', -1, 64)}, true
		case driver.KindMysqlDecimal:
			return numberValue([]byte(v.GetMysqlDecimal().String()), true)
		case driver.KindString, driver.KindBytes:
			if v.Type.GetCharset() == charset.CharsetBin {
				return vindex.Value{Kind: vindex.VarBinary, Raw: v.GetBytes()}, true
			}
			return vindex.Value{Kind: vindex.VarChar, Raw: v.GetBytes()}, true
		case driver.KindBinaryLiteral:
			flag := v.Type.GetFlag()
			switch {
			case flag&mysql.UnderScoreCharsetFlag != 0:
				return introduced(v.Type.GetCharset(), []byte(v.GetBinaryLiteral())), true // _binary X'…', _utf8mb4 b'…'
			case flag&(mysql.UnderScoreCharsetFlag|mysql.UnsignedFlag) == 0:
				// b'0101' or 0b0101, which MariaDB reads as a number where
				// one is wanted, as 0x… (X'…' is flagged unsigned).
				return vindex.Value{Kind: vindex.HexNum, Raw: []byte(v.GetBinaryLiteral())}, true
			}
			return vindex.Value{Kind: vindex.HexString, Raw: []byte(v.GetBinaryLiteral())}, true
		}
	case *ast.FuncCastExpr:
		// CAST(5 AS UNSIGNED): how the sidecar writes a typed argument
		// (vindex.AppendArgument) into the statements it plans again.
		if v.FunctionType != ast.CastFunction || v.Tp.GetType() != mysql.TypeLonglong || !mysql.HasUnsignedFlag(v.Tp.GetFlag()) {
			break
		}
		if inner, ok := valueOf(v.Expr, args); ok && (inner.Kind == vindex.Uint64 || inner.Kind == vindex.Int64 && len(inner.Raw) > 0 && inner.Raw[0] != '-') {
			return vindex.Value{Kind: vindex.Uint64, Raw: inner.Raw}, true
		}
	case *ast.UnaryOperationExpr:
		// -5 is minus applied to 5; a normalized -? is minus applied to the
		// argument's digits.
		if v.Op != opcode.Minus {
			break
		}
		if inner, ok := valueOf(v.V, args); ok {
			return vindex.Negate(inner)
		}
	}
	return vindex.Value{}, false
}

// numberValue types the text of a number: INT64 if it fits, else UINT64,
// else (or when it has a fraction) DECIMAL.
func numberValue(raw []byte, fraction bool) (vindex.Value, bool) {
	if !fraction {
		if _, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
			return vindex.Value{Kind: vindex.Int64, Raw: raw}, true
		}
		if _, err := strconv.ParseUint(string(raw), 10, 64); err == nil {
			return vindex.Value{Kind: vindex.Uint64, Raw: raw}, true
		}
	}
	return vindex.Value{Kind: vindex.Decimal, Raw: raw}, true
}

// render is the statement text with a prepared statement's arguments (or a
// normalized shape's literals) written in; without arguments it is the query
// unchanged.
func (p *Plan) render(args Args) string {
	if len(args) == 0 {
		return p.Query
	}
	return printStmt(p.Leading, p.Stmt, args, p.Mode) + p.Tail
}

// SessionValues are what the session functions return on the client's own
// session, which no backend connection knows: pooled connections serve many
// sessions, and the keyspace is not a shard's database.
type SessionValues struct {
	LastInsertID uint64 // LAST_INSERT_ID(); the value may come from a sequence
	ConnectionID uint32 // CONNECTION_ID(): the sidecar's id, the one KILL takes
	Database     string // DATABASE(), SCHEMA(): the keyspace; "" is NULL
	FoundRows    uint64 // FOUND_ROWS(): the rows of the session's last result set
	RowCount     int64  // ROW_COUNT(): the rows the last statement changed; -1 after a result set or an error
	// Autocommit and InTransaction are @@autocommit and @@in_transaction:
	// the sidecar keeps the session's transaction, its backend connections
	// run in autocommit or in a transaction they began early.
	Autocommit, InTransaction bool
}

// sessionFunctions are the functions BindSession replaces, called without
// arguments.
var sessionFunctions = []string{"last_insert_id", "connection_id", "database", "schema", "found_rows", "row_count"}

// BindSession writes the session's values of LAST_INSERT_ID(),
// CONNECTION_ID(), DATABASE(), SCHEMA(), FOUND_ROWS(), ROW_COUNT(),
// @@autocommit and @@in_transaction into a statement that uses them in an
// expression. Statements without them are returned unchanged.
func BindSession(sql string, vals SessionValues, mode SQLMode) string {
	found := false
	if hasEmptyCall(sql) { // one scan for the commonest statement, which calls none
		for _, f := range sessionFunctions {
			found = found || ContainsFold(sql, f)
		}
	}
	if strings.Contains(sql, "@@") {
		found = found || ContainsFold(sql, "autocommit") || ContainsFold(sql, "in_transaction")
	}
	if !found {
		return sql
	}
	stmt, err := parse(sql, mode)
	if err != nil {
		return sql
	}
	replaced := false
	value := func(f *ast.FuncCallExpr) (ast.ExprNode, bool) {
		if len(f.Args) != 0 || f.Schema.L != "" {
			return nil, false
		}
		switch f.FnName.L {
		case "last_insert_id":
			return literal(vindex.Value{Kind: vindex.Uint64, Raw: strconv.AppendUint(nil, vals.LastInsertID, 10)}), true
		case "connection_id":
			return literal(vindex.Value{Kind: vindex.Uint64, Raw: strconv.AppendUint(nil, uint64(vals.ConnectionID), 10)}), true
		case "found_rows":
			return literal(vindex.Value{Kind: vindex.Uint64, Raw: strconv.AppendUint(nil, vals.FoundRows, 10)}), true
		case "row_count":
			return literal(vindex.Value{Kind: vindex.Int64, Raw: strconv.AppendInt(nil, vals.RowCount, 10)}), true
		case "database", "schema":
			if vals.Database == "" {
				return literal(vindex.Value{Kind: vindex.Null}), true
			}
			return literal(vindex.Value{Kind: vindex.VarChar, Raw: []byte(vals.Database)}), true
		}
		return nil, false
	}
	variable := func(v *ast.VariableExpr) (ast.ExprNode, string) {
		if !v.IsSystem || v.IsGlobal || v.Value != nil {
			return nil, ""
		}
		var on bool
		var like string // the function whose type a whole select item gets
		switch strings.ToLower(v.Name) {
		case "autocommit":
			on, like = vals.Autocommit, "row_count" // BIGINT
		case "in_transaction":
			on, like = vals.InTransaction, "last_insert_id" // BIGINT UNSIGNED
		default:
			return nil, ""
		}
		n := int64(0)
		if on {
			n = 1
		}
		return literal(vindex.NewInt64(n)), like
	}
	bind := func(typed bool) *replacer {
		return &replacer{leave: func(n ast.Node) ast.Node {
			switch f := n.(type) {
			case *ast.FuncCallExpr:
				if v, ok := value(f); ok {
					replaced = true
					if typed {
						return typedLike(f.FnName.L, v)
					}
					return v
				}
			case *ast.VariableExpr:
				if v, _ := variable(f); v != nil {
					replaced = true
					return v // in an expression, one digit: @@autocommit + 0 is INT
				}
			}
			return n
		}}
	}
	for i, sel := range resultSelects(stmt) {
		if sel.Fields == nil {
			continue
		}
		if i == 0 {
			// Keep the column names MySQL would give the expressions (the
			// first SELECT's): the statement is printed again (count(*)
			// prints as COUNT(1)).
			sel.Fields.Fields = namedItems(sel, sql)
		}
		for _, f := range sel.Fields.Fields {
			if v, ok := f.Expr.(*ast.VariableExpr); ok {
				if e, like := variable(v); e != nil {
					f.Expr, replaced = typedLike(like, e), true
					continue
				}
			}
			if f.Expr != nil {
				e, _ := f.Expr.Accept(bind(true))
				f.Expr = e.(ast.ExprNode)
			}
		}
	}
	stmt.Accept(bind(false))
	if !replaced { // the names were a table's, a column's or a string's
		return sql
	}
	return printStmt(leadingComments(sql), stmt, nil, mode)
}

// resultSelects are the SELECTs whose select lists make the result of
// stmt: stmt itself, or each SELECT of a UNION (EXCEPT, INTERSECT).
func resultSelects(stmt ast.Node) []*ast.SelectStmt {
	switch s := stmt.(type) {
	case *ast.SelectStmt:
		return []*ast.SelectStmt{s}
	case *ast.SetOprStmt:
		return resultSelects(s.SelectList)
	case *ast.SetOprSelectList:
		var out []*ast.SelectStmt
		for _, sel := range s.Selects {
			out = append(out, resultSelects(sel)...)
		}
		return out
	}
	return nil
}

// insertReturning: sql may be an INSERT or REPLACE … RETURNING (a column
// named so too: reading LAST_INSERT_ID() back then costs a round trip and
// finds it as it was).
func insertReturning(kind Kind, sql string) bool {
	return (kind == KindInsert || kind == KindReplace) && ContainsFold(sql, "returning")
}

// CallsLastInsertID reports a call of LAST_INSERT_ID with an argument.
func CallsLastInsertID(sql string) bool {
	const name = "last_insert_id"
	for i := 0; ContainsFold(sql[i:], name); {
		k := i
		for !hasPrefixFold(sql[k:], name) {
			k++
		}
		j := skipSpace(sql, k+len(name))
		if j < len(sql) && sql[j] == '(' {
			if j = skipSpace(sql, j+1); j < len(sql) && sql[j] != ')' {
				return true
			}
		}
		i = k + len(name)
	}
	return false
}

// hasEmptyCall reports a '(' followed by ')' with only blanks and comments
// between: a call without arguments, as the session functions are called
// (last_insert_id (), with IGNORE_SPACE or not).
func hasEmptyCall(sql string) bool {
	for i := strings.IndexByte(sql, '('); i >= 0; {
		j := skipSpace(sql, i+1)
		if j < len(sql) && sql[j] == ')' {
			return true
		}
		k := strings.IndexByte(sql[min(j, len(sql)):], '(')
		if k < 0 {
			return false
		}
		i = j + k
	}
	return false
}

// typedLike writes a session function's value v in a select item with the
// function's type: a literal is INT, where LAST_INSERT_ID() is BIGINT
// UNSIGNED, FOUND_ROWS() and ROW_COUNT() BIGINT and CONNECTION_ID()
// unsigned, and drivers map a column to a type by them (so do expressions
// of them). A bitwise OR is BIGINT UNSIGNED in MariaDB and MySQL. Only the
// select list is typed: in a condition the literal keeps routing by its
// value.
func typedLike(function string, v ast.ExprNode) ast.ExprNode {
	bigint := &ast.ParenthesesExpr{Expr: &ast.BinaryOperationExpr{Op: opcode.Or, L: v, R: literal(vindex.Value{Kind: vindex.Int64, Raw: []byte("0")})}}
	switch function {
	case "last_insert_id":
		return bigint
	case "found_rows", "row_count":
		return &ast.FuncCastExpr{Expr: bigint, Tp: types.NewFieldType(mysql.TypeLonglong), FunctionType: ast.CastFunction}
	case "connection_id":
		tp := types.NewFieldType(mysql.TypeLonglong)
		tp.AddFlag(mysql.UnsignedFlag)
		return &ast.FuncCastExpr{Expr: v, Tp: tp, FunctionType: ast.CastFunction}
	}
	return v
}

// Params is the number of `?` of a prepared statement's parse.
func (p *Plan) Params() int {
	n := 0
	walk(p.Stmt, func(node ast.Node) bool {
		if v, ok := node.(*paramExpr); ok {
			n = max(n, v.n+1)
		}
		return true
	})
	return n
}

// Like reports whether s matches the LIKE pattern: % any run of characters,
// _ one character, escape making the next one stand for itself. The match
// remembers only the last %, so it takes at most len(s)·len(pattern) steps
// whatever the pattern.
func Like(s, pattern string, escape rune) bool {
	p, t := []rune(pattern), []rune(s)
	i, j := 0, 0
	star, mark := -1, 0 // the last % seen, and where in t its run ends so far
	for j < len(t) {
		switch {
		case i < len(p) && p[i] == '%':
			star, mark = i, j
			i++
			continue
		case i < len(p) && p[i] == escape && i+1 < len(p) && p[i+1] == t[j]:
			i, j = i+2, j+1
			continue
		case i < len(p) && p[i] != escape && (p[i] == '_' || p[i] == t[j]):
			i, j = i+1, j+1
			continue
		case i < len(p) && p[i] == escape && i+1 == len(p) && t[j] == escape:
			i, j = i+1, j+1 // a trailing escape stands for itself
			continue
		case star >= 0:
			i, mark = star+1, mark+1
			j = mark
			continue
		}
		return false
	}
	for i < len(p) && p[i] == '%' {
		i++
	}
	return i == len(p)
}
