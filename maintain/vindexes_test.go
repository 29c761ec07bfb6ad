package maintain

import (
	"bytes"
	"context"
	"encoding/hex"
	"strings"
	"testing"

	"sidecar/conf"
	"sidecar/vindex"
)

// exampleTopology is conf/examples: the seeds' keyspaces (nothing is dialed).
func exampleTopology(t *testing.T) *conf.Topology {
	t.Helper()
	cfg, err := conf.Load("../conf/examples/sidecar.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Topology
}

func ksid(t *testing.T, h string) vindex.KeyspaceID {
	t.Helper()
	b, err := hex.DecodeString(h)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Lookup tables are found where the sidecar routes their queries: corder_keyspace_idx in the
// unsharded product keyspace (qualified name), things_name_lookup in things, sharded by
// unicode_loose_md5 of its from column.
func TestResolveLookupTable(t *testing.T) {
	topo := exampleTopology(t)
	cust := topo.Keyspaces["customer"]
	lt, err := resolveLookupTable(topo, cust, "customer.corder_keyspace_idx", cust.Vindexes["corder_keyspace_idx"].(vindex.LookupTable))
	if err != nil {
		t.Fatal(err)
	}
	if lt.ks.Name != "product" || lt.table != "corder_keyspace_idx" || lt.to != "keyspace_id" || !lt.unique || lt.place != nil {
		t.Errorf("corder_keyspace_idx: %+v", lt)
	}
	if sh, _ := lt.shardOf([]vindex.Value{i64(1)}, vindex.Value{}); sh.Name != "0" {
		t.Errorf("shard of a corder_keyspace_idx row: %s", sh.Name)
	}

	things := topo.Keyspaces["things"]
	lt, err = resolveLookupTable(topo, things, "things.things_name_lookup", things.Vindexes["things_name_lookup"].(vindex.LookupTable))
	if err != nil {
		t.Fatal(err)
	}
	if lt.ks != things || lt.placeCol != 0 {
		t.Errorf("things_name_lookup: keyspace %s, placed by column %d", lt.ks.Name, lt.placeCol)
	}
	// foo's lookup row is on -80, bar's on 80- (seed 000: md5 24ee… and 86e8…).
	for name, want := range map[string]string{"foo": "-80", "bar": "80-"} {
		if sh, err := lt.shardOf([]vindex.Value{str(name)}, vindex.Value{}); err != nil || sh.Name != want {
			t.Errorf("shard of %s's lookup row: %v %v, want %s", name, sh, err, want)
		}
	}
	groups, _ := lt.shardsOf([][]vindex.Value{{str("foo")}, {str("bar")}, {{Kind: vindex.Null}}})
	if len(groups) != 2 || len(groups[things.Shards[0]]) != 1 || groups[things.Shards[1]][0] != 1 {
		t.Errorf("shardsOf: %v", groups)
	}
}

// The keyspace id of a row: hash of corder's customer_id; through corder_keyspace_idx (a lookup,
// read from its table) for corder_event.
func TestRowKeyspace(t *testing.T) {
	topo := exampleTopology(t)
	corder, _ := topo.FindTable("customer", "corder")
	rk, err := newRowKeyspace(topo, corder)
	if err != nil || rk.hash == nil || rk.cols[0] != "customer_id" {
		t.Fatalf("corder: %+v %v", rk, err)
	}
	ksids, why, err := rk.keyspaceIDs(context.Background(), nil, []vindex.Value{i64(1), str("x"), {Kind: vindex.Null}})
	if err != nil || !bytes.Equal(ksids[0], ksid(t, "166b40b44aba4bd6")) || ksids[1] != nil || why[1] == "" || ksids[2] != nil {
		t.Errorf("keyspace ids of corder rows: %x %q %v", ksids, why, err)
	}
	event, _ := topo.FindTable("customer", "corder_event")
	rk, err = newRowKeyspace(topo, event)
	if err != nil || rk.lookup == nil || rk.lookup.table != "corder_keyspace_idx" {
		t.Fatalf("corder_event: %+v %v", rk, err)
	}
}

func TestReversibleVindex(t *testing.T) {
	topo := exampleTopology(t)
	event, _ := topo.FindTable("customer", "corder_event")
	corder, _ := topo.FindTable("customer", "corder")
	cv, rev, err := reversibleVindex(event, "KEYSPACE_ID")
	if err != nil || cv.Name != "binary" {
		t.Fatalf("corder_event.keyspace_id: %v %v", cv, err)
	}
	if v, _ := rev.ReverseMap([]vindex.KeyspaceID{ksid(t, "166b40b44aba4bd6")}); v[0].Kind != vindex.VarBinary {
		t.Errorf("binary reverses to %v", v)
	}
	for _, tc := range []struct {
		table  *conf.Table
		column string
		err    string
	}{
		{event, "corder_id", "is the primary vindex's"},
		{corder, "corder_id", "is not reversible"},
		{event, "ename", "has no vindex"},
	} {
		if _, _, err := reversibleVindex(tc.table, tc.column); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s.%s: %v, want %q", tc.table, tc.column, err, tc.err)
		}
	}
}

// A functional column value holds a keyspace id when it hashes to it: hash reads a signed column as
// two's complement, binary compares the bytes.
func TestHolds(t *testing.T) {
	h, _ := vindex.Create("hash", "hash", nil)
	b, _ := vindex.Create("binary", "binary", nil)
	ctx := context.Background()
	k1 := ksid(t, "166b40b44aba4bd6")
	if !holds(ctx, h, i64(1), k1) || holds(ctx, h, i64(2), k1) || holds(ctx, h, str("x"), k1) {
		t.Error("hash")
	}
	if !holds(ctx, h, i64(-1), ksid(t, "355550b2150e2451")) {
		t.Error("hash of -1")
	}
	if !holds(ctx, b, bin(k1), k1) || holds(ctx, b, bin(k1[:7]), k1) {
		t.Error("binary")
	}
}

func TestClassify(t *testing.T) {
	k1, k2 := vindex.KeyspaceID{1}, vindex.KeyspaceID{2}
	row := func(k vindex.KeyspaceID) lookupRow { return lookupRow{ksid: k} }
	for _, tc := range []struct {
		unique bool
		rows   []lookupRow
		want   state
	}{
		{true, nil, stateMissing},
		{true, []lookupRow{row(k1)}, stateOK},
		{true, []lookupRow{row(k2)}, stateMismatch},
		{true, []lookupRow{row(nil)}, stateMismatch},
		{true, []lookupRow{row(k2), row(vindex.KeyspaceID{3})}, stateSeveral},
		{false, []lookupRow{row(k2), row(k1)}, stateOK},
		{false, []lookupRow{row(k2)}, stateMissing},
	} {
		if got := classify(tc.unique, k1, tc.rows); got != tc.want {
			t.Errorf("classify(unique=%v, %v) = %v, want %v", tc.unique, tc.rows, got, tc.want)
		}
	}
}

// Lookup rows are inserted sorted by value, then keyspace id, as the vindex package inserts them.
func TestInsertSQL(t *testing.T) {
	topo := exampleTopology(t)
	things := topo.Keyspaces["things"]
	lt, err := resolveLookupTable(topo, things, "things.things_name_lookup", things.Vindexes["things_name_lookup"].(vindex.LookupTable))
	if err != nil {
		t.Fatal(err)
	}
	j := &lookupJob{lt: lt}
	sql, err := j.insertSQL([]ownerRow{
		{values: []vindex.Value{str("foo")}, ksid: ksid(t, "166b40b44aba4bd6")},
		{values: []vindex.Value{str("bar'")}, ksid: ksid(t, "06e7ea22ce92708f")},
	}, lit(false))
	if want := "INSERT INTO `things_name_lookup` (`name`, `keyspace_id`) VALUES ('bar''', _binary X'06e7ea22ce92708f'), ('foo', _binary X'166b40b44aba4bd6')"; err != nil || sql != want {
		t.Errorf("insertSQL:\n%s\nwant\n%s (%v)", sql, want, err)
	}
}
