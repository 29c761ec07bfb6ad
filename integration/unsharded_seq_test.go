package integration

import (
	"testing"
)

// An unsharded keyspace's table with an auto_increment in its VSchema gets its id from the
// sequence, as a sharded table does (issue 19, item 3).
func TestUnshardedAutoIncrement(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{productVSchema: exampleVSchemaWith(t, "product.vschema.json", func(tables map[string]any) {
		tables["log_seq"] = map[string]any{"type": "sequence"}
		tables["log"] = map[string]any{"auto_increment": map[string]any{"column": "id", "sequence": "log_seq"}}
	})})
	e.a.MustExec(t, "product", "create table log_seq(id bigint, next_id bigint, cache bigint, primary key(id)) comment 'vitess_sequence'; insert into log_seq values (0, 100, 10); create table log(id bigint not null primary key, val varchar(10))")
	e.runSteps("product", []cliStep{
		{sql: "insert into log(val) values ('a'), ('b');\nselect last_insert_id();", out: `Query OK, 2 rows affected
+------------------+
| last_insert_id() |
+------------------+
|              100 |
+------------------+
1 row in set`},
		{sql: "insert into log(id, val) values (7, 'c'), (null, 'd');", out: "Query OK, 2 rows affected"},
		{sql: "insert into log values (8, 'e');", out: "Query OK, 1 row affected"},
	})
	ctx := shardedContext(t)
	if _, err := e.driver(e.sc, "product").ExecContext(ctx, "insert into log(val) values (?)", "f"); err != nil {
		t.Fatal(err)
	}
	got := e.rows("product", "0", "select id, val from log order by val")
	want := [][]string{{"100", "a"}, {"101", "b"}, {"7", "c"}, {"102", "d"}, {"8", "e"}, {"103", "f"}}
	if len(got) != len(want) {
		t.Fatalf("rows %q, want %q", got, want)
	}
	for i := range want {
		if got[i][0] != want[i][0] || got[i][1] != want[i][1] {
			t.Errorf("rows %q, want %q", got, want)
			break
		}
	}
}
