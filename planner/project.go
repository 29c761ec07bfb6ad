package planner

import (
	"strconv"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/opcode"

	"sidecar/engine"
	"sidecar/sqlerr"
	"sidecar/vindex"
)

// Select-list expressions over aggregates across shards (count(*) + 1,
// sum(a) / sum(b), max(id) - min(id)). Each shard computes the expression
// over its part of a group, which is not the group's value; the shards
// still compute it, for its column definition (name, type, decimals), and
// send each aggregate it reads as a hidden column; the merge's Project step
// computes the value from the combined aggregates as MySQL computes it:
// + - * and unary minus over aggregates, group keys and numbers, a division
// (or an AVG) as the expression's last operation or rounded (ROUND(x, d)).
// Inside an expression MySQL keeps a quotient to nine-digit boundaries,
// which is not reproduced, but rounding it to fewer digits reads the same
// from the exact quotient. Other expressions, and other functions of
// aggregates (IFNULL…), are refused here and evaluated on a backend over
// the gathered rows.

// typeOnly is how the shards select a computed item: IF(0, item, NULL),
// which MySQL types as the item (type, length, decimals, sign) without
// computing it. Over a shard's part of a group it could fail where the whole
// group does not (an unsigned BIT_OR(x) - 1 of a part with no x, MIN(x) +
// MAX(x) of a part with only the largest x). The column keeps the item's
// name; it reports NULL allowed, which MySQL does not for an item of
// COUNTs, BIT_ functions and numbers alone.
func typeOnly(f *ast.SelectField) *ast.SelectField {
	name := f.AsName
	if name.O == "" {
		name = ast.NewCIStr(nodeText(f.Expr))
	}
	return &ast.SelectField{Expr: call("if", ast.NewValueExpr(0, "", ""), f.Expr, ast.NewValueExpr(nil, "", "")), AsName: name}
}

// planComputed plans the select list's computed items.
func (b *mergeBuilder) planComputed() error {
	for _, it := range b.items {
		if !it.computed {
			continue
		}
		expr, err := b.arith(it.expr, it.expr, true)
		if err != nil {
			return err
		}
		b.computed = append(b.computed, engine.Computed{Col: engine.MergeCol{Index: it.pos}, Expr: expr})
	}
	return nil
}

var arithOps = map[opcode.Op]byte{opcode.Plus: '+', opcode.Minus: '-', opcode.Mul: '*', opcode.Div: '/'}

// arith translates e, a part of the computed item whole; last: e's value is
// the item's (no operation follows it).
func (b *mergeBuilder) arith(e, whole ast.ExprNode, last bool) (engine.Arith, error) {
	switch x := e.(type) {
	case *ast.ParenthesesExpr:
		return b.arith(x.Expr, whole, last)
	case *ast.BinaryOperationExpr:
		op, ok := arithOps[x.Op]
		if !ok || op == '/' && !last {
			break
		}
		left, err := b.arith(x.L, whole, false)
		if err != nil {
			return nil, err
		}
		right, err := b.arith(x.R, whole, false)
		if err != nil {
			return nil, err
		}
		return &engine.ArithOp{Op: op, Left: left, Right: right}, nil
	case *ast.UnaryOperationExpr:
		if x.Op != opcode.Minus {
			break
		}
		if v, ok := b.number(e); ok { // -5
			return &engine.ArithValue{Value: v}, nil
		}
		inner, err := b.arith(x.V, whole, last)
		if err != nil {
			return nil, err
		}
		return &engine.ArithNeg{X: inner}, nil
	case *ast.AggregateFuncExpr:
		if _, err := b.aggregateOf(x); err != nil {
			return nil, err
		}
		if engine.AggFuncNamed(strings.ToLower(x.F)) == engine.AggAvg {
			if !last {
				break // a quotient: kept to nine-digit boundaries inside an expression
			}
			// SUM / COUNT of the combined groups, which a ROUND reads exactly.
			return b.arith(&ast.BinaryOperationExpr{Op: opcode.Div,
				L: &ast.AggregateFuncExpr{F: "sum", Args: x.Args}, R: &ast.AggregateFuncExpr{F: "count", Args: x.Args}}, whole, last)
		}
		col, _, err := b.resolve(x, false) // a hidden column when not selected
		if err != nil {
			return nil, err
		}
		return &engine.ArithCol{Col: col}, nil
	case *ast.FuncCallExpr:
		digits, ok := b.roundDigits(x)
		if !ok {
			break
		}
		inner, err := b.arith(x.Args[0], whole, true)
		if err != nil {
			return nil, err
		}
		return &engine.ArithRound{X: inner, Digits: digits}, nil
	case *ast.ColumnNameExpr:
		if b.aliasClash(x) {
			break
		}
		col, _, err := b.resolve(x, false)
		if err != nil || !b.hasGroup(col) {
			break // a column neither grouped nor aggregated: any row's value
		}
		return &engine.ArithCol{Col: col}, nil
	default:
		if v, ok := b.number(e); ok {
			return &engine.ArithValue{Value: v}, nil
		}
	}
	return nil, sqlerr.Unsupported("aggregate functions inside an expression in a SELECT across shards of %s (%s)", b.table, nodeText(whole))
}

// roundDigits: f is ROUND(x) or ROUND(x, d) with d a number from 0 to 30;
// the digits.
func (b *mergeBuilder) roundDigits(f *ast.FuncCallExpr) (int, bool) {
	if f.FnName.L != "round" || len(f.Args) < 1 || len(f.Args) > 2 {
		return 0, false
	}
	if len(f.Args) == 1 {
		return 0, true
	}
	v, ok := b.number(f.Args[1])
	if !ok || v.Kind != vindex.Int64 {
		return 0, false
	}
	d, err := strconv.Atoi(string(v.Raw))
	return d, err == nil && d >= 0 && d <= 30
}

// isComputed: c is a computed item's column.
func (b *mergeBuilder) isComputed(c engine.MergeCol) bool {
	for _, cc := range b.computed {
		if cc.Col == c {
			return true
		}
	}
	return false
}

// aliasClash: cn names an alias of the select list that is another
// expression, and the statement also names a column so: which one the
// client meant is not visible here.
func (b *mergeBuilder) aliasClash(cn *ast.ColumnNameExpr) bool {
	name := cn.Name.Name.L
	if cn.Name.Table.L != "" || !b.namesColumn(name) {
		return false
	}
	for _, it := range b.items {
		if it.alias == name && b.exprKey(it.expr) != b.exprKey(cn) {
			return true
		}
	}
	return false
}

// isAggregateCall: e is an aggregate function itself, not an expression
// around one.
func isAggregateCall(e ast.ExprNode) bool {
	_, ok := e.(*ast.AggregateFuncExpr)
	return ok
}

// computedArgs: an expression over aggregates in the select list takes
// arguments, which the merge's Project step holds.
func computedArgs(s *ast.SelectStmt) bool {
	for _, f := range s.Fields.Fields {
		if f.Expr != nil && containsAggregate(f.Expr) && contains(f.Expr, isParam) {
			return true
		}
	}
	return false
}
