package planner

import (
	"context"
	"slices"
	"strings"
	"testing"

	"sidecar/vindex"
)

// TestModernSQL: statements of MySQL 8 and MariaDB that ORMs and people send,
// on a sharded table with a vindex value naming one shard, are parsed,
// routed to that shard and forwarded as the client wrote them.
func TestModernSQL(t *testing.T) {
	p := NewPlanner(loadExample(t), 100, 1<<20)
	for _, sql := range []string{
		"with c as (select * from customer where customer_id = 1) select * from c",
		"with recursive n(i) as (select 1 union all select i + 1 from n where i < 3) select * from customer where customer_id = 1",
		"select customer_id, row_number() over (order by email) as r from customer where customer_id = 1",
		"select email, rank() over w from customer where customer_id = 1 window w as (order by email)",
		"select * from customer where customer_id = 1 for update skip locked",
		"select * from customer where customer_id = 1 for update nowait",
		"select * from customer where customer_id = 1 for share",
		"select * from customer where customer_id = 1 lock in share mode",
		"select sql_calc_found_rows * from customer where customer_id = 1 limit 1",
		"select email, count(*) from customer where customer_id = 1 group by email with rollup",
		"select current_timestamp(6), now(3) from customer where customer_id = 1",
		"select * from customer where customer_id = 1 and email = _utf8mb4'x' collate utf8mb4_bin",
		"select email->>'$.a', email->'$.b' from customer where customer_id = 1",
		"select /*+ MAX_EXECUTION_TIME(1000) */ * from customer use index (primary) where customer_id = 1",
		"select /*+ NO_ICP(customer) */ * from customer force index (primary) where customer_id = 1",
		"select email into @e from customer where customer_id = 1",
		"select email from customer where customer_id = 1 into @e",
		"delete from customer where customer_id = 1 returning email",
		"select * from customer where customer_id = 1 /* trailing comment */",
	} {
		plan, err := p.Plan(sql, Session{Keyspace: "customer"})
		if err != nil {
			t.Errorf("%s: %v", sql, err)
			continue
		}
		r, err := RouteStatement(context.Background(), plan, plan.Args, &fakeIO{})
		if err != nil {
			t.Errorf("%s: %v", sql, err)
			continue
		}
		if len(r.Shards) != 1 || r.Shards[0].Name != "-80" {
			t.Errorf("%s: routed to %v, want -80", sql, r.Shards)
		}
		if got := plan.Text(plan.Args); got != sql {
			t.Errorf("%s: sends %s, want the client's text", sql, got)
		}
	}
}

// TestModernSQLInsert: INSERT … VALUE and INSERT … SET are INSERTs like any
// other.
func TestModernSQLInsert(t *testing.T) {
	p := NewPlanner(loadExample(t), 100, 1<<20)
	for _, sql := range []string{
		"insert into customer(customer_id, email) value (1, 'a')",
		"insert into customer set customer_id = 1, email = 'a'",
	} {
		plan, err := p.Plan(sql, Session{Keyspace: "customer"})
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		ip, err := runInsert(context.Background(), plan, plan.Args, &fakeIO{next: 1})
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		if len(ip.Queries) != 1 || ip.Queries[0].Shard.Name != "-80" || ip.Queries[0].SQL != sql {
			t.Errorf("%s: got %+v", sql, ip.Queries)
		}
	}
}

// TestUnparsedClauses: a clause the parser does not know is kept where the
// statement goes as written, and refused where it would have to be
// rewritten.
func TestUnparsedClauses(t *testing.T) {
	p := NewPlanner(loadExample(t), 100, 1<<20)
	for _, tc := range []struct{ sql, wantErr string }{
		{"select email into @e from customer", "INTO @variable in a SELECT across shards"},
		{"delete from customer where email = 'x' order by email limit 2 returning email", "RETURNING in a DELETE across shards"},
		{"insert ignore into customer(email) values ('a') returning customer_id", "RETURNING in an INSERT IGNORE"},
	} {
		plan, err := p.Plan(tc.sql, Session{Keyspace: "customer"})
		if err == nil {
			if plan.Kind == KindInsert {
				_, err = runInsert(context.Background(), plan, plan.Args, &fakeIO{next: 1})
			} else {
				_, err = RouteStatement(context.Background(), plan, plan.Args, &fakeIO{})
			}
		}
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%s: err %v, want %q", tc.sql, err, tc.wantErr)
		}
	}
}

// TestPlanSet: the SET statements the session keeps itself, and those it
// leaves to the backends (a user variable of the same name, GLOBAL).
func TestPlanSet(t *testing.T) {
	p := NewPlanner(loadExample(t), 100, 1<<20)
	for _, tc := range []struct {
		sql   string
		local Local
		value string
		rest  string
	}{
		{"set autocommit = 0", SetAutocommit, "0", ""},
		{"SET SESSION autocommit = ON", SetAutocommit, "1", ""},
		{"set @@session.autocommit = true", SetAutocommit, "1", ""},
		{"set @@autocommit = off", SetAutocommit, "0", ""},
		{"set global autocommit = 0", NotLocal, "", ""},
		{"set @autocommit = 0", NotLocal, "", ""},
		{"set wait_timeout = 30", SetWaitTimeout, "30", ""},
		{"set @@session.wait_timeout = 10", SetWaitTimeout, "10", ""},
		{"set @wait_timeout = 10", NotLocal, "", ""},
		{"set names utf8mb4 collate 'utf8mb4_general_ci'", SetNames, "set names utf8mb4 collate 'utf8mb4_general_ci'", ""},
		// With other assignments (MariaDB Connector/J on connect), autocommit is taken out.
		{"set autocommit=0, sql_mode = concat(@@sql_mode,',STRICT_TRANS_TABLES')", SetAutocommit, "0",
			"SET @@SESSION.`sql_mode`=CONCAT(@@`sql_mode`, ',STRICT_TRANS_TABLES')"},
		{"set @x = 1, session autocommit = on", SetAutocommit, "1", "SET @`x`=1"},
		{"set @x = 1, global autocommit = 0", NotLocal, "", ""},
		{"set autocommit = default", SetAutocommit, "1", ""},
		// SET TRANSACTION without a scope is the next transaction's (go-sql-driver's BeginTx
		// with an isolation level); with SESSION it is a session variable like any.
		{"SET TRANSACTION ISOLATION LEVEL READ COMMITTED", SetNextTransaction, "SET TRANSACTION ISOLATION LEVEL READ COMMITTED", ""},
		{"/* tx */ set transaction isolation level serializable, read only ;", SetNextTransaction, "set transaction isolation level serializable, read only", ""},
		{"set transaction read write", SetNextTransaction, "set transaction read write", ""},
		{"set session transaction isolation level read committed", NotLocal, "", ""},
		{"set global transaction read only", NotLocal, "", ""},
		{"set transaction read only, read write", NotLocal, "", ""}, // MariaDB's 1064
		{"set transaction isolation level snapshot", NotLocal, "", ""},
	} {
		plan, err := p.Plan(tc.sql, Session{Keyspace: "customer"})
		if err != nil {
			t.Errorf("%s: %v", tc.sql, err)
			continue
		}
		if plan.Local != tc.local || plan.Value != tc.value || plan.SetRest != tc.rest {
			t.Errorf("%s: local %d %q, rest %q, want %d %q, rest %q", tc.sql, plan.Local, plan.Value, plan.SetRest, tc.local, tc.value, tc.rest)
		}
	}
}

// TestSetVariables: what the session keeps of a SET. A SET of literals is
// kept as written, under the keys of the variables it assigns (SetVars); a
// SET of user variables alone, some not literals, by the values it leaves,
// read back (Variables); any other as written, whole.
func TestSetVariables(t *testing.T) {
	p := NewPlanner(loadExample(t), 100, 1<<20)
	for _, tc := range []struct {
		sql       string
		setVars   []string
		variables []string
	}{
		{"set @a = 1, @B = 'x'", []string{"@a", "@b"}, nil},
		{"set session sql_select_limit = 5", []string{"@@sql_select_limit"}, nil},
		{"set @n = @n + 1", nil, []string{"@n"}},
		{"SET @n := @n + 1, @`a b` = rand(), @`x``y` = @n", nil, []string{"@n", "@`a b`", "@`x``y`"}},
		{"set @c = connection_id()", nil, []string{"@c"}},
		{"set @n = @n + 1, sql_mode = ''", nil, nil},
		{"set max_statement_time = @t", nil, nil},
	} {
		plan, err := p.Plan(tc.sql, Session{Keyspace: "customer"})
		if err != nil {
			t.Errorf("%s: %v", tc.sql, err)
			continue
		}
		if !slices.Equal(plan.SetVars, tc.setVars) || !slices.Equal(plan.Variables, tc.variables) {
			t.Errorf("%s: SetVars %q, Variables %q, want %q, %q", tc.sql, plan.SetVars, plan.Variables, tc.setVars, tc.variables)
		}
	}
	// The keys of the variables read back are those of a SET of literals.
	for written, key := range map[string]string{"@n": "@n", "@N": "@n", "@`a b`": "@a b", "@`x``y`": "@x`y", "@'q'": "@'q'"} {
		if got := UserVariableKey(written); got != key {
			t.Errorf("UserVariableKey(%s) = %q, want %q", written, got, key)
		}
	}
}

// TestPrintFunctions: functions the parser reads into TiDB's own names, or whose printing takes a
// `?` for an argument left out, print back as MySQL reads them (a statement sent with each
// shard's own values of an IN list, or a prepared one rendered with its arguments).
func TestPrintFunctions(t *testing.T) {
	args := Args{vindex.NewVarChar("x"), vindex.NewVarChar("xax"), vindex.NewInt64(1), vindex.NewInt64(4)}
	for _, tc := range []struct{ sql, want string }{
		{"update t set a = char(68) where id in (?, ?)", "UPDATE `t` SET `a`=CHAR(68) WHERE `id` IN ('x','xax')"},
		{"update t set a = char(68, 69 using latin1) where id in (?, ?)", "UPDATE `t` SET `a`=CONVERT(CHAR(68, 69) USING 'latin1') WHERE `id` IN ('x','xax')"},
		{"update t set a = insert('abc', 2, 1, 'X') where id in (?, ?)", "UPDATE `t` SET `a`=INSERT('abc', 2, 1, 'X') WHERE `id` IN ('x','xax')"},
		{"update t set a = trim(both ? from ?) where id in (?, ?)", "UPDATE `t` SET `a`=TRIM(BOTH 'x' FROM 'xax') WHERE `id` IN (1,4)"},
		{"update t set a = trim(? from ?) where id in (?, ?)", "UPDATE `t` SET `a`=TRIM('x' FROM 'xax') WHERE `id` IN (1,4)"},
		{"update t set a = trim(leading 'x' from 'xax') where id in (?, ?)", "UPDATE `t` SET `a`=TRIM(LEADING 'x' FROM 'xax') WHERE `id` IN ('x','xax')"},
		{"update t set a = trim(trailing from ?) where id in (?, ?)", "UPDATE `t` SET `a`=TRIM(TRAILING ' ' FROM 'x') WHERE `id` IN ('xax',1)"},
		// A stored function's name that needs its backquotes keeps them.
		{"update t set a = `my func`(1) + `0e1`() + `a?b`() where id in (?, ?)", "UPDATE `t` SET `a`=`my func`(1)+`0e1`()+`a?b`() WHERE `id` IN ('x','xax')"},
	} {
		stmt, err := parse(tc.sql, SQLMode{})
		if err != nil {
			t.Fatalf("%s: %v", tc.sql, err)
		}
		if got := printStmt("", stmt, args, SQLMode{}); got != tc.want {
			t.Errorf("%s\nprinted %s\nwant    %s", tc.sql, got, tc.want)
		}
	}
}

// A name that is not UTF-8 is refused: the parser reads its bytes as '?', and the statement printed
// again would name another column, or hold a `?`. Strings may hold any bytes.
func TestParseInvalidNames(t *testing.T) {
	for _, sql := range []string{"select a\xf6 from t", "select `a\xf6` from t", "delete from t where 0\xf6()", "select 1 from t\xff"} {
		if _, err := parse(sql, SQLMode{}); err == nil || !strings.Contains(err.Error(), "not valid UTF-8") {
			t.Errorf("%q: %v, want a refusal", sql, err)
		}
	}
	for _, c := range []struct {
		sql  string
		mode SQLMode
	}{
		{"select 'a\xf6', \"b\xf6\" from t /* \xf6 */", SQLMode{}},
		{"select 'C:\\', 'caf\xe9' from t", SQLMode{NoBackslashEscapes: true}},
		{"select 1 --\tcaf\xe9\n from t", SQLMode{}},
		{"select /*+ caf\xe9 */ 1 from t # \xff", SQLMode{}},
	} {
		if _, err := parse(c.sql, c.mode); err != nil {
			t.Errorf("%q: strings and comments hold any bytes: %v", c.sql, err)
		}
	}
	if _, err := parse("/*!40101 select a\xf6 from t */", SQLMode{}); err == nil {
		t.Errorf("a name in an executable comment: accepted")
	}
	if _, err := parse("select \"b\xf6\" from t", SQLMode{ANSIQuotes: true}); err == nil {
		t.Errorf("a name in double quotes under ANSI_QUOTES: accepted")
	}
}

// TestPrintIntroducers: a literal written with a character set introducer keeps it when printed:
// _utf8mb4 0x61 is the string 'a', 0x61 its bytes; _binary 0x61 a binary string, 0x61 a number
// where one is wanted.
func TestPrintIntroducers(t *testing.T) {
	stmt, err := parse("select 0x61, _utf8mb4 0x61, _latin1 0x61, X'61', _utf8mb4 X'61', _utf8mb4 b'1100001', _binary 0x61, 'a', _utf8mb4 'a', _latin1 'a' from t", SQLMode{})
	if err != nil {
		t.Fatal(err)
	}
	const want = "SELECT 0x61,_utf8mb4 0x61,_latin1 0x61,x'61',_UTF8MB4 x'61',_UTF8MB4 b'1100001',_binary 0x61,'a',_UTF8MB4'a',_LATIN1'a' FROM `t`"
	if got := printStmt("", stmt, nil, SQLMode{}); got != want {
		t.Errorf("printed %s\nwant    %s", got, want)
	}
}

// TestSetStatement: MariaDB's SET STATEMENT … FOR splits into its assignments and the statement
// (MariaDB Connector/J's query timeout), whatever the values hold.
func TestSetStatement(t *testing.T) {
	for _, tc := range []struct {
		sql, prefix, inner string
		vars               []string
	}{
		{"SET STATEMENT max_statement_time=10 FOR select id from t where id = 1", "SET STATEMENT max_statement_time=10 FOR ", "select id from t where id = 1", []string{"max_statement_time"}},
		{"set statement sql_mode = 'a,for', max_statement_time = (1 + 1) for\n update t set a = 1", "set statement sql_mode = 'a,for', max_statement_time = (1 + 1) for\n ", "update t set a = 1", []string{"sql_mode", "max_statement_time"}},
		{"/* c */ SET STATEMENT max_statement_time=1 FOR /* d */ select 1", "/* c */ SET STATEMENT max_statement_time=1 FOR /* d */ ", "select 1", []string{"max_statement_time"}},
		{"set statement max_statement_time := 10 for select 1", "set statement max_statement_time := 10 for ", "select 1", []string{"max_statement_time"}},
		{"set statement a=1 for set statement b=2 for select 1", "set statement a=1 for ", "set statement b=2 for select 1", []string{"a"}},
	} {
		prefix, inner, vars, ok := SetStatement(tc.sql)
		if !ok || prefix != tc.prefix || inner != tc.inner || !slices.Equal(vars, tc.vars) {
			t.Errorf("%q: %v %q %q %q, want %q %q %q", tc.sql, ok, prefix, inner, vars, tc.prefix, tc.inner, tc.vars)
		}
	}
	// An executable comment: SET STATEMENT, which the session refuses, not read.
	if sql := "set statement a=1 for select /*!100000 1 */"; !IsSetStatement(sql) {
		t.Errorf("%q: not taken for SET STATEMENT", sql)
	} else if _, _, _, ok := SetStatement(sql); ok {
		t.Errorf("%q: read", sql)
	}
	for _, sql := range []string{"set max_statement_time = 1", "set statement max_statement_time = 1 for", "select 1", "set @statement = 1 for"} {
		if _, _, _, ok := SetStatement(sql); ok {
			t.Errorf("%q: taken for SET STATEMENT … FOR", sql)
		}
	}
}

// TestReturningColumns: the SELECT that gives a DELETE … RETURNING routed to
// no shard its columns keeps the list as the client wrote it (the column
// names come from its text), on a line of its own, from the table the
// DELETE names, qualifier dropped.
func TestReturningColumns(t *testing.T) {
	p := NewPlanner(loadExample(t), 100, 1<<20)
	for _, tc := range []struct{ sql, want string }{
		{"delete from customer where customer_id = 1 returning customer_id, upper(email) e -- the end",
			"SELECT customer_id, upper(email) e -- the end\nFROM `customer` LIMIT 0"},
		{"DELETE FROM customer.customer WHERE email = 'x' RETURNING *;", "SELECT *\nFROM `customer` LIMIT 0"},
		// Not a plain list of expressions, a ? in it, no RETURNING, or an INSERT: none.
		{"delete from customer where customer_id = 1 returning customer_id from customer", ""},
		{"delete from customer where customer_id = 1 returning customer_id, '?'", ""},
		{"delete from customer where customer_id = 1", ""},
		{"insert into customer (customer_id, email) values (1, 'x') returning customer_id", ""},
	} {
		plan, err := p.Plan(tc.sql, Session{Keyspace: "customer"})
		if err != nil {
			t.Errorf("%s: %v", tc.sql, err)
			continue
		}
		if got := returningColumns(plan); got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.sql, got, tc.want)
		}
	}
}
