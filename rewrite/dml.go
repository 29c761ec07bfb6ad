package rewrite

import (
	"github.com/xwb1989/sqlparser"

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
	New    [][]sqlparser.Expr
	Update bool
}

// PlanOwnedDML builds the read of an UPDATE/DELETE's affected rows. It
// returns nil when the statement changes no lookup row (an UPDATE that sets
// no owned vindex column).
func PlanOwnedDML(plan *Plan, args Args) (*OwnedDML, error) {
	t := plan.Table
	od := &OwnedDML{}
	var from sqlparser.TableExprs
	var where *sqlparser.Where
	var orderBy sqlparser.OrderBy
	var limit *sqlparser.Limit
	changed := map[string]sqlparser.Expr{}
	switch s := plan.Stmt.(type) {
	case *sqlparser.Delete:
		from, where, orderBy, limit = s.TableExprs, s.Where, s.OrderBy, s.Limit
		od.Vindexes = t.Owned
	case *sqlparser.Update:
		od.Update = true
		from, where, orderBy, limit = s.TableExprs, s.Where, s.OrderBy, s.Limit
		for _, e := range s.Exprs {
			changed[e.Name.Name.Lowered()] = e.Expr
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
	sel := &sqlparser.Select{From: from, Where: where, OrderBy: orderBy, Limit: limit, Lock: sqlparser.ForUpdateStr}
	col := func(name string) *sqlparser.ColName { return &sqlparser.ColName{Name: sqlparser.NewColIdent(name)} }
	sel.SelectExprs = append(sel.SelectExprs, &sqlparser.AliasedExpr{Expr: col(t.Primary().Columns[0])})
	for _, cv := range od.Vindexes {
		for _, c := range cv.Columns {
			sel.SelectExprs = append(sel.SelectExprs, &sqlparser.AliasedExpr{Expr: col(c)})
		}
	}
	if od.Update {
		for _, cv := range od.Vindexes {
			var same sqlparser.Expr
			var news []sqlparser.Expr
			for _, c := range cv.Columns {
				newExpr, ok := changed[lowerASCII(c)]
				if !ok {
					newExpr = col(c) // a column of a multi-column lookup not set: keeps its value
				} else if _, isLiteral := valueOf(newExpr, args); !isLiteral {
					return nil, sqlerr.Unsupported("UPDATE of lookup column %s of %s to an expression (%s): use a literal", c, t, sqlparser.String(newExpr))
				}
				news = append(news, newExpr)
				cmp := &sqlparser.ComparisonExpr{Operator: sqlparser.NullSafeEqualStr, Left: col(c), Right: newExpr}
				if same == nil {
					same = cmp
				} else {
					same = &sqlparser.AndExpr{Left: same, Right: cmp}
				}
			}
			od.New = append(od.New, news)
			sel.SelectExprs = append(sel.SelectExprs, &sqlparser.AliasedExpr{Expr: same})
		}
	}
	od.Select = printStmt("", sel, args, plan.Mode, "")
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
