package engine

import (
	"bytes"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"sidecar/mysql"
	"sidecar/sqlerr"
)

// Scatter merge: a SELECT on one sharded table that goes to several shards,
// answered as MySQL would answer it from one server (see planner/merge.go
// for the plan). Every shard runs the planned statement as text; the rows
// are read from all shards at once and merged as they arrive:
//
//   - ORDER BY: a heap holds the current row of every shard; the smallest is
//     sent and its shard's next row read. Memory: one row per shard.
//   - LIMIT o, n: the first o merged rows are skipped, the merge stops after
//     n and the rest of every shard's (o+n rows at most) result is drained,
//     so the connections stay usable.
//   - GROUP BY / aggregates / DISTINCT: the merged stream is ordered by the
//     group keys, so equal groups of different shards are adjacent and are
//     combined as they pass (only groups ordered by an aggregate are held).
//
// Values are compared as MySQL compares them, by the column's type in the
// column definition: integers, decimals and floats numerically, dates and
// binary strings bytewise, TIME as a signed duration, and text by the
// collation weights the shard computed (weight_string, with the collation's
// space padding), NULL first. The rows go to a MergeOutput: a shard's row as
// it came (minus the hidden columns), or rebuilt with the combined values;
// the sidecar writes them in the client's protocol. The engine sees the
// shards' results as Streams of text values.

// MergeColumn is a column of the shards' result as the merge compares and
// combines its values.
type MergeColumn struct {
	Name     string
	Class    ValueClass
	Decimals int
	// Single: a FLOAT, whose text is the shortest that reads back as its
	// 32-bit value; MySQL computes with that value, widened.
	Single bool
}

// double is a value of a FLOAT or DOUBLE column (or a number read as a
// double) as MySQL computes with it.
func (c MergeColumn) double(v []byte) float64 {
	bits := 64
	if c.Single {
		bits = 32
	}
	f, _ := strconv.ParseFloat(string(v), bits)
	return f
}

// ValueClass is how values of a column compare.
type ValueClass uint8

const (
	ClassBytes   ValueClass = iota // binary strings, BIT, DATE/DATETIME/TIMESTAMP text
	ClassText                      // non-binary strings: by collation weights
	ClassEnum                      // ENUM/SET: sorted by their index, which the result does not carry
	ClassIndex                     // an ENUM's index or a SET's bits ((e)+0: a SET's 64th bit reads as a negative BIGINT)
	ClassInt                       // signed integers, YEAR
	ClassUint                      // unsigned integers
	ClassDecimal                   // DECIMAL
	ClassFloat                     // FLOAT, DOUBLE
	ClassTime                      // TIME: [-]HHH:MM:SS[.ffffff]
)

// cmpKey is a resolved MergeKey: absolute column indexes and the
// column's class.
type cmpKey struct {
	col, weight, pad int // weight, pad: -1 when there are none
	class            ValueClass
	desc             bool
}

// aggSpec is a resolved MergeAgg.
type aggSpec struct {
	fn                           AggFunc
	col, sum, count, weight, pad int
	class                        ValueClass // of col
	sumClass                     ValueClass
	decimals                     int
}

// Stream is one shard's result, read row by row.
type Stream interface {
	// Next reads the next row; at the end of the result Done reports true.
	Next() error
	// Row is the current row's values (nil is NULL), valid until Next.
	Row() [][]byte
	Done() bool
}

// MergeOutput receives the merged rows, the visible columns only.
type MergeOutput interface {
	// Current writes stream i's current row as the shard sent it.
	Current(i int) error
	// Row writes a row the merge combined.
	Row(row [][]byte) error
}

// Merge merges the shards' results of a SELECT as one server holding all
// their rows would answer it, by a MergePlan, as the rows arrive: its steps
// opened over the shards' streams, each pulling rows from the one below.
type Merge struct {
	visible int       // columns the client sees; the hidden ones follow
	top     rowSource // the last step
}

// NewMerge resolves the plan against the columns of the shards' result
// (visible, then hidden), each stream holding that many columns.
func NewMerge(mp *MergePlan, cols []MergeColumn, streams []Stream) (*Merge, error) {
	n := len(cols)
	r := &resolver{cols: cols, visible: n - mp.Hidden}
	if r.visible < 1 || (mp.Columns >= 0 && r.visible != mp.Columns) {
		return nil, sqlerr.Routing("scatter merge: shard returned %d columns, expected %d + %d hidden", n, mp.Columns, mp.Hidden)
	}
	top, err := mp.Top.open(r, streams)
	if err != nil {
		return nil, err
	}
	if r.enums != nil {
		return nil, &EnumKeys{Names: r.enums}
	}
	return &Merge{visible: r.visible, top: top}, nil
}

// resolver turns a plan's columns (visible or hidden, by position) into
// positions in the shards' rows, and checks that their values can be
// compared and combined as MySQL would.
type resolver struct {
	cols    []MergeColumn
	visible int
	enums   []string // the names of keys found to be ENUM or SET columns without their Index
}

func (r *resolver) abs(c MergeCol) int {
	if c.Hidden {
		return r.visible + c.Index
	}
	return c.Index
}

// column resolves a column a condition reads.
func (r *resolver) column(c MergeCol) (int, error) {
	i := r.abs(c)
	if i < 0 || i >= len(r.cols) || (!c.Hidden && i >= r.visible) {
		return 0, sqlerr.New(1054, "42S22", "Unknown column '%d' in 'having clause'", c.Index+1)
	}
	return i, nil
}

// numberColumn resolves a column a condition compares with a number; its
// values must be numbers (integers, decimals or floats): how MySQL compares
// strings or dates with numbers is not reproduced here.
func (r *resolver) numberColumn(c MergeCol) (int, ValueClass, error) {
	i, err := r.column(c)
	if err != nil {
		return 0, 0, err
	}
	switch col := r.cols[i]; col.Class {
	case ClassInt, ClassUint, ClassDecimal, ClassFloat:
		return i, col.Class, nil
	case ClassEnum:
		return 0, 0, NotEvaluable{sqlerr.Unsupported("%s, an ENUM or SET column, compared with or computed as a number across shards (MySQL uses its index)", col.Name)}
	default:
		return 0, 0, sqlerr.Unsupported("%s, not a number, compared with or computed as one across shards", col.Name)
	}
}

// keys resolves sort or group keys; what names the clause in errors.
func (r *resolver) keys(ks []MergeKey, what string) ([]cmpKey, error) {
	var out []cmpKey
	for _, k := range ks {
		ck := cmpKey{col: r.abs(k.Col), weight: -1, pad: -1, desc: k.Desc}
		if ck.col < 0 || ck.col >= len(r.cols) || (!k.Col.Hidden && ck.col >= r.visible) {
			return nil, sqlerr.New(1054, "42S22", "Unknown column '%d' in '%s clause'", k.Col.Index+1, what)
		}
		col := r.cols[ck.col]
		ck.class = col.Class
		switch col.Class {
		case ClassEnum:
			if !k.HasIndex {
				if !slices.Contains(r.enums, k.Name) {
					r.enums = append(r.enums, k.Name)
				}
				continue // NewMerge refuses the plan once every step is resolved
			}
			ck.col, ck.class = r.abs(k.Index), ClassIndex
		case ClassText:
			if !k.HasWeight {
				return nil, sqlerr.Unsupported("%s by position %d inside * on text column %s across shards: name the column", strings.ToUpper(what), k.Col.Index+1, col.Name)
			}
			ck.weight, ck.pad = r.abs(k.Weight), r.abs(k.Pad)
		}
		out = append(out, ck)
	}
	return out, nil
}

// aggregates resolves the aggregates of a group.
func (r *resolver) aggregates(as []MergeAgg) ([]aggSpec, error) {
	var out []aggSpec
	for _, a := range as {
		spec := aggSpec{fn: a.Func, col: r.abs(a.Col), sum: r.abs(a.Sum), count: r.abs(a.Count), weight: -1, pad: -1}
		if spec.col >= len(r.cols) || spec.sum >= len(r.cols) || spec.count >= len(r.cols) {
			return nil, sqlerr.Routing("scatter merge: aggregate column out of range")
		}
		col := r.cols[spec.col]
		spec.class, spec.decimals = col.Class, col.Decimals
		spec.sumClass = r.cols[spec.sum].Class
		switch a.Func {
		case AggMin, AggMax:
			if col.Class == ClassText || col.Class == ClassEnum {
				if !a.HasWeight {
					return nil, sqlerr.Unsupported("%s of text column %s across shards", strings.ToUpper(a.Func.String()), col.Name)
				}
				spec.weight, spec.pad = r.abs(a.Weight), r.abs(a.Pad)
			}
		case AggAvg:
			if col.Class != ClassDecimal && col.Class != ClassFloat {
				return nil, sqlerr.Unsupported("AVG returning %s across shards", col.Name)
			}
		case AggSum:
			if col.Class != ClassDecimal && col.Class != ClassFloat && col.Class != ClassInt && col.Class != ClassUint {
				return nil, sqlerr.Unsupported("SUM returning %s across shards", col.Name)
			}
		}
		out = append(out, spec)
	}
	return out, nil
}

func (m *MergeSort) open(r *resolver, streams []Stream) (rowSource, error) {
	keys, err := r.keys(m.Keys, "order")
	if err != nil {
		return nil, err
	}
	return newMergeSort(streams, keys), nil
}

func (*Concat) open(_ *resolver, streams []Stream) (rowSource, error) {
	return &concat{streams: streams, started: make([]bool, len(streams))}, nil
}

func (a *Aggregate) open(r *resolver, streams []Stream) (rowSource, error) {
	src, err := a.Source.open(r, streams)
	if err != nil {
		return nil, err
	}
	groups, err := r.keys(a.Groups, "group")
	if err != nil {
		return nil, err
	}
	aggs, err := r.aggregates(a.Aggregates)
	if err != nil {
		return nil, err
	}
	return &aggregate{src: src, groups: groups, aggs: aggs, width: len(r.cols)}, nil
}

func (s *MemorySort) open(r *resolver, streams []Stream) (rowSource, error) {
	src, err := s.Source.open(r, streams)
	if err != nil {
		return nil, err
	}
	keys, err := r.keys(s.Keys, "order")
	if err != nil {
		return nil, err
	}
	return &memorySort{src: src, keys: keys}, nil
}

func (l *Limit) open(r *resolver, streams []Stream) (rowSource, error) {
	src, err := l.Source.open(r, streams)
	if err != nil {
		return nil, err
	}
	return &limit{src: src, skip: l.Offset, left: l.Count}, nil
}

// Visible is the number of columns the client sees.
func (m *Merge) Visible() int { return m.visible }

// Run merges the shards' rows and writes the result rows to out. When it
// returns, the streams may hold rows LIMIT left unread: the caller drains
// them.
func (m *Merge) Run(out MergeOutput) error {
	for {
		row, from, err := m.top.next()
		if err != nil || row == nil {
			return err
		}
		if from >= 0 {
			err = out.Current(from)
		} else {
			err = out.Row(row[:m.visible])
		}
		if err != nil {
			return err
		}
	}
}

// groupAcc combines the rows of one group: the first row's values, and the
// running state of each aggregate.
type groupAcc struct {
	row  [][]byte
	aggs []aggAcc
}

type aggAcc struct {
	has   bool // a non-NULL value was seen
	count int64
	dec   decimal
	f     float64
	bits  uint64
	best  []byte // MIN/MAX: value, weight, pad
	bestW []byte
	bestP []byte
}

func newGroup(aggs []aggSpec, row [][]byte) (*groupAcc, error) {
	g := emptyGroup(aggs, 0)
	g.row = copyRow(row)
	// MIN/MAX values point into g.row, which is this group's own copy.
	return g, g.fold(aggs, g.row)
}

// emptyGroup is a group of no rows yet, its columns NULL.
func emptyGroup(aggs []aggSpec, width int) *groupAcc {
	g := &groupAcc{row: make([][]byte, width), aggs: make([]aggAcc, len(aggs))}
	for i := range aggs {
		if aggs[i].fn == AggBitAnd {
			g.aggs[i].bits = ^uint64(0)
		}
	}
	return g
}

// fold adds one shard's row (its partial aggregates) to the group.
func (g *groupAcc) fold(aggs []aggSpec, row [][]byte) error {
	for i := range aggs {
		a, st := &aggs[i], &g.aggs[i]
		v := row[a.col]
		switch a.fn {
		case AggCount:
			n, err := strconv.ParseInt(string(v), 10, 64)
			if err != nil {
				return mergeValueError("COUNT", v)
			}
			st.count += n
		case AggSum:
			if v == nil {
				continue
			}
			if err := st.addNumber(a.class, v); err != nil {
				return err
			}
		case AggAvg:
			cnt, err := strconv.ParseInt(string(row[a.count]), 10, 64)
			if err != nil {
				return mergeValueError("COUNT", row[a.count])
			}
			st.count += cnt
			if s := row[a.sum]; s != nil {
				if err := st.addNumber(a.class, s); err != nil {
					return err
				}
			}
		case AggMin, AggMax:
			if v == nil {
				continue
			}
			var w, p []byte
			if a.weight >= 0 {
				w, p = row[a.weight], row[a.pad]
			}
			if st.has {
				c := compareValue(v, st.best, w, st.bestW, p, a.class)
				if (a.fn == AggMin && c >= 0) || (a.fn == AggMax && c <= 0) {
					continue
				}
			}
			st.has = true
			st.best = appendValue(st.best, v)
			st.bestW = appendValue(st.bestW, w)
			st.bestP = appendValue(st.bestP, p)
		case AggBitAnd, AggBitOr, AggBitXor:
			u, err := strconv.ParseUint(string(v), 10, 64)
			if err != nil {
				return mergeValueError(strings.ToUpper(a.fn.String()), v)
			}
			switch a.fn {
			case AggBitAnd:
				st.bits &= u
			case AggBitOr:
				st.bits |= u
			default:
				st.bits ^= u
			}
		}
	}
	return nil
}

func (st *aggAcc) addNumber(class ValueClass, v []byte) error {
	if class == ClassFloat {
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil {
			return mergeValueError("SUM", v)
		}
		st.f += f
		st.has = true
		return nil
	}
	d, ok := parseDecimal(v)
	if !ok {
		return mergeValueError("SUM", v)
	}
	if !st.has {
		st.dec = d
	} else {
		st.dec = st.dec.add(d)
	}
	st.has = true
	return nil
}

func mergeValueError(fn string, v []byte) error {
	return sqlerr.Routing("scatter merge: cannot read %s value %q of a shard", fn, v)
}

// finish returns the group's row with the combined aggregate values.
func (g *groupAcc) finish(aggs []aggSpec) ([][]byte, error) {
	row := g.row
	for i := range aggs {
		a, st := &aggs[i], &g.aggs[i]
		var v []byte
		switch a.fn {
		case AggCount:
			v = strconv.AppendInt(nil, st.count, 10)
		case AggSum:
			if st.has {
				if a.class == ClassFloat {
					v = []byte(formatDouble(st.f, a.decimals))
				} else {
					v = []byte(st.dec.format(a.decimals, a.class == ClassDecimal))
				}
			}
		case AggAvg:
			if st.count > 0 && st.has {
				if a.class == ClassFloat {
					v = []byte(formatDouble(st.f/float64(st.count), a.decimals))
				} else {
					v = []byte(st.dec.div(st.count, a.decimals))
				}
			}
		case AggMin, AggMax:
			if st.has {
				v = st.best
				if a.weight >= 0 {
					row[a.weight], row[a.pad] = st.bestW, st.bestP
				}
			}
		case AggBitAnd, AggBitOr, AggBitXor:
			v = strconv.AppendUint(nil, st.bits, 10)
		}
		row[a.col] = v
	}
	return row, nil
}

// appendValue copies v into dst's storage; NULL stays nil and an empty value
// stays empty, not NULL.
func appendValue(dst, v []byte) []byte {
	if v == nil {
		return nil
	}
	if dst == nil {
		dst = make([]byte, 0, len(v))
	}
	return append(dst[:0], v...)
}

func copyRow(row [][]byte) [][]byte {
	size := 0
	for _, v := range row {
		size += len(v)
	}
	store := make([]byte, 0, max(size, 1)) // non-nil: empty values are not NULL
	out := make([][]byte, len(row))
	for i, v := range row {
		if v == nil {
			continue
		}
		start := len(store)
		store = append(store, v...)
		out[i] = store[start:len(store):len(store)]
	}
	return out
}

// --- comparing values ---

// compareRows compares two rows by keys.
func compareRows(a, b [][]byte, keys []cmpKey) int {
	for _, k := range keys {
		var wa, wb, pad []byte
		if k.weight >= 0 {
			wa, wb, pad = a[k.weight], b[k.weight], a[k.pad]
			if len(pad) == 0 {
				pad = b[k.pad]
			}
		}
		c := compareNullable(a[k.col], b[k.col], wa, wb, pad, k.class)
		if k.desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

// compareNullable orders NULL before every value, as MySQL does.
func compareNullable(a, b, wa, wb, pad []byte, class ValueClass) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	return compareValue(a, b, wa, wb, pad, class)
}

// compareValue compares two non-NULL text values of a column's class; text
// compares by the collation weights wa and wb.
func compareValue(a, b, wa, wb, pad []byte, class ValueClass) int {
	switch class {
	case ClassText, ClassEnum:
		if wa != nil && wb != nil {
			return comparePadded(wa, wb, pad)
		}
		return bytes.Compare(a, b)
	case ClassInt:
		x, err1 := strconv.ParseInt(string(a), 10, 64)
		y, err2 := strconv.ParseInt(string(b), 10, 64)
		if err1 == nil && err2 == nil {
			return cmpOrdered(x, y)
		}
		return compareDecimalText(a, b)
	case ClassUint:
		x, err1 := strconv.ParseUint(string(a), 10, 64)
		y, err2 := strconv.ParseUint(string(b), 10, 64)
		if err1 == nil && err2 == nil {
			return cmpOrdered(x, y)
		}
		return compareDecimalText(a, b)
	case ClassIndex:
		return cmpOrdered(indexValue(a), indexValue(b))
	case ClassDecimal:
		return compareDecimalText(a, b)
	case ClassFloat:
		x, _ := strconv.ParseFloat(string(a), 64)
		y, _ := strconv.ParseFloat(string(b), 64)
		return cmpOrdered(x, y)
	case ClassTime:
		return cmpOrdered(timeMicros(a), timeMicros(b))
	}
	return bytes.Compare(a, b)
}

// indexValue is the value of an ENUM's index or a SET's bits as (e)+0 wrote
// it: a SET whose 64th member is set reads as a negative BIGINT.
func indexValue(v []byte) uint64 {
	if u, err := strconv.ParseUint(string(v), 10, 64); err == nil {
		return u
	}
	i, _ := strconv.ParseInt(string(v), 10, 64)
	return uint64(i)
}

func cmpOrdered[T int64 | uint64 | float64](x, y T) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// comparePadded compares collation weight strings as a PAD SPACE collation
// compares strings: the shorter one goes on with the weight of a space (pad;
// empty for NO PAD collations, where the shorter one is smaller). MariaDB's
// weight_string keeps trailing spaces, so 'a' and 'a ' have different weight
// strings but are equal, as they are in GROUP BY.
func comparePadded(wa, wb, pad []byte) int {
	n := min(len(wa), len(wb))
	if c := bytes.Compare(wa[:n], wb[:n]); c != 0 {
		return c
	}
	if len(wa) == len(wb) {
		return 0
	}
	if len(pad) == 0 {
		return cmpOrdered(int64(len(wa)), int64(len(wb)))
	}
	rest, sign := wa[n:], 1
	if len(wb) > len(wa) {
		rest, sign = wb[n:], -1
	}
	for i, c := range rest {
		if p := pad[i%len(pad)]; c != p {
			if c > p {
				return sign
			}
			return -sign
		}
	}
	return 0
}

// compareDecimalText compares two decimal numbers written in plain notation
// ([-]digits[.digits]) exactly.
func compareDecimalText(a, b []byte) int {
	negA, intA, fracA := splitDecimal(a)
	negB, intB, fracB := splitDecimal(b)
	zeroA := len(intA) == 0 && len(fracA) == 0
	zeroB := len(intB) == 0 && len(fracB) == 0
	if zeroA {
		negA = false
	}
	if zeroB {
		negB = false
	}
	if negA != negB {
		if negA {
			return -1
		}
		return 1
	}
	c := 0
	switch {
	case len(intA) != len(intB):
		c = cmpOrdered(int64(len(intA)), int64(len(intB)))
	default:
		if c = bytes.Compare(intA, intB); c == 0 {
			c = bytes.Compare(fracA, fracB) // trailing zeros were trimmed
		}
	}
	if negA {
		return -c
	}
	return c
}

// splitDecimal splits a decimal into sign, integer digits without leading
// zeros and fraction digits without trailing zeros.
func splitDecimal(s []byte) (neg bool, intPart, frac []byte) {
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	intPart = s
	if i := bytes.IndexByte(s, '.'); i >= 0 {
		intPart, frac = s[:i], s[i+1:]
	}
	intPart = bytes.TrimLeft(intPart, "0")
	frac = bytes.TrimRight(frac, "0")
	return neg, intPart, frac
}

// timeMicros reads a TIME value ([-]H+:MM:SS[.ffffff]) as microseconds.
func timeMicros(b []byte) int64 {
	s := string(b)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var h, m, sec, us int64
	parts := strings.SplitN(s, ":", 3)
	h, _ = strconv.ParseInt(parts[0], 10, 64)
	if len(parts) > 1 {
		m, _ = strconv.ParseInt(parts[1], 10, 64)
	}
	if len(parts) > 2 {
		secPart, frac, _ := strings.Cut(parts[2], ".")
		sec, _ = strconv.ParseInt(secPart, 10, 64)
		if frac != "" {
			frac = (frac + "000000")[:6]
			us, _ = strconv.ParseInt(frac, 10, 64)
		}
	}
	v := ((h*60+m)*60+sec)*1_000_000 + us
	if neg {
		return -v
	}
	return v
}

// --- decimal arithmetic (SUM and AVG of exact numbers) ---

// decimal is an exact decimal number: v × 10^-scale.
type decimal struct {
	v     *big.Int
	scale int
}

func parseDecimal(s []byte) (decimal, bool) {
	neg, intPart, frac := false, s, []byte(nil)
	if len(intPart) > 0 && (intPart[0] == '-' || intPart[0] == '+') {
		neg = intPart[0] == '-'
		intPart = intPart[1:]
	}
	if i := bytes.IndexByte(intPart, '.'); i >= 0 {
		intPart, frac = intPart[:i], intPart[i+1:]
	}
	if len(intPart)+len(frac) == 0 {
		return decimal{}, false
	}
	digits := make([]byte, 0, len(intPart)+len(frac))
	digits = append(append(digits, intPart...), frac...)
	for _, c := range digits {
		if c < '0' || c > '9' {
			return decimal{}, false
		}
	}
	v, ok := new(big.Int).SetString(string(digits), 10)
	if !ok {
		return decimal{}, false
	}
	if neg {
		v.Neg(v)
	}
	return decimal{v: v, scale: len(frac)}, true
}

var bigTen = big.NewInt(10)

func pow10(n int) *big.Int { return new(big.Int).Exp(bigTen, big.NewInt(int64(n)), nil) }

func (d decimal) rescale(scale int) *big.Int {
	if scale == d.scale {
		return new(big.Int).Set(d.v)
	}
	return new(big.Int).Mul(d.v, pow10(scale-d.scale)) // scale > d.scale
}

func (d decimal) add(o decimal) decimal {
	scale := max(d.scale, o.scale)
	return decimal{v: new(big.Int).Add(d.rescale(scale), o.rescale(scale)), scale: scale}
}

// format prints d with scale digits after the point (rounding half away
// from zero, as MySQL's decimal rounding does); fixed false keeps d's own
// scale (an integer SUM has none).
func (d decimal) format(scale int, fixed bool) string {
	if !fixed || scale > 38 {
		scale = d.scale
	}
	return formatScaled(roundScaled(d.v, d.scale, scale), scale)
}

// div is d / n rounded half away from zero to scale digits: AVG's value.
func (d decimal) div(n int64, scale int) string {
	if scale > 38 {
		scale = d.scale + 4
	}
	return formatScaled(divScaled(d.v, d.scale, big.NewInt(n), 0, scale), scale)
}

// divScaled is x / y (of scales xs and ys) at scale, as MySQL shows it:
// MySQL keeps a quotient to 9·⌈(xs + ys + DivPrecisionIncrement) / 9⌉
// decimals and cuts the rest. Shown to fewer decimals it is rounded half
// away from zero, which reads the same from the exact quotient; shown to
// all of them (or more) it is the cut value.
func divScaled(x *big.Int, xs int, y *big.Int, ys, scale int) *big.Int {
	kept := 9 * ((xs + ys + DivPrecisionIncrement + 8) / 9)
	at := min(scale, kept)
	// (x / 10^xs) / (y / 10^ys) × 10^at = x × 10^(at + ys) / (y × 10^xs).
	num := new(big.Int).Mul(x, pow10(at+ys))
	den := new(big.Int).Mul(y, pow10(xs))
	q, rem := new(big.Int).QuoRem(num, den, new(big.Int))
	if at < kept && rem.Abs(rem).Lsh(rem, 1).Cmp(new(big.Int).Abs(den)) >= 0 {
		if num.Sign()*den.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return q.Mul(q, pow10(scale-at))
}

// roundScaled converts v × 10^-from to an integer of scale to, rounding
// half away from zero.
func roundScaled(v *big.Int, from, to int) *big.Int {
	if to >= from {
		return new(big.Int).Mul(v, pow10(to-from))
	}
	den := pow10(from - to)
	abs := new(big.Int).Abs(v)
	q, r := new(big.Int).QuoRem(abs, den, new(big.Int))
	if r.Lsh(r, 1).Cmp(den) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if v.Sign() < 0 {
		q.Neg(q)
	}
	return q
}

// formatScaled prints v × 10^-scale in plain notation.
func formatScaled(v *big.Int, scale int) string {
	s := new(big.Int).Abs(v).String()
	if scale > 0 {
		if len(s) <= scale {
			s = strings.Repeat("0", scale-len(s)+1) + s
		}
		s = s[:len(s)-scale] + "." + s[len(s)-scale:]
	}
	if v.Sign() < 0 {
		s = "-" + s
	}
	return s
}

// formatDouble prints a DOUBLE as MySQL/MariaDB do: with a fixed number of
// decimals when the column has one (< 31), else the shortest digits that
// read back to the same value, in plain notation unless the decimal
// exponent is below -14 or the number is an integer of more than 15 digits
// (my_gcvt: 1e15, 1.2345678901234568e17, 1e-15 plain, 1e-16 not).
func formatDouble(f float64, decimals int) string {
	if decimals < mysql.NotFixedDecimals {
		s := strconv.FormatFloat(f, 'f', decimals, 64)
		if s[0] == '-' && strings.Trim(s[1:], "0.") == "" {
			s = s[1:] // MySQL shows -0.04 rounded to one decimal as 0.0
		}
		return s
	}
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	if f == 0 {
		return "0"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // [-]d[.ddd]e±XX
	neg := e[0] == '-'
	e = strings.TrimPrefix(e, "-")
	mant, expText, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expText)
	digits := strings.Replace(mant, ".", "", 1)
	decpt := exp + 1 // digits before the point
	var out string
	if decpt >= -14 && (decpt <= 15 || len(digits) > decpt) {
		switch {
		case decpt <= 0:
			out = "0." + strings.Repeat("0", -decpt) + digits
		case decpt < len(digits):
			out = digits[:decpt] + "." + digits[decpt:]
		default:
			out = digits + strings.Repeat("0", decpt-len(digits))
		}
	} else {
		out = digits[:1]
		if len(digits) > 1 {
			out += "." + digits[1:]
		}
		out += "e" + strconv.Itoa(exp)
	}
	if neg {
		out = "-" + out
	}
	return out
}
