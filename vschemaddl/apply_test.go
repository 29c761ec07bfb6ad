package vschemaddl

import (
	"errors"
	"reflect"
	"sidecar/sqlerr"
	"strings"
	"testing"

	"sidecar/conf"
)

// TestSeed002 types seed 002's "Alternate VSchema DDL" verbatim, starting from
// a customer VSchema without corder_event, and ends with the VSchema the seed
// gives as JSON.
func TestSeed002(t *testing.T) {
	cfg := beforeSeed002(t)
	for _, sql := range []string{
		"alter vschema add sequence product.corder_event_seq;",
		"alter vschema on customer.corder_event add vindex corder_keyspace_idx(corder_id);",
		"alter vschema on customer.corder_event add auto_increment corder_event_id using product.corder_event_seq;",
		"alter vschema on customer.corder_event add vindex `binary`(keyspace_id) using `binary`;",
	} {
		ch, err := Execute(cfg, mustParse(t, sql), "")
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		cfg = ch.Config
	}

	// The seed's VSchema for corder_event.
	ev := cfg.Topology.Keyspaces["customer"].Tables["corder_event"]
	if ev == nil {
		t.Fatal("no corder_event")
	}
	var got []string
	for _, cv := range ev.ColumnVindexes {
		got = append(got, strings.Join(cv.Columns, ",")+":"+cv.Name+":"+cv.Type)
	}
	if want := []string{"corder_id:corder_keyspace_idx:consistent_lookup_unique", "keyspace_id:binary:binary"}; !reflect.DeepEqual(got, want) {
		t.Errorf("corder_event vindexes = %v, want %v", got, want)
	}
	if ev.ColumnVindexes[0].Owned {
		t.Error("corder_keyspace_idx is owned by corder, not corder_event")
	}
	if ai := ev.AutoIncrement; ai == nil || ai.Column != "corder_event_id" || ai.Sequence.String() != "product.corder_event_seq" {
		t.Errorf("auto_increment = %+v", ai)
	}
	want := `{
  "tables": {
    "corder_event": {
      "column_vindexes": [
        {
          "columns": [
            "corder_id"
          ],
          "name": "corder_keyspace_idx"
        },
        {
          "columns": [
            "keyspace_id"
          ],
          "name": "binary"
        }
      ],
      "auto_increment": {
        "column": "corder_event_id",
        "sequence": "product.corder_event_seq"
      }
    }
  }
}
`
	only := &conf.VSchema{Tables: map[string]*conf.TableDef{"corder_event": cfg.Topology.Keyspaces["customer"].VSchema.Tables["corder_event"]}}
	if js, err := MarshalVSchema(only); err != nil || string(js) != want {
		t.Errorf("corder_event =\n%s\nwant\n%s", js, want)
	}
	// The files of the example config, which have it from the start, give
	// the same VSchemas (the binary vindex aside, which the seed adds).
	seed := readExample(t, "customer.vschema.json")
	if got := cfg.Topology.Keyspaces["customer"].VSchema.Vindexes; !reflect.DeepEqual(got, seed.Vindexes) {
		t.Errorf("vindexes = %v, want %v", got, seed.Vindexes)
	}
	if got, want := cfg.Topology.Keyspaces["product"].VSchema, readExample(t, "product.vschema.json"); !reflect.DeepEqual(got, want) {
		t.Errorf("product = %+v, want %+v", got, want)
	}
}

func TestApply(t *testing.T) {
	cfg := loadConfig(t, nil)
	type check func(t *testing.T, vs *conf.VSchema)
	table := func(name string, f func(t *testing.T, td *conf.TableDef)) check {
		return func(t *testing.T, vs *conf.VSchema) {
			td, ok := vs.Tables[name]
			if !ok {
				t.Fatalf("no table %s in %v", name, sortedKeys(vs.Tables))
			}
			f(t, td)
		}
	}
	noTable := func(name string) check {
		return func(t *testing.T, vs *conf.VSchema) {
			if _, ok := vs.Tables[name]; ok {
				t.Errorf("table %s is still there", name)
			}
		}
	}
	vindexIs := func(name string, want *conf.VindexDef) check {
		return func(t *testing.T, vs *conf.VSchema) {
			got, ok := vs.Vindexes[name]
			switch {
			case want == nil && ok:
				t.Errorf("vindex %s is still there", name)
			case want != nil && !reflect.DeepEqual(got, want):
				t.Errorf("vindex %s = %+v, want %+v", name, got, want)
			}
		}
	}
	vindexesAre := func(want ...string) func(t *testing.T, td *conf.TableDef) {
		return func(t *testing.T, td *conf.TableDef) {
			var got []string
			for _, cv := range td.ColumnVindexes {
				cols := cv.Columns
				if cv.Column != "" {
					cols = append([]string{cv.Column}, cols...)
				}
				got = append(got, cv.Name+"("+strings.Join(cols, ",")+")")
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("column vindexes = %v, want %v", got, want)
			}
		}
	}
	sharded := func(want bool) check {
		return func(t *testing.T, vs *conf.VSchema) {
			if vs.Sharded != want {
				t.Errorf("sharded = %v, want %v", vs.Sharded, want)
			}
		}
	}

	for _, tc := range []struct {
		sql, session string
		wantKS       string
		checks       []check
		err          string // ApplyVSchemaDDL's refusal, ERROR 1105
	}{
		// ON t ADD VINDEX: a new table entry, the vindex reused or created.
		{"alter vschema on customer.newt add vindex hash(id)", "", "customer",
			[]check{table("newt", vindexesAre("hash(id)"))}, ""},
		{"alter vschema on newt add vindex hash(id)", "customer", "customer",
			[]check{table("newt", vindexesAre("hash(id)"))}, ""},
		{"alter vschema on customer.corder add vindex xx(oname) using xxhash", "", "customer", []check{
			table("corder", vindexesAre("hash(customer_id)", "corder_keyspace_idx(corder_id)", "xx(oname)")),
			vindexIs("xx", &conf.VindexDef{Type: "xxhash"})}, ""},
		{"alter vschema on customer.corder add vindex name_idx(oname, corder_id) using consistent_lookup with owner=`corder`, table=`product.name_idx`, from=`oname,corder_id`, to=keyspace_id", "", "customer", []check{
			table("corder", vindexesAre("hash(customer_id)", "corder_keyspace_idx(corder_id)", "name_idx(oname,corder_id)")),
			vindexIs("name_idx", &conf.VindexDef{Type: "consistent_lookup", Owner: "corder",
				Params: map[string]string{"table": "product.name_idx", "from": "oname,corder_id", "to": "keyspace_id"}})}, ""},
		// USING with the vindex's own definition is fine; a different one is not.
		{"alter vschema on customer.newt add vindex hash(id) using hash", "", "customer",
			[]check{table("newt", vindexesAre("hash(id)"))}, ""},
		{"alter vschema on customer.newt add vindex corder_keyspace_idx(id) using consistent_lookup_unique with owner=corder, table=product.corder_keyspace_idx, from=corder_id, to=keyspace_id", "", "customer",
			[]check{table("newt", vindexesAre("corder_keyspace_idx(id)"))}, ""},
		{"alter vschema on customer.newt add vindex hash(id) using xxhash", "", "", nil, "vindex hash defined with type hash not xxhash"},
		{"alter vschema on customer.newt add vindex corder_keyspace_idx(id) using consistent_lookup_unique with owner=newt", "", "", nil,
			"vindex corder_keyspace_idx defined with owner corder not newt"},
		{"alter vschema on customer.newt add vindex corder_keyspace_idx(id) using consistent_lookup_unique with owner=corder, table=x", "", "", nil,
			"vindex corder_keyspace_idx defined with different parameters"},
		{"alter vschema on customer.newt add vindex hash(id) using hash with x=1", "", "", nil, "vindex hash defined with different parameters"},
		{"alter vschema on customer.newt add vindex nope(id)", "", "", nil, "vindex nope does not exist in keyspace customer"},
		{"alter vschema on customer.corder add vindex hash(corder_id)", "", "", nil, "vindex hash already defined on table corder"},
		// The first vindex of a keyspace makes it sharded.
		{"alter vschema on product.t add vindex h(id) using hash", "", "product",
			[]check{sharded(true), vindexIs("h", &conf.VindexDef{Type: "hash"}), table("t", vindexesAre("h(id)"))}, ""},

		// CREATE VINDEX / DROP VINDEX.
		{"alter vschema create vindex customer.xx using xxhash", "", "customer", []check{vindexIs("xx", &conf.VindexDef{Type: "xxhash"})}, ""},
		{"alter vschema create vindex lk using consistent_lookup with OWNER=corder, table=product.lk, from=oname, to=keyspace_id, write_only=true", "customer", "customer",
			[]check{vindexIs("lk", &conf.VindexDef{Type: "consistent_lookup", Owner: "corder",
				Params: map[string]string{"table": "product.lk", "from": "oname", "to": "keyspace_id", "write_only": "true"}})}, ""},
		{"alter vschema create vindex product.h using hash", "", "product", []check{sharded(true)}, ""},
		{"alter vschema create vindex customer.hash using hash", "", "", nil, "vindex hash already exists in keyspace customer"},
		{"alter vschema drop vindex customer.hash", "", "", nil, "can not drop vindex cause hash still defined on table corder"},
		{"alter vschema drop vindex customer.nope", "", "", nil, "vindex nope does not exists in keyspace customer"},
		{"alter vschema drop vindex `binary`", "customer", "customer", []check{vindexIs("binary", nil)}, "can not drop vindex cause binary still defined on table corder_event"},

		// ADD TABLE / DROP TABLE: adding only to unsharded keyspaces.
		{"alter vschema add table product.t", "", "product", []check{table("t", func(t *testing.T, td *conf.TableDef) {
			if !reflect.DeepEqual(td, &conf.TableDef{}) {
				t.Errorf("table = %+v", td)
			}
		})}, ""},
		{"alter vschema add table t", "product", "product", []check{table("t", func(*testing.T, *conf.TableDef) {})}, ""},
		{"alter vschema add table customer.t", "", "", nil, "add vschema table: unsupported on sharded keyspace customer"},
		{"alter vschema add table product.product", "", "", nil, "vschema already contains table product in keyspace product"},
		{"alter vschema drop table product.product", "", "product", []check{noTable("product")}, ""},
		{"alter vschema drop table customer.corder_event", "", "customer", []check{noTable("corder_event")}, ""},
		{"alter vschema drop table customer.nope", "", "", nil, "vschema does not contain table nope in keyspace customer"},

		// ON t DROP VINDEX: the last one takes the table out of the VSchema.
		{"alter vschema on customer.corder drop vindex corder_keyspace_idx", "", "customer",
			[]check{table("corder", vindexesAre("hash(customer_id)"))}, ""},
		{"alter vschema on customer.customer drop vindex hash", "", "customer", []check{noTable("customer")}, ""},
		{"alter vschema on customer.nope drop vindex hash", "", "", nil, "table customer.nope not defined in vschema"},
		{"alter vschema on customer.corder drop vindex `binary`", "", "", nil, "vindex binary not defined in table customer.corder"},

		// ADD SEQUENCE / DROP SEQUENCE: unsharded keyspaces only.
		{"alter vschema add sequence product.s", "", "product", []check{table("s", func(t *testing.T, td *conf.TableDef) {
			if td.Type != "sequence" {
				t.Errorf("type = %q", td.Type)
			}
		})}, ""},
		{"alter vschema add sequence customer.s", "", "", nil, "add sequence table: unsupported on sharded keyspace customer"},
		{"alter vschema add sequence product.corder_seq", "", "", nil, "vschema already contains sequence corder_seq in keyspace product"},
		{"alter vschema drop sequence product.corder_seq", "", "product", []check{noTable("corder_seq")}, ""},
		{"alter vschema drop sequence product.nope", "", "", nil, "vschema does not contain sequence nope in keyspace product"},
		{"alter vschema drop sequence customer.corder", "", "", nil, "drop sequence table: unsupported on sharded keyspace customer"},

		// ADD / DROP AUTO_INCREMENT.
		{"alter vschema on customer.corder drop auto_increment", "", "customer", []check{table("corder", func(t *testing.T, td *conf.TableDef) {
			if td.AutoIncrement != nil {
				t.Errorf("auto_increment = %+v", td.AutoIncrement)
			}
		})}, ""},
		{"alter vschema on customer.nope drop auto_increment", "", "", nil, "vschema does not contain table nope in keyspace customer"},
		{"alter vschema on things.things drop auto_increment", "", "", nil, "vschema does not contain auto increment on table things in keyspace things"},
		{"alter vschema on things.things add auto_increment id using `product`.`select`", "", "things", []check{table("things", func(t *testing.T, td *conf.TableDef) {
			if want := (&conf.AutoIncrementDef{Column: "id", Sequence: "product.`select`"}); !reflect.DeepEqual(td.AutoIncrement, want) {
				t.Errorf("auto_increment = %+v, want %+v", td.AutoIncrement, want)
			}
		})}, ""},
		{"alter vschema on customer.nope add auto_increment id using product.corder_seq", "", "", nil, "vschema does not contain table nope in keyspace customer"},
		{"alter vschema on customer.customer add auto_increment id using product.corder_seq", "", "", nil,
			`vschema already contains auto inc column:"customer_id" sequence:"product.customer_seq" on table customer in keyspace customer`},
	} {
		st := mustParse(t, tc.sql)
		before := cfg.Topology.VSchemas()
		snapshot, _ := cloneAll(before)
		ks, vs, err := Apply(st, before, tc.session)
		if !reflect.DeepEqual(before, snapshot) {
			t.Errorf("%s: Apply changed its input", tc.sql)
		}
		if tc.err != "" {
			var e *sqlerr.Error
			if !errors.As(err, &e) || e.Num != 1105 || e.State != "HY000" || e.Message != tc.err {
				t.Errorf("%s: err = %v, want ERROR 1105 (HY000): %s", tc.sql, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.sql, err)
			continue
		}
		if ks != tc.wantKS {
			t.Errorf("%s: keyspace %q, want %q", tc.sql, ks, tc.wantKS)
		}
		t.Run(tc.sql, func(t *testing.T) {
			for _, c := range tc.checks {
				c(t, vs)
			}
		})
	}
}

func TestApplyKeyspace(t *testing.T) {
	cfg := loadConfig(t, nil)
	for _, tc := range []struct {
		sql, session string
		num          uint16
		state, msg   string
	}{
		{"alter vschema add table t", "", 1046, "3D000", "VT09005: no database selected: use keyspace<:shard><@type> or keyspace<[range]><@type> (<> are optional)"},
		{"alter vschema add table nope.t", "product", 1049, "42000", "VT05003: unknown database 'nope' in vschema"},
		{"alter vschema create vindex h using hash", "nope", 1049, "42000", "VT05003: unknown database 'nope' in vschema"},
		{"show vschema tables", "product", 1105, "HY000", "not an ALTER VSCHEMA statement: show vschema tables"},
	} {
		_, _, err := Apply(mustParse(t, tc.sql), cfg.Topology.VSchemas(), tc.session)
		var e *sqlerr.Error
		if !errors.As(err, &e) || e.Num != tc.num || e.State != tc.state || e.Message != tc.msg {
			t.Errorf("%s: err = %v, want ERROR %d (%s): %s", tc.sql, err, tc.num, tc.state, tc.msg)
		}
	}
}

// TestExecuteValidates: a change that Apply accepts but that would not load
// from a file is refused with conf's message, and changes nothing.
func TestExecuteValidates(t *testing.T) {
	cfg := loadConfig(t, nil)
	orig, _ := cloneAll(cfg.Topology.VSchemas())
	for _, tc := range []struct{ sql, session, want string }{
		{"alter vschema on customer.newt add vindex v(id) using nope", "",
			`vschema of keyspace customer: vindexes.v.type: vindexType "nope" not found (known types: `},
		{"alter vschema create vindex customer.v using hash_nope", "", `vindexType "hash_nope" not found`},
		{"alter vschema create vindex v", "customer", "vschema of keyspace customer: vindexes.v.type: required"},
		// a sequence still used by customer's auto_increment
		{"alter vschema drop sequence product.customer_seq", "",
			"customer.vschema.json: tables.customer.auto_increment.sequence: cannot resolve sequence product.customer_seq: keyspace product has no table customer_seq in its vschema"},
		{"alter vschema on customer.newt add vindex lk(c) using consistent_lookup_unique with owner=newt, table=product.lk, from=c, to=keyspace_id", "",
			"vschema of keyspace customer: tables.newt.column_vindexes[0]: primary vindex lk cannot be owned for table newt"},
		{"alter vschema on customer.newt add vindex lk(c) using consistent_lookup with table=product.lk, from=c, to=keyspace_id", "",
			"primary vindex lk is not Unique for table newt"},
		{"alter vschema on customer.newt add vindex lk(c) using lookup_unique with table=nope.lk, from=c, to=keyspace_id", "",
			"vindexes.lk.params.table: lookup table nope.lk: keyspace nope is not defined"},
		{"alter vschema on things.things add auto_increment id using nope", "",
			"vschema of keyspace things: tables.things.auto_increment.sequence: cannot resolve sequence nope: no keyspace has a table nope in its vschema"},
		{"alter vschema on things.things add auto_increment id using product.product", "",
			"product.product is not a sequence table"},
		// a vindex on an unsharded keyspace makes it sharded: its sequences
		// cannot stay there
		{"alter vschema create vindex product.h using hash", "",
			"vschema of keyspace product: tables.corder_seq.type: sequence table has to be in an unsharded keyspace: corder_seq"},
	} {
		_, err := Execute(cfg, mustParse(t, tc.sql), tc.session)
		var e *sqlerr.Error
		if !errors.As(err, &e) || e.Num != 1105 || e.State != "HY000" || !strings.Contains(e.Message, tc.want) {
			t.Errorf("%s:\n err = %v\nwant ERROR 1105 (HY000) …%s…", tc.sql, err, tc.want)
			continue
		}
	}
	if now, _ := cloneAll(cfg.Topology.VSchemas()); !reflect.DeepEqual(now, orig) {
		t.Error("a refused change changed the config")
	}
}

// TestExecuteResolves: the Config of a change has the new table resolved and
// keeps every other keyspace's VSchema and file.
func TestExecuteResolves(t *testing.T) {
	cfg := loadConfig(t, nil)
	ch, err := Execute(cfg, mustParse(t, "alter vschema on customer.newt add vindex corder_keyspace_idx(corder_id)"), "")
	if err != nil {
		t.Fatal(err)
	}
	if ch.Keyspace != "customer" || ch.VSchema.Tables["newt"] == nil {
		t.Errorf("change = %s %+v", ch.Keyspace, ch.VSchema)
	}
	topo := ch.Config.Topology
	tb, err := topo.FindTable("", "newt")
	if err != nil {
		t.Fatal(err)
	}
	if p := tb.Primary(); p == nil || p.Name != "corder_keyspace_idx" || !p.Vindex.IsUnique() {
		t.Errorf("primary = %+v", p)
	}
	if topo.Keyspaces["customer"].VSchema != ch.VSchema || topo.Keyspaces["customer"].VSchemaFile != "" {
		t.Errorf("customer's vschema is not the change's (file %q)", topo.Keyspaces["customer"].VSchemaFile)
	}
	if topo.Keyspaces["things"].VSchema != cfg.Topology.Keyspaces["things"].VSchema || topo.Keyspaces["things"].VSchemaFile == "" {
		t.Error("things changed")
	}
	if cfg.Topology.Keyspaces["customer"].Tables["newt"] != nil {
		t.Error("the old config changed")
	}
	// A second change on top keeps the first.
	ch2, err := Execute(ch.Config, mustParse(t, "alter vschema add table x"), "product")
	if err != nil {
		t.Fatal(err)
	}
	if ch2.Config.Topology.Keyspaces["customer"].Tables["newt"] == nil || ch2.Config.Topology.Keyspaces["product"].Tables["x"] == nil {
		t.Error("the second change lost the first")
	}
}

func cloneAll(m map[string]*conf.VSchema) (map[string]*conf.VSchema, error) {
	out := map[string]*conf.VSchema{}
	for k, v := range m {
		c, err := cloneVSchema(v)
		if err != nil {
			return nil, err
		}
		out[k] = c
	}
	return out, nil
}
