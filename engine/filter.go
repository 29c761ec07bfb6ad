package engine

import (
	"fmt"
	"strconv"
	"strings"

	"sidecar/sqlerr"
	"sidecar/vindex"
)

// Filter passes on the rows of Source for which Cond is true: the part of a
// HAVING condition that reads aggregates, which only the combined groups
// can answer (a shard sees its part of a group).
type Filter struct {
	Cond   Condition
	Source MergeStep
}

// Condition is a condition on a merged row. As in SQL it is true, false or
// unknown (NULL), and a Filter keeps the rows where it is true.
type Condition interface {
	fmt.Stringer
	resolve(r *resolver) (rowCondition, error)
}

// Compare compares a column with a number: Col Op Value. Both sides are
// numbers, compared as MySQL compares numbers: exactly as integers or
// decimals, as doubles when either side is a float.
type Compare struct {
	Col   MergeCol
	Op    CompareOp
	Value vindex.Value // Int64, Uint64, Decimal, Float64 or Null
}

// CompareOp is a comparison operator.
type CompareOp uint8

const (
	OpEQ CompareOp = iota + 1
	OpNE
	OpLT
	OpLE
	OpGT
	OpGE
	OpNullSafeEQ // <=>
)

var compareOpText = [...]string{OpEQ: "=", OpNE: "<>", OpLT: "<", OpLE: "<=", OpGT: ">", OpGE: ">=", OpNullSafeEQ: "<=>"}

func (op CompareOp) String() string { return compareOpText[op] }

// holds reports whether a comparison that came out c (-1, 0, 1) satisfies op.
func (op CompareOp) holds(c int) bool {
	switch op {
	case OpEQ, OpNullSafeEQ:
		return c == 0
	case OpNE:
		return c != 0
	case OpLT:
		return c < 0
	case OpLE:
		return c <= 0
	case OpGT:
		return c > 0
	}
	return c >= 0
}

// IsNull is Col IS NULL, or IS NOT NULL with Not.
type IsNull struct {
	Col MergeCol
	Not bool
}

// And, Or and Not combine conditions with SQL's three-valued logic.
type (
	And struct{ Left, Right Condition }
	Or  struct{ Left, Right Condition }
	Not struct{ Cond Condition }
)

func (c *Compare) String() string {
	v := "NULL"
	if c.Value.Kind != vindex.Null {
		v = string(c.Value.Raw)
	}
	return condColText(c.Col) + " " + c.Op.String() + " " + v
}

// condColText names a column in a condition: c0, c1, … for the visible
// ones (a bare position would read as a number), h0, h1, … for the hidden.
func condColText(c MergeCol) string {
	if c.Hidden {
		return mergeColText(c)
	}
	return "c" + mergeColText(c)
}

func (c *IsNull) String() string {
	if c.Not {
		return condColText(c.Col) + " IS NOT NULL"
	}
	return condColText(c.Col) + " IS NULL"
}

func (c *And) String() string { return "(" + c.Left.String() + " AND " + c.Right.String() + ")" }
func (c *Or) String() string  { return "(" + c.Left.String() + " OR " + c.Right.String() + ")" }
func (c *Not) String() string { return "NOT " + c.Cond.String() }

// truth is a condition's value on a row.
type truth uint8

const (
	isFalse truth = iota
	isTrue
	isUnknown
)

func truthOf(b bool) truth {
	if b {
		return isTrue
	}
	return isFalse
}

// rowCondition is a resolved Condition: its value on a row of the shards'
// result.
type rowCondition func(row [][]byte) truth

// resolve checks that the column is a number and the value one it can be
// compared with.
func (c *Compare) resolve(r *resolver) (rowCondition, error) {
	col, class, err := r.numberColumn(c.Col)
	if err != nil {
		return nil, err
	}
	lit := c.Value
	switch lit.Kind {
	case vindex.Null:
		if c.Op == OpNullSafeEQ {
			return func(row [][]byte) truth { return truthOf(row[col] == nil) }, nil
		}
		return func([][]byte) truth { return isUnknown }, nil
	case vindex.Int64, vindex.Uint64, vindex.Decimal:
	case vindex.Float64:
		class = ClassFloat // a double on either side: compared as doubles
	default:
		return nil, sqlerr.Unsupported("comparing %s with a %s value across shards", r.cols[col].Name, lit.Kind)
	}
	op, raw := c.Op, lit.Raw
	if _, plain := parseDecimal(raw); !plain {
		class = ClassFloat // 1e3: only a double reads it
	}
	cmp := func(v []byte) int { return compareDecimalText(v, raw) }
	if class == ClassFloat {
		f, err := strconv.ParseFloat(string(raw), 64)
		if err != nil {
			return nil, sqlerr.Unsupported("comparing %s with %q across shards", r.cols[col].Name, raw)
		}
		def := r.cols[col]
		cmp = func(v []byte) int { return cmpOrdered(def.double(v), f) }
	}
	return func(row [][]byte) truth {
		v := row[col]
		if v == nil {
			// NULL compares unknown; <=> says a number is not NULL.
			if op == OpNullSafeEQ {
				return isFalse
			}
			return isUnknown
		}
		return truthOf(op.holds(cmp(v)))
	}, nil
}

func (c *IsNull) resolve(r *resolver) (rowCondition, error) {
	col, err := r.column(c.Col)
	if err != nil {
		return nil, err
	}
	not := c.Not
	return func(row [][]byte) truth { return truthOf((row[col] == nil) != not) }, nil
}

func (c *And) resolve(r *resolver) (rowCondition, error) {
	left, right, err := resolveBoth(r, c.Left, c.Right)
	if err != nil {
		return nil, err
	}
	return func(row [][]byte) truth {
		l := left(row)
		if l == isFalse {
			return isFalse
		}
		if rt := right(row); rt != isTrue {
			return rt
		}
		return l
	}, nil
}

func (c *Or) resolve(r *resolver) (rowCondition, error) {
	left, right, err := resolveBoth(r, c.Left, c.Right)
	if err != nil {
		return nil, err
	}
	return func(row [][]byte) truth {
		l := left(row)
		if l == isTrue {
			return isTrue
		}
		if rt := right(row); rt != isFalse {
			return rt
		}
		return l
	}, nil
}

func (c *Not) resolve(r *resolver) (rowCondition, error) {
	inner, err := c.Cond.resolve(r)
	if err != nil {
		return nil, err
	}
	return func(row [][]byte) truth {
		switch inner(row) {
		case isTrue:
			return isFalse
		case isFalse:
			return isTrue
		}
		return isUnknown
	}, nil
}

func resolveBoth(r *resolver, a, b Condition) (rowCondition, rowCondition, error) {
	left, err := a.resolve(r)
	if err != nil {
		return nil, nil, err
	}
	right, err := b.resolve(r)
	return left, right, err
}

func (f *Filter) open(r *resolver, streams []Stream) (rowSource, error) {
	src, err := f.Source.open(r, streams)
	if err != nil {
		return nil, err
	}
	cond, err := f.Cond.resolve(r)
	if err != nil {
		return nil, err
	}
	return &filter{src: src, cond: cond}, nil
}

func (f *Filter) describe(b *strings.Builder, depth int) {
	line(b, depth, "Filter %s (HAVING on the combined groups)", f.Cond)
	f.Source.describe(b, depth+1)
}

// filter passes on the rows of src for which cond is true.
type filter struct {
	src  rowSource
	cond rowCondition
}

func (f *filter) next() ([][]byte, int, error) {
	for {
		row, from, err := f.src.next()
		if err != nil || row == nil || f.cond(row) == isTrue {
			return row, from, err
		}
	}
}
