package engine

import (
	"context"
	"fmt"
	"strings"

	"sidecar/conf"
	"sidecar/sqlerr"
	"sidecar/vindex"
)

// Router finds the shards of one execution of a SELECT, UPDATE or DELETE on
// a sharded keyspace: a Route (one table) or a JoinRoute.
type Router interface {
	// Shards maps the router's values with args to shards; scatter is true
	// when every shard answers for want of values.
	Shards(ctx context.Context, cur VindexCursor, args []vindex.Value) (shards []*conf.Shard, scatter bool, err error)
	describer
}

// JoinRoute routes a statement reading a sharded keyspace's tables more
// than once (joins, subqueries, derived tables): to the one shard every
// table reference's primary vindex column is bound to by the statement's
// equalities, or to every shard when the tables are co-located. Anything
// else needs rows of several shards to meet, which no shard answers.
type JoinRoute struct {
	Keyspace *conf.Keyspace
	Tables   []JoinedTable
	// Colocated: equalities of primary vindex columns of one vindex join
	// every table reference and the statement keeps or drops rows one by
	// one, so rows of different shards never meet and each shard answers
	// its part.
	Colocated bool
}

// JoinedTable is a table reference of a JoinRoute and the value that binds
// its primary vindex column.
type JoinedTable struct {
	Table *conf.Table
	Alias string
	// Vindex is the table's primary vindex, nil when it has none of one
	// column (which refuses the join).
	Vindex *conf.ColumnVindex
	// Value binds the column when Bound: a literal or an argument.
	Value Cell
	Bound bool
}

// Shards finds the join's shard: each table's value mapped by its primary
// vindex, in the order of the statement; a table whose value maps nowhere
// contributes no row wherever the statement runs.
func (j *JoinRoute) Shards(ctx context.Context, cur VindexCursor, args []vindex.Value) ([]*conf.Shard, bool, error) {
	var shard *conf.Shard
	for _, t := range j.Tables {
		if t.Vindex == nil {
			return nil, false, sqlerr.Unsupported("a join across shards: table %s has no single-column primary vindex", t.Table.Name)
		}
		v, ok := vindex.Value{}, false
		if t.Bound {
			v, ok = t.Value.value(args)
		}
		if ok && anyShard(t.Vindex, v) {
			if j.Colocated {
				return j.Keyspace.Shards, true, nil
			}
			return nil, false, sqlerr.Unsupported("a join or subquery across shards: MySQL compares %s.%s with %v as numbers, so its rows may be on any shard (vindex %s)", t.Alias, t.Vindex.Columns[0], v, t.Vindex.Name)
		}
		if !ok {
			if j.Colocated {
				return j.Keyspace.Shards, true, nil
			}
			return nil, false, sqlerr.Unsupported("a join or subquery across shards: nothing binds %s.%s to one value, so the tables cannot be proven to share a shard", t.Alias, t.Vindex.Columns[0])
		}
		dests, err := MapValues(ctx, cur, j.Keyspace, t.Vindex, []vindex.Value{v})
		if err != nil {
			return nil, false, err
		}
		shards := ShardsOf(j.Keyspace, dests)
		if len(shards) == 0 {
			continue // no row of this table can match, wherever it runs
		}
		if len(shards) != 1 || (shard != nil && shards[0] != shard) {
			return nil, false, sqlerr.Unsupported("a join or subquery across shards: its tables' rows are on different shards")
		}
		shard = shards[0]
	}
	if shard == nil {
		// No table can contribute a row: any shard answers alike (an
		// aggregate over nothing still returns its one row).
		shard = j.Keyspace.Shards[0]
	}
	return []*conf.Shard{shard}, false, nil
}

func (j *JoinRoute) describe(b *strings.Builder, depth int) {
	bound := make([]string, len(j.Tables))
	for i, t := range j.Tables {
		switch {
		case t.Vindex == nil:
			bound[i] = t.Alias + ": no primary vindex of one column"
		case t.Bound && t.Value.Known:
			bound[i] = fmt.Sprintf("%s.%s=%s", t.Alias, t.Vindex.Columns[0], t.Value.Value)
		case t.Bound:
			minus := ""
			if t.Value.Negate {
				minus = "-"
			}
			bound[i] = fmt.Sprintf("%s.%s=%s?%d", t.Alias, t.Vindex.Columns[0], minus, t.Value.Arg)
		default:
			bound[i] = t.Alias + "." + t.Vindex.Columns[0] + " unbound"
		}
	}
	how := "the shard every table's primary vindex column is bound to"
	if j.Colocated {
		how += ", else every shard (co-located)"
	}
	line(b, depth, "JoinRoute: %s: %s", how, strings.Join(bound, ", "))
}
