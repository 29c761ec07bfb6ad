package sidecar

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"sidecar/backend"
	"sidecar/engine"
	"sidecar/mysql"
)

func TestClassOf(t *testing.T) {
	cases := []struct {
		typ     byte
		flags   uint16
		charset uint16
		class   engine.ValueClass
	}{
		{mysql.TypeLongLong, mysql.FlagUnsigned, 63, engine.ClassUint},
		{mysql.TypeLong, 0, 63, engine.ClassInt},
		{mysql.TypeNewDecimal, 0, 63, engine.ClassDecimal},
		{mysql.TypeDouble, 0, 63, engine.ClassFloat},
		{mysql.TypeVarString, 0, 45, engine.ClassText},
		{mysql.TypeVarString, mysql.FlagBinary, 45, engine.ClassText}, // utf8mb4_bin: still by weights (PAD SPACE)
		{mysql.TypeVarString, mysql.FlagBinary, 63, engine.ClassBytes},
		{mysql.TypeString, mysql.FlagEnum, 45, engine.ClassEnum},
		{mysql.TypeString, mysql.FlagSet, 45, engine.ClassEnum},
		{mysql.TypeBlob, mysql.FlagBinary, 63, engine.ClassBytes},
		{mysql.TypeDateTime, 0, 63, engine.ClassBytes},
		{mysql.TypeTime, 0, 63, engine.ClassTime},
		{mysql.TypeYear, mysql.FlagUnsigned, 63, engine.ClassInt},
	}
	for _, c := range cases {
		if got := classOf(c.typ, c.flags, c.charset); got != c.class {
			t.Errorf("type %d flags %#x charset %d: class %d, want %d", c.typ, c.flags, c.charset, got, c.class)
		}
	}
}

// --- the merge itself, on results as shards send them ---

type fakeCol struct {
	name     string
	typ      byte
	flags    uint16
	charset  uint16
	decimals byte
}

func (c fakeCol) def() []byte {
	cs := c.charset
	if cs == 0 {
		cs = 63
	}
	d := mysql.AppendColumnDef(nil, c.name, c.typ, cs, 20, c.flags)
	d[len(d)-3] = c.decimals
	return d
}

// fakeShard is one shard's text result: column definitions and rows ("\N" is NULL).
func fakeShard(t *testing.T, cols []fakeCol, rows [][]string) *shardCursor {
	t.Helper()
	var buf bytes.Buffer
	w := mysql.NewBuffered(nil, &buf)
	w.Seq = 1
	w.WritePacket(mysql.AppendLenEncInt(nil, uint64(len(cols))))
	for _, c := range cols {
		w.WritePacket(c.def())
	}
	w.WritePacket(mysql.AppendEOF(nil, 0, 0))
	for _, r := range rows {
		var p []byte
		for _, v := range r {
			if v == `\N` {
				p = append(p, 0xfb)
			} else {
				p = mysql.AppendLenEncString(p, v)
			}
		}
		w.WritePacket(p)
	}
	w.WritePacket(mysql.AppendEOF(nil, 1, 0))
	w.Flush()
	bc := &backend.Conn{Pool: &backend.Pool{}, Wire: mysql.NewBuffered(&buf, nil)}
	bc.Wire.Seq = 1
	return &shardCursor{bc: bc, sent: true}
}

// runMerge merges fake shards' results by mp and returns the client's rows,
// decoded (binary rows are decoded back to text by column type).
func runMerge(t *testing.T, mp *engine.MergePlan, cols []fakeCol, shards [][][]string, binaryRows bool) ([][]string, error) {
	t.Helper()
	var cursors []*shardCursor
	var defs [][]byte
	for i, rows := range shards {
		c := fakeShard(t, cols, rows)
		d, err := c.readHeader(i == 0)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			defs = d
		}
		cursors = append(cursors, c)
	}
	var out bytes.Buffer
	ow := mysql.NewBuffered(nil, &out)
	m, rw, err := newMerge(mp, defs, cursors, ow, binaryRows)
	if err != nil {
		return nil, err
	}
	err = m.Run(rw)
	drainAll(cursors)
	for i, c := range cursors {
		if !c.done || c.warnings != 1 {
			t.Errorf("shard %d not drained to its EOF", i)
		}
	}
	if err != nil {
		return nil, err
	}
	ow.Flush()
	r := mysql.NewBuffered(&out, nil)
	var rows [][]string
	for out.Len() > 0 || r.Buffered() > 0 {
		p, err := r.ReadPacket()
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, decodeRow(t, p, rw.cols, binaryRows))
	}
	return rows, nil
}

func decodeRow(t *testing.T, p []byte, cols []mysql.Column, binaryRow bool) []string {
	t.Helper()
	var out []string
	if !binaryRow {
		pos := 0
		for range cols {
			n, null, size, _ := mysql.ReadLenEncInt(p[pos:])
			pos += size
			if null {
				out = append(out, `\N`)
				continue
			}
			out = append(out, string(p[pos:pos+int(n)]))
			pos += int(n)
		}
		return out
	}
	if p[0] != 0 {
		t.Fatalf("binary row header %x", p[0])
	}
	nulls := p[1 : 1+(len(cols)+9)/8]
	pos := 1 + len(nulls)
	for i, c := range cols {
		if nulls[(i+2)/8]&(1<<((i+2)%8)) != 0 {
			out = append(out, `\N`)
			continue
		}
		size, err := paramSize(c.Type, p[pos:])
		if err != nil {
			t.Fatal(err)
		}
		v := p[pos : pos+size]
		pos += size
		switch c.Type {
		case mysql.TypeDouble:
			out = append(out, strconv.FormatFloat(math.Float64frombits(binary.LittleEndian.Uint64(v)), 'g', -1, 64))
		default:
			val, err := decodeParam(c.Type, c.Flags&mysql.FlagUnsigned != 0, v)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, string(val.Raw))
		}
	}
	return out
}

var (
	colID   = fakeCol{name: "id", typ: mysql.TypeLongLong}
	colName = fakeCol{name: "name", typ: mysql.TypeVarString, charset: 45}
	colW    = fakeCol{name: "weight_string(name)", typ: mysql.TypeVarString, flags: mysql.FlagBinary}
	colPad  = fakeCol{name: "pad", typ: mysql.TypeVarString, flags: mysql.FlagBinary}
)

// ws is a toy weight string: upper case, so 'a' = 'A'.
func ws(s string) string {
	if s == `\N` {
		return s
	}
	return strings.ToUpper(s)
}

func TestMergeOrderLimit(t *testing.T) {
	// select id, name from t order by name desc, id limit 2, 4 — three shards
	lim := &engine.Limit{Offset: 2, Count: 4, Source: &engine.MergeSort{Keys: []engine.MergeKey{
		{Col: engine.MergeCol{Index: 1}, Weight: engine.MergeCol{Index: 0, Hidden: true}, Pad: engine.MergeCol{Index: 1, Hidden: true}, HasWeight: true, Desc: true},
		{Col: engine.MergeCol{Index: 0}},
	}}}
	mp := &engine.MergePlan{Columns: 2, Hidden: 2, Top: lim}
	cols := []fakeCol{colID, colName, colW, colPad}
	row := func(id, name string) []string { return []string{id, name, ws(name), " "} }
	shards := [][][]string{
		{row("3", "c"), row("1", "B"), row("10", "a"), row("11", `\N`)},
		{row("4", "C"), row("2", "b"), row("9", `\N`)},
		{row("5", "d"), row("8", "A"), row("12", "A")},
	}
	want := [][]string{{"4", "C"}, {"1", "B"}, {"2", "b"}, {"8", "A"}}
	for _, bin := range []bool{false, true} {
		got, err := runMerge(t, mp, cols, shards, bin)
		if err != nil {
			t.Fatal(err)
		}
		// ties (c/C, a/A) are decided by id, the second key
		if !reflect.DeepEqual(got, want) {
			t.Errorf("binary=%v: %q, want %q", bin, got, want)
		}
	}
	// No LIMIT: everything, NULLs last (descending).
	mp.Top = lim.Source
	got, err := runMerge(t, mp, cols, shards, false)
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{}
	for _, r := range got {
		ids = append(ids, r[0])
	}
	if strings.Join(ids, ",") != "5,3,4,1,2,8,10,12,9,11" {
		t.Errorf("order %v", ids)
	}
	// LIMIT 0 and an OFFSET past the end.
	for _, ol := range [][2]uint64{{0, 0}, {20, 5}} {
		mp.Top = &engine.Limit{Offset: ol[0], Count: ol[1], Source: lim.Source}
		if got, err := runMerge(t, mp, cols, shards, false); err != nil || len(got) != 0 {
			t.Errorf("offset %d limit %d: %q %v", ol[0], ol[1], got, err)
		}
	}
}

func TestMergeConcatLimit(t *testing.T) {
	mp := &engine.MergePlan{Columns: -1, Top: &engine.Limit{Offset: 1, Count: 3, Source: &engine.Concat{}}}
	got, err := runMerge(t, mp, []fakeCol{colID}, [][][]string{{{"1"}, {"2"}}, {{"3"}, {"4"}}}, false)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != "[[2] [3] [4]]" {
		t.Errorf("got %v", got)
	}
}

// TestMergeGroups: select name, count(*), sum(x), min(x), max(name), avg(x) … group by name, with AVG's
// partial sum and count hidden, groups split across shards.
func TestMergeGroups(t *testing.T) {
	k := engine.MergeKey{Col: engine.MergeCol{Index: 0}, Weight: engine.MergeCol{Index: 0, Hidden: true}, Pad: engine.MergeCol{Index: 1, Hidden: true}, HasWeight: true}
	h := func(i int) engine.MergeCol { return engine.MergeCol{Index: i, Hidden: true} }
	v := func(i int) engine.MergeCol { return engine.MergeCol{Index: i} }
	mp := &engine.MergePlan{Columns: 6, Hidden: 6, Top: &engine.Aggregate{
		Groups: []engine.MergeKey{k},
		Aggregates: []engine.MergeAgg{
			{Func: engine.AggCount, Col: v(1)},
			{Func: engine.AggSum, Col: v(2)},
			{Func: engine.AggMin, Col: v(3)},
			{Func: engine.AggMax, Col: v(4), Weight: h(2), Pad: h(3), HasWeight: true},
			{Func: engine.AggAvg, Col: v(5), Sum: h(4), Count: h(5)},
		},
		Source: &engine.MergeSort{Keys: []engine.MergeKey{k}},
	}}
	cols := []fakeCol{colName, {name: "count(*)", typ: mysql.TypeLongLong}, {name: "sum(x)", typ: mysql.TypeNewDecimal, decimals: 0},
		{name: "min(x)", typ: mysql.TypeLong}, {name: "max(name)", typ: mysql.TypeVarString, charset: 45},
		{name: "avg(x)", typ: mysql.TypeNewDecimal, decimals: 4},
		colW, colPad, colW, colPad, {name: "sum(x)", typ: mysql.TypeNewDecimal}, {name: "count(x)", typ: mysql.TypeLongLong}}
	row := func(name, count, sum, min, max, avg, s, c string) []string {
		return []string{name, count, sum, min, max, avg, ws(name), " ", ws(max), " ", s, c}
	}
	shards := [][][]string{
		{row(`\N`, "2", `\N`, `\N`, `\N`, `\N`, `\N`, "0"), row("a", "2", "3", "1", "z", "1.5000", "3", "2"), row("b", "1", "5", "5", "B", "5.0000", "5", "1")},
		{row("A", "3", "-2", "-4", "Z ", "-1.0000", "-2", "2"), row("c", "1", `\N`, `\N`, "q", `\N`, `\N`, "0")},
		{row(`\N`, "1", "7", "7", "m", "7.0000", "7", "1"), row("B", "2", "1", "0", "a", "0.5000", "1", "2")},
	}
	want := [][]string{
		{`\N`, "3", "7", "7", "m", "7.0000"},
		{"a", "5", "1", "-4", "z", "0.2500"}, // max: 'z' = 'Z ' (PAD SPACE): the first one stays
		{"b", "3", "6", "0", "B", "2.0000"},
		{"c", "1", `\N`, `\N`, "q", `\N`},
	}
	for _, bin := range []bool{false, true} {
		got, err := runMerge(t, mp, cols, shards, bin)
		if err != nil {
			t.Fatal(err)
		}
		if bin {
			want[0][5], want[1][5], want[2][5] = "7.0000", "0.2500", "2.0000"
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("binary=%v:\n got %q\nwant %q", bin, got, want)
		}
	}
	// ORDER BY count(*) desc LIMIT 2: groups held and sorted after the merge.
	mp.Top = &engine.Limit{Count: 2, Source: &engine.MemorySort{Keys: []engine.MergeKey{{Col: v(1), Desc: true}}, Source: mp.Top}}
	got, err := runMerge(t, mp, cols, shards, false)
	if err != nil {
		t.Fatal(err)
	}
	if got[0][0] != "a" || got[1][0] != `\N` || len(got) != 2 {
		t.Errorf("post sort: %q", got)
	}
}

// TestMergeAggregatesNoGroup: one row from every shard, combined; DOUBLE sums and averages formatted
// like MariaDB; an empty table gives COUNT 0 and NULLs.
func TestMergeAggregatesNoGroup(t *testing.T) {
	v := func(i int) engine.MergeCol { return engine.MergeCol{Index: i} }
	h := func(i int) engine.MergeCol { return engine.MergeCol{Index: i, Hidden: true} }
	mp := &engine.MergePlan{Columns: 5, Hidden: 2, Top: &engine.Aggregate{Aggregates: []engine.MergeAgg{
		{Func: engine.AggCount, Col: v(0)},
		{Func: engine.AggSum, Col: v(1)},
		{Func: engine.AggAvg, Col: v(2), Sum: h(0), Count: h(1)},
		{Func: engine.AggBitOr, Col: v(3)},
		{Func: engine.AggBitAnd, Col: v(4)},
	}, Source: &engine.Concat{}}}
	dbl := fakeCol{name: "sum(f)", typ: mysql.TypeDouble, decimals: 31}
	cols := []fakeCol{{name: "count(*)", typ: mysql.TypeLongLong}, dbl, {name: "avg(f)", typ: mysql.TypeDouble, decimals: 31},
		{name: "bit_or(u)", typ: mysql.TypeLongLong, flags: mysql.FlagUnsigned}, {name: "bit_and(u)", typ: mysql.TypeLongLong, flags: mysql.FlagUnsigned},
		dbl, {name: "count(f)", typ: mysql.TypeLongLong}}
	shards := [][][]string{
		{{"2", "0.1", "0.05", "1", "3", "0.1", "2"}},
		{{"1", "0.2", "0.2", "4", "18446744073709551615", "0.2", "1"}},
		{{"0", `\N`, `\N`, "0", "18446744073709551615", `\N`, "0"}},
	}
	got, err := runMerge(t, mp, cols, shards, false)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"3", "0.30000000000000004", "0.10000000000000002", "5", "3"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	empty := [][][]string{{{"0", `\N`, `\N`, "0", "18446744073709551615", `\N`, "0"}}, {{"0", `\N`, `\N`, "0", "18446744073709551615", `\N`, "0"}}}
	got, err = runMerge(t, mp, cols, empty, true)
	if err != nil {
		t.Fatal(err)
	}
	want = [][]string{{"0", `\N`, `\N`, "0", "18446744073709551615"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("empty: got %q, want %q", got, want)
	}
}

// TestMergeRefusesAtRuntime: keys whose comparison the merge cannot reproduce are refused once the
// column types are known.
func TestMergeRefusesAtRuntime(t *testing.T) {
	enum := fakeCol{name: "e", typ: mysql.TypeString, flags: mysql.FlagEnum, charset: 45}
	byFirst := &engine.MergeSort{Keys: []engine.MergeKey{{Col: engine.MergeCol{Index: 0}}}}
	mp := &engine.MergePlan{Columns: -1, Top: byFirst}
	if _, err := runMerge(t, mp, []fakeCol{enum}, [][][]string{{{"a"}}, {{"b"}}}, false); err == nil || !strings.Contains(err.Error(), "ENUM") {
		t.Errorf("ORDER BY an ENUM: %v", err)
	}
	// select * … order by 2, where column 2 is text: no weights to compare it by.
	byFirst.Keys[0].Col.Index = 1
	if _, err := runMerge(t, mp, []fakeCol{colID, colName}, [][][]string{{{"1", "a"}}, {{"2", "b"}}}, false); err == nil || !strings.Contains(err.Error(), "name the column") {
		t.Errorf("ORDER BY position of a text column in *: %v", err)
	}
}
