package planner

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sidecar/conf"
)

// TestOneShardKeyspace: a sharded keyspace of one shard answers exactly what
// a scatter across several cannot (LIMIT or ORDER BY in an UPDATE or
// DELETE, a HAVING), so nothing is refused there; the same statements on
// two shards are.
func TestOneShardKeyspace(t *testing.T) {
	const vschema = `{sharded: true, vindexes: {hash: {type: hash}}, tables: {t: {column_vindexes: [{column: id, name: hash}]}}}`
	config := `users: [{name: app}]
backend: {user: root}
keyspaces:
  one:
    vschema: ` + vschema + `
    shards:
      "-": {address: "127.0.0.1:3306", database: one}
  two:
    vschema: ` + vschema + `
    shards:
      "-80": {address: "127.0.0.1:3306", database: two_a}
      "80-": {address: "127.0.0.1:3306", database: two_b}
`
	path := filepath.Join(t.TempDir(), "sidecar.yaml")
	if err := os.WriteFile(path, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := conf.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	p := NewPlanner(cfg.Topology, 100, 1<<20)
	for _, sql := range []string{
		"delete from t where v = 'x' order by v limit 1 returning v",
		"select v into @v from t where v = 'x'",
		"select v, count(*) from t group by v having min(v) = 'x'",
	} {
		for _, ks := range []string{"one", "two"} {
			plan, err := p.Plan(sql, Session{Keyspace: ks})
			if err != nil {
				t.Fatalf("%s> %s: %v", ks, sql, err)
			}
			r, err := RouteStatement(context.Background(), plan, plan.Args, &fakeIO{})
			switch {
			case ks == "one" && (err != nil || len(r.Shards) != 1):
				t.Errorf("%s> %s: %v, %v; want its one shard", ks, sql, r, err)
			case ks == "two" && (err == nil || !strings.Contains(err.Error(), "across shards")):
				t.Errorf("%s> %s: %v, %v; want a refusal across shards", ks, sql, r, err)
			}
		}
	}
}
