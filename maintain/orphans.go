package maintain

import (
	"bytes"
	"context"
	"slices"

	"sidecar/conf"
	"sidecar/vindex"
)

// lookupPass goes through the lookup table, shard by shard, for the rows no
// owner row holds (LookupCheck only: a backfill leaves them, the next
// insert of their value takes them over).
func (j *lookupJob) lookupPass(ctx context.Context) error {
	for _, sh := range j.lt.ks.Shards {
		if err := j.lookupShard(ctx, sh); err != nil {
			return err
		}
	}
	return nil
}

// entry is a lookup row read by the lookup pass.
type entry struct {
	key    []vindex.Value // the lookup table's primary key
	values []vindex.Value // from columns
	row    lookupRow
}

func (j *lookupJob) lookupShard(ctx context.Context, sh *conf.Shard) error {
	c, err := j.lookups.get(ctx, sh)
	if err != nil {
		return err
	}
	pk, err := primaryKey(ctx, c, j.lt.table)
	if err != nil {
		return err
	}
	j.lookupPK = pk
	cols := newColumns(pk, j.lt.from, []string{j.lt.to})
	sc := &scanner{conns: j.lookups, run: j.run, shard: sh, table: j.lt.table, pk: pk, cols: cols, batch: j.opts.Batch}
	for {
		rows, err := sc.next(ctx)
		if err != nil || len(rows) == 0 {
			return err
		}
		var entries []entry
		for _, r := range rows {
			to := cols.of(r, []string{j.lt.to})[0]
			ksid, ok := j.lt.v.KeyspaceIDOf(to)
			if !ok || to.IsNull() {
				ksid = nil
			}
			e := entry{key: cols.of(r, pk), values: cols.of(r, j.lt.from), row: lookupRow{shard: sh, to: to, ksid: ksid}}
			if !j.mismatch[tupleKey(e.values)] {
				entries = append(entries, e)
			}
		}
		var unowned []entry
		err = j.retry(ctx, func() (err error) {
			unowned, err = j.unowned(ctx, entries)
			return err
		}, j.owners, j.readers)
		if err != nil {
			return err
		}
		for _, e := range unowned {
			if err := j.retry(ctx, func() error { return j.settleOrphan(ctx, e) }, j.owners, j.lookups, j.readers); err != nil {
				return err
			}
			j.commitBatch()
		}
		if err := j.scanned(ctx, len(rows)); err != nil {
			return err
		}
	}
}

// unowned returns the entries that no owner row holds, read without locks
// on the owner shards of their keyspace ids, one statement per shard.
func (j *lookupJob) unowned(ctx context.Context, entries []entry) ([]entry, error) {
	byShard := map[*conf.Shard][]int{}
	for i, e := range entries {
		if e.row.ksid != nil && !hasNull(e.values) { // else no owner row can hold it
			sh := j.owner.Keyspace.ShardFor(e.row.ksid)
			byShard[sh] = append(byShard[sh], i)
		}
	}
	owned := make([]bool, len(entries))
	for _, sh := range j.owner.Keyspace.Shards {
		idx := byShard[sh]
		if len(idx) == 0 {
			continue
		}
		c, err := j.owners.get(ctx, sh)
		if err != nil {
			return nil, err
		}
		pk := j.ownerPK[sh]
		if pk == nil {
			if pk, err = primaryKey(ctx, c, j.owner.Name); err != nil {
				return nil, err
			}
			j.ownerPK[sh] = pk
		}
		cols := j.ownerColumns(pk)
		tuples := make([][]vindex.Value, len(idx))
		for k, i := range idx {
			tuples[k] = entries[i].values
		}
		found, err := selectMatching(ctx, c, j.owner.Name, j.cv.Columns, cols.names, tuples, "")
		if err != nil {
			return nil, err
		}
		// The keyspace ids of every owner row found, in one go.
		var pvals []vindex.Value
		for _, rows := range found {
			for _, r := range rows {
				pvals = append(pvals, cols.of(r, j.rk.cols)[0])
			}
		}
		ksids, _, err := j.rk.keyspaceIDs(ctx, j.readers, pvals)
		if err != nil {
			return nil, err
		}
		n := 0
		for k, rows := range found {
			for range rows {
				if bytes.Equal(ksids[n], entries[idx[k]].row.ksid) {
					owned[idx[k]] = true
				}
				n++
			}
		}
	}
	var out []entry
	for i, e := range entries {
		if !owned[i] {
			out = append(out, e)
		}
	}
	return out, nil
}

// settleOrphan confirms, under locks, that a lookup row has no owner, and
// with fix deletes it: the row FOR UPDATE (the lock the consistent lookup's
// duplicate protocol takes before taking a row over, so no insert of the
// value can be half-way through it), then the owner check with a shared
// locking read that waits for an owner row being inserted, then the delete
// of exactly that row (value and keyspace id).
func (j *lookupJob) settleOrphan(ctx context.Context, e entry) error {
	j.batch = batchResult{}
	lc, err := j.lookups.get(ctx, e.row.shard)
	if err != nil {
		return err
	}
	if err := lc.begin(ctx); err != nil {
		return err
	}
	match := append(slices.Clone(j.lt.from), j.lt.to)
	tuple := append(slices.Clone(e.values), e.row.to)
	still, err := selectMatching(ctx, lc, j.lt.table, match, []string{j.lt.to}, [][]vindex.Value{tuple}, " FOR UPDATE")
	if err != nil {
		return err
	}
	if len(still[0]) > 0 && !hasNull(tuple) {
		other, err := j.ownedAt(ctx, nil, e.values, e.row.ksid)
		if err != nil {
			return err
		}
		if other == "" {
			f := Finding{Kind: KindOrphan, Shard: e.row.shard.Name, Value: showValues(e.values), Key: showKey(j.lookupPK, e.key)}
			f.KeyspaceID = showKeyspaceID(e.row.ksid)
			if e.row.ksid == nil {
				f.KeyspaceID = showValue(e.row.to)
			}
			switch {
			case j.fix:
				buf := append([]byte("DELETE FROM "), vindex.QuoteIdent(j.lt.table)...)
				buf = append(buf, " WHERE "...)
				buf = appendRowEq(buf, match, tuple, lc.lit)
				n, err := lc.exec(ctx, string(buf))
				if err != nil {
					return err
				}
				j.batch.changed += int64(n)
				f.Detail = "deleted"
			case j.opts.DryRun && j.repair:
				j.batch.changed++
				f.Detail = "dry run: would be deleted"
			}
			j.batch.findings = append(j.batch.findings, f)
		}
	}
	return lc.commit(ctx)
}

// sortByValues orders owner rows by their values' bytes, the order the
// vindex package inserts lookup rows in: concurrent inserts of overlapping
// values then take their locks in one order.
func sortByValues(owners []ownerRow) []ownerRow {
	out := slices.Clone(owners)
	slices.SortStableFunc(out, func(a, b ownerRow) int {
		for i := range a.values {
			if c := bytes.Compare(a.values[i].Raw, b.values[i].Raw); c != 0 {
				return c
			}
		}
		return bytes.Compare(a.ksid, b.ksid)
	})
	return out
}
