package sidecar

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
// space padding), NULL first. Output rows go to the client in its protocol:
// text rows as they came (minus the hidden columns) or rebuilt with the
// combined values, binary rows (prepared statements) encoded from the text
// values by column type.

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"

	"sidecar/backend"
	"sidecar/conf"
	"sidecar/mysql"
	"sidecar/planner"
	"sidecar/sqlerr"
)

// scatterSelect runs a SELECT across shards: merged when it orders, limits,
// groups, aggregates or is DISTINCT, concatenated otherwise.
func (s *session) scatterSelect(shards []*conf.Shard, plan *planner.Plan, args planner.Args, stmt *preparedStmt, more bool) error {
	mp, err := planner.PlanMerge(plan, args)
	if err != nil {
		return s.evaluate(plan, args, stmt, more, err)
	}
	if mp == nil {
		return s.scatter(shards, plan, stmt, more)
	}
	return s.mergeScatter(shards, mp, stmt != nil, more)
}

// mergeScatter sends mp.SQL to every shard, then merges the results into one
// result set for the client: text rows, or binary rows for a prepared
// statement's execute.
func (s *session) mergeScatter(shards []*conf.Shard, mp *planner.MergePlan, binaryRows bool, more bool) error {
	if !s.inTxn && !s.autocommit {
		s.inTxn, s.beginSQL = true, "BEGIN" // as forward does: autocommit=0 opens a transaction
	}
	cursors := make([]*shardCursor, 0, len(shards))
	defer func() {
		if s.w.Failed() { // the client went away mid-result
			for _, c := range cursors {
				s.abandon(c.bc)
			}
		}
		for _, c := range cursors {
			held := c.held
			if c.bc.Broken && held {
				s.dropHeld(c.bc)
				held = false
			}
			s.release(c.bc, held, 0)
		}
	}()
	for _, sh := range shards {
		bc, held, err := s.acquire(sh)
		if err != nil {
			return err
		}
		cursors = append(cursors, &shardCursor{bc: bc, held: held, idx: len(cursors)})
	}
	var firstErr error
	for _, c := range cursors {
		if err := c.bc.SendQuery(mysql.ComQuery, mp.SQL); err != nil {
			firstErr = err
			break
		}
		c.sent = true
	}
	var defs [][]byte // the first shard's column definitions
	for _, c := range cursors {
		if !c.sent {
			continue
		}
		d, err := c.readHeader(defs == nil && firstErr == nil)
		if err != nil && firstErr == nil {
			firstErr = err
		}
		if d != nil {
			defs = d
		}
	}
	var m *merger
	if firstErr == nil {
		m, firstErr = newMerger(mp, defs, cursors)
	}
	if firstErr != nil {
		drainAll(cursors)
		return firstErr
	}
	m.out = &rowWriter{w: s.w, binary: binaryRows, cols: columns(m.cols[:m.visible])}

	// Column count, visible definitions, EOF.
	s.w.WritePacket(mysql.AppendLenEncInt(nil, uint64(m.visible)))
	for _, d := range defs[:m.visible] {
		s.w.WritePacket(d)
	}
	s.w.WritePacket(mysql.AppendEOF(nil, 0, s.status()))

	err := m.run()
	if s.w.Failed() {
		return err // nobody reads the rest: the deferred abandon closes the shards' connections
	}
	drainAll(cursors)
	if err != nil {
		return err
	}
	var warnings uint16
	for _, c := range cursors {
		if c.err != nil {
			return c.err
		}
		warnings += c.warnings
	}
	st := s.status()
	if more {
		st |= mysql.StatusMoreResults
	}
	return s.w.WritePacket(mysql.AppendEOF(nil, warnings, st))
}

// shardCursor reads one shard's text result set row by row. row and raw are
// valid until the next read.
type shardCursor struct {
	idx      int
	bc       *backend.Conn
	held     bool
	sent     bool
	columns  int
	row      [][]byte // current row's values, nil = NULL
	raw      []byte   // current row packet
	visEnd   int      // end of the visible columns in raw
	visible  int
	started  bool // the first row was read
	done     bool // the final EOF (or an error) was read
	warnings uint16
	err      error // the shard's error, if it sent one
}

// readHeader reads the column count and definitions; keep returns copies of
// the definitions.
func (c *shardCursor) readHeader(keep bool) ([][]byte, error) {
	bc := c.bc
	p, err := bc.Wire.ReadPacket()
	if err != nil {
		bc.Broken, c.done = true, true
		return nil, bc.Lost(err)
	}
	switch p[0] {
	case 0xff:
		c.done = true
		c.err = bc.Err(p)
		return nil, c.err
	case 0x00:
		c.done = true
		return nil, sqlerr.Routing("shard %s answered a SELECT without a result set", bc)
	}
	n, _, _, _ := mysql.ReadLenEncInt(p)
	c.columns = int(n)
	var defs [][]byte
	for i := 0; i <= c.columns; i++ { // definitions, then EOF
		q, err := bc.Wire.ReadPacket()
		if err != nil {
			bc.Broken, c.done = true, true
			return nil, bc.Lost(err)
		}
		if keep && i < c.columns {
			defs = append(defs, append([]byte(nil), q...))
		}
	}
	return defs, nil
}

// next reads the next row; at the end of the result c.done is set.
func (c *shardCursor) next() error {
	if c.done {
		return nil
	}
	c.started = true
	bc := c.bc
	p, err := bc.Wire.ReadPacket()
	if err != nil {
		bc.Broken, c.done = true, true
		c.err = bc.Lost(err)
		return c.err
	}
	switch {
	case p[0] == 0xff:
		c.done = true
		c.err = bc.Err(p)
		return c.err
	case mysql.IsEOF(p):
		c.done = true
		c.warnings = binary.LittleEndian.Uint16(p[1:])
		return nil
	}
	c.raw = p
	c.row = c.row[:0]
	pos := 0
	for i := 0; i < c.columns; i++ {
		if i == c.visible {
			c.visEnd = pos
		}
		n, null, size, ok := mysql.ReadLenEncInt(p[pos:])
		if !ok || pos+size+int(n) > len(p) {
			bc.Broken, c.done = true, true
			c.err = mysql.ErrMalformed
			return c.err
		}
		pos += size
		if null {
			c.row = append(c.row, nil)
			continue
		}
		c.row = append(c.row, p[pos:pos+int(n):pos+int(n)])
		pos += int(n)
	}
	if c.visible == c.columns {
		c.visEnd = pos
	}
	return nil
}

// drain reads what is left of the result, keeping the connection usable.
func (c *shardCursor) drain() {
	for !c.done {
		if c.next() != nil {
			return
		}
	}
}

func drainAll(cursors []*shardCursor) {
	for _, c := range cursors {
		if c.sent {
			c.drain()
		}
	}
}

// colInfo is a column of a shard's result and how its values compare.
type colInfo struct {
	mysql.Column
	class valueClass
}

// valueClass is how values of a column compare.
type valueClass uint8

const (
	classBytes   valueClass = iota // binary strings, BIT, DATE/DATETIME/TIMESTAMP text
	classText                      // non-binary strings: by collation weights
	classEnum                      // ENUM/SET: sorted by their index, which the result does not carry
	classInt                       // signed integers, YEAR
	classUint                      // unsigned integers
	classDecimal                   // DECIMAL
	classFloat                     // FLOAT, DOUBLE
	classTime                      // TIME: [-]HHH:MM:SS[.ffffff]
)

func parseColumnDef(def []byte) (colInfo, error) {
	c, ok := mysql.ParseColumn(def)
	if !ok {
		return colInfo{}, mysql.ErrMalformed
	}
	return colInfo{Column: c, class: classOf(c.Type, c.Flags, c.Charset)}, nil
}

// columns are the protocol's view of cols, for encoding rows.
func columns(cols []colInfo) []mysql.Column {
	out := make([]mysql.Column, len(cols))
	for i, c := range cols {
		out[i] = c.Column
	}
	return out
}

func classOf(typ byte, flags, charset uint16) valueClass {
	switch typ {
	case mysql.TypeTiny, mysql.TypeShort, mysql.TypeLong, mysql.TypeLongLong, mysql.TypeInt24:
		if flags&mysql.FlagUnsigned != 0 {
			return classUint
		}
		return classInt
	case mysql.TypeYear:
		return classInt
	case mysql.TypeDecimal, mysql.TypeNewDecimal:
		return classDecimal
	case mysql.TypeFloat, mysql.TypeDouble:
		return classFloat
	case mysql.TypeTime:
		return classTime
	case mysql.TypeDate, mysql.TypeDateTime, mysql.TypeTimestamp, mysql.TypeBit, mysql.TypeGeometry, mysql.TypeNull:
		return classBytes
	}
	if flags&(mysql.FlagEnum|mysql.FlagSet) != 0 || typ == mysql.TypeEnum || typ == mysql.TypeSet {
		return classEnum
	}
	if charset == 63 {
		return classBytes
	}
	return classText
}

// cmpKey is a resolved planner.MergeKey: absolute column indexes and the
// column's class.
type cmpKey struct {
	col, weight, pad int // weight, pad: -1 when there are none
	class            valueClass
	desc             bool
}

// aggSpec is a resolved planner.MergeAgg.
type aggSpec struct {
	fn                           planner.AggFunc
	col, sum, count, weight, pad int
	class                        valueClass // of col
	sumClass                     valueClass
	decimals                     int
}

type merger struct {
	mp       *planner.MergePlan
	cols     []colInfo
	visible  int
	cursors  []*shardCursor
	order    []cmpKey
	groups   []cmpKey
	post     []cmpKey
	aggs     []aggSpec
	out      *rowWriter
	skip     uint64
	left     uint64
	heap     []*shardCursor
	seq      int
	held     [][][]byte // groups waiting for PostSort
	finished bool
}

// newMerger resolves the plan against the first shard's column definitions.
func newMerger(mp *planner.MergePlan, defs [][]byte, cursors []*shardCursor) (*merger, error) {
	n := len(defs)
	m := &merger{mp: mp, cursors: cursors, skip: mp.Offset, left: mp.Limit, visible: n - mp.Hidden}
	if m.visible < 1 || (mp.Columns >= 0 && m.visible != mp.Columns) {
		return nil, sqlerr.Routing("scatter merge: shard returned %d columns, expected %d + %d hidden", n, mp.Columns, mp.Hidden)
	}
	for _, c := range cursors {
		if c.sent && c.columns != n {
			return nil, sqlerr.Routing("scatter merge: shards returned different numbers of columns (%d and %d)", n, c.columns)
		}
		c.visible = m.visible
	}
	m.cols = make([]colInfo, n)
	for i, d := range defs {
		ci, err := parseColumnDef(d)
		if err != nil {
			return nil, err
		}
		m.cols[i] = ci
	}
	abs := func(c planner.MergeCol) int {
		if c.Hidden {
			return m.visible + c.Index
		}
		return c.Index
	}
	keys := func(ks []planner.MergeKey, what string) ([]cmpKey, error) {
		var out []cmpKey
		for _, k := range ks {
			ck := cmpKey{col: abs(k.Col), weight: -1, pad: -1, desc: k.Desc}
			if ck.col < 0 || ck.col >= n || (!k.Col.Hidden && ck.col >= m.visible) {
				return nil, sqlerr.New(1054, "42S22", "Unknown column '%d' in '%s clause'", k.Col.Index+1, what)
			}
			col := m.cols[ck.col]
			ck.class = col.class
			switch col.class {
			case classEnum:
				return nil, sqlerr.Unsupported("%s on ENUM or SET column %s across shards (MySQL orders them by their index)", strings.ToUpper(what), col.Name)
			case classText:
				if !k.HasWeight {
					return nil, sqlerr.Unsupported("%s by position %d inside * on text column %s across shards: name the column", strings.ToUpper(what), k.Col.Index+1, col.Name)
				}
				ck.weight, ck.pad = abs(k.Weight), abs(k.Pad)
			}
			out = append(out, ck)
		}
		return out, nil
	}
	var err error
	if m.order, err = keys(mp.Order, "order"); err != nil {
		return nil, err
	}
	if m.groups, err = keys(mp.Groups, "group"); err != nil {
		return nil, err
	}
	if m.post, err = keys(mp.PostSort, "order"); err != nil {
		return nil, err
	}
	for _, a := range mp.Aggregates {
		as := aggSpec{fn: a.Func, col: abs(a.Col), sum: abs(a.Sum), count: abs(a.Count), weight: -1, pad: -1}
		if as.col >= n || as.sum >= n || as.count >= n {
			return nil, sqlerr.Routing("scatter merge: aggregate column out of range")
		}
		col := m.cols[as.col]
		as.class, as.decimals = col.class, int(col.Decimals)
		as.sumClass = m.cols[as.sum].class
		switch a.Func {
		case planner.AggMin, planner.AggMax:
			if col.class == classText || col.class == classEnum {
				if !a.HasWeight {
					return nil, sqlerr.Unsupported("%s of text column %s across shards", strings.ToUpper(a.Func.String()), col.Name)
				}
				as.weight, as.pad = abs(a.Weight), abs(a.Pad)
			}
		case planner.AggAvg:
			if col.class != classDecimal && col.class != classFloat {
				return nil, sqlerr.Unsupported("AVG returning %s across shards", col.Name)
			}
		case planner.AggSum:
			if col.class != classDecimal && col.class != classFloat && col.class != classInt && col.class != classUint {
				return nil, sqlerr.Unsupported("SUM returning %s across shards", col.Name)
			}
		}
		m.aggs = append(m.aggs, as)
	}
	return m, nil
}

// run merges the shards' rows and writes the result rows.
func (m *merger) run() error {
	if err := m.prime(); err != nil {
		return err
	}
	if !m.mp.Grouped {
		for !m.finished {
			c, err := m.peek()
			if c == nil || err != nil {
				return err
			}
			if m.admit() {
				var werr error
				if m.out.binary {
					werr = m.out.write(c.row[:m.visible])
				} else {
					werr = m.out.writeRaw(c.raw[:c.visEnd])
				}
				if werr != nil {
					return werr
				}
			}
			if m.finished {
				break // LIMIT reached: what is left is drained
			}
			if err := m.advance(); err != nil {
				return err
			}
		}
		return nil
	}
	var g *groupAcc
	for !m.finished {
		c, err := m.peek()
		if err != nil {
			return err
		}
		if c == nil {
			break
		}
		if g != nil && m.sameGroup(g.row, c.row) {
			if err := g.add(m, c.row); err != nil {
				return err
			}
		} else {
			if g != nil {
				if err := m.emitGroup(g); err != nil {
					return err
				}
			}
			if g, err = newGroup(m, c.row); err != nil {
				return err
			}
		}
		if err := m.advance(); err != nil {
			return err
		}
	}
	if g != nil && !m.finished {
		if err := m.emitGroup(g); err != nil {
			return err
		}
	}
	if len(m.post) > 0 {
		return m.flushHeld()
	}
	return nil
}

// admit applies OFFSET and LIMIT to the next output row: it reports whether
// the row is written, and sets finished once LIMIT rows were.
func (m *merger) admit() bool {
	if m.skip > 0 {
		m.skip--
		return false
	}
	if m.left == 0 {
		m.finished = true
		return false
	}
	if m.left != planner.NoLimit {
		m.left--
	}
	if m.left == 0 {
		m.finished = true
	}
	return true
}

// prime reads the first row of every shard when the rows are merged by a
// sort order (sequential reading primes one shard at a time).
func (m *merger) prime() error {
	if len(m.order) == 0 {
		return nil
	}
	for _, c := range m.cursors {
		if err := c.next(); err != nil {
			return err
		}
		if !c.done {
			m.heap = append(m.heap, c)
		}
	}
	for i := len(m.heap)/2 - 1; i >= 0; i-- {
		m.down(i)
	}
	return nil
}

// peek returns the cursor holding the next row of the merged stream, nil at
// the end.
func (m *merger) peek() (*shardCursor, error) {
	if len(m.order) > 0 {
		if len(m.heap) == 0 {
			return nil, nil
		}
		return m.heap[0], nil
	}
	for m.seq < len(m.cursors) {
		c := m.cursors[m.seq]
		if !c.started {
			if err := c.next(); err != nil {
				return nil, err
			}
		}
		if !c.done {
			return c, nil
		}
		m.seq++
	}
	return nil, nil
}

// advance moves past the row peek returned.
func (m *merger) advance() error {
	if len(m.order) == 0 {
		return m.cursors[m.seq].next()
	}
	c := m.heap[0]
	if err := c.next(); err != nil {
		return err
	}
	if c.done {
		last := len(m.heap) - 1
		m.heap[0] = m.heap[last]
		m.heap = m.heap[:last]
	}
	if len(m.heap) > 0 {
		m.down(0)
	}
	return nil
}

func (m *merger) less(a, b *shardCursor) bool {
	if c := compareRows(a.row, b.row, m.order); c != 0 {
		return c < 0
	}
	return a.idx < b.idx // equal keys: in shard order, like a stable sort
}

func (m *merger) down(i int) {
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

func (m *merger) sameGroup(a, b [][]byte) bool {
	return compareRows(a, b, m.groups) == 0
}

// emitGroup finishes a group and sends it (or holds it for PostSort).
func (m *merger) emitGroup(g *groupAcc) error {
	row, err := g.finish(m)
	if err != nil {
		return err
	}
	if len(m.post) > 0 {
		m.held = append(m.held, row)
		return nil
	}
	return m.emit(row)
}

// emit applies OFFSET and LIMIT to a finished row and writes it.
func (m *merger) emit(row [][]byte) error {
	if !m.admit() {
		return nil
	}
	return m.out.write(row[:m.visible])
}

func (m *merger) flushHeld() error {
	rows := m.held
	sort.SliceStable(rows, func(i, j int) bool { return compareRows(rows[i], rows[j], m.post) < 0 })
	m.finished = false
	for _, r := range rows {
		if m.finished {
			break
		}
		if err := m.emit(r); err != nil {
			return err
		}
	}
	return nil
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

func newGroup(m *merger, row [][]byte) (*groupAcc, error) {
	g := &groupAcc{row: copyRow(row), aggs: make([]aggAcc, len(m.aggs))}
	for i := range m.aggs {
		a := &m.aggs[i]
		switch a.fn {
		case planner.AggBitAnd:
			g.aggs[i].bits = ^uint64(0)
		}
	}
	// MIN/MAX values point into g.row, which is this group's own copy.
	return g, g.fold(m, g.row)
}

func (g *groupAcc) add(m *merger, row [][]byte) error { return g.fold(m, row) }

// fold adds one shard's row (its partial aggregates) to the group.
func (g *groupAcc) fold(m *merger, row [][]byte) error {
	for i := range m.aggs {
		a, st := &m.aggs[i], &g.aggs[i]
		v := row[a.col]
		switch a.fn {
		case planner.AggCount:
			n, err := strconv.ParseInt(string(v), 10, 64)
			if err != nil {
				return mergeValueError("COUNT", v)
			}
			st.count += n
		case planner.AggSum:
			if v == nil {
				continue
			}
			if err := st.addNumber(a.class, v); err != nil {
				return err
			}
		case planner.AggAvg:
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
		case planner.AggMin, planner.AggMax:
			if v == nil {
				continue
			}
			var w, p []byte
			if a.weight >= 0 {
				w, p = row[a.weight], row[a.pad]
			}
			if st.has {
				c := compareValue(v, st.best, w, st.bestW, p, a.class)
				if (a.fn == planner.AggMin && c >= 0) || (a.fn == planner.AggMax && c <= 0) {
					continue
				}
			}
			st.has = true
			st.best = appendValue(st.best, v)
			st.bestW = appendValue(st.bestW, w)
			st.bestP = appendValue(st.bestP, p)
		case planner.AggBitAnd, planner.AggBitOr, planner.AggBitXor:
			u, err := strconv.ParseUint(string(v), 10, 64)
			if err != nil {
				return mergeValueError(strings.ToUpper(a.fn.String()), v)
			}
			switch a.fn {
			case planner.AggBitAnd:
				st.bits &= u
			case planner.AggBitOr:
				st.bits |= u
			default:
				st.bits ^= u
			}
		}
	}
	return nil
}

func (st *aggAcc) addNumber(class valueClass, v []byte) error {
	if class == classFloat {
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
func (g *groupAcc) finish(m *merger) ([][]byte, error) {
	row := g.row
	for i := range m.aggs {
		a, st := &m.aggs[i], &g.aggs[i]
		var v []byte
		switch a.fn {
		case planner.AggCount:
			v = strconv.AppendInt(nil, st.count, 10)
		case planner.AggSum:
			if st.has {
				if a.class == classFloat {
					v = []byte(formatDouble(st.f, a.decimals))
				} else {
					v = []byte(st.dec.format(a.decimals, a.class == classDecimal))
				}
			}
		case planner.AggAvg:
			if st.count > 0 && st.has {
				if a.class == classFloat {
					v = []byte(formatDouble(st.f/float64(st.count), a.decimals))
				} else {
					v = []byte(st.dec.div(st.count, a.decimals))
				}
			}
		case planner.AggMin, planner.AggMax:
			if st.has {
				v = st.best
				if a.weight >= 0 {
					row[a.weight], row[a.pad] = st.bestW, st.bestP
				}
			}
		case planner.AggBitAnd, planner.AggBitOr, planner.AggBitXor:
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
func compareNullable(a, b, wa, wb, pad []byte, class valueClass) int {
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
func compareValue(a, b, wa, wb, pad []byte, class valueClass) int {
	switch class {
	case classText, classEnum:
		if wa != nil && wb != nil {
			return comparePadded(wa, wb, pad)
		}
		return bytes.Compare(a, b)
	case classInt:
		x, err1 := strconv.ParseInt(string(a), 10, 64)
		y, err2 := strconv.ParseInt(string(b), 10, 64)
		if err1 == nil && err2 == nil {
			return cmpOrdered(x, y)
		}
		return compareDecimalText(a, b)
	case classUint:
		x, err1 := strconv.ParseUint(string(a), 10, 64)
		y, err2 := strconv.ParseUint(string(b), 10, 64)
		if err1 == nil && err2 == nil {
			return cmpOrdered(x, y)
		}
		return compareDecimalText(a, b)
	case classDecimal:
		return compareDecimalText(a, b)
	case classFloat:
		x, _ := strconv.ParseFloat(string(a), 64)
		y, _ := strconv.ParseFloat(string(b), 64)
		return cmpOrdered(x, y)
	case classTime:
		return cmpOrdered(timeMicros(a), timeMicros(b))
	}
	return bytes.Compare(a, b)
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
	// d.v × 10^(scale - d.scale) / n, computed on the absolute value.
	num := new(big.Int).Abs(d.v)
	if scale >= d.scale {
		num.Mul(num, pow10(scale-d.scale))
	}
	den := big.NewInt(n)
	if scale < d.scale {
		den.Mul(den, pow10(d.scale-scale))
	}
	q, r := new(big.Int).QuoRem(num, den, new(big.Int))
	if r.Lsh(r, 1).Cmp(den) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if d.v.Sign() < 0 {
		q.Neg(q)
	}
	return formatScaled(q, scale)
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
	if decimals < 31 {
		return strconv.FormatFloat(f, 'f', decimals, 64)
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

// --- writing rows ---

// rowWriter writes result rows to the client in its protocol.
type rowWriter struct {
	w      *mysql.Conn
	binary bool
	cols   []mysql.Column
	buf    []byte
}

// writeRaw writes a text row packet as the shard sent it.
func (rw *rowWriter) writeRaw(p []byte) error {
	return rw.w.WritePacket(p)
}

// write encodes and writes a row of text values.
func (rw *rowWriter) write(row [][]byte) error {
	var err error
	if rw.binary {
		rw.buf, err = mysql.AppendBinaryRow(rw.buf[:0], row, rw.cols)
		if err != nil {
			return err
		}
	} else {
		rw.buf = mysql.AppendTextRow(rw.buf[:0], row)
	}
	return rw.w.WritePacket(rw.buf)
}
