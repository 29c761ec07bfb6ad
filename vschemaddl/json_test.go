package vschemaddl

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"sidecar/conf"
)

func TestMarshalVSchemaRoundTrips(t *testing.T) {
	no := false
	full := &conf.VSchema{
		Sharded: true,
		Vindexes: map[string]*conf.VindexDef{
			"lk": {Type: "lookup", Params: map[string]string{"table": "u.lk <&>", "from": "a,b", "to": "keyspace_id"}, Owner: "t"},
			"h":  {Type: "hash"},
		},
		Tables: map[string]*conf.TableDef{
			"t": {
				ColumnVindexes: []*conf.ColumnVindexDef{{Column: "id", Name: "h"}, {Columns: []string{"a", "b"}, Name: "lk"}},
				AutoIncrement:  &conf.AutoIncrementDef{Column: "id", Sequence: "u.seq"},
				Columns: []*conf.ColumnDef{{Name: "id", Type: "INT64", Nullable: &no, Size: 8},
					{Name: "e", Type: "ENUM", Values: []string{"x", "y"}, Invisible: true, Default: "x", CollationName: "utf8mb4_bin", Scale: 0}},
				ColumnListAuthoritative: true,
			},
			"p":   {Pinned: "00"},
			"ref": {Type: "reference", Source: "u.ref"},
		},
		RequireExplicitRouting: true,
		ForeignKeyMode:         "unmanaged",
	}
	for _, vs := range []*conf.VSchema{full, readExample(t, "customer.vschema.json"), readExample(t, "things.vschema.json"), readExample(t, "product.vschema.json"), {}} {
		js, err := MarshalVSchema(vs)
		if err != nil {
			t.Fatal(err)
		}
		back, err := conf.ParseVSchemaJSON("marshalled", js)
		if err != nil {
			t.Fatalf("%s\ndoes not load: %v", js, err)
		}
		if !reflect.DeepEqual(back, vs) {
			t.Errorf("%s\nloads as %+v, want %+v", js, back, vs)
		}
		if again, _ := MarshalVSchema(back); !bytes.Equal(again, js) {
			t.Errorf("not stable:\n%s\n%s", js, again)
		}
	}
	js, _ := MarshalVSchema(full)
	for _, want := range []string{
		"{\n  \"sharded\": true,\n  \"vindexes\": {\n    \"h\": {\n      \"type\": \"hash\"\n    },\n    \"lk\": {\n      \"type\": \"lookup\",\n      \"params\": {\n        \"from\": \"a,b\",\n        \"table\": \"u.lk <&>\",",
		`"require_explicit_routing": true,` + "\n" + `  "foreign_key_mode": "unmanaged"` + "\n}\n",
		`"size": 8,` + "\n" + `          "nullable": false` + "\n",
		`"p": {` + "\n" + `      "pinned": "00"`,
	} {
		if !strings.Contains(string(js), want) {
			t.Errorf("%s\nlacks\n%s", js, want)
		}
	}
}

func TestMarshalVSchemaProduct(t *testing.T) {
	js, err := MarshalVSchema(readExample(t, "product.vschema.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := `{
  "tables": {
    "corder_event_seq": {
      "type": "sequence"
    },
    "corder_keyspace_idx": {},
    "corder_seq": {
      "type": "sequence"
    },
    "customer_seq": {
      "type": "sequence"
    },
    "product": {}
  }
}
`
	if string(js) != want {
		t.Errorf("got\n%s\nwant\n%s", js, want)
	}
	if js, _ := MarshalVSchema(nil); string(js) != "{}\n" {
		t.Errorf("nil = %q", js)
	}
	if js, _ := MarshalVSchema(&conf.VSchema{Tables: map[string]*conf.TableDef{"t": nil}}); string(js) != "{\n  \"tables\": {\n    \"t\": {}\n  }\n}\n" {
		t.Errorf("nil table = %q", js)
	}
}

func TestWriteJSON(t *testing.T) {
	cfg := loadConfig(t, nil)
	var all bytes.Buffer
	if err := WriteJSON(&all, cfg.Topology, ""); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(all.String(), "{\n  \"customer\": {\n    \"sharded\": true,\n    \"vindexes\": {\n      \"binary\": {") ||
		!strings.Contains(all.String(), "\n  },\n  \"product\": {\n    \"tables\": {") ||
		!strings.Contains(all.String(), "\n  },\n  \"things\": {\n    \"sharded\": true,") ||
		!strings.HasSuffix(all.String(), "\n  }\n}\n") {
		t.Errorf("all keyspaces:\n%s", all.String())
	}
	var one bytes.Buffer
	if err := WriteJSON(&one, cfg.Topology, "product"); err != nil {
		t.Fatal(err)
	}
	if want, _ := MarshalVSchema(cfg.Topology.Keyspaces["product"].VSchema); one.String() != string(want) {
		t.Errorf("product:\n%s\nwant\n%s", one.String(), want)
	}
	if err := WriteJSON(&one, cfg.Topology, "nope"); err == nil || err.Error() != "keyspace nope is not defined (keyspaces: customer, product, things)" {
		t.Errorf("err = %v", err)
	}
}
