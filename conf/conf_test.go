package conf

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"sidecar/vindex"
)

const example = "examples/sidecar.yaml"

func loadExample(t *testing.T) *Config {
	t.Helper()
	cfg, err := Load(example)
	if err != nil {
		t.Fatalf("Load(%s):\n%v", example, err)
	}
	return cfg
}

func TestExampleLoads(t *testing.T) {
	cfg := loadExample(t)
	if len(cfg.Warnings) > 0 {
		t.Errorf("warnings: %q", cfg.Warnings)
	}
	if cfg.Listen != "127.0.0.1:15306" || cfg.AdminListen != "127.0.0.1:15000" || !cfg.ShardHints {
		t.Errorf("listen %q admin %q hints %v", cfg.Listen, cfg.AdminListen, cfg.ShardHints)
	}
	if want := []User{{"mysql_user", "mysql_password", "mysql_native_password"}}; !reflect.DeepEqual(cfg.Users, want) {
		t.Errorf("users = %+v, want %+v", cfg.Users, want)
	}
	if cfg.LookupCache != (LookupCache{100000, 30 * time.Second}) || cfg.Log != (Log{Level: "info", Format: "json"}) {
		t.Errorf("lookup cache %+v log %+v", cfg.LookupCache, cfg.Log)
	}
	topo := cfg.Topology
	if want := []string{"customer", "product", "things"}; !reflect.DeepEqual(topo.Names, want) {
		t.Fatalf("keyspaces = %v, want %v", topo.Names, want)
	}

	for _, tc := range []struct {
		ks      string
		sharded bool
		shards  []string // name/database
	}{
		{"customer", true, []string{"-80/customer_x80", "80-/customer_80x"}},
		{"product", false, []string{"0/product"}},
		{"things", true, []string{"-80/things_x80", "80-/things_80x"}},
	} {
		ks := topo.Keyspaces[tc.ks]
		if ks.Sharded != tc.sharded {
			t.Errorf("%s: sharded = %v", tc.ks, ks.Sharded)
		}
		var got []string
		for _, sh := range ks.Shards {
			got = append(got, sh.Name+"/"+sh.Database)
			if sh.Keyspace != tc.ks || sh.Address != "127.0.0.1:3306" || sh.User != "root" || sh.Password != "" ||
				sh.PoolSize != 16 || sh.ConnectTimeout != 5*time.Second || sh.HasHostgroup {
				t.Errorf("%s/%s: %+v", tc.ks, sh.Name, sh)
			}
		}
		if !reflect.DeepEqual(got, tc.shards) {
			t.Errorf("%s shards = %v, want %v", tc.ks, got, tc.shards)
		}
	}

	customer := topo.Keyspaces["customer"]
	// corder_event: the lookup is its primary vindex, unowned (corder owns it).
	ev := customer.Tables["corder_event"]
	if got := vindexSummary(ev); got != "corder_id:corder_keyspace_idx:consistent_lookup_unique keyspace_id:binary:binary" {
		t.Errorf("corder_event vindexes = %s", got)
	}
	if p := ev.Primary(); p.Owned || !p.Vindex.IsUnique() {
		t.Errorf("corder_event primary owned=%v unique=%v", p.Owned, p.Vindex.IsUnique())
	}
	if len(ev.Owned) != 0 {
		t.Errorf("corder_event owns %d vindexes", len(ev.Owned))
	}
	// corder owns corder_keyspace_idx, the same vindex instance.
	corder := customer.Tables["corder"]
	if got := vindexSummary(corder); got != "customer_id:hash:hash corder_id:corder_keyspace_idx:consistent_lookup_unique+owned" {
		t.Errorf("corder vindexes = %s", got)
	}
	if len(corder.Owned) != 1 || corder.Owned[0] != corder.ColumnVindexes[1] {
		t.Errorf("corder.Owned = %v", corder.Owned)
	}
	lk, ok := corder.Owned[0].Vindex.(vindex.Lookup)
	if !ok || lk.Owner() != "corder" || lk != ev.Primary().Vindex || lk != customer.Vindexes["corder_keyspace_idx"] {
		t.Errorf("corder_keyspace_idx: %#v", corder.Owned[0].Vindex)
	}
	// sequences resolve to product's sequence tables.
	for table, want := range map[string]string{
		"customer":     "customer_id product.customer_seq",
		"corder":       "corder_id product.corder_seq",
		"corder_event": "corder_event_id product.corder_event_seq",
	} {
		ai := customer.Tables[table].AutoIncrement
		if ai == nil {
			t.Errorf("%s: no auto_increment", table)
			continue
		}
		if got := ai.Column + " " + ai.Sequence.String(); got != want || ai.Sequence.Type != TypeSequence ||
			ai.Sequence != topo.Keyspaces["product"].Tables[ai.Sequence.Name] {
			t.Errorf("%s auto_increment = %s (%q), want %s", table, got, ai.Sequence.Type, want)
		}
	}
	// things: seed 000.
	things := topo.Keyspaces["things"]
	if got := vindexSummary(things.Tables["things"]); got != "id:hash:hash name:things_name_lookup:consistent_lookup_unique+owned" {
		t.Errorf("things vindexes = %s", got)
	}
	if got := vindexSummary(things.Tables["things_name_lookup"]); got != "name:unicode_loose_md5:unicode_loose_md5" {
		t.Errorf("things_name_lookup vindexes = %s", got)
	}
	if cvs := things.Tables["things"].VindexesOn("NAME"); len(cvs) != 1 || cvs[0].Name != "things_name_lookup" {
		t.Errorf("VindexesOn(NAME) = %v", cvs)
	}
}

func vindexSummary(t *Table) string {
	var parts []string
	for _, cv := range t.ColumnVindexes {
		s := strings.Join(cv.Columns, ",") + ":" + cv.Name + ":" + cv.Type
		if cv.Owned {
			s += "+owned"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

func TestShardFor(t *testing.T) {
	topo := loadExample(t).Topology
	for _, tc := range []struct {
		ks, ksid, shard string
	}{
		{"customer", "166b40b44aba4bd6", "-80"}, // hash(1)
		{"customer", "d2fd8867d50d2dfe", "80-"}, // hash(4)
		{"customer", "", "-80"},
		{"customer", "00", "-80"},
		{"customer", "7fffffffffffffff", "-80"},
		{"customer", "80", "80-"},
		{"customer", "8000000000000000", "80-"},
		{"customer", "ffffffffffffffff", "80-"},
		{"product", "d2fd8867d50d2dfe", "0"},
	} {
		id, _ := hex.DecodeString(tc.ksid)
		if sh := topo.Keyspaces[tc.ks].ShardFor(id); sh == nil || sh.Name != tc.shard {
			t.Errorf("%s.ShardFor(%s) = %v, want %s", tc.ks, tc.ksid, sh, tc.shard)
		}
	}
	// Four shards, given out of order.
	cfg, err := loadString(t, `
users: [{name: app}]
backend: {user: root}
keyspaces:
  ks:
    vschema: {sharded: true, vindexes: {h: {type: hash}}, tables: {t: {column_vindexes: [{column: id, name: h}]}}}
    shards:
      "c0-": {address: "h:1", database: d4}
      "-40": {address: "h:1", database: d1}
      "80-c0": {address: "h:1", database: d3}
      "40-80": {address: "h:1", database: d2}
`, nil)
	if err != nil {
		t.Fatal(err)
	}
	ks := cfg.Topology.Keyspaces["ks"]
	var order []string
	for _, sh := range ks.Shards {
		order = append(order, sh.Name)
	}
	if want := []string{"-40", "40-80", "80-c0", "c0-"}; !reflect.DeepEqual(order, want) {
		t.Errorf("shard order = %v, want %v", order, want)
	}
	for ksid, want := range map[string]string{"": "-40", "3f": "-40", "40": "40-80", "4000": "40-80", "7fff": "40-80", "80": "80-c0", "bf": "80-c0", "c0": "c0-", "ff": "c0-"} {
		id, _ := hex.DecodeString(ksid)
		if sh := ks.ShardFor(id); sh == nil || sh.Name != want {
			t.Errorf("ShardFor(%s) = %v, want %s", ksid, sh, want)
		}
	}
}

func TestFindTable(t *testing.T) {
	topo := loadExample(t).Topology
	for _, tc := range []struct {
		ks, table string
		want      string // keyspace.table, or the error's sentinel
		err       error
	}{
		{"customer", "corder", "customer.corder", nil},
		{"", "corder", "customer.corder", nil},
		{"", "things_name_lookup", "things.things_name_lookup", nil},
		{"product", "anything", "product.anything", nil}, // unsharded: synthesized
		{"customer", "anything", "", ErrTableNotFound},
		{"", "anything", "", ErrTableNotFound},
		{"nope", "corder", "", ErrKeyspaceNotFound},
		{"", "Corder", "", ErrTableNotFound}, // table names are case-sensitive
	} {
		got, err := topo.FindTable(tc.ks, tc.table)
		switch {
		case tc.err != nil:
			if !errors.Is(err, tc.err) {
				t.Errorf("FindTable(%q, %q) = %v, %v; want %v", tc.ks, tc.table, got, err, tc.err)
			}
		case err != nil:
			t.Errorf("FindTable(%q, %q): %v", tc.ks, tc.table, err)
		case got.String() != tc.want:
			t.Errorf("FindTable(%q, %q) = %s, want %s", tc.ks, tc.table, got, tc.want)
		}
	}
	if tb, _ := topo.FindTable("product", "anything"); !tb.Synthesized || tb.Keyspace != topo.Keyspaces["product"] {
		t.Errorf("synthesized table: %+v", tb)
	}

	// The same name in two keyspaces is ambiguous unqualified, unless one of
	// them requires explicit routing.
	const two = `
users: [{name: app}]
backend: {user: root}
keyspaces:
  a: {vschema: {tables: {t: {}}}, shards: {"0": {address: "h:1", database: a}}}
  b: {vschema: {tables: {t: {}}, require_explicit_routing: %s}, shards: {"0": {address: "h:1", database: b}}}
`
	cfg, err := loadString(t, strings.Replace(two, "%s", "false", 1), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.Topology.FindTable("", "t"); !errors.Is(err, ErrAmbiguousTable) || !strings.Contains(err.Error(), "a, b") {
		t.Errorf("ambiguous: %v", err)
	}
	cfg, err = loadString(t, strings.Replace(two, "%s", "true", 1), nil)
	if err != nil {
		t.Fatal(err)
	}
	if tb, err := cfg.Topology.FindTable("", "t"); err != nil || tb.String() != "a.t" {
		t.Errorf("explicit routing: %v, %v", tb, err)
	}

	// A single unsharded keyspace takes any name.
	cfg, err = loadString(t, "users: [{name: app}]\nbackend: {user: root}\nkeyspaces: {only: {shards: {\"-\": {address: \"h:1\", database: d}}}}\n", nil)
	if err != nil {
		t.Fatal(err)
	}
	if tb, err := cfg.Topology.FindTable("", "whatever"); err != nil || tb.String() != "only.whatever" || !tb.Synthesized {
		t.Errorf("single keyspace: %v, %v", tb, err)
	}
}

// loadString writes config (and extra files) to a temp dir as sidecar.yaml
// and loads it.
func loadString(t *testing.T, config string, files map[string]string) (*Config, error) {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "sidecar.yaml")
	if err := os.WriteFile(path, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	return Load(path)
}

// A sharded keyspace "ks" (with inline VSchema) and the unsharded "product".
const badBase = `
users: [{name: app, password: secret}]
backend: {user: root}
keyspaces:
  ks:
    vschema: %s
    shards:
      "-80": {address: "127.0.0.1:3306", database: ks_a}
      "80-": {address: "127.0.0.1:3306", database: ks_b}
  product:
    vschema: {tables: {seq: {type: sequence}, plain: {}, lkp: {}}}
    shards:
      "0": {address: "127.0.0.1:3306", database: product}
`

func TestBadConfigs(t *testing.T) {
	for _, tc := range []struct {
		name string
		file string // a file under testdata, or
		vs   string // an inline vschema for keyspace ks of badBase
		want []string
	}{{
		name: "misspelt keys",
		file: "testdata/misspelt_key.yaml",
		want: []string{
			`testdata/misspelt_key.yaml: keyspaces.things.shards.80-.databse: unknown key "databse" (expected one of: address, database, hostgroup, password, pool_size, user) (line 11)`,
			`testdata/misspelt_key.yaml: lookup_cach: unknown key "lookup_cach"`,
			`testdata/misspelt_key.yaml: keyspaces.things.shards.80-.database: required (line 11)`,
			`testdata/misspelt.vschema.json: tables.things.column_vindexes[0].colum: unknown key "colum" (expected one of: column, columns, name) (line 9)`,
		},
	}, {
		name: "overlap",
		file: "testdata/overlap.yaml",
		want: []string{`testdata/overlap.yaml: keyspaces.things.shards: shards -80 and 40- overlap (line 7)`},
	}, {
		name: "gap",
		file: "testdata/gap.yaml",
		want: []string{`testdata/gap.yaml: keyspaces.things.shards: gap between -40 and 80-: nothing covers 40-80`},
	}, {
		name: "several at once",
		file: "testdata/many.yaml",
		want: []string{
			`testdata/many.yaml: listen: "nowhere" is not host:port`,
			`testdata/many.yaml: listen_socket: "run/sidecar.sock" is not an absolute path`,
			`testdata/many.yaml: users: at least one user is required`,
			`testdata/many.yaml: backend.pool_size: must be greater than 0, got 0`,
			`testdata/many.yaml: keyspaces.customer.shards.80-.database: required`,
			`testdata/many.yaml: log.level: unknown level "loud"`,
			`testdata/many.yaml: log.format: unknown format "xml"`,
			`testdata/many.vschema.json: vindexes.md5.type: vindexType "unknown_md5" not found`,
			`testdata/many.vschema.json: tables.customer.column_vindexes[1].name: vindex "nope" not defined`,
			`testdata/many.vschema.json: tables.nothing.column_vindexes: missing primary col vindex for table: nothing`,
			`testdata/many.vschema.json: tables.customer.auto_increment.sequence: cannot resolve sequence product.customer_seq`,
		},
	}, {
		name: "unknown vindex type",
		vs:   `{sharded: true, vindexes: {h: {type: hashh}}, tables: {t: {column_vindexes: [{column: id, name: h}]}}}`,
		want: []string{`sidecar.yaml: keyspaces.ks.vschema.vindexes.h.type: vindexType "hashh" not found (known types: `},
	}, {
		name: "undefined vindex",
		vs:   `{sharded: true, vindexes: {h: {type: hash}}, tables: {t: {column_vindexes: [{column: id, name: h}, {column: x, name: nope}]}}}`,
		want: []string{`sidecar.yaml: keyspaces.ks.vschema.tables.t.column_vindexes[1].name: vindex "nope" not defined`},
	}, {
		name: "owned primary",
		vs: `{sharded: true,
		      vindexes: {lkp: {type: consistent_lookup_unique, params: {table: product.lkp, from: x, to: keyspace_id}, owner: t}},
		      tables: {t: {column_vindexes: [{column: x, name: lkp}]}}}`,
		want: []string{`keyspaces.ks.vschema.tables.t.column_vindexes[0]: primary vindex lkp cannot be owned for table t`},
	}, {
		name: "non-unique primary",
		vs: `{sharded: true,
		      vindexes: {h: {type: hash}, lkp: {type: consistent_lookup, params: {table: product.lkp, from: x, to: keyspace_id}, owner: t}},
		      tables: {t: {column_vindexes: [{column: id, name: h}, {column: x, name: lkp}]},
		               u: {column_vindexes: [{column: x, name: lkp}]}}}`,
		want: []string{`keyspaces.ks.vschema.tables.u.column_vindexes[0]: primary vindex lkp is not Unique for table u`},
	}, {
		name: "unresolvable sequences",
		vs: `{sharded: true, vindexes: {h: {type: hash}},
		      tables: {a: {column_vindexes: [{column: id, name: h}], auto_increment: {column: id, sequence: product.nope_seq}},
		               b: {column_vindexes: [{column: id, name: h}], auto_increment: {column: id, sequence: product.plain}},
		               c: {column_vindexes: [{column: id, name: h}], auto_increment: {column: id, sequence: nope}},
		               d: {column_vindexes: [{column: id, name: h}], auto_increment: {column: id, sequence: nope.seq}},
		               e: {column_vindexes: [{column: id, name: h}], auto_increment: {column: id, sequence: seq}}}}`,
		want: []string{
			`keyspaces.ks.vschema.tables.a.auto_increment.sequence: cannot resolve sequence product.nope_seq: keyspace product has no table nope_seq`,
			`keyspaces.ks.vschema.tables.b.auto_increment.sequence: cannot resolve sequence product.plain: product.plain is not a sequence table`,
			`keyspaces.ks.vschema.tables.c.auto_increment.sequence: cannot resolve sequence nope: no keyspace has a table nope`,
			`keyspaces.ks.vschema.tables.d.auto_increment.sequence: cannot resolve sequence nope.seq: keyspace nope is not defined`,
		}, // e (unqualified, unique) resolves
	}, {
		name: "owner not a table",
		vs: `{sharded: true, vindexes: {h: {type: hash}, lkp: {type: consistent_lookup_unique, params: {table: product.lkp, from: x, to: keyspace_id}, owner: ghost}},
		      tables: {t: {column_vindexes: [{column: id, name: h}, {column: x, name: lkp}]}}}`,
		want: []string{`keyspaces.ks.vschema.vindexes.lkp.owner: owner table "ghost" is not defined in keyspace ks`},
	}, {
		name: "lookup tables",
		vs: `{sharded: true,
		      vindexes: {h: {type: hash},
		                 l1: {type: consistent_lookup_unique, params: {table: nope.t, from: x, to: k}},
		                 l2: {type: lookup_unique, params: {table: missing, from: x, to: k}},
		                 l3: {type: lookup_unique, params: {table: ks.missing, from: x, to: k}},
		                 ok1: {type: lookup_unique, params: {table: product.anything, from: x, to: k}},
		                 ok2: {type: lookup_unique, params: {table: t, from: x, to: k}}},
		      tables: {t: {column_vindexes: [{column: id, name: h}]}}}`,
		want: []string{
			`keyspaces.ks.vschema.vindexes.l1.params.table: lookup table nope.t: keyspace nope is not defined`,
			`keyspaces.ks.vschema.vindexes.l2.params.table: lookup table missing: no keyspace has a table missing in its vschema`,
			`keyspaces.ks.vschema.vindexes.l3.params.table: lookup table ks.missing: keyspace ks is sharded and has no table missing in its vschema`,
		},
	}, {
		name: "lookup column count",
		vs: `{sharded: true,
		      vindexes: {h: {type: hash}, lkp: {type: consistent_lookup_unique, params: {table: product.lkp, from: "a,b", to: k}, owner: t}},
		      tables: {t: {column_vindexes: [{column: id, name: h}, {column: a, name: lkp}]}}}`,
		want: []string{`tables.t.column_vindexes[1]: lookup vindex lkp has 2 from column(s) (a, b) but the table gives it 1 column(s) (a)`},
	}, {
		name: "column vindex shape",
		vs: `{sharded: true, vindexes: {h: {type: hash}},
		      tables: {t: {column_vindexes: [{column: id, columns: [id], name: h}]}, u: {column_vindexes: [{name: h}]}, v: {type: view}}}`,
		want: []string{
			`tables.t.column_vindexes[0]: can't use column and columns at the same time in vindex (h) and table (t)`,
			`tables.u.column_vindexes[0]: must specify at least one column for vindex (h) and table (u)`,
			`tables.v.type: unidentified table type view`,
		},
	}, {
		name: "wrong types",
		vs:   `{sharded: yes please, vindexes: [h], tables: {t: {column_vindexes: {column: id}}}}`,
		want: []string{
			`keyspaces.ks.vschema.sharded: expected true or false, got "yes please"`,
			`keyspaces.ks.vschema.vindexes: expected a mapping, got a list`,
			`keyspaces.ks.vschema.tables.t.column_vindexes: expected a list, got a mapping`,
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.file != "" {
				_, err = Load(tc.file)
			} else {
				_, err = loadString(t, strings.Replace(badBase, "%s", tc.vs, 1), nil)
			}
			if err == nil {
				t.Fatal("loaded without error")
			}
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error is %T, not Errors: %v", err, err)
			}
			text := err.Error()
			if n := strings.Count(text, "\n") + 1; n != len(errs) {
				t.Errorf("%d problems printed on %d lines", len(errs), n)
			}
			for _, want := range tc.want {
				if !strings.Contains(text, want) {
					t.Errorf("missing %q in:\n%s", want, text)
				}
			}
			if len(errs) < len(tc.want) {
				t.Errorf("%d problems, want at least %d:\n%s", len(errs), len(tc.want), text)
			}
			if tc.name == "unresolvable sequences" && strings.Contains(text, "tables.e.") {
				t.Errorf("unqualified unique sequence did not resolve:\n%s", text)
			}
		})
	}
}

func TestConfigChecks(t *testing.T) {
	const shard = `{address: "127.0.0.1:3306", database: d}`
	for _, tc := range []struct {
		name, config string
		want         []string
	}{{
		name:   "empty",
		config: "# nothing\n",
		want:   []string{"sidecar.yaml: empty config"},
	}, {
		name:   "syntax",
		config: "users: [\n",
		want:   []string{"sidecar.yaml: "},
	}, {
		name: "unsharded with two shards",
		config: `users: [{name: app}]
backend: {user: root}
keyspaces: {product: {shards: {"-80": ` + shard + `, "80-": {address: "h:1", database: e}}}}`,
		want: []string{`keyspaces.product.shards: unsharded keyspace product needs exactly one shard`},
	}, {
		name: "bad shard names and backends",
		config: `users: [{name: app}, {name: app}, {password: x}]
keyspaces:
  ks:
    vschema: {sharded: true}
    shards: {"-8x": ` + shard + `, "80-": {address: "nohost", database: d, pool_size: -1, hostgroup: -2}}
  other: {vschema_file: missing.json, shards: {"0": ` + shard + `}}`,
		want: []string{
			`users[1].name: user "app" is already defined by users[0]`,
			`users[2].name: required`,
			`keyspaces.ks.shards.-8x: invalid shard name`,
			`keyspaces.ks.shards.80-.address: "nohost" is not host:port`,
			`keyspaces.ks.shards.80-.pool_size: must be greater than 0, got -1`,
			`keyspaces.ks.shards.80-.hostgroup: must not be negative`,
			`backend.user: required: shards ks/-8x, ks/80-, other/0 have no user of their own`,
			`keyspaces.other.vschema_file: open `,
		},
	}, {
		name: "durations, plugin, both vschemas",
		config: `users: [{name: app, auth_plugin: sha1}]
backend: {user: root, connect_timeout: 5, lock_wait_timeout: 1500ms}
lookup_cache: {ttl: soon, size: -1}
keyspaces: {ks: {vschema_file: x.json, vschema: {}, shards: {"0": ` + shard + `}}}`,
		want: []string{
			`users[0].auth_plugin: unknown auth plugin "sha1"`,
			`backend.connect_timeout: "5" is not a positive duration`,
			`backend.lock_wait_timeout: "1500ms": innodb_lock_wait_timeout takes whole seconds`,
			`lookup_cache.ttl: "soon" is not a positive duration`,
			`lookup_cache.size: must not be negative`,
			`keyspaces.ks.vschema: use either vschema_file or vschema, not both`,
		},
	}, {
		name: "unreadable vschema file",
		config: `users: [{name: app}]
backend: {user: root}
keyspaces: {ks: {vschema_file: broken.json, shards: {"-80": ` + shard + `, "80-": {address: "h:1", database: e}}}}`,
		want: []string{`broken.json: invalid JSON: unexpected end of file (line 2)`},
	}, {
		name: "shards sharing a database",
		config: `users: [{name: app}]
backend: {user: root}
keyspaces:
  ks:
    vschema: {sharded: true}
    shards:
      "-80": {address: "127.0.0.1:6033", database: d, hostgroup: 10}
      "80-": {address: "127.0.0.1:6033", database: d, hostgroup: 10}
  ok:
    vschema: {sharded: true}
    shards:
      "-80": {address: "127.0.0.1:6033", database: d, hostgroup: 20}
      "80-": {address: "127.0.0.1:6033", database: d, hostgroup: 21}
  plain:
    vschema: {sharded: true}
    shards:
      "-80": {address: "127.0.0.1:3306", database: d}
      "80-": {address: "127.0.0.1:3306", database: d}`,
		want: []string{
			`keyspaces.ks.shards.80-.database: shards -80 and 80- both use database d on 127.0.0.1:6033 (hostgroup 10)`,
			`keyspaces.plain.shards.80-.database: shards -80 and 80- both use database d on 127.0.0.1:3306`,
		},
	}, {
		name: "tls and packet size",
		config: `users: [{name: app}]
tls: {cert: missing.pem}
max_allowed_packet: 2G
max_connections: 0
max_memory_rows: -1
procs: -2
wait_timeout: forever
backend: {user: root, tls: {ca: x.json}}
keyspaces: {ks: {shards: {"0": ` + shard + `}}}`,
		want: []string{
			`tls.key: required`,
			`max_allowed_packet: "2G" is not a size from 1024 bytes to 1G`,
			`backend.tls.ca: x.json holds no PEM certificate`,
			`max_connections: must be greater than 0, got 0`,
			`max_memory_rows: must be greater than 0, got -1`,
			`procs: must be 0 (half the CPUs) or more, got -2`,
			`wait_timeout: "forever" is not a positive duration`,
		},
	}, {
		name: "tls files",
		config: `users: [{name: app}]
tls: {cert: missing.pem, key: x.json}
max_allowed_packet: 100
backend: {user: root}
keyspaces: {ks: {shards: {"0": ` + shard + `}}}`,
		want: []string{
			`tls.cert: open `,
			`max_allowed_packet: "100" is below MySQL's minimum of 1024 bytes`,
		},
	}, {
		name: "duplicate key",
		config: `users: [{name: app}]
backend: {user: root}
keyspaces: {ks: {shards: {"0": ` + shard + `}}}
backend: {user: other}`,
		want: []string{`sidecar.yaml: backend: duplicate key "backend" (first at line 2) (line 4)`},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadString(t, tc.config, map[string]string{"x.json": "{}", "broken.json": "{\"sharded\": true,\n"})
			if err == nil {
				t.Fatal("loaded without error")
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("missing %q in:\n%v", want, err)
				}
			}
			if n := len(err.(Errors)); n != len(tc.want) {
				t.Errorf("%d problems, want %d:\n%v", n, len(tc.want), err)
			}
		})
	}
}

func TestDefaultsAndOverrides(t *testing.T) {
	cfg, err := loadString(t, `
users: [{name: app, password: pw, auth_plugin: caching_sha2_password}]
backend: {user: root, password: rootpw, pool_size: 4, connect_timeout: 2s, lock_wait_timeout: 5s}
shard_hints: false
admin_listen: ""
keyspaces:
  ks:
    shards:
      "0": {address: "db:3307", database: d, user: u, password: "", pool_size: 2, hostgroup: 10}
  other:
    shards:
      "-": {address: "/run/mysqld/mysqld.sock", database: o}
`, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != DefaultListen || cfg.AdminListen != "" || cfg.ShardHints || cfg.Users[0].AuthPlugin != "caching_sha2_password" ||
		cfg.MaxAllowedPacket != 64<<20 || cfg.TLS != nil || cfg.MaxConnections != DefaultMaxConnections || cfg.WaitTimeout != 8*time.Hour ||
		cfg.MaxMemoryRows != DefaultMaxMemoryRows || cfg.Procs != 0 {
		t.Errorf("config: %+v", cfg)
	}
	got := *cfg.Topology.Keyspaces["ks"].Shards[0]
	want := Shard{Keyspace: "ks", Name: "0", Address: "db:3307", Database: "d", User: "u", Password: "", PoolSize: 2,
		Hostgroup: 10, HasHostgroup: true, ConnectTimeout: 2 * time.Second, LockWaitTimeout: 5 * time.Second}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("shard = %+v\nwant    %+v", got, want)
	}
	got = *cfg.Topology.Keyspaces["other"].Shards[0]
	if got.User != "root" || got.Password != "rootpw" || got.PoolSize != 4 || got.HasHostgroup || !got.Range.IsComplete() {
		t.Errorf("other shard = %+v", got)
	}
}

// An inline vschema is the same as the file: load the example with every
// VSchema JSON pasted into the YAML (JSON is a YAML flow mapping).
func TestInlineVSchemaEqualsFile(t *testing.T) {
	data, err := os.ReadFile(example)
	if err != nil {
		t.Fatal(err)
	}
	inline := regexp.MustCompile(`(?m)^(\s*)vschema_file: (\S+)$`).ReplaceAllStringFunc(string(data), func(line string) string {
		indent := line[:len(line)-len(strings.TrimLeft(line, " "))]
		file := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "vschema_file:"))
		js, err := os.ReadFile(filepath.Join("examples", file))
		if err != nil {
			t.Fatal(err)
		}
		return indent + "vschema:\n" + indent + "  " + strings.ReplaceAll(strings.TrimSpace(string(js)), "\n", "\n"+indent+"  ")
	})
	if inline == string(data) || strings.Contains(inline, "vschema_file") {
		t.Fatal("no vschema_file replaced")
	}
	fromInline, err := loadString(t, inline, nil)
	if err != nil {
		t.Fatalf("%v\n%s", err, inline)
	}
	fromFiles := loadExample(t)
	for _, name := range fromFiles.Topology.Names {
		a, b := fromFiles.Topology.Keyspaces[name], fromInline.Topology.Keyspaces[name]
		if !reflect.DeepEqual(a.VSchema, b.VSchema) {
			t.Errorf("%s: vschema differs:\nfile   %+v\ninline %+v", name, a.VSchema, b.VSchema)
		}
	}
	describe := func(c *Config) string {
		var buf bytes.Buffer
		c.Describe(&buf)
		lines := strings.Split(buf.String(), "\n")[1:] // drop the config path
		return regexp.MustCompile(`(inline vschema|vschema \S+)`).ReplaceAllString(strings.Join(lines, "\n"), "VSCHEMA")
	}
	if a, b := describe(fromFiles), describe(fromInline); a != b {
		t.Errorf("topologies differ:\n--- file\n%s\n--- inline\n%s", a, b)
	}
}

func TestDescribe(t *testing.T) {
	var buf bytes.Buffer
	loadExample(t).Describe(&buf)
	out := buf.String()
	for _, want := range []string{
		"keyspace customer: sharded, vschema examples/customer.vschema.json",
		"keyspace product: unsharded, vschema examples/product.vschema.json",
		"[min, 80)", "[80, max)", "[min, max)",
		"corder_keyspace_idx  consistent_lookup_unique",
		"auto_increment corder_event_id from sequence product.corder_event_seq",
		"customer_x80", "things_80x",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("Describe lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "mysql_password") {
		t.Errorf("Describe prints a password:\n%s", out)
	}
	var again bytes.Buffer
	loadExample(t).Describe(&again)
	if again.String() != out {
		t.Error("Describe output is not stable")
	}
}

func TestWarnings(t *testing.T) {
	cfg, err := loadString(t, strings.Replace(badBase, "%s", `{sharded: true,
	  vindexes: {h: {type: hash, params: {salt: x}}, n: {type: numeric, owner: t}},
	  tables: {t: {column_vindexes: [{column: id, name: h}]}}}`, 1), nil)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(cfg.Warnings, "\n")
	for _, want := range []string{
		`sidecar.yaml: keyspaces.ks.vschema.vindexes.h.params: unknown vindex params ignored: salt`,
		`sidecar.yaml: keyspaces.ks.vschema.vindexes.n.owner: ignored: a numeric vindex is not a lookup`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("missing warning %q in:\n%s", want, text)
		}
	}
}

// ownerProbe is a lookup vindex that records SetOwnerInfo.
type ownerProbe struct {
	name, owner string
	from        []string
	got         []string
}

var probes = map[string]*ownerProbe{}

func init() {
	vindex.Register("test_owner_probe", func(name, owner string, params map[string]string) (vindex.Vindex, error) {
		p := &ownerProbe{name: name, owner: owner, from: strings.Split(params["from"], ",")}
		probes[name] = p
		return p, nil
	})
}

func (p *ownerProbe) String() string        { return p.name }
func (p *ownerProbe) Cost() int             { return 10 }
func (p *ownerProbe) IsUnique() bool        { return true }
func (p *ownerProbe) NeedsQuerier() bool    { return true }
func (p *ownerProbe) Owner() string         { return p.owner }
func (p *ownerProbe) FromColumns() []string { return p.from }
func (p *ownerProbe) Map(context.Context, vindex.Querier, []vindex.Value) ([]vindex.Destination, error) {
	return nil, nil
}
func (p *ownerProbe) Verify(context.Context, vindex.Querier, []vindex.Value, []vindex.KeyspaceID) ([]bool, error) {
	return nil, nil
}
func (p *ownerProbe) Create(context.Context, vindex.Querier, [][]vindex.Value, []vindex.KeyspaceID, bool) error {
	return nil
}

var _ vindex.Lookup = (*ownerProbe)(nil) // a changed Lookup interface must fail here, not quietly unown o

func (p *ownerProbe) Delete(context.Context, vindex.Querier, [][]vindex.Value, []vindex.KeyspaceID) error {
	return nil
}
func (p *ownerProbe) Update(context.Context, vindex.Querier, [][]vindex.Value, []vindex.KeyspaceID, [][]vindex.Value) error {
	return nil
}
func (p *ownerProbe) SetOwnerInfo(keyspace, table string, columns []string) error {
	p.got = append([]string{keyspace, table}, columns...)
	return nil
}

// The owner table's column vindex gives the owner columns (original
// spelling); tables that only read the lookup don't set owner info.
func TestOwnerInfo(t *testing.T) {
	cfg, err := loadString(t, strings.Replace(badBase, "%s", `{sharded: true,
	  vindexes: {h: {type: hash}, probe: {type: test_owner_probe, params: {table: product.lkp, from: "a,b"}, owner: o}},
	  tables: {o: {column_vindexes: [{column: id, name: h}, {columns: [Col_A, col_b], name: probe}]},
	           r: {column_vindexes: [{columns: [x, y], name: probe}]}}}`, 1), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := probes["probe"].got; !reflect.DeepEqual(got, []string{"ks", "o", "Col_A", "col_b"}) {
		t.Errorf("SetOwnerInfo(%q)", got)
	}
	ks := cfg.Topology.Keyspaces["ks"]
	o, r := ks.Tables["o"], ks.Tables["r"]
	if len(o.Owned) != 1 || !o.Owned[0].Owned || o.Owned[0].ColumnIndex("COL_B") != 1 {
		t.Errorf("o.Owned = %+v", o.Owned)
	}
	if len(r.Owned) != 0 || r.Primary().Owned || r.Primary().Vindex != o.Owned[0].Vindex {
		t.Errorf("r: %+v", r.ColumnVindexes)
	}
	if cvs := o.VindexesOn("col_a"); len(cvs) != 1 || cvs[0].Name != "probe" {
		t.Errorf("VindexesOn(col_a) = %v", cvs)
	}
}

// max_allowed_packet is written as in my.cnf: bytes or K, M, G.
func TestMaxAllowedPacket(t *testing.T) {
	for text, want := range map[string]int{"67108864": 64 << 20, "16M": 16 << 20, "1g": 1 << 30, "512K": 512 << 10} {
		cfg, err := loadString(t, `
users: [{name: app}]
max_allowed_packet: `+text+`
backend: {user: root}
keyspaces: {ks: {shards: {"0": {address: "127.0.0.1:3306", database: d}}}}
`, nil)
		if err != nil {
			t.Fatalf("%s: %v", text, err)
		}
		if cfg.MaxAllowedPacket != want {
			t.Errorf("max_allowed_packet: %s = %d, want %d", text, cfg.MaxAllowedPacket, want)
		}
	}
}
