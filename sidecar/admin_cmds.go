package sidecar

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	gomysql "github.com/go-mysql-org/go-mysql/mysql"

	"sidecar/backend"
	"sidecar/conf"
	"sidecar/mysql"
	"sidecar/planner"
	"sidecar/sqlerr"
)

// busyConns tracks the backend connections a session is using, so another
// connection's KILL can interrupt them. A session uses a few at a time (one
// per shard at most): a list is cheaper than a map.
type busyConns struct {
	mu    sync.Mutex
	conns []*backend.Conn
}

func (b *busyConns) add(bc *backend.Conn) {
	b.mu.Lock()
	b.conns = append(b.conns, bc)
	b.mu.Unlock()
}

func (b *busyConns) remove(bc *backend.Conn) {
	b.mu.Lock()
	if i := slices.Index(b.conns, bc); i >= 0 {
		last := len(b.conns) - 1
		b.conns[i], b.conns[last] = b.conns[last], nil
		b.conns = b.conns[:last]
	}
	b.mu.Unlock()
}

// killAll kills the statements running on the connections, as KILL QUERY
// does. The connections stay the session's meanwhile: one released during a
// kill would go back to the pool, and another session's statement on it be
// killed instead.
func (b *busyConns) killAll(srv *Server) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, bc := range b.conns {
		srv.killBackendQuery(bc)
	}
}

func (b *busyConns) list() []*backend.Conn {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.conns)
}

// activity is what SHOW PROCESSLIST shows of a session, which other
// sessions read while it runs.
type activity struct {
	mu       sync.Mutex
	user, db string
	command  string    // Sleep, Query or Execute
	since    time.Time // when the command began, or the session went idle
	info     string    // the statement running
}

// running notes that the session runs sql since start (command: Query, or
// Execute for a prepared statement).
func (s *session) running(command, sql string, start time.Time) {
	a := &s.activity
	a.mu.Lock()
	a.user, a.db, a.command, a.since, a.info = s.user, s.database(), command, start, sql
	a.mu.Unlock()
}

// idle notes that the session waits for its client's next command.
func (s *session) idle(now time.Time) {
	a := &s.activity
	a.mu.Lock()
	a.user, a.db, a.command, a.since, a.info = s.user, s.database(), "Sleep", now, ""
	a.mu.Unlock()
}

// database is the session's current database: its keyspace, or a backend's
// own schema; "" for none.
func (s *session) database() string {
	if s.keyspace != "" {
		return s.keyspace
	}
	return s.systemDB
}

var processlistColumns = []column{
	{name: "Id", typ: mysql.TypeLongLong, flags: mysql.FlagNotNull | mysql.FlagBinary},
	{name: "User"}, {name: "Host"}, {name: "db"}, {name: "Command"},
	{name: "Time", typ: mysql.TypeLong, flags: mysql.FlagNotNull | mysql.FlagBinary},
	{name: "State"}, {name: "Info"},
	{name: "Progress", typ: mysql.TypeNewDecimal, flags: mysql.FlagNotNull | mysql.FlagBinary},
}

// showProcesslist answers SHOW [FULL] PROCESSLIST with the sidecar's own
// sessions (Processes), whose ids are the ones CONNECTION_ID() returns and
// KILL takes, not the backends' connections. Info is cut to 100 characters
// unless full.
func (s *session) showProcesslist(full, more bool) error {
	var rows [][]*string
	for _, p := range s.Processes() {
		row := []*string{ptr(strconv.FormatUint(uint64(p.ID), 10)), ptr(p.User), ptr(p.Host), nil, ptr(p.Command),
			ptr(strconv.FormatInt(max(0, int64(p.Time/time.Second)), 10)), ptr(p.State), nil, ptr("0.000")}
		if p.DB != "" {
			row[3] = &p.DB
		}
		if p.Info != "" {
			info := p.Info
			if r := []rune(info); !full && len(r) > 100 {
				info = string(r[:100])
			}
			row[7] = &info
		}
		rows = append(rows, row)
	}
	return s.writeTable(more, processlistColumns, rows)
}

// putBack returns a connection the session no longer uses to its pool.
func (s *session) putBack(bc *backend.Conn) {
	if bc == s.warnSrc {
		s.warnSrc = nil // another session's now: SHOW WARNINGS must not read it
	}
	s.busy.remove(bc)
	bc.Pool.Put(bc)
}

// kill runs `KILL [QUERY | CONNECTION] id` against another session of this
// sidecar (connection ids are unique per process, as in the handshake):
// its in-flight backend statements are killed with KILL QUERY on their own
// backends, and for KILL CONNECTION its client connection is closed.
func (s *session) kill(k planner.Kill, more bool) error {
	target := s.srv.session(k.ID)
	if target == nil {
		return sqlerr.New(1094, "HY000", "Unknown thread id: %d", k.ID)
	}
	if target.user != s.user {
		return sqlerr.New(1095, "HY000", "You are not owner of thread %d", k.ID)
	}
	if !k.QueryOnly {
		target.killed.Store(true)
	}
	target.busy.killAll(s.srv)
	if !k.QueryOnly {
		_ = target.w.NetConn().SetReadDeadline(time.Now())
		if target == s {
			return errConnectionKilled
		}
	}
	return s.ok(more)
}

var errConnectionKilled = sqlerr.New(1927, "70100", "Connection was killed")

// timeLimit is a statement's max_statement_time, kept by the sidecar
// where the statements it sends for the client's do not carry it (merged,
// evaluated, written with lookup rows): when it passes, what the session's
// backend connections run is killed, as KILL QUERY would, and the
// statement fails as MariaDB's does.
type timeLimit struct {
	mu       sync.Mutex
	timer    *time.Timer
	ended    bool // the statement ended: the timer kills nothing more
	exceeded bool
}

var errTimeLimit = sqlerr.New(1969, "70100", "Query execution was interrupted (max_statement_time exceeded)")

// timeLimitGrace lets a backend that got the limit with the statement
// (forwarded with its SET STATEMENT) end it first, with its own error.
const timeLimitGrace = 100 * time.Millisecond

// startTimeLimit limits the statement about to run to d.
func (s *session) startTimeLimit(d time.Duration) {
	l := &timeLimit{}
	s.limit = l
	l.timer = time.AfterFunc(d+timeLimitGrace, func() {
		// Under the lock: the statement does not end (and the session run
		// another one) while its connections are being killed.
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.ended {
			return
		}
		l.exceeded = true
		s.busy.killAll(s.srv)
	})
}

// endTimeLimit ends the statement's time limit; err, its error, is
// MariaDB's for an exceeded one where it was.
func (s *session) endTimeLimit(err error) error {
	l := s.limit
	if l == nil {
		return err
	}
	s.limit = nil
	l.timer.Stop()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ended = true
	var relayed errRelayed // the client has its error already
	if l.exceeded && err != nil && !errors.As(err, &relayed) {
		return errTimeLimit
	}
	return err
}

// killBackendQuery interrupts the statement running on bc from a fresh
// connection to the same backend, as MySQL's own KILL QUERY does.
func (srv *Server) killBackendQuery(bc *backend.Conn) {
	srv.killOn(bc.Pool.Shard, "KILL QUERY "+itoa(int(bc.ConnectionID())))
}

// killOn runs a KILL statement on sh's server.
func (srv *Server) killOn(sh *conf.Shard, kill string) {
	kc, err := srv.adminConn(context.Background(), sh)
	if err != nil {
		srv.log.Warn().Err(err).Str("shard", sh.Keyspace+"/"+sh.Name).Msg("kill: cannot connect to backend")
		return
	}
	defer kc.Close()
	// Bounded as the login was: a kill holds the session's connections
	// (busyConns.killAll).
	_ = kc.SetDeadline(time.Now().Add(sh.ConnectTimeout))
	if _, err := kc.Execute(kill); err != nil {
		ev := srv.log.Warn()
		var me *gomysql.MyError
		if errors.As(err, &me) && (me.Code == 1094 || me.Code == 1957) { // unknown thread or query id
			ev = srv.log.Debug() // the statement ended, or its connection was closed, first
		}
		ev.Err(err).Str("shard", sh.Keyspace+"/"+sh.Name).Msg("kill query on backend")
	}
}

// adminConn opens a connection of its own to sh's server, outside the
// pools, for statements about the server's other connections.
func (srv *Server) adminConn(ctx context.Context, sh *conf.Shard) (*client.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, sh.ConnectTimeout)
	defer cancel()
	return backend.Connect(ctx, sh, "", sh.ConnectTimeout)
}

func (srv *Server) session(id uint32) *session {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	return srv.sessions[id]
}

// changeUser handles COM_CHANGE_USER as MySQL does: a full
// re-authentication (here always through an auth switch to
// mysql_native_password with a fresh scramble) and a reset of the session:
// transaction rolled back, variables, prepared statements and temporary
// state dropped, backend connections released. A wrong password fails with
// 1045 and leaves the session as it was, the old user's, as MariaDB does.
func (s *session) changeUser(p []byte) (quit bool) {
	user, rest, ok := bytes.Cut(p[1:], []byte{0})
	if !ok || len(rest) < 1 {
		s.writeError(mysql.ErrMalformed)
		return true
	}
	n := int(rest[0]) // the auth response, computed against a scramble we replace
	if len(rest) < 1+n {
		s.writeError(mysql.ErrMalformed)
		return true
	}
	rest = rest[1+n:]
	dbBytes, rest, _ := bytes.Cut(rest, []byte{0})
	// Copy what we keep: the next read reuses the packet buffer.
	userName, db := string(user), string(dbBytes)
	var charset uint8
	if len(rest) >= 2 {
		charset = rest[0]
	}
	salt := make([]byte, 20)
	_, _ = rand.Read(salt)
	for i := range salt { // the scramble must not contain NUL or '$'
		salt[i] = salt[i]%94 + 33
		if salt[i] == '$' {
			salt[i] = '#'
		}
	}
	sw := append([]byte{0xfe}, gomysql.AUTH_NATIVE_PASSWORD...)
	sw = append(append(append(sw, 0), salt...), 0)
	s.w.WritePacket(sw)
	if err := s.w.Flush(); err != nil {
		return true
	}
	reply, err := s.w.ReadPacket()
	if err != nil {
		return true
	}
	cred, found := s.srv.auth.credential(userName)
	if !found || !checkNative(reply, cred.Passwords[0], salt) {
		using := "YES"
		if len(reply) == 0 {
			using = "NO"
		}
		s.writeError(sqlerr.New(1045, "28000", "Access denied for user '%s'@'%s' (using password: %s)", userName, s.host, using))
		return false
	}
	s.reset()
	s.user = userName
	s.keyspace, s.target, s.systemDB = "", nil, ""
	if db != "" {
		if err := s.use(db); err != nil {
			s.writeError(err)
			return true
		}
	}
	if charset != 0 {
		s.initialNames = namesForCollation(charset)
		s.useNames(s.initialNames)
	}
	s.writeOK(0, 0, 0)
	return false
}

func checkNative(reply []byte, password string, salt []byte) bool {
	if password == "" {
		return len(reply) == 0
	}
	return len(reply) == 20 && gomysql.CompareNativePassword(reply, gomysql.NativePasswordHash([]byte(password)), salt)
}

// idleSlack is how much later than wait_timeout an idle client may be
// disconnected, at most (see idleDeadline).
const idleSlack = time.Second

// clientIdle notes the session idle (SHOW PROCESSLIST) and applies
// wait_timeout: an idle client is disconnected after it,
// as MySQL does (ProxySQL's monitor sets it). A server shutting down ends
// idle sessions at once: it set their deadlines to now, which this one must
// not push back (closing is checked after the deadline is set, as Shutdown
// sets closing before the deadlines).
func (s *session) clientIdle(now time.Time) {
	s.idle(now)
	if s.waitTimeout > 0 {
		if d, move := idleDeadline(now, s.idleDeadline, s.waitTimeout); move {
			s.idleDeadline = d
			_ = s.w.NetConn().SetReadDeadline(d)
		}
	}
	if s.srv.closing.Load() {
		_ = s.w.NetConn().SetReadDeadline(time.Now())
	}
}

// idleDeadline is when a client idle from now on is disconnected: never
// before wait_timeout, and at most a tenth of it (and idleSlack) later.
// Moving a deadline costs a timer update, on every command, so the current
// one is kept (move false) while it is within that window. A client that
// sleeps past wait_timeout and then checks its connection, as drivers do,
// finds it closed, as it would with MySQL.
func idleDeadline(now, current time.Time, waitTimeout time.Duration) (deadline time.Time, move bool) {
	earliest := now.Add(waitTimeout)
	slack := min(idleSlack, waitTimeout/10)
	if current.Before(earliest) || current.After(earliest.Add(slack)) {
		return earliest.Add(slack), true
	}
	return current, false
}
