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

// TestDatabaseDDL: a database is a keyspace, declared in the config. CREATE and DROP DATABASE answer
// as one server would from the keyspaces and never reach a backend, where they made stray databases
// or dropped an unsharded keyspace's tables (product's database is named product); ALTER DATABASE
// alters every shard's own database.
func TestDatabaseDDL(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	charsets := func(want string) func() {
		return func() {
			t.Helper()
			for _, s := range []struct {
				m  *MariaDB
				db string
			}{{e.a, "customer_x80"}, {e.b, "customer_80x"}} {
				got := s.m.MustQuery(t, "", "SELECT DEFAULT_CHARACTER_SET_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", s.db)
				if len(got) != 1 || got[0][0] != want {
					t.Errorf("%s's character set is %v, want %s", s.db, got, want)
				}
			}
		}
	}
	backendsUnchanged := func() {
		t.Helper()
		for _, m := range []*MariaDB{e.a, e.b} {
			if got := m.MustQuery(t, "", "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME IN ('newdb', 'things', 'customer')"); len(got) != 0 {
				t.Errorf("a backend has databases %v", got)
			}
		}
		if got := e.a.MustQuery(t, "product", "SHOW TABLES"); len(got) == 0 {
			t.Errorf("product's database lost its tables")
		}
	}
	original := e.a.MustQuery(t, "", "SELECT DEFAULT_CHARACTER_SET_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'customer_x80'")[0][0]
	notes := func(code, msg string) string {
		return `Query OK, 0 rows affected, 1 warning
+-------+------+` + strings.Repeat("-", len(msg)+2) + `+
| Level | Code | Message` + strings.Repeat(" ", len(msg)-7) + ` |
+-------+------+` + strings.Repeat("-", len(msg)+2) + `+
| Note  | ` + code + ` | ` + msg + ` |
+-------+------+` + strings.Repeat("-", len(msg)+2) + `+
1 row in set`
	}
	e.runSteps("product", []cliStep{
		{sql: "create database if not exists product; show warnings;", out: notes("1007", "Can't create database 'product'; database exists")},
		// mariadb-dump --databases writes it so.
		{sql: "CREATE DATABASE /*!32312 IF NOT EXISTS*/ `things` /*!40100 DEFAULT CHARACTER SET utf8mb4 */;", out: "Query OK, 0 rows affected, 1 warning"},
		{sql: "create database customer;", err: "ERROR 1007 (HY000) at line 1: Can't create database 'customer'; database exists"},
		{sql: "create database newdb;", err: "ERROR 1235 (42000) at line 1: ", errHas: []string{"CREATE DATABASE newdb", "config"}, check: backendsUnchanged},
		{sql: "drop database product;", err: "ERROR 1235 (42000) at line 1: ", errHas: []string{"DROP DATABASE product"}, check: backendsUnchanged},
		{sql: "drop schema if exists customer;", err: "ERROR 1235 (42000) at line 1: ", errHas: []string{"DROP DATABASE customer"}},
		{sql: "create or replace database product;", err: "ERROR 1235 (42000) at line 1: ", errHas: []string{"CREATE OR REPLACE DATABASE product"}, check: backendsUnchanged},
		{sql: "drop database if exists nonex; show warnings;", out: notes("1008", "Can't drop database 'nonex'; database doesn't exist")},
		{sql: "drop database `nonex`;", err: "ERROR 1008 (HY000) at line 1: Can't drop database 'nonex'; database doesn't exist"},
		{sql: "alter database customer default character set latin1;", out: "Query OK, 0 rows affected", check: charsets("latin1")},
		{sql: "use customer; /* the session's */ alter schema character set " + original + ";", out: "Query OK, 0 rows affected", check: charsets(original)},
		{sql: "alter database nonex character set latin1;", err: "ERROR 1049 (42000) at line 1: Unknown database 'nonex'"},
		{sql: "CREATE DATABASE /*M!100100 IF NOT EXISTS */ newdb;", err: "ERROR 1235 (42000) at line 1: ", errHas: []string{"server-dependent"}, check: backendsUnchanged},
		// A server's global read lock would hold one backend on a pooled connection after the
		// client left, and every write to it with it (mariadb-dump -x; helper-63): refused.
		{sql: "flush tables with read lock;", err: "ERROR 1235 (42000) at line 1: ", errHas: []string{"FLUSH TABLES … WITH READ LOCK"}},
		// DDL commits the open transaction, as MariaDB's does even where it fails: the client's
		// session ends after the error without a COMMIT of its own.
		{sql: "create table zz_txn (a int primary key); begin; insert into zz_txn values (1); create database customer;",
			out: "Query OK, 0 rows affected\nQuery OK, 0 rows affected\nQuery OK, 1 row affected", err: "ERROR 1007 (HY000) at line 1: "},
		{sql: "begin; insert into zz_txn values (2); drop database nonex;",
			out: "Query OK, 0 rows affected\nQuery OK, 1 row affected", err: "ERROR 1008 (HY000) at line 1: ", check: func() {
				if got := e.a.MustQuery(t, "product", "SELECT a FROM zz_txn ORDER BY a"); len(got) != 2 || got[0][0] != "1" || got[1][0] != "2" {
					t.Errorf("after failed CREATE and DROP DATABASE in transactions, zz_txn holds %v, want [[1] [2]]", got)
				}
			}},
		{sql: "begin; insert into zz_txn values (3); alter database nonex character set latin1;",
			out: "Query OK, 0 rows affected\nQuery OK, 1 row affected", err: "ERROR 1049 (42000) at line 1: ", check: func() {
				if got := e.a.MustQuery(t, "product", "SELECT count(*) FROM zz_txn"); got[0][0] != "3" {
					t.Errorf("after a failed ALTER DATABASE in a transaction, zz_txn holds %v rows, want 3", got)
				}
			}},
		{sql: "drop table zz_txn;", out: "Query OK, 0 rows affected"},
	})
	e.runSteps("", []cliStep{
		{sql: "alter database character set latin1;", err: "ERROR 1046 (3D000) at line 1: No database selected"},
	})
}

// TestQualifiedDDL: DDL naming its tables by keyspace, as migration tools write it, runs on that
// keyspace's shards whichever keyspace the session is in, the keyspace's name taken out (the shards'
// databases are customer_x80 and customer_80x).
func TestQualifiedDDL(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	columns := func(want string) func() {
		return func() {
			t.Helper()
			for _, s := range []struct {
				m  *MariaDB
				db string
			}{{e.a, "customer_x80"}, {e.b, "customer_80x"}, {e.a, "product"}} {
				rows := s.m.MustQuery(t, "", "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'zz_t' ORDER BY ORDINAL_POSITION", s.db)
				var got []string
				for _, r := range rows {
					got = append(got, r[0])
				}
				w := want
				if s.db == "product" {
					w = ""
				}
				if strings.Join(got, " ") != w {
					t.Errorf("%s.zz_t has columns %q, want %q", s.db, got, w)
				}
			}
		}
	}
	e.runSteps("product", []cliStep{
		{sql: "create table customer.zz_t (id bigint primary key, customer_id bigint);", out: "Query OK, 0 rows affected", check: columns("id customer_id")},
		{sql: "alter table `customer` . `zz_t` add column note varchar(10);", out: "Query OK, 0 rows affected", check: columns("id customer_id note")},
		{sql: "rename table customer.zz_t to product.zz_t;", err: "ERROR 1235 (42000) at line 1: ", errHas: []string{"two keyspaces (customer and product)"}},
		{sql: "create table nonex.zz_t (id int);", err: "ERROR 1049 (42000) at line 1: Unknown database 'nonex'"},
	})
	e.runSteps("", []cliStep{
		{sql: "create index zz_i on customer.zz_t (customer_id);", out: "Query OK, 0 rows affected"},
		{sql: "alter table customer.zz_t drop column note;", out: "Query OK, 0 rows affected", check: columns("id customer_id")},
		// A table of a VSchema is found by its name, as in a SELECT.
		{sql: "alter table corder add column zz_c int; alter table corder drop column zz_c;", out: "Query OK, 0 rows affected\nQuery OK, 0 rows affected"},
		{sql: "create table zz_u (id int);", err: "ERROR 1046 (3D000) at line 1: No database selected"},
		{sql: "drop table customer.zz_t;", out: "Query OK, 0 rows affected", check: columns("")},
	})
}
