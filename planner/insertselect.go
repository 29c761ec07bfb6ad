package planner

// INSERT … SELECT into a sharded table, or reading another keyspace than the
// one it writes, runs in two steps, as MySQL runs it (every row is read
// before any is written): the SELECT as a statement of its own (routed,
// merged, or evaluated by the engine, like any SELECT), then an INSERT …
// VALUES of its rows, planned like any INSERT (keyspace ids, sequences, owned
// lookup rows, one INSERT per shard, nothing left behind by a failure).

import (
	"github.com/pingcap/tidb/pkg/parser/ast"

	"sidecar/engine"
	"sidecar/sqlerr"
)

// planInsertSelect plans an INSERT … SELECT; planned is false for one that
// goes to its keyspace as sent (unsharded, reading only its own keyspace).
func (p *Planner) planInsertSelect(plan *Plan, ins *ast.InsertStmt, sess Session) (planned bool, err error) {
	var target *ast.TableName
	if ins.Table != nil && ins.Table.TableRefs != nil {
		if ts, ok := ins.Table.TableRefs.Left.(*ast.TableSource); ok {
			target, _ = ts.Source.(*ast.TableName)
		}
	}
	if target == nil {
		return false, nil
	}
	tks, err := p.keyspaceOf(target, sess)
	if err != nil || tks == nil {
		return false, err
	}
	from := tks
	for i, ref := range tablesOf(ins.Select) {
		ks, err := p.keyspaceOf(ref, sess)
		if err != nil {
			return false, err
		}
		if ks == nil {
			return false, sqlerr.Unsupported("an INSERT … SELECT reading %s, a backend's own schema", ref.Name.O)
		}
		if i > 0 && ks != from {
			return false, sqlerr.Unsupported("an INSERT … SELECT reading several keyspaces (%s and %s)", from.Name, ks.Name)
		}
		from = ks
	}
	if !tks.Sharded && from == tks {
		return false, nil
	}
	if plan.Unparsed != "" {
		return false, sqlerr.Unsupported("%s in an INSERT … SELECT into keyspace %s", plan.Unparsed, tks.Name)
	}
	if err := checkOnDupOfSelect(ins, target); err != nil {
		return false, err
	}
	if tks.Sharded && len(ins.Columns) == 0 {
		t, err := p.Topo.FindTable(tks.Name, target.Name.O)
		if err != nil {
			return false, err
		}
		if err := p.implicitColumns(ins, t); err != nil {
			return false, err
		}
	}
	plan.Keyspace, plan.Stmt, plan.Leading, plan.SelectFrom = tks, ins, leadingComments(plan.Query), from
	return true, nil
}

// InsertSource is the SELECT of an INSERT … SELECT, with the arguments of a
// prepared statement written in.
func InsertSource(plan *Plan, args Args) string {
	return printStmt("", plan.Stmt.(*ast.InsertStmt).Select, args, plan.Mode)
}

// InsertValues is the INSERT … VALUES of the rows the SELECT returned (at
// least one), ON DUPLICATE KEY UPDATE and IGNORE kept.
func InsertValues(plan *Plan, args Args, rows *engine.Result) (string, error) {
	ins := *plan.Stmt.(*ast.InsertStmt)
	if len(ins.Columns) > 0 && len(rows.Fields) != len(ins.Columns) {
		return "", sqlerr.New(1136, "21S01", "Column count doesn't match value count at row 1")
	}
	ins.Select = nil
	ins.Lists = make([][]ast.ExprNode, len(rows.Rows))
	for i, row := range rows.Rows {
		list := make([]ast.ExprNode, len(row))
		for j, v := range row {
			list[j] = literal(engine.ValueOf(v, rows.Fields[j].Kind))
		}
		ins.Lists[i] = list
	}
	return printStmt(plan.Leading, &ins, args, plan.Mode), nil
}

// checkOnDupOfSelect refuses an ON DUPLICATE KEY UPDATE that names a column
// other than as VALUES(col) or by the inserted table's name where the SELECT
// reads no table of that name: MySQL reads such a name as the SELECT's
// column where the SELECT has one, and refuses it as ambiguous (1052) where
// both tables have it, which the INSERT … VALUES the sidecar sends in its
// place can no longer say.
func checkOnDupOfSelect(ins *ast.InsertStmt, target *ast.TableName) error {
	if len(ins.OnDuplicate) == 0 {
		return nil
	}
	read := false // whether the SELECT names a table or alias as the target is named
	walk(ins.Select, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.TableName:
			read = read || x.Name.L == target.Name.L
		case *ast.TableSource:
			read = read || x.AsName.L == target.Name.L
		}
		return !read
	})
	var bare *ast.ColumnName
	for _, a := range ins.OnDuplicate {
		walk(a.Expr, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.ValuesExpr:
				return false
			case *ast.ColumnNameExpr:
				if x.Name.Table.L != target.Name.L || read {
					bare = x.Name
				}
			}
			return bare == nil
		})
	}
	if bare != nil {
		return sqlerr.Unsupported("column %s in ON DUPLICATE KEY UPDATE of an INSERT … SELECT across shards: MySQL reads it as the SELECT's column where the SELECT has one; write VALUES(col) for the inserted value, or %s.col for the row's own", bare.String(), target.Name.O)
	}
	return nil
}
