package engine

import (
	"context"
	"slices"
	"strings"

	"sidecar/conf"
	"sidecar/vindex"
)

// Opcode is how a Route finds its shards.
type Opcode uint8

const (
	// Scatter: every shard of the keyspace, for want of a vindex condition.
	Scatter Opcode = iota
	// EqualUnique: one value of a unique vindex, so at most one shard.
	EqualUnique
	// Equal: one value of a non-unique vindex (a lookup may name several
	// keyspace ids).
	Equal
	// IN: a list of values of a vindex; the shards of all of them.
	IN
)

var opcodeNames = [...]string{Scatter: "Scatter", EqualUnique: "EqualUnique", Equal: "Equal", IN: "IN"}

func (o Opcode) String() string { return opcodeNames[o] }

// Route finds the shards a SELECT, UPDATE or DELETE on one sharded table
// runs on: from the values of the cheapest vindex condition of its WHERE
// (`col = value`, `col IN (values)`), or every shard.
type Route struct {
	Opcode   Opcode
	Keyspace *conf.Keyspace
	// Vindex and Values: the vindex condition (nil and none for Scatter).
	// Each value is a literal or an argument.
	Vindex *conf.ColumnVindex
	Values []Cell
}

// NewRoute is the route of a vindex condition with these values, or Scatter
// without one.
func NewRoute(ks *conf.Keyspace, cv *conf.ColumnVindex, values []Cell) *Route {
	r := &Route{Opcode: Scatter, Keyspace: ks, Vindex: cv, Values: values}
	switch {
	case cv == nil:
	case len(values) > 1:
		r.Opcode = IN
	case cv.Vindex.IsUnique():
		r.Opcode = EqualUnique
	default:
		r.Opcode = Equal
	}
	return r
}

// Shards maps the route's values with args to the shards, in the order of
// the values, each shard once. A value that maps to no keyspace id adds no
// shard: no row can match it. scatter is true when the route goes to every
// shard for want of a usable value (a `-?` whose argument is already
// negative reads as no value).
func (r *Route) Shards(ctx context.Context, cur VindexCursor, args []vindex.Value) (shards []*conf.Shard, scatter bool, err error) {
	shards, _, scatter, err = r.Split(ctx, cur, args)
	return shards, scatter, err
}

// Split is Shards with, for an IN route to several shards, the indexes of
// the values that map to each shard (values[i] for shards[i], ascending);
// values is nil otherwise.
func (r *Route) Split(ctx context.Context, cur VindexCursor, args []vindex.Value) (shards []*conf.Shard, values [][]int, scatter bool, err error) {
	if r.Opcode == Scatter {
		return r.Keyspace.Shards, nil, true, nil
	}
	if h, ok := r.Vindex.Vindex.(vindex.Hashing); ok && len(r.Values) == 1 && !r.Vindex.Vindex.NeedsQuerier() {
		// A point query by a functional vindex, the commonest route: its
		// shard without the destinations MapValues builds.
		v, ok := r.Values[0].value(args)
		if !ok {
			return r.Keyspace.Shards, nil, true, nil
		}
		if numberForText(r.Vindex, v) {
			return r.Keyspace.Shards, nil, true, nil
		}
		ksid, err := h.Hash(v)
		switch {
		case err == nil && ksid != nil:
			return r.Keyspace.OnlyShardFor(ksid), nil, false, nil
		case err != nil && !v.IsNull(): // see anyShard
			return r.Keyspace.Shards, nil, true, nil
		}
		return nil, nil, false, nil // no keyspace id: no row can match
	}
	vals := make([]vindex.Value, len(r.Values))
	for i := range r.Values {
		v, ok := r.Values[i].value(args)
		if !ok {
			return r.Keyspace.Shards, nil, true, nil
		}
		vals[i] = v
	}
	for _, v := range vals {
		if numberForText(r.Vindex, v) {
			return r.Keyspace.Shards, nil, true, nil
		}
	}
	dests, err := MapValues(ctx, cur, r.Keyspace, r.Vindex, vals)
	if err != nil {
		return nil, nil, false, err
	}
	for i, d := range dests {
		if _, none := d.(vindex.DestinationNone); none && anyShard(r.Vindex, vals[i]) {
			return r.Keyspace.Shards, nil, true, nil
		}
	}
	shards, values = splitDests(r.Keyspace, dests, true)
	if len(shards) < 2 {
		values = nil
	}
	return shards, values, false, nil
}

// ShardsOf lists the shards destinations cover, in their order, each shard
// once. DestinationNone covers none: no row can match it.
func ShardsOf(ks *conf.Keyspace, dests []vindex.Destination) []*conf.Shard {
	shards, _ := splitDests(ks, dests, false)
	return shards
}

// splitDests is ShardsOf with, when split is set, the indexes of the
// destinations that cover each shard (values[i] for shards[i], ascending).
func splitDests(ks *conf.Keyspace, dests []vindex.Destination, split bool) (shards []*conf.Shard, values [][]int) {
	add := func(sh *conf.Shard, i int) {
		n := slices.Index(shards, sh)
		if n < 0 {
			n = len(shards)
			shards = append(shards, sh)
			if split {
				values = append(values, nil)
			}
		}
		if v := values; split && (len(v[n]) == 0 || v[n][len(v[n])-1] != i) {
			v[n] = append(v[n], i)
		}
	}
	for i, d := range dests {
		switch d := d.(type) {
		case vindex.DestinationKeyspaceID:
			add(ks.ShardFor(vindex.KeyspaceID(d)), i)
		case vindex.DestinationKeyspaceIDs:
			for _, id := range d {
				add(ks.ShardFor(id), i)
			}
		case vindex.DestinationKeyRange:
			for _, sh := range ks.Shards {
				if d.Range.Intersects(sh.Range) {
					add(sh, i)
				}
			}
		}
	}
	return shards, values
}

func (r *Route) describe(b *strings.Builder, depth int) {
	if r.Opcode == Scatter {
		line(b, depth, "Route Scatter: every shard of %s, no vindex condition in the WHERE clause", r.Keyspace.Name)
		return
	}
	cv := r.Vindex
	line(b, depth, "Route %s: %s by vindex %s (%s), %d value(s)", r.Opcode, cv.Columns[0], cv.Name, cv.Type, len(r.Values))
}
