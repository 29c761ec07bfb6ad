package engine

import "sort"

// The merge's steps as they run: what a MergeStep opens into. Each pulls rows
// from the one below and passes them on, so memory stays at one row per
// shard unless a step must hold more (a group being combined, the groups of
// a sort by an aggregate).

// rowSource is a step of the merge. next returns the next row (nil at the
// end) and from: the stream whose current row it is, unchanged, or -1 for a
// row the step built. The row is valid until the next call.
type rowSource interface {
	next() (row [][]byte, from int, err error)
}

// mergeSort merges streams each sorted by keys into one sorted stream: a
// heap holds the stream of every current row, the smallest on top. Equal
// keys come in stream order, as a stable sort of all rows would have them.
type mergeSort struct {
	streams []Stream
	keys    []cmpKey
	heap    []int
	primed  bool
	// advance: the top's row was passed on; its stream moves on first
	// thing in the next call, so the row stays valid until then.
	advance bool
}

func newMergeSort(streams []Stream, keys []cmpKey) *mergeSort {
	return &mergeSort{streams: streams, keys: keys}
}

func (m *mergeSort) next() ([][]byte, int, error) {
	if !m.primed {
		m.primed = true
		for i, st := range m.streams {
			if err := st.Next(); err != nil {
				return nil, -1, err
			}
			if !st.Done() {
				m.heap = append(m.heap, i)
			}
		}
		for i := len(m.heap)/2 - 1; i >= 0; i-- {
			m.down(i)
		}
	} else if m.advance {
		st := m.streams[m.heap[0]]
		if err := st.Next(); err != nil {
			return nil, -1, err
		}
		if st.Done() {
			last := len(m.heap) - 1
			m.heap[0] = m.heap[last]
			m.heap = m.heap[:last]
		}
		if len(m.heap) > 0 {
			m.down(0)
		}
	}
	if len(m.heap) == 0 {
		m.advance = false
		return nil, -1, nil
	}
	m.advance = true
	return m.streams[m.heap[0]].Row(), m.heap[0], nil
}

func (m *mergeSort) less(a, b int) bool {
	if c := compareRows(m.streams[a].Row(), m.streams[b].Row(), m.keys); c != 0 {
		return c < 0
	}
	return a < b // equal keys: in stream order, like a stable sort
}

func (m *mergeSort) down(i int) {
	h := m.heap
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		j := l
		if r := l + 1; r < len(h) && m.less(h[r], h[l]) {
			j = r
		}
		if !m.less(h[j], h[i]) {
			return
		}
		h[i], h[j] = h[j], h[i]
		i = j
	}
}

// concat passes on the streams' rows one stream after the other, for
// results in no particular order.
type concat struct {
	streams []Stream
	started []bool // the stream's first row was read
	seq     int    // the stream being read
	advance bool   // as mergeSort's
}

func (c *concat) next() ([][]byte, int, error) {
	if c.advance {
		c.advance = false
		if err := c.streams[c.seq].Next(); err != nil {
			return nil, -1, err
		}
	}
	for c.seq < len(c.streams) {
		st := c.streams[c.seq]
		if !c.started[c.seq] {
			c.started[c.seq] = true
			if err := st.Next(); err != nil {
				return nil, -1, err
			}
		}
		if !st.Done() {
			c.advance = true
			return st.Row(), c.seq, nil
		}
		c.seq++
	}
	return nil, -1, nil
}

// aggregate combines adjacent rows with equal group keys (the rows come
// sorted by them) into one, by the aggregates: the partial COUNTs and SUMs
// of the shards add up, MIN and MAX compare, AVG divides its SUM by its
// COUNT. No keys: all rows are one group, and no rows at all are too, as
// MySQL answers aggregates over no rows (COUNT 0, the others NULL): the
// shards send no row when they group by the value of a DISTINCT aggregate.
type aggregate struct {
	src    rowSource
	groups []cmpKey
	aggs   []aggSpec
	width  int       // columns of a row, for the row of no rows
	g      *groupAcc // the group being combined
	done   bool
	any    bool // a group was passed on
}

func (a *aggregate) next() ([][]byte, int, error) {
	for !a.done {
		row, _, err := a.src.next()
		if err != nil {
			return nil, -1, err
		}
		if row == nil {
			a.done = true
			break
		}
		if a.g != nil && compareRows(a.g.row, row, a.groups) == 0 {
			if err := a.g.fold(a.aggs, row); err != nil {
				return nil, -1, err
			}
			continue
		}
		finished := a.g
		if a.g, err = newGroup(a.aggs, row); err != nil {
			return nil, -1, err
		}
		if finished != nil {
			a.any = true
			out, err := finished.finish(a.aggs)
			return out, -1, err
		}
	}
	if a.g == nil {
		if len(a.groups) > 0 || a.any {
			return nil, -1, nil
		}
		a.g = emptyGroup(a.aggs, a.width)
	}
	finished := a.g
	a.g = nil
	a.any = true
	out, err := finished.finish(a.aggs)
	return out, -1, err
}

// memorySort holds every row of src and passes them on sorted by keys
// (stable): the sort of groups by an aggregate, which only the combined
// groups know.
type memorySort struct {
	src    rowSource
	keys   []cmpKey
	rows   [][][]byte
	loaded bool
	at     int
}

func (s *memorySort) next() ([][]byte, int, error) {
	if !s.loaded {
		s.loaded = true
		for {
			row, from, err := s.src.next()
			if err != nil {
				return nil, -1, err
			}
			if row == nil {
				break
			}
			if from >= 0 {
				row = copyRow(row) // a stream's row is valid only until it moves on
			}
			s.rows = append(s.rows, row)
		}
		sort.SliceStable(s.rows, func(i, j int) bool { return compareRows(s.rows[i], s.rows[j], s.keys) < 0 })
	}
	if s.at == len(s.rows) {
		return nil, -1, nil
	}
	s.at++
	return s.rows[s.at-1], -1, nil
}

// limit skips the first skip rows and passes on at most left (NoLimit: all)
// after them, then stops pulling: what the streams still hold is drained by
// the caller.
type limit struct {
	src        rowSource
	skip, left uint64
}

func (l *limit) next() ([][]byte, int, error) {
	for l.left > 0 {
		row, from, err := l.src.next()
		if err != nil || row == nil {
			return nil, -1, err
		}
		if l.skip > 0 {
			l.skip--
			continue
		}
		if l.left != NoLimit {
			l.left--
		}
		return row, from, nil
	}
	return nil, -1, nil
}
