package maintain

import (
	"testing"

	"sidecar/vindex"
)

func lit(nbe bool) litFunc {
	return func(buf []byte, v vindex.Value) []byte { return vindex.AppendLiteral(buf, v, nbe) }
}

var (
	i64 = vindex.NewInt64
	str = vindex.NewVarChar
	bin = vindex.NewVarBinary
)

func TestAppendAfter(t *testing.T) {
	for _, tc := range []struct {
		cols []string
		key  []vindex.Value
		want string
	}{
		{[]string{"id"}, []vindex.Value{i64(7)}, "(`id` > 7)"},
		{[]string{"a", "b"}, []vindex.Value{i64(1), str("x")}, "(`a` > 1 OR `a` = 1 AND (`b` > 'x'))"},
		{[]string{"a", "b", "c"}, []vindex.Value{i64(1), i64(2), bin([]byte{0xff})},
			"(`a` > 1 OR `a` = 1 AND (`b` > 2 OR `b` = 2 AND (`c` > _binary X'ff')))"},
	} {
		if got := string(appendAfter(nil, tc.cols, tc.key, lit(false))); got != tc.want {
			t.Errorf("appendAfter(%v, %v) = %s, want %s", tc.cols, tc.key, got, tc.want)
		}
	}
}

func TestAppendAnyRow(t *testing.T) {
	if got, want := string(appendAnyRow(nil, []string{"name"}, [][]vindex.Value{{str("a")}, {str("b'c")}}, lit(false))),
		"`name` IN ('a', 'b''c')"; got != want {
		t.Errorf("one column: %s, want %s", got, want)
	}
	if got, want := string(appendAnyRow(nil, []string{"a", "b"}, [][]vindex.Value{{i64(1), i64(2)}, {i64(3), i64(4)}}, lit(false))),
		"((`a` = 1 AND `b` = 2) OR (`a` = 3 AND `b` = 4))"; got != want {
		t.Errorf("two columns: %s, want %s", got, want)
	}
}

func TestScanSQL(t *testing.T) {
	cols := newColumns([]string{"corder_id", "corder_event_id"}, []string{"corder_id"}, []string{"keyspace_id"})
	if got, want := scanSQL("corder_event", cols.names, []string{"corder_id", "corder_event_id"}, nil, 500, lit(false)),
		"SELECT `corder_id`, `corder_event_id`, `keyspace_id` FROM `corder_event` ORDER BY `corder_id`, `corder_event_id` LIMIT 500"; got != want {
		t.Errorf("first batch:\n%s\nwant\n%s", got, want)
	}
	if got, want := scanSQL("t", []string{"id"}, []string{"id"}, []vindex.Value{i64(9)}, 2, lit(false)),
		"SELECT `id` FROM `t` WHERE (`id` > 9) ORDER BY `id` LIMIT 2"; got != want {
		t.Errorf("next batch:\n%s\nwant\n%s", got, want)
	}
}

// Values reach the statements through AppendLiteral, for the session's sql_mode: a quote or a
// backslash cannot end a literal early, identifiers are backquoted.
func TestFillSQL(t *testing.T) {
	fills := []fill{
		{match: []vindex.Value{str(`a'b\`), i64(1)}, value: bin([]byte{0x16, 0x6b})},
		{match: []vindex.Value{str("c"), i64(2)}, value: vindex.NewUint64(4)},
	}
	want := "UPDATE `my``t` SET `key` = CASE WHEN `k` = 'a''b\\\\' AND `n` = 1 THEN _binary X'166b' WHEN `k` = 'c' AND `n` = 2 THEN 4 END" +
		" WHERE `key` IS NULL AND ((`k` = 'a''b\\\\' AND `n` = 1) OR (`k` = 'c' AND `n` = 2))"
	if got := fillSQL("my`t", "key", []string{"k", "n"}, fills, lit(false)); got != want {
		t.Errorf("fillSQL:\n%s\nwant\n%s", got, want)
	}
	// NO_BACKSLASH_ESCAPES: the backslash is an ordinary character.
	if got := fillSQL("t", "c", []string{"k"}, fills[:1], lit(true)); got != "UPDATE `t` SET `c` = CASE WHEN `k` = 'a''b\\' THEN _binary X'166b' END WHERE `c` IS NULL AND `k` IN ('a''b\\')" {
		t.Errorf("fillSQL, NO_BACKSLASH_ESCAPES: %s", got)
	}
}

func TestColumns(t *testing.T) {
	c := newColumns([]string{"ID", "b"}, []string{"id", "C"})
	if want := []string{"ID", "b", "C"}; len(c.names) != 3 || c.names[0] != want[0] || c.names[2] != want[2] {
		t.Errorf("names %v, want %v", c.names, want)
	}
	row := []vindex.Value{i64(1), i64(2), i64(3)}
	if got := c.of(row, []string{"c", "Id"}); string(got[0].Raw) != "3" || string(got[1].Raw) != "1" {
		t.Errorf("of: %v", got)
	}
}

func TestTupleKey(t *testing.T) {
	distinct := [][]vindex.Value{
		{str("a"), str("bc")},
		{str("ab"), str("c")},
		{str(""), str("abc")},
		{{Kind: vindex.Null}, str("abc")},
	}
	seen := map[string]int{}
	for i, tu := range distinct {
		k := tupleKey(tu)
		if j, dup := seen[k]; dup {
			t.Errorf("tuples %d and %d have one key %q", j, i, k)
		}
		seen[k] = i
	}
	// The text decides, not the kind: a row comes back with its column's type.
	if tupleKey([]vindex.Value{i64(5)}) != tupleKey([]vindex.Value{str("5")}) {
		t.Error("INT64 5 and VARCHAR '5' differ")
	}
}
