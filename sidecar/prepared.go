package sidecar

import (
	"encoding/binary"
	"strings"

	"sidecar/backend"
	"sidecar/conf"
	"sidecar/mysql"
	"sidecar/planner"
	"sidecar/sqlerr"
	"sidecar/vschemaddl"
)

// preparedStmt is a client's prepared statement. The sidecar owns the
// statement ids and remembers the parameter types, because libmysqlclient,
// libmariadb and ProxySQL send them only on the first execute.
type preparedStmt struct {
	id         uint32
	sql        string
	plan       *planner.Plan
	numParams  int
	paramTypes []byte         // 2 bytes per parameter, from the last execute that sent them
	longData   map[int][]byte // COM_STMT_SEND_LONG_DATA, by parameter
	// longDataTooLong: a parameter's long data passed max_allowed_packet.
	longDataTooLong bool
	args            *stmtArgs // of the execute being run
	// text and sess are what the statement was planned from, planner the
	// planner in force then (see replan); modeText the session's whole
	// sql_mode then, which backends read it in (see sendExecute).
	text     string
	sess     planner.Session
	planner  *planner.Planner
	modeText string
	// clientText is the statement as the client prepared it; when it calls
	// session functions, text is it with bound's values written in, and is
	// written again when they change (see replan); when it reads the
	// sessions' tables (sessionTables: information_schema.PROCESSLIST…),
	// their rows are written in again at each execute.
	clientText    string
	bound         *planner.SessionValues
	sessionTables bool
}

// prepare plans the statement and prepares it on a shard of its keyspace, so
// the client receives the backend's own parameter and column metadata.
func (s *session) prepare(sql string) error {
	s.stmtDB = ""
	if vschemaddl.IsStatement(sql) {
		return sqlerr.Unsupported("VSchema statements as prepared statements: send them as text")
	}
	// A prepared statement runs without SET STATEMENT's assignments (see
	// setStatement): each execute would need them prepared with it.
	_, sql, vars, err := setStatement(s.clientText(sql))
	if err != nil {
		return err
	}
	if vars != nil {
		return sqlerr.Unsupported("SET STATEMENT %s FOR a prepared statement: set them for the session instead", strings.Join(vars, ", "))
	}
	sess := s.planSession()
	clientText := sql
	sql = planner.BindSessionTables(sql, sess, s)
	sessionTables := sql != clientText
	plan, pl, err := s.plan(sql, sess, true)
	if err != nil {
		return s.misread(err)
	}
	var bound *planner.SessionValues
	if plan.Local == planner.NotLocal && plan.Kind != planner.KindSet {
		// LAST_INSERT_ID(), DATABASE() and CONNECTION_ID() are the
		// session's, not the backend's (its database is the shard's), as
		// they are for text statements.
		vals := s.sessionValues()
		if text := planner.BindSession(sql, vals, s.mode); text != sql {
			if plan, pl, err = s.plan(text, sess, true); err != nil {
				return err
			}
			sql, bound = text, &vals
		}
	}
	st := &preparedStmt{sql: plan.Query, plan: plan, text: sql, sess: sess, planner: pl, modeText: s.modeText,
		clientText: clientText, bound: bound, sessionTables: sessionTables}
	if plan.Engine || plan.SelectFrom != nil || plan.Subqueries {
		// Its reads may name another keyspace's tables, which no backend
		// of its own keyspace has to prepare it on.
		return s.prepareLocally(st)
	}
	var shard *conf.Shard
	if ks := plan.Keyspace; ks != nil && ks.Sharded {
		shard = ks.Shards[0] // every shard has the schema: metadata from the first
	} else if shard, err = s.singleShard(plan); err != nil {
		return err
	}
	if plan.Kind == planner.KindShow && shard.Database != shard.Keyspace {
		// The shard would name SHOW TABLES' column after its database; each
		// execute's result brings the column named after the keyspace.
		return s.prepareLocally(st)
	}
	bc, held, err := s.acquire(shard)
	if err != nil {
		return err
	}
	st.id = s.newStmtID()
	bst, err := bc.Prepare(plan.Query, s.modeText, s.w, st.id)
	if bc.Broken && held {
		s.dropHeld(bc) // the shard's part of the transaction is gone with it
		held = false
	}
	s.release(bc, held, 0)
	if err != nil {
		return err
	}
	st.numParams = int(bst.NumParams)
	s.stmts[st.id], s.lastStmt = st, st.id
	return nil
}

// lastStmtID is the statement id that names the statement the last
// COM_STMT_PREPARE made (MariaDB's, for pipelined PREPARE + EXECUTE).
const lastStmtID = 0xffffffff

// newStmtID is the id of a statement being prepared: never 0 nor
// lastStmtID.
func (s *session) newStmtID() uint32 {
	s.nextStmtID++
	if s.nextStmtID == lastStmtID {
		s.nextStmtID = 1
	}
	return s.nextStmtID
}

// preparedStmt is the statement a COM_STMT_* packet p names; nil for none.
func (s *session) preparedStmt(p []byte) *preparedStmt {
	if len(p) < 5 {
		return nil
	}
	id := le32(p[1:])
	if id == lastStmtID {
		id = s.lastStmt
	}
	return s.stmts[id]
}

// prepareLocally answers the prepare of a statement no backend can prepare
// (one reading several keyspaces: each backend has one keyspace's tables) with
// its parameters and no column metadata; each execute's result brings its
// columns, as it does for any statement.
func (s *session) prepareLocally(st *preparedStmt) error {
	n := st.plan.Params()
	if n > 0xffff {
		return sqlerr.New(1390, "HY000", "Prepared statement contains too many placeholders")
	}
	st.id, st.numParams = s.newStmtID(), n
	ok := []byte{0x00}
	ok = binary.LittleEndian.AppendUint32(ok, st.id)
	ok = binary.LittleEndian.AppendUint16(ok, 0) // columns
	ok = binary.LittleEndian.AppendUint16(ok, uint16(st.numParams))
	ok = append(ok, 0, 0, 0) // reserved, warnings
	s.w.WritePacket(ok)
	if st.numParams > 0 {
		for range st.numParams {
			s.w.WritePacket(mysql.AppendColumnDef(nil, "?", mysql.TypeVarString, 63, 0, mysql.FlagBinary))
		}
		s.w.WritePacket(mysql.AppendEOF(nil, 0, s.status()))
	}
	s.stmts[st.id], s.lastStmt = st, st.id
	return nil
}

// execute runs COM_STMT_EXECUTE: the parameters are re-sent to the shard with
// their types every time, and the binary result is relayed as is.
func (s *session) execute(p []byte) error {
	s.stats.begin("")
	s.lastConn = nil
	found := s.rowsFound
	err := s.endLostTxn(s.executeStmt(p))
	if err != nil {
		s.deadlocked(sqlerr.From(err).Num)
	}
	s.statementEnd(err, found)
	s.statementDone(err)
	return err
}

func (s *session) executeStmt(p []byte) error {
	s.stmtDB = ""
	if len(p) < 10 {
		return mysql.ErrMalformed
	}
	st := s.preparedStmt(p)
	if st == nil {
		return sqlerr.New(1243, "HY000", "Unknown prepared statement handler (%d) given to mysqld_stmt_execute", le32(p[1:]))
	}
	s.running("Execute", st.clientText, s.stats.start)
	if err := s.replan(st); err != nil {
		return err
	}
	if st.longDataTooLong {
		st.longData, st.longDataTooLong = nil, false
		return errLongDataTooLong
	}
	args, err := st.bindArgs(p[10:])
	if err != nil {
		return err
	}
	st.args = args
	st.longData = nil
	s.stats.sql, s.stats.plan = st.sql, st.plan
	// BEGIN, COMMIT, SET … prepared (sysbench prepares BEGIN and COMMIT) act
	// on the session exactly as their text forms do; a SET with `?`s is
	// its text with the arguments written in, which the session keeps.
	session := st.plan
	if st.plan.Kind == planner.KindSet && st.numParams > 0 {
		if cs := s.backslashCharset(); cs != "" {
			return errBackslashCharset(cs)
		}
		values, err := args.values()
		if err != nil {
			return err
		}
		text, ok := planner.BindPlaceholders(st.plan.Query, values, s.mode)
		if !ok {
			return sqlerr.Unsupported("a prepared SET whose placeholders the sidecar cannot read (one in a comment?)")
		}
		if session, _, err = s.plan(text, s.planSession(), false); err != nil {
			return err
		}
		s.stats.plan = session
	}
	if done, err := s.runSessionStatement(session, false, true); done {
		return err
	}
	if cs := s.backslashCharset(); cs != "" && readsText(st.plan) {
		return errBackslashCharset(cs)
	}
	if st.plan.Sticky {
		s.sticky = true
	}
	s.implicitBegin(st.plan)
	if !st.plan.Forwarded() {
		values, err := args.values()
		if err != nil {
			return err
		}
		return s.runPlanned(st.plan, st.plan.LimitArgs(values), st, false)
	}
	shard, err := s.singleShard(st.plan)
	if err != nil {
		return err
	}
	return s.executeOn(shard, st)
}

// schemaTarget is the shard of the keyspace a prepared read of
// information_schema names in its arguments (table_schema = ?), with the
// shard's database written into them, or shard when they name none.
func (s *session) schemaTarget(st *preparedStmt, shard *conf.Shard) (*conf.Shard, error) {
	values, err := st.args.values()
	if err != nil {
		return nil, err
	}
	ks, named, err := st.planner.SchemaTarget(st.plan, values)
	if err != nil || ks == nil {
		return shard, err
	}
	shard = ks.Shards[0]
	for _, i := range named {
		if err := st.args.setString(i, shard.Database); err != nil {
			return nil, err
		}
	}
	return shard, nil
}

// replan plans a prepared statement again when the config in force changed
// since it was planned (VSchema DDL, a reload): it must route by the VSchema
// in force, not by the one it was prepared under; and when the session's
// values of the session functions it calls changed (an INSERT gave a new
// LAST_INSERT_ID(), a USE another DATABASE()): MySQL reads them at each
// execute. It stays parsed in the sql_mode it was prepared in, as MySQL
// keeps it, but what it writes for the shards (its arguments, its INSERT's
// rows, a merge's statement) is written for the session's sql_mode in force.
func (s *session) replan(st *preparedStmt) error {
	pl := s.srv.planner()
	var vals planner.SessionValues
	if st.bound != nil { // the statement calls session functions
		vals = s.sessionValues()
	}
	rebind := st.sessionTables || st.bound != nil && *st.bound != vals
	if st.planner != pl || rebind {
		text := st.text
		if rebind {
			text = st.clientText
			if st.sessionTables {
				text = planner.BindSessionTables(text, st.sess, s)
			}
			if st.bound != nil {
				text, st.bound = planner.BindSession(text, vals, st.sess.Mode), &vals
			}
		}
		plan, pl, err := s.plan(text, st.sess, true)
		if err != nil {
			return err
		}
		st.plan, st.sql, st.text, st.planner = plan, plan.Query, text, pl
	}
	if st.plan.Mode != s.mode {
		st.plan = st.plan.InMode(s.mode)
	}
	return nil
}

// executeOn runs a prepared statement on one shard and relays its result. A
// read whose connection broke before anything was relayed is run again once
// (see forward).
func (s *session) executeOn(shard *conf.Shard, st *preparedStmt) error {
	if len(st.plan.SchemaParams) > 0 {
		var err error
		if shard, err = s.schemaTarget(st, shard); err != nil {
			return err
		}
	}
	for attempt := 0; ; attempt++ {
		bc, held, err := s.acquireRead(shard)
		if err != nil {
			return err
		}
		if shard.Database != shard.Keyspace {
			if st.plan.Kind == planner.KindShow {
				s.showShard = shard
			}
			if st.plan.SystemRead {
				s.schemaShard, s.schemaBinary = shard, true
			}
		}
		s.lastInsertIDFirst(bc, st.plan)
		res, err := s.relayExecute(bc, st)
		s.showShard, s.schemaShard, s.schemaBinary = nil, nil, false
		if err != nil && !res.started && bc.Broken && !held && attempt == 0 && st.plan.Kind.IsRead() {
			s.putBack(bc)
			continue
		}
		if bc.Broken && held {
			s.dropHeld(bc) // the shard's part of the transaction is gone with it
			s.putBack(bc)
		} else {
			if err == nil && res.ok.InsertID != 0 {
				values, _ := st.args.values() // they were bound before the execute went out
				s.syncLastInsertID(bc, res.ok.InsertID, st.plan, values)
			} else if err == nil && res.backendErr == nil && st.plan.SetsLastInsertID {
				s.readLastInsertID(bc)
			}
			s.release(bc, held, res.warnings)
		}
		return res.failed(err) // the caller rolls a deadlocked transaction back
	}
}

// errStmtArgs is MariaDB's answer to an execute without the parameters (or
// their types) the statement needs.
var errStmtArgs = sqlerr.New(1210, "HY000", "Incorrect arguments to mysqld_stmt_execute")

// stmtArgs are the parameters of one execute, encoded for the backend: null
// bitmap, new-params-bound = 1, types, values (long data inlined).
type stmtArgs struct {
	types   []byte
	encoded []byte
}

// bindArgs decodes the parameter block of COM_STMT_EXECUTE (after flags and
// iteration count) and re-encodes it with types always present.
func (st *preparedStmt) bindArgs(b []byte) (*stmtArgs, error) {
	n := st.numParams
	args := &stmtArgs{}
	if n == 0 {
		return args, nil
	}
	nullLen := (n + 7) / 8
	if len(b) < nullLen+1 {
		// No parameters where the statement has some (mysql2 executes
		// 'select ?' with [] so), as MariaDB answers it.
		return nil, errStmtArgs
	}
	nulls := b[:nullLen]
	pos := nullLen
	types := st.paramTypes
	if b[pos] == 1 {
		if len(b) < pos+1+2*n {
			return nil, errStmtArgs
		}
		st.paramTypes = append(st.paramTypes[:0], b[pos+1:pos+1+2*n]...)
		types = st.paramTypes
		pos += 1 + 2*n
	} else {
		pos++
		if len(types) != 2*n {
			// No types bound yet: MariaDB runs an execute whose arguments
			// are all NULL without them (go-mysql's client sends none
			// then), as NULLs of no type, for this execute alone.
			if !allNull(nulls, st.longData, n) {
				return nil, errStmtArgs
			}
			types = make([]byte, 2*n)
			for i := range n {
				types[2*i] = mysql.TypeNull
			}
		}
	}
	args.types = types
	size := len(b) + 16
	for _, data := range st.longData {
		size += 9 + len(data)
	}
	enc := make([]byte, 0, size)
	enc = append(enc, nulls...)
	enc = append(enc, 1)
	enc = append(enc, types...)
	for i := 0; i < n; i++ {
		if data, ok := st.longData[i]; ok {
			// Long data replaces the value, which the client left out,
			// whatever the NULL bitmap says: the server reads it so, and
			// takes it for string and blob types only. Inlined, the value
			// must not be flagged NULL, or the backend would skip it and
			// read it as the next parameter's.
			if types[2*i] < mysql.TypeTinyBlob {
				return nil, sqlerr.New(1210, "HY000", "Incorrect arguments to mysqld_stmt_execute")
			}
			enc[i/8] &^= 1 << (i % 8)
			enc = append(mysql.AppendLenEncInt(enc, uint64(len(data))), data...)
			continue
		}
		if nulls[i/8]&(1<<(i%8)) != 0 {
			continue
		}
		size, err := paramSize(types[2*i], b[pos:])
		if err != nil {
			return nil, err
		}
		enc = append(enc, b[pos:pos+size]...)
		pos += size
	}
	args.encoded = enc
	return args, nil
}

// allNull: each of an execute's n arguments is NULL (its bit set in the
// NULL bitmap, no long data sent for it).
func allNull(nulls []byte, longData map[int][]byte, n int) bool {
	for i := range n {
		if _, long := longData[i]; long || nulls[i/8]&(1<<(i%8)) == 0 {
			return false
		}
	}
	return true
}

// paramSize returns the length of one binary-protocol value of type typ.
func paramSize(typ byte, b []byte) (int, error) {
	size := 0
	switch typ {
	case mysql.TypeNull:
	case mysql.TypeTiny:
		size = 1
	case mysql.TypeShort, mysql.TypeYear:
		size = 2
	case mysql.TypeLong, mysql.TypeInt24, mysql.TypeFloat:
		size = 4
	case mysql.TypeLongLong, mysql.TypeDouble:
		size = 8
	case mysql.TypeDate, mysql.TypeDateTime, mysql.TypeTimestamp, mysql.TypeTime:
		// The length is one byte (0, 4, 7, 8, 11 or 12); the server would
		// read 0xfb and up as a longer length prefix, and so delimit the
		// values differently than routing does.
		if len(b) < 1 || b[0] >= 0xfb {
			return 0, mysql.ErrMalformed
		}
		size = 1 + int(b[0])
	default:
		n, null, k, ok := mysql.ReadLenEncInt(b)
		// 0xfb (the text protocol's NULL) and 0xff start no length here:
		// the server would read an 8-byte length after them.
		if !ok || null || b[0] == 0xff {
			return 0, mysql.ErrMalformed
		}
		// Compared as uint64: a declared length of 2^63 or more is no int
		// (k+int(n) wraps negative and would pass the check below).
		if n > uint64(len(b)-k) {
			return 0, mysql.ErrMalformed
		}
		size = k + int(n)
	}
	if size > len(b) {
		return 0, mysql.ErrMalformed
	}
	return size, nil
}

// errLongDataTooLong is MySQL's answer to long data past max_allowed_packet.
var errLongDataTooLong = sqlerr.New(1153, "08S01",
	"Parameter of prepared statement which is set through mysql_send_long_data() is longer than 'max_allowed_packet' bytes")

func (s *session) sendLongData(p []byte) {
	if len(p) < 7 {
		return
	}
	st := s.preparedStmt(p)
	if st == nil {
		return // no reply is allowed for this command
	}
	param := int(binary.LittleEndian.Uint16(p[5:]))
	if st.longData == nil {
		st.longData = map[int][]byte{}
	}
	data, sent := st.longData[param]
	switch {
	case len(data)+len(p)-7 > s.w.Max:
		// Refused at execute (this command has no reply); the data sent
		// so far is not kept growing.
		st.longData[param] = nil
		st.longDataTooLong = true
	case !sent && cap(p) > mysql.LargePayload:
		st.longData[param] = p[7:] // a large payload is ours: no copy
	default:
		st.longData[param] = append(data, p[7:]...)
	}
}

func (s *session) resetStmt(p []byte) error {
	if len(p) < 5 {
		return mysql.ErrMalformed
	}
	st := s.preparedStmt(p)
	if st == nil {
		return sqlerr.New(1243, "HY000", "Unknown prepared statement handler (%d) given to mysqld_stmt_reset", le32(p[1:]))
	}
	st.longData, st.longDataTooLong = nil, false
	s.writeOK(0, 0, 0)
	return nil
}

// fieldList relays COM_FIELD_LIST from a shard of the session's keyspace:
// every shard has the same schema.
func (s *session) fieldList(p []byte) error {
	if s.keyspace == "" {
		return sqlerr.New(1046, "3D000", "No database selected")
	}
	shard := s.srv.topo().Keyspaces[s.keyspace].Shards[0]
	bc, held, err := s.acquire(shard)
	if err != nil {
		return err
	}
	var lost error
	if err := bc.Send(mysql.ComFieldList, p[1:], nil); err != nil {
		lost = err
	}
	for lost == nil {
		q, err := bc.Wire.ReadPacket()
		if err != nil {
			bc.Broken = true
			lost = bc.Lost(err)
			break
		}
		if q[0] == 0xff || mysql.IsEOF(q) {
			s.w.WritePacket(q)
			break
		}
		s.w.WritePacketParts(bc.ColumnDef(q))
	}
	s.release(bc, held, 0)
	return lost
}

func (s *session) relayExecute(bc *backend.Conn, st *preparedStmt) (relayed, error) {
	if err := s.sendExecute(bc, st); err != nil {
		return relayed{}, err
	}
	return s.relayResult(bc, false)
}

// sendExecute sends COM_STMT_EXECUTE with st's current arguments on bc (in
// the session's sql_mode), preparing the statement on that connection first
// if needed, read in the sql_mode it was prepared in.
func (s *session) sendExecute(bc *backend.Conn, st *preparedStmt) error {
	bst, err := bc.PrepareIn(st.sql, st.modeText, s.modeText)
	if err != nil {
		return err
	}
	args := st.args
	if int(bst.NumParams) != len(args.types)/2 {
		return sqlerr.New(1210, "HY000", "Incorrect arguments to mysqld_stmt_execute")
	}
	var hdr [10]byte
	hdr[0] = mysql.ComStmtExecute
	binary.LittleEndian.PutUint32(hdr[1:], bst.ID)
	hdr[5] = 0                                // no cursor
	binary.LittleEndian.PutUint32(hdr[6:], 1) // iteration count
	return bc.Send(mysql.ComStmtExecute, hdr[1:], args.encoded)
}
