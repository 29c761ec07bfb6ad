package planner

import (
	"reflect"
	"strings"
	"testing"

	"sidecar/vindex"
)

func TestNormalize(t *testing.T) {
	for _, tc := range []struct {
		sql, shape string
		args       []string
	}{
		{"SELECT c FROM sbtest1 WHERE id=5036", "SELECT c FROM sbtest1 WHERE id=?", []string{"5036"}},
		{"select 1, 'a' from t where a = 'it''s' and b = 'x\\'y\\n' and c in (1, 2)", "select 1, 'a' from t where a = ? and b = ? and c in (?, ?)", []string{"it's", "x'y\n", "1", "2"}},
		{"INSERT INTO t (id, name) VALUES (1, \"foo\"), (2, 'bar')", "INSERT INTO t (id, name) VALUES (?, \"foo\"), (?, ?)", []string{"1", "2", "bar"}},
		{"update t set a = 5 where id = 7 order by 1 limit 10", "update t set a = ? where id = ? order by 1 limit 10", []string{"5", "7"}},
		{"select * from t where name = _utf8mb4'x' and n = 1.5 and m = 1e3", "select * from t where name = _utf8mb4'x' and n = 1.5 and m = 1e3", nil},
		// Hex strings (the keyspace ids lookup vindexes write) are arguments; odd ones stay text.
		{"insert into l(name, keyspace_id) values ('a', X'166b40b44aba4bd6'), ('b', x'')", "insert into l(name, keyspace_id) values (?, ?), (?, ?)", []string{"a", "\x16k@\xb4J\xbaK\xd6", "b", ""}},
		{"select * from t where k = x'0A1' or k = X'zz' or k = 0x0g", "select * from t where k = x'0A1' or k = X'zz' or k = 0x0g", nil},
		// 0x… too, as the number or bytes it is (0xA is 0x0A).
		{"select * from t where k = 0x0A01 or k = 0xA", "select * from t where k = ? or k = ?", []string{"\x0a\x01", "\x0a"}},
		// go-sql-driver interpolates []byte arguments as _binary'…'.
		{"insert into t values (1, _binary'a\\'b'), (2, _BINARY 'c')", "insert into t values (?, ?), (?, ?)", []string{"1", "a'b", "2", "c"}},
		{"select _binary'x' from t", "select _binary'x' from t", nil},
		{"select * from t1 where a = -3 /* c=1 */ -- 5\n and `x``5` = 5", "select * from t1 where a = -? /* c=1 */ -- 5\n and `x``5` = ?", []string{"3", "5"}},
		{"select * from t where c = 'unterminated", "", nil},
	} {
		shape, args, ok := normalize(tc.sql, false)
		if tc.shape == "" {
			if ok {
				t.Errorf("normalize(%q) ok, want failure", tc.sql)
			}
			continue
		}
		var vals []string
		for _, a := range args {
			vals = append(vals, string(a.Raw))
		}
		if !ok || shape != tc.shape || !reflect.DeepEqual(vals, tc.args) {
			t.Errorf("normalize(%q)\n = %q %q %v\nwant %q %q", tc.sql, shape, vals, ok, tc.shape, tc.args)
		}
	}
}

func TestBindSession(t *testing.T) {
	vals := SessionValues{LastInsertID: 7, ConnectionID: 12, Database: "customer"}
	for _, tc := range []struct{ sql, want string }{
		// In the select list a value keeps its function's type: BIGINT UNSIGNED, BIGINT, unsigned.
		{"select last_insert_id() + 0", "select (7|0) + 0 as `last_insert_id() + 0` from dual"},
		{"select found_rows(), row_count() r", "select cast((0|0) as signed) as `found_rows()`, cast((0|0) as signed) as r from dual"},
		// In a condition it stays a literal, which routes.
		{"select id from t where id = last_insert_id()", "select id from t where id = 7"},
		{"/* c */ insert into t(a) values (LAST_INSERT_ID())", "/* c */ insert into t(a) values (7)"},
		{"select last_insert_id(5)", "select last_insert_id(5)"},
		{"select connection_id(), 1", "select cast(12 as unsigned) as `connection_id()`, 1 as `1` from dual"},
		{"select table_name from information_schema.tables where table_schema = database()",
			"select table_name from information_schema.`tables` where table_schema = 'customer'"},
		{"select 1", "select 1"},
		// Blanks and comments may stand between the name and its parentheses.
		{"select last_insert_id ( ), database/* c */()", "select (7|0) as `last_insert_id ( )`, 'customer' as `database/* c */()` from dual"},
		// Printed again, every item keeps the name MySQL gives it (count(*) prints as COUNT(1)).
		{"select count(*) from t where a = database()", "select count(*) as `count(*)` from t where a = 'customer'"},
		// Every SELECT of a UNION makes the result's types; the first names its columns.
		{"select last_insert_id() union select row_count() union all (select 1)",
			"select (7|0) as `last_insert_id()` union select cast((0|0) as signed) union all (select 1)"},
		{"select 1 x except select connection_id()", "select 1 as x except select cast(12 as unsigned)"},
	} {
		if got := BindSession(tc.sql, vals, SQLMode{}); !sameSQL(t, got, tc.want) {
			t.Errorf("BindSession(%q) = %q, want %q", tc.sql, got, tc.want)
		}
	}
	// @@autocommit and @@in_transaction are the session's: typed as MariaDB types them as whole
	// items, plain digits in expressions.
	vals.Autocommit = true
	if got := BindSession("select @@autocommit, @@session.in_transaction t, @@autocommit + 0, @@global.autocommit", vals, SQLMode{}); !sameSQL(t, got,
		"select cast((1|0) as signed) as `@@autocommit`, (0|0) as t, 1 + 0 as `@@autocommit + 0`, @@global.autocommit as `@@global.autocommit` from dual") {
		t.Errorf("system variables: %q", got)
	}
	// The names of other things, beside another call, leave the text as it is.
	const other = "select schema_name from information_schema.schemata where now() > 0"
	if got := BindSession(other, vals, SQLMode{}); got != other {
		t.Errorf("BindSession(%q) = %q, want it unchanged", other, got)
	}
	if got := BindSession("select database() is null", SessionValues{}, SQLMode{}); got != "SELECT null IS NULL AS `database() is null`" {
		t.Errorf("no database: %q", got)
	}
	// A prepared statement's ? stay; the session re-binds it when its values change.
	if got := BindSession("select last_insert_id(), database() from t where id = ?", vals, SQLMode{}); !sameSQL(t, got,
		"select (7|0) as `last_insert_id()`, 'customer' as `database()` from t where id = ?") {
		t.Errorf("prepared: %q", got)
	}
}

// scanString reads a quoted literal's value with MySQL's escapes resolved.
func TestScanString(t *testing.T) {
	for _, tc := range []struct {
		sql, val string
		ok       bool
	}{
		{`'plain' rest`, "plain", true},
		{`''`, "", true},
		{`'it''s'`, "it's", true},
		{`'a\'b\\c'`, `a'b\c`, true},
		{`'nul\0tab\tnl\n%\%'`, "nul\x00tab\tnl\n%\\%", true},
		{`'unterminated`, "", false},
		{`'ends in a backslash\`, "", false},
		{`'ends in an escape\'`, "", false},
	} {
		end, val, ok := scanString(tc.sql, 0, false)
		if ok != tc.ok || ok && (string(val) != tc.val || tc.sql[end-1] != '\'') {
			t.Errorf("scanString(%q) = %d %q %v, want %q %v", tc.sql, end, val, ok, tc.val, tc.ok)
		}
	}
}

func TestLike(t *testing.T) {
	for _, tc := range []struct {
		s, pattern string
		want       bool
	}{
		{"shop", "shop", true}, {"shop", "sh%", true}, {"shop", "%o%", true}, {"shop", "s_op", true},
		{"shop", "s_p", false}, {"shop", "Shop", false}, {"shop", "", false}, {"", "%", true},
		{"a_b", `a\_b`, true}, {"axb", `a\_b`, false}, {"shop", "%%p", true}, {"mk", "shop%", false},
		{"a%b", `a\%b`, true}, {"axb", `a\%b`, false}, {`a\`, `a\`, true}, {"abcabd", "%ab_", true},
		{"mississippi", "m%ss%pi", true}, {"mississippi", "m%ss%px", false},
		// A hostile pattern takes linear time, not exponential.
		{strings.Repeat("a", 64), strings.Repeat("%", 5000) + "b", false},
	} {
		if got := Like(tc.s, tc.pattern, '\\'); got != tc.want {
			t.Errorf("Like(%q, %q) = %v, want %v", tc.s, tc.pattern, got, tc.want)
		}
	}
}

// TestSetsLastInsertID: a call of LAST_INSERT_ID with an argument, however spelt, and only that.
func TestSetsLastInsertID(t *testing.T) {
	for sql, want := range map[string]bool{
		"select last_insert_id(77)":                         true,
		"SELECT LAST_INSERT_ID (id) FROM t":                 true,
		"do last_insert_id( /* c */ 5)":                     true,
		"select last_insert_id(), last_insert_id ( )":       false,
		"select 1 from t where a = 'last_insert_id'":        false,
		"set @v = last_insert_id(), @w = last_insert_id(3)": true,
	} {
		if got := CallsLastInsertID(sql); got != want {
			t.Errorf("CallsLastInsertID(%q) = %v, want %v", sql, got, want)
		}
	}
}

// TestTightenCalls: the blanks between a function name that needs IGNORE_SPACE and its '(' go,
// wherever the name stands as a call; comments, strings, quoted names, columns and other words stay.
func TestTightenCalls(t *testing.T) {
	for _, tc := range []struct{ sql, want string }{
		{"select count (*), max /* m */ (id), concat ('a') from t", "select count(*), max /* m */ (id), concat ('a') from t"},
		{"select id from t where a in (1) and now ()> 0", "select id from t where a in (1) and now()> 0"},
		{"select 'count (*)', `sum` (x), t.sum (1), @max (1) from t", "select 'count (*)', `sum` (x), t.sum (1), @max (1) from t"},
		{"select count(*) from t", "select count(*) from t"},
		{"SELECT SUBSTRING\n('abc', 2), 'it''s (' , trim ( ' x ')", "SELECT SUBSTRING('abc', 2), 'it''s (' , trim( ' x ')"},
		// --, then a tab: a comment to its line's end, whose quote starts no string.
		{"select 1 --\tit's a note\n, 'sum (x)' as v, rank () over (order by 1)", "select 1 --\tit's a note\n, 'sum (x)' as v, rank() over (order by 1)"},
	} {
		if got := TightenCalls(tc.sql, SQLMode{}); got != tc.want {
			t.Errorf("TightenCalls(%q) = %q, want %q", tc.sql, got, tc.want)
		}
	}
	if sql := "select 'a\\' sum (', sum (1)"; TightenCalls(sql, SQLMode{NoBackslashEscapes: true}) != "select 'a\\' sum(', sum (1)" {
		t.Errorf("NO_BACKSLASH_ESCAPES: %q", TightenCalls(sql, SQLMode{NoBackslashEscapes: true}))
	}
}

// TestBindPlaceholders: a prepared SET's `?`s become its arguments' literals; those in strings,
// quoted names and comments stay.
func TestBindPlaceholders(t *testing.T) {
	str := func(s string) vindex.Value { return vindex.Value{Kind: vindex.VarChar, Raw: []byte(s)} }
	for _, c := range []struct {
		sql  string
		args Args
		mode SQLMode
		want string // "": refused
	}{
		{"set @a = ?", Args{vindex.NewInt64(5)}, SQLMode{}, "set @a = 5"},
		{"set @a = ?, @`?` = '?' /* ? */, @b = ? -- ?\n", Args{str("it's"), vindex.Value{Kind: vindex.Null}}, SQLMode{},
			"set @a = 'it''s', @`?` = '?' /* ? */, @b = null -- ?\n"},
		{`set @a = 'a\'?', @b = ?`, Args{str(`x\`)}, SQLMode{}, `set @a = 'a\'?', @b = 'x\\'`},
		{`set @a = 'a\', @b = ?`, Args{str(`x'`)}, SQLMode{NoBackslashEscapes: true}, `set @a = 'a\', @b = 'x'''`},
		{"set @a = ? --\r?\n", Args{vindex.NewInt64(1)}, SQLMode{}, "set @a = 1 --\r?\n"},
		{"set @a = ?, @b = 2 /*!50700 , @d = ? */", Args{vindex.NewInt64(7)}, SQLMode{}, "set @a = 7, @b = 2 /*!50700 , @d = ? */"}, // helper-42
		{"set @a = ?, @b = ?", Args{vindex.NewInt64(1)}, SQLMode{}, ""},
		{"set @a = ?", Args{vindex.NewInt64(1), vindex.NewInt64(2)}, SQLMode{}, ""},
		{"set @a = 'unterminated ?", Args{vindex.NewInt64(1)}, SQLMode{}, ""},
	} {
		got, ok := BindPlaceholders(c.sql, c.args, c.mode)
		if c.want == "" && ok || c.want != "" && (!ok || got != c.want) {
			t.Errorf("%q with %v: %q %v, want %q", c.sql, c.args, got, ok, c.want)
		}
	}
}
