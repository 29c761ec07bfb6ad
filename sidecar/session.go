package sidecar

import (
	"bytes"
	"cmp"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"sidecar/backend"
	"sidecar/conf"
	"sidecar/metrics"
	"sidecar/mysql"
	"sidecar/planner"
	"sidecar/sqlerr"
	"sidecar/vindex"
	"sidecar/vschemaddl"
)

// session is one client connection: its protocol state, its transaction and
// the backend connections it holds.
type session struct {
	srv  *Server
	id   uint32
	user string
	w    *mysql.Conn
	log  zerolog.Logger

	keyspace string
	target   *conf.Shard // USE keyspace:shard: statements go to this shard unchanged
	// systemDB is the current database when it is a backend's own schema
	// (information_schema, ProxySQL's default, or mysql): statements that
	// name no keyspace run there, on the first keyspace's backend.
	systemDB string
	// stmtDB is the database the running statement's backend connections
	// select: "" for their shard's own, or systemDB (see singleShard).
	stmtDB        string
	foundRows     bool     // CLIENT_FOUND_ROWS: UPDATE reports matched rows
	localFiles    bool     // CLIENT_LOCAL_FILES: the client sends files for LOAD DATA LOCAL
	tracksSession bool     // CLIENT_SESSION_TRACK: the client reads session state changes in OKs
	ignoreSpace   bool     // CLIENT_IGNORE_SPACE: the client writes count (*) (see clientText)
	savepoints    []string // of the open transaction, replayed on shards joining it later
	names         string   // SET NAMES for backend connections
	// namesCharset and setCharset are the session's character set when a
	// character of it can end in the byte of a backslash, as its SET NAMES
	// says (useNames), and as a backend read it back after the SETs the
	// session keeps ("" otherwise; see backslashCharset).
	namesCharset, setCharset string
	initialNames             string // from the handshake's collation
	autocommit               bool
	inTxn                    bool
	txnLost                  bool   // a connection of the transaction broke during this statement (dropHeld)
	locksLost                bool   // a connection holding the session's table locks broke during this statement
	beginSQL                 string // how the client began: sent to each shard joining the transaction
	multiStatements          bool
	// nextTxn are the SET TRANSACTION statements (no SESSION or GLOBAL)
	// the client sent for its next transaction, which MySQL gives them to
	// alone: each connection joining that transaction gets them before its
	// BEGIN (beginOn), until it ends (endTxn; COMMIT, DDL and LOCK TABLES
	// end it even before it began). Under autocommit, a
	// statement reading or writing tables is that transaction: each
	// connection it runs on (nextTxnOn) gets them first (nextTxnNow).
	nextTxn    []string
	nextTxnNow bool
	nextTxnOn  []*backend.Conn

	// sticky is set once the session leaves state on backend connections
	// (session variables, temporary tables, locks): it then keeps them.
	sticky bool
	sets   []keptSet // session SET statements, replayed on connections opened later
	// selectLimit is the client's sql_select_limit ("": none). It caps
	// what the client reads: a shard's connection has it while the
	// client's statements run there as the client's text or prepared
	// statement (see acquireRead), and goes without it for what the sidecar
	// reads itself (a merge's or a join's rows, lookups), whose results the
	// sidecar caps instead (rowCap).
	selectLimit string
	capturing   bool // what runs now is read by the sidecar, not sent to the client (see capture)

	conns    map[connKey]*backend.Conn // held while in a transaction or sticky
	stmt     *stmtScope                // the statement being run, when it writes in several places
	warnConn *backend.Conn             // kept after a statement with warnings for SHOW WARNINGS
	// warnSrc is the connection the last statement left its warnings on
	// (warnSrcCount of them; nil: none, or on several: see warnings).
	warnSrc      *backend.Conn
	warnSrcCount uint16

	pendingCache []cacheEntry // lookup results to cache when the transaction commits
	// lookupRows is what the transaction's Pre and Post sessions did to
	// lookup rows; lookupRowMarks its mark at each savepoint, by name.
	lookupRows     txnRows
	lookupRowMarks map[string]int
	lookupNoCache  bool            // route by the lookup tables themselves (UPDATE/DELETE)
	binaryRows     bool            // result sets the sidecar builds use the binary protocol
	evaluating     bool            // running an engine plan: its statements are not evaluated again
	mode           planner.SQLMode // the session's sql_mode, as reading and writing SQL needs it
	modeText       string          // and its whole value (what statements prepared now are read in)
	lastInsertID   uint64
	// rowsFound is FOUND_ROWS(): the rows of the last result set, or the
	// backend's count (SELECT SQL_CALC_FOUND_ROWS, SELECT … INTO); rowCount
	// ROW_COUNT(): the affected rows of the last OK the client got, -1 after
	// a result set or an error, whatever shards sent them.
	rowsFound uint64
	rowCount  int64
	// lastConn is the backend connection whose reply was relayed last (see
	// copyConnState).
	lastConn *backend.Conn
	// stmtPrefix is the SET STATEMENT … FOR of the client's statement
	// running, which goes with its text (see setStatement).
	stmtPrefix string
	// warnings are what SHOW WARNINGS answers after a statement that ran on
	// several connections (nil otherwise: the connection that ran the
	// statement answers it), and warningCount their number.
	warnings     [][]*string
	warningCount uint64
	// tablesLocked: a LOCK TABLES holds locks on the session's connections,
	// on the tables lockedTables names, of keyspace lockedKeyspace.
	tablesLocked   bool
	lockedTables   []string
	lockedKeyspace string
	stmts          map[uint32]*preparedStmt
	// showShard is the shard answering the SHOW being relayed: its
	// Tables_in_<database> column is named after the keyspace instead.
	showShard *conf.Shard
	// schemaShard is the shard answering an information_schema read being
	// relayed (in binary rows: schemaBinary): its database in the rows is
	// shown as its keyspace.
	schemaShard  *conf.Shard
	schemaBinary bool

	host         string                // client host, for access errors
	attrs        []planner.ConnectAttr // sent in the handshake, for performance_schema's tables
	busy         busyConns             // backend connections in use, for KILL
	limit        *timeLimit            // the running statement's max_statement_time (SET STATEMENT)
	killed       atomic.Bool           // KILL CONNECTION: end the session
	waitTimeout  time.Duration         // idle clients are disconnected after it (0: never)
	idleDeadline time.Time             // the client's read deadline clientIdle set last
	nextStmtID   uint32
	// lastStmt is the statement the last COM_STMT_PREPARE made (0: it
	// failed), which MariaDB's statement id 0xFFFFFFFF names: its
	// connectors send PREPARE and EXECUTE together without waiting for
	// the id.
	lastStmt uint32
	stats    stmtStats // of the statement being run
	activity activity  // for SHOW PROCESSLIST
}

func (s *session) status() uint16 {
	var st uint16
	if s.autocommit {
		st |= mysql.StatusAutocommit
	}
	if s.inTxn {
		st |= mysql.StatusInTrans
	}
	if s.mode.NoBackslashEscapes {
		st |= mysql.StatusNoBackslashEscapes // drivers that escape values read it
	}
	return st
}

// run reads and answers commands until the client quits or the connection
// fails. Each reply is flushed once.
func (s *session) run() {
	defer s.close()
	for {
		s.w.Seq = 0
		s.clientIdle(time.Now())
		p, err := s.w.ReadPacket()
		if err == mysql.ErrPacketTooLarge {
			// As MySQL: the error, then the connection is closed.
			s.writeError(err)
			_ = s.w.Flush()
			return
		}
		if err != nil {
			if !errors.Is(err, io.EOF) && !s.srv.closing.Load() {
				s.log.Debug().Err(err).Msg("read from client")
			}
			return
		}
		if len(p) == 0 || s.killed.Load() {
			// Killed while idle: KILL's read deadline can lose the race
			// with clientIdle's, so the flag decides, and the command read
			// meanwhile is not run.
			return
		}
		large := mysql.LargeReads.Load()
		quit := s.dispatch(p)
		if err := s.w.Flush(); err != nil || quit || s.killed.Load() {
			return
		}
		if mysql.LargeReads.Load() != large {
			// A command or row of 16 MiB or more went through: give its
			// buffers back to the system now rather than whenever the
			// runtime's scavenger gets to them.
			p = nil
			debug.FreeOSMemory()
		}
	}
}

func (s *session) dispatch(p []byte) (quit bool) {
	switch p[0] {
	case mysql.ComQuit:
		return true
	case mysql.ComQuery:
		s.handleQuery(mysql.StatementText(p))
	case mysql.ComPing:
		s.writeOK(0, 0, 0)
	case mysql.ComInitDB:
		if err := s.use(string(p[1:])); err != nil {
			s.writeError(err)
		} else {
			s.writeErrorIf(s.okUse(string(p[1:]), false))
		}
	case mysql.ComFieldList:
		s.writeErrorIf(s.fieldList(p))
	case mysql.ComStmtPrepare:
		s.lastStmt = 0
		if err := s.endLostTxn(s.prepare(mysql.StatementText(p))); err != nil {
			s.keepError(err)
			s.writeError(err)
		}
	case mysql.ComStmtExecute:
		if err := s.execute(p); err != nil && !errors.As(err, new(errRelayed)) {
			s.writeError(err)
		}
	case mysql.ComStmtSendLongData:
		s.sendLongData(p)
	case mysql.ComStmtClose:
		if st := s.preparedStmt(p); st != nil {
			delete(s.stmts, st.id)
			if st.id == s.lastStmt {
				s.lastStmt = 0
			}
		}
	case mysql.ComStmtReset:
		s.writeErrorIf(s.resetStmt(p))
	case mysql.ComStmtFetch:
		s.writeError(sqlerr.Unsupported("cursors (COM_STMT_FETCH)"))
	case mysql.ComSetOption:
		if len(p) >= 3 {
			s.multiStatements = p[1] == 0
		}
		s.w.WritePacket(mysql.AppendEOF(nil, 0, s.status()))
	case mysql.ComChangeUser:
		return s.changeUser(p)
	case mysql.ComProcessKill:
		if len(p) >= 5 {
			s.writeErrorIf(s.kill(planner.Kill{ID: le32(p[1:])}, false))
		}
	case mysql.ComResetConnection:
		s.reset()
		s.writeOK(0, 0, 0)
	case mysql.ComStatistics:
		s.w.WritePacket([]byte("Uptime: " + strconv.Itoa(int(s.srv.uptime().Seconds())) + "  Threads: " + strconv.Itoa(s.srv.sessionCount())))
	default:
		s.writeError(sqlerr.New(1047, "08S01", "Unknown command"))
	}
	return false
}

func le32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

func (s *session) writeOK(affected, insertID uint64, warnings uint16) {
	s.rowCount = int64(affected)
	s.w.WritePacket(mysql.AppendOK(nil, mysql.OK{AffectedRows: affected, InsertID: insertID, Status: s.status(), Warnings: warnings}))
}

func (s *session) writeErrorIf(err error) {
	if err != nil {
		s.writeError(err)
	}
}

// writeError sends err as an ERR packet, keeping MySQL codes where the error
// carries one.
func (s *session) writeError(err error) {
	e := sqlerr.From(err)
	metrics.Error(e.Num)
	s.rowCount = -1
	if err == errConnectionKilled {
		s.w.WritePacket(mysql.AppendErr(nil, e)) // the session's own KILL CONNECTION
		return
	}
	_ = s.writeErrPacket(e)
}

// writeErrPacket sends e as an ERR packet, unless another session's KILL
// CONNECTION ended this one: the statement it interrupted gets no reply,
// as on MariaDB, whose client then reports the lost connection (2013)
// rather than an error of the statement.
func (s *session) writeErrPacket(e *sqlerr.Error) error {
	if s.killed.Load() {
		return nil
	}
	return s.w.WritePacket(mysql.AppendErr(nil, e))
}

// handleQuery runs a COM_QUERY. With multi-statements on, `a; b` runs as
// MySQL runs it: statement by statement, each but the last flagged "more
// results", stopping at the first that fails. Text with no statement at all
// gets what MySQL answers: OK for comments, 1065 for nothing.
func (s *session) handleQuery(q string) {
	pieces := []string{q}
	if s.multiStatements && strings.IndexByte(q, ';') >= 0 {
		pieces = planner.SplitStatements(q)
	} else if planner.IsBlank(q) {
		pieces = nil
	}
	if len(pieces) == 0 {
		if strings.Trim(q, " \t\n\v\f\r;") == "" { // MySQL's whitespace
			s.writeError(sqlerr.New(1065, "42000", "Query was empty"))
		} else {
			s.writeOK(0, 0, 0)
		}
		return
	}
	for i, piece := range pieces {
		var err error
		if piece == "" {
			err = sqlerr.New(1064, "42000", "You have an error in your SQL syntax: an empty statement before ';' (statement %d)", i+1)
		} else {
			err = s.query(piece, i < len(pieces)-1)
		}
		if err != nil {
			var relayed errRelayed
			if !errors.As(err, &relayed) {
				s.deadlocked(sqlerr.From(err).Num)
				s.writeError(err)
			}
			return
		}
	}
}

// erDeadlock is MySQL's ER_LOCK_DEADLOCK.
const erDeadlock = 1213

// deadlocked follows a backend's deadlock error: the shard rolled its part
// of the transaction back, as MySQL does to the whole transaction, so the
// other shards' parts are rolled back too — committing them later would
// commit half a transaction.
func (s *session) deadlocked(num uint16) {
	if num == erDeadlock && s.inTxn {
		s.rollback()
	}
}

// query runs one statement of the client. more means another statement of
// the same COM_QUERY follows, so the reply must say more results exist.
func (s *session) query(sql string, more bool) (err error) {
	s.stats.begin(sql)
	s.running("Query", sql, s.stats.start)
	s.lastConn = nil
	found := s.rowsFound
	defer func() {
		s.stmtPrefix = ""
		err = s.endLostTxn(s.endTimeLimit(err))
		s.statementEnd(err, found)
		s.statementDone(err)
	}()
	s.stmtDB = ""
	if s.srv.log.GetLevel() <= zerolog.DebugLevel {
		s.log.Debug().Str("sql", sql).Msg("query")
	}
	if vschemaddl.IsStatement(sql) {
		return s.vschemaStatement(sql, more)
	}
	sql = s.clientText(sql)
	var vars []string
	if s.stmtPrefix, sql, vars, err = setStatement(sql); err != nil {
		return err
	}
	if s.stmtPrefix != "" {
		if d, ok := planner.MaxStatementTime(s.stmtPrefix); ok && d > 0 {
			s.startTimeLimit(d)
		}
	}
	sql = planner.BindSessionTables(sql, s.planSession(), s)
	plan, _, err := s.plan(sql, s.planSession(), false)
	if err != nil {
		return s.misread(err)
	}
	if plan.Local == planner.NotLocal && plan.Kind != planner.KindSet {
		if bound := planner.BindSession(sql, s.sessionValues(), s.mode); bound != sql {
			if plan, _, err = s.plan(bound, s.planSession(), false); err != nil {
				return err
			}
		}
	}
	s.stats.plan = plan
	if vars != nil && (plan.Local != planner.NotLocal || plan.Kind == planner.KindSet || !plan.Forwarded()) {
		// The assignments go only with the client's text to one shard.
		return sqlerr.Unsupported("SET STATEMENT %s FOR a statement the sidecar runs as more than its text on one shard: set them for the session instead", strings.Join(vars, ", "))
	}
	if done, err := s.runSessionStatement(plan, more, false); done {
		return err
	}
	if cs := s.backslashCharset(); cs != "" && s.target == nil && readsText(plan) {
		return errBackslashCharset(cs)
	}
	if plan.Sticky {
		s.sticky = true
	}
	s.implicitBegin(plan)
	if s.target != nil {
		res, err := s.forward(s.target, s.stmtPrefix+sql, plan.Kind, more)
		return res.failed(err)
	}
	if !plan.Forwarded() {
		return s.runPlanned(plan, plan.Args, nil, more)
	}
	shard, err := s.singleShard(plan)
	if err != nil {
		return err
	}
	res, err := s.forward(shard, s.stmtPrefix+plan.Query, plan.Kind, more)
	return res.failed(err)
}

// clientText is the client's statement as the parser and the backends read
// it: a client that connected with CLIENT_IGNORE_SPACE (MariaDB Connector/J
// does) writes count (*), which MariaDB reads for it in IGNORE_SPACE,
// while the sidecar's backend connections have their own sql_mode.
func (s *session) clientText(sql string) string {
	if s.ignoreSpace && !s.mode.IgnoreSpace {
		return planner.TightenCalls(sql, s.mode)
	}
	return sql
}

// setStatement takes MariaDB's SET STATEMENT assignments FOR off sql (and
// off the statement it wraps, which may be one too): the statement is
// planned as any, and the prefix (session.stmtPrefix) goes with it where it
// goes to shards as the client's text: forwarded, relayed from one shard,
// concatenated from several. Elsewhere (merged, evaluated, written with
// lookup rows or sequence values, answered by the sidecar) the assignments
// are lost, which only max_statement_time may be (MariaDB Connector/J's
// query timeout): the sidecar keeps that one itself (startTimeLimit); vars
// are the others, refused unless the statement is forwarded: they could
// change what it does. For any other statement inner is sql.
func setStatement(sql string) (prefix, inner string, vars []string, err error) {
	inner = sql
	for planner.IsSetStatement(inner) {
		p, in, all, ok := planner.SetStatement(inner)
		if !ok {
			return "", sql, nil, sqlerr.Unsupported("a SET STATEMENT … FOR the sidecar cannot read (an executable comment in it, or no statement after FOR)")
		}
		prefix, inner = prefix+p, in
		for _, v := range all {
			if v != "max_statement_time" {
				vars = append(vars, v)
			}
		}
	}
	return prefix, inner, vars, nil
}

// plan plans sql (prepared: as a prepared statement) with the planner in
// force, which it returns. An INSERT without a column list into a sharded
// table may need the table's columns first: they are read from its first
// shard (once per statement), and the statement planned again.
func (s *session) plan(sql string, sess planner.Session, prepared bool) (*planner.Plan, *planner.Planner, error) {
	for read := false; ; read = true {
		pl := s.srv.planner()
		var plan *planner.Plan
		var err error
		if prepared {
			plan, err = pl.PlanPrepared(sql, sess)
		} else {
			plan, err = pl.Plan(sql, sess)
		}
		var need *planner.NeedColumns
		if !errors.As(err, &need) {
			return plan, pl, err
		}
		if read {
			return nil, pl, need.CountError()
		}
		if err := s.srv.learnColumns(need); err != nil {
			return nil, pl, err
		}
	}
}

// sessionValues are the session's own values of LAST_INSERT_ID(),
// CONNECTION_ID(), DATABASE() and the other values BindSession writes.
func (s *session) sessionValues() planner.SessionValues {
	db := s.keyspace
	if db == "" {
		db = s.systemDB
	}
	return planner.SessionValues{LastInsertID: s.lastInsertID, ConnectionID: s.id, Database: db, FoundRows: s.rowsFound, RowCount: s.rowCount,
		Autocommit: s.autocommit, InTransaction: s.inTxn}
}

// planSession is what the planner needs to know of the session.
func (s *session) planSession() planner.Session {
	return planner.Session{Keyspace: s.keyspace, SystemSchema: s.systemDB, Mode: s.mode}
}

// runSessionStatement handles what the sidecar answers itself or keeps in the
// session (local SELECTs, USE, SET NAMES/autocommit, transaction control),
// whether it came as text or as a prepared statement.
func (s *session) runSessionStatement(plan *planner.Plan, more, binary bool) (bool, error) {
	// Not deferred: this runs for every statement, and a function with this
	// many returns runs its defers through the runtime's slow path.
	s.binaryRows = binary // a prepared execute wants its rows in the binary protocol
	done, err := s.sessionStatement(plan, more)
	s.binaryRows = false
	return done, err
}

func (s *session) sessionStatement(plan *planner.Plan, more bool) (bool, error) {
	if plan.Diagnostics != planner.NoDiagnostics {
		if s.warnings == nil {
			// Read from the connection the last statement left them on
			// (none: it left none), never from another one: a pooled
			// connection holds what another session's statement left.
			s.warnings = [][]*string{}
			if bc := s.warnSrc; bc != nil {
				s.keepWarnings(bc, s.warnSrcCount, false)
			}
		}
		return true, s.showDiagnostics(plan, more)
	}
	s.warnings, s.warningCount, s.warnSrc = nil, 0, nil
	if s.tablesLocked && plan.Keyspace != nil && (plan.Keyspace.Name != s.lockedKeyspace || plan.Engine) && (plan.Kind == planner.KindSelect || plan.Kind.IsDML()) {
		// The keyspace's connections hold no locks (an Engine plan reads
		// another keyspace too): MySQL refuses any table not locked.
		if plan.Table != nil && !plan.Engine {
			return true, sqlerr.New(1100, "HY000", "Table '%s' was not locked with LOCK TABLES", plan.Table.Name)
		}
		return true, sqlerr.New(1100, "HY000", "Tables of keyspace %s were not locked with LOCK TABLES (the session locked tables of %s)", plan.Keyspace.Name, s.lockedKeyspace)
	}
	if s.tablesLocked && plan.Table != nil && !plan.Kind.IsRead() {
		if locked := s.lockedBySession(plan); locked != "" {
			return true, sqlerr.Unsupported("writing table %s while this session has LOCK TABLES on %s: its lookup rows and sequence values are written on other connections, which would wait for the session's own lock", plan.Table, locked)
		}
	}
	switch plan.Local {
	case planner.Autocommit:
		v := "0"
		if s.autocommit {
			v = "1"
		}
		return true, s.writeRows(more, column{name: plan.Column, typ: mysql.TypeLongLong, flags: mysql.FlagBinary}, &v)
	case planner.VersionComment:
		return true, s.writeRows(more, column{name: plan.Column, typ: mysql.TypeVarString}, ptr(versionComment))
	case planner.Database:
		var db *string
		if name := s.database(); name != "" {
			db = &name
		}
		return true, s.writeRows(more, column{name: plan.Column, typ: mysql.TypeVarString}, db)
	case planner.ShowProcesslist:
		return true, s.showProcesslist(plan.Value == "full", more)
	case planner.LastInsertID:
		return true, s.writeRows(more, column{name: plan.Column, typ: mysql.TypeLongLong, flags: mysql.FlagUnsigned | mysql.FlagNotNull | mysql.FlagBinary},
			ptr(strconv.FormatUint(s.lastInsertID, 10)))
	case planner.ShowShards:
		return true, s.showShards(more)
	case planner.ShowVitessShards:
		var rows []*string
		for _, name := range s.srv.topo().Names {
			for _, sh := range s.srv.topo().Keyspaces[name].Shards {
				rows = append(rows, ptr(name+"/"+sh.Name))
			}
		}
		return true, s.writeRows(more, column{name: "Shards"}, rows...)
	case planner.ShowDatabases:
		rows := make([]*string, 0, len(s.srv.topo().Names))
		for _, name := range s.srv.topo().Names {
			if plan.Column == "Database" || planner.Like(name, plan.Value, plan.Escape) {
				rows = append(rows, ptr(name))
			}
		}
		return true, s.writeRows(more, column{name: plan.Column, typ: mysql.TypeVarString}, rows...)
	case planner.Use:
		if err := s.use(plan.Value); err != nil {
			return true, err
		}
		return true, s.okUse(plan.Value, more)
	case planner.SetNames:
		return true, s.setNames(plan, more)
	case planner.SetAutocommit:
		return true, s.setAutocommit(plan.Value == "1", plan.SetRest, more)
	case planner.SetWaitTimeout:
		// As MySQL does, out-of-range values are clamped: 0 is one second.
		const maxWaitTimeout = 31536000 // seconds, a year
		secs, err := strconv.ParseUint(plan.Value, 10, 64)
		if err != nil {
			secs = maxWaitTimeout
		}
		s.waitTimeout = time.Duration(min(max(secs, 1), maxWaitTimeout)) * time.Second
		return true, s.ok(more)
	case planner.KillStatement:
		return true, s.kill(plan.Kill, more)
	case planner.DatabaseNote, planner.DatabaseError:
		// DDL, so it commits the open transaction, as MySQL's does even
		// where it fails.
		s.nextTxn = nil
		if err := s.commit(); err != nil {
			return true, err
		}
		if plan.Local == planner.DatabaseError {
			return true, plan.Note
		}
		s.warnings = [][]*string{{ptr("Note"), ptr(strconv.Itoa(int(plan.Note.Num))), ptr(plan.Note.Message)}}
		s.warningCount = 1
		return true, s.okState(nil, 1, more)
	case planner.SetNextTransaction:
		if s.inTxn {
			return true, sqlerr.New(1568, "25001", "Transaction characteristics can't be changed while a transaction is in progress")
		}
		if !slices.Contains(s.nextTxn, plan.Value) {
			s.nextTxn = append(s.nextTxn, plan.Value)
		}
		return true, s.ok(more)
	}
	switch plan.Kind {
	case planner.KindBegin:
		if err := s.commit(); err != nil {
			return true, err
		}
		if s.tablesLocked {
			// Beginning a transaction releases the table locks, as in
			// MySQL; the shards' BEGINs go out lazily, to those it uses.
			if err := s.unlockHeld(); err != nil {
				return true, err
			}
		}
		s.inTxn, s.beginSQL = true, planner.StripLeadingComments(plan.Query)
		if planner.ContainsFold(plan.Query, "consistent snapshot") {
			s.snapshotAll()
		}
		return true, s.ok(more)
	case planner.KindCommit, planner.KindRollback:
		// AND CHAIN begins the next transaction as this one: how the client
		// began it, and what a SET TRANSACTION gave it.
		begin, chars := "BEGIN", s.nextTxn
		if s.inTxn {
			begin = s.beginSQL
		}
		s.nextTxn = nil // a COMMIT ends the next transaction too when none is open (MariaDB)
		if plan.Kind == planner.KindRollback {
			s.rollback()
		} else if err := s.commit(); err != nil {
			return true, err
		}
		if planner.Chains(plan.Query) {
			s.inTxn, s.beginSQL, s.nextTxn = true, begin, chars
		}
		return true, s.ok(more)
	case planner.KindSavepoint, planner.KindRollbackTo, planner.KindRelease:
		return true, s.savepoint(plan, more)
	case planner.KindVExplain:
		return true, s.vexplain(planner.VExplainTarget(plan.Query), more)
	case planner.KindSet:
		return true, s.set(plan, more)
	case planner.KindDDL:
		// DDL commits the open transaction in MySQL (except on temporary
		// tables); do it on every shard.
		if plan.Sticky {
			return false, nil
		}
		s.nextTxn = nil
		return false, s.commit()
	case planner.KindLockTables:
		// As MySQL, LOCK TABLES commits the open transaction first. The
		// locks are taken on the session's own connections (the plan is
		// sticky), where its later statements run.
		if !s.autocommit {
			return true, errLocksAutocommit
		}
		if s.tablesLocked { // a LOCK TABLES releases the locks held before
			if err := s.unlockHeld(); err != nil {
				return true, err
			}
		}
		s.nextTxn = nil
		return false, s.commit()
	case planner.KindUnlockTables:
		if err := s.unlockHeld(); err != nil {
			return true, err
		}
		return true, s.ok(more)
	}
	return false, nil
}

// lockedBySession is a table the session's LOCK TABLES locked that plan's
// write writes on other connections (its table's lookup tables, its
// sequence), "" if none: those connections would wait for the session's own
// lock.
func (s *session) lockedBySession(plan *planner.Plan) string {
	t, owned := plan.Table, plan.Table.Owned
	if plan.Kind == planner.KindUpdate {
		if od, err := planner.PlanOwnedDML(plan); err == nil {
			owned = nil // an UPDATE of no owned column writes no lookup row
			if od != nil {
				owned = od.Vindexes
			}
		}
	}
	var written []string
	for _, cv := range owned {
		if lt, ok := cv.Vindex.(vindex.LookupTable); ok {
			name := lt.Table()
			written = append(written, strings.ToLower(name[strings.LastIndexByte(name, '.')+1:]))
		}
	}
	if ai := t.AutoIncrement; ai != nil && ai.Sequence != nil && (plan.Kind == planner.KindInsert || plan.Kind == planner.KindReplace) {
		written = append(written, strings.ToLower(ai.Sequence.Name))
	}
	for _, w := range written {
		if slices.Contains(s.lockedTables, w) {
			return w
		}
	}
	return ""
}

// errLocksAutocommit refuses table locks and autocommit off together: the
// next statement would begin the shards' transactions with BEGIN, which
// releases table locks.
var errLocksAutocommit = sqlerr.Unsupported("LOCK TABLES with autocommit off: the sidecar begins transactions on the shards with BEGIN, which would release the locks")

// unlockHeld ends the session's table locks on every backend connection it
// holds: a LOCK TABLES on a sharded keyspace locked each of its shards.
func (s *session) unlockHeld() error {
	s.tablesLocked, s.lockedTables, s.lockedKeyspace = false, nil, ""
	var first error
	for k, bc := range s.conns {
		if _, err := bc.Exec("UNLOCK TABLES"); err != nil {
			// The others are unlocked all the same. A connection that
			// broke took its locks with it: that is no error of the
			// UNLOCK's (MySQL's never fails), and the connection is given up.
			if bc.Broken {
				delete(s.conns, k)
				s.putBack(bc)
				continue
			}
			first = cmp.Or(first, err)
		}
	}
	return first
}

// singleShard picks the shard of a statement for an unsharded keyspace, or
// for a statement that names no table (any shard answers it).
//
// A statement that names no keyspace while the session's current database is
// a system schema runs in that schema (SHOW TABLES in information_schema).
func (s *session) singleShard(plan *planner.Plan) (*conf.Shard, error) {
	ks := plan.Keyspace
	s.stmtDB = ""
	if ks == nil {
		ks = s.srv.defaultKeyspace()
		s.stmtDB = s.systemDB
	}
	return ks.Shards[0], nil
}

func ptr[T any](v T) *T { return &v }

func (s *session) ok(more bool) error {
	return s.okState(nil, 0, more)
}

// okUse answers a USE of name (a statement or COM_INIT_DB): a client that
// tracks its session learns its new database there, as from MariaDB.
func (s *session) okUse(name string, more bool) error {
	var state []byte
	if s.tracksSession {
		state = mysql.SchemaChange(name)
	}
	return s.okState(state, 0, more)
}

// okState sends an OK with the session state changes state (nil: none) and
// a count of warnings.
func (s *session) okState(state []byte, warnings uint16, more bool) error {
	s.rowCount = 0
	st := s.status()
	if more {
		st |= mysql.StatusMoreResults
	}
	return s.w.WritePacket(mysql.AppendOK(nil, mysql.OK{Status: st, SessionState: state, Warnings: warnings}))
}

// use selects a keyspace, or with Vitess's `keyspace:shard` one shard of it:
// then statements go to that shard unchanged, for operators.
func (s *session) use(name string) error {
	if name == "" {
		return sqlerr.New(1046, "3D000", "No database selected")
	}
	ksName, shardName, targeted := strings.Cut(name, ":")
	if !targeted && planner.IsSystemSchema(ksName) {
		// ProxySQL's default schema for clients without one: no keyspace.
		s.keyspace, s.target, s.systemDB = "", nil, ksName
		return nil
	}
	ks, ok := s.srv.topo().Keyspaces[ksName]
	if !ok {
		return sqlerr.New(1049, "42000", "Unknown database '%s'", name)
	}
	var target *conf.Shard
	if targeted {
		for _, sh := range ks.Shards {
			if sh.Name == shardName {
				target = sh
			}
		}
		if target == nil {
			return sqlerr.New(1049, "42000", "Unknown database '%s': keyspace %s has no shard %s", name, ksName, shardName)
		}
	}
	s.keyspace, s.target, s.systemDB = ksName, target, ""
	return nil
}

// savepoint runs SAVEPOINT, ROLLBACK TO and RELEASE on every shard in the
// transaction, and remembers savepoints for shards that join later. With
// autocommit off, they act on the transaction the next statement reading
// tables begins, which @@in_transaction does not show until then.
func (s *session) savepoint(plan *planner.Plan, more bool) error {
	if !s.inTxn && s.autocommit {
		if plan.Kind == planner.KindSavepoint {
			return s.ok(more) // MySQL accepts it and forgets it at once
		}
		return sqlerr.New(1305, "42000", "SAVEPOINT %s does not exist", planner.SavepointName(plan.Query))
	}
	name := planner.SavepointName(plan.Query)
	at := -1 // the savepoint ROLLBACK TO or RELEASE names
	if plan.Kind != planner.KindSavepoint {
		for i, sp := range s.savepoints {
			if strings.EqualFold(planner.SavepointName(sp), name) {
				at = i
			}
		}
		if at < 0 { // the shards that joined later never had it
			return sqlerr.New(1305, "42000", "SAVEPOINT %s does not exist", name)
		}
	}
	// Every connection in the transaction, the lookup pre/post ones too: rows
	// a consistent lookup created after the savepoint go with ROLLBACK TO.
	for _, key := range s.heldKeys() {
		if !s.conns[key].InTxn {
			continue
		}
		if _, err := s.conns[key].Exec(plan.Query); err != nil {
			return err
		}
	}
	switch plan.Kind {
	case planner.KindSavepoint:
		// A savepoint of a name already set replaces it, as in MySQL.
		s.savepoints = slices.DeleteFunc(s.savepoints, func(sp string) bool { return strings.EqualFold(planner.SavepointName(sp), name) })
		s.savepoints = append(s.savepoints, plan.Query)
		if s.lookupRowMarks == nil {
			s.lookupRowMarks = map[string]int{}
		}
		s.lookupRowMarks[name] = s.lookupRows.mark()
	case planner.KindRollbackTo:
		s.savepoints = s.savepoints[:at+1] // it keeps the savepoint itself
		s.lookupRows.undoAfter(s.lookupRowMarks[name])
		s.pendingCache = nil // some were read from rows now undone
	case planner.KindRelease:
		s.savepoints = s.savepoints[:at]
	}
	return s.ok(more)
}

// showShards lists keyspaces and shards with their key ranges and backends.
func (s *session) showShards(more bool) error {
	cols := []column{{name: "Keyspace"}, {name: "Shard"}, {name: "KeyRange"}, {name: "Sharded"},
		{name: "Address"}, {name: "Database"}, {name: "Hostgroup"}}
	var rows [][]*string
	topo := s.srv.topo()
	for _, name := range topo.Names {
		ks := topo.Keyspaces[name]
		for _, sh := range ks.Shards {
			var hg *string
			if sh.HasHostgroup {
				hg = ptr(itoa(sh.Hostgroup))
			}
			kr := fmt.Sprintf("%x-%x", sh.Range.Start, sh.Range.End)
			rows = append(rows, []*string{ptr(name), ptr(sh.Name), ptr(kr), ptr(strconv.FormatBool(ks.Sharded)),
				ptr(sh.Address), ptr(sh.Database), hg})
		}
	}
	return s.writeTable(more, cols, rows)
}

// setNames keeps the session's character set, applied to each backend
// connection before its next statement: no connection is pinned for it. A
// character set or collation the backends do not know gets their error: the
// statement runs on a backend the first time the server sees its text.
func (s *session) setNames(plan *planner.Plan, more bool) error {
	charset, known := s.srv.names.known(plan.Value)
	if !known {
		shard, err := s.singleShard(plan)
		if err != nil {
			return err
		}
		bc, held, err := s.acquire(shard)
		if err != nil {
			return err
		}
		_, err = bc.Exec(plan.Value)
		if err == nil {
			bc.Names = plan.Value
			// What the statement left, not what its words say: SET NAMES
			// utf8mb4, character_set_client = 13 is sjis.
			charset, err = connCharset(bc)
		}
		s.release(bc, held, 0)
		if err != nil {
			return err
		}
		s.srv.names.add(plan.Value, charset)
	}
	s.useNames(plan.Value)
	if charset != "" {
		s.namesCharset = charset
	}
	return s.ok(more)
}

// setAutocommit follows MySQL: turning autocommit on commits the open
// transaction; turning it off makes the next statement start one. rest are
// the statement's other assignments, a SET of their own ("" none), which
// goes on as any SET, its OK showing the new autocommit; as in MySQL
// nothing is set when one fails (but the commit of turning it on stays).
func (s *session) setAutocommit(on bool, rest string, more bool) error {
	if !on && s.tablesLocked {
		return errLocksAutocommit
	}
	var restPlan *planner.Plan
	if rest != "" {
		var err error
		if restPlan, _, err = s.plan(rest, s.planSession(), false); err != nil {
			return err
		}
		s.stats.plan = restPlan // what the statement leaves is the rest's (see statementEnd)
	}
	was := s.autocommit
	if on && !was {
		if err := s.commit(); err != nil {
			return err
		}
	}
	s.autocommit = on
	if restPlan == nil {
		return s.ok(more)
	}
	done, err := s.runSessionStatement(restPlan, more, false)
	if err == nil && !done {
		err = sqlerr.Routing("the assignments of a SET with autocommit are no SET: %.80s", rest)
	}
	if err != nil {
		s.autocommit = was
	}
	return err
}

// set runs a session SET on a backend, then keeps it for every backend
// connection the session uses later.
func (s *session) set(plan *planner.Plan, more bool) error {
	l := strings.ToLower(plan.Query)
	global := strings.Contains(l, "global ") || strings.Contains(l, "@@global.")
	if !global {
		s.sticky = true
	}
	shard, err := s.singleShard(plan)
	if err != nil {
		return err
	}
	res, err := s.forward(shard, plan.Query, plan.Kind, more)
	if err != nil || global || res.backendErr != nil {
		return res.failed(err) // a SET the backend refused is not kept
	}
	ran := s.conns[connKey{keyOf(shard), vindex.CommitNormal}]
	mode, limit := strings.Contains(l, "sql_mode"), strings.Contains(l, "sql_select_limit")
	charset := strings.Contains(l, "char") || strings.Contains(l, "names") // character_set_client, CHARACTER SET, CHAR SET, NAMES
	if ran != nil && (mode || limit || charset) {
		// ANSI_QUOTES, PIPES_AS_CONCAT and NO_BACKSLASH_ESCAPES change how
		// the client's text reads and how the sidecar writes values,
		// sql_select_limit is the session's (see selectLimit), and so is
		// a character set the sidecar cannot read statements in (see
		// backslashCharsets): ask the connection the SET ran on what they
		// now are (with a LIMIT of its own, which the sql_select_limit
		// just set does not cap).
		res, err := ran.Exec("SELECT @@SESSION.sql_mode, @@SESSION.sql_select_limit, @@SESSION.character_set_client, @@SESSION.character_set_connection LIMIT 1")
		if err != nil {
			return err
		}
		if len(res.Rows) == 1 && len(res.Rows[0]) == 4 {
			for _, cs := range res.Rows[0][2:] {
				if charset && backslashCharsets[string(cs)] {
					s.setCharset = string(cs) // until COM_RESET_CONNECTION: see backslashCharset
				}
			}
			if mode {
				s.modeText = string(res.Rows[0][0])
				s.mode = planner.ParseSQLMode(s.modeText)
			}
			if limit {
				s.selectLimit = ""
				if n, err := strconv.ParseUint(string(res.Rows[0][1]), 10, 64); err == nil && n != math.MaxUint64 { // the default: none
					s.selectLimit = strconv.FormatUint(n, 10)
				}
			}
		}
	}
	if len(plan.Variables) == 0 { // else the values it left are kept (copyConnState)
		s.keepSet(keptSet{plan.Query, plan.SetVars}, ran)
	}
	if limit {
		for _, bc := range s.conns { // each has the SET now
			bc.SelectLimit = s.selectLimit
		}
	}
	return nil
}

// keptSet is a SET the session keeps (see sets). vars are the variables it
// assigns when it gives each a literal (planner.Plan.SetVars); nil
// otherwise.
type keptSet struct {
	text string
	vars []string
}

// keepSet keeps a SET that ran on connection ran for the session's other
// connections: those it holds now, and those it opens later. A SET of
// literals replaces those kept before it that assign no other variables
// when only SETs of literals came after them, which read nothing they
// assigned: a session that sets the same variables again and again
// (SET SESSION TRANSACTION READ ONLY, then READ WRITE, around each
// read-only transaction) keeps a few SETs, not one each.
func (s *session) keepSet(set keptSet, ran *backend.Conn) {
	if set.vars != nil {
		for i := len(s.sets) - 1; i >= 0 && s.sets[i].vars != nil; i-- {
			if !slices.ContainsFunc(s.sets[i].vars, func(v string) bool { return !slices.Contains(set.vars, v) }) {
				s.sets = slices.Delete(s.sets, i, i+1)
			}
		}
	}
	s.sets = append(s.sets, set)
	for _, bc := range s.conns {
		if bc == ran {
			continue
		}
		if _, err := bc.Exec(set.text); err != nil {
			s.log.Warn().Err(err).Str("shard", bc.String()).Msg("replaying SET")
		}
	}
}

// statementEnd keeps in the session what the statement that ended with err
// leaves for the next: FOUND_ROWS() as it was before (found) after the
// statements that keep it, and what it left on its connection.
func (s *session) statementEnd(err error, found uint64) {
	if s.nextTxnNow {
		if !failedBeforeTxn(err) {
			s.nextTxn = nil
		} else {
			// MariaDB keeps them after a statement that failed before its
			// transaction began: the session sends them again with its next
			// statement. A connection it keeps must not start its own next
			// transaction with them whatever comes next: an empty one takes
			// them (the pool resets one it took back). Under LOCK TABLES,
			// whose locks a BEGIN would release, they stay.
			for _, bc := range s.nextTxnOn {
				if s.holds(bc) && !s.tablesLocked {
					bc.Pending = append(bc.Pending, "BEGIN", "COMMIT")
				}
			}
		}
		s.nextTxnNow, s.nextTxnOn = false, nil
	}
	plan := s.stats.plan
	if plan == nil { // not planned: refused, or a VSchema statement
		if err != nil {
			s.keepError(err)
		}
		return
	}
	if plan.KeepsFoundRows {
		s.rowsFound = found
	}
	if err != nil && plan.Diagnostics == planner.NoDiagnostics {
		s.keepError(err)
	}
	if err == nil {
		s.copyConnState(plan)
		if plan.Kind == planner.KindDDL {
			s.srv.schemaChanged(plan.Keyspace)
		}
		if plan.Kind == planner.KindLockTables {
			s.tablesLocked, s.lockedTables, s.lockedKeyspace = true, plan.Locks, ""
			if plan.Keyspace != nil { // nil: a backend's own schema (mysql.user)
				s.lockedKeyspace = plan.Keyspace.Name
			}
		}
	}
}

// copyConnState copies into the session what plan's statement left on the
// one backend connection that answered it, so that later statements find it
// whatever connection they run on: the backend's FOUND_ROWS() (after
// SQL_CALC_FOUND_ROWS, or SELECT … INTO, which sends no rows), and the user
// variables it assigned, as a SET of their
// values kept for the session's other connections. Reading them changes
// nothing the client sees: a statement without tables keeps the
// connection's warnings. Statements assigning the same variables again and
// again (@n := @n + 1) keep one SET, not one each (see keepSet).
func (s *session) copyConnState(plan *planner.Plan) {
	bc := s.lastConn
	if bc == nil || bc.Broken || (!plan.ConnFoundRows && len(plan.Variables) == 0) {
		return
	}
	q := []string{}
	if plan.ConnFoundRows {
		q = append(q, "FOUND_ROWS()")
	}
	for _, v := range plan.Variables {
		// A string's bytes as they are: its text comes through
		// character_set_results, which may not hold its characters.
		q = append(q, v, "CHARSET("+v+")", "COLLATION("+v+")", "CAST("+v+" AS BINARY)")
	}
	res, err := bc.Exec("SELECT " + strings.Join(q, ", ") + " LIMIT 1") // LIMIT: not capped by sql_select_limit
	if err != nil || len(res.Rows) != 1 {
		s.log.Warn().Err(err).Str("shard", bc.String()).Msg("reading what a statement left on its connection")
		return
	}
	vals, kinds := toValues(res)[0], res.Kinds
	if plan.ConnFoundRows {
		s.rowsFound, _ = strconv.ParseUint(string(vals[0].Raw), 10, 64)
		vals, kinds = vals[1:], kinds[1:]
	}
	if len(plan.Variables) == 0 {
		return
	}
	set := []byte("SET ")
	vars := make([]string, len(plan.Variables))
	for i, v := range plan.Variables {
		if i > 0 {
			set = append(set, ", "...)
		}
		set = append(set, v...)
		set = append(set, " = "...)
		set = appendUserValue(set, vals[4*i:4*i+4], kinds[4*i], s.mode.NoBackslashEscapes)
		vars[i] = planner.UserVariableKey(v)
	}
	if plan.Kind == planner.KindSet && plan.Keyspace == nil && len(set) > keptValueLimit {
		// Replayed on each connection the session opens, values this big
		// could pass max_allowed_packet: the SET is kept instead, as it was
		// written (it reads them again there); not one reading a keyspace's
		// table, which other keyspaces' connections do not have.
		set, vars = []byte(plan.Query), nil
	}
	s.keepSet(keptSet{string(set), vars}, bc)
}

// keptValueLimit is the size of a SET of user variables' values read back
// (see copyConnState) above which a SET keeps its text: replayed on each
// connection the session opens, values this big cost, and could pass
// max_allowed_packet.
const keptValueLimit = 1 << 20

// appendUserValue writes a user variable's value as a literal that gives it
// back as it is, from its value, character set, collation and bytes, as read
// back (see copyConnState): a number as its text (CAST to keep UNSIGNED); a
// string as its bytes, after its character set's introducer, with its
// collation. The bytes go between quotes, where a quote is doubled, the size
// they are, unless one is a backslash: read in a character set whose
// characters may end in one (gbk, sjis…), an escaping backslash could become
// part of the character before it. Those, and binary strings, go in hex. A
// NULL keeps the type its column was read as (kind), which its variable has.
func appendUserValue(b []byte, read []vindex.Value, kind vindex.Kind, noBackslashEscapes bool) []byte {
	val, charset, collation, raw := read[0], read[1], read[2], read[3].Raw
	if val.Kind == vindex.Null {
		switch {
		case kind == vindex.Float64:
			return append(b, "CAST(NULL AS DOUBLE)"...)
		case kind == vindex.Int64:
			return append(b, "CAST(NULL AS SIGNED)"...)
		case kind == vindex.Uint64:
			return append(b, "CAST(NULL AS UNSIGNED)"...)
		case kind == vindex.Decimal:
			return append(b, "CAST(NULL AS DECIMAL(65,38))"...) // a variable's DECIMAL
		case kind == vindex.VarChar && isName(charset.Raw) && isName(collation.Raw) && string(charset.Raw) != "binary":
			b = append(append(b, "CAST(NULL AS CHAR CHARACTER SET "...), charset.Raw...)
			return append(append(b, ") COLLATE "...), collation.Raw...)
		}
		return append(b, "NULL"...) // a binary string's, as a NULL of no type
	}
	switch val.Kind {
	case vindex.Int64, vindex.Float64, vindex.Decimal:
		return vindex.AppendLiteral(b, val, noBackslashEscapes)
	case vindex.Uint64:
		b = vindex.AppendLiteral(append(b, "CAST("...), val, noBackslashEscapes)
		return append(b, " AS UNSIGNED)"...)
	}
	if !isName(charset.Raw) || !isName(collation.Raw) {
		return vindex.AppendLiteral(b, val, noBackslashEscapes)
	}
	binary := string(charset.Raw) == "binary"
	b = append(append(b, '_'), charset.Raw...)
	if binary || bytes.IndexByte(raw, '\\') >= 0 {
		b = append(hex.AppendEncode(append(b, " X'"...), raw), '\'')
	} else {
		b = append(b, '\'')
		for _, c := range raw {
			if c == '\'' {
				b = append(b, '\'')
			}
			b = append(b, c)
		}
		b = append(b, '\'')
	}
	if binary { // its one collation, which COLLATE cannot name unquoted
		return b
	}
	return append(append(b, " COLLATE "...), collation.Raw...)
}

// isName: b is a character set's or a collation's name (letters, digits,
// _), which a statement may hold unquoted.
func isName(b []byte) bool {
	for _, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return len(b) > 0
}

// implicitBegin opens the transaction a statement starts when autocommit is
// off, as MySQL does; SET, SHOW, DDL and statements reading no table but
// information_schema's (planner.Plan.NoTransaction) do not start one. Under
// autocommit, a statement reading or writing tables is a transaction of its
// own, the one a SET TRANSACTION was for (see nextTxn).
func (s *session) implicitBegin(plan *planner.Plan) {
	kind := plan.Kind
	switch {
	case s.inTxn || plan.NoTransaction: // no table (SELECT 1, information_schema): no transaction
	case s.autocommit:
		s.nextTxnNow = len(s.nextTxn) > 0 && (kind == planner.KindSelect || kind == planner.KindOther || kind == planner.KindDo || kind.IsDML())
	case kind != planner.KindSet && kind != planner.KindShow && kind != planner.KindDDL &&
		kind != planner.KindLockTables && kind != planner.KindUnlockTables:
		s.inTxn, s.beginSQL = true, "BEGIN"
	}
}

// syncLastInsertID keeps LAST_INSERT_ID() as MySQL does after a statement
// (plan, with args) that bc answered with insert id okID. An OK packet's
// insert id is also set by an explicit auto-increment value, which
// LAST_INSERT_ID() ignores. Mostly the statement's values rule that out
// (planner.InsertIDGenerated). Otherwise a generated id also became the
// backend connection's LAST_INSERT_ID(), so asking that connection tells the
// two apart. (Its value is otherwise meaningless here: pooled connections
// serve many sessions.)
func (s *session) syncLastInsertID(bc *backend.Conn, okID uint64, plan *planner.Plan, args planner.Args) {
	if plan != nil && planner.InsertIDGenerated(plan, args, okID) {
		s.lastInsertID = okID
		return
	}
	res, err := bc.Exec("SELECT LAST_INSERT_ID() LIMIT 1")
	if err != nil || len(res.Rows) != 1 || res.Rows[0][0] == nil {
		return
	}
	if v, err := strconv.ParseUint(string(res.Rows[0][0]), 10, 64); err == nil && v == okID {
		s.lastInsertID = okID
	}
}

// lastInsertIDFirst gives bc the session's LAST_INSERT_ID() before a
// statement that may set it with LAST_INSERT_ID(expr) (plan.SetsLastInsertID)
// runs there, in the statement's own write: read back after it
// (readLastInsertID), the value is the statement's, or the session's if the
// statement did not evaluate the call (no row, an IF not taken), never
// what another session left on the pooled connection.
func (s *session) lastInsertIDFirst(bc *backend.Conn, plan *planner.Plan) {
	if plan != nil && plan.SetsLastInsertID {
		bc.Pending = append(bc.Pending, "DO LAST_INSERT_ID("+strconv.FormatUint(s.lastInsertID, 10)+")")
	}
}

// readLastInsertID makes the LAST_INSERT_ID() of bc, which a statement set
// with LAST_INSERT_ID(expr), the session's.
func (s *session) readLastInsertID(bc *backend.Conn) {
	res, err := bc.Exec("SELECT LAST_INSERT_ID() LIMIT 1")
	if err != nil || len(res.Rows) != 1 || res.Rows[0][0] == nil {
		return
	}
	if v, err := strconv.ParseUint(string(res.Rows[0][0]), 10, 64); err == nil {
		s.lastInsertID = v
	}
}

// clientPlan is the plan of the client's text statement being run, with its
// literals, when sql is its text as planned: what forward relays is then that
// statement itself, not one the sidecar wrote. nil otherwise.
func (s *session) clientPlan(sql string) (*planner.Plan, planner.Args) {
	if p := s.stats.plan; p != nil && !p.Prepared && p.Query == strings.TrimPrefix(sql, s.stmtPrefix) {
		return p, p.Args
	}
	return nil, nil
}

// acquire returns the session's connection to shard, opening one from the
// pool and bringing it to the session's state (character set, session
// variables, open transaction) if needed.
func (s *session) acquire(shard *conf.Shard) (*backend.Conn, bool, error) {
	return s.acquireFor(shard, vindex.CommitNormal)
}

// connKey names a held connection: consistent lookups write to a shard in
// their own pre/post transactions, apart from the statement's own. Shards are
// known by name, so a transaction open across a reload goes on with the
// connections it has, even where the reload changed a shard's backend.
type connKey struct {
	shard shardKey
	order vindex.CommitOrder
}

// acquireRead is acquire for a statement whose result goes to the client
// (its text or prepared statement, unless capturing): the connection then
// has the client's sql_select_limit, as MySQL caps that statement's rows (a
// SELECT's, a SHOW's) and shows it (@@sql_select_limit). What the sidecar
// reads there for itself goes without it (acquireFor): the rows it merges
// or looks up are all the shard has.
func (s *session) acquireRead(shard *conf.Shard) (*backend.Conn, bool, error) {
	limit := ""
	if !s.capturing {
		limit = s.selectLimit
	}
	return s.acquireLimited(shard, vindex.CommitNormal, limit)
}

// acquireFor returns the session's connection to shard for a commit order.
// Inside a statement scope of an explicit transaction, each connection gets
// the statement savepoint before its first write. The pre-transaction on the
// shard an INSERT writes all its rows to is that INSERT's own transaction
// (stmtScope.ownShard).
func (s *session) acquireFor(shard *conf.Shard, order vindex.CommitOrder) (*backend.Conn, bool, error) {
	return s.acquireLimited(shard, order, "")
}

// acquireLimited is acquireFor with the connection's sql_select_limit set to
// limit ("": none), in the write of its next command.
func (s *session) acquireLimited(shard *conf.Shard, order vindex.CommitOrder, limit string) (*backend.Conn, bool, error) {
	if st := s.stmt; order == vindex.CommitPre && st != nil && st.ownShard == shard {
		order = vindex.CommitNormal
	}
	bc, held, err := s.acquireConn(shard, order)
	if err != nil {
		return nil, false, err
	}
	if bc.SelectLimit != limit {
		v := limit
		if v == "" {
			v = "DEFAULT"
		}
		bc.Pending = append(bc.Pending, "SET SESSION sql_select_limit = "+v)
		bc.SelectLimit = limit
	}
	s.stats.ranOn(bc.Pool)
	bc.SelectDB(s.stmtDB)
	if s.nextTxnNow && !bc.InTxn && !slices.Contains(s.nextTxnOn, bc) {
		bc.Pending = append(bc.Pending, s.nextTxn...)
		bc.Stateful = true // a statement that failed before its transaction began leaves them: the pool resets it
		s.nextTxnOn = append(s.nextTxnOn, bc)
	}
	if st := s.stmt; st != nil && s.inTxn && !st.savepointed[bc] {
		bc.Pending = append(bc.Pending, stmtSavepoint) // goes out with the first write
		st.savepointed[bc] = true
	}
	return bc, held, nil
}

func (s *session) acquireConn(shard *conf.Shard, order vindex.CommitOrder) (*backend.Conn, bool, error) {
	key := connKey{keyOf(shard), order}
	if bc := s.conns[key]; bc != nil && (bc.InTxn || !bc.Pool.Retired()) {
		// A connection kept for session state follows a SET NAMES and
		// joins a transaction begun since it was opened.
		if err := s.applyNames(bc); err != nil {
			return nil, false, err
		}
		if s.txnActive() && !bc.InTxn {
			if err := s.beginOn(bc); err != nil {
				return nil, false, err
			}
		}
		return bc, true, nil
	} else if bc != nil {
		// Kept for session state only, on a backend a reload replaced: the
		// session's variables go to the new one (prepareConn replays them).
		delete(s.conns, key)
		s.putBack(bc)
	}
	p, err := s.srv.pool(shard)
	if err != nil {
		return nil, false, err
	}
	if order == vindex.CommitAutocommit {
		bc, err := p.Get(s.foundRows)
		if err == nil {
			s.busy.add(bc)
		}
		return bc, false, err
	}
	var bc *backend.Conn
	if wc := s.warnConn; wc != nil {
		s.warnConn = nil
		if wc.Pool == p {
			bc = wc
		} else {
			s.putBack(wc)
		}
	}
	if bc == nil {
		if bc, err = p.Get(s.foundRows); err != nil {
			return nil, false, err
		}
		s.busy.add(bc)
	}
	if err := s.prepareConn(bc); err != nil {
		s.putBack(bc)
		return nil, false, err
	}
	held := s.txnActive() || s.sticky
	if held {
		s.conns[key] = bc
	}
	return bc, held, nil
}

// failedBeforeTxn: err ended a statement before its transaction began, as
// MariaDB fails a write in a READ ONLY one (1792), a missing table (1146), a
// table without the privilege (1142, 1143) or a syntax error (1064); the
// sidecar's own refusals (1235) reach no backend. Any other error came from a
// statement that ran.
func failedBeforeTxn(err error) bool {
	if err == nil {
		return false
	}
	switch sqlerr.From(err).Num {
	case 1064, 1142, 1143, 1146, 1235, 1792:
		return true
	}
	return false
}

// holds: the session keeps bc (see conns).
func (s *session) holds(bc *backend.Conn) bool {
	for _, held := range s.conns {
		if held == bc {
			return true
		}
	}
	return false
}

// applyNames brings bc to the session's SET NAMES, which is applied lazily.
func (s *session) applyNames(bc *backend.Conn) error {
	if s.names != "" && bc.Names != s.names {
		if _, err := bc.Exec(s.names); err != nil {
			return err
		}
		bc.Names = s.names
	}
	return nil
}

func (s *session) prepareConn(bc *backend.Conn) error {
	if err := s.applyNames(bc); err != nil {
		return err
	}
	for _, set := range s.sets {
		bc.Stateful = true
		if _, err := bc.Exec(set.text); err != nil {
			return err
		}
	}
	bc.SelectLimit = s.selectLimit // as the SETs left it
	if s.sticky {
		bc.Stateful = true
	}
	if s.txnActive() {
		return s.beginOn(bc)
	}
	return nil
}

// beginOn makes bc join the open transaction: BEGIN (as the client began),
// then the savepoints made so far.
func (s *session) beginOn(bc *backend.Conn) error {
	begin := s.beginSQL
	if !s.inTxn {
		begin = "BEGIN"
	}
	// Queued: it goes out with the connection's next command.
	bc.Pending = append(bc.Pending, s.nextTxn...)
	bc.Pending = append(bc.Pending, begin)
	bc.Pending = append(bc.Pending, s.savepoints...)
	bc.InTxn = true
	return nil
}

// snapshotAll begins the transaction on every shard of every keyspace at
// once, for START TRANSACTION WITH CONSISTENT SNAPSHOT: begun lazily, a
// shard's snapshot would be taken when the transaction first reads it, and
// see what was committed meanwhile (mariadb-dump --single-transaction would
// dump shards, and lookup tables and their owners, as of different times;
// helper-63). One after another, as close together as the round trips
// allow: no snapshot spans servers. A shard that cannot begin now (down, its
// pool busy) joins at its first statement, as without: only the statements
// that need it fail (helper-65).
func (s *session) snapshotAll() {
	topo := s.srv.topo()
	for _, name := range topo.Names {
		for _, shard := range topo.Keyspaces[name].Shards {
			bc, held, err := s.acquireFor(shard, vindex.CommitNormal)
			if err != nil {
				continue
			}
			_, err = bc.Exec("DO 0") // sends the pending START TRANSACTION
			if err != nil && held {
				s.dropHeld(bc) // not begun: the shard joins later
				held = false
			}
			s.release(bc, held, 0)
		}
	}
}

// txnActive: connections joining now must join a transaction, the client's
// or the one a multi-part statement runs in.
func (s *session) txnActive() bool {
	return s.inTxn || (s.stmt != nil && s.stmt.implicit)
}

// showDiagnostics answers SHOW WARNINGS, SHOW ERRORS and their counts from
// the warnings the statement before left on several connections.
func (s *session) showDiagnostics(plan *planner.Plan, more bool) error {
	var errs [][]*string
	for _, w := range s.warnings {
		if w[0] != nil && *w[0] == "Error" {
			errs = append(errs, w)
		}
	}
	count := func(n uint64) error {
		v := strconv.FormatUint(n, 10)
		return s.writeRows(more, column{name: plan.Column, typ: mysql.TypeLongLong, flags: mysql.FlagUnsigned | mysql.FlagBinary}, &v)
	}
	rows := s.warnings
	switch plan.Diagnostics {
	case planner.WarningCount:
		return count(s.warningCount)
	case planner.ErrorCount:
		return count(uint64(len(errs)))
	case planner.ShowErrors:
		rows = errs
	}
	l := plan.DiagnosticsLimit
	rows = rows[min(l.Offset, uint64(len(rows))):]
	rows = rows[:min(l.Count, uint64(len(rows)))]
	return s.writeTable(more, warningColumns, rows)
}

// warningColumns are SHOW WARNINGS' columns.
var warningColumns = []column{{name: "Level"}, {name: "Code", typ: mysql.TypeLong, flags: mysql.FlagUnsigned | mysql.FlagBinary}, {name: "Message"}}

// maxWarnings is how many warnings MySQL keeps of a statement
// (max_error_count's default).
const maxWarnings = 64

// keepError makes err what SHOW WARNINGS lists next, as MySQL lists a
// failed statement's error, rather than what the next connection it runs on
// ran before (a failed statement's connection is not kept for it).
func (s *session) keepError(err error) {
	e := sqlerr.From(err)
	s.warnings = [][]*string{{ptr("Error"), ptr(strconv.Itoa(int(e.Num))), ptr(e.Message)}}
	s.warningCount = 1
}

// keepWarnings keeps the count warnings that a statement running on several
// connections left on bc, before bc goes back: SHOW WARNINGS then lists every
// connection's, as one server lists the statement's, naming the keyspace
// where a shard names its database. once: the statement is the same on
// every shard (DDL), so a warning another shard gave (Unknown table
// 'ks.t') is the statement's once. It returns how many warnings it kept.
func (s *session) keepWarnings(bc *backend.Conn, count uint16, once bool) uint16 {
	if count == 0 || bc.Broken {
		return 0
	}
	if s.warnings == nil {
		s.warnings = [][]*string{}
	}
	res, err := bc.Exec("SHOW WARNINGS")
	if err != nil {
		s.log.Warn().Err(err).Str("shard", bc.String()).Msg("reading a statement's warnings")
		s.warningCount += uint64(count)
		return count
	}
	kept := count
	for _, r := range res.Rows {
		row := make([]*string, len(r))
		for i, v := range r {
			if v != nil {
				row[i] = ptr(string(v))
			}
		}
		if len(row) == len(warningColumns) && row[1] != nil && row[2] != nil {
			code, _ := strconv.ParseUint(*row[1], 10, 16)
			row[2] = ptr(bc.InKeyspace(uint16(code), *row[2]))
		}
		if once && slices.ContainsFunc(s.warnings, func(w []*string) bool { return sameWarning(w, row) }) {
			kept--
			continue
		}
		if len(s.warnings) < maxWarnings {
			s.warnings = append(s.warnings, row)
		}
	}
	s.warningCount += uint64(kept)
	return kept
}

// sameWarning: two rows of SHOW WARNINGS are the same warning.
func sameWarning(a, b []*string) bool {
	return slices.EqualFunc(a, b, func(x, y *string) bool { return x == y || x != nil && y != nil && *x == *y })
}

// release gives back a connection the session does not hold. One whose last
// statement left warnings is kept until the next statement, so SHOW WARNINGS
// reads them from the right backend.
func (s *session) release(bc *backend.Conn, held bool, warnings uint16) {
	if warnings > 0 && !bc.Broken {
		s.warnSrc, s.warnSrcCount = bc, warnings
	}
	if held {
		return
	}
	if warnings > 0 && !bc.Broken {
		s.warnConn = bc
		return
	}
	s.putBack(bc)
}

// forward sends one statement to one shard and relays the result. A read
// whose connection broke before anything was relayed is sent again once, on
// another connection; a write is not (it may have run): the pool only hands
// out connections it found alive (pool.live).
func (s *session) forward(shard *conf.Shard, sql string, kind planner.Kind, more bool) (relayed, error) {
	for attempt := 0; ; attempt++ {
		bc, held, err := s.acquireRead(shard)
		if err != nil {
			return relayed{}, err
		}
		if kind == planner.KindShow && shard.Database != shard.Keyspace {
			s.showShard = shard
		}
		if p := s.stats.plan; p != nil && p.SystemRead && shard.Database != shard.Keyspace {
			s.schemaShard = shard
		}
		s.lastInsertIDFirst(bc, s.stats.plan)
		res, err := s.relayQuery(bc, sql, more)
		s.showShard, s.schemaShard = nil, nil
		if err != nil && !res.started && bc.Broken && !held && attempt == 0 && kind.IsRead() {
			s.putBack(bc)
			continue
		}
		if bc.Broken && held {
			s.dropHeld(bc) // the shard's part of the transaction is gone with it
			s.putBack(bc)
			return res, err
		}
		if err == nil && res.ok.InsertID != 0 {
			plan, args := s.clientPlan(sql)
			s.syncLastInsertID(bc, res.ok.InsertID, plan, args)
		} else if p := s.stats.plan; err == nil && res.backendErr == nil && p != nil && p.SetsLastInsertID {
			s.readLastInsertID(bc) // LAST_INSERT_ID(expr) in a SELECT, SET or DO
		}
		s.release(bc, held, res.warnings)
		if res.backendErr != nil {
			s.deadlocked(res.backendErr.Num)
		}
		return res, err
	}
}
