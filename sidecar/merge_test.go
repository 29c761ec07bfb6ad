package sidecar

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"sidecar/backend"
	"sidecar/mysql"
	"sidecar/planner"
)

func TestComparePadded(t *testing.T) {
	h := func(s string) []byte {
		b, err := hex.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	// utf8mb4_general_ci: 2-byte weights, space = 0x0020.
	cases := []struct {
		a, b, pad string
		want      int
	}{
		{"0041", "0041", "0020", 0},         // 'a' = 'A'
		{"0041", "00410020", "0020", 0},     // 'a' = 'a ' (PAD SPACE)
		{"0041", "004100200020", "0020", 0}, // 'a' = 'a  '
		{"0041", "00410009", "0020", 1},     // 'a' > 'a\t': the tab sorts below the padding space
		{"0041", "00410042", "0020", -1},    // 'a' < 'ab'
		{"0041", "00410020", "", -1},        // NO PAD: 'a' < 'a '
		{"0042", "00410042", "0020", 1},
		{"", "0020", "0020", 0}, // '' = ' '
		{"", "0041", "0020", -1},
		{"4120", "41", "20", 0}, // latin1_swedish_ci: 1-byte weights
		{"000061000020", "000061", "000020", 0},
	}
	for _, c := range cases {
		a, b := h(c.a), h(c.b)
		var pad []byte
		if c.pad != "" {
			pad = h(c.pad)
		}
		if got := comparePadded(a, b, pad); got != c.want {
			t.Errorf("comparePadded(%s, %s, %s) = %d, want %d", c.a, c.b, c.pad, got, c.want)
		}
		if got := comparePadded(b, a, pad); got != -c.want {
			t.Errorf("comparePadded(%s, %s, %s) = %d, want %d", c.b, c.a, c.pad, got, -c.want)
		}
	}
}

func TestCompareDecimalText(t *testing.T) {
	ordered := []string{"-100.5", "-100", "-99.99", "-1", "-0.5", "-0.01", "0", "0.001", "0.1", "0.5", "1", "1.01", "9", "10", "99.999", "100", "12345678901234567890.1"}
	for i, a := range ordered {
		for j, b := range ordered {
			want := cmpOrdered(int64(i), int64(j))
			if got := compareDecimalText([]byte(a), []byte(b)); got != want {
				t.Errorf("compare(%s, %s) = %d, want %d", a, b, got, want)
			}
		}
	}
	for _, eq := range [][2]string{{"1.50", "1.5"}, {"0.00", "0"}, {"-0.00", "0"}, {"007", "7"}, {"-0", "0.0"}} {
		if got := compareDecimalText([]byte(eq[0]), []byte(eq[1])); got != 0 {
			t.Errorf("compare(%s, %s) = %d, want 0", eq[0], eq[1], got)
		}
	}
}

func TestCompareValue(t *testing.T) {
	cases := []struct {
		a, b  string
		class valueClass
		want  int
	}{
		{"9", "10", classInt, -1}, // numerically, not as text
		{"-5", "3", classInt, -1},
		{"18446744073709551615", "9", classUint, 1},
		{"1e15", "999999999999999", classFloat, 1},
		{"-0.25", "-0.5", classFloat, 1},
		{"2.50", "2.5", classDecimal, 0},
		{"-12:30:00", "05:06:07", classTime, -1},
		{"100:00:01", "99:59:59", classTime, 1},
		{"-00:00:01", "00:00:00", classTime, -1},
		{"2024-01-02 00:00:00.000", "2024-01-10 00:00:00.000", classBytes, -1},
		{"\x00\xff", "\x01", classBytes, -1},
		{"b", "a", classText, 1}, // without weights: bytes
	}
	for _, c := range cases {
		if got := compareValue([]byte(c.a), []byte(c.b), nil, nil, nil, c.class); got != c.want {
			t.Errorf("compareValue(%q, %q, class %d) = %d, want %d", c.a, c.b, c.class, got, c.want)
		}
	}
	// NULL first.
	if compareNullable(nil, []byte("0"), nil, nil, nil, classInt) != -1 || compareNullable(nil, nil, nil, nil, nil, classInt) != 0 {
		t.Error("NULL must sort before every value and equal NULL")
	}
	// Text by weights: 'B' > 'a' although 'B' < 'a' as bytes.
	if got := compareValue([]byte("B"), []byte("a"), []byte{0, 0x42}, []byte{0, 0x41}, []byte{0, 0x20}, classText); got != 1 {
		t.Errorf("text by weight: %d", got)
	}
	// DESC keys: NULL last.
	keys := []cmpKey{{col: 0, weight: -1, pad: -1, class: classInt, desc: true}}
	if compareRows([][]byte{nil}, [][]byte{[]byte("1")}, keys) != 1 {
		t.Error("NULL must sort last descending")
	}
}

func TestTimeMicros(t *testing.T) {
	cases := map[string]int64{"00:00:00": 0, "-00:00:01": -1e6, "838:59:59": (838*3600 + 59*60 + 59) * 1e6,
		"01:02:03.5": 3723*1e6 + 500000, "-12:30:00.000001": -(12*3600+30*60)*1e6 - 1}
	for s, want := range cases {
		if got := timeMicros([]byte(s)); got != want {
			t.Errorf("timeMicros(%s) = %d, want %d", s, got, want)
		}
	}
}

var tenth = 0.1 // a variable: 0.1 + 0.2 as constants is exactly 0.3

// TestFormatDouble: the texts MariaDB 10.11 sends for these doubles.
func TestFormatDouble(t *testing.T) {
	cases := []struct {
		f    float64
		dec  int
		want string
	}{
		{tenth + 2*tenth, 31, "0.30000000000000004"},
		{1e14, 31, "100000000000000"},
		{1e15, 31, "1e15"},
		{123456789012345678, 31, "1.2345678901234568e17"},
		{1e-5, 31, "0.00001"},
		{1.5e-7, 31, "0.00000015"},
		{1e16, 31, "1e16"},
		{12345678901234567890, 31, "1.2345678901234567e19"},
		{-1e-10, 31, "-0.0000000001"},
		{1.0 / 3, 31, "0.3333333333333333"},
		{100, 31, "100"},
		{1e21, 31, "1e21"},
		{1.23e20, 31, "1.23e20"},
		{1e300, 31, "1e300"},
		{5e-324, 31, "5e-324"},
		{200000000000000.25, 31, "200000000000000.25"},
		{1000000000000001.2, 31, "1000000000000001.2"},
		{1e-15, 31, "0.000000000000001"},
		{1e-16, 31, "1e-16"},
		{-2.5, 31, "-2.5"},
		{0, 31, "0"},
		{2.345, 2, "2.35"},
		{-1, 2, "-1.00"},
	}
	for _, c := range cases {
		if got := formatDouble(c.f, c.dec); got != c.want {
			t.Errorf("formatDouble(%v, %d) = %s, want %s", c.f, c.dec, got, c.want)
		}
	}
}

// TestDecimalArithmetic: SUM and AVG of exact numbers as MariaDB prints them.
func TestDecimalArithmetic(t *testing.T) {
	sum := func(scale int, vals ...string) decimal {
		var d decimal
		for i, v := range vals {
			p, ok := parseDecimal([]byte(v))
			if !ok {
				t.Fatalf("parseDecimal(%s)", v)
			}
			if i == 0 {
				d = p
			} else {
				d = d.add(p)
			}
		}
		return d
	}
	if got := sum(0, "3", "7", "-2").format(0, true); got != "8" {
		t.Errorf("sum = %s", got)
	}
	if got := sum(2, "1.50", "2.25", "-0.05").format(2, true); got != "3.70" {
		t.Errorf("sum = %s", got)
	}
	if got := sum(2, "0.10", "-0.20").format(2, true); got != "-0.10" {
		t.Errorf("sum = %s", got)
	}
	avg := []struct {
		sum   string
		count int64
		scale int
		want  string
	}{
		{"3", 2, 4, "1.5000"},    // AVG of ints: 4 more decimals
		{"10", 6, 4, "1.6667"},   // rounded half up
		{"-10", 6, 4, "-1.6667"}, // away from zero
		{"3.499", 5, 7, "0.6998000"},
		{"1", 3, 4, "0.3333"},
		{"2", 3, 4, "0.6667"},
		{"-1", 8, 4, "-0.1250"},
		{"1", 20000, 4, "0.0001"}, // 0.00005 rounds up
		{"-1", 20000, 4, "-0.0001"},
		{"1", 20001, 4, "0.0000"},
		{"0", 5, 4, "0.0000"},
		{"12345678901234567890123", 7, 4, "1763668414462081127160.4286"},
	}
	for _, c := range avg {
		d, _ := parseDecimal([]byte(c.sum))
		if got := d.div(c.count, c.scale); got != c.want {
			t.Errorf("%s / %d = %s, want %s", c.sum, c.count, got, c.want)
		}
	}
}

func TestParseColumnDef(t *testing.T) {
	cases := []struct {
		typ     byte
		flags   uint16
		charset uint16
		class   valueClass
	}{
		{mysql.TypeLongLong, mysql.FlagUnsigned, 63, classUint},
		{mysql.TypeLong, 0, 63, classInt},
		{mysql.TypeNewDecimal, 0, 63, classDecimal},
		{mysql.TypeDouble, 0, 63, classFloat},
		{mysql.TypeVarString, 0, 45, classText},
		{mysql.TypeVarString, mysql.FlagBinary, 45, classText}, // utf8mb4_bin: still by weights (PAD SPACE)
		{mysql.TypeVarString, mysql.FlagBinary, 63, classBytes},
		{mysql.TypeString, mysql.FlagEnum, 45, classEnum},
		{mysql.TypeString, mysql.FlagSet, 45, classEnum},
		{mysql.TypeBlob, mysql.FlagBinary, 63, classBytes},
		{mysql.TypeDateTime, 0, 63, classBytes},
		{mysql.TypeTime, 0, 63, classTime},
		{mysql.TypeYear, mysql.FlagUnsigned, 63, classInt},
	}
	for _, c := range cases {
		def := mysql.AppendColumnDef(nil, "col", c.typ, c.charset, 10, c.flags)
		def[len(def)-3] = 4 // decimals
		ci, err := parseColumnDef(def)
		if err != nil {
			t.Fatal(err)
		}
		if ci.Name != "col" || ci.Type != c.typ || ci.Flags != c.flags || ci.Charset != c.charset || ci.Decimals != 4 || ci.class != c.class {
			t.Errorf("type %d flags %#x charset %d: %+v, want class %d", c.typ, c.flags, c.charset, ci, c.class)
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
	bc := &backend.Conn{Wire: mysql.NewBuffered(&buf, nil)}
	bc.Wire.Seq = 1
	return &shardCursor{bc: bc, sent: true}
}

// runMerge merges fake shards' results by mp and returns the client's rows,
// decoded (binary rows are decoded back to text by column type).
func runMerge(t *testing.T, mp *planner.MergePlan, cols []fakeCol, shards [][][]string, binaryRows bool) ([][]string, error) {
	t.Helper()
	var cursors []*shardCursor
	var defs [][]byte
	for i, rows := range shards {
		c := fakeShard(t, cols, rows)
		c.idx = i
		d, err := c.readHeader(i == 0)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			defs = d
		}
		cursors = append(cursors, c)
	}
	m, err := newMerger(mp, defs, cursors)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	ow := mysql.NewBuffered(nil, &out)
	m.out = &rowWriter{w: ow, binary: binaryRows, cols: columns(m.cols[:m.visible])}
	err = m.run()
	drainAll(cursors)
	for _, c := range cursors {
		if !c.done || c.warnings != 1 {
			t.Errorf("shard %d not drained to its EOF", c.idx)
		}
	}
	if err != nil {
		return nil, err
	}
	ow.Flush()
	rw := mysql.NewBuffered(&out, nil)
	var rows [][]string
	for out.Len() > 0 || rw.Buffered() > 0 {
		p, err := rw.ReadPacket()
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, decodeRow(t, p, m.cols[:m.visible], binaryRows))
	}
	return rows, nil
}

func decodeRow(t *testing.T, p []byte, cols []colInfo, binaryRow bool) []string {
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
	mp := &planner.MergePlan{Columns: 2, Hidden: 2, Offset: 2, Limit: 4, Order: []planner.MergeKey{
		{Col: planner.MergeCol{Index: 1}, Weight: planner.MergeCol{Index: 0, Hidden: true}, Pad: planner.MergeCol{Index: 1, Hidden: true}, HasWeight: true, Desc: true},
		{Col: planner.MergeCol{Index: 0}},
	}}
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
	mp.Offset, mp.Limit = 0, planner.NoLimit
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
	for _, lim := range [][2]uint64{{0, 0}, {20, 5}} {
		mp.Offset, mp.Limit = lim[0], lim[1]
		if got, err := runMerge(t, mp, cols, shards, false); err != nil || len(got) != 0 {
			t.Errorf("offset %d limit %d: %q %v", lim[0], lim[1], got, err)
		}
	}
}

func TestMergeConcatLimit(t *testing.T) {
	mp := &planner.MergePlan{Columns: -1, Offset: 1, Limit: 3}
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
	k := planner.MergeKey{Col: planner.MergeCol{Index: 0}, Weight: planner.MergeCol{Index: 0, Hidden: true}, Pad: planner.MergeCol{Index: 1, Hidden: true}, HasWeight: true}
	h := func(i int) planner.MergeCol { return planner.MergeCol{Index: i, Hidden: true} }
	v := func(i int) planner.MergeCol { return planner.MergeCol{Index: i} }
	mp := &planner.MergePlan{Columns: 6, Hidden: 6, Offset: 0, Limit: planner.NoLimit, Grouped: true,
		Order: []planner.MergeKey{k}, Groups: []planner.MergeKey{k},
		Aggregates: []planner.MergeAgg{
			{Func: planner.AggCount, Col: v(1)},
			{Func: planner.AggSum, Col: v(2)},
			{Func: planner.AggMin, Col: v(3)},
			{Func: planner.AggMax, Col: v(4), Weight: h(2), Pad: h(3), HasWeight: true},
			{Func: planner.AggAvg, Col: v(5), Sum: h(4), Count: h(5)},
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
	mp.PostSort = []planner.MergeKey{{Col: v(1), Desc: true}}
	mp.Limit = 2
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
	v := func(i int) planner.MergeCol { return planner.MergeCol{Index: i} }
	h := func(i int) planner.MergeCol { return planner.MergeCol{Index: i, Hidden: true} }
	mp := &planner.MergePlan{Columns: 5, Hidden: 2, Limit: planner.NoLimit, Grouped: true, Aggregates: []planner.MergeAgg{
		{Func: planner.AggCount, Col: v(0)},
		{Func: planner.AggSum, Col: v(1)},
		{Func: planner.AggAvg, Col: v(2), Sum: h(0), Count: h(1)},
		{Func: planner.AggBitOr, Col: v(3)},
		{Func: planner.AggBitAnd, Col: v(4)},
	}}
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
	mp := &planner.MergePlan{Columns: -1, Limit: planner.NoLimit, Order: []planner.MergeKey{{Col: planner.MergeCol{Index: 0}}}}
	if _, err := runMerge(t, mp, []fakeCol{enum}, [][][]string{{{"a"}}, {{"b"}}}, false); err == nil || !strings.Contains(err.Error(), "ENUM") {
		t.Errorf("ORDER BY an ENUM: %v", err)
	}
	// select * … order by 2, where column 2 is text: no weights to compare it by.
	mp.Order[0].Col.Index = 1
	if _, err := runMerge(t, mp, []fakeCol{colID, colName}, [][][]string{{{"1", "a"}}, {{"2", "b"}}}, false); err == nil || !strings.Contains(err.Error(), "name the column") {
		t.Errorf("ORDER BY position of a text column in *: %v", err)
	}
}
