package engine

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"sidecar/vindex"
)

// FuzzMerge: the merge of sorted integer streams, with OFFSET/LIMIT, or
// grouped with SUM (and HAVING SUM(v) > a threshold), answers as one sorted
// table would (the oracle: every row in one slice, sorted stably by shard,
// then grouped, filtered or limited).
func FuzzMerge(f *testing.F) {
	f.Add([]byte{3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5}, uint8(0), uint8(2), uint8(5))
	f.Add([]byte{0, 0, 0, 7, 7, 1}, uint8(1), uint8(0), uint8(255))
	f.Add([]byte{}, uint8(2), uint8(1), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, mode, offset, limit uint8) {
		// Three shards; each byte is a row (key = byte % 8, value = byte),
		// dealt round-robin, each shard's rows sorted as the shard would.
		shards := make([][][]string, 3)
		var all [][2]int // key, shard
		for i, b := range data {
			sh := i % 3
			shards[sh] = append(shards[sh], []string{strconv.Itoa(int(b % 8)), strconv.Itoa(int(b))})
		}
		desc := mode&1 == 1
		for sh := range shards {
			slices.SortStableFunc(shards[sh], func(a, b []string) int {
				c := cmp.Compare(atoi(a[0]), atoi(b[0]))
				if desc {
					c = -c
				}
				return c
			})
			for _, r := range shards[sh] {
				all = append(all, [2]int{atoi(r[0]), sh})
			}
		}
		key := MergeKey{Col: MergeCol{Index: 0}, Desc: desc}
		lim := &Limit{Offset: uint64(offset % 8), Count: uint64(limit), Source: &MergeSort{Keys: []MergeKey{key}}}
		if limit == 255 {
			lim.Count = NoLimit
		}
		grouped := mode&2 == 2
		having := -1 // HAVING SUM(v) > having; -1: none
		if grouped {
			lim.Source = &Aggregate{Groups: []MergeKey{key}, Aggregates: []MergeAgg{{Func: AggSum, Col: MergeCol{Index: 1}}}, Source: lim.Source}
			if mode&4 == 4 {
				having = int(mode) * 2
				lim.Source = &Filter{Cond: &Compare{Col: MergeCol{Index: 1}, Op: OpGT, Value: vindex.NewInt64(int64(having))}, Source: lim.Source}
			}
		}
		plan := &MergePlan{Columns: 2, Top: lim}
		streams := make([]Stream, 3)
		out := &memOutput{visible: 2}
		for i := range shards {
			s := &memStream{rows: shards[i]}
			streams[i], out.streams = s, append(out.streams, s)
		}
		m, err := NewMerge(plan, []MergeColumn{{Name: "k", Class: ClassInt}, {Name: "v", Class: ClassInt}}, streams)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Run(out); err != nil {
			t.Fatal(err)
		}

		// The oracle: rows in key order, ties in shard order.
		slices.SortStableFunc(all, func(a, b [2]int) int {
			c := cmp.Compare(a[0], b[0])
			if desc {
				c = -c
			}
			if c == 0 {
				c = cmp.Compare(a[1], b[1])
			}
			return c
		})
		var want []string
		if grouped {
			sums := map[int]int{}
			var keys []int
			for _, b := range data {
				k := int(b % 8)
				if _, ok := sums[k]; !ok {
					keys = append(keys, k)
				}
				sums[k] += int(b)
			}
			slices.Sort(keys)
			if desc {
				slices.Reverse(keys)
			}
			for _, k := range keys {
				if sums[k] > having {
					want = append(want, "merged: "+strconv.Itoa(k)+" "+strconv.Itoa(sums[k]))
				}
			}
		} else {
			for _, r := range all {
				want = append(want, "key "+strconv.Itoa(r[0])+" from shard "+strconv.Itoa(r[1]))
			}
		}
		lo := min(int(lim.Offset), len(want))
		hi := len(want)
		if lim.Count != NoLimit {
			hi = min(lo+int(lim.Count), len(want))
		}
		want = want[lo:hi]
		got := out.rows
		if !grouped {
			// A passed-through row names its shard; compare keys and shards.
			for i, r := range got {
				shard, row, _ := strings.Cut(strings.TrimPrefix(r, "shard "), ": ")
				k, _, _ := strings.Cut(row, " ")
				got[i] = "key " + k + " from shard " + shard
			}
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("data %v mode %d offset %d limit %d:\ngot\n%s\nwant\n%s", data, mode, lim.Offset, limit, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }
