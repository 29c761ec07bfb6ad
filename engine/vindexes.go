package engine

import (
	"context"

	"sidecar/conf"
	"sidecar/sqlerr"
	"sidecar/vindex"
)

// VindexCursor is what mapping vindex values, writing an INSERT's sequence
// values and lookup rows, and maintaining the lookup rows of UPDATEs and
// DELETEs need from the client's session: its statements on the lookup
// tables (vindex.Querier) and on the owner's shards, the sequences and the
// lookup cache.
type VindexCursor interface {
	vindex.Querier
	// NextSequence reserves n consecutive values of a sequence table and
	// returns the first.
	NextSequence(ctx context.Context, seq *conf.Table, n int64) (int64, error)
	// SequencePast tells the sequence an INSERT gave its column the value
	// v itself: it hands out no value up to v from then on, as MySQL's
	// AUTO_INCREMENT moves past an inserted value.
	SequencePast(ctx context.Context, seq *conf.Table, v int64) error
	// MapLookup maps values through a unique lookup vindex, consulting the
	// lookup cache first.
	MapLookup(ctx context.Context, ks *conf.Keyspace, cv *conf.ColumnVindex, ids []vindex.Value) ([]vindex.Destination, error)
	// LookupWritten tells the session lookup rows of these values changed,
	// so cached keyspace ids of them are dropped.
	LookupWritten(ks *conf.Keyspace, cv *conf.ColumnVindex, ids []vindex.Value)
	// ExecuteShard runs sql on one shard of the session's keyspace, in the
	// session's transaction (order says which of its phases).
	ExecuteShard(ctx context.Context, sh *conf.Shard, sql string, order vindex.CommitOrder) (*vindex.Result, error)
	// RowsMapped tells the session the keyspace ids of the rows of an
	// INSERT into a table that owns lookup vindexes, before their lookup
	// rows are written.
	RowsMapped(t *conf.Table, ksids []vindex.KeyspaceID)
}

// anyShard reports whether the rows MySQL finds equal to v, a value a
// functional vindex maps to one shard or to none, may be on any shard:
//   - a vindex that reads numbers cannot read v, which MySQL still compares
//     the column with as a number (7.0, '7abc', '-1' and '\n7' equal 7);
//   - a vindex made for text columns gets a number, and MySQL compares the
//     text with it as a number ('S01', '0' and '0.0' all equal 0).
//
// NULL equals no row.
func anyShard(cv *conf.ColumnVindex, v vindex.Value) bool {
	h, ok := cv.Vindex.(vindex.Hashing)
	if !ok || cv.Vindex.NeedsQuerier() || v.IsNull() {
		return false
	}
	if numberForText(cv, v) {
		return true
	}
	_, err := h.Hash(v)
	return err != nil
}

// numberForText: v is a number and cv's vindex is made for text (see
// anyShard); or the vindex is xxhash, which hashes a value's text and serves
// number columns too, and v is a number written as a decimal or a float
// (7.0, 7e0), which MySQL compares with either kind of column as a number.
// A string ('07') stays the string it is: on a string column it is equal
// to that string only.
func numberForText(cv *conf.ColumnVindex, v vindex.Value) bool {
	switch v.Kind {
	case vindex.Decimal, vindex.Float64:
		_, xx := cv.Vindex.(*vindex.XXHash)
		return xx || vindex.ForText(cv.Vindex)
	case vindex.Int64, vindex.Uint64:
		return vindex.ForText(cv.Vindex)
	}
	return false
}

// MapValues runs a vindex's Map: functional vindexes without a round trip,
// unique lookups through the lookup cache, the others on their lookup
// tables.
func MapValues(ctx context.Context, cur VindexCursor, ks *conf.Keyspace, cv *conf.ColumnVindex, ids []vindex.Value) ([]vindex.Destination, error) {
	if h, ok := cv.Vindex.(vindex.Hashing); ok && !cv.Vindex.NeedsQuerier() {
		dests := make([]vindex.Destination, len(ids))
		for i, id := range ids {
			ksid, err := h.Hash(id)
			if err != nil || ksid == nil {
				dests[i] = vindex.DestinationNone{}
				continue
			}
			dests[i] = vindex.DestinationKeyspaceID(ksid)
		}
		return dests, nil
	}
	if cv.Vindex.NeedsQuerier() && cv.Vindex.IsUnique() {
		return cur.MapLookup(ctx, ks, cv, ids)
	}
	sc, ok := cv.Vindex.(vindex.SingleColumn)
	if !ok {
		return nil, sqlerr.Unsupported("vindex %s (%s) for routing", cv.Name, cv.Type)
	}
	return sc.Map(ctx, cur, ids)
}
