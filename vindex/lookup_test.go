package vindex

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
)

var ctx = context.Background()

// ksidHex are the hash vindex ids of 1..4, used as owner keyspace ids.
const (
	ks1 = "166b40b44aba4bd6"
	ks2 = "06e7ea22ce92708f"
	ks3 = "4eb190c9a2fa169c"
	ks4 = "d2fd8867d50d2dfe"
)

func newLookup(t *testing.T, typ string, params map[string]string) Lookup {
	t.Helper()
	p := map[string]string{"table": "name_lookup", "from": "name", "to": "keyspace_id"}
	for k, v := range params {
		p[k] = v
	}
	v, err := CreateWithOwner(typ, "name_lkp", "things", p)
	if err != nil {
		t.Fatalf("Create(%s): %v", typ, err)
	}
	return v.(Lookup)
}

// lookupTable is the fake table behind name_lookup; unique on name for
// unique lookups, on (name, keyspace_id) otherwise.
func lookupTable(db *fakeDB, unique bool, rows ...[]Value) *fakeTable {
	t := &fakeTable{cols: []string{"name", "keyspace_id"}, key: []string{"name", "keyspace_id"}, rows: rows}
	if unique {
		t.key = []string{"name"}
	}
	db.tables["name_lookup"] = t
	return t
}

func row(name string, ksidHex string) []Value {
	var ksid KeyspaceID
	fmt.Sscanf(ksidHex, "%x", (*[]byte)(&ksid))
	return []Value{NewVarChar(name), NewVarBinary(ksid)}
}

func ksids(t *testing.T, hexes ...string) []KeyspaceID {
	var out []KeyspaceID
	for _, h := range hexes {
		out = append(out, unhex(t, h))
	}
	return out
}

func vals(names ...string) []Value {
	var out []Value
	for _, n := range names {
		out = append(out, NewVarChar(n))
	}
	return out
}

func rowsOf(vs ...Value) [][]Value {
	var out [][]Value
	for _, v := range vs {
		out = append(out, []Value{v})
	}
	return out
}

func checkLog(t *testing.T, db *fakeDB, want ...string) {
	t.Helper()
	if !slices.Equal(db.log, want) {
		t.Errorf("statements:\n got %s\nwant %s", strings.Join(db.log, "\n     "), strings.Join(want, "\n     "))
	}
	db.log = nil
}

func TestLookupMap(t *testing.T) {
	for _, tc := range []struct {
		name    string
		typ     string
		params  map[string]string
		inTxDML bool
		rows    [][]Value
		ids     []Value
		want    []string
		wantSQL []string
		wantErr string
	}{{
		name: "unique: found, missing, NULL; one statement",
		typ:  "lookup_unique",
		rows: [][]Value{row("foo", ks1), row("bar", ks2)},
		ids:  []Value{NewVarChar("foo"), NewVarChar("nope"), null, NewVarChar("bar"), NewVarChar("foo")},
		want: []string{ks1, "none", "none", ks2, ks1},
		wantSQL: []string{
			"normal select `name`, `keyspace_id` from `name_lookup` where `name` in ('foo', 'nope', 'bar')",
		},
	}, {
		name:    "unique in a DML transaction locks (read_lock exclusive by default)",
		typ:     "lookup_unique",
		inTxDML: true,
		rows:    [][]Value{row("foo", ks1)},
		ids:     vals("foo"),
		want:    []string{ks1},
		wantSQL: []string{"normal select `name`, `keyspace_id` from `name_lookup` where `name` in ('foo') for update"},
	}, {
		name:    "read_lock shared",
		typ:     "lookup",
		params:  map[string]string{"read_lock": "shared"},
		inTxDML: true,
		ids:     vals("foo"),
		want:    []string{"none"},
		wantSQL: []string{"normal select `name`, `keyspace_id` from `name_lookup` where `name` in ('foo') lock in share mode"},
	}, {
		name:    "read_lock none",
		typ:     "lookup",
		params:  map[string]string{"read_lock": "none"},
		inTxDML: true,
		ids:     vals("foo"),
		want:    []string{"none"},
		wantSQL: []string{"normal select `name`, `keyspace_id` from `name_lookup` where `name` in ('foo')"},
	}, {
		name:    "no lock outside a DML transaction",
		typ:     "consistent_lookup_unique",
		ids:     vals("foo"),
		want:    []string{"none"},
		wantSQL: []string{"pre select `name`, `keyspace_id` from `name_lookup` where `name` in ('foo')"},
	}, {
		name:    "consistent reads in Pre",
		typ:     "consistent_lookup",
		inTxDML: true,
		rows:    [][]Value{row("foo", ks1), row("foo", ks2)},
		ids:     vals("foo"),
		want:    []string{"ids(" + ks1 + "," + ks2 + ")"},
		wantSQL: []string{"pre select `name`, `keyspace_id` from `name_lookup` where `name` in ('foo') for update"},
	}, {
		name:    "autocommit reads in autocommit",
		typ:     "lookup_unique",
		params:  map[string]string{"autocommit": "true"},
		ids:     []Value{NewInt64(7)},
		want:    []string{"none"},
		wantSQL: []string{"autocommit select `name`, `keyspace_id` from `name_lookup` where `name` in (7)"},
	}, {
		// Several rows of a unique vindex ('1' and '01' equal 1 as numbers): each of their
		// shards (Vitess fails the statement).
		name: "unique with two rows: both",
		typ:  "lookup_unique",
		rows: [][]Value{row("1", ks1), row("1", ks2)},
		ids:  []Value{NewInt64(1)},
		want: []string{"ids(" + ks1 + "," + ks2 + ")"},
	}, {
		name: "lookup_hash_unique with two rows: both",
		typ:  "lookup_hash_unique",
		rows: [][]Value{{NewVarChar("1"), NewUint64(1)}, {NewVarChar("1"), NewUint64(2)}},
		ids:  []Value{NewInt64(1)},
		want: []string{"ids(" + ks1 + "," + ks2 + ")"},
	}, {
		name: "non-unique: several, none",
		typ:  "lookup",
		rows: [][]Value{row("a", ks1), row("a", ks2), row("b", ks3)},
		ids:  vals("a", "b", "c"),
		want: []string{"ids(" + ks1 + "," + ks2 + ")", "ids(" + ks3 + ")", "none"},
	}, {
		name:    "write_only scatters without a query",
		typ:     "lookup_unique",
		params:  map[string]string{"write_only": "true"},
		ids:     vals("a", "b"),
		want:    []string{"range(-)", "range(-)"},
		wantSQL: []string{},
	}, {
		name:    "ignore_nulls: a single NULL scatters (non-unique)",
		typ:     "consistent_lookup",
		params:  map[string]string{"ignore_nulls": "true"},
		ids:     []Value{null},
		want:    []string{"range(-)"},
		wantSQL: []string{},
	}, {
		name:    "ignore_nulls: a single NULL on a unique lookup maps nowhere",
		typ:     "lookup_unique",
		params:  map[string]string{"ignore_nulls": "true"},
		ids:     []Value{null},
		want:    []string{"none"},
		wantSQL: []string{},
	}, {
		name:    "lookup_hash: to holds the unhashed number",
		typ:     "lookup_hash",
		rows:    [][]Value{{NewVarChar("x"), NewUint64(1)}, {NewVarChar("x"), NewUint64(4)}, {NewVarChar("y"), NewVarChar("junk")}},
		ids:     vals("x", "y"),
		want:    []string{"ids(" + ks1 + "," + ks4 + ")", "none"},
		wantSQL: []string{"normal select `name`, `keyspace_id` from `name_lookup` where `name` in ('x', 'y')"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			db := newFakeDB()
			db.inTxDML = tc.inTxDML
			lookupTable(db, false, tc.rows...)
			v := newLookup(t, tc.typ, tc.params)
			got, err := v.Map(ctx, db, tc.ids)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("Map err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var gotS []string
			for _, d := range got {
				gotS = append(gotS, destString(d))
			}
			if !slices.Equal(gotS, tc.want) {
				t.Errorf("Map = %v, want %v", gotS, tc.want)
			}
			if tc.wantSQL != nil {
				checkLog(t, db, tc.wantSQL...)
			}
		})
	}
}

// A case-insensitive lookup column returns 'foo' for 'FOO': the batched
// result cannot be matched back by text, so the ids are asked one by one.
func TestLookupMapCollationFallback(t *testing.T) {
	db := newFakeDB()
	lookupTable(db, true, row("foo", ks1), row("bar", ks2)).ci = true
	v := newLookup(t, "lookup_unique", nil)
	got, ownText, err := v.(TextMapper).MapByText(ctx, db, vals("FOO", "bar", "baz"))
	if err != nil {
		t.Fatal(err)
	}
	if s := []string{destString(got[0]), destString(got[1]), destString(got[2])}; !slices.Equal(s, []string{ks1, ks2, "none"}) {
		t.Errorf("Map = %v", s)
	}
	// foo's row is not FOO's to cache: it goes with foo's owner.
	if !slices.Equal(ownText, []bool{false, true, true}) {
		t.Errorf("MapByText's own text = %v, want [false true true]", ownText)
	}
	checkLog(t, db,
		"normal select `name`, `keyspace_id` from `name_lookup` where `name` in ('FOO', 'bar', 'baz')",
		"normal select `name`, `keyspace_id` from `name_lookup` where `name` = 'FOO'",
		"normal select `name`, `keyspace_id` from `name_lookup` where `name` = 'bar'",
		"normal select `name`, `keyspace_id` from `name_lookup` where `name` = 'baz'",
	)

	// A single value needs no second round: every row is its.
	got, ownText, _ = v.(TextMapper).MapByText(ctx, db, vals("FOO"))
	if destString(got[0]) != ks1 || ownText[0] || len(db.log) != 1 {
		t.Errorf("single-value Map = %s (own text %v) after %v", destString(got[0]), ownText[0], db.log)
	}
	db.log = nil

	// batch_lookup=true trusts the text: FOO finds nothing.
	v = newLookup(t, "lookup_unique", map[string]string{"batch_lookup": "true"})
	got, _ = v.Map(ctx, db, vals("FOO", "bar"))
	if destString(got[0]) != "none" || destString(got[1]) != ks2 || len(db.log) != 1 {
		t.Errorf("batch_lookup Map = %s %s after %v", destString(got[0]), destString(got[1]), db.log)
	}
}

func TestLookupVerify(t *testing.T) {
	for _, tc := range []struct {
		typ     string
		params  map[string]string
		ids     []Value
		ksids   []string
		want    []bool
		wantSQL []string
	}{
		{"lookup_unique", nil, vals("foo", "foo", "nope"), []string{ks1, ks2, ks1}, []bool{true, false, false},
			[]string{"normal select `name`, `keyspace_id` from `name_lookup` where `name` in ('foo', 'nope')"}},
		{"lookup", map[string]string{"no_verify": "true"}, vals("nope"), []string{ks1}, []bool{true}, []string{}},
		{"lookup_unique", map[string]string{"write_only": "true"}, vals("nope"), []string{ks1}, []bool{true}, []string{}},
		{"consistent_lookup_unique", nil, vals("foo"), []string{ks1}, []bool{true},
			[]string{"pre select `name`, `keyspace_id` from `name_lookup` where `name` in ('foo')"}},
		{"lookup_unique", map[string]string{"autocommit": "true"}, vals("foo"), []string{ks1}, []bool{true},
			[]string{"autocommit select `name`, `keyspace_id` from `name_lookup` where `name` in ('foo')"}},
		{"lookup_hash_unique", nil, vals("h"), []string{ks4}, []bool{true}, nil},
		{"lookup_hash_unique", nil, vals("h"), []string{ks1}, []bool{false}, nil},
	} {
		db := newFakeDB()
		db.inTxDML = true // Verify never locks
		lookupTable(db, false, row("foo", ks1), []Value{NewVarChar("h"), NewUint64(4)})
		v := newLookup(t, tc.typ, tc.params)
		got, err := v.Verify(ctx, db, tc.ids, ksids(t, tc.ksids...))
		if err != nil || !equalBools(got, tc.want) {
			t.Errorf("%s%v.Verify = %v, %v; want %v", tc.typ, tc.params, got, err, tc.want)
		}
		if tc.wantSQL != nil {
			checkLog(t, db, tc.wantSQL...)
		}
	}
}

func TestLookupCreate(t *testing.T) {
	for _, tc := range []struct {
		name    string
		typ     string
		params  map[string]string
		rows    [][]Value
		ksids   []string
		ignore  bool
		wantSQL []string
		wantErr string
	}{{
		name:  "one multi-row insert, rows sorted by from bytes then to",
		typ:   "lookup_unique",
		rows:  rowsOf(NewInt64(9), NewInt64(10), NewVarChar("b"), NewVarChar("a")),
		ksids: []string{ks1, ks2, ks3, ks4},
		wantSQL: []string{"normal insert into `name_lookup`(`name`, `keyspace_id`) values " +
			"(10, _binary X'06e7ea22ce92708f'), (9, _binary X'166b40b44aba4bd6'), ('a', _binary X'd2fd8867d50d2dfe'), ('b', _binary X'4eb190c9a2fa169c')"},
	}, {
		name:    "ignore mode",
		typ:     "lookup",
		rows:    rowsOf(NewVarChar("a")),
		ksids:   []string{ks1},
		ignore:  true,
		wantSQL: []string{"normal insert ignore into `name_lookup`(`name`, `keyspace_id`) values ('a', _binary X'166b40b44aba4bd6')"},
	}, {
		name:   "autocommit non-unique upserts",
		typ:    "lookup",
		params: map[string]string{"autocommit": "true"},
		rows:   rowsOf(NewVarChar("a")),
		ksids:  []string{ks1},
		wantSQL: []string{"autocommit insert into `name_lookup`(`name`, `keyspace_id`) values ('a', _binary X'166b40b44aba4bd6')" +
			" on duplicate key update `name` = values(`name`), `keyspace_id` = values(`keyspace_id`)"},
	}, {
		name:    "autocommit unique does not upsert",
		typ:     "lookup_hash_unique",
		params:  map[string]string{"autocommit": "true"},
		rows:    rowsOf(NewVarChar("a")),
		ksids:   []string{ks1},
		wantSQL: []string{"autocommit insert into `name_lookup`(`name`, `keyspace_id`) values ('a', 1)"},
	}, {
		name:    "lookup_hash stores the unhashed number",
		typ:     "lookup_hash",
		rows:    rowsOf(NewVarChar("x"), NewVarChar("y")),
		ksids:   []string{ks4, ks2},
		wantSQL: []string{"normal insert into `name_lookup`(`name`, `keyspace_id`) values ('x', 4), ('y', 2)"},
	}, {
		name:    "lookup_hash needs 8-byte keyspace ids",
		typ:     "lookup_hash",
		rows:    rowsOf(NewVarChar("x")),
		ksids:   []string{"0102"},
		wantErr: "lookup.Create.vunhash: invalid keyspace id: 0102",
	}, {
		name:    "NULL without ignore_nulls",
		typ:     "lookup",
		params:  map[string]string{"from": "a, b"},
		rows:    [][]Value{{NewInt64(1), NewInt64(2)}, {NewInt64(3), null}},
		ksids:   []string{ks1, ks2},
		wantErr: "Column 'a,b' cannot be null on row 1, col 1",
		wantSQL: []string{},
	}, {
		name:    "ignore_nulls skips the row",
		typ:     "consistent_lookup_unique",
		params:  map[string]string{"ignore_nulls": "true"},
		rows:    rowsOf(NewVarChar("a"), null),
		ksids:   []string{ks1, ks2},
		wantSQL: []string{"pre insert into `name_lookup`(`name`, `keyspace_id`) values ('a', _binary X'166b40b44aba4bd6')"},
	}, {
		name:    "ignore_nulls with only NULLs sends nothing",
		typ:     "lookup",
		params:  map[string]string{"ignore_nulls": "true"},
		rows:    rowsOf(null),
		ksids:   []string{ks1},
		wantSQL: []string{},
	}, {
		name:    "column count mismatch",
		typ:     "lookup",
		rows:    [][]Value{{NewInt64(1), NewInt64(2)}},
		ksids:   []string{ks1},
		wantErr: "lookup column count does not match value count with the row (columns, count): ([name], 2)",
	}, {
		name:   "multi-column from, qualified table",
		typ:    "lookup",
		params: map[string]string{"table": "lookups.name_lookup", "from": "a,b"},
		rows:   [][]Value{{NewInt64(2), NewVarChar("x")}, {NewInt64(1), NewVarChar("y")}},
		ksids:  []string{ks2, ks1},
		wantSQL: []string{"normal insert into `lookups`.`name_lookup`(`a`, `b`, `keyspace_id`) values " +
			"(1, 'y', _binary X'166b40b44aba4bd6'), (2, 'x', _binary X'06e7ea22ce92708f')"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			db := newFakeDB()
			lookupTable(db, true)
			db.tables["lookups.name_lookup"] = &fakeTable{cols: []string{"a", "b", "keyspace_id"}, key: []string{"a", "b"}}
			v := newLookup(t, tc.typ, tc.params)
			err := v.Create(ctx, db, tc.rows, ksids(t, tc.ksids...), tc.ignore)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Errorf("Create err = %v, want %q", err, tc.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if tc.wantSQL != nil {
				checkLog(t, db, tc.wantSQL...)
			}
		})
	}
}

func TestNullValueErrorIs1048(t *testing.T) {
	v := newLookup(t, "lookup_unique", nil)
	err := v.Create(ctx, newFakeDB(), rowsOf(null), ksids(t, ks1), false)
	var nve *NullValueError
	if !errors.As(err, &nve) || ErrorNumber(err) != 1048 || nve.SQLState() != "23000" {
		t.Fatalf("err = %v (%T), number %d", err, err, ErrorNumber(err))
	}
	if err.Error() != "Column 'name' cannot be null on row 0, col 0" {
		t.Errorf("text = %q", err.Error())
	}
}

// ksidsOf is n times ksid: the keyspace ids of n rows of one owner.
func ksidsOf(ksid KeyspaceID, n int) []KeyspaceID {
	out := make([]KeyspaceID, n)
	for i := range out {
		out[i] = ksid
	}
	return out
}

func TestLookupDeleteAndUpdate(t *testing.T) {
	for _, tc := range []struct {
		typ     string
		params  map[string]string
		do      func(Lookup, *fakeDB) error
		wantSQL []string
	}{{
		typ: "lookup",
		do: func(v Lookup, db *fakeDB) error {
			return v.Delete(ctx, db, rowsOf(NewVarChar("a"), NewVarChar("b"), null), ksidsOf(unhex(t, ks1), 3))
		},
		wantSQL: []string{"normal delete from `name_lookup` where `name` in ('a', 'b') and `keyspace_id` = _binary X'166b40b44aba4bd6'"},
	}, {
		typ: "consistent_lookup_unique",
		do: func(v Lookup, db *fakeDB) error {
			return v.Delete(ctx, db, rowsOf(NewVarChar("a")), ksidsOf(unhex(t, ks1), 1))
		},
		wantSQL: []string{"post delete from `name_lookup` where `name` = 'a' and `keyspace_id` = _binary X'166b40b44aba4bd6'"},
	}, {
		typ:    "lookup",
		params: map[string]string{"from": "a,b", "table": "lookups.name_lookup"},
		do: func(v Lookup, db *fakeDB) error {
			return v.Delete(ctx, db, [][]Value{{NewInt64(1), NewVarChar("x")}, {NewInt64(2), NewVarChar("y")}}, ksidsOf(unhex(t, ks1), 2))
		},
		wantSQL: []string{"normal delete from `lookups`.`name_lookup` where (`a` = 1 and `b` = 'x' or `a` = 2 and `b` = 'y') and `keyspace_id` = _binary X'166b40b44aba4bd6'"},
	}, {
		// Rows of several keyspace ids: one statement still, the pairs spelled out.
		typ: "consistent_lookup",
		do: func(v Lookup, db *fakeDB) error {
			return v.Delete(ctx, db, rowsOf(NewVarChar("a"), NewVarChar("b")), []KeyspaceID{unhex(t, ks1), unhex(t, ks4)})
		},
		wantSQL: []string{"post delete from `name_lookup` where `name` in ('a', 'b') and (`name`, `keyspace_id`) in (('a', _binary X'166b40b44aba4bd6'), ('b', _binary X'd2fd8867d50d2dfe'))"},
	}, {
		typ:    "lookup",
		params: map[string]string{"from": "a,b", "table": "lookups.name_lookup"},
		do: func(v Lookup, db *fakeDB) error {
			return v.Delete(ctx, db, [][]Value{{NewInt64(1), NewVarChar("x")}, {NewInt64(2), NewVarChar("y")}}, []KeyspaceID{unhex(t, ks1), unhex(t, ks4)})
		},
		wantSQL: []string{"normal delete from `lookups`.`name_lookup` where (`a` = 1 and `b` = 'x' and `keyspace_id` = _binary X'166b40b44aba4bd6' or `a` = 2 and `b` = 'y' and `keyspace_id` = _binary X'd2fd8867d50d2dfe')"},
	}, {
		typ: "lookup_hash",
		do: func(v Lookup, db *fakeDB) error {
			return v.Delete(ctx, db, rowsOf(NewVarChar("a")), ksidsOf(unhex(t, ks4), 1))
		},
		wantSQL: []string{"normal delete from `name_lookup` where `name` = 'a' and `keyspace_id` = 4"},
	}, {
		typ:    "lookup_unique",
		params: map[string]string{"autocommit": "true"},
		do: func(v Lookup, db *fakeDB) error {
			return v.Delete(ctx, db, rowsOf(NewVarChar("a")), ksidsOf(unhex(t, ks1), 1))
		},
		wantSQL: []string{}, // autocommit deletes are skipped
	}, {
		typ: "lookup_unique",
		do: func(v Lookup, db *fakeDB) error {
			return v.Update(ctx, db, [][]Value{vals("a")}, []KeyspaceID{unhex(t, ks1)}, [][]Value{vals("b")})
		},
		wantSQL: []string{
			"normal delete from `name_lookup` where `name` = 'a' and `keyspace_id` = _binary X'166b40b44aba4bd6'",
			"normal insert into `name_lookup`(`name`, `keyspace_id`) values ('b', _binary X'166b40b44aba4bd6')",
		},
	}, {
		typ: "consistent_lookup_unique",
		do: func(v Lookup, db *fakeDB) error {
			return v.Update(ctx, db, [][]Value{vals("a")}, []KeyspaceID{unhex(t, ks1)}, [][]Value{vals("b")})
		},
		wantSQL: []string{
			"post delete from `name_lookup` where `name` = 'a' and `keyspace_id` = _binary X'166b40b44aba4bd6'",
			"pre insert into `name_lookup`(`name`, `keyspace_id`) values ('b', _binary X'166b40b44aba4bd6')",
		},
	}, {
		typ: "consistent_lookup_unique",
		do: func(v Lookup, db *fakeDB) error {
			return v.Update(ctx, db, [][]Value{vals("a")}, []KeyspaceID{unhex(t, ks1)}, [][]Value{vals("a")})
		},
		wantSQL: []string{}, // unchanged value
	}} {
		db := newFakeDB()
		lookupTable(db, true, row("a", ks1))
		db.tables["lookups.name_lookup"] = &fakeTable{cols: []string{"a", "b", "keyspace_id"}, key: []string{"a", "b"}}
		v := newLookup(t, tc.typ, tc.params)
		if err := tc.do(v, db); err != nil {
			t.Errorf("%s: %v", tc.typ, err)
		}
		checkLog(t, db, tc.wantSQL...)
	}
}

// --------------------------------------------------- consistent lookup

// consistentSetup is the seed's things / things_name_lookup: the owner table
// things(id, name) in keyspace "things", a unique lookup on name.
func consistentSetup(t *testing.T, lookupRows [][]Value, ownerRows [][]Value) (Lookup, *fakeDB) {
	t.Helper()
	db := newFakeDB()
	lookupTable(db, true, lookupRows...)
	db.owners["things.things"] = &fakeTable{cols: []string{"id", "name"}, key: []string{"id"}, rows: ownerRows}
	v := newLookup(t, "consistent_lookup_unique", nil)
	if err := v.(WantsOwnerInfo).SetOwnerInfo("things", "things", []string{"name"}); err != nil {
		t.Fatal(err)
	}
	return v, db
}

const insertFooBar = "pre insert into `name_lookup`(`name`, `keyspace_id`) values ('bar', _binary X'06e7ea22ce92708f'), ('foo', _binary X'166b40b44aba4bd6')"

// txnRowsDB is a fakeDB that remembers what its transaction's Pre and Post sessions did to lookup rows.
type txnRowsDB struct {
	*fakeDB
	rows      map[string]TxnRow
	statement bool // a statement's own transaction: its sessions commit with it
}

func (db *txnRowsDB) NoteTxnRow(key string, r TxnRow) { db.rows[key] = r }
func (db *txnRowsDB) TxnRow(key string) (TxnRow, bool) {
	r, ok := db.rows[key]
	return r, ok
}
func (db *txnRowsDB) LocksOutlastStatement() bool { return !db.statement }

// TestConsistentDeleteLocks: in a transaction the lookup rows of several owners are deleted one at
// a time, by their key, which locks no gap a later statement's Pre insert would wait for; a statement
// that commits alone deletes them in one DELETE.
func TestConsistentDeleteLocks(t *testing.T) {
	for _, statement := range []bool{true, false} {
		v, fake := consistentSetup(t, [][]Value{row("a", ks1), row("b", ks2)}, nil)
		db := &txnRowsDB{fakeDB: fake, rows: map[string]TxnRow{}, statement: statement}
		if err := v.Delete(ctx, db, rowsOf(NewVarChar("a"), NewVarChar("b")), ksids(t, ks1, ks2)); err != nil {
			t.Fatal(err)
		}
		if statement {
			checkLog(t, db.fakeDB, "post delete from `name_lookup` where `name` in ('a', 'b') and (`name`, `keyspace_id`) in (('a', _binary X'166b40b44aba4bd6'), ('b', _binary X'06e7ea22ce92708f'))")
			continue
		}
		checkLog(t, db.fakeDB,
			"post delete from `name_lookup` where `name` = 'a' and `keyspace_id` = _binary X'166b40b44aba4bd6'",
			"post delete from `name_lookup` where `name` = 'b' and `keyspace_id` = _binary X'06e7ea22ce92708f'")
		// Past maxDeleteEach rows, a bulk delete: one DELETE.
		var many [][]Value
		var ids []KeyspaceID
		for i := range maxDeleteEach + 1 {
			many, ids = append(many, []Value{NewVarChar(fmt.Sprint("v", i))}), append(ids, ksids(t, ks1)...)
		}
		db.log = nil
		if err := v.Delete(ctx, db, many, ids); err != nil {
			t.Fatal(err)
		}
		if len(db.log) != 1 {
			t.Errorf("a delete of %d lookup rows in a transaction sent %d statements, want 1", len(many), len(db.log))
		}
	}
}

// TestConsistentOwnTransactionRows: each lookup row is written or deleted in the session of the
// transaction that holds its lock (the other would wait for it until lock_wait_timeout):
//   - a row the transaction's Pre session wrote is deleted there; the others in Post, after the
//     owner rows' deletion commits;
//   - a row Post deleted is written again in Post for the same keyspace id (the owner row deleted
//     and written again, a value changed and changed back), and refused at once for another;
//   - a row Post wrote again is written in Post, where its duplicate is found.
func TestConsistentOwnTransactionRows(t *testing.T) {
	v, fake := consistentSetup(t, [][]Value{row("old", ks2)}, nil)
	db := &txnRowsDB{fakeDB: fake, rows: map[string]TxnRow{}}
	if err := v.Create(ctx, db, rowsOf(NewVarChar("foo")), ksids(t, ks1), false); err != nil {
		t.Fatal(err)
	}
	if err := v.Delete(ctx, db, rowsOf(NewVarChar("foo"), NewVarChar("old")), ksids(t, ks1, ks2)); err != nil {
		t.Fatal(err)
	}
	if err := v.Create(ctx, db, rowsOf(NewVarChar("old"), NewVarChar("foo")), ksids(t, ks2, ks3), false); err != nil {
		t.Fatal(err)
	}
	checkLog(t, db.fakeDB,
		"pre insert into `name_lookup`(`name`, `keyspace_id`) values ('foo', _binary X'166b40b44aba4bd6')",
		"pre delete from `name_lookup` where `name` = 'foo' and `keyspace_id` = _binary X'166b40b44aba4bd6'",
		"post delete from `name_lookup` where `name` = 'old' and `keyspace_id` = _binary X'06e7ea22ce92708f'",
		"pre insert into `name_lookup`(`name`, `keyspace_id`) values ('foo', _binary X'4eb190c9a2fa169c')",
		"post insert into `name_lookup`(`name`, `keyspace_id`) values ('old', _binary X'06e7ea22ce92708f')",
	)

	// The value Post deleted, for another keyspace id: refused before anything is sent.
	// (A row Pre holds is deleted there, whatever it points to.)
	db.log = nil
	if err := v.Delete(ctx, db, rowsOf(NewVarChar("foo")), ksids(t, ks2)); err != nil {
		t.Fatal(err)
	}
	lookupTable(db.fakeDB, true, row("old", ks2), row("foo", ks3), row("gone", ks3))
	if err := v.Delete(ctx, db, rowsOf(NewVarChar("gone")), ksids(t, ks3)); err != nil {
		t.Fatal(err)
	}
	checkLog(t, db.fakeDB,
		"pre delete from `name_lookup` where `name` = 'foo' and `keyspace_id` = _binary X'06e7ea22ce92708f'",
		"post delete from `name_lookup` where `name` = 'gone' and `keyspace_id` = _binary X'4eb190c9a2fa169c'",
	)
	db.log = nil
	err := v.Create(ctx, db, rowsOf(NewVarChar("gone")), ksids(t, ks1), false)
	if want := "lookup.Create: the lookup row of 'gone' for vindex name_lkp was deleted earlier in this transaction, " +
		"and its lock is held until COMMIT: the value cannot be written for another keyspace id before then"; err == nil || err.Error() != want {
		t.Errorf("value deleted in Post, written for another keyspace id: %v\nwant %s", err, want)
	}
	checkLog(t, db.fakeDB)

	// Written again in Post, then again: the duplicate is found in Post, where the owner row holds it.
	db.fakeDB.owners["things.things"].rows = [][]Value{{NewInt64(2), NewVarChar("old")}}
	db.log = nil
	err = v.Create(ctx, db, rowsOf(NewVarChar("old")), ksids(t, ks3), false)
	if ErrorNumber(err) != 1062 {
		t.Errorf("value written again in Post, written once more: %v, want 1062", err)
	}
	if len(db.log) == 0 || !strings.HasPrefix(db.log[0], "post insert") {
		t.Errorf("log %q, want the insert in Post", db.log)
	}

	// An IGNORE insert in Pre that skipped a row (its value is another's): none of its rows is
	// noted; one that wrote them all, all.
	v, fake = consistentSetup(t, [][]Value{row("taken", ks2)}, nil)
	db = &txnRowsDB{fakeDB: fake, rows: map[string]TxnRow{}}
	if err := v.Create(ctx, db, rowsOf(NewVarChar("foo"), NewVarChar("taken")), ksids(t, ks1, ks3), true); err != nil {
		t.Fatal(err)
	}
	if len(db.rows) != 0 {
		t.Errorf("rows of an IGNORE insert that skipped one noted: %v", db.rows)
	}
	if err := v.Create(ctx, db, rowsOf(NewVarChar("bar")), ksids(t, ks1), true); err != nil {
		t.Fatal(err)
	}
	if len(db.rows) != 1 {
		t.Errorf("rows of an IGNORE insert that wrote them all: %v, want bar's", db.rows)
	}
}

func TestConsistentCreate(t *testing.T) {
	t.Run("no conflict: one insert in Pre", func(t *testing.T) {
		v, db := consistentSetup(t, nil, nil)
		if err := v.Create(ctx, db, rowsOf(NewVarChar("foo"), NewVarChar("bar")), ksids(t, ks1, ks2), false); err != nil {
			t.Fatal(err)
		}
		checkLog(t, db, insertFooBar)
	})

	t.Run("value taken by a live owner row: the original 1062", func(t *testing.T) {
		v, db := consistentSetup(t,
			[][]Value{row("bar", ks2)},
			[][]Value{{NewInt64(2), NewVarChar("bar")}})
		err := v.Create(ctx, db, rowsOf(NewVarChar("bar")), ksids(t, ks3), false)
		if ErrorNumber(err) != 1062 || err.Error() != "lookup.Create: Duplicate entry 'bar' for key 'PRIMARY' (errno 1062)" {
			t.Fatalf("err = %v (number %d)", err, ErrorNumber(err))
		}
		checkLog(t, db,
			"pre insert into `name_lookup`(`name`, `keyspace_id`) values ('bar', _binary X'4eb190c9a2fa169c')",
			"pre select `keyspace_id`, `name` from `name_lookup` where `name` = 'bar' for update",
			"normal ks=things ksid=06e7ea22ce92708f select `name` from `things` where `name` = 'bar' lock in share mode",
		)
	})

	t.Run("orphan lookup row with another keyspace id is taken over", func(t *testing.T) {
		v, db := consistentSetup(t, [][]Value{row("bar", ks2)}, nil)
		if err := v.Create(ctx, db, rowsOf(NewVarChar("foo"), NewVarChar("bar")), ksids(t, ks1, ks3), false); err != nil {
			t.Fatal(err)
		}
		checkLog(t, db,
			"pre insert into `name_lookup`(`name`, `keyspace_id`) values ('bar', _binary X'4eb190c9a2fa169c'), ('foo', _binary X'166b40b44aba4bd6')",
			"pre select `keyspace_id`, `name` from `name_lookup` where `name` = 'foo' for update",
			"pre insert into `name_lookup`(`name`, `keyspace_id`) values ('foo', _binary X'166b40b44aba4bd6')",
			"pre select `keyspace_id`, `name` from `name_lookup` where `name` = 'bar' for update",
			"normal ks=things ksid=06e7ea22ce92708f select `name` from `things` where `name` = 'bar' lock in share mode",
			"pre update `name_lookup` set `keyspace_id` = _binary X'4eb190c9a2fa169c' where `name` = 'bar'",
		)
		if got := db.tables["name_lookup"].rows; len(got) != 2 || destString(DestinationKeyspaceID(got[0][1].Raw)) != ks3 {
			t.Errorf("lookup rows after takeover: %v", got)
		}
	})

	// An earlier row of the statement holds its value for ks1 too, but in another lookup row: the
	// orphan is still an orphan. (Two rows of one statement whose values the collation makes equal
	// find the lookup row the earlier one wrote: the original 1062; TestShardedLookupCollidingValues.)
	t.Run("orphan pointing at the keyspace id of an earlier row: taken over", func(t *testing.T) {
		v, db := consistentSetup(t, [][]Value{row("bar", ks1)}, nil)
		if err := v.Create(ctx, db, rowsOf(NewVarChar("foo"), NewVarChar("bar")), ksids(t, ks1, ks3), false); err != nil {
			t.Fatal(err)
		}
		if got := db.tables["name_lookup"].rows; len(got) != 2 || destString(DestinationKeyspaceID(got[0][1].Raw)) != ks3 {
			t.Errorf("lookup rows after takeover: %v", got)
		}
	})

	t.Run("orphan with the same keyspace id: nothing to write", func(t *testing.T) {
		v, db := consistentSetup(t, [][]Value{row("bar", ks2)}, nil)
		if err := v.Create(ctx, db, rowsOf(NewVarChar("bar")), ksids(t, ks2), false); err != nil {
			t.Fatal(err)
		}
		checkLog(t, db,
			"pre insert into `name_lookup`(`name`, `keyspace_id`) values ('bar', _binary X'06e7ea22ce92708f')",
			"pre select `keyspace_id`, `name` from `name_lookup` where `name` = 'bar' for update",
			"normal ks=things ksid=06e7ea22ce92708f select `name` from `things` where `name` = 'bar' lock in share mode",
		)
	})

	t.Run("a value twice in one statement: the original error, no takeover", func(t *testing.T) {
		v, db := consistentSetup(t, nil, nil)
		err := v.Create(ctx, db, rowsOf(NewVarChar("foo"), NewVarChar("foo")), ksids(t, ks1, ks2), false)
		if ErrorNumber(err) != 1062 || !strings.HasPrefix(err.Error(), "lookup.Create: Duplicate entry 'foo'") {
			t.Fatalf("err = %v", err)
		}
		checkLog(t, db, "pre insert into `name_lookup`(`name`, `keyspace_id`) values ('foo', _binary X'06e7ea22ce92708f'), ('foo', _binary X'166b40b44aba4bd6')")
	})

	t.Run("the conflicting row vanished before the select: insert it alone", func(t *testing.T) {
		v, db := consistentSetup(t, nil, nil)
		db.fail["insert into `name_lookup`(`name`, `keyspace_id`) values ('bar'"] = &fakeSQLError{1062, "Duplicate entry 'bar' for key 'PRIMARY'"}
		if err := v.Create(ctx, db, rowsOf(NewVarChar("foo"), NewVarChar("bar")), ksids(t, ks1, ks2), false); err != nil {
			t.Fatal(err)
		}
		checkLog(t, db,
			insertFooBar,
			"pre select `keyspace_id`, `name` from `name_lookup` where `name` = 'foo' for update",
			"pre insert into `name_lookup`(`name`, `keyspace_id`) values ('foo', _binary X'166b40b44aba4bd6')",
			"pre select `keyspace_id`, `name` from `name_lookup` where `name` = 'bar' for update",
			"pre insert into `name_lookup`(`name`, `keyspace_id`) values ('bar', _binary X'06e7ea22ce92708f')",
		)
	})

	t.Run("a non-duplicate error is returned wrapped, keeping its number", func(t *testing.T) {
		v, db := consistentSetup(t, nil, nil)
		db.fail["insert"] = &fakeSQLError{1213, "Deadlock found"}
		err := v.Create(ctx, db, rowsOf(NewVarChar("foo")), ksids(t, ks1), false)
		if ErrorNumber(err) != 1213 || err.Error() != "lookup.Create: Deadlock found (errno 1213)" {
			t.Fatalf("err = %v", err)
		}
		if len(db.log) != 1 {
			t.Errorf("dup handling ran: %v", db.log)
		}
	})

	t.Run("an error already rolled back is not retried", func(t *testing.T) {
		v, db := consistentSetup(t, nil, nil)
		db.fail["insert"] = &fakeSQLError{1062, partialDMLRollback + ": Duplicate entry 'foo'"}
		err := v.Create(ctx, db, rowsOf(NewVarChar("foo")), ksids(t, ks1), false)
		if ErrorNumber(err) != 1062 || len(db.log) != 1 {
			t.Fatalf("err = %v after %v", err, db.log)
		}
	})

	t.Run("owner check failure is returned", func(t *testing.T) {
		v, db := consistentSetup(t, [][]Value{row("bar", ks2)}, nil)
		db.fail["lock in share mode"] = &fakeSQLError{1045, "missing caller id"}
		err := v.Create(ctx, db, rowsOf(NewVarChar("bar")), ksids(t, ks3), false)
		if ErrorNumber(err) != 1045 || !strings.HasPrefix(err.Error(), "lookup.Create: missing caller id") {
			t.Fatalf("err = %v", err)
		}
	})

	t.Run("ignore mode: insert ignore, no duplicate", func(t *testing.T) {
		v, db := consistentSetup(t, [][]Value{row("bar", ks2)}, nil)
		if err := v.Create(ctx, db, rowsOf(NewVarChar("bar")), ksids(t, ks3), true); err != nil {
			t.Fatal(err)
		}
		checkLog(t, db, "pre insert ignore into `name_lookup`(`name`, `keyspace_id`) values ('bar', _binary X'4eb190c9a2fa169c')")
	})

	t.Run("multi-column owner check", func(t *testing.T) {
		db := newFakeDB()
		db.tables["name_lookup"] = &fakeTable{cols: []string{"a", "b", "keyspace_id"}, key: []string{"a", "b"},
			rows: [][]Value{{NewInt64(1), NewVarChar("x"), NewVarBinary(unhex(t, ks2))}}}
		db.owners["things.dot.t1"] = &fakeTable{cols: []string{"c1", "c2"}}
		v := newLookup(t, "consistent_lookup_unique", map[string]string{"from": "a,b"})
		if err := v.(WantsOwnerInfo).SetOwnerInfo("things", "dot.t1", []string{"c1", "c2"}); err != nil {
			t.Fatal(err)
		}
		if err := v.Create(ctx, db, [][]Value{{NewInt64(1), NewVarChar("x")}}, ksids(t, ks1), false); err != nil {
			t.Fatal(err)
		}
		checkLog(t, db,
			"pre insert into `name_lookup`(`a`, `b`, `keyspace_id`) values (1, 'x', _binary X'166b40b44aba4bd6')",
			"pre select `keyspace_id`, `a`, `b` from `name_lookup` where `a` = 1 and `b` = 'x' for update",
			"normal ks=things ksid=06e7ea22ce92708f select `c1` from `dot.t1` where `c1` = 1 and `c2` = 'x' lock in share mode",
			"pre update `name_lookup` set `keyspace_id` = _binary X'166b40b44aba4bd6' where `a` = 1 and `b` = 'x'",
		)
	})

	// A non-unique lookup's key is the value with its keyspace id: the row a duplicate names is the
	// one this owner row needs, there already (an owner row of that keyspace id with the value, or an
	// orphan). Other keyspace ids' rows of the value are other owners' (helper-60: they made the
	// lock select find several rows, "unexpected rows", 1105 instead of the owner table's 1062).
	t.Run("non-unique: the value's row for the keyspace id is there already", func(t *testing.T) {
		db := newFakeDB()
		lookupTable(db, false, row("bar", ks1), row("bar", ks2))
		db.owners["things.things"] = &fakeTable{cols: []string{"id", "name"}, key: []string{"id"}}
		v := newLookup(t, "consistent_lookup", nil)
		if err := v.(WantsOwnerInfo).SetOwnerInfo("things", "things", []string{"name"}); err != nil {
			t.Fatal(err)
		}
		if err := v.Create(ctx, db, rowsOf(NewVarChar("foo"), NewVarChar("bar")), ksids(t, ks1, ks2), false); err != nil {
			t.Fatal(err)
		}
		checkLog(t, db,
			insertFooBar,
			"pre select `keyspace_id`, `name` from `name_lookup` where `name` = 'foo' and `keyspace_id` = _binary X'166b40b44aba4bd6' for update",
			"pre insert into `name_lookup`(`name`, `keyspace_id`) values ('foo', _binary X'166b40b44aba4bd6')",
			"pre select `keyspace_id`, `name` from `name_lookup` where `name` = 'bar' and `keyspace_id` = _binary X'06e7ea22ce92708f' for update",
		)
		if got := db.tables["name_lookup"].rows; len(got) != 3 {
			t.Errorf("lookup rows: %v, want bar's two and foo's", got)
		}
	})

	t.Run("SetOwnerInfo checks the column count", func(t *testing.T) {
		v := newLookup(t, "consistent_lookup_unique", nil)
		err := v.(WantsOwnerInfo).SetOwnerInfo("things", "things", []string{"a", "b"})
		if err == nil || err.Error() != "column count does not match value count with the row for vindex 'name_lkp'" {
			t.Errorf("err = %v", err)
		}
	})
}

func TestLookupParams(t *testing.T) {
	base := map[string]string{"table": "t", "from": "f", "to": "k"}
	with := func(extra map[string]string) map[string]string {
		p := map[string]string{}
		for k, v := range base {
			p[k] = v
		}
		for k, v := range extra {
			p[k] = v
		}
		return p
	}
	for _, tc := range []struct {
		typ         string
		params      map[string]string
		wantErr     string
		wantUnknown []string
	}{
		{"lookup", with(map[string]string{"zeta": "1", "alpha": "2"}), "", []string{"alpha", "zeta"}},
		{"lookup", with(map[string]string{"autocommit": "true", "no_verify": "false", "multi_shard_autocommit": "false"}), "", nil},
		{"lookup_hash", with(map[string]string{"no_verify": "true"}), "", []string{"no_verify"}},
		{"consistent_lookup", with(map[string]string{"autocommit": "true", "no_verify": "true"}), "", []string{"autocommit", "no_verify"}},
		{"consistent_lookup_unique", with(map[string]string{"write_only": "true", "batch_lookup": "true", "read_lock": "none", "ignore_nulls": "true"}), "", nil},
		{"lookup", with(map[string]string{"ignore_nulls": "yes"}), "ignore_nulls value must be 'true' or 'false': 'yes'", nil},
		{"lookup_unique", with(map[string]string{"autocommit": "True"}), "autocommit value must be 'true' or 'false': 'True'", nil},
		{"lookup", with(map[string]string{"read_lock": "update"}), "invalid read_lock value: update", nil},
		{"lookup", map[string]string{"from": "f"}, "lookup vindex v: missing params: table, to", nil},
		{"lookup", map[string]string{"table": "t", "from": " , ", "to": "k"}, "lookup vindex v: missing params: from", nil},
	} {
		v, err := Create(tc.typ, "v", tc.params)
		if tc.wantErr != "" {
			if err == nil || err.Error() != tc.wantErr {
				t.Errorf("Create(%s, %v) err = %v, want %q", tc.typ, tc.params, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("Create(%s, %v): %v", tc.typ, tc.params, err)
			continue
		}
		if got := v.(ParamValidating).UnknownParams(); !reflect.DeepEqual(got, tc.wantUnknown) {
			t.Errorf("Create(%s, %v).UnknownParams() = %v, want %v", tc.typ, tc.params, got, tc.wantUnknown)
		}
	}

	// Properties.
	for _, tc := range []struct {
		typ    string
		unique bool
		cost   int
	}{
		{"lookup", false, 20}, {"lookup_unique", true, 10},
		{"lookup_hash", false, 20}, {"lookup_hash_unique", true, 10},
		{"consistent_lookup", false, 20}, {"consistent_lookup_unique", true, 10},
	} {
		v, err := CreateWithOwner(tc.typ, "v", "owner_t", with(map[string]string{"from": " a , b "}))
		if err != nil {
			t.Fatal(err)
		}
		l := v.(Lookup)
		if v.IsUnique() != tc.unique || v.Cost() != tc.cost || !v.NeedsQuerier() || l.Owner() != "owner_t" ||
			!slices.Equal(l.FromColumns(), []string{"a", "b"}) {
			t.Errorf("%s: unique %v cost %d owner %q from %q", tc.typ, v.IsUnique(), v.Cost(), l.Owner(), l.FromColumns())
		}
		_, consistent := v.(WantsOwnerInfo)
		if consistent != strings.HasPrefix(tc.typ, "consistent") {
			t.Errorf("%s: WantsOwnerInfo = %v", tc.typ, consistent)
		}
		if _, ok := v.(Reversible); ok {
			t.Errorf("%s is Reversible", tc.typ)
		}
	}
	// owner may come in params (ALTER VSCHEMA … WITH owner=t).
	v, _ := Create("lookup", "v", with(map[string]string{"owner": "t2"}))
	if v.(Lookup).Owner() != "t2" {
		t.Errorf("owner from params = %q", v.(Lookup).Owner())
	}
}

func TestRegistry(t *testing.T) {
	_, err := Create("nope", "v", nil)
	if err == nil || err.Error() != `vindexType "nope" not found` {
		t.Errorf("unknown type err = %v", err)
	}
	v := mustCreate(t, "hash", map[string]string{"Table": "t", "Column": "c"})
	if got := v.(ParamValidating).UnknownParams(); !slices.Equal(got, []string{"Column", "Table"}) {
		t.Errorf("hash UnknownParams = %v", got)
	}
	want := []string{"binary", "binary_md5", "consistent_lookup", "consistent_lookup_unique", "hash", "lookup",
		"lookup_hash", "lookup_hash_unique", "lookup_unique", "null", "numeric", "numeric_static_map",
		"reverse_bits", "unicode_loose_md5", "unicode_loose_xxhash", "xxhash"}
	if got := Types(); !slices.Equal(got, want) {
		t.Errorf("Types() = %v", got)
	}
	for _, typ := range want {
		params := map[string]string{"table": "t", "from": "f", "to": "k", "json": "{}"}
		v, err := Create(typ, "v", params)
		if err != nil {
			t.Errorf("Create(%s): %v", typ, err)
			continue
		}
		if _, ok := v.(ParamValidating); !ok {
			t.Errorf("%s does not implement ParamValidating", typ)
		}
		if _, ok := v.(SingleColumn); !ok {
			t.Errorf("%s does not implement SingleColumn", typ)
		}
	}
}

// -------------------------------------------------------------- renderer

func TestAppendLiteral(t *testing.T) {
	for _, tc := range []struct {
		in        Value
		want, nbe string // default sql_mode, NO_BACKSLASH_ESCAPES ("": same)
	}{
		{NewInt64(-12), "-12", ""},
		{NewUint64(18446744073709551615), "18446744073709551615", ""},
		{Value{Int64, []byte("1 or 1=1")}, "'1 or 1=1'", ""}, // not a number: quoted, never raw
		{Value{Uint64, []byte("-1")}, "'-1'", ""},
		{Value{Decimal, []byte("-1.50")}, "-1.50", ""},
		{Value{Float64, []byte("1e-5")}, "1e-5", ""},
		{Value{Float64, []byte("-0.1")}, "-0.1e0", ""}, // a double, not the decimal -0.1
		{Value{Float64, []byte("NaN")}, "'NaN'", ""},
		{NewVarChar("it's"), `'it''s'`, ""},
		{NewVarChar(`a"b\c`), `'a"b\\c'`, `'a"b\c'`},
		{NewVarChar(`x\' or 1=1 -- `), `'x\\'' or 1=1 -- '`, `'x\'' or 1=1 -- '`},
		{NewVarChar("nul\x00 nl\n cr\r z\x1a tab\t"), "'nul\x00 nl\n cr\r z\x1a tab\t'", ""},
		{NewVarChar("Tést ✓"), "'Tést ✓'", ""},
		{NewVarChar("bad \xff utf8"), "'bad \xff utf8'", ""},
		{NewVarBinary([]byte{0, 1, 0xfe}), "_binary X'0001fe'", ""},
		{NewVarBinary(nil), "_binary X''", ""},
		{Value{HexString, []byte{0, 1, 0xfe}}, "X'0001fe'", ""},
		{Value{HexNum, []byte{0, 0x10}}, "0x0010", ""},
		{NewVarChar(""), "''", ""},
		{null, "null", ""},
	} {
		if got := string(AppendLiteral(nil, tc.in, false)); got != tc.want {
			t.Errorf("AppendLiteral(%v) = %s, want %s", tc.in, got, tc.want)
		}
		want := tc.nbe
		if want == "" {
			want = tc.want
		}
		if got := string(AppendLiteral(nil, tc.in, true)); got != want {
			t.Errorf("AppendLiteral(%v) under NO_BACKSLASH_ESCAPES = %s, want %s", tc.in, got, want)
		}
	}
}

// Every byte string survives rendering and parsing unchanged, in both
// escaping modes of MySQL's lexer.
func TestLiteralRoundTrip(t *testing.T) {
	var all []byte
	for i := range 256 {
		all = append(all, byte(i))
	}
	inputs := [][]byte{
		[]byte(`'`), []byte(`''`), []byte(`\`), []byte(`\'`), []byte(`'\`), []byte("\x00"), []byte("a\x00b"),
		[]byte("\x1a"), []byte(`"`), []byte("\r\n"), []byte("' or 1=1 -- "), []byte("\xc3"), []byte("\xed\xa0\x80"),
		[]byte("Tést"), []byte("%_"), all, []byte("\\0\\n"), {},
	}
	for _, in := range inputs {
		for _, kind := range []Kind{VarChar, VarBinary, HexString} {
			v := Value{kind, in}
			sql := "select a from t where a = " + string(AppendLiteral(nil, v, false))
			stmt, err := parser.New().ParseOneStmt(sql, "", "")
			if err != nil {
				t.Errorf("%s %q: %v", kind, in, err)
				continue
			}
			got, err := literal(sql, stmt.(*ast.SelectStmt).Where.(*ast.BinaryOperationExpr).R)
			if err != nil || string(got.Raw) != string(in) {
				t.Errorf("%s %q rendered as %s came back as %q (%v)", kind, in, sql, got.Raw, err)
			}
			for _, nbe := range []bool{false, true} {
				if lit := string(AppendLiteral(nil, v, nbe)); mysqlUnquote(lit, nbe) != string(in) {
					t.Errorf("%s %q (NO_BACKSLASH_ESCAPES %t): MySQL would read %q", kind, in, nbe, mysqlUnquote(lit, nbe))
				}
			}
		}
	}
}

// mysqlUnquote decodes a string or hex literal the way MySQL's lexer does,
// with or without NO_BACKSLASH_ESCAPES.
func mysqlUnquote(lit string, noBackslashEscapes bool) string {
	lit = strings.TrimPrefix(lit, "_binary ")
	if strings.HasPrefix(lit, "X'") {
		var b []byte
		fmt.Sscanf(lit[2:len(lit)-1], "%x", &b)
		return string(b)
	}
	s := lit[1 : len(lit)-1]
	var out []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\'' {
			i++ // '' is a quote
			out = append(out, '\'')
			continue
		}
		if c != '\\' || noBackslashEscapes {
			out = append(out, c)
			continue
		}
		i++
		switch s[i] {
		case '0':
			out = append(out, 0)
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 'Z':
			out = append(out, 0x1a)
		case 't':
			out = append(out, '\t')
		case 'b':
			out = append(out, '\b')
		default:
			out = append(out, s[i])
		}
	}
	return string(out)
}
