package maintain

import (
	"context"
	"fmt"

	"sidecar/conf"
	"sidecar/vindex"
)

// BackfillOptions name the column to fill.
type BackfillOptions struct {
	Table  string // KS.TABLE
	Column string
	Options
}

// Backfill fills the NULL values of a column whose vindex is reversible
// with the value its row's keyspace id reverses to (binary: the keyspace id
// itself; hash: the number it hashes), shard by shard in primary-key
// batches. A value already there is checked: one its keyspace id does not
// give is reported (KindWrong, a problem) and left as it is.
//
// Concurrent writers need no lock: each UPDATE changes only rows whose
// column is still NULL and whose primary key and primary vindex value are
// the ones read, so a row a sidecar filled, changed or deleted meanwhile is
// left alone, and a second run finds nothing to fill.
func Backfill(ctx context.Context, topo *conf.Topology, o BackfillOptions) (*Summary, error) {
	r := newRun("backfill", o.Table+"."+o.Column, o.Options)
	b, err := newBackfill(topo, o, r)
	if err != nil {
		return nil, err
	}
	defer b.owners.close()
	defer b.readers.close()
	return r.finish(ctx, b.all(ctx))
}

type backfill struct {
	*run
	table   *conf.Table
	column  string
	cv      *conf.ColumnVindex
	rev     vindex.Reversible
	rk      *rowKeyspace
	owners  *connSet // the table's shards
	readers *connSet // the primary lookup vindex's table, if any
}

func newBackfill(topo *conf.Topology, o BackfillOptions, r *run) (*backfill, error) {
	t, err := findTable(topo, o.Table)
	if err != nil {
		return nil, err
	}
	cv, rev, err := reversibleVindex(t, o.Column)
	if err != nil {
		return nil, err
	}
	rk, err := newRowKeyspace(topo, t)
	if err != nil {
		return nil, err
	}
	return &backfill{
		run: r, table: t, column: cv.Columns[0], cv: cv, rev: rev, rk: rk,
		owners:  newConnSet(r.opts.LockWaitTimeout),
		readers: newConnSet(r.opts.LockWaitTimeout),
	}, nil
}

// reversibleVindex finds the vindex that fills column: a one-column,
// reversible, secondary vindex of the table. The primary vindex's column is
// where the keyspace id comes from, never filled from it.
func reversibleVindex(t *conf.Table, column string) (*conf.ColumnVindex, vindex.Reversible, error) {
	cvs := t.VindexesOn(column)
	if len(cvs) == 0 {
		return nil, nil, fmt.Errorf("column %s of %s has no vindex", column, t)
	}
	var notReversible []string
	for _, cv := range cvs {
		if cv == t.Primary() {
			return nil, nil, fmt.Errorf("column %s of %s is the primary vindex's (%s): the keyspace id is computed from it, not it from the keyspace id", column, t, cv.Name)
		}
		rev, ok := cv.Vindex.(vindex.Reversible)
		if ok && len(cv.Columns) == 1 {
			return cv, rev, nil
		}
		notReversible = append(notReversible, fmt.Sprintf("%s (%s)", cv.Name, cv.Type))
	}
	return nil, nil, fmt.Errorf("column %s of %s: vindex %v is not reversible: its value cannot be computed from a keyspace id", column, t, notReversible)
}

func (b *backfill) all(ctx context.Context) error {
	if b.opts.Progress != nil {
		var total int64
		for _, sh := range b.table.Keyspace.Shards {
			if c, err := b.owners.get(ctx, sh); err == nil {
				total += estimateRows(ctx, c, b.table.Name)
			}
		}
		b.opts.Progress.SetTotal(total)
	}
	for _, sh := range b.table.Keyspace.Shards {
		if err := b.shard(ctx, sh); err != nil {
			return err
		}
	}
	return nil
}

// shard fills the column on one shard.
func (b *backfill) shard(ctx context.Context, sh *conf.Shard) error {
	c, err := b.owners.get(ctx, sh)
	if err != nil {
		return err
	}
	pk, err := primaryKey(ctx, c, b.table.Name)
	if err != nil {
		return err
	}
	// The primary vindex's columns guard each UPDATE with the pk: the value
	// written is right only for the primary value it was computed from.
	match := newColumns(pk, b.rk.cols).names
	cols := newColumns(match, []string{b.column})
	sc := &scanner{conns: b.owners, run: b.run, shard: sh, table: b.table.Name, pk: pk, cols: cols, batch: b.opts.Batch}
	for {
		rows, err := sc.next(ctx)
		if err != nil || len(rows) == 0 {
			return err
		}
		if err := b.batch(ctx, sh, pk, match, cols, rows); err != nil {
			return err
		}
		if err := b.scanned(ctx, len(rows)); err != nil {
			return err
		}
	}
}

// fill is one NULL to write: the row (by its match columns) and the value.
type fill struct {
	match []vindex.Value
	key   string // for a finding
	value vindex.Value
}

func (b *backfill) batch(ctx context.Context, sh *conf.Shard, pk, match []string, cols *columns, rows [][]vindex.Value) error {
	pvals := make([]vindex.Value, len(rows))
	for i, row := range rows {
		pvals[i] = cols.of(row, b.rk.cols)[0]
	}
	var ksids []vindex.KeyspaceID
	var why []string
	err := b.retry(ctx, func() (err error) {
		ksids, why, err = b.rk.keyspaceIDs(ctx, b.readers, pvals)
		return err
	}, b.readers)
	if err != nil {
		return err
	}
	var fills []fill
	for i, row := range rows {
		key := showKey(pk, cols.of(row, pk))
		ksid := ksids[i]
		switch {
		case ksid == nil:
			b.report(Finding{Kind: KindUnmapped, Shard: sh.Name, Key: key, Detail: why[i], Problem: true})
			continue
		case !sh.Range.Contains(ksid):
			b.report(misplaced(sh, b.table.Keyspace, key, ksid))
			continue
		}
		want, err := b.rev.ReverseMap([]vindex.KeyspaceID{ksid})
		if err != nil {
			b.report(Finding{Kind: KindUnmapped, Shard: sh.Name, Key: key, Detail: fmt.Sprintf("%s cannot reverse keyspace id %s: %v", b.cv.Name, showKeyspaceID(ksid), err), Problem: true})
			continue
		}
		stored := cols.of(row, []string{b.column})[0]
		switch {
		case stored.IsNull():
			fills = append(fills, fill{match: cols.of(row, match), key: key, value: want[0]})
		case !holds(ctx, b.cv.Vindex, stored, ksid):
			b.report(Finding{Kind: KindWrong, Shard: sh.Name, Key: key, Stored: showValue(stored), Expected: showValue(want[0]),
				Detail: "left as it is", Problem: true})
		}
	}
	if len(fills) == 0 {
		return nil
	}
	if b.opts.DryRun {
		b.sum.Changed += int64(len(fills))
		return nil
	}
	return b.write(ctx, sh, match, fills)
}

// write fills a batch's NULLs in one UPDATE; if the shard refuses it (a
// value the column cannot hold), row by row, each refusal a finding.
func (b *backfill) write(ctx context.Context, sh *conf.Shard, match []string, fills []fill) error {
	var n uint64
	err := b.retry(ctx, func() error {
		c, err := b.owners.get(ctx, sh)
		if err != nil {
			return err
		}
		n, err = c.exec(ctx, fillSQL(b.table.Name, b.column, match, fills, c.lit))
		return err
	}, b.owners)
	if err == nil {
		b.sum.Changed += int64(n)
		return nil
	}
	if errorCode(err) == 0 || ctx.Err() != nil {
		return err
	}
	for _, f := range fills {
		err := b.retry(ctx, func() error {
			c, err := b.owners.get(ctx, sh)
			if err != nil {
				return err
			}
			n, err = c.exec(ctx, fillSQL(b.table.Name, b.column, match, []fill{f}, c.lit))
			return err
		}, b.owners)
		switch {
		case err == nil:
			b.sum.Changed += int64(n)
		case errorCode(err) != 0 && ctx.Err() == nil:
			b.report(Finding{Kind: KindFailed, Shard: sh.Name, Key: f.key, Expected: showValue(f.value), Detail: err.Error(), Problem: true})
		default:
			return err
		}
	}
	return nil
}

// fillSQL writes each fill's value into its row if the column is still NULL:
//
//	UPDATE `t` SET `c` = CASE WHEN <row 1> THEN v1 WHEN … END
//	WHERE `c` IS NULL AND (<row 1> OR …)
func fillSQL(table, column string, match []string, fills []fill, lit litFunc) string {
	buf := append([]byte("UPDATE "), vindex.QuoteIdent(table)...)
	buf = append(buf, " SET "...)
	buf = append(buf, vindex.QuoteIdent(column)...)
	buf = append(buf, " = CASE"...)
	tuples := make([][]vindex.Value, len(fills))
	for i, f := range fills {
		buf = append(buf, " WHEN "...)
		buf = appendRowEq(buf, match, f.match, lit)
		buf = append(buf, " THEN "...)
		buf = lit(buf, f.value)
		tuples[i] = f.match
	}
	buf = append(buf, " END WHERE "...)
	buf = append(buf, vindex.QuoteIdent(column)...)
	buf = append(buf, " IS NULL AND "...)
	buf = appendAnyRow(buf, match, tuples, lit)
	return string(buf)
}

// misplaced is the finding of a row whose keyspace id is not in the key
// range of the shard it is on: routed by its vindexes, it cannot be found.
func misplaced(sh *conf.Shard, ks *conf.Keyspace, key string, ksid vindex.KeyspaceID) Finding {
	return Finding{Kind: KindMisplaced, Shard: sh.Name, Key: key, OwnerKeyspaceID: showKeyspaceID(ksid),
		Detail: fmt.Sprintf("its keyspace id belongs to shard %s; left as it is", ks.ShardFor(ksid).Name), Problem: true}
}
