package engine

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"sidecar/conf"
	"sidecar/vindex"
)

// TestRouteShards: each opcode finds its shards from the values of one
// execution; functional vindexes need no round trip, unique lookups go
// through the session's MapLookup.
func TestRouteShards(t *testing.T) {
	customer := exampleTable(t, "customer", "customer")
	corder := exampleTable(t, "customer", "corder")
	ks := customer.Keyspace
	hash, lookup := customer.Primary(), corder.ColumnVindexes[1]
	for _, tc := range []struct {
		name    string
		route   *Route
		args    []vindex.Value
		shards  string
		values  [][]int // of each shard, for an IN route to several
		scatter bool
		calls   []string
	}{
		{name: "equal unique, a literal", route: NewRoute(ks, hash, []Cell{lit("1", vindex.NewInt64(1))}), shards: "-80"},
		{name: "equal unique, an argument", route: NewRoute(ks, hash, []Cell{arg(1)}), args: []vindex.Value{vindex.NewInt64(4)}, shards: "80-"},
		{name: "IN, each shard once in the values' order", route: NewRoute(ks, hash, []Cell{arg(1), lit("1", vindex.NewInt64(1)), arg(2)}),
			args: []vindex.Value{vindex.NewInt64(4), vindex.NewInt64(4)}, shards: "80- -80", values: [][]int{{0, 2}, {1}}},
		{name: "IN, one shard", route: NewRoute(ks, hash, []Cell{arg(1), arg(2)}),
			args: []vindex.Value{vindex.NewInt64(4), vindex.NewInt64(4)}, shards: "80-"},
		// MySQL compares a number column with what hash cannot read ('x' is 0, 7.0 and '7abc' are 7):
		// the rows may be anywhere.
		{name: "a value hash cannot read: every shard", route: NewRoute(ks, hash, []Cell{lit("'x'", vindex.NewVarChar("x"))}), shards: "-80 80-", scatter: true},
		{name: "one such value in an IN list: every shard", route: NewRoute(ks, hash, []Cell{lit("1", vindex.NewInt64(1)), lit("7.0", vindex.Value{Kind: vindex.Decimal, Raw: []byte("7.0")})}),
			shards: "-80 80-", scatter: true},
		{name: "NULL equals no row: no shard", route: NewRoute(ks, hash, []Cell{lit("null", vindex.Value{Kind: vindex.Null})})},
		{name: "-? of a negative argument reads as no value: every shard",
			route: NewRoute(ks, hash, []Cell{{SQL: Template{{Text: "-", Arg: 1}}, Arg: 1, Negate: true}}),
			args:  []vindex.Value{vindex.NewInt64(-3)}, shards: "-80 80-", scatter: true},
		{name: "scatter", route: NewRoute(ks, nil, nil), shards: "-80 80-", scatter: true},
		{name: "a unique lookup asks the session", route: NewRoute(ks, lookup, []Cell{lit("7", vindex.NewInt64(7))}),
			calls: []string{"map [INT64(7)] by corder_keyspace_idx"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cur := &vindexCursor{}
			shards, values, scatter, err := tc.route.Split(context.Background(), cur, tc.args)
			if len(tc.calls) > 0 {
				// The fake's MapLookup fails: what matters is the call.
				if err == nil || strings.Join(cur.calls, "\n") != strings.Join(tc.calls, "\n") {
					t.Fatalf("err %v, calls %q, want %q", err, cur.calls, tc.calls)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := shardNames(shards); got != tc.shards || scatter != tc.scatter || !reflect.DeepEqual(values, tc.values) {
				t.Errorf("shards %q values %v scatter %v, want %q %v %v", got, values, scatter, tc.shards, tc.values, tc.scatter)
			}
			if len(cur.calls) != 0 {
				t.Errorf("calls %q, want none", cur.calls)
			}
			// The list may be the keyspace's own: appending to it must not write into it.
			before := shardNames(ks.Shards)
			_ = append(shards, nil)
			if after := shardNames(ks.Shards); after != before {
				t.Errorf("appending to the route's shards changed the keyspace's: %s", after)
			}
		})
	}
}

// TestAnyShard: the values whose equal rows MySQL may find on any shard, by the vindex reading them.
func TestAnyShard(t *testing.T) {
	vdx := func(typ string) *conf.ColumnVindex {
		v, err := vindex.Create(typ, typ, nil)
		if err != nil {
			t.Fatal(err)
		}
		return &conf.ColumnVindex{Name: typ, Type: typ, Vindex: v}
	}
	dec := func(s string) vindex.Value { return vindex.Value{Kind: vindex.Decimal, Raw: []byte(s)} }
	for _, tc := range []struct {
		vindex string
		value  vindex.Value
		want   bool
	}{
		{"hash", vindex.NewInt64(7), false},
		{"hash", vindex.NewVarChar("7"), false},
		{"hash", dec("7.0"), true},
		{"hash", vindex.NewVarChar("7abc"), true},
		{"hash", vindex.Value{Kind: vindex.Null}, false},
		{"unicode_loose_md5", vindex.NewVarChar("S01"), false},
		{"unicode_loose_md5", vindex.NewInt64(0), true},
		{"xxhash", vindex.NewInt64(7), false},
		{"xxhash", vindex.NewVarChar("07"), false}, // a string column holds '07' as it is
		{"xxhash", dec("7.0"), true},
		{"xxhash", vindex.Value{Kind: vindex.Float64, Raw: []byte("7e0")}, true},
	} {
		if got := anyShard(vdx(tc.vindex), tc.value); got != tc.want {
			t.Errorf("anyShard(%s, %v) = %v, want %v", tc.vindex, tc.value, got, tc.want)
		}
	}
}

func shardNames(shards []*conf.Shard) string {
	names := make([]string, len(shards))
	for i, sh := range shards {
		names[i] = sh.Name
	}
	return strings.Join(names, " ")
}

// TestJoinRouteShards: a join runs on the one shard its tables' primary
// vindex values share, on every shard when its tables are co-located and
// unbound, and nowhere else.
func TestJoinRouteShards(t *testing.T) {
	customer := exampleTable(t, "customer", "customer")
	corder := exampleTable(t, "customer", "corder")
	ks := customer.Keyspace
	c := JoinedTable{Table: customer, Alias: "c", Vindex: customer.Primary()}
	o := JoinedTable{Table: corder, Alias: "o", Vindex: corder.Primary()}
	bound := func(jt JoinedTable, cell Cell) JoinedTable {
		jt.Value, jt.Bound = cell, true
		return jt
	}
	one, four := lit("1", vindex.NewInt64(1)), lit("4", vindex.NewInt64(4))
	for _, tc := range []struct {
		name      string
		tables    []JoinedTable
		colocated bool
		args      []vindex.Value
		shards    string
		scatter   bool
		err       string
	}{
		{name: "both bound to one shard", tables: []JoinedTable{bound(c, arg(1)), bound(o, arg(1))}, args: []vindex.Value{vindex.NewInt64(4)}, shards: "80-"},
		{name: "bound to different shards", tables: []JoinedTable{bound(c, one), bound(o, four)}, err: "its tables' rows are on different shards"},
		{name: "NULL adds no shard", tables: []JoinedTable{bound(c, lit("null", vindex.Value{Kind: vindex.Null})), bound(o, four)}, shards: "80-"},
		{name: "no value maps: any shard answers alike", tables: []JoinedTable{bound(c, lit("null", vindex.Value{Kind: vindex.Null}))}, shards: "-80"},
		{name: "a value hash cannot read binds no shard", tables: []JoinedTable{bound(c, lit("'x'", vindex.NewVarChar("x"))), bound(o, four)}, err: `MySQL compares c.customer_id with VARCHAR("x") as numbers`},
		{name: "unbound and co-located: every shard", tables: []JoinedTable{c, o}, colocated: true, shards: "-80 80-", scatter: true},
		{name: "unbound, not co-located", tables: []JoinedTable{bound(c, one), o}, err: "nothing binds o.customer_id to one value"},
		{name: "no primary vindex of one column", tables: []JoinedTable{{Table: corder, Alias: "o"}}, err: "table corder has no single-column primary vindex"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := &JoinRoute{Keyspace: ks, Tables: tc.tables, Colocated: tc.colocated}
			shards, scatter, err := j.Shards(context.Background(), &vindexCursor{}, tc.args)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := shardNames(shards); got != tc.shards || scatter != tc.scatter {
				t.Errorf("shards %q scatter %v, want %q %v", got, scatter, tc.shards, tc.scatter)
			}
		})
	}
}
