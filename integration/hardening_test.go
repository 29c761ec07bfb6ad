package integration

// End-to-end tests of issue 15: the sidecar survives hostile input and faults — a login that
// crashed it, values that escaped their literals under NO_BACKSLASH_ESCAPES, a shard that restarts,
// pooled connections the server closed while idle, a client that leaves mid-result, too many
// connections and too few file descriptors.

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	mysqlerr "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-sql-driver/mysql"
)

// TestHardeningEmptyPassword: a user configured with an empty password logs in without one, as in
// MySQL; a client that sends a password for it is refused with 1045 — it crashed the sidecar before
// (go-mysql decoding the empty password's hash).
func TestHardeningEmptyPassword(t *testing.T) {
	m := MustStartMariaDB(t, Options{})
	m.MustExec(t, "", "CREATE DATABASE product")
	listen := fmt.Sprintf("127.0.0.1:%d", FreePort())
	path := filepath.Join(t.TempDir(), "sidecar.yaml")
	// The users of unshardedYAML and one without a password.
	yaml := strings.Replace(unshardedYAML(listen, 2, unshardedKeyspace{"product", m.Addr(), "product"}),
		"users:\n", "users:\n  - {name: nopw, password: \"\"}\n", 1)
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	sc := MustStartSidecar(t, MustBuildSidecar(t), path, listen)
	ctx := boundedContext(t, time.Minute)
	for _, tc := range []struct {
		password string
		ok       bool
	}{{"", true}, {"x", false}, {"nopw", false}, {"", true}} {
		db := openUnshardedDriver(t, sc.Addr(), "nopw", tc.password, "product")
		err := db.PingContext(ctx)
		if tc.ok && err != nil {
			t.Errorf("login without a password: %v", err)
		}
		if !tc.ok {
			expectMySQLError(t, err, 1045, "28000")
		}
		db.Close()
	}
	select {
	case <-sc.Exited():
		t.Fatalf("the sidecar exited: %v", sc.ExitErr())
	default:
	}
}

// edgeValues are values that break literals built without care: quotes, backslashes, NUL, control
// characters, multibyte text, trailing spaces, and injection attempts.
var edgeValues = []string{
	"it's", `back\slash`, `\'`, `"double"`, "nul\x00byte", "tab\tnl\ncr\r", "ctrl\x01\x1a\x7f",
	"Grüße ✓", "emoji 😀", "trailing  ", `x' OR 1=1 -- `, `\`,
}

// TestHardeningValuesRoundTrip: every edge value written through the sidecar into a table owning a
// consistent lookup vindex comes back byte for byte from the owner row and the lookup row, through
// text and prepared statements, under the default sql_mode, NO_BACKSLASH_ESCAPES and ANSI_QUOTES;
// and an injection attempt in a prepared DELETE that runs on every shard (its values rendered into
// SQL text by the sidecar) stays a value and deletes nothing.
func TestHardeningValuesRoundTrip(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	ctx := shardedContext(t)
	e.mustCLI("customer", "INSERT INTO customer (customer_id, email) VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd');")
	id := 100
	for _, mode := range []string{"", "NO_BACKSLASH_ESCAPES", "ANSI_QUOTES"} {
		for _, interpolate := range []bool{false, true} {
			name := fmt.Sprintf("mode=%q/interpolateParams=%t", mode, interpolate)
			t.Run(name, func(t *testing.T) {
				db := openUnshardedDriver(t, e.sc.Addr(), seedUser, seedPassword, "things", func(c *mysql.Config) { c.InterpolateParams = interpolate })
				db.SetMaxOpenConns(1) // one session, whose sql_mode is set below
				if mode != "" {
					if _, err := db.ExecContext(ctx, "SET SESSION sql_mode = '"+mode+"'"); err != nil {
						t.Fatal(err)
					}
				}
				for _, v := range edgeValues {
					id++
					v := v + fmt.Sprintf(" #%d", id) // lookup values are unique
					if _, err := db.ExecContext(ctx, "INSERT INTO things (id, name) VALUES (?, ?)", id, v); err != nil {
						t.Errorf("insert %q: %v", v, err)
						continue
					}
					var got string
					if err := db.QueryRowContext(ctx, "SELECT name FROM things WHERE id = ?", id).Scan(&got); err != nil || got != v {
						t.Errorf("%q read back by id as %q (%v)", v, got, err)
					}
					var gotID int
					if err := db.QueryRowContext(ctx, "SELECT id FROM things WHERE name = ?", v).Scan(&gotID); err != nil || gotID != id {
						t.Errorf("%q found by name (through its lookup row): id %d, %v; want %d", v, gotID, err, id)
					}
					checkStored(t, e, id, v)
				}
				// A DELETE and an UPDATE by a column without a vindex run on every shard, with
				// their arguments written into the statement by the sidecar.
				for _, q := range []string{"DELETE FROM customer.customer WHERE email = ?", "UPDATE customer.customer SET email = 'z' WHERE email = ?"} {
					for _, attempt := range []string{`nomatch' OR 1=1 -- `, `nomatch\' OR 1=1 -- `, `nomatch\`} {
						res, err := db.ExecContext(ctx, q, attempt)
						if err != nil {
							t.Errorf("%s with %q: %v", q, attempt, err)
							continue
						}
						if n, _ := res.RowsAffected(); n != 0 {
							t.Errorf("%s with %q: %d rows affected", q, attempt, n)
						}
					}
				}
				var emails []string
				for _, sh := range shardedShards {
					for _, r := range e.rows("customer", sh, "SELECT email FROM customer") {
						emails = append(emails, r[0])
					}
				}
				if slices.Sort(emails); strings.Join(emails, ",") != "a,b,c,d" {
					t.Errorf("customers after the injection attempts: %q", emails)
				}
			})
		}
	}
	// A statement prepared under one sql_mode and executed under another writes its values for the
	// mode in force: the sidecar plans it again, with its INSERT's template, for the new mode.
	t.Run("sql_mode changed between executes", func(t *testing.T) {
		conn := thingsSession(t, ctx, e)
		insert, err := conn.PrepareContext(ctx, "INSERT INTO things (id, name) VALUES (?, ?)")
		if err != nil {
			t.Fatal(err)
		}
		defer insert.Close()
		for _, mode := range []string{"", "NO_BACKSLASH_ESCAPES", ""} {
			if _, err := conn.ExecContext(ctx, "SET SESSION sql_mode = '"+mode+"'"); err != nil {
				t.Fatal(err)
			}
			for _, v := range []string{`back\slash`, `\'`, "it's"} {
				id++
				v := fmt.Sprintf("%s #%d (mode %q)", v, id, mode)
				if _, err := insert.ExecContext(ctx, id, v); err != nil {
					t.Errorf("mode %q: insert %q: %v", mode, v, err)
					continue
				}
				checkStored(t, e, id, v)
			}
		}
	})
	// A prepared statement keeps the meaning it was prepared with, as MySQL keeps it, on every
	// backend connection the sidecar prepares it on later: "x" prepared as a string stays a string
	// after SET sql_mode = 'ANSI_QUOTES', and prepared as a name stays a name after it is unset.
	t.Run("statement prepared before SET sql_mode keeps its meaning", func(t *testing.T) {
		conn := thingsSession(t, ctx, e)
		// read executes stmt for rows on both shards; its first column is literal, or the name.
		read := func(stmt *sql.Stmt, mode, literal string) {
			t.Helper()
			for id := 101; id <= 108; id++ {
				var first, name string
				if err := stmt.QueryRowContext(ctx, id).Scan(&first, &name); err != nil {
					t.Errorf("sql_mode %q, id %d: %v", mode, id, err)
				} else if want := cmp.Or(literal, name); first != want {
					t.Errorf("sql_mode %q, id %d: first column %q, want %q", mode, id, first, want)
				}
			}
		}
		setMode := func(mode string) {
			t.Helper()
			if _, err := conn.ExecContext(ctx, "SET SESSION sql_mode = '"+mode+"'"); err != nil {
				t.Fatal(err)
			}
		}
		prepare := func(q string) *sql.Stmt {
			t.Helper()
			stmt, err := conn.PrepareContext(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { stmt.Close() })
			return stmt
		}
		asString := prepare(`SELECT "tag", name FROM things WHERE id = ?`)
		setMode("ANSI_QUOTES")
		asName := prepare(`SELECT "name", name FROM things WHERE id = ?`)
		read(asString, "ANSI_QUOTES", "tag")
		read(asName, "ANSI_QUOTES", "")
		setMode("")
		read(asString, "", "tag")
		read(asName, "", "")
		// The same text prepared now is another statement, on the same backend connections.
		sameText := prepare(`SELECT "name", name FROM things WHERE id = ?`)
		read(sameText, "", "name")
		read(asName, "", "")
		// The empty sql_mode is a mode like any other: prepared in it, "tag" stays a string
		// under ANSI_QUOTES on the shard that prepares it later.
		conn = thingsSession(t, ctx, e)
		setMode("")
		inEmptyMode := prepare(`SELECT "tag", name FROM things WHERE id = ?`)
		setMode("ANSI_QUOTES")
		read(inEmptyMode, "ANSI_QUOTES", "tag")
	})
	// A client that prepares ever new statements (and closes them) does not pile them up on the
	// shards, where max_prepared_stmt_count counts them for every client: a backend connection
	// holds a bounded number.
	t.Run("distinct prepared statements stay bounded on the shards", func(t *testing.T) {
		conn := thingsSession(t, ctx, e)
		held := func() (n int) {
			for _, sh := range shardedShards {
				c, _ := strconv.Atoi(e.rows("things", sh, "SHOW GLOBAL STATUS LIKE 'Prepared_stmt_count'")[0][1])
				n += c
			}
			return n
		}
		before := held()
		const statements = 1500
		for i := range statements {
			id := 101 + i%8
			stmt, err := conn.PrepareContext(ctx, fmt.Sprintf("SELECT id, %d FROM things WHERE id = ?", i))
			if err != nil {
				t.Fatal(err)
			}
			var gotID, gotI int
			if err := stmt.QueryRowContext(ctx, id).Scan(&gotID, &gotI); err != nil || gotID != id || gotI != i {
				t.Fatalf("statement %d: %d, %d, %v", i, gotID, gotI, err)
			}
			stmt.Close()
		}
		// Unbounded, each statement would stay prepared on a shard: 1500 or more. Bounded, a
		// few backend connections hold 128 each.
		if added := held() - before; added >= 1000 {
			t.Errorf("%d distinct statements, prepared and closed by the client, left %d prepared on the shards", statements, added)
		}
	})
}

// thingsSession is one client session through the sidecar, in keyspace things, closed at the end
// of the test.
func thingsSession(t *testing.T, ctx context.Context, e *shardedEnv) *sql.Conn {
	t.Helper()
	conn, err := openUnshardedDriver(t, e.sc.Addr(), seedUser, seedPassword, "things").Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// checkStored reads the owner row and its lookup row directly on the shards and compares their bytes.
func checkStored(t *testing.T, e *shardedEnv, id int, v string) {
	t.Helper()
	hexV := fmt.Sprintf("%X", v)
	owners, lookups := 0, 0
	for _, sh := range shardedShards {
		for _, r := range e.rows("things", sh, "SELECT HEX(name) FROM things WHERE id = ?", id) {
			owners++
			if r[0] != hexV {
				t.Errorf("owner row %d on %s holds %s, want %s (%q)", id, sh, r[0], hexV, v)
			}
		}
		lookups += len(e.rows("things", sh, "SELECT 1 FROM things_name_lookup WHERE HEX(name) = ?", hexV))
	}
	if owners != 1 || lookups != 1 {
		t.Errorf("%q: %d owner rows, %d lookup rows with its exact bytes; want 1 and 1", v, owners, lookups)
	}
}

// twoKeyspaces starts two MariaDB servers, each the one shard of an unsharded keyspace (a on A, b on
// B), and a sidecar in front of them; B's datadir outlives it, so B can be restarted on it.
func twoKeyspaces(t *testing.T, extraYAML string) (a, b *MariaDB, sc *Sidecar) {
	t.Helper()
	a = MustStartMariaDB(t, Options{})
	b = MustStartMariaDB(t, Options{KeepDataDir: true})
	dir := b.DataDir()
	t.Cleanup(func() { os.RemoveAll(dir) }) // after every Stop: cleanups run last first
	a.MustExec(t, "", "CREATE DATABASE a; CREATE TABLE a.t (id INT PRIMARY KEY AUTO_INCREMENT, v VARCHAR(20))")
	b.MustExec(t, "", "CREATE DATABASE b; CREATE TABLE b.t (id INT PRIMARY KEY AUTO_INCREMENT, v VARCHAR(20))")
	listen := fmt.Sprintf("127.0.0.1:%d", FreePort())
	path := filepath.Join(t.TempDir(), "sidecar.yaml")
	yaml := unshardedYAML(listen, 4, unshardedKeyspace{"a", a.Addr(), "a"}, unshardedKeyspace{"b", b.Addr(), "b"}) + extraYAML
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return a, b, MustStartSidecar(t, MustBuildSidecar(t), path, listen)
}

// TestHardeningShardRestart: while a shard is down its statements fail at once with 1105 naming it,
// and the other shard's go on; once it is back, its statements succeed again within a second (the
// test allows two, for a loaded machine: `make stress` measures the figure), however long it was
// down.
func TestHardeningShardRestart(t *testing.T) {
	_, b, sc := twoKeyspaces(t, "")
	ctx := boundedContext(t, 2*time.Minute)
	db := openUnshardedDriver(t, sc.Addr(), appUser, appPassword, "a")
	write := func(ks string) error {
		_, err := db.ExecContext(ctx, "INSERT INTO "+ks+".t (v) VALUES ('x')")
		return err
	}
	for _, ks := range []string{"a", "b"} {
		if err := write(ks); err != nil {
			t.Fatal(err)
		}
	}
	port, dir := b.Port(), b.DataDir()
	if err := syscall.Kill(b.Pid(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-b.Exited()
	for down := time.Now(); time.Since(down) < 4*time.Second; {
		start := time.Now()
		err := write("b")
		me := expectMySQLError(t, err, 1105, "HY000")
		if me != nil && !strings.Contains(me.Message, "shard b/0") {
			t.Errorf("error while b is down does not name the shard: %s", me.Message)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("a statement on the dead shard took %v to fail", d)
		}
		if err := write("a"); err != nil {
			t.Errorf("shard a while b is down: %v", err)
		}
		time.Sleep(200 * time.Millisecond) // the sidecar's back-off grows meanwhile
	}
	b2, err := StartMariaDB(Options{DataDir: dir, Port: port})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b2.Stop() })
	back := time.Now()
	for {
		err := write("b")
		if err == nil {
			t.Logf("shard b usable %v after it accepted connections again", time.Since(back).Round(time.Millisecond))
			break
		}
		if time.Since(back) > 2*time.Second {
			t.Fatalf("shard b still unusable %v after its restart: %v", time.Since(back), err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestHardeningDeadIdleConnections: pooled connections the server closed while they were idle
// (KILL here; a restart or wait_timeout alike) are replaced before a statement goes out on them, so
// writes succeed, on unsharded and sharded keyspaces alike.
func TestHardeningDeadIdleConnections(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{backend: "pool_size: 2"})
	ctx := shardedContext(t)
	db := e.driver(e.sc, "customer")
	for i := range 4 {
		if _, err := db.ExecContext(ctx, "INSERT INTO customer (customer_id, email) VALUES (?, 'x')", i+1); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range []*MariaDB{e.a, e.b} {
		for _, r := range m.MustQuery(t, "", "SELECT id FROM information_schema.processlist WHERE user = 'root' AND id <> CONNECTION_ID() AND command = 'Sleep'") {
			m.MustExec(t, "", "KILL "+r[0])
		}
	}
	time.Sleep(1500 * time.Millisecond) // past the pool's check-after-idle delay
	for i := range 4 {
		if _, err := db.ExecContext(ctx, "UPDATE customer SET email = 'y' WHERE customer_id = ?", i+1); err != nil {
			t.Errorf("write %d after the pooled connections died: %v", i, err)
		}
	}
	if _, err := db.ExecContext(ctx, "INSERT INTO product.corder_keyspace_idx (corder_id, keyspace_id) VALUES (99, X'00')"); err != nil {
		t.Errorf("unsharded write after the pooled connections died: %v", err)
	}
}

// TestHardeningClientGoneMidResult: a client that reads part of a large result and disconnects
// leaves no half-read backend connection in the pool, and its statement does not run on: with one
// connection per shard, the next client's statements get their own answers, after a one-shard
// query, a concatenated scatter and a merged one.
func TestHardeningClientGoneMidResult(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{backend: "pool_size: 1"})
	ctx := shardedContext(t)
	for _, sh := range shardedShards {
		// Rows directly on the shards (ids not routed: only scatters read them), about 3 MB each.
		e.exec("customer", sh, "INSERT INTO customer SELECT seq + 1000, REPEAT('x', 120) FROM seq_1_to_25000")
	}
	e.mustCLI("customer", "INSERT INTO customer (customer_id, email) VALUES (1, 'one'), (4, 'four');")
	db := e.driver(e.sc, "customer")
	for _, q := range [][]string{
		{"USE customer:-80", "SELECT email FROM customer"},                                      // one shard
		{"SELECT email, SLEEP(0) FROM customer"},                                                // scatter, concatenated
		{"SELECT email FROM customer ORDER BY customer_id DESC"},                                // scatter, merged
		{"USE customer:80-", "SELECT c1.email FROM customer c1 JOIN customer c2 LIMIT 9999999"}, // a long one
	} {
		readPartly(t, e.sc.Addr(), "customer", q...)
		for id, want := range map[int]string{1: "one", 4: "four"} {
			var got string
			if err := db.QueryRowContext(ctx, "SELECT email FROM customer WHERE customer_id = ?", id).Scan(&got); err != nil || got != want {
				t.Errorf("after a client left %q: customer %d is %q, %v; want %q", q, id, got, err, want)
			}
		}
	}
	for _, m := range []*MariaDB{e.a, e.b} {
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			r := m.MustQuery(t, "", "SELECT COUNT(*) FROM information_schema.processlist WHERE info LIKE '%FROM customer%' AND id <> CONNECTION_ID()")
			if r[0][0] == "0" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("an abandoned statement still runs on %s", m.Addr())
			}
		}
	}
}

// readPartly runs statements on a new connection to addr, reads a few packets of the last one's
// result and drops the connection.
func readPartly(t *testing.T, addr, db string, statements ...string) {
	t.Helper()
	cc, err := client.Connect(addr, seedUser, seedPassword, db)
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	for _, q := range statements[:len(statements)-1] {
		if _, err := cc.Execute(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	cc.ResetSequence()
	if err := cc.WritePacket(append([]byte{0, 0, 0, 0, 0x03}, statements[len(statements)-1]...)); err != nil {
		t.Fatal(err)
	}
	for range 20 {
		if _, err := cc.ReadPacket(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestHardeningMaxConnections: max_connections refuses one more client with MySQL's 1040.
func TestHardeningMaxConnections(t *testing.T) {
	_, _, sc := twoKeyspaces(t, "max_connections: 5\n")
	ctx := boundedContext(t, time.Minute)
	db := openUnshardedDriver(t, sc.Addr(), appUser, appPassword, "a")
	var conns []*sql.Conn
	for range 5 {
		c, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	_, err := client.Connect(sc.Addr(), appUser, appPassword, "a")
	var me *mysqlerr.MyError
	if !errors.As(err, &me) || me.Code != 1040 {
		t.Errorf("client past max_connections: %v, want ERROR 1040 Too many connections", err)
	}
	for _, c := range conns {
		c.Close()
	}
	if err := db.PingContext(ctx); err != nil {
		t.Errorf("once clients left: %v", err)
	}
}

// TestHardeningFileDescriptors: running out of file descriptors fails the connections that cannot
// get one and never ends the process, which serves again once descriptors are free.
func TestHardeningFileDescriptors(t *testing.T) {
	_, _, sc := twoKeyspaces(t, "")
	ctx := boundedContext(t, time.Minute)
	if out, err := exec.Command("prlimit", "--pid", strconv.Itoa(sc.Pid()), "--nofile=64:64").CombinedOutput(); err != nil {
		t.Skipf("prlimit: %v %s", err, out)
	}
	var flood []net.Conn
	for range 200 {
		c, err := net.DialTimeout("tcp", sc.Addr(), time.Second)
		if err != nil {
			break
		}
		flood = append(flood, c)
	}
	time.Sleep(500 * time.Millisecond) // the sidecar meets EMFILE accepting them
	for _, c := range flood {
		c.Close()
	}
	select {
	case <-sc.Exited():
		t.Fatalf("the sidecar exited when it ran out of file descriptors: %v", sc.ExitErr())
	default:
	}
	db := openUnshardedDriver(t, sc.Addr(), appUser, appPassword, "a")
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		_, err := db.ExecContext(ctx, "INSERT INTO t (v) VALUES ('after the flood')")
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no statement succeeds after the flood: %v", err)
		}
	}
	if !strings.Contains(sc.Logs(), "accept") {
		t.Errorf("the accept errors were not logged")
	}
}

// TestHardeningShardOfAnotherSQLMode: a shard whose server runs another sql_mode than the first
// shard's (here NO_BACKSLASH_ESCAPES, set globally on server b before the sidecar starts) has its
// connections set to the first shard's, the one the sessions start in: the clients' statements and
// the values the sidecar writes itself (lookup rows) mean the same on every shard. Without that, a
// value escaped for the default mode is stored with its backslashes on that shard, and a quote
// escaped with a backslash ends the string there.
func TestHardeningShardOfAnotherSQLMode(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{beforeSidecar: func(e *shardedEnv) {
		e.b.MustExec(e.t, "", "SET GLOBAL sql_mode = CONCAT(@@GLOBAL.sql_mode, ',NO_BACKSLASH_ESCAPES')")
	}})
	escape := strings.NewReplacer(`\`, `\\`, `'`, `\'`)
	var want []thingRow
	for id := int64(1); id <= 8; id++ { // both shards own some of ids 1-8, and some of their names
		name := fmt.Sprintf(`back\slash 'quote' %d`, id)
		want = append(want, thingRow{id, name})
		e.mustCLI("things", fmt.Sprintf("INSERT INTO things (id, name) VALUES (%d, '%s')", id, escape.Replace(name)))
	}
	e.checkThings(want...)
	var got string
	db := e.driver(e.sc, "things")
	if err := db.QueryRow("SELECT name FROM things WHERE name = ?", want[5].name).Scan(&got); err != nil || got != want[5].name {
		t.Errorf("the row by its name through the lookup: %q, %v; want %q", got, err, want[5].name)
	}
}

// TestTransactionLostShard: a shard's connection lost inside a transaction (its server killed it)
// rolled that shard's part back; the statement that finds it rolls back the other shards' parts too
// and says so, whether it reads one shard or several, as text or prepared. Before, the session went
// on with the rest, and a later COMMIT committed half the transaction and answered OK.
func TestTransactionLostShard(t *testing.T) {
	// customer_id 1 and 3 are on -80 (server A), 4 on 80- (server B).
	for _, tc := range []struct {
		name, sql string
		prepared  bool
	}{
		{"scatter", "SELECT * FROM customer", false},
		{"merged", "SELECT * FROM customer ORDER BY customer_id", false},
		{"the lost shard", "SELECT * FROM customer WHERE customer_id = 4", false},
		{"the lost shard, prepared", "SELECT * FROM customer WHERE customer_id = ?", true},
		{"a write on both", "UPDATE customer SET email = 'u'", false},
		// Prepared on the first shard, -80 (server A), whose connection is the one lost here.
		{"a prepare", "SELECT * FROM customer WHERE customer_id = ?", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newShardedEnv(t, shardedOptions{}) // its own servers: a killed connection rolls back in the background
			ctx := shardedContext(t)
			conn, err := e.driver(e.sc, "customer").Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			for _, q := range []string{"BEGIN", "INSERT INTO customer (customer_id, email) VALUES (1, 'a'), (4, 'b')"} {
				if _, err := conn.ExecContext(ctx, q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			lost := e.b
			if tc.name == "a prepare" {
				lost = e.a
			}
			held := lost.MustQuery(t, "", "SELECT trx_mysql_thread_id FROM information_schema.innodb_trx")
			if len(held) != 1 {
				t.Fatalf("transactions on the server: %v", held)
			}
			lost.MustExec(t, "", "KILL CONNECTION "+held[0][0])
			if tc.name == "a prepare" {
				var stmt *sql.Stmt
				if stmt, err = conn.PrepareContext(ctx, tc.sql); err == nil {
					stmt.Close()
				}
			} else if tc.prepared {
				_, err = conn.ExecContext(ctx, tc.sql, 4)
			} else {
				_, err = conn.ExecContext(ctx, tc.sql)
			}
			var me *mysql.MySQLError
			if !errors.As(err, &me) || !strings.Contains(me.Message, "transaction rolled back") {
				t.Errorf("%s after a shard's connection was lost: %v, want an error saying the transaction was rolled back", tc.sql, err)
			}
			for _, q := range []string{"INSERT INTO customer (customer_id, email) VALUES (3, 'c')", "COMMIT"} {
				if _, err := conn.ExecContext(ctx, q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			a := e.rows("customer", "-80", "SELECT customer_id FROM customer WHERE customer_id IN (1, 3, 4) ORDER BY 1")
			b := e.rows("customer", "80-", "SELECT customer_id FROM customer WHERE customer_id IN (1, 3, 4) ORDER BY 1")
			if fmt.Sprint(a, b) != "[[3]] []" {
				t.Errorf("committed: -80 %v, 80- %v; want only 3, written after the rollback", a, b)
			}
		})
	}
}

// TestSilentShard: a shard whose address accepts connections and never greets (a stopped server,
// something that is not MySQL) fails the statements that need it within connect_timeout (2s), with
// the sidecar's error, as KILL of a session waiting on it does; other keyspaces answer meanwhile.
// Before, the handshake had no deadline: statements hung as long as the client waited.
func TestSilentShard(t *testing.T) {
	a := MustStartMariaDB(t, Options{})
	a.MustExec(t, "", "CREATE DATABASE a; CREATE TABLE a.t (id INT PRIMARY KEY)")
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	var held []net.Conn
	accepted := make(chan struct{})
	go func() {
		defer close(accepted)
		for {
			c, err := silent.Accept()
			if err != nil {
				for _, c := range held {
					c.Close()
				}
				return
			}
			held = append(held, c) // never answered
		}
	}()
	sc := startUnshardedSidecar(t, t.TempDir(), 2, unshardedKeyspace{"a", a.Addr(), "a"}, unshardedKeyspace{"b", silent.Addr().String(), "b"})
	ctx := boundedContext(t, time.Minute)
	// The client would wait 20s; the sidecar answers well before.
	db := openUnshardedDriver(t, sc.Addr(), appUser, appPassword, "a", func(c *mysql.Config) { c.ReadTimeout = 20 * time.Second })
	for i := range 3 {
		_, err := db.ExecContext(ctx, "INSERT INTO b.t (id) VALUES (1)")
		var me *mysql.MySQLError
		if !errors.As(err, &me) {
			t.Errorf("INSERT %d into the silent shard: %v, want the sidecar's error", i+1, err)
		}
		if _, err := db.ExecContext(ctx, "INSERT INTO a.t (id) VALUES (?)", i); err != nil {
			t.Errorf("keyspace a while b is silent: %v", err)
		}
	}
	silent.Close()
	<-accepted
}

// TestShutdownFrozenShard: SIGTERM lets a statement finish; a second SIGTERM stops the sidecar at
// once even while a statement waits on a shard whose server stopped answering (SIGSTOP). Before,
// the sidecar waited for that backend for as long as it stayed stopped.
func TestShutdownFrozenShard(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	sc, _ := e.observedSidecar()
	db := e.driver(sc, "customer")
	db.SetMaxOpenConns(1)
	if _, err := db.Exec("SELECT * FROM customer"); err != nil { // the pools hold a connection to each
		t.Fatal(err)
	}
	if err := syscall.Kill(e.b.Pid(), syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	defer syscall.Kill(e.b.Pid(), syscall.SIGCONT)
	waiting := make(chan error, 1)
	go func() {
		_, err := db.Exec("SELECT * FROM customer")
		waiting <- err
	}()
	// The statement waits on server B: the sidecar shows it running.
	watcher := e.driver(sc, "customer")
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		rows, err := watcher.Query("SHOW PROCESSLIST")
		if err != nil {
			t.Fatal(err)
		}
		list, err := ScanStrings(rows)
		if err != nil {
			t.Fatal(err)
		}
		if slices.ContainsFunc(list, func(r []string) bool { return slices.Contains(r, "SELECT * FROM customer") }) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the statement never ran: %v", list)
		}
	}
	watcher.Close()
	for range 2 {
		if err := sc.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	select {
	case <-sc.Exited():
	case <-time.After(20 * time.Second):
		t.Fatalf("the sidecar did not stop after a second SIGTERM while a statement waited on a stopped shard")
	}
	if err := <-waiting; err == nil {
		t.Errorf("the statement on the stopped shard succeeded")
	}
}

// TestStatementTimeLimit: SET STATEMENT max_statement_time=N FOR … (MariaDB Connector/J's query
// timeout) bounds a statement whatever its plan: one the sidecar merges or writes on several shards
// does not carry the assignment to them, so the sidecar kills what it runs when the time passes, and
// the statement fails with MariaDB's 1969, its writes undone. Before, only statements forwarded as
// the client wrote them had a limit; the others waited for the lock below until the backends' own
// lock wait timeout.
func TestStatementTimeLimit(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	ctx := shardedContext(t)
	conn := e.session(ctx, "customer")
	if _, err := conn.ExecContext(ctx, "INSERT INTO customer (customer_id, email) VALUES (1, 'one'), (4, 'four')"); err != nil {
		t.Fatal(err)
	}
	// Customer 4's row (shard 80-, server B) locked by a direct client.
	lock, err := sql.Open("mysql", e.b.DSN("root", "", shardBackends["customer"]["80-"].db))
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	tx, err := lock.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "SELECT * FROM customer WHERE customer_id = 4 FOR UPDATE"); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"SET STATEMENT max_statement_time=1 FOR UPDATE customer SET email = 'x'",                                                // written on each shard
		"SET STATEMENT max_statement_time=0.5 FOR SELECT * FROM customer ORDER BY customer_id FOR UPDATE",                       // merged
		"SET STATEMENT max_statement_time=1 FOR SELECT * FROM customer WHERE customer_id = 4 FOR UPDATE",                        // forwarded: the backend's own limit
		"SET STATEMENT max_statement_time=1 FOR SELECT c.email FROM customer c JOIN customer d ON d.email = c.email FOR UPDATE", // evaluated
	} {
		_, err := conn.ExecContext(ctx, q)
		var me *mysql.MySQLError
		if !errors.As(err, &me) || me.Number != 1969 || string(me.SQLState[:]) != "70100" {
			t.Errorf("%s: %v, want ERROR 1969 (70100)", q, err)
		}
	}
	if got := e.rows("customer", "-80", "SELECT email FROM customer WHERE customer_id = 1"); fmt.Sprint(got) != "[[one]]" {
		t.Errorf("customer 1 after the timed-out UPDATE: %v, want it unchanged", got)
	}
	if _, err := conn.ExecContext(ctx, "SELECT COUNT(*) FROM customer"); err != nil {
		t.Errorf("the session after its time limits: %v", err)
	}
}

// TestTableLocksLostShard: a connection holding a LOCK TABLES' locks on one shard lost (its server
// killed it) released them there; the statement that finds it releases the other shards' too and
// says so, and the session runs unlocked from then on. Before, it went on believing it held
// locks (other tables refused with 1100) while one shard's were gone and the others' held.
func TestTableLocksLostShard(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	ctx := shardedContext(t)
	conn, err := e.driver(e.sc, "customer").Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "LOCK TABLES customer WRITE"); err != nil {
		t.Fatal(err)
	}
	for _, id := range e.b.MustQuery(t, "", "SELECT id FROM information_schema.processlist WHERE db = 'customer_80x'") {
		e.b.MustExec(t, "", "KILL CONNECTION "+id[0])
	}
	_, err = conn.ExecContext(ctx, "SELECT * FROM customer")
	var me *mysql.MySQLError
	if !errors.As(err, &me) || !strings.Contains(me.Message, "table locks released") {
		t.Errorf("SELECT after shard 80-'s locking connection was lost: %v, want an error saying the locks were released", err)
	}
	if _, err := conn.ExecContext(ctx, "SELECT * FROM corder"); err != nil {
		t.Errorf("another table after the locks were released: %v", err)
	}
	// Shard -80's lock is gone too: a direct write there does not wait.
	direct, err := sql.Open("mysql", e.a.DSN("root", "", "customer_x80"))
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close()
	dc, err := direct.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer dc.Close()
	for _, q := range []string{"SET SESSION lock_wait_timeout = 2", "INSERT INTO customer (customer_id, email) VALUES (1, 'direct')"} {
		if _, err := dc.ExecContext(ctx, q); err != nil {
			t.Errorf("%s on shard -80 directly: %v", q, err)
		}
	}
	// A lost connection's locks are gone with it: UNLOCK TABLES as the first statement to find it
	// answers OK, as MySQL's always does.
	if _, err := conn.ExecContext(ctx, "LOCK TABLES customer WRITE"); err != nil {
		t.Fatal(err)
	}
	for _, id := range e.b.MustQuery(t, "", "SELECT id FROM information_schema.processlist WHERE db = 'customer_80x'") {
		e.b.MustExec(t, "", "KILL CONNECTION "+id[0])
	}
	if _, err := conn.ExecContext(ctx, "UNLOCK TABLES"); err != nil {
		t.Errorf("UNLOCK TABLES after shard 80-'s locking connection was lost: %v", err)
	}
}
