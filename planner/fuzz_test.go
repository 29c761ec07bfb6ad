package planner

import (
	"bytes"
	"context"
	"encoding/hex"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"sidecar/conf"
	"sidecar/engine"
	"sidecar/vindex"
)

// fuzzStatements seed the statement fuzzers: what clients, drivers and the
// tests send, on the example topology (keyspaces customer, things, product).
var fuzzStatements = []string{
	"select 1",
	"CREATE DATABASE /*!32312 IF NOT EXISTS*/ `customer` /*!40100 DEFAULT CHARACTER SET utf8mb4 */",
	"drop schema if exists `a``b`",
	"alter database customer collate latin1_bin",
	"INSERT INTO ai (id, v, s) VALUES (NULL, 99.6, ' 1e2x'), (DEFAULT, X'64', _utf8mb4'100')",
	"REPLACE INTO ai SET id = '100', v = -3",
	"select @@version_comment limit 1",
	"SELECT DATABASE()",
	"SELECT LAST_INSERT_ID()",
	"select @@autocommit",
	"select connection_id(), 1",
	"select last_insert_id() + 0",
	"select database() is null",
	"select table_name from information_schema.tables where table_schema = database()",
	"SELECT c FROM sbtest1 WHERE id=5036",
	"SELECT email FROM customer WHERE customer_id=5036",
	"select * from customer where customer_id in (1, 4)",
	"select * from customer c where c.customer_id = 4 and email = 'x'",
	"select * from customer c join corder o on c.customer_id = o.customer_id where c.customer_id = 4",
	"select * from customer c, corder o where o.customer_id = 1 and c.customer_id = o.customer_id",
	"select * from things.things where name = 'foo' and id = 4",
	"select * from things.things, customer.customer",
	"select * from (select id from things) as s",
	"select * from things where id in (select id from things)",
	"select id, name from things order by name desc, id limit 5 offset 10",
	"select name, count(*) from things group by name having count(*) > 1",
	"select count(distinct name) from things",
	"select *, upper(name) as u from things order by u",
	"select COUNT( * ), sum(id), min(name), max(id), avg(id) from things",
	"select name from things group by name order by avg(id)",
	"select id from things union all select id from things order by id",
	"select id from things order by id limit 1 for update",
	"select id from things where id > ? order by id limit ?, ?",
	"select 1, 'a' from t where a = 'it''s' and b = 'x\\'y\\n' and c in (1, 2)",
	"select * from t where name = _utf8mb4'x' and n = 1.5 and m = 1e3",
	"select * from t where k = x'0A1' or k = X'zz' or k = 0x0A",
	"select * from t1 where a = -3 /* c=1 */ -- 5\n and `x``5` = 5",
	"select * from customer where customer_id = \"4\" or email = \"a\"\"b\"",
	"select a || b from customer where customer_id = 1",
	"select * from t where c = 'unterminated",
	"insert into customer(customer_id, email) values (4, 'a'), (1, 'it''s')",
	"insert into customer(customer_id, email) values (?, ?)",
	"insert into customer(customer_id, email) value (7, 'c')",
	"insert into customer(email) values ('no id')",
	"insert into customer(customer_id) select 1 from dual",
	"insert into corder(customer_id, product_id, oname) values (1, 2, 'x'), (4, 5, 'y')",
	"INSERT INTO `corder_event` (`corder_id`,`ename`,`keyspace_id`,`corder_event_id`) VALUES (1,'paid',X'166b40b44aba4bd6',1)",
	"insert into things(id, name) values (1, 'a') on duplicate key update name = values(name)",
	"insert into t values (1, _binary'a\\'b'), (2, _BINARY 'c')",
	"replace into customer values (1, 'a')",
	"update customer set email = 'x' where customer_id = 1",
	"update customer set customer_id = 2 where customer_id = 1",
	"update things set name = 'fresh', id = 4 where id = 1",
	"update corder set oname = ? where corder_id = ?",
	"delete from customer where email = 'x' limit 1",
	"delete from corder where corder_id in (1, 2)",
	"select * from product.corder_seq",
	"select next 2 values from product.customer_seq",
	"select * from information_schema.tables where table_schema in ('customer', 'things')",
	"SELECT COLUMN_NAME FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA IN ('customer') AND TABLE_NAME = 'corder'",
	"select * from performance_schema.session_connect_attrs where processlist_id = connection_id()",
	"SELECT ATTR_NAME FROM performance_schema.session_account_connect_attrs WHERE PROCESSLIST_ID = 10001",
	"select id, info from information_schema.processlist p where p.command <> 'Sleep' and id <> connection_id()",
	"select * from session_connect_attrs a join t on a.x = t.x",
	"show databases",
	"show vitess_shards",
	"show sidecar shards",
	"show tables",
	"show full tables in `customer` like 'c%'",
	"show columns from customer.corder from things",
	"show create table customer.customer",
	"show index in corder in customer",
	"show table status from customer where name = 'customer'",
	"show warnings",
	"describe corder",
	"desc corder sku",
	"explain select * from customer.corder where corder_id = 1",
	"explain format=json select * from corder join customer using (customer_id)",
	"explain analyze delete from customer.corder",
	"vexplain queries select * from customer where customer_id = 1",
	"use things",
	"use `customer`",
	"use customer:-80",
	"set names utf8mb4",
	"set names 'utf8mb4' collate 'utf8mb4_bin'",
	"set autocommit = 0",
	"set statement max_statement_time = 1 for select 1",
	"set @@session.autocommit = ON",
	"set session wait_timeout = 28800",
	"set sql_mode = 'ANSI_QUOTES'",
	"set @x = 1, @@sql_select_limit = 10",
	"kill 12",
	"kill query 12",
	"begin",
	"start transaction read only",
	"commit",
	"rollback work",
	"savepoint a",
	"rollback to savepoint a",
	"release savepoint a",
	"lock tables customer write",
	"select get_lock('a', 1)",
	"create temporary table t (id int)",
	"create table t (id int)",
	"alter table customer add column c int",
	"drop table if exists t",
	"truncate customer",
	"load data local infile 'x.csv' into table customer.corder",
	"load data local infile 'x.csv' replace into table `product`.corder_seq fields terminated by ','",
	"call p()",
	"do sleep(1)",
	"with x as (select 1) select * from x",
	"/* c */ select 1 /* d */",
	"/*!40101 set @x = 1 */",
	"/* sidecar:shard=-80 */ select * from customer",
	"select /*+ SET_VAR(sql_mode='') */ 1",
	"CREATE PROCEDURE p() BEGIN SELECT 1; IF x THEN SELECT 2; END IF; SELECT CASE WHEN a THEN 'b;' END; END",
	"CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW BEGIN SET NEW.a = 1; CASE NEW.b WHEN 1 THEN SET NEW.c = 2; END CASE; END",
	"BEGIN NOT ATOMIC SELECT 1; SELECT 2; END",
	"",
	" ",
	";",
}

// fuzzMultiStatements seed the splitter: several statements, compound
// bodies, comments and quotes around semicolons.
var fuzzMultiStatements = []string{
	"SELECT 1; SELECT 2;  ",
	"SELECT 1; -- c\n ; ;",
	"SELECT 1 /* ; */; SELECT 2 # x;",
	"SELECT ';', \"a\\\";\", `b;``c`; SELECT 2",
	"SELECT 'it''s;'; SELECT 2",
	"SELECT 1;; SELECT 2",
	"/* c */; SELECT 2",
	"/*!40101 SET @x = 1 */; SELECT 2",
	"SELECT 1--2; SELECT 3",
	"SELECT 'unterminated; SELECT 2",
	"CREATE PROCEDURE p() BEGIN SELECT 1; IF x THEN SELECT 2; END IF; SELECT CASE WHEN a THEN 'b;' END; END; CALL p()",
	"create definer=`root`@`localhost` procedure p() lbl: begin select 1; end lbl;select 2",
	"CREATE OR REPLACE DEFINER = u@h AGGREGATE FUNCTION f(x INT) RETURNS INT BEGIN DECLARE CONTINUE HANDLER FOR NOT FOUND RETURN 0; LOOP FETCH GROUP NEXT ROW; END LOOP; END; SELECT f(1)",
	"CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW BEGIN SET NEW.a = 1; CASE NEW.b WHEN 1 THEN SET NEW.c = 2; END CASE; END; INSERT INTO t VALUES (1)",
	"CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO BEGIN DELETE FROM t; DELETE FROM u; END; SELECT 1",
	"ALTER EVENT e DO BEGIN DELETE FROM t; END; SELECT 1",
	"CREATE PROCEDURE p() SELECT 1; SELECT 2",
	"CREATE FUNCTION f() RETURNS INT BEGIN WHILE 1 DO SET @a = 1; END WHILE; REPEAT SET @b = 2; UNTIL 1 END REPEAT; RETURN 1; END; SELECT f()",
	"BEGIN NOT ATOMIC SELECT 1; SELECT 2; END; SELECT 3",
	"BEGIN; SELECT 1; END",
	"begin; insert into customer(customer_id, email) values (1, 'a'); commit;",
	"CREATE TABLE t (procedure INT, `begin` INT, begin INT); SELECT 1",
	"select 1; select 2 -- done",
	"select 1;\t\r\n/* a */ # b\n-- c\n;",
	"select 1;\f\v",
	"select 1;\u00a0",
	"select 1 as x\u00a0; select 2",
	"   ",
	"/* only a comment */",
}

// FuzzSplitStatements: SplitStatements never panics, and what it returns is
// the input cut where statements end, nothing lost but separators: pieces
// are, in order, the statements between top-level semicolons without their
// surrounding whitespace, blank ones (whitespace and comments, judged with
// their semicolon) "" and trailing blank ones dropped; everything outside
// the pieces is whitespace, semicolons and comments; a piece has no
// top-level semicolon; no statement at all is nil, exactly when the text is
// blank. Blank is IsBlank's, with MySQL's \v and \f as whitespace too.
func FuzzSplitStatements(f *testing.F) {
	for _, s := range fuzzMultiStatements {
		f.Add(s)
	}
	for _, s := range fuzzStatements {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sql string) {
		pieces := SplitStatements(sql)
		if pieces != nil && len(pieces) == 0 {
			t.Fatal("an empty non-nil result")
		}
		if len(pieces) > 0 && pieces[len(pieces)-1] == "" {
			t.Fatalf("a trailing blank statement: %q", pieces)
		}
		if (pieces == nil) != isBlankMySQL(sql) {
			t.Fatalf("SplitStatements(%q) = %q, but blank is %v", sql, pieces, isBlankMySQL(sql))
		}
		// Where each statement is: the segments between the semicolons
		// statementEnd finds.
		var want []string
		outside := "" // the text that is in no piece
		for start := 0; ; {
			end := statementEnd(sql, start)
			if end < len(sql) && sql[end] != ';' {
				t.Fatalf("statement [%d:%d] ends at %q, not at a semicolon", start, end, sql[end])
			}
			seg := sql[start:end]
			piece := trimMySQLSpace(seg)
			if isBlankMySQL(sql[start:min(end+1, len(sql))]) {
				outside += seg
				piece = ""
			} else {
				lead := len(seg) - len(strings.TrimLeft(seg, " \t\n\v\f\r"))
				outside += seg[:lead] + seg[lead+len(piece):]
				if statementEnd(piece, 0) != len(piece) {
					t.Fatalf("piece %q of %q has a top-level semicolon", piece, sql)
				}
			}
			want = append(want, piece)
			if end >= len(sql) {
				break
			}
			outside += ";"
			start = end + 1
		}
		for len(want) > 0 && want[len(want)-1] == "" {
			want = want[:len(want)-1]
		}
		if len(want) == 0 {
			want = nil
		}
		if !reflect.DeepEqual(pieces, want) {
			t.Fatalf("SplitStatements(%q)\n = %q\nwant %q", sql, pieces, want)
		}
		if !isBlankMySQL(outside) {
			t.Fatalf("SplitStatements(%q) = %q drops %q", sql, pieces, outside)
		}
		pos := 0
		for _, p := range pieces {
			if p == "" {
				continue
			}
			if trimMySQLSpace(p) != p {
				t.Fatalf("piece %q of %q is not trimmed", p, sql)
			}
			if i := strings.Index(sql[pos:], p); i < 0 {
				t.Fatalf("piece %q is not in %q after %d", p, sql, pos)
			} else {
				pos += i + len(p)
			}
		}
	})
}

// isBlankMySQL is IsBlank with MySQL's whitespace: \v and \f too.
func isBlankMySQL(s string) bool {
	return IsBlank(strings.NewReplacer("\v", " ", "\f", " ").Replace(s))
}

// TestIsBlank: what FuzzSplitStatements found, kept as cases. Comments are
// MySQL's: "--" then a space, a control character or the end of the text.
func TestIsBlank(t *testing.T) {
	for _, tc := range []struct {
		sql   string
		blank bool
	}{
		{"", true},
		{" ;\t\r\n;", true},
		{"/* c */ # d\n-- e\n;", true},
		{"-- ", true},
		{"--", true},
		{"--\v", true},
		{"    #00000\n-- ", true},
		{"-- x\nSELECT 1", false},
		{"--x", false},
		{"-", false},
		{"/* unterminated", false},
		{"/*!40101 SET @x = 1 */", false},
		{"/*M!100000 SELECT 1 */", false},
		{"/*!*/", true},
		{"/*!50700 */ /*M!100000 -- x\n*/;", true},
		{"/*! /* nested */ */", true},
		{"/*!40101 '*/' */", false},
		{"/*!", false},
		{"\u00a0", false},
	} {
		if got := IsBlank(tc.sql); got != tc.blank {
			t.Errorf("IsBlank(%q) = %v, want %v", tc.sql, got, tc.blank)
		}
	}
	for _, tc := range []struct {
		sql  string
		want []string
	}{
		{"SELECT 1; -- ", []string{"SELECT 1"}},
		{"SELECT 1; --;", []string{"SELECT 1", "--"}},
		{"--;", []string{"--"}},
		{"SELECT 1; /*M!100000 SELECT 2 */", []string{"SELECT 1", "/*M!100000 SELECT 2 */"}},
		{"SELECT 1; --", []string{"SELECT 1"}},
		{"SELECT 1;\f", []string{"SELECT 1"}},
		{"SELECT 1 AS x\u00a0; SELECT 2", []string{"SELECT 1 AS x\u00a0", "SELECT 2"}},
	} {
		if got := SplitStatements(tc.sql); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("SplitStatements(%q) = %q, want %q", tc.sql, got, tc.want)
		}
	}
}

// trimMySQLSpace trims what MySQL's parser takes for whitespace.
func trimMySQLSpace(s string) string { return strings.Trim(s, " \t\n\v\f\r") }

// fuzzKeyspaces are the session keyspaces FuzzPlan tries: none, the two
// sharded ones of the example topology and its unsharded one.
var fuzzKeyspaces = []string{"", "customer", "things", "product"}

var fuzzSystemSchemas = []string{"", "information_schema", "performance_schema"}

// fuzzSession is the session of a FuzzPlan input: keyspace from ks, sql_mode
// and current system schema from the bits of flags.
func fuzzSession(ks, flags uint8) Session {
	return Session{
		Keyspace:     fuzzKeyspaces[int(ks)%len(fuzzKeyspaces)],
		SystemSchema: fuzzSystemSchemas[int(flags>>3)%len(fuzzSystemSchemas)],
		Mode: SQLMode{
			ANSIQuotes:         flags&1 != 0,
			NoBackslashEscapes: flags&2 != 0,
			PipesAsConcat:      flags&4 != 0,
		},
	}
}

// FuzzPlan: the planner on arbitrary statement text, in every kind of
// session, as a session runs a text statement (BindSessionTables, Plan,
// BindSession, Plan again) and a prepared one (PlanPrepared); then what the
// executor does with a plan on a sharded keyspace (PlanInsert,
// RouteStatement, PlanOwnedDML, PlanMerge, Text), with a fake
// backend. Nothing panics (errors are fine); a planner without the plan
// cache routes the text the same way (or fails too); planning the same text
// again (a plan cache hit) gives the same plan, even after the executor used
// the first one.
func FuzzPlan(f *testing.F) {
	cfg, err := conf.Load("../conf/examples/sidecar.yaml")
	if err != nil {
		f.Fatal(err)
	}
	topo := cfg.Topology
	for i, s := range fuzzStatements {
		f.Add(s, uint8(i), uint8(i/4))
	}
	for i, s := range fuzzMultiStatements {
		f.Add(s, uint8(i), uint8(0))
	}
	f.Fuzz(func(t *testing.T, sql string, ks, flags uint8) {
		sess := fuzzSession(ks, flags)
		p := NewPlanner(topo, 16, 1<<20)

		// A client with CLIENT_IGNORE_SPACE: only blanks go.
		noBlanks := func(s string) string {
			return strings.Map(func(r rune) rune {
				if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
					return -1
				}
				return r
			}, s)
		}
		if tight := TightenCalls(sql, sess.Mode); noBlanks(tight) != noBlanks(sql) {
			t.Fatalf("TightenCalls(%q) = %q", sql, tight)
		}
		// SET STATEMENT … FOR splits the text in two.
		if prefix, inner, _, ok := SetStatement(sql); ok && prefix+inner != sql {
			t.Fatalf("SetStatement(%q) = %q + %q", sql, prefix, inner)
		}
		// A prepared SET's placeholders: NULL written for each, nothing else changes.
		if text, ok := BindPlaceholders(sql, nil, sess.Mode); ok && text != sql {
			t.Fatalf("BindPlaceholders(%q) without arguments = %q", sql, text)
		}
		if text, ok := BindPlaceholders(sql, Args{{Kind: vindex.Null}}, sess.Mode); ok && len(text) != len(sql)+len("null")-1 {
			t.Fatalf("BindPlaceholders(%q, NULL) = %q", sql, text)
		}
		// A text statement, as session.query plans it.
		bound := BindSessionTables(sql, sess, fakeSessions{})
		if !ContainsFold(sql, "_connect_attrs") && !ContainsFold(sql, "processlist") && bound != sql {
			t.Fatalf("BindSessionTables changed %q into %q", sql, bound)
		}
		plan, err := p.Plan(bound, sess)
		if err == nil && plan.Local == NotLocal && plan.Kind != KindSet {
			vals := SessionValues{LastInsertID: 7, ConnectionID: 12, Database: sess.Keyspace}
			if b := BindSession(bound, vals, sess.Mode); b != bound {
				bound = b
				plan, err = p.Plan(bound, sess)
			}
		}
		// Without the plan cache: the same route, or an error too.
		plain, plainErr := (&Planner{Topo: topo}).Plan(bound, sess)
		if (err == nil) != (plainErr == nil) {
			t.Fatalf("%q: %v with the plan cache, %v without", bound, err, plainErr)
		}
		if err == nil && routeOf(plan) != routeOf(plain) {
			t.Fatalf("%q: %s with the plan cache, %s without", bound, routeOf(plan), routeOf(plain))
		}
		if err == nil {
			// Literals taken out as arguments or left in the parse: the same answer.
			for _, id := range []uint64{1, 100} {
				if cached, parsed := InsertIDGenerated(plan, plan.Args, id), InsertIDGenerated(plain, plain.Args, id); cached != parsed {
					t.Fatalf("%q: insert id %d generated: %v with the plan cache, %v without", bound, id, cached, parsed)
				}
			}
		}
		if err == nil {
			first := describePlan(plan)
			execute(t, p, sess, plan, plan.Args)
			// Once more: from the plan cache when the text normalized.
			again, err := p.Plan(bound, sess)
			if err != nil {
				t.Fatalf("planned %q, then: %v", bound, err)
			}
			if second := describePlan(again); second != first {
				t.Fatalf("planning %q again:\n%s\nthe first time:\n%s", bound, second, first)
			}
		}

		// A prepared statement.
		pp, err := p.PlanPrepared(sql, sess)
		if err == nil {
			if !pp.Prepared {
				t.Fatal("a prepared plan not marked Prepared")
			}
			execute(t, p, sess, pp, fuzzArgs(pp.Stmt, flags))
		}
	})
}

// routeOf is where a plan sends its statement.
func routeOf(p *Plan) string {
	ks, table := "<none>", "<none>"
	if p.Keyspace != nil {
		ks = p.Keyspace.Name
	}
	if p.Table != nil {
		table = p.Table.Name
	}
	return p.Kind.String() + " on " + ks + "." + table
}

// describePlan is what a plan decides, for comparing two plans.
func describePlan(p *Plan) string {
	var args []string
	for _, a := range p.Args {
		args = append(args, strconv.Itoa(int(a.Kind))+":"+string(a.Raw))
	}
	return strings.Join([]string{routeOf(p), strconv.Itoa(int(p.Local)), p.Query, p.Value, p.Column, strconv.FormatBool(p.Sticky), strconv.FormatBool(p.Joined),
		strings.Join(args, ","), p.Text(p.Args)}, "\n")
}

// fuzzArgs are arguments for every placeholder of a prepared statement (the
// client sends as many as the backend counted), of kinds chosen by flags.
func fuzzArgs(stmt ast.StmtNode, flags uint8) Args {
	if stmt == nil {
		return nil
	}
	n := 0
	walk(stmt, func(node ast.Node) bool {
		if v, ok := node.(*paramExpr); ok {
			n = max(n, v.n+1)
		}
		return true
	})
	args := make(Args, n)
	for i := range args {
		switch (int(flags>>5) + i) % 5 {
		case 0:
			args[i] = vindex.NewInt64(int64(i + 1))
		case 1:
			args[i] = vindex.Value{Kind: vindex.VarChar, Raw: []byte("it's")}
		case 2:
			args[i] = vindex.Value{Kind: vindex.Null}
		case 3:
			args[i] = vindex.Value{Kind: vindex.VarBinary, Raw: []byte{0x16, 0x6b, 0x40, 0xb4}}
		case 4:
			args[i] = vindex.NewUint64(1 << 63)
		}
	}
	return args
}

// execute does with a plan what the executor does with a statement on a
// sharded keyspace (sidecar.runSharded), against a fake backend.
func execute(t *testing.T, p *Planner, sess Session, plan *Plan, args Args) {
	t.Helper()
	_ = plan.Text(args)
	row := &engine.Result{Fields: []engine.Field{{Name: "a", Kind: engine.Int}}, Rows: [][][]byte{{[]byte("1")}}}
	if plan.SelectFrom != nil {
		_ = InsertSource(plan, args)
		_, _ = InsertValues(plan, args, row)
	}
	if plan.Subqueries {
		if d, err := p.PlanDMLSubqueries(plan, args, sess); err == nil {
			results := make([]*engine.Result, len(d.Selects))
			for i := range results {
				results[i] = row
			}
			_, _ = d.Substitute(results)
		}
	}
	ks := plan.Keyspace
	if ks == nil || !ks.Sharded || plan.Table == nil {
		return
	}
	ctx := context.Background()
	io := &fakeIO{next: 1, lookups: map[string]vindex.KeyspaceID{"1": vindex.KeyspaceID("\x16k@\xb4J\xbaK\xd6")}}
	// The whole statement as the executor answers it, through a session that
	// writes down what it sends.
	if st, err := PlanStatement(plan); err == nil {
		g := &goldenSession{fakeIO: *io, p: p, plan: plan, sess: sess}
		err := st.Answer(ctx, g, engine.Execution{Args: args, Planned: p.Execution(plan, args, sess)})
		split := false
		switch st := st.(type) {
		case *engine.Write:
			split = st.Split != nil
		case *engine.Select:
			split = st.Split != nil
		}
		if split && err == nil {
			// Each shard's statement, with its own values of the IN list, reads back.
			for _, l := range strings.Split(g.String(), "\n") {
				if _, sql, ok := strings.Cut(l, ": "); ok && sql != "the statement" && !strings.HasPrefix(l, "Write on") && !strings.HasPrefix(l, "Select of") && !strings.HasPrefix(l, "  ") {
					if _, err := parse(sql, plan.Mode); err != nil {
						t.Fatalf("%s\nwritten as %s, which does not parse: %v", plan.Query, sql, err)
					}
				}
			}
		}
	}
	switch plan.Kind {
	case KindInsert, KindReplace:
		checkInsert(t, plan, args, io)
	case KindSelect:
		_, _ = RouteStatement(ctx, plan, args, io)
		_, _ = PlanMerge(plan, args)
		if ev, err := p.Evaluation(plan, sess); err == nil {
			checkEvaluate(t, ev, args)
		}
	case KindUpdate, KindDelete:
		route, err := RouteStatement(ctx, plan, args, io)
		if err != nil || len(plan.Table.Owned) == 0 {
			return
		}
		if owned, err := PlanOwnedDML(plan); err == nil && owned != nil {
			io.sql = io.sql[:0]
			if err := owned.Run(ctx, io, args, route); err != nil {
				return
			}
			// The affected rows' read, once per shard, reads back.
			for _, q := range io.sql {
				_, sql, _ := strings.Cut(q, ": ")
				if _, err := parse(sql, plan.Mode); err != nil {
					t.Fatalf("%s\nreads its rows with %s, which does not parse: %v", plan.Query, sql, err)
				}
			}
		}
	}
}

// checkInsert: the statements an Insert writes from its template (as for a
// prepared statement) read back in the plan's sql_mode, and one the sidecar
// filled nothing into is the statement printed with its arguments.
func checkInsert(t *testing.T, plan *Plan, args Args, io *fakeIO) {
	ins, err := PlanInsert(plan)
	if err != nil {
		return
	}
	out, err := ins.Run(context.Background(), io, args, "")
	if err != nil {
		return
	}
	for _, q := range out.Queries {
		if _, err := parse(q.SQL, plan.Mode); err != nil {
			t.Fatalf("%s\nwritten as %s, which does not parse: %v", plan.Query, q.SQL, err)
		}
	}
	reversible := false // a secondary vindex the sidecar may fill in
	for _, cv := range plan.Table.ColumnVindexes[min(1, len(plan.Table.ColumnVindexes)):] {
		_, ok := cv.Vindex.(vindex.Reversible)
		reversible = reversible || ok
	}
	stmt := *plan.Stmt.(*ast.InsertStmt)
	if ins.Added > 0 || ins.Ignore || reversible || out.InsertID != 0 || len(out.Queries) != 1 || stmt.Setlist {
		return // the sidecar wrote into the rows, or may have dropped some
	}
	if want := printStmt(plan.Leading, &stmt, args, plan.Mode); out.Queries[0].SQL != want {
		t.Fatalf("%s\nwritten as %s\nprinted as %s", plan.Query, out.Queries[0].SQL, want)
	}
}

// checkEvaluate: an engine plan puts every gather in the statement exactly
// once and reduces a gather only by one gathered before it; it runs against
// a cursor that returns no rows.
func checkEvaluate(t *testing.T, ev *engine.Evaluate, args Args) {
	if len(ev.Parts) != len(ev.Slots)+1 || len(ev.Slots) != len(ev.Tables) {
		t.Fatalf("%d parts, %d slots, %d tables:\n%s", len(ev.Parts), len(ev.Slots), len(ev.Tables), engine.Describe(ev))
	}
	seen := map[int]bool{}
	for _, s := range ev.Slots {
		if s < 0 || s >= len(ev.Tables) || seen[s] {
			t.Fatalf("slots %v:\n%s", ev.Slots, engine.Describe(ev))
		}
		seen[s] = true
	}
	for i, g := range ev.Tables {
		if r := g.Reduce; r != nil && (r.Source < 0 || r.Source >= i) {
			t.Fatalf("gather %d reduced by %d:\n%s", i, r.Source, engine.Describe(ev))
		}
	}
	_, _ = ev.Execute(context.Background(), &engine.Env{Cursor: emptyCursor{}, Args: args})
}

type emptyCursor struct{}

func (emptyCursor) Select(context.Context, engine.Read) (*engine.Result, error) {
	return &engine.Result{Fields: []engine.Field{{Name: "id"}}}, nil
}

func (emptyCursor) SelectOn(context.Context, string, string, ...engine.TempTable) (*engine.Result, error) {
	return &engine.Result{Fields: []engine.Field{{Name: "id"}}}, nil
}

// FuzzNormalize: normalize never panics, and its arguments written back
// into the shape's placeholders (each as a literal of its kind) give a
// statement of the same shape and arguments: normalizing loses nothing the
// plan of the shape needs.
func FuzzNormalize(f *testing.F) {
	for _, s := range fuzzStatements {
		f.Add(s, false)
	}
	for _, s := range []string{
		"select * from t where a = 'a\\\\b' and b = 'c\\'d'",
		"select * from t where a = 'a\\%b_\\_' and b = x'00ff' and c = _binary 'q'",
		"insert into t values (1, 'a'), (0002, 'b'), (18446744073709551616, X'')",
		"update t set a = 'x''y' where b = 'z' -- 'c'\n and d = 1 # e\n",
		"select * from t where a = 1/* ? */and b = \"?\" and `?` = '?'",
		"select * from t where a='q'_binary'x' and b = 5'a' and c = 'a'5",
		"select * from t where x 'ab' = x'ab'",
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, sql string, noBackslashEscapes bool) {
		shape, args, ok := normalize(sql, noBackslashEscapes)
		if !ok {
			return
		}
		for _, a := range args {
			switch a.Kind {
			case vindex.VarChar, vindex.VarBinary, vindex.HexString, vindex.HexNum, vindex.Int64, vindex.Uint64, vindex.Decimal:
			default:
				t.Fatalf("normalize(%q): argument of kind %v", sql, a.Kind)
			}
		}
		text, n := fillPlaceholders(t, shape, args, noBackslashEscapes)
		if n != len(args) {
			t.Fatalf("normalize(%q) = %q with %d placeholders and %d arguments", sql, shape, n, len(args))
		}
		shape2, args2, ok := normalize(text, noBackslashEscapes)
		if !ok || shape2 != shape || !sameArgs(args, args2) {
			t.Fatalf("normalize(%q) = %q %v;\nwritten back: %q\nwhich normalizes to %q %v (ok %v)",
				sql, shape, args, text, shape2, args2, ok)
		}
	})
}

func sameArgs(a, b Args) bool {
	return slices.EqualFunc(a, b, func(x, y vindex.Value) bool { return x.Kind == y.Kind && bytes.Equal(x.Raw, y.Raw) })
}

// fillPlaceholders writes args into the `?` placeholders of a shape, which
// are the `?` outside strings, quoted identifiers and comments (normalize
// refuses any other), and returns the text and the number of placeholders.
func fillPlaceholders(t *testing.T, shape string, args Args, noBackslashEscapes bool) (string, int) {
	var b strings.Builder
	n := 0
	for i := 0; i < len(shape); {
		c := shape[i]
		switch {
		case c == '\'':
			end, _, ok := scanString(shape, i, noBackslashEscapes)
			if !ok {
				t.Fatalf("shape %q: unterminated string at %d", shape, i)
			}
			b.WriteString(shape[i:end])
			i = end
		case c == '"' || c == '`':
			end := scanQuoted(shape, i)
			if end < 0 {
				t.Fatalf("shape %q: unterminated quote at %d", shape, i)
			}
			b.WriteString(shape[i:end])
			i = end
		case c == '/' && i+1 < len(shape) && shape[i+1] == '*':
			end := strings.Index(shape[i+2:], "*/")
			if end < 0 {
				t.Fatalf("shape %q: unterminated comment at %d", shape, i)
			}
			b.WriteString(shape[i : i+end+4])
			i += end + 4
		case c == '#' || (c == '-' && i+2 < len(shape) && shape[i+1] == '-' && (shape[i+2] == ' ' || shape[i+2] == '\t')):
			end := strings.IndexByte(shape[i:], '\n')
			if end < 0 {
				end = len(shape) - i
			}
			b.WriteString(shape[i : i+end])
			i += end
		case c == '?':
			if n < len(args) {
				b.WriteString(literalText(args[n], noBackslashEscapes))
			}
			n++
			i++
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), n
}

// literalText is an argument of normalize as SQL text: digits, X'…',
// _binary X'…' or a quoted string.
func literalText(v vindex.Value, noBackslashEscapes bool) string {
	switch v.Kind {
	case vindex.Int64, vindex.Uint64, vindex.Decimal:
		return string(v.Raw)
	case vindex.VarBinary:
		return "_binary X'" + hex.EncodeToString(v.Raw) + "'"
	case vindex.HexString:
		return "X'" + hex.EncodeToString(v.Raw) + "'"
	case vindex.HexNum:
		return "0x" + hex.EncodeToString(v.Raw)
	}
	s := string(v.Raw)
	if !noBackslashEscapes {
		s = strings.ReplaceAll(s, `\`, `\\`)
	}
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}
