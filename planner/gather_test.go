package planner

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"sidecar/engine"
	"sidecar/sqlerr"
	"sidecar/vindex"
)

// TestPlanEvaluate: golden plans, statement → tree, for each shape of gather: what each table's
// gather reads, which conditions go into it, which gathers are reduced by which, and the statement
// the backend evaluates over the gathered rows.
func TestPlanEvaluate(t *testing.T) {
	p := mergePlanner(t)
	sess := Session{Keyspace: "customer"}
	for _, c := range []struct{ sql, plan string }{
		{
			// Columns named by alias only; the join reduces corder by the customers gathered.
			"select c.email, o.sku from customer c join corder o on o.customer_id = c.customer_id where c.email like 'a%'",
			`Evaluate on customer: SELECT ` + "`c`.`email`,`o`.`sku` FROM (<c>) AS `c` JOIN (<o>) AS `o` ON `o`.`customer_id`=`c`.`customer_id` WHERE `c`.`email` LIKE 'a%'" + `
  Gather c from customer: SELECT ` + "`c`.`email`, `c`.`customer_id` FROM `customer` AS `c` WHERE (`c`.`email` LIKE 'a%')" + `
  Gather o from customer: SELECT ` + "`o`.`sku`, `o`.`customer_id` FROM `corder` AS `o`, `o`.`customer_id` IN (values of c.customer_id)" + `
`,
		},
		{
			// A LEFT JOIN: its ON condition on the right table goes into the right gather, the right
			// side is reduced by the left, never the reverse; WHERE on the right side stays out.
			"select c.customer_id, o.corder_id from customer c left join corder o on o.customer_id = c.customer_id and o.price > 10 where o.sku is null",
			`Evaluate on customer: SELECT ` + "`c`.`customer_id`,`o`.`corder_id` FROM (<c>) AS `c` LEFT JOIN (<o>) AS `o` ON `o`.`customer_id`=`c`.`customer_id` AND `o`.`price`>10 WHERE `o`.`sku` IS NULL" + `
  Gather c from customer: SELECT ` + "`c`.`customer_id` FROM `customer` AS `c`" + `
  Gather o from customer: SELECT ` + "`o`.`corder_id`, `o`.`customer_id`, `o`.`price`, `o`.`sku` FROM `corder` AS `o` WHERE (`o`.`price`>10), `o`.`customer_id` IN (values of c.customer_id)" + `
`,
		},
		{
			// One table: unqualified names are its columns (not the select list's aliases); the
			// WHERE goes into the gather, HAVING is evaluated.
			"select sku, count(distinct customer_id) n from corder where price > 5 group by sku having n > 1",
			`Evaluate on customer: SELECT ` + "`sku`,COUNT(DISTINCT `customer_id`) AS `n` FROM (<corder>) AS `corder` WHERE `price`>5 GROUP BY `sku` HAVING `n`>1" + `
  Gather corder from customer: SELECT ` + "`corder`.`sku`, `corder`.`customer_id`, `corder`.`price` FROM `corder` AS `corder` WHERE (`price`>5)" + `
`,
		},
		{
			// An alias that is also a column's name: in the select list and WHERE the name is the
			// column (aliases are not visible there), so it is read; in HAVING it may be the alias.
			"select sku as price, price, count(distinct customer_id) n from corder where price > 5 group by sku having price <> 'x'",
			`Evaluate on customer: SELECT ` + "`sku` AS `price`,`price`,COUNT(DISTINCT `customer_id`) AS `n` FROM (<corder>) AS `corder` WHERE `price`>5 GROUP BY `sku` HAVING `price`!='x'" + `
  Gather corder from customer: SELECT ` + "`corder`.`sku`, `corder`.`price`, `corder`.`customer_id` FROM `corder` AS `corder` WHERE (`price`>5)" + `
`,
		},
		{
			// A subquery: an unqualified name inside it could be either table's, so both are read whole.
			"select customer_id from customer where customer_id in (select customer_id from corder where price > 100)",
			`Evaluate on customer: SELECT ` + "`customer_id` FROM (<customer>) AS `customer` WHERE `customer_id` IN (SELECT `customer_id` FROM (<corder>) AS `corder` WHERE `price`>100)" + `
  Gather customer from customer: SELECT * FROM ` + "`customer` AS `customer`" + `
  Gather corder from customer: SELECT * FROM ` + "`corder` AS `corder`" + `
`,
		},
		{
			// The gather with conditions of its own goes first and reduces the other.
			"select c.email from customer c join corder o on o.customer_id = c.customer_id where o.sku = 'x'",
			`Evaluate on customer: SELECT ` + "`c`.`email` FROM (<c>) AS `c` JOIN (<o>) AS `o` ON `o`.`customer_id`=`c`.`customer_id` WHERE `o`.`sku`='x'" + `
  Gather o from customer: SELECT ` + "`o`.`customer_id`, `o`.`sku` FROM `corder` AS `o` WHERE (`o`.`sku`='x')" + `
  Gather c from customer: SELECT ` + "`c`.`email`, `c`.`customer_id` FROM `customer` AS `c`, `c`.`customer_id` IN (values of o.customer_id)" + `
`,
		},
		{
			// UNION: each part's table gathered; constant-only parts are evaluated once.
			"select customer_id from customer union select -1 from dual order by 1",
			`Evaluate on customer: SELECT ` + "`customer_id` FROM (<customer>) AS `customer` UNION SELECT -1 ORDER BY 1" + `
  Gather customer from customer: SELECT ` + "`customer`.`customer_id` FROM `customer` AS `customer`" + `
`,
		},
		{
			// A locking read: each gather locks the rows it reads (FOR UPDATE OF: only those
			// tables'); the evaluation reads literals.
			"select c.email from customer c join corder o on o.customer_id = c.customer_id where o.sku = 'x' for update of o",
			`Evaluate on customer: SELECT ` + "`c`.`email` FROM (<c>) AS `c` JOIN (<o>) AS `o` ON `o`.`customer_id`=`c`.`customer_id` WHERE `o`.`sku`='x'" + `
  Gather o from customer: SELECT ` + "`o`.`customer_id`, `o`.`sku` FROM `corder` AS `o` WHERE (`o`.`sku`='x') FOR UPDATE" + `
  Gather c from customer: SELECT ` + "`c`.`email`, `c`.`customer_id` FROM `customer` AS `c`, `c`.`customer_id` IN (values of o.customer_id)" + `
`,
		},
		{
			// Unqualified names in a join could be either table's: nothing is pushed down, and both
			// tables are read whole.
			"select c.email from customer c left join corder o on o.customer_id = c.customer_id where sku = 'x'",
			`Evaluate on customer: SELECT ` + "`c`.`email` FROM (<c>) AS `c` LEFT JOIN (<o>) AS `o` ON `o`.`customer_id`=`c`.`customer_id` WHERE `sku`='x'" + `
  Gather c from customer: SELECT * FROM ` + "`customer` AS `c`" + `
  Gather o from customer: SELECT * FROM ` + "`corder` AS `o`, `o`.`customer_id` IN (values of c.customer_id)" + `
`,
		},
		{
			// Gathered first is the table whose values reduce the other by its primary vindex column
			// (corder_event's, a lookup vindex): those IN lists go only to the values' shards.
			"select e.corder_id, o.sku from corder_event e join corder o on o.corder_id = e.corder_id",
			`Evaluate on customer: SELECT ` + "`e`.`corder_id`,`o`.`sku` FROM (<e>) AS `e` JOIN (<o>) AS `o` ON `o`.`corder_id`=`e`.`corder_id`" + `
  Gather o from customer: SELECT ` + "`o`.`sku`, `o`.`corder_id` FROM `corder` AS `o`" + `
  Gather e from customer: SELECT ` + "`e`.`corder_id` FROM `corder_event` AS `e`, `e`.`corder_id` IN (values of o.corder_id)" + `
`,
		},
		{
			// Volatile functions stay out of the gathers: they would run twice.
			"select c.customer_id from customer c join corder o on o.customer_id = c.customer_id where rand() < 2 and o.price > 0",
			`Evaluate on customer: SELECT ` + "`c`.`customer_id` FROM (<c>) AS `c` JOIN (<o>) AS `o` ON `o`.`customer_id`=`c`.`customer_id` WHERE RAND()<2 AND `o`.`price`>0" + `
  Gather o from customer: SELECT ` + "`o`.`customer_id`, `o`.`price` FROM `corder` AS `o` WHERE (`o`.`price`>0)" + `
  Gather c from customer: SELECT ` + "`c`.`customer_id` FROM `customer` AS `c`, `c`.`customer_id` IN (values of o.customer_id)" + `
`,
		},
	} {
		plan, err := p.PlanEvaluate(c.sql, c.sql, sess)
		if err != nil {
			t.Errorf("%s: %v", c.sql, err)
			continue
		}
		if got := engine.Describe(plan); got != c.plan {
			t.Errorf("%s:\ngot\n%s\nwant\n%s", c.sql, got, c.plan)
		}
	}
}

// TestPlanEvaluateRefused: what the evaluation cannot answer exactly is refused, naming why.
func TestPlanEvaluateRefused(t *testing.T) {
	p := mergePlanner(t)
	sess := Session{Keyspace: "customer"}
	for _, c := range []struct{ sql, want string }{
		{"select c.email from customer c join corder o on o.customer_id = c.customer_id for share nowait", "locking read"},
		{"select c.email from customer c join information_schema.tables t on t.table_name = c.email", "backend's own schema"},
		{"update customer set email = 'x'", "across shards"},
	} {
		_, err := p.PlanEvaluate(c.sql, c.sql, sess)
		if err == nil || sqlerr.From(err).Num != 1235 || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: want ERROR 1235 containing %q, got %v", c.sql, c.want, err)
		}
	}
}

// TestPlanInsertSelect: INSERT … SELECT into a sharded table is two statements: its SELECT, then an
// INSERT … VALUES of the rows, with IGNORE / ON DUPLICATE KEY UPDATE kept and prepared arguments
// written in; into an unsharded table from its own keyspace it goes as sent.
func TestPlanInsertSelect(t *testing.T) {
	p := mergePlanner(t)
	sess := Session{Keyspace: "customer"}
	plan, err := p.PlanPrepared("insert ignore into corder (customer_id, sku, price) select customer_id, email, ? from customer where customer_id > ? on duplicate key update price = values(price)", sess)
	if err != nil {
		t.Fatal(err)
	}
	if plan.SelectFrom == nil || plan.SelectFrom.Name != "customer" {
		t.Fatalf("SelectFrom = %v", plan.SelectFrom)
	}
	args := Args{vindex.NewInt64(5), vindex.NewInt64(7)}
	if got, want := InsertSource(plan, args), "SELECT `customer_id`,`email`,5 FROM `customer` WHERE `customer_id`>7"; got != want {
		t.Errorf("source: %s\nwant    %s", got, want)
	}
	rows := &engine.Result{
		Fields: []engine.Field{{Name: "customer_id", Kind: engine.Int}, {Name: "email", Kind: engine.Text}, {Name: "5", Kind: engine.Int}},
		Rows:   [][][]byte{{[]byte("8"), []byte("it's"), []byte("5")}, {[]byte("9"), nil, []byte("5")}},
	}
	got, err := InsertValues(plan, args, rows)
	want := "INSERT IGNORE INTO `corder` (`customer_id`,`sku`,`price`) VALUES (8,'it''s',5),(9,null,5) ON DUPLICATE KEY UPDATE `price`=VALUES(`price`)"
	if err != nil || got != want {
		t.Errorf("values: %s, %v\nwant    %s", got, err, want)
	}
	rows.Fields = rows.Fields[:2]
	if _, err := InsertValues(plan, args, rows); sqlerr.From(err).Num != 1136 {
		t.Errorf("a column count mismatch: %v", err)
	}
	if plan, err := p.Plan("insert into product (sku) select sku from product", Session{Keyspace: "product"}); err != nil || plan.SelectFrom != nil {
		t.Errorf("unsharded INSERT … SELECT of its own keyspace: %+v, %v", plan, err)
	}
}

// TestDMLSubqueries: an UPDATE/DELETE whose subqueries read across shards lists them, then gets
// their rows written in: IN lists (FALSE, or TRUE for NOT IN, without rows), EXISTS as 1/0, ANY/ALL
// as OR/AND chains, scalar subqueries as values (NULL without rows, ERROR 1242 with several).
func TestDMLSubqueries(t *testing.T) {
	p := mergePlanner(t)
	sess := Session{Keyspace: "customer"}
	one := func(vals ...string) *engine.Result {
		res := &engine.Result{Fields: []engine.Field{{Name: "v", Kind: engine.Int}}}
		for _, v := range vals {
			res.Rows = append(res.Rows, [][]byte{[]byte(v)})
		}
		return res
	}
	for _, c := range []struct {
		sql     string
		results []*engine.Result
		want    string
	}{
		{"delete from corder where customer_id in (select customer_id from customer where email like 'a%')", []*engine.Result{one("1", "2")},
			"DELETE FROM `corder` WHERE `customer_id` IN (1,2)"},
		{"delete from corder where customer_id not in (select customer_id from customer)", []*engine.Result{one()},
			"DELETE FROM `corder` WHERE 1"},
		{"update corder set price = (select max(price) from corder) where sku = 'x' and exists (select 1 from customer)", []*engine.Result{one("7"), one()},
			"UPDATE `corder` SET `price`=7 WHERE `sku`='x' AND 0"},
		{"update corder set price = 0 where price > all (select price from corder where sku = 'y')", []*engine.Result{one("3", "4")},
			"UPDATE `corder` SET `price`=0 WHERE (`price`>3 AND `price`>4)"},
		{"update corder set price = (select price from corder where sku = 'z') where corder_id = 5", []*engine.Result{one()},
			"UPDATE `corder` SET `price`=null WHERE `corder_id`=5"},
	} {
		plan, err := p.Plan(c.sql, sess)
		if err != nil || !plan.Subqueries {
			t.Fatalf("%s: %+v, %v", c.sql, plan, err)
		}
		d, err := p.PlanDMLSubqueries(plan, nil, sess)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Selects) != len(c.results) {
			t.Fatalf("%s: selects %q", c.sql, d.Selects)
		}
		if got, err := d.Substitute(c.results); err != nil || got != c.want {
			t.Errorf("%s:\n%s, %v\nwant %s", c.sql, got, err, c.want)
		}
	}
	plan, _ := p.Plan("update corder set price = (select price from corder) where corder_id = 5", sess)
	d, _ := p.PlanDMLSubqueries(plan, nil, sess)
	if _, err := d.Substitute([]*engine.Result{one("1", "2")}); sqlerr.From(err).Num != 1242 {
		t.Errorf("a scalar subquery of two rows: %v", err)
	}
	for _, sql := range []string{
		"update corder o set price = 1 where exists (select 1 from customer c where c.email = o.sku)",
		// The LEFT JOIN's ON binds only o: every customer row is counted, on every shard.
		"update corder set price = (select count(*) from customer c left join corder o on o.customer_id = c.customer_id and c.customer_id = corder.customer_id) where corder_id = 100",
	} {
		if _, err := p.Plan(sql, sess); err == nil || sqlerr.From(err).Num != 1235 {
			t.Errorf("a correlated subquery across shards: %s: %v", sql, err)
		}
	}
	// Correlated by the primary vindex (customer and corder are co-located): each shard answers
	// it for its own rows, and the statement goes as it is.
	for _, sql := range []string{
		"update corder o set price = 1 where exists (select 1 from customer c where c.customer_id = o.customer_id)",
		"update corder set price = (select count(*) from customer where customer.customer_id = corder.customer_id) where customer_id in (1, 2)",
		"delete from corder where not exists (select 1 from customer c where c.customer_id = corder.customer_id and c.email like 'x%')",
	} {
		plan, err := p.Plan(sql, sess)
		if err != nil || plan.Subqueries || plan.Table == nil || plan.Table.Name != "corder" {
			t.Errorf("%s: %+v, %v; want it routed as corder's", sql, plan, err)
		}
	}
}

// TestEvaluationPerShape: the engine plan of a text statement is made once per shape and kept
// with the cached plan; each execution writes its own values into what it sends. A statement
// whose select list names its columns with other literals gets a plan of its own, and a
// prepared statement's plan is its own too.
func TestEvaluationPerShape(t *testing.T) {
	p := NewPlanner(loadExampleB(t), 100, 1<<20)
	sess := Session{Keyspace: "customer"}
	run := func(sql string, args Args, prepared bool) (*engine.Evaluate, []string) {
		t.Helper()
		plan, err := p.Plan(sql, sess)
		if prepared {
			plan, err = p.PlanPrepared(sql, sess)
		} else {
			args = plan.Args
		}
		if err != nil {
			t.Fatal(err)
		}
		ev, err := p.Evaluation(plan, sess)
		if err != nil {
			t.Fatal(err)
		}
		cur := &sentCursor{}
		if _, err := ev.Execute(context.Background(), &engine.Env{Cursor: cur, Args: args}); err != nil {
			t.Fatal(err)
		}
		return ev, cur.sent
	}
	const having = "select email, (select 1 from dual where 1 = %d), count(*) from customer where customer_id > %d group by email having count(*) > 1"
	first, sent := run(fmt.Sprintf(having, 1, 5), nil, false)
	want := []string{
		"customer: SELECT `customer`.`email`, `customer`.`customer_id` FROM `customer` AS `customer` WHERE (`customer_id`>5)",
		"on customer: SELECT `email`,(SELECT 1 FROM DUAL WHERE 1=1) AS `(select 1 from dual where 1 = 1)`,COUNT(1) AS `count(*)` " +
			"FROM (SELECT `customer`.`email`, `customer`.`customer_id` FROM `customer` AS `customer` WHERE FALSE UNION ALL SELECT 'a@x', 6) AS `customer` " +
			"WHERE `customer_id`>5 GROUP BY `email` HAVING COUNT(1)>1",
	}
	if strings.Join(sent, "\n") != strings.Join(want, "\n") {
		t.Errorf("sent\n%s\nwant\n%s", strings.Join(sent, "\n"), strings.Join(want, "\n"))
	}
	if again, sent := run(fmt.Sprintf(having, 1, 7), nil, false); again != first || !strings.Contains(sent[0], ">7)") {
		t.Errorf("same shape, same select list: planned again (%v), or sent %q", again != first, sent)
	}
	if other, sent := run(fmt.Sprintf(having, 2, 7), nil, false); other == first || !strings.Contains(sent[1], "AS `(select 1 from dual where 1 = 2)`") {
		t.Errorf("select list named by other literals: the cached plan (%v), or sent %q", other == first, sent)
	}
	prepared := "select email, count(*) from customer where customer_id > ? group by email having count(*) > ?"
	_, sent = run(prepared, Args{vindex.NewInt64(3), vindex.NewInt64(2)}, true)
	if !strings.Contains(sent[0], "`customer_id`>3") || !strings.HasSuffix(sent[1], "HAVING COUNT(1)>2") {
		t.Errorf("prepared: sent %q", sent)
	}
}

// sentCursor writes down what an engine plan sends; every gather returns one customer.
type sentCursor struct{ sent []string }

func (c *sentCursor) Select(_ context.Context, r engine.Read) (*engine.Result, error) {
	c.sent = append(c.sent, r.Keyspace+": "+r.SQL)
	return &engine.Result{Fields: []engine.Field{{Name: "email", Kind: engine.Text}, {Name: "customer_id", Kind: engine.Int}},
		Rows: [][][]byte{{[]byte("a@x"), []byte("6")}}}, nil
}

func (c *sentCursor) SelectOn(_ context.Context, keyspace, sql string, _ ...engine.TempTable) (*engine.Result, error) {
	c.sent = append(c.sent, "on "+keyspace+": "+sql)
	return &engine.Result{}, nil
}
