package engine

import (
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"sidecar/vindex"
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
		class ValueClass
		want  int
	}{
		{"9", "10", ClassInt, -1}, // numerically, not as text
		{"-5", "3", ClassInt, -1},
		{"18446744073709551615", "9", ClassUint, 1},
		{"1e15", "999999999999999", ClassFloat, 1},
		{"-0.25", "-0.5", ClassFloat, 1},
		{"2.50", "2.5", ClassDecimal, 0},
		{"-12:30:00", "05:06:07", ClassTime, -1},
		{"100:00:01", "99:59:59", ClassTime, 1},
		{"-00:00:01", "00:00:00", ClassTime, -1},
		{"2024-01-02 00:00:00.000", "2024-01-10 00:00:00.000", ClassBytes, -1},
		{"\x00\xff", "\x01", ClassBytes, -1},
		{"b", "a", ClassText, 1}, // without weights: bytes
		{"10", "9", ClassIndex, 1},
		{"-9223372036854775808", "4611686018427387904", ClassIndex, 1}, // a SET's 64th bit, read as a BIGINT
		{"-1", "-9223372036854775808", ClassIndex, 1},
	}
	for _, c := range cases {
		if got := compareValue([]byte(c.a), []byte(c.b), nil, nil, nil, c.class); got != c.want {
			t.Errorf("compareValue(%q, %q, class %d) = %d, want %d", c.a, c.b, c.class, got, c.want)
		}
	}
	// NULL first.
	if compareNullable(nil, []byte("0"), nil, nil, nil, ClassInt) != -1 || compareNullable(nil, nil, nil, nil, nil, ClassInt) != 0 {
		t.Error("NULL must sort before every value and equal NULL")
	}
	// Text by weights: 'B' > 'a' although 'B' < 'a' as bytes.
	if got := compareValue([]byte("B"), []byte("a"), []byte{0, 0x42}, []byte{0, 0x41}, []byte{0, 0x20}, ClassText); got != 1 {
		t.Errorf("text by weight: %d", got)
	}
	// DESC keys: NULL last.
	keys := []cmpKey{{col: 0, weight: -1, pad: -1, class: ClassInt, desc: true}}
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
		{-0.04, 1, "0.0"}, // no sign on a zero shown
		{-0.06, 1, "-0.1"},
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

// memStream is a shard's result held in memory ("\N" is NULL).
type memStream struct {
	rows [][]string
	at   int // the current row + 1; 0 before the first
}

func (s *memStream) Next() error { s.at++; return nil }
func (s *memStream) Done() bool  { return s.at > len(s.rows) }
func (s *memStream) Row() [][]byte {
	out := make([][]byte, len(s.rows[s.at-1]))
	for i, v := range s.rows[s.at-1] {
		if v != `\N` {
			out[i] = []byte(v)
		}
	}
	return out
}

// memOutput records the merged rows; a shard's row passed through is marked
// with the shard's number.
type memOutput struct {
	streams []*memStream
	visible int
	rows    []string
}

func (o *memOutput) Current(i int) error {
	o.rows = append(o.rows, fmt.Sprintf("shard %d: %s", i, strings.Join(o.streams[i].rows[o.streams[i].at-1][:o.visible], " ")))
	return nil
}

func (o *memOutput) Row(row [][]byte) error {
	vals := make([]string, len(row))
	for i, v := range row {
		vals[i] = string(v)
		if v == nil {
			vals[i] = `\N`
		}
	}
	o.rows = append(o.rows, "merged: "+strings.Join(vals, " "))
	return nil
}

// TestMergeStreams: the merge on results held in memory, as a primitive
// against fakes: sorted streams interleave (equal keys in shard order), rows
// pass through unchanged until LIMIT; groups of different shards combine.
func TestMergeStreams(t *testing.T) {
	id := MergeColumn{Name: "id", Class: ClassInt}
	dec := MergeColumn{Name: "total", Class: ClassDecimal, Decimals: 2}
	cnt := MergeColumn{Name: "n", Class: ClassInt}
	col := func(i int) MergeCol { return MergeCol{Index: i} }
	for _, tc := range []struct {
		name   string
		plan   *MergePlan
		cols   []MergeColumn
		shards [][][]string
		want   []string
	}{
		{
			name: "order by id desc limit 1, 3",
			plan: &MergePlan{Columns: 1, Top: &Limit{Offset: 1, Count: 3, Source: &MergeSort{Keys: []MergeKey{{Col: col(0), Desc: true}}}}},
			cols: []MergeColumn{id}, shards: [][][]string{{{"9"}, {"5"}, {"1"}}, {{"8"}, {"5"}, {"2"}}},
			want: []string{"shard 1: 8", "shard 0: 5", "shard 1: 5"},
		},
		{
			name: "group by id: count and sum, NULL first",
			plan: &MergePlan{Columns: 3, Top: &Aggregate{Groups: []MergeKey{{Col: col(0)}},
				Aggregates: []MergeAgg{{Func: AggCount, Col: col(1)}, {Func: AggSum, Col: col(2)}},
				Source:     &MergeSort{Keys: []MergeKey{{Col: col(0)}}}}},
			cols:   []MergeColumn{id, cnt, dec},
			shards: [][][]string{{{`\N`, "1", "0.50"}, {"1", "2", "1.25"}, {"3", "1", `\N`}}, {{"1", "1", "2.00"}, {"2", "4", "9.99"}}},
			want:   []string{`merged: \N 1 0.50`, "merged: 1 3 3.25", "merged: 2 4 9.99", `merged: 3 1 \N`},
		},
		{
			name: "group by id having count(*) > 1 and sum(total) is not null, limit 1",
			plan: &MergePlan{Columns: 3, Top: &Limit{Count: 1, Source: &Filter{
				Cond: &And{Left: &Compare{Col: col(1), Op: OpGT, Value: vindex.NewInt64(1)}, Right: &IsNull{Col: col(2), Not: true}},
				Source: &Aggregate{Groups: []MergeKey{{Col: col(0)}},
					Aggregates: []MergeAgg{{Func: AggCount, Col: col(1)}, {Func: AggSum, Col: col(2)}},
					Source:     &MergeSort{Keys: []MergeKey{{Col: col(0)}}}}}}},
			cols: []MergeColumn{id, cnt, dec},
			// Group 1 has one row on each shard: only the combined group passes.
			shards: [][][]string{{{"1", "1", "0.50"}, {"2", "5", `\N`}, {"4", "1", "1.00"}}, {{"1", "1", "2.00"}, {"3", "2", "1.00"}}},
			want:   []string{"merged: 1 2 2.50"},
		},
		{
			name: "aggregates without GROUP BY over no rows: COUNT 0, the others NULL, BIT_AND all ones",
			plan: &MergePlan{Columns: 4, Top: &Aggregate{Aggregates: []MergeAgg{{Func: AggCount, Col: col(0)}, {Func: AggSum, Col: col(1)},
				{Func: AggMax, Col: col(2)}, {Func: AggBitAnd, Col: col(3)}}, Source: &Concat{}}},
			cols:   []MergeColumn{cnt, dec, id, {Name: "b", Class: ClassUint}},
			shards: [][][]string{{}, {}},
			want:   []string{`merged: 0 \N \N 18446744073709551615`},
		},
		{
			name: "no order: concatenated, limit 2",
			plan: &MergePlan{Columns: 1, Top: &Limit{Count: 2, Source: &Concat{}}},
			cols: []MergeColumn{id}, shards: [][][]string{{{"7"}}, {{"3"}, {"4"}}},
			want: []string{"shard 0: 7", "shard 1: 3"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			streams := make([]Stream, len(tc.shards))
			out := &memOutput{visible: tc.plan.Columns}
			for i, rows := range tc.shards {
				s := &memStream{rows: rows}
				streams[i], out.streams = s, append(out.streams, s)
			}
			m, err := NewMerge(tc.plan, tc.cols, streams)
			if err != nil {
				t.Fatal(err)
			}
			if err := m.Run(out); err != nil {
				t.Fatal(err)
			}
			if got, want := strings.Join(out.rows, "\n"), strings.Join(tc.want, "\n"); got != want {
				t.Errorf("got\n%s\nwant\n%s", got, want)
			}
		})
	}
}

// TestMergeLimitStopsPulling: once LIMIT rows are passed on, no stream is
// read further (the last row passed on stays its stream's current row): the
// rest is left for the caller to drain, not read and thrown away here.
func TestMergeLimitStopsPulling(t *testing.T) {
	for _, tc := range []struct {
		name string
		plan *MergePlan
		at   []int // each stream's current row afterwards (1-based; 0: never read)
	}{
		{"concatenated", &MergePlan{Columns: 1, Top: &Limit{Count: 2, Source: &Concat{}}}, []int{2, 0, 0}},
		{"sorted", &MergePlan{Columns: 1, Top: &Limit{Count: 2, Source: &MergeSort{Keys: []MergeKey{{Col: MergeCol{Index: 0}}}}}}, []int{2, 1, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			shards := []*memStream{{rows: [][]string{{"1"}, {"2"}}}, {rows: [][]string{{"3"}, {"4"}}}, {rows: [][]string{{"5"}}}}
			streams := []Stream{shards[0], shards[1], shards[2]}
			m, err := NewMerge(tc.plan, []MergeColumn{{Name: "id", Class: ClassInt}}, streams)
			if err != nil {
				t.Fatal(err)
			}
			out := &memOutput{streams: shards, visible: 1}
			if err := m.Run(out); err != nil {
				t.Fatal(err)
			}
			for i, s := range shards {
				if s.at != tc.at[i] {
					t.Errorf("stream %d read to row %d, want %d (rows %q)", i, s.at, tc.at[i], out.rows)
				}
			}
		})
	}
}

// TestLimitsPerShard: a merge passing on the shards' rows as they come may have each shard's
// rows capped at the client's sql_select_limit; one combining them needs them all.
func TestLimitsPerShard(t *testing.T) {
	sorted := &MergeSort{Keys: []MergeKey{{Col: MergeCol{Index: 0}}}}
	for _, c := range []struct {
		top  MergeStep
		want bool
	}{
		{&Concat{}, true},
		{sorted, true},
		{&Limit{Count: 3, Source: &Project{Source: sorted}}, true},
		{&Aggregate{Source: sorted}, false},
		{&Limit{Count: 3, Source: &MemorySort{Source: &Aggregate{Source: sorted}}}, false},
		{&Filter{Source: &Aggregate{Source: &Concat{}}}, false},
	} {
		if got := (&MergePlan{Top: c.top}).LimitsPerShard(); got != c.want {
			t.Errorf("%s: %v, want %v", (&MergePlan{Top: c.top}).String(), got, c.want)
		}
	}
}
