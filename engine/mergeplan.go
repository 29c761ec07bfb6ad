package engine

import (
	"fmt"
	"strings"
)

// MergePlan says how to ask each shard and how to combine their results.
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
	// Order is the order of the shards' rows; their streams are merged by it.
	// Empty: the results are concatenated.
	Order []MergeKey
	// Grouped: rows with equal Groups keys (adjacent in the merged stream) are
	// combined into one; Aggregates say how. No Groups and Grouped: all rows
	// form one group (aggregates without GROUP BY).
	Grouped    bool
	Groups     []MergeKey
	Aggregates []MergeAgg
	// PostSort: the combined groups are sorted by these keys before Offset
	// and Limit apply (ORDER BY an aggregate); all groups are then held.
	PostSort []MergeKey
	Offset   uint64
	Limit    uint64 // NoLimit: none
}

// String describes what the merge does with the shards' rows on one line,
// compactly (as the planner's tests spell merges): the columns the client sees (-1: as many as the
// result has, after a *) and the hidden ones after them; columns by position
// from 0, hidden ones as h0, h1, …; sort and group keys with w(weight, pad)
// when compared by weight strings, and desc; aggregates; the sort of the
// groups (post) and offset/limit.
func (mp *MergePlan) String() string {
	col, keys := mergeColText, mergeKeysText
	var b strings.Builder
	fmt.Fprintf(&b, "cols=%d hidden=%d", mp.Columns, mp.Hidden)
	if len(mp.Order) > 0 {
		fmt.Fprintf(&b, " order=[%s]", keys(mp.Order))
	}
	if mp.Grouped {
		fmt.Fprintf(&b, " groups=[%s]", keys(mp.Groups))
	}
	for _, a := range mp.Aggregates {
		fmt.Fprintf(&b, " %s(%s", a.Func, col(a.Col))
		if a.Func == AggAvg {
			fmt.Fprintf(&b, "=%s/%s", col(a.Sum), col(a.Count))
		}
		if a.HasWeight {
			fmt.Fprintf(&b, " w(%s,%s)", col(a.Weight), col(a.Pad))
		}
		b.WriteString(")")
	}
	if len(mp.PostSort) > 0 {
		fmt.Fprintf(&b, " post=[%s]", keys(mp.PostSort))
	}
	if mp.Offset != 0 || mp.Limit != NoLimit {
		fmt.Fprintf(&b, " offset=%d limit=%d", mp.Offset, mp.Limit)
	}
	return b.String()
}

// NoLimit is MergePlan.Limit without a LIMIT clause.
const NoLimit = ^uint64(0)

// MergeCol is a column of a shard's result: Index counts from the first
// column, or, when Hidden, from the first hidden column.
type MergeCol struct {
	Index  int
	Hidden bool
}

// MergeKey is a sort or group key. For keys that may be strings, Weight is
// weight_string(key) and Pad the collation's weight of a space ("" for NO
// PAD collations), both hidden columns.
type MergeKey struct {
	Col         MergeCol
	Weight, Pad MergeCol
	HasWeight   bool
	Desc        bool
}

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
// compare by weight strings, and desc.
func mergeKeysText(ks []MergeKey) string {
	var out []string
	for _, k := range ks {
		s := mergeColText(k.Col)
		if k.HasWeight {
			s += "w(" + mergeColText(k.Weight) + "," + mergeColText(k.Pad) + ")"
		}
		if k.Desc {
			s += " desc"
		}
		out = append(out, s)
	}
	return strings.Join(out, ", ")
}

// describe lists the steps Merge chains for this plan, the last one first
// (as NewMerge composes them): what VEXPLAIN shows.
func (mp *MergePlan) describe(b *strings.Builder, depth int) {
	if mp.Offset > 0 || mp.Limit != NoLimit {
		limit := "all"
		if mp.Limit != NoLimit {
			limit = fmt.Sprint(mp.Limit)
		}
		line(b, depth, "Limit offset=%d count=%s", mp.Offset, limit)
		depth++
	}
	if len(mp.PostSort) > 0 {
		line(b, depth, "MemorySort by [%s] (all groups held)", mergeKeysText(mp.PostSort))
		depth++
	}
	if mp.Grouped {
		var aggs []string
		for _, a := range mp.Aggregates {
			agg := fmt.Sprintf("%s(%s)", a.Func, mergeColText(a.Col))
			switch {
			case a.Func == AggAvg:
				agg = fmt.Sprintf("avg(%s)=%s/%s", mergeColText(a.Col), mergeColText(a.Sum), mergeColText(a.Count))
			case a.HasWeight:
				agg = fmt.Sprintf("%s(%s by w(%s,%s))", a.Func, mergeColText(a.Col), mergeColText(a.Weight), mergeColText(a.Pad))
			}
			aggs = append(aggs, agg)
		}
		what := "DISTINCT"
		if len(aggs) > 0 {
			what = strings.Join(aggs, " ")
		}
		groups := "all rows as one group"
		if len(mp.Groups) > 0 {
			groups = "groups [" + mergeKeysText(mp.Groups) + "]"
		}
		line(b, depth, "Aggregate %s: %s", groups, what)
		depth++
	}
	if len(mp.Order) > 0 {
		line(b, depth, "MergeSort by [%s] of the shards' sorted rows", mergeKeysText(mp.Order))
	} else {
		line(b, depth, "Concatenate the shards' rows")
	}
}
