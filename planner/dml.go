package planner

import (
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/opcode"

	"sidecar/conf"
	"sidecar/sqlerr"
)

// OwnedDML is the lookup maintenance of an UPDATE or DELETE on a table that
// owns lookup vindexes, as Vitess does it: first read the affected rows'
// primary and lookup column values (locking them), then delete the lookup
// rows of removed or changed values and create those of new values, then run
// the statement itself.
type OwnedDML struct {
	// Select reads, per affected row: the primary vindex column, then for
	// each vindex in Vindexes its columns, then (UPDATE) one `col = new`
	// comparison per vindex telling whether the value stays the same.
	Select   string
	Vindexes []*conf.ColumnVindex
	// New holds, for an UPDATE, the new values of each vindex's columns.
	New    [][]ast.ExprNode
	Update bool
}

// PlanOwnedDML builds the read of an UPDATE/DELETE's affected rows. It
// returns nil when the statement changes no lookup row (an UPDATE that sets
// no owned vindex column).
func PlanOwnedDML(plan *Plan, args Args) (*OwnedDML, error) {
	t := plan.Table
	od := &OwnedDML{}
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
	default:
		return nil, sqlerr.Unsupported("lookup maintenance for %s", plan.Kind)
	}
	if len(od.Vindexes) == 0 {
		return nil, nil
	}
	if plan.Unparsed != "" {
		return nil, sqlerr.Unsupported("%s in a %s of table %s, which owns lookup vindexes", plan.Unparsed, strings.ToUpper(plan.Kind.String()), t)
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
			var news []ast.ExprNode
			for _, c := range cv.Columns {
				newExpr, ok := changed[lowerASCII(c)]
				if !ok {
					newExpr = col(c) // a column of a multi-column lookup not set: keeps its value
				} else if _, isLiteral := valueOf(newExpr, args); !isLiteral {
					return nil, sqlerr.Unsupported("UPDATE of lookup column %s of %s to an expression (%s): use a literal", c, t, nodeText(newExpr))
				}
				news = append(news, newExpr)
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
	od.Select = printStmt("", sel, args, plan.Mode)
	return od, nil
}

// NewValues evaluates the new lookup values of vindex i of an UPDATE; columns
// the UPDATE does not set keep their old values.
func (od *OwnedDML) NewValues(i int, args Args, old []Value) []Value {
	out := make([]Value, len(od.New[i]))
	for k, e := range od.New[i] {
		if v, ok := valueOf(e, args); ok {
			out[k] = v
		} else {
			out[k] = old[k]
		}
	}
	return out
}
