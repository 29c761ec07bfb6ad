package planner

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"sidecar/conf"
	"sidecar/sqlerr"
)

// An INSERT without a column list into a sharded table names its values by
// position: the sidecar must know which is the vindex column's. A VSchema
// with column_list_authoritative lists the columns; otherwise the table's
// columns are learned from its first shard (information_schema, read by the
// session: planning does no I/O) and kept in the planner, as Vitess's schema
// tracking keeps them. A DDL statement through the sidecar puts a new planner
// in force, which learns them again; so does a row whose number of values
// is not the number of columns learned (the table changed behind the
// sidecar's back).

// tableColumns are the columns learned of sharded tables, by keyspace and
// table; they only grow (a planner that must forget them is replaced).
type tableColumns struct {
	mu   sync.RWMutex
	cols map[string][]string
}

func columnsKey(t *conf.Table) string { return t.Keyspace.Name + "." + t.Name }

func (c *tableColumns) get(t *conf.Table) []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.cols[columnsKey(t)]
}

// LearnColumns keeps t's columns, in order, as its first shard lists them.
func (p *Planner) LearnColumns(t *conf.Table, cols []string) {
	p.columns.mu.Lock()
	defer p.columns.mu.Unlock()
	if p.columns.cols == nil {
		p.columns.cols = map[string][]string{}
	}
	p.columns.cols[columnsKey(t)] = slices.Clone(cols)
}

// KnowsColumnsOf reports whether the planner learned columns of keyspace ks
// (of any keyspace for ""), which a DDL statement there may have changed.
func (p *Planner) KnowsColumnsOf(ks string) bool {
	p.columns.mu.RLock()
	defer p.columns.mu.RUnlock()
	for key := range p.columns.cols {
		if ks == "" || len(key) > len(ks) && key[:len(ks)] == ks && key[len(ks)] == '.' {
			return true
		}
	}
	return false
}

// NeedColumns is the planner asking for Table's columns: an INSERT without
// a column list needs them. Known are the columns learned before, which the
// number of values of row Row (from 1) contradicts (nil: none learned).
type NeedColumns struct {
	Table *conf.Table
	Known []string
	Row   int
}

func (e *NeedColumns) Error() string {
	return fmt.Sprintf("the columns of %s are needed", e.Table)
}

// CountError is MySQL's answer to a row of n values where the table has the
// columns known: what the client gets when the columns read again are still
// those.
func (e *NeedColumns) CountError() error {
	return sqlerr.New(1136, "21S01", "Column count doesn't match value count at row %d", max(e.Row, 1))
}

// ColumnsQuery reads t's columns from its shard's database db, in order,
// without the invisible ones (which an INSERT without a column list leaves
// out, on MariaDB and MySQL alike).
func ColumnsQuery(db string, t *conf.Table) string {
	return "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = " + utf8Literal(db) +
		" AND TABLE_NAME = " + utf8Literal(t.Name) + " AND EXTRA NOT LIKE '%INVISIBLE%' ORDER BY ORDINAL_POSITION"
}

// implicitColumns gives an INSERT without a column list into a sharded table
// its columns: the VSchema's when its list is authoritative, else the ones
// learned (NeedColumns when there are none yet, or a row has another number
// of values).
func (p *Planner) implicitColumns(ins *ast.InsertStmt, t *conf.Table) error {
	if len(ins.Columns) > 0 || !t.Keyspace.Sharded || allEmpty(ins.Lists) {
		return nil // VALUES () is every column's default: the vindex columns are added as NULL
	}
	cols := t.Columns
	if !t.ColumnListAuthoritative || len(cols) == 0 {
		cols = p.columns.get(t)
		if cols == nil {
			return &NeedColumns{Table: t}
		}
		for i, row := range ins.Lists {
			if len(row) != len(cols) {
				return &NeedColumns{Table: t, Known: cols, Row: i + 1}
			}
		}
	}
	for _, c := range cols {
		ins.Columns = append(ins.Columns, &ast.ColumnName{Name: ast.NewCIStr(c)})
	}
	return nil
}

func allEmpty(rows [][]ast.ExprNode) bool {
	for _, row := range rows {
		if len(row) > 0 {
			return false
		}
	}
	return len(rows) > 0
}

// groupByAlias reports a GROUP BY of a name that is also an alias of sel's
// select list, of another expression than a column of that name: which one
// MySQL groups by depends on the table having such a column.
func groupByAlias(sel *ast.SelectStmt) bool {
	if sel.GroupBy == nil || sel.Fields == nil {
		return false
	}
	for _, by := range sel.GroupBy.Items {
		cn, ok := by.Expr.(*ast.ColumnNameExpr)
		if !ok || cn.Name.Table.L != "" {
			continue
		}
		for _, f := range sel.Fields.Fields {
			if f.AsName.L != cn.Name.Name.L {
				continue
			}
			if col, ok := f.Expr.(*ast.ColumnNameExpr); !ok || col.Name.Name.L != cn.Name.Name.L {
				return true
			}
		}
	}
	return false
}

// columnSet is t's columns, lower-case: the VSchema's when its list is
// authoritative, else the ones learned (NeedColumns when none are yet).
func (p *Planner) columnSet(t *conf.Table) (map[string]bool, error) {
	cols := t.Columns
	if !t.ColumnListAuthoritative || len(cols) == 0 {
		if cols = p.columns.get(t); cols == nil {
			return nil, &NeedColumns{Table: t}
		}
	}
	set := make(map[string]bool, len(cols))
	for _, c := range cols {
		set[strings.ToLower(c)] = true
	}
	return set, nil
}
