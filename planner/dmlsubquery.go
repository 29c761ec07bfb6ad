package planner

// UPDATE and DELETE whose WHERE or SET reads tables through subqueries that
// no single shard answers (a sharded keyspace's tables, another keyspace's)
// run in two steps: each subquery as a SELECT of its own (routed, merged or
// evaluated by the engine), then the statement with the subqueries' rows
// written in as values, planned like any UPDATE/DELETE (routed by the values
// when they land on a vindex column, lookups maintained). As in MariaDB, the
// subqueries see the rows as they were before the statement.
//
//	x IN (SELECT …)      → x IN (v1, v2, …), or FALSE without rows (NOT IN: TRUE)
//	EXISTS (SELECT …)    → TRUE or FALSE
//	x > ANY|ALL (SELECT …) → (x > v1 OR|AND x > v2 …), FALSE|TRUE without rows
//	(SELECT …)           → its one value (NULL without rows; ERROR 1242 for several)
//
// A correlated subquery (one naming a table of the statement) cannot run on
// its own and is refused, unless it reads only rows co-located with its
// outer row: then the shards answer the statement as it is.

import (
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/opcode"

	"sidecar/conf"
	"sidecar/engine"
	"sidecar/sqlerr"
	"sidecar/vindex"
)

// planDMLSubqueries marks an UPDATE/DELETE of one table whose subqueries read
// what its own keyspace's shard cannot answer; planned is false for any
// other statement.
func (p *Planner) planDMLSubqueries(plan *Plan, stmt ast.StmtNode, sess Session) (planned bool, err error) {
	var refs *ast.TableRefsClause
	switch s := stmt.(type) {
	case *ast.UpdateStmt:
		refs = s.TableRefs
	case *ast.DeleteStmt:
		if s.IsMultiTable {
			return false, nil
		}
		refs = s.TableRefs
	default:
		return false, nil
	}
	if refs == nil || refs.TableRefs == nil || refs.TableRefs.Right != nil {
		return false, nil
	}
	ts, ok := refs.TableRefs.Left.(*ast.TableSource)
	if !ok {
		return false, nil
	}
	target, ok := ts.Source.(*ast.TableName)
	if !ok {
		return false, nil
	}
	subs := outerSubqueries(stmt)
	if len(subs) == 0 {
		return false, nil
	}
	tks, err := p.keyspaceOf(target, sess)
	if err != nil || tks == nil {
		return false, err
	}
	foreign := false
	for _, sq := range subs {
		for _, ref := range tablesOf(sq) {
			ks, err := p.keyspaceOf(ref, sess)
			if err != nil {
				return false, err
			}
			if ks == nil {
				return false, sqlerr.Unsupported("a subquery reading %s, a backend's own schema, in a %s of keyspace %s", ref.Name.O, plan.Kind, tks.Name)
			}
			foreign = foreign || ks != tks
		}
	}
	if !foreign && tks.Sharded {
		foreign = !colocatedSubqueries(stmt, tks) // else each shard answers them
	}
	if !foreign {
		return false, nil
	}
	if plan.Unparsed != "" {
		return false, sqlerr.Unsupported("%s in a %s with subqueries across shards", plan.Unparsed, plan.Kind)
	}
	for _, sq := range subs {
		if name := correlation(sq); name != "" {
			return false, sqlerr.Unsupported("a correlated subquery (naming %s) in a %s across shards", name, plan.Kind)
		}
	}
	plan.Keyspace, plan.Stmt, plan.Leading, plan.Subqueries = tks, stmt, leadingComments(plan.Query), true
	return true, nil
}

// colocatedSubqueries: the subqueries of a one-table UPDATE or DELETE read
// only rows on their outer row's shard, bound to it by equalities of primary
// vindex columns of one vindex (orders.customer_id = customer.id), so each
// shard answers them for its own rows, correlated or not, and the statement
// goes to its shards as it is.
func colocatedSubqueries(stmt ast.StmtNode, ks *conf.Keyspace) bool {
	switch s := stmt.(type) {
	case *ast.UpdateStmt:
		if s.MultipleTable {
			return false
		}
	case *ast.DeleteStmt:
		if s.IsMultiTable {
			return false
		}
	default:
		return false
	}
	sel := joinedSelect(stmt)
	if sel.From == nil || sel.From.TableRefs == nil || sel.From.TableRefs.Right != nil {
		return false
	}
	subs := outerSubqueries(stmt)
	for _, sq := range subs {
		sel.Fields.Fields = append(sel.Fields.Fields, &ast.SelectField{Expr: sq})
	}
	return len(subs) > 0 && planJoin(sel, ks).Colocated
}

// outerSubqueries are a statement's subqueries that are not inside another.
func outerSubqueries(stmt ast.Node) []*ast.SubqueryExpr {
	var out []*ast.SubqueryExpr
	walk(stmt, func(n ast.Node) bool {
		if sq, ok := n.(*ast.SubqueryExpr); ok {
			out = append(out, sq)
			return false
		}
		return true
	})
	return out
}

// correlation names a column of a subquery qualified by a table the
// subquery does not define ("" for none).
func correlation(sq *ast.SubqueryExpr) string {
	own := map[string]bool{}
	walk(sq, func(n ast.Node) bool {
		switch t := n.(type) {
		case *ast.TableSource:
			if t.AsName.L != "" {
				own[t.AsName.L] = true
			} else if tn, ok := t.Source.(*ast.TableName); ok {
				own[tn.Name.L] = true
			}
		case *ast.CommonTableExpression:
			own[t.Name.L] = true
		}
		return true
	})
	name := ""
	walk(sq, func(n ast.Node) bool {
		if c, ok := n.(*ast.ColumnNameExpr); ok && c.Name.Table.L != "" && !own[c.Name.Table.L] && name == "" {
			name = c.Name.Table.O + "." + c.Name.Name.O
		}
		return name == ""
	})
	return name
}

// DMLSubqueries is one execution of an UPDATE/DELETE with subqueries: its
// own parse, whose subqueries are replaced by their rows.
type DMLSubqueries struct {
	plan *Plan
	stmt ast.StmtNode
	subs []*ast.SubqueryExpr
	// Selects are the subqueries to run, in order, with their keyspace.
	Selects   []string
	Keyspaces []string
}

// PlanDMLSubqueries parses the statement (with a prepared statement's
// arguments written in) and lists its subqueries.
func (p *Planner) PlanDMLSubqueries(plan *Plan, args Args, sess Session) (*DMLSubqueries, error) {
	stmt, err := parse(plan.Text(args), plan.Mode)
	if err != nil {
		return nil, errSyntax(err)
	}
	d := &DMLSubqueries{plan: plan, stmt: stmt, subs: outerSubqueries(stmt)}
	for _, sq := range d.subs {
		// The subquery's names mean what they meant in the statement: the
		// session's keyspace, or where its first table is.
		ks := p.Topo.Keyspaces[sess.Keyspace]
		if tables := tablesOf(sq); ks == nil && len(tables) > 0 {
			if ks, err = p.keyspaceOf(tables[0], sess); err != nil {
				return nil, err
			}
		}
		if ks == nil {
			ks = plan.Keyspace
		}
		d.Selects = append(d.Selects, printStmt("", sq.Query, nil, plan.Mode))
		d.Keyspaces = append(d.Keyspaces, ks.Name)
	}
	return d, nil
}

// Substitute writes the subqueries' rows (results[i] of Selects[i]) into the
// statement and prints it.
func (d *DMLSubqueries) Substitute(results []*engine.Result) (string, error) {
	rowsOf := map[*ast.SubqueryExpr]*engine.Result{}
	for i, sq := range d.subs {
		rowsOf[sq] = results[i]
	}
	// The subqueries of IN, EXISTS and ANY/ALL are replaced with their
	// expression; the others by their value.
	wrapped := map[ast.ExprNode]bool{}
	walk(d.stmt, func(n ast.Node) bool {
		switch t := n.(type) {
		case *ast.PatternInExpr:
			wrapped[t.Sel] = true
		case *ast.ExistsSubqueryExpr:
			wrapped[t.Sel] = true
		case *ast.CompareSubqueryExpr:
			wrapped[t.R] = true
		}
		return true
	})
	var err error
	truth := func(b bool) ast.ExprNode {
		if b {
			return literal(vindex.NewInt64(1))
		}
		return literal(vindex.NewInt64(0))
	}
	d.stmt.Accept(&replacer{leave: func(n ast.Node) ast.Node {
		switch t := n.(type) {
		case *ast.PatternInExpr:
			if sq, ok := t.Sel.(*ast.SubqueryExpr); ok && rowsOf[sq] != nil {
				res := rowsOf[sq]
				if len(res.Rows) == 0 {
					return truth(t.Not)
				}
				return &ast.PatternInExpr{Expr: t.Expr, Not: t.Not, List: rowValues(res)}
			}
		case *ast.ExistsSubqueryExpr:
			if sq, ok := t.Sel.(*ast.SubqueryExpr); ok && rowsOf[sq] != nil {
				return truth((len(rowsOf[sq].Rows) > 0) != t.Not)
			}
		case *ast.CompareSubqueryExpr:
			if sq, ok := t.R.(*ast.SubqueryExpr); ok && rowsOf[sq] != nil {
				res := rowsOf[sq]
				if len(res.Rows) == 0 {
					return truth(t.All)
				}
				op := opcode.LogicOr
				if t.All {
					op = opcode.LogicAnd
				}
				var expr ast.ExprNode
				for _, v := range rowValues(res) {
					cmp := &ast.BinaryOperationExpr{Op: t.Op, L: t.L, R: v}
					if expr == nil {
						expr = cmp
					} else {
						expr = &ast.BinaryOperationExpr{Op: op, L: expr, R: cmp}
					}
				}
				return &ast.ParenthesesExpr{Expr: expr}
			}
		case *ast.SubqueryExpr:
			res := rowsOf[t]
			if res == nil || wrapped[t] {
				return n
			}
			switch {
			case len(res.Rows) > 1:
				err = sqlerr.New(1242, "21000", "Subquery returns more than 1 row")
			case len(res.Rows) == 0 && len(res.Fields) == 1:
				return literal(vindex.Value{Kind: vindex.Null})
			case len(res.Rows) == 0:
				nulls := make([]ast.ExprNode, len(res.Fields))
				for i := range nulls {
					nulls[i] = literal(vindex.Value{Kind: vindex.Null})
				}
				return &ast.RowExpr{Values: nulls}
			default:
				return rowValues(res)[0]
			}
		}
		return n
	}})
	if err != nil {
		return "", err
	}
	return printStmt(d.plan.Leading, d.stmt, nil, d.plan.Mode), nil
}

// rowValues are a result's rows as literals: values, or row constructors
// for several columns.
func rowValues(res *engine.Result) []ast.ExprNode {
	out := make([]ast.ExprNode, len(res.Rows))
	for i, row := range res.Rows {
		vals := make([]ast.ExprNode, len(row))
		for j, v := range row {
			vals[j] = literal(engine.ValueOf(v, res.Fields[j].Kind))
		}
		if len(vals) == 1 {
			out[i] = vals[0]
		} else {
			out[i] = &ast.RowExpr{Values: vals}
		}
	}
	return out
}
