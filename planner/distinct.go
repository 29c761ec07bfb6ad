package planner

import (
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"sidecar/engine"
	"sidecar/sqlerr"
)

// COUNT(DISTINCT e) and SUM(DISTINCT e) across shards. A value of e can be
// on several shards, so a shard's own COUNT(DISTINCT e) cannot be added up.
// Instead the shards group by the group keys and e too: each row is one
// (group, value of e), where COUNT(DISTINCT e) is 1 (0 for NULL) and
// SUM(DISTINCT e) is the value. The merge combines first the rows of equal
// (group, value) from all shards, the distinct aggregates by MAX (any one
// of them: they are equal), the others as usual; then the groups, adding up
// the distinct ones. One expression e per statement.

// findDistinctArg records the argument of the statement's distinct
// aggregates before anything is planned: the shards' grouping depends on it,
// wherever the aggregate is (select list, HAVING, ORDER BY; not in
// subqueries, which are the shards' own).
func (b *mergeBuilder) findDistinctArg(sel *ast.SelectStmt) error {
	var err error
	for _, n := range clauses(sel) {
		walk(n, func(n ast.Node) bool {
			switch f := n.(type) {
			case *ast.SubqueryExpr:
				return false
			case *ast.AggregateFuncExpr:
				if fn := engine.AggFuncNamed(strings.ToLower(f.F)); f.Distinct && fn != engine.AggMin && fn != engine.AggMax && err == nil {
					err = b.distinctAggregate(f, fn)
				}
			}
			return err == nil
		})
	}
	return err
}

// distinctAggregate checks a COUNT/SUM(DISTINCT …) and records its argument.
func (b *mergeBuilder) distinctAggregate(f *ast.AggregateFuncExpr, fn engine.AggFunc) error {
	if (fn != engine.AggCount && fn != engine.AggSum) || len(f.Args) != 1 {
		return sqlerr.Unsupported("%s in a SELECT across shards of %s (COUNT or SUM of one DISTINCT expression only)", nodeText(f), b.table)
	}
	if b.distinctArg != nil && b.exprKey(b.distinctArg) != b.exprKey(f.Args[0]) {
		return sqlerr.Unsupported("aggregates of DISTINCT %s and of DISTINCT %s in one SELECT across shards of %s",
			nodeText(b.distinctArg), nodeText(f.Args[0]), b.table)
	}
	b.distinctArg = f.Args[0]
	return nil
}

// planDistinctArg makes the distinct expression a key the shards group and
// sort by, after the group keys. Without GROUP BY, a table with no rows
// gives the shards no groups to send: the merge then answers MySQL's one
// row of aggregates over nothing (COUNT 0, the others NULL), which only
// aggregates can be part of.
func (b *mergeBuilder) planDistinctArg(grouped bool) error {
	if !grouped {
		for _, it := range b.items {
			if it.agg == nil && !it.computed {
				return sqlerr.Unsupported("%s next to DISTINCT aggregates without GROUP BY in a SELECT across shards of %s", nodeText(it.expr), b.table)
			}
		}
	}
	col, expr, err := b.resolve(b.distinctArg, true)
	if err != nil {
		return err
	}
	if expr == nil || containsAggregate(expr) {
		// An alias of an aggregate (MySQL reads the table's column of that
		// name, if any): which one is meant is not visible here.
		return sqlerr.Unsupported("DISTINCT %s in an aggregate across shards of %s", nodeText(b.distinctArg), b.table)
	}
	b.distinctKey = b.key(col, expr, false)
	b.order = append(b.order, b.distinctKey)
	return nil
}

// shardGroups are the keys the shards group by.
func (b *mergeBuilder) shardGroups() []engine.MergeKey {
	if b.distinctArg == nil {
		return b.groups
	}
	return append(b.groups[:len(b.groups):len(b.groups)], b.distinctKey)
}

// innerAggregates are how a = f combines the shards' rows of one (group,
// distinct value): a distinct aggregate by any one of them, AVG by its
// hidden SUM and COUNT (which the groups' AVG reads), the others as the
// groups combine them.
func innerAggregates(a engine.MergeAgg, f *ast.AggregateFuncExpr) []engine.MergeAgg {
	switch {
	case f.Distinct && (a.Func == engine.AggCount || a.Func == engine.AggSum):
		return []engine.MergeAgg{{Func: engine.AggMax, Col: a.Col}}
	case a.Func == engine.AggAvg:
		return []engine.MergeAgg{{Func: engine.AggSum, Col: a.Sum}, {Func: engine.AggCount, Col: a.Count}}
	}
	return []engine.MergeAgg{a}
}
