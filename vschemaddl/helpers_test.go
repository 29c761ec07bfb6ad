package vschemaddl

import (
	"os"
	"path/filepath"
	"testing"

	"sidecar/conf"
)

// exampleDir holds the seeds' config: keyspaces things, customer (seed 002's
// VSchema) and product (its sequences and lookup table).
const exampleDir = "../conf/examples"

// readExample reads one of the example VSchemas.
func readExample(t *testing.T, file string) *conf.VSchema {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(exampleDir, file))
	if err != nil {
		t.Fatal(err)
	}
	vs, err := conf.ParseVSchemaJSON(file, data)
	if err != nil {
		t.Fatal(err)
	}
	return vs
}

// loadConfig writes the example config to a temporary directory with its
// VSchemas changed by edit (keyed by file name), and loads it.
func loadConfig(t *testing.T, edit func(name string, vs *conf.VSchema)) *conf.Config {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"things.vschema.json", "customer.vschema.json", "product.vschema.json"} {
		vs := readExample(t, f)
		if edit != nil {
			edit(f, vs)
		}
		data, err := MarshalVSchema(vs)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	yaml, err := os.ReadFile(filepath.Join(exampleDir, "sidecar.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "sidecar.yaml")
	if err := os.WriteFile(path, yaml, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := conf.Load(path)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return cfg
}

// beforeSeed002 is the example config as seed 002 starts its "Lookup as
// Primary Vindex" section: no corder_event table, no corder_event_seq
// sequence, no binary vindex.
func beforeSeed002(t *testing.T) *conf.Config {
	return loadConfig(t, func(name string, vs *conf.VSchema) {
		switch name {
		case "customer.vschema.json":
			delete(vs.Tables, "corder_event")
			delete(vs.Vindexes, "binary")
		case "product.vschema.json":
			delete(vs.Tables, "corder_event_seq")
		}
	})
}

func mustParse(t *testing.T, sql string) *Statement {
	t.Helper()
	st, err := Parse(sql)
	if err != nil {
		t.Fatalf("Parse(%q): %v", sql, err)
	}
	return st
}
