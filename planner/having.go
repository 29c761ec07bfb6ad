package planner

import (
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/opcode"

	"sidecar/engine"
	"sidecar/sqlerr"
	"sidecar/vindex"
)

// HAVING across shards. Each shard groups its own rows, so a group can
// arrive in parts from several shards. A comparison of a group key itself
// with a string holds for every part of a group or for none: the parts'
// keys are equal by the key's collation, which the comparison uses; the
// shards evaluate it (pushed). (A function of the key, such as LENGTH,
// could tell apart the 'a' and 'A ' one group holds.) A condition on
// aggregates only holds for the combined group: the merge evaluates it, in a
// Filter after the Aggregate, comparing aggregates and group keys that are
// numbers with numbers. Anything else (strings compared otherwise,
// subqueries, a column that is neither grouped nor aggregated) is refused
// here and evaluated on a backend over the gathered rows (see
// engine.Evaluate).

// having splits a HAVING condition into the conjuncts the shards evaluate
// and the merge's Filter condition (nil when the shards evaluate it all).
func (b *mergeBuilder) having(e ast.ExprNode) (pushed []ast.ExprNode, filter engine.Condition, err error) {
	for _, c := range splitAnd(e, nil) {
		if len(b.groupExprs) > 0 && pushable(c) && b.keyComparison(c) {
			pushed = append(pushed, &ast.ParenthesesExpr{Expr: c})
			continue
		}
		cond, err := b.condition(c)
		if err != nil {
			return nil, nil, err
		}
		if filter != nil {
			cond = &engine.And{Left: filter, Right: cond}
		}
		filter = cond
	}
	return pushed, filter, nil
}

// keyComparison: e compares group keys themselves with strings or NULL (=,
// <>, <, <=, >, >=, <=>, IN, BETWEEN, IS [NOT] NULL), joined by AND, OR
// and NOT.
func (b *mergeBuilder) keyComparison(e ast.ExprNode) bool {
	switch x := e.(type) {
	case *ast.ParenthesesExpr:
		return b.keyComparison(x.Expr)
	case *ast.BinaryOperationExpr:
		switch x.Op {
		case opcode.LogicAnd, opcode.LogicOr, opcode.LogicXor:
			return b.keyComparison(x.L) && b.keyComparison(x.R)
		}
		if _, ok := compareOps[x.Op]; ok {
			return b.isGroupKey(x.L) && b.stringConstant(x.R) || b.stringConstant(x.L) && b.isGroupKey(x.R)
		}
	case *ast.UnaryOperationExpr:
		return (x.Op == opcode.Not || x.Op == opcode.Not2) && b.keyComparison(x.V)
	case *ast.IsNullExpr:
		return b.isGroupKey(x.Expr)
	case *ast.BetweenExpr:
		return b.isGroupKey(x.Expr) && b.stringConstant(x.Left) && b.stringConstant(x.Right)
	case *ast.PatternInExpr:
		if x.Sel != nil || !b.isGroupKey(x.Expr) {
			return false
		}
		for _, v := range x.List {
			if !b.stringConstant(v) {
				return false
			}
		}
		return true
	}
	return false
}

// isGroupKey: e is a GROUP BY expression, or the alias of a selected one.
func (b *mergeBuilder) isGroupKey(e ast.ExprNode) bool {
	if p, ok := e.(*ast.ParenthesesExpr); ok {
		return b.isGroupKey(p.Expr)
	}
	if cn, ok := e.(*ast.ColumnNameExpr); ok && b.groupAlias(cn) {
		return true
	}
	return b.groupExprs[b.exprKey(e)]
}

// stringConstant: e is a string in the connection's character set (a key
// compared with it compares by the key's collation; not a binary string,
// which compares bytes) or NULL, as a literal or an argument. Numbers go to
// the Filter instead: a string key's parts read as different numbers when
// its collation equates different digits.
func (b *mergeBuilder) stringConstant(e ast.ExprNode) bool {
	if isParam(e) && b.validate {
		return true // bound at execute, planned again then
	}
	v, ok := valueOf(e, b.args)
	return ok && (v.Kind == vindex.VarChar || v.Kind == vindex.Null)
}

// groupAlias: cn is the alias of a selected group key and names no column
// of the statement (MySQL would read the column: which one the client
// meant is not visible here).
func (b *mergeBuilder) groupAlias(cn *ast.ColumnNameExpr) bool {
	name := cn.Name.Name.L
	if cn.Name.Table.L != "" || b.namesColumn(name) {
		return false
	}
	for _, it := range b.items {
		if it.alias == name && it.expr != nil {
			return b.groupExprs[b.exprKey(it.expr)]
		}
	}
	return false
}

// condition translates a HAVING condition on aggregates into the merge's.
func (b *mergeBuilder) condition(e ast.ExprNode) (engine.Condition, error) {
	switch x := e.(type) {
	case *ast.ParenthesesExpr:
		return b.condition(x.Expr)
	case *ast.BinaryOperationExpr:
		switch x.Op {
		case opcode.LogicAnd, opcode.LogicOr:
			left, err := b.condition(x.L)
			if err != nil {
				return nil, err
			}
			right, err := b.condition(x.R)
			if err != nil {
				return nil, err
			}
			if x.Op == opcode.LogicAnd {
				return &engine.And{Left: left, Right: right}, nil
			}
			return &engine.Or{Left: left, Right: right}, nil
		}
		if op, ok := compareOps[x.Op]; ok {
			return b.comparison(e, op, x.L, x.R)
		}
	case *ast.UnaryOperationExpr:
		if x.Op == opcode.Not || x.Op == opcode.Not2 {
			inner, err := b.condition(x.V)
			if err != nil {
				return nil, err
			}
			return &engine.Not{Cond: inner}, nil
		}
	case *ast.IsNullExpr:
		col, err := b.havingOperand(x.Expr, e)
		if err != nil {
			return nil, err
		}
		return &engine.IsNull{Col: col, Not: x.Not}, nil
	case *ast.BetweenExpr:
		low, err := b.comparison(e, engine.OpGE, x.Expr, x.Left)
		if err != nil {
			return nil, err
		}
		high, err := b.comparison(e, engine.OpLE, x.Expr, x.Right)
		if err != nil {
			return nil, err
		}
		var cond engine.Condition = &engine.And{Left: low, Right: high}
		if x.Not {
			cond = &engine.Not{Cond: cond}
		}
		return cond, nil
	case *ast.PatternInExpr:
		if x.Sel != nil || len(x.List) == 0 {
			break
		}
		var cond engine.Condition
		for _, v := range x.List {
			eq, err := b.comparison(e, engine.OpEQ, x.Expr, v)
			if err != nil {
				return nil, err
			}
			if cond != nil {
				eq = &engine.Or{Left: cond, Right: eq}
			}
			cond = eq
		}
		if x.Not {
			cond = &engine.Not{Cond: cond}
		}
		return cond, nil
	case *ast.AggregateFuncExpr, *ast.ColumnNameExpr:
		// A value as a condition: true when it is not zero.
		col, err := b.havingOperand(e, e)
		if err != nil {
			return nil, err
		}
		return &engine.Compare{Col: col, Op: engine.OpNE, Value: vindex.NewInt64(0)}, nil
	}
	return nil, b.refuseHaving(e)
}

var compareOps = map[opcode.Op]engine.CompareOp{opcode.EQ: engine.OpEQ, opcode.NE: engine.OpNE, opcode.LT: engine.OpLT,
	opcode.LE: engine.OpLE, opcode.GT: engine.OpGT, opcode.GE: engine.OpGE, opcode.NullEQ: engine.OpNullSafeEQ}

// mirrored is the operator with its sides swapped: 5 < x is x > 5.
var mirrored = map[engine.CompareOp]engine.CompareOp{engine.OpLT: engine.OpGT, engine.OpLE: engine.OpGE,
	engine.OpGT: engine.OpLT, engine.OpGE: engine.OpLE}

// comparison translates l op r where one side is an aggregate or group key
// and the other a number (or NULL).
func (b *mergeBuilder) comparison(whole ast.ExprNode, op engine.CompareOp, l, r ast.ExprNode) (engine.Condition, error) {
	if _, ok := b.number(l); ok {
		l, r = r, l
		if m, ok := mirrored[op]; ok {
			op = m
		}
	}
	v, ok := b.number(r)
	if !ok {
		return nil, b.refuseHaving(whole)
	}
	col, err := b.havingOperand(l, whole)
	if err != nil {
		return nil, err
	}
	if v.Kind == vindex.Null && op == engine.OpNullSafeEQ {
		return &engine.IsNull{Col: col}, nil
	}
	return &engine.Compare{Col: col, Op: op, Value: v}, nil
}

// number is e's value when it is a number or NULL: a literal, or an
// argument. A string argument that reads as a number is compared as MySQL
// compares a number with a string: as doubles.
func (b *mergeBuilder) number(e ast.ExprNode) (vindex.Value, bool) {
	if isParam(e) && b.validate {
		return vindex.NewInt64(0), true // bound at execute
	}
	v, ok := valueOf(e, b.args)
	if !ok {
		return v, false
	}
	switch v.Kind {
	case vindex.Null, vindex.Int64, vindex.Uint64, vindex.Decimal, vindex.Float64:
		return v, true
	case vindex.HexNum: // 0x…, where a number is wanted
		return vindex.HexAsNumber(v)
	case vindex.VarChar:
		if isParam(e) && vindex.IsNumber(v.Raw) { // not 'inf', 'nan' or '0x1p6', which MySQL reads as 0
			return vindex.Value{Kind: vindex.Float64, Raw: v.Raw}, true
		}
	}
	return v, false
}

// havingOperand resolves a side of a HAVING comparison: an aggregate (added
// as a hidden column when not selected), a group key, or a computed item.
func (b *mergeBuilder) havingOperand(e, whole ast.ExprNode) (engine.MergeCol, error) {
	if cn, ok := e.(*ast.ColumnNameExpr); ok && b.aliasClash(cn) {
		return engine.MergeCol{}, b.refuseHaving(whole)
	}
	if _, err := b.aggregateOf(e); err != nil {
		return engine.MergeCol{}, err
	}
	col, _, err := b.resolve(e, false)
	if err != nil {
		return engine.MergeCol{}, err
	}
	if !b.hasAggregate(col) && !b.hasGroup(col) && !b.isComputed(col) {
		return engine.MergeCol{}, b.refuseHaving(whole)
	}
	return col, nil
}

func (b *mergeBuilder) refuseHaving(e ast.ExprNode) error {
	return sqlerr.Unsupported("HAVING %s in a SELECT across shards of %s", nodeText(e), b.table)
}

// conjoin is the AND of conditions.
func conjoin(conds []ast.ExprNode) ast.ExprNode {
	e := conds[0]
	for _, c := range conds[1:] {
		e = &ast.BinaryOperationExpr{Op: opcode.LogicAnd, L: e, R: c}
	}
	return e
}
