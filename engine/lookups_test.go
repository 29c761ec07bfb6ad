package engine

import (
	"context"
	"strings"
	"testing"

	"sidecar/vindex"
)

// thingsLookups is the lookup maintenance of `delete from things where id in
// (?, ?)` (Update false) or `update things set name = ? where id in (?, ?)`
// (Update true): things owns things_name_lookup on name.
// The route is the IN list, whose values each shard reads only its own of.
func thingsLookups(t *testing.T, update bool) (*OwnedLookups, *Route) {
	things := exampleTable(t, "things", "things")
	o := &OwnedLookups{Table: things, Vindexes: things.Owned, Update: update,
		Select: Template{{Text: "SELECT `id`,`name` FROM `things` WHERE `id` IN (", Arg: 1}, {Text: ",", Arg: 2}, {Text: ") FOR UPDATE"}}}
	route := NewRoute(things.Keyspace, things.Primary(), []Cell{arg(1), arg(2)})
	if update {
		o.Select = Template{{Text: "SELECT `id`,`name`,`name`<=>", Arg: 1}, {Text: " FROM `things` WHERE `id` IN (", Arg: 2}, {Text: ",", Arg: 3}, {Text: ") FOR UPDATE"}}
		o.New = [][]Cell{{arg(1)}}
		route = NewRoute(things.Keyspace, things.Primary(), []Cell{arg(2), arg(3)})
	}
	var ok bool
	if o.In, ok = o.Select.InList(route); !ok {
		t.Fatalf("no IN list of the route in %s", o.Select)
	}
	return o, route
}

// TestOwnedLookups: the affected rows are read on the route's shards, then
// a DELETE's lookup rows go in one statement per vindex; an UPDATE moves the
// lookup row of each row whose value changes.
func TestOwnedLookups(t *testing.T) {
	one, four := vindex.NewInt64(1), vindex.NewInt64(4)
	rows := map[string][][]vindex.Value{
		"-80": {{one, vindex.NewVarChar("a"), vindex.NewInt64(0)}},
		"80-": {{four, vindex.NewVarChar("b"), vindex.NewInt64(1)}},
	}
	for _, tc := range []struct {
		name   string
		update bool
		args   []vindex.Value
		calls  []string
	}{
		{name: "delete", args: []vindex.Value{one, four}, calls: []string{
			"execute on -80: SELECT `id`,`name` FROM `things` WHERE `id` IN (1) FOR UPDATE",
			"execute on 80-: SELECT `id`,`name` FROM `things` WHERE `id` IN (4) FOR UPDATE",
			"execute delete from `things_name_lookup` where `name` in ('a', 'b') and (`name`, `keyspace_id`) in (('a', _binary X'166b40b44aba4bd6'), ('b', _binary X'd2fd8867d50d2dfe'))",
			"lookup rows of [VARCHAR(\"a\")] written for things_name_lookup",
			"lookup rows of [VARCHAR(\"b\")] written for things_name_lookup",
		}},
		// Row 4's name is already 'z' (the comparison says 1): its lookup row stays.
		{name: "update", update: true, args: []vindex.Value{vindex.NewVarChar("z"), one, four}, calls: []string{
			"execute on -80: SELECT `id`,`name`,`name`<=>'z' FROM `things` WHERE `id` IN (1) FOR UPDATE",
			"execute on 80-: SELECT `id`,`name`,`name`<=>'z' FROM `things` WHERE `id` IN (4) FOR UPDATE",
			"execute delete from `things_name_lookup` where `name` = 'a' and `keyspace_id` = _binary X'166b40b44aba4bd6'",
			"execute insert into `things_name_lookup`(`name`, `keyspace_id`) values ('z', _binary X'166b40b44aba4bd6')",
			"lookup rows of [VARCHAR(\"a\") VARCHAR(\"z\")] written for things_name_lookup",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, route := thingsLookups(t, tc.update)
			cur := &vindexCursor{shardRows: rows}
			shards, values, _, err := route.Split(context.Background(), cur, tc.args)
			if err != nil {
				t.Fatal(err)
			}
			if err := o.Run(context.Background(), cur, tc.args, &Routed{Shards: shards, Values: values}); err != nil {
				t.Fatal(err)
			}
			if got, want := strings.Join(cur.calls, "\n"), strings.Join(tc.calls, "\n"); got != want {
				t.Errorf("calls:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

// TestOwnedLookupsNegatedNegative: `set name = -?` with a negative argument
// is no value the sidecar writes; the UPDATE is refused, not run with the
// old lookup row left in place.
func TestOwnedLookupsNegatedNegative(t *testing.T) {
	o, _ := thingsLookups(t, true)
	o.New = [][]Cell{{{SQL: Template{{Text: "-", Arg: 1}}, Arg: 1, Negate: true}}}
	cur := &vindexCursor{shardRows: map[string][][]vindex.Value{
		"-80": {{vindex.NewInt64(1), vindex.NewVarChar("a"), vindex.NewInt64(0)}},
	}}
	err := o.Run(context.Background(), cur, []vindex.Value{vindex.NewInt64(-3), vindex.NewInt64(1), vindex.NewInt64(1)}, &Routed{Shards: o.Table.Keyspace.Shards[:1]})
	if err == nil || !strings.Contains(err.Error(), "use a literal") {
		t.Fatalf("err = %v, want a refusal", err)
	}
}

// TestOwnedLookupsPrimary: an UPDATE setting the primary vindex column (`set id = ?`) reads the rows
// first and runs only where the value keeps each row's keyspace id (an ORM saving a row writes the
// value it has); a row it would move is refused before anything is written.
func TestOwnedLookupsPrimary(t *testing.T) {
	for _, tc := range []struct {
		id      int64
		wantErr string
	}{
		{id: 1},
		{id: 4, wantErr: "VT12001: unsupported: you cannot UPDATE primary vindex columns; invalid update on vindex: hash"},
	} {
		o, _ := thingsLookups(t, true)
		o.Vindexes, o.New = nil, nil // `update things set id = ? where id in (?, ?)`
		o.Primary = &Cell{SQL: Template{{Arg: 1}}, Arg: 1}
		cur := &vindexCursor{shardRows: map[string][][]vindex.Value{"-80": {{vindex.NewInt64(1)}}}}
		args := []vindex.Value{vindex.NewInt64(tc.id), vindex.NewInt64(1), vindex.NewInt64(1)}
		err := o.Run(context.Background(), cur, args, &Routed{Shards: o.Table.Keyspace.Shards[:1]})
		if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("set id = %d on row 1: %v, want %q", tc.id, err, tc.wantErr)
		}
		if len(cur.calls) != 1 {
			t.Errorf("set id = %d: sent %q, want the read alone", tc.id, cur.calls)
		}
	}
}

// TestOwnedLookupsVerifyPrimary: after such an UPDATE ran, a row of the value on a shard other than
// the value's (one the write found that the read before it did not: a WHERE of RAND(), a LIMIT
// without ORDER BY) fails the statement, which its scope undoes; the value's own shard is not read.
func TestOwnedLookupsVerifyPrimary(t *testing.T) {
	o, _ := thingsLookups(t, true)
	o.Primary = &Cell{SQL: Template{{Arg: 1}}, Arg: 1}
	shards := o.Table.Keyspace.Shards
	for _, tc := range []struct {
		rows    map[string][][]vindex.Value
		wantErr bool
	}{
		{rows: map[string][][]vindex.Value{}},
		{rows: map[string][][]vindex.Value{"80-": {{vindex.NewInt64(1)}}}, wantErr: true},
	} {
		cur := &vindexCursor{shardRows: tc.rows}
		err := o.verifyPrimary(context.Background(), cur, []vindex.Value{vindex.NewInt64(1)}, &Routed{Shards: shards})
		if (err != nil) != tc.wantErr || err != nil && !strings.Contains(err.Error(), "VT12001") {
			t.Errorf("rows %v: %v, want error %v", tc.rows, err, tc.wantErr)
		}
		if want := "execute on 80-: select 1 from `things` where `id` = 1 limit 1"; strings.Join(cur.calls, "\n") != want {
			t.Errorf("calls %q, want %q (id 1 is -80's)", cur.calls, want)
		}
	}
}
