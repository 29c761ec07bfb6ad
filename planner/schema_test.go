package planner

import (
	"strings"
	"testing"
)

// TestPlanSchemaRead: SHOW, DESCRIBE and EXPLAIN go to the keyspace they name,
// which the shard knows by its database name (customer → customer_x80,
// product → product), and otherwise to the session's keyspace.
func TestPlanSchemaRead(t *testing.T) {
	p := NewPlanner(loadExample(t), 10, 1<<20)
	for _, tc := range []struct {
		session, sql   string
		keyspace, sent string // sent "" means the client's text unchanged
	}{
		{"", "show tables from customer", "customer", "show tables from `customer_x80`"},
		{"", "SHOW FULL TABLES IN `customer` LIKE 'c%'", "customer", "SHOW FULL TABLES IN `customer_x80` LIKE 'c%'"},
		{"", "show table status from customer where name = 'customer'", "customer", "show table status from `customer_x80` where name = 'customer'"},
		{"customer", "show tables", "customer", ""},
		{"customer", "show tables from product", "product", ""},
		{"product", "show columns from corder from customer", "customer", "show columns from corder from `customer_x80`"},
		{"product", "show full columns from customer.corder like 'c%'", "customer", "show full columns from `customer_x80`.corder like 'c%'"},
		{"product", "show index in corder in customer", "customer", "show index in corder in `customer_x80`"},
		{"", "show create table customer.customer", "customer", "show create table `customer_x80`.customer"},
		{"", "show create database customer", "customer", "show create database `customer_x80`"},
		{"", "SHOW CREATE DATABASE IF NOT EXISTS `customer`", "customer", "SHOW CREATE DATABASE IF NOT EXISTS `customer_x80`"},
		{"", "show columns from customer", "customer", ""}, // the table customer, found in the VSchemas
		{"things", "show columns from customer", "things", ""},
		{"", "/* app */ describe customer.corder", "customer", "/* app */ describe `customer_x80`.corder"},
		{"", "desc corder sku", "customer", ""},
		{"customer", "explain corder", "customer", ""},
		{"", "show tables from information_schema", "", ""},
		{"customer", "show columns from tables from information_schema", "customer", ""},
		{"", "explain select * from customer.corder where corder_id = 1", "customer", "explain select * from corder where corder_id = 1"},
		{"product", "EXPLAIN FORMAT=JSON select * from corder join customer using (customer_id)", "product", ""},
		{"", "explain format=json select * from customer.corder", "customer", "explain format=json select * from corder"},
		{"customer", "explain update corder set price = 1 where corder_id = 1", "customer", ""},
		{"customer", "explain select * from product.corder_seq", "product", ""},
		{"customer", "explain select 1", "customer", ""},
		{"product", "select table_name from information_schema.tables where table_schema = 'customer' and table_name like 'c%'", "customer",
			"select table_name from information_schema.`tables` where table_schema = 'customer_x80' and table_name like 'c%'"},
		{"", "SELECT COLUMN_NAME FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA IN ('customer') AND TABLE_NAME = 'corder'", "customer",
			"select COLUMN_NAME from INFORMATION_SCHEMA.COLUMNS where TABLE_SCHEMA in ('customer_x80') and TABLE_NAME = 'corder'"},
		{"", "select schema_name from information_schema.schemata where schema_name = 'product'", "product", ""},
		// LIKE without wildcards names one schema (PHP frameworks write it): the shard's database
		// goes in as a pattern matching it alone.
		{"", "select table_name from information_schema.tables where table_schema like 'customer'", "customer",
			"select table_name from information_schema.`tables` where table_schema like 'customer\\_x80'"},
		{"things", "select table_name from information_schema.tables where table_schema like 'cust%'", "things", ""},
		{"things", "select table_name from information_schema.tables where table_schema = database()", "things", ""},
		{"things", "select table_name from information_schema.tables where table_schema = 'mysql'", "things", ""},
		{"", "load data local infile 'x.csv' into table product.corder_seq", "product", ""},
		{"customer", "LOAD DATA LOCAL INFILE 'x.csv' REPLACE INTO TABLE `product`.corder_seq FIELDS TERMINATED BY ','", "product", ""},
		{"product", "load data infile 'x.csv' into table corder_seq", "product", ""},
	} {
		plan, err := p.Plan(tc.sql, Session{Keyspace: tc.session})
		if err != nil {
			t.Errorf("[%s] %s: %v", tc.session, tc.sql, err)
			continue
		}
		ks := ""
		if plan.Keyspace != nil {
			ks = plan.Keyspace.Name
		}
		want := tc.sent
		if want == "" {
			want = tc.sql
		}
		if ks != tc.keyspace || !sameSQL(t, plan.Query, want) {
			t.Errorf("[%s] %s:\n got %q to %q\nwant %q to %q", tc.session, tc.sql, plan.Query, ks, want, tc.keyspace)
		}
	}
}

func TestPlanSchemaReadRefused(t *testing.T) {
	p := NewPlanner(loadExample(t), 10, 1<<20)
	for _, tc := range []struct{ sql, wantErr string }{
		{"show columns from customer.corder from things", "across keyspaces (customer and things)"},
		{"load data local infile 'x.csv' into table customer.corder", "LOAD DATA into sharded keyspace customer"},
		{"describe nosuch", "No database selected"},
		{"explain analyze delete from customer.corder", "EXPLAIN ANALYZE of delete statements"},
		{"explain select * from customer.customer, things.things", "across keyspaces"},
		{"select * from information_schema.tables where table_schema in ('customer', 'things')", "across keyspaces (customer and things)"},
	} {
		_, err := p.Plan(tc.sql, Session{})
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%s: err %v, want %q", tc.sql, err, tc.wantErr)
		}
	}
}
