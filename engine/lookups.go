package engine

import (
	"context"
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
	New    [][]Cell
	Update bool
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
	}
	pending := make([]owners, len(o.Vindexes))
	for _, row := range rows {
		dests, err := MapValues(ctx, cur, t.Keyspace, t.Primary(), row[:1])
		if err != nil {
			return err
		}
		d, ok := dests[0].(vindex.DestinationKeyspaceID)
		if !ok {
			return sqlerr.Routing("could not map [%s] to a keyspace id", row[0])
		}
		ksid := vindex.KeyspaceID(d)
		col := 1
		for i, cv := range o.Vindexes {
			old := row[col : col+len(cv.Columns) : col+len(cv.Columns)]
			col += len(cv.Columns)
			if !o.Update {
				pending[i].rows = append(pending[i].rows, old)
				pending[i].ksids = append(pending[i].ksids, ksid)
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
		var err error
		if o.Update {
			err = lk.Update(ctx, cur, d.rows, d.ksids, d.news)
		} else {
			err = lk.Delete(ctx, cur, d.rows, d.ksids)
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

func (o *OwnedLookups) describe(b *strings.Builder, depth int) {
	names := make([]string, len(o.Vindexes))
	for i, cv := range o.Vindexes {
		names[i] = cv.Name
	}
	what := "deleted"
	if o.Update {
		what = "moved"
	}
	line(b, depth, "OwnedLookups of %s: rows of %s of the affected rows %s, read with %s", o.Table, strings.Join(names, ", "), what, o.Select)
}
