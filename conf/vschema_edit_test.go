package conf

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"sidecar/vindex"
)

// editBase has a sharded keyspace ks, an unsharded keyspace u with a
// VSchema file, and an unsharded keyspace plain without a VSchema.
const editBase = `
users: [{name: app, password: secret}]
backend: {user: root}
keyspaces:
  ks:
    vschema_file: ks.json
    shards:
      "-80": {address: "127.0.0.1:3306", database: ks_a}
      "80-": {address: "127.0.0.1:3306", database: ks_b}
  u:
    vschema: {tables: {seq: {type: sequence}, lkp: {}}}
    shards:
      "0": {address: "127.0.0.1:3306", database: u}
  plain:
    shards:
      "-": {address: "127.0.0.1:3306", database: plain}
`

const editKS = `{
  "sharded": true,
  "vindexes": {"hash": {"type": "hash"}},
  "tables": {"t": {"column_vindexes": [{"column": "id", "name": "hash"}], "auto_increment": {"column": "id", "sequence": "u.seq"}}}
}`

func loadEditBase(t *testing.T) *Config {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "ks.json"), []byte(editKS), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "sidecar.yaml")
	if err := os.WriteFile(path, []byte(editBase), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestWithVSchemas(t *testing.T) {
	cfg := loadEditBase(t)
	ksFile := cfg.Topology.Keyspaces["ks"].VSchemaFile
	oldKS := cfg.Topology.Keyspaces["ks"]

	// plain becomes sharded (one shard "-" covers everything); ks gets a table.
	plainVS := &VSchema{Sharded: true, Vindexes: map[string]*VindexDef{"xx": {Type: "xxhash"}},
		Tables: map[string]*TableDef{"p": {ColumnVindexes: []*ColumnVindexDef{{Column: "id", Name: "xx"}}}}}
	ksVS, err := ParseVSchemaJSON("ks", []byte(editKS))
	if err != nil {
		t.Fatal(err)
	}
	ksVS.Tables["t2"] = &TableDef{ColumnVindexes: []*ColumnVindexDef{{Columns: []string{"a"}, Name: "hash"}}}

	next, err := cfg.WithVSchemas(map[string]*VSchema{"plain": plainVS, "ks": ksVS})
	if err != nil {
		t.Fatal(err)
	}
	topo := next.Topology
	if !topo.Keyspaces["plain"].Sharded || topo.Keyspaces["plain"].VSchema != plainVS {
		t.Error("plain is not sharded with the new vschema")
	}
	if sh := topo.Keyspaces["plain"].ShardFor(vindex.KeyspaceID{0xff}); sh == nil || sh.Name != "-" {
		t.Errorf("ShardFor = %v", sh)
	}
	if tb, err := topo.FindTable("", "t2"); err != nil || tb.Primary().Name != "hash" || tb.Keyspace.Name != "ks" {
		t.Errorf("t2 = %+v, %v", tb, err)
	}
	if tb, _ := topo.FindTable("ks", "t"); tb.AutoIncrement == nil || tb.AutoIncrement.Sequence != topo.Keyspaces["u"].Tables["seq"] {
		t.Error("t's sequence is not the new topology's")
	}
	if topo.Keyspaces["ks"].VSchemaFile != "" || topo.Keyspaces["u"].VSchema != cfg.Topology.Keyspaces["u"].VSchema {
		t.Error("replaced keyspace keeps its file name, or u changed")
	}
	if topo.Keyspaces["ks"].Shards[0] != oldKS.Shards[0] || next.Users[0] != cfg.Users[0] || next.Path != cfg.Path {
		t.Error("shards or settings not kept")
	}
	// The original is untouched.
	if cfg.Topology.Keyspaces["ks"] != oldKS || oldKS.VSchemaFile != ksFile || oldKS.Tables["t2"] != nil || cfg.Topology.Keyspaces["plain"].Sharded {
		t.Error("WithVSchemas changed its receiver")
	}

	// Applied again on the result, other keyspaces keep their replaced VSchemas.
	again, err := next.WithVSchemas(map[string]*VSchema{"u": {Tables: map[string]*TableDef{"seq": {Type: TypeSequence}, "more": {}}}})
	if err != nil {
		t.Fatal(err)
	}
	if again.Topology.Keyspaces["plain"].VSchema != plainVS || again.Topology.Keyspaces["u"].Tables["more"] == nil {
		t.Error("replaced vschemas lost")
	}
	if got := again.Topology.VSchemas(); got["plain"] != plainVS || len(got) != 3 || got["u"].Tables["more"] == nil {
		t.Errorf("VSchemas() = %v", got)
	}
}

func TestWithVSchemasErrors(t *testing.T) {
	cfg := loadEditBase(t)
	ksFile := cfg.Topology.Keyspaces["ks"].VSchemaFile
	for _, tc := range []struct {
		name string
		vs   map[string]*VSchema
		want []string
	}{
		{"unknown keyspace", map[string]*VSchema{"nope": {}}, []string{
			cfg.Path + `: keyspaces.nope: keyspace nope is not defined in the config (keyspaces: ks, plain, u)`}},
		{"unknown vindex type", map[string]*VSchema{"ks": {Sharded: true, Vindexes: map[string]*VindexDef{"v": {Type: "nope"}}}}, []string{
			`vschema of keyspace ks: vindexes.v.type: vindexType "nope" not found (known types: `}},
		{"a sequence still used", map[string]*VSchema{"u": {}}, []string{
			ksFile + `: tables.t.auto_increment.sequence: cannot resolve sequence u.seq: keyspace u has no table seq in its vschema`}},
		{"unsharded made sharded keeps its sequence", map[string]*VSchema{"u": {Sharded: true, Tables: map[string]*TableDef{"seq": {Type: TypeSequence}}}}, []string{
			ksFile + `: tables.t.auto_increment.sequence: cannot resolve sequence u.seq: u.seq is in sharded keyspace u`,
			`vschema of keyspace u: tables.seq.type: sequence table has to be in an unsharded keyspace: seq`}},
		{"sharded made unsharded has two shards", map[string]*VSchema{"ks": {}}, []string{
			cfg.Path + `: keyspaces.ks.shards: unsharded keyspace ks needs exactly one shard, named "0" or "-"; got 2 (-80, 80-)`}},
		{"no primary vindex", map[string]*VSchema{"ks": {Sharded: true, Tables: map[string]*TableDef{"x": {}}}}, []string{
			`vschema of keyspace ks: tables.x.column_vindexes: missing primary col vindex for table: x`}},
	} {
		_, err := cfg.WithVSchemas(tc.vs)
		var problems Errors
		if !errors.As(err, &problems) {
			t.Errorf("%s: err = %v, want Errors", tc.name, err)
			continue
		}
		if len(problems) != len(tc.want) {
			t.Errorf("%s: %d problems, want %d:\n%v", tc.name, len(problems), len(tc.want), err)
			continue
		}
		for i, p := range problems {
			if !strings.HasPrefix(p.Error(), tc.want[i]) {
				t.Errorf("%s:\n got %s\nwant %s…", tc.name, p.Error(), tc.want[i])
			}
		}
	}
}

func TestWithVSchemasWarnings(t *testing.T) {
	cfg := loadEditBase(t)
	next, err := cfg.WithVSchemas(map[string]*VSchema{"ks": {Sharded: true,
		Vindexes: map[string]*VindexDef{"hash": {Type: "hash", Params: map[string]string{"bogus": "1"}}},
		Tables:   map[string]*TableDef{"t": {ColumnVindexes: []*ColumnVindexDef{{Column: "id", Name: "hash"}}}}}})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"vschema of keyspace ks: vindexes.hash.params: unknown vindex params ignored: bogus"}; !reflect.DeepEqual(next.Warnings, want) {
		t.Errorf("warnings = %q, want %q", next.Warnings, want)
	}
}

func TestParseVSchemaJSON(t *testing.T) {
	vs, err := ParseVSchemaJSON("v7", []byte(editKS))
	if err != nil || !vs.Sharded || vs.Tables["t"].AutoIncrement.Sequence != "u.seq" {
		t.Errorf("got %+v, %v", vs, err)
	}
	_, err = ParseVSchemaJSON("v8", []byte("{\n  \"sharded\": true,\n  \"tabels\": {}\n}"))
	if err == nil || !strings.HasPrefix(err.Error(), `v8: tabels: unknown key "tabels" (expected one of: `) || !strings.HasSuffix(err.Error(), "(line 3)") {
		t.Errorf("err = %v", err)
	}
	if _, err := ParseVSchemaJSON("v9", nil); err == nil || err.Error() != "v9: empty file" {
		t.Errorf("err = %v", err)
	}
}
