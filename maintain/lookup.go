package maintain

import (
	"bytes"
	"context"
	"fmt"

	"sidecar/conf"
	"sidecar/vindex"
)

// LookupOptions name the lookup vindex.
type LookupOptions struct {
	Vindex string // KS.VINDEX
	// Repair (LookupCheck): create the missing lookup rows, re-point the
	// mismatched ones whose keyspace id has no owner, delete the orphans.
	Repair bool
	Options
}

// LookupBackfill creates the lookup rows of the owner rows that have none:
// a lookup vindex added to a table that already has rows. A lookup row that
// holds the value for a keyspace id without an owner row is taken over, as
// the consistent lookup takes over an orphan; a unique value held by owner
// rows with different keyspace ids is reported (KindConflict, a problem)
// and the run goes on. Lookup rows no owner row needs are left to
// LookupCheck.
func LookupBackfill(ctx context.Context, topo *conf.Topology, o LookupOptions) (*Summary, error) {
	j, err := newLookupJob(topo, "lookup backfill", o)
	if err != nil {
		return nil, err
	}
	defer j.close()
	j.fix = !o.DryRun
	return j.finish(ctx, j.ownerPass(ctx))
}

// LookupCheck compares a lookup vindex's table with its owner rows and
// reports, one finding each: owner rows without their lookup row
// (KindMissing), lookup rows of an owner's value holding another keyspace id
// (KindMismatch), and lookup rows no owner row holds (KindOrphan). Missing
// and mismatched rows are problems; orphans are harmless (the next insert of
// the value takes them over) and only reported. With Repair it creates,
// re-points and deletes them; what it cannot repair (a unique value held by
// two owners) stays a problem.
func LookupCheck(ctx context.Context, topo *conf.Topology, o LookupOptions) (*Summary, error) {
	name := "lookup check"
	if o.Repair {
		name = "lookup check -repair"
	}
	j, err := newLookupJob(topo, name, o)
	if err != nil {
		return nil, err
	}
	defer j.close()
	j.check, j.repair = true, o.Repair
	j.fix = o.Repair && !o.DryRun
	err = j.ownerPass(ctx)
	if err == nil {
		err = j.lookupPass(ctx)
	}
	return j.finish(ctx, err)
}

// lookupJob is LookupBackfill or LookupCheck on one vindex.
type lookupJob struct {
	*run
	check  bool // LookupCheck: every finding is reported, and orphans looked for
	repair bool // LookupCheck with Repair (fix unless DryRun)
	fix    bool // write (never with DryRun)

	owner *conf.Table        // the owner table
	cv    *conf.ColumnVindex // the vindex on it: its columns hold the values
	lt    *lookupTable
	rk    *rowKeyspace // the owner rows' keyspace ids

	// One connection per shard and role: owner rows (the transaction that
	// holds their locks), lookup rows (written and committed while those
	// locks are held), and reads of the owner's primary lookup vindex.
	owners, lookups, readers *connSet

	ownerPK  map[*conf.Shard][]string
	lookupPK []string
	mismatch map[string]bool // values whose mismatched lookup row is left: not orphans too
	batch    batchResult     // the batch being settled
}

func newLookupJob(topo *conf.Topology, command string, o LookupOptions) (*lookupJob, error) {
	ksName, name := splitQualified(o.Vindex)
	if ksName == "" {
		return nil, fmt.Errorf("-vindex %q: want KEYSPACE.VINDEX", o.Vindex)
	}
	ks := topo.Keyspaces[ksName]
	if ks == nil {
		return nil, fmt.Errorf("keyspace %s is not defined", ksName)
	}
	v, ok := ks.Vindexes[name]
	if !ok {
		return nil, fmt.Errorf("keyspace %s has no vindex %s", ksName, name)
	}
	lk, ok := v.(vindex.LookupTable)
	if !ok {
		return nil, fmt.Errorf("vindex %s.%s is not a lookup vindex", ksName, name)
	}
	if lk.Owner() == "" {
		return nil, fmt.Errorf("lookup vindex %s.%s has no owner table: no rows to take its values from", ksName, name)
	}
	owner := ks.Tables[lk.Owner()]
	if owner == nil || !ks.Sharded {
		return nil, fmt.Errorf("lookup vindex %s.%s: owner table %s is not a sharded table of keyspace %s", ksName, name, lk.Owner(), ksName)
	}
	var cv *conf.ColumnVindex
	for _, c := range owner.Owned {
		if c.Name == name {
			cv = c
		}
	}
	if cv == nil {
		return nil, fmt.Errorf("lookup vindex %s.%s: owner table %s does not use it", ksName, name, owner.Name)
	}
	lt, err := resolveLookupTable(topo, ks, ksName+"."+name, lk)
	if err != nil {
		return nil, err
	}
	rk, err := newRowKeyspace(topo, owner)
	if err != nil {
		return nil, err
	}
	r := newRun(command, ksName+"."+name, o.Options)
	return &lookupJob{
		run: r, owner: owner, cv: cv, lt: lt, rk: rk,
		owners:   newConnSet(r.opts.LockWaitTimeout),
		lookups:  newConnSet(r.opts.LockWaitTimeout),
		readers:  newConnSet(r.opts.LockWaitTimeout),
		ownerPK:  map[*conf.Shard][]string{},
		mismatch: map[string]bool{},
	}, nil
}

func (j *lookupJob) close() {
	j.owners.close()
	j.lookups.close()
	j.readers.close()
}

// ownerColumns are what is read of an owner row: its primary key, its
// primary vindex column, the lookup values.
func (j *lookupJob) ownerColumns(pk []string) *columns {
	return newColumns(pk, j.rk.cols, j.cv.Columns)
}

// ownerRow is an owner row: where it is, its key, its values, its keyspace
// id.
type ownerRow struct {
	shard  *conf.Shard
	key    []vindex.Value
	values []vindex.Value // the lookup values, in from order
	ksid   vindex.KeyspaceID
}

// ownerRows types rows read from shard sh and computes their keyspace ids.
// Rows that cannot have a lookup row (no keyspace id, on the wrong shard, a
// NULL value) are left out, with a finding each.
func (j *lookupJob) ownerRows(ctx context.Context, sh *conf.Shard, pk []string, cols *columns, rows [][]vindex.Value) ([]ownerRow, []Finding, error) {
	pvals := make([]vindex.Value, len(rows))
	for i, row := range rows {
		pvals[i] = cols.of(row, j.rk.cols)[0]
	}
	ksids, why, err := j.rk.keyspaceIDs(ctx, j.readers, pvals)
	if err != nil {
		return nil, nil, err
	}
	var out []ownerRow
	var fs []Finding
	for i, row := range rows {
		o := ownerRow{shard: sh, key: cols.of(row, pk), values: cols.of(row, j.cv.Columns), ksid: ksids[i]}
		switch {
		case o.ksid == nil:
			fs = append(fs, Finding{Kind: KindUnmapped, Shard: sh.Name, Key: showKey(pk, o.key), Detail: why[i], Problem: true})
		case !sh.Range.Contains(o.ksid):
			fs = append(fs, misplaced(sh, j.owner.Keyspace, showKey(pk, o.key), o.ksid))
		case hasNull(o.values):
			if !j.lt.v.IgnoresNulls() {
				fs = append(fs, Finding{Kind: KindNull, Shard: sh.Name, Key: showKey(pk, o.key), Value: showValues(o.values),
					Detail: "a NULL value has no lookup row and the vindex has no ignore_nulls", Problem: true})
			}
		default:
			out = append(out, o)
		}
	}
	return out, fs, nil
}

// ---------------------------------------------------------------- owner rows

// ownerPass goes through the owner rows, shard by shard.
func (j *lookupJob) ownerPass(ctx context.Context) error {
	if j.opts.Progress != nil {
		var total int64
		for _, sh := range j.owner.Keyspace.Shards {
			if c, err := j.owners.get(ctx, sh); err == nil {
				total += estimateRows(ctx, c, j.owner.Name)
			}
		}
		if j.check {
			for _, sh := range j.lt.ks.Shards {
				if c, err := j.lookups.get(ctx, sh); err == nil {
					total += estimateRows(ctx, c, j.lt.table)
				}
			}
		}
		j.opts.Progress.SetTotal(total)
	}
	for _, sh := range j.owner.Keyspace.Shards {
		if err := j.ownerShard(ctx, sh); err != nil {
			return err
		}
	}
	return nil
}

func (j *lookupJob) ownerShard(ctx context.Context, sh *conf.Shard) error {
	c, err := j.owners.get(ctx, sh)
	if err != nil {
		return err
	}
	pk, err := primaryKey(ctx, c, j.owner.Name)
	if err != nil {
		return err
	}
	j.ownerPK[sh] = pk
	cols := j.ownerColumns(pk)
	sc := &scanner{conns: j.owners, run: j.run, shard: sh, table: j.owner.Name, pk: pk, cols: cols, batch: j.opts.Batch}
	for {
		rows, err := sc.next(ctx)
		if err != nil || len(rows) == 0 {
			return err
		}
		var todo []ownerRow
		var skipped []Finding
		err = j.retry(ctx, func() error {
			owners, fs, err := j.ownerRows(ctx, sh, pk, cols, rows)
			if err != nil {
				return err
			}
			skipped = fs
			// First look without locks: most rows are fine, and a fine row
			// needs nothing locked.
			todo, err = j.unsettled(ctx, owners)
			return err
		}, j.readers, j.lookups)
		if err != nil {
			return err
		}
		j.report(skipped...)
		if len(todo) > 0 {
			if err := j.retry(ctx, func() error { return j.settle(ctx, sh, pk, cols, todo) }, j.owners, j.lookups, j.readers); err != nil {
				return err
			}
			j.commitBatch()
		}
		if err := j.scanned(ctx, len(rows)); err != nil {
			return err
		}
	}
}

// state of an owner row's lookup rows.
type state int

const (
	stateOK       state = iota
	stateMissing        // no lookup row holds the row's value for its keyspace id
	stateMismatch       // unique: the value's one lookup row holds another keyspace id
	stateSeveral        // unique: several lookup rows for the value, none the row's
)

// classify compares an owner row with the lookup rows of its value.
func classify(unique bool, ksid vindex.KeyspaceID, rows []lookupRow) state {
	for _, r := range rows {
		if bytes.Equal(r.ksid, ksid) {
			return stateOK
		}
	}
	switch {
	case len(rows) == 0 || !unique:
		return stateMissing
	case len(rows) == 1:
		return stateMismatch
	}
	return stateSeveral
}

// unsettled returns the rows whose lookup rows are not right.
func (j *lookupJob) unsettled(ctx context.Context, owners []ownerRow) ([]ownerRow, error) {
	tuples := make([][]vindex.Value, len(owners))
	for i, o := range owners {
		tuples[i] = o.values
	}
	rows, err := j.lt.read(ctx, j.lookups, tuples, "")
	if err != nil {
		return nil, err
	}
	var out []ownerRow
	for i, o := range owners {
		if classify(j.lt.unique, o.ksid, rows[i]) != stateOK {
			out = append(out, o)
		}
	}
	return out, nil
}

// settle fixes (or, without fix, confirms and reports) the rows of a batch
// whose lookup rows looked wrong, under locks so that what is written is
// right when it commits:
//
//  1. the owner rows again, LOCK IN SHARE MODE in a transaction on their
//     shard: none can be deleted or change its value until we are done (a
//     row gone or fixed meanwhile drops out);
//  2. their lookup rows FOR UPDATE, in a transaction on each lookup shard;
//  3. missing rows are inserted; a unique value's row holding another
//     keyspace id E is taken over only if no owner row on E's shard holds
//     the value (ownedAt), else it is a conflict;
//  4. the lookup transactions commit, then the owner transaction.
//
// Findings and changes are kept in j.batch until then: a batch tried again
// must not count twice.
func (j *lookupJob) settle(ctx context.Context, sh *conf.Shard, pk []string, cols *columns, todo []ownerRow) error {
	j.batch = batchResult{}
	oc, err := j.owners.get(ctx, sh)
	if err != nil {
		return err
	}
	if err := oc.begin(ctx); err != nil {
		return err
	}
	keys := make([][]vindex.Value, len(todo))
	for i, o := range todo {
		keys[i] = o.key
	}
	locked, err := selectMatching(ctx, oc, j.owner.Name, pk, cols.names, keys, " LOCK IN SHARE MODE")
	if err != nil {
		return err
	}
	var rows [][]vindex.Value
	for _, rs := range locked {
		rows = append(rows, rs...)
	}
	owners, _, err := j.ownerRows(ctx, sh, pk, cols, rows) // reported by the first read
	if err != nil {
		return err
	}
	tuples := make([][]vindex.Value, len(owners))
	for i, o := range owners {
		tuples[i] = o.values
	}
	lrows, err := j.lt.read(ctx, j.lookups, tuples, " FOR UPDATE")
	if err != nil {
		return err
	}
	inserts := map[*conf.Shard][]ownerRow{}
	planned := map[string]ownerRow{}
	for i, o := range owners {
		f := Finding{Shard: sh.Name, Key: showKey(pk, o.key), Value: showValues(o.values), OwnerKeyspaceID: showKeyspaceID(o.ksid)}
		switch classify(j.lt.unique, o.ksid, lrows[i]) {
		case stateOK:
			continue // fixed meanwhile
		case stateMissing:
			f.Kind = KindMissing
			// Two rows of the batch may hold one value: its lookup row is
			// created once, and a unique value's second keyspace id is a
			// conflict.
			k := tupleKey(o.values)
			if !j.lt.unique {
				k += "/" + string(o.ksid)
			}
			if p, dup := planned[k]; dup {
				if !bytes.Equal(p.ksid, o.ksid) {
					if !j.check {
						f.Kind = KindConflict
					}
					f.Detail = fmt.Sprintf("value also owned by pk=(%s) at %s; not repaired", showKey(pk, p.key), showKeyspaceID(p.ksid))
					f.Problem = true
					j.mismatch[tupleKey(o.values)] = true
				} else if j.fix {
					f.Detail = "created"
				} else {
					j.unfixed(&f, "created")
				}
				break
			}
			planned[k] = o
			if j.fix {
				to, err := j.lt.v.ToValue(o.ksid)
				if err != nil {
					return err
				}
				lsh, err := j.lt.shardOf(o.values, to)
				if err != nil {
					return err
				}
				inserts[lsh] = append(inserts[lsh], o)
				f.Detail = "created"
			} else {
				j.unfixed(&f, "created")
			}
		case stateSeveral:
			f.Kind, f.Problem = KindMismatch, true
			f.Detail = fmt.Sprintf("%d lookup rows for a unique value, none with the owner's keyspace id; not repaired", len(lrows[i]))
			j.mismatch[tupleKey(o.values)] = true
		case stateMismatch:
			if err := j.mismatched(ctx, oc, o, lrows[i][0], &f); err != nil {
				return err
			}
		}
		// A backfill reports what it leaves wrong; a check every finding.
		if f.Problem || j.check {
			j.batch.findings = append(j.batch.findings, f)
		}
	}
	for _, lsh := range j.lt.ks.Shards {
		if len(inserts[lsh]) == 0 {
			continue
		}
		lc, err := j.lookups.get(ctx, lsh)
		if err != nil {
			return err
		}
		sql, err := j.insertSQL(inserts[lsh], lc.lit)
		if err != nil {
			return err
		}
		n, err := lc.exec(ctx, sql)
		if err != nil {
			return err
		}
		j.batch.changed += int64(n)
	}
	for _, lsh := range j.lt.ks.Shards {
		if lc := j.lookups.m[lsh]; lc != nil && lc.inTx {
			if err := lc.commit(ctx); err != nil {
				return err
			}
		}
	}
	return oc.commit(ctx)
}

// unfixed completes the finding of a row left as it is: a problem for a
// check, and with a dry run a change that would have been made.
func (j *lookupJob) unfixed(f *Finding, would string) {
	if j.opts.DryRun && (!j.check || j.repair) {
		j.batch.changed++
		f.Detail = "dry run: would be " + would
	}
	f.Problem = j.check
}

// batchResult is what a batch found and changed, counted once it commits.
type batchResult struct {
	findings []Finding
	changed  int64
}

func (j *lookupJob) commitBatch() {
	j.sum.Changed += j.batch.changed
	j.report(j.batch.findings...)
	j.batch = batchResult{}
}

// mismatched settles an owner row whose unique value's lookup row holds
// another keyspace id E: taken over when no owner row holds the value at E,
// a conflict when one does.
func (j *lookupJob) mismatched(ctx context.Context, oc *conn, o ownerRow, lr lookupRow, f *Finding) error {
	f.Kind = KindMismatch
	f.KeyspaceID = showKeyspaceID(lr.ksid)
	if lr.ksid == nil {
		f.KeyspaceID = showValue(lr.to)
	}
	other, err := j.ownedAt(ctx, oc, o.values, lr.ksid)
	if err != nil {
		return err
	}
	if other != "" {
		if !j.check {
			f.Kind = KindConflict
		}
		f.Detail = fmt.Sprintf("value also owned by pk=(%s) at %s; not repaired", other, f.KeyspaceID)
		f.Problem = true
		j.mismatch[tupleKey(o.values)] = true
		return nil
	}
	if !j.fix {
		j.unfixed(f, "taken over")
		j.mismatch[tupleKey(o.values)] = true
		return nil
	}
	to, err := j.lt.v.ToValue(o.ksid)
	if err != nil {
		return err
	}
	lc, err := j.lookups.get(ctx, lr.shard)
	if err != nil {
		return err
	}
	buf := append([]byte("UPDATE "), vindex.QuoteIdent(j.lt.table)...)
	buf = append(buf, " SET "...)
	buf = append(buf, vindex.QuoteIdent(j.lt.to)...)
	buf = append(buf, " = "...)
	buf = lc.lit(buf, to)
	buf = append(buf, " WHERE "...)
	buf = appendRowEq(buf, j.lt.from, o.values, lc.lit)
	buf = append(buf, " AND "...)
	buf = append(buf, vindex.QuoteIdent(j.lt.to)...)
	buf = append(buf, " = "...)
	buf = lc.lit(buf, lr.to)
	n, err := lc.exec(ctx, string(buf))
	if err != nil {
		return err
	}
	j.batch.changed += int64(n)
	f.Detail = "taken over (no owner row at " + f.KeyspaceID + ")"
	return nil
}

// ownedAt looks for an owner row holding values at keyspace id ksid, on the
// shard of ksid, with a shared locking read: it waits for an owner row being
// inserted there (whose lookup row the sidecar already committed), and keeps
// none from being deleted while it reads. It returns the primary key of the
// owner row found, "" if there is none. oc is the owner transaction's
// connection, used when ksid is on its shard.
func (j *lookupJob) ownedAt(ctx context.Context, oc *conn, values []vindex.Value, ksid vindex.KeyspaceID) (string, error) {
	if ksid == nil {
		return "", nil
	}
	sh := j.owner.Keyspace.ShardFor(ksid)
	c := oc
	if oc == nil || sh != oc.shard {
		var err error
		if c, err = j.owners.get(ctx, sh); err != nil {
			return "", err
		}
	}
	pk := j.ownerPK[sh]
	if pk == nil {
		var err error
		if pk, err = primaryKey(ctx, c, j.owner.Name); err != nil {
			return "", err
		}
		j.ownerPK[sh] = pk
	}
	cols := j.ownerColumns(pk)
	found, err := selectMatching(ctx, c, j.owner.Name, j.cv.Columns, cols.names, [][]vindex.Value{values}, " LOCK IN SHARE MODE")
	if err != nil {
		return "", err
	}
	if len(found[0]) == 0 {
		return "", nil
	}
	pvals := make([]vindex.Value, len(found[0]))
	for i, row := range found[0] {
		pvals[i] = cols.of(row, j.rk.cols)[0]
	}
	ksids, _, err := j.rk.keyspaceIDs(ctx, j.readers, pvals)
	if err != nil {
		return "", err
	}
	for i, k := range ksids {
		if bytes.Equal(k, ksid) {
			return showKey(pk, cols.of(found[0][i], pk)), nil
		}
	}
	return "", nil
}

// insertSQL is one INSERT of the lookup rows of owners, sorted by value
// like the vindex package's inserts, so concurrent writers lock in one
// order.
func (j *lookupJob) insertSQL(owners []ownerRow, lit litFunc) (string, error) {
	buf := append([]byte("INSERT INTO "), vindex.QuoteIdent(j.lt.table)...)
	buf = append(buf, " ("...)
	buf = appendColumns(buf, j.lt.from)
	buf = append(buf, ", "...)
	buf = append(buf, vindex.QuoteIdent(j.lt.to)...)
	buf = append(buf, ") VALUES "...)
	sorted := sortByValues(owners)
	for i, o := range sorted {
		to, err := j.lt.v.ToValue(o.ksid)
		if err != nil {
			return "", err
		}
		if i > 0 {
			buf = append(buf, ", "...)
		}
		buf = append(buf, '(')
		for _, v := range o.values {
			buf = lit(buf, v)
			buf = append(buf, ", "...)
		}
		buf = lit(buf, to)
		buf = append(buf, ')')
	}
	return string(buf), nil
}
