package planner

import (
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/opcode"

	"sidecar/engine"
	"sidecar/sqlerr"
)

// ownedTemplate is a plan's lookup maintenance, or why it is refused.
type ownedTemplate struct {
	owned *engine.OwnedLookups
	err   error
}

// PlanOwnedDML plans the lookup maintenance of an UPDATE/DELETE on a table
// that owns lookup vindexes, and the check of an UPDATE that sets the
// primary vindex column (see assignsPrimaryValue), once per statement shape
// and per prepared statement. It returns nil when the statement changes no
// lookup row and sets no primary vindex column.
func PlanOwnedDML(plan *Plan) (*engine.OwnedLookups, error) {
	t := plan.owned.get(func() ownedTemplate {
		o, err := planOwnedDML(plan)
		return ownedTemplate{o, err}
	})
	return t.owned, t.err
}

func planOwnedDML(plan *Plan) (*engine.OwnedLookups, error) {
	t := plan.Table
	od := &engine.OwnedLookups{Table: t, NoBackslashEscapes: plan.Mode.NoBackslashEscapes}
	var from *ast.TableRefsClause
	var where ast.ExprNode
	var orderBy *ast.OrderByClause
	var limit *ast.Limit
	changed := map[string]ast.ExprNode{}
	switch s := plan.Stmt.(type) {
	case *ast.DeleteStmt:
		from, where, orderBy, limit = s.TableRefs, s.Where, s.Order, s.Limit
		od.Vindexes = t.Owned
	case *ast.UpdateStmt:
		od.Update = true
		from, where, orderBy, limit = s.TableRefs, s.Where, s.Order, s.Limit
		for _, e := range s.List {
			changed[e.Column.Name.L] = e.Expr
		}
		for _, cv := range t.Owned {
			for _, col := range cv.Columns {
				if _, ok := changed[lowerASCII(col)]; ok {
					od.Vindexes = append(od.Vindexes, cv)
					break
				}
			}
		}
		if e := primaryAssigned(s, t); e != nil {
			c := cellOf(e, plan.Mode)
			od.Primary = &c
		}
	default:
		return nil, sqlerr.Unsupported("lookup maintenance for %s", plan.Kind)
	}
	if len(od.Vindexes) == 0 && od.Primary == nil {
		return nil, nil
	}
	if plan.Unparsed != "" {
		return nil, sqlerr.Unsupported("%s in a %s of table %s, which owns lookup vindexes or whose primary vindex column it sets", plan.Unparsed, strings.ToUpper(plan.Kind.String()), t)
	}
	sel := &ast.SelectStmt{
		SelectStmtOpts: &ast.SelectStmtOpts{SQLCache: true},
		From:           from, Where: where, OrderBy: orderBy, Limit: limit,
		LockInfo: &ast.SelectLockInfo{LockType: ast.SelectLockForUpdate},
		Fields:   &ast.FieldList{},
	}
	col := func(name string) *ast.ColumnNameExpr {
		return &ast.ColumnNameExpr{Name: &ast.ColumnName{Name: ast.NewCIStr(name)}}
	}
	add := func(e ast.ExprNode) { sel.Fields.Fields = append(sel.Fields.Fields, &ast.SelectField{Expr: e}) }
	add(col(t.Primary().Columns[0]))
	for _, cv := range od.Vindexes {
		for _, c := range cv.Columns {
			add(col(c))
		}
	}
	if od.Update {
		for _, cv := range od.Vindexes {
			var same ast.ExprNode
			var news []engine.Cell
			for _, c := range cv.Columns {
				newExpr, ok := changed[lowerASCII(c)]
				if !ok {
					newExpr = col(c) // a column of a multi-column lookup not set: keeps its value
				}
				cell := cellOf(newExpr, plan.Mode)
				if ok && !cell.Known && cell.Arg == 0 {
					return nil, sqlerr.Unsupported("UPDATE of lookup column %s of %s to an expression (%s): use a literal", c, t, nodeText(newExpr))
				}
				news = append(news, cell)
				cmp := &ast.BinaryOperationExpr{Op: opcode.NullEQ, L: col(c), R: newExpr}
				if same == nil {
					same = cmp
				} else {
					same = &ast.BinaryOperationExpr{Op: opcode.LogicAnd, L: same, R: cmp}
				}
			}
			od.New = append(od.New, news)
			add(same)
		}
	}
	od.Select, _ = printTemplate("", sel, plan.Mode)
	if route, ok := plan.router.(*engine.Route); ok {
		od.In, _ = od.Select.InList(route)
	}
	return od, nil
}
