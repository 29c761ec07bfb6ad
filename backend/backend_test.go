package backend

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/server"
	"github.com/rs/zerolog"

	"sidecar/conf"
	"sidecar/mysql"
	"sidecar/sqlerr"
)

// fakeShard is a MySQL server (go-mysql's server package) that records what
// each of its connections receives and answers from reply: the pools and
// connections of this package tested without MariaDB. The end-to-end tests
// run the same code against real shards.
type fakeShard struct {
	t     *testing.T
	ln    net.Listener
	reply func(sql string) (*gomysql.Result, error)

	mu       sync.Mutex
	accepted int
	received []string // "connN: statement" or "connN: COM_…", in order
	conns    []net.Conn
}

func newFakeShard(t *testing.T) *fakeShard {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeShard{t: t, ln: ln, reply: func(string) (*gomysql.Result, error) { return nil, nil }}
	srv := server.NewServer("10.11.99-MariaDB-fake", gomysql.DEFAULT_COLLATION_ID, gomysql.AUTH_NATIVE_PASSWORD, nil, nil)
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			f.mu.Lock()
			f.accepted++
			n := f.accepted
			f.conns = append(f.conns, nc)
			f.mu.Unlock()
			go f.serve(srv, nc, n)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		f.mu.Lock()
		defer f.mu.Unlock()
		for _, c := range f.conns {
			c.Close()
		}
	})
	return f
}

func (f *fakeShard) serve(srv *server.Server, nc net.Conn, n int) {
	auth := server.NewInMemoryAuthenticationHandler(gomysql.AUTH_NATIVE_PASSWORD)
	if err := auth.AddUser("u", "p"); err != nil {
		f.t.Error(err)
		return
	}
	c, err := srv.NewCustomizedConn(nc, auth, &fakeHandler{f: f, conn: n})
	if err != nil {
		return
	}
	for !c.Closed() {
		if err := c.HandleCommand(); err != nil {
			return
		}
	}
}

func (f *fakeShard) note(conn int, what string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.received = append(f.received, fmt.Sprintf("conn%d: %s", conn, what))
}

// log returns what the shard received since the last call.
func (f *fakeShard) log() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	got := f.received
	f.received = nil
	return got
}

func (f *fakeShard) accepts() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.accepted
}

// closeConns closes the shard's side of every connection, as a restarted
// server or its wait_timeout would.
func (f *fakeShard) closeConns() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.conns {
		c.Close()
	}
}

type fakeHandler struct {
	server.EmptyHandler
	f    *fakeShard
	conn int
}

func (h *fakeHandler) UseDB(db string) error { return nil }

func (h *fakeHandler) HandleQuery(sql string) (*gomysql.Result, error) {
	h.f.note(h.conn, sql)
	return h.f.reply(sql)
}

func (h *fakeHandler) HandleStmtPrepare(sql string) (params, columns int, ctx any, err error) {
	h.f.note(h.conn, "PREPARE "+sql)
	return strings.Count(sql, "?"), 0, sql, nil
}

func (h *fakeHandler) HandleStmtClose(ctx any) error {
	h.f.note(h.conn, "CLOSE "+ctx.(string))
	return nil
}

func (h *fakeHandler) HandleOtherCommand(cmd byte, data []byte) error {
	if cmd == gomysql.COM_RESET_CONNECTION {
		h.f.note(h.conn, "COM_RESET_CONNECTION")
		return nil
	}
	return gomysql.NewError(gomysql.ER_UNKNOWN_ERROR, fmt.Sprintf("command %d not supported", cmd))
}

func (f *fakeShard) pool(t *testing.T, size int) *Pool {
	t.Helper()
	sh := &conf.Shard{Keyspace: "ks", Name: "-80", Address: f.ln.Addr().String(), Database: "ks", User: "u", Password: "p",
		PoolSize: size, ConnectTimeout: 300 * time.Millisecond}
	p := NewPool(sh, zerolog.Nop())
	t.Cleanup(p.Close)
	return p
}

// conn takes a connection from p and forgets what its set-up sent.
func (f *fakeShard) conn(t *testing.T, p *Pool) *Conn {
	t.Helper()
	bc, err := p.Get(false)
	if err != nil {
		t.Fatal(err)
	}
	f.log()
	return bc
}

func equal(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\n got %q\nwant %q", what, got, want)
	}
}

// TestConnPendingAndHint: statements pending on a connection (a BEGIN and
// the savepoints of the transaction it joins) go out before the command, in
// order, each with the shard hint; a statement whose own hint stands
// (Pool.OwnHint) gets no second one.
func TestConnPendingAndHint(t *testing.T) {
	f := newFakeShard(t)
	p := f.pool(t, 2)
	p.Hint = []byte("/* keyspace=ks;shard=-80 */ ")
	p.OwnHint = func(sql string) bool { return strings.HasPrefix(sql, "/* keyspace=") }
	bc := f.conn(t, p)
	bc.Pending = append(bc.Pending, "BEGIN", "SAVEPOINT s1")
	if _, err := bc.Exec("UPDATE t SET a = 1 WHERE id = 2"); err != nil {
		t.Fatal(err)
	}
	if _, err := bc.Exec("/* keyspace=ks;shard=-80 */ SELECT 1"); err != nil {
		t.Fatal(err)
	}
	equal(t, "received", f.log(), []string{
		"conn1: /* keyspace=ks;shard=-80 */ BEGIN",
		"conn1: /* keyspace=ks;shard=-80 */ SAVEPOINT s1",
		"conn1: /* keyspace=ks;shard=-80 */ UPDATE t SET a = 1 WHERE id = 2",
		"conn1: /* keyspace=ks;shard=-80 */ SELECT 1",
	})
	if len(bc.Pending) != 0 {
		t.Errorf("pending after the command: %q", bc.Pending)
	}
	p.Put(bc)
}

// TestConnResults: the sidecar's own statements get their rows as text and
// their errors with the backend's code and SQLSTATE; an error the server
// closes the connection after breaks it, and so does a pending statement
// that fails (the command after it would run outside the transaction it
// needs).
func TestConnResults(t *testing.T) {
	f := newFakeShard(t)
	f.reply = func(sql string) (*gomysql.Result, error) {
		switch sql {
		case "SELECT id, name FROM t":
			rs, err := gomysql.BuildSimpleTextResultset([]string{"id", "name"}, [][]any{{int64(1), "a"}, {int64(2), nil}})
			if err != nil {
				return nil, err
			}
			return gomysql.NewResult(rs), nil
		case "INSERT INTO t VALUES (1)":
			return nil, gomysql.NewError(gomysql.ER_DUP_ENTRY, "Duplicate entry '1' for key 'PRIMARY'")
		case "BEGIN":
			return nil, gomysql.NewError(gomysql.ER_LOCK_DEADLOCK, "Deadlock found")
		case "SELECT 'too large'":
			return nil, gomysql.NewError(gomysql.ER_NET_PACKET_TOO_LARGE, "Got a packet bigger than 'max_allowed_packet' bytes")
		}
		return &gomysql.Result{AffectedRows: 3, InsertId: 7}, nil
	}
	p := f.pool(t, 1)
	bc, err := p.Get(false)
	if err != nil {
		t.Fatal(err)
	}
	res, err := bc.Exec("SELECT id, name FROM t")
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprintf("%d %q", res.Columns, res.Rows); got != `2 [["1" "a"] ["2" ""]]` || res.Rows[1][1] != nil {
		t.Errorf("rows: %s (NULL must be nil)", got)
	}
	if res, err = bc.Exec("UPDATE t SET a = 1"); err != nil || res.OK.AffectedRows != 3 || res.OK.InsertID != 7 {
		t.Errorf("OK: %+v %v", res, err)
	}
	_, err = bc.Exec("INSERT INTO t VALUES (1)")
	var se *sqlerr.Error
	if !errors.As(err, &se) || se.Num != 1062 || se.State != "23000" {
		t.Errorf("duplicate key: %v, want ERROR 1062 (23000)", err)
	}
	if bc.Broken {
		t.Error("an error reply broke the connection")
	}
	// An error the server closes the connection after (SQLSTATE 08S01) keeps its code, and the
	// connection is not pooled again.
	_, err = bc.Exec("SELECT 'too large'")
	if !errors.As(err, &se) || se.Num != 1153 || se.State != "08S01" || !bc.Broken {
		t.Errorf("packet too large: %v, broken %v; want ERROR 1153 (08S01) and a broken connection", err, bc.Broken)
	}
	bc.Broken = false // the fake server kept the connection open: go on with it
	bc.Pending = append(bc.Pending, "BEGIN")
	if _, err := bc.Exec("UPDATE t SET a = 2"); err == nil || !bc.Broken {
		t.Errorf("failed pending BEGIN: err %v, broken %v", err, bc.Broken)
	}
	p.Put(bc)
}

// TestPoolReuseAndBound: a connection given back serves the next Get; a
// broken one is closed and replaced; a connection left stateful is reset
// before reuse; the pool's size bounds open connections, and a Get beyond it
// fails with ERROR 1040 naming the pool once connect_timeout has passed.
func TestPoolReuseAndBound(t *testing.T) {
	f := newFakeShard(t)
	p := f.pool(t, 1)
	bc, err := p.Get(false)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = p.Get(false)
	var se *sqlerr.Error
	if !errors.As(err, &se) || se.Num != 1040 || !strings.Contains(se.Message, "pool_size 1") {
		t.Errorf("Get beyond the pool: %v, want ERROR 1040 naming pool_size", err)
	}
	if waited := time.Since(start); waited < 250*time.Millisecond {
		t.Errorf("Get beyond the pool failed after %s, before connect_timeout", waited)
	}
	p.Put(bc)
	if bc, err = p.Get(false); err != nil {
		t.Fatal(err)
	}
	if n := f.accepts(); n != 1 {
		t.Errorf("%d connections after a Put and a Get, want 1", n)
	}
	bc.Stateful = true
	f.log()
	p.Put(bc)
	equal(t, "put back stateful", f.log(), []string{"conn1: COM_RESET_CONNECTION"})

	bc, _ = p.Get(false)
	bc.Broken = true
	p.Put(bc)
	if bc, err = p.Get(false); err != nil {
		t.Fatal(err)
	}
	if n := f.accepts(); n != 2 {
		t.Errorf("%d connections after a broken one came back, want 2", n)
	}
	if inUse, idle := p.Usage(); inUse != 1 || idle != 0 {
		t.Errorf("usage %d in use, %d idle; want 1, 0", inUse, idle)
	}
	p.Put(bc)
	if inUse, idle := p.Usage(); inUse != 0 || idle != 1 {
		t.Errorf("usage %d in use, %d idle; want 0, 1", inUse, idle)
	}
	if !strings.Contains(p.Version(), "MariaDB") {
		t.Errorf("version %q, want the greeting's", p.Version())
	}
}

// TestPoolIdleClosedByServer: a connection the server closed while it sat
// in the pool (restart, wait_timeout) is found dead and replaced before a
// statement goes out on it.
func TestPoolIdleClosedByServer(t *testing.T) {
	f := newFakeShard(t)
	p := f.pool(t, 1)
	bc, err := p.Get(false)
	if err != nil {
		t.Fatal(err)
	}
	p.Put(bc)
	f.closeConns()
	time.Sleep(liveCheckAfter + 100*time.Millisecond) // recently used ones are not checked
	bc, err = p.Get(false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bc.Exec("SELECT 1"); err != nil {
		t.Fatalf("statement on the replacement: %v", err)
	}
	if n := f.accepts(); n != 2 {
		t.Errorf("%d connections, want 2 (the closed one replaced)", n)
	}
	p.Put(bc)
}

// TestPoolShardDown: a shard that refuses connections fails a Get with ERROR
// 1105 naming the shard and its address; within the back-off that follows,
// Gets fail at once without dialing it again.
func TestPoolShardDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	dials := 0
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			dials++
			mu.Unlock()
			c.Close() // no greeting: the handshake fails
		}
	}()
	defer ln.Close()
	sh := &conf.Shard{Keyspace: "ks", Name: "80-", Address: ln.Addr().String(), Database: "ks", User: "u", Password: "p",
		PoolSize: 2, ConnectTimeout: 300 * time.Millisecond}
	p := NewPool(sh, zerolog.Nop())
	defer p.Close()
	for i := range 3 {
		_, err := p.Get(false)
		var se *sqlerr.Error
		if !errors.As(err, &se) || se.Num != 1105 || !strings.Contains(se.Message, "shard ks/80-: cannot connect to backend "+sh.Address) {
			t.Errorf("Get %d: %v, want ERROR 1105 naming the shard and its address", i, err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if dials != 1 {
		t.Errorf("%d dials for 3 Gets within the back-off, want 1", dials)
	}
}

// TestConnMaxAllowedPacket: a command longer than the server's max_allowed_packet (read when a
// connection opens) is refused with ERROR 1153 before anything is sent: the server would close the
// connection mid-write, and the client would only see it lost. The connection stays usable.
func TestConnMaxAllowedPacket(t *testing.T) {
	f := newFakeShard(t)
	f.reply = serverDefaults(1024, "STRICT_TRANS_TABLES")
	p := f.pool(t, 1)
	bc := f.conn(t, p)
	long := "SELECT '" + strings.Repeat("x", 1100) + "'"
	_, err := bc.Exec(long)
	var se *sqlerr.Error
	if !errors.As(err, &se) || se.Num != 1153 || se.State != "08S01" || !strings.Contains(se.Message, "max_allowed_packet (1024) of shard ks/-80") {
		t.Errorf("statement of %d bytes: %v, want ERROR 1153 (08S01) naming the limit and the shard", len(long), err)
	}
	if bc.Broken {
		t.Error("a refused statement broke the connection")
	}
	if _, err := bc.Exec("SELECT 1"); err != nil {
		t.Errorf("a short statement after the refusal: %v", err)
	}
	equal(t, "received", f.log(), []string{"conn1: SELECT 1"})
	p.Put(bc)
}

// TestConnPrepareIn: a statement is prepared read in the sql_mode its client
// prepared it in, switching the connection there and back when the modes
// differ, an empty mode included; in the connection's own mode when that
// was unknown. Each is prepared once per connection and mode.
func TestConnPrepareIn(t *testing.T) {
	f := newFakeShard(t)
	p := f.pool(t, 1)
	bc := f.conn(t, p)
	defer p.Put(bc)
	for _, c := range []struct{ sql, readIn, mode string }{
		{`SELECT "a"`, "", "ANSI_QUOTES"},
		{`SELECT "a"`, "", "ANSI_QUOTES"}, // cached
		{`SELECT "a"`, "ANSI_QUOTES", "ANSI_QUOTES"},
		{`SELECT "a"`, UnknownMode, "ANSI_QUOTES"}, // the same: the connection's own mode
		{`SELECT "b"`, "ANSI_QUOTES", ""},
	} {
		if _, err := bc.PrepareIn(c.sql, c.readIn, c.mode); err != nil {
			t.Fatal(err)
		}
	}
	equal(t, "received", f.log(), []string{
		"conn1: SET @sidecar_sql_mode = @@SESSION.sql_mode, SESSION sql_mode = ''",
		`conn1: PREPARE SELECT "a"`,
		"conn1: SET SESSION sql_mode = @sidecar_sql_mode, @sidecar_sql_mode = NULL",
		`conn1: PREPARE SELECT "a"`,
		"conn1: SET @sidecar_sql_mode = @@SESSION.sql_mode, SESSION sql_mode = 'ANSI_QUOTES'",
		`conn1: PREPARE SELECT "b"`,
		"conn1: SET SESSION sql_mode = @sidecar_sql_mode, @sidecar_sql_mode = NULL",
	})
}

// TestConnPrepareBound: a connection holds at most maxStmts prepared
// statements; the one past it closes them all first, and a closed one is
// prepared again when used.
func TestConnPrepareBound(t *testing.T) {
	f := newFakeShard(t)
	p := f.pool(t, 1)
	bc := f.conn(t, p)
	defer p.Put(bc)
	sql := func(i int) string { return fmt.Sprintf("SELECT %d, ?", i) }
	for i := range maxStmts + 1 {
		if _, err := bc.Prepare(sql(i), "", nil, 0); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := bc.Prepare(sql(maxStmts), "", nil, 0); err != nil { // still prepared
		t.Fatal(err)
	}
	if _, err := bc.Exec("SELECT 1"); err != nil { // the closes arrived before it
		t.Fatal(err)
	}
	got := f.log()
	closes, prepares := 0, 0
	for _, r := range got {
		switch {
		case strings.HasPrefix(r, "conn1: CLOSE "):
			closes++
		case strings.HasPrefix(r, "conn1: PREPARE "):
			prepares++
		}
	}
	last := got[len(got)-2:]
	if closes != maxStmts || prepares != maxStmts+1 || last[0] != "conn1: PREPARE "+sql(maxStmts) || len(bc.stmts) != 1 {
		t.Errorf("%d closes, %d prepares, %d cached, ending %q", closes, prepares, len(bc.stmts), last)
	}
	if _, err := bc.Prepare(sql(0), "", nil, 0); err != nil {
		t.Fatal(err)
	}
	equal(t, "closed statement used again", f.log(), []string{"conn1: PREPARE " + sql(0)})
}

// serverDefaults answers the query a new connection reads its server's defaults with.
func serverDefaults(maxPacket int64, sqlMode string) func(string) (*gomysql.Result, error) {
	return func(sql string) (*gomysql.Result, error) {
		if sql != "SELECT @@max_allowed_packet, @@SESSION.sql_mode" {
			return nil, nil
		}
		rs, err := gomysql.BuildSimpleTextResultset([]string{"@@max_allowed_packet", "@@SESSION.sql_mode"}, [][]any{{maxPacket, sqlMode}})
		if err != nil {
			return nil, err
		}
		return gomysql.NewResult(rs), nil
	}
}

// TestConnSessionMode: a backend whose sql_mode is not the one the sessions start in (the first
// shard's) has that one set on each new connection and after each reset, in the statement that
// sets the shard's other session defaults; a backend with the same mode, or a pool that does not
// know the sessions' yet, gets nothing.
func TestConnSessionMode(t *testing.T) {
	const read = "conn1: SELECT @@max_allowed_packet, @@SESSION.sql_mode"
	for _, c := range []struct {
		name, server, session string
		lockWait              time.Duration
		set                   string // the SET after the read and after a reset; "" none
	}{
		{"differs", "NO_BACKSLASH_ESCAPES", "STRICT_TRANS_TABLES", 0, "SET SESSION sql_mode = 'STRICT_TRANS_TABLES'"},
		{"with the lock wait", "NO_BACKSLASH_ESCAPES", "STRICT_TRANS_TABLES", 5 * time.Second,
			"SET SESSION innodb_lock_wait_timeout = 5, sql_mode = 'STRICT_TRANS_TABLES'"},
		{"sessions in the empty mode", "STRICT_TRANS_TABLES", "", 0, "SET SESSION sql_mode = ''"},
		{"same", "STRICT_TRANS_TABLES", "STRICT_TRANS_TABLES", 0, ""},
		{"not known yet", "NO_BACKSLASH_ESCAPES", UnknownMode, 0, ""},
		{"not a mode", "NO_BACKSLASH_ESCAPES", "ANSI' OR 1", 0, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFakeShard(t)
			f.reply = serverDefaults(1<<20, c.server)
			p := f.pool(t, 1)
			p.Shard.LockWaitTimeout = c.lockWait
			p.SessionMode = func() string { return c.session }
			bc, err := p.Get(false)
			if err != nil {
				t.Fatal(err)
			}
			want := []string{read}
			if c.set != "" {
				want = append(want, "conn1: "+c.set)
			}
			equal(t, "opening", f.log(), want)
			bc.Stateful = true
			p.Put(bc)
			want = []string{"conn1: COM_RESET_CONNECTION"}
			if c.set != "" {
				want = append(want, "conn1: "+c.set)
			}
			equal(t, "after a reset", f.log(), want)
		})
	}
}

// TestKeyspaceNames: a backend's error or warning names the keyspace where it names the shard's database as
// the database of a table or column, and leaves values and the client's own names alone.
func TestKeyspaceNames(t *testing.T) {
	for _, tc := range []struct {
		num       uint16
		msg, want string
	}{
		{1146, "Table 'shop_lo.nosuch' doesn't exist", "Table 'shop.nosuch' doesn't exist"},
		{1051, "Unknown table 'shop_lo.nosuch'", "Unknown table 'shop.nosuch'"},
		{1051, "Unknown table 'shop_lo.nosuch,shop_lo.nosuch2'", "Unknown table 'shop.nosuch,shop.nosuch2'"},
		{1366, "Incorrect integer value: 'x' for column `shop_lo`.`customer`.`tier` at row 1", "Incorrect integer value: 'x' for column `shop`.`customer`.`tier` at row 1"},
		{1062, "Duplicate entry 'shop_lo' for key 'PRIMARY'", "Duplicate entry 'shop_lo' for key 'PRIMARY'"},
		{1062, "Duplicate entry 'shop_lo.x' for key 'PRIMARY'", "Duplicate entry 'shop_lo.x' for key 'PRIMARY'"},
		{1054, "Unknown column 'shop_lo' in 'field list'", "Unknown column 'shop_lo' in 'field list'"},
		{1305, "FUNCTION shop_lo.nosuch does not exist", "FUNCTION shop.nosuch does not exist"},
		{1305, "PROCEDURE shop_lo.p does not exist", "PROCEDURE shop.p does not exist"},
		{1366, "Incorrect integer value: 'shop_lo' for column `shop_lo`.`customer`.`tier` at row 1", "Incorrect integer value: 'shop_lo' for column `shop`.`customer`.`tier` at row 1"},
	} {
		if got := keyspaceNames(tc.num, tc.msg, "shop_lo", "shop"); got != tc.want {
			t.Errorf("%d %q:\n got %q\nwant %q", tc.num, tc.msg, got, tc.want)
		}
	}
}

// TestColumnDef: a column definition of the shard's names the keyspace where it names the shard's
// database; other schemas (information_schema, another database, none), and every definition of a
// shard whose database has the keyspace's name, stay as they are.
func TestColumnDef(t *testing.T) {
	def := func(schema string) []byte {
		b := mysql.AppendLenEncString(nil, "def")
		for _, s := range []string{schema, "c", "customer", "id", "id"} {
			b = mysql.AppendLenEncString(b, s)
		}
		return append(b, 0x0c, 63, 0, 20, 0, 0, 0, mysql.TypeLongLong, 0, 0, 0, 0, 0)
	}
	renamed := NewPool(&conf.Shard{Keyspace: "shop", Database: "shop_lo"}, zerolog.Nop())
	same := NewPool(&conf.Shard{Keyspace: "shop", Database: "shop"}, zerolog.Nop())
	for _, tc := range []struct {
		pool         *Pool
		schema, want string
	}{
		{renamed, "shop_lo", "shop"},
		{renamed, "information_schema", "information_schema"},
		{renamed, "shop_lo2", "shop_lo2"},
		{renamed, "", ""},
		{same, "shop", "shop"},
	} {
		if got := slices.Concat((&Conn{Pool: tc.pool}).ColumnDef(def(tc.schema))); string(got) != string(def(tc.want)) {
			t.Errorf("schema %q: got %q, want %q", tc.schema, got, def(tc.want))
		}
	}
}
