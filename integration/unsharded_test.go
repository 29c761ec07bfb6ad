package integration

// End-to-end tests of issue 2 on unsharded keyspaces: real MariaDB backends, the real sidecar binary,
// and the clients users have: the mariadb CLI, go-sql-driver/mysql (binary and text protocol) and
// sysbench. Every statement on an unsharded keyspace goes to its one shard as the client sent it
// (behind the shard hint comment), so the expected outputs below are what MariaDB itself prints.
//
// Most tests share one MariaDB and one sidecar (sharedUnsharded), each test on its own keyspace or
// tables; tests that stop or break a sidecar start their own. Nothing here runs in parallel: the
// shared instances are shared, and sysbench's numbers mean little on two busy cores.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// The accounts every test config declares: one with the default plugin (mysql_native_password) and
// one with caching_sha2_password, the MySQL 8 default that modern connectors expect.
const (
	appUser     = "mysql_user"
	appPassword = "mysql_password"
	shaUser     = "sha_user"
	shaPassword = "sha pässword'\\" // awkward on purpose: quoting and non-ASCII must survive the RSA exchange
)

// unshardedKeyspace is an unsharded keyspace of a test config: its one shard "0" on database db at addr.
type unshardedKeyspace struct {
	name, addr, db string
}

// unshardedYAML is a config as a user would write it: the listen address, no admin listener, the two
// accounts, root with an empty password on the backends, and one unsharded keyspace per spec.
func unshardedYAML(listen string, poolSize int, keyspaces ...unshardedKeyspace) string {
	var b strings.Builder
	fmt.Fprintf(&b, "listen: %q\n", listen)
	fmt.Fprintf(&b, "admin_listen: \"\"\n")
	fmt.Fprintf(&b, "users:\n")
	fmt.Fprintf(&b, "  - {name: %q, password: %q}\n", appUser, appPassword)
	fmt.Fprintf(&b, "  - {name: %q, password: %q, auth_plugin: caching_sha2_password}\n", shaUser, shaPassword)
	fmt.Fprintf(&b, "backend: {user: root, password: \"\", pool_size: %d, connect_timeout: 2s}\n", poolSize)
	fmt.Fprintf(&b, "keyspaces:\n")
	for _, ks := range keyspaces {
		fmt.Fprintf(&b, "  %s:\n    shards:\n      \"0\": {address: %q, database: %q}\n", ks.name, ks.addr, ks.db)
	}
	fmt.Fprintf(&b, "log: {level: info, format: json}\n")
	return b.String()
}

// startUnshardedSidecar writes a config into dir and starts the built sidecar on a free port, stopped in
// t.Cleanup.
func startUnshardedSidecar(t *testing.T, dir string, poolSize int, keyspaces ...unshardedKeyspace) *Sidecar {
	t.Helper()
	bin := MustBuildSidecar(t)
	listen := fmt.Sprintf("127.0.0.1:%d", FreePort())
	path := filepath.Join(dir, "sidecar.yaml")
	if err := os.WriteFile(path, []byte(unshardedYAML(listen, poolSize, keyspaces...)), 0o644); err != nil {
		t.Fatal(err)
	}
	return MustStartSidecar(t, bin, path, listen)
}

// unshardedEnv is the MariaDB and sidecar most tests of this file share. Keyspace `product` is served
// by database `product`; keyspace `app` by database `appdb`, so a keyspace that is not named like its
// database is covered too.
type unshardedEnv struct {
	mdb                 *MariaDB
	keyspaces           []string // sorted, as SHOW DATABASES lists them
	bin, config, listen string

	mu sync.Mutex
	sc *Sidecar
}

var unshardedOnce struct {
	once sync.Once
	env  *unshardedEnv
	err  error
}

// Pool size of the shared sidecar: small, so a test that wants to see every pooled connection (to
// check none leaks session state) only has to run a statement a few times more than that.
const sharedPoolSize = 4

// sharedUnsharded returns the shared MariaDB and sidecar, starting them on first use. They are not
// stopped by the test that started them but by TestMain's Cleanup, which stops every instance the
// process started. A sidecar that died (a crash) fails the test it died in, and the next test gets
// a new one on the same address, so one crash does not fail every later test.
func sharedUnsharded(t *testing.T) *unshardedEnv {
	t.Helper()
	unshardedOnce.once.Do(func() { unshardedOnce.env, unshardedOnce.err = startUnshardedEnv() })
	if unshardedOnce.err != nil {
		t.Fatal(unshardedOnce.err)
	}
	env := unshardedOnce.env
	sc, err := env.running()
	if err != nil {
		t.Fatal(err)
	}
	// On failure show what the sidecar logged during this test only.
	logStart := len(sc.Logs())
	t.Cleanup(func() {
		logs := sc.Logs()
		if logStart <= len(logs) {
			logs = logs[logStart:]
		}
		select {
		case <-sc.Exited():
			t.Errorf("the shared sidecar exited during %s (%v); its last words:\n%s", t.Name(), sc.ExitErr(), tail(logs, 60))
			return
		default:
		}
		if t.Failed() {
			t.Logf("--- shared sidecar output during %s:\n%s", t.Name(), tail(logs, 60))
			t.Logf("--- tail of %s:\n%s", env.mdb.ErrorLogPath(), env.mdb.ErrorLog(20))
		}
	})
	return env
}

// running returns the shared sidecar, started again if it has exited.
func (env *unshardedEnv) running() (*Sidecar, error) {
	env.mu.Lock()
	defer env.mu.Unlock()
	if env.sc != nil {
		select {
		case <-env.sc.Exited():
			_ = env.sc.Stop()
		default:
			return env.sc, nil
		}
	}
	sc, err := StartSidecar(env.bin, env.config, env.listen)
	if err != nil {
		return nil, err
	}
	env.sc = sc
	return sc, nil
}

// addr is the shared sidecar's MySQL address.
func (env *unshardedEnv) addr() string { return env.listen }

func startUnshardedEnv() (*unshardedEnv, error) {
	bin, err := BuildSidecar()
	if err != nil {
		return nil, err
	}
	m, err := StartMariaDB(Options{})
	if err != nil {
		return nil, err
	}
	if err := m.CreateDatabases("product", "appdb"); err != nil {
		return nil, err
	}
	dir, err := ScratchDir() // removed by Cleanup, after the sidecar has stopped
	if err != nil {
		return nil, err
	}
	env := &unshardedEnv{
		mdb:       m,
		keyspaces: []string{"app", "product"},
		bin:       bin,
		config:    filepath.Join(dir, "unsharded.yaml"),
		listen:    fmt.Sprintf("127.0.0.1:%d", FreePort()),
	}
	yaml := unshardedYAML(env.listen, sharedPoolSize,
		unshardedKeyspace{"product", m.Addr(), "product"},
		unshardedKeyspace{"app", m.Addr(), "appdb"})
	if err := os.WriteFile(env.config, []byte(yaml), 0o644); err != nil {
		return nil, err
	}
	return env, nil
}

// openUnshardedDriver opens a go-sql-driver pool through the sidecar. Timeouts bound every round trip, so a
// hung sidecar fails the test instead of stalling the run.
func openUnshardedDriver(t *testing.T, addr, user, password, db string, tweak ...func(*mysql.Config)) *sql.DB {
	t.Helper()
	cfg := mysql.NewConfig()
	cfg.Net, cfg.Addr, cfg.User, cfg.Passwd, cfg.DBName = "tcp", addr, user, password, db
	cfg.Timeout, cfg.ReadTimeout, cfg.WriteTimeout = 5*time.Second, 60*time.Second, 60*time.Second
	cfg.ParseTime, cfg.Loc = true, time.UTC
	for _, f := range tweak {
		f(cfg)
	}
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	db2 := sql.OpenDB(connector)
	t.Cleanup(func() { db2.Close() })
	return db2
}

func boundedContext(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// expectMySQLError asserts err is a server error with the given code and SQLSTATE and returns it.
func expectMySQLError(t *testing.T, err error, number uint16, state string) *mysql.MySQLError {
	t.Helper()
	var me *mysql.MySQLError
	if !errors.As(err, &me) {
		t.Errorf("want MySQL error %d (%s), got %T %v", number, state, err, err)
		return nil
	}
	if me.Number != number || string(me.SQLState[:]) != state {
		t.Errorf("want MySQL error %d (%s), got %d (%s): %s", number, state, me.Number, me.SQLState, me.Message)
	}
	return me
}

// ---------------------------------------------------------------------------------------------------
// 1. The mariadb CLI, session by session.

// cliSession is one run of the mariadb client through the sidecar: the SQL typed at it and what it
// printed, like the seeds' sessions. Expected output is exact unless a regexp is given.
type cliSession struct {
	name           string
	user, password string // default appUser/appPassword
	db             string // keyspace given on the command line; default "product", "-" for none
	args           []string
	sql            string
	stdout         string         // exact
	stdoutRE       *regexp.Regexp // instead of stdout
	// errors are the ERROR lines the client printed on stderr, exactly ("" = none). Around them the
	// 10.11 client prints the failing statement between dashed lines, as it does with MariaDB.
	errors   string
	errorsRE *regexp.Regexp // instead of errors
	exit     int
	// direct checks run on MariaDB itself after the session, bypassing the sidecar.
	direct []directCheck
}

type directCheck struct {
	db, query string
	want      [][]string
}

// cliErrorText keeps the lines of the client's stderr that report errors.
func cliErrorText(stderr string) string {
	var keep []string
	for _, l := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(l, "ERROR") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// numberedLines is format (with one %d, the line number) for lines 1..n, as cliErrorText returns them.
func numberedLines(format string, n int) string {
	lines := make([]string, n)
	for i := range lines {
		lines[i] = fmt.Sprintf(format, i+1)
	}
	return strings.Join(lines, "\n")
}

// directErrorMessage runs query on MariaDB itself and returns the text of the error it must fail with.
func directErrorMessage(t *testing.T, m *MariaDB, query string) string {
	t.Helper()
	_, err := m.DB("").Exec(query)
	var me *mysql.MySQLError
	if !errors.As(err, &me) {
		t.Fatalf("%s on MariaDB: want an error, got %v", query, err)
	}
	return me.Message
}

// repeatLine returns stmt n times, one per line: run n times in a session that holds no backend
// connection, a statement meets every pooled connection (the pool hands them out in turn).
func repeatLine(stmt string, n int) string { return strings.Repeat(stmt+"\n", n) }

func TestUnshardedCLI(t *testing.T) {
	env := sharedUnsharded(t)
	// Sessions below that look for leaked state run their check twice per pooled connection.
	fillBackendPool(t, boundedContext(t, time.Minute), env.addr(), "product", sharedPoolSize)
	checks := 2 * sharedPoolSize
	// MariaDB's wording of 1054 changed within 10.11 ('field list', then 'SELECT'): ask this one.
	unknownColumn := directErrorMessage(t, env.mdb, "SELECT nope FROM (SELECT 1 AS x) AS d")
	sessions := []cliSession{
		{
			name: "create table, insert, select",
			sql: `CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(20) NOT NULL);
INSERT INTO t VALUES (1, 'one'), (2, 'two');
SELECT id, name FROM t ORDER BY id;`,
			stdout: "id\tname\n1\tone\n2\ttwo\n",
			direct: []directCheck{{"product", "SELECT id, name FROM t ORDER BY id", [][]string{{"1", "one"}, {"2", "two"}}}},
		},
		{
			name:   "duplicate key keeps MariaDB's code, state and text",
			sql:    "SELECT 'before';\nINSERT INTO t VALUES (2, 'deux');\nSELECT 'not reached';",
			stdout: "before\nbefore\n",
			errors: "ERROR 1062 (23000) at line 2: Duplicate entry '2' for key 'PRIMARY'",
			exit:   1,
		},
		{
			name:   "unknown column keeps its code",
			sql:    "SELECT nope FROM t;",
			errors: "ERROR 1054 (42S22) at line 1: " + unknownColumn,
			exit:   1,
		},
		{
			name:   "unknown table",
			sql:    "SELECT * FROM nope;",
			errors: "ERROR 1146 (42S02) at line 1: Table 'product.nope' doesn't exist",
			exit:   1,
		},
		{
			name: "BEGIN, INSERT, ROLLBACK leaves nothing",
			sql: `BEGIN;
INSERT INTO t VALUES (3, 'three');
SELECT count(*) FROM t;
ROLLBACK;
SELECT count(*) FROM t;`,
			stdout: "count(*)\n3\ncount(*)\n2\n",
			direct: []directCheck{{"product", "SELECT count(*) FROM t", [][]string{{"2"}}}},
		},
		{
			name:   "START TRANSACTION, INSERT, COMMIT persists",
			sql:    "START TRANSACTION;\nINSERT INTO t VALUES (3, 'three');\nCOMMIT;",
			direct: []directCheck{{"product", "SELECT name FROM t WHERE id = 3", [][]string{{"three"}}}},
		},
		{
			name:   "autocommit=0, INSERT, COMMIT persists",
			sql:    "SET autocommit=0;\nINSERT INTO t VALUES (4, 'four');\nCOMMIT;",
			direct: []directCheck{{"product", "SELECT name FROM t WHERE id = 4", [][]string{{"four"}}}},
		},
		{
			name:   "SELECT @@autocommit follows SET autocommit",
			sql:    "SELECT @@autocommit;\nSET autocommit=0;\nSELECT @@autocommit;\nSET autocommit=1;\nSELECT @@session.autocommit;",
			stdout: "@@autocommit\n1\n@@autocommit\n0\n@@session.autocommit\n1\n",
		},
		{
			name: "autocommit=0, INSERT, ROLLBACK does not persist",
			sql: `SET autocommit=0;
INSERT INTO t VALUES (5, 'five');
SELECT count(*) FROM t WHERE id = 5;
ROLLBACK;
SELECT count(*) FROM t WHERE id = 5;`,
			stdout: "count(*)\n1\ncount(*)\n0\n",
			direct: []directCheck{{"product", "SELECT count(*) FROM t WHERE id = 5", [][]string{{"0"}}}},
		},
		{
			name:   "autocommit=0 and disconnect without COMMIT: rolled back",
			sql:    "SET autocommit=0;\nINSERT INTO t VALUES (6, 'six');",
			direct: []directCheck{{"product", "SELECT count(*) FROM t WHERE id = 6", [][]string{{"0"}}}},
		},
		{
			name:   "autocommit=1 commits the open transaction",
			sql:    "SET autocommit=0;\nINSERT INTO t VALUES (7, 'seven');\nSET autocommit=1;",
			direct: []directCheck{{"product", "SELECT name FROM t WHERE id = 7", [][]string{{"seven"}}}},
		},
		{
			name:     "wrong password",
			password: "wrong",
			sql:      "SELECT 1;",
			errorsRE: regexp.MustCompile(`^ERROR 1045 \(28000\): Access denied for user 'mysql_user'@'[^']+' \(using password: YES\)$`),
			exit:     1,
		},
		{
			name:     "unknown user",
			user:     "nobody",
			password: "x",
			sql:      "SELECT 1;",
			errorsRE: regexp.MustCompile(`^ERROR 1045 \(28000\): Access denied for user 'nobody'@'[^']+' \(using password: YES\)$`),
			exit:     1,
		},
		{
			name:   "unknown database at connect",
			db:     "nope",
			sql:    "SELECT 1;",
			errors: "ERROR 1049 (42000): Unknown database 'nope'",
			exit:   1,
		},
		{
			name:     "SELECT @@version_comment, as every interactive client sends on connect",
			sql:      "SELECT @@version_comment LIMIT 1;\nSELECT @@version_comment;",
			stdoutRE: regexp.MustCompile(`^@@version_comment\n[^\n]*sidecar[^\n]*\n@@version_comment\n[^\n]*sidecar[^\n]*\n$`),
		},
		{
			name:   "SELECT DATABASE() follows the connect database and USE",
			sql:    "SELECT DATABASE();\nUSE app;\nSELECT DATABASE();\nSELECT database() AS db;",
			stdout: "DATABASE()\nproduct\nDATABASE()\napp\ndb\napp\n",
		},
		{
			name:   "SELECT DATABASE() without a database",
			db:     "-",
			sql:    "SELECT DATABASE();",
			stdout: "DATABASE()\nNULL\n",
		},
		{
			name:   "USE of an unknown keyspace",
			sql:    "USE nope;",
			errors: "ERROR 1049 (42000) at line 1: Unknown database 'nope'",
			exit:   1,
		},
		{
			name:   "SHOW DATABASES lists the keyspaces",
			db:     "-",
			sql:    "SHOW DATABASES;",
			stdout: "Database\n" + strings.Join(env.keyspaces, "\n") + "\n",
		},
		{
			// As in MariaDB: a multi-row INSERT reports its first generated id, other statements
			// leave the value alone.
			name: "LAST_INSERT_ID after auto_increment inserts",
			sql: `CREATE TABLE ai (id INT AUTO_INCREMENT PRIMARY KEY, v INT);
SELECT LAST_INSERT_ID();
INSERT INTO ai (v) VALUES (10);
SELECT LAST_INSERT_ID();
INSERT INTO ai (v) VALUES (20), (30);
SELECT LAST_INSERT_ID();
UPDATE ai SET v = v + 1;
SELECT id FROM ai ORDER BY id;
SELECT last_insert_id() AS id;`,
			stdout: "LAST_INSERT_ID()\n0\nLAST_INSERT_ID()\n1\nLAST_INSERT_ID()\n2\nid\n1\n2\n3\nid\n2\n",
		},
		{
			// An explicit value for the auto_increment column generates nothing: LAST_INSERT_ID()
			// keeps the last generated id (though the OK packet's insert id is the explicit value).
			name: "LAST_INSERT_ID after an INSERT with an explicit id",
			sql: `INSERT INTO ai (v) VALUES (40);
INSERT INTO ai (id, v) VALUES (100, 50);
SELECT LAST_INSERT_ID();`,
			stdout: "LAST_INSERT_ID()\n4\n",
		},
		{
			// Explicit ids MySQL converts (a string, a decimal it rounds) generate nothing either;
			// a generated id equal to a value of the statement is still the generated one.
			name: "LAST_INSERT_ID after explicit ids written as strings and decimals",
			sql: `INSERT INTO ai (v) VALUES (60);
INSERT INTO ai (id, v) VALUES ('200', 61);
SELECT LAST_INSERT_ID();
INSERT INTO ai (id, v) VALUES (299.6, 62);
SELECT LAST_INSERT_ID();
INSERT INTO ai (v) VALUES (302);
SELECT LAST_INSERT_ID();
INSERT INTO ai (v) VALUES (302);
SELECT LAST_INSERT_ID();
SELECT id FROM ai WHERE id > 100 ORDER BY id;`,
			stdout: "LAST_INSERT_ID()\n101\nLAST_INSERT_ID()\n101\nLAST_INSERT_ID()\n301\nLAST_INSERT_ID()\n302\nid\n101\n200\n300\n301\n302\n",
		},
		{
			// INSERT … RETURNING sends rows, not an OK packet with the insert id: LAST_INSERT_ID()
			// is its first generated id still, and stays as it was when it generates none.
			name: "LAST_INSERT_ID after INSERT … RETURNING",
			sql: `INSERT INTO ai (v) VALUES (70), (71) RETURNING v;
SELECT LAST_INSERT_ID() = (SELECT MIN(id) FROM ai WHERE v = 70) AS first;
INSERT INTO ai (id, v) VALUES (500, 72) RETURNING id;
SELECT LAST_INSERT_ID() = (SELECT MIN(id) FROM ai WHERE v = 70) AS kept;`,
			stdout: "v\n70\n71\nfirst\n1\nid\n500\nkept\n1\n",
		},
		{
			name:   "LAST_INSERT_ID is per session",
			sql:    "SELECT LAST_INSERT_ID();",
			stdout: "LAST_INSERT_ID()\n0\n",
		},
		{
			name: "temporary table used by later statements of the session",
			sql: `CREATE TEMPORARY TABLE tmp (x INT);
INSERT INTO tmp VALUES (7), (8);
SELECT sum(x) FROM tmp;
INSERT INTO tmp SELECT x * 10 FROM tmp;
SELECT x FROM tmp ORDER BY x;`,
			stdout: "sum(x)\n15\nx\n7\n8\n70\n80\n",
		},
		{
			name:   "the temporary table is gone for the next session, on every pooled connection",
			args:   []string{"--force"},
			sql:    repeatLine("SELECT count(*) FROM tmp;", checks),
			errors: numberedLines("ERROR 1146 (42S02) at line %d: Table 'product.tmp' doesn't exist", checks),
		},
		{
			name: "session variables are visible later in the session",
			sql: `SET time_zone = '+05:30';
SELECT @@time_zone, @@session.time_zone;
SET SESSION sql_mode = 'ANSI_QUOTES';
SELECT @@sql_mode;
SELECT "id" FROM t WHERE id = 1;
SET @answer = 42;
SELECT @answer;`,
			stdout: "@@time_zone\t@@session.time_zone\n+05:30\t+05:30\n@@sql_mode\nANSI_QUOTES\nid\n1\n@answer\n42\n",
		},
		{
			name:   "session variables do not leak into the next session",
			args:   []string{"--skip-column-names"},
			sql:    repeatLine("SELECT @@time_zone, @@sql_mode = @@global.sql_mode, @answer;", checks),
			stdout: strings.Repeat("SYSTEM\t1\tNULL\n", checks),
		},
		{
			name: "multi-statement text in one COM_QUERY",
			// DELIMITER makes the CLI send "SELECT 1; SELECT 2" as one query; it enables
			// CLIENT_MULTI_STATEMENTS and prints each result set.
			sql:    "DELIMITER //\nSELECT 1; SELECT 2 AS two//\nSELECT 3; INSERT INTO t VALUES (8, 'eight'); SELECT count(*) FROM t//",
			stdout: "1\n1\ntwo\n2\n3\n3\ncount(*)\n6\n",
		},
		{
			name:   "multi-statement text stops at the first error",
			sql:    "DELIMITER //\nSELECT 1; SELECT nope FROM t; SELECT 3//",
			stdout: "1\n1\n",
			errors: "ERROR 1054 (42S22) at line 2: " + unknownColumn,
			exit:   1,
		},
		{
			name: "keyspace-qualified tables of a keyspace named unlike its database",
			sql: `USE app;
CREATE TABLE kv (k INT PRIMARY KEY, v VARCHAR(10));
INSERT INTO kv VALUES (1, 'a'), (2, 'b');
USE product;
SELECT k, v FROM app.kv ORDER BY k;
SELECT v FROM app.kv WHERE k = 2;
INSERT INTO app.kv VALUES (3, 'c');
UPDATE app.kv SET v = 'cc' WHERE k = 3;
SELECT count(*) FROM app.kv;
SET @m = (SELECT max(k) FROM app.kv);
DO (SELECT @d := count(*) FROM app.kv WHERE v = 'cc');
SELECT @m, @d;`,
			stdout: "k\tv\n1\ta\n2\tb\nv\nb\ncount(*)\n3\n@m\t@d\n3\t1\n",
			direct: []directCheck{{"appdb", "SELECT k, v FROM kv ORDER BY k", [][]string{{"1", "a"}, {"2", "b"}, {"3", "cc"}}}},
		},
		{
			// Kept as written, such a SET would be replayed on product's connections, where kv is
			// not: every later statement failed with 1146 (helper-51).
			name:   "a SET of system variables reading a keyspace's table is refused",
			sql:    "SET SESSION div_precision_increment = (SELECT max(k) FROM app.kv);",
			errors: "ERROR 1235 (42000) at line 1: sidecar does not support a SET of system variables reading table kv of keyspace app: read the value with a SELECT first",
			exit:   1,
		},
		{
			// A user variable read from keyspace app's table, past the size above which a SET is
			// kept as written: the value is kept, which product's connections can take.
			name:   "a big user variable read from another keyspace's table",
			sql:    "SET @big = (SELECT REPEAT(v, 1100000) FROM app.kv WHERE k = 1);\nSELECT length(@big);\nSELECT 1;",
			stdout: "length(@big)\n1100000\n1\n1\n",
		},
		{
			// Its rows would name database appdb, not app.
			name:   "PROCEDURE ANALYSE of a keyspace named unlike its database is refused",
			sql:    "SELECT k FROM app.kv PROCEDURE ANALYSE();",
			errors: "ERROR 1235 (42000) at line 1: sidecar does not support PROCEDURE ANALYSE on keyspace app: its rows name the shard's database, not the keyspace",
			exit:   1,
		},
	}
	for _, s := range sessions {
		t.Run(s.name, func(t *testing.T) {
			user, password, db := s.user, s.password, s.db
			if user == "" {
				user = appUser
			}
			if password == "" {
				password = appPassword
			}
			switch db {
			case "":
				db = "product"
			case "-":
				db = ""
			}
			stdout, stderr, code := RunCLI(env.addr(), user, password, db, s.sql, s.args...)
			if code != s.exit {
				t.Errorf("exit code %d, want %d; stderr:\n%s", code, s.exit, stderr)
			}
			if s.stdoutRE != nil {
				if !s.stdoutRE.MatchString(stdout) {
					t.Errorf("stdout %q does not match %s", stdout, s.stdoutRE)
				}
			} else if stdout != s.stdout {
				t.Errorf("stdout:\n%s\nwant:\n%s", stdout, s.stdout)
			}
			errs := cliErrorText(stderr)
			if s.errorsRE != nil {
				if !s.errorsRE.MatchString(errs) {
					t.Errorf("errors %q do not match %s; stderr:\n%s", errs, s.errorsRE, stderr)
				}
			} else if errs != s.errors {
				t.Errorf("errors:\n%s\nwant:\n%s\nstderr:\n%s", errs, s.errors, stderr)
			}
			for _, c := range s.direct {
				if got := env.mdb.MustQuery(t, c.db, c.query); !reflect.DeepEqual(got, c.want) {
					t.Errorf("on MariaDB directly, %s: %q, want %q", c.query, got, c.want)
				}
			}
		})
	}
}

// fillBackendPool makes the sidecar open n backend connections to keyspace at once (n
// concurrent sessions, each in a statement that lasts a moment), so its pool then holds n idle ones.
func fillBackendPool(t *testing.T, ctx context.Context, addr, keyspace string, n int) {
	t.Helper()
	db := openUnshardedDriver(t, addr, appUser, appPassword, keyspace)
	db.SetMaxOpenConns(n)
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { _, errs[i] = db.ExecContext(ctx, "DO SLEEP(0.2)") })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	db.Close()
}

// ---------------------------------------------------------------------------------------------------
// 2. go-sql-driver/mysql: server-side prepared statements, the text protocol, transactions, logins.

// A row of the `typed` table, compared whole after a round trip.
type typedRow struct {
	ID   int64
	S    sql.NullString
	N    sql.NullInt64
	B    []byte
	TS   sql.NullTime
	F    sql.NullFloat64
	U    uint64
	JSON sql.NullString
}

const typedTable = `CREATE TABLE typed (
	id BIGINT PRIMARY KEY,
	s VARCHAR(100) CHARACTER SET utf8mb4 NULL,
	n INT NULL,
	b VARBINARY(100) NULL,
	ts DATETIME(6) NULL,
	f DOUBLE NULL,
	u BIGINT UNSIGNED NOT NULL DEFAULT 0,
	j TEXT NULL)`

// typedRows covers the parameter types a driver sends: integers at their limits, strings with quotes,
// backslashes and non-ASCII, NULLs of every column, bytes with NUL and quote bytes, times with
// microseconds, floats, a large unsigned value.
func typedRows() []typedRow {
	ts := time.Date(2024, 2, 29, 13, 14, 15, 123456000, time.UTC)
	return []typedRow{
		{ID: 1, S: sql.NullString{String: "plain", Valid: true}, N: sql.NullInt64{Int64: 42, Valid: true},
			B: []byte("bytes"), TS: sql.NullTime{Time: ts, Valid: true}, F: sql.NullFloat64{Float64: 1.5, Valid: true}, U: 7},
		{ID: 2, S: sql.NullString{String: `it's "quoted" \ back\slash; -- not a comment`, Valid: true},
			N: sql.NullInt64{Int64: -2147483648, Valid: true}, B: []byte("a'b\"c\\d\x00e\x1a\r\n\xff"),
			TS: sql.NullTime{Time: time.Date(1970, 1, 1, 0, 0, 1, 0, time.UTC), Valid: true},
			F:  sql.NullFloat64{Float64: -0.000123, Valid: true}, U: 18446744073709551615},
		{ID: 3}, // every nullable column NULL
		{ID: 4, S: sql.NullString{String: "ünïcödé ✓ 𝄞", Valid: true}, N: sql.NullInt64{Int64: 2147483647, Valid: true},
			B: []byte{}, TS: sql.NullTime{Time: time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC), Valid: true},
			F: sql.NullFloat64{Float64: 1e300, Valid: true}, JSON: sql.NullString{String: `{"a": [1, "x\u0000"]}`, Valid: true}},
		{ID: -9223372036854775808, S: sql.NullString{String: "", Valid: true}, B: bytes.Repeat([]byte{0}, 100)},
	}
}

func insertTyped(ctx context.Context, db interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, r typedRow) error {
	var b any
	if r.B != nil {
		b = r.B
	}
	_, err := db.ExecContext(ctx, "INSERT INTO typed (id, s, n, b, ts, f, u, j) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		r.ID, r.S, r.N, b, r.TS, r.F, r.U, r.JSON)
	return err
}

func scanTyped(row interface{ Scan(...any) error }) (typedRow, error) {
	var r typedRow
	err := row.Scan(&r.ID, &r.S, &r.N, &r.B, &r.TS, &r.F, &r.U, &r.JSON)
	return r, err
}

const selectTyped = "SELECT id, s, n, b, ts, f, u, j FROM typed"

// checkTypedOnMariaDB reads the table directly from MariaDB, so values are checked where they were
// stored, not only after a round trip through the same sidecar.
func checkTypedOnMariaDB(t *testing.T, m *MariaDB, db string, want []typedRow) {
	t.Helper()
	got := m.MustQuery(t, db, "SELECT id, IFNULL(s, '<null>'), IFNULL(HEX(b), '<null>'), IFNULL(DATE_FORMAT(ts, '%Y-%m-%d %H:%i:%s.%f'), '<null>'), u FROM typed ORDER BY id")
	var exp [][]string
	for _, r := range sortedTyped(want) {
		s, b, ts := "<null>", "<null>", "<null>"
		if r.S.Valid {
			s = r.S.String
		}
		if r.B != nil {
			b = strings.ToUpper(hex.EncodeToString(r.B))
		}
		if r.TS.Valid {
			ts = r.TS.Time.Format("2006-01-02 15:04:05.000000")
		}
		exp = append(exp, []string{strconv.FormatInt(r.ID, 10), s, b, ts, strconv.FormatUint(r.U, 10)})
	}
	if !reflect.DeepEqual(got, exp) {
		t.Errorf("typed on MariaDB:\n%q\nwant\n%q", got, exp)
	}
}

func sortedTyped(rows []typedRow) []typedRow {
	rows = append([]typedRow(nil), rows...)
	sort.Slice(rows, func(i, j int) bool { return rows[i].ID < rows[j].ID })
	return rows
}

// runTypedRoundTrip stores typedRows through db, reads them back through db one by one and whole, and
// checks them on MariaDB.
func runTypedRoundTrip(t *testing.T, ctx context.Context, env *unshardedEnv, db *sql.DB, backendDB string) {
	t.Helper()
	if _, err := db.ExecContext(ctx, "DROP TABLE IF EXISTS typed"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, typedTable); err != nil {
		t.Fatal(err)
	}
	rows := typedRows()
	for _, r := range rows {
		if err := insertTyped(ctx, db, r); err != nil {
			t.Fatalf("insert %d: %v", r.ID, err)
		}
	}
	for _, want := range rows {
		got, err := scanTyped(db.QueryRowContext(ctx, selectTyped+" WHERE id = ?", want.ID))
		if err != nil {
			t.Errorf("select %d: %v", want.ID, err)
			continue
		}
		if !reflect.DeepEqual(got, want) { // NULL bytes scan as nil, empty ones as []byte{}
			t.Errorf("row %d:\n got %+v\nwant %+v", want.ID, got, want)
		}
	}
	// A NULL parameter where a value is expected matches nothing; IS NULL through a parameter does.
	var n int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM typed WHERE s = ? OR (? IS NULL AND n IS NULL)", nil, nil).Scan(&n); err != nil || n != 2 {
		t.Errorf("NULL parameters: count %d (%v), want 2", n, err)
	}
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM typed WHERE b = ?", []byte("a'b\"c\\d\x00e\x1a\r\n\xff")).Scan(&n); err != nil || n != 1 {
		t.Errorf("bytes parameter in WHERE: count %d (%v), want 1", n, err)
	}
	checkTypedOnMariaDB(t, env.mdb, backendDB, rows)
}

// TestUnshardedLastInsertIDRoundTrips: an auto-increment INSERT costs one statement on the backend,
// not two: the OK packet's insert id is the session's LAST_INSERT_ID() when no value of the statement
// can be it (issue 17 item 5). Only the ambiguous ones ask the backend, whose answer then decides.
func TestUnshardedLastInsertIDRoundTrips(t *testing.T) {
	env := sharedUnsharded(t)
	ctx := boundedContext(t, time.Minute)
	db := openUnshardedDriver(t, env.addr(), appUser, appPassword, "app")
	if _, err := db.ExecContext(ctx, "CREATE TABLE ai_rt (id INT AUTO_INCREMENT PRIMARY KEY, v INT)"); err != nil {
		t.Fatal(err)
	}
	defer db.ExecContext(context.Background(), "DROP TABLE ai_rt")
	conn, err := db.Conn(ctx) // one session: LAST_INSERT_ID() is per session
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	startGeneralLog(t, env.mdb)
	defer stopGeneralLog(t, env.mdb)
	for _, c := range []struct {
		sql  string
		args []any // with arguments: a prepared statement
		want int64
	}{
		{sql: "INSERT INTO ai_rt (v) VALUES (10)", want: 1},
		{sql: "INSERT INTO ai_rt (v) VALUES (?)", args: []any{20}, want: 2},
		{sql: "INSERT INTO ai_rt (v) VALUES (30), (40)", want: 3},
		{sql: "INSERT INTO ai_rt (id, v) VALUES (50, 50)", want: 3},          // explicit: the backend says so
		{sql: "INSERT INTO ai_rt (v) VALUES (?)", args: []any{51}, want: 51}, // generated 51, as the value: asked
	} {
		if _, err := conn.ExecContext(ctx, c.sql, c.args...); err != nil {
			t.Fatalf("%s: %v", c.sql, err)
		}
		var got int64
		if err := conn.QueryRowContext(ctx, "SELECT LAST_INSERT_ID()").Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("%s %v: LAST_INSERT_ID() %d, want %d", c.sql, c.args, got, c.want)
		}
	}
	asked := loggedStatements(t, env.mdb, "LAST_INSERT_ID")
	if len(asked) != 2 {
		t.Errorf("the backend was asked for LAST_INSERT_ID() %d times, want 2 (the two ambiguous INSERTs): %q", len(asked), asked)
	}
	// INSERT … RETURNING, prepared: rows, no OK packet; the backend is asked.
	for _, c := range []struct {
		args []any
		want int64
	}{{[]any{nil, 60}, 52}, {[]any{70, 61}, 52}} {
		rows, err := conn.QueryContext(ctx, "INSERT INTO ai_rt (id, v) VALUES (?, ?) RETURNING id", c.args...)
		if err == nil {
			_, err = ScanStrings(rows)
		}
		var got int64
		if err == nil {
			err = conn.QueryRowContext(ctx, "SELECT LAST_INSERT_ID()").Scan(&got)
		}
		if err != nil || got != c.want {
			t.Errorf("INSERT … RETURNING %v: LAST_INSERT_ID() %d (%v), want %d", c.args, got, err, c.want)
		}
	}
}

func TestUnshardedDriverPrepared(t *testing.T) {
	env := sharedUnsharded(t)
	ctx := boundedContext(t, 2*time.Minute)
	// interpolateParams=false (the default): every statement with arguments is a COM_STMT_PREPARE and
	// COM_STMT_EXECUTEs, with results in the binary protocol.
	db := openUnshardedDriver(t, env.addr(), appUser, appPassword, "app")

	t.Run("types round trip", func(t *testing.T) {
		runTypedRoundTrip(t, ctx, env, db, "appdb")
	})

	t.Run("one statement executed many times", func(t *testing.T) {
		if _, err := db.ExecContext(ctx, "CREATE TABLE reexec (id INT PRIMARY KEY, v VARCHAR(20) NULL, n BIGINT NULL)"); err != nil {
			t.Fatal(err)
		}
		ins, err := db.PrepareContext(ctx, "INSERT INTO reexec (id, v, n) VALUES (?, ?, ?)")
		if err != nil {
			t.Fatal(err)
		}
		defer ins.Close()
		sel, err := db.PrepareContext(ctx, "SELECT v, n FROM reexec WHERE id = ?")
		if err != nil {
			t.Fatal(err)
		}
		defer sel.Close()
		const count = 300
		for i := range count {
			// The parameters change type between executes (string/NULL, int/NULL/string).
			var v, n any = fmt.Sprintf("v%d", i), int64(i) * 1000
			switch i % 3 {
			case 1:
				v = nil
			case 2:
				n = strconv.Itoa(i * 1000)
			}
			res, err := ins.ExecContext(ctx, i, v, n)
			if err != nil {
				t.Fatalf("execute %d: %v", i, err)
			}
			if k, err := res.RowsAffected(); err != nil || k != 1 {
				t.Fatalf("execute %d: %d rows affected (%v)", i, k, err)
			}
			var gotV sql.NullString
			var gotN int64
			if err := sel.QueryRowContext(ctx, i).Scan(&gotV, &gotN); err != nil {
				t.Fatalf("select %d: %v", i, err)
			}
			if gotN != int64(i)*1000 || gotV.Valid != (i%3 != 1) || (gotV.Valid && gotV.String != fmt.Sprintf("v%d", i)) {
				t.Fatalf("row %d: v=%v n=%d", i, gotV, gotN)
			}
		}
		if got := env.mdb.MustQuery(t, "appdb", "SELECT count(*), sum(n), count(v) FROM reexec"); !reflect.DeepEqual(got, [][]string{{"300", "44850000", "200"}}) {
			t.Errorf("on MariaDB: %q", got)
		}
	})

	t.Run("duplicate key through a prepared INSERT", func(t *testing.T) {
		ins, err := db.PrepareContext(ctx, "INSERT INTO reexec (id, v) VALUES (?, ?)")
		if err != nil {
			t.Fatal(err)
		}
		defer ins.Close()
		_, err = ins.ExecContext(ctx, 7, "again")
		if me := expectMySQLError(t, err, 1062, "23000"); me != nil && me.Message != "Duplicate entry '7' for key 'PRIMARY'" {
			t.Errorf("message %q", me.Message)
		}
		// The statement still works after its error.
		if _, err := ins.ExecContext(ctx, 1000, "new"); err != nil {
			t.Errorf("execute after an error: %v", err)
		}
	})

	t.Run("NOT NULL violation through a prepared INSERT", func(t *testing.T) {
		_, err := db.ExecContext(ctx, "INSERT INTO typed (id, u) VALUES (?, ?)", 99, nil)
		if me := expectMySQLError(t, err, 1048, "23000"); me != nil && me.Message != "Column 'u' cannot be null" {
			t.Errorf("message %q", me.Message)
		}
	})

	t.Run("error at prepare: unknown table", func(t *testing.T) {
		_, err := db.PrepareContext(ctx, "SELECT * FROM no_such_table WHERE id = ?")
		expectMySQLError(t, err, 1146, "42S02")
		_, err = db.PrepareContext(ctx, "SELEKT ?")
		expectMySQLError(t, err, 1064, "42000")
	})

	t.Run("LastInsertId and LAST_INSERT_ID() of a prepared INSERT", func(t *testing.T) {
		if _, err := db.ExecContext(ctx, "CREATE TABLE ai (id INT AUTO_INCREMENT PRIMARY KEY, v INT)"); err != nil {
			t.Fatal(err)
		}
		// With several idle backend connections, a session that holds none runs each statement on
		// the next one: LAST_INSERT_ID must still be the session's.
		fillBackendPool(t, ctx, env.addr(), "app", sharedPoolSize)
		conn, err := db.Conn(ctx) // LAST_INSERT_ID is per session
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		for want := int64(1); want <= 3; want++ {
			res, err := conn.ExecContext(ctx, "INSERT INTO ai (v) VALUES (?)", want*10)
			if err != nil {
				t.Fatal(err)
			}
			if id, err := res.LastInsertId(); err != nil || id != want {
				t.Errorf("LastInsertId %d (%v), want %d", id, err, want)
			}
			// Prepared, so answered in the binary protocol.
			stmt, err := conn.PrepareContext(ctx, "SELECT LAST_INSERT_ID()")
			if err != nil {
				t.Fatal(err)
			}
			var got int64
			if err := stmt.QueryRowContext(ctx).Scan(&got); err != nil || got != want {
				t.Errorf("prepared SELECT LAST_INSERT_ID(): %d (%v), want %d", got, err, want)
			}
			stmt.Close()
			if err := conn.QueryRowContext(ctx, "SELECT LAST_INSERT_ID()").Scan(&got); err != nil || got != want {
				t.Errorf("text SELECT LAST_INSERT_ID(): %d (%v), want %d", got, err, want)
			}
		}
	})

	t.Run("transactions", func(t *testing.T) {
		if _, err := db.ExecContext(ctx, "CREATE TABLE txn (id INT PRIMARY KEY, v VARCHAR(10))"); err != nil {
			t.Fatal(err)
		}
		count := func(id int) string {
			return env.mdb.MustQuery(t, "appdb", "SELECT count(*) FROM txn WHERE id = ?", id)[0][0]
		}
		for _, commit := range []bool{true, false} {
			id := 1
			if !commit {
				id = 2
			}
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tx.ExecContext(ctx, "INSERT INTO txn VALUES (?, ?)", id, "in tx"); err != nil {
				t.Fatal(err)
			}
			if _, err := tx.ExecContext(ctx, "UPDATE txn SET v = ? WHERE id = ?", "updated", id); err != nil {
				t.Fatal(err)
			}
			var v string
			if err := tx.QueryRowContext(ctx, "SELECT v FROM txn WHERE id = ?", id).Scan(&v); err != nil || v != "updated" {
				t.Errorf("inside the transaction: %q (%v)", v, err)
			}
			if got := count(id); got != "0" {
				t.Errorf("uncommitted row %d visible on MariaDB: the statements were not in a transaction", id)
			}
			if commit {
				err = tx.Commit()
			} else {
				err = tx.Rollback()
			}
			if err != nil {
				t.Fatal(err)
			}
			want := map[bool]string{true: "1", false: "0"}[commit]
			if got := count(id); got != want {
				t.Errorf("commit=%v: %s rows on MariaDB, want %s", commit, got, want)
			}
		}
		// A statement error inside a transaction keeps the transaction and its earlier writes.
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO txn VALUES (?, ?)", 3, "three"); err != nil {
			t.Fatal(err)
		}
		_, err = tx.ExecContext(ctx, "INSERT INTO txn VALUES (?, ?)", 1, "dup")
		expectMySQLError(t, err, 1062, "23000")
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		if got := env.mdb.MustQuery(t, "appdb", "SELECT id, v FROM txn ORDER BY id"); !reflect.DeepEqual(got, [][]string{{"1", "updated"}, {"3", "three"}}) {
			t.Errorf("after commit: %q", got)
		}
	})
}

func TestUnshardedDriverText(t *testing.T) {
	env := sharedUnsharded(t)
	ctx := boundedContext(t, 2*time.Minute)

	t.Run("interpolateParams", func(t *testing.T) {
		// The driver quotes the arguments into the text itself: one COM_QUERY per statement.
		db := openUnshardedDriver(t, env.addr(), appUser, appPassword, "product", func(c *mysql.Config) { c.InterpolateParams = true })
		runTypedRoundTrip(t, ctx, env, db, "product")
		_, err := db.ExecContext(ctx, "INSERT INTO typed (id) VALUES (?)", 1)
		if me := expectMySQLError(t, err, 1062, "23000"); me != nil && me.Message != "Duplicate entry '1' for key 'PRIMARY'" {
			t.Errorf("message %q", me.Message)
		}
	})

	t.Run("multiStatements", func(t *testing.T) {
		db := openUnshardedDriver(t, env.addr(), appUser, appPassword, "product", func(c *mysql.Config) { c.MultiStatements = true })
		if _, err := db.ExecContext(ctx, "CREATE TABLE multi (id INT PRIMARY KEY); INSERT INTO multi VALUES (1), (2); INSERT INTO multi VALUES (3)"); err != nil {
			t.Fatal(err)
		}
		if got := env.mdb.MustQuery(t, "product", "SELECT count(*) FROM multi"); got[0][0] != "3" {
			t.Errorf("on MariaDB: %q rows, want 3", got)
		}
		rows, err := db.QueryContext(ctx, "SELECT 1 AS a; SELECT id FROM multi ORDER BY id")
		if err != nil {
			t.Fatal(err)
		}
		var sets [][]string
		for {
			var set []string
			for rows.Next() {
				var s string
				if err := rows.Scan(&s); err != nil {
					t.Fatal(err)
				}
				set = append(set, s)
			}
			sets = append(sets, set)
			if !rows.NextResultSet() {
				break
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		if want := [][]string{{"1"}, {"1", "2", "3"}}; !reflect.DeepEqual(sets, want) {
			t.Errorf("result sets %q, want %q", sets, want)
		}
		// A failing second statement reports its own error, and the connection stays usable.
		_, err = db.ExecContext(ctx, "INSERT INTO multi VALUES (4); INSERT INTO multi VALUES (1)")
		expectMySQLError(t, err, 1062, "23000")
		var n int
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM multi").Scan(&n); err != nil || n != 4 {
			t.Errorf("after the failed batch: %d rows (%v), want 4", n, err)
		}
	})
}

func TestUnshardedDriverLogin(t *testing.T) {
	env := sharedUnsharded(t)
	ctx := boundedContext(t, time.Minute)
	ping := func(user, password string) error {
		db := openUnshardedDriver(t, env.addr(), user, password, "product")
		defer db.Close()
		var one int
		return db.QueryRowContext(ctx, "SELECT 1").Scan(&one)
	}
	// go-sql-driver answers caching_sha2_password's full authentication on a plain TCP connection by
	// asking for the server's RSA public key and sending the password encrypted with it; nothing needs
	// configuring. The second login may take the fast path (the server caches the hash).
	cases := []struct {
		name, user, password string
		wantErr              bool
	}{
		{"native password", appUser, appPassword, false},
		{"caching_sha2_password, first login", shaUser, shaPassword, false},
		{"caching_sha2_password, second login", shaUser, shaPassword, false},
		{"native password, wrong", appUser, "wrong", true},
		{"caching_sha2_password, wrong", shaUser, "wrong", true},
		{"caching_sha2_password, empty", shaUser, "", true},
		{"unknown user", "nobody", "x", true},
		{"caching_sha2_password after failures", shaUser, shaPassword, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := ping(c.user, c.password)
			if !c.wantErr {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if me := expectMySQLError(t, err, 1045, "28000"); me != nil && !strings.HasPrefix(me.Message, "Access denied for user '"+c.user+"'@") {
				t.Errorf("message %q", me.Message)
			}
		})
	}
	// Prepared statements and a transaction as the caching_sha2_password user.
	db := openUnshardedDriver(t, env.addr(), shaUser, shaPassword, "product")
	var s string
	if err := db.QueryRowContext(ctx, "SELECT CONCAT(?, ?)", "sha", 2).Scan(&s); err != nil || s != "sha2" {
		t.Errorf("prepared as %s: %q (%v)", shaUser, s, err)
	}
}

// ---------------------------------------------------------------------------------------------------
// 3. A large result set streams through.

func TestUnshardedLargeResult(t *testing.T) {
	env := sharedUnsharded(t)
	ctx := boundedContext(t, 2*time.Minute)
	const rows = 50000
	// ~1 KB per row, ~50 MB in all: held whole in the sidecar's memory it would show in its RSS.
	env.mdb.MustExec(t, "appdb", `CREATE TABLE big (id INT PRIMARY KEY, payload VARCHAR(2000) NOT NULL, n DOUBLE NULL)`)
	for lo := 1; lo <= rows; lo += 10000 {
		env.mdb.MustExec(t, "appdb", fmt.Sprintf(
			"INSERT INTO big SELECT seq, CONCAT(seq, ':', REPEAT(MD5(seq), 30), IF(seq %% 97 = 0, '\\'\\\\\\0', '')), IF(seq %% 5 = 0, NULL, seq / 7) FROM seq_%d_to_%d",
			lo, lo+9999))
	}

	// The reference: the same rows read directly from MariaDB.
	digest := func(rs *sql.Rows) (int, string, error) {
		defer rs.Close()
		h := sha256.New()
		n := 0
		var id int64
		var payload []byte
		var f sql.NullFloat64
		for rs.Next() {
			if err := rs.Scan(&id, &payload, &f); err != nil {
				return n, "", err
			}
			fmt.Fprintf(h, "%d\t%q\t%v\t%v\n", id, payload, f.Valid, f.Float64)
			n++
		}
		return n, hex.EncodeToString(h.Sum(nil)), rs.Err()
	}
	direct, err := env.mdb.DB("appdb").QueryContext(ctx, "SELECT id, payload, n FROM big ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	wantN, wantSum, err := digest(direct)
	if err != nil || wantN != rows {
		t.Fatalf("direct read: %d rows, %v", wantN, err)
	}

	db := openUnshardedDriver(t, env.addr(), appUser, appPassword, "app")
	sc, err := env.running()
	if err != nil {
		t.Fatal(err)
	}
	pid := sc.Pid()
	hwm0 := peakRSSBytes(t, pid)
	for _, c := range []struct {
		name string
		args []any // with arguments the driver prepares: binary protocol rows
	}{
		{"text protocol", nil},
		{"binary protocol", []any{0}},
	} {
		t.Run(c.name, func(t *testing.T) {
			q := "SELECT id, payload, n FROM big ORDER BY id"
			if c.args != nil {
				q = "SELECT id, payload, n FROM big WHERE id > ? ORDER BY id"
			}
			start := time.Now()
			rs, err := db.QueryContext(ctx, q, c.args...)
			if err != nil {
				t.Fatal(err)
			}
			n, sum, err := digest(rs)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d rows in %v", n, time.Since(start).Round(time.Millisecond))
			if n != wantN || sum != wantSum {
				t.Errorf("through the sidecar: %d rows, sha256 %s; directly: %d rows, sha256 %s", n, sum, wantN, wantSum)
			}
		})
	}
	var count, sumID int64
	if err := db.QueryRowContext(ctx, "SELECT count(*), sum(id) FROM big").Scan(&count, &sumID); err != nil || count != rows || sumID != rows*(rows+1)/2 {
		t.Errorf("count %d, sum %d (%v)", count, sumID, err)
	}
	if hwm0 > 0 {
		grew := peakRSSBytes(t, pid) - hwm0
		t.Logf("sidecar peak RSS grew by %d MiB reading 2 × ~50 MiB", grew>>20)
		if grew > 32<<20 {
			t.Errorf("sidecar peak RSS grew by %d MiB while relaying a ~50 MiB result: rows are held, not streamed", grew>>20)
		}
	}
}

// peakRSSBytes is the process's peak resident set size in bytes (VmHWM), 0 where /proc does not tell.
func peakRSSBytes(t *testing.T, pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// ---------------------------------------------------------------------------------------------------
// 4. sysbench oltp_read_write through the sidecar.

// sysbenchReport is what the test reads from sysbench's report.
type sysbenchReport struct {
	transactions, queries, ignoredErrors, reconnects int64
}

var sysbenchLine = regexp.MustCompile(`(?m)^\s+(transactions|queries|ignored errors|reconnects):\s+(\d+)\s`)

func parseSysbench(out string) (sysbenchReport, error) {
	var st sysbenchReport
	seen := map[string]bool{}
	for _, m := range sysbenchLine.FindAllStringSubmatch(out, -1) {
		n, _ := strconv.ParseInt(m[2], 10, 64)
		seen[m[1]] = true
		switch m[1] {
		case "transactions":
			st.transactions = n
		case "queries":
			st.queries = n
		case "ignored errors":
			st.ignoredErrors = n
		case "reconnects":
			st.reconnects = n
		}
	}
	if len(seen) != 4 {
		return st, fmt.Errorf("sysbench report lacks some of transactions/queries/ignored errors/reconnects (found %v)", seen)
	}
	return st, nil
}

// runSysbench runs `sysbench oltp_read_write ... command` against addr, bounded by timeout, and
// returns its combined output. A non-zero exit or a FATAL line fails the test.
func runSysbench(t *testing.T, addr, db string, timeout time.Duration, command string, extra ...string) string {
	t.Helper()
	return runSysbenchTest(t, "oltp_read_write", addr, db, timeout, command, extra...)
}

// runSysbenchTest is runSysbench with another of sysbench's tests (oltp_point_select, oltp_insert…).
func runSysbenchTest(t *testing.T, test, addr, db string, timeout time.Duration, command string, extra ...string) string {
	t.Helper()
	bin, err := ToolPath("sysbench")
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := strings.Cut(addr, ":")
	args := append([]string{test,
		"--db-driver=mysql", "--mysql-host=" + host, "--mysql-port=" + port,
		"--mysql-user=" + appUser, "--mysql-password=" + appPassword, "--mysql-db=" + db,
		"--tables=2", "--table-size=10000", "--threads=4",
	}, extra...)
	args = append(args, command)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err = cmd.Run()
	t.Logf("sysbench %s %s: %v", command, strings.Join(extra, " "), time.Since(start).Round(100*time.Millisecond))
	if ctx.Err() != nil {
		t.Fatalf("sysbench %s did not finish within %v:\n%s", command, timeout, tail(out.String(), 30))
	}
	if err != nil || strings.Contains(out.String(), "FATAL") {
		t.Fatalf("sysbench %s: %v\n%s", command, err, tail(out.String(), 30))
	}
	return out.String()
}

func TestUnshardedSysbench(t *testing.T) {
	if _, err := ToolPath("sysbench"); err != nil {
		t.Fatal(err) // `make test` installs it; a missing tool must not pass silently
	}
	env := sharedUnsharded(t)
	modes := []struct {
		name     string
		keyspace string
		args     []string
	}{
		// auto: server-side prepared statements; libmariadb sends parameter types only on the first
		// execute of each statement, so this is where lost types would show.
		{"prepared", "sbtest_ps", nil},
		{"text", "sbtest_text", []string{"--db-ps-mode=disable"}},
	}
	var specs []unshardedKeyspace
	for _, m := range modes {
		env.mdb.MustExec(t, "", "CREATE DATABASE "+m.keyspace)
		specs = append(specs, unshardedKeyspace{m.keyspace, env.mdb.Addr(), m.keyspace})
	}
	// Its own sidecar with a pool large enough for sysbench's threads, so the shared one's small pool
	// does not throttle it.
	sc := startUnshardedSidecar(t, t.TempDir(), 16, specs...)

	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			runSysbench(t, sc.Addr(), m.keyspace, time.Minute, "prepare")
			// Only InnoDB deadlocks (1213) are survivable: oltp_read_write runs into a few even on
			// MariaDB directly (in 4 of 12 runs of 10 s there, 1 or 2 each). Any other error, a lock
			// wait timeout (1205) included, is FATAL and fails the run. --verbosity=5 names each
			// error sysbench ignores.
			args := append([]string{"--time=10", "--mysql-ignore-errors=1213", "--verbosity=5"}, m.args...)
			out := runSysbench(t, sc.Addr(), m.keyspace, time.Minute, "run", args...)
			st, err := parseSysbench(out)
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			t.Logf("%s: %d transactions, %d queries (%.0f tps), %d deadlocks", m.name, st.transactions, st.queries, float64(st.transactions)/10, st.ignoredErrors)
			ignored := regexp.MustCompile(`(?m)^DEBUG: Ignoring error (\d+)`).FindAllStringSubmatch(out, -1)
			for _, e := range ignored {
				if e[1] != "1213" {
					t.Errorf("sysbench ignored error %s:\n%s", e[1], out)
				}
			}
			if st.ignoredErrors > max(3, st.transactions/1000) || st.reconnects != 0 {
				t.Errorf("%d ignored errors (deadlocks), %d reconnects, want at most a few deadlocks and no reconnect:\n%s",
					st.ignoredErrors, st.reconnects, out)
			}
			if st.transactions < 100 {
				t.Errorf("only %d transactions in 10 s:\n%s", st.transactions, out)
			}
			// The same table contents seen directly on MariaDB and through the sidecar.
			db := openUnshardedDriver(t, sc.Addr(), appUser, appPassword, m.keyspace)
			for _, table := range []string{"sbtest1", "sbtest2"} {
				q := "SELECT count(*), sum(k) FROM " + table
				direct := env.mdb.MustQuery(t, m.keyspace, q)
				rs, err := db.Query(q)
				if err != nil {
					t.Fatal(err)
				}
				through, err := ScanStrings(rs)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(direct, through) || direct[0][0] != "10000" {
					t.Errorf("%s: count, sum(k) %q directly, %q through the sidecar; want 10000 rows", table, direct, through)
				}
			}
		})
	}
	if logs := sc.Logs(); strings.Contains(logs, `"level":"error"`) || strings.Contains(logs, `"level":"warn"`) {
		t.Errorf("the sidecar logged errors or warnings during sysbench:\n%s", tail(logs, 30))
	}
}

// ---------------------------------------------------------------------------------------------------
// 5. Graceful shutdown.

func TestUnshardedGracefulShutdown(t *testing.T) {
	env := sharedUnsharded(t)
	ctx := boundedContext(t, time.Minute)
	sc := startUnshardedSidecar(t, t.TempDir(), 4, unshardedKeyspace{"product", env.mdb.Addr(), "product"})

	// An idle client: logged in, one statement done, connection open.
	idle := openUnshardedDriver(t, sc.Addr(), appUser, appPassword, "product")
	idleConn, err := idle.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer idleConn.Close()
	if err := idleConn.PingContext(ctx); err != nil {
		t.Fatal(err)
	}
	// A client in the middle of a long statement.
	busy := openUnshardedDriver(t, sc.Addr(), appUser, appPassword, "product")
	type result struct {
		v    int
		err  error
		done time.Time
	}
	slept := make(chan result, 1)
	go func() {
		var r result
		r.err = busy.QueryRowContext(ctx, "SELECT SLEEP(2) AS slept").Scan(&r.v)
		r.done = time.Now()
		slept <- r
	}()
	// Wait until MariaDB is running it, so the signal surely arrives mid-statement.
	deadline := time.Now().Add(10 * time.Second)
	for {
		// (The statement may carry the sidecar's shard hint comment in front.)
		rows := env.mdb.MustQuery(t, "", "SELECT count(*) FROM information_schema.processlist WHERE info LIKE '%SELECT SLEEP(2) AS slept' AND id <> CONNECTION_ID()")
		if rows[0][0] == "1" {
			break
		}
		if time.Now().After(deadline) {
			select {
			case r := <-slept:
				t.Fatalf("SELECT SLEEP(2) returned %d, %v before the signal", r.v, r.err)
			default:
			}
			t.Fatalf("SELECT SLEEP(2) never showed up in MariaDB's processlist: %q",
				env.mdb.MustQuery(t, "", "SELECT id, user, db, command, info FROM information_schema.processlist"))
		}
		time.Sleep(20 * time.Millisecond)
	}

	signalled := time.Now()
	if err := sc.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// It stops accepting while the statement still runs.
	refused := false
	for time.Since(signalled) < time.Second {
		c, err := net.DialTimeout("tcp", sc.Addr(), 200*time.Millisecond)
		if err != nil {
			refused = true
			break
		}
		c.Close()
		time.Sleep(20 * time.Millisecond)
	}
	if !refused {
		t.Error("still accepting connections 1 s after SIGTERM")
	}
	var exited time.Time
	select {
	case <-sc.Exited():
		exited = time.Now()
	case <-time.After(10 * time.Second):
		t.Fatal("sidecar still running 10 s after SIGTERM")
	}
	if err := sc.ExitErr(); err != nil {
		t.Errorf("exit after SIGTERM: %v, want status 0", err)
	}
	t.Logf("exited %v after SIGTERM", exited.Sub(signalled).Round(time.Millisecond))
	select {
	case r := <-slept:
		// A result without error means the sidecar answered before closing the connection.
		if r.err != nil || r.v != 0 {
			t.Errorf("the statement in flight at SIGTERM: %d, %v; want its result (0)", r.v, r.err)
		}
		t.Logf("its result came %v after SIGTERM", r.done.Sub(signalled).Round(time.Millisecond))
	case <-time.After(5 * time.Second):
		t.Error("the statement in flight at SIGTERM never returned")
	}
	if exited.Sub(signalled) > 5*time.Second {
		t.Errorf("took %v to exit with one 2 s statement in flight", exited.Sub(signalled))
	}
	// The idle client finds its connection closed, as after a server shutdown.
	if err := idleConn.PingContext(ctx); err == nil {
		t.Error("the idle connection still answers after the sidecar exited")
	}
}

// ---------------------------------------------------------------------------------------------------
// 6. A backend that is down.

func TestUnshardedBackendDown(t *testing.T) {
	env := sharedUnsharded(t)
	ctx := boundedContext(t, time.Minute)
	env.mdb.MustExec(t, "product", "CREATE TABLE IF NOT EXISTS alive (id INT PRIMARY KEY)")
	downPort := FreePort() // nothing listens there
	downAddr := fmt.Sprintf("127.0.0.1:%d", downPort)
	sc := startUnshardedSidecar(t, t.TempDir(), 4,
		unshardedKeyspace{"product", env.mdb.Addr(), "product"},
		unshardedKeyspace{"down", downAddr, "down"})
	db := openUnshardedDriver(t, sc.Addr(), appUser, appPassword, "")
	names := regexp.MustCompile(`\bdown[/.:]0\b`) // keyspace and shard, e.g. down/0

	const attempts = 25
	for i := range attempts {
		start := time.Now()
		_, err := db.ExecContext(ctx, "INSERT INTO down.t VALUES (?)", i)
		var me *mysql.MySQLError
		if !errors.As(err, &me) {
			t.Fatalf("attempt %d: want an error from the sidecar, got %v", i, err)
		}
		if !names.MatchString(me.Message) {
			t.Errorf("attempt %d: error %d (%s) %q does not name the shard down/0", i, me.Number, me.SQLState, me.Message)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("attempt %d took %v", i, d)
		}
		// The live keyspace is unaffected, on the same client connection pool.
		var n int
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM product.alive").Scan(&n); err != nil {
			t.Fatalf("attempt %d: statement on the live keyspace: %v", i, err)
		}
		if i == 0 {
			t.Logf("error on the down keyspace: %d (%s) %s", me.Number, me.SQLState, me.Message)
		}
		time.Sleep(120 * time.Millisecond) // ~3 s in all: several rounds of the sidecar's retry backoff
	}
	t.Run("the mariadb CLI shows the error naming the shard", func(t *testing.T) {
		// libmariadb turns an ERR packet carrying a client-side code (2003, 2013) into
		// "2027 Received malformed packet", losing the message: the code must be a server one.
		_, stderr, code := RunCLI(sc.Addr(), appUser, appPassword, "down", "SELECT * FROM t;\n")
		if code != 1 || !names.MatchString(cliErrorText(stderr)) {
			t.Errorf("CLI on the down keyspace: exit %d, stderr %q", code, stderr)
		}
	})
	select {
	case <-sc.Exited():
		t.Fatalf("sidecar exited: %v", sc.ExitErr())
	default:
	}

	// Once per state change, not once per attempt.
	countLines := func() int {
		n := 0
		for _, l := range strings.Split(sc.Logs(), "\n") {
			if strings.Contains(l, downAddr) {
				n++
			}
		}
		return n
	}
	if n := countLines(); n > 3 {
		t.Errorf("%d log lines mention %s after %d failed statements; want the outage logged once:\n%s", n, downAddr, attempts, tail(sc.Logs(), 20))
	}

	// The backend comes up: the shard works again without restarting the sidecar, within the
	// retry backoff.
	up := MustStartMariaDB(t, Options{Port: downPort})
	up.MustExec(t, "", "CREATE DATABASE down; CREATE TABLE down.t (id INT PRIMARY KEY)")
	revived := time.Now()
	deadline := revived.Add(15 * time.Second)
	for {
		_, err := db.ExecContext(ctx, "INSERT INTO down.t VALUES (?)", 1)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("shard down/0 still failing 15 s after its backend came up: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("shard down/0 served again %v after its backend came up", time.Since(revived).Round(time.Millisecond))
	if got := up.MustQuery(t, "down", "SELECT id FROM t"); !reflect.DeepEqual(got, [][]string{{"1"}}) {
		t.Errorf("on the revived backend: %q", got)
	}
	if n := countLines(); n > 4 {
		t.Errorf("%d log lines mention %s after the outage and recovery; want one per state change:\n%s", n, downAddr, tail(sc.Logs(), 20))
	}
}

// ---------------------------------------------------------------------------------------------------
// listen_socket: apps on the same host reach the sidecar through a Unix socket.

// TestUnshardedUnixSocket: with listen_socket set, the mariadb client (--socket) and go-sql-driver
// (unix) log in and run statements, text and prepared, through the socket, while TCP keeps working;
// caching_sha2_password users log in too; a login failure names the user at 'localhost', as mysqld
// does for its socket. A socket file left
// by a sidecar that was killed is replaced; one a running sidecar serves on is not taken over; a
// stopped sidecar removes its socket.
func TestUnshardedUnixSocket(t *testing.T) {
	env := sharedUnsharded(t)
	ctx := boundedContext(t, time.Minute)
	env.mdb.MustExec(t, "product", "CREATE TABLE IF NOT EXISTS via_socket (id INT PRIMARY KEY, note VARCHAR(20))")
	env.mdb.MustExec(t, "product", "DELETE FROM via_socket")

	dir := t.TempDir()
	socket := filepath.Join(dir, "sidecar.sock")
	// What a killed sidecar leaves behind: the socket file, nobody listening.
	stale, err := net.ListenUnix("unix", &net.UnixAddr{Name: socket, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	stale.SetUnlinkOnClose(false)
	stale.Close()

	writeConfig := func(name string) (path, listen string) {
		listen = fmt.Sprintf("127.0.0.1:%d", FreePort())
		yaml := unshardedYAML(listen, 4, unshardedKeyspace{"product", env.mdb.Addr(), "product"}) +
			fmt.Sprintf("listen_socket: %q\n", socket)
		path = filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		return path, listen
	}
	path, listen := writeConfig("sidecar.yaml")
	sc := MustStartSidecar(t, env.bin, path, listen)

	cli := func(user, password, sql string) (string, string, int) {
		t.Helper()
		bin, err := ToolPath("mariadb")
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.CommandContext(ctx, bin, "--no-defaults", "--socket="+socket, "-u", user, "-p"+password,
			"--skip-ssl", "--batch", "product")
		cmd.Stdin = strings.NewReader(sql)
		cmd.Env = append(os.Environ(), "LC_ALL=C")
		var out, errOut strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err = cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return out.String(), errOut.String(), code
	}
	out, errOut, code := cli(appUser, appPassword, "INSERT INTO via_socket VALUES (1, 'cli');\nSELECT id, note FROM via_socket;\n")
	if code != 0 || out != "id\tnote\n1\tcli\n" {
		t.Errorf("mariadb --socket: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if _, errOut, code := cli(appUser, "wrong", "SELECT 1;\n"); code != 1 || !strings.Contains(errOut, "ERROR 1045 (28000): Access denied for user 'mysql_user'@'localhost'") {
		t.Errorf("wrong password through the socket: exit %d, %s", code, errOut)
	}

	// caching_sha2_password users too (the socket logs everyone in with mysql_native_password).
	if out, errOut, code := cli(shaUser, shaPassword, "SELECT COUNT(*) FROM via_socket;\n"); code != 0 || out != "COUNT(*)\n1\n" {
		t.Errorf("mariadb --socket as %s: exit %d\nstdout:\n%s\nstderr:\n%s", shaUser, code, out, errOut)
	}
	sha := openUnshardedDriver(t, socket, shaUser, shaPassword, "product", func(c *mysql.Config) { c.Net = "unix" })
	if err := sha.PingContext(ctx); err != nil {
		t.Errorf("go-sql-driver through the socket as %s: %v", shaUser, err)
	}
	sha.Close()
	if _, errOut, code := cli(shaUser, "wrong", "SELECT 1;\n"); code != 1 || !strings.Contains(errOut, "ERROR 1045 (28000): Access denied for user 'sha_user'@'localhost'") {
		t.Errorf("wrong password through the socket as %s: exit %d, %s", shaUser, code, errOut)
	}

	db := openUnshardedDriver(t, socket, appUser, appPassword, "product", func(c *mysql.Config) { c.Net = "unix" })
	if _, err := db.ExecContext(ctx, "INSERT INTO via_socket VALUES (?, ?)", 2, "prepared"); err != nil {
		t.Fatalf("prepared INSERT through the socket: %v", err)
	}
	var n int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM via_socket WHERE id IN (1, 2)").Scan(&n); err != nil || n != 2 {
		t.Errorf("SELECT through the socket: %d, %v", n, err)
	}
	tcp := openUnshardedDriver(t, listen, appUser, appPassword, "product")
	if err := tcp.QueryRowContext(ctx, "SELECT COUNT(*) FROM via_socket").Scan(&n); err != nil || n != 2 {
		t.Errorf("SELECT through TCP next to the socket: %d, %v", n, err)
	}

	// A second sidecar on the same socket refuses to start and leaves the first one serving.
	path2, listen2 := writeConfig("second.yaml")
	if second, err := StartSidecar(env.bin, path2, listen2); err == nil {
		second.Stop()
		t.Error("a second sidecar started on a socket the first one serves")
	} else if !strings.Contains(err.Error(), "another process is serving on "+socket) {
		t.Errorf("second sidecar: %v", err)
	}
	if err := db.PingContext(ctx); err != nil {
		t.Errorf("the first sidecar after the second one's attempt: %v", err)
	}

	db.Close()
	if err := sc.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(socket); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket file after the sidecar stopped: %v", err)
	}
}
