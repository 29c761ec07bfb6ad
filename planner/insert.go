package planner

import (
	"slices"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/opcode"

	"sidecar/conf"
	"sidecar/engine"
	"sidecar/sqlerr"
	"sidecar/vindex"
)

// insertTemplate is a plan's engine.Insert, or why the INSERT is refused.
type insertTemplate struct {
	ins *engine.Insert
	err error
}

// PlanInsert plans an INSERT (or REPLACE) into a table with vindexes or a
// sequence as an engine.Insert: its columns (the vindex and auto-increment
// columns it leaves out added as NULL), each row's cells as literals,
// arguments or expressions, and the text around the rows. It does no I/O and
// runs once per statement shape and per prepared statement; each execution
// runs the Insert with its arguments (Insert.Run).
func PlanInsert(plan *Plan) (*engine.Insert, error) {
	t := plan.insert.get(func() insertTemplate {
		ins, err := planInsert(plan)
		return insertTemplate{ins, err}
	})
	return t.ins, t.err
}

func planInsert(plan *Plan) (*engine.Insert, error) {
	ins, t := plan.Stmt.(*ast.InsertStmt), plan.Table
	returning := plan.Unparsed == "RETURNING"
	switch {
	case returning && ins.IgnoreErr:
		// Which rows a shard skipped is known from its counts, not from
		// the rows it returns. (ON DUPLICATE KEY UPDATE returns one row
		// per row sent, inserted or updated, in their order.)
		return nil, sqlerr.Unsupported("RETURNING in an INSERT IGNORE into sharded table %s", t)
	case returning && tailReads(plan.Tail):
		return nil, sqlerr.Unsupported("a subquery in the RETURNING of an INSERT into sharded table %s: each shard would answer it from its own rows", t)
	case returning && plan.Prepared && strings.Contains(plan.Tail, "?"):
		return nil, sqlerr.Unsupported("a ? in the RETURNING of a prepared INSERT into sharded table %s: the clause goes to the shards as written", t)
	case plan.Unparsed != "" && !returning:
		// The rows' values are filled in and split by shard: the statement
		// is printed again without the clause.
		return nil, sqlerr.Unsupported("%s in an INSERT into sharded table %s", plan.Unparsed, t)
	}
	if ins.Select != nil {
		return nil, sqlerr.Unsupported("INSERT … SELECT into sharded table %s", t)
	}
	if err := checkOnDup(ins.OnDuplicate, t); err != nil {
		return nil, err
	}
	if t.Keyspace.Sharded {
		if cv := t.Primary(); len(cv.Columns) != 1 {
			return nil, sqlerr.Unsupported("multi-column primary vindex %s", cv.Name)
		}
	}
	for _, cv := range t.Owned {
		if _, ok := cv.Vindex.(vindex.Lookup); !ok {
			return nil, sqlerr.Unsupported("owned vindex %s of type %s", cv.Name, cv.Type)
		}
	}
	out := &engine.Insert{Table: t, Ignore: ins.IgnoreErr || len(ins.OnDuplicate) > 0, Upsert: len(ins.OnDuplicate) > 0,
		NoBackslashEscapes: plan.Mode.NoBackslashEscapes, Returning: returning}
	cols := append([]*ast.ColumnName(nil), ins.Columns...)
	for _, c := range ins.Columns {
		out.Columns = append(out.Columns, c.Name.L)
	}
	var added []string // vindex and auto-increment columns the statement leaves out
	have := func(name string) bool {
		name = strings.ToLower(name)
		for _, c := range out.Columns {
			if c == name {
				return true
			}
		}
		for _, c := range added {
			if c == name {
				return true
			}
		}
		return false
	}
	if t.Keyspace.Sharded {
		for _, cv := range t.ColumnVindexes {
			for _, col := range cv.Columns {
				if !have(col) {
					added = append(added, strings.ToLower(col))
				}
			}
		}
	}
	if ai := t.AutoIncrement; ai != nil && !have(ai.Column) {
		added = append(added, strings.ToLower(ai.Column))
	}
	for _, c := range added {
		out.Columns = append(out.Columns, c)
		cols = append(cols, &ast.ColumnName{Name: ast.NewCIStr(c)})
	}
	out.Added = len(added)
	out.Assigns = assignsVariable(ins) || returning && strings.Contains(plan.Tail, ":=")
	null := engine.Cell{SQL: engine.Template{{Text: "null"}}, Known: true, Value: vindex.Value{Kind: vindex.Null}}
	out.Rows = make([][]engine.Cell, len(ins.Lists))
	for i, row := range ins.Lists {
		if len(row) != len(ins.Columns) {
			return nil, sqlerr.New(1136, "21S01", "Column count doesn't match value count at row %d", i+1)
		}
		cells := make([]engine.Cell, 0, len(out.Columns))
		for _, e := range row {
			cells = append(cells, cellOf(e, plan.Mode))
		}
		for range added {
			cells = append(cells, null)
		}
		out.Rows[i] = cells
	}
	// The text around the rows: the statement printed with one mark for its
	// rows, in the VALUES form whatever form the client used.
	shape := *ins
	shape.Columns, shape.Lists, shape.Setlist = cols, [][]ast.ExprNode{{&rowsMark{}}}, false
	text, mark := printTemplate(plan.Leading, &shape, plan.Mode)
	out.Prefix, out.Suffix = text[:mark:mark], append(engine.Template(nil), text[mark:]...)
	last := &out.Prefix[len(out.Prefix)-1]
	last.Text = strings.TrimSuffix(last.Text, "(")
	out.Suffix[0].Text = strings.TrimPrefix(out.Suffix[0].Text, ")")
	if returning {
		out.Suffix = append(out.Suffix, engine.Piece{Text: plan.Tail}) // as the client wrote it
	}
	return out, nil
}

// tailReads reports a subquery in a clause the parser left out (MariaDB's
// RETURNING), which a shard would answer from its own rows.
func tailReads(tail string) bool {
	for _, t := range scanTokens(tail) {
		if t.word == "select" {
			return true
		}
	}
	return false
}

// cellOf plans one value of an INSERT row: what it is, and its text.
func cellOf(e ast.ExprNode, mode SQLMode) engine.Cell {
	c := valueCell(e)
	c.SQL, _ = printTemplate("", e, mode)
	return c
}

// valueCell says what a value is: a literal (with its value), an argument,
// -argument, DEFAULT, or none of these (an expression); without its text.
func valueCell(e ast.ExprNode) engine.Cell {
	switch v := e.(type) {
	case *paramExpr:
		return engine.Cell{Arg: v.n + 1}
	case *ast.DefaultExpr:
		return engine.Cell{Default: v.Name == nil}
	case *ast.UnaryOperationExpr:
		if p, ok := v.V.(*paramExpr); ok && v.Op == opcode.Minus {
			return engine.Cell{Arg: p.n + 1, Negate: true}
		}
	}
	c := engine.Cell{}
	c.Value, c.Known = valueOf(e, nil)
	return c
}

// checkOnDup refuses ON DUPLICATE KEY UPDATE of vindex columns: the row would
// move shards or orphan its lookup rows. Exceptions: an assignment that
// leaves the column as it is (id = LAST_INSERT_ID(id), MySQL's idiom for
// the id of the row an upsert updated), and one ORMs' upserts write for
// every column (GORM's saves of a parent's children too): pk = VALUES(pk)
// of the primary vindex column, itself no lookup. The row it updates is on
// the shard the new row's value routes to, so the value it gets stays on
// that shard; the unique lookup rows of the row's other columns keep its
// former keyspace id, which is on that shard too (as in Vitess), and become
// orphans when it goes. Not with a non-unique lookup: its row of the former
// keyspace id is shared, and goes with the last owner row of that keyspace
// id (engine.OwnedLookups), which would leave the moved row without one.
func checkOnDup(onDup []*ast.Assignment, t *conf.Table) error {
	uniqueLookups := !slices.ContainsFunc(t.Owned, func(cv *conf.ColumnVindex) bool { return !cv.Vindex.IsUnique() })
	for _, upd := range onDup {
		vindexes := t.VindexesOn(upd.Column.Name.O)
		if len(vindexes) == 0 || unchanged(upd.Expr, upd.Column) ||
			len(vindexes) == 1 && vindexes[0] == t.Primary() && !vindexes[0].Owned && uniqueLookups && valuesOf(upd.Expr, upd.Column) {
			continue
		}
		return sqlerr.Unsupported("ON DUPLICATE KEY UPDATE of vindex column %s of table %s", upd.Column.Name.O, t)
	}
	return nil
}

// unchanged reports e is col's value as it is: col itself, or
// LAST_INSERT_ID(col), which only makes it the session's LAST_INSERT_ID().
func unchanged(e ast.ExprNode, col *ast.ColumnName) bool {
	switch e := e.(type) {
	case *ast.ColumnNameExpr:
		return e.Name.Name.L == col.Name.L
	case *ast.FuncCallExpr:
		return e.FnName.L == "last_insert_id" && len(e.Args) == 1 && unchanged(e.Args[0], col)
	}
	return false
}

// valuesOf reports e is VALUES(col), the inserted row's own value of col.
func valuesOf(e ast.ExprNode, col *ast.ColumnName) bool {
	v, ok := e.(*ast.ValuesExpr)
	return ok && v.Column != nil && v.Column.Name.Name.L == col.Name.L
}
