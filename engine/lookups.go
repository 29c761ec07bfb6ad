package engine

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"sidecar/conf"
	"sidecar/sqlerr"
	"sidecar/vindex"
)

// OwnedLookups is the lookup maintenance of an UPDATE or DELETE on a table
// that owns lookup vindexes, as Vitess does it: read the affected rows'
// primary and lookup column values on the statement's shards (locking them),
// delete the lookup rows of deleted owners (one statement per vindex) or
// move those of changed values (delete + create with the consistent-lookup
// duplicate protocol). The statement itself runs after it.
type OwnedLookups struct {
	Table *conf.Table
	// Select reads, per affected row: the primary vindex column, then each
	// vindex's columns, then (Update) one `col <=> new` per vindex telling
	// whether the value stays the same.
	Select Template
	// In is the route's IN list in Select, when the route is one of
	// arguments: each shard reads only its own values (see Write).
	In       InList
	Vindexes []*conf.ColumnVindex
	// New holds, for an UPDATE, the new values of each vindex's columns; a
	// cell that is neither a literal nor an argument (a column the UPDATE
	// does not set) keeps the row's value.
	New [][]Cell
	// Primary is the value an UPDATE sets the primary vindex column to
	// (nil: none): the write is refused unless it maps every row read to
	// the keyspace id the row has (an ORM writing the value back).
	Primary *Cell
	Update  bool
	// NoBackslashEscapes: Select is written for a sql_mode that reads
	// backslashes in strings as ordinary characters.
	NoBackslashEscapes bool
}

// Run maintains the lookup rows of the rows the statement affects on its
// shards r, with args.
func (o *OwnedLookups) Run(ctx context.Context, cur VindexCursor, args []vindex.Value, r *Routed) error {
	split := o.In.N > 0 && r.Values != nil
	var sql string
	if !split {
		sql = string(o.Select.appendTo(nil, args, o.NoBackslashEscapes))
	}
	var rows [][]vindex.Value
	for i, sh := range r.Shards {
		if split {
			sql = string(o.Select.appendIn(nil, args, o.NoBackslashEscapes, o.In, r.Values[i]))
		}
		res, err := cur.ExecuteShard(ctx, sh, sql, vindex.CommitNormal)
		if err != nil {
			return err
		}
		rows = append(rows, res.Rows...)
	}
	t := o.Table
	// The owners' lookup rows, by vindex: an UPDATE's moved (with their new
	// values), a DELETE's removed, in one statement per vindex whatever the
	// owners' keyspace ids, not one per row.
	type owners struct {
		rows  [][]vindex.Value
		ksids []vindex.KeyspaceID
		news  [][]vindex.Value
		prims []vindex.Value // each owner's primary vindex value
	}
	pending := make([]owners, len(o.Vindexes))
	var assigned vindex.KeyspaceID // of the value Primary sets
	if o.Primary != nil && len(rows) > 0 {
		v, ok := o.Primary.value(args)
		if !ok {
			return sqlerr.PrimaryVindexUpdate(t.Primary().Name)
		}
		var err error
		if assigned, err = o.keyspaceID(ctx, cur, v); err != nil {
			return err
		}
	}
	for _, row := range rows {
		ksid, err := o.keyspaceID(ctx, cur, row[0])
		if err != nil {
			return err
		}
		if o.Primary != nil && !bytes.Equal(ksid, assigned) {
			return sqlerr.PrimaryVindexUpdate(t.Primary().Name)
		}
		col := 1
		for i, cv := range o.Vindexes {
			old := row[col : col+len(cv.Columns) : col+len(cv.Columns)]
			col += len(cv.Columns)
			if !o.Update {
				pending[i].rows = append(pending[i].rows, old)
				pending[i].ksids = append(pending[i].ksids, ksid)
				pending[i].prims = append(pending[i].prims, row[0])
				continue
			}
			if same := row[len(row)-len(o.Vindexes)+i]; string(same.Raw) == "1" {
				continue // set to its current value: no lookup row changes
			}
			news := make([]vindex.Value, len(old))
			for k := range news {
				c := &o.New[i][k]
				if !c.Known && c.Arg == 0 {
					news[k] = old[k] // a column the UPDATE does not set
					continue
				}
				v, ok := c.value(args)
				if !ok { // -? of a negative argument
					return sqlerr.Unsupported("UPDATE of lookup column %s of %s to %s with argument %s: use a literal", cv.Columns[k], t, c.SQL, args[c.Arg-1])
				}
				news[k] = v
			}
			pending[i].rows = append(pending[i].rows, old)
			pending[i].ksids = append(pending[i].ksids, ksid)
			pending[i].news = append(pending[i].news, news)
			pending[i].prims = append(pending[i].prims, row[0])
		}
	}
	// A unique vindex sees all the owners an UPDATE gives equal values
	// (update … set email = 'x' where id in (1, 4)) in one statement.
	for i, d := range pending {
		if len(d.rows) == 0 {
			continue
		}
		cv := o.Vindexes[i]
		lk := cv.Vindex.(vindex.Lookup)
		// A non-unique lookup's row (value, keyspace id) serves every owner
		// row of that value and keyspace id: it goes with the last of them.
		// Owners that leave others behind only gain their new value's row.
		var keep, gain owners
		if !cv.Vindex.IsUnique() {
			shared, err := o.sharedRows(ctx, cur, cv, d.rows, d.ksids, d.prims)
			if err != nil {
				return err
			}
			for k := range d.rows {
				if !shared[k] {
					keep.rows, keep.ksids = append(keep.rows, d.rows[k]), append(keep.ksids, d.ksids[k])
					if o.Update {
						keep.news = append(keep.news, d.news[k])
					}
				} else if o.Update {
					gain.news, gain.ksids = append(gain.news, d.news[k]), append(gain.ksids, d.ksids[k])
				}
			}
		} else {
			keep = d
		}
		var err error
		switch {
		case len(keep.rows) == 0:
		case o.Update:
			err = lk.Update(ctx, cur, keep.rows, keep.ksids, keep.news)
		default:
			err = lk.Delete(ctx, cur, keep.rows, keep.ksids)
		}
		if err == nil && len(gain.news) > 0 {
			err = lk.Create(ctx, cur, gain.news, gain.ksids, false)
		}
		if err != nil {
			return err
		}
		for k, old := range d.rows {
			if o.Update {
				cur.LookupWritten(t.Keyspace, cv, []vindex.Value{old[0], d.news[k][0]})
			} else {
				cur.LookupWritten(t.Keyspace, cv, old[:1])
			}
		}
	}
	return nil
}

// verifyPrimary checks, after an UPDATE setting the primary vindex column
// (Primary) ran on the shards r, that no row of the value is on a shard
// other than the value's: the rows read before it were checked, but the
// write finds its rows again, and a WHERE of RAND(), a LIMIT without ORDER
// BY or a row another transaction wrote meanwhile (READ COMMITTED) may find
// others. A row moved so fails the statement, which is undone.
func (o *OwnedLookups) verifyPrimary(ctx context.Context, cur VindexCursor, args []vindex.Value, r *Routed) error {
	t := o.Table
	v, ok := o.Primary.value(args)
	if !ok {
		return sqlerr.PrimaryVindexUpdate(t.Primary().Name)
	}
	ksid, err := o.keyspaceID(ctx, cur, v)
	if err != nil {
		return err
	}
	own := t.Keyspace.ShardFor(ksid)
	q := append([]byte("select 1 from "), vindex.QuoteIdent(t.Name)...)
	q = append(append(append(q, " where "...), vindex.QuoteIdent(t.Primary().Columns[0])...), " = "...)
	q = append(vindex.AppendLiteral(q, v, o.NoBackslashEscapes), " limit 1"...)
	for _, sh := range r.Shards {
		if sh == own {
			continue
		}
		res, err := cur.ExecuteShard(ctx, sh, string(q), vindex.CommitNormal)
		if err != nil {
			return err
		}
		if len(res.Rows) > 0 {
			return sqlerr.PrimaryVindexUpdate(t.Primary().Name)
		}
	}
	return nil
}

// keyspaceID maps a value of the table's primary vindex column.
func (o *OwnedLookups) keyspaceID(ctx context.Context, cur VindexCursor, v vindex.Value) (vindex.KeyspaceID, error) {
	dests, err := MapValues(ctx, cur, o.Table.Keyspace, o.Table.Primary(), []vindex.Value{v})
	if err != nil {
		return nil, err
	}
	d, ok := dests[0].(vindex.DestinationKeyspaceID)
	if !ok {
		return nil, sqlerr.Routing("could not map [%s] to a keyspace id", v)
	}
	return vindex.KeyspaceID(d), nil
}

// sharedRows reports, for each owner row the statement deletes or moves
// away from a value of non-unique vindex cv, whether other owner rows of that
// value and keyspace id remain: those of the same primary vindex value not
// among the statement's (rows keeping their value count, rows the statement
// changes do not). Counted with a locking read on the owners' shard, which
// sees owner rows other transactions committed since this one began, and
// waits for those being written.
func (o *OwnedLookups) sharedRows(ctx context.Context, cur VindexCursor, cv *conf.ColumnVindex, rows [][]vindex.Value, ksids []vindex.KeyspaceID, prims []vindex.Value) ([]bool, error) {
	key := func(k int) string {
		b := vindex.AppendLiteral(nil, prims[k], false)
		for _, v := range rows[k] {
			b = vindex.AppendLiteral(append(b, ','), v, false)
		}
		return string(b)
	}
	affected := map[string]int{}
	for k := range rows {
		affected[key(k)]++
	}
	counted := map[string]bool{} // whether others remain, by key
	shared := make([]bool, len(rows))
	t := o.Table
	for k, row := range rows {
		kk := key(k)
		if others, ok := counted[kk]; ok {
			shared[k] = others
			continue
		}
		if slices.ContainsFunc(row, vindex.Value.IsNull) {
			counted[kk] = false // no lookup row holds a NULL
			continue
		}
		q := append([]byte("select count(*) from "), vindex.QuoteIdent(t.Name)...)
		q = append(append(append(q, " where "...), vindex.QuoteIdent(t.Primary().Columns[0])...), " = "...)
		q = vindex.AppendLiteral(q, prims[k], o.NoBackslashEscapes)
		for c, v := range row {
			q = append(append(append(q, " and "...), vindex.QuoteIdent(cv.Columns[c])...), " = "...)
			q = vindex.AppendLiteral(q, v, o.NoBackslashEscapes)
		}
		q = append(q, " lock in share mode"...)
		res, err := cur.ExecuteKeyspaceID(ctx, t.Keyspace.Name, ksids[k], string(q), vindex.CommitNormal)
		if err != nil {
			return nil, err
		}
		n := 0
		if len(res.Rows) == 1 && len(res.Rows[0]) == 1 {
			n, _ = strconv.Atoi(string(res.Rows[0][0].Raw))
		}
		counted[kk] = n > affected[kk]
		shared[k] = counted[kk]
	}
	return shared, nil
}

func (o *OwnedLookups) describe(b *strings.Builder, depth int) {
	names := make([]string, len(o.Vindexes))
	for i, cv := range o.Vindexes {
		names[i] = cv.Name
	}
	what := "deleted"
	if o.Update {
		what = "moved"
	}
	var check string
	if o.Primary != nil {
		check = fmt.Sprintf(", %s set to %s only where that keeps each row's keyspace id", o.Table.Primary().Columns[0], o.Primary.SQL)
	}
	if len(names) == 0 {
		line(b, depth, "OwnedLookups of %s: the affected rows read with %s%s", o.Table, o.Select, check)
		return
	}
	line(b, depth, "OwnedLookups of %s: rows of %s of the affected rows %s, read with %s%s", o.Table, strings.Join(names, ", "), what, o.Select, check)
}
