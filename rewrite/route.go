package rewrite

import (
	"context"
	"sort"

	"github.com/xwb1989/sqlparser"

	"sidecar/conf"
	"sidecar/sqlerr"
	"sidecar/vindex"
)

// Route is where a SELECT, UPDATE or DELETE on a sharded table goes.
type Route struct {
	Shards  []*conf.Shard
	Scatter bool // every shard, because no vindex condition narrows it
}

// RouteStatement finds the shards of a planned SELECT/UPDATE/DELETE on a
// sharded table from equality or IN conditions on its vindex columns (the
// cheapest vindex wins); without one it scatters. Things a plain
// concatenation of per-shard results would answer wrongly are refused.
func RouteStatement(ctx context.Context, plan *Plan, args Args, io IO) (*Route, error) {
	if plan.Joined {
		return routeJoin(ctx, plan, args, io)
	}
	t := plan.Table
	best, values := bestCondition(plan.conds, args)
	if best != nil {
		dests, err := mapValues(ctx, t.Keyspace, best, values, io)
		if err != nil {
			return nil, err
		}
		var shards []*conf.Shard
		for _, d := range dests {
			shards = appendShards(shards, t.Keyspace, d)
		}
		r := &Route{Shards: uniqueShards(shards)}
		if len(r.Shards) <= 1 {
			return r, nil
		}
		if err := checkScatter(plan); err != nil {
			return nil, err
		}
		return r, nil
	}
	if err := checkScatter(plan); err != nil {
		return nil, err
	}
	return &Route{Shards: t.Keyspace.Shards, Scatter: true}, nil
}

// appendShards appends the shards a destination covers (none for
// DestinationNone: no row can match).
func appendShards(out []*conf.Shard, ks *conf.Keyspace, d vindex.Destination) []*conf.Shard {
	switch d := d.(type) {
	case vindex.DestinationKeyspaceID:
		out = append(out, ks.ShardFor(vindex.KeyspaceID(d)))
	case vindex.DestinationKeyspaceIDs:
		for _, id := range d {
			out = append(out, ks.ShardFor(id))
		}
	case vindex.DestinationKeyRange:
		for _, sh := range ks.Shards {
			if d.Range.Intersects(sh.Range) {
				out = append(out, sh)
			}
		}
	}
	return out
}

// uniqueShards drops repeated shards, keeping the first of each in place.
func uniqueShards(shards []*conf.Shard) []*conf.Shard {
	if len(shards) < 2 {
		return shards // a point query: no map to allocate
	}
	seen := make(map[*conf.Shard]bool, len(shards))
	out := shards[:0]
	for _, sh := range shards {
		if !seen[sh] {
			seen[sh] = true
			out = append(out, sh)
		}
	}
	return out
}

func whereOf(stmt sqlparser.Statement) (sqlparser.Expr, string) {
	switch s := stmt.(type) {
	case *sqlparser.Select:
		return exprOf(s.Where), aliasOf(s.From)
	case *sqlparser.Update:
		return exprOf(s.Where), aliasOf(s.TableExprs)
	case *sqlparser.Delete:
		return exprOf(s.Where), aliasOf(s.TableExprs)
	}
	return nil, ""
}

func exprOf(w *sqlparser.Where) sqlparser.Expr {
	if w == nil {
		return nil
	}
	return w.Expr
}

func aliasOf(from sqlparser.TableExprs) string {
	if len(from) == 1 {
		if a, ok := from[0].(*sqlparser.AliasedTableExpr); ok && !a.As.IsEmpty() {
			return a.As.String()
		}
	}
	return ""
}

// vindexCond is a condition of a statement's WHERE that can route it:
// `col = value` or `col IN (values)` on the column of a single-column vindex.
type vindexCond struct {
	cv     *conf.ColumnVindex
	values []sqlparser.Expr
}

// routingConds lists the AND-ed conditions of stmt's WHERE that a vindex of t
// can route by, the cheapest vindex first (a functional primary before a
// lookup), in the statement's order among equals.
func routingConds(stmt sqlparser.Statement, t *conf.Table) []vindexCond {
	where, alias := whereOf(stmt)
	var conds []vindexCond
	for _, cond := range splitAnd(where, nil) {
		cmp, ok := cond.(*sqlparser.ComparisonExpr)
		if !ok {
			continue
		}
		col, other := cmp.Left, cmp.Right
		if _, isCol := col.(*sqlparser.ColName); !isCol {
			col, other = other, col
		}
		cn, ok := col.(*sqlparser.ColName)
		if !ok || !ownColumn(cn, t, alias) {
			continue
		}
		var values []sqlparser.Expr
		switch cmp.Operator {
		case sqlparser.EqualStr:
			values = []sqlparser.Expr{other}
		case sqlparser.InStr:
			tuple, ok := cmp.Right.(sqlparser.ValTuple)
			if !ok || cn != cmp.Left || len(tuple) == 0 {
				continue
			}
			values = tuple
		default:
			continue
		}
		for _, cv := range t.VindexesOn(cn.Name.String()) {
			if len(cv.Columns) == 1 {
				conds = append(conds, vindexCond{cv, values})
			}
		}
	}
	sort.SliceStable(conds, func(i, j int) bool { return conds[i].cv.Vindex.Cost() < conds[j].cv.Vindex.Cost() })
	return conds
}

// bestCondition picks the first of conds whose values are all known with
// these arguments (a literal, a bound argument), and values it.
func bestCondition(conds []vindexCond, args Args) (*conf.ColumnVindex, []vindex.Value) {
next:
	for _, c := range conds {
		values := make([]vindex.Value, len(c.values))
		for i, e := range c.values {
			v, ok := valueOf(e, args)
			if !ok {
				continue next
			}
			values[i] = v
		}
		return c.cv, values
	}
	return nil, nil
}

func splitAnd(e sqlparser.Expr, out []sqlparser.Expr) []sqlparser.Expr {
	switch v := e.(type) {
	case nil:
		return out
	case *sqlparser.AndExpr:
		return splitAnd(v.Right, splitAnd(v.Left, out))
	case *sqlparser.ParenExpr:
		return splitAnd(v.Expr, out)
	}
	return append(out, e)
}

// ownColumn reports whether a column reference belongs to t (unqualified, or
// qualified by its name or alias).
func ownColumn(cn *sqlparser.ColName, t *conf.Table, alias string) bool {
	q := cn.Qualifier.Name.String()
	return q == "" || q == t.Name || (alias != "" && q == alias)
}

// checkScatter refuses what a SELECT across shards cannot answer exactly
// (see PlanMerge: ORDER BY, LIMIT, GROUP BY, aggregates and DISTINCT are
// merged) and UPDATE/DELETE whose LIMIT or ORDER BY spans shards.
func checkScatter(plan *Plan) error {
	t := plan.Table.String()
	switch s := plan.Stmt.(type) {
	case *sqlparser.Select, *sqlparser.Union, *sqlparser.ParenSelect:
		return checkMerge(plan)
	case *sqlparser.Update:
		if s.Limit != nil || len(s.OrderBy) > 0 {
			return sqlerr.Unsupported("UPDATE with LIMIT or ORDER BY across shards of %s", t)
		}
	case *sqlparser.Delete:
		if s.Limit != nil || len(s.OrderBy) > 0 {
			return sqlerr.Unsupported("DELETE with LIMIT or ORDER BY across shards of %s", t)
		}
	}
	return nil
}

var aggregates = map[string]bool{"count": true, "sum": true, "min": true, "max": true, "avg": true,
	"group_concat": true, "std": true, "stddev": true, "variance": true, "bit_and": true, "bit_or": true, "bit_xor": true}

func hasAggregate(exprs sqlparser.SelectExprs) bool {
	found := false
	_ = sqlparser.Walk(func(node sqlparser.SQLNode) (bool, error) {
		switch n := node.(type) {
		case *sqlparser.FuncExpr:
			if aggregates[n.Name.Lowered()] {
				found = true
			}
		case *sqlparser.GroupConcatExpr:
			found = true
		}
		return !found, nil
	}, exprs)
	return found
}

func hasSubquery(node sqlparser.SQLNode) bool {
	found := false
	_ = sqlparser.Walk(func(n sqlparser.SQLNode) (bool, error) {
		if _, ok := n.(*sqlparser.Subquery); ok {
			found = true
		}
		return !found, nil
	}, node)
	return found
}

// changesVindexColumn returns the vindex an UPDATE would change, if any.
// The primary vindex and unowned ones come first: those UPDATEs are refused;
// an owned lookup column is returned only when nothing else changes.
func changesVindexColumn(upd *sqlparser.Update, t *conf.Table) *conf.ColumnVindex {
	var owned *conf.ColumnVindex
	for _, e := range upd.Exprs {
		for _, cv := range t.VindexesOn(e.Name.Name.String()) {
			if cv == t.Primary() || !cv.Owned {
				return cv
			}
			owned = cv
		}
	}
	return owned
}
