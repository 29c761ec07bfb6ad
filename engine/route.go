package engine

import (
	"context"
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
	if r.Opcode == Scatter {
		return r.Keyspace.Shards, true, nil
	}
	if h, ok := r.Vindex.Vindex.(vindex.Hashing); ok && len(r.Values) == 1 && !r.Vindex.Vindex.NeedsQuerier() {
		// A point query by a functional vindex, the commonest route: its
		// shard without the destinations MapValues builds.
		v, ok := r.Values[0].value(args)
		if !ok {
			return r.Keyspace.Shards, true, nil
		}
		if numberForText(r.Vindex, v) {
			return r.Keyspace.Shards, true, nil
		}
		ksid, err := h.Hash(v)
		switch {
		case err == nil && ksid != nil:
			return r.Keyspace.OnlyShardFor(ksid), false, nil
		case err != nil && !v.IsNull(): // see anyShard
			return r.Keyspace.Shards, true, nil
		}
		return nil, false, nil // no keyspace id: no row can match
	}
	values := make([]vindex.Value, len(r.Values))
	for i := range r.Values {
		v, ok := r.Values[i].value(args)
		if !ok {
			return r.Keyspace.Shards, true, nil
		}
		values[i] = v
	}
	for _, v := range values {
		if numberForText(r.Vindex, v) {
			return r.Keyspace.Shards, true, nil
		}
	}
	dests, err := MapValues(ctx, cur, r.Keyspace, r.Vindex, values)
	if err != nil {
		return nil, false, err
	}
	for i, d := range dests {
		if _, none := d.(vindex.DestinationNone); none && anyShard(r.Vindex, values[i]) {
			return r.Keyspace.Shards, true, nil
		}
	}
	return ShardsOf(r.Keyspace, dests), false, nil
}

// ShardsOf lists the shards destinations cover, in their order, each shard
// once. DestinationNone covers none: no row can match it.
func ShardsOf(ks *conf.Keyspace, dests []vindex.Destination) []*conf.Shard {
	var out []*conf.Shard
	for _, d := range dests {
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
	}
	if len(out) < 2 {
		return out // a point query: no map to allocate
	}
	seen := make(map[*conf.Shard]bool, len(out))
	unique := out[:0]
	for _, sh := range out {
		if !seen[sh] {
			seen[sh] = true
			unique = append(unique, sh)
		}
	}
	return unique
}

func (r *Route) describe(b *strings.Builder, depth int) {
	if r.Opcode == Scatter {
		line(b, depth, "Route Scatter: every shard of %s, no vindex condition in the WHERE clause", r.Keyspace.Name)
		return
	}
	cv := r.Vindex
	line(b, depth, "Route %s: %s by vindex %s (%s), %d value(s)", r.Opcode, cv.Columns[0], cv.Name, cv.Type, len(r.Values))
}
