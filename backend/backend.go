// Package backend holds the connections to the shards: one pool per shard
// (bounded, dialed with back-off while the shard is down, idle connections
// checked for liveness before use) and the command phase spoken on each
// connection directly, so that the sidecar can relay a reply to its client
// packet by packet. Sessions take connections through one place (the
// session's acquire in package sidecar) and give them back with Put.
package backend

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/go-mysql-org/go-mysql/client"
	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/rs/zerolog"

	"sidecar/conf"
	"sidecar/metrics"
	"sidecar/mysql"
	"sidecar/sqlerr"
	"sidecar/vindex"
)

// DefaultNames is the character set every backend connection starts with; a
// session whose client uses another one sends its SET NAMES first.
const DefaultNames = "SET NAMES utf8mb4 COLLATE utf8mb4_general_ci"

// Conn is one connection to a shard. go-mysql's client does the
// handshake and authentication; after that the sidecar speaks the command
// phase itself so results can be relayed to the client packet by packet.
type Conn struct {
	Pool  *Pool
	cc    *client.Conn
	Wire  *mysql.Conn // the command phase: the sidecar reads and writes packets here
	Names string      // SET NAMES statement in effect
	// SelectLimit is the sql_select_limit a session set on the connection
	// ("": the server's default, no limit).
	SelectLimit string

	// stmts are the statements prepared on this connection, by SQL text and
	// the sql_mode they were read in. They
	// survive the connection's trips through the pool, so a prepared statement
	// is prepared once per backend connection, not once per execute.
	stmts map[stmtKey]Stmt

	// Stateful is true once a session left state behind (variables,
	// temporary tables, locks): the connection is reset before reuse.
	Stateful bool
	InTxn    bool // a BEGIN was sent and no COMMIT/ROLLBACK since

	// Pending are statements (BEGIN, replayed savepoints) that go out in
	// the same write as the next command, so joining a transaction costs no
	// round trip of its own.
	Pending []string
	cmd     [1]byte // scratch for the command byte: no allocation per command
	// Broken: an I/O error or a half-read reply left the connection unusable;
	// Put closes it.
	Broken bool
	// foundRows: the connection was opened with CLIENT_FOUND_ROWS.
	foundRows bool
	idleSince time.Time // when it went back to the pool
	// db is the database selected on the connection when it is not the
	// shard's own (""): a system schema a session's statement runs in.
	db string
	// maxPacket is the connection's max_allowed_packet (fixed when it
	// opened; 0: unknown). Send refuses longer commands.
	maxPacket int64
	// serverMode is the sql_mode the server gives the connection (its
	// global one when it connected), or UnknownMode.
	serverMode string
	// sent counts the commands sent; abort is the error to report when
	// command abort.command is interrupted by the sidecar's own KILL QUERY
	// (a lock wait it broke: see AbortWith).
	sent  atomic.Uint64
	abort atomic.Pointer[abort]
}

type abort struct {
	err     *sqlerr.Error
	command uint64
}

// SelectDB makes db the connection's current database ("" for the shard's
// own) with a USE that goes out with the next command.
func (bc *Conn) SelectDB(db string) {
	if bc.db == db {
		return
	}
	name := db
	if name == "" {
		name = bc.Pool.Shard.Database
	}
	bc.Pending = append(bc.Pending, "USE "+vindex.QuoteIdent(name))
	bc.db = db
}

// Stmt is a statement prepared on a backend connection: the backend's id and
// its number of parameters.
type Stmt struct {
	ID        uint32
	NumParams uint16
}

// While a shard refuses connections, statements that need it fail at once
// rather than each trying to connect; a new attempt is made after a back-off
// that doubles up to maxDialBackoff, which bounds how long a shard that is
// back stays unused.
const (
	minDialBackoff = 50 * time.Millisecond
	maxDialBackoff = 500 * time.Millisecond
)

// liveCheckAfter: a connection idle in the pool for longer is checked before
// use (liveness.go): the server may have closed it meanwhile (a restart,
// wait_timeout). One used more recently is taken as it is, saving a system
// call on the hot path.
const liveCheckAfter = time.Second

// Pool holds the connections of one shard. Its size bounds open connections;
// a shard that refuses connections is retried with backoff and logged once
// per change of state, not once per attempt.
//
// Connections differ in one handshake flag that no statement can change:
// CLIENT_FOUND_ROWS, which makes an UPDATE count the rows it matched rather
// than those it changed. A client that asked for it (Django, Rails,
// Hibernate do) gets connections that have it.
type Pool struct {
	Shard   *conf.Shard
	name    string // keyspace/shard, for messages
	log     zerolog.Logger
	idle    [2]chan *Conn // by CLIENT_FOUND_ROWS: idle[1] have it
	slots   chan struct{} // one token per open connection
	timeout time.Duration
	Hint    []byte // shard hint comment prepended to every statement
	// OwnHint reports a statement whose own hint comment stands: it is sent
	// without Hint (ProxySQL reads only the first comment, so a second one
	// would be ignored at best, contradict at worst).
	OwnHint func(sql string) bool
	// pipeline: the backend reads a command sent before the reply to the
	// previous one, so pending statements share the command's write. Not
	// behind ProxySQL (a shard with a hostgroup), which drops such a
	// connection.
	pipeline bool
	version  atomic.Pointer[string] // the backend's, from its greeting
	// schemaAs is the keyspace as a length-encoded string, nil when the
	// shard's database has the keyspace's name (see ColumnDef).
	schemaAs []byte
	Stats    *metrics.Shard
	// SessionMode is the sql_mode the sidecar's sessions start in (the
	// first shard's; UnknownMode until it answered; nil: none). A
	// connection the server gives another one is set to it: the sidecar
	// writes values, and clients write statements, for one sql_mode, and a
	// backslash means something else under NO_BACKSLASH_ESCAPES.
	SessionMode func() string
	modeWarned  atomic.Bool // the log said once that the server's sql_mode differs

	mu      sync.Mutex
	downErr error // last connect error while the shard is down
	retryAt time.Time
	backoff time.Duration
	closed  bool
}

func NewPool(shard *conf.Shard, log zerolog.Logger) *Pool {
	var schemaAs []byte
	if shard.Database != shard.Keyspace {
		schemaAs = mysql.AppendLenEncString(nil, shard.Keyspace)
	}
	return &Pool{
		schemaAs: schemaAs,
		Shard:    shard,
		name:     shard.Keyspace + "/" + shard.Name,
		log:      log.With().Str("keyspace", shard.Keyspace).Str("shard", shard.Name).Str("backend", shard.Address).Logger(),
		idle:     [2]chan *Conn{make(chan *Conn, shard.PoolSize), make(chan *Conn, shard.PoolSize)},
		slots:    make(chan struct{}, shard.PoolSize),
		timeout:  shard.ConnectTimeout,
		pipeline: !shard.HasHostgroup,
		Stats:    metrics.NewShard(shard.Keyspace, shard.Name),
	}
}

func flavor(foundRows bool) int {
	if foundRows {
		return 1
	}
	return 0
}

// get returns an idle connection or opens one, waiting at most until ctx's
// deadline for a free slot. An idle connection of the other flavor gives its
// slot up when no other is free.
func (p *Pool) get(ctx context.Context, foundRows bool) (*Conn, error) {
	want, other := p.idle[flavor(foundRows)], p.idle[1-flavor(foundRows)]
	for {
		select {
		case bc := <-want:
			if bc = p.live(bc); bc != nil {
				return bc, nil
			}
			continue
		case p.slots <- struct{}{}:
			return p.open(ctx, foundRows)
		default:
		}
		p.Stats.Waited() // every connection is in use
		select {
		case bc := <-want:
			if bc = p.live(bc); bc != nil {
				return bc, nil
			}
		case p.slots <- struct{}{}:
			return p.open(ctx, foundRows)
		case bc := <-other:
			_ = bc.cc.Close() // its slot is now the new connection's
			return p.open(ctx, foundRows)
		case <-ctx.Done():
			return nil, sqlerr.New(1040, "08004", "shard %s/%s: no free backend connection within %s (pool_size %d)",
				p.Shard.Keyspace, p.Shard.Name, p.timeout, p.Shard.PoolSize)
		}
	}
}

// live returns an idle connection if the server has not closed it; a dead
// one is discarded (nil), so a statement never goes out on it.
func (p *Pool) live(bc *Conn) *Conn {
	if time.Since(bc.idleSince) < liveCheckAfter || bc.Wire.Buffered() == 0 && connAlive(bc.Wire.NetConn()) {
		return bc
	}
	p.log.Debug().Msg("a pooled connection was closed by the server; replacing it")
	p.discard(bc)
	return nil
}

// open dials a connection into a slot the caller holds, freeing the slot if
// it fails.
func (p *Pool) open(ctx context.Context, foundRows bool) (*Conn, error) {
	bc, err := p.dial(ctx, foundRows)
	if err != nil {
		<-p.slots
		return nil, err
	}
	return bc, nil
}

// Get is get with the shard's connect timeout as deadline.
func (p *Pool) Get(foundRows bool) (*Conn, error) {
	select {
	case bc := <-p.idle[flavor(foundRows)]: // the common case, without a timer
		if bc = p.live(bc); bc != nil {
			return bc, nil
		}
	default:
	}
	ctx, cancel := context.WithTimeout(context.Background(), p.timeout)
	defer cancel()
	return p.get(ctx, foundRows)
}

// Connect opens a connection to sh's server, on database db ("" for none),
// whose dial, greeting and login all end within timeout (or ctx's deadline,
// if sooner): go-mysql bounds only the dial, so a server that accepts and
// never greets (stopped, or not a MySQL server) held the caller forever.
// Every backend connection is opened here: the pools' and the sidecar's
// own, outside them (KILL).
func Connect(ctx context.Context, sh *conf.Shard, db string, timeout time.Duration, options ...client.Option) (*client.Conn, error) {
	deadline := time.Now().Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	var raw net.Conn
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{Deadline: deadline}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		if err := c.SetDeadline(deadline); err != nil {
			c.Close()
			return nil, err
		}
		raw = c
		return c, nil
	}
	options = append(options, func(c *client.Conn) error {
		c.UnsetCapability(gomysql.CLIENT_QUERY_ATTRIBUTES)
		if sh.TLS != nil {
			c.SetTLSConfig(sh.TLS)
		}
		return nil
	})
	cc, err := client.ConnectWithDialer(ctx, "", sh.Address, sh.User, sh.Password, db, dial, options...)
	if err != nil {
		return nil, err
	}
	if err := raw.SetDeadline(time.Time{}); err != nil {
		cc.Close()
		return nil, err
	}
	return cc, nil
}

func (p *Pool) dial(ctx context.Context, foundRows bool) (*Conn, error) {
	p.mu.Lock()
	if time.Now().Before(p.retryAt) {
		err := p.downErr
		p.mu.Unlock()
		return nil, p.unavailable(err)
	}
	p.mu.Unlock()

	cc, err := Connect(ctx, p.Shard, p.Shard.Database, p.timeout,
		func(c *client.Conn) error {
			// The client protocol is relayed as is, so the backend must use
			// the framing the client expects: classic EOF packets, no query
			// attributes (Connect).
			c.UnsetCapability(gomysql.CLIENT_DEPRECATE_EOF)
			if err := c.SetCapability(gomysql.CLIENT_MULTI_RESULTS); err != nil {
				return err
			}
			// LOAD DATA LOCAL: the client's file is relayed (or refused
			// by the sidecar for a client that did not enable it).
			if err := c.SetCapability(gomysql.CLIENT_LOCAL_FILES); err != nil {
				return err
			}
			if foundRows {
				if err := c.SetCapability(gomysql.CLIENT_FOUND_ROWS); err != nil {
					return err
				}
			}
			return c.SetCollation("utf8mb4_general_ci")
		})
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil {
		if p.downErr == nil {
			p.log.Error().Err(err).Msg("backend unavailable")
			p.backoff = minDialBackoff
		} else {
			p.backoff = min(2*p.backoff, maxDialBackoff)
		}
		p.downErr = err
		p.retryAt = time.Now().Add(p.backoff)
		return nil, p.unavailable(err)
	}
	if p.downErr != nil {
		p.log.Info().Msg("backend available again")
		p.downErr = nil
	}
	v := cc.GetServerVersion()
	p.version.Store(&v)
	bc := &Conn{Pool: p, cc: cc, Wire: mysql.NewConn(cc.Conn.Conn, 16<<10), Names: DefaultNames, stmts: map[stmtKey]Stmt{},
		foundRows: foundRows, serverMode: UnknownMode}
	bc.learnServerDefaults()
	if err := bc.setSessionDefaults(); err != nil {
		bc.cc.Close()
		return nil, err
	}
	return bc, nil
}

// setSessionDefaults applies the shard's session settings to a new or reset
// connection, and the sql_mode the sessions start in where the server's
// differs.
func (bc *Conn) setSessionDefaults() error {
	var sets []string
	if d := bc.Pool.Shard.LockWaitTimeout; d > 0 {
		sets = append(sets, fmt.Sprintf("innodb_lock_wait_timeout = %d", d/time.Second))
	}
	if mode, ok := bc.Pool.sessionMode(); ok && bc.serverMode != UnknownMode && mode != bc.serverMode {
		sets = append(sets, "sql_mode = '"+mode+"'")
		if !bc.Pool.modeWarned.Swap(true) {
			bc.Pool.log.Warn().Str("server_sql_mode", bc.serverMode).Str("sql_mode", mode).
				Msg("the backend's sql_mode is not the one sessions start in (the first shard's): its connections are set to that one")
		}
	}
	if len(sets) == 0 {
		return nil
	}
	_, err := bc.Exec("SET SESSION " + strings.Join(sets, ", "))
	return err
}

// sessionMode is the sql_mode sessions start in; ok when it is known and
// plain (a mode's text is names and commas; nothing else is written into
// SQL).
func (p *Pool) sessionMode() (mode string, ok bool) {
	if p.SessionMode == nil {
		return "", false
	}
	mode = p.SessionMode()
	return mode, mode != UnknownMode && strings.Trim(mode, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_,") == ""
}

// learnServerDefaults reads the connection's max_allowed_packet (the
// server's global value when it connected) for Send to check commands
// against, and its sql_mode. Without an answer (a proxy in between that
// does not give one) neither is known: nothing is checked or set.
func (bc *Conn) learnServerDefaults() {
	res, err := bc.Exec("SELECT @@max_allowed_packet, @@SESSION.sql_mode")
	if err != nil || len(res.Rows) != 1 || len(res.Rows[0]) != 2 {
		return
	}
	if n, err := strconv.ParseInt(string(res.Rows[0][0]), 10, 64); err == nil && n > 0 {
		bc.maxPacket = n
	}
	if mode := res.Rows[0][1]; mode != nil {
		bc.serverMode = string(mode)
	}
}

func (p *Pool) unavailable(err error) error {
	var me *gomysql.MyError
	if errors.As(err, &me) {
		return sqlerr.New(me.Code, me.State, "shard %s/%s (%s): %s", p.Shard.Keyspace, p.Shard.Name, p.Shard.Address, me.Message)
	}
	// 1105, as Vitess answers for an unavailable shard: client libraries
	// refuse their own client-side codes (2003, 2013) from a server.
	return sqlerr.New(1105, "HY000", "shard %s/%s: cannot connect to backend %s: %v", p.Shard.Keyspace, p.Shard.Name, p.Shard.Address, err)
}

// Put returns a connection; broken ones are closed and their slot freed.
func (p *Pool) Put(bc *Conn) {
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	if bc.Broken || closed {
		p.discard(bc)
		return
	}
	bc.Pending = nil // never sent: the connection did not join anything
	if bc.db != "" {
		// Back to the shard's database (a USE still pending is dropped
		// with the rest: selecting it again is right either way).
		if _, err := bc.Exec("USE " + vindex.QuoteIdent(bc.Pool.Shard.Database)); err != nil {
			p.discard(bc)
			return
		}
		bc.db = ""
	}
	if bc.InTxn {
		bc.Stateful = true // a transaction left open is rolled back by the reset
	}
	if bc.Stateful {
		if err := bc.reset(); err != nil {
			p.discard(bc)
			return
		}
	}
	bc.idleSince = time.Now()
	p.idle[flavor(bc.foundRows)] <- bc
}

func (p *Pool) discard(bc *Conn) {
	bc.cc.Close()
	<-p.slots
}

// Close closes idle connections; busy ones are closed when they come back.
func (p *Pool) Close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	for _, idle := range p.idle {
		for done := false; !done; {
			select {
			case bc := <-idle:
				_ = bc.cc.Quit() // say goodbye, so the backend does not log an aborted connection
				<-p.slots
			default:
				done = true
			}
		}
	}
}

// Send writes a command and leaves its reply to the caller. The statements
// pending on the connection (BEGIN, savepoints, USE) go first: in the same
// write as the command when the backend reads commands ahead of its replies
// (MariaDB and MySQL do; pool.pipeline), each in a round trip of its own
// otherwise (ProxySQL handles one command at a time and drops a connection
// that sends ahead). A pending statement that fails marks the connection
// broken: the command after it would run outside the state it needs.
func (bc *Conn) Send(cmd byte, a, b []byte) error {
	if limit, size := bc.maxPacket, int64(1+len(a)+len(b)); limit > 0 && size > limit {
		// The server would answer ERROR 1153 and close the connection while
		// the command is still being written: the client would only see the
		// connection lost. Nothing is sent; the connection stays usable.
		return sqlerr.New(1153, "08S01", "a statement of %d bytes is more than max_allowed_packet (%d) of shard %s: not sent",
			size, limit, bc.Pool.name)
	}
	bc.sent.Add(1)
	pending := bc.Pending
	bc.Pending = nil
	bc.cmd[0] = mysql.ComQuery
	for _, q := range pending {
		bc.Wire.Seq = 0
		if err := bc.Wire.WritePacketParts(bc.cmd[:], bc.hintFor(q), stringBytes(q)); err != nil {
			return bc.Fail(err)
		}
		if !bc.Pool.pipeline {
			if err := bc.readPending(); err != nil {
				return err
			}
		}
	}
	bc.Wire.Seq = 0
	bc.cmd[0] = cmd
	if err := bc.Wire.WritePacketParts(bc.cmd[:], a, b); err != nil {
		return bc.Fail(err)
	}
	// The reply's sequence numbers follow the command's last packet: 1 after
	// a command of one packet, more after one of 16 MiB or longer.
	replySeq := bc.Wire.Seq
	if err := bc.Wire.Flush(); err != nil {
		return bc.Fail(err)
	}
	if bc.Pool.pipeline {
		for range pending {
			if err := bc.readPending(); err != nil {
				return err
			}
		}
	}
	bc.Wire.Seq = replySeq
	return nil
}

// readPending reads the reply of a pending statement (a short one: one
// packet, so its reply starts at sequence 1), sending it first when it is
// still buffered.
func (bc *Conn) readPending() error {
	if err := bc.Wire.Flush(); err != nil {
		return bc.Fail(err)
	}
	bc.Wire.Seq = 1
	if _, err := bc.ReadResult(); err != nil {
		bc.Broken = true
		return err
	}
	return nil
}

// SendQuery sends a statement text (COM_QUERY, COM_STMT_PREPARE) with the
// shard hint in front.
func (bc *Conn) SendQuery(cmd byte, sql string) error {
	return bc.Send(cmd, bc.hintFor(sql), stringBytes(sql))
}

// stringBytes views s as bytes without copying it: statements are written to
// the connection's buffer as they are, and the bytes are only ever read.
func stringBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// Fail marks the connection broken after a failed write and returns the
// error the client sees.
func (bc *Conn) Fail(err error) error {
	bc.Broken = true
	return bc.Lost(err)
}

// reset clears session state with COM_RESET_CONNECTION, which also drops the
// connection's prepared statements and character set.
func (bc *Conn) reset() error {
	bc.Pending = nil
	if err := bc.Send(mysql.ComResetConnection, nil, nil); err != nil {
		return err
	}
	p, err := bc.Wire.ReadPacket()
	if err != nil {
		bc.Broken = true
		return err
	}
	if p[0] != 0x00 {
		return bc.Err(p)
	}
	clear(bc.stmts)
	bc.Names, bc.SelectLimit = "", ""
	bc.Stateful, bc.InTxn = false, false
	return bc.setSessionDefaults()
}

// Exec runs one statement whose result the sidecar consumes itself (SET NAMES,
// BEGIN, COMMIT, replayed session variables, internal queries) and returns its
// rows as raw text values.
func (bc *Conn) Exec(sql string) (*Result, error) {
	return bc.exec(sql, false)
}

// ExecDefs is Exec keeping the definitions of the columns of rows it returns,
// for a write whose rows go to the client (INSERT … RETURNING).
func (bc *Conn) ExecDefs(sql string) (*Result, error) {
	return bc.exec(sql, true)
}

func (bc *Conn) exec(sql string, defs bool) (*Result, error) {
	if err := bc.SendQuery(mysql.ComQuery, sql); err != nil {
		return nil, err
	}
	res, err := bc.readResult(defs)
	if err != nil {
		return nil, err
	}
	return res, nil
}

// Result is a fully read result, for the sidecar's own queries.
type Result struct {
	OK      mysql.OK
	Columns int
	Kinds   []vindex.Kind // how vindexes should read each column
	Defs    [][]byte      // the column definitions as the client knows them (ColumnDef; ExecDefs only)
	Rows    [][][]byte    // raw text values, nil = NULL
}

// ReadResult reads the whole reply of a statement sent with Send or
// SendQuery: every result set's rows, and the final OK.
func (bc *Conn) ReadResult() (*Result, error) { return bc.readResult(false) }

func (bc *Conn) readResult(defs bool) (*Result, error) {
	res := &Result{}
	for {
		p, err := bc.Wire.ReadPacket()
		if err != nil {
			bc.Broken = true
			return nil, bc.Lost(err)
		}
		switch {
		case p[0] == 0x00:
			res.OK, _ = mysql.ParseOK(p)
		case p[0] == 0xff:
			return nil, bc.Err(p)
		default:
			n, _, _, _ := mysql.ReadLenEncInt(p)
			res.Columns = int(n)
			if err := bc.readTextRows(res, defs); err != nil {
				return nil, err
			}
		}
		if res.OK.Status&mysql.StatusMoreResults == 0 {
			return res, nil
		}
	}
}

func (bc *Conn) readTextRows(res *Result, defs bool) error {
	res.Kinds = make([]vindex.Kind, res.Columns)
	for i := 0; i <= res.Columns; i++ { // column definitions, then EOF
		p, err := bc.Wire.ReadPacket()
		if err != nil {
			bc.Broken = true
			return bc.Lost(err)
		}
		if i < res.Columns {
			res.Kinds[i] = columnKind(p)
			if defs {
				a, b, c := bc.ColumnDef(p)
				res.Defs = append(res.Defs, slices.Concat(a, b, c))
			}
		}
	}
	for {
		p, err := bc.Wire.ReadPacket()
		if err != nil {
			bc.Broken = true
			return bc.Lost(err)
		}
		if p[0] == 0xff {
			return bc.Err(p)
		}
		if mysql.IsEOF(p) {
			res.OK.Warnings, res.OK.Status = uint16(p[1])|uint16(p[2])<<8, uint16(p[3])|uint16(p[4])<<8
			return nil
		}
		row := make([][]byte, res.Columns)
		pos := 0
		for c := range row {
			n, null, size, _ := mysql.ReadLenEncInt(p[pos:])
			pos += size
			if !null {
				row[c] = append([]byte{}, p[pos:pos+int(n)]...)
				pos += int(n)
			}
		}
		res.Rows = append(res.Rows, row)
	}
}

// hintFor is the shard hint to put before sql: none when the statement
// carries a hint of its own that stands (Pool.OwnHint).
func (bc *Conn) hintFor(sql string) []byte {
	p := bc.Pool
	if len(p.Hint) == 0 || p.OwnHint == nil || !strings.Contains(sql, "/*") || !p.OwnHint(sql) {
		return p.Hint
	}
	return nil
}

// columnKind reads a column definition's type: integers are numbers for the
// vindexes, binary strings are bytes, other strings text.
func columnKind(def []byte) vindex.Kind {
	pos := 0
	for range 6 { // catalog, schema, table, org_table, name, org_name
		n, _, size, ok := mysql.ReadLenEncInt(def[pos:])
		if !ok {
			return vindex.VarBinary
		}
		pos += size + int(n)
	}
	if pos+10 > len(def) {
		return vindex.VarBinary
	}
	charset := uint16(def[pos+1]) | uint16(def[pos+2])<<8
	typ := def[pos+7]
	flags := uint16(def[pos+8]) | uint16(def[pos+9])<<8
	switch typ {
	case mysql.TypeTiny, mysql.TypeShort, mysql.TypeLong, mysql.TypeLongLong, mysql.TypeInt24, mysql.TypeYear:
		if flags&mysql.FlagUnsigned != 0 {
			return vindex.Uint64
		}
		return vindex.Int64
	case mysql.TypeDecimal, mysql.TypeNewDecimal:
		return vindex.Decimal
	case mysql.TypeFloat, mysql.TypeDouble:
		return vindex.Float64
	}
	if charset == 63 {
		return vindex.VarBinary
	}
	return vindex.VarChar
}

// Err reads an ERR packet the backend answered with. Some errors come just
// before the server closes the connection (SQLSTATE class 08: a packet past
// max_allowed_packet, a shutdown; the connection killed; MySQL 8's idle
// timeout): the connection is marked broken then, so that it is closed, not
// pooled for a statement that would find it dead.
//
// The message names the keyspace where the backend names the shard's
// database (Table 'shop.customer' doesn't exist, not 'shop_lo.customer'),
// as the client knows it (InKeyspace).
func (bc *Conn) Err(p []byte) *sqlerr.Error {
	e := mysql.ParseErr(p)
	if e.Num == erQueryInterrupted {
		if a := bc.abort.Swap(nil); a != nil && a.command == bc.sent.Load() {
			return a.err
		}
	}
	if strings.HasPrefix(e.State, "08") || e.Num == erConnectionKilled || e.Num == erClientInteractionTimeout {
		bc.Broken = true
	}
	e.Message = bc.InKeyspace(e.Num, e.Message)
	return e
}

// ColumnDef is a column definition the shard sent, as the client knows it:
// naming the keyspace where it names the shard's database as its schema. It
// is the concatenation a+b+c (for mysql.Conn.WritePacketParts); b and c are
// nil when the definition stays as it is.
func (bc *Conn) ColumnDef(def []byte) (a, b, c []byte) {
	as := bc.Pool.schemaAs
	if as == nil {
		return def, nil, nil
	}
	spans, ok := mysql.ColumnDefStrings(def)
	if !ok || string(def[spans[1][0]:spans[1][1]]) != bc.Pool.Shard.Database {
		return def, nil, nil
	}
	return def[:spans[0][1]], as, def[spans[1][1]:]
}

// InKeyspace is a message of the backend's, of an error or a warning number
// num, naming the keyspace where it names the shard's database.
func (bc *Conn) InKeyspace(num uint16, msg string) string {
	if sh := bc.Pool.Shard; sh.Database != sh.Keyspace && strings.Contains(msg, sh.Database) {
		return keyspaceNames(num, msg, sh.Database, sh.Keyspace)
	}
	return msg
}

// keyspaceNames is message msg (of error or warning num) with database db
// named keyspace where it names db's tables: `db`.`t`.`c` (MariaDB quotes a
// column so, never a value), and 'db.t' in the errors whose quoted text
// names tables. A value or a name the client wrote that happens to read db
// stays as it is.
func keyspaceNames(num uint16, msg, db, keyspace string) string {
	msg = strings.ReplaceAll(msg, "`"+db+"`.", "`"+keyspace+"`.")
	switch num {
	case erNoSuchTable, erBadTable: // 'db.t', or 'db.t1,db.t2' (DROP TABLE of several)
		msg = strings.ReplaceAll(msg, "'"+db+".", "'"+keyspace+".")
		msg = strings.ReplaceAll(msg, ","+db+".", ","+keyspace+".")
	case erNoSuchRoutine: // FUNCTION db.f does not exist
		msg = strings.Replace(msg, " "+db+".", " "+keyspace+".", 1)
	}
	return msg
}

// MySQL and MariaDB error numbers: the first two end the connection outside
// SQLSTATE class 08; the next three name a table or routine db.t
// (keyspaceNames).
const (
	erConnectionKilled         = 1927 // MariaDB's KILL CONNECTION
	erClientInteractionTimeout = 4031 // MySQL 8's wait_timeout
	erNoSuchTable              = 1146 // Table 'db.t' doesn't exist
	erBadTable                 = 1051 // Unknown table 'db.t'
	erNoSuchRoutine            = 1305 // FUNCTION db.f does not exist
	erQueryInterrupted         = 1317 // a KILL QUERY interrupted the statement
)

// Command identifies the command the connection runs (or ran last), for
// AbortWith.
func (bc *Conn) Command() uint64 { return bc.sent.Load() }

// AbortWith makes e the error of command (Command) should a KILL QUERY the
// caller sends next interrupt it: a later command interrupted otherwise
// reports its own error.
func (bc *Conn) AbortWith(e *sqlerr.Error, command uint64) {
	own := *e // the caller's may be shared
	bc.abort.Store(&abort{&own, command})
}

// Lost turns an I/O failure into the error the client sees.
func (bc *Conn) Lost(err error) error {
	sh := bc.Pool.Shard
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return sqlerr.New(1105, "HY000", "shard %s/%s: lost connection to backend %s: timeout", sh.Keyspace, sh.Name, sh.Address)
	}
	return sqlerr.New(1105, "HY000", "shard %s/%s: lost connection to backend %s: %v", sh.Keyspace, sh.Name, sh.Address, err)
}

func (bc *Conn) String() string { return bc.Pool.name }

// Retired reports whether the pool left the state in force (a reload
// changed or removed its shard).
func (p *Pool) Retired() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

// Version is the backend's version from its greeting; "" until a connection
// was made.
func (p *Pool) Version() string {
	if v := p.version.Load(); v != nil {
		return *v
	}
	return ""
}

// Usage counts the pool's connections in use and idle.
func (p *Pool) Usage() (inUse, idle int) {
	idle = len(p.idle[0]) + len(p.idle[1])
	// The two lengths are read apart: a connection moving meanwhile must
	// not show as -1 in use.
	return max(len(p.slots)-idle, 0), idle
}

// ConnectionID is the backend's id of the connection (the one KILL takes).
func (bc *Conn) ConnectionID() uint32 { return bc.cc.GetConnectionID() }
