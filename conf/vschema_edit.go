package conf

import (
	"strings"

	"sidecar/vindex"
)

// VSchemas changed at run time (VSchema DDL, versions stored in the metadata
// keyspace) replace whole keyspace VSchemas of a loaded Config. They are
// validated exactly as Load validates the config's files, against every
// keyspace, so a change that would not load from a file is refused.

// WithVSchemas returns a copy of c in which the keyspaces named in vschemas
// use those VSchemas (nil: no VSchema) instead of the ones c has, with the
// Topology resolved again: vindexes created, tables, owners, sequences and
// lookup tables checked across all keyspaces, and the layout of the shards
// checked against "sharded" (a VSchema may make a keyspace sharded). c is not
// changed. Shards and settings are c's.
//
// On failure the error is an Errors, every problem named with the file it
// comes from: "vschema of keyspace K" for a replaced VSchema, the keyspace's
// vschema_file otherwise. The returned Config's Warnings are those of the
// VSchemas (the config file's own settings produce none).
//
// Keyspaces not named keep their VSchema in force, so WithVSchemas applied
// to a Config that already has replaced VSchemas keeps them.
func (c *Config) WithVSchemas(vschemas map[string]*VSchema) (*Config, error) {
	r := &reporter{}
	l := &loader{r: r, src: r.newSource(c.Path), path: c.Path}
	files := []string{c.Path}
	old := c.Topology

	for _, name := range sortedKeys(vschemas) {
		if _, ok := old.Keyspaces[name]; !ok {
			l.src.errorf(join("keyspaces", name), "keyspace %s is not defined in the config (keyspaces: %s)", name, strings.Join(old.Names, ", "))
		}
	}

	topo := *old
	topo.Names = append([]string(nil), old.Names...)
	topo.Keyspaces = make(map[string]*Keyspace, len(old.Keyspaces))
	topo.global = map[string][]*Table{}
	docs := map[string]*VSchema{}
	sources := map[string]*source{}
	for _, name := range topo.Names {
		prev := old.Keyspaces[name]
		ks := *prev
		vs, replaced := vschemas[name]
		if !replaced {
			vs = prev.VSchema
		} else {
			ks.VSchemaFile = ""
		}
		if vs == nil {
			vs = &VSchema{}
		}
		var src *source
		if ks.VSchemaFile != "" {
			src = r.newSource(ks.VSchemaFile)
			files = append(files, ks.VSchemaFile)
		} else {
			file := VSchemaOrigin(name)
			src = r.newSource(file)
			files = append(files, file)
		}
		ks.VSchema, ks.Sharded, ks.RequireExplicitRouting = vs, vs.Sharded, vs.RequireExplicitRouting
		ks.Shards = append([]*Shard(nil), prev.Shards...)
		ks.Vindexes = map[string]vindex.Vindex{}
		ks.Tables = map[string]*Table{}
		checkShardLayout(l.src, join("keyspaces", name), &ks)
		l.vindexes(&ks, vs, src)
		l.tables(&ks, vs, src)
		topo.Keyspaces[name], docs[name], sources[name] = &ks, vs, src
	}
	l.link(&topo, docs, sources)
	if c.Metadata != nil {
		checkMetadataKeyspace(l.src, &topo, c.Metadata.Keyspace)
	}
	if len(r.errs) > 0 {
		sortProblems(r.errs, files)
		return nil, r.errs
	}
	nc := *c
	nc.Topology = &topo
	nc.Warnings = r.warnings
	return &nc, nil
}

// VSchemaOrigin is how problems name a VSchema that replaced a keyspace's
// file: "vschema of keyspace K".
func VSchemaOrigin(keyspace string) string { return "vschema of keyspace " + keyspace }

// checkShardLayout checks the shards of ks against its "sharded" flag, as
// Load does: an unsharded keyspace has one shard named "0" or "-", a sharded
// one shards that cover the keyspace id space exactly once.
func checkShardLayout(s *source, kp string, ks *Keyspace) {
	sp := join(kp, "shards")
	names := make([]string, len(ks.Shards))
	for i, sh := range ks.Shards {
		names[i] = sh.Name
	}
	if !ks.Sharded {
		if len(names) != 1 {
			s.errorf(sp, "unsharded keyspace %s needs exactly one shard, named \"0\" or \"-\"; got %d (%s) — is \"sharded\": true missing from its vschema?",
				ks.Name, len(names), strings.Join(names, ", "))
		} else if names[0] != "0" && names[0] != "-" {
			s.errorf(join(sp, names[0]), "the shard of unsharded keyspace %s must be named \"0\" or \"-\"", ks.Name)
		}
		return
	}
	if err := vindex.CheckCoverage(names); err != nil {
		for _, e := range splitJoined(err) {
			s.errorf(sp, "%v", e)
		}
	}
}

// VSchemas returns the VSchema in force of every keyspace (an empty one for
// a keyspace without). The documents are the Topology's own: don't change
// them.
func (t *Topology) VSchemas() map[string]*VSchema {
	out := make(map[string]*VSchema, len(t.Keyspaces))
	for name, ks := range t.Keyspaces {
		vs := ks.VSchema
		if vs == nil {
			vs = &VSchema{}
		}
		out[name] = vs
	}
	return out
}

// ParseVSchemaJSON decodes one keyspace's VSchema JSON as a vschema_file is
// decoded: strictly, every unknown key and wrong type reported. name is the
// document's name in problems (a file, "version 7 of keyspace K"). The error
// is an Errors.
func ParseVSchemaJSON(name string, data []byte) (*VSchema, error) {
	r := &reporter{}
	vs, _ := decodeVSchemaJSON(r.newSource(name), data)
	if len(r.errs) > 0 {
		sortProblems(r.errs, []string{name})
		return nil, r.errs
	}
	return vs, nil
}
