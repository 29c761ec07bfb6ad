package vindex

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/format"
	"github.com/pingcap/tidb/pkg/parser/mysql"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	"github.com/pingcap/tidb/pkg/parser/test_driver"
)

// fakeDB is an in-memory Querier: a few map-backed tables that understand
// the statements lookup vindexes generate (parsed with the same SQL parser
// the planner package uses, which also proves they parse). Every statement is
// logged as "<order> <sql>", or "<order> ks=<keyspace> ksid=<hex> <sql>" for
// ExecuteKeyspaceID.
type fakeDB struct {
	tables  map[string]*fakeTable // by name as written in SQL ("t", "ks.t")
	owners  map[string]*fakeTable // owner tables by "keyspace.table"
	inTxDML bool
	log     []string
	// fail makes the first statement containing the key fail with the error
	// (once).
	fail map[string]error
}

type fakeTable struct {
	cols []string
	key  []string // unique key columns: a duplicate is error 1062
	ci   bool     // compare text case-insensitively, like a _ci collation
	rows [][]Value
}

func newFakeDB() *fakeDB {
	return &fakeDB{tables: map[string]*fakeTable{}, owners: map[string]*fakeTable{}, fail: map[string]error{}}
}

// fakeSQLError is a backend error with a MySQL error number.
type fakeSQLError struct {
	num uint16
	msg string
}

func (e *fakeSQLError) Error() string          { return fmt.Sprintf("%s (errno %d)", e.msg, e.num) }
func (e *fakeSQLError) SQLErrorNumber() uint16 { return e.num }

var orderNames = map[CommitOrder]string{CommitNormal: "normal", CommitPre: "pre", CommitPost: "post", CommitAutocommit: "autocommit"}

func (db *fakeDB) InTransactionAndIsDML() bool { return db.inTxDML }

func (db *fakeDB) NoBackslashEscapes() bool { return false }

func (db *fakeDB) Execute(_ context.Context, sql string, order CommitOrder) (*Result, error) {
	db.log = append(db.log, orderNames[order]+" "+sql)
	return db.run(sql, db.tables)
}

func (db *fakeDB) ExecuteKeyspaceID(_ context.Context, keyspace string, ksid KeyspaceID, sql string, order CommitOrder) (*Result, error) {
	db.log = append(db.log, fmt.Sprintf("%s ks=%s ksid=%x %s", orderNames[order], keyspace, []byte(ksid), sql))
	tables := map[string]*fakeTable{}
	for name, t := range db.owners {
		if ks, tbl, _ := strings.Cut(name, "."); ks == keyspace {
			tables[tbl] = t
		}
	}
	return db.run(sql, tables)
}

func (db *fakeDB) run(sql string, tables map[string]*fakeTable) (*Result, error) {
	for k, err := range db.fail {
		if strings.Contains(sql, k) {
			delete(db.fail, k)
			return nil, err
		}
	}
	// A parser is not goroutine safe: one per statement.
	stmt, err := parser.New().ParseOneStmt(sql, "", "")
	if err != nil {
		return nil, fmt.Errorf("fake: cannot parse %q: %v", sql, err)
	}
	table := func(refs *ast.TableRefsClause) (*fakeTable, error) {
		name := tableName(refs)
		t, ok := tables[name]
		if !ok {
			return nil, fmt.Errorf("fake: no table %s", name)
		}
		return t, nil
	}
	switch s := stmt.(type) {
	case *ast.SelectStmt:
		t, err := table(s.From)
		if err != nil {
			return nil, err
		}
		res := &Result{}
		for _, row := range t.rows {
			if ok, err := t.match(sql, s.Where, row); err != nil {
				return nil, err
			} else if ok {
				var out []Value
				for _, f := range s.Fields.Fields {
					out = append(out, row[t.col(f.Expr.(*ast.ColumnNameExpr).Name.Name.O)])
				}
				res.Rows = append(res.Rows, out)
			}
		}
		return res, nil
	case *ast.InsertStmt:
		t, err := table(s.Table)
		if err != nil {
			return nil, err
		}
		next := append([][]Value(nil), t.rows...)
		for _, tuple := range s.Lists {
			row := make([]Value, len(t.cols))
			for i, c := range s.Columns {
				v, err := literal(sql, tuple[i])
				if err != nil {
					return nil, err
				}
				row[t.col(c.Name.O)] = v
			}
			if dup := t.dup(next, row); dup >= 0 {
				switch {
				case s.IgnoreErr:
					continue
				case len(s.OnDuplicate) > 0:
					next[dup] = row
					continue
				}
				return nil, &fakeSQLError{1062, fmt.Sprintf("Duplicate entry '%s' for key 'PRIMARY'", row[t.col(t.key[0])].Raw)}
			}
			next = append(next, row)
		}
		res := &Result{RowsAffected: uint64(len(next) - len(t.rows))}
		t.rows = next
		return res, nil
	case *ast.UpdateStmt:
		t, err := table(s.TableRefs)
		if err != nil {
			return nil, err
		}
		res := &Result{}
		for _, row := range t.rows {
			if ok, err := t.match(sql, s.Where, row); err != nil {
				return nil, err
			} else if ok {
				for _, a := range s.List {
					v, err := literal(sql, a.Expr)
					if err != nil {
						return nil, err
					}
					row[t.col(a.Column.Name.O)] = v
				}
				res.RowsAffected++
			}
		}
		return res, nil
	case *ast.DeleteStmt:
		t, err := table(s.TableRefs)
		if err != nil {
			return nil, err
		}
		res := &Result{}
		var kept [][]Value
		for _, row := range t.rows {
			if ok, err := t.match(sql, s.Where, row); err != nil {
				return nil, err
			} else if ok {
				res.RowsAffected++
				continue
			}
			kept = append(kept, row)
		}
		t.rows = kept
		return res, nil
	}
	return nil, fmt.Errorf("fake: unsupported statement %q", sql)
}

// tableName is the single table of a FROM / INTO / UPDATE clause as written
// ("t" or "ks.t"), without quotes.
func tableName(refs *ast.TableRefsClause) string {
	tn := refs.TableRefs.Left.(*ast.TableSource).Source.(*ast.TableName)
	if tn.Schema.O != "" {
		return tn.Schema.O + "." + tn.Name.O
	}
	return tn.Name.O
}

// sqlString renders a node for error messages.
func sqlString(n ast.Node) string {
	if n == nil {
		return "<nil>"
	}
	var b strings.Builder
	if err := n.Restore(format.NewRestoreCtx(format.DefaultRestoreFlags, &b)); err != nil {
		return fmt.Sprintf("%T", n)
	}
	return b.String()
}

func (t *fakeTable) col(name string) int {
	for i, c := range t.cols {
		if c == name {
			return i
		}
	}
	panic("fake: no column " + name)
}

// dup returns the index of the row in rows with row's key, or -1.
func (t *fakeTable) dup(rows [][]Value, row []Value) int {
next:
	for i, r := range rows {
		for _, k := range t.key {
			if !t.equal(r[t.col(k)], row[t.col(k)]) {
				continue next
			}
		}
		return i
	}
	return -1
}

func (t *fakeTable) equal(a, b Value) bool {
	if a.IsNull() || b.IsNull() {
		return false
	}
	if t.ci && a.Kind != VarBinary && b.Kind != VarBinary {
		return bytes.EqualFold(a.Raw, b.Raw)
	}
	return bytes.Equal(a.Raw, b.Raw)
}

// match evaluates the where clauses lookup vindexes write: =, in (of values
// or of rows), and, or, parentheses.
func (t *fakeTable) match(sql string, e ast.ExprNode, row []Value) (bool, error) {
	switch e := e.(type) {
	case *ast.BinaryOperationExpr:
		switch e.Op {
		case opcode.LogicAnd:
			l, err := t.match(sql, e.L, row)
			if err != nil || !l {
				return false, err
			}
			return t.match(sql, e.R, row)
		case opcode.LogicOr:
			l, err := t.match(sql, e.L, row)
			if err != nil || l {
				return l, err
			}
			return t.match(sql, e.R, row)
		case opcode.EQ:
			have := row[t.col(e.L.(*ast.ColumnNameExpr).Name.Name.O)]
			v, err := literal(sql, e.R)
			return err == nil && t.equal(have, v), err
		}
	case *ast.ParenthesesExpr:
		return t.match(sql, e.Expr, row)
	case *ast.PatternInExpr:
		if e.Not || e.Sel != nil {
			break
		}
		if cols, ok := e.Expr.(*ast.RowExpr); ok {
			// (a, b) in ((1, 2), …): every column equal to its value.
			for _, x := range e.List {
				vals, ok := x.(*ast.RowExpr)
				if !ok || len(vals.Values) != len(cols.Values) {
					return false, fmt.Errorf("fake: row %s against %s", sqlString(x), sqlString(cols))
				}
				all := true
				for i, c := range cols.Values {
					v, err := literal(sql, vals.Values[i])
					if err != nil {
						return false, err
					}
					all = all && t.equal(row[t.col(c.(*ast.ColumnNameExpr).Name.Name.O)], v)
				}
				if all {
					return true, nil
				}
			}
			return false, nil
		}
		have := row[t.col(e.Expr.(*ast.ColumnNameExpr).Name.Name.O)]
		for _, x := range e.List {
			v, err := literal(sql, x)
			if err != nil {
				return false, err
			}
			if t.equal(have, v) {
				return true, nil
			}
		}
		return false, nil
	}
	return false, fmt.Errorf("fake: unsupported expression %s", sqlString(e))
}

// literal decodes a parsed literal of the statement sql back into a Value,
// as the SQL text reads: a string is VARCHAR, [_binary] X'…' VARBINARY, an integer
// UINT64 (INT64 when negative: a sign in front of an integer literal is
// folded into it), a decimal or float FLOAT64 and NULL is NULL. A number
// keeps its text as written ("007", "1e3").
func literal(sql string, e ast.ExprNode) (Value, error) {
	switch e := e.(type) {
	case *ast.UnaryOperationExpr:
		if e.Op != opcode.Minus && e.Op != opcode.Plus {
			break
		}
		v, err := literal(sql, e.V)
		if err != nil || (v.Kind != Int64 && v.Kind != Uint64) {
			break // only an integer takes a sign
		}
		if e.Op == opcode.Plus {
			return v, nil
		}
		if v.Raw[0] == '-' {
			return Value{Uint64, v.Raw[1:]}, nil
		}
		return Value{Int64, append([]byte("-"), v.Raw...)}, nil
	case *test_driver.ValueExpr:
		switch e.Kind() {
		case test_driver.KindNull:
			return Value{Kind: Null}, nil
		case test_driver.KindString:
			return Value{VarChar, []byte(e.GetString())}, nil
		case test_driver.KindBinaryLiteral:
			t := sql[e.OriginTextPosition():]
			if len(t) > 8 && strings.EqualFold(t[:8], "_binary ") {
				t = t[8:]
			}
			if t[0] != 'X' && t[0] != 'x' || t[1] != '\'' {
				break // 0x…, b'…'
			}
			return Value{VarBinary, append([]byte{}, e.GetBinaryLiteral()...)}, nil
		case test_driver.KindInt64:
			if mysql.HasIsBooleanFlag(e.Type.GetFlag()) {
				break // TRUE / FALSE
			}
			fallthrough
		case test_driver.KindUint64, test_driver.KindMysqlDecimal, test_driver.KindFloat64:
			// An integer (too big for uint64: a decimal), a decimal or a
			// float, as written.
			text := numberText(sql[e.OriginTextPosition():])
			if isInteger(text, false) {
				return Value{Uint64, text}, nil
			}
			if IsNumber(text) {
				return Value{Float64, text}, nil
			}
		}
	}
	return Value{}, fmt.Errorf("fake: unsupported literal %s", sqlString(e))
}

// numberText is the unsigned number literal at the start of s:
// digits[.digits][e[+-]digits] (or .digits…).
func numberText(s string) []byte {
	i := 0
	digits := func() {
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	digits()
	if i < len(s) && s[i] == '.' {
		i++
		digits()
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		k := i
		if digits(); i == k {
			i = j // not an exponent
		}
	}
	return []byte(s[:i])
}
