package maintain

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"sidecar/conf"
	"sidecar/vindex"
)

// splitQualified splits "ks.name" (backquotes allowed); keyspace is "" when
// the name is not qualified.
func splitQualified(name string) (keyspace, rest string) {
	unquote := func(s string) string { return strings.Trim(strings.TrimSpace(s), "`") }
	if k, r, ok := strings.Cut(name, "."); ok {
		return unquote(k), unquote(r)
	}
	return "", unquote(name)
}

// findTable resolves KS.TABLE (or a table name unique across keyspaces) to a
// sharded table of the VSchema.
func findTable(topo *conf.Topology, name string) (*conf.Table, error) {
	ks, table := splitQualified(name)
	t, err := topo.FindTable(ks, table)
	if err != nil {
		return nil, err
	}
	if !t.Keyspace.Sharded || t.Synthesized || len(t.ColumnVindexes) == 0 {
		return nil, fmt.Errorf("%s is not a sharded table with vindexes: nothing to compute from keyspace ids", t)
	}
	return t, nil
}

// lookupTable is a lookup vindex's table, resolved: the keyspace it lives in
// and, when that keyspace is sharded, how a lookup row's shard is computed
// (from the table's own primary vindex, like things_name_lookup's
// unicode_loose_md5 on name).
type lookupTable struct {
	v      vindex.LookupTable
	name   string // the vindex, KS.VINDEX, for messages
	ks     *conf.Keyspace
	table  string
	from   []string
	to     string
	unique bool

	place    vindex.Hashing // sharded keyspace: the table's primary vindex
	placeCol int            // the column it reads: index in from, or -1 for to
}

// resolveLookupTable finds where the table of lk (a vindex of keyspace
// vks) lives, as the sidecar routes its lookup queries: a qualified name's
// keyspace; else vks if it has the table (an unsharded keyspace has any);
// else the one keyspace that has a table of that name.
func resolveLookupTable(topo *conf.Topology, vks *conf.Keyspace, name string, lk vindex.LookupTable) (*lookupTable, error) {
	ksName, table := splitQualified(lk.Table())
	var ks *conf.Keyspace
	switch {
	case ksName != "":
		if ks = topo.Keyspaces[ksName]; ks == nil {
			return nil, fmt.Errorf("lookup table %s of vindex %s: keyspace %s is not defined", lk.Table(), name, ksName)
		}
	case !vks.Sharded || vks.Tables[table] != nil:
		ks = vks
	default:
		t, err := topo.FindTable("", table)
		if err != nil {
			return nil, fmt.Errorf("lookup table %s of vindex %s: %w", lk.Table(), name, err)
		}
		ks = t.Keyspace
	}
	l := &lookupTable{v: lk, name: name, ks: ks, table: table, from: lk.FromColumns(), to: lk.ToColumn(), unique: lk.IsUnique()}
	if !ks.Sharded {
		return l, nil
	}
	t := ks.Tables[table]
	if t == nil || t.Primary() == nil {
		return nil, fmt.Errorf("lookup table %s of vindex %s is in sharded keyspace %s without a primary vindex", table, name, ks.Name)
	}
	pv := t.Primary()
	h, ok := pv.Vindex.(vindex.Hashing)
	if !ok || len(pv.Columns) != 1 {
		return nil, fmt.Errorf("lookup table %s of vindex %s: its primary vindex %s is not a one-column functional vindex; not supported", table, name, pv.Name)
	}
	l.place, l.placeCol = h, -2
	for i, f := range l.from {
		if strings.EqualFold(f, pv.Columns[0]) {
			l.placeCol = i
		}
	}
	if strings.EqualFold(l.to, pv.Columns[0]) {
		l.placeCol = -1
	}
	if l.placeCol == -2 {
		return nil, fmt.Errorf("lookup table %s of vindex %s is sharded by %s, which is neither a from column nor the to column", table, name, pv.Columns[0])
	}
	return l, nil
}

// shardOf is the shard holding the lookup row (from, to).
func (l *lookupTable) shardOf(from []vindex.Value, to vindex.Value) (*conf.Shard, error) {
	if l.place == nil {
		return l.ks.Shards[0], nil
	}
	v := to
	if l.placeCol >= 0 {
		v = from[l.placeCol]
	}
	ksid, err := l.place.Hash(v)
	if err != nil {
		return nil, fmt.Errorf("lookup table %s: shard of %s: %w", l.table, showValue(v), err)
	}
	return l.ks.ShardFor(ksid), nil
}

// shardsOf groups tuples of from values by the shard their lookup rows are
// on; when rows are placed by their keyspace id, which is not known yet,
// every shard is asked for every tuple.
func (l *lookupTable) shardsOf(tuples [][]vindex.Value) (map[*conf.Shard][]int, error) {
	out := map[*conf.Shard][]int{}
	if l.place != nil && l.placeCol < 0 {
		for _, sh := range l.ks.Shards {
			for i := range tuples {
				out[sh] = append(out[sh], i)
			}
		}
		return out, nil
	}
	for i, t := range tuples {
		if hasNull(t) {
			continue
		}
		sh, err := l.shardOf(t, vindex.Value{})
		if err != nil {
			return nil, err
		}
		out[sh] = append(out[sh], i)
	}
	return out, nil
}

// lookupRow is a row of a lookup table as a job sees it.
type lookupRow struct {
	shard *conf.Shard
	to    vindex.Value      // as stored
	ksid  vindex.KeyspaceID // nil if to is no keyspace id
}

// read returns the lookup rows of each tuple of from values. lock is "" or
// " FOR UPDATE"; with a lock, each connection used begins a transaction
// first (if it is not in one), which the caller commits.
func (l *lookupTable) read(ctx context.Context, conns *connSet, tuples [][]vindex.Value, lock string) ([][]lookupRow, error) {
	out := make([][]lookupRow, len(tuples))
	groups, err := l.shardsOf(tuples)
	if err != nil {
		return nil, err
	}
	for _, sh := range l.ks.Shards { // shard order: one lock order for every run
		idx := groups[sh]
		if len(idx) == 0 {
			continue
		}
		c, err := conns.get(ctx, sh)
		if err != nil {
			return nil, err
		}
		if lock != "" && !c.inTx {
			if err := c.begin(ctx); err != nil {
				return nil, err
			}
		}
		sub := make([][]vindex.Value, len(idx))
		for j, i := range idx {
			sub[j] = tuples[i]
		}
		rows, err := selectMatching(ctx, c, l.table, l.from, []string{l.to}, sub, lock)
		if err != nil {
			return nil, err
		}
		for j, i := range idx {
			for _, r := range rows[j] {
				ksid, ok := l.v.KeyspaceIDOf(r[0])
				if !ok || r[0].IsNull() {
					ksid = nil
				}
				out[i] = append(out[i], lookupRow{shard: sh, to: r[0], ksid: ksid})
			}
		}
	}
	return out, nil
}

// rowKeyspace computes a table's rows' keyspace ids from its primary vindex:
// a functional vindex directly, a lookup vindex (seed 002's corder_event by
// corder_keyspace_idx) through its lookup table.
type rowKeyspace struct {
	cols   []string // the primary vindex's column
	hash   vindex.Hashing
	lookup *lookupTable
}

func newRowKeyspace(topo *conf.Topology, t *conf.Table) (*rowKeyspace, error) {
	pv := t.Primary()
	if pv == nil {
		return nil, fmt.Errorf("%s has no primary vindex", t)
	}
	if len(pv.Columns) != 1 {
		return nil, fmt.Errorf("%s: primary vindex %s has %d columns; only one-column primary vindexes are supported", t, pv.Name, len(pv.Columns))
	}
	rk := &rowKeyspace{cols: pv.Columns}
	if h, ok := pv.Vindex.(vindex.Hashing); ok {
		rk.hash = h
		return rk, nil
	}
	lk, ok := pv.Vindex.(vindex.LookupTable)
	if !ok || !lk.IsUnique() {
		return nil, fmt.Errorf("%s: primary vindex %s (%s) is neither functional nor a unique lookup; not supported", t, pv.Name, pv.Type)
	}
	l, err := resolveLookupTable(topo, t.Keyspace, t.Keyspace.Name+"."+pv.Name, lk)
	if err != nil {
		return nil, err
	}
	rk.lookup = l
	return rk, nil
}

// keyspaceIDs returns the keyspace id of each primary vindex value; nil,
// with the reason in why, for a value that maps to none. Lookup tables are
// read without locks on conns.
func (rk *rowKeyspace) keyspaceIDs(ctx context.Context, conns *connSet, vals []vindex.Value) (ksids []vindex.KeyspaceID, why []string, err error) {
	ksids = make([]vindex.KeyspaceID, len(vals))
	why = make([]string, len(vals))
	if rk.hash != nil {
		for i, v := range vals {
			if v.IsNull() {
				why[i] = "NULL maps to no keyspace id"
				continue
			}
			if ksids[i], err = rk.hash.Hash(v); err != nil {
				ksids[i], why[i], err = nil, err.Error(), nil
			}
		}
		return ksids, why, nil
	}
	tuples := make([][]vindex.Value, len(vals))
	for i, v := range vals {
		tuples[i] = []vindex.Value{v}
	}
	rows, err := rk.lookup.read(ctx, conns, tuples, "")
	if err != nil {
		return nil, nil, err
	}
	for i, rs := range rows {
		switch {
		case len(rs) == 0:
			why[i] = fmt.Sprintf("could not map [%s] to a keyspace id", vals[i])
		case len(rs) > 1:
			why[i] = fmt.Sprintf("%s maps to %d keyspace ids in %s", vals[i], len(rs), rk.lookup.table)
		case rs[0].ksid == nil:
			why[i] = fmt.Sprintf("the lookup row of %s holds no keyspace id", vals[i])
		default:
			ksids[i] = rs[0].ksid
		}
	}
	return ksids, why, nil
}

// holds reports whether col's value v is what ksid gives: it hashes to
// ksid under the column's vindex.
func holds(ctx context.Context, v vindex.Vindex, val vindex.Value, ksid vindex.KeyspaceID) bool {
	if h, ok := v.(vindex.Hashing); ok {
		got, err := h.Hash(val)
		return err == nil && bytes.Equal(got, ksid)
	}
	sc, ok := v.(vindex.SingleColumn)
	if !ok {
		return false
	}
	ok2, err := sc.Verify(ctx, nil, []vindex.Value{val}, []vindex.KeyspaceID{ksid})
	return err == nil && len(ok2) == 1 && ok2[0]
}
