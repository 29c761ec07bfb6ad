package main

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"

	"sidecar/integration"
)

// The account sysbench uses on the sidecar, and the database (= keyspace) everything lives in.
const (
	benchUser     = "sbtest"
	benchPassword = "sbtest_password"
	benchDB       = "sbtest"
	// insertDB (keyspace sbinsert on the same shards) holds the sbtest1 that oltp_insert fills. It
	// starts empty and is emptied after every run: oltp_insert --auto_inc=off draws ids from the whole
	// int32 range, which includes the 1..table-size of a loaded sbtest1, and from a new seed in
	// each run, so neither a loaded table nor the previous run's rows could be kept.
	insertDB = "sbinsert"
	// oneServerDB (keyspace sbone, the same VSchema as sbtest) has its two shards as two databases
	// of shard server A, so the servers behind the sidecar are one mariadbd, as behind direct. On
	// a 2-core machine a second mariadbd process is not free: its threads compete with the first
	// one's and with the sidecar's, which costs each statement CPU on the database side that a
	// deployment with one host per shard does not pay. The *_1server workloads measure the hop
	// without that cost.
	oneServerDB = "sbone"
)

// oneServerShards are the backend databases of keyspace sbone on server A, by shard.
var oneServerShards = [][2]string{{"-80", "sbone_lo"}, {"80-", "sbone_hi"}}

//go:embed lua/*.lua
var luaScripts embed.FS

// mariadbArgs are added to the harness's settings (integration/mariadb.go: 64M buffer pool, no
// doublewrite, no binlog, flush at commit = 2) for all three servers alike.
var mariadbArgs = []string{
	"--max-prepared-stmt-count=100000",
	"--performance-schema=OFF",
}

// env is the running setup: shards A (-80) and B (80-) behind the sidecar, and D (direct).
type env struct {
	a, b, d   *integration.MariaDB
	sc        *integration.Sidecar
	scAddr    string
	scSocket  string    // the sidecar's listen_socket
	adminAddr string    // the sidecar's admin HTTP endpoint
	procs     int       // the sidecar's GOMAXPROCS
	relay     *exec.Cmd // bare TCP relay in front of D, for the reference workload
	relayAddr string
	// with -proxysql: ProxySQL in front of D, and one in front of A for the *_1server workloads
	// (database sbone on A holds sbtest1 whole, as D's sbtest does)
	px, px1   *integration.ProxySQL
	dir       string // config, VSchema, lua scripts
	luaDir    string
	version   string // MariaDB version
	setupTime time.Duration
}

// target is one side of an A/B pair.
type target struct {
	name     string // "direct", "sidecar", "relay" or "proxysql"
	addr     string
	socket   string // a Unix socket path to connect to instead of addr
	user     string
	password string
	servers  []*integration.MariaDB // whose CPU counts as "db CPU"
	proxyPid int                    // 0 for direct
}

// relayTarget is the bare TCP relay in front of the direct server.
func (e *env) relayTarget() target {
	return target{name: "relay", addr: e.relayAddr, user: "root", servers: []*integration.MariaDB{e.d}, proxyPid: e.relay.Process.Pid}
}

func (e *env) targets() (direct, sidecar target) {
	direct = target{name: "direct", addr: e.d.Addr(), user: "root", servers: []*integration.MariaDB{e.d}}
	sidecar = target{name: "sidecar", addr: e.scAddr, user: benchUser, password: benchPassword,
		servers: []*integration.MariaDB{e.a, e.b}, proxyPid: e.sc.Pid()}
	return direct, sidecar
}

// socketTarget is the sidecar reached through its Unix socket (listen_socket), as an application on
// the same host would reach it.
func (e *env) socketTarget() target {
	_, t := e.targets()
	t.socket = e.scSocket
	return t
}

// proxysqlTarget is ProxySQL in front of the direct server, or with oneServer in front of shard
// server A, with the account sysbench uses on the sidecar.
func (e *env) proxysqlTarget(oneServer bool) target {
	px, m := e.px, e.d
	if oneServer {
		px, m = e.px1, e.a
	}
	return target{name: "proxysql", addr: px.Addr(), user: benchUser, password: benchPassword,
		servers: []*integration.MariaDB{m}, proxyPid: px.Pid()}
}

// proxysqls are the running ProxySQL processes (none without -proxysql).
func (e *env) proxysqls() []*integration.ProxySQL {
	var ps []*integration.ProxySQL
	for _, p := range []*integration.ProxySQL{e.px, e.px1} {
		if p != nil {
			ps = append(ps, p)
		}
	}
	return ps
}

// oneServerTarget is the sidecar in front of keyspace sbone, whose shards are both on server A.
func (e *env) oneServerTarget() target {
	_, t := e.targets()
	t.servers = []*integration.MariaDB{e.a}
	return t
}

// vschema of the sbtest keyspace: sbtest1 by hash(id); users with hash(id) and an owned
// consistent_lookup_unique on email (users_email_lookup, sharded by unicode_loose_md5, like seed
// 000's things); corder owning corder_keyspace_idx on corder_id (seed 002), which is corder_event's
// primary vindex, with the reversible keyspace_id column filled through `binary`.
const vschemaJSON = `{
  "sharded": true,
  "vindexes": {
    "hash": {"type": "hash"},
    "unicode_loose_md5": {"type": "unicode_loose_md5"},
    "binary": {"type": "binary"},
    "users_email_lookup": {
      "type": "consistent_lookup_unique",
      "params": {"table": "users_email_lookup", "from": "email", "to": "keyspace_id"},
      "owner": "users"
    },
    "corder_keyspace_idx": {
      "type": "consistent_lookup_unique",
      "params": {"table": "corder_keyspace_idx", "from": "corder_id", "to": "keyspace_id"},
      "owner": "corder"
    }
  },
  "tables": {
    "sbtest1": {"column_vindexes": [{"column": "id", "name": "hash"}]},
    "users": {"column_vindexes": [
      {"column": "id", "name": "hash"},
      {"column": "email", "name": "users_email_lookup"}
    ]},
    "users_email_lookup": {"column_vindexes": [{"column": "email", "name": "unicode_loose_md5"}]},
    "corder": {"column_vindexes": [
      {"column": "customer_id", "name": "hash"},
      {"column": "corder_id", "name": "corder_keyspace_idx"}
    ]},
    "corder_keyspace_idx": {"column_vindexes": [{"column": "corder_id", "name": "hash"}]},
    "corder_event": {"column_vindexes": [
      {"column": "corder_id", "name": "corder_keyspace_idx"},
      {"column": "keyspace_id", "name": "binary"}
    ]}
  }
}`

// insertVSchemaJSON is the sbinsert keyspace's: sbtest1 by hash(id).
const insertVSchemaJSON = `{
  "sharded": true,
  "vindexes": {"hash": {"type": "hash"}},
  "tables": {"sbtest1": {"column_vindexes": [{"column": "id", "name": "hash"}]}}
}`

// schema is applied through the sidecar (DDL runs on every shard) and directly on D. sbtest1 is
// created by `sysbench … prepare`.
var schema = []string{
	`CREATE TABLE users (id BIGINT NOT NULL, email VARCHAR(64) NOT NULL, PRIMARY KEY (id), UNIQUE KEY (email)) ENGINE=InnoDB`,
	`CREATE TABLE users_email_lookup (email VARCHAR(64) NOT NULL, keyspace_id VARBINARY(10) NOT NULL, PRIMARY KEY (email)) ENGINE=InnoDB`,
	`CREATE TABLE corder (corder_id BIGINT NOT NULL, customer_id BIGINT NOT NULL, product_id BIGINT, oname VARCHAR(128), PRIMARY KEY (corder_id)) ENGINE=InnoDB`,
	`CREATE TABLE corder_keyspace_idx (corder_id BIGINT NOT NULL, keyspace_id VARBINARY(10), PRIMARY KEY (corder_id)) ENGINE=InnoDB`,
	`CREATE TABLE corder_event (corder_event_id BIGINT NOT NULL, corder_id BIGINT NOT NULL, ename VARCHAR(128), keyspace_id VARBINARY(10), PRIMARY KEY (corder_id, corder_event_id)) ENGINE=InnoDB`,
}

// setup starts everything and loads the data. On error, what was started is stopped by the
// caller's integration.Cleanup.
func setup(ctx context.Context, c config) (*env, error) {
	t0 := time.Now()
	e := &env{}
	dir, err := integration.ScratchDir()
	if err != nil {
		return nil, err
	}
	e.dir = filepath.Join(dir, "bench")
	e.luaDir = filepath.Join(e.dir, "lua")
	if err := os.MkdirAll(e.luaDir, 0o755); err != nil {
		return nil, err
	}
	names, _ := luaScripts.ReadDir("lua")
	for _, n := range names {
		b, _ := luaScripts.ReadFile("lua/" + n.Name())
		if err := os.WriteFile(filepath.Join(e.luaDir, n.Name()), b, 0o644); err != nil {
			return nil, err
		}
	}

	// The three servers start together (about a second each), and the sidecar builds meanwhile.
	logf("starting 3 MariaDB servers (shard -80, shard 80-, direct) and building the sidecar")
	var wg sync.WaitGroup
	ms := make([]*integration.MariaDB, 3)
	errs := make([]error, 4)
	for i := range ms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ms[i], errs[i] = integration.StartMariaDB(integration.Options{Args: mariadbArgs})
		}()
	}
	bin := c.bin
	if bin == "" {
		wg.Add(1)
		go func() {
			defer wg.Done()
			bin, errs[3] = integration.BuildSidecar()
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	e.a, e.b, e.d = ms[0], ms[1], ms[2]
	for _, m := range ms {
		if err := m.CreateDatabases(benchDB, insertDB); err != nil {
			return nil, err
		}
	}
	for _, sh := range oneServerShards {
		if err := e.a.CreateDatabases(sh[1]); err != nil {
			return nil, err
		}
	}
	v, err := e.d.Query("", "SELECT VERSION()")
	if err != nil {
		return nil, err
	}
	e.version = v[0][0]

	// The sidecar.
	if err := os.WriteFile(filepath.Join(e.dir, "sbtest.vschema.json"), []byte(vschemaJSON), 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(e.dir, "sbinsert.vschema.json"), []byte(insertVSchemaJSON), 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(e.dir, "sbone.vschema.json"), []byte(vschemaJSON), 0o644); err != nil {
		return nil, err
	}
	e.scAddr = fmt.Sprintf("127.0.0.1:%d", integration.FreePort())
	e.scSocket = filepath.Join(e.dir, "sidecar.sock")
	e.adminAddr = fmt.Sprintf("127.0.0.1:%d", integration.FreePort())
	cfgPath := filepath.Join(e.dir, "sidecar.yaml")
	if err := os.WriteFile(cfgPath, []byte(e.sidecarYAML(c)), 0o644); err != nil {
		return nil, err
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	e.sc, err = integration.StartSidecar(bin, cfgPath, e.scAddr)
	if err != nil {
		return nil, err
	}
	if e.procs, err = sidecarProcs(e.adminAddr); err != nil {
		return nil, err
	}
	if e.relay, e.relayAddr, err = startRelay(e.d.Addr()); err != nil {
		return nil, err
	}
	logf("MariaDB %s: shard -80 on %s, shard 80- on %s, direct on %s, keyspace %s's two shards on %s; sidecar (pid %d) on %s",
		e.version, e.a.Addr(), e.b.Addr(), e.d.Addr(), oneServerDB, e.a.Addr(), e.sc.Pid(), e.scAddr)
	if c.proxysql != "" {
		if err := e.startProxySQLs(c); err != nil {
			return nil, err
		}
	}

	// Data: sbtest1 through sysbench's own prepare, the same way on both sides.
	direct, sidecar := e.targets()
	type load struct {
		t  target
		db string
	}
	loads := []load{{direct, benchDB}, {sidecar, benchDB}, {sidecar, oneServerDB}}
	if e.px1 != nil {
		loads = append(loads, load{e.proxysqlTarget(true), oneServerDB})
	}
	for _, l := range loads {
		t := l.t
		logf("loading %s.sbtest1 (%d rows) %s: sysbench oltp_point_select prepare --auto_inc=off", l.db, c.tableSize, viaName(t))
		args := append(connArgs(t, l.db), "--tables=1", fmt.Sprintf("--table-size=%d", c.tableSize), "--auto_inc=off", "prepare")
		out, _, err := sysbench(ctx, 5*time.Minute, "oltp_point_select", args...)
		if err != nil {
			return nil, fmt.Errorf("sysbench prepare %s: %v\n%s", viaName(t), err, tailLines(out, 15))
		}
		if l.db != benchDB {
			continue
		}
		args = append(connArgs(t, insertDB), "--tables=1", "--table-size=0", "--auto_inc=off", "prepare")
		out, _, err = sysbench(ctx, time.Minute, "oltp_insert", args...)
		if err != nil {
			return nil, fmt.Errorf("sysbench prepare (empty %s.sbtest1) %s: %v\n%s", insertDB, viaName(t), err, tailLines(out, 15))
		}
	}
	// The other tables, then the orders (with their lookup rows, through the sidecar), then one
	// event per order through the sidecar, which warms the lookup cache for insert_event.
	for _, t := range []target{direct, sidecar} {
		db, err := openDB(t, benchDB)
		if err != nil {
			return nil, err
		}
		err = func() error {
			defer db.Close()
			for _, q := range schema {
				if _, err := db.ExecContext(ctx, q); err != nil {
					return fmt.Errorf("%s %s: %w", viaName(t), abbrev(q), err)
				}
			}
			logf("creating %d orders and one event per order %s", c.orders, viaName(t))
			if err := insertBatches(ctx, db, c.orders, 100, func(i int) string {
				return fmt.Sprintf("(%d, %d, %d, 'order %d')", i, i%97+1, i%13+1, i)
			}, "INSERT INTO corder (corder_id, customer_id, product_id, oname) VALUES "); err != nil {
				return fmt.Errorf("%s: orders: %w", viaName(t), err)
			}
			if err := insertBatches(ctx, db, c.orders, 100, func(i int) string {
				return fmt.Sprintf("(%d, %d, 'created')", -i, i)
			}, "INSERT INTO corder_event (corder_event_id, corder_id, ename) VALUES "); err != nil {
				return fmt.Errorf("%s: events: %w", viaName(t), err)
			}
			return nil
		}()
		if err != nil {
			return nil, err
		}
	}
	// sbone gets the users tables of insert_lookup_1server.
	db, err := openDB(sidecar, oneServerDB)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	for _, q := range schema[:2] {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return nil, fmt.Errorf("%s %s: %w", oneServerDB, abbrev(q), err)
		}
	}
	if err := e.checkData(ctx, c); err != nil {
		return nil, err
	}
	e.setupTime = time.Since(t0)
	return e, nil
}

// checkData makes sure both sides hold the same rows and the shards hold some each, so a routing
// bug cannot pass for a fast run.
func (e *env) checkData(ctx context.Context, c config) error {
	type loc struct {
		m  *integration.MariaDB
		db string
	}
	count := func(l loc, tbl string) (int, error) {
		r, err := l.m.Query(l.db, "SELECT COUNT(*) FROM "+tbl)
		if err != nil {
			return 0, err
		}
		var n int
		_, err = fmt.Sscan(r[0][0], &n)
		return n, err
	}
	sbtest := [2]loc{{e.a, benchDB}, {e.b, benchDB}}
	sbone := [2]loc{{e.a, oneServerShards[0][1]}, {e.a, oneServerShards[1][1]}}
	for _, x := range []struct {
		keyspace, table string
		shards          [2]loc
	}{
		{benchDB, "sbtest1", sbtest}, {benchDB, "corder", sbtest}, {benchDB, "corder_event", sbtest},
		{benchDB, "corder_keyspace_idx", sbtest}, {oneServerDB, "sbtest1", sbone},
	} {
		var n [2]int
		for i, l := range x.shards {
			var err error
			if n[i], err = count(l, x.table); err != nil {
				return err
			}
		}
		want := c.orders // the lookup table has no direct twin
		if x.table != "corder_keyspace_idx" {
			var err error
			if want, err = count(loc{e.d, benchDB}, x.table); err != nil {
				return err
			}
		}
		if n[0]+n[1] != want || n[0] == 0 || n[1] == 0 {
			return fmt.Errorf("%s.%s: %d rows on shard -80 + %d on 80- through the sidecar, want %d in all", x.keyspace, x.table, n[0], n[1], want)
		}
	}
	if e.px1 != nil {
		n, err := count(loc{e.a, oneServerDB}, "sbtest1")
		if err != nil {
			return err
		}
		want, err := count(loc{e.d, benchDB}, "sbtest1")
		if err != nil {
			return err
		}
		if n != want {
			return fmt.Errorf("%s.sbtest1 on server A (through ProxySQL): %d rows, want %d", oneServerDB, n, want)
		}
	}
	return nil
}

// startProxySQLs starts ProxySQL in front of the direct server D and another in front of shard
// server A, each with one hostgroup (0) holding that one server and no query rules: every
// statement goes to it. Clients log in with the account sysbench uses on the sidecar, which ProxySQL
// also uses towards the server (created on D and A); ProxySQL's monitor logs in as monitor/monitor
// (created too) at its default intervals. Everything else (worker threads unless
// -proxysql-threads, multiplexing, connection pool, max_stmts_per_connection) is ProxySQL's
// default.
func (e *env) startProxySQLs(c config) error {
	for _, m := range []*integration.MariaDB{e.d, e.a} {
		for _, u := range [][2]string{{benchUser, benchPassword}, {"monitor", "monitor"}} {
			if err := m.CreateUser(u[0], u[1]); err != nil {
				return err
			}
		}
	}
	if err := e.a.CreateDatabases(oneServerDB); err != nil {
		return err
	}
	start := func(m *integration.MariaDB, db string) (*integration.ProxySQL, error) {
		return integration.StartProxySQL(c.proxysql, integration.ProxySQLOptions{
			Servers: []integration.ProxySQLServer{{Addr: m.Addr(), Hostgroup: 0}},
			Users:   []integration.ProxySQLUser{{Name: benchUser, Password: benchPassword, Schema: db, Hostgroup: 0}},
			Threads: c.proxysqlThreads,
		})
	}
	var err error
	if e.px, err = start(e.d, benchDB); err != nil {
		return err
	}
	if e.px1, err = start(e.a, oneServerDB); err != nil {
		return err
	}
	logf("ProxySQL %s: in front of direct (pid %d) on %s, in front of shard server A (pid %d) on %s",
		proxysqlVersion(c.proxysql), e.px.Pid(), e.px.Addr(), e.px1.Pid(), e.px1.Addr())
	return nil
}

// proxysqlVersion is the first line `proxysql --version` prints.
func proxysqlVersion(bin string) string {
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		return "(proxysql --version: " + err.Error() + ")"
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return strings.TrimSpace(line)
}

func (e *env) sidecarYAML(c config) string {
	pool := max(16, 2*c.threads)
	var b strings.Builder
	fmt.Fprintf(&b, "listen: %q\n", e.scAddr)
	fmt.Fprintf(&b, "listen_socket: %q\n", e.scSocket)
	fmt.Fprintf(&b, "admin_listen: %q\n", e.adminAddr)
	fmt.Fprintf(&b, "users:\n  - {name: %s, password: %s}\n", benchUser, benchPassword)
	// A deadlock across the two shards (oltp_read_write makes some) is a lock wait on each, which the
	// sidecar breaks within about two seconds; the short lock wait timeout bounds any it cannot see.
	fmt.Fprintf(&b, "backend: {user: root, password: \"\", pool_size: %d, connect_timeout: 5s, lock_wait_timeout: 5s}\n", pool)
	fmt.Fprintf(&b, "keyspaces:\n  %s:\n    vschema_file: sbtest.vschema.json\n    shards:\n", benchDB)
	fmt.Fprintf(&b, "      \"-80\": {address: %q, database: %s}\n", e.a.Addr(), benchDB)
	fmt.Fprintf(&b, "      \"80-\": {address: %q, database: %s}\n", e.b.Addr(), benchDB)
	fmt.Fprintf(&b, "  %s:\n    vschema_file: sbone.vschema.json\n    shards:\n", oneServerDB)
	for _, sh := range oneServerShards {
		fmt.Fprintf(&b, "      %q: {address: %q, database: %s}\n", sh[0], e.a.Addr(), sh[1])
	}
	fmt.Fprintf(&b, "  %s:\n    vschema_file: sbinsert.vschema.json\n    shards:\n", insertDB)
	fmt.Fprintf(&b, "      \"-80\": {address: %q, database: %s}\n", e.a.Addr(), insertDB)
	fmt.Fprintf(&b, "      \"80-\": {address: %q, database: %s}\n", e.b.Addr(), insertDB)
	// A TTL longer than the run: insert_event measures the warm cache.
	fmt.Fprintf(&b, "lookup_cache: {size: 100000, ttl: 1h}\n")
	fmt.Fprintf(&b, "log: {level: info, format: json}\n")
	fmt.Fprintf(&b, "shard_hints: true\n")
	if c.procs > 0 {
		fmt.Fprintf(&b, "procs: %d\n", c.procs)
	}
	return b.String()
}

// sidecarProcs is the number of CPUs running the sidecar's goroutines
// (GOMAXPROCS), as its /metrics reports it.
func sidecarProcs(adminAddr string) (int, error) {
	resp, err := http.Get("http://" + adminAddr + "/metrics")
	if err != nil {
		return 0, fmt.Errorf("the sidecar's /metrics: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, fmt.Errorf("the sidecar's /metrics: %w", err)
	}
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, "go_sched_gomaxprocs_threads "); ok {
			n, err := strconv.ParseFloat(v, 64)
			return int(n), err
		}
	}
	return 0, fmt.Errorf("the sidecar's /metrics has no go_sched_gomaxprocs_threads")
}

func openDB(t target, name string) (*sql.DB, error) {
	cfg := mysql.NewConfig()
	cfg.Net, cfg.Addr, cfg.User, cfg.Passwd, cfg.DBName = "tcp", t.addr, t.user, t.password, name
	cfg.Timeout = 5 * time.Second
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(conn)
	db.SetMaxOpenConns(2)
	return db, nil
}

// insertBatches runs prefix + rows 1..n, batch rows per statement.
func insertBatches(ctx context.Context, db *sql.DB, n, batch int, row func(int) string, prefix string) error {
	for lo := 1; lo <= n; lo += batch {
		var b strings.Builder
		b.WriteString(prefix)
		for i := lo; i < lo+batch && i <= n; i++ {
			if i > lo {
				b.WriteString(", ")
			}
			b.WriteString(row(i))
		}
		if _, err := db.ExecContext(ctx, b.String()); err != nil {
			return err
		}
	}
	return nil
}

func viaName(t target) string {
	switch t.name {
	case "direct":
		return "directly"
	case "proxysql":
		return "through ProxySQL"
	}
	return "through the " + t.name
}

func abbrev(q string) string {
	q = strings.Join(strings.Fields(q), " ")
	if len(q) > 100 {
		q = q[:97] + "..."
	}
	return q
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}

// stopAll stops the relay, the sidecar and ProxySQL, then the three servers at the same time.
func (e *env) stopAll() {
	if e.relay != nil {
		e.relay.Process.Kill()
		e.relay.Wait()
	}
	if e.sc != nil {
		if err := e.sc.Stop(); err != nil {
			logf("stop sidecar: %v", err)
		}
	}
	for _, px := range e.proxysqls() {
		if err := px.Stop(); err != nil {
			logf("stop ProxySQL: %v", err)
		}
	}
	var wg sync.WaitGroup
	for _, m := range []*integration.MariaDB{e.a, e.b, e.d} {
		if m == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := m.Stop(); err != nil {
				logf("stop mariadbd on %s: %v", m.Addr(), err)
			}
		}()
	}
	wg.Wait()
}
