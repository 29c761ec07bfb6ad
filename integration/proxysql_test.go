package integration

// End-to-end tests of issue 6: the sidecar as a ProxySQL backend and the sidecar in front of ProxySQL.
// ProxySQL cannot be installed here, so a Go client replays what ProxySQL 2.7.2 sends to a backend, with
// the exact capability flags, collations, connection attributes, SQL texts and command sequences of
// ../shared/reference/proxysql-behaviour.md (§2, observed in §2.6), over the raw MySQL protocol: the
// handshake through go-mysql's client (its handshake response rewritten to ProxySQL's bytes), every
// command after it as raw packets on go-mysql's packet.Conn, and every reply parsed here, strictly, the
// way ProxySQL's libmariadb 3.3.8 reads it.
//
// Topology (shared by the tests of this file, stopped by TestMain's Cleanup):
//
//	server A: things -80 (things_x80, hostgroup 10), product "0" (product, hostgroup 10)
//	server B: things 80- (things_80x, hostgroup 20)
//
// The sidecar reaches the shards as user sidecar_be, so the statements it forwards are told apart from
// the test's own (root) in MariaDB's general log, which is on for both servers from the start. Seed 000's
// session is replayed and every statement the sidecar forwards is routed the way ProxySQL would route it
// in front of the shards: by the first comment (ProxySQL's parser re-implemented here) and by the rules
// `sidecar proxysql-rules` prints.

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/go-mysql-org/go-mysql/mysql"
	gomysql "github.com/go-sql-driver/mysql"

	"sidecar/vindex"
)

// ---------------------------------------------------------------------------------------------------
// The environment.

const (
	pxAppUser      = "mysql_user"
	pxAppPassword  = "mysql_password"
	pxApp2User     = "app2"
	pxApp2Password = "app2 pässword"
	pxMonUser      = "monitor" // ProxySQL's default monitor account
	pxMonPassword  = "monitor"
	pxBackendUser  = "sidecar_be"
	pxBackendPass  = "be_pw"
)

// pxShard is a shard of the test topology: where it lives and its ProxySQL hostgroup.
type pxShard struct {
	keyspace, name, server, db string
	hostgroup                  int
}

var pxShards = []pxShard{
	{"things", "-80", "a", "things_x80", 10},
	{"things", "80-", "b", "things_80x", 20},
	{"product", "0", "a", "product", 10},
}

// pxShardOfDB is the shard served by database db of server ("a" or "b").
func pxShardOfDB(server, db string) (pxShard, bool) {
	for _, s := range pxShards {
		if s.server == server && s.db == db {
			return s, true
		}
	}
	return pxShard{}, false
}

type pxEnv struct {
	a, b   *MariaDB
	sc     *Sidecar
	bin    string
	config string // the sidecar config (with hostgroups)
}

func (e *pxEnv) server(name string) *MariaDB {
	if name == "a" {
		return e.a
	}
	return e.b
}

// generalLog is the general log file of server m.
func pxGeneralLog(m *MariaDB) string { return filepath.Join(m.DataDir(), "general.log") }

var pxOnce struct {
	once sync.Once
	env  *pxEnv
	err  error
}

// pxShared starts the shared environment on first use; TestMain's Cleanup stops it.
func pxShared(t *testing.T) *pxEnv {
	t.Helper()
	pxOnce.once.Do(func() { pxOnce.env, pxOnce.err = startPxEnv() })
	if pxOnce.err != nil {
		t.Fatal(pxOnce.err)
	}
	e := pxOnce.env
	logStart := len(e.sc.Logs())
	t.Cleanup(func() {
		if t.Failed() {
			logs := e.sc.Logs()
			if logStart <= len(logs) {
				logs = logs[logStart:]
			}
			t.Logf("--- sidecar output during %s:\n%s", t.Name(), tail(logs, 40))
		}
	})
	return e
}

const pxThingsSchema = `
CREATE TABLE things (id BIGINT NOT NULL, name VARCHAR(255) NOT NULL, PRIMARY KEY (id), UNIQUE (name)) ENGINE=InnoDB;
CREATE TABLE things_name_lookup (name VARCHAR(255) NOT NULL, keyspace_id VARBINARY(10) NOT NULL, PRIMARY KEY (name)) ENGINE=InnoDB;`

const pxProductSchema = `
CREATE TABLE px_t (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, v VARCHAR(64) NOT NULL) ENGINE=InnoDB;`

func startPxEnv() (*pxEnv, error) {
	bin, err := BuildSidecar()
	if err != nil {
		return nil, err
	}
	e := &pxEnv{bin: bin}
	var wg sync.WaitGroup
	var errA, errB error
	wg.Add(2)
	go func() { defer wg.Done(); e.a, errA = StartMariaDB(Options{}) }()
	go func() { defer wg.Done(); e.b, errB = StartMariaDB(Options{}) }()
	wg.Wait()
	if err := errors.Join(errA, errB); err != nil {
		return nil, err
	}
	for _, m := range []*MariaDB{e.a, e.b} {
		if err := m.CreateUser(pxBackendUser, pxBackendPass); err != nil {
			return nil, err
		}
		// The general log, to a file, from before the sidecar's first backend connection: every
		// connection's Connect line (user and database) is in it.
		if err := m.Exec("", fmt.Sprintf("SET GLOBAL general_log_file = %s; SET GLOBAL log_output = 'FILE'; SET GLOBAL general_log = ON",
			quoteString(pxGeneralLog(m)))); err != nil {
			return nil, err
		}
	}
	for _, s := range pxShards {
		m := e.server(s.server)
		if err := m.CreateDatabases(s.db); err != nil {
			return nil, err
		}
		schema := pxThingsSchema
		if s.keyspace == "product" {
			schema = pxProductSchema
		}
		if err := m.Exec(s.db, schema); err != nil {
			return nil, err
		}
	}

	root, err := ModuleRoot()
	if err != nil {
		return nil, err
	}
	scratch, err := ScratchDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(scratch, "proxysql-")
	if err != nil {
		return nil, err
	}
	vs, err := os.ReadFile(filepath.Join(root, "conf", "examples", "things.vschema.json"))
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "things.vschema.json"), vs, 0o644); err != nil {
		return nil, err
	}
	listen := fmt.Sprintf("127.0.0.1:%d", FreePort())
	var b strings.Builder
	fmt.Fprintf(&b, "listen: %q\nadmin_listen: \"\"\nusers:\n", listen)
	for _, u := range [][2]string{{pxAppUser, pxAppPassword}, {pxApp2User, pxApp2Password}, {pxMonUser, pxMonPassword}} {
		fmt.Fprintf(&b, "  - {name: %q, password: %q}\n", u[0], u[1])
	}
	fmt.Fprintf(&b, "backend: {user: %s, password: %s, pool_size: 4, connect_timeout: 2s}\n", pxBackendUser, pxBackendPass)
	fmt.Fprintf(&b, "keyspaces:\n  things:\n    vschema_file: things.vschema.json\n    shards:\n")
	for _, s := range pxShards[:2] {
		fmt.Fprintf(&b, "      %q: {address: %q, database: %s, hostgroup: %d}\n", s.name, e.server(s.server).Addr(), s.db, s.hostgroup)
	}
	p := pxShards[2]
	fmt.Fprintf(&b, "  product:\n    shards:\n      %q: {address: %q, database: %s, hostgroup: %d}\n", p.name, e.a.Addr(), p.db, p.hostgroup)
	fmt.Fprintf(&b, "log: {level: info, format: json}\nshard_hints: true\n")
	e.config = filepath.Join(dir, "sidecar.yaml")
	if err := os.WriteFile(e.config, []byte(b.String()), 0o644); err != nil {
		return nil, err
	}
	e.sc, err = StartSidecar(bin, e.config, listen)
	if err != nil {
		return nil, err
	}
	return e, nil
}

// ---------------------------------------------------------------------------------------------------
// A ProxySQL-like client: handshake with ProxySQL's bytes, raw commands, strict reply parsing.

// Capability flags (include/mariadb_com.h).
const (
	pxCapLongPassword    = 1 << 0 // CLIENT_MYSQL in Connector/C
	pxCapLongFlag        = 1 << 2
	pxCapConnectWithDB   = 1 << 3
	pxCapLocalFiles      = 1 << 7
	pxCapProtocol41      = 1 << 9
	pxCapTransactions    = 1 << 13
	pxCapSecureConn      = 1 << 15
	pxCapMultiStatements = 1 << 16
	pxCapMultiResults    = 1 << 17
	pxCapPluginAuth      = 1 << 19
	pxCapConnectAttrs    = 1 << 20
	pxCapPluginAuthLenc  = 1 << 21
	pxCapSessionTrack    = 1 << 23
	pxCapDeprecateEOF    = 1 << 24
	pxCapRememberOptions = 1 << 31
)

// ProxySQL 2.7.2's client flags as observed against MariaDB (§2.6 item 1): app connections 0x81baa28c
// (+MULTI_STATEMENTS when the application had it), monitor and killer connections 0x00b8a284.
// CLIENT_MYSQL (bit 0) is added when the server sets it, as Connector/C does.
const (
	pxAppCaps     = 0x81baa28c
	pxMonitorCaps = 0x00b8a284
)

// Server status flags.
const (
	pxStInTrans      = 0x0001
	pxStAutocommit   = 0x0002
	pxStMoreResults  = 0x0008
	pxStStateChanged = 0x4000
)

// pxRole is which of ProxySQL's connections the client plays.
type pxRole int

const (
	pxAppConn pxRole = iota
	pxMonitorConn
	pxKillerConn
)

// pxOpts describe one connection.
type pxOpts struct {
	role            pxRole
	user, password  string
	db              string // "" for none (monitor, killer)
	noDeprecateEOF  bool   // clear CLIENT_DEPRECATE_EOF (mysql-enable_server_deprecate_eof=false)
	multiStatements bool   // the application client had CLIENT_MULTI_STATEMENTS
	collation       byte   // 0: 45 for app connections (sysbench's), 8 for monitor and killer
	// emptyDB sets CLIENT_CONNECT_WITH_DB with an empty database name: ProxySQL never does, but
	// Node's mysql2 always does when it has no database.
	emptyDB bool
}

// pxLongAttr is ProxySQL's mysql_bug_102266 attribute: a value over 250 bytes, so both its own length
// and the attribute block's need the 0xfc length prefix.
var pxLongAttr = "ProxySQL sends this long attribute on purpose (MySQL bug 102266): " + strings.Repeat("x", 260)

// pxAttrs are the connection attributes of each role, in ProxySQL's order (§2.6 item 1).
func pxAttrs(role pxRole) [][2]string {
	common := func(program string) [][2]string {
		return [][2]string{{"_os", "Linux"}, {"_client_name", "libmariadb"}, {"_pid", "4242"},
			{"_client_version", "3.3.8"}, {"_platform", "x86_64"}, {"program_name", program}, {"_server_host", "127.0.0.1"}}
	}
	switch role {
	case pxMonitorConn:
		return common("proxysql_monitor")
	case pxKillerConn:
		return common("proxysql_killer")
	}
	return [][2]string{
		{"compile_time", "Oct 10 2024 10:10:10"}, {"_client_name", "libmariadb"}, {"_pid", "4242"},
		{"program_name", "proxysql"}, {"_platform", "x86_64"}, {"connection_creation_time", "1763741000123456"},
		{"mysql_bug_102266", pxLongAttr}, {"_client_version", "3.3.8"}, {"_os", "Linux"},
		{"proxysql_uptime", "3600"}, {"proxysql_version", "2.7.2-14-g5cc418b"}, {"hostgroup_id", "0"},
		{"proxysql_sha1", "5cc418bb5cc418bb5cc418bb5cc418bb5cc418bb"}, {"_server_host", "127.0.0.1"},
	}
}

// pxConn is one connection of the replayed ProxySQL to the sidecar.
type pxConn struct {
	t *testing.T
	*client.Conn
	opts       pxOpts
	sentCaps   uint32 // the flags of our handshake response
	serverCaps uint32 // the greeting's
	id         uint32 // the connection id of the greeting
	salt       []byte // the greeting's scramble
	collation  byte   // of the handshake, and after CHANGE_USER
	greeting   []byte
}

func (c *pxConn) has(flag uint32) bool { return c.sentCaps&c.serverCaps&flag != 0 }

// pxDial connects to addr as ProxySQL would open the connection described by o.
func pxDial(t *testing.T, addr string, o pxOpts) *pxConn {
	t.Helper()
	c, err := pxTryDial(t, addr, o)
	if err != nil {
		t.Fatalf("connect as ProxySQL (%s, user %s, db %q): %v", pxRoleName(o.role), o.user, o.db, err)
	}
	return c
}

func pxRoleName(r pxRole) string {
	return [...]string{"app connection", "monitor connection", "killer connection"}[r]
}

func pxTryDial(t *testing.T, addr string, o pxOpts) (*pxConn, error) {
	if o.collation == 0 {
		o.collation = 45 // utf8mb4_general_ci, as sysbench connects
		if o.role != pxAppConn {
			o.collation = 8 // latin1_swedish_ci
		}
	}
	c := &pxConn{t: t, opts: o, collation: o.collation}
	dialer := func(ctx context.Context, network, address string) (net.Conn, error) {
		nc, err := (&net.Dialer{Timeout: 5 * time.Second}).DialContext(ctx, network, address)
		if err != nil {
			return nil, err
		}
		return &pxHandshakeRewriter{Conn: nc, rewrite: c.handshakeResponse}, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cc, err := client.ConnectWithDialer(ctx, "tcp", addr, o.user, o.password, o.db, dialer, func(cc *client.Conn) error {
		cc.WriteTimeout = 10 * time.Second
		return nil
	})
	if err != nil {
		return nil, err
	}
	c.Conn = cc
	if c.id != cc.GetConnectionID() {
		t.Errorf("connection id: greeting parsed as %d here, %d by go-mysql", c.id, cc.GetConnectionID())
	}
	t.Cleanup(func() { cc.Close() })
	return c, nil
}

// pxHandshakeRewriter lets go-mysql read the greeting and run the authentication exchange, but puts
// ProxySQL's handshake response on the wire instead of go-mysql's: go-mysql cannot send
// LOCAL_FILES, SESSION_TRACK or REMEMBER_OPTIONS, a 1 GiB max packet, ordered attributes or MariaDB's
// extended capabilities.
type pxHandshakeRewriter struct {
	net.Conn
	rewrite func(greeting []byte) ([]byte, error)
	in      bytes.Buffer // what was read before the first write: the greeting
	written bool
}

func (w *pxHandshakeRewriter) Read(b []byte) (int, error) {
	n, err := w.Conn.Read(b)
	if !w.written {
		w.in.Write(b[:n])
	}
	return n, err
}

func (w *pxHandshakeRewriter) Write(b []byte) (int, error) {
	if w.written {
		return w.Conn.Write(b)
	}
	w.written = true
	out, err := w.rewrite(w.in.Bytes())
	if err != nil {
		return 0, err
	}
	if _, err := w.Conn.Write(out); err != nil {
		return 0, err
	}
	return len(b), nil // go-mysql's own response is replaced, not sent
}

// handshakeResponse reads the greeting and builds ProxySQL's handshake response packet (sequence 1).
func (c *pxConn) handshakeResponse(raw []byte) ([]byte, error) {
	if len(raw) < 4 {
		return nil, errors.New("no greeting")
	}
	n := int(raw[0]) | int(raw[1])<<8 | int(raw[2])<<16
	if len(raw) < 4+n {
		return nil, fmt.Errorf("greeting truncated: %d of %d bytes", len(raw)-4, n)
	}
	g := raw[4 : 4+n]
	c.greeting = bytes.Clone(g)
	if g[0] != 10 {
		return nil, fmt.Errorf("protocol version %d", g[0])
	}
	pos := 1 + bytes.IndexByte(g[1:], 0) + 1
	c.id = binary.LittleEndian.Uint32(g[pos:])
	pos += 4
	c.salt = append([]byte{}, g[pos:pos+8]...)
	pos += 9
	c.serverCaps = uint32(binary.LittleEndian.Uint16(g[pos:]))
	pos += 2 + 1 + 2 // caps low, charset, status
	c.serverCaps |= uint32(binary.LittleEndian.Uint16(g[pos:])) << 16
	pos += 2
	authLen := int(g[pos])
	pos += 1 + 6
	mariaExt := binary.LittleEndian.Uint32(g[pos:])
	pos += 4
	rest := max(13, authLen-8)
	c.salt = append(c.salt, g[pos:pos+rest-1]...)

	caps := uint32(pxAppCaps)
	if c.opts.role != pxAppConn {
		caps = pxMonitorCaps
	}
	if c.opts.multiStatements {
		caps |= pxCapMultiStatements
	}
	if c.opts.noDeprecateEOF {
		caps &^= pxCapDeprecateEOF
	}
	if c.opts.db == "" && !c.opts.emptyDB {
		caps &^= pxCapConnectWithDB
	} else {
		caps |= pxCapConnectWithDB
	}
	caps |= c.serverCaps & pxCapLongPassword // CLIENT_MYSQL, cleared against a MariaDB server
	c.sentCaps = caps

	var p []byte
	p = binary.LittleEndian.AppendUint32(p, caps)
	p = binary.LittleEndian.AppendUint32(p, 1<<30) // max packet 1 GiB
	p = append(p, c.collation)
	filler := make([]byte, 23)
	if c.serverCaps&pxCapLongPassword == 0 {
		// A MariaDB server: extended capabilities = server's & (PROGRESS | STMT_BULK_OPERATIONS).
		binary.LittleEndian.PutUint32(filler[19:], mariaExt&0x5)
	}
	p = append(p, filler...)
	p = append(append(p, c.opts.user...), 0)
	auth := mysql.CalcNativePassword(c.salt[:20], []byte(c.opts.password))
	p = append(mysql.AppendLengthEncodedInteger(p, uint64(len(auth))), auth...)
	if c.opts.db != "" || c.opts.emptyDB {
		p = append(append(p, c.opts.db...), 0)
	}
	p = append(append(p, mysql.AUTH_NATIVE_PASSWORD...), 0)
	p = append(p, pxAttrBlock(pxAttrs(c.opts.role))...)
	return append([]byte{byte(len(p)), byte(len(p) >> 8), byte(len(p) >> 16), 1}, p...), nil
}

// pxAttrBlock encodes connection attributes: the block's length, then length-encoded keys and values.
func pxAttrBlock(attrs [][2]string) []byte {
	var kv []byte
	for _, a := range attrs {
		kv = mysql.AppendLengthEncodedInteger(kv, uint64(len(a[0])))
		kv = append(kv, a[0]...)
		kv = mysql.AppendLengthEncodedInteger(kv, uint64(len(a[1])))
		kv = append(kv, a[1]...)
	}
	return append(mysql.AppendLengthEncodedInteger(nil, uint64(len(kv))), kv...)
}

// send writes one command packet (sequence 0).
func (c *pxConn) send(cmd byte, arg []byte) error {
	c.ResetSequence()
	buf := make([]byte, 4, 5+len(arg))
	buf = append(append(buf, cmd), arg...)
	return c.WritePacket(buf)
}

func (c *pxConn) mustSend(cmd byte, arg []byte) {
	c.t.Helper()
	if err := c.send(cmd, arg); err != nil {
		c.t.Fatalf("send command 0x%02x: %v", cmd, err)
	}
}

// pxOK is an OK packet (or the final OK/EOF of a result set: affected rows and insert id then 0).
type pxOK struct {
	affected, insertID uint64
	status, warnings   uint16
	info               string
}

// pxErr is an ERR packet.
type pxErr struct {
	code         uint16
	state, msg   string
	disconnected bool // no reply: the connection was closed
}

func (e *pxErr) Error() string {
	if e.disconnected {
		return "connection closed: " + e.msg
	}
	return fmt.Sprintf("ERROR %d (%s): %s", e.code, e.state, e.msg)
}

// pxResult is one result of a reply: a result set (columns non-nil) or an OK.
type pxResult struct {
	columns []string
	rows    [][]*string
	end     pxOK // the OK, or the result set's final EOF/OK
}

// pxReply is everything the server answered to one command.
type pxReply struct {
	results []pxResult
	err     *pxErr
}

// last is the final OK/EOF of the reply (zero after an error).
func (r *pxReply) last() pxOK {
	if len(r.results) == 0 {
		return pxOK{}
	}
	return r.results[len(r.results)-1].end
}

// rows are the text rows of the first result set, NULL as "NULL".
func (r *pxReply) rows() [][]string {
	out := [][]string{}
	for _, res := range r.results {
		if res.columns == nil {
			continue
		}
		for _, row := range res.rows {
			s := make([]string, len(row))
			for i, v := range row {
				if v == nil {
					s[i] = "NULL"
				} else {
					s[i] = *v
				}
			}
			out = append(out, s)
		}
		break
	}
	return out
}

// read reads one packet within 30s (go-mysql's own ReadTimeout is left at 0 so closed can set a
// shorter deadline).
func (c *pxConn) read() ([]byte, error) {
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
	return c.ReadPacket()
}

// readReply reads one reply the way libmariadb does, checking the framing the negotiated flags ask
// for: with CLIENT_DEPRECATE_EOF no EOF after the column definitions and an OK (0xfe header, 7+ bytes)
// at the end of the rows; without it, 5-byte EOF packets in both places.
func (c *pxConn) readReply() (*pxReply, error) {
	r := &pxReply{}
	deprecateEOF := c.has(pxCapDeprecateEOF)
	for {
		p, err := c.read()
		if err != nil {
			return r, err
		}
		switch p[0] {
		case 0x00:
			ok, err := c.parseOK(p)
			if err != nil {
				return r, err
			}
			r.results = append(r.results, pxResult{end: ok})
			if ok.status&pxStMoreResults == 0 {
				return r, nil
			}
			continue
		case 0xff:
			r.err = parsePxErr(p)
			return r, nil
		case 0xfb:
			return r, errors.New("LOCAL INFILE request")
		}
		n, _, size := mysql.LengthEncodedInt(p)
		if size != len(p) || n == 0 {
			return r, fmt.Errorf("bad column count packet % x", p)
		}
		res := pxResult{columns: make([]string, n)}
		for i := range res.columns {
			def, err := c.read()
			if err != nil {
				return r, err
			}
			name, err := pxColumnName(def)
			if err != nil {
				return r, err
			}
			res.columns[i] = name
		}
		if !deprecateEOF {
			p, err := c.read()
			if err != nil {
				return r, err
			}
			if len(p) != 5 || p[0] != 0xfe {
				return r, fmt.Errorf("classic framing: want an EOF packet after the column definitions, got % x", p)
			}
		}
		for {
			p, err := c.read()
			if err != nil {
				return r, err
			}
			if p[0] == 0xff {
				r.results = append(r.results, res)
				r.err = parsePxErr(p)
				return r, nil
			}
			if p[0] == 0xfe && len(p) < 0xffffff {
				if deprecateEOF {
					if len(p) < 7 {
						return r, fmt.Errorf("CLIENT_DEPRECATE_EOF: the rows must end with an OK packet, got an EOF % x", p)
					}
					if res.end, err = c.parseOK(p); err != nil {
						return r, err
					}
				} else if len(p) != 5 {
					return r, fmt.Errorf("classic framing: want an EOF packet after the rows, got % x", p)
				} else {
					res.end = pxOK{warnings: binary.LittleEndian.Uint16(p[1:]), status: binary.LittleEndian.Uint16(p[3:])}
				}
				break
			}
			row, err := pxTextRow(p, len(res.columns))
			if err != nil {
				return r, err
			}
			res.rows = append(res.rows, row)
		}
		r.results = append(r.results, res)
		if res.end.status&pxStMoreResults == 0 {
			return r, nil
		}
	}
}

// parseOK reads an OK packet as libmariadb does: affected rows, insert id, status, warnings, then
// (if bytes remain) the info as a length-encoded string and, with session tracking and
// SERVER_SESSION_STATE_CHANGED, the session state block. Lengths that overrun the packet are errors.
func (c *pxConn) parseOK(p []byte) (pxOK, error) {
	var ok pxOK
	pos := 1
	var size int
	ok.affected, _, size = mysql.LengthEncodedInt(p[pos:])
	pos += size
	if pos >= len(p) {
		return ok, fmt.Errorf("OK packet truncated: % x", p)
	}
	ok.insertID, _, size = mysql.LengthEncodedInt(p[pos:])
	pos += size
	if pos+4 > len(p) {
		return ok, fmt.Errorf("OK packet truncated: % x", p)
	}
	ok.status = binary.LittleEndian.Uint16(p[pos:])
	ok.warnings = binary.LittleEndian.Uint16(p[pos+2:])
	pos += 4
	if pos < len(p) {
		n, _, size := mysql.LengthEncodedInt(p[pos:])
		if size == 0 || pos+size+int(n) > len(p) {
			return ok, fmt.Errorf("OK packet: info length %d overruns the packet (libmariadb reads it length-encoded): % x", n, p)
		}
		ok.info = string(p[pos+size : pos+size+int(n)])
		pos += size + int(n)
		if c.has(pxCapSessionTrack) && ok.status&pxStStateChanged != 0 {
			n, _, size := mysql.LengthEncodedInt(p[pos:])
			if size == 0 || pos+size+int(n) > len(p) {
				return ok, fmt.Errorf("OK packet: session state length %d overruns the packet: % x", n, p)
			}
		}
	} else if c.has(pxCapSessionTrack) && ok.status&pxStStateChanged != 0 {
		return ok, fmt.Errorf("OK packet: SERVER_SESSION_STATE_CHANGED without a session state block: % x", p)
	}
	return ok, nil
}

func parsePxErr(p []byte) *pxErr {
	e := &pxErr{code: binary.LittleEndian.Uint16(p[1:])}
	msg := p[3:]
	if len(msg) > 0 && msg[0] == '#' && len(msg) >= 6 {
		e.state, msg = string(msg[1:6]), msg[6:]
	}
	e.msg = string(msg)
	return e
}

func pxColumnName(def []byte) (string, error) {
	pos := 0
	for i := 0; i < 5; i++ { // catalog, schema, table, org_table, name
		n, _, size := mysql.LengthEncodedInt(def[pos:])
		if size == 0 || pos+size+int(n) > len(def) {
			return "", fmt.Errorf("bad column definition % x", def)
		}
		if i == 4 {
			return string(def[pos+size : pos+size+int(n)]), nil
		}
		pos += size + int(n)
	}
	return "", nil
}

func pxTextRow(p []byte, columns int) ([]*string, error) {
	row := make([]*string, columns)
	pos := 0
	for i := range row {
		if pos >= len(p) {
			return nil, fmt.Errorf("row with %d of %d values: % x", i, columns, p)
		}
		if p[pos] == 0xfb {
			pos++
			continue
		}
		n, _, size := mysql.LengthEncodedInt(p[pos:])
		if size == 0 || pos+size+int(n) > len(p) {
			return nil, fmt.Errorf("bad row % x", p)
		}
		s := string(p[pos+size : pos+size+int(n)])
		row[i] = &s
		pos += size + int(n)
	}
	if pos != len(p) {
		return nil, fmt.Errorf("row has %d bytes after its %d values: % x", len(p)-pos, columns, p)
	}
	return row, nil
}

// query sends a COM_QUERY and reads the reply; a protocol failure fails the test.
func (c *pxConn) query(sql string) *pxReply {
	c.t.Helper()
	if err := c.send(0x03, []byte(sql)); err != nil {
		c.t.Fatalf("%s: send: %v", sql, err)
	}
	r, err := c.readReply()
	if err != nil {
		c.t.Fatalf("%s: %v", sql, err)
	}
	return r
}

// exec runs a statement that must succeed and returns its final OK/EOF.
func (c *pxConn) exec(sql string) pxOK {
	c.t.Helper()
	r := c.query(sql)
	if r.err != nil {
		c.t.Fatalf("%s: %v", sql, r.err)
	}
	return r.last()
}

// rows runs a query that must succeed and returns its rows.
func (c *pxConn) rows(sql string) [][]string {
	c.t.Helper()
	r := c.query(sql)
	if r.err != nil {
		c.t.Fatalf("%s: %v", sql, r.err)
	}
	return r.rows()
}

// wantErr runs a statement that must fail with code.
func (c *pxConn) wantErr(sql string, code uint16) *pxErr {
	c.t.Helper()
	r := c.query(sql)
	if r.err == nil {
		c.t.Fatalf("%s: succeeded (%v), want ERROR %d", sql, r.rows(), code)
	}
	if r.err.code != code {
		c.t.Errorf("%s: %v, want ERROR %d", sql, r.err, code)
	}
	return r.err
}

// simple sends a command answered by one OK or ERR (COM_PING, COM_RESET_CONNECTION, COM_INIT_DB).
func (c *pxConn) simple(cmd byte, arg []byte) (pxOK, *pxErr) {
	c.t.Helper()
	c.mustSend(cmd, arg)
	p, err := c.read()
	if err != nil {
		return pxOK{}, &pxErr{disconnected: true, msg: err.Error()}
	}
	switch p[0] {
	case 0x00:
		ok, err := c.parseOK(p)
		if err != nil {
			c.t.Fatalf("command 0x%02x: %v", cmd, err)
		}
		return ok, nil
	case 0xff:
		return pxOK{}, parsePxErr(p)
	}
	c.t.Fatalf("command 0x%02x: unexpected reply % x", cmd, p)
	return pxOK{}, nil
}

// closed reports whether the server closes the connection within d: reads end in EOF (an ERR packet
// it sends first, as MySQL 8 does on wait_timeout, is skipped) instead of timing out.
func (c *pxConn) closed(d time.Duration) bool {
	c.t.Helper()
	deadline := time.Now().Add(d)
	for {
		_ = c.SetReadDeadline(deadline)
		p, err := c.ReadPacket()
		if err == nil {
			c.t.Logf("packet before the connection closed: % x", p)
			continue
		}
		var ne net.Error
		return !(errors.As(err, &ne) && ne.Timeout()) && !strings.Contains(err.Error(), "i/o timeout")
	}
}

// changeUser sends COM_CHANGE_USER as ProxySQL does (§2.6 item 11): user, a 20-byte
// mysql_native_password response computed against the connection's scramble, the schema, the current
// collation, the plugin name and all connection attributes. It answers an auth switch request with the
// scramble of the new salt, and returns the final OK or ERR.
func (c *pxConn) changeUser(user, password, db string) (pxOK, *pxErr, bool) {
	c.t.Helper()
	var p []byte
	p = append(append(p, user...), 0)
	auth := mysql.CalcNativePassword(c.salt[:20], []byte(password))
	p = append(append(p, byte(len(auth))), auth...)
	p = append(append(p, db...), 0)
	p = binary.LittleEndian.AppendUint16(p, uint16(c.collation))
	p = append(append(p, mysql.AUTH_NATIVE_PASSWORD...), 0)
	p = append(p, pxAttrBlock(pxAttrs(c.opts.role))...)
	c.mustSend(0x11, p)
	switched := false
	for {
		r, err := c.read()
		if err != nil {
			return pxOK{}, &pxErr{disconnected: true, msg: err.Error()}, switched
		}
		switch r[0] {
		case 0x00:
			ok, err := c.parseOK(r)
			if err != nil {
				c.t.Fatalf("COM_CHANGE_USER: %v", err)
			}
			return ok, nil, switched
		case 0xff:
			return pxOK{}, parsePxErr(r), switched
		case 0xfe: // auth switch request: plugin name, NUL, salt (NUL-terminated)
			if switched {
				c.t.Fatalf("COM_CHANGE_USER: a second auth switch request % x", r)
			}
			switched = true
			plugin, salt, ok := bytes.Cut(r[1:], []byte{0})
			if !ok || string(plugin) != mysql.AUTH_NATIVE_PASSWORD || len(salt) < 20 {
				c.t.Fatalf("COM_CHANGE_USER: auth switch request % x: want mysql_native_password and a 20-byte salt", r)
			}
			c.salt = bytes.Clone(salt[:20])
			if err := c.WritePacket(append(make([]byte, 4), mysql.CalcNativePassword(c.salt, []byte(password))...)); err != nil {
				c.t.Fatalf("COM_CHANGE_USER: answer the auth switch: %v", err)
			}
		default:
			c.t.Fatalf("COM_CHANGE_USER: unexpected reply % x", r)
		}
	}
}

// prepare sends COM_STMT_PREPARE and returns the statement id.
func (c *pxConn) prepare(sql string) uint32 {
	c.t.Helper()
	c.mustSend(0x16, []byte(sql))
	id, err := c.readPrepared()
	if err != nil {
		c.t.Fatalf("prepare %s: %v", sql, err)
	}
	return id
}

// readPrepared reads the reply to a COM_STMT_PREPARE: the statement's id, or the ERR (a *pxErr).
func (c *pxConn) readPrepared() (uint32, error) {
	c.t.Helper()
	p, err := c.read()
	if err != nil {
		return 0, err
	}
	if p[0] == 0xff {
		return 0, parsePxErr(p)
	}
	if p[0] != 0x00 || len(p) < 12 {
		c.t.Fatalf("prepare: bad reply % x", p)
	}
	id := binary.LittleEndian.Uint32(p[1:])
	cols, params := int(binary.LittleEndian.Uint16(p[5:])), int(binary.LittleEndian.Uint16(p[7:]))
	for _, n := range []int{params, cols} {
		if n == 0 {
			continue
		}
		if !c.has(pxCapDeprecateEOF) {
			n++
		}
		for range n {
			if _, err := c.read(); err != nil {
				return 0, err
			}
		}
	}
	return id, nil
}

// executeInt runs COM_STMT_EXECUTE of a statement with one BIGINT parameter, as ProxySQL sends it
// (flags 0, iteration count 1, new-params-bound 1 with the types), reads the reply (an OK, or a binary
// result set) and returns the ERR, if any.
func (c *pxConn) executeInt(id uint32, v int64) *pxErr {
	c.t.Helper()
	c.sendExecuteInt(id, v)
	return c.readExecuted()
}

func (c *pxConn) sendExecuteInt(id uint32, v int64) {
	c.t.Helper()
	var p []byte
	p = binary.LittleEndian.AppendUint32(p, id)
	p = append(p, 0)                           // flags
	p = binary.LittleEndian.AppendUint32(p, 1) // iteration count
	p = append(p, 0, 1, 0x08, 0x00)            // NULL bitmap, new-params-bound, MYSQL_TYPE_LONGLONG
	p = binary.LittleEndian.AppendUint64(p, uint64(v))
	c.mustSend(0x17, p)
}

// readExecuted reads the reply to a COM_STMT_EXECUTE and returns the ERR, if any.
func (c *pxConn) readExecuted() *pxErr {
	c.t.Helper()
	first, err := c.read()
	if err != nil {
		c.t.Fatalf("execute: %v", err)
	}
	switch first[0] {
	case 0xff:
		return parsePxErr(first)
	case 0x00:
		return nil // no result set
	}
	n, _, _ := mysql.LengthEncodedInt(first)
	if !c.has(pxCapDeprecateEOF) {
		n++ // the EOF after the column definitions
	}
	for range n {
		if _, err := c.read(); err != nil {
			c.t.Fatalf("execute: %v", err)
		}
	}
	for { // binary rows (0x00 …) until the EOF or OK with 0xfe
		r, err := c.read()
		if err != nil {
			c.t.Fatalf("execute: %v", err)
		}
		if r[0] == 0xff {
			return parsePxErr(r)
		}
		if r[0] == 0xfe && len(r) < 0xffffff {
			return nil
		}
	}
}

// ---------------------------------------------------------------------------------------------------
// ProxySQL's first-comment parser (lib/Query_Processor.cpp query_parser_first_comment with
// lib/c_tokenizer.cpp), re-implemented: only the first /* */ comment anywhere in the statement (not
// inside quotes, not after -- or #), /*! marker skipped, capped at 1023 bytes, split on ';', each piece
// at its first '=', key and value trimmed with inner whitespace collapsed, keys case-insensitive, numeric
// keys only when the value starts with a digit.

type pxAnnotation struct {
	keys      map[string]string // lower-cased keys, all of them
	hostgroup int               // -1 if none
}

func pxFirstComment(sql string) (string, bool) {
	for i := 0; i < len(sql); i++ {
		switch c := sql[i]; {
		case c == '\'' || c == '"' || c == '`':
			for i++; i < len(sql) && sql[i] != c; i++ {
				if sql[i] == '\\' && c != '`' {
					i++
				}
			}
		case c == '#' || (c == '-' && strings.HasPrefix(sql[i:], "-- ")):
			for i < len(sql) && sql[i] != '\n' {
				i++
			}
		case c == '/' && strings.HasPrefix(sql[i:], "/*"):
			body := sql[i+2:]
			end := strings.Index(body, "*/")
			if end < 0 {
				return "", false
			}
			body = body[:end]
			body = strings.TrimPrefix(body, "!")
			if len(body) > 1023 {
				body = body[:1023]
			}
			return body, true
		}
	}
	return "", false
}

func pxParseAnnotation(sql string) pxAnnotation {
	a := pxAnnotation{keys: map[string]string{}, hostgroup: -1}
	body, ok := pxFirstComment(sql)
	if !ok {
		return a
	}
	collapse := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	for _, piece := range strings.Split(body, ";") {
		k, v, ok := strings.Cut(piece, "=")
		if !ok {
			continue
		}
		k, v = strings.ToLower(collapse(k)), collapse(v)
		if k == "" {
			continue
		}
		a.keys[k] = v
		if k == "hostgroup" && v != "" && v[0] >= '0' && v[0] <= '9' {
			end := 0
			for end < len(v) && v[end] >= '0' && v[end] <= '9' {
				end++
			}
			a.hostgroup, _ = strconv.Atoi(v[:end])
		}
	}
	return a
}

func TestProxySQLCommentParser(t *testing.T) {
	for _, tc := range []struct {
		sql string
		hg  int
		ks  string
	}{
		{"/* hostgroup=20 */ SELECT 1", 20, ""},
		{"/* hostgroup=20;query_timeout=500 */ SELECT 1", 20, ""},
		{"SELECT 1 /* hostgroup = 20 ; max_lag_ms = 1000 */", 20, ""},
		{"/* ;hostgroup=20 */ SELECT 1", 20, ""},
		{"/* HostGroup=7x;keyspace=things;shard=-80 */ SELECT 1", 7, "things"},
		{"/* hostgroup=abc */ SELECT 1", -1, ""},
		{"/*+ hostgroup=1 */ SELECT 1", -1, ""}, // '+' glued to the key (≤3.0.6)
		{"/*+ ;hostgroup=10 */ SELECT 1", 10, ""},
		{"/*!hostgroup=3 */ SELECT 1", 3, ""},
		{"/* app */ /* hostgroup=20 */ SELECT 1", -1, ""}, // only the first comment
		{"SELECT '/* hostgroup=5 */' /* hostgroup=6 */", 6, ""},
		{"-- /* hostgroup=5 */\n/* hostgroup=6 */ SELECT 1", 6, ""},
		{"# /* hostgroup=5 */\nSELECT 1", -1, ""},
		{"SELECT 1", -1, ""},
		{"/* keyspace = things ; shard = 80- ; hostgroup = 20 */ SELECT 1", 20, "things"},
	} {
		a := pxParseAnnotation(tc.sql)
		if a.hostgroup != tc.hg || a.keys["keyspace"] != tc.ks {
			t.Errorf("%q: hostgroup %d keyspace %q, want %d %q", tc.sql, a.hostgroup, a.keys["keyspace"], tc.hg, tc.ks)
		}
	}
}

// ---------------------------------------------------------------------------------------------------
// MariaDB's general log file, read back.

// pxLogEntry is one command in a general log.
type pxLogEntry struct {
	thread  int
	command string // Query, Prepare, Execute, Connect, Init DB, Change user, Quit, …
	arg     string
}

var pxLogLine = regexp.MustCompile(`^(?:\d{6} {1,2}\d{1,2}:\d{2}:\d{2})?\t\s*(\d+) ([A-Z][A-Za-z ]*?)\t(.*)$`)

// pxReadLog parses the general log file from byte offset from on. A line that does not start an
// entry continues the previous one (a statement with newlines).
func pxReadLog(t *testing.T, path string, from int64) []pxLogEntry {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Seek(from, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	var out []pxLogEntry
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		line := sc.Text()
		if m := pxLogLine.FindStringSubmatch(line); m != nil {
			id, _ := strconv.Atoi(m[1])
			out = append(out, pxLogEntry{thread: id, command: m[2], arg: m[3]})
		} else if len(out) > 0 && !strings.HasPrefix(line, "Time\t") && !strings.Contains(line, ", Version: ") && !strings.HasPrefix(line, "Tcp port:") {
			out[len(out)-1].arg += "\n" + line
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func pxLogSize(t *testing.T, path string) int64 {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

// pxThreads maps the thread ids of server m's general log (the whole file) to "user database", from the
// Connect, Init DB and Change user lines.
func pxThreads(t *testing.T, m *MariaDB) map[int][2]string {
	t.Helper()
	threads := map[int][2]string{}
	connect := regexp.MustCompile(`^(\S+)@\S+ (?:as \S+ )?on (\S*)`)
	for _, e := range pxReadLog(t, pxGeneralLog(m), 0) {
		switch e.command {
		case "Connect", "Change user":
			if mm := connect.FindStringSubmatch(e.arg); mm != nil {
				threads[e.thread] = [2]string{mm[1], mm[2]}
			}
		case "Init DB":
			th := threads[e.thread]
			th[1] = strings.TrimSpace(e.arg)
			threads[e.thread] = th
		}
	}
	return threads
}

// pxForwarded is a statement the sidecar sent to a shard, from the general logs.
type pxForwarded struct {
	shard   pxShard
	command string
	sql     string
}

// pxForwardedSince returns the statements the sidecar's backend user sent to every server since the
// given log offsets (Query, Prepare and Execute entries), each with the shard whose database received it.
func (e *pxEnv) pxForwardedSince(t *testing.T, offsets map[string]int64) []pxForwarded {
	t.Helper()
	var out []pxForwarded
	for _, name := range []string{"a", "b"} {
		m := e.server(name)
		threads := pxThreads(t, m)
		for _, le := range pxReadLog(t, pxGeneralLog(m), offsets[name]) {
			if le.command != "Query" && le.command != "Prepare" && le.command != "Execute" {
				continue
			}
			th, ok := threads[le.thread]
			if !ok || th[0] != pxBackendUser {
				continue
			}
			sh, ok := pxShardOfDB(name, th[1])
			if !ok {
				t.Errorf("server %s thread %d (database %q) received %q: not a shard's database", name, le.thread, th[1], le.arg)
				continue
			}
			out = append(out, pxForwarded{shard: sh, command: le.command, sql: le.arg})
		}
	}
	return out
}

func (e *pxEnv) logOffsets(t *testing.T) map[string]int64 {
	t.Helper()
	return map[string]int64{"a": pxLogSize(t, pxGeneralLog(e.a)), "b": pxLogSize(t, pxGeneralLog(e.b))}
}

// pxWaitLog waits until the general logs have grown past what the servers executed (the file is written
// as each statement starts; a short pause covers the last write).
func pxWaitLog() { time.Sleep(200 * time.Millisecond) }

// ---------------------------------------------------------------------------------------------------
// Helpers.

func (e *pxEnv) app(t *testing.T, db string, tweak ...func(*pxOpts)) *pxConn {
	t.Helper()
	o := pxOpts{role: pxAppConn, user: pxAppUser, password: pxAppPassword, db: db}
	for _, f := range tweak {
		f(&o)
	}
	return pxDial(t, e.sc.Addr(), o)
}

func (e *pxEnv) monitor(t *testing.T) *pxConn {
	t.Helper()
	return pxDial(t, e.sc.Addr(), pxOpts{role: pxMonitorConn, user: pxMonUser, password: pxMonPassword})
}

func pxEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s: got %v, want %v", what, got, want)
	}
}

func pxHashShard(t *testing.T, id int64) string {
	t.Helper()
	v, err := vindex.Create("hash", "hash", nil)
	if err != nil {
		t.Fatal(err)
	}
	k, err := v.(vindex.Hashing).Hash(vindex.NewInt64(id))
	if err != nil {
		t.Fatal(err)
	}
	if k[0] < 0x80 {
		return "-80"
	}
	return "80-"
}

// pxClean empties the things tables on both shards and px_t.
func (e *pxEnv) pxClean(t *testing.T) {
	t.Helper()
	for _, s := range pxShards {
		tables := "things; TRUNCATE things_name_lookup"
		if s.keyspace == "product" {
			tables = "px_t"
		}
		e.server(s.server).MustExec(t, s.db, "TRUNCATE "+tables)
	}
}

// ---------------------------------------------------------------------------------------------------
// (a) The handshake: ProxySQL's capability sets and attributes, with and without DEPRECATE_EOF.

func TestProxySQLHandshake(t *testing.T) {
	e := pxShared(t)
	e.pxClean(t)
	e.a.MustExec(t, "product", "INSERT INTO px_t (v) VALUES ('a1'), ('a2'), ('a3')")

	ids := map[uint32]string{}
	check := func(t *testing.T, c *pxConn, wantDB string) {
		t.Helper()
		if c.serverCaps&pxCapProtocol41 == 0 || c.serverCaps&pxCapSecureConn == 0 || c.serverCaps&pxCapPluginAuth == 0 {
			t.Errorf("greeting capabilities 0x%08x lack PROTOCOL_41, SECURE_CONNECTION or PLUGIN_AUTH", c.serverCaps)
		}
		if c.serverCaps&pxCapLongPassword == 0 {
			t.Errorf("greeting capabilities 0x%08x: CLIENT_MYSQL (bit 0) clear, Connector/C would take the sidecar for MariaDB", c.serverCaps)
		}
		// ProxySQL picks its SQL by the version (transaction_isolation for "8…", tx_isolation
		// otherwise): it must be the backends' own, MariaDB 10.11 knows only tx_isolation.
		if v := c.GetServerVersion(); !strings.Contains(v, "-MariaDB") || !strings.HasSuffix(v, "-sidecar") {
			t.Errorf("server version %q, want the MariaDB backends' with -sidecar after it", v)
		}
		if c.id == 0 {
			t.Errorf("connection id 0 in the greeting")
		}
		if other, dup := ids[c.id]; dup {
			t.Errorf("connection id %d of the greeting already given to %s", c.id, other)
		}
		ids[c.id] = t.Name()
		want := [][]string{{"NULL"}}
		if wantDB != "" {
			want = [][]string{{wantDB}}
		}
		pxEqual(t, "SELECT DATABASE()", c.rows("SELECT DATABASE()"), want)
		r := c.query("SELECT 1 AS one, 'two' AS `second col`, NULL AS n")
		if r.err != nil {
			t.Fatal(r.err)
		}
		pxEqual(t, "columns", r.results[0].columns, []string{"one", "second col", "n"})
		pxEqual(t, "rows", r.rows(), [][]string{{"1", "two", "NULL"}})
		if st := r.last().status; st&pxStAutocommit == 0 || st&pxStInTrans != 0 {
			t.Errorf("status after a SELECT: 0x%04x, want AUTOCOMMIT and not IN_TRANS", st)
		}
		if wantDB == "product" {
			pxEqual(t, "rows of px_t", c.rows("SELECT v FROM px_t ORDER BY id"), [][]string{{"a1"}, {"a2"}, {"a3"}})
			pxEqual(t, "empty result", c.rows("SELECT v FROM px_t WHERE 1 = 0"), [][]string{})
		}
		if _, err := c.simple(0x0e, nil); err != nil {
			t.Errorf("COM_PING: %v", err)
		}
	}

	t.Run("app connection with DEPRECATE_EOF", func(t *testing.T) {
		c := e.app(t, "product")
		pxEqual(t, "client flags sent", fmt.Sprintf("0x%08x", c.sentCaps), fmt.Sprintf("0x%08x", uint32(pxAppCaps|pxCapLongPassword)))
		t.Logf("greeting flags 0x%08x; CLIENT_DEPRECATE_EOF in effect: %v", c.serverCaps, c.has(pxCapDeprecateEOF))
		check(t, c, "product")
	})
	t.Run("app connection without DEPRECATE_EOF", func(t *testing.T) {
		c := e.app(t, "product", func(o *pxOpts) { o.noDeprecateEOF = true })
		if c.has(pxCapDeprecateEOF) {
			t.Fatal("CLIENT_DEPRECATE_EOF negotiated though not requested")
		}
		check(t, c, "product")
	})
	t.Run("app connection with MULTI_STATEMENTS", func(t *testing.T) {
		c := e.app(t, "product", func(o *pxOpts) { o.multiStatements = true })
		pxEqual(t, "client flags sent", fmt.Sprintf("0x%08x", c.sentCaps), fmt.Sprintf("0x%08x", uint32(0x81bba28c|pxCapLongPassword)))
		check(t, c, "product")
		r := c.query("SELECT 1; SELECT 2")
		if r.err != nil || len(r.results) != 2 {
			t.Fatalf("SELECT 1; SELECT 2: %d results, %v", len(r.results), r.err)
		}
		if r.results[0].end.status&pxStMoreResults == 0 {
			t.Errorf("first result's status 0x%04x lacks MORE_RESULTS_EXISTS", r.results[0].end.status)
		}
	})
	t.Run("app connection utf8 (the mariadb CLI's 33) on the sharded keyspace", func(t *testing.T) {
		check(t, e.app(t, "things", func(o *pxOpts) { o.collation = 33 }), "things")
	})
	t.Run("monitor connection", func(t *testing.T) {
		c := e.monitor(t)
		pxEqual(t, "client flags sent", fmt.Sprintf("0x%08x", c.sentCaps), fmt.Sprintf("0x%08x", uint32(pxMonitorCaps|pxCapLongPassword)))
		check(t, c, "")
	})
	t.Run("killer connection", func(t *testing.T) {
		check(t, pxDial(t, e.sc.Addr(), pxOpts{role: pxKillerConn, user: pxAppUser, password: pxAppPassword}), "")
	})
	t.Run("CLIENT_CONNECT_WITH_DB with an empty database name, as mysql2 connects without one", func(t *testing.T) {
		check(t, pxDial(t, e.sc.Addr(), pxOpts{role: pxAppConn, user: pxAppUser, password: pxAppPassword, emptyDB: true}), "")
	})
	t.Run("app connection with mysql-default_schema information_schema", func(t *testing.T) {
		// A client connected to ProxySQL without a schema: ProxySQL connects its backend connections
		// with mysql-default_schema, information_schema by default (§2.1 "Accept it").
		c, err := pxTryDial(t, e.sc.Addr(), pxOpts{role: pxAppConn, user: pxAppUser, password: pxAppPassword, db: "information_schema"})
		if err != nil {
			t.Fatalf("connect with schema information_schema, as ProxySQL does for clients without a schema: %v", err)
		}
		if r := c.query("SELECT 1"); r.err != nil {
			t.Errorf("SELECT 1 in information_schema: %v", r.err)
		}
		// And ProxySQL's COM_INIT_DB information_schema for a client without a schema (§2.6 item 6).
		if _, err := c.simple(0x02, []byte("information_schema")); err != nil {
			t.Errorf("COM_INIT_DB information_schema: %v", err)
		}
	})
}

// ---------------------------------------------------------------------------------------------------
// (b) The tracked SETs, in ProxySQL's order and with its exact texts, on an unsharded keyspace.

func TestProxySQLTrackedSets(t *testing.T) {
	e := pxShared(t)
	c := e.app(t, "product")

	// §2.6 items 5 and 6: COM_INIT_DB, SET NAMES, the session transaction forms, then the other variables
	// in alphabetical order with the next-transaction form at the place of "transaction". Values differ
	// from MariaDB's defaults so their effect shows. The two unknown to MariaDB get 1193 (item 8) and the
	// connection carries on.
	if _, err := c.simple(0x02, []byte("product")); err != nil {
		t.Fatalf("COM_INIT_DB product: %v", err)
	}
	type set struct {
		sql     string
		errCode uint16
	}
	for _, s := range []set{
		{"SET NAMES utf8mb4 COLLATE 'utf8mb4_unicode_ci'", 0},
		{"SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED", 0},
		{"SET SESSION TRANSACTION READ WRITE", 0},
		{"SET foreign_key_checks='OFF'", 0},
		{"SET group_concat_max_len=4096", 0},
		{"SET innodb_strict_mode='OFF'", 0},
		{"SET innodb_table_locks='OFF'", 0},
		{"SET lc_time_names='de_DE'", 0},
		{"SET max_execution_time=1000", 1193},
		{"SET sql_auto_is_null='ON'", 0},
		{"SET sql_big_selects='OFF'", 0},
		{"SET sql_generate_invisible_primary_key=ON", 1193},
		{"SET sql_mode='STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION'", 0},
		{"SET sql_quote_show_create=OFF", 0},
		{"SET sql_safe_updates='ON'", 0},
		{"SET sql_select_limit=100", 0},
		{"SET time_zone='+00:00'", 0},
		{"SET transaction isolation level SERIALIZABLE", 0},
		{"SET unique_checks='OFF'", 0},
	} {
		r := c.query(s.sql)
		switch {
		case s.errCode == 0 && r.err != nil:
			t.Errorf("%s: %v", s.sql, r.err)
		case s.errCode != 0 && (r.err == nil || r.err.code != s.errCode):
			t.Errorf("%s: %v, want ERROR %d (ProxySQL marks the variable absent and carries on)", s.sql, r.err, s.errCode)
		case r.err == nil && r.last().status&pxStInTrans != 0:
			t.Errorf("%s: status 0x%04x says IN_TRANS", s.sql, r.last().status)
		}
	}
	want := [][]string{{"utf8mb4", "utf8mb4_unicode_ci", "READ-COMMITTED", "0", "0", "4096", "0", "0", "de_DE", "1", "0",
		"STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION", "0", "1", "100", "+00:00", "0"}}
	const q = "SELECT @@character_set_client, @@collation_connection, @@session.tx_isolation, @@session.tx_read_only, " +
		"@@foreign_key_checks, @@group_concat_max_len, @@innodb_strict_mode, @@innodb_table_locks, @@lc_time_names, " +
		"@@sql_auto_is_null, @@sql_big_selects, @@sql_mode, @@sql_quote_show_create, @@sql_safe_updates, @@sql_select_limit, " +
		"@@time_zone, @@unique_checks"
	pxEqual(t, "session variables after ProxySQL's SETs", c.rows(q), want)

	// They hold for the statements that follow, whichever backend connection runs them.
	pxEqual(t, "a date in lc_time_names de_DE", c.rows("SELECT DATE_FORMAT('2024-03-01', '%M')"), [][]string{{"März"}})
	c.wantErr("UPDATE px_t SET v = 'x'", 1175) // sql_safe_updates

	// Any other error reaches the client (§2.3 error contract), and the connection still works.
	c.wantErr("SET sql_mode='NOT_A_MODE'", 1231)
	pxEqual(t, "sql_mode after the refused SET", c.rows("SELECT @@sql_mode"), [][]string{{"STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION"}})

	// Another session sees none of it: pooled backend connections carry no session state.
	for range 6 {
		other := e.app(t, "product")
		pxEqual(t, "time_zone of another session", other.rows("SELECT @@time_zone, @@sql_select_limit, @@lc_time_names"),
			[][]string{{"SYSTEM", "18446744073709551615", "en_US"}})
		other.Quit()
	}
}

// ---------------------------------------------------------------------------------------------------
// (c), (d) COM_CHANGE_USER and COM_RESET_CONNECTION reset the session.

// pxSessionState leaves state on c's session and checks it is there: an open transaction with an
// uncommitted insert, a session variable, a user variable and a prepared statement. (The transaction
// comes first: see TestProxySQLOKPackets for what a session SET or a temporary table does to a later
// BEGIN.) It returns the statement id.
func (e *pxEnv) pxSessionState(t *testing.T, c *pxConn, marker string) uint32 {
	t.Helper()
	if st := c.exec("BEGIN").status; st&pxStInTrans == 0 {
		t.Errorf("BEGIN: status 0x%04x lacks IN_TRANS", st)
	}
	if st := c.exec("INSERT INTO px_t (v) VALUES ('" + marker + "')").status; st&pxStInTrans == 0 {
		t.Errorf("INSERT in the transaction: status 0x%04x lacks IN_TRANS", st)
	}
	c.exec("SET time_zone='+03:00'")
	c.exec("SET @u = 42")
	id := c.prepare("SELECT ?")
	if err := c.executeInt(id, 7); err != nil {
		t.Fatalf("execute the prepared statement: %v", err)
	}
	pxEqual(t, "state before the reset", c.rows("SELECT @@time_zone, @u, (SELECT COUNT(*) FROM px_t WHERE v = '"+marker+"')"),
		[][]string{{"+03:00", "42", "1"}})
	pxEqual(t, "the uncommitted row seen from MariaDB directly", e.a.MustQuery(t, "product", "SELECT COUNT(*) FROM px_t WHERE v = ?", marker), [][]string{{"0"}})
	return id
}

// pxCheckReset checks the state pxSessionState left is gone.
func (e *pxEnv) pxCheckReset(t *testing.T, c *pxConn, marker string, stmt uint32) {
	t.Helper()
	r := c.query("SELECT @@time_zone, @u")
	if r.err != nil {
		t.Fatal(r.err)
	}
	pxEqual(t, "session and user variable after the reset", r.rows(), [][]string{{"SYSTEM", "NULL"}})
	if st := r.last().status; st&pxStInTrans != 0 || st&pxStAutocommit == 0 {
		t.Errorf("status after the reset: 0x%04x, want AUTOCOMMIT and not IN_TRANS", st)
	}
	if err := c.executeInt(stmt, 7); err == nil || err.code != 1243 {
		t.Errorf("executing statement %d prepared before the reset: %v, want ERROR 1243", stmt, err)
	}
	pxEqual(t, "the insert of the transaction, on MariaDB", e.a.MustQuery(t, "product", "SELECT COUNT(*) FROM px_t WHERE v = ?", marker), [][]string{{"0"}})
	// Counted on the whole server, where an earlier test's session may still be ending (its client
	// gone, its rollback on the way): a transaction left behind stays. Sessions' transactions only:
	// InnoDB's own (persistent statistics recalculated after px_t's writes, thread id 0) come and go.
	open := func() [][]string {
		return e.a.MustQuery(t, "", "SELECT COUNT(*) FROM information_schema.innodb_trx WHERE trx_mysql_thread_id <> 0")
	}
	got := open()
	for deadline := time.Now().Add(5 * time.Second); got[0][0] != "0" && time.Now().Before(deadline); got = open() {
		time.Sleep(50 * time.Millisecond)
	}
	if got[0][0] != "0" {
		t.Logf("open transactions on server A: %v", e.a.MustQuery(t, "", "SELECT t.trx_mysql_thread_id, t.trx_started, t.trx_state, IFNULL(t.trx_query, ''), IFNULL(p.USER, ''), IFNULL(p.DB, ''), IFNULL(p.COMMAND, ''), IFNULL(p.INFO, '') FROM information_schema.innodb_trx t LEFT JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id"))
	}
	pxEqual(t, "open transactions on server A", got, [][]string{{"0"}})
	pxEqual(t, "the row through the sidecar", c.rows("SELECT COUNT(*) FROM px_t WHERE v = '"+marker+"'"), [][]string{{"0"}})
}

// pxTempTable leaves a temporary table (and a user variable) on c's session; pxCheckTempGone checks
// they are gone after a reset.
func pxTempTable(t *testing.T, c *pxConn) {
	t.Helper()
	c.exec("CREATE TEMPORARY TABLE px_tmp (x INT)")
	c.exec("INSERT INTO px_tmp VALUES (1)")
	c.exec("SET @u = 43")
	pxEqual(t, "temporary table and user variable before the reset", c.rows("SELECT (SELECT COUNT(*) FROM px_tmp), @u"), [][]string{{"1", "43"}})
}

func pxCheckTempGone(t *testing.T, c *pxConn) {
	t.Helper()
	c.wantErr("SELECT COUNT(*) FROM px_tmp", 1146)
	pxEqual(t, "user variable after the reset", c.rows("SELECT @u"), [][]string{{"NULL"}})
}

func TestProxySQLChangeUser(t *testing.T) {
	e := pxShared(t)

	t.Run("reset", func(t *testing.T) {
		c := e.app(t, "product")
		stmt := e.pxSessionState(t, c, "change-user")
		ok, err, switched := c.changeUser(pxAppUser, pxAppPassword, "product")
		if err != nil {
			t.Fatalf("COM_CHANGE_USER: %v", err)
		}
		t.Logf("COM_CHANGE_USER: auth switch requested: %v; OK status 0x%04x", switched, ok.status)
		// ProxySQL always sends SET NAMES after COM_CHANGE_USER, before the next statement.
		c.exec("SET NAMES utf8mb4 COLLATE 'utf8mb4_general_ci'")
		pxEqual(t, "database after COM_CHANGE_USER", c.rows("SELECT DATABASE()"), [][]string{{"product"}})
		e.pxCheckReset(t, c, "change-user", stmt)

		pxTempTable(t, c)
		if _, err, _ := c.changeUser(pxAppUser, pxAppPassword, "product"); err != nil {
			t.Fatalf("second COM_CHANGE_USER: %v", err)
		}
		pxCheckTempGone(t, c)
	})
	t.Run("to another user and schema", func(t *testing.T) {
		c := e.app(t, "product")
		c.exec("SET @u = 1")
		if _, err, _ := c.changeUser(pxApp2User, pxApp2Password, "things"); err != nil {
			t.Fatalf("COM_CHANGE_USER to %s: %v", pxApp2User, err)
		}
		pxEqual(t, "database", c.rows("SELECT DATABASE()"), [][]string{{"things"}})
		pxEqual(t, "user variable", c.rows("SELECT @u"), [][]string{{"NULL"}})
		// The session belongs to app2 now: mysql_user may not kill it.
		k := e.app(t, "")
		if r := k.query(fmt.Sprintf("KILL QUERY %d", c.id)); r.err == nil || r.err.code != 1095 {
			t.Errorf("KILL QUERY of app2's session by %s: %v, want ERROR 1095 (not owner)", pxAppUser, r.err)
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		c := e.app(t, "product")
		_, err, _ := c.changeUser(pxAppUser, "not the password", "product")
		if err == nil || err.code != 1045 {
			t.Fatalf("COM_CHANGE_USER with a wrong password: %v, want ERROR 1045", err)
		}
		if !strings.Contains(err.msg, "Access denied for user '"+pxAppUser+"'") {
			t.Errorf("error message: %q", err.msg)
		}
		// MariaDB keeps the connection as the old user's, and so does the sidecar (mysql2's pool
		// goes on with it); ProxySQL drops a connection whose COM_CHANGE_USER failed either way.
		if r := c.query("SELECT 1"); r.err != nil {
			t.Errorf("SELECT 1 after the failed COM_CHANGE_USER: %v", r.err)
		}
	})
	t.Run("unknown user", func(t *testing.T) {
		c := e.app(t, "product")
		if _, err, _ := c.changeUser("nobody", "x", "product"); err == nil || err.code != 1045 {
			t.Fatalf("COM_CHANGE_USER to an unknown user: %v, want ERROR 1045", err)
		}
	})
}

func TestProxySQLResetConnection(t *testing.T) {
	e := pxShared(t)
	c := e.app(t, "product")
	stmt := e.pxSessionState(t, c, "reset-connection")
	if _, err := c.simple(0x1f, nil); err != nil {
		t.Fatalf("COM_RESET_CONNECTION: %v", err)
	}
	pxEqual(t, "database after COM_RESET_CONNECTION", c.rows("SELECT DATABASE()"), [][]string{{"product"}})
	e.pxCheckReset(t, c, "reset-connection", stmt)

	pxTempTable(t, c)
	if _, err := c.simple(0x1f, nil); err != nil {
		t.Fatalf("second COM_RESET_CONNECTION: %v", err)
	}
	pxCheckTempGone(t, c)

	// The session's wait_timeout goes back to the config's (MySQL's 8 hours here) with the rest
	// of its state: an idle client is no longer disconnected after one second.
	c.exec("SET wait_timeout=1")
	c.exec("SELECT 1")
	if _, err := c.simple(0x1f, nil); err != nil {
		t.Fatalf("COM_RESET_CONNECTION after SET wait_timeout: %v", err)
	}
	time.Sleep(2500 * time.Millisecond)
	pxEqual(t, "a query 2.5s after the reset of wait_timeout=1", c.rows("SELECT 2"), [][]string{{"2"}})
}

// ---------------------------------------------------------------------------------------------------
// (e) The monitor: connect check, ping check, read_only check.

func TestProxySQLMonitor(t *testing.T) {
	e := pxShared(t)
	offsets := e.logOffsets(t)

	t.Run("connect check", func(t *testing.T) {
		c := e.monitor(t)
		c.mustSend(0x01, nil) // COM_QUIT
		if !c.closed(2 * time.Second) {
			t.Errorf("the sidecar keeps the connection open after COM_QUIT")
		}
	})
	t.Run("ping check", func(t *testing.T) {
		c := e.monitor(t)
		if _, err := c.simple(0x0e, nil); err != nil {
			t.Fatalf("COM_PING: %v", err)
		}
		if ok := c.exec("SET wait_timeout=80"); ok.status&pxStInTrans != 0 {
			t.Errorf("SET wait_timeout=80: status 0x%04x", ok.status)
		}
		for range 3 {
			if _, err := c.simple(0x0e, nil); err != nil {
				t.Fatalf("COM_PING after SET wait_timeout: %v", err)
			}
		}
	})
	t.Run("read_only check", func(t *testing.T) {
		c := e.monitor(t)
		for _, q := range []string{
			"SELECT @@global.read_only read_only",
			"SELECT @@global.innodb_read_only read_only",
			"SELECT @@global.read_only&@@global.innodb_read_only read_only",
			"SELECT @@global.read_only|@@global.innodb_read_only read_only",
			// SELECT @@global.super_read_only read_only is MySQL-only (MariaDB: 1193).
		} {
			r := c.query(q)
			if r.err != nil {
				t.Errorf("%s: %v", q, r.err)
				continue
			}
			if len(r.results) != 1 || len(r.results[0].columns) != 1 || r.results[0].columns[0] != "read_only" {
				t.Errorf("%s: columns %v, want exactly one named read_only", q, r.results)
			}
			pxEqual(t, q, r.rows(), [][]string{{"0"}})
			if q == "SELECT @@global.read_only read_only" {
				c.exec("SET wait_timeout=80") // after the read-only checker's first query
			}
		}
	})
	t.Run("wait_timeout disconnects an idle client", func(t *testing.T) {
		c := e.monitor(t)
		c.exec("SET wait_timeout=1")
		if !c.closed(4 * time.Second) {
			t.Errorf("still connected 4s after SET wait_timeout=1")
		}
	})
	t.Run("SET wait_timeout=0 is one second, as MySQL clamps it", func(t *testing.T) {
		c := e.monitor(t)
		c.exec("SET wait_timeout=0")
		if !c.closed(4 * time.Second) {
			t.Errorf("still connected 4s after SET wait_timeout=0")
		}
	})
	t.Run("wait_timeout counts from the last command", func(t *testing.T) {
		// The sidecar moves the idle deadline only when it is due (idleSlack):
		// a client active for longer than wait_timeout must stay connected.
		c := e.monitor(t)
		c.exec("SET wait_timeout=1")
		for range 8 {
			time.Sleep(400 * time.Millisecond)
			c.exec("SELECT 1")
		}
	})
	pxWaitLog()
	for _, f := range e.pxForwardedSince(t, offsets) {
		if strings.Contains(strings.ToLower(f.sql), "wait_timeout") {
			t.Errorf("SET wait_timeout reached shard %s/%s (it is the sidecar's own, answered locally): %q", f.shard.keyspace, f.shard.name, f.sql)
		}
	}
}

// ---------------------------------------------------------------------------------------------------
// (f) KILL QUERY / KILL CONNECTION from ProxySQL's killer connection.

// pxRunAsync sends sql on c and returns a channel with the reply and when it came.
func pxRunAsync(c *pxConn, sql string) <-chan pxTimedReply {
	ch := make(chan pxTimedReply, 1)
	if err := c.send(0x03, []byte(sql)); err != nil {
		ch <- pxTimedReply{err: err, at: time.Now()}
		return ch
	}
	go func() {
		r, err := c.readReply()
		ch <- pxTimedReply{r, err, time.Now()}
	}()
	return ch
}

type pxTimedReply struct {
	r   *pxReply
	err error // protocol error or connection closed
	at  time.Time
}

// pxWaitSleeping waits until server m runs a SLEEP for the sidecar's backend user.
func pxWaitSleeping(t *testing.T, m *MariaDB, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		r := m.MustQuery(t, "", "SELECT COUNT(*) FROM information_schema.processlist WHERE user = ? AND info LIKE '%SLEEP(10)%'", pxBackendUser)
		if r[0][0] == strconv.Itoa(n) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("server %s: %s backend SLEEPs running, want %d", m.Addr(), r[0][0], n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// pxKill sends KILL as ProxySQL's killer does: a new connection (the hostgroup's user, no schema,
// latin1, no DEPRECATE_EOF, program_name=proxysql_killer), the KILL, COM_QUIT.
func (e *pxEnv) pxKill(t *testing.T, what string, id uint32) time.Time {
	t.Helper()
	k := pxDial(t, e.sc.Addr(), pxOpts{role: pxKillerConn, user: pxAppUser, password: pxAppPassword})
	sent := time.Now()
	if r := k.query(fmt.Sprintf("KILL %s %d", what, id)); r.err != nil {
		t.Errorf("KILL %s %d: %v", what, id, r.err)
	}
	k.mustSend(0x01, nil)
	return sent
}

func TestProxySQLKill(t *testing.T) {
	e := pxShared(t)
	e.pxClean(t)
	for _, id := range []int64{1, 4} { // one row on each shard of things
		s := pxShards[0]
		if pxHashShard(t, id) == "80-" {
			s = pxShards[1]
		}
		e.server(s.server).MustExec(t, s.db, "INSERT INTO things (id, name) VALUES (?, ?)", id, fmt.Sprintf("kill%d", id))
	}

	for _, tc := range []struct {
		name, db, sql string
		sleeping      map[*MariaDB]int
	}{
		{"unsharded", "product", "SELECT SLEEP(10)", map[*MariaDB]int{e.a: 1}},
		{"one shard", "things", "SELECT id, SLEEP(10) FROM things WHERE id = 4", map[*MariaDB]int{e.b: 1}},
		{"scatter", "things", "SELECT id, SLEEP(10) FROM things", map[*MariaDB]int{e.a: 1, e.b: 1}},
	} {
		t.Run("KILL QUERY "+tc.name, func(t *testing.T) {
			victim := e.app(t, tc.db)
			reply := pxRunAsync(victim, tc.sql)
			for m, n := range tc.sleeping {
				pxWaitSleeping(t, m, n)
			}
			sent := e.pxKill(t, "QUERY", victim.id)
			select {
			case got := <-reply:
				took := got.at.Sub(sent)
				if got.err != nil {
					t.Fatalf("victim after KILL QUERY: %v", got.err)
				}
				if got.r.err == nil {
					t.Errorf("victim: %s returned %v after %v, want an error", tc.sql, got.r.rows(), took)
				} else if got.r.err.code != 1317 {
					t.Errorf("victim: %v, want ERROR 1317 (70100) Query execution was interrupted", got.r.err)
				}
				if took > 1200*time.Millisecond {
					t.Errorf("victim interrupted %v after the KILL QUERY, want about a second at most", took)
				}
				t.Logf("victim got %v after %v", got.r.err, took)
			case <-time.After(15 * time.Second):
				t.Fatalf("victim: no reply 15s after KILL QUERY")
			}
			for m := range tc.sleeping {
				pxWaitSleeping(t, m, 0)
			}
			pxEqual(t, "the victim afterwards", victim.rows("SELECT 1"), [][]string{{"1"}})
		})
	}

	for _, tc := range []struct {
		name, sql string
		sleeping  []*MariaDB
	}{
		{"scatter", "SELECT id, SLEEP(10) FROM things", []*MariaDB{e.a, e.b}},
		// Relayed from its shard as it comes (helper-63: the shard's 1317 reached the client).
		{"one shard", "SELECT id, SLEEP(10) FROM things WHERE id = 4", []*MariaDB{e.b}},
	} {
		t.Run("KILL CONNECTION "+tc.name, func(t *testing.T) {
			victim := e.app(t, "things")
			reply := pxRunAsync(victim, tc.sql)
			for _, m := range tc.sleeping {
				pxWaitSleeping(t, m, 1)
			}
			sent := e.pxKill(t, "CONNECTION", victim.id)
			select {
			case got := <-reply:
				if got.r != nil && got.r.err != nil {
					t.Logf("victim after %v: %v", got.at.Sub(sent), got.r.err)
				} else {
					t.Logf("victim after %v: connection error %v", got.at.Sub(sent), got.err)
				}
				if got.err == nil {
					// MariaDB closes a killed connection with no reply to its statement: the client
					// reports the lost connection, not an error of the statement it can go on from.
					t.Errorf("victim: a reply after KILL CONNECTION (%v), want the connection closed", got.r.err)
				}
				if got.at.Sub(sent) > 1200*time.Millisecond {
					t.Errorf("victim interrupted %v after the KILL CONNECTION", got.at.Sub(sent))
				}
			case <-time.After(15 * time.Second):
				t.Fatalf("victim: no reply 15s after KILL CONNECTION")
			}
			if !victim.closed(2 * time.Second) {
				t.Errorf("victim connection still open after KILL CONNECTION")
			}
			pxWaitSleeping(t, e.a, 0)
			pxWaitSleeping(t, e.b, 0)
		})
	}
	t.Run("KILL of an unknown id", func(t *testing.T) {
		k := pxDial(t, e.sc.Addr(), pxOpts{role: pxKillerConn, user: pxAppUser, password: pxAppPassword})
		k.wantErr("KILL QUERY 4000000000", 1094)
	})
}

// ---------------------------------------------------------------------------------------------------
// (g) OK packets: warnings, last insert id, status flags.

func TestProxySQLOKPackets(t *testing.T) {
	e := pxShared(t)
	e.pxClean(t)

	t.Run("warnings and last insert id", func(t *testing.T) {
		c := e.app(t, "product")
		ok := c.exec("INSERT INTO px_t (v) VALUES ('g1')")
		pxEqual(t, "affected rows", ok.affected, 1)
		if ok.insertID == 0 {
			t.Errorf("OK of an INSERT with AUTO_INCREMENT: last insert id 0")
		}
		maxID := e.a.MustQuery(t, "product", "SELECT MAX(id) FROM px_t")[0][0]
		pxEqual(t, "last insert id in the OK = the row's id on MariaDB", ok.insertID, maxID)
		pxEqual(t, "SELECT LAST_INSERT_ID()", c.rows("SELECT LAST_INSERT_ID()"), [][]string{{maxID}})

		ok = c.exec("INSERT INTO px_t (v) VALUES ('g2'), ('g3')")
		pxEqual(t, "multi-row insert: affected rows", ok.affected, 2)
		if !strings.Contains(ok.info, "Records: 2") {
			t.Errorf("multi-row insert: info %q", ok.info)
		}
		ok = c.exec("INSERT IGNORE INTO px_t (id, v) VALUES (" + maxID + ", 'dup')")
		pxEqual(t, "INSERT IGNORE of a duplicate: warnings in the OK", ok.warnings, 1)
		pxEqual(t, "INSERT IGNORE of a duplicate: affected rows", ok.affected, 0)
		ok = c.exec("DROP TEMPORARY TABLE IF EXISTS px_no_such_table")
		pxEqual(t, "DROP … IF EXISTS of nothing: warnings in the OK", ok.warnings, 1)
		pxEqual(t, "SHOW WARNINGS after it", c.rows("SHOW WARNINGS"), [][]string{{"Note", "1051", "Unknown table 'product.px_no_such_table'"}})
		r := c.query("SELECT CAST('1x' AS SIGNED)")
		pxEqual(t, "SELECT with a warning: warnings at the end of the rows", r.last().warnings, 1)
		pxEqual(t, "a clean statement: warnings", c.exec("SELECT 1").warnings, 0)

		things := e.app(t, "things")
		ok = things.exec("INSERT INTO things (id, name) VALUES (1, 'g-one'), (4, 'g-four')")
		pxEqual(t, "INSERT on two shards: affected rows", ok.affected, 2)
		ok = things.exec("INSERT IGNORE INTO things (id, name) VALUES (1, 'g-one-again')")
		t.Logf("INSERT IGNORE of a duplicate on a sharded table: affected %d, warnings %d", ok.affected, ok.warnings)
	})

	// SERVER_STATUS_IN_TRANS and SERVER_STATUS_AUTOCOMMIT must say what the backends do: ProxySQL
	// returns a backend connection to its pool when they say no transaction is open. Each check is
	// made against MariaDB too: a row written in a transaction is invisible outside until COMMIT.
	type step struct {
		sql                 string
		inTrans, autocommit bool
		visible             string // "" no check, else the count of marker rows on MariaDB afterwards
	}
	run := func(t *testing.T, c *pxConn, count func() string, steps []step) {
		t.Helper()
		for _, s := range steps {
			ok := c.exec(s.sql)
			if (ok.status&pxStInTrans != 0) != s.inTrans || (ok.status&pxStAutocommit != 0) != s.autocommit {
				t.Errorf("%s: status 0x%04x, want IN_TRANS=%v AUTOCOMMIT=%v", s.sql, ok.status, s.inTrans, s.autocommit)
			}
			if s.visible != "" {
				if got := count(); got != s.visible {
					t.Errorf("after %s: %s marker rows on MariaDB, want %s", s.sql, got, s.visible)
				}
			}
		}
	}
	productCount := func(marker string) func() string {
		return func() string {
			return e.a.MustQuery(t, "product", "SELECT COUNT(*) FROM px_t WHERE v = ?", marker)[0][0]
		}
	}
	// §2.6 item 7's order: SET autocommit=0, INSERT, COMMIT, SET autocommit=1, SELECT.
	flags := func(marker string) []step {
		return []step{
			{"SELECT 1", false, true, ""},
			{"BEGIN", true, true, ""},
			{"INSERT INTO px_t (v) VALUES ('" + marker + "')", true, true, "0"},
			{"SELECT COUNT(*) FROM px_t", true, true, "0"},
			{"COMMIT", false, true, "1"},
			{"BEGIN", true, true, ""},
			{"INSERT INTO px_t (v) VALUES ('" + marker + "')", true, true, "1"},
			{"ROLLBACK", false, true, "1"},
			{"SET autocommit=0", false, false, ""},
			{"INSERT INTO px_t (v) VALUES ('" + marker + "')", true, false, "1"},
			{"COMMIT", false, false, "2"},
			{"INSERT INTO px_t (v) VALUES ('" + marker + "')", true, false, "2"},
			{"ROLLBACK", false, false, "2"},
			{"SET autocommit=1", false, true, ""},
			{"SELECT v FROM px_t WHERE v = '" + marker + "'", false, true, "2"},
		}
	}
	t.Run("status flags", func(t *testing.T) {
		run(t, e.app(t, "product"), productCount("flags"), flags("flags"))
	})
	t.Run("status flags after a tracked SET", func(t *testing.T) {
		// What every ProxySQL backend connection looks like once the client changed a tracked
		// variable: the SET is replayed before the statements (§2.6 item 6).
		c := e.app(t, "product")
		c.exec("SET sql_mode='STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION'")
		run(t, c, productCount("flags-after-set"), flags("flags-after-set"))
	})
	t.Run("status flags after ProxySQL's SET NAMES", func(t *testing.T) {
		// ProxySQL's exact text (§2.3, §2.6 item 5), sent after every COM_CHANGE_USER and whenever the
		// client's character set differs from the backend connection's.
		c := e.app(t, "product")
		c.exec("SET NAMES utf8mb4 COLLATE 'utf8mb4_general_ci'")
		pxEqual(t, "collation", c.rows("SELECT @@collation_connection"), [][]string{{"utf8mb4_general_ci"}})
		run(t, c, productCount("flags-after-names"), flags("flags-after-names"))
	})
	t.Run("temporary table inside a transaction", func(t *testing.T) {
		// CREATE/DROP TEMPORARY TABLE do not commit in MySQL and MariaDB.
		c := e.app(t, "product")
		run(t, c, productCount("temp-in-txn"), []step{
			{"BEGIN", true, true, ""},
			{"INSERT INTO px_t (v) VALUES ('temp-in-txn')", true, true, "0"},
			{"CREATE TEMPORARY TABLE px_tmp_g (x INT)", true, true, "0"},
			{"DROP TEMPORARY TABLE px_tmp_g", true, true, "0"},
			{"ROLLBACK", false, true, "0"},
		})
	})
	t.Run("autocommit=0 first on the sharded keyspace", func(t *testing.T) {
		c := e.app(t, "things")
		run(t, c, func() string {
			return e.a.MustQuery(t, "things_x80", "SELECT COUNT(*) FROM things WHERE id = 7")[0][0]
		}, []step{
			{"SET autocommit=0", false, false, ""},
			{"INSERT INTO things (id, name) VALUES (7, 'gs-first')", true, false, "0"},
			{"ROLLBACK", false, false, "0"},
		})
	})
	t.Run("status flags on the sharded keyspace", func(t *testing.T) {
		c := e.app(t, "things")
		count := func() string {
			n := 0
			for _, s := range pxShards[:2] {
				v, _ := strconv.Atoi(e.server(s.server).MustQuery(t, s.db, "SELECT COUNT(*) FROM things WHERE name LIKE 'gs-%'")[0][0])
				n += v
			}
			return strconv.Itoa(n)
		}
		run(t, c, count, []step{
			{"BEGIN", true, true, ""},
			{"INSERT INTO things (id, name) VALUES (11, 'gs-11'), (14, 'gs-14')", true, true, "0"},
			{"COMMIT", false, true, "2"},
			{"SET autocommit=0", false, false, ""},
			{"INSERT INTO things (id, name) VALUES (21, 'gs-21')", true, false, "2"},
			{"SELECT id FROM things WHERE id = 21", true, false, "2"},
			{"ROLLBACK", false, false, "2"},
			{"INSERT INTO things (id, name) VALUES (22, 'gs-22')", true, false, "2"},
			{"COMMIT", false, false, "3"},
			{"SET autocommit=1", false, true, ""},
		})
	})
}

// ---------------------------------------------------------------------------------------------------
// (h) Every statement the sidecar forwards during seed 000's session routes to the right hostgroup,
// by ProxySQL's annotation parser and by the rules of `sidecar proxysql-rules`.

// pxRule is a query rule read back from `sidecar proxysql-rules`.
type pxRule struct {
	id, hostgroup int
	pattern       string
	re            *regexp.Regexp
}

var pxSQLRuleLine = regexp.MustCompile(`^INSERT INTO mysql_query_rules \(rule_id, active, match_pattern, destination_hostgroup, re_modifiers, apply, comment\) VALUES \((\d+), 1, '((?:[^']|'')*)', (\d+), 'CASELESS', 1, '(?:[^']|'')*'\);$`)

// pxRules runs `sidecar proxysql-rules` on the test config, in both formats, and returns the rules with
// their patterns read back as ProxySQL's admin (SQLite: a doubled quote is a quote, backslashes are
// literal) and
// libconfig (C escapes) read them; the two must agree. The patterns are compiled with Go's regexp and
// (?i) for re_modifiers CASELESS: for these patterns (anchors, \s, \d, escaped literals, an optional
// non-capturing group, an alternation) PCRE and RE2 match exactly as Go does.
func (e *pxEnv) pxRules(t *testing.T) []pxRule {
	t.Helper()
	run := func(args ...string) string {
		out, err := exec.Command(e.bin, append([]string{"proxysql-rules", "-config", e.config}, args...)...).Output()
		if err != nil {
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				t.Fatalf("sidecar proxysql-rules %v: %v\n%s", args, err, ee.Stderr)
			}
			t.Fatal(err)
		}
		return string(out)
	}
	sqlOut, cnfOut := run(), run("-format", "cnf")
	var rules []pxRule
	for _, line := range strings.Split(sqlOut, "\n") {
		m := pxSQLRuleLine.FindStringSubmatch(line)
		if m == nil {
			if strings.Contains(line, "mysql_query_rules (") {
				t.Fatalf("rule line not understood: %s", line)
			}
			continue
		}
		id, _ := strconv.Atoi(m[1])
		hg, _ := strconv.Atoi(m[3])
		pattern := strings.ReplaceAll(m[2], "''", "'")
		re, err := regexp.Compile("(?i)" + pattern)
		if err != nil {
			t.Fatalf("rule %d: %v", id, err)
		}
		rules = append(rules, pxRule{id, hg, pattern, re})
	}
	var cnfPatterns []string
	for _, line := range strings.Split(cnfOut, "\n") {
		if _, q, ok := strings.Cut(strings.TrimSpace(line), "match_pattern = "); ok {
			s, err := strconv.Unquote(q)
			if err != nil {
				t.Fatalf("cnf match_pattern %s: %v", q, err)
			}
			cnfPatterns = append(cnfPatterns, s)
		}
	}
	if len(rules) != len(pxShards) || len(cnfPatterns) != len(rules) {
		t.Fatalf("%d rules in the SQL, %d in the cnf, want %d\n%s\n%s", len(rules), len(cnfPatterns), len(pxShards), sqlOut, cnfOut)
	}
	for i, r := range rules {
		if cnfPatterns[i] != r.pattern {
			t.Errorf("rule %d: the cnf says %q, the SQL %q", r.id, cnfPatterns[i], r.pattern)
		}
	}
	for _, want := range []string{"LOAD MYSQL SERVERS TO RUNTIME;", "SAVE MYSQL SERVERS TO DISK;", "LOAD MYSQL QUERY RULES TO RUNTIME;", "SAVE MYSQL QUERY RULES TO DISK;"} {
		if !strings.Contains(sqlOut, want) {
			t.Errorf("proxysql-rules output lacks %q", want)
		}
	}
	for _, s := range pxShards {
		addr := e.server(s.server).Addr()
		host, port, _ := net.SplitHostPort(addr)
		row := fmt.Sprintf("INSERT INTO mysql_servers (hostgroup_id, hostname, port, comment) VALUES (%d, '%s', %s, ", s.hostgroup, host, port)
		if !strings.Contains(sqlOut, row) {
			t.Errorf("proxysql-rules output lacks the server row %s…", row)
		}
	}
	sort.Slice(rules, func(i, j int) bool { return rules[i].id < rules[j].id })
	return rules
}

// pxRouteByRules is the destination hostgroup ProxySQL's rules give sql: the first matching rule (all
// have apply=1), -1 for none (the user's default hostgroup).
func pxRouteByRules(rules []pxRule, sql string) int {
	for _, r := range rules {
		if r.re.MatchString(sql) {
			return r.hostgroup
		}
	}
	return -1
}

// pxCheckRouting checks that every forwarded statement would reach its shard's hostgroup through a
// ProxySQL between the sidecar and the shards: by the annotation in its first comment and by the rules.
func pxCheckRouting(t *testing.T, forwarded []pxForwarded, rules []pxRule) {
	t.Helper()
	for _, f := range forwarded {
		a := pxParseAnnotation(f.sql)
		where := fmt.Sprintf("%s %q received by %s/%s (hostgroup %d)", f.command, f.sql, f.shard.keyspace, f.shard.name, f.shard.hostgroup)
		if a.hostgroup != f.shard.hostgroup {
			t.Errorf("%s: ProxySQL's comment parser routes it to hostgroup %d", where, a.hostgroup)
		}
		if a.keys["keyspace"] != f.shard.keyspace || a.keys["shard"] != f.shard.name {
			t.Errorf("%s: the hint names keyspace %q shard %q", where, a.keys["keyspace"], a.keys["shard"])
		}
		if !strings.HasPrefix(f.sql, "/*") {
			t.Errorf("%s: the hint is not the first bytes of the statement", where)
		}
		if hg := pxRouteByRules(rules, f.sql); hg != f.shard.hostgroup {
			t.Errorf("%s: the proxysql-rules rules route it to hostgroup %d", where, hg)
		}
	}
}

func TestProxySQLRoutingSeed000(t *testing.T) {
	e := pxShared(t)
	e.pxClean(t)
	rules := e.pxRules(t)
	offsets := e.logOffsets(t)

	// Seed 000 as ProxySQL forwards an application's session: text protocol, the schema in the
	// handshake, then the same statements as prepared statements from go-sql-driver (ProxySQL forwards
	// COM_STMT_PREPARE/EXECUTE), and a transaction over both shards.
	c := e.app(t, "things")
	pxEqual(t, "INSERT (1, foo), (2, bar)", c.exec(`INSERT INTO things (id, name) VALUES (1, "foo"), (2, "bar")`).affected, 2)
	things := [][]string{{"1", "foo"}, {"2", "bar"}}
	pxEqual(t, "select * from things", sortedStrings(c.rows("select * from things")), things)
	pxEqual(t, "select from things_name_lookup", sortedStrings(c.rows("select name, hex(keyspace_id) from things_name_lookup")),
		[][]string{{"bar", "06E7EA22CE92708F"}, {"foo", "166B40B44ABA4BD6"}})
	c.wantErr(`INSERT INTO things (id, name) VALUES (3, "bar")`, 1062)
	pxEqual(t, "select * from things after the duplicate", sortedStrings(c.rows("select * from things")), things)
	c.rows("select * from things_name_lookup")
	c.exec("BEGIN")
	c.exec(`INSERT INTO things (id, name) VALUES (4, "qux")`)
	c.rows("SELECT name FROM things WHERE id = 1")
	c.rows("SELECT name FROM things WHERE id = 4")
	c.exec("COMMIT")

	cfg := gomysql.NewConfig()
	cfg.Net, cfg.Addr, cfg.User, cfg.Passwd, cfg.DBName = "tcp", e.sc.Addr(), pxAppUser, pxAppPassword, "things"
	cfg.Timeout, cfg.ReadTimeout = 5*time.Second, 30*time.Second
	connector, err := gomysql.NewConnector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	ins, err := db.Prepare("INSERT INTO things (id, name) VALUES (?, ?)")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ins.Exec(3, "baz"); err != nil {
		t.Fatalf("prepared INSERT (3, baz): %v", err)
	}
	if _, err := ins.Exec(5, "bar"); err == nil {
		t.Errorf("prepared INSERT (5, bar): no duplicate error")
	}
	ins.Close()
	var name string
	if err := db.QueryRow("SELECT name FROM things WHERE id = ?", 3).Scan(&name); err != nil || name != "baz" {
		t.Errorf("prepared SELECT id 3: %q %v", name, err)
	}
	rows, err := db.Query("SELECT id FROM things WHERE id > ?", 0)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ScanStrings(rows)
	if err != nil {
		t.Fatal(err)
	}
	pxEqual(t, "prepared scatter", sortedStrings(got), [][]string{{"1"}, {"2"}, {"3"}, {"4"}})
	db.Close()

	pxWaitLog()
	forwarded := e.pxForwardedSince(t, offsets)
	byShard := map[string]int{}
	for _, f := range forwarded {
		byShard[f.shard.keyspace+"/"+f.shard.name]++
	}
	t.Logf("%d statements forwarded to the shards (%v)", len(forwarded), byShard)
	if byShard["things/-80"] == 0 || byShard["things/80-"] == 0 {
		t.Fatalf("the general logs show no statements of the sidecar on both shards: %v", byShard)
	}
	pxCheckRouting(t, forwarded, rules)
	if t.Failed() || os.Getenv("PX_SHOW_FORWARDED") != "" {
		for _, f := range forwarded {
			t.Logf("  %s/%s %s %q", f.shard.keyspace, f.shard.name, f.command, f.sql)
		}
	}
}

func sortedStrings(rows [][]string) [][]string {
	out := append([][]string{}, rows...)
	sort.Slice(out, func(i, j int) bool { return strings.Join(out[i], "\x00") < strings.Join(out[j], "\x00") })
	return out
}

// ---------------------------------------------------------------------------------------------------
// (i) Statements that arrive with a hint (from an application or a ProxySQL in front).

func TestProxySQLUpstreamHints(t *testing.T) {
	e := pxShared(t)
	e.pxClean(t)
	if pxHashShard(t, 1) != "-80" || pxHashShard(t, 4) != "80-" {
		t.Fatal("hash(1) must be on -80 and hash(4) on 80-")
	}
	e.a.MustExec(t, "things_x80", "INSERT INTO things (id, name) VALUES (1, 'one')")
	e.b.MustExec(t, "things_80x", "INSERT INTO things (id, name) VALUES (4, 'four')")
	c := e.app(t, "things")

	// logged returns the forwarded statements containing marker.
	logged := func(t *testing.T, offsets map[string]int64, marker string) []pxForwarded {
		t.Helper()
		pxWaitLog()
		var out []pxForwarded
		for _, f := range e.pxForwardedSince(t, offsets) {
			if strings.Contains(f.sql, marker) {
				out = append(out, f)
			}
		}
		return out
	}

	t.Run("hint agreeing with the vindex is kept, no second hint", func(t *testing.T) {
		offsets := e.logOffsets(t)
		q := "/* hostgroup=20;keyspace=things;shard=80- */ SELECT id, name FROM things WHERE id = 4 AND 'i1' = 'i1'"
		pxEqual(t, q, c.rows(q), [][]string{{"4", "four"}})
		got := logged(t, offsets, "'i1'")
		if len(got) != 1 || got[0].shard.name != "80-" {
			t.Fatalf("forwarded: %+v, want once to things/80-", got)
		}
		if got[0].sql != q {
			t.Errorf("forwarded as %q, want the client's text unchanged %q", got[0].sql, q)
		}
		if n := strings.Count(got[0].sql, "/*"); n != 1 {
			t.Errorf("forwarded with %d comments: %q", n, got[0].sql)
		}
	})
	t.Run("hint contradicting the vindex is refused", func(t *testing.T) {
		offsets := e.logOffsets(t)
		q := "/* hostgroup=20;keyspace=things;shard=80- */ SELECT id, name FROM things WHERE id = 1 AND 'i2' = 'i2'"
		r := c.query(q)
		if r.err == nil {
			t.Fatalf("%s: returned %v, want an error (id 1 is on -80)", q, r.rows())
		}
		t.Logf("refused: %v", r.err)
		if !strings.Contains(r.err.msg, "80-") || !strings.Contains(r.err.msg, "-80") {
			t.Errorf("the error does not name the hinted shard 80- and the vindex's -80: %v", r.err)
		}
		if got := logged(t, offsets, "'i2'"); len(got) != 0 {
			t.Errorf("sent to a shard anyway: %+v", got)
		}
		pxEqual(t, "the connection afterwards", c.rows("SELECT 1"), [][]string{{"1"}})
	})
	t.Run("hint without a vindex condition targets its shard only", func(t *testing.T) {
		offsets := e.logOffsets(t)
		q := "/* hostgroup=20;keyspace=things;shard=80- */ SELECT id, name FROM things WHERE name <> 'i3'"
		pxEqual(t, q, c.rows(q), [][]string{{"4", "four"}})
		got := logged(t, offsets, "'i3'")
		if len(got) != 1 || got[0].shard.name != "80-" {
			t.Errorf("forwarded: %+v, want once to things/80-", got)
		}
		q = "/* keyspace=things;shard=-80 */ SELECT id, name FROM things WHERE name <> 'i3b'"
		pxEqual(t, q, c.rows(q), [][]string{{"1", "one"}})
		if got := logged(t, offsets, "'i3b'"); len(got) != 1 || got[0].shard.name != "-80" {
			t.Errorf("forwarded: %+v, want once to things/-80", got)
		}
	})
	t.Run("hostgroup-only hint targets the shard of that hostgroup", func(t *testing.T) {
		offsets := e.logOffsets(t)
		q := "/* hostgroup=20 */ SELECT id, name FROM things WHERE name <> 'i4'"
		pxEqual(t, q, c.rows(q), [][]string{{"4", "four"}})
		if got := logged(t, offsets, "'i4'"); len(got) != 1 || got[0].shard.name != "80-" {
			t.Errorf("forwarded: %+v, want once to things/80-", got)
		}
	})
	t.Run("application comment: the sidecar's hint comes first", func(t *testing.T) {
		offsets := e.logOffsets(t)
		q := "/* controller='index',traceparent='00-0af7' */ SELECT id, name FROM things WHERE id = 4 AND 'i5' = 'i5'"
		pxEqual(t, q, c.rows(q), [][]string{{"4", "four"}})
		got := logged(t, offsets, "'i5'")
		if len(got) != 1 || !strings.HasPrefix(got[0].sql, "/* hostgroup=20;keyspace=things;shard=80- */ /* controller=") {
			t.Errorf("forwarded: %+v, want once to things/80-, the sidecar's hint first", got)
		}
	})
	t.Run("hint without hostgroup still routes through ProxySQL to the shard's hostgroup", func(t *testing.T) {
		// A shard behind ProxySQL is reached only if the forwarded statement's first comment carries its
		// hostgroup (or a rule matches it): an upstream /* keyspace=…;shard=… */ must not take its place.
		rules := e.pxRules(t)
		offsets := e.logOffsets(t)
		q := "/* keyspace=things;shard=80- */ SELECT id, name FROM things WHERE id = 4 AND 'i6' = 'i6'"
		pxEqual(t, q, c.rows(q), [][]string{{"4", "four"}})
		got := logged(t, offsets, "'i6'")
		if len(got) != 1 {
			t.Fatalf("forwarded: %+v, want once", got)
		}
		if a := pxParseAnnotation(got[0].sql); a.hostgroup != 20 {
			t.Errorf("forwarded as %q: ProxySQL's comment parser finds hostgroup %d, want 20 (without rules the statement "+
				"would run on the user's default hostgroup, not on shard 80-); with the proxysql-rules rules: hostgroup %d",
				got[0].sql, a.hostgroup, pxRouteByRules(rules, got[0].sql))
		}
	})
}

// The general log parser must understand MariaDB's file (checked on the shared servers).
func TestProxySQLGeneralLogFormat(t *testing.T) {
	e := pxShared(t)
	offsets := e.logOffsets(t)
	e.app(t, "product").rows("SELECT 1") // the sidecar's backend connection to product
	e.a.MustExec(t, "product", "SELECT 'px-log-check',\n 2")
	pxWaitLog()
	var found bool
	for _, le := range pxReadLog(t, pxGeneralLog(e.a), offsets["a"]) {
		if strings.Contains(le.arg, "px-log-check") {
			found = true
			pxEqual(t, "command", le.command, "Query")
			pxEqual(t, "multi-line argument", le.arg, "SELECT 'px-log-check',\n 2")
		}
	}
	if !found {
		t.Errorf("statement not found in %s:\n%s", pxGeneralLog(e.a), tailFile(pxGeneralLog(e.a), 20))
	}
	threads := pxThreads(t, e.a)
	var sidecarThreads int
	for _, th := range threads {
		if th[0] == pxBackendUser {
			sidecarThreads++
		}
	}
	if sidecarThreads == 0 {
		t.Errorf("no Connect line of %s in %s:\n%s", pxBackendUser, pxGeneralLog(e.a), tailFile(pxGeneralLog(e.a), 20))
	}
}

// The replayed ProxySQL client against MariaDB itself, which ProxySQL 2.7.2 was observed against:
// this checks the test client (MariaDB clears CLIENT_MYSQL and advertises CLIENT_DEPRECATE_EOF, so the
// extended capabilities and OK-terminated result sets are exercised too), so a failure of the same
// steps against the sidecar is the sidecar's.
func TestProxySQLClientAgainstMariaDB(t *testing.T) {
	e := pxShared(t)
	const user, password = "px_direct", "px direct pw"
	e.a.MustExec(t, "", "DROP USER IF EXISTS 'px_direct'@'%'")
	if err := e.a.CreateUser(user, password); err != nil {
		t.Fatal(err)
	}
	dial := func(t *testing.T, o pxOpts) *pxConn {
		o.role, o.user, o.password = pxAppConn, user, password
		return pxDial(t, e.a.Addr(), o)
	}
	for _, noDeprecate := range []bool{false, true} {
		c := dial(t, pxOpts{db: "product", noDeprecateEOF: noDeprecate})
		if c.serverCaps&pxCapLongPassword != 0 || c.sentCaps&pxCapLongPassword != 0 {
			t.Errorf("MariaDB greets with CLIENT_MYSQL 0x%08x, we sent 0x%08x", c.serverCaps, c.sentCaps)
		}
		pxEqual(t, "DEPRECATE_EOF negotiated", c.has(pxCapDeprecateEOF), !noDeprecate)
		pxEqual(t, "rows", c.rows("SELECT 1 AS one, NULL AS n"), [][]string{{"1", "NULL"}})
		pxEqual(t, "no rows", c.rows("SELECT v FROM px_t WHERE 1 = 0"), [][]string{})
	}

	c := dial(t, pxOpts{db: "product"})
	stmt := e.pxSessionState(t, c, "direct-change-user")
	ok, err, switched := c.changeUser(user, password, "product")
	if err != nil {
		t.Fatalf("COM_CHANGE_USER on MariaDB: %v", err)
	}
	t.Logf("MariaDB: auth switch %v, OK status 0x%04x", switched, ok.status)
	c.exec("SET NAMES utf8mb4 COLLATE 'utf8mb4_general_ci'")
	e.pxCheckReset(t, c, "direct-change-user", stmt)
	pxTempTable(t, c)
	if _, err, _ := c.changeUser(user, password, "product"); err != nil {
		t.Fatalf("second COM_CHANGE_USER on MariaDB: %v", err)
	}
	pxCheckTempGone(t, c)

	c = dial(t, pxOpts{db: "product"})
	stmt = e.pxSessionState(t, c, "direct-reset-connection")
	if _, err := c.simple(0x1f, nil); err != nil {
		t.Fatalf("COM_RESET_CONNECTION on MariaDB: %v", err)
	}
	e.pxCheckReset(t, c, "direct-reset-connection", stmt)

	c = dial(t, pxOpts{db: "product"})
	if _, err, _ := c.changeUser(user, "wrong", "product"); err == nil || err.code != 1045 {
		t.Errorf("COM_CHANGE_USER with a wrong password on MariaDB: %v, want 1045", err)
	}
	t.Logf("MariaDB closed the connection after the failed COM_CHANGE_USER: %v", c.closed(500*time.Millisecond))
}
