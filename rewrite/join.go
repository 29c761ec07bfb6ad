package rewrite

import (
	"context"
	"strings"

	"github.com/xwb1989/sqlparser"

	"sidecar/conf"
	"sidecar/vindex"
)

// routeJoin routes a SELECT joining tables of one sharded keyspace. It runs
// as one query only when every table's primary vindex column is bound to a
// value — directly (`t.id = 5`) or through join equalities (`a.id = b.id`) —
// and all those values land on the same shard. Anything else would need a
// cross-shard join, which is refused.
func routeJoin(ctx context.Context, plan *Plan, args Args, io IO) (*Route, error) {
	sel, ok := plan.Stmt.(*sqlparser.Select)
	if !ok {
		return nil, errUnsupported("joins outside SELECT")
	}
	ks := plan.Keyspace
	type joined struct {
		table *conf.Table
		alias string
	}
	var tables []joined
	var conds []sqlparser.Expr
	_ = sqlparser.Walk(func(node sqlparser.SQLNode) (bool, error) {
		switch n := node.(type) {
		case *sqlparser.AliasedTableExpr:
			if tn, ok := n.Expr.(sqlparser.TableName); ok {
				if t, err := ks.FindTable(tn.Name.String()); err == nil {
					alias := tn.Name.String()
					if !n.As.IsEmpty() {
						alias = n.As.String()
					}
					tables = append(tables, joined{t, alias})
				}
			}
		case *sqlparser.JoinTableExpr:
			conds = splitAnd(n.Condition.On, conds)
		case *sqlparser.Subquery:
			return false, nil
		}
		return true, nil
	}, sel.From)
	if sel.Where != nil {
		conds = splitAnd(sel.Where.Expr, conds)
	}
	// Union-find over qualified columns, with literal values attached.
	parent := map[string]string{}
	var find func(string) string
	find = func(k string) string {
		for parent[k] != "" && parent[k] != k {
			k = parent[k]
		}
		return k
	}
	values := map[string]vindex.Value{}
	key := func(cn *sqlparser.ColName) string {
		return cn.Qualifier.Name.String() + "." + strings.ToLower(cn.Name.String())
	}
	for _, c := range conds {
		cmp, ok := c.(*sqlparser.ComparisonExpr)
		if !ok || cmp.Operator != sqlparser.EqualStr {
			continue
		}
		l, lok := cmp.Left.(*sqlparser.ColName)
		r, rok := cmp.Right.(*sqlparser.ColName)
		switch {
		case lok && rok && !l.Qualifier.IsEmpty() && !r.Qualifier.IsEmpty():
			a, b := find(key(l)), find(key(r))
			if a != b {
				parent[a] = b
				if v, ok := values[a]; ok {
					values[b] = v
				}
			}
		case lok && !l.Qualifier.IsEmpty():
			if v, ok := valueOf(cmp.Right, args); ok {
				values[find(key(l))] = v
			}
		case rok && !r.Qualifier.IsEmpty():
			if v, ok := valueOf(cmp.Left, args); ok {
				values[find(key(r))] = v
			}
		}
	}
	var shard *conf.Shard
	for _, j := range tables {
		pv := j.table.Primary()
		if pv == nil || len(pv.Columns) != 1 {
			return nil, errUnsupported("a join across shards: table %s has no single-column primary vindex", j.table.Name)
		}
		v, ok := values[find(j.alias+"."+strings.ToLower(pv.Columns[0]))]
		if !ok {
			return nil, errUnsupported("a join across shards: nothing binds %s.%s to one value, so the tables cannot be proven to share a shard", j.alias, pv.Columns[0])
		}
		dests, err := mapValues(ctx, ks, pv, []vindex.Value{v}, io)
		if err != nil {
			return nil, err
		}
		shards := uniqueShards(appendShards(nil, ks, dests[0]))
		if len(shards) != 1 || (shard != nil && shards[0] != shard) {
			return nil, errUnsupported("a join across shards: its tables' rows are on different shards")
		}
		shard = shards[0]
	}
	return &Route{Shards: []*conf.Shard{shard}}, nil
}
