package sidecar

// The scatter merge's wire side: every shard gets the merge's statement as
// text, its result is read as an engine.Stream (shardCursor), and the merged
// rows go to the client as text rows (a shard's row packet as it came, minus
// the hidden columns, or rebuilt) or binary rows for a prepared statement's
// execute (rowWriter). engine.Merge does the merging.

import (
	"encoding/binary"
	"errors"
	"slices"

	"sidecar/backend"
	"sidecar/conf"
	"sidecar/engine"
	"sidecar/mysql"
	"sidecar/sqlerr"
)

// errMergeRefused: the merge cannot combine the shards' results as their
// columns turned out (a number compared or computed that is a string, an
// ENUM to sort); nothing was sent to the client, so the statement can still
// be evaluated another way.
type errMergeRefused struct{ err error }

func (e errMergeRefused) Error() string { return e.err.Error() }
func (e errMergeRefused) Unwrap() error { return e.err }

// mergeScatter sends mp.SQL to every shard, then merges the results into one
// result set for the client: text rows, or binary rows for a prepared
// statement's execute. limited: each shard's rows may be capped by the
// client's sql_select_limit (see engine.MergePlan.LimitsPerShard); the merge
// reads all of them otherwise.
func (s *session) mergeScatter(shards []*conf.Shard, mp *engine.MergePlan, limited, binaryRows, more bool) error {
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
	acquire := s.acquire
	if limited {
		acquire = s.acquireRead
	}
	for _, sh := range shards {
		bc, held, err := acquire(sh)
		if err != nil {
			return err
		}
		cursors = append(cursors, &shardCursor{bc: bc, held: held})
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
	var m *engine.Merge
	var out *rowWriter
	if firstErr == nil {
		m, out, firstErr = newMerge(mp, defs, cursors, s.w, binaryRows)
		if firstErr != nil && sqlerr.From(firstErr).Num == 1235 && !errors.As(firstErr, new(engine.NotEvaluable)) { // sqlerr.Unsupported
			firstErr = errMergeRefused{firstErr}
		}
	}
	if firstErr != nil {
		drainAll(cursors)
		return firstErr
	}

	// Column count, visible definitions, EOF.
	s.w.WritePacket(mysql.AppendLenEncInt(nil, uint64(m.Visible())))
	for _, d := range defs[:m.Visible()] {
		s.w.WritePacket(d)
	}
	s.w.WritePacket(mysql.AppendEOF(nil, 0, s.status()))

	err := m.Run(out)
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
	for _, c := range cursors {
		s.keepWarnings(c.bc, c.warnings, false)
	}
	return s.endResult(out.rows, warnings, more)
}

// newMerge checks that the shards returned the same number of columns and
// sets up the merge of their rows and the writer of the merged rows, from the
// first shard's column definitions.
func newMerge(mp *engine.MergePlan, defs [][]byte, cursors []*shardCursor, w *mysql.Conn, binaryRows bool) (*engine.Merge, *rowWriter, error) {
	n := len(defs)
	streams := make([]engine.Stream, len(cursors))
	for i, c := range cursors {
		if c.columns != n {
			return nil, nil, sqlerr.Routing("scatter merge: shards returned different numbers of columns (%d and %d)", n, c.columns)
		}
		streams[i] = c
	}
	cols := make([]mysql.Column, n)
	mcols := make([]engine.MergeColumn, n)
	for i, d := range defs {
		c, ok := mysql.ParseColumn(d)
		if !ok {
			return nil, nil, mysql.ErrMalformed
		}
		cols[i] = c
		mcols[i] = engine.MergeColumn{Name: c.Name, Class: classOf(c.Type, c.Flags, c.Charset), Decimals: int(c.Decimals),
			Single: c.Type == mysql.TypeFloat}
	}
	m, err := engine.NewMerge(mp, mcols, streams)
	if err != nil {
		return nil, nil, err
	}
	for _, c := range cursors {
		c.visible = m.Visible()
	}
	return m, &rowWriter{w: w, binary: binaryRows, cols: cols[:m.Visible()], cursors: cursors}, nil
}

// shardCursor reads one shard's text result set row by row, as an
// engine.Stream. row and raw are valid until the next read.
type shardCursor struct {
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
			defs = append(defs, slices.Concat(bc.ColumnDef(q))) // a copy
		}
	}
	return defs, nil
}

func (c *shardCursor) Row() [][]byte { return c.row }
func (c *shardCursor) Done() bool    { return c.done }

// Next reads the next row; at the end of the result c.done is set.
func (c *shardCursor) Next() error {
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
		if c.Next() != nil {
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

// classOf is how the merge compares values of a column of this type.
func classOf(typ byte, flags, charset uint16) engine.ValueClass {
	switch typ {
	case mysql.TypeTiny, mysql.TypeShort, mysql.TypeLong, mysql.TypeLongLong, mysql.TypeInt24:
		if flags&mysql.FlagUnsigned != 0 {
			return engine.ClassUint
		}
		return engine.ClassInt
	case mysql.TypeYear:
		return engine.ClassInt
	case mysql.TypeDecimal, mysql.TypeNewDecimal:
		return engine.ClassDecimal
	case mysql.TypeFloat, mysql.TypeDouble:
		return engine.ClassFloat
	case mysql.TypeTime:
		return engine.ClassTime
	case mysql.TypeDate, mysql.TypeDateTime, mysql.TypeTimestamp, mysql.TypeBit, mysql.TypeGeometry, mysql.TypeNull:
		return engine.ClassBytes
	}
	if flags&(mysql.FlagEnum|mysql.FlagSet) != 0 || typ == mysql.TypeEnum || typ == mysql.TypeSet {
		return engine.ClassEnum
	}
	if charset == 63 {
		return engine.ClassBytes
	}
	return engine.ClassText
}

// --- writing rows ---

// rowWriter writes the merged rows to the client in its protocol, as the
// merge's engine.MergeOutput.
type rowWriter struct {
	w       *mysql.Conn
	binary  bool
	cols    []mysql.Column // the visible ones
	cursors []*shardCursor
	buf     []byte
	rows    uint64 // written so far
}

// Current writes shard i's current row: as the shard sent it (minus the
// hidden columns) in the text protocol.
func (rw *rowWriter) Current(i int) error {
	c := rw.cursors[i]
	if rw.binary {
		return rw.Row(c.row[:c.visible])
	}
	rw.rows++
	return rw.w.WritePacket(c.raw[:c.visEnd])
}

// Row encodes and writes a row of text values.
func (rw *rowWriter) Row(row [][]byte) error {
	var err error
	if rw.binary {
		rw.buf, err = mysql.AppendBinaryRow(rw.buf[:0], row, rw.cols)
		if err != nil {
			return err
		}
	} else {
		rw.buf = mysql.AppendTextRow(rw.buf[:0], row)
	}
	rw.rows++
	return rw.w.WritePacket(rw.buf)
}
