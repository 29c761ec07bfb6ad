package engine

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"

	"sidecar/sqlerr"
	"sidecar/vindex"
)

// Project computes columns of the combined groups from other columns: a
// select-list expression over aggregates (count(*) + 1, sum(a) / sum(b)),
// whose value each shard computed over its part of the group only. The
// shards' own value of the column stays for its definition (name, type,
// decimals), which the computed value follows.
type Project struct {
	Columns []Computed
	Source  MergeStep
}

// Computed is a column Project computes, and how.
type Computed struct {
	Col  MergeCol
	Expr Arith
}

// Arith is an arithmetic expression over a combined row's columns.
type Arith interface {
	fmt.Stringer
	// resolve returns the expression's evaluation and the kind of number
	// its value is.
	resolve(r *resolver) (arithFunc, numKind, error)
}

// ArithCol is a column's value; ArithValue a number; ArithOp Left Op Right
// with Op one of + - * /; ArithNeg the negation of X.
type (
	ArithCol   struct{ Col MergeCol }
	ArithValue struct{ Value vindex.Value }
	ArithOp    struct {
		Op          byte
		Left, Right Arith
	}
	ArithNeg struct{ X Arith }
)

func (a *ArithCol) String() string   { return condColText(a.Col) }
func (a *ArithValue) String() string { return string(a.Value.Raw) }
func (a *ArithOp) String() string {
	return "(" + a.Left.String() + " " + string(a.Op) + " " + a.Right.String() + ")"
}
func (a *ArithNeg) String() string { return "-" + a.X.String() }

// DivPrecisionIncrement is the digits a division adds to its dividend's
// scale: MySQL's div_precision_increment, which the result's column
// definition confirms (a session that changed it gets a refusal).
const DivPrecisionIncrement = 4

// maxScale is the most digits a MySQL decimal has after its point.
const maxScale = 30

// numKind is the kind of number an expression's value is, as MySQL types
// it: a double when a double takes part, else exact: a BIGINT [UNSIGNED]
// (integer) when only integers do, else a decimal of scale digits after
// the point.
type numKind struct {
	double            bool
	integer, unsigned bool
	scale             int
}

// number is a value while an expression is evaluated: exact (v, scaled by
// its kind's scale) or a double (f); null for NULL; outOfRange names the
// integer type an operation overflowed (MySQL's ERROR 1690).
type number struct {
	v          *big.Int
	f          float64
	null       bool
	outOfRange string
}

var (
	minBigint   = big.NewInt(math.MinInt64)
	maxBigint   = big.NewInt(math.MaxInt64)
	maxUnsigned = new(big.Int).SetUint64(math.MaxUint64)
)

// checked is n, or the overflow of the integer type k, which MySQL checks
// after every operation.
func checked(n number, k numKind) number {
	switch {
	case n.null || !k.integer:
	case k.unsigned && (n.v.Sign() < 0 || n.v.Cmp(maxUnsigned) > 0):
		return number{outOfRange: "BIGINT UNSIGNED"}
	case !k.unsigned && (n.v.Cmp(minBigint) < 0 || n.v.Cmp(maxBigint) > 0):
		return number{outOfRange: "BIGINT"}
	}
	return n
}

// failed: an operand is NULL or out of range, which the operation passes on.
func failed(x, y number) (number, bool) {
	switch {
	case x.outOfRange != "":
		return x, true
	case y.outOfRange != "":
		return y, true
	case x.null || y.null:
		return number{null: true}, true
	}
	return number{}, false
}

type arithFunc func(row [][]byte) number

// asDouble converts an exact operand of a double operation as MySQL does:
// the decimal's text read as a double.
func asDouble(eval arithFunc, k numKind) arithFunc {
	if k.double {
		return eval
	}
	return func(row [][]byte) number {
		n := eval(row)
		if !n.null {
			n.f, _ = strconv.ParseFloat(formatScaled(n.v, k.scale), 64)
		}
		return n
	}
}

func (a *ArithCol) resolve(r *resolver) (arithFunc, numKind, error) {
	col, class, err := r.numberColumn(a.Col)
	if err != nil {
		return nil, numKind{}, err
	}
	if class == ClassFloat {
		def := r.cols[col]
		return func(row [][]byte) number {
			v := row[col]
			if v == nil {
				return number{null: true}
			}
			return number{f: def.double(v)}
		}, numKind{double: true}, nil
	}
	k := numKind{integer: class != ClassDecimal, unsigned: class == ClassUint}
	if class == ClassDecimal {
		k.scale = r.cols[col].Decimals
	}
	return func(row [][]byte) number {
		d, ok := parseDecimal(row[col])
		if !ok { // NULL
			return number{null: true}
		}
		return number{v: roundScaled(d.v, d.scale, k.scale)}
	}, k, nil
}

func (a *ArithValue) resolve(*resolver) (arithFunc, numKind, error) {
	raw := a.Value.Raw
	d, plain := parseDecimal(raw)
	switch {
	case a.Value.Kind == vindex.Null:
		return func([][]byte) number { return number{null: true} }, numKind{}, nil
	case a.Value.Kind == vindex.Float64 || !plain:
		f, err := strconv.ParseFloat(string(raw), 64)
		if err != nil {
			return nil, numKind{}, sqlerr.Unsupported("arithmetic on %q across shards", raw)
		}
		return func([][]byte) number { return number{f: f} }, numKind{double: true}, nil
	}
	k := numKind{scale: d.scale}
	switch a.Value.Kind {
	case vindex.Int64:
		k.integer = true
	case vindex.Uint64:
		k.integer, k.unsigned = true, true
	}
	return func([][]byte) number { return number{v: d.v} }, k, nil
}

func (a *ArithNeg) resolve(r *resolver) (arithFunc, numKind, error) {
	x, k, err := a.X.resolve(r)
	if err != nil {
		return nil, k, err
	}
	k.unsigned = false // -x of an unsigned x is signed
	return func(row [][]byte) number {
		n := x(row)
		switch {
		case n.null || n.outOfRange != "":
		case k.double:
			n.f = -n.f
		default:
			n = checked(number{v: new(big.Int).Neg(n.v)}, k)
		}
		return n
	}, k, nil
}

// resolve follows MySQL's arithmetic: doubles when either operand is one;
// else exact, a sum's scale its widest operand's, a product's the sum of
// its operands', a quotient's the dividend's plus DivPrecisionIncrement,
// rounded half away from zero. Division by zero is NULL.
func (a *ArithOp) resolve(r *resolver) (arithFunc, numKind, error) {
	left, lk, err := a.Left.resolve(r)
	if err != nil {
		return nil, lk, err
	}
	right, rk, err := a.Right.resolve(r)
	if err != nil {
		return nil, rk, err
	}
	op := a.Op
	if lk.double || rk.double {
		left, right = asDouble(left, lk), asDouble(right, rk)
		return func(row [][]byte) number {
			x, y := left(row), right(row)
			if n, done := failed(x, y); done {
				return n
			}
			switch {
			case op == '+':
				return number{f: x.f + y.f}
			case op == '-':
				return number{f: x.f - y.f}
			case op == '*':
				return number{f: x.f * y.f}
			case y.f == 0:
				return number{null: true}
			}
			return number{f: x.f / y.f}
		}, numKind{double: true}, nil
	}
	ls, rs := lk.scale, rk.scale
	// Integers stay integers, unsigned when either is; a quotient is a
	// decimal.
	k := numKind{integer: lk.integer && rk.integer && op != '/', unsigned: lk.unsigned || rk.unsigned}
	switch op {
	case '+', '-':
		k.scale = max(ls, rs)
	case '*':
		k.scale = min(ls+rs, maxScale)
	case '/':
		k.scale = min(ls+DivPrecisionIncrement, maxScale)
	default:
		return nil, numKind{}, sqlerr.Unsupported("the operator %c across shards", op)
	}
	k.unsigned = k.unsigned && k.integer
	scale := k.scale
	return func(row [][]byte) number {
		x, y := left(row), right(row)
		if n, done := failed(x, y); done {
			return n
		}
		switch op {
		case '+':
			return checked(number{v: new(big.Int).Add(roundScaled(x.v, ls, scale), roundScaled(y.v, rs, scale))}, k)
		case '-':
			return checked(number{v: new(big.Int).Sub(roundScaled(x.v, ls, scale), roundScaled(y.v, rs, scale))}, k)
		case '*':
			return checked(number{v: roundScaled(new(big.Int).Mul(x.v, y.v), ls+rs, scale)}, k)
		}
		return quotient(x, ls, y, rs, scale)
	}, k, nil
}

// quotient is x / y (of scales xs, ys) at scale as MySQL shows it (see
// divScaled); NULL when y is 0.
func quotient(x number, xs int, y number, ys, scale int) number {
	if y.v.Sign() == 0 {
		return number{null: true}
	}
	return number{v: divScaled(x.v, xs, y.v, ys, scale)}
}

// ArithRound is ROUND(X, Digits), Digits from 0: an exact number rounded
// half away from zero to Digits decimals (MariaDB shows that many; a
// quotient, AVG among them, from the value MySQL keeps of it, see
// divScaled), an integer as it is, a double half to even on its value
// times 10^Digits, as MySQL's rint does.
type ArithRound struct {
	X      Arith
	Digits int
}

func (a *ArithRound) String() string {
	return "round(" + a.X.String() + ", " + strconv.Itoa(a.Digits) + ")"
}

func (a *ArithRound) resolve(r *resolver) (arithFunc, numKind, error) {
	if round, k, ok, err := a.quotient(r); ok || err != nil {
		return round, k, err
	}
	x, k, err := a.X.resolve(r)
	if err != nil {
		return nil, k, err
	}
	switch {
	case k.double:
		p := math.Pow10(a.Digits)
		return func(row [][]byte) number {
			n := x(row)
			if n.null || n.outOfRange != "" {
				return n
			}
			if m := n.f * p; !math.IsInf(m, 0) {
				n.f = math.RoundToEven(m) / p
			}
			return n
		}, k, nil
	case k.integer:
		return x, k, nil
	}
	from := k.scale
	k.scale = a.Digits
	return func(row [][]byte) number {
		n := x(row)
		if n.null || n.outOfRange != "" {
			return n
		}
		return number{v: roundScaled(n.v, from, a.Digits)}
	}, k, nil
}

// quotient resolves ROUND of an exact quotient, or of its negation; ok false
// for anything else.
func (a *ArithRound) quotient(r *resolver) (arithFunc, numKind, bool, error) {
	x, neg := a.X, false
	if n, isNeg := x.(*ArithNeg); isNeg {
		x, neg = n.X, true
	}
	q, isOp := x.(*ArithOp)
	if !isOp || q.Op != '/' {
		return nil, numKind{}, false, nil
	}
	left, lk, err := q.Left.resolve(r)
	if err != nil {
		return nil, lk, false, err
	}
	right, rk, err := q.Right.resolve(r)
	if err != nil || lk.double || rk.double {
		return nil, rk, false, err
	}
	return func(row [][]byte) number {
		x, y := left(row), right(row)
		if n, done := failed(x, y); done {
			return n
		}
		n := quotient(x, lk.scale, y, rk.scale, a.Digits)
		if neg && !n.null {
			n.v.Neg(n.v)
		}
		return n
	}, numKind{scale: a.Digits}, true, nil
}

// computedColumn is a resolved Computed: where its value goes and how it is
// written.
type computedColumn struct {
	name   string // the column's, for errors
	col    int
	eval   arithFunc
	format func(number) ([]byte, error)
}

// resolve evaluates the expression as MySQL typed it, which the column's
// definition confirms: a double for FLOAT/DOUBLE, a decimal of the column's
// scale for DECIMAL, an integer in range for integers.
func (c *Computed) resolve(r *resolver) (computedColumn, error) {
	col, class, err := r.numberColumn(c.Col)
	if err != nil {
		return computedColumn{}, err
	}
	def := r.cols[col]
	eval, k, err := c.Expr.resolve(r)
	if err != nil {
		return computedColumn{}, err
	}
	cc := computedColumn{name: def.Name, col: col, eval: eval}
	switch {
	case k.double != (class == ClassFloat):
		return computedColumn{}, sqlerr.Unsupported("%s across shards: its type is not the one MySQL's arithmetic gives", def.Name)
	case k.double:
		cc.format = func(n number) ([]byte, error) { return []byte(formatDouble(n.f, def.Decimals)), nil }
	case class == ClassDecimal:
		if k.scale != def.Decimals {
			return computedColumn{}, sqlerr.Unsupported("%s across shards: its %d decimals are not the %d MySQL's arithmetic gives (div_precision_increment %d)",
				def.Name, def.Decimals, k.scale, DivPrecisionIncrement)
		}
		cc.format = func(n number) ([]byte, error) { return []byte(formatScaled(n.v, k.scale)), nil }
	case !k.integer || k.unsigned != (class == ClassUint):
		return computedColumn{}, sqlerr.Unsupported("%s across shards: its type is not the one MySQL's arithmetic gives", def.Name)
	default:
		cc.format = func(n number) ([]byte, error) { return n.v.Append(nil, 10), nil }
	}
	return cc, nil
}

func (p *Project) open(r *resolver, streams []Stream) (rowSource, error) {
	src, err := p.Source.open(r, streams)
	if err != nil {
		return nil, err
	}
	cols := make([]computedColumn, len(p.Columns))
	for i := range p.Columns {
		if cols[i], err = p.Columns[i].resolve(r); err != nil {
			return nil, err
		}
	}
	return &project{src: src, cols: cols}, nil
}

func (p *Project) describe(b *strings.Builder, depth int) {
	var cols []string
	for _, c := range p.Columns {
		cols = append(cols, condColText(c.Col)+" = "+c.Expr.String())
	}
	line(b, depth, "Project %s (on the combined groups)", strings.Join(cols, ", "))
	p.Source.describe(b, depth+1)
}

// project computes columns of src's rows.
type project struct {
	src  rowSource
	cols []computedColumn
}

func (p *project) next() ([][]byte, int, error) {
	row, from, err := p.src.next()
	if err != nil || row == nil {
		return row, from, err
	}
	if from >= 0 {
		row = copyRow(row) // a stream's row is not the merge's to change
	}
	for _, c := range p.cols {
		n := c.eval(row)
		if n.outOfRange != "" {
			return nil, -1, sqlerr.New(1690, "22003", "%s value is out of range in '%s'", n.outOfRange, c.name)
		}
		if n.null {
			row[c.col] = nil
			continue
		}
		if row[c.col], err = c.format(n); err != nil {
			return nil, -1, err
		}
	}
	return row, -1, nil
}
