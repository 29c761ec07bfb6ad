package integration

// Cross-shard SQL on a shop schema (issue 18), checked against an oracle. Keyspace shop on the merge
// test's servers: customer and orders co-located by customer (hash), item sharded by order (hash),
// sku by its code (unicode_loose_md5). The same rows go through the sidecar into two shards and
// directly into one MariaDB; every query must get the oracle's answer, or be refused with ERROR 1235
// naming what is not supported. A wrong answer is the one outcome never allowed.

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

var shopSchema = []string{
	`CREATE TABLE customer (id BIGINT NOT NULL PRIMARY KEY, name VARCHAR(40) NOT NULL, tier INT NULL, city VARCHAR(20) NULL)`,
	`CREATE TABLE orders (id BIGINT NOT NULL PRIMARY KEY, customer_id BIGINT NOT NULL, total DECIMAL(10,2) NULL, status VARCHAR(10) NOT NULL)`,
	`CREATE TABLE item (id BIGINT NOT NULL PRIMARY KEY, order_id BIGINT NOT NULL, sku VARCHAR(16) NOT NULL, qty INT NULL)`,
	`CREATE TABLE sku (sku VARCHAR(16) NOT NULL PRIMARY KEY, descr VARCHAR(40) NULL, price DECIMAL(8,2) NULL)`,
}

const shopVSchema = `{sharded: true, vindexes: {hash: {type: hash}, md5: {type: unicode_loose_md5}}, tables: {
      customer: {column_vindexes: [{column: id, name: hash}]},
      orders: {column_vindexes: [{column: customer_id, name: hash}]},
      item: {column_vindexes: [{column: order_id, name: hash}]},
      sku: {column_vindexes: [{column: sku, name: md5}]}}}`

// shopInserts are the shop's rows: NULLs, ties, mixed-case names, customers without orders, orders
// without items.
func shopInserts() []string {
	names := []string{"ann", "Ann", "bob", "BOB", "carla", "dave", "Émile", "emile", "fay", "gus"}
	cities := []string{"'Oslo'", "'oslo'", "'Lima'", "NULL", "'Rome'"}
	statuses := []string{"new", "paid", "shipped", "paid"}
	var customers, orders, items, skus []string
	for i := 1; i <= 40; i++ {
		tier := fmt.Sprint(i % 4)
		if i%9 == 0 {
			tier = "NULL"
		}
		customers = append(customers, fmt.Sprintf("(%d, %s, %s, %s)", i, quoteString(names[i%len(names)]), tier, cities[i%len(cities)]))
	}
	for i := 1; i <= 120; i++ {
		total := fmt.Sprintf("%.2f", float64(i*37%500)/4)
		if i%13 == 0 {
			total = "NULL"
		}
		orders = append(orders, fmt.Sprintf("(%d, %d, %s, '%s')", i, (i*7)%35+1, total, statuses[i%len(statuses)]))
	}
	for i := 1; i <= 300; i++ {
		qty := fmt.Sprint(i%5 + 1)
		if i%17 == 0 {
			qty = "NULL"
		}
		items = append(items, fmt.Sprintf("(%d, %d, 'S%02d', %s)", i, (i*11)%110+1, i%20, qty))
	}
	for i := 0; i < 24; i++ {
		price := fmt.Sprintf("%.2f", float64(i*3%17)+0.5)
		if i%7 == 0 {
			price = "NULL"
		}
		skus = append(skus, fmt.Sprintf("('S%02d', 'sku %d', %s)", i, i%6, price))
	}
	return []string{
		"INSERT INTO customer (id, name, tier, city) VALUES " + strings.Join(customers, ", "),
		"INSERT INTO orders (id, customer_id, total, status) VALUES " + strings.Join(orders, ", "),
		"INSERT INTO item (id, order_id, sku, qty) VALUES " + strings.Join(items, ", "),
		"INSERT INTO sku (sku, descr, price) VALUES " + strings.Join(skus, ", "),
	}
}

// shopCase is a query and, while it is not supported, the words its ERROR 1235 must contain.
type shopCase struct {
	mergeCase
	refused string
}

var shopCases = []shopCase{
	// The five statements that once got a wrong answer without an error, and the one that dropped
	// the connection.
	{mergeCase: mergeCase{sql: "select c.id, c.name, o.id from customer c left join orders o on o.customer_id = c.id and o.customer_id = 7 where c.tier = 1"}, refused: "across shards"},
	{mergeCase: mergeCase{sql: "select id, name, (select count(*) from customer) from customer where id = 7"}, refused: "across shards"},
	{mergeCase: mergeCase{sql: "select c.id, c.name, t.n from customer c join (select count(*) n from orders) t where c.id = 5"}, refused: "across shards"},
	{mergeCase: mergeCase{sql: "select c.id, (select count(*) from item i join orders o on o.id = i.order_id where o.customer_id = c.id) from customer c where c.id = 5"}, refused: "across shards"},
	{mergeCase: mergeCase{sql: "select id, name from customer where tier = 3 union all select -1, 'none' from dual"}, refused: "UNION"},
	{mergeCase: mergeCase{sql: "select count(*) from (select id from customer union all select customer_id from orders) t"}, refused: "across shards"},

	// Co-located: one shard holds every row the statement reads.
	{mergeCase: mergeCase{sql: "select c.id, c.name, o.id, o.total from customer c join orders o on o.customer_id = c.id where c.id = 8 order by o.id"}},
	{mergeCase: mergeCase{sql: "select c.id, o.id from customer c left join orders o on o.customer_id = c.id where c.id = 36"}},
	{mergeCase: mergeCase{sql: "select c.id, o.id from customer c left join orders o on o.customer_id = c.id where o.customer_id = 8 order by o.id"}},
	{mergeCase: mergeCase{sql: "select c.id, (select count(*) from orders o where o.customer_id = c.id) from customer c where c.id = 8"}},
	{mergeCase: mergeCase{sql: "select id from customer where id = 8 and exists (select 1 from orders where customer_id = 8)"}},
	{mergeCase: mergeCase{sql: "select * from (select id, name from customer where id = 12) t"}},
	{mergeCase: mergeCase{sql: "select id, name from customer where tier = 3 union all select id, name from customer where tier = 2", unordered: true}},
	{mergeCase: mergeCase{sql: "select id from customer where id = 8 union all select -1 from dual"}, refused: "UNION"},

	// MySQL 8 / MariaDB syntax the parser of old rejected (issue 17), on the one shard a vindex
	// value names, forwarded as written.
	{mergeCase: mergeCase{sql: "with o as (select id, total from orders where customer_id = 8) select count(*), sum(total) from o"}},
	{mergeCase: mergeCase{sql: "select id, total, row_number() over (order by id) as n from orders where customer_id = 8 order by id"}},
	{mergeCase: mergeCase{sql: "select id, rank() over w as r from orders where customer_id = 8 window w as (order by total, id) order by id"}},
	{mergeCase: mergeCase{sql: "select id, name from customer where id = 8 for update skip locked"}},
	{mergeCase: mergeCase{sql: "select id, name from customer where id = 8 for update nowait"}},
	{mergeCase: mergeCase{sql: "select id, name from customer where id = 8 lock in share mode"}},
	{mergeCase: mergeCase{sql: "select sql_calc_found_rows id from orders where customer_id = 8 order by id limit 1"}},
	{mergeCase: mergeCase{sql: "select status, count(*) from orders where customer_id = 8 group by status with rollup", unordered: true}},
	{mergeCase: mergeCase{sql: "select current_timestamp(6) > '2000-01-01', id from customer where id = 8"}},
	{mergeCase: mergeCase{sql: "select id from customer where id = 8 and name <> _utf8mb4'x' collate utf8mb4_bin"}},
	{mergeCase: mergeCase{sql: "select /*+ MAX_EXECUTION_TIME(1000) */ id from customer use index (primary) where id = ?", args: []any{8}}},
	{mergeCase: mergeCase{sql: "select json_extract(json_object('a', name), '$.a') as a from customer where id = 8"}},
}

// TestShopOracle: every query gets the oracle's answer or a clear refusal, through the text protocol
// and through server-side prepared statements.
func TestShopOracle(t *testing.T) {
	env := newMergeEnv(t)
	ctx := mergeCtx(t, 2*time.Minute)
	answered, refused := 0, 0
	for _, c := range shopCases {
		for _, prepared := range []bool{false, true} {
			mode, sc, ref := "text", env.shopText, env.shopRefText
			if prepared {
				mode, sc, ref = "prepared", env.shopPrep, env.shopRefPrep
			}
			want, err := mergeQuery(ctx, ref, prepared, c.sql, c.args...)
			if err != nil {
				t.Errorf("%s [%s] on the oracle: %v", c.sql, mode, err)
				continue
			}
			got, err := mergeQuery(ctx, sc, prepared, c.sql, c.args...)
			if c.refused != "" {
				var me *mysql.MySQLError
				if !errors.As(err, &me) || me.Number != 1235 || !strings.Contains(me.Message, c.refused) {
					t.Errorf("%s [%s]: want ERROR 1235 containing %q, got %v", c.sql, mode, c.refused, err)
				}
				refused++
				continue
			}
			if err != nil {
				t.Errorf("%s [%s] through the sidecar: %v", c.sql, mode, err)
				continue
			}
			if msg := env.compare(c.mergeCase, got, want); msg != "" {
				t.Errorf("%s [%s]: %s", c.sql, mode, msg)
			}
			answered++
		}
	}
	t.Logf("%d answers equal to the oracle's, %d refusals (text and prepared)", answered, refused)
}

// TestShopUnparsedClauses: MariaDB's RETURNING and SELECT … INTO @v, which the parser lacks, run
// where a vindex value names one shard, and are refused across shards.
func TestShopUnparsedClauses(t *testing.T) {
	env := newMergeEnv(t)
	ctx := mergeCtx(t, time.Minute)
	conn, err := env.shopText.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "select name into @n from customer where id = 8"); err != nil {
		t.Fatalf("SELECT … INTO @n: %v", err)
	}
	var name, want string
	// The variable lives on the backend connection of the shard that ran the statement: a
	// statement routed there reads it.
	if err := conn.QueryRowContext(ctx, "select @n from customer where id = 8").Scan(&name); err != nil {
		t.Fatal(err)
	}
	if err := env.shopRefText.QueryRowContext(ctx, "select name from customer where id = 8").Scan(&want); err != nil {
		t.Fatal(err)
	}
	if name != want {
		t.Errorf("@n = %q, want %q", name, want)
	}
	rows, err := conn.QueryContext(ctx, "delete from orders where customer_id = 8 and id < 0 returning id")
	if err != nil {
		t.Fatalf("DELETE … RETURNING on one shard: %v", err)
	}
	if cols, _ := rows.Columns(); len(cols) != 1 || rows.Next() {
		t.Errorf("DELETE … RETURNING deleting nothing: columns %v", cols)
	}
	rows.Close()
	for _, q := range []string{
		"select name into @n from customer where tier = 1 limit 1",
		"delete from orders where status = 'none' returning id",
	} {
		var me *mysql.MySQLError
		if _, err := conn.ExecContext(ctx, q); !errors.As(err, &me) || me.Number != 1235 {
			t.Errorf("%s: want ERROR 1235, got %v", q, err)
		}
	}
}
