package vindex

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/xwb1989/sqlparser"
)

// fakeDB is an in-memory Querier: a few map-backed tables that understand
// the statements lookup vindexes generate (parsed with the same SQL parser
// the rewrite package uses, which also proves they parse). Every statement is
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
	stmt, err := sqlparser.Parse(sql)
	if err != nil {
		return nil, fmt.Errorf("fake: cannot parse %q: %v", sql, err)
	}
	table := func(te sqlparser.TableExprs) (*fakeTable, error) {
		name := sqlparser.String(te[0].(*sqlparser.AliasedTableExpr).Expr.(sqlparser.TableName))
		name = strings.ReplaceAll(name, "`", "")
		t, ok := tables[name]
		if !ok {
			return nil, fmt.Errorf("fake: no table %s", name)
		}
		return t, nil
	}
	switch s := stmt.(type) {
	case *sqlparser.Select:
		t, err := table(s.From)
		if err != nil {
			return nil, err
		}
		res := &Result{}
		for _, row := range t.rows {
			if ok, err := t.match(s.Where.Expr, row); err != nil {
				return nil, err
			} else if ok {
				var out []Value
				for _, e := range s.SelectExprs {
					out = append(out, row[t.col(e.(*sqlparser.AliasedExpr).Expr.(*sqlparser.ColName).Name.String())])
				}
				res.Rows = append(res.Rows, out)
			}
		}
		return res, nil
	case *sqlparser.Insert:
		t, ok := tables[strings.ReplaceAll(sqlparser.String(s.Table), "`", "")]
		if !ok {
			return nil, fmt.Errorf("fake: no table %s", sqlparser.String(s.Table))
		}
		next := append([][]Value(nil), t.rows...)
		for _, tuple := range s.Rows.(sqlparser.Values) {
			row := make([]Value, len(t.cols))
			for i, c := range s.Columns {
				v, err := literal(tuple[i])
				if err != nil {
					return nil, err
				}
				row[t.col(c.String())] = v
			}
			if dup := t.dup(next, row); dup >= 0 {
				switch {
				case s.Ignore != "":
					continue
				case len(s.OnDup) > 0:
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
	case *sqlparser.Update:
		t, err := table(s.TableExprs)
		if err != nil {
			return nil, err
		}
		res := &Result{}
		for _, row := range t.rows {
			if ok, err := t.match(s.Where.Expr, row); err != nil {
				return nil, err
			} else if ok {
				for _, e := range s.Exprs {
					v, err := literal(e.Expr)
					if err != nil {
						return nil, err
					}
					row[t.col(e.Name.Name.String())] = v
				}
				res.RowsAffected++
			}
		}
		return res, nil
	case *sqlparser.Delete:
		t, err := table(s.TableExprs)
		if err != nil {
			return nil, err
		}
		res := &Result{}
		var kept [][]Value
		for _, row := range t.rows {
			if ok, err := t.match(s.Where.Expr, row); err != nil {
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

// match evaluates the where clauses lookup vindexes write: =, in, and, or,
// parentheses.
func (t *fakeTable) match(e sqlparser.Expr, row []Value) (bool, error) {
	switch e := e.(type) {
	case *sqlparser.AndExpr:
		l, err := t.match(e.Left, row)
		if err != nil || !l {
			return false, err
		}
		return t.match(e.Right, row)
	case *sqlparser.OrExpr:
		l, err := t.match(e.Left, row)
		if err != nil || l {
			return l, err
		}
		return t.match(e.Right, row)
	case *sqlparser.ParenExpr:
		return t.match(e.Expr, row)
	case *sqlparser.ComparisonExpr:
		have := row[t.col(e.Left.(*sqlparser.ColName).Name.String())]
		switch e.Operator {
		case sqlparser.EqualStr:
			v, err := literal(e.Right)
			return err == nil && t.equal(have, v), err
		case sqlparser.InStr:
			for _, x := range e.Right.(sqlparser.ValTuple) {
				v, err := literal(x)
				if err != nil {
					return false, err
				}
				if t.equal(have, v) {
					return true, nil
				}
			}
			return false, nil
		}
	}
	return false, fmt.Errorf("fake: unsupported expression %s", sqlparser.String(e))
}

// literal decodes a parsed literal back into a Value.
func literal(e sqlparser.Expr) (Value, error) {
	switch e := e.(type) {
	case *sqlparser.NullVal:
		return Value{Kind: Null}, nil
	case *sqlparser.SQLVal:
		switch e.Type {
		case sqlparser.StrVal:
			return Value{VarChar, e.Val}, nil
		case sqlparser.IntVal:
			if e.Val[0] == '-' {
				return Value{Int64, e.Val}, nil
			}
			return Value{Uint64, e.Val}, nil
		case sqlparser.FloatVal:
			return Value{Float64, e.Val}, nil
		case sqlparser.HexVal:
			b, err := hex.DecodeString(string(e.Val))
			return Value{VarBinary, b}, err
		}
	}
	return Value{}, fmt.Errorf("fake: unsupported literal %s", sqlparser.String(e))
}
