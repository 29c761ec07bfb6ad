package engine

import (
	"strings"
	"testing"

	"sidecar/vindex"
)

// TestProject: a column computed from a combined row as MySQL computes it,
// the result's column definition saying which arithmetic MySQL used.
func TestProject(t *testing.T) {
	cols := []MergeColumn{
		{Name: "result", Class: ClassDecimal, Decimals: 6}, // c0: what is computed
		{Name: "n", Class: ClassInt},
		{Name: "s", Class: ClassDecimal, Decimals: 2},
		{Name: "f", Class: ClassFloat, Decimals: 31},
		{Name: "u", Class: ClassUint},
		{Name: "fl", Class: ClassFloat, Decimals: 31, Single: true},
	}
	n, s, f, u := &ArithCol{Col: MergeCol{Index: 1}}, &ArithCol{Col: MergeCol{Index: 2}}, &ArithCol{Col: MergeCol{Index: 3}}, &ArithCol{Col: MergeCol{Index: 4}}
	op := func(o byte, l, r Arith) Arith { return &ArithOp{Op: o, Left: l, Right: r} }
	num := func(v string) Arith {
		val, _ := numberValueForTest(v)
		return &ArithValue{Value: val}
	}
	row := []string{"", "7", "-10.00", "0.1", "3"}
	cases := []struct {
		expr   Arith
		result MergeColumn // the computed column's definition
		row    []string
		want   string // `\N`: NULL; "error: …": the error
	}{
		{op('+', n, num("1")), MergeColumn{Class: ClassInt}, row, "8"},
		{op('*', n, s), MergeColumn{Class: ClassDecimal, Decimals: 2}, row, "-70.00"},
		{op('/', s, n), MergeColumn{Class: ClassDecimal, Decimals: 6}, row, "-1.428571"},
		{op('/', s, num("6")), MergeColumn{Class: ClassDecimal, Decimals: 6}, row, "-1.666667"}, // rounded away from zero
		{op('/', num("2"), num("3")), MergeColumn{Class: ClassDecimal, Decimals: 4}, row, "0.6667"},
		// A quotient shown to all the 9 decimals MySQL keeps of it is cut, not rounded.
		{op('/', num("0.00002"), num("3")), MergeColumn{Class: ClassDecimal, Decimals: 9}, row, "0.000006666"},
		{op('/', s, op('-', n, n)), MergeColumn{Class: ClassDecimal, Decimals: 6}, row, `\N`}, // by zero
		{op('+', n, s), MergeColumn{Class: ClassDecimal, Decimals: 2}, []string{"", `\N`, "1.00", "0", "0"}, `\N`},
		{&ArithNeg{X: op('-', s, n)}, MergeColumn{Class: ClassDecimal, Decimals: 2}, row, "17.00"},
		// A double takes part: doubles, each decimal read as one.
		{op('*', op('+', op('*', s, num("3")), num("0.1")), num("1e0")), MergeColumn{Class: ClassFloat, Decimals: 31}, row, "-29.9"},
		{op('*', f, num("3")), MergeColumn{Class: ClassFloat, Decimals: 31}, row, "0.30000000000000004"},
		// A FLOAT's text is its shortest 32-bit form; MySQL computes with the 32-bit value.
		{op('+', &ArithCol{Col: MergeCol{Index: 5}}, num("1")), MergeColumn{Class: ClassFloat, Decimals: 31},
			[]string{"", "7", "-10.00", "0.1", "3", "0.4"}, "1.4000000059604645"},
		{op('-', u, num("4")), MergeColumn{Class: ClassUint}, row, "error: BIGINT UNSIGNED value is out of range"},
		{op('*', n, num("9223372036854775807")), MergeColumn{Class: ClassInt}, row, "error: BIGINT value is out of range"},
		// MySQL checks after each operation: the overflow in the middle counts.
		{op('-', op('+', n, num("9223372036854775801")), num("100")), MergeColumn{Class: ClassInt}, row, "error: BIGINT value is out of range"},
		{op('-', u, num("2")), MergeColumn{Class: ClassUint}, row, "1"},
		{&ArithNeg{X: u}, MergeColumn{Class: ClassInt}, row, "-3"}, // -x of an unsigned x is signed
		{op('+', u, num("1")), MergeColumn{Class: ClassInt}, row, "error: its type is not the one"},
		// ROUND: a quotient from its exact value, half away from zero; a double half to even.
		{&ArithRound{X: op('/', s, n), Digits: 2}, MergeColumn{Class: ClassDecimal, Decimals: 2}, row, "-1.43"},
		{&ArithRound{X: op('/', s, num("4")), Digits: 0}, MergeColumn{Class: ClassDecimal}, row, "-3"},
		{&ArithRound{X: op('/', s, num("3")), Digits: 8}, MergeColumn{Class: ClassDecimal, Decimals: 8}, row, "-3.33333333"},
		{&ArithRound{X: op('/', s, n), Digits: 10}, MergeColumn{Class: ClassDecimal, Decimals: 10}, row, "-1.4285714280"}, // the 9 decimals MySQL keeps, cut
		{&ArithRound{X: &ArithNeg{X: op('/', num("6"), num("11"))}, Digits: 3}, MergeColumn{Class: ClassDecimal, Decimals: 3}, row, "-0.545"},
		{&ArithRound{X: s, Digits: 3}, MergeColumn{Class: ClassDecimal, Decimals: 3}, row, "-10.000"},
		{&ArithRound{X: s, Digits: 1}, MergeColumn{Class: ClassDecimal, Decimals: 1}, []string{"", "7", "2.25", "0.125", "3"}, "2.3"},
		{&ArithRound{X: f, Digits: 2}, MergeColumn{Class: ClassFloat, Decimals: 2}, []string{"", "7", "2.25", "0.125", "3"}, "0.12"},
		{&ArithRound{X: n, Digits: 2}, MergeColumn{Class: ClassInt}, row, "7"},
		// The definition disagrees (div_precision_increment changed, a double column): refused.
		{op('/', s, n), MergeColumn{Class: ClassDecimal, Decimals: 8}, row, "error: its 8 decimals are not the 6"},
		{op('+', n, num("1")), MergeColumn{Class: ClassFloat, Decimals: 31}, row, "error: its type is not the one"},
	}
	for _, c := range cases {
		def := c.result
		def.Name = "result"
		cols[0] = def
		r := &resolver{cols: cols, visible: len(cols)}
		got := ""
		cc, err := (&Computed{Col: MergeCol{Index: 0}, Expr: c.expr}).resolve(r)
		if err == nil {
			p := &project{src: &rowsSource{rows: [][][]byte{textRow(c.row)}}, cols: []computedColumn{cc}}
			var out [][]byte
			if out, _, err = p.next(); err == nil {
				got = `\N`
				if out[0] != nil {
					got = string(out[0])
				}
			}
		}
		if err != nil {
			got = "error: " + err.Error()
		}
		if want, isErr := strings.CutPrefix(c.want, "error: "); isErr && !strings.Contains(got, want) || !isErr && got != c.want {
			t.Errorf("%s as %v: %s, want %s", c.expr, c.result.Class, got, c.want)
		}
	}
}

// rowsSource passes on rows it was given, as built rows.
type rowsSource struct{ rows [][][]byte }

func (s *rowsSource) next() ([][]byte, int, error) {
	if len(s.rows) == 0 {
		return nil, -1, nil
	}
	row := s.rows[0]
	s.rows = s.rows[1:]
	return row, -1, nil
}

func numberValueForTest(v string) (vindex.Value, bool) {
	switch {
	case strings.ContainsAny(v, "eE"):
		return vindex.Value{Kind: vindex.Float64, Raw: []byte(v)}, true
	case strings.Contains(v, "."):
		return vindex.Value{Kind: vindex.Decimal, Raw: []byte(v)}, true
	}
	return vindex.Value{Kind: vindex.Int64, Raw: []byte(v)}, true
}
