package engine

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"sidecar/mysql"
	"sidecar/sqlerr"
	"sidecar/vindex"
)

// fakeCursor answers from canned results and records every statement it is sent.
type fakeCursor struct {
	sent    []string
	results map[string]*Result // by the start of the statement; the longest match answers
	// noTemps: the backend makes no temporary table (a READ ONLY transaction).
	noTemps bool
}

func (f *fakeCursor) answer(kind, sql string) (*Result, error) {
	f.sent = append(f.sent, kind+" "+sql)
	best := ""
	for prefix := range f.results {
		if strings.HasPrefix(sql, prefix) && len(prefix) > len(best) {
			best = prefix
		}
	}
	if best == "" {
		return nil, sqlerr.Routing("no canned result for %s", sql)
	}
	return f.results[best], nil
}

func (f *fakeCursor) Select(_ context.Context, r Read) (*Result, error) {
	return f.answer("route "+r.Keyspace, r.SQL)
}

func (f *fakeCursor) SelectOn(_ context.Context, keyspace, sql string, temps ...TempTable) (*Result, error) {
	for _, t := range temps {
		f.sent = append(f.sent, "evaluate "+keyspace+" "+t.Create)
		if f.noTemps {
			return nil, &TempTableError{Err: sqlerr.New(1792, "25006", "Cannot execute statement in a READ ONLY transaction")}
		}
		f.sent = append(f.sent, "evaluate "+keyspace+" "+t.Insert)
	}
	return f.answer("evaluate "+keyspace, sql)
}

func rows(values ...[]string) [][][]byte {
	out := make([][][]byte, len(values))
	for i, r := range values {
		out[i] = make([][]byte, len(r))
		for j, v := range r {
			if v != "NULL" {
				out[i][j] = []byte(v)
			}
		}
	}
	return out
}

// joinPlan is `select c.name, o.total from c join o on o.cid = c.id where c.tier = ? limit ?`,
// o reduced by c; joinArgs are its arguments, 1 and 10.
func joinPlan() *Evaluate {
	return &Evaluate{
		Keyspace: "ks",
		Parts: []Template{{{Text: "SELECT c.name, o.total FROM "}}, {{Text: " AS c JOIN "}},
			{{Text: " AS o ON o.cid = c.id LIMIT ", Arg: 2}}},
		Slots: []int{0, 1},
		Tables: []*Gather{
			{Alias: "c", Keyspace: "ks", Select: "SELECT c.id, c.name FROM c AS c", Where: Template{{Text: "(c.tier = ", Arg: 1}, {Text: ")"}}, Typed: true},
			{Alias: "o", Keyspace: "ks", Select: "SELECT o.cid, o.total FROM o AS o", Reduce: &Reduce{Column: "o.cid", Source: 0, SourceColumn: "id"}, Typed: true},
		},
	}
}

var joinArgs = []vindex.Value{vindex.NewInt64(1), vindex.NewInt64(10)}

// TestEvaluateSends: the gathers run in order, the second reduced by the first's join values
// (distinct, no NULL), and the evaluated statement holds the gathered rows as literals after the
// table's own empty SELECT, which gives the columns their types.
func TestEvaluateSends(t *testing.T) {
	f := &fakeCursor{results: map[string]*Result{
		"SELECT c.":     {Fields: []Field{{Name: "id", Kind: Int}, {Name: "name", Kind: Text}}, Rows: rows([]string{"1", "ann"}, []string{"2", "it's \\ me"}, []string{"1", "ann"}, []string{"NULL", "x"})},
		"SELECT o.":     {Fields: []Field{{Name: "cid", Kind: Int}, {Name: "total", Kind: Decimal}}, Rows: rows([]string{"2", "9.50"}, []string{"2", "NULL"})},
		"SELECT c.name": {Fields: []Field{{Name: "name", Kind: Text}}, Rows: rows([]string{"x"})},
	}}
	res, err := joinPlan().Execute(context.Background(), &Env{Cursor: f, Args: joinArgs})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 1 {
		t.Errorf("result rows %v", res.Rows)
	}
	want := []string{
		"route ks SELECT c.id, c.name FROM c AS c WHERE (c.tier = 1)",
		"route ks SELECT o.cid, o.total FROM o AS o WHERE o.cid IN (1, 2)",
		"evaluate ks SELECT c.name, o.total FROM (SELECT c.id, c.name FROM c AS c WHERE FALSE UNION ALL SELECT 1, 'ann' UNION ALL SELECT 2, 'it''s \\\\ me' UNION ALL SELECT 1, 'ann' UNION ALL SELECT NULL, 'x') AS c JOIN " +
			"(SELECT o.cid, o.total FROM o AS o WHERE FALSE UNION ALL SELECT 2, 9.50 UNION ALL SELECT 2, NULL) AS o ON o.cid = c.id LIMIT 10",
	}
	if strings.Join(f.sent, "\n") != strings.Join(want, "\n") {
		t.Errorf("sent\n%s\nwant\n%s", strings.Join(f.sent, "\n"), strings.Join(want, "\n"))
	}
}

// TestEvaluateTempTable: gathered rows with an ENUM column go into a temporary table made from the
// table's own columns, which the evaluated statement reads by name: a UNION with literals would
// make the ENUM a VARCHAR, compared and sorted by its text. Rows without such a column stay
// literals; where the backend makes no temporary table (a READ ONLY transaction), all do.
func TestEvaluateTempTable(t *testing.T) {
	const orders = "(SELECT o.cid, o.total FROM o AS o WHERE FALSE UNION ALL SELECT 2, 9.50) AS o ON o.cid = c.id LIMIT 10"
	for _, tc := range []struct {
		noTemps bool
		want    []string
	}{
		{false, []string{
			"evaluate ks CREATE TEMPORARY TABLE `_sidecar_rows_0` AS SELECT c.id, c.name FROM c AS c WHERE FALSE",
			"evaluate ks INSERT IGNORE INTO `_sidecar_rows_0` VALUES (1, 'paid'), (2, 'it''s')",
			"evaluate ks SELECT c.name, o.total FROM `_sidecar_rows_0` AS c JOIN " + orders,
		}},
		{true, []string{
			"evaluate ks CREATE TEMPORARY TABLE `_sidecar_rows_0` AS SELECT c.id, c.name FROM c AS c WHERE FALSE",
			"evaluate ks SELECT c.name, o.total FROM (SELECT c.id, c.name FROM c AS c WHERE FALSE UNION ALL SELECT 1, 'paid' UNION ALL SELECT 2, 'it''s') AS c JOIN " + orders,
		}},
	} {
		enum := mysql.AppendColumnDef(nil, "status", mysql.TypeString, 45, 20, mysql.FlagEnum)
		f := &fakeCursor{noTemps: tc.noTemps, results: map[string]*Result{
			"SELECT c.": {Fields: []Field{{Name: "id", Kind: Int}, {Name: "status", Kind: Text, Def: enum}}, Rows: rows([]string{"1", "paid"}, []string{"2", "it's"})},
			"SELECT o.": {Fields: []Field{{Name: "cid", Kind: Int}, {Name: "total", Kind: Decimal}}, Rows: rows([]string{"2", "9.50"})},
		}}
		if _, err := joinPlan().Execute(context.Background(), &Env{Cursor: f, Args: joinArgs}); err != nil {
			t.Fatal(err)
		}
		want := append([]string{
			"route ks SELECT c.id, c.name FROM c AS c WHERE (c.tier = 1)",
			"route ks SELECT o.cid, o.total FROM o AS o WHERE o.cid IN (1, 2)",
		}, tc.want...)
		if strings.Join(f.sent, "\n") != strings.Join(want, "\n") {
			t.Errorf("no temporary tables %v: sent\n%s\nwant\n%s", tc.noTemps, strings.Join(f.sent, "\n"), strings.Join(want, "\n"))
		}
	}
}

// TestEvaluateReduceCollations: a join of string columns narrows the second gather by the first's
// values where both columns have one collation; where the reduced column's is another, the IN list
// would compare in it (latin1_swedish_ci tells 'U' from 'Ü', which the join in utf8mb4_general_ci
// finds equal), so the second table is gathered whole.
func TestEvaluateReduceCollations(t *testing.T) {
	for _, tc := range []struct{ target, want string }{
		{"latin1_swedish_ci", "route ks SELECT y.l FROM y AS y"},
		{"utf8mb4_general_ci", "route ks SELECT y.l FROM y AS y WHERE y.l IN ('U')"},
	} {
		e := &Evaluate{
			Keyspace: "ks",
			Parts:    []Template{{{Text: "SELECT x.a FROM "}}, {{Text: " AS x JOIN "}}, {{Text: " AS y ON y.l = x.a"}}},
			Slots:    []int{0, 1},
			Tables: []*Gather{
				{Alias: "x", Keyspace: "ks", Select: "SELECT x.a FROM x AS x", From: " FROM x AS x", Typed: true},
				{Alias: "y", Keyspace: "ks", Select: "SELECT y.l FROM y AS y", From: " FROM y AS y", Typed: true,
					Reduce: &Reduce{Column: "y.l", Source: 0, SourceColumn: "a"}},
			},
		}
		f := &fakeCursor{results: map[string]*Result{
			"SELECT x.a":                       {Fields: []Field{{Name: "a", OrgName: "a", Kind: Text}}, Rows: rows([]string{"U"})},
			"SELECT COLLATION(`x`.`a`)":        {Rows: rows([]string{"utf8mb4_general_ci"})},
			"SELECT COLLATION(y.l)":            {Rows: rows([]string{tc.target})},
			"SELECT y.l":                       {Fields: []Field{{Name: "l", OrgName: "l", Kind: Text}}, Rows: rows([]string{"Ü"})},
			"SELECT COLLATION(`y`.`l`)":        {Rows: rows([]string{tc.target})},
			"SELECT x.a FROM (SELECT x.a FROM": {Fields: []Field{{Name: "a", Kind: Text}}},
		}}
		if _, err := e.Execute(context.Background(), &Env{Cursor: f, CastCollate: true}); err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(f.sent, tc.want) {
			t.Errorf("reduced column in %s: sent\n%s\nwant among them %s", tc.target, strings.Join(f.sent, "\n"), tc.want)
		}
	}
}

// TestDerivedOtherKeyspace: a table of another keyspace than the evaluating one is not on its
// backend; its rows are literals alone, the first naming the columns, or a row of NULLs no
// condition lets through.
func TestDerivedOtherKeyspace(t *testing.T) {
	g := &Gather{Alias: "p", Keyspace: "other", Select: "SELECT p.id, p.name FROM p AS p"}
	res := &Result{Fields: []Field{{Name: "id", Kind: Int}, {Name: "name", Kind: Text}}, Rows: rows([]string{"1", "a"}, []string{"2", "NULL"})}
	if got, want := string(appendDerived(nil, g, res, nil, false)), "(SELECT 1 AS `id`, 'a' AS `name` UNION ALL SELECT 2, NULL)"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	// Strings in their column's collation, which the table's own values compare by.
	colls := []string{"", "latin1_swedish_ci"}
	if got, want := string(appendDerived(nil, g, res, colls, false)), "(SELECT 1 AS `id`, CAST('a' AS CHAR CHARACTER SET latin1 COLLATE latin1_swedish_ci) AS `name` UNION ALL SELECT 2, NULL)"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	res.Rows = nil
	if got, want := string(appendDerived(nil, g, res, nil, false)), "(SELECT NULL AS `id`, NULL AS `name` FROM DUAL WHERE FALSE)"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// TestGatherCollations: the collations of a gather's text columns are read from its table (a
// result's column definitions name the connection's); a name no COLLATE clause could carry as it
// is, or without a character set, is not used. The plan keeps them: the next execution reads none.
func TestGatherCollations(t *testing.T) {
	g := &Gather{Alias: "p", Keyspace: "other", Select: "SELECT p.id, p.name, p.code FROM p AS p", From: " FROM `p` AS `p`", Known: &GatherKnown{}}
	res := &Result{Fields: []Field{{Name: "id", OrgName: "id", Kind: Int}, {Name: "name", OrgName: "name", Kind: Text}, {Name: "code", OrgName: "code", Kind: Text}},
		Rows: rows([]string{"1", "a", "x"})}
	cur := &fakeCursor{results: map[string]*Result{
		"SELECT COLLATION(`p`.`name`), COLLATION(`p`.`code`) FROM `p` AS `p` LIMIT 1": {Rows: rows([]string{"utf8mb4_bin", "bad'name"})},
	}}
	got, err := g.collations(context.Background(), &Env{Cursor: cur}, res)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"", "utf8mb4_bin", ""}; !reflect.DeepEqual(got, want) {
		t.Errorf("collations %q, want %q (sent: %q)", got, want, cur.sent)
	}
	again, err := g.collations(context.Background(), &Env{Cursor: cur}, res)
	if err != nil || !reflect.DeepEqual(again, got) || len(cur.sent) != 1 {
		t.Errorf("second execution: %q, %v; sent %q, want the collations kept", again, err, cur.sent)
	}
}

// TestEvaluateReduceBatches: integer join values go in IN lists of reduceBatch values; other values
// beyond one list read the table whole (two strings equal under a collation could each fetch the
// same row); no values at all read no rows but still the columns.
func TestEvaluateReduceBatches(t *testing.T) {
	for _, c := range []struct {
		kind   Kind
		values int
		want   []string // what the second gather sends, in short
	}{
		{Int, 3, []string{"IN (0, 1, 2)"}},
		{Unsigned, 3, []string{"IN (0, 1, 2)"}}, // no CAST: the router maps plain numbers by the vindex
		{Int, reduceBatch + 1, []string{fmt.Sprintf("IN (0, … %d)", reduceBatch-1), fmt.Sprintf("IN (%d)", reduceBatch)}},
		{Text, 3, []string{"IN ('0', '1', '2')"}},
		{Text, reduceBatch + 1, []string{"whole"}},
		{Int, 0, []string{"FALSE"}},
	} {
		src := &Result{Fields: []Field{{Name: "id", Kind: c.kind}, {Name: "name", Kind: Text}}}
		for i := range c.values {
			src.Rows = append(src.Rows, [][]byte{[]byte(fmt.Sprint(i)), []byte("n")})
		}
		f := &fakeCursor{results: map[string]*Result{
			"SELECT c.":     src,
			"SELECT o.":     {Fields: []Field{{Name: "cid", Kind: Int}, {Name: "total", Kind: Decimal}}},
			"SELECT c.name": {Fields: []Field{{Name: "name", Kind: Text}}},
		}}
		if _, err := joinPlan().Execute(context.Background(), &Env{Cursor: f, Args: joinArgs}); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, s := range f.sent[1 : len(f.sent)-1] {
			_, where, _ := strings.Cut(s, " WHERE ")
			switch {
			case where == "":
				got = append(got, "whole")
			case strings.HasPrefix(where, "o.cid IN ("):
				list := strings.TrimSuffix(strings.TrimPrefix(where, "o.cid IN ("), ")")
				if vals := strings.Split(list, ", "); len(vals) > 5 {
					list = vals[0] + ", … " + vals[len(vals)-1]
				}
				got = append(got, "IN ("+list+")")
			default:
				got = append(got, where)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%d values of kind %d: sent %v, want %v", c.values, c.kind, got, c.want)
		}
	}
}

// TestEvaluateMaxRows: the rows a plan holds are bounded; past the bound the statement is refused
// before the evaluation is sent.
func TestEvaluateMaxRows(t *testing.T) {
	f := &fakeCursor{results: map[string]*Result{
		"SELECT c.": {Fields: []Field{{Name: "id", Kind: Int}, {Name: "name", Kind: Text}}, Rows: rows([]string{"1", "a"}, []string{"2", "b"})},
		"SELECT o.": {Fields: []Field{{Name: "cid", Kind: Int}, {Name: "total", Kind: Decimal}}, Rows: rows([]string{"1", "1"}, []string{"2", "2"})},
	}}
	_, err := joinPlan().Execute(context.Background(), &Env{Cursor: f, Args: joinArgs, MaxRows: 3})
	if e := sqlerr.From(err); err == nil || e.Num != 1105 || !strings.Contains(e.Message, "max_memory_rows") {
		t.Fatalf("want the max_memory_rows error, got %v", err)
	}
	if len(f.sent) != 2 {
		t.Errorf("sent %q", f.sent)
	}
}

// TestAppendLiteral: every value is written as a literal of its column's kind that reads back as
// the same value; text that does not look like its kind is a quoted string, so a value can never
// end its literal early.
func TestAppendLiteral(t *testing.T) {
	for _, c := range []struct {
		v    string
		kind Kind
		nbe  bool
		want string
	}{
		{"-12", Int, false, "-12"},
		{"12", Unsigned, false, "CAST(12 AS UNSIGNED)"},
		{"NULL", Unsigned, false, "CAST(NULL AS UNSIGNED)"},
		{"NULL", Text, false, "NULL"},
		{"-3.50", Decimal, false, "-3.50"},
		{"1.5", Float, false, "1.5e0"},
		{"-2.5e-7", Float, false, "-2.5e-7"},
		{"2024-01-02", Date, false, "DATE'2024-01-02'"},
		{"2024-01-02 03:04:05.678", DateTime, false, "TIMESTAMP'2024-01-02 03:04:05.678'"},
		{"0000-00-00 00:00:00", DateTime, false, "CAST('0000-00-00 00:00:00' AS DATETIME)"},
		{"2024-00-10", Date, false, "CAST('2024-00-10' AS DATE)"},
		{"-838:59:59", Time, false, "TIME'-838:59:59'"},
		{"\x00\xff'", Binary, false, "_binary X'00ff27'"},
		{`{"a": "it's"}`, JSON, false, `CAST('{"a": "it''s"}' AS JSON)`},
		{`a'b\`, Text, false, `'a''b\\'`},
		{`a'b\`, Text, true, `'a''b\'`},
		{"1 OR 1=1", Int, false, "'1 OR 1=1'"},
		{"1); DROP TABLE t; --", Decimal, false, "'1); DROP TABLE t; --'"},
		{"2024-01-01' OR '1", DateTime, false, "'2024-01-01'' OR ''1'"},
		{"1e5", Int, false, "'1e5'"},
	} {
		var v []byte
		if c.v != "NULL" {
			v = []byte(c.v)
		}
		if got := string(appendLiteral(nil, v, c.kind, c.nbe)); got != c.want {
			t.Errorf("%q as kind %d: %s, want %s", c.v, c.kind, got, c.want)
		}
	}
}

// TestDescribe: the plan of a shape, its arguments as ?; bound to an execution's arguments (as
// VEXPLAIN lists it), their values.
func TestDescribe(t *testing.T) {
	want := `Evaluate on ks: SELECT c.name, o.total FROM (<c>) AS c JOIN (<o>) AS o ON o.cid = c.id LIMIT ?
  Gather c from ks: SELECT c.id, c.name FROM c AS c WHERE (c.tier = ?)
  Gather o from ks: SELECT o.cid, o.total FROM o AS o, o.cid IN (values of c.id)
`
	if got := Describe(joinPlan()); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	want = strings.NewReplacer("LIMIT ?", "LIMIT 10", "tier = ?", "tier = 1").Replace(want)
	if got := Describe(joinPlan().Bound(joinArgs, false)); got != want {
		t.Errorf("bound: got\n%s\nwant\n%s", got, want)
	}
}

// TestEvaluateSources: an evaluated column that shows a gathered column as it is names it as its
// source; an integer or ENUM column also takes its type (the UNION of literals widened it, or made
// it a VARCHAR), other kinds and other strings keep their own. Expressions have no source.
func TestEvaluateSources(t *testing.T) {
	f := &fakeCursor{results: map[string]*Result{
		"SELECT c.": {Fields: []Field{{Name: "id", Kind: Int, Def: []byte("tinyint")}, {Name: "name", Kind: Text, Def: []byte("varchar")},
			{Name: "status", Kind: Text, Def: []byte("enum"), Loose: true}}, Rows: rows([]string{"1", "a", "new"})},
		"SELECT o.": {Fields: []Field{{Name: "cid", Kind: Int}, {Name: "total", Kind: Decimal}}},
		"SELECT c.name": {Fields: []Field{{Name: "id", Kind: Int, Table: "c", OrgName: "id"}, {Name: "name", Kind: Text, Table: "c", OrgName: "name"},
			{Name: "n", Kind: Int}, {Name: "cid", Kind: Int, Table: "x", OrgName: "cid"}, {Name: "status", Kind: Text, Table: "c", OrgName: "status"}}},
	}}
	res, err := joinPlan().Execute(context.Background(), &Env{Cursor: f, Args: joinArgs})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []struct {
		source, typ bool
	}{{true, true}, {true, false}, {false, false}, {false, false}, {true, true}} {
		got := res.Fields[i]
		if s := got.Source; (s != nil) != want.source || s != nil && s.Name != got.Name || got.SourceType != want.typ {
			t.Errorf("column %s: source %+v (its type: %v), want one: %v (its type: %v)", got.Name, s, got.SourceType, want.source, want.typ)
		}
	}
}

// TestEvaluateSourcesSameAlias: gathers of one name (a subquery's c and the outer query's c, or C
// and c) whose columns of a name differ leave an evaluated column its own definition: either would
// be a guess, and a TINYINT's type on an INT column garbles its binary rows. A column only one of
// them has, or alike in both (the same table twice), is theirs.
func TestEvaluateSourcesSameAlias(t *testing.T) {
	for _, tc := range []struct {
		otherID string // the definition of the other gather's id
		want    map[string]bool
	}{
		{"int", map[string]bool{"id": false, "name": true}},
		{"tinyint", map[string]bool{"id": true, "name": true}},
	} {
		e := joinPlan()
		e.Tables[1].Alias = "C"
		f := &fakeCursor{results: map[string]*Result{
			"SELECT c.": {Fields: []Field{{Name: "id", Kind: Int, Def: []byte("tinyint")}, {Name: "name", Kind: Text, Def: []byte("varchar")}},
				Rows: rows([]string{"1", "a"})},
			"SELECT o.":     {Fields: []Field{{Name: "id", Kind: Int, Def: []byte(tc.otherID)}, {Name: "total", Kind: Decimal, Def: []byte("decimal")}}},
			"SELECT c.name": {Fields: []Field{{Name: "id", Kind: Int, Table: "c", OrgName: "id"}, {Name: "name", Kind: Text, Table: "c", OrgName: "name"}}},
		}}
		res, err := e.Execute(context.Background(), &Env{Cursor: f, Args: joinArgs})
		if err != nil {
			t.Fatal(err)
		}
		for _, got := range res.Fields {
			if want := tc.want[got.Name]; (got.Source != nil) != want {
				t.Errorf("other id %s, column %s: source %+v, want one: %v", tc.otherID, got.Name, got.Source, want)
			}
		}
	}
}

// TestDerivedFloat: a FLOAT's text goes back as a FLOAT, which keeps the column FLOAT and its
// values the table's (0.975 is the FLOAT 0.97500002…); a FLOAT(M,D)'s, rounded to its decimals,
// as a DOUBLE, as before (12345.67 as a FLOAT would show 12345.7).
func TestDerivedFloat(t *testing.T) {
	def := func(decimals byte) []byte {
		d := mysql.AppendColumnDef(nil, "fl", mysql.TypeFloat, 63, 12, 0)
		d[len(d)-3] = decimals
		return d
	}
	g := &Gather{Alias: "a", Keyspace: "other", Select: "SELECT a.fl, a.fmd FROM t AS a"}
	res := &Result{Fields: []Field{{Name: "fl", Kind: Float, Loose: true, Def: def(mysql.NotFixedDecimals)}, {Name: "fmd", Kind: Float, Loose: true, Def: def(2)}},
		Rows: rows([]string{"-0.975", "12345.67"}, []string{"NULL", "NULL"})}
	if got, want := string(appendDerived(nil, g, res, nil, false)), "(SELECT CAST(-0.975 AS FLOAT) AS `fl`, 12345.67e0 AS `fmd` UNION ALL SELECT NULL, NULL)"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
