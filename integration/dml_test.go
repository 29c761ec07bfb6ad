package integration

// End-to-end tests of issue 5 on two real MariaDB servers (the environment of sharded_test.go:
// things -80 on server A, things 80- on server B): DELETE and UPDATE of rows of a table owning a
// consistent lookup vindex, transactions and savepoints across both shards, routing by the primary and
// the lookup vindex, operator targeting (`USE things:-80`, SHOW SIDECAR SHARDS, VEXPLAIN), session
// variables on every shard, and sysbench oltp_read_write through a keyspace sharded by hash(id).
//
// Every outcome is checked on the backends themselves (owner rows on the shard of hash(id), lookup rows
// on the shard of unicode_loose_md5(name), nothing else), not only through the sidecar.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// ---------------------------------------------------------------------------------------------------
// Helpers.

// dmlPicker hands out rows whose owner row and lookup row land on chosen shards.
type dmlPicker struct {
	t      *testing.T
	id     int64
	n      int
	prefix string
}

func newDMLPicker(t *testing.T, firstID int64, prefix string) *dmlPicker {
	return &dmlPicker{t: t, id: firstID - 1, prefix: prefix}
}

// row returns a new row: things row on idShard, things_name_lookup row on nameShard.
func (p *dmlPicker) row(idShard, nameShard string) thingRow {
	p.t.Helper()
	var r thingRow
	for p.id++; shardOf(hashKsid(p.t, p.id)) != idShard; p.id++ {
	}
	r.id = p.id
	for {
		p.n++
		name := fmt.Sprintf("%s%d", p.prefix, p.n)
		if shardOf(md5Ksid(p.t, name)) == nameShard {
			r.name = name
			return r
		}
	}
}

// insertSQL is the INSERT of rows.
func dmlInsert(rows ...thingRow) string {
	var vals []string
	for _, r := range rows {
		vals = append(vals, fmt.Sprintf("(%d, '%s')", r.id, r.name))
	}
	return "INSERT INTO things (id, name) VALUES " + strings.Join(vals, ", ")
}

// thingsTable is how the mariadb client (--table) prints `select id, name from things` of rows.
func dmlThingsTable(rows ...thingRow) string {
	if len(rows) == 0 {
		return "Empty set"
	}
	wid, wname := 2, 4
	for _, r := range rows {
		wid = max(wid, len(i64toa(r.id)))
		wname = max(wname, len(r.name))
	}
	line := "+" + strings.Repeat("-", wid+2) + "+" + strings.Repeat("-", wname+2) + "+"
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n| %-*s | %-*s |\n%s\n", line, wid, "id", wname, "name", line)
	for _, r := range rows {
		fmt.Fprintf(&b, "| %*d | %-*s |\n", wid, r.id, wname, r.name)
	}
	b.WriteString(line + "\n")
	if len(rows) == 1 {
		b.WriteString("1 row in set")
	} else {
		fmt.Fprintf(&b, "%d rows in set", len(rows))
	}
	return b.String()
}

// dmlConn is one client session through the sidecar (go-sql-driver/mysql, one connection), so
// BEGIN … COMMIT, SET and USE apply to the statements that follow.
type dmlConn struct {
	t   *testing.T
	ctx context.Context
	c   *sql.Conn
}

func (e *shardedEnv) dmlSession(db string) *dmlConn {
	e.t.Helper()
	ctx := shardedContext(e.t)
	c, err := e.driver(e.sc, db).Conn(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { c.Close() })
	return &dmlConn{t: e.t, ctx: ctx, c: c}
}

// exec runs a statement that must succeed and returns its affected-row count.
func (s *dmlConn) exec(q string, args ...any) int64 {
	s.t.Helper()
	res, err := s.c.ExecContext(s.ctx, q, args...)
	if err != nil {
		s.t.Fatalf("%s %v through the sidecar: %v", q, args, err)
	}
	n, _ := res.RowsAffected()
	return n
}

func (s *dmlConn) execErr(q string, args ...any) error {
	_, err := s.c.ExecContext(s.ctx, q, args...)
	return err
}

// query runs a query that must succeed and returns its rows as text (NULL as "NULL").
func (s *dmlConn) query(q string, args ...any) [][]string {
	s.t.Helper()
	_, rows := s.queryCols(q, args...)
	return rows
}

// tryQuery is query for checks that go on after a failure.
func (s *dmlConn) tryQuery(q string, args ...any) ([][]string, error) {
	rs, err := s.c.QueryContext(s.ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return ScanStrings(rs)
}

func (s *dmlConn) queryCols(q string, args ...any) ([]string, [][]string) {
	s.t.Helper()
	rs, err := s.c.QueryContext(s.ctx, q, args...)
	if err != nil {
		s.t.Fatalf("%s %v through the sidecar: %v", q, args, err)
	}
	cols, err := rs.Columns()
	if err != nil {
		s.t.Fatal(err)
	}
	out, err := ScanStrings(rs)
	if err != nil {
		s.t.Fatalf("%s %v through the sidecar: %v", q, args, err)
	}
	if out == nil {
		out = [][]string{}
	}
	return cols, out
}

// thingsRows is rows as `select id, name` returns them, sorted.
func dmlThingsRows(rows ...thingRow) [][]string {
	out := [][]string{}
	for _, r := range rows {
		out = append(out, []string{i64toa(r.id), r.name})
	}
	return sortedShardRows(out)
}

// lookupWrites are the statements in server m's general log that write things_name_lookup.
func dmlLookupWrites(t *testing.T, m *MariaDB) []string {
	t.Helper()
	var out []string
	verb := regexp.MustCompile(`(?i)^\s*(/\*.*?\*/\s*)*(insert|update|delete|replace)\b`)
	for _, s := range loggedStatements(t, m, "things_name_lookup") {
		if verb.MatchString(s) {
			out = append(out, s)
		}
	}
	return out
}

// ---------------------------------------------------------------------------------------------------
// 1. DELETE of an owner row removes its lookup row.

// Seed 000's `foo` deleted by name, re-inserted with another id, deleted by id, re-inserted: each
// DELETE removes the things row and its things_name_lookup row (foo's is on -80, server A); each
// re-insert writes a lookup row with the new row's keyspace id; nothing is routed by a stale cache
// entry afterwards.
func TestDMLDeleteOwnerRow(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	if shardOf(md5Ksid(t, "foo")) != "-80" || shardOf(md5Ksid(t, "bar")) != "80-" {
		t.Fatal("foo's lookup row belongs on -80 and bar's on 80-")
	}
	bar := thingRow{2, "bar"}
	checkFoo := func(id int64) func() {
		return func() {
			t.Helper()
			e.checkThings(bar, thingRow{id, "foo"})
			// Spelled out: foo's lookup row, on server A, holds hash(id).
			if got := e.a.MustQuery(t, "things_x80", "SELECT hex(keyspace_id) FROM things_name_lookup WHERE name = 'foo'"); !reflect.DeepEqual(got, [][]string{{hashKsid(t, id)}}) {
				t.Errorf("foo's lookup row on server A: %q, want hash(%d) = %s", got, id, hashKsid(t, id))
			}
		}
	}
	noFoo := func() {
		t.Helper()
		e.checkThings(bar)
		for _, m := range []*MariaDB{e.a, e.b} {
			db := map[*MariaDB]string{e.a: "things_x80", e.b: "things_80x"}[m]
			if got := m.MustQuery(t, db, "SELECT count(*) FROM things_name_lookup WHERE name = 'foo'"); got[0][0] != "0" {
				t.Errorf("a lookup row of foo is left on %s", db)
			}
		}
	}
	e.runSteps("things", []cliStep{
		{sql: `INSERT INTO things (id, name) VALUES (1, "foo"), (2, "bar");`, out: "Query OK, 2 rows affected", check: checkFoo(1)},
		// Routed by the lookup vindex (and now in the sidecar's lookup cache).
		{sql: "select id, name from things where name = 'foo';", out: dmlThingsTable(thingRow{1, "foo"})},
		{sql: "delete from things where name = 'foo';", out: "Query OK, 1 row affected", check: noFoo},
		{sql: "select id, name from things where name = 'foo';", out: "Empty set"},
		{sql: "insert into things (id, name) values (7, 'foo');", out: "Query OK, 1 row affected", check: checkFoo(7)},
		{sql: "select id, name from things where name = 'foo';", out: dmlThingsTable(thingRow{7, "foo"})},
		{sql: "delete from things where id = 7;", out: "Query OK, 1 row affected", check: noFoo},
		{sql: "select id, name from things where name = 'foo';", out: "Empty set"},
		{sql: "insert into things (id, name) values (1, 'foo');", out: "Query OK, 1 row affected", check: checkFoo(1)},
		{sql: "delete from things where id = 99;", out: "Query OK, 0 rows affected", check: checkFoo(1)},
		{sql: "select id, name from things where name = 'foo';", out: dmlThingsTable(thingRow{1, "foo"})},
	})

	// A DELETE to all shards (no vindex condition) removes the lookup rows on both shards: three
	// owners of three keyspace ids, their lookup rows on two lookup shards, one DELETE on each.
	p := newDMLPicker(t, 100, "del")
	more := []thingRow{p.row("-80", "80-"), p.row("80-", "-80"), p.row("80-", "80-")}
	e.mustCLI("things", dmlInsert(more...)+";")
	e.checkThings(append([]thingRow{bar, {1, "foo"}}, more...)...)
	lookupDeletes := func() (n int) {
		for _, m := range []*MariaDB{e.a, e.b} {
			for _, s := range dmlLookupWrites(t, m) {
				if strings.Contains(strings.ToLower(s), "delete") {
					n++
				}
			}
		}
		return n
	}
	startGeneralLog(t, e.a)
	startGeneralLog(t, e.b)
	e.runSteps("things", []cliStep{
		{sql: "delete from things where id >= 100;", out: "Query OK, 3 rows affected", check: func() {
			checkFoo(1)()
			stopGeneralLog(t, e.a)
			stopGeneralLog(t, e.b)
			if n := lookupDeletes(); n != 2 {
				t.Errorf("%d lookup DELETE statements for 3 owners on 2 lookup shards, want 2", n)
			}
		}},
		{sql: "delete from things;", out: "Query OK, 2 rows affected", check: func() { e.checkThings() }},
		{sql: `INSERT INTO things (id, name) VALUES (1, "foo"), (2, "bar");`, out: "Query OK, 2 rows affected", check: checkFoo(1)},
	})

	// The same as an application's prepared statement.
	ctx := shardedContext(t)
	db := e.driver(e.sc, "things")
	res, err := db.ExecContext(ctx, "DELETE FROM things WHERE name = ?", "foo")
	if err != nil {
		t.Fatalf("prepared DELETE of foo: %v", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Errorf("prepared DELETE of foo: %d rows affected, want 1", n)
	}
	noFoo()
	if _, err := db.ExecContext(ctx, "INSERT INTO things (id, name) VALUES (?, ?)", 7, "foo"); err != nil {
		t.Fatalf("prepared re-insert of (7, foo): %v", err)
	}
	checkFoo(7)()
}

// A lookup row found for a value spelled otherwise ('FOO' finds foo's row under the column's
// case-insensitive collation) is not cached under that spelling: deleting foo drops only 'foo' from
// the cache, and a later 'Foo' on another shard must be found by 'FOO', not sent to foo's old shard.
// Nor does a transaction cache at COMMIT what it read of a value it then moved, or what it read
// after a savepoint it rolled back to.
func TestDMLLookupCacheStale(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	other := int64(2)
	for shardOf(hashKsid(t, other)) == shardOf(hashKsid(t, 1)) {
		other++
	}
	e.runSteps("things", []cliStep{
		{sql: "insert into things (id, name) values (1, 'foo');", out: "Query OK, 1 row affected"},
		{sql: "select id, name from things where name = 'FOO';", out: dmlThingsTable(thingRow{1, "foo"})},
		{sql: "delete from things where id = 1;", out: "Query OK, 1 row affected"},
		{sql: fmt.Sprintf("insert into things (id, name) values (%d, 'Foo');", other), out: "Query OK, 1 row affected"},
		{sql: "select id, name from things where name = 'FOO';", out: dmlThingsTable(thingRow{other, "Foo"})},
		{sql: "select id, name from things where name = 'Foo';", out: dmlThingsTable(thingRow{other, "Foo"})},
	})

	// A transaction reads foo's lookup row (caching it only at COMMIT), deletes foo and inserts it
	// again on the other shard: COMMIT must not cache foo's old keyspace id.
	ctx := shardedContext(t)
	conn, err := e.driver(e.sc, "things").Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	moved := other + 1000
	for shardOf(hashKsid(t, moved)) == shardOf(hashKsid(t, 1)) {
		moved++
	}
	mustExec(t, ctx, conn, "begin", "insert into things (id, name) values (1, 'bar')", "delete from things where name = 'bar'",
		fmt.Sprintf("insert into things (id, name) values (%d, 'bar')", moved), "commit")
	var id int64
	if err := conn.QueryRowContext(ctx, "select id from things where name = 'bar'").Scan(&id); err != nil || id != moved {
		t.Errorf("bar after the transaction moved it: id %d, %v; want %d", id, err, moved)
	}

	// What a transaction read after a savepoint it rolls back to is not cached at COMMIT: baz's
	// move to the other shard was undone.
	moved2 := moved + 1
	for shardOf(hashKsid(t, moved2)) == shardOf(hashKsid(t, 1)) {
		moved2++
	}
	mustExec(t, ctx, conn, "begin", "insert into things (id, name) values (1, 'baz')", "savepoint s", "delete from things where name = 'baz'",
		fmt.Sprintf("insert into things (id, name) values (%d, 'baz')", moved2))
	if err := conn.QueryRowContext(ctx, "select id from things where name = 'baz'").Scan(&id); err != nil {
		t.Fatal(err)
	}
	mustExec(t, ctx, conn, "rollback to savepoint s", "commit")
	if err := conn.QueryRowContext(ctx, "select id from things where name = 'baz'").Scan(&id); err != nil || id != 1 {
		t.Errorf("baz after its move was rolled back: id %d, %v; want 1", id, err)
	}
}

// An UPDATE across shards reports the rows matched and changed on all of them, as one server's OK
// packet does: drivers read changed rows there (mysql2's changedRows).
func TestDMLUpdateInfoAcrossShards(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	e.mustCLI("customer", "insert into customer (customer_id, email) values (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd');")
	e.runSteps("customer", []cliStep{
		{sql: "update customer set email = 'b' where customer_id > 0;", out: "Query OK, 3 rows affected\nRows matched: 4  Changed: 3  Warnings: 0"},
		{sql: "update customer set email = 'b' where customer_id in (1, 2, 3, 4);", out: "Query OK, 0 rows affected\nRows matched: 4  Changed: 0  Warnings: 0"},
		{sql: "delete from customer where customer_id > 2;", out: "Query OK, 2 rows affected"},
		// Routed to no shard: no row matched, as MariaDB says.
		{sql: "update customer set email = 'b' where customer_id in (null);", out: "Query OK, 0 rows affected\nRows matched: 0  Changed: 0  Warnings: 0"},
		{sql: "delete from customer where customer_id = null;", out: "Query OK, 0 rows affected"},
		// Sums longer than the shards' numbers (the info is length-encoded).
		{sql: "insert into customer (customer_id, email) values (3, 'c'), (4, 'd'), (5, 'e'), (6, 'f'), (7, 'g'), (8, 'h'), (9, 'i'), (10, 'j'), (11, 'k'), (12, 'l');",
			out: "Query OK, 10 rows affected"},
		{sql: "update customer set email = 'z' where customer_id > 0;", out: "Query OK, 12 rows affected\nRows matched: 12  Changed: 12  Warnings: 0"},
		// With LIMIT: the shards one after another, matching as many as MariaDB would.
		{sql: "update customer set email = 'y' where customer_id > 0 limit 5;", out: "Query OK, 5 rows affected\nRows matched: 5  Changed: 5  Warnings: 0"},
		{sql: "update customer set email = 'x' where email = 'z' limit 100;", out: "Query OK, 7 rows affected\nRows matched: 7  Changed: 7  Warnings: 0"},
		// With ORDER BY: a shard none of whose rows come first runs with LIMIT 0, which has no info
		// (helper-50: "Rows matched: 0"); nor has a LIMIT 0 on one server.
		{sql: "update customer set email = 'w' where customer_id > 0 order by customer_id desc limit 1;", out: "Query OK, 1 row affected\nRows matched: 1  Changed: 1  Warnings: 0"},
		{sql: "update customer set email = 'v' where customer_id > 0 order by customer_id limit 0;", out: "Query OK, 0 rows affected"},
		// LIMIT 0 still checks the statement, as MariaDB does (helper-51: OK).
		{sql: "update customer set nosuch = 1 where customer_id > 0 limit 0;", err: "ERROR 1054 (42S22)"},
		{sql: "delete from customer where nosuch > 0 order by customer_id limit 0;", err: "ERROR 1054 (42S22)"},
		{sql: "delete from customer where customer_id > 0 limit 11;", out: "Query OK, 11 rows affected"},
	})
}

// ---------------------------------------------------------------------------------------------------
// 2. UPDATE of the lookup column moves the lookup row.

func TestDMLUpdateLookupColumn(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	foo := thingRow{1, "foo"}
	e.mustCLI("things", `INSERT INTO things (id, name) VALUES (1, "foo"), (2, "bar");`)
	e.checkThings(foo, thingRow{2, "bar"})
	t.Logf("bar's lookup row on %s, baz's on %s", shardOf(md5Ksid(t, "bar")), shardOf(md5Ksid(t, "baz")))
	baz := thingRow{2, "baz"}

	e.runSteps("things", []cliStep{
		{sql: "select id, name from things where name = 'bar';", out: dmlThingsTable(thingRow{2, "bar"})}, // cached now
		{sql: "update things set name = 'baz' where id = 2;", out: "Query OK, 1 row affected\nRows matched: 1  Changed: 1  Warnings: 0", check: func() {
			e.checkThings(foo, baz)
			// Spelled out: bar's row gone from its shard, baz → hash(2) on md5(baz)'s shard.
			if got := e.rows("things", shardOf(md5Ksid(t, "bar")), "SELECT count(*) FROM things_name_lookup WHERE name = 'bar'"); got[0][0] != "0" {
				t.Errorf("bar's lookup row is still on %s", shardOf(md5Ksid(t, "bar")))
			}
			if got := e.rows("things", shardOf(md5Ksid(t, "baz")), "SELECT hex(keyspace_id) FROM things_name_lookup WHERE name = 'baz'"); !reflect.DeepEqual(got, [][]string{{ksidHash2}}) {
				t.Errorf("baz's lookup row on %s: %q, want hash(2) = %s", shardOf(md5Ksid(t, "baz")), got, ksidHash2)
			}
		}},
		{sql: "select id, name from things where name = 'bar';", out: "Empty set"},
		{sql: "select id, name from things where name = 'baz';", out: dmlThingsTable(baz)},
		// bar is free again.
		{sql: "insert into things (id, name) values (4, 'bar');", out: "Query OK, 1 row affected", check: func() { e.checkThings(foo, baz, thingRow{4, "bar"}) }},
		{sql: "delete from things where id = 4;", out: "Query OK, 1 row affected", check: func() { e.checkThings(foo, baz) }},
	})

	// The same value again: the row does not change, and no lookup row is written (MariaDB's general log
	// on both servers shows no write to things_name_lookup).
	t.Run("same value", func(t *testing.T) {
		e := *e
		e.t = t
		startGeneralLog(t, e.a)
		startGeneralLog(t, e.b)
		e.runSteps("things", []cliStep{
			{sql: "update things set name = 'baz' where id = 2;", out: "Query OK, 0 rows affected\nRows matched: 1  Changed: 0  Warnings: 0"},
			{sql: "update things set name = 'baz' where name = 'baz';", out: "Query OK, 0 rows affected\nRows matched: 1  Changed: 0  Warnings: 0"},
		})
		stopGeneralLog(t, e.a)
		stopGeneralLog(t, e.b)
		for _, m := range []*MariaDB{e.a, e.b} {
			if w := dmlLookupWrites(t, m); len(w) > 0 {
				t.Errorf("UPDATE to the current value wrote lookup rows on %s:\n%s", m.Addr(), strings.Join(w, "\n"))
			}
		}
		e.checkThings(foo, baz)
		// The log does show lookup writes when the value changes: to qux and back to baz.
		startGeneralLog(t, e.a)
		startGeneralLog(t, e.b)
		e.mustCLI("things", "update things set name = 'qux' where id = 2;\nupdate things set name = 'baz' where id = 2;")
		stopGeneralLog(t, e.a)
		stopGeneralLog(t, e.b)
		if n := len(dmlLookupWrites(t, e.a)) + len(dmlLookupWrites(t, e.b)); n < 4 {
			t.Errorf("two UPDATEs of name: %d lookup writes in the general logs, want 2 inserts and 2 deletes", n)
		}
		e.checkThings(foo, baz)
	})

	// A value another row owns: ERROR 1062, nothing changed (the owner rows, the lookup rows).
	t.Run("value taken", func(t *testing.T) {
		e := *e
		e.t = t
		check := func() { e.checkThings(foo, baz) }
		e.runSteps("things", []cliStep{
			{sql: "update things set name = 'foo' where id = 2;", err: "ERROR 1062 (23000) at line 1: ", errHas: []string{"foo"}, check: check},
			{sql: "update things set name = 'foo' where name = 'baz';", err: "ERROR 1062 (23000) at line 1: ", errHas: []string{"foo"}, check: check},
			// Two rows set to one new value: the second is a duplicate of the first.
			{sql: "update things set name = 'dup' where id in (1, 2);", err: "ERROR 1062 (23000) at line 1: ", check: check},
			{sql: "select id, name from things where name = 'dup';", out: "Empty set"},
			{sql: "select id, name from things where name = 'foo';", out: dmlThingsTable(foo)},
		})
		// Inside a transaction: the failed statement is undone, the rest commits.
		p := newDMLPicker(t, 100, "upd")
		r := p.row("80-", "-80")
		out, errOut, code := e.cli("things", fmt.Sprintf("BEGIN;\n%s;\nupdate things set name = 'foo' where id = 2;\nCOMMIT;\n", dmlInsert(r)), "--force")
		if lines := cliErrorLines(errOut); code != 0 || len(lines) != 1 || !strings.HasPrefix(lines[0], "ERROR 1062 (23000) at line 3: ") {
			t.Errorf("inside a transaction: exit %d\n%s%s", code, out, errOut)
		}
		e.checkThings(foo, baz, r)
		e.mustCLI("things", fmt.Sprintf("delete from things where id = %d;", r.id))
		check()
	})

	// Moving a value between shards and back, in one statement each, with a prepared statement.
	t.Run("prepared", func(t *testing.T) {
		e := *e
		e.t = t
		ctx := shardedContext(t)
		db := e.driver(e.sc, "things")
		p := newDMLPicker(t, 1, "mv")
		for _, sh := range []string{"-80", "80-", "-80"} {
			name := p.row("-80", sh).name
			res, err := db.ExecContext(ctx, "UPDATE things SET name = ? WHERE id = ?", name, 1)
			if err != nil {
				t.Fatalf("UPDATE things SET name = %q WHERE id = 1: %v", name, err)
			}
			if n, _ := res.RowsAffected(); n != 1 {
				t.Errorf("UPDATE things SET name = %q WHERE id = 1: %d rows affected", name, n)
			}
			e.checkThings(thingRow{1, name}, baz)
			if got := e.query(ctx, db, "SELECT id FROM things WHERE name = ?", name); !reflect.DeepEqual(got, [][]string{{"1"}}) {
				t.Errorf("SELECT id FROM things WHERE name = %q: %q", name, got)
			}
		}
		if _, err := db.ExecContext(ctx, "UPDATE things SET name = ? WHERE id = ?", "foo", 1); err != nil {
			t.Fatal(err)
		}
		e.checkThings(foo, baz)
	})
}

// ---------------------------------------------------------------------------------------------------
// 3. An UPDATE of the primary vindex column is refused.

func TestDMLUpdatePrimaryVindex(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	seed := []thingRow{{1, "foo"}, {2, "bar"}}
	e.mustCLI("things", dmlInsert(seed...)+";")
	e.checkThings(seed...)
	// hash(1), hash(2) → -80; hash(4) → 80-: a row moved to id 4 by an UPDATE on -80 would be on the
	// wrong shard, with a lookup row pointing at its old keyspace id.
	const vt12001 = "ERROR 1235 (42000) at line 1: VT12001: unsupported: you cannot UPDATE primary vindex columns; invalid update on vindex: hash"
	for _, q := range []string{
		"update things set id = 9 where id = 1;",
		"update things set id = id + 10, name = 'x' where name = 'foo';",
		"update things set id = id + 100;",
		"update things set `id` = 4 where id = 1;",
		"update things set things.id = 4 where id = 1;",
		"update things.things set things.id = 4 where id = 1;",
		"update things t set t.id = 4 where t.id = 1;",
		// The lookup column before the primary vindex column in the SET list.
		"update things set name = 'fresh', id = 4 where id = 1;",
		"update things set name = 'fresh', things.id = 4 where id = 2;",
	} {
		t.Run(q, func(t *testing.T) {
			e := *e
			e.t = t
			e.dmlReset(seed...)
			out, errOut, code := e.cli("things", q)
			if lines := cliErrorLines(errOut); code != 1 || len(lines) != 1 || lines[0] != vt12001 {
				t.Errorf("mariadb things <<< %q: exit %d\nstdout:\n%s\nstderr:\n%s\nwant: %s", q, code, out, errOut, vt12001)
			}
			e.checkThings(seed...) // and nothing changed on the backends
		})
	}
	t.Run("prepared", func(t *testing.T) {
		e := *e
		e.t = t
		e.dmlReset(seed...)
		ctx := shardedContext(t)
		db := e.driver(e.sc, "things")
		for _, q := range []string{"UPDATE things SET id = ? WHERE id = ?", "UPDATE things SET name = 'fresh', id = ? WHERE id = ?"} {
			e.dmlReset(seed...)
			_, err := db.ExecContext(ctx, q, 4, 1)
			var me *mysql.MySQLError
			if !errors.As(err, &me) || me.Number != 1235 || me.Message != strings.TrimPrefix(vt12001, "ERROR 1235 (42000) at line 1: ") {
				t.Errorf("prepared %s (4, 1): %v; want %s", q, err, vt12001)
			}
			e.checkThings(seed...)
		}
	})
}

// resetThings writes the things and things_name_lookup tables of both shards directly on MariaDB, so a
// subtest starts from a known state whatever an earlier one left behind.
func (e *shardedEnv) dmlReset(rows ...thingRow) {
	e.t.Helper()
	for _, sh := range shardedShards {
		e.exec("things", sh, "DELETE FROM things; DELETE FROM things_name_lookup")
	}
	for _, r := range rows {
		e.exec("things", shardOf(hashKsid(e.t, r.id)), "INSERT INTO things (id, name) VALUES (?, ?)", r.id, r.name)
		e.exec("things", shardOf(md5Ksid(e.t, r.name)), "INSERT INTO things_name_lookup (name, keyspace_id) VALUES (?, UNHEX(?))", r.name, hashKsid(e.t, r.id))
	}
	e.checkThings(rows...)
}

// ---------------------------------------------------------------------------------------------------
// 4. Transactions across both shards.

func TestDMLTransactions(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	p := newDMLPicker(t, 100, "tx")
	have := []thingRow{{1, "foo"}, {2, "bar"}}
	e.mustCLI("things", dmlInsert(have...)+";")
	e.checkThings(have...)
	// A pair of rows that puts an owner row and a lookup row on each shard.
	pair := func() []thingRow { return []thingRow{p.row("-80", "80-"), p.row("80-", "-80")} }
	// seen asserts what a session sees through the sidecar: every row (scatter), each row by its name
	// (lookup vindex), and no row by the names of gone.
	seen := func(s *dmlConn, want []thingRow, gone []thingRow) {
		s.t.Helper()
		if got := sortedShardRows(s.query("select id, name from things")); !reflect.DeepEqual(got, dmlThingsRows(want...)) {
			s.t.Errorf("the session sees %q, want %q", got, dmlThingsRows(want...))
		}
		for _, r := range want {
			if got := s.query(fmt.Sprintf("select id from things where name = '%s'", r.name)); !reflect.DeepEqual(got, [][]string{{i64toa(r.id)}}) {
				s.t.Errorf("select id from things where name = '%s': %q, want %d", r.name, got, r.id)
			}
		}
		for _, r := range gone {
			if got := s.query(fmt.Sprintf("select id, name from things where name = '%s'", r.name)); len(got) != 0 {
				s.t.Errorf("select id, name from things where name = '%s': %q, want no row", r.name, got)
			}
		}
	}
	// Each subtest starts from `have` on the backends, whatever the one before left.
	sub := func(name string, f func(t *testing.T, e *shardedEnv)) {
		t.Run(name, func(t *testing.T) {
			e := *e
			e.t = t
			e.dmlReset(have...)
			f(t, &e)
		})
	}

	for _, begin := range []string{"BEGIN", "START TRANSACTION"} {
		sub(begin+" … ROLLBACK", func(t *testing.T, e *shardedEnv) {
			s := e.dmlSession("things")
			rows := pair()
			s.exec(begin)
			s.exec(dmlInsert(rows[0]))
			s.exec(dmlInsert(rows[1]))
			seen(s, append(slices.Clone(have), rows...), nil)
			e.checkThings(have...) // nothing committed yet, lookup rows included
			s.exec("ROLLBACK")
			e.checkThings(have...)
			seen(s, have, rows)
			seen(e.dmlSession("things"), have, rows)
		})
		sub(begin+" … COMMIT", func(t *testing.T, e *shardedEnv) {
			s := e.dmlSession("things")
			rows := pair()
			s.exec(begin)
			if n := s.exec(dmlInsert(rows...)); n != 2 {
				t.Errorf("two-shard INSERT in a transaction: %d rows affected", n)
			}
			e.checkThings(have...)
			s.exec("COMMIT")
			e.checkThings(append(slices.Clone(have), rows...)...)
			seen(e.dmlSession("things"), append(slices.Clone(have), rows...), nil)
			if !t.Failed() {
				have = append(have, rows...)
			}
		})
	}

	// DELETE and UPDATE of lookup values rolled back: the lookup rows are where they were.
	sub("DELETE and UPDATE … ROLLBACK", func(t *testing.T, e *shardedEnv) {
		if len(have) < 4 {
			t.Skip("needs the rows of the COMMIT subtests")
		}
		s := e.dmlSession("things")
		s.exec("BEGIN")
		moved := p.row("-80", "80-")
		for _, q := range []string{
			fmt.Sprintf("delete from things where name = '%s'", have[2].name),
			fmt.Sprintf("delete from things where id = %d", have[3].id),
			fmt.Sprintf("update things set name = '%s' where id = 2", moved.name),
		} {
			if n := s.exec(q); n != 1 {
				t.Errorf("%s: %d rows affected", q, n)
			}
		}
		s.exec("ROLLBACK")
		e.checkThings(have...)
		seen(s, have, []thingRow{moved})
	})

	sub("autocommit=0", func(t *testing.T, e *shardedEnv) {
		s := e.dmlSession("things")
		s.exec("SET autocommit=0")
		rows := pair()
		s.exec(dmlInsert(rows[0]))
		s.exec(dmlInsert(rows[1]))
		e.checkThings(have...)
		s.exec("COMMIT")
		e.checkThings(append(slices.Clone(have), rows...)...)
		// The next statement opens the next transaction.
		more := pair()
		s.exec(dmlInsert(more...))
		s.exec(fmt.Sprintf("delete from things where id = %d", rows[0].id))
		s.exec(fmt.Sprintf("update things set name = 'renamed' where id = %d", rows[1].id))
		e.checkThings(append(slices.Clone(have), rows...)...)
		s.exec("ROLLBACK")
		e.checkThings(append(slices.Clone(have), rows...)...)
		seen(s, append(slices.Clone(have), rows...), append(more, thingRow{0, "renamed"}))
		s.exec("SET autocommit=1")
		if !t.Failed() {
			have = append(have, rows...)
		}
	})

	// The mariadb client, as a user types it.
	sub("mariadb client", func(t *testing.T, e *shardedEnv) {
		a, b := pair(), pair()
		e.runSteps("things", []cliStep{
			{sql: "BEGIN;\n" + dmlInsert(a...) + ";\nROLLBACK;", out: "Query OK, 0 rows affected\nQuery OK, 2 rows affected\nQuery OK, 0 rows affected", check: func() { e.checkThings(have...) }},
			{sql: "START TRANSACTION;\n" + dmlInsert(b...) + ";\nCOMMIT;", out: "Query OK, 0 rows affected\nQuery OK, 2 rows affected\nQuery OK, 0 rows affected", check: func() { e.checkThings(append(slices.Clone(have), b...)...) }},
		})
		if !t.Failed() {
			have = append(have, b...)
		}
	})

	// SAVEPOINT with both shards in the transaction before it: inserts after it (owner and lookup rows
	// on both shards) are undone by ROLLBACK TO; what came before it commits.
	sub("SAVEPOINT, ROLLBACK TO: inserts", func(t *testing.T, e *shardedEnv) {
		s := e.dmlSession("things")
		before, after, last := pair(), pair(), pair()
		s.exec("BEGIN")
		s.exec(dmlInsert(before...))
		s.exec("SAVEPOINT s1")
		s.exec(dmlInsert(after...))
		seen(s, slices.Concat(have, before, after), nil)
		s.exec("ROLLBACK TO SAVEPOINT s1")
		seen(s, slices.Concat(have, before), after)
		s.exec(dmlInsert(last[0]))
		s.exec("SAVEPOINT s2")
		s.exec(dmlInsert(last[1]))
		s.exec("RELEASE SAVEPOINT s2")
		wantMySQLError(t, s.execErr("ROLLBACK TO SAVEPOINT s2"), 1305, "42000")
		e.checkThings(have...)
		s.exec("COMMIT")
		e.checkThings(slices.Concat(have, before, last)...)
		seen(e.dmlSession("things"), slices.Concat(have, before, last), after)
	})

	// UPDATE and DELETE of committed rows after the savepoint (their lookup rows deleted and created)
	// undone by ROLLBACK TO: the rows and their lookup rows are as before after COMMIT. (Not of rows
	// inserted in the same transaction: like Vitess, the sidecar writes lookup rows of inserts in the
	// pre-transaction and deletes them in the post-transaction, so that waits for a lock on itself —
	// the limitation Vitess documents for consistent lookups.)
	sub("SAVEPOINT, ROLLBACK TO: update and delete", func(t *testing.T, e *shardedEnv) {
		s := e.dmlSession("things")
		extra := pair()
		s.exec("BEGIN")
		s.exec(dmlInsert(extra...))
		s.exec("SAVEPOINT s1")
		moved := p.row("-80", "80-")
		s.exec(fmt.Sprintf("update things set name = '%s' where id = 1", moved.name))
		s.exec("delete from things where name = 'bar'")
		s.exec(fmt.Sprintf("delete from things where id = %d", have[2].id))
		s.exec("ROLLBACK TO SAVEPOINT s1")
		seen(s, slices.Concat(have, extra), []thingRow{moved})
		s.exec("COMMIT")
		e.checkThings(slices.Concat(have, extra)...)
		seen(e.dmlSession("things"), slices.Concat(have, extra), []thingRow{moved})
		// foo is still taken: a row of another shard cannot have it.
		other := p.row("80-", "80-")
		err := e.dmlSession("things").execErr(fmt.Sprintf("insert into things (id, name) values (%d, 'foo')", other.id))
		if err == nil {
			t.Errorf("insert into things (id, name) values (%d, 'foo') succeeded: foo is in things twice", other.id)
		} else {
			wantMySQLError(t, err, 1062, "23000")
		}
	})

	// SAVEPOINT when only shard -80 is in the transaction: 80- joins after it (owner rows and lookup
	// rows), and ROLLBACK TO undoes what was done there too.
	sub("SAVEPOINT, ROLLBACK TO: shard joins after the savepoint", func(t *testing.T, e *shardedEnv) {
		s := e.dmlSession("things")
		first := p.row("-80", "-80")
		late := []thingRow{p.row("80-", "80-"), p.row("-80", "80-"), p.row("80-", "-80")}
		kept := p.row("80-", "80-")
		s.exec("BEGIN")
		s.exec(dmlInsert(first))
		s.exec("SAVEPOINT s1")
		s.exec(dmlInsert(late[0]))
		s.exec(dmlInsert(late[1:]...))
		seen(s, slices.Concat(have, []thingRow{first}, late), nil)
		s.exec("ROLLBACK TO SAVEPOINT s1")
		seen(s, slices.Concat(have, []thingRow{first}), late)
		s.exec(dmlInsert(kept))
		wantMySQLError(t, s.execErr("ROLLBACK TO SAVEPOINT nope"), 1305, "42000")
		e.checkThings(have...)
		s.exec("COMMIT")
		e.checkThings(slices.Concat(have, []thingRow{first, kept})...)
		seen(e.dmlSession("things"), slices.Concat(have, []thingRow{first, kept}), late)
	})
}

// A deadlock on one shard: MariaDB rolls back the victim's transaction there, and, as on a single
// MySQL, the whole transaction is gone — its writes on the other shard must not survive either (a
// client that ignores the error, as sysbench does with --mysql-ignore-errors=1213, sends COMMIT or
// BEGIN next, and must not commit half a transaction).
func TestDMLTransactionsDeadlock(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	// hash: 1, 2, 3, 5 → -80 (server A); 4, 11 → 80- (server B).
	for id, sh := range map[int64]string{1: "-80", 2: "-80", 3: "-80", 5: "-80", 4: "80-", 11: "80-"} {
		if shardOf(hashKsid(t, id)) != sh {
			t.Fatalf("hash(%d) not on %s", id, sh)
		}
	}
	e.mustCLI("customer", "insert into customer(customer_id, email) values (1, 'a1'), (2, 'a2'), (3, 'a3'), (5, 'a5'), (4, 'b4'), (11, 'b11');")
	emails := func() map[string]string {
		out := map[string]string{}
		for _, sh := range shardedShards {
			for _, r := range e.rows("customer", sh, "SELECT customer_id, email FROM customer") {
				out[r[0]] = r[1]
			}
		}
		return out
	}

	s1, s2 := e.dmlSession("customer"), e.dmlSession("customer")
	s1.exec("BEGIN")
	s1.exec("update customer set email = 's1' where customer_id = 4") // B
	s1.exec("update customer set email = 's1' where customer_id = 1") // A
	s2.exec("BEGIN")
	s2.exec("update customer set email = 's2' where customer_id = 11") // B
	for _, id := range []int{2, 3, 5} {                                // A, one by one: a small table is scanned for an IN list, locking row 1 too
		s2.exec(fmt.Sprintf("update customer set email = 's2' where customer_id = %d", id))
	}
	errc := make(chan error, 1)
	go func() { errc <- s1.execErr("update customer set email = 's1' where customer_id = 2") }() // waits for s2
	deadline := time.Now().Add(10 * time.Second)
	for {
		// (information_schema.innodb_trx does not reliably show the wait as LOCK WAIT; the processlist
		// shows the statement running.)
		if r := e.a.MustQuery(t, "", "SELECT count(*) FROM information_schema.processlist WHERE info LIKE '%email = ''s1'' where customer_id = 2%'"); r[0][0] != "0" {
			time.Sleep(100 * time.Millisecond)
			break
		}
		select {
		case err := <-errc:
			t.Fatalf("s1's UPDATE of customer 2 did not wait for s2's lock: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("s1's UPDATE of customer 2 never reached server A: %q", e.a.MustQuery(t, "", "SELECT id, command, time, coalesce(info, '') FROM information_schema.processlist"))
		}
	}
	err2 := s2.execErr("update customer set email = 's2' where customer_id = 1") // closes the cycle
	err1 := <-errc
	victim, survivor, victimName, survivorName, victimB, survivorRows := s1, s2, "s1", "s2", "4", []string{"11", "2", "3", "5", "1"}
	switch {
	case err1 != nil && err2 == nil:
	case err2 != nil && err1 == nil:
		victim, survivor, victimName, survivorName, victimB, survivorRows = s2, s1, "s2", "s1", "11", []string{"4", "1", "2"}
	default:
		t.Fatalf("want one deadlock victim: s1 got %v, s2 got %v", err1, err2)
	}
	wantMySQLError(t, map[bool]error{true: err1, false: err2}[err1 != nil], 1213, "40001")
	t.Logf("deadlock victim: %s", victimName)
	// The victim carries on as sysbench does: COMMIT (or the next BEGIN, which commits implicitly).
	if err := victim.execErr("COMMIT"); err != nil {
		t.Logf("COMMIT after the deadlock: %v", err)
	}
	survivor.exec("COMMIT")
	want := map[string]string{"1": "a1", "2": "a2", "3": "a3", "5": "a5", "4": "b4", "11": "b11"}
	for _, id := range survivorRows {
		want[id] = survivorName
	}
	if got := emails(); !reflect.DeepEqual(got, want) {
		t.Errorf("after the deadlock (victim %s) and both COMMITs, the backends hold %v, want %v (customer %s: the victim's write on 80- must be rolled back with the rest of its transaction)",
			victimName, got, want, victimB)
	}
}

// A deadlock across two shards is a lock wait on each server: neither InnoDB sees the cycle, which
// innodb_lock_wait_timeout (50 s here) would end. The sidecar finds it in the servers' lock waits:
// the session whose statement came last gets 1213 within about two seconds and its whole
// transaction is rolled back on both shards, as one server ends a deadlock; the other goes on.
func TestDMLCrossShardDeadlock(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	e.mustCLI("customer", "insert into customer(customer_id, email) values (1, 'a1'), (4, 'b4');") // 1 → -80 (A), 4 → 80- (B)

	s1, s2 := e.dmlSession("customer"), e.dmlSession("customer")
	s1.exec("BEGIN")
	s1.exec("update customer set email = 's1' where customer_id = 1") // A
	s2.exec("BEGIN")
	s2.exec("update customer set email = 's2' where customer_id = 4") // B
	start := time.Now()
	errc := make(chan error, 1)
	go func() { errc <- s1.execErr("update customer set email = 's1' where customer_id = 4") }() // waits for s2 on B
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if r := e.b.MustQuery(t, "", "SELECT count(*) FROM information_schema.processlist WHERE info LIKE '%email = ''s1'' where customer_id = 4%'"); r[0][0] != "0" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("s1's UPDATE of customer 4 never reached server B")
		}
	}
	err2 := s2.execErr("update customer set email = 's2' where customer_id = 1") // waits for s1 on A: the cycle
	wantMySQLError(t, err2, 1213, "40001")
	if err1 := <-errc; err1 != nil {
		t.Fatalf("s1, not the victim: %v", err1)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("the deadlock lasted %v", d)
	}
	s1.exec("COMMIT")
	s2.exec("COMMIT") // nothing of s2's transaction is left to commit
	for id, sh := range map[string]string{"1": "-80", "4": "80-"} {
		if r := e.rows("customer", sh, "SELECT email FROM customer WHERE customer_id = "+id); len(r) != 1 || r[0][0] != "s1" {
			t.Errorf("customer %s: %v, want s1", id, r)
		}
	}
}

// backend.lock_wait_timeout holds on a connection reset after a client left session state on it:
// with one connection per shard, the second mariadb session gets the connection the first one's
// sql_mode was reset on when it quit. (@@pseudo_thread_id is the backend connection's id: CONNECTION_ID()
// is the client's sidecar connection.)
func TestDMLLockWaitTimeoutAfterReset(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{backend: "pool_size: 1, lock_wait_timeout: 2s"})
	const show = "SELECT @@pseudo_thread_id, @@innodb_lock_wait_timeout, @@sql_mode;"
	first := strings.Fields(e.mustCLI("customer", "SET SESSION sql_mode = 'ANSI_QUOTES';\n"+show, "--batch", "--skip-column-names"))
	got := strings.Fields(e.mustCLI("customer", show, "--batch", "--skip-column-names"))
	if len(first) != 3 || len(got) != 3 || first[1] != "2" || first[2] != "ANSI_QUOTES" ||
		got[0] != first[0] || got[1] != "2" || strings.Contains(got[2], "ANSI_QUOTES") {
		t.Fatalf("backend connection id, lock wait timeout, sql_mode: %q, then %q; want one connection, 2 both times, the sql_mode reset", first, got)
	}
}

// ---------------------------------------------------------------------------------------------------
// 5. Routing.

func TestDMLRouting(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	all := []thingRow{{1, "foo"}, {2, "bar"}, {3, "c3"}, {4, "d4"}, {5, "e5"}, {11, "k11"}}
	e.mustCLI("things", dmlInsert(all...)+";")
	e.checkThings(all...)
	// hash: 1, 2, 3, 5 → -80 (server A); 4, 11 → 80- (server B); bar's lookup row is on 80-.
	if shardOf(ksidHash2) != "-80" || shardOf(ksidHash4) != "80-" || shardOf(md5Ksid(t, "bar")) != "80-" {
		t.Fatal("placement assumptions")
	}

	t.Run("lookup vindex", func(t *testing.T) {
		e := *e
		e.t = t
		s := e.dmlSession("things")
		startGeneralLog(t, e.a)
		startGeneralLog(t, e.b)
		for range 2 {
			if got := s.query("select * from things where name = 'bar'"); !reflect.DeepEqual(got, [][]string{{"2", "bar"}}) {
				t.Errorf("select * from things where name = 'bar': %q", got)
			}
		}
		stopGeneralLog(t, e.a)
		stopGeneralLog(t, e.b)
		// The owner query went to -80 only, twice; bar's lookup row was read at most once (the second
		// time the cache answers).
		if got := len(loggedStatements(t, e.a, "from things where name = 'bar'")); got != 2 {
			t.Errorf("server A (-80) got the SELECT %d times, want 2", got)
		}
		if got := loggedStatements(t, e.b, "from things where name = 'bar'"); len(got) != 0 {
			t.Errorf("server B (80-) got the SELECT: %q", got)
		}
		if got := loggedStatements(t, e.b, "things_name_lookup"); len(got) > 1 {
			t.Errorf("bar's lookup row read %d times for 2 SELECTs (no cache?): %q", len(got), got)
		}
		if got := loggedStatements(t, e.a, "things_name_lookup"); len(got) != 0 {
			t.Errorf("server A got lookup queries: %q", got)
		}

		// VEXPLAIN: at most one lookup query (on 80-, where bar's lookup row lives) and the owner
		// query on -80 only.
		cols, rows := s.queryCols("vexplain select * from things where name = 'bar'")
		t.Logf("VEXPLAIN columns %q rows %q", cols, rows)
		var lookups, owner, route [][]string
		for _, r := range rows {
			if len(r) != 4 {
				t.Fatalf("VEXPLAIN row %q: want #, keyspace, shard, query", r)
			}
			switch {
			case strings.HasPrefix(r[3], "(plan) "): // the Select and its Route
			case strings.HasPrefix(r[3], "(route) "):
				route = append(route, r)
			case strings.Contains(r[3], "things_name_lookup"):
				lookups = append(lookups, r)
			case strings.Contains(r[3], "from things"):
				owner = append(owner, r)
			default:
				t.Errorf("VEXPLAIN: unexpected step %q", r)
			}
		}
		if len(lookups) > 1 || (len(lookups) == 1 && (lookups[0][1] != "things" || lookups[0][2] != "80-")) {
			t.Errorf("VEXPLAIN lookup steps %q, want at most one, on things/80-", lookups)
		}
		if len(owner) != 1 || owner[0][1] != "things" || owner[0][2] != "-80" {
			t.Errorf("VEXPLAIN owner steps %q, want one, on things/-80", owner)
		}
		// How the shard was found: the lookup vindex of name, one value, one shard.
		if len(route) != 1 || !strings.HasPrefix(route[0][3], "(route) Route EqualUnique: name by vindex ") || !strings.HasSuffix(route[0][3], ", 1 value(s); 1 shard(s)") {
			t.Errorf("VEXPLAIN route step %q, want one naming name's vindex, 1 value and 1 shard", route)
		}
	})

	t.Run("primary vindex", func(t *testing.T) {
		e := *e
		e.t = t
		s := e.dmlSession("things")
		if got := sortedShardRows(s.query("select id, name from things where id in (1, 4)")); !reflect.DeepEqual(got, dmlThingsRows(all[0], all[3])) {
			t.Errorf("where id in (1, 4): %q", got)
		}
		if got := sortedShardRows(s.query("select id, name from things where id in (1, 4, 99)")); !reflect.DeepEqual(got, dmlThingsRows(all[0], all[3])) {
			t.Errorf("where id in (1, 4, 99): %q", got)
		}
		shardsOf := func(q string) []string {
			t.Helper()
			var out []string
			for _, r := range s.query("vexplain " + q) {
				if strings.Contains(strings.ToLower(strings.ReplaceAll(r[3], "`", "")), "from things") { // as sent, or printed with its own values of an IN list
					out = append(out, r[2])
				}
			}
			sort.Strings(out)
			return out
		}
		for q, want := range map[string][]string{
			"select id, name from things where id in (1, 4)":  {"-80", "80-"},
			"select id, name from things where id in (1, 2)":  {"-80"},
			"select id, name from things where id in (4, 11)": {"80-"},
			"select id, name from things where id = 5":        {"-80"},
			"select id, name from things where id > 3":        {"-80", "80-"},
		} {
			if got := shardsOf(q); !reflect.DeepEqual(got, want) {
				t.Errorf("VEXPLAIN %s: shards %q, want %q", q, got, want)
			}
		}
		// A merged SELECT shows what each shard is sent (keys by position, their weight strings,
		// the LIMIT pushed down) and what the merge does with the rows.
		var steps []string
		for _, r := range s.query("vexplain select id, name from things order by name desc limit 1, 2") {
			steps = append(steps, r[1]+"/"+r[2]+": "+r[3])
		}
		sent := "select id, name, weight_string(name), if(left(concat(' ', name), 1) = '', weight_string(left(concat(' ', name), 1)), '') from things order by 2 desc limit 3"
		// Printed from the parse: compared without case, quotes and spaces.
		squeeze := strings.NewReplacer("`", "", " ", "").Replace
		if want := []string{"things/: (plan) Select of things: one shard's answer relayed, several shards' merged",
			"things/: (plan)   Route Scatter: every shard of things, no vindex condition in the WHERE clause",
			"things/: (route) Route Scatter: every shard of things, no vindex condition in the WHERE clause; 2 shard(s)", "things/-80: " + sent, "things/80-: " + sent,
			"/: (merge) Limit offset=1 count=2", "/: (merge)   MergeSort by [1w(h0,h1) desc] of the shards' sorted rows"}; !strings.EqualFold(squeeze(strings.Join(steps, "\n")), squeeze(strings.Join(want, "\n"))) {
			t.Errorf("VEXPLAIN of a merged SELECT:\n%s\nwant\n%s", strings.Join(steps, "\n"), strings.Join(want, "\n"))
		}
	})

	// An application's prepared SELECT by a lookup value that maps nowhere gets no row, as the text
	// statement does (and as MySQL and Vitess answer).
	t.Run("lookup value with no row", func(t *testing.T) {
		e := *e
		e.t = t
		ctx := shardedContext(t)
		db := e.driver(e.sc, "things")
		if got := e.query(ctx, db, "select id, name from things where name = 'nosuch'"); len(got) != 0 {
			t.Errorf("text select … where name = 'nosuch': %q", got)
		}
		for _, q := range []string{"SELECT id, name FROM things WHERE name = ?", "SELECT id, name FROM things WHERE name IN (?, ?)"} {
			args := []any{"nosuch", "nosuch2"}[:strings.Count(q, "?")]
			rows, err := db.QueryContext(ctx, q, args...)
			if err != nil {
				t.Errorf("prepared %s %q: %v", q, args, err)
				continue
			}
			got, err := ScanStrings(rows)
			if err != nil || len(got) != 0 {
				t.Errorf("prepared %s %q: %q, %v; want no row", q, args, got, err)
			}
		}
		// And the statement is still usable for a value that exists.
		if got := e.query(ctx, db, "SELECT id, name FROM things WHERE name = ?", "bar"); !reflect.DeepEqual(got, [][]string{{"2", "bar"}}) {
			t.Errorf("prepared SELECT … WHERE name = 'bar': %q", got)
		}
	})

	t.Run("keyspace-qualified", func(t *testing.T) {
		e := *e
		e.t = t
		s := e.dmlSession("customer")
		if got := s.query("select * from things.things where id = 1"); !reflect.DeepEqual(got, [][]string{{"1", "foo"}}) {
			t.Errorf("select * from things.things where id = 1 (session on customer): %q", got)
		}
		if got := s.query("select id from things.things where name = 'bar'"); !reflect.DeepEqual(got, [][]string{{"2"}}) {
			t.Errorf("select id from things.things where name = 'bar' (session on customer): %q", got)
		}
		if got := sortedShardRows(s.query("select id, name from things.things")); !reflect.DeepEqual(got, dmlThingsRows(all...)) {
			t.Errorf("select id, name from things.things (session on customer): %q", got)
		}
		// An unqualified name that is not in the session's keyspace is not found.
		if err := s.execErr("select * from things where id = 1"); err == nil {
			t.Error("select * from things in keyspace customer: no error")
		} else {
			wantMySQLError(t, err, 1146, "42S02")
		}
		// A DML with a qualified name from another keyspace is routed the same.
		if n := s.exec("update things.things set name = 'c3x' where id = 3"); n != 1 {
			t.Errorf("update things.things: %d rows affected", n)
		}
		all[2].name = "c3x"
		e.checkThings(all...)
	})

	t.Run("no USE", func(t *testing.T) {
		e := *e
		e.t = t
		s := e.dmlSession("")
		if got := s.query("select id, name from things where id = 1"); !reflect.DeepEqual(got, [][]string{{"1", "foo"}}) {
			t.Errorf("select … from things where id = 1 with no keyspace: %q", got)
		}
		if got := s.query("select id, name from things where name = 'bar'"); !reflect.DeepEqual(got, [][]string{{"2", "bar"}}) {
			t.Errorf("select … from things where name = 'bar' with no keyspace: %q", got)
		}
		if got := sortedShardRows(s.query("select id, name from things")); !reflect.DeepEqual(got, dmlThingsRows(all...)) {
			t.Errorf("select id, name from things with no keyspace: %q", got)
		}
		if got := s.query("select count(*) from corder"); !reflect.DeepEqual(got, [][]string{{"0"}}) {
			t.Errorf("select count(*) from corder with no keyspace: %q", got)
		}
		if n := s.exec("delete from things where id = 11"); n != 1 {
			t.Errorf("delete from things where id = 11 with no keyspace: %d rows affected", n)
		}
		all = slices.DeleteFunc(all, func(r thingRow) bool { return r.id == 11 })
		e.checkThings(all...)
		// The CLI without a database.
		out := e.mustCLI("", "select id, name from things where name = 'foo';")
		if out != "id\tname\n1\tfoo\n" {
			t.Errorf("mariadb (no database) <<< select … where name = 'foo': %q", out)
		}
	})
}

// ---------------------------------------------------------------------------------------------------
// 6. Operator targeting.

func TestDMLOperatorTargeting(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	all := []thingRow{{1, "foo"}, {2, "bar"}, {3, "c3"}, {4, "d4"}, {5, "e5"}, {11, "k11"}}
	e.mustCLI("things", dmlInsert(all...)+";")
	e.checkThings(all...)

	t.Run("USE keyspace:shard", func(t *testing.T) {
		e := *e
		e.t = t
		for _, sh := range shardedShards {
			direct := sortedShardRows(e.rows("things", sh, "SELECT id, name FROM things"))
			if len(direct) == 0 || len(direct) == len(all) {
				t.Fatalf("shard %s holds %d of %d rows: not a test of targeting", sh, len(direct), len(all))
			}
			// The mariadb client.
			out := e.mustCLI("things", fmt.Sprintf("USE things:%s\nselect id, name from things;", sh))
			var got [][]string
			for i, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
				if i > 0 {
					got = append(got, strings.Split(l, "\t"))
				}
			}
			if got = sortedShardRows(got); !reflect.DeepEqual(got, direct) {
				t.Errorf("mariadb: USE things:%s; select id, name from things: %q; the backend holds %q", sh, got, direct)
			}
			// An application (COM_QUERY USE, then statements in the same session).
			s := e.dmlSession("things")
			s.exec("USE things:" + sh)
			if got := sortedShardRows(s.query("select id, name from things")); !reflect.DeepEqual(got, direct) {
				t.Errorf("USE things:%s; select id, name from things: %q; the backend holds %q", sh, got, direct)
			}
			if got := s.query("select count(*) from things"); !reflect.DeepEqual(got, [][]string{{strconv.Itoa(len(direct))}}) {
				t.Errorf("USE things:%s; select count(*) from things: %q, want %d", sh, got, len(direct))
			}
			// The statement goes as is: a lookup row is read where it is, not routed by its own vindex.
			lookupDirect := sortedShardRows(e.rows("things", sh, "SELECT name, hex(keyspace_id) FROM things_name_lookup"))
			if got := sortedShardRows(s.query("select name, hex(keyspace_id) from things_name_lookup")); !reflect.DeepEqual(got, lookupDirect) {
				t.Errorf("USE things:%s; select … from things_name_lookup: %q; the backend holds %q", sh, got, lookupDirect)
			}
			// Back to the whole keyspace.
			s.exec("USE things")
			if got := sortedShardRows(s.query("select id, name from things")); !reflect.DeepEqual(got, dmlThingsRows(all...)) {
				t.Errorf("USE things; select id, name from things: %q", got)
			}
		}
	})

	t.Run("SHOW SIDECAR SHARDS", func(t *testing.T) {
		e := *e
		e.t = t
		s := e.dmlSession("things")
		cols, rows := s.queryCols("SHOW SIDECAR SHARDS")
		t.Logf("columns %q", cols)
		idx := map[string]int{}
		for i, c := range cols {
			idx[strings.ToLower(c)] = i
		}
		for _, c := range []string{"keyspace", "shard", "address", "database"} {
			if _, ok := idx[c]; !ok {
				t.Fatalf("SHOW SIDECAR SHARDS has no column %q: %q", c, cols)
			}
		}
		var got, want [][]string
		for _, r := range rows {
			got = append(got, []string{r[idx["keyspace"]], r[idx["shard"]], r[idx["address"]], r[idx["database"]]})
		}
		for ks, shards := range shardBackends {
			for sh, be := range shards {
				want = append(want, []string{ks, sh, e.server(be.server).Addr(), be.db})
			}
		}
		if len(rows) != 5 || !reflect.DeepEqual(sortedShardRows(got), sortedShardRows(want)) {
			t.Errorf("SHOW SIDECAR SHARDS: %q, want (keyspace, shard, address, database) %q", rows, sortedShardRows(want))
		}
	})

	t.Run("VEXPLAIN writes nothing", func(t *testing.T) {
		e := *e
		e.t = t
		s := e.dmlSession("things")
		startGeneralLog(t, e.a)
		startGeneralLog(t, e.b)
		rows := s.query("VEXPLAIN insert into things(id,name) values (30,'q')")
		t.Logf("VEXPLAIN insert: %q", rows)
		var lookup, owner []string
		if len(rows) == 0 || rows[0][3] != "(plan) Insert into things.things: 1 row(s), keyspace id from id by vindex hash (hash), lookup rows of things_name_lookup written first; one statement per shard" {
			t.Errorf("VEXPLAIN insert: want the engine's Insert described first: %q", rows)
		} else {
			rows = rows[1:]
		}
		for _, r := range rows {
			switch {
			case regexp.MustCompile(`(?i)^insert into .?things_name_lookup`).MatchString(r[3]):
				lookup = append(lookup, r[1]+"/"+r[2])
				if !strings.Contains(r[3], "'q'") || !strings.Contains(strings.ToUpper(r[3]), hashKsid(t, 30)) {
					t.Errorf("VEXPLAIN lookup insert %q: want q → hash(30) = %s", r[3], hashKsid(t, 30))
				}
			case regexp.MustCompile(`(?i)^insert into .?things.? ?\(`).MatchString(r[3]):
				owner = append(owner, r[1]+"/"+r[2])
			default:
				t.Errorf("VEXPLAIN insert: unexpected step %q", r)
			}
		}
		if want := []string{"things/" + shardOf(md5Ksid(t, "q"))}; !reflect.DeepEqual(lookup, want) {
			t.Errorf("VEXPLAIN insert: lookup insert on %q, want %q", lookup, want)
		}
		if want := []string{"things/" + shardOf(hashKsid(t, 30))}; !reflect.DeepEqual(owner, want) {
			t.Errorf("VEXPLAIN insert: owner insert on %q, want %q", owner, want)
		}
		if len(rows) > 0 && !strings.Contains(rows[0][3], "things_name_lookup") {
			t.Errorf("VEXPLAIN insert: the lookup insert must come first: %q", rows)
		}
		// An INSERT IGNORE lists its writes once: nothing ran, so no row is known to be skipped.
		for _, r := range s.query("VEXPLAIN insert ignore into things (id, name) values (1, 'a'), (30, 'q')") {
			if strings.Contains(strings.ToLower(r[3]), "union all") {
				t.Errorf("VEXPLAIN insert ignore: %q", r)
			}
		}
		// A DELETE and an UPDATE of owner rows, and an INSERT drawing a sequence value.
		nextSeq := e.nextID("corder_seq")
		for _, q := range []string{
			"VEXPLAIN delete from things where name = 'foo'",
			"VEXPLAIN update things set name = 'zz' where id = 2",
			"VEXPLAIN delete from things",
			"VEXPLAIN insert into customer.corder(customer_id, product_id, oname) values (1, 1, 'x')",
		} {
			t.Logf("%s: %q", q, s.query(q))
		}
		// Writes that read first (INSERT … SELECT, a DELETE with a subquery): the plan, then each
		// read as VEXPLAIN lists that SELECT.
		for q, read := range map[string]string{
			"VEXPLAIN insert into things (id, name) select id + 1000, concat(name, '-copy') from things where id = 1": "from things where id=1",
			"VEXPLAIN delete from things where id in (select id from things where name = 'foo')":                      "from things where name='foo'",
		} {
			rows := s.query(q)
			t.Logf("%s: %q", q, rows)
			if len(rows) == 0 || !strings.HasPrefix(rows[0][3], "(plan) Staged on things: the reads first, then ") {
				t.Errorf("%s: want the staged plan first: %q", q, rows)
			}
			// Printed from the parse: compared without case, quotes and spaces.
			squeeze := strings.NewReplacer("`", "", " ", "")
			found := false
			for _, r := range rows {
				found = found || (r[2] != "" && strings.Contains(strings.ToLower(squeeze.Replace(r[3])), squeeze.Replace(read)))
			}
			if !found {
				t.Errorf("%s: no shard's read %q in %q", q, read, rows)
			}
		}
		stopGeneralLog(t, e.a)
		stopGeneralLog(t, e.b)
		e.checkThings(all...)
		if got := e.nextID("corder_seq"); got != nextSeq {
			t.Errorf("VEXPLAIN of a sequence insert moved corder_seq from %d to %d", nextSeq, got)
		}
		e.checkCorders()
		write := regexp.MustCompile(`(?i)^\s*(/\*.*?\*/\s*)*(insert|update|delete|replace|begin|start|commit|savepoint)\b`)
		for _, m := range []*MariaDB{e.a, e.b} {
			for _, st := range loggedStatements(t, m, "") {
				if write.MatchString(st) {
					t.Errorf("VEXPLAIN sent to %s: %s", m.Addr(), st)
				}
			}
		}
	})
}

// ---------------------------------------------------------------------------------------------------
// 7. Session variables on every shard.

func TestDMLSessionVariables(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	all := []thingRow{{1, "foo"}, {2, "bar"}, {3, "c3"}, {4, "d4"}, {5, "e5"}, {11, "k11"}}
	e.mustCLI("things", dmlInsert(all...)+";")
	ids := func(rows ...thingRow) [][]string {
		var out [][]string
		for _, r := range rows {
			out = append(out, []string{i64toa(r.id)})
		}
		return sortedShardRows(out)
	}

	s := e.dmlSession("things")
	// Set before the session has any backend connection to things.
	s.exec("SET SESSION sql_mode = 'ANSI_QUOTES'")
	s.exec("SET time_zone = '+05:00'")
	// Double quotes are identifiers now, on both shards (without ANSI_QUOTES "id" is the string 'id').
	for _, c := range []struct {
		q    string
		want [][]string
	}{
		{`select "id" from things`, ids(all...)},
		{`select "id", "name" from things where "id" in (1, 4)`, dmlThingsRows(all[0], all[3])},
		{`select "id", "name" from "things" where id in (1, 4)`, dmlThingsRows(all[0], all[3])},
		{`select "id", "name" from "things" where "id" in (1, 4)`, dmlThingsRows(all[0], all[3])},
		{`select "id", "name" from "things" where "name" = 'bar'`, dmlThingsRows(all[1])},
		{`select "id" from things order by "id" desc limit 2`, [][]string{{"11"}, {"5"}}},
		{`select max("id"), count("name") from things`, [][]string{{"11", "6"}}},
	} {
		got, err := s.tryQuery(c.q)
		if !strings.Contains(c.q, "order by") {
			got = sortedShardRows(got)
		}
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("ANSI_QUOTES: %s: %q, %v; want %q", c.q, got, err, c.want)
		}
	}
	for _, sh := range shardedShards {
		s.exec("USE things:" + sh)
		want := [][]string{{"+05:00", "ANSI_QUOTES"}}
		if got := s.query("select @@session.time_zone, @@session.sql_mode"); !reflect.DeepEqual(got, want) {
			t.Errorf("on shard %s: time_zone, sql_mode = %q, want %q", sh, got, want)
		}
	}
	s.exec("USE things")
	// In a transaction, and a variable changed again: both shards see the new value.
	s.exec("BEGIN")
	s.exec("SET SESSION sql_mode = ''")
	if got := sortedShardRows(s.query(`select "id" from things where id in (1, 4)`)); !reflect.DeepEqual(got, [][]string{{"id"}, {"id"}}) {
		t.Errorf(`sql_mode '': select "id" from things where id in (1, 4): %q, want the string twice`, got)
	}
	s.exec("COMMIT")
	for _, sh := range shardedShards {
		s.exec("USE things:" + sh)
		if got := s.query("select @@session.time_zone, @@session.sql_mode"); !reflect.DeepEqual(got, [][]string{{"+05:00", ""}}) {
			t.Errorf("on shard %s after SET sql_mode = '': %q", sh, got)
		}
	}
	// Another session is not affected.
	o := e.dmlSession("things")
	o.exec("USE things:80-")
	if got := o.query("select @@session.time_zone, @@session.sql_mode like '%ANSI_QUOTES%'"); !reflect.DeepEqual(got, [][]string{{"SYSTEM", "0"}}) {
		t.Errorf("another session on 80-: time_zone, ANSI_QUOTES = %q, want SYSTEM, 0", got)
	}
}

// ---------------------------------------------------------------------------------------------------
// 8. sysbench oltp_read_write through a keyspace sharded by hash(id).

func TestDMLSysbench(t *testing.T) {
	e := dmlSysbenchEnv(t)
	// sysbench's AUTO_INCREMENT ids cannot be routed by hash without a sequence: the ids come from it.
	runSysbench(t, e.sc.Addr(), "customer", time.Minute, "prepare", "--auto_inc=off")
	for _, sh := range shardedShards {
		for _, table := range []string{"sbtest1", "sbtest2"} {
			for _, r := range e.rows("customer", sh, "SELECT id FROM "+table+" WHERE id % 97 = 0") {
				id, _ := strconv.ParseInt(r[0], 10, 64)
				if shardOf(hashKsid(t, id)) != sh {
					t.Fatalf("%s row %d on shard %s", table, id, sh)
				}
			}
		}
	}
	// --rand-type=uniform: sysbench's default ("special") sends most statements to a hundred hot rows.
	// On one server the deadlocks that makes are detected at once (1213, ignored); across two servers
	// a deadlock is invisible to both InnoDBs and ends only after innodb_lock_wait_timeout (50 s) with
	// 1205 — a limitation of any sharding proxy without distributed deadlock detection (Vitess has it
	// too), which made about one run in twenty-five stall and fail.
	args := []string{"--time=10", "--mysql-ignore-errors=1213", "--verbosity=5", "--auto_inc=off", "--rand-type=uniform"}
	out := runSysbench(t, e.sc.Addr(), "customer", time.Minute, "run", args...)
	st, err := parseSysbench(out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	t.Logf("%d transactions, %d queries (%.0f tps), %d deadlocks", st.transactions, st.queries, float64(st.transactions)/10, st.ignoredErrors)
	for _, m := range regexp.MustCompile(`(?m)^DEBUG: Ignoring error (\d+).*$`).FindAllStringSubmatch(out, -1) {
		if m[1] != "1213" {
			t.Errorf("sysbench ignored error %s: %s", m[1], m[0])
		}
	}
	if st.ignoredErrors > max(3, st.transactions/1000) || st.reconnects != 0 {
		t.Errorf("%d ignored errors (deadlocks), %d reconnects, want at most a few deadlocks and no reconnect:\n%s",
			st.ignoredErrors, st.reconnects, tail(out, 40))
	}
	if st.transactions < 100 {
		t.Errorf("only %d transactions in 10 s:\n%s", st.transactions, tail(out, 40))
	}

	// count(*) and sum(k) per table: the two backends added up, and through the sidecar.
	s := e.dmlSession("customer")
	for _, table := range []string{"sbtest1", "sbtest2"} {
		var count, sum int64
		for _, sh := range shardedShards {
			r := e.rows("customer", sh, "SELECT count(*), coalesce(sum(k), 0) FROM "+table)
			c, _ := strconv.ParseInt(r[0][0], 10, 64)
			k, _ := strconv.ParseInt(r[0][1], 10, 64)
			count += c
			sum += k
		}
		direct := [][]string{{i64toa(count), i64toa(sum)}}
		through := s.query("SELECT count(*), sum(k) FROM " + table)
		if !reflect.DeepEqual(direct, through) || count != 10000 {
			t.Errorf("%s: count, sum(k) %q on the backends added up, %q through the sidecar; want 10000 rows", table, direct, through)
		}
	}
	if logs := e.sc.Logs(); strings.Contains(logs, `"level":"error"`) {
		t.Errorf("the sidecar logged errors during sysbench:\n%s", tail(logs, 30))
	}
}

// dmlSysbenchEnv is the sharded environment with sysbench's tables sbtest1 and sbtest2 added to the
// customer keyspace, sharded by hash(id).
func dmlSysbenchEnv(t *testing.T) *shardedEnv {
	if _, err := ToolPath("sysbench"); err != nil {
		t.Fatal(err)
	}
	vschema := customerVSchemaWith(t, func(tables map[string]any) {
		tables["sbtest1"], tables["sbtest2"] = hashTable(), hashTable()
	})
	return newShardedEnv(t, shardedOptions{customerVSchema: vschema})
}
