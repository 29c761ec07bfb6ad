package integration

// A real ProxySQL 2.7 on either side of the sidecar (`make test-proxysql`, which needs PROXYSQL_BIN:
// ../shared/tools/proxysql-build/build.sh builds one in about 5 to 8 minutes; skipped without it):
//
//	app → ProxySQL → sidecar → two shards       (TestProxySQLRealInFront)
//	app → sidecar → ProxySQL → two MariaDB      (TestProxySQLRealBehind: a hostgroup per shard)
//
// proxysql_test.go replays what ProxySQL sends, for `make test`; these tests run the real thing.

import (
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// proxysqlBin is $PROXYSQL_BIN; without it the test is skipped, saying how to get one.
func proxysqlBin(t *testing.T) string {
	t.Helper()
	bin := os.Getenv(ProxySQLBinEnv)
	if bin == "" {
		t.Skip("PROXYSQL_BIN is not set: build ProxySQL 2.7 with ../shared/tools/proxysql-build/build.sh " +
			"(see its NOTES.md) and run `make test-proxysql PROXYSQL_BIN=/opt/proxysql/proxysql`")
	}
	return bin
}

// startProxySQL starts ProxySQL (StartProxySQL) with 2 worker threads and its monitor logging in as
// monitor/monitor every second; stopped in t.Cleanup.
func startProxySQL(t *testing.T, servers []ProxySQLServer, users []ProxySQLUser, extraVars string) *ProxySQL {
	t.Helper()
	p, err := StartProxySQL(proxysqlBin(t), ProxySQLOptions{Servers: servers, Users: users, Dir: t.TempDir(),
		Threads: 2, MonitorInterval: time.Second, MaxConnections: 64, ExtraVars: extraVars})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Stop(); err != nil {
			t.Errorf("stop proxysql: %v", err)
		}
		if t.Failed() {
			t.Logf("--- ProxySQL's log:\n%s", p.Log(40))
		}
	})
	return p
}

// pxAdminQuery runs a statement on p's admin interface and returns its rows as text.
func pxAdminQuery(t *testing.T, p *ProxySQL, q string) [][]string {
	t.Helper()
	out, err := p.AdminQuery(q)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// sysbenchVSchema is the example customer VSchema with sysbench's tables, sharded by hash(id).
func sysbenchVSchema(t *testing.T) string {
	return customerVSchemaWith(t, func(tables map[string]any) { tables["sbtest1"] = hashTable() })
}

// sysbenchClean runs sysbench and requires it to end without any error.
func sysbenchClean(t *testing.T, test, addr string, args ...string) {
	t.Helper()
	out := runSysbenchTest(t, test, addr, "customer", 2*time.Minute, "run", append([]string{"--tables=1", "--table-size=10000",
		"--auto_inc=off", "--verbosity=5"}, args...)...)
	st, err := parseSysbench(out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if st.ignoredErrors != 0 || st.reconnects != 0 || st.queries == 0 {
		t.Errorf("sysbench %s %v: %d queries, %d errors, %d reconnects\n%s", test, args, st.queries, st.ignoredErrors, st.reconnects, tail(out, 30))
	}
	t.Logf("sysbench %s %v: %d queries, 0 errors", test, args, st.queries)
}

// crossShardTransaction commits one transaction over both shards of customer and rolls back
// another, through the mariadb client at addr, and checks the shards directly.
func crossShardTransaction(t *testing.T, e *shardedEnv, addr string) {
	t.Helper()
	const session = "BEGIN;\n" +
		"INSERT INTO customer (customer_id, email) VALUES (1, 'tx1'), (4, 'tx4');\n" +
		"SAVEPOINT sp;\nUPDATE customer SET email = 'gone' WHERE customer_id IN (1, 4);\nROLLBACK TO SAVEPOINT sp;\n" +
		"COMMIT;\n" +
		"BEGIN;\nINSERT INTO customer (customer_id, email) VALUES (2, 'rb2'), (5, 'rb5');\nROLLBACK;\n"
	if out, errOut, code := RunCLI(addr, seedUser, seedPassword, "customer", session); code != 0 {
		t.Fatalf("cross-shard transactions: exit %d\n%s%s", code, out, errOut)
	}
	for sh, want := range map[string]string{"-80": "1 tx1", "80-": "4 tx4"} {
		var got []string
		for _, r := range e.rows("customer", sh, "SELECT customer_id, email FROM customer WHERE customer_id IN (1, 2, 4, 5)") {
			got = append(got, r[0]+" "+r[1])
		}
		if strings.Join(got, ",") != want {
			t.Errorf("shard %s after a commit and a rollback: %q, want %q", sh, got, want)
		}
	}
}

// TestProxySQLRealInFront: app → ProxySQL → sidecar → two shards. The seeds' sessions, a cross-shard
// transaction and sysbench through ProxySQL; its monitor sees the sidecar ONLINE with clean pings;
// its query_timeout kills the statement on the shard through the sidecar.
func TestProxySQLRealInFront(t *testing.T) {
	proxysqlBin(t)
	e := newShardedEnv(t, shardedOptions{customerVSchema: sysbenchVSchema(t), users: []string{"{name: monitor, password: monitor}"}})
	px := startProxySQL(t, []ProxySQLServer{{Addr: e.sc.Addr()}},
		[]ProxySQLUser{{Name: seedUser, Password: seedPassword, Schema: "things"}}, "  default_query_timeout=36000000\n")
	e.via = px.Addr()

	t.Run("seed 000", func(t *testing.T) { runSeed000(t, e) })
	t.Run("seed 002", func(t *testing.T) { runSeed002(t, e) })
	t.Run("cross-shard transaction", func(t *testing.T) { crossShardTransaction(t, e, px.Addr()) })
	t.Run("sysbench", func(t *testing.T) {
		runSysbenchTest(t, "oltp_point_select", e.sc.Addr(), "customer", 2*time.Minute, "prepare", "--tables=1", "--table-size=10000", "--auto_inc=off")
		sysbenchClean(t, "oltp_point_select", px.Addr(), "--time=5", "--threads=4")
		sysbenchClean(t, "oltp_point_select", px.Addr(), "--time=5", "--threads=4", "--db-ps-mode=disable")
		// oltp_insert draws its ids from the whole int32 range: into an empty table, none is taken.
		e.mustCLI("customer", "TRUNCATE sbtest1;")
		sysbenchClean(t, "oltp_insert", px.Addr(), "--time=3", "--threads=4")
	})
	t.Run("monitor", func(t *testing.T) {
		port := e.sc.Addr()[strings.LastIndexByte(e.sc.Addr(), ':')+1:]
		for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(500 * time.Millisecond) {
			pings := pxAdminQuery(t, px, "SELECT COUNT(*), SUM(ping_error IS NOT NULL) FROM monitor.mysql_server_ping_log WHERE port = "+port)
			if n, _ := strconv.Atoi(pings[0][0]); n >= 2 {
				if pings[0][1] != "0" {
					t.Errorf("pings of the sidecar with an error: %s of %s: %q", pings[0][1], pings[0][0],
						pxAdminQuery(t, px, "SELECT ping_error FROM monitor.mysql_server_ping_log WHERE ping_error IS NOT NULL LIMIT 3"))
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("ProxySQL's monitor logged %s pings of the sidecar in 15 s", pings[0][0])
			}
		}
		if st := pxAdminQuery(t, px, "SELECT status FROM runtime_mysql_servers WHERE port = "+port); len(st) != 1 || st[0][0] != "ONLINE" {
			t.Errorf("the sidecar in runtime_mysql_servers: %q, want ONLINE", st)
		}
		connects := pxAdminQuery(t, px, "SELECT COUNT(*), SUM(connect_error IS NOT NULL) FROM monitor.mysql_server_connect_log WHERE port = "+port)
		if connects[0][1] != "0" {
			t.Errorf("connect checks of the sidecar with an error: %q", connects)
		}
	})
	t.Run("query_timeout kill", func(t *testing.T) {
		start := time.Now()
		out, errOut, code := RunCLI(px.Addr(), seedUser, seedPassword, "things", "/* query_timeout=500 */ SELECT SLEEP(20) FROM things WHERE id = 1;\n", "-c")
		if code == 0 || time.Since(start) > 10*time.Second {
			t.Errorf("a statement over ProxySQL's query_timeout: exit %d after %v\n%s%s", code, time.Since(start), out, errOut)
		}
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			r := e.a.MustQuery(t, "", "SELECT COUNT(*) FROM information_schema.processlist WHERE info LIKE '%SLEEP(20)%' AND id <> CONNECTION_ID()")
			if r[0][0] == "0" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the statement ProxySQL timed out still runs on the shard")
			}
		}
	})
	if lines := px.ErrorLines(); len(lines) > 0 {
		t.Errorf("ProxySQL logged errors:\n%s", strings.Join(lines, "\n"))
	}
}

// TestProxySQLRealBehind: app → sidecar → ProxySQL → two MariaDB, a hostgroup per shard, routed by
// the sidecar's annotations alone, then with the rules `sidecar proxysql-rules` prints loaded too.
// Seed 000's rows land on the right servers and its duplicate keeps 1062; cross-shard transactions
// commit and roll back; sysbench oltp_read_write runs without error; ProxySQL logs no error.
func TestProxySQLRealBehind(t *testing.T) {
	proxysqlBin(t)
	var px *ProxySQL
	e := newShardedEnv(t, shardedOptions{
		customerVSchema: sysbenchVSchema(t),
		backend:         "user: sidecar, password: sidecar_pw",
		beforeSidecar: func(e *shardedEnv) {
			for _, m := range []*MariaDB{e.a, e.b} {
				for _, u := range [][2]string{{"sidecar", "sidecar_pw"}, {"monitor", "monitor"}} {
					if err := m.CreateUser(u[0], u[1]); err != nil {
						t.Fatal(err)
					}
				}
			}
			px = startProxySQL(t, []ProxySQLServer{{Addr: e.a.Addr(), Hostgroup: 10}, {Addr: e.b.Addr(), Hostgroup: 20}},
				[]ProxySQLUser{{Name: "sidecar", Password: "sidecar_pw", Hostgroup: 10}}, "")
			e.shardAddr = func(server string) (string, int) {
				if server == "a" {
					return px.Addr(), 10
				}
				return px.Addr(), 20
			}
		},
	})
	run := func(t *testing.T) {
		t.Run("seed 000", func(t *testing.T) {
			e.mustCLI("things", "DELETE FROM things;")
			runSeed000(t, e)
		})
		t.Run("cross-shard transaction", func(t *testing.T) {
			e.mustCLI("customer", "DELETE FROM customer;")
			crossShardTransaction(t, e, e.sc.Addr())
		})
		t.Run("sysbench oltp_read_write", func(t *testing.T) {
			e.mustCLI("customer", "DROP TABLE IF EXISTS sbtest1;")
			runSysbench(t, e.sc.Addr(), "customer", 2*time.Minute, "prepare", "--tables=1", "--auto_inc=off")
			// Deadlocks (1213) can happen between sysbench's own transactions, on one server as on
			// MariaDB alone: ignored and counted; any other error fails the run.
			out := runSysbench(t, e.sc.Addr(), "customer", 2*time.Minute, "run", "--tables=1", "--auto_inc=off",
				"--time=5", "--rand-type=uniform", "--mysql-ignore-errors=1213", "--verbosity=5")
			st, err := parseSysbench(out)
			if err != nil || st.transactions == 0 || st.reconnects != 0 {
				t.Errorf("sysbench oltp_read_write through ProxySQL: %+v %v\n%s", st, err, tail(out, 30))
			}
			for _, m := range regexp.MustCompile(`(?m)^DEBUG: Ignoring error (\d+).*$`).FindAllStringSubmatch(out, -1) {
				if m[1] != "1213" {
					t.Errorf("sysbench ignored error %s: %s", m[1], m[0])
				}
			}
			t.Logf("%d transactions, %d deadlocks", st.transactions, st.ignoredErrors)
		})
	}
	t.Run("annotations", run)
	t.Run("rules", func(t *testing.T) {
		out, err := exec.Command(e.bin, "proxysql-rules", "-config", e.config,
			"-server", "10="+e.a.Addr(), "-server", "20="+e.b.Addr()).Output()
		if err != nil {
			t.Fatalf("sidecar proxysql-rules: %v", err)
		}
		var sqlLines []string
		for _, l := range strings.Split(string(out), "\n") {
			if !strings.HasPrefix(l, "--") {
				sqlLines = append(sqlLines, l)
			}
		}
		for _, stmt := range strings.Split(strings.Join(sqlLines, "\n"), ";\n") {
			if stmt = strings.TrimSpace(stmt); stmt != "" {
				if _, err := px.AdminDB().Exec(stmt); err != nil {
					t.Fatalf("ProxySQL admin: %s: %v", stmt, err)
				}
			}
		}
		run(t)
		// The rule of every shard the sessions above wrote to matched (product's is used only by
		// sequences and lookups, which they do not need).
		hits := pxAdminQuery(t, px, "SELECT r.comment, s.hits FROM stats_mysql_query_rules s JOIN runtime_mysql_query_rules r ON r.rule_id = s.rule_id ORDER BY r.rule_id")
		if len(hits) == 0 {
			t.Fatalf("no query rules loaded:\n%s", out)
		}
		for _, h := range hits {
			if h[1] == "0" && !strings.Contains(h[0], "product/") {
				t.Errorf("query rule %q never matched", h[0])
			}
		}
		t.Logf("query rule hits: %q", hits)
	})
	if lines := px.ErrorLines(); len(lines) > 0 {
		t.Errorf("ProxySQL logged errors:\n%s", strings.Join(lines, "\n"))
	}
}
