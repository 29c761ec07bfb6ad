package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"sidecar/conf"
	"sidecar/vschemaddl"
)

func TestRunVSchema(t *testing.T) {
	path := filepath.Join("..", "..", "conf", "examples", "sidecar.yaml")
	cfg, err := conf.Load(path)
	if err != nil {
		t.Fatal(err)
	}

	// Every keyspace: one object keyed by keyspace, each value a vschema_file
	// that loads back to the VSchema in force.
	var out, errb bytes.Buffer
	if code := run([]string{"vschema", "-config", path}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(out.Bytes(), &all); err != nil {
		t.Fatalf("%v:\n%s", err, out.String())
	}
	if len(all) != 3 {
		t.Errorf("keyspaces %v", all)
	}
	for _, ks := range cfg.Topology.Names {
		vs, err := conf.ParseVSchemaJSON(ks, all[ks])
		if err != nil {
			t.Errorf("%s: %v", ks, err)
			continue
		}
		if !reflect.DeepEqual(vs, cfg.Topology.Keyspaces[ks].VSchema) {
			t.Errorf("%s: %+v, want %+v", ks, vs, cfg.Topology.Keyspaces[ks].VSchema)
		}
	}
	if !strings.HasPrefix(out.String(), "{\n  \"customer\": {\n    \"sharded\": true,\n") || !strings.HasSuffix(out.String(), "\n}\n") {
		t.Errorf("output:\n%s", out.String())
	}

	// One keyspace, the keyspace before or after the flags.
	want, _ := vschemaddl.MarshalVSchema(cfg.Topology.Keyspaces["product"].VSchema)
	for _, args := range [][]string{{"-config", path, "product"}, {"product", "-config", path}} {
		out.Reset()
		errb.Reset()
		if code := run(append([]string{"vschema"}, args...), &out, &errb); code != 0 || out.String() != string(want) {
			t.Errorf("%q: exit %d, stdout\n%s\nwant\n%s\nstderr %s", args, code, out.String(), want, errb.String())
		}
	}

	for _, tc := range []struct {
		args    []string
		code    int
		wantErr string
	}{
		{[]string{"-config", path, "nope"}, 1, "keyspace nope is not defined (keyspaces: customer, product, things)"},
		{[]string{"-config", "testdata/none.yaml"}, 1, "no such file"},
		{[]string{"-config", path, "product", "things"}, 2, "unexpected arguments: [things]"},
		{[]string{"-bogus"}, 2, "flag provided but not defined: -bogus"},
	} {
		out.Reset()
		errb.Reset()
		code := run(append([]string{"vschema"}, tc.args...), &out, &errb)
		if code != tc.code || !strings.Contains(errb.String(), tc.wantErr) || out.Len() != 0 {
			t.Errorf("%q: exit %d, stderr %q, stdout %q; want exit %d, …%s…", tc.args, code, errb.String(), out.String(), tc.code, tc.wantErr)
		}
	}
}
