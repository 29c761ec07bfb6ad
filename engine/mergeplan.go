package engine

import (
	"fmt"
	"strings"

	"sidecar/sqlerr"
)

// MergePlan says how to ask each shard and how to combine their results:
// the statement every shard runs, and a tree of merge steps over the
// shards' streams.
type MergePlan struct {
	// SQL is the statement every shard runs (text; a prepared statement's
	// arguments are written in as literals).
	SQL string
	// Columns is the number of columns the client sees; -1 when the select
	// list has a * and only the result tells.
	Columns int
	// Hidden is the number of columns at the end of each shard's result that
	// the merge reads and the client does not see.
	Hidden int
	// Top is the merge's last step; the innermost one reads the shards'
	// streams (MergeSort or Concat).
	Top MergeStep
}

// MergeStep is a step of a scatter merge: a node of its tree, with the
// shards' streams at the leaves. Each pulls rows from the one below and
// passes them on (see mergeops.go).
type MergeStep interface {
	describer
	// open resolves the step against the shards' result columns and
	// returns its rows.
	open(r *resolver, streams []Stream) (rowSource, error)
}

// MergeSort merges the shards' streams, each sorted by Keys, into one sorted
// stream.
type MergeSort struct{ Keys []MergeKey }

// Concat passes on the shards' rows one shard after the other, for results
// in no particular order.
type Concat struct{}

// Aggregate combines the rows with equal Groups keys, which come adjacent
// from Source, by Aggregates. No Groups: all rows are one group (aggregates
// without GROUP BY); no Aggregates: DISTINCT.
type Aggregate struct {
	Groups     []MergeKey
	Aggregates []MergeAgg
	Source     MergeStep
}

// MemorySort holds every row of Source and passes them on sorted by Keys:
// the sort of groups by an aggregate, which only the combined groups know.
type MemorySort struct {
	Keys   []MergeKey
	Source MergeStep
}

// Limit skips Offset rows of Source and passes on at most Count (NoLimit:
// all) after them.
type Limit struct {
	Offset, Count uint64
	Source        MergeStep
}

// String describes what the merge does with the shards' rows on one line,
// compactly (as the planner's tests spell merges): the columns the client
// sees (-1: as many as the result has, after a *) and the hidden ones after
// them; columns by position from 0, hidden ones as h0, h1, …; sort and group
// keys with w(weight, pad) when compared by weight strings, and desc;
// aggregates; the columns computed from them; the HAVING filter; the sort
// of the groups (post) and offset/limit. The steps are listed from the shards up.
func (mp *MergePlan) String() string {
	var steps []MergeStep
	for s := mp.Top; s != nil; {
		steps = append(steps, s)
		switch st := s.(type) {
		case *Aggregate:
			s = st.Source
		case *MemorySort:
			s = st.Source
		case *Filter:
			s = st.Source
		case *Project:
			s = st.Source
		case *Limit:
			s = st.Source
		default:
			s = nil
		}
	}
	col, keys := mergeColText, mergeKeysText
	var b strings.Builder
	fmt.Fprintf(&b, "cols=%d hidden=%d", mp.Columns, mp.Hidden)
	for i := len(steps) - 1; i >= 0; i-- {
		switch st := steps[i].(type) {
		case *MergeSort:
			fmt.Fprintf(&b, " order=[%s]", keys(st.Keys))
		case *Aggregate:
			fmt.Fprintf(&b, " groups=[%s]", keys(st.Groups))
			for _, a := range st.Aggregates {
				fmt.Fprintf(&b, " %s(%s", a.Func, col(a.Col))
				if a.Func == AggAvg {
					fmt.Fprintf(&b, "=%s/%s", col(a.Sum), col(a.Count))
				}
				if a.HasWeight {
					fmt.Fprintf(&b, " w(%s,%s)", col(a.Weight), col(a.Pad))
				}
				b.WriteString(")")
			}
		case *Project:
			for _, c := range st.Columns {
				fmt.Fprintf(&b, " %s=%s", condColText(c.Col), c.Expr)
			}
		case *Filter:
			fmt.Fprintf(&b, " having=[%s]", st.Cond)
		case *MemorySort:
			fmt.Fprintf(&b, " post=[%s]", keys(st.Keys))
		case *Limit:
			fmt.Fprintf(&b, " offset=%d limit=%d", st.Offset, st.Count)
		}
	}
	return b.String()
}

// LimitsPerShard: each row the merge passes on is a shard's row, in the
// order of the shards' own (concatenated, merge-sorted, projected, limited):
// a LIMIT n on each shard's statement leaves its first n rows as they are.
// Aggregates, their filter and their sort need every row.
func (mp *MergePlan) LimitsPerShard() bool {
	for s := mp.Top; s != nil; {
		switch st := s.(type) {
		case *Project:
			s = st.Source
		case *Limit:
			s = st.Source
		case *MergeSort, *Concat:
			return true
		default:
			return false
		}
	}
	return false
}

// NoLimit is a Limit without a count: OFFSET alone.
const NoLimit = ^uint64(0)

// MergeCol is a column of a shard's result: Index counts from the first
// column, or, when Hidden, from the first hidden column.
type MergeCol struct {
	Index  int
	Hidden bool
}

// MergeKey is a sort or group key. For keys that may be strings, Weight is
// weight_string(key) and Pad the collation's weight of a space ("" for NO
// PAD collations), both hidden columns. Name is the key's column of the
// table as the planner names it ("" for an expression). For a key the merge
// found to be an ENUM or SET column (see EnumKeys), Index is (key)+0, a
// hidden column: the member's position (a SET's bits), which MySQL sorts
// and groups them by.
type MergeKey struct {
	Col         MergeCol
	Weight, Pad MergeCol
	Index       MergeCol
	Name        string
	HasWeight   bool
	HasIndex    bool
	Desc        bool
}

// EnumKeys is NewMerge's refusal of a plan whose sort or group keys turned
// out to be ENUM or SET columns, by the shards' column definitions, Names
// naming them ("" for an expression): MySQL orders those by their index,
// which only a plan with their Index columns has (the statement alone does
// not say which columns are ENUMs). Nothing has been read of the rows yet.
type EnumKeys struct {
	Names []string
}

// NotEvaluable is a refusal of the merge that the engine's evaluation of the
// statement would not answer right either: it is the client's answer. (The
// evaluation reads the shards' values as strings: an ENUM compared with a
// number would compare its text, not its index.)
type NotEvaluable struct{ Err *sqlerr.Error }

func (e NotEvaluable) Error() string { return e.Err.Error() }
func (e NotEvaluable) Unwrap() error { return e.Err }

var errEnumKeys = sqlerr.Unsupported("ORDER BY or GROUP BY of an ENUM or SET column across shards without its index (MySQL orders them by it)")

func (e *EnumKeys) Error() string { return errEnumKeys.Message }
func (e *EnumKeys) Unwrap() error { return errEnumKeys }

// AggFunc is an aggregate function the merge combines.
type AggFunc uint8

const (
	AggCount AggFunc = iota + 1
	AggSum
	AggMin
	AggMax
	AggAvg
	AggBitAnd
	AggBitOr
	AggBitXor
)

// aggFuncs are the aggregate functions the merge combines, by name.
var aggFuncs = map[string]AggFunc{"count": AggCount, "sum": AggSum, "min": AggMin, "max": AggMax, "avg": AggAvg,
	"bit_and": AggBitAnd, "bit_or": AggBitOr, "bit_xor": AggBitXor}

// AggFuncNamed is the aggregate function of a lower-case name; 0 when the
// merge cannot combine it.
func AggFuncNamed(name string) AggFunc { return aggFuncs[name] }

func (f AggFunc) String() string {
	for name, g := range aggFuncs {
		if g == f {
			return name
		}
	}
	return "?"
}

// MergeAgg combines one aggregate column across shards. AVG's own column is
// only there for its definition: the value is Sum / Count. MIN and MAX of
// strings compare by Weight and Pad.
type MergeAgg struct {
	Func        AggFunc
	Col         MergeCol
	Sum, Count  MergeCol
	Weight, Pad MergeCol
	HasWeight   bool
}

// mergeColText names a column of the shards' result: its position from 0,
// hidden ones as h0, h1, ….
func mergeColText(c MergeCol) string {
	if c.Hidden {
		return fmt.Sprintf("h%d", c.Index)
	}
	return fmt.Sprint(c.Index)
}

// mergeKeysText lists sort or group keys, with w(weight, pad) when they
// compare by weight strings, i(index) when an ENUM's by its index, and desc.
func mergeKeysText(ks []MergeKey) string {
	var out []string
	for _, k := range ks {
		s := mergeColText(k.Col)
		if k.HasWeight {
			s += "w(" + mergeColText(k.Weight) + "," + mergeColText(k.Pad) + ")"
		}
		if k.HasIndex {
			s += "i(" + mergeColText(k.Index) + ")"
		}
		if k.Desc {
			s += " desc"
		}
		out = append(out, s)
	}
	return strings.Join(out, ", ")
}

// The merge's steps as VEXPLAIN lists them: the last one first, its source
// under it.

func (mp *MergePlan) describe(b *strings.Builder, depth int) { mp.Top.describe(b, depth) }

func (l *Limit) describe(b *strings.Builder, depth int) {
	count := "all"
	if l.Count != NoLimit {
		count = fmt.Sprint(l.Count)
	}
	line(b, depth, "Limit offset=%d count=%s", l.Offset, count)
	l.Source.describe(b, depth+1)
}

func (s *MemorySort) describe(b *strings.Builder, depth int) {
	line(b, depth, "MemorySort by [%s] (all groups held)", mergeKeysText(s.Keys))
	s.Source.describe(b, depth+1)
}

func (a *Aggregate) describe(b *strings.Builder, depth int) {
	var aggs []string
	for _, ag := range a.Aggregates {
		text := fmt.Sprintf("%s(%s)", ag.Func, mergeColText(ag.Col))
		switch {
		case ag.Func == AggAvg:
			text = fmt.Sprintf("avg(%s)=%s/%s", mergeColText(ag.Col), mergeColText(ag.Sum), mergeColText(ag.Count))
		case ag.HasWeight:
			text = fmt.Sprintf("%s(%s by w(%s,%s))", ag.Func, mergeColText(ag.Col), mergeColText(ag.Weight), mergeColText(ag.Pad))
		}
		aggs = append(aggs, text)
	}
	what := "DISTINCT"
	if len(aggs) > 0 {
		what = strings.Join(aggs, " ")
	}
	groups := "all rows as one group"
	if len(a.Groups) > 0 {
		groups = "groups [" + mergeKeysText(a.Groups) + "]"
	}
	line(b, depth, "Aggregate %s: %s", groups, what)
	a.Source.describe(b, depth+1)
}

func (m *MergeSort) describe(b *strings.Builder, depth int) {
	line(b, depth, "MergeSort by [%s] of the shards' sorted rows", mergeKeysText(m.Keys))
}

func (*Concat) describe(b *strings.Builder, depth int) {
	line(b, depth, "Concatenate the shards' rows")
}
