package vschemaddl

import (
	"errors"
	"reflect"
	"sidecar/sqlerr"
	"testing"

	"sidecar/conf"
)

func TestShow(t *testing.T) {
	cfg := loadConfig(t, nil)
	// with a multi-column lookup vindex on corder
	ch, err := Execute(cfg, mustParse(t, "alter vschema on customer.corder add vindex name_idx(oname, corder_id) using consistent_lookup with owner=`corder`, table=`product.name_idx`, from=`oname,corder_id`, to=keyspace_id"), "")
	if err != nil {
		t.Fatal(err)
	}
	topo := ch.Config.Topology
	lookup := "from=corder_id; table=product.corder_keyspace_idx; to=keyspace_id"
	vindexCols := []string{"Keyspace", "Name", "Type", "Params", "Owner"}
	tableCols := []string{"Columns", "Name", "Type", "Params", "Owner"}
	for _, tc := range []struct {
		sql, session string
		want         *Result
	}{
		{"show vschema tables", "customer", &Result{[]string{"Tables"}, [][]string{{"corder"}, {"corder_event"}, {"customer"}}}},
		{"show vschema tables", "product", &Result{[]string{"Tables"}, [][]string{
			{"corder_event_seq"}, {"corder_keyspace_idx"}, {"corder_seq"}, {"customer_seq"}, {"product"}}}},
		{"show vschema vindexes", "", &Result{vindexCols, [][]string{
			{"customer", "binary", "binary", "", ""},
			{"customer", "corder_keyspace_idx", "consistent_lookup_unique", lookup, "corder"},
			{"customer", "hash", "hash", "", ""},
			{"customer", "name_idx", "consistent_lookup", "from=oname,corder_id; table=product.name_idx; to=keyspace_id", "corder"},
			{"things", "hash", "hash", "", ""},
			{"things", "things_name_lookup", "consistent_lookup_unique", "from=name; table=things_name_lookup; to=keyspace_id", "things"},
			{"things", "unicode_loose_md5", "unicode_loose_md5", "", ""},
		}}},
		{"show vschema vindexes on customer.corder", "", &Result{tableCols, [][]string{
			{"customer_id", "hash", "hash", "", ""},
			{"corder_id", "corder_keyspace_idx", "consistent_lookup_unique", lookup, "corder"},
			{"oname, corder_id", "name_idx", "consistent_lookup", "from=oname,corder_id; table=product.name_idx; to=keyspace_id", "corder"},
		}}},
		{"SHOW VSCHEMA VINDEXES FROM corder_event", "customer", &Result{tableCols, [][]string{
			{"corder_id", "corder_keyspace_idx", "consistent_lookup_unique", lookup, "corder"},
			{"keyspace_id", "binary", "binary", "", ""},
		}}},
		// an unsharded keyspace: no vindexes, whatever the table
		{"show vschema vindexes on product.product", "", &Result{tableCols, [][]string{}}},
		{"show vschema vindexes on anything", "product", &Result{tableCols, [][]string{}}},
	} {
		got, err := Show(mustParse(t, tc.sql), topo, tc.session)
		if err != nil {
			t.Errorf("%s (in %q): %v", tc.sql, tc.session, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s (in %q) =\n %q\nwant\n %q", tc.sql, tc.session, got, tc.want)
		}
	}

	for _, tc := range []struct {
		sql, session string
		num          uint16
		state, msg   string
	}{
		{"show vschema tables", "", 1046, "3D000", "VT09005: no database selected: use keyspace<:shard><@type> or keyspace<[range]><@type> (<> are optional)"},
		{"show vschema tables", "nope", 1049, "42000", "VT05003: unknown database 'nope' in vschema"},
		{"show vschema vindexes on corder", "", 1046, "3D000", "VT09005: no database selected: use keyspace<:shard><@type> or keyspace<[range]><@type> (<> are optional)"},
		{"show vschema vindexes on nope.corder", "customer", 1049, "42000", "VT05003: unknown database 'nope' in vschema"},
		{"show vschema vindexes on customer.nope", "", 1146, "42S02", "VT05005: table 'nope' does not exist in keyspace 'customer'"},
		{"alter vschema add table t", "product", 1105, "HY000", "not a SHOW VSCHEMA statement: alter vschema add table t"},
	} {
		_, err := Show(mustParse(t, tc.sql), topo, tc.session)
		var e *sqlerr.Error
		if !errors.As(err, &e) || e.Num != tc.num || e.State != tc.state || e.Message != tc.msg {
			t.Errorf("%s (in %q): err = %v, want ERROR %d (%s): %s", tc.sql, tc.session, err, tc.num, tc.state, tc.msg)
		}
	}
}

func TestShowEmptyKeyspace(t *testing.T) {
	topo := &conf.Topology{Names: []string{"u"}, Keyspaces: map[string]*conf.Keyspace{"u": {Name: "u"}}}
	got, err := Show(&Statement{Kind: ShowTables}, topo, "u")
	if err != nil || !reflect.DeepEqual(got, &Result{[]string{"Tables"}, [][]string{}}) {
		t.Errorf("got %v, %v", got, err)
	}
	got, err = Show(&Statement{Kind: ShowVindexes}, topo, "")
	if err != nil || len(got.Rows) != 0 {
		t.Errorf("got %v, %v", got, err)
	}
}

func TestParamsText(t *testing.T) {
	if got := ParamsText(map[string]string{"to": "keyspace_id", "from": "name", "table": "name_user_map"}); got != "from=name; table=name_user_map; to=keyspace_id" {
		t.Errorf("got %q", got)
	}
	if got := ParamsText(nil); got != "" {
		t.Errorf("got %q", got)
	}
}
