// Package sidecar is the MySQL front end, the sessions and transactions, the
// shard pools and the executor of plans.
package sidecar

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"io"
	"maps"
	"net"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/server"
	"github.com/rs/zerolog"

	"sidecar/backend"
	"sidecar/conf"
	"sidecar/metrics"
	"sidecar/mysql"
	"sidecar/planner"
	"sidecar/sqlerr"
	"sidecar/vindex"
)

// The plan cache's bounds: plans of 10,000 statement shapes, about 64 MiB.
const (
	planCacheEntries = 10000
	planCacheBytes   = 64 << 20
)

// fallbackVersion is announced in the handshake until the first shard has
// told its own version (it was down when the sidecar started).
const fallbackVersion = "8.0.40"

// versionSuffix follows the backend's version in the handshake, so a client
// can tell it talks to the sidecar while it still reads MariaDB or MySQL.
const versionSuffix = "-sidecar"

const versionComment = "sidecar (sharding proxy, Vitess VSchema)"

// Server accepts MySQL clients and runs their statements on the shards.
type Server struct {
	log zerolog.Logger
	// cfg is the config the server started with, for the settings a
	// reload cannot change (conf.Config.Reloaded); the others are read
	// from the state in force (config()).
	cfg     *conf.Config
	started time.Time
	hs      *server.Server // handshake and authentication
	auth    *authHandler

	state atomic.Pointer[state] // config, planner and pools in force
	meta  metadata              // reloads and the VSchema store
	seqs  sequences
	cache *vindex.LookupCache // nil when lookup_cache.size is 0

	learnOnce sync.Once     // learnDefaults and watchLockWaits, at the first Serve
	stop      chan struct{} // closed by Shutdown
	// defaults is the backends' sql_mode, which sessions start with:
	// backend.UnknownMode until the first shard answered.
	defaults atomic.Pointer[modeDefault]
	names    knownNames
	conns    atomic.Int64 // client connections open, handshakes included

	mu       sync.Mutex
	sessions map[uint32]*session
	wg       sync.WaitGroup
	closing  atomic.Bool
	lns      []net.Listener
	admin    *http.Server
}

// New builds a server for cfg; nothing is opened until Serve.
func New(cfg *conf.Config, log zerolog.Logger) (*Server, error) {
	// caching_sha2_password's full authentication over plain TCP encrypts
	// the password with the server's RSA key.
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	var tlsConfig *tls.Config
	if cfg.TLS != nil {
		tlsConfig = cfg.TLS.Config
	}
	s := &Server{
		log:      log,
		cfg:      cfg,
		started:  time.Now(),
		auth:     newAuthHandler(cfg.Users, cfg.TLS != nil && cfg.TLS.Require),
		sessions: map[uint32]*session{},
		stop:     make(chan struct{}),
	}
	s.defaults.Store(&modeDefault{text: backend.UnknownMode})
	s.hs = server.NewServerWithAuth(fallbackVersion, 45, gomysql.AUTH_NATIVE_PASSWORD, key, tlsConfig, emptyPasswords{s.auth})
	s.seqs.srv = s
	if cfg.LookupCache.Size > 0 {
		// One per process: the expirable LRU's cleanup goroutine never exits.
		s.cache = vindex.NewLookupCache(cfg.LookupCache.Size, cfg.LookupCache.TTL)
	}
	s.swap(s.newState(cfg, 0, nil))
	s.meta.init(s, cfg)
	metrics.Observe(metricsSource{s})
	return s, nil
}

// hintFor is the comment every statement sent to sh starts with. It names
// only the keyspace and shard (few distinct values), so statement caches in
// ProxySQL and MySQL are not flooded.
func hintFor(sh *conf.Shard) []byte {
	h := "/* "
	if sh.HasHostgroup {
		h += "hostgroup=" + itoa(sh.Hostgroup) + ";"
	}
	return []byte(h + "keyspace=" + sh.Keyspace + ";shard=" + sh.Name + " */ ")
}

func (s *Server) uptime() time.Duration { return time.Since(s.started) }

// defaultKeyspace answers statements that name no table when the session has
// no keyspace: the first unsharded keyspace, else the first one.
func (s *Server) defaultKeyspace() *conf.Keyspace {
	t := s.topo()
	for _, name := range t.Names {
		if ks := t.Keyspaces[name]; !ks.Sharded {
			return ks
		}
	}
	return t.Keyspaces[t.Names[0]]
}

// firstPool is the pool of the first shard of the first keyspace, whose
// greeting the sidecar repeats to its clients.
func (s *Server) firstPool() *backend.Pool {
	st := s.state.Load()
	t := st.cfg.Topology
	return st.poolOf(t.Keyspaces[t.Names[0]].Shards[0])
}

// serverVersion is the version the handshake announces: the first shard's,
// so drivers pick MariaDB or MySQL syntax as they would talking to it.
func (s *Server) serverVersion() string {
	if v := s.firstPool().Version(); v != "" {
		return v + versionSuffix
	}
	return fallbackVersion + versionSuffix
}

// modeDefault is the backends' sql_mode: its flags and its whole text.
type modeDefault struct {
	mode planner.SQLMode
	text string
}

// learnDefaults connects to the first shard before the first client is
// greeted, which teaches the pool the version the handshake announces, and
// reads the sql_mode sessions start with. A shard down at start is asked
// again every few seconds until it answers: sessions started meanwhile do
// not know their sql_mode (backend.UnknownMode) and write values as for the
// default one, which NO_BACKSLASH_ESCAPES on the shards would contradict.
func (s *Server) learnDefaults() {
	if s.readDefaults(true) {
		return
	}
	go func() {
		for {
			time.Sleep(learnRetry)
			if s.closing.Load() {
				return
			}
			if s.readDefaults(false) {
				s.log.Info().Str("sql_mode", s.defaults.Load().text).Msg("first shard answered: sessions start in its sql_mode")
				return
			}
		}
	}()
}

// learnRetry is how often a first shard that was down at start is asked
// for its sql_mode.
const learnRetry = 2 * time.Second

// readDefaults asks the first shard for the sql_mode; warn logs a failure.
func (s *Server) readDefaults(warn bool) bool {
	p := s.firstPool()
	bc, err := p.Get(false)
	if err != nil {
		if warn {
			s.log.Warn().Err(err).Msg("first shard unavailable: announcing version " + fallbackVersion + " until it answers")
		}
		return false
	}
	defer p.Put(bc)
	res, err := bc.Exec("SELECT @@SESSION.sql_mode")
	if err != nil || len(res.Rows) != 1 || len(res.Rows[0]) != 1 {
		if warn {
			s.log.Warn().Err(err).Msg("reading the backends' sql_mode")
		}
		return false
	}
	text := string(res.Rows[0][0])
	s.defaults.Store(&modeDefault{mode: planner.ParseSQLMode(text), text: text})
	return true
}

// sessionMode is the sql_mode sessions start in (backend.UnknownMode until
// the first shard answered): every backend connection is brought to it.
func (s *Server) sessionMode() string { return s.defaults.Load().text }

func (s *Server) sessionCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

// Serve accepts clients on ln until Shutdown; one goroutine per connection.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	s.lns = append(s.lns, ln)
	s.mu.Unlock()
	s.learnOnce.Do(func() {
		s.learnDefaults()
		go s.watchLockWaits()
	})
	var delay time.Duration // after a failed Accept
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.closing.Load() {
				return nil
			}
			// Out of file descriptors (EMFILE), or any other error of one
			// accept: the listener is still good. Wait, a little longer
			// each time in a row, as net/http does, and go on.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			s.log.Error().Err(err).Dur("retry_in", delay).Msg("accept")
			time.Sleep(delay)
			continue
		}
		delay = 0
		s.wg.Add(1)
		go s.serveConn(nc)
	}
}

// errTooManyConnections is MySQL's answer to a client past max_connections.
var errTooManyConnections = sqlerr.New(1040, "08004", "Too many connections")

func (s *Server) serveConn(nc net.Conn) {
	defer s.wg.Done()
	defer nc.Close()
	// A bug must not take every other client down with this one: recovery
	// covers the connection from its first byte, the handshake included.
	defer func() {
		if r := recover(); r != nil {
			s.log.Error().Interface("panic", r).Str("client", clientAddr(nc)).Str("stack", string(debug.Stack())).Msg("connection failed")
		}
	}()
	if n := s.conns.Add(1); n > int64(s.config().MaxConnections) {
		s.conns.Add(-1)
		// As MySQL: an ERR packet instead of the greeting.
		w := mysql.NewConn(nc, 256)
		_ = w.WritePacket(mysql.AppendErr(nil, errTooManyConnections))
		_ = w.Flush()
		metrics.Error(errTooManyConnections.Num)
		return
	}
	defer s.conns.Add(-1)
	metrics.ClientConnected()
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	connect := &connectHandler{srv: s}
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	var auth server.AuthenticationHandler = s.auth
	if nc.RemoteAddr().Network() == "unix" {
		auth = socketAuth{s.auth}
	}
	c, err := s.hs.NewCustomizedConn(&hostOnlyConn{Conn: nc, version: s.serverVersion()}, auth, connect)
	if err != nil {
		// A bare TCP connect (health checks, port probes) ends in EOF: not
		// worth an info line.
		ev := s.log.Info()
		if errors.Is(err, io.EOF) || strings.Contains(err.Error(), "EOF") {
			ev = s.log.Debug()
		}
		ev.Str("client", clientAddr(nc)).Err(err).Msg("handshake failed")
		return
	}
	_ = nc.SetDeadline(time.Time{})
	conn := nc
	if tc, ok := c.Conn.Conn.(*tls.Conn); ok {
		conn = tc // the client asked for TLS in the handshake
	}
	defaults := s.defaults.Load()
	sess := &session{
		srv:             s,
		id:              c.ConnectionID(),
		user:            c.GetUser(),
		w:               newClientConn(conn, c.HasCapability(gomysql.CLIENT_COMPRESS)),
		keyspace:        connect.db,
		systemDB:        connect.systemDB,
		autocommit:      true,
		mode:            defaults.mode,
		modeText:        defaults.text,
		waitTimeout:     s.config().WaitTimeout,
		multiStatements: c.HasCapability(mysql.CapMultiStatements),
		conns:           map[connKey]*backend.Conn{},
		stmts:           map[uint32]*preparedStmt{},
	}
	sess.w.Max = s.config().MaxAllowedPacket
	sess.foundRows = c.HasCapability(gomysql.CLIENT_FOUND_ROWS)
	sess.localFiles = c.HasCapability(gomysql.CLIENT_LOCAL_FILES)
	sess.tracksSession = c.HasCapability(gomysql.CLIENT_SESSION_TRACK)
	sess.ignoreSpace = c.HasCapability(gomysql.CLIENT_IGNORE_SPACE)
	sess.host = clientHost(nc)
	sess.attrs = connectAttrs(sess.id, sess.user, c.Attributes())
	sess.initialNames = namesForCollation(c.Charset())
	sess.useNames(sess.initialNames)
	sess.log = s.log.With().Uint32("conn", sess.id).Logger()
	if !s.addSession(sess) {
		return
	}
	sess.log.Info().Str("client", clientAddr(nc)).Str("user", sess.user).Str("db", sess.keyspace).Msg("connection opened")
	sess.run()
	sess.log.Info().Msg("connection closed")
}

// connectAttrs lists a client's connection attributes in name order (the
// handshake's order is not kept by go-mysql).
func connectAttrs(id uint32, user string, attrs map[string]string) []planner.ConnectAttr {
	out := make([]planner.ConnectAttr, 0, len(attrs))
	for _, name := range slices.Sorted(maps.Keys(attrs)) {
		out = append(out, planner.ConnectAttr{ProcessID: id, User: user, Name: name, Value: attrs[name], Ordinal: len(out)})
	}
	return out
}

// sessionsByID are the client sessions in the order of their ids.
func (s *Server) sessionsByID() []*session {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*session, 0, len(s.sessions))
	for _, id := range slices.Sorted(maps.Keys(s.sessions)) {
		out = append(out, s.sessions[id])
	}
	return out
}

// ConnectAttrs implements planner.SessionTables: the connection attributes
// of every client session, or (account) of those its user logged in as.
func (s *session) ConnectAttrs(account bool) []planner.ConnectAttr {
	var out []planner.ConnectAttr
	for _, sess := range s.srv.sessionsByID() {
		for _, a := range sess.attrs {
			if !account || a.User == s.user {
				out = append(out, a)
			}
		}
	}
	return out
}

// Processes implements planner.SessionTables: the sessions of the session's
// user (MySQL shows a user without the PROCESS privilege its own), with
// what each runs and since when.
func (s *session) Processes() []planner.Process {
	now := time.Now()
	var out []planner.Process
	for _, sess := range s.srv.sessionsByID() {
		a := &sess.activity
		a.mu.Lock()
		p := planner.Process{ID: sess.id, User: a.user, DB: a.db, Command: a.command, Info: strings.Clone(a.info), Time: now.Sub(a.since)}
		a.mu.Unlock()
		if p.User != s.user || p.Command == "" { // another user's, or not logged in yet
			continue
		}
		p.Host = sess.w.NetConn().RemoteAddr().String()
		if p.Command != "Sleep" {
			p.State = "executing"
		}
		out = append(out, p)
	}
	return out
}

func (s *Server) addSession(sess *session) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing.Load() {
		return false
	}
	s.sessions[sess.id] = sess
	return true
}

func (s *Server) endSession(sess *session) {
	s.mu.Lock()
	delete(s.sessions, sess.id)
	s.mu.Unlock()
}

// forcedCloseWait bounds the wait for sessions once Shutdown has closed
// their connections.
const forcedCloseWait = 5 * time.Second

// Shutdown stops accepting, lets in-flight statements finish until ctx ends,
// then closes client connections and pools. A statement waiting on a backend
// that does not answer (a stopped server) is woken by a deadline on its
// backend connections; a session still busy after that is left behind.
func (s *Server) Shutdown(ctx context.Context) error {
	if !s.closing.Swap(true) {
		close(s.stop)
	}
	s.meta.stop() // no VSchema change from now on
	s.mu.Lock()
	for _, ln := range s.lns {
		ln.Close()
	}
	// Idle clients are blocked reading their next command: wake them.
	for _, sess := range s.sessions {
		_ = sess.w.NetConn().SetReadDeadline(time.Now())
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = ctx.Err()
		s.mu.Lock()
		for _, sess := range s.sessions {
			sess.w.NetConn().Close()
			for _, bc := range sess.busy.list() {
				_ = bc.Wire.NetConn().SetDeadline(time.Now())
			}
		}
		s.mu.Unlock()
		select {
		case <-done:
		case <-time.After(forcedCloseWait):
		}
	}
	for _, p := range s.state.Load().pools {
		p.Close()
	}
	return err
}

// connectHandler receives the database named in the handshake. go-mysql asks
// it before authentication finishes; an unknown keyspace fails the login with
// 1049 as MySQL does.
type connectHandler struct {
	server.EmptyHandler
	srv      *Server
	db       string
	systemDB string // information_schema (ProxySQL's default schema), mysql…
}

func (h *connectHandler) UseDB(db string) error {
	if db == "" {
		return nil // CLIENT_CONNECT_WITH_DB without a name (mysql2): none, as in MySQL
	}
	if planner.IsSystemSchema(db) {
		h.systemDB = db
		return nil
	}
	if _, ok := h.srv.topo().Keyspaces[db]; !ok {
		return gomysql.NewError(1049, "Unknown database '"+db+"'")
	}
	h.db = db
	return nil
}

// authHandler checks clients against the configured users. A reload
// replaces them as a whole: a login sees the old users or the new ones.
type authHandler struct {
	users      atomic.Pointer[map[string]server.Credential]
	unknown    string // random password of users that do not exist
	requireTLS bool   // refuse logins over plain TCP
}

func newAuthHandler(users []conf.User, requireTLS bool) *authHandler {
	h := &authHandler{unknown: rand.Text(), requireTLS: requireTLS}
	h.setUsers(users)
	return h
}

func (h *authHandler) setUsers(users []conf.User) {
	m := make(map[string]server.Credential, len(users))
	for _, u := range users {
		plugin := u.AuthPlugin
		if plugin == "" {
			plugin = gomysql.AUTH_NATIVE_PASSWORD
		}
		m[u.Name] = server.Credential{Passwords: []string{u.Password}, AuthPluginName: plugin}
	}
	h.users.Store(&m)
}

// credential returns the configured user's credential.
func (h *authHandler) credential(user string) (server.Credential, bool) {
	c, ok := (*h.users.Load())[user]
	return c, ok
}

// GetCredential answers unknown users with a password nobody knows, so they
// fail with 1045 Access denied like a wrong password (go-mysql would send
// 1449 otherwise, telling which user names exist).
func (h *authHandler) GetCredential(user string) (server.Credential, bool, error) {
	if c, ok := h.credential(user); ok {
		return c, true, nil
	}
	return server.Credential{Passwords: []string{h.unknown}, AuthPluginName: gomysql.AUTH_NATIVE_PASSWORD}, true, nil
}

// emptyPasswords checks logins as go-mysql does, except for a user whose
// password is empty: a client that sends a password for it is refused here,
// as MySQL refuses it. go-mysql v1.16 would decode the empty password's
// hash and panic (DecodePasswordHex("")).
type emptyPasswords struct{ users *authHandler }

func (p emptyPasswords) Authenticate(c *server.Conn, plugin string, authData []byte) error {
	if cred, ok := p.users.credential(c.GetUser()); ok && cred.Passwords[0] == "" &&
		!(len(authData) == 0 || len(authData) == 1 && authData[0] == 0) {
		return server.ErrAccessDenied
	}
	return (&server.DefaultAuthenticationProvider{}).Authenticate(c, plugin, authData)
}

func (p emptyPasswords) Validate(plugin string) bool {
	return (&server.DefaultAuthenticationProvider{}).Validate(plugin)
}

// socketAuth logs in the clients of the Unix socket with
// mysql_native_password, whatever a user's plugin: on a socket, clients answer
// caching_sha2_password's full authentication with the password in clear
// (the transport is local), which go-mysql v1.16 only accepts over TLS (it
// expects the RSA exchange and fails with "crypto/rsa: decryption error").
// The native scramble never shows the password either, and clients switch
// plugins when the server asks.
type socketAuth struct{ *authHandler }

func (h socketAuth) GetCredential(user string) (server.Credential, bool, error) {
	c, ok, err := h.authHandler.GetCredential(user)
	c.AuthPluginName = gomysql.AUTH_NATIVE_PASSWORD
	return c, ok, err
}

// OnAuthSuccess refuses a login over plain TCP when TLS is required, as MySQL
// with require_secure_transport does; the Unix socket is local and counts as
// secure. Otherwise it sets the status flags of the OK that ends the
// handshake: autocommit is on, as the greeting said.
func (h *authHandler) OnAuthSuccess(c *server.Conn) error {
	if _, isTLS := c.Conn.Conn.(*tls.Conn); h.requireTLS && !isTLS && c.RemoteAddr().Network() != "unix" {
		return &gomysql.MyError{Code: 3159, State: "HY000",
			Message: "Connections using insecure transport are prohibited while --require_secure_transport=ON."}
	}
	c.SetStatus(mysql.StatusAutocommit)
	return nil
}

func (h *authHandler) OnAuthFailure(c *server.Conn, err error) {}

// hostOnlyConn is the client connection as go-mysql's handshake sees it.
// It shows the client's host without the port, so access errors read as
// MySQL's do ('user'@'127.0.0.1', not 'user'@'127.0.0.1:53648'), and it
// rewrites the greeting (see greeting), which go-mysql v1.16 builds from
// fixed settings.
type hostOnlyConn struct {
	net.Conn
	version string // announced in the greeting
	greeted bool
}

func (c *hostOnlyConn) Write(p []byte) (int, error) {
	if c.greeted {
		return c.Conn.Write(p)
	}
	c.greeted = true
	if _, err := c.Conn.Write(greeting(p, c.version)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// newClientConn frames the client's packets after the handshake, in the
// compressed protocol for a client that asked for it.
func newClientConn(conn net.Conn, compress bool) *mysql.Conn {
	if compress {
		return mysql.NewCompressedConn(conn, 16<<10)
	}
	return mysql.NewConn(conn, 16<<10)
}

// greeting rewrites a protocol 10 greeting packet (header included) as the
// backends would send it: their version, the autocommit status flag (drivers
// such as PyMySQL read the session's autocommit from it and would otherwise
// never turn it off) and capabilities go-mysql does not advertise, which
// drivers such as go-sql-driver only use with a server that announces them:
// CLIENT_MULTI_STATEMENTS (the sidecar splits `a; b` itself),
// CLIENT_FOUND_ROWS (its backend connections have it for such clients),
// CLIENT_LOCAL_FILES (LOAD DATA LOCAL is relayed) and CLIENT_COMPRESS
// (newClientConn).
//
// Layout after the version string: connection id (4), scramble (8), filler
// (1), lower capability bytes (2), charset (1), status (2), upper capability
// bytes (2), the rest.
func greeting(p []byte, version string) []byte {
	if len(p) < 5 || p[4] != 10 {
		return p
	}
	end := bytes.IndexByte(p[5:], 0)
	rest := 5 + end + 1
	if end < 0 || len(p) < rest+4+8+1+2+1+2+2 {
		return p
	}
	out := make([]byte, 0, len(p)+len(version))
	out = append(out, 0, 0, 0, p[3], 10)
	out = append(out, version...)
	out = append(out, 0)
	lower := len(out) + 4 + 8 + 1
	status := lower + 2 + 1
	out = append(out, p[rest:]...)
	binary.LittleEndian.PutUint16(out[lower:], binary.LittleEndian.Uint16(out[lower:])|uint16(gomysql.CLIENT_FOUND_ROWS|gomysql.CLIENT_LOCAL_FILES|gomysql.CLIENT_COMPRESS))
	binary.LittleEndian.PutUint16(out[status:], mysql.StatusAutocommit)
	out[status+2] |= byte(mysql.CapMultiStatements >> 16)
	n := len(out) - 4
	out[0], out[1], out[2] = byte(n), byte(n>>8), byte(n>>16)
	return out
}

func (c *hostOnlyConn) RemoteAddr() net.Addr {
	return hostAddr{c.Conn.RemoteAddr().Network(), clientHost(c.Conn)}
}

// clientAddr names a client in the log: its TCP address, or the socket it came
// through (a Unix socket client has no address of its own).
func clientAddr(nc net.Conn) string {
	if nc.RemoteAddr().Network() == "unix" {
		return "unix:" + nc.LocalAddr().String()
	}
	return nc.RemoteAddr().String()
}

// clientHost is the client's host as MySQL names it: the IP address of a TCP
// client, localhost for one on the Unix socket.
func clientHost(nc net.Conn) string {
	addr := nc.RemoteAddr()
	if addr.Network() == "unix" {
		return "localhost"
	}
	if host, _, err := net.SplitHostPort(addr.String()); err == nil {
		return host
	}
	return addr.String()
}

type hostAddr struct{ network, host string }

func (a hostAddr) Network() string { return a.network }
func (a hostAddr) String() string  { return a.host }
