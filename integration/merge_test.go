package integration

// End-to-end test of the scatter merge (issue 5, item 2): SELECTs on a sharded table that go to both
// shards must answer exactly what one MariaDB holding all rows answers. Three servers:
//
//	shard A: keyspace mk, shard -80 (database mk_lo)
//	shard B: keyspace mk, shard 80- (database mk_hi)
//	reference R: every row in one table (database ref)
//
// The same ~200 rows (negative and positive ids, NULLs everywhere, strings that differ only by case,
// accents or trailing spaces, in utf8mb4_general_ci, utf8mb4_bin and latin1_swedish_ci columns,
// decimals, doubles, unsigned ints, DATETIME(3), TIME, VARBINARY) go through the sidecar into the
// shards and directly into R. Each query runs through the sidecar and on R, with go-sql-driver in the
// text protocol (interpolateParams=true) and with real prepared statements (binary rows), and the
// answers are compared: column names, column types, rows, and the order where ORDER BY fixes it.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

const mergeSchema = `CREATE TABLE t (
  id BIGINT NOT NULL PRIMARY KEY,
  g INT NULL,
  name VARCHAR(64) NULL,
  bname VARCHAR(64) COLLATE utf8mb4_bin NULL,
  lname VARCHAR(64) CHARACTER SET latin1 COLLATE latin1_swedish_ci NULL,
  x INT NULL,
  d DECIMAL(10,2) NULL,
  f DOUBLE NULL,
  u INT UNSIGNED NULL,
  dt DATETIME(3) NULL,
  tm TIME NULL,
  vb VARBINARY(16) NULL,
  e ENUM('zeta', 'alpha', 'Mid', '') NULL,
  st SET('b', 'a', 'c') NULL,
  yr YEAR NULL,
  bits BIT(9) NULL,
  ts TIMESTAMP NULL,
  fl FLOAT NULL
) ENGINE=InnoDB`

// Strings that a byte order, a case-sensitive order or a trim-less comparison would sort or group
// differently from MySQL.
var mergeNames = []string{"alpha", "Alpha", "ALPHA", "Älpha", "älpha", "beta", "Beta ", "béta", "gamma", "Gamma",
	"zeta", "Zèta", "émile", "Emile", "", "a b", "ab", "Ångström", "ångström", "Øre", "oe", "ß", "ss", "straße",
	"O'Brien", "o'brien", "zz", "Z", "  lead", "NULL"}

var mergeLatin1 = []string{"Åsa", "asa", "Äpple", "apple", "Öl", "ol", "Zebra", "zebra", "Ü", "y", "", "Ærø",
	"aero", "ÿ", "Ÿ"}

func mergeRows() []string {
	var rows []string
	q := func(list []string, i int, nullEvery int) string {
		if i%nullEvery == 0 {
			return "NULL"
		}
		return quoteString(list[i%len(list)])
	}
	times := []string{"'-12:30:00'", "'100:00:01'", "'00:00:00'", "'05:06:07'", "'-00:00:01'", "'838:59:59'"}
	for i := 1; i <= 200; i++ {
		id := i*7 - 300
		g := fmt.Sprint(i % 7)
		if i%11 == 0 {
			g = "NULL"
		}
		x := fmt.Sprint(i*37%101 - 50)
		if i%13 == 0 {
			x = "NULL"
		}
		d := fmt.Sprintf("%.2f", float64(i*13%1000)/100-3)
		if i%17 == 0 {
			d = "NULL"
		}
		f := fmt.Sprint(float64(i%40)*0.25 - 2)
		if i%19 == 0 {
			f = "NULL"
		}
		u := fmt.Sprint(uint64(i) * 1000003 % 4294967295)
		if i%23 == 0 {
			u = "NULL"
		}
		dt := fmt.Sprintf("'2024-%02d-%02d %02d:%02d:%02d.%03d'", i%12+1, i%28+1, i%24, i%60, (i*7)%60, (i*37)%1000*(i%2))
		if i%29 == 0 {
			dt = "NULL"
		}
		if i == 100 {
			dt = "'0000-00-00 00:00:00'"
		}
		tm := times[i%len(times)]
		if i%31 == 0 {
			tm = "NULL"
		}
		vb := fmt.Sprintf("x'%02x%02x'", i%5, (i*3)%256)
		if i%6 == 0 {
			vb = "NULL"
		}
		e := q([]string{"zeta", "alpha", "Mid", ""}, i, 9)
		st := q([]string{"b", "a", "c", "a,b", "b,c", "", "a,b,c"}, i*5, 10)
		yr, bits, ts, fl := fmt.Sprint(1990+i%40), fmt.Sprint(i*13%512), fmt.Sprintf("'2025-03-%02d 10:%02d:00'", i%28+1, i%60), fmt.Sprintf("%g", float64(i%50)/8-1.1)
		if i%8 == 0 {
			yr, bits, ts, fl = "NULL", "NULL", "NULL", "NULL"
		}
		rows = append(rows, fmt.Sprintf("(%d, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)", id, g,
			q(mergeNames, i, 37), q(mergeNames, i*3, 41), q(mergeLatin1, i, 43), x, d, f, u, dt, tm, vb, e, st, yr, bits, ts, fl))
	}
	return rows
}

// mergeCase is a query and how to compare its answers.
type mergeCase struct {
	sql  string
	args []any
	// unordered: compare as multisets (no ORDER BY, or one that leaves ties).
	unordered bool
	// countOnly: LIMIT without ORDER BY, any rows will do: compare the number of rows.
	countOnly bool
	// weigh names, per result column, the table column whose collation decides equality there: the
	// value is compared by its collation weight (MySQL may return any of several equal strings, e.g.
	// 'alpha' or 'Alpha' for MIN(name) or for a group).
	weigh []string
	// anyTypes: the column types may differ from the oracle's (columns of a table in another
	// keyspace than the one evaluating the statement take their literals' types).
	anyTypes bool
	// columnInfo says why the column definitions differ from the oracle's ("": they must not;
	// TestColumnInfo).
	columnInfo string
}

var mergeCases = []mergeCase{
	// A hexadecimal literal with a character set introducer is a string: _utf8mb4 0x3530 is '50',
	// routed as 50 (helper-58), not as the number 0x3530.
	{sql: "select id, x from t where id = _utf8mb4 0x3530"},
	{sql: "select id, x from t where id = _latin1 0x2D36"},
	{sql: "select id, x from t where id in (_utf8mb4 0x3530, _latin1 X'2D36') order by id"},
	// An IN list of the vindex across shards: each shard gets its own values (text statements).
	{sql: "select id, name from t where id in (1, 2, 3, 5, 8, 13, 21, -1, null, 2)", unordered: true},
	{sql: "select id from t where id in (4, 6, 7, 40) and (name is not null or id in (1, 2))", unordered: true},
	{sql: "select id from t where id in (?, ?, ?, ?)", args: []any{1, 2, 3, 4}, unordered: true},
	{sql: "select concat(name, 'x'), id + 1, 1 + 1, .5 from t where id in (1, 2, 3, 4, 5, 6, 7, 8)", unordered: true},
	{sql: "select id from t where id in (1, 2, 3, 4, 5, 6, 7, 8) having _utf8mb4 0x61 = 'A'", unordered: true},
	{sql: "select id, name from t where id in (1, 2, 3, 4, 5, 6, 7, 8) and _utf8mb4 X'61' = 'A' and _utf8mb4 b'1100001' = 'a'", unordered: true},
	{sql: "select _utf8mb4 0x61 = 'A' as eq, _latin1 0x61 = 'a' as l, id from t where id > 0 order by id limit 2"},
	// Values no row can have: no shard is asked for rows, one answers the columns (and aggregates).
	{sql: "select count(*), max(id) from t where id in (null)"},
	{sql: "select count(*) c from t where id in (null) having c > 0"},
	{sql: "select x, count(*) from t where id in (null) group by x"},
	{sql: "select id from t where id = ? order by id limit 1", args: []any{nil}},
	// ORDER BY and LIMIT.
	{sql: "select * from t order by id desc limit 2"},
	{sql: "select * from t order by id limit 3, 5"},
	{sql: "select * from t order by id limit 5 offset 3"},
	{sql: "select id, x from t order by id limit 0"},
	{sql: "select * from t where id > ? order by id limit ?, ?", args: []any{-100, 10, 7}},
	{sql: "select id from t order by id desc limit ?", args: []any{7}},
	{sql: "select id, name from t order by name, id"},
	{sql: "select id, name from t order by name desc, id"},
	{sql: "select name from t order by name", weigh: []string{"name"}},
	{sql: "select name, id from t order by name, id limit 20", weigh: []string{"name", ""}},
	{sql: "select id, lname from t order by lname, id"},
	{sql: "select id, lname from t order by lname desc, id desc limit 30"},
	{sql: "select id, bname from t order by bname, id"},
	{sql: "select id, x from t order by x, id"},
	{sql: "select id, x from t order by x desc, id"},
	{sql: "select id, d, f from t order by d desc, f, id limit 40"},
	{sql: "select id from t order by x, id"},
	{sql: "select id, name from t order by 2 desc, 1"},
	{sql: "select id as k, name from t order by k desc limit 4"},
	{sql: "select id, dt, tm, vb, u from t order by dt, id"},
	{sql: "select id, tm from t order by tm desc, id limit 25"},
	{sql: "select id, vb from t order by vb, id"},
	{sql: "select id, u, f from t order by u desc, id limit 10"},
	{sql: "select id, x+1, -x, x*2 from t order by x+1 desc, id limit 12"},
	{sql: "select *, upper(name) as u from t order by u, id limit 50"},
	{sql: "select id, t.* from t order by name desc, id limit 9"},
	{sql: "select id from t limit 5", countOnly: true},
	{sql: "select id from t limit 190, 20", countOnly: true},
	{sql: "select id, name from t where name = 'alpha' order by id"},
	// Aggregates without GROUP BY.
	{sql: "select count(*) from t"},
	{sql: "select COUNT( * ), count(x), Count(name) from t"},
	{sql: "select sum(x), sum(d), sum(f), sum(u) from t"},
	{sql: "select min(x), max(x), min(d), max(d), min(f), max(f), min(u), max(u), min(id), max(id) from t"},
	{sql: "select min(dt), max(dt), min(tm), max(tm), min(vb), max(vb) from t"},
	{sql: "select avg(x), avg(d), avg(f), avg(u), avg(id) from t"},
	{sql: "select avg(x) as a, sum(x) as s, count(x) as c from t where g = 3"},
	{sql: "select min(name), max(name), min(lname), max(lname), min(bname), max(bname) from t",
		weigh: []string{"name", "name", "lname", "lname", "bname", "bname"}},
	{sql: "select count(*), sum(x), avg(x), min(x), max(name) from t where id < -1000"},
	{sql: "select bit_or(x), bit_and(u), bit_xor(id) from t"},
	{sql: "select count(*), avg(d) from t where id > ?", args: []any{100}},
	// GROUP BY.
	{sql: "select g, count(*), sum(x), min(x), max(x), avg(x), avg(d), sum(d) from t group by g"},
	{sql: "select g, count(*), sum(x), min(x), max(x), avg(x), avg(d), sum(d) from t group by g order by g desc"},
	{sql: "select g, count(*) c from t group by g order by c desc, g"},
	{sql: "select count(*) from t group by g order by count(*) desc, g"},
	{sql: "select count(*), avg(x) from t group by g"},
	{sql: "select x, count(*) from t group by x order by x limit 2, 3"},
	{sql: "select g, avg(f), sum(f) from t group by g order by avg(f) desc, g limit 4"},
	{sql: "select name, count(*) from t group by name", weigh: []string{"name", ""}},
	{sql: "select name, count(*), min(id) from t group by name order by name desc limit 10", weigh: []string{"name", "", ""}},
	{sql: "select lname, count(*), min(id) from t group by lname", weigh: []string{"lname", "", ""}},
	{sql: "select bname, count(*) from t group by bname", weigh: []string{"bname", ""}},
	{sql: "select g, max(name), min(name) from t group by g", weigh: []string{"", "name", "name"}},
	{sql: "select g, count(*) from t where id > ? group by g order by g limit ?", args: []any{0, 3}},
	// DISTINCT.
	{sql: "select distinct g from t", unordered: true},
	{sql: "select distinct g from t order by g"},
	{sql: "select distinct g, x from t order by x desc, g limit 15"},
	{sql: "select distinct name from t order by name", weigh: []string{"name"}},
	{sql: "select distinct lname from t order by lname desc", weigh: []string{"lname"}},
	// 'beta' and 'Beta ' are one value and two weight strings: the shards' DISTINCT keeps both.
	{sql: "select distinct name from t where name in ('beta', 'Beta ', 'gamma') order by 1 limit 2", weigh: []string{"name"}},
	{sql: "select distinct name from t order by 1 limit 9 offset 7", weigh: []string{"name"}},
	// ENUM and SET columns sort and group by their index (a SET's bits), not their text ('' is the
	// ENUM's last member): the merge finds them in the column definitions and asks for it.
	{sql: "select id, e from t order by e, id"},
	{sql: "select id, e as status from t order by status desc, id limit 10"},
	{sql: "select id, e from t order by e, id limit ?", args: []any{12}},
	{sql: "select id, st from t order by st, id"},
	{sql: "select e, count(*) from t group by e"},
	{sql: "select st, count(*) from t group by st order by st desc"},
	{sql: "select e, count(*) from t group by e order by count(*) desc, e"},
	{sql: "select distinct e from t order by e"},
	{sql: "select distinct e, st from t order by st, e limit 8"},
	{sql: "select max(e), min(e), max(st), min(st) from t"}, // MIN and MAX compare their text
	{sql: "select g, max(e), min(st) from t group by g order by g"},
	{sql: "select e, e as k from t order by e, k, id limit 5"}, // one column, two keys
	{sql: "select distinct e, t.e from t order by t.e"},
	{sql: "select st, st from t order by st, 2, id"},
	// GROUP BY a name of an alias and of a column is the column, in MySQL.
	{sql: "select g + 1 as g, count(*) from t group by g"},
	{sql: "select concat(e, '!') as e, count(*) from t group by e"},
	{sql: "select g as grp, count(*) from t group by grp"},
}

// evaluateCases are what the scatter merge cannot answer alone: the engine gathers the rows and a
// backend evaluates the statement over them (engine.Evaluate). The table's types (DATETIME(3),
// negative TIME, DOUBLE, DECIMAL, VARBINARY, utf8mb4_bin and latin1 collations) must come back
// exactly as one server holding all rows returns them.
var evaluateCases = []mergeCase{
	{sql: "select count(*)+1 from t"},
	{sql: "select round(avg(x), 1) from t"},
	{sql: "select sum(x) / count(x) from t"},
	{sql: "select g, group_concat(name order by id) from t group by g order by g"},
	{sql: "select count(distinct g) from t"},
	{sql: "select count(distinct name), count(distinct bname), count(distinct lname) from t"},
	{sql: "select g, count(*) from t group by g having count(*) > 1 order by g"},
	{sql: "select g, count(*) c from t group by g having c > 28 order by g"},
	{sql: "select round(std(x), 6), round(variance(d), 6) from t"},
	{sql: "select * from t where id in (select id from t where x > 0) order by id"},
	{sql: "select id from t union select id from t order by id"},
	{sql: "select distinct * from t", unordered: true},
	{sql: "select id, row_number() over (order by id) from t order by id"},
	{sql: "select id, rank() over (partition by g order by dt, id) from t order by id"},
	{sql: "select g, group_concat(tm order by tm, id) from t group by g order by g"},
	{sql: "select dt, count(*) from t group by dt having count(*) >= 1 order by dt limit 5"},
	{sql: "select f, count(*) from t group by f having count(*) > 4 order by f"},
	{sql: "select hex(vb), count(*) from t group by vb having count(*) > 1 order by 1"},
	{sql: "select u from t where u > (select avg(u) from t) order by u"},
	{sql: "select id from t where name in (select name from t where g = 1) order by id"},
	{sql: "select sum(distinct d), avg(distinct x), count(distinct g, x) from t"},
	{sql: "select id, d from t where d = (select max(d) from t) order by id"},
	{sql: "select a.id, b.id from t a join t b on a.name = b.name and a.id < b.id order by a.id, b.id"},
	{sql: "select a.id, b.id from t a join t b on a.lname = b.lname and a.id < b.id order by a.id, b.id"},
	{sql: "select a.id, b.id from t a join t b on a.bname = b.bname and a.id < b.id order by a.id, b.id"},
	{sql: "select a.id, b.tm from t a join t b on b.tm = a.tm and b.id = a.id + 7 order by a.id"},
	// Evaluated joins show the columns with their tables' types, which a UNION with literals loosens.
	{sql: "select a.id, a.yr, b.bits, a.ts, b.fl, a.e from t a join t b on b.id = a.id + 7 order by a.id"},
	// ENUM, SET and BIT columns keep their types in evaluated statements (the gathered rows go into a
	// temporary table made from the table's columns): ENUMs compare and sort by their members' order,
	// BITs compute as numbers (helper-54).
	{sql: "select count(*) from t a join t b on b.id = a.id + 7 where a.e = ?", args: []any{2}},
	{sql: "select a.id, b.e + 0, abs(b.st), b.bits + 0 from t a join t b on b.id = a.id + 7 order by a.id limit 5"},
	{sql: "select a.id, b.e from t a join t b on b.id = a.id + 7 where a.id < -150 order by b.e, a.id"},
	{sql: "select g, group_concat(x order by id) from t where e = ? group by g order by g", args: []any{1}},
	{sql: "select e, group_concat(id order by id) from t where id < -200 group by e order by e"},
	{sql: "select a.st, count(*) from t a join t b on b.id = a.id + 7 where a.st & 2 group by a.st order by a.st"},
	// FLOAT to FLOAT, as MariaDB compares them: the FLOAT's text read back as a DOUBLE is another number.
	{sql: "select count(*), sum(a.id) from t a join t b on a.fl = b.fl where a.id < 0 and b.id > 0"},
	// …and computes with the FLOAT's value, not with its text's (helper-47).
	{sql: "select a.id, a.fl * 2, b.fl + 0 from t a join t b on b.id = a.id + 7 where a.id < -250 order by a.id"},
	{sql: "select a.g, sum(b.fl) from t a join t b on b.id = a.id + 7 group by a.g order by a.g"},
	// …not a derived table's column of the same name (a YEAR label on 1991000 garbles prepared rows).
	{sql: "select a.id, a.yr from (select id, yr * 1000 as yr from t a) a join t b on b.id = a.id + 7 order by a.id", anyTypes: true},
	{sql: "select id, dt, tm, vb, f, u from t where id in (select id from t where tm < '00:00:00') order by id"},
	{sql: "select g, max(dt), min(tm), max(f), min(vb) from t group by g having max(x) > 0 order by g"},
	{sql: "select id from t where x > ? group by id having count(*) = ? order by id", args: []any{40, 1}},
	// Conditions on utf8mb4_bin and latin1 columns over the gathered rows compare by the column's
	// collation, also where MariaDB pushes them into the derived table's literal rows.
	{sql: "select id, row_number() over (order by id) from t where bname between 'Z' and 'ß' order by id limit 3"},
	{sql: "select count(*) from (select g from t where bname between 'Z' and 'ß' group by g) s"},
	{sql: "select count(*) from (select id from t where lname = 'Ü' union select id from t where id < -1000) s"},
	{sql: "select count(*) from (select id from t where lname <> 'apple' union all select id from t where id < -1000) s"},
	{sql: "select count(*) from t where name in (select bname from t where bname like 'a%')"},
	{sql: "select a.id, b.id from t a join t b on b.x = a.x where (a.name = binary 'alpha' or b.id = 0) order by 1, 2"},
	// A window in a part of a UNION ALL: no shard's numbering is the answer's.
	{sql: "select id, row_number() over (order by id) from t union all select id, 0 from t where id < -1000", unordered: true},
}

// evaluateRefusals are statements no plan answers exactly: refused, never answered wrongly.
var evaluateRefusals = []struct {
	sql   string
	num   uint16
	match string
}{
	{"select a.id from t a join t b on a.x = b.g for share nowait", 1235, "locking read"},
	{"select a.id, b.id from big a join big b on a.n = b.n", 1105, "max_memory_rows"},
	// Evaluated, the ENUM's values would be strings, compared as such (no row is greater than 1).
	{"select e, count(*) from t group by e having e > 1", 1235, "an ENUM or SET column, compared with or computed as a number"},
}

func TestMergeScatter(t *testing.T) {
	env := newMergeEnv(t)
	ctx := mergeCtx(t, 2*time.Minute)
	start := time.Now()
	defer func() { t.Logf("%d queries × 4 in %v", len(mergeCases), time.Since(start)) }()
	env.sameAsReference(t, ctx, mergeCases)
}

// TestMergeUnsignedArguments: a prepared statement's unsigned arguments (go-sql-driver sends every
// uint64 so; GORM's ids are uint) keep their type in the statements the sidecar writes for several
// shards: count(*) - ? is BIGINT UNSIGNED and fails with 1690 below zero, as on one server, where a
// literal would make it signed (helper-54). A LIMIT's still takes a plain literal.
func TestMergeUnsignedArguments(t *testing.T) {
	env := newMergeEnv(t)
	ctx := mergeCtx(t, time.Minute)
	for _, c := range []mergeCase{
		{sql: "select count(*) - ? from t", args: []any{uint64(1)}},
		{sql: "select count(*) - ? from t where id > ?", args: []any{uint64(1000000), uint64(3)}},
		{sql: "select g, sum(x) - ? from t group by g order by g limit ?", args: []any{uint64(2), uint64(3)}},
		{sql: "select id, x from t where x > ? - 1 order by x, id limit ?, ?", args: []any{uint64(40), uint64(2), uint64(5)}},
		{sql: "select count(*) from t a join t b on b.id = a.id + ? where a.id = ? - 3", args: []any{uint64(1), uint64(2)}},
		{sql: "select a.id, b.id - ? from t a join t b on b.id = a.id + ? where a.id = ?", args: []any{uint64(10), uint64(1), uint64(3)}},
	} {
		want, wantErr := mergeQuery(ctx, env.refPrep, true, c.sql, c.args...)
		got, err := mergeQuery(ctx, env.scPrep, true, c.sql, c.args...)
		var wantCode, gotCode uint16
		if me, ok := wantErr.(*mysql.MySQLError); ok {
			wantCode = me.Number
		}
		if me, ok := err.(*mysql.MySQLError); ok {
			gotCode = me.Number
		}
		switch {
		case wantErr != nil || err != nil:
			if gotCode != wantCode || wantCode == 0 {
				t.Errorf("%s %v: error %v, want %v", c.sql, c.args, err, wantErr)
			}
		default:
			if msg := env.compare(c, got, want); msg != "" {
				t.Errorf("%s %v: %s", c.sql, c.args, msg)
			}
		}
	}
	// A prepared SET runs as text with its arguments written in: @x is unsigned, as on one server.
	for _, db := range []*sql.DB{env.refPrep, env.scPrep} {
		conn, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, "set @x = ?", uint64(3)); err != nil {
			t.Fatal(err)
		}
		var v any
		err = conn.QueryRowContext(ctx, "select @x - 5").Scan(&v)
		if me, ok := err.(*mysql.MySQLError); !ok || me.Number != 1690 {
			t.Errorf("set @x = ? with uint64(3), then @x - 5: %v (%v), want ERROR 1690", v, err)
		}
	}
}

// Why some cases' column definitions differ from the oracle's (mergeCase.columnInfo).
const (
	// MariaDB names the table and column under a derived table or CTE; the evaluating SELECT reads
	// the user's derived table over derived tables of gathered rows, which name none.
	derivedColumnInfo = "a derived table of an evaluated SELECT names no table"
	// MariaDB names an aliased subquery's column by its alias (Org_field).
	subqueryColumnInfo = "a subquery's alias is no column of the evaluating SELECT"
	// SHOW DATABASES is answered by the sidecar: utf8mb4, whatever character_set_results, and no
	// information_schema.SCHEMATA.
	localColumnInfo = "a local answer"
)

// TestColumnInfo: the column definitions of every answer to mergeCases and shopCases are the
// oracle's, as the mariadb client prints them with --column-type-info: names (the keyspace as the
// schema, never a shard's database; the table and column an evaluated column shows), type,
// collation, length and decimals. Flags are not compared: MariaDB drops PRI_KEY or NOT_NULL by its
// execution plan (a temporary table, an outer join), which the sidecar's plan does not follow;
// drivers read UNSIGNED and BINARY, which the types compared by the oracle tests cover. Only a
// NOT_NULL the oracle's column lacks is an error: the column holds NULLs a client would not expect. The oracle's
// database for keyspace mk is ref: the sidecar's mk reads as ref.
func TestColumnInfo(t *testing.T) {
	env := newMergeEnv(t)
	type inKeyspace struct {
		mergeCase
		db, refDB string
	}
	var cases []inKeyspace
	for _, c := range mergeCases {
		cases = append(cases, inKeyspace{c, "mk", "ref"})
	}
	for _, c := range shopCases {
		if c.refused == "" {
			cases = append(cases, inKeyspace{c.mergeCase, "shop", "shop"})
		}
	}
	compared := 0
	for _, c := range cases {
		if len(c.args) > 0 || c.columnInfo != "" {
			continue
		}
		// info is the column definitions but their flags, and each column's NOT_NULL.
		info := func(addr, user, password, db string) (string, []bool, bool) {
			out, errs, code := RunCLI(addr, user, password, db, c.sql+";\n", "--column-type-info", "--table")
			if code != 0 {
				return errs, nil, false
			}
			var lines []string
			var notNull []bool
			for _, l := range strings.Split(out, "\n") {
				if strings.HasPrefix(l, "+") { // the table of rows: the oracle tests compare them
					break
				}
				switch {
				case strings.HasPrefix(l, "Flags:"):
					notNull = append(notNull, slices.Contains(strings.Fields(l), "NOT_NULL"))
				case !strings.HasPrefix(l, "Max_length:"):
					lines = append(lines, l)
				}
			}
			return strings.Join(lines, "\n"), notNull, true
		}
		want, wantNotNull, ok := info(env.ref.Addr(), "root", "", c.refDB)
		if !ok {
			continue // the oracle fails it: the oracle tests check the sidecar fails it alike
		}
		got, gotNotNull, ok := info(env.sidecar, "mysql_user", "mysql_password", c.db)
		if !ok {
			t.Errorf("%s: %s", c.sql, got)
			continue
		}
		if got = strings.ReplaceAll(got, "`"+c.db+"`", "`"+c.refDB+"`"); got != want {
			t.Errorf("%s: column definitions\n%s\nwant\n%s", c.sql, got, want)
		}
		// NOT_NULL where MariaDB says a column may be NULL breaks clients that trust it.
		for i := range min(len(gotNotNull), len(wantNotNull)) {
			if gotNotNull[i] && !wantNotNull[i] {
				t.Errorf("%s: column %d is NOT_NULL, the oracle's may be NULL", c.sql, i+1)
			}
		}
		compared++
	}
	t.Logf("%d statements' column definitions equal to the oracle's", compared)
}

// TestMergeEnumFirstRuns: sessions that run a statement shape sorting by an ENUM for the first time
// all at once each find the ENUM and plan the merge again, whichever planned it first: none is
// refused.
func TestMergeEnumFirstRuns(t *testing.T) {
	env := newMergeEnv(t)
	ctx := mergeCtx(t, time.Minute)
	const q = "select id, e from t where id > -1000 order by e desc, id limit 10"
	want, err := mergeQuery(ctx, env.refText, false, q)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := mergeQuery(ctx, env.scText, false, q)
			if err != nil {
				t.Errorf("%s: %v", q, err)
				return
			}
			if msg := env.compare(mergeCase{sql: q}, got, want); msg != "" {
				t.Errorf("%s: %s", q, msg)
			}
		}()
	}
	wg.Wait()
}

// sameAsReference runs each case on the sidecar and on the reference, as text and as a prepared
// statement, and reports every answer that differs.
func (e *mergeEnv) sameAsReference(t *testing.T, ctx context.Context, cases []mergeCase) {
	t.Helper()
	for _, c := range cases {
		for _, prepared := range []bool{false, true} {
			mode, sc, ref := "text", e.scText, e.refText
			if prepared {
				mode, sc, ref = "prepared", e.scPrep, e.refPrep
			}
			want, err := mergeQuery(ctx, ref, prepared, c.sql, c.args...)
			if err != nil {
				t.Errorf("%s [%s] on the reference: %v", c.sql, mode, err)
				continue
			}
			got, err := mergeQuery(ctx, sc, prepared, c.sql, c.args...)
			if err != nil {
				t.Errorf("%s [%s] through the sidecar: %v", c.sql, mode, err)
				continue
			}
			if msg := e.compare(c, got, want); msg != "" {
				t.Errorf("%s [%s]: %s", c.sql, mode, msg)
			}
		}
	}
}

const mergeBigRows = 20000

// TestMergeLarge: results of many rows stream through the merge (one row per shard held for ORDER BY,
// one group for GROUP BY) and still match the reference row for row.
func TestMergeLarge(t *testing.T) {
	env := newMergeEnv(t)
	ctx := mergeCtx(t, time.Minute)
	start := time.Now()
	for _, c := range []mergeCase{
		{sql: "select id, v, n from big order by v desc, id"},
		{sql: "select v, count(*), sum(n), avg(n), min(id), max(n) from big group by v"},
		{sql: "select id, n from big order by n, id limit 100, 10"},
		{sql: "select distinct n from big order by n desc"},
		// HAVING, expressions over aggregates, COUNT(DISTINCT): 20000 rows, more than max_memory_rows, which
		// gathering them on a backend would hold; the merge holds one group at a time.
		{sql: "select v, count(*), sum(n) from big group by v having count(*) > 40 and sum(n) < 20000 order by v"},
		{sql: "select n, count(*) c from big group by n having n between 10 and 20 and c >= 20 order by c desc, n limit 5"},
		{sql: "select v, sum(n) / count(*) r, max(n) - min(n), round(avg(n), 1) from big group by v order by r desc, v limit 10"},
		{sql: "select count(distinct n), count(*) from big"},
		{sql: "select v, count(distinct n) c from big group by v order by c desc, v limit 10"},
	} {
		for _, prepared := range []bool{false, true} {
			sc, ref := env.scText, env.refText
			if prepared {
				sc, ref = env.scPrep, env.refPrep
			}
			want, err := mergeQuery(ctx, ref, prepared, c.sql)
			if err != nil {
				t.Fatal(err)
			}
			got, err := mergeQuery(ctx, sc, prepared, c.sql)
			if err != nil {
				t.Fatalf("%s: %v", c.sql, err)
			}
			if msg := env.compare(c, got, want); msg != "" {
				t.Errorf("%s [prepared=%v]: %s", c.sql, prepared, msg)
			}
		}
	}
	t.Logf("large merges in %v", time.Since(start))
}

// TestMergeEvaluated: what the merge cannot answer alone gets the oracle's answer through the
// engine, text and prepared; what nothing answers exactly is refused.
// TestMergeJoinAcrossCollations: a join of a utf8mb4_general_ci column with a latin1_swedish_ci one
// compares in utf8mb4_general_ci, where 'U' is 'Ü'. The engine used to narrow the second table to
// the first's values with an IN list, which compared them in latin1_swedish_ci and lost the pair.
func TestMergeJoinAcrossCollations(t *testing.T) {
	env := newMergeEnv(t)
	ctx := mergeCtx(t, time.Minute)
	for _, db := range []*sql.DB{env.scText, env.refText} {
		if _, err := db.ExecContext(ctx, "insert into t (id, name, lname) values (9001, 'U', NULL), (9002, NULL, 'Ü'), (9003, 'y', 'y')"); err != nil {
			t.Fatal(err)
		}
		defer db.ExecContext(context.Background(), "delete from t where id > 9000")
	}
	env.sameAsReference(t, ctx, []mergeCase{
		{sql: "select a.id, b.id from t a join t b on b.lname = a.name where a.id > 9000 order by 1, 2"},
		{sql: "select a.id, b.id from t a join t b on b.name = a.lname where a.id > 9000 order by 1, 2"},
	})
}

func TestMergeEvaluated(t *testing.T) {
	env := newMergeEnv(t)
	ctx := mergeCtx(t, 2*time.Minute)
	env.sameAsReference(t, ctx, evaluateCases)
	env.oneShapeManyValues(t, ctx)
	// A locking read the engine answers locks the rows each gather reads, until the transaction
	// ends: another session's NOWAIT read of one of them fails meanwhile.
	locker, err := env.scText.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer locker.Close()
	other, err := env.scText.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := locker.ExecContext(ctx, "begin"); err != nil {
		t.Fatal(err)
	}
	rows, err := locker.QueryContext(ctx, "select a.id, b.id from t a join t b on b.g = a.x where a.id = 8 for update")
	if err != nil {
		t.Fatal(err)
	}
	rows.Close()
	if _, err := other.ExecContext(ctx, "select id from t where id = 8 for update nowait"); err == nil {
		t.Errorf("row 8 not locked by the engine's FOR UPDATE")
	}
	if _, err := locker.ExecContext(ctx, "rollback"); err != nil {
		t.Fatal(err)
	}
	if _, err := other.ExecContext(ctx, "select id from t where id = 8 for update nowait"); err != nil {
		t.Errorf("after ROLLBACK: %v", err)
	}

	// On one shard (routed by id) nothing is merged or evaluated: the statement runs as sent.
	if _, err := mergeQuery(ctx, env.scText, false, "select count(*)+1, group_concat(name) from t where id = 4"); err != nil {
		t.Errorf("single-shard aggregate: %v", err)
	}
	for _, r := range evaluateRefusals {
		_, err := mergeQuery(ctx, env.scText, false, r.sql)
		var me *mysql.MySQLError
		if !errors.As(err, &me) || me.Number != r.num || !strings.Contains(me.Message, r.match) {
			t.Errorf("%s: want error %d containing %q, got %v", r.sql, r.num, r.match, err)
		}
	}
}

// oneShapeManyValues: an engine plan is made once per statement shape and once per prepared
// statement; each execution writes its own values into the gathers and the evaluated statement.
// Text statements of one shape and one prepared statement executed again and again answer as the
// reference does for every value.
func (e *mergeEnv) oneShapeManyValues(t *testing.T, ctx context.Context) {
	t.Helper()
	const shape = "select a.id, b.id, 'tag' from t a join t b on a.name = b.name and a.id < b.id where a.x > %s and b.g <> %s order by a.id, b.id"
	prepared := map[*sql.DB]*sql.Stmt{}
	for _, db := range []*sql.DB{e.scPrep, e.refPrep} {
		stmt, err := db.PrepareContext(ctx, fmt.Sprintf(shape, "?", "?"))
		if err != nil {
			t.Fatal(err)
		}
		defer stmt.Close()
		prepared[db] = stmt
	}
	for _, v := range [][2]int{{0, 1}, {20, 2}, {-100, 0}, {1000, 1}} {
		text := fmt.Sprintf(shape, fmt.Sprint(v[0]), fmt.Sprint(v[1]))
		got, err := mergeQuery(ctx, e.scText, false, text)
		if err != nil {
			t.Fatalf("%s: %v", text, err)
		}
		want, err := mergeQuery(ctx, e.refText, false, text)
		if err != nil {
			t.Fatalf("reference: %s: %v", text, err)
		}
		if diff := e.compare(mergeCase{sql: text}, got, want); diff != "" {
			t.Errorf("text %s: %s", text, diff)
		}
		var rows [2][][]string
		for i, db := range []*sql.DB{e.scPrep, e.refPrep} {
			r, err := prepared[db].QueryContext(ctx, v[0], v[1])
			if err == nil {
				rows[i], err = ScanStrings(r)
			}
			if err != nil {
				t.Fatalf("prepared, executed with %v: %v", v, err)
			}
		}
		if !reflect.DeepEqual(rows[0], rows[1]) {
			t.Errorf("prepared, executed with %v: rows differ:\n%s", v, mergeDiff(rows[0], rows[1]))
		}
		if len(want.rows) == 0 && v[0] < 1000 {
			t.Errorf("%s: no rows to compare", text)
		}
	}
}

// TestMergeSQLMode: the merged statement is printed from a parse, so the session's sql_mode decides
// what the client's text meant: under ANSI_QUOTES "name" is the column; || under PIPES_AS_CONCAT is
// CONCAT, not OR.
func TestMergeSQLMode(t *testing.T) {
	env := newMergeEnv(t)
	ctx := mergeCtx(t, time.Minute)
	conn := func(db *sql.DB) *sql.Conn {
		c, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	sc, ref := conn(env.scText), conn(env.refText)
	for _, c := range []*sql.Conn{sc, ref} {
		if _, err := c.ExecContext(ctx, "SET SESSION sql_mode = 'ANSI_QUOTES'"); err != nil {
			t.Fatal(err)
		}
	}
	q := `select "id", "name" from t where "x" > 0 order by "name" desc, "id" limit 7`
	read := func(c *sql.Conn) [][]string {
		rows, err := c.QueryContext(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		out, err := ScanStrings(rows)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if got, want := read(sc), read(ref); !reflect.DeepEqual(got, want) || len(want) != 7 {
		t.Errorf("ANSI_QUOTES: %q, want %q", got, want)
	}
	for _, c := range []*sql.Conn{sc, ref} {
		if _, err := c.ExecContext(ctx, "SET SESSION sql_mode = 'PIPES_AS_CONCAT'"); err != nil {
			t.Fatal(err)
		}
	}
	q = "select name || 'x' from t order by id limit 5"
	if got, want := read(sc), read(ref); !reflect.DeepEqual(got, want) || len(want) != 5 {
		t.Errorf("|| under PIPES_AS_CONCAT: %q, want %q", got, want)
	}
}

// TestMergeConnectionsReusable: a LIMIT that stops the merge early leaves every shard connection
// usable, inside a transaction too (the rest of each shard's rows is drained).
func TestMergeConnectionsReusable(t *testing.T) {
	env := newMergeEnv(t)
	ctx := mergeCtx(t, time.Minute)
	conn, err := env.scText.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, q := range []string{"begin", "select id from t order by id limit 1", "select id from t limit 1",
		"select g, count(*) from t group by g limit 1"} {
		rows, err := conn.QueryContext(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		rows.Close()
	}
	var n int
	if err := conn.QueryRowContext(ctx, "select count(*) from t").Scan(&n); err != nil || n != 200 {
		t.Fatalf("count(*) after early LIMITs in a transaction: %d, %v", n, err)
	}
	if _, err := conn.ExecContext(ctx, "commit"); err != nil {
		t.Fatal(err)
	}
}

// mergeEnv is the three servers, the sidecar, and client pools (shared by this file's tests).
type mergeEnv struct {
	scText, scPrep, refText, refPrep *sql.DB
	// The shop keyspace (shop_test.go) through the sidecar and on the oracle.
	shopText, shopPrep, shopRefText, shopRefPrep *sql.DB
	weights                                      map[string]map[string]string // column → value → collation weight
	sidecar                                      string                       // its address
	ref                                          *MariaDB                     // the oracle's server
}

var mergeShared struct {
	once sync.Once
	env  *mergeEnv
	err  error
}

func newMergeEnv(t *testing.T) *mergeEnv {
	t.Helper()
	mergeShared.once.Do(func() { mergeShared.env, mergeShared.err = startMergeEnv() })
	if mergeShared.err != nil {
		t.Fatal(mergeShared.err)
	}
	return mergeShared.env
}

// startMergeEnv starts what the tests share; TestMain's Cleanup stops the processes.
func startMergeEnv() (*mergeEnv, error) {
	bin, err := BuildSidecar()
	if err != nil {
		return nil, err
	}
	servers := make([]*MariaDB, 3)
	errs := make([]error, 3)
	var wg sync.WaitGroup
	for i := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			servers[i], errs[i] = StartMariaDB(Options{})
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	a, b, ref := servers[0], servers[1], servers[2]
	for _, s := range []struct {
		m  *MariaDB
		db string
	}{{a, "mk_lo"}, {b, "mk_hi"}, {ref, "ref"}} {
		if err := s.m.CreateDatabases(s.db); err != nil {
			return nil, err
		}
		if err := s.m.Exec(s.db, mergeSchema); err != nil {
			return nil, err
		}
		if err := s.m.Exec(s.db, "CREATE TABLE big (id BIGINT NOT NULL PRIMARY KEY, v VARCHAR(20) NOT NULL, n INT NOT NULL)"); err != nil {
			return nil, err
		}
	}
	for _, s := range []struct {
		m  *MariaDB
		db string
	}{{a, "shop_lo"}, {b, "shop_hi"}, {ref, "shop"}} {
		if err := s.m.CreateDatabases(s.db); err != nil {
			return nil, err
		}
		for _, ddl := range shopSchema {
			if err := s.m.Exec(s.db, ddl); err != nil {
				return nil, err
			}
		}
	}
	dir, err := ScratchDir()
	if err != nil {
		return nil, err
	}
	listen := fmt.Sprintf("127.0.0.1:%d", FreePort())
	yaml := fmt.Sprintf(`listen: %q
admin_listen: ""
users:
  - {name: mysql_user, password: mysql_password}
backend: {user: root, password: "", pool_size: 8, connect_timeout: 2s}
keyspaces:
  mk:
    vschema: {sharded: true, vindexes: {hash: {type: hash}}, tables: {t: {column_vindexes: [{column: id, name: hash}]}, big: {column_vindexes: [{column: id, name: hash}]}}}
    shards:
      "-80": {address: %q, database: mk_lo}
      "80-": {address: %q, database: mk_hi}
  shop:
    vschema: %s
    shards:
      "-80": {address: %q, database: shop_lo}
      "80-": {address: %q, database: shop_hi}
log: {level: info, format: json}
max_memory_rows: 10000
`, listen, a.Addr(), b.Addr(), shopVSchema, a.Addr(), b.Addr())
	path := filepath.Join(dir, "merge.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		return nil, err
	}
	sc, err := StartSidecar(bin, path, listen)
	if err != nil {
		return nil, err
	}
	open := func(addr, user, pass, db string, interpolate bool) *sql.DB {
		cfg := mysql.NewConfig()
		cfg.Net, cfg.Addr, cfg.User, cfg.Passwd, cfg.DBName = "tcp", addr, user, pass, db
		cfg.Timeout, cfg.ReadTimeout, cfg.WriteTimeout = 5*time.Second, 30*time.Second, 30*time.Second
		cfg.InterpolateParams = interpolate
		connector, _ := mysql.NewConnector(cfg)
		return sql.OpenDB(connector)
	}
	env := &mergeEnv{
		scText:  open(sc.Addr(), "mysql_user", "mysql_password", "mk", true),
		scPrep:  open(sc.Addr(), "mysql_user", "mysql_password", "mk", false),
		refText: open(ref.Addr(), "root", "", "ref", true),
		refPrep: open(ref.Addr(), "root", "", "ref", false),

		shopText:    open(sc.Addr(), "mysql_user", "mysql_password", "shop", true),
		shopPrep:    open(sc.Addr(), "mysql_user", "mysql_password", "shop", false),
		shopRefText: open(ref.Addr(), "root", "", "shop", true),
		shopRefPrep: open(ref.Addr(), "root", "", "shop", false),

		sidecar: sc.Addr(),
		ref:     ref,
	}
	for _, insert := range shopInserts() {
		if _, err := env.shopText.Exec(insert); err != nil {
			return nil, fmt.Errorf("insert into shop through the sidecar: %w\n%s", err, tail(sc.Logs(), 20))
		}
		if err := ref.Exec("shop", insert); err != nil {
			return nil, err
		}
	}
	insert := "INSERT INTO t (id, g, name, bname, lname, x, d, f, u, dt, tm, vb, e, st, yr, bits, ts, fl) VALUES " + strings.Join(mergeRows(), ",\n")
	if _, err := env.scText.Exec(insert); err != nil {
		return nil, fmt.Errorf("insert through the sidecar: %w\n%s", err, tail(sc.Logs(), 20))
	}
	if err := ref.Exec("ref", insert); err != nil {
		return nil, err
	}
	for start := 0; start < mergeBigRows; start += 2000 {
		var vals []string
		for i := start + 1; i <= start+2000; i++ {
			vals = append(vals, fmt.Sprintf("(%d, 'v%03d', %d)", i, i*7%500, i%1000))
		}
		insert := "INSERT INTO big (id, v, n) VALUES " + strings.Join(vals, ",")
		if _, err := env.scText.Exec(insert); err != nil {
			return nil, fmt.Errorf("insert into big through the sidecar: %w", err)
		}
		if err := ref.Exec("ref", insert); err != nil {
			return nil, err
		}
	}
	for _, s := range []struct {
		m  *MariaDB
		db string
	}{{a, "mk_lo"}, {b, "mk_hi"}} {
		n, err := s.m.Query(s.db, "SELECT COUNT(*) FROM t")
		if err != nil {
			return nil, err
		}
		if n[0][0] == "0" {
			return nil, fmt.Errorf("shard %s got no rows: the test would not scatter", s.db)
		}
	}
	env.weights = map[string]map[string]string{}
	for _, col := range []string{"name", "bname", "lname"} {
		rows, err := ref.Query("ref", fmt.Sprintf("SELECT %s, HEX(WEIGHT_STRING(RTRIM(%s))) FROM t", col, col))
		if err != nil {
			return nil, err
		}
		m := map[string]string{"NULL": "NULL"}
		for _, r := range rows {
			m[r[0]] = r[1]
		}
		env.weights[col] = m
	}
	return env, nil
}

func mergeCtx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// mergeResult is an answer: column names, column types, rows as text.
type mergeResult struct {
	cols  []string
	types []string
	rows  [][]string
}

func mergeQuery(ctx context.Context, db *sql.DB, prepared bool, q string, args ...any) (*mergeResult, error) {
	var rows *sql.Rows
	var err error
	if prepared {
		stmt, perr := db.PrepareContext(ctx, q)
		if perr != nil {
			return nil, perr
		}
		defer stmt.Close()
		rows, err = stmt.QueryContext(ctx, args...)
	} else {
		rows, err = db.QueryContext(ctx, q, args...)
	}
	if err != nil {
		return nil, err
	}
	res := &mergeResult{}
	if res.cols, err = rows.Columns(); err != nil {
		rows.Close()
		return nil, err
	}
	cts, err := rows.ColumnTypes()
	if err != nil {
		rows.Close()
		return nil, err
	}
	for _, ct := range cts {
		p, s, _ := ct.DecimalSize()
		res.types = append(res.types, fmt.Sprintf("%s(%d,%d)", ct.DatabaseTypeName(), p, s))
	}
	if res.rows, err = ScanStrings(rows); err != nil {
		return nil, err
	}
	return res, nil
}

// compare returns what differs between the sidecar's answer and the reference's, "" if nothing.
func (e *mergeEnv) compare(c mergeCase, got, want *mergeResult) string {
	if !reflect.DeepEqual(got.cols, want.cols) {
		return fmt.Sprintf("columns %q, want %q", got.cols, want.cols)
	}
	if !c.anyTypes && !reflect.DeepEqual(got.types, want.types) {
		return fmt.Sprintf("column types %v, want %v", got.types, want.types)
	}
	if c.countOnly {
		if len(got.rows) != len(want.rows) {
			return fmt.Sprintf("%d rows, want %d", len(got.rows), len(want.rows))
		}
		return ""
	}
	g, w := e.weigh(c, got.rows), e.weigh(c, want.rows)
	if c.unordered {
		g, w = mergeSorted(g), mergeSorted(w)
	}
	if !reflect.DeepEqual(g, w) {
		return fmt.Sprintf("rows differ:\n%s", mergeDiff(g, w))
	}
	if c.weigh != nil && !c.unordered && len(c.weigh) == 1 && c.weigh[0] != "" && !strings.Contains(c.sql, "group by") && !strings.Contains(c.sql, "distinct") {
		// Ties in order, but the same strings.
		if gs, ws := mergeSorted(got.rows), mergeSorted(want.rows); !reflect.DeepEqual(gs, ws) {
			return fmt.Sprintf("rows (as sets) differ:\n%s", mergeDiff(gs, ws))
		}
	}
	return ""
}

func (e *mergeEnv) weigh(c mergeCase, rows [][]string) [][]string {
	if c.weigh == nil {
		return rows
	}
	out := make([][]string, len(rows))
	for i, r := range rows {
		out[i] = append([]string(nil), r...)
		for j, col := range c.weigh {
			if col != "" && j < len(r) {
				w, ok := e.weights[col][r[j]]
				if !ok {
					w = "?" + r[j]
				}
				out[i][j] = w
			}
		}
	}
	return out
}

func mergeSorted(rows [][]string) [][]string {
	out := append([][]string(nil), rows...)
	sort.Slice(out, func(i, j int) bool { return strings.Join(out[i], "\x00") < strings.Join(out[j], "\x00") })
	return out
}

func mergeDiff(got, want [][]string) string {
	var b strings.Builder
	n := max(len(got), len(want))
	shown := 0
	for i := 0; i < n && shown < 12; i++ {
		var g, w []string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if !reflect.DeepEqual(g, w) {
			fmt.Fprintf(&b, "  row %d: got %q, want %q\n", i, g, w)
			shown++
		}
	}
	fmt.Fprintf(&b, "  (%d rows, want %d)", len(got), len(want))
	return b.String()
}

// TestMergeEvaluatedReadOnly: in a READ ONLY transaction, where MariaDB makes no temporary table, an
// evaluated statement over an ENUM column still answers (its gathered rows as literals).
func TestMergeEvaluatedReadOnly(t *testing.T) {
	env := newMergeEnv(t)
	ctx := mergeCtx(t, time.Minute)
	conn, err := env.scText.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	q := "select a.id, b.e from t a join t b on b.id = a.id + 7 where a.id < -250 order by a.id"
	for _, s := range []string{"START TRANSACTION READ ONLY", q} {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
	var inTxn int
	if err := conn.QueryRowContext(ctx, "SELECT @@in_transaction").Scan(&inTxn); err != nil || inTxn != 1 {
		t.Errorf("@@in_transaction after the statement: %d, %v; want the transaction still open", inTxn, err)
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		t.Error(err)
	}
}

// TestMergeEvaluatedWarnings: the warnings of an evaluated statement are its evaluating SELECT's, as
// SHOW WARNINGS lists them next: read before a temporary table of gathered rows is dropped (which
// clears them on the backend connection), and not the gathers' too, whose conditions the evaluating
// SELECT repeats (helper-58). Each warning is one MariaDB gives; how many times a condition warns
// follows the plan that evaluates it, one server's or the evaluating backend's over the gathered rows.
func TestMergeEvaluatedWarnings(t *testing.T) {
	env := newMergeEnv(t)
	ctx := mergeCtx(t, time.Minute)
	warnings := func(db *sql.DB, q string) []string {
		conn, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		// 1/0 warns under this sql_mode (a pooled connection may have another).
		for _, s := range []string{"SET SESSION sql_mode = 'STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO'", q} {
			if _, err := conn.ExecContext(ctx, s); err != nil {
				t.Fatal(err)
			}
		}
		rows, err := conn.QueryContext(ctx, "SHOW WARNINGS")
		if err != nil {
			t.Fatal(err)
		}
		list, err := ScanStrings(rows)
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, w := range list {
			if k := strings.Join(w, " "); !slices.Contains(kinds, k) {
				kinds = append(kinds, k)
			}
		}
		sort.Strings(kinds)
		return kinds
	}
	for _, q := range []string{
		"select a.id, b.e, 1/0 from t a join t b on b.id = a.id + 7 where a.id < -280 order by 1",
		"select a.id, b.e, 1/0 from t a join t b on b.id = a.id + 7 where a.id < -270 and a.name <> 1 order by 1",
		"select a.id, b.name, 1/0 from t a join t b on b.id = a.id + 7 where a.id < -270 and a.name <> 1 order by 1",
	} {
		got, want := warnings(env.scText, q), warnings(env.refText, q)
		if !slices.Equal(got, want) || len(want) == 0 {
			t.Errorf("%s: warnings %q, the oracle's %q", q, got, want)
		}
	}
}

// TestMergeEvaluatedLastInsertID: LAST_INSERT_ID(expr) in an evaluated statement over an ENUM (its
// rows in a temporary table) is the session's afterwards, as MariaDB's.
func TestMergeEvaluatedLastInsertID(t *testing.T) {
	env := newMergeEnv(t)
	ctx := mergeCtx(t, time.Minute)
	q := "select last_insert_id(a.id), b.e from t a join t b on b.id = a.id + 7 where a.id < -270 order by a.id"
	last := func(db *sql.DB) string {
		conn, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
		var v string
		if err := conn.QueryRowContext(ctx, "SELECT LAST_INSERT_ID()").Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	if got, want := last(env.scText), last(env.refText); got != want {
		t.Errorf("LAST_INSERT_ID() after %s: %s, the oracle's %s", q, got, want)
	}
}
