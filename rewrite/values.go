package rewrite

import (
	"encoding/hex"
	"strconv"

	"github.com/xwb1989/sqlparser"

	"sidecar/vindex"
)

// Value is a vindex value, as statements carry them.
type Value = vindex.Value

// Args are the arguments of a prepared statement: the parser turns the n-th
// `?` into :v<n>, which reads Args[n-1].
type Args []vindex.Value

func (a Args) lookup(name string) (vindex.Value, bool) {
	if len(name) < 2 || name[0] != 'v' {
		return vindex.Value{}, false
	}
	n, err := strconv.Atoi(name[1:])
	if err != nil || n < 1 || n > len(a) {
		return vindex.Value{}, false
	}
	return a[n-1], true
}

// valueOf reads a literal (or bound argument) as the vindexes see it. ok is
// false for anything else: a function call, an expression, a column.
func valueOf(e sqlparser.Expr, args Args) (vindex.Value, bool) {
	switch v := e.(type) {
	case *sqlparser.NullVal:
		return vindex.Value{Kind: vindex.Null}, true
	case sqlparser.BoolVal:
		if v {
			return vindex.NewInt64(1), true
		}
		return vindex.NewInt64(0), true
	case *sqlparser.UnaryExpr:
		if v.Operator == sqlparser.UMinusStr {
			if inner, ok := v.Expr.(*sqlparser.SQLVal); ok && (inner.Type == sqlparser.IntVal || inner.Type == sqlparser.FloatVal) {
				return numberValue(inner.Type, append([]byte{'-'}, inner.Val...))
			}
			if inner, ok := v.Expr.(*sqlparser.SQLVal); ok && inner.Type == sqlparser.ValArg {
				// -? of a normalized statement: the argument is the digits.
				if a, ok := args.lookup(string(inner.Val[1:])); ok && (a.Kind == vindex.Int64 || a.Kind == vindex.Uint64) {
					return numberValue(sqlparser.IntVal, append([]byte{'-'}, a.Raw...))
				}
			}
		}
	case *sqlparser.SQLVal:
		switch v.Type {
		case sqlparser.StrVal:
			return vindex.Value{Kind: vindex.VarChar, Raw: v.Val}, true
		case sqlparser.IntVal, sqlparser.FloatVal:
			return numberValue(v.Type, v.Val)
		case sqlparser.HexVal:
			b, err := v.HexDecode()
			return vindex.Value{Kind: vindex.VarBinary, Raw: b}, err == nil
		case sqlparser.HexNum:
			b, err := hex.DecodeString(evenHex(string(v.Val[2:])))
			return vindex.Value{Kind: vindex.VarBinary, Raw: b}, err == nil
		case sqlparser.ValArg:
			return args.lookup(string(v.Val[1:]))
		}
	}
	return vindex.Value{}, false
}

func evenHex(s string) string {
	if len(s)%2 == 1 {
		return "0" + s
	}
	return s
}

func numberValue(typ sqlparser.ValType, raw []byte) (vindex.Value, bool) {
	if typ == sqlparser.FloatVal {
		return vindex.Value{Kind: vindex.Decimal, Raw: raw}, true
	}
	if _, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
		return vindex.Value{Kind: vindex.Int64, Raw: raw}, true
	}
	if _, err := strconv.ParseUint(string(raw), 10, 64); err == nil {
		return vindex.Value{Kind: vindex.Uint64, Raw: raw}, true
	}
	return vindex.Value{Kind: vindex.Decimal, Raw: raw}, true
}

// literal is the SQL literal of a value the sidecar fills in (sequence
// values, reverse-mapped columns, bound arguments).
func literal(v vindex.Value) sqlparser.Expr {
	switch v.Kind {
	case vindex.Null:
		return &sqlparser.NullVal{}
	case vindex.Int64, vindex.Uint64, vindex.Decimal:
		if len(v.Raw) > 0 && v.Raw[0] == '-' {
			return &sqlparser.UnaryExpr{Operator: sqlparser.UMinusStr, Expr: sqlparser.NewIntVal(v.Raw[1:])}
		}
		return sqlparser.NewIntVal(v.Raw)
	case vindex.Float64:
		return sqlparser.NewFloatVal(v.Raw)
	case vindex.VarBinary:
		return sqlparser.NewHexVal([]byte(hex.EncodeToString(v.Raw)))
	default:
		return sqlparser.NewStrVal(v.Raw)
	}
}

// renderArgs is the statement text with a prepared statement's arguments
// written in as literals; without arguments it is the query unchanged.
func renderArgs(query string, stmt sqlparser.Statement, margins sqlparser.MarginComments, args Args, mode SQLMode) string {
	if len(args) == 0 {
		return query
	}
	return printStmt(margins.Leading, stmt, args, mode, margins.Trailing)
}

// Impossible is a SELECT that returns the statement's columns and no rows,
// for a query whose vindex values map to no shard.
func Impossible(plan *Plan) string {
	buf := sqlparser.NewTrackedBuffer(printer(plan.Args, plan.Mode, sqlparser.FormatImpossibleQuery))
	buf.Myprintf("%v", plan.Stmt)
	return buf.String()
}

// SessionValues are what the session functions return on the client's own
// session, which no backend connection knows: pooled connections serve many
// sessions, and the keyspace is not a shard's database.
type SessionValues struct {
	LastInsertID uint64 // LAST_INSERT_ID(); the value may come from a sequence
	ConnectionID uint32 // CONNECTION_ID(): the sidecar's id, the one KILL takes
	Database     string // DATABASE(), SCHEMA(): the keyspace; "" is NULL
}

// sessionFunctions are the functions BindSession replaces, called without
// arguments.
var sessionFunctions = []string{"last_insert_id()", "connection_id()", "database()", "schema()"}

// BindSession writes the session's values of LAST_INSERT_ID(),
// CONNECTION_ID(), DATABASE() and SCHEMA() into a statement that uses them
// in an expression. Statements without them are returned unchanged.
func BindSession(sql string, vals SessionValues, mode SQLMode) string {
	found := false
	for _, f := range sessionFunctions {
		found = found || containsFold(sql, f)
	}
	if !found {
		return sql
	}
	stmt, err := parse(sql, mode)
	if err != nil {
		return sql
	}
	value := func(f *sqlparser.FuncExpr) (sqlparser.Expr, bool) {
		if len(f.Exprs) != 0 || !f.Qualifier.IsEmpty() {
			return nil, false
		}
		switch f.Name.Lowered() {
		case "last_insert_id":
			return sqlparser.NewIntVal(strconv.AppendUint(nil, vals.LastInsertID, 10)), true
		case "connection_id":
			return sqlparser.NewIntVal(strconv.AppendUint(nil, uint64(vals.ConnectionID), 10)), true
		case "database", "schema":
			if vals.Database == "" {
				return &sqlparser.NullVal{}, true
			}
			return sqlparser.NewStrVal([]byte(vals.Database)), true
		}
		return nil, false
	}
	if sel, ok := stmt.(*sqlparser.Select); ok {
		// Keep the column names MySQL would give the expressions.
		for _, e := range sel.SelectExprs {
			if ae, ok := e.(*sqlparser.AliasedExpr); ok && ae.As.IsEmpty() && usesSessionFunction(ae.Expr) {
				ae.As = sqlparser.NewColIdent(columnText(sql, ae.Expr))
			}
		}
	}
	var print sqlparser.NodeFormatter
	print = printer(nil, mode, func(buf *sqlparser.TrackedBuffer, node sqlparser.SQLNode) {
		if f, ok := node.(*sqlparser.FuncExpr); ok {
			if v, ok := value(f); ok {
				print(buf, v)
				return
			}
		}
		node.Format(buf)
	})
	buf := sqlparser.NewTrackedBuffer(print)
	_, margins := sqlparser.SplitMarginComments(sql)
	buf.WriteString(margins.Leading)
	buf.Myprintf("%v", stmt)
	buf.WriteString(margins.Trailing)
	return buf.String()
}

func usesSessionFunction(e sqlparser.Expr) bool {
	text := sqlparser.String(e)
	for _, f := range sessionFunctions {
		if containsFold(text, f) {
			return true
		}
	}
	return false
}
