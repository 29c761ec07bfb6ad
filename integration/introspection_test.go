package integration

import (
	"strings"
	"testing"
)

// TestShardedSchemaIntrospection: what a client or a GUI tool asks first about a keyspace's schema
// — SHOW TABLES FROM, DESCRIBE, SHOW COLUMNS, EXPLAIN, information_schema — answered by one shard
// and named after the keyspace, whichever keyspace the session is in (the shards know their
// databases as customer_x80 and customer_80x).
func TestShardedSchemaIntrospection(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	const corderColumns = `
+-------------+--------------+------+-----+---------+-------+
| Field       | Type         | Null | Key | Default | Extra |
+-------------+--------------+------+-----+---------+-------+
| corder_id   | bigint(20)   | NO   | PRI | NULL    |       |
| customer_id | bigint(20)   | YES  |     | NULL    |       |
| product_id  | bigint(20)   | YES  |     | NULL    |       |
| oname       | varchar(128) | YES  |     | NULL    |       |
+-------------+--------------+------+-----+---------+-------+
4 rows in set`
	const impossibleWhere = `
+------+-------------+-------+------+---------------+------+---------+------+------+-----------------------------------------------------+
| id   | select_type | table | type | possible_keys | key  | key_len | ref  | rows | Extra                                               |
+------+-------------+-------+------+---------------+------+---------+------+------+-----------------------------------------------------+
|    1 | SIMPLE      | NULL  | NULL | NULL          | NULL | NULL    | NULL | NULL | Impossible WHERE noticed after reading const tables |
+------+-------------+-------+------+---------------+------+---------+------+------+-----------------------------------------------------+
1 row in set`
	e.runSteps("product", []cliStep{
		{sql: "show tables from customer;", out: `
+--------------------+
| Tables_in_customer |
+--------------------+
| corder             |
| corder_event       |
| customer           |
+--------------------+
3 rows in set`},
		{sql: "use customer; show full tables like 'corder%';", out: `
+------------------------------+------------+
| Tables_in_customer (corder%) | Table_type |
+------------------------------+------------+
| corder                       | BASE TABLE |
| corder_event                 | BASE TABLE |
+------------------------------+------------+
2 rows in set`},
		{sql: "describe customer.corder;", out: corderColumns},
		{sql: "show columns from corder from customer like 'o%';", out: `
+-------+--------------+------+-----+---------+-------+
| Field | Type         | Null | Key | Default | Extra |
+-------+--------------+------+-----+---------+-------+
| oname | varchar(128) | YES  |     | NULL    |       |
+-------+--------------+------+-----+---------+-------+
1 row in set`},
		{sql: "explain select * from customer.corder where corder_id = 1;", out: impossibleWhere},
		{sql: "use customer; explain update corder set oname = 'x' where corder_id = 1;", out: `
+------+-------------+--------+-------+---------------+---------+---------+------+------+-------------+
| id   | select_type | table  | type  | possible_keys | key     | key_len | ref  | rows | Extra       |
+------+-------------+--------+-------+---------------+---------+---------+------+------+-------------+
|    1 | SIMPLE      | corder | range | PRIMARY       | PRIMARY | 8       | NULL | 1    | Using where |
+------+-------------+--------+-------+---------------+---------+---------+------+------+-------------+
1 row in set`},
		// GUI tools and ORMs read information_schema by the database's name: the keyspace's.
		{sql: "select table_name from information_schema.tables where table_schema = 'customer' order by table_name;", out: `
+--------------+
| table_name   |
+--------------+
| corder       |
| corder_event |
| customer     |
+--------------+
3 rows in set`},
		{
			sql:    "explain analyze delete from customer.corder;",
			err:    "ERROR 1235 (42000) at line 1: ",
			errHas: []string{"EXPLAIN ANALYZE of delete statements"},
		},
	})
	// Without a keyspace in use, a table is found by its name, as in a SELECT.
	e.runSteps("", []cliStep{{sql: "desc corder;", out: corderColumns}})

	// The same through server-side prepared statements (go-sql-driver/mysql).
	db := e.driver(e.sc, "product")
	for _, tc := range []struct{ sql, want string }{
		{"describe customer.corder", "corder_id customer_id product_id oname"},
		{"show columns from corder from customer like 'c%'", "corder_id customer_id"},
		{"select table_name from information_schema.tables where table_schema = 'customer' order by 1", "corder corder_event customer"},
	} {
		stmt, err := db.Prepare(tc.sql)
		if err != nil {
			t.Fatalf("prepare %s: %v", tc.sql, err)
		}
		rows, err := stmt.Query()
		if err != nil {
			t.Fatalf("execute %s: %v", tc.sql, err)
		}
		table, err := ScanStrings(rows)
		stmt.Close()
		if err != nil {
			t.Fatalf("%s: %v", tc.sql, err)
		}
		var got []string
		for _, row := range table {
			got = append(got, row[0])
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("prepared %s: got %q, want %q", tc.sql, got, tc.want)
		}
	}
}
