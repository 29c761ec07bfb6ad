// Package sidecar is the MySQL front end, the sessions and transactions, the
// shard pools and the executor of plans.
package sidecar

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"io"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/server"
	"github.com/rs/zerolog"

	"sidecar/conf"
	"sidecar/rewrite"
	"sidecar/vindex"
)

// serverVersion is announced in the handshake: MySQL 8-style, so connectors
// and ProxySQL pick their MySQL 8 code paths.
const serverVersion = "8.0.40-sidecar"

const versionComment = "sidecar (sharding proxy, Vitess VSchema)"

// Server accepts MySQL clients and runs their statements on the shards.
type Server struct {
	log     zerolog.Logger
	cfg     *conf.Config
	started time.Time
	hs      *server.Server // handshake and authentication
	auth    *authHandler

	planner_ atomic.Pointer[rewrite.Planner]
	pools    map[*conf.Shard]*pool
	seqs     sequences
	cache    *vindex.LookupCache // nil when lookup_cache.size is 0

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
	s := &Server{
		log:      log,
		cfg:      cfg,
		started:  time.Now(),
		hs:       server.NewServer(serverVersion, 45, mysql.AUTH_NATIVE_PASSWORD, key, nil),
		auth:     newAuthHandler(cfg.Users),
		pools:    map[*conf.Shard]*pool{},
		sessions: map[uint32]*session{},
	}
	s.seqs.srv = s
	if cfg.LookupCache.Size > 0 {
		// One per process: the expirable LRU's cleanup goroutine never exits.
		s.cache = vindex.NewLookupCache(cfg.LookupCache.Size, cfg.LookupCache.TTL)
	}
	s.planner_.Store(rewrite.NewPlanner(cfg.Topology, 10000))
	for _, name := range cfg.Topology.Names {
		for _, sh := range cfg.Topology.Keyspaces[name].Shards {
			p := newPool(sh, log)
			if cfg.ShardHints {
				p.hint = hintFor(sh)
			}
			s.pools[sh] = p
		}
	}
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

func (s *Server) planner() *rewrite.Planner { return s.planner_.Load() }
func (s *Server) topo() *conf.Topology      { return s.planner().Topo }
func (s *Server) pool(sh *conf.Shard) *pool { return s.pools[sh] }
func (s *Server) uptime() time.Duration     { return time.Since(s.started) }

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
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.closing.Load() {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(10 * time.Millisecond)
				continue
			}
			return err
		}
		s.wg.Add(1)
		go s.serveConn(nc)
	}
}

func (s *Server) serveConn(nc net.Conn) {
	defer s.wg.Done()
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	connect := &connectHandler{srv: s}
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	var auth server.AuthenticationHandler = s.auth
	if nc.RemoteAddr().Network() == "unix" {
		auth = socketAuth{s.auth}
	}
	c, err := s.hs.NewCustomizedConn(&hostOnlyConn{Conn: nc}, auth, connect)
	if err != nil {
		// A bare TCP connect (health checks, port probes) ends in EOF: not
		// worth an info line.
		ev := s.log.Info()
		if errors.Is(err, io.EOF) || strings.Contains(err.Error(), "EOF") {
			ev = s.log.Debug()
		}
		ev.Str("client", clientAddr(nc)).Err(err).Msg("handshake failed")
		nc.Close()
		return
	}
	_ = nc.SetDeadline(time.Time{})
	sess := &session{
		srv:             s,
		id:              c.ConnectionID(),
		user:            c.GetUser(),
		w:               newWire(nc, 16<<10),
		keyspace:        connect.db,
		autocommit:      true,
		multiStatements: c.HasCapability(capMultiStatements),
		conns:           map[connKey]*backendConn{},
		stmts:           map[uint32]*preparedStmt{},
	}
	sess.host = clientHost(nc)
	sess.initialNames = namesForCollation(c.Charset())
	sess.names = sess.initialNames
	sess.log = s.log.With().Uint32("conn", sess.id).Logger()
	if !s.addSession(sess) {
		nc.Close()
		return
	}
	sess.log.Info().Str("client", clientAddr(nc)).Str("user", sess.user).Str("db", sess.keyspace).Msg("connection opened")
	defer func() {
		// A bug in one session must not take every other client down.
		if r := recover(); r != nil {
			sess.log.Error().Interface("panic", r).Str("stack", string(debug.Stack())).Msg("session failed")
			nc.Close()
		}
	}()
	sess.run()
	nc.Close()
	sess.log.Info().Msg("connection closed")
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

// Shutdown stops accepting, lets in-flight statements finish until ctx ends,
// then closes client connections and pools.
func (s *Server) Shutdown(ctx context.Context) error {
	s.closing.Store(true)
	s.mu.Lock()
	for _, ln := range s.lns {
		ln.Close()
	}
	// Idle clients are blocked reading their next command: wake them.
	for _, sess := range s.sessions {
		_ = sess.w.conn.SetReadDeadline(time.Now())
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
			sess.w.conn.Close()
		}
		s.mu.Unlock()
		<-done
	}
	for _, p := range s.pools {
		p.close()
	}
	return err
}

// connectHandler receives the database named in the handshake. go-mysql asks
// it before authentication finishes; an unknown keyspace fails the login with
// 1049 as MySQL does.
type connectHandler struct {
	server.EmptyHandler
	srv *Server
	db  string
}

func (h *connectHandler) UseDB(db string) error {
	if rewrite.IsSystemSchema(db) {
		return nil // information_schema (ProxySQL's default): no keyspace
	}
	if _, ok := h.srv.topo().Keyspaces[db]; !ok {
		return mysql.NewError(1049, "Unknown database '"+db+"'")
	}
	h.db = db
	return nil
}

// authHandler checks clients against the configured users.
type authHandler struct {
	users   map[string]server.Credential
	unknown string // random password of users that do not exist
}

func newAuthHandler(users []conf.User) *authHandler {
	h := &authHandler{users: map[string]server.Credential{}, unknown: rand.Text()}
	for _, u := range users {
		plugin := u.AuthPlugin
		if plugin == "" {
			plugin = mysql.AUTH_NATIVE_PASSWORD
		}
		h.users[u.Name] = server.Credential{Passwords: []string{u.Password}, AuthPluginName: plugin}
	}
	return h
}

// GetCredential answers unknown users with a password nobody knows, so they
// fail with 1045 Access denied like a wrong password (go-mysql would send
// 1449 otherwise, telling which user names exist).
func (h *authHandler) GetCredential(user string) (server.Credential, bool, error) {
	if c, ok := h.users[user]; ok {
		return c, true, nil
	}
	return server.Credential{Passwords: []string{h.unknown}, AuthPluginName: mysql.AUTH_NATIVE_PASSWORD}, true, nil
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
	c.AuthPluginName = mysql.AUTH_NATIVE_PASSWORD
	return c, ok, err
}

func (h *authHandler) OnAuthSuccess(*server.Conn) error        { return nil }
func (h *authHandler) OnAuthFailure(c *server.Conn, err error) {}

// hostOnlyConn is the client connection as go-mysql's handshake sees it.
// It shows the client's host without the port, so access errors read as
// MySQL's do ('user'@'127.0.0.1', not 'user'@'127.0.0.1:53648'), and it adds
// CLIENT_MULTI_STATEMENTS to the greeting, which go-mysql v1.16 cannot
// advertise: clients such as go-sql-driver only send `a; b` to a server
// that announces it, and the sidecar splits such text itself.
type hostOnlyConn struct {
	net.Conn
	greeted bool
}

func (c *hostOnlyConn) Write(p []byte) (int, error) {
	if !c.greeted {
		c.greeted = true
		addMultiStatements(p)
	}
	return c.Conn.Write(p)
}

// addMultiStatements sets CLIENT_MULTI_STATEMENTS in a protocol 10 greeting
// packet (header included): version string, connection id, 8 bytes of
// scramble, filler, lower capability bytes, charset, status, upper bytes.
func addMultiStatements(p []byte) {
	if len(p) < 5 || p[4] != 10 {
		return
	}
	end := bytes.IndexByte(p[5:], 0)
	if end < 0 {
		return
	}
	upper := 5 + end + 1 + 4 + 8 + 1 + 2 + 1 + 2
	if upper+2 <= len(p) {
		p[upper] |= byte(capMultiStatements >> 16)
	}
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
