package planner

import (
	"context"
	"slices"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/opcode"

	"sidecar/conf"
	"sidecar/engine"
	"sidecar/sqlerr"
)

// RouteStatement finds the shards of a planned SELECT/UPDATE/DELETE on a
// sharded table from equality or IN conditions on its vindex columns (the
// cheapest vindex wins); without one it scatters. Things a plain
// concatenation of per-shard results would answer wrongly are refused.
func RouteStatement(ctx context.Context, plan *Plan, args Args, cur engine.VindexCursor) (*engine.Routed, error) {
	r, err := routeStatement(ctx, plan, args, cur)
	switch {
	case err != nil || len(r.Shards) < 2:
	case plan.Unparsed == "RETURNING" && plan.Kind == KindDelete && !ordered(plan.Stmt) && !tailReads(plan.Tail) && !strings.Contains(plan.Tail, ":="):
		// Each shard returns the rows it deleted, which go to the client
		// one shard's after another's (in no order, as without ORDER BY
		// on one server).
	case plan.Unparsed != "":
		// The clause the parser cannot read stays as the client wrote it,
		// which one shard answers; a merge would have to understand it.
		return nil, sqlerr.Unsupported("%s in a %s across shards of %s", plan.Unparsed, strings.ToUpper(plan.Kind.String()), plan.Table)
	case plan.Assigns:
		// Each shard would count its own rows in its own variable (a SELECT
		// is evaluated instead, over all the rows in one place).
		return nil, sqlerr.Unsupported("assigning user variables (@v := …) in %s statements across shards of %s", strings.ToUpper(plan.Kind.String()), plan.Table)
	}
	return r, err
}

func routeStatement(ctx context.Context, plan *Plan, args Args, cur engine.VindexCursor) (*engine.Routed, error) {
	var shards []*conf.Shard
	var values [][]int
	var scatter bool
	var err error
	if r, ok := plan.router.(*engine.Route); ok && r.Opcode == engine.IN {
		shards, values, scatter, err = r.Split(ctx, cur, args)
	} else {
		shards, scatter, err = plan.router.Shards(ctx, cur, args)
	}
	if err != nil {
		return nil, err
	}
	if len(shards) > 1 && !plan.Joined {
		// A join goes to several shards only co-located, where each shard
		// answers its part.
		if err := checkScatter(plan); err != nil {
			return nil, err
		}
	}
	return &engine.Routed{Shards: shards, Scatter: scatter, Values: values, Route: plan.router}, nil
}

func whereOf(stmt ast.StmtNode) (ast.ExprNode, string) {
	switch s := stmt.(type) {
	case *ast.SelectStmt:
		return s.Where, aliasOf(s.From)
	case *ast.UpdateStmt:
		return s.Where, aliasOf(s.TableRefs)
	case *ast.DeleteStmt:
		return s.Where, aliasOf(s.TableRefs)
	}
	return nil, ""
}

// aliasOf is the alias of a FROM clause's one table, if it has one.
func aliasOf(from *ast.TableRefsClause) string {
	if from == nil || from.TableRefs == nil || from.TableRefs.Right != nil {
		return ""
	}
	if ts, ok := from.TableRefs.Left.(*ast.TableSource); ok {
		return ts.AsName.L
	}
	return ""
}

// planRoute plans the route of a statement on table t from the AND-ed
// conditions of its WHERE that a vindex of t can route by (`col = value`,
// `col IN (values)` on the column of a single-column vindex, every value a
// literal or an argument): the cheapest vindex's, the statement's first
// among equals; without one, a scatter.
func planRoute(stmt ast.StmtNode, t *conf.Table) *engine.Route {
	where, alias := whereOf(stmt)
	var best *conf.ColumnVindex
	var bestValues []engine.Cell
	for _, cond := range splitAnd(where, nil) {
		var cn *ast.ColumnNameExpr
		var values []ast.ExprNode
		switch c := cond.(type) {
		case *ast.BinaryOperationExpr:
			if c.Op != opcode.EQ {
				continue
			}
			col, other := c.L, c.R
			if _, isCol := col.(*ast.ColumnNameExpr); !isCol {
				col, other = other, col
			}
			cn, _ = col.(*ast.ColumnNameExpr)
			values = []ast.ExprNode{other}
		case *ast.PatternInExpr:
			if c.Not || c.Sel != nil || len(c.List) == 0 {
				continue
			}
			cn, _ = c.Expr.(*ast.ColumnNameExpr)
			values = c.List
		}
		if cn == nil || !ownColumn(cn, t, alias) {
			continue
		}
		cells, ok := valueCells(values)
		if !ok {
			continue
		}
		for _, cv := range t.VindexesOn(cn.Name.Name.O) {
			if len(cv.Columns) == 1 && (best == nil || cv.Vindex.Cost() < best.Vindex.Cost()) {
				best, bestValues = cv, cells
			}
		}
	}
	return engine.NewRoute(t.Keyspace, best, bestValues)
}

// valueCells plans the values of a vindex condition; ok is false unless each
// is a literal or an argument.
func valueCells(values []ast.ExprNode) ([]engine.Cell, bool) {
	cells := make([]engine.Cell, len(values))
	for i, e := range values {
		cells[i] = valueCell(e)
		if !cells[i].Known && cells[i].Arg == 0 {
			return nil, false
		}
	}
	return cells, true
}

func splitAnd(e ast.ExprNode, out []ast.ExprNode) []ast.ExprNode {
	switch v := e.(type) {
	case nil:
		return out
	case *ast.BinaryOperationExpr:
		if v.Op == opcode.LogicAnd {
			return splitAnd(v.R, splitAnd(v.L, out))
		}
	case *ast.ParenthesesExpr:
		return splitAnd(v.Expr, out)
	}
	return append(out, e)
}

// ownColumn reports whether a column reference belongs to t (unqualified, or
// qualified by its name or alias).
func ownColumn(cn *ast.ColumnNameExpr, t *conf.Table, alias string) bool {
	q := cn.Name.Table.L
	return q == "" || q == strings.ToLower(t.Name) || (alias != "" && q == alias)
}

// checkScatter refuses what a SELECT across shards cannot answer exactly
// (see PlanMerge: ORDER BY, LIMIT, GROUP BY, aggregates and DISTINCT are
// merged) and UPDATE/DELETE whose ORDER BY, or LIMIT, spans shards where
// they cannot run one shard after another (see writeLimit).
func checkScatter(plan *Plan) error {
	switch plan.Stmt.(type) {
	case *ast.SelectStmt, *ast.SetOprStmt:
		return checkMerge(plan)
	case *ast.UpdateStmt, *ast.DeleteStmt:
		_, err := writeLimit(plan)
		return err
	}
	return nil
}

// writeLimit is the LIMIT of an UPDATE or DELETE that runs across shards
// one shard after another (engine.WriteLimit; nil without LIMIT), or why it
// cannot: with ORDER BY (the first rows of all shards), or where the rows it
// changes must be known to change their lookup rows (which rows a LIMIT
// leaves is up to each shard).
func writeLimit(plan *Plan) (*ast.Limit, error) {
	what, t := strings.ToUpper(plan.Kind.String()), plan.Table.String()
	var limit *ast.Limit
	var order *ast.OrderByClause
	owned := false
	switch s := plan.Stmt.(type) {
	case *ast.UpdateStmt:
		limit, order = s.Limit, s.Order
		if limit != nil {
			od, err := PlanOwnedDML(plan)
			owned = err != nil || od != nil && len(od.Vindexes) > 0
		}
	case *ast.DeleteStmt:
		limit, order, owned = s.Limit, s.Order, len(plan.Table.Owned) > 0
	}
	switch {
	case limit == nil:
		// With ORDER BY, each shard writes its own rows in that order.
		return nil, nil
	case owned:
		return nil, sqlerr.Unsupported("%s with LIMIT across shards of %s, whose lookup rows it would change (which rows a LIMIT leaves is up to each shard)", what, t)
	case limit.Offset != nil || !valueCell(limit.Count).Known && valueCell(limit.Count).Arg == 0:
		return nil, sqlerr.Unsupported("%s with LIMIT %s across shards of %s", what, nodeText(limit.Count), t)
	case order != nil && len(plan.Table.Primary().Columns) != 1:
		return nil, sqlerr.Unsupported("%s with ORDER BY and LIMIT across shards of %s, whose primary vindex has several columns", what, t)
	}
	return limit, nil
}

// ordered: a DELETE or UPDATE with ORDER BY.
func ordered(stmt ast.StmtNode) bool {
	switch s := stmt.(type) {
	case *ast.DeleteStmt:
		return s.Order != nil
	case *ast.UpdateStmt:
		return s.Order != nil
	}
	return false
}

// hasSubquery reports a subquery, derived table or common table expression.
func hasSubquery(node ast.Node) bool {
	found := false
	walk(node, func(n ast.Node) bool {
		switch t := n.(type) {
		case *ast.SubqueryExpr, *ast.WithClause:
			found = true
		case *ast.TableSource:
			if _, isTable := t.Source.(*ast.TableName); !isTable {
				found = true
			}
		}
		return !found
	})
	return found
}

// changesVindexColumn returns the vindex an UPDATE would change, if any.
// The primary vindex and unowned ones come first: those UPDATEs are refused;
// an owned lookup column is returned only when nothing else changes.
// assignsPrimaryValue reports that upd sets t's (one-column) primary vindex
// column to a literal or an argument and changes no other column of a
// vindex the table does not own: ORMs save a row so, every column written
// with the value it has (GORM's Save of a row of a table sharded by its
// parent's id). The rows are read before the write, which is refused if the
// value would change a row's keyspace id (engine.OwnedLookups.Primary).
func assignsPrimaryValue(upd *ast.UpdateStmt, t *conf.Table, mode SQLMode) bool {
	p := t.Primary()
	if len(p.Columns) != 1 {
		return false
	}
	found := false
	for _, e := range upd.List {
		for _, cv := range t.VindexesOn(e.Column.Name.O) {
			switch {
			case cv == p:
				if c := cellOf(e.Expr, mode); !c.Known && c.Arg == 0 || found {
					return false
				}
				found = true
			case !cv.Owned:
				return false
			}
		}
	}
	return found
}

// primaryAssigned is the value an UPDATE sets its table's primary vindex
// column to (see assignsPrimaryValue); nil if it sets none.
func primaryAssigned(upd *ast.UpdateStmt, t *conf.Table) ast.ExprNode {
	for _, e := range upd.List {
		if slices.Contains(t.VindexesOn(e.Column.Name.O), t.Primary()) {
			return e.Expr
		}
	}
	return nil
}

func changesVindexColumn(upd *ast.UpdateStmt, t *conf.Table) *conf.ColumnVindex {
	var owned *conf.ColumnVindex
	for _, e := range upd.List {
		for _, cv := range t.VindexesOn(e.Column.Name.O) {
			if cv == t.Primary() || !cv.Owned {
				return cv
			}
			owned = cv
		}
	}
	return owned
}
