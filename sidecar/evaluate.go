package sidecar

// SELECTs the router refuses (joins of tables on different shards,
// subqueries across shards, HAVING or DISTINCT aggregates over a scatter,
// UNION across shards) are answered by an engine plan (engine.Evaluate):
// the session is its cursor, each statement of the plan runs as the client's
// own would (routing, transaction, sql_mode) with its result captured
// instead of sent, and the plan's result goes to the client in its protocol.

import (
	"context"
	"errors"
	"strings"

	"sidecar/conf"
	"sidecar/engine"
	"sidecar/mysql"
	"sidecar/planner"
	"sidecar/sqlerr"
	"sidecar/vindex"
)

// maxCaptured bounds the bytes of one captured result: past it the rest is
// read from the backend and dropped (the connection stays usable), and the
// statement fails.
const maxCaptured = 64 << 20

// evaluate answers a SELECT the router refused with refusal. A statement the
// engine cannot plan either gets the engine's reason; one with a clause the
// parser does not know (SELECT … INTO @v) keeps the router's.
//
// A plan marked Engine (a SELECT across keyspaces) comes with no refusal.
func (s *session) evaluate(plan *planner.Plan, args planner.Args, stmt *preparedStmt, more bool, refusal error) error {
	if !plan.Engine && (s.evaluating || !evaluable(plan, refusal)) {
		return refusal
	}
	if s.evaluating {
		return sqlerr.Routing("an engine plan's statement needs an engine plan of its own: %.80s", plan.Query)
	}
	ev, err := s.srv.planner().Evaluation(plan, s.planSession())
	if err != nil {
		return err
	}
	s.evaluating = true
	defer func() { s.evaluating = false }()
	env := &engine.Env{Cursor: s, Args: args, NoBackslashEscapes: s.mode.NoBackslashEscapes, MaxRows: s.srv.config().MaxMemoryRows,
		CastCollate: s.srv.mariaDB(ev.Keyspace)}
	res, err := ev.Execute(context.Background(), env)
	if err != nil {
		return err
	}
	if n := s.rowCap(plan); uint64(len(res.Rows)) > n {
		res.Rows = res.Rows[:n]
	}
	return s.writeResult(res, stmt != nil, 0, more)
}

// evaluable: the router refused a SELECT the engine may answer.
func evaluable(plan *planner.Plan, refusal error) bool {
	var e *sqlerr.Error
	return plan.Kind == planner.KindSelect && plan.Unparsed == "" && errors.As(refusal, &e) && e.Num == 1235
}

// Select runs a SELECT of an engine plan or a staged write as the client's
// own (engine.Cursor), its reply captured.
func (s *session) Select(_ context.Context, r engine.Read) (*engine.Result, error) {
	keyspace, sql := r.Keyspace, r.SQL
	sess := s.planSession()
	sess.Keyspace, sess.SystemSchema = keyspace, ""
	plan, _, err := s.plan(sql, sess, false)
	if err != nil {
		return nil, err
	}
	if plan.Kind != planner.KindSelect || plan.Local != planner.NotLocal || plan.Keyspace == nil {
		return nil, sqlerr.Routing("the engine sent a statement that is no SELECT of keyspace %s: %.80s", keyspace, sql)
	}
	if r.Again {
		// Its conditions are the write's, whose warnings say it all.
		warnings, count, src, srcCount := s.warnings, s.warningCount, s.warnSrc, s.warnSrcCount
		defer func() { s.warnings, s.warningCount, s.warnSrc, s.warnSrcCount = warnings, count, src, srcCount }()
	}
	return s.capture(func() error {
		if !plan.Forwarded() {
			return s.runPlanned(plan, plan.Args, nil, false)
		}
		res, err := s.forward(plan.Keyspace.Shards[0], plan.Query, plan.Kind, false)
		return res.failed(err)
	})
}

// SelectOn runs an engine plan's evaluating SELECT on one backend of the
// keyspace (engine.Cursor), its reply captured, after the temporary tables
// it reads are made on the same connection. Its warnings are the client's
// statement's, not the gathers' before it: it evaluates their conditions
// again, over the rows they gathered, as one server would once.
func (s *session) SelectOn(_ context.Context, keyspace, sql string, temps ...engine.TempTable) (*engine.Result, error) {
	ks := s.srv.topo().Keyspaces[keyspace]
	if ks == nil {
		return nil, unknownKeyspace(keyspace)
	}
	s.warnings, s.warningCount, s.warnSrc = nil, 0, nil
	res, err := s.capture(func() error {
		if len(temps) > 0 {
			return s.selectWithTemps(ks.Shards[0], sql, temps)
		}
		res, err := s.forward(ks.Shards[0], sql, planner.KindSelect, false)
		return res.failed(err)
	})
	var se *sqlerr.Error
	if errors.As(err, &se) && se.Num == mysql.ErrPacketTooLarge.Num {
		// The backend's own words do not say which statement was too large.
		return nil, sqlerr.New(se.Num, se.State, "the statement evaluating the gathered rows: %s (raise max_allowed_packet on the shard, or gather fewer rows)", se.Message)
	}
	return res, err
}

// selectWithTemps relays sql from one connection to shard after making and
// filling temps there (failing to: an engine.TempTableError), and drops them
// after: a connection that may still hold them is closed rather than pooled.
func (s *session) selectWithTemps(shard *conf.Shard, sql string, temps []engine.TempTable) error {
	bc, held, err := s.acquireRead(shard)
	if err != nil {
		return err
	}
	var made []string // the tables to drop: those made
	for _, t := range temps {
		if _, err = bc.Exec(t.Create); err != nil {
			err = &engine.TempTableError{Err: err}
			break
		}
		made = append(made, vindex.QuoteIdent(t.Name))
		if _, err = bc.Exec(t.Insert); err != nil {
			err = &engine.TempTableError{Err: err}
			break
		}
	}
	var res relayed
	if err == nil {
		// As forward runs the statement: LAST_INSERT_ID() is the session's.
		s.lastInsertIDFirst(bc, s.stats.plan)
		res, err = s.relayQuery(bc, sql, false)
		err = res.failed(err)
		if p := s.stats.plan; err == nil && p != nil && p.SetsLastInsertID {
			s.readLastInsertID(bc)
		}
		// Read now: the DROP below clears them.
		s.keepWarnings(bc, res.warnings, false)
	}
	if len(made) > 0 {
		if _, dropErr := bc.Exec("DROP TEMPORARY TABLE " + strings.Join(made, ", ")); dropErr != nil {
			bc.Broken = true
		}
	}
	if bc.Broken && held {
		s.dropHeld(bc)
		held = false
	}
	s.release(bc, held, 0)
	return err
}

// capture runs a statement with its reply written to memory instead of to
// the client, and reads the reply back as a result.
func (s *session) capture(run func() error) (*engine.Result, error) {
	saved, outer := s.w, s.capturing
	// What the captured statement leaves is no client's statement's:
	// FOUND_ROWS() and ROW_COUNT() stay what the client's last left.
	found, count := s.rowsFound, s.rowCount
	buf := &captureBuffer{}
	s.w, s.capturing = saved.Capture(buf), true
	err := run()
	s.w.Flush()
	s.w, s.capturing = saved, outer
	s.rowsFound, s.rowCount = found, count
	var relayed errRelayed
	if errors.As(err, &relayed) {
		return nil, relayed.err
	}
	if err != nil {
		return nil, err
	}
	if buf.overflow {
		return nil, sqlerr.New(1105, "HY000", "a result of more than %d MiB to hold in the sidecar: the statement needs too many rows from a shard", maxCaptured>>20)
	}
	return parseResult(buf.b)
}

// captureBuffer keeps what is written, up to maxCaptured bytes.
type captureBuffer struct {
	b        []byte
	overflow bool
}

func (c *captureBuffer) Write(p []byte) (int, error) {
	if len(c.b)+len(p) > maxCaptured {
		c.overflow = true
	} else {
		c.b = append(c.b, p...)
	}
	return len(p), nil
}

// parseResult reads a text result set from its packets (as a client reads
// them): column count, definitions, EOF, rows, EOF; or an ERR.
func parseResult(b []byte) (*engine.Result, error) {
	next := func() ([]byte, bool) {
		var payload []byte
		for {
			if len(b) < 4 {
				return nil, false
			}
			n := int(b[0]) | int(b[1])<<8 | int(b[2])<<16
			if len(b) < 4+n {
				return nil, false
			}
			payload = append(payload, b[4:4+n]...)
			b = b[4+n:]
			if n < mysql.MaxPayload {
				return payload, true
			}
		}
	}
	p, ok := next()
	if !ok || len(p) == 0 {
		return nil, mysql.ErrMalformed
	}
	switch p[0] {
	case 0xff:
		return nil, mysql.ParseErr(p)
	case 0x00:
		return nil, sqlerr.Routing("the engine's SELECT returned no result set")
	}
	count, _, _, ok := mysql.ReadLenEncInt(p)
	if !ok {
		return nil, mysql.ErrMalformed
	}
	res := &engine.Result{Fields: make([]engine.Field, count)}
	for i := range res.Fields {
		def, ok := next()
		if !ok {
			return nil, mysql.ErrMalformed
		}
		if res.Fields[i], ok = fieldOf(def); !ok {
			return nil, mysql.ErrMalformed
		}
	}
	for {
		p, ok := next()
		if !ok {
			return nil, mysql.ErrMalformed
		}
		if mysql.IsEOF(p) {
			if res.Rows != nil || len(b) == 0 {
				return res, nil
			}
			res.Rows = [][][]byte{} // the EOF after the definitions
			continue
		}
		if p[0] == 0xff {
			return nil, mysql.ParseErr(p)
		}
		row := make([][]byte, count)
		for i := range row {
			n, null, size, ok := mysql.ReadLenEncInt(p)
			if !ok || size+int(n) > len(p) {
				return nil, mysql.ErrMalformed
			}
			if !null {
				row[i] = p[size : size+int(n)]
			}
			p = p[size+int(n):]
		}
		res.Rows = append(res.Rows, row)
	}
}

// loose reports a column whose type a UNION with literals loosens (see
// engine.Field.Loose).
func loose(c mysql.Column) bool {
	switch c.Type {
	case mysql.TypeYear, mysql.TypeBit, mysql.TypeTimestamp, mysql.TypeFloat:
		return true
	}
	return c.Flags&(mysql.FlagEnum|mysql.FlagSet) != 0
}

// kindOf is how the engine writes a column's values back into SQL.
func kindOf(c mysql.Column) engine.Kind {
	switch c.Type {
	case mysql.TypeTiny, mysql.TypeShort, mysql.TypeLong, mysql.TypeLongLong, mysql.TypeInt24:
		if c.Flags&mysql.FlagUnsigned != 0 {
			return engine.Unsigned
		}
		return engine.Int
	case mysql.TypeYear:
		return engine.Int
	case mysql.TypeDecimal, mysql.TypeNewDecimal:
		return engine.Decimal
	case mysql.TypeFloat, mysql.TypeDouble:
		return engine.Float
	case mysql.TypeDate:
		return engine.Date
	case mysql.TypeDateTime, mysql.TypeTimestamp:
		return engine.DateTime
	case mysql.TypeTime:
		return engine.Time
	case mysql.TypeNull:
		return engine.Null
	case mysql.TypeJSON:
		return engine.JSON
	case mysql.TypeBit, mysql.TypeGeometry:
		return engine.Binary
	}
	if c.Charset == 63 {
		return engine.Binary
	}
	return engine.Text
}

// fieldOf is the engine's field of a column definition.
func fieldOf(def []byte) (engine.Field, bool) {
	col, ok := mysql.ParseColumn(def)
	if !ok {
		return engine.Field{}, false
	}
	return engine.Field{Name: col.Name, Kind: kindOf(col), Def: def, Table: col.Table, OrgName: col.OrgName, Loose: loose(col)}, true
}

// writeResult sends an engine result to the client: text rows, or binary
// rows for a prepared statement's execute, and the count of the warnings
// the statement left.
func (s *session) writeResult(res *engine.Result, binaryRows bool, warnings uint16, more bool) error {
	cols := make([]mysql.Column, len(res.Fields))
	s.w.WritePacket(mysql.AppendLenEncInt(nil, uint64(len(res.Fields))))
	for i, f := range res.Fields {
		def := f.Def
		if f.Source != nil {
			def = mysql.ShowingColumn(def, f.Source.Def, f.SourceType)
		}
		col, ok := mysql.ParseColumn(def)
		if !ok {
			return mysql.ErrMalformed
		}
		cols[i] = col
		s.w.WritePacket(def)
	}
	s.w.WritePacket(mysql.AppendEOF(nil, 0, s.status()))
	rw := &rowWriter{w: s.w, binary: binaryRows, cols: cols}
	for _, row := range res.Rows {
		if err := rw.Row(row); err != nil {
			return err
		}
	}
	return s.endResult(rw.rows, warnings, more)
}
