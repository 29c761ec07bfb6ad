package integration

// End-to-end tests of issue 4: INSERTs on sharded keyspaces, replaying the seeds' sessions through the
// real sidecar binary with the clients users have (the mariadb CLI, go-sql-driver/mysql prepared
// statements), on TWO real MariaDB servers:
//
//	server A: things -80 (things_x80), customer -80 (customer_x80), product "0" (product)
//	server B: things 80- (things_80x), customer 80- (customer_80x)
//
// The VSchemas are the seeds' (conf/examples/*.vschema.json). The product schema (sequences, the
// corder_keyspace_idx lookup table) is applied to server A directly; everything else is applied through
// the sidecar, whose DDL runs on every shard. Results are checked through the sidecar AND read directly
// from each backend shard, so a row on the wrong shard, or a lookup row left behind, is caught.
//
// Every test starts its own servers and sidecar (about a second): the tests assert the exact contents
// of every shard, sequences and the sidecar's lookup cache carry state, and a shared instance would make
// each test depend on what ran before it.

import (
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"sidecar/vindex"
)

// The account of the seeds' sessions (`mysql --user mysql_user --password`).
const (
	seedUser     = "mysql_user"
	seedPassword = "mysql_password"
)

// The keyspace ids seed 000 and seed 002 print: hash(1), hash(2), hash(4).
const (
	ksidHash1 = "166B40B44ABA4BD6"
	ksidHash2 = "06E7EA22CE92708F"
	ksidHash4 = "D2FD8867D50D2DFE"
)

// shardedEnv is two MariaDB servers and a sidecar serving the seeds' keyspaces on them.
type shardedEnv struct {
	t      *testing.T
	a, b   *MariaDB
	bin    string
	dir    string // the config and the VSchema files
	config string // the config file
	listen string // its listen address
	sc     *Sidecar

	// shardAddr, when set, gives a shard's address and hostgroup in the config instead of its
	// server's (the sidecar then reaches the servers through ProxySQL).
	shardAddr func(server string) (addr string, hostgroup int)
	// via, when set, is the address the mariadb sessions of cli go to instead of the sidecar's
	// (ProxySQL in front of it).
	via string
}

// shardedOptions vary the environment.
type shardedOptions struct {
	// customerVSchema replaces conf/examples/customer.vschema.json, productVSchema
	// conf/examples/product.vschema.json.
	customerVSchema, productVSchema string
	// customerSchema replaces testdata/customer.sql (applied through the sidecar).
	customerSchema string
	// noShardHints turns shard_hints off.
	noShardHints bool
	// backend is added to the backend settings (pool_size 16, connect_timeout 5s), e.g.
	// "pool_size: 1, lock_wait_timeout: 1s" (later keys win).
	backend string
	// users are more accounts of the sidecar, as YAML flow mappings ("{name: monitor, password: m}").
	users []string
	// metadata is the config's metadata setting, a YAML flow mapping ("{keyspace: product}"); ""
	// for none.
	metadata string
	// beforeSidecar runs once the servers have their databases, before the sidecar starts (a
	// ProxySQL between the sidecar and the servers starts there, and sets shardAddr).
	beforeSidecar func(e *shardedEnv)
}

// shardBackends says where each shard of the test config lives: server "a" or "b", and the database.
var shardBackends = map[string]map[string]struct{ server, db string }{
	"things": {
		"-80": {"a", "things_x80"},
		"80-": {"b", "things_80x"},
	},
	"customer": {
		"-80": {"a", "customer_x80"},
		"80-": {"b", "customer_80x"},
	},
	"product": {
		"0": {"a", "product"},
	},
}

// shardedShards are the shards of the sharded keyspaces, in key order.
var shardedShards = []string{"-80", "80-"}

// newShardedEnv starts two MariaDB servers and a sidecar in front of them, with every schema applied
// (and checked on every backend). Everything is stopped in t.Cleanup.
func newShardedEnv(t *testing.T, opts shardedOptions) *shardedEnv {
	t.Helper()
	e := &shardedEnv{t: t, bin: MustBuildSidecar(t)}
	e.startServers()
	e.a.MustExec(t, "", "CREATE DATABASE things_x80; CREATE DATABASE customer_x80; CREATE DATABASE product")
	e.b.MustExec(t, "", "CREATE DATABASE things_80x; CREATE DATABASE customer_80x")
	e.a.MustExec(t, "product", ProductSchema)

	e.dir = t.TempDir()
	root, err := ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"things.vschema.json", "customer.vschema.json", "product.vschema.json"} {
		b, err := os.ReadFile(filepath.Join(root, "conf", "examples", f))
		if err != nil {
			t.Fatal(err)
		}
		if f == "customer.vschema.json" && opts.customerVSchema != "" {
			b = []byte(opts.customerVSchema)
		}
		if f == "product.vschema.json" && opts.productVSchema != "" {
			b = []byte(opts.productVSchema)
		}
		if err := os.WriteFile(filepath.Join(e.dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if opts.beforeSidecar != nil {
		opts.beforeSidecar(e)
	}
	e.config = filepath.Join(e.dir, "sidecar.yaml")
	e.listen = fmt.Sprintf("127.0.0.1:%d", FreePort())
	if err := os.WriteFile(e.config, []byte(e.yaml(opts)), 0o644); err != nil {
		t.Fatal(err)
	}
	e.sc = e.startSidecar()

	customer := opts.customerSchema
	if customer == "" {
		customer = readShardedTestdata(t, "customer.sql")
	}
	e.applySchema("things", readShardedTestdata(t, "things.sql"), "things", "things_name_lookup")
	e.applySchema("customer", customer, "corder", "corder_event", "customer")
	return e
}

// startServers starts A and B at the same time (each takes about half a second).
func (e *shardedEnv) startServers() {
	t := e.t
	var wg sync.WaitGroup
	ms := make([]*MariaDB, 2)
	errs := make([]error, 2)
	for i := range ms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ms[i], errs[i] = StartMariaDB(Options{})
		}()
	}
	wg.Wait()
	// One cleanup stops both at the same time (a clean shutdown takes about a second each).
	t.Cleanup(func() {
		var wg sync.WaitGroup
		for i, m := range ms {
			if m == nil {
				continue
			}
			if _, err := os.Stat(m.ErrorLogPath()); err == nil && t.Failed() {
				t.Logf("--- tail of server %c's %s:\n%s", 'A'+i, m.ErrorLogPath(), m.ErrorLog(20))
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := m.Stop(); err != nil {
					t.Errorf("stop mariadbd on %s: %v", m.Addr(), err)
				}
			}()
		}
		wg.Wait()
	})
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	e.a, e.b = ms[0], ms[1]
}

// yaml is the sidecar config: conf/examples/sidecar.yaml with the two servers' addresses, a free
// listen port, no admin listener.
func (e *shardedEnv) yaml(opts shardedOptions) string {
	var b strings.Builder
	fmt.Fprintf(&b, "listen: %q\n", e.listen)
	fmt.Fprintf(&b, "admin_listen: \"\"\n")
	fmt.Fprintf(&b, "users:\n  - {name: %s, password: %s}\n", seedUser, seedPassword)
	for _, u := range opts.users {
		fmt.Fprintf(&b, "  - %s\n", u)
	}
	backend := map[string]string{"user": "root", "password": `""`, "pool_size": "16", "connect_timeout": "5s"}
	for _, kv := range strings.Split(opts.backend, ",") {
		if k, v, ok := strings.Cut(kv, ":"); ok {
			backend[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	fmt.Fprintf(&b, "backend:\n")
	for _, k := range slices.Sorted(maps.Keys(backend)) {
		fmt.Fprintf(&b, "  %s: %s\n", k, backend[k])
	}
	fmt.Fprintf(&b, "keyspaces:\n")
	for _, ks := range []string{"things", "customer", "product"} {
		fmt.Fprintf(&b, "  %s:\n    vschema_file: %s.vschema.json\n    shards:\n", ks, ks)
		names := shardedShards
		if ks == "product" {
			names = []string{"0"}
		}
		for _, sh := range names {
			be := shardBackends[ks][sh]
			if e.shardAddr != nil {
				addr, hostgroup := e.shardAddr(be.server)
				fmt.Fprintf(&b, "      %q: {address: %q, database: %s, hostgroup: %d}\n", sh, addr, be.db, hostgroup)
				continue
			}
			fmt.Fprintf(&b, "      %q: {address: %q, database: %s}\n", sh, e.server(be.server).Addr(), be.db)
		}
	}
	fmt.Fprintf(&b, "lookup_cache: {size: 100000, ttl: 30s}\n")
	fmt.Fprintf(&b, "log: {level: info, format: json}\n")
	fmt.Fprintf(&b, "shard_hints: %t\n", !opts.noShardHints)
	if opts.metadata != "" {
		fmt.Fprintf(&b, "metadata: %s\n", opts.metadata)
	}
	return b.String()
}

func (e *shardedEnv) server(name string) *MariaDB {
	if name == "a" {
		return e.a
	}
	return e.b
}

// startSidecar starts a sidecar process on the config. A second one (e.sc already running) gets a copy
// of the config that differs in the listen port only.
func (e *shardedEnv) startSidecar() *Sidecar {
	e.t.Helper()
	if e.sc == nil {
		return MustStartSidecar(e.t, e.bin, e.config, e.listen)
	}
	cfg, err := os.ReadFile(e.config)
	if err != nil {
		e.t.Fatal(err)
	}
	listen := fmt.Sprintf("127.0.0.1:%d", FreePort())
	cfg = []byte(strings.Replace(string(cfg), fmt.Sprintf("listen: %q", e.listen), fmt.Sprintf("listen: %q", listen), 1))
	path := filepath.Join(e.dir, "sidecar-"+strings.ReplaceAll(listen, ":", "-")+".yaml")
	if err := os.WriteFile(path, cfg, 0o644); err != nil {
		e.t.Fatal(err)
	}
	return MustStartSidecar(e.t, e.bin, path, listen)
}

// customerVSchemaWith is the example customer VSchema (conf/examples) with its tables changed by
// edit, as JSON for shardedOptions.customerVSchema.
func customerVSchemaWith(t *testing.T, edit func(tables map[string]any)) string {
	t.Helper()
	return exampleVSchemaWith(t, "customer.vschema.json", edit)
}

// exampleVSchemaWith is a VSchema file of conf/examples with its tables changed by edit, as JSON.
func exampleVSchemaWith(t *testing.T, file string, edit func(tables map[string]any)) string {
	t.Helper()
	root, err := ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "conf", "examples", file))
	if err != nil {
		t.Fatal(err)
	}
	var vs map[string]any
	if err := json.Unmarshal(b, &vs); err != nil {
		t.Fatal(err)
	}
	edit(vs["tables"].(map[string]any))
	if b, err = json.MarshalIndent(vs, "", "  "); err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// hashTable is the VSchema of a table sharded by hash(id).
func hashTable() map[string]any {
	return map[string]any{"column_vindexes": []any{map[string]any{"column": "id", "name": "hash"}}}
}

func readShardedTestdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// applySchema runs DDL through the sidecar with the mariadb CLI and checks that every shard of the
// keyspace now has the tables.
func (e *shardedEnv) applySchema(keyspace, ddl string, tables ...string) {
	t := e.t
	t.Helper()
	out, errOut, code := e.cli(keyspace, ddl)
	if code != 0 {
		t.Fatalf("applying the %s schema through the sidecar: exit %d\n%s%s", keyspace, code, out, errOut)
	}
	want := slices.Clone(tables)
	sort.Strings(want)
	for _, sh := range shardedShards {
		var got []string
		for _, r := range e.rows(keyspace, sh, "SHOW TABLES") {
			got = append(got, r[0])
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("tables of %s/%s after DDL through the sidecar: got %v, want %v", keyspace, sh, got, want)
		}
	}
}

// cli runs the mariadb client through the (first) sidecar, or e.via, as seedUser, in keyspace db.
func (e *shardedEnv) cli(db, sql string, args ...string) (stdout, stderr string, exit int) {
	addr := e.sc.Addr()
	if e.via != "" {
		addr = e.via
	}
	return RunCLI(addr, seedUser, seedPassword, db, sql, args...)
}

// mustCLI is cli for sessions that must succeed; it returns standard output.
func (e *shardedEnv) mustCLI(db, sql string, args ...string) string {
	e.t.Helper()
	out, errOut, code := e.cli(db, sql, args...)
	if code != 0 || errOut != "" {
		e.t.Fatalf("mariadb %s <<< %q: exit %d\nstdout:\n%s\nstderr:\n%s", db, sql, code, out, errOut)
	}
	return out
}

// cliError runs a session that must fail with exactly one error and returns its line
// (`ERROR 1062 (23000) at line 1: ...`).
func (e *shardedEnv) cliError(db, sql string, args ...string) string {
	e.t.Helper()
	out, errOut, code := e.cli(db, sql, args...)
	lines := cliErrorLines(errOut)
	if code != 1 || len(lines) != 1 {
		e.t.Fatalf("mariadb %s <<< %q: want one error and exit 1, got exit %d\nstdout:\n%s\nstderr:\n%s", db, sql, code, out, errOut)
	}
	return lines[0]
}

// cliErrorLines returns the client's error lines (in batch mode it also echoes the failed statement).
func cliErrorLines(stderr string) []string {
	var out []string
	for _, l := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(l, "ERROR ") {
			out = append(out, l)
		}
	}
	return out
}

// driver opens a go-sql-driver/mysql pool through a sidecar, prepared statements on the server
// (interpolateParams=false, the default).
func (e *shardedEnv) driver(sc *Sidecar, db string) *sql.DB {
	e.t.Helper()
	cfg := mysql.NewConfig()
	cfg.Net, cfg.Addr, cfg.User, cfg.Passwd, cfg.DBName = "tcp", sc.Addr(), seedUser, seedPassword, db
	cfg.Timeout, cfg.ReadTimeout, cfg.WriteTimeout = 5*time.Second, 30*time.Second, 30*time.Second
	cfg.InterpolateParams = false
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	db2 := sql.OpenDB(connector)
	e.t.Cleanup(func() { db2.Close() })
	return db2
}

// session is one client session on the sidecar in keyspace, closed at the end of the test: what
// a session keeps (LAST_INSERT_ID(), prepared statements) stays in it.
func (e *shardedEnv) session(ctx context.Context, keyspace string) *sql.Conn {
	e.t.Helper()
	conn, err := e.driver(e.sc, keyspace).Conn(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { conn.Close() })
	return conn
}

// rows runs query directly on the backend database of keyspace/shard, bypassing the sidecar.
func (e *shardedEnv) rows(keyspace, shard, query string, args ...any) [][]string {
	e.t.Helper()
	be := shardBackends[keyspace][shard]
	return e.server(be.server).MustQuery(e.t, be.db, query, args...)
}

// exec runs statements directly on the backend database of keyspace/shard.
func (e *shardedEnv) exec(keyspace, shard, query string, args ...any) {
	e.t.Helper()
	be := shardBackends[keyspace][shard]
	e.server(be.server).MustExec(e.t, be.db, query, args...)
}

// ---------------------------------------------------------------------------------------------------
// Expected placement: computed with the vindex package, the code the sidecar routes with, and checked
// against the keyspace ids the seeds print.

func mustVindex(t *testing.T, typ string) vindex.Hashing {
	t.Helper()
	v, err := vindex.Create(typ, typ, nil)
	if err != nil {
		t.Fatal(err)
	}
	return v.(vindex.Hashing)
}

// hashKsid is the hash vindex's keyspace id of an integer, upper-case hex as hex() prints it.
func hashKsid(t *testing.T, id int64) string {
	t.Helper()
	k, err := mustVindex(t, "hash").Hash(vindex.NewInt64(id))
	if err != nil {
		t.Fatal(err)
	}
	return strings.ToUpper(hex.EncodeToString(k))
}

// md5Ksid is unicode_loose_md5's keyspace id of a string (things_name_lookup's primary vindex).
func md5Ksid(t *testing.T, name string) string {
	t.Helper()
	k, err := mustVindex(t, "unicode_loose_md5").Hash(vindex.NewVarChar(name))
	if err != nil {
		t.Fatal(err)
	}
	return strings.ToUpper(hex.EncodeToString(k))
}

// shardOf names the shard of a two-shard keyspace holding a keyspace id given in hex.
func shardOf(ksidHex string) string {
	if b, _ := hex.DecodeString(ksidHex[:2]); b[0] < 0x80 {
		return "-80"
	}
	return "80-"
}

// thingRow is a row of seed 000's things table.
type thingRow struct {
	id   int64
	name string
}

// checkThings asserts what every backend shard holds, read directly from MariaDB: each things row
// on the shard of hash(id), and for each a things_name_lookup row name → hash(id) on the shard of
// unicode_loose_md5(name), and nothing else.
func (e *shardedEnv) checkThings(want ...thingRow) {
	t := e.t
	t.Helper()
	wantThings := map[string][][]string{"-80": {}, "80-": {}}
	wantLookup := map[string][][]string{"-80": {}, "80-": {}}
	for _, w := range want {
		ksid := hashKsid(t, w.id)
		sh := shardOf(ksid)
		wantThings[sh] = append(wantThings[sh], []string{strconv.FormatInt(w.id, 10), w.name})
		lsh := shardOf(md5Ksid(t, w.name))
		wantLookup[lsh] = append(wantLookup[lsh], []string{w.name, ksid})
	}
	for _, sh := range shardedShards {
		if got := sortedShardRows(e.rows("things", sh, "SELECT id, name FROM things")); !reflect.DeepEqual(got, sortedShardRows(wantThings[sh])) {
			t.Errorf("things on shard %s (read from MariaDB): got %q, want %q", sh, got, sortedShardRows(wantThings[sh]))
		}
		got := sortedShardRows(e.rows("things", sh, "SELECT name, hex(keyspace_id) FROM things_name_lookup"))
		if !reflect.DeepEqual(got, sortedShardRows(wantLookup[sh])) {
			t.Errorf("things_name_lookup on shard %s (read from MariaDB): got %q, want %q", sh, got, sortedShardRows(wantLookup[sh]))
		}
	}
}

// sortedShardRows sorts rows for comparisons where the order is not defined (a scatter's rows come in
// the order the shards answer).
func sortedShardRows(rows [][]string) [][]string {
	out := slices.Clone(rows)
	if out == nil {
		out = [][]string{}
	}
	sort.Slice(out, func(i, j int) bool { return slices.Compare(out[i], out[j]) < 0 })
	return out
}

// wantMySQLError asserts err is a server error with the given code and SQLSTATE.
func wantMySQLError(t *testing.T, err error, number uint16, state string) *mysql.MySQLError {
	t.Helper()
	var me *mysql.MySQLError
	if !errors.As(err, &me) {
		t.Fatalf("want MySQL error %d (%s), got %T %v", number, state, err, err)
	}
	if me.Number != number || string(me.SQLState[:]) != state {
		t.Errorf("want MySQL error %d (%s), got %d (%s): %s", number, state, me.Number, me.SQLState, me.Message)
	}
	return me
}

func shardedContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// ---------------------------------------------------------------------------------------------------
// Sessions in the mariadb client, step by step, compared with what the seeds print.

// cliStep is one line (or a few) typed at the mariadb client and what it printed, as in the seeds:
// `Query OK, 2 rows affected`, tables (data rows in any order: a scatter concatenates the shards'
// rows in the order they answer), and an error line.
type cliStep struct {
	sql    string
	out    string   // the transcript without the echoed statements and the timings
	err    string   // the client's error line starts with this, e.g. "ERROR 1062 (23000)"
	errHas []string // and contains these
	check  func()   // checks on the backends afterwards
}

// runSteps runs each step as its own mariadb session in keyspace db, with the seeds' client options:
// tables (--table), binary columns as hex (--binary-as-hex), and -vvv for the `Query OK` lines.
// A failed step ends the run (later steps build on its state), saying which steps were left out.
func (e *shardedEnv) runSteps(db string, steps []cliStep) {
	t := e.t
	t.Helper()
	// A failure from before (an earlier subtest) must not stop the steps: only their own do.
	failedBefore := t.Failed()
	for i, st := range steps {
		out, errOut, code := e.cli(db, st.sql, "--table", "--binary-as-hex", "-vvv")
		where := fmt.Sprintf("step %d: mariadb %s <<< %q", i+1, db, st.sql)
		if st.err == "" {
			if code != 0 || errOut != "" {
				t.Fatalf("%s: exit %d\nstdout:\n%s\nstderr:\n%s", where, code, out, errOut)
			}
		} else {
			lines := cliErrorLines(errOut)
			if code != 1 || len(lines) != 1 || !strings.HasPrefix(lines[0], st.err) {
				t.Fatalf("%s: want exit 1 and one error %q…, got exit %d\nstdout:\n%s\nstderr:\n%s", where, st.err, code, out, errOut)
			}
			for _, s := range st.errHas {
				if !strings.Contains(lines[0], s) {
					t.Errorf("%s: the error does not say %q: %s", where, s, lines[0])
				}
			}
		}
		if got, want := normTranscript(out), normTranscript(st.out); got != want {
			t.Errorf("%s: the client printed\n%s\nwant\n%s", where, got, want)
		}
		if st.check != nil {
			st.check()
		}
		if t.Failed() && !failedBefore {
			if i+1 < len(steps) {
				t.Fatalf("step %d failed: steps %d to %d not run", i+1, i+2, len(steps))
			}
			t.FailNow()
		}
	}
}

var (
	cliEchoRE   = regexp.MustCompile(`(?s)--------------\n.*?\n--------------\n`)
	cliTimingRE = regexp.MustCompile(` \(\d+\.\d+ sec\)`)
)

// normTranscript removes from the client's -vvv output what varies or only repeats the input (the
// echoed statements, timings, "Bye", blank lines, indentation) and sorts the data rows of each
// table, so a transcript compares with the seeds' sessions.
func normTranscript(s string) string {
	s = cliEchoRE.ReplaceAllString(s, "")
	s = cliTimingRE.ReplaceAllString(s, "")
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" && l != "Bye" {
			lines = append(lines, l)
		}
	}
	for i := 0; i+2 < len(lines); i++ {
		// +---+ / | header | / +---+ / | row |... / +---+
		if !strings.HasPrefix(lines[i], "+") || !strings.HasPrefix(lines[i+2], "+") {
			continue
		}
		j := i + 3
		for j < len(lines) && strings.HasPrefix(lines[j], "|") {
			j++
		}
		sort.Strings(lines[i+3 : j])
		i = j
	}
	return strings.Join(lines, "\n")
}

// ---------------------------------------------------------------------------------------------------
// Direct looks at MariaDB: general log, sequences.

// startGeneralLog turns on server m's general log, into the table mysql.general_log (emptied first).
func startGeneralLog(t *testing.T, m *MariaDB) {
	t.Helper()
	m.MustExec(t, "", "SET GLOBAL log_output = 'TABLE'; SET GLOBAL general_log = 0; TRUNCATE mysql.general_log; SET GLOBAL general_log = 1")
}

// stopGeneralLog turns the general log off.
func stopGeneralLog(t *testing.T, m *MariaDB) {
	t.Helper()
	m.MustExec(t, "", "SET GLOBAL general_log = 0")
}

// loggedStatements returns the statements in server m's general log that contain substr (all if
// ""), oldest first, leaving out our own (log control and reading the log).
func loggedStatements(t *testing.T, m *MariaDB, substr string) []string {
	t.Helper()
	rows := m.MustQuery(t, "", `SELECT argument FROM mysql.general_log
		WHERE command_type = 'Query' AND thread_id <> CONNECTION_ID() AND argument NOT LIKE '%general_log%'
		AND INSTR(argument, ?) > 0`, substr)
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r[0]
	}
	return out
}

// nextID reads a sequence table's next_id on the product keyspace (server A).
func (e *shardedEnv) nextID(seq string) int64 {
	e.t.Helper()
	r := e.rows("product", "0", "SELECT next_id FROM "+seq+" WHERE id = 0")
	n, err := strconv.ParseInt(r[0][0], 10, 64)
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

// reservations counts the blocks of a sequence reserved since the general log of server A was
// started: one `update <seq> set next_id = …` each.
func (e *shardedEnv) reservations(seq string) int {
	e.t.Helper()
	n := 0
	for _, s := range loggedStatements(e.t, e.a, "set next_id") {
		if strings.Contains(s, seq+"` set next_id") || strings.Contains(s, seq+" set next_id") {
			n++
		}
	}
	return n
}

// ---------------------------------------------------------------------------------------------------
// customer keyspace placement.

// corderRow is a row of the corder table.
type corderRow struct {
	id, customer, product int64
	oname                 string
}

// checkCorders asserts what the backends hold: each corder row on the shard of hash(customer_id),
// and corder_keyspace_idx (product keyspace) mapping each corder_id to that keyspace id.
func (e *shardedEnv) checkCorders(want ...corderRow) {
	t := e.t
	t.Helper()
	byShard := map[string][][]string{"-80": {}, "80-": {}}
	lookup := [][]string{}
	for _, w := range want {
		ksid := hashKsid(t, w.customer)
		sh := shardOf(ksid)
		byShard[sh] = append(byShard[sh], []string{i64toa(w.id), i64toa(w.customer), i64toa(w.product), w.oname})
		lookup = append(lookup, []string{i64toa(w.id), ksid})
	}
	for _, sh := range shardedShards {
		got := sortedShardRows(e.rows("customer", sh, "SELECT corder_id, customer_id, product_id, oname FROM corder"))
		if !reflect.DeepEqual(got, sortedShardRows(byShard[sh])) {
			t.Errorf("corder on shard %s (read from MariaDB): got %q, want %q", sh, got, sortedShardRows(byShard[sh]))
		}
	}
	got := sortedShardRows(e.rows("product", "0", "SELECT corder_id, hex(keyspace_id) FROM corder_keyspace_idx"))
	if !reflect.DeepEqual(got, sortedShardRows(lookup)) {
		t.Errorf("corder_keyspace_idx (read from MariaDB): got %q, want %q", got, sortedShardRows(lookup))
	}
}

// checkTable asserts the rows of query on each shard of keyspace, read from MariaDB (any order).
func (e *shardedEnv) checkTable(keyspace, query string, want map[string][][]string) {
	e.t.Helper()
	for _, sh := range shardedShards {
		got := sortedShardRows(e.rows(keyspace, sh, query))
		if w := sortedShardRows(want[sh]); !reflect.DeepEqual(got, w) {
			e.t.Errorf("%s on %s/%s (read from MariaDB): got %q, want %q", query, keyspace, sh, got, w)
		}
	}
}

func i64toa(n int64) string { return strconv.FormatInt(n, 10) }

// seed002Orders is the INSERT of seed 002 and the rows it makes (corder_id from the sequence).
const seed002Orders = "insert into corder(customer_id, product_id, oname) values (1,1,'gift'),(1,2,'gift'),(2,1,'work'),(3,2,'personal'),(4,1,'personal');"

var seed002Corders = []corderRow{{1, 1, 1, "gift"}, {2, 1, 2, "gift"}, {3, 2, 1, "work"}, {4, 3, 2, "personal"}, {5, 4, 1, "personal"}}

// ---------------------------------------------------------------------------------------------------
// The tests.

// Seed 000 in the mariadb client, with the fixed behaviour: ERROR 1062 for a name already taken.
func TestShardedSeed000CLI(t *testing.T) {
	runSeed000(t, newShardedEnv(t, shardedOptions{}))
}

// runSeed000 types seed 000's session at the mariadb client (through e.via when set).
func runSeed000(t *testing.T, e *shardedEnv) {
	t.Helper()
	if hashKsid(t, 1) != ksidHash1 || hashKsid(t, 2) != ksidHash2 || hashKsid(t, 4) != ksidHash4 {
		t.Fatalf("hash(1), hash(2), hash(4) = %s %s %s, the seeds print %s %s %s",
			hashKsid(t, 1), hashKsid(t, 2), hashKsid(t, 4), ksidHash1, ksidHash2, ksidHash4)
	}
	// Where the lookup rows belong, as `sidecar vindex` computes it: foo's on -80 (server A), bar's on
	// 80- (server B), so the lookup insert of the seed's INSERT is split over both servers.
	cmd := exec.Command(e.bin, "vindex", "unicode_loose_md5", "foo", "bar")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("sidecar vindex: %v", err)
	}
	if got, want := string(out), strings.ToLower(md5Ksid(t, "foo")+"\n"+md5Ksid(t, "bar")+"\n"); got != want {
		t.Fatalf("sidecar vindex unicode_loose_md5 foo bar: %q, the vindex package says %q", got, want)
	}
	if shardOf(md5Ksid(t, "foo")) != "-80" || shardOf(md5Ksid(t, "bar")) != "80-" {
		t.Fatalf("lookup rows of foo and bar expected on -80 and 80-: %s %s", md5Ksid(t, "foo"), md5Ksid(t, "bar"))
	}

	const things = `
+----+------+
| id | name |
+----+------+
|  2 | bar  |
|  1 | foo  |
+----+------+
2 rows in set`
	const lookup = `
+------+--------------------------+
| name | keyspace_id              |
+------+--------------------------+
| bar  | 0x06E7EA22CE92708F       |
| foo  | 0x166B40B44ABA4BD6       |
+------+--------------------------+
2 rows in set`
	seeded := func() { e.checkThings(thingRow{1, "foo"}, thingRow{2, "bar"}) }
	e.runSteps("things", []cliStep{
		{sql: `INSERT INTO things (id, name) VALUES (1, "foo"), (2, "bar");`, out: "Query OK, 2 rows affected", check: seeded},
		{sql: "select * from things;", out: things},
		{sql: "select * from things_name_lookup;", out: lookup},
		{sql: `INSERT INTO things (id, name) VALUES (3, "bar");`, err: "ERROR 1062 (23000) at line 1: ", errHas: []string{"bar"}, check: seeded},
		{sql: "select * from things;\nselect * from things_name_lookup;", out: things + lookup},
	})
}

// query runs a query through a sidecar and returns its rows as text (NULL as "NULL").
func (e *shardedEnv) query(ctx context.Context, db *sql.DB, q string, args ...any) [][]string {
	e.t.Helper()
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		e.t.Fatalf("%s %v through the sidecar: %v", q, args, err)
	}
	out, err := ScanStrings(rows)
	if err != nil {
		e.t.Fatalf("%s %v through the sidecar: %v", q, args, err)
	}
	return out
}

// Seed 000 again, as an application using go-sql-driver/mysql with server-side prepared statements
// (interpolateParams=false) sends it.
func TestShardedSeed000Prepared(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	ctx := shardedContext(t)
	db := e.driver(e.sc, "things")

	ins2, err := db.PrepareContext(ctx, "INSERT INTO things (id, name) VALUES (?, ?), (?, ?)")
	if err != nil {
		t.Fatal(err)
	}
	defer ins2.Close()
	res, err := ins2.ExecContext(ctx, 1, "foo", 2, "bar")
	if err != nil {
		t.Fatalf("INSERT (1, foo), (2, bar): %v", err)
	}
	if n, _ := res.RowsAffected(); n != 2 {
		t.Errorf("rows affected: %d, want 2", n)
	}
	e.checkThings(thingRow{1, "foo"}, thingRow{2, "bar"})

	seedRows := func() {
		t.Helper()
		// Scatter (no vindex condition), prepared with an argument.
		if got, want := sortedShardRows(e.query(ctx, db, "SELECT id, name FROM things WHERE id > ?", 0)), [][]string{{"1", "foo"}, {"2", "bar"}}; !reflect.DeepEqual(got, want) {
			t.Errorf("select from things: %q, want %q", got, want)
		}
		// The seed's `select * from things_name_lookup`, in the text protocol.
		want := [][]string{{"bar", ksidHash2}, {"foo", ksidHash1}}
		if got := sortedShardRows(e.query(ctx, db, "select name, hex(keyspace_id) from things_name_lookup")); !reflect.DeepEqual(got, want) {
			t.Errorf("select from things_name_lookup: %q, want %q", got, want)
		}
		// Routed by the lookup table's own vindex (unicode_loose_md5 of the name): bar's row is on 80-.
		if got := e.query(ctx, db, "SELECT keyspace_id FROM things_name_lookup WHERE name = ?", "bar"); !reflect.DeepEqual(got, [][]string{{string(ksidBytes(t, ksidHash2))}}) {
			t.Errorf("keyspace id of bar: %q, want %s", got, ksidHash2)
		}
	}
	seedRows()

	ins1, err := db.PrepareContext(ctx, "INSERT INTO things (id, name) VALUES (?, ?)")
	if err != nil {
		t.Fatal(err)
	}
	defer ins1.Close()
	_, err = ins1.ExecContext(ctx, 3, "bar")
	wantMySQLError(t, err, 1062, "23000")
	e.checkThings(thingRow{1, "foo"}, thingRow{2, "bar"})
	seedRows()

	// The statement stays usable after the error.
	if _, err := ins1.ExecContext(ctx, 3, "baz"); err != nil {
		t.Fatalf("INSERT (3, baz) after the duplicate: %v", err)
	}
	e.checkThings(thingRow{1, "foo"}, thingRow{2, "bar"}, thingRow{3, "baz"})
}

func ksidBytes(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Seed 002: lookup as primary vindex (corder_event by corder_id through corder_keyspace_idx), the
// sequences, and the keyspace_id column filled by the reversible binary vindex.
func TestShardedSeed002CLI(t *testing.T) {
	runSeed002(t, newShardedEnv(t, shardedOptions{}))
}

// runSeed002 types seed 002's session at the mariadb client (through e.via when set).
func runSeed002(t *testing.T, e *shardedEnv) {
	t.Helper()
	startGeneralLog(t, e.a) // to count the sequences' reservations

	events := func(want ...[]string) func() {
		return func() {
			t.Helper()
			byShard := map[string][][]string{"-80": {}, "80-": {}}
			for _, w := range want {
				byShard[shardOf(w[3])] = append(byShard[shardOf(w[3])], w)
			}
			e.checkTable("customer", "SELECT corder_event_id, corder_id, ename, hex(keyspace_id) FROM corder_event", byShard)
		}
	}
	const seedEvents = `
+-----------------+-----------+-----------+------------------+
| corder_event_id | corder_id | ename     | hex(keyspace_id) |
+-----------------+-----------+-----------+------------------+
|               1 |         1 | paid      | 166B40B44ABA4BD6 |
|               2 |         5 | delivered | D2FD8867D50D2DFE |
+-----------------+-----------+-----------+------------------+
2 rows in set`
	paidDelivered := events([]string{"1", "1", "paid", ksidHash1}, []string{"2", "5", "delivered", ksidHash4})
	noReservation := func(seq string, want int) func() {
		return func() {
			t.Helper()
			if n := e.reservations(seq); n != want {
				t.Errorf("%s: %d reservations so far, want %d (one per statement at most)", seq, n, want)
			}
		}
	}
	e.runSteps("customer", []cliStep{
		{
			sql: seed002Orders + "\nselect last_insert_id();",
			out: `Query OK, 5 rows affected
+------------------+
| last_insert_id() |
+------------------+
|                1 |
+------------------+
1 row in set`,
			check: func() {
				e.checkCorders(seed002Corders...)
				// One reservation for the statement's 5 values: next_id 1 → 1+3+3 (cache 3).
				if n := e.reservations("corder_seq"); n != 1 {
					t.Errorf("corder_seq reserved %d times for one INSERT, want 1", n)
				}
				if n := e.nextID("corder_seq"); n != 7 {
					t.Errorf("corder_seq next_id = %d, want 7", n)
				}
			},
		},
		{
			sql: "insert into corder_event(corder_id, ename) values(1, 'paid'), (5, 'delivered');\nselect last_insert_id();",
			out: `Query OK, 2 rows affected
+------------------+
| last_insert_id() |
+------------------+
|                1 |
+------------------+
1 row in set`,
			check: func() {
				paidDelivered()
				noReservation("corder_event_seq", 1)()
				if n := e.nextID("corder_event_seq"); n != 4 {
					t.Errorf("corder_event_seq next_id = %d, want 4", n)
				}
			},
		},
		{sql: "select corder_event_id, corder_id, ename, hex(keyspace_id) from corder_event;", out: seedEvents},
		{
			sql:    "insert into corder_event(corder_id, ename) values(6, 'expect failure');",
			err:    "ERROR 1105 (HY000) at line 1: ",
			errHas: []string{"could not map [INT64(6)] to a keyspace id"},
			check:  paidDelivered,
		},
		{
			sql:    "insert ignore into corder_event(corder_id, ename) values(6, 'expect failure');",
			err:    "ERROR 1105 (HY000) at line 1: ",
			errHas: []string{"could not map [INT64(6)] to a keyspace id"},
			check: func() {
				paidDelivered()
				// Each failed statement may have drawn a value (Vitess draws before mapping), never
				// more than one block per statement.
				if n := e.reservations("corder_event_seq"); n > 2 {
					t.Errorf("corder_event_seq reserved %d times in 3 statements of 1-2 rows (cache 3), want at most 2", n)
				}
			},
		},
		{sql: "select corder_event_id, corder_id, ename, hex(keyspace_id) from corder_event;", out: seedEvents},
		{
			// The sequence goes on after the failures. Like Vitess, the sidecar draws sequence values before
			// mapping the rows, so the two failed statements used 3 and 4; drawn values are never reused.
			sql: "insert into corder_event(corder_id, ename) values(5, 'returned');\nselect last_insert_id();",
			out: `Query OK, 1 row affected
+------------------+
| last_insert_id() |
+------------------+
|                5 |
+------------------+
1 row in set`,
			check: events([]string{"1", "1", "paid", ksidHash1}, []string{"2", "5", "delivered", ksidHash4},
				[]string{"5", "5", "returned", ksidHash4}),
		},
	})
	if n := e.reservations("corder_seq"); n != 1 {
		t.Errorf("corder_seq reserved %d times, want 1", n)
	}
}

// customerIDVariant is the seed's keyspaces with the alternative at the end of seed 002: corder_event
// has customer_id with the reversible hash vindex instead of keyspace_id + binary.
func customerIDVariant(t *testing.T) shardedOptions {
	t.Helper()
	vschema := customerVSchemaWith(t, func(tables map[string]any) {
		tables["corder_event"].(map[string]any)["column_vindexes"] = []any{
			map[string]any{"column": "corder_id", "name": "corder_keyspace_idx"},
			map[string]any{"column": "customer_id", "name": "hash"},
		}
	})
	schema := strings.Replace(readShardedTestdata(t, "customer.sql"),
		"create table corder_event(corder_event_id bigint, corder_id bigint, ename varchar(128), keyspace_id varbinary(10), primary key(corder_id, corder_event_id));",
		"create table corder_event(corder_event_id bigint, corder_id bigint, customer_id bigint, ename varchar(128), primary key(corder_id, corder_event_id));", 1)
	if !strings.Contains(schema, "customer_id bigint, ename") {
		t.Fatal("testdata/customer.sql changed: corder_event not replaced")
	}
	return shardedOptions{customerVSchema: vschema, customerSchema: schema}
}

// The alternative at the end of seed 002: corder_event gets customer_id with the reversible hash
// vindex instead of keyspace_id + binary; the sidecar fills customer_id from the row's keyspace id
// (the one corder_keyspace_idx gives) and refuses a customer_id that does not match it.
func TestShardedSeed002CustomerID(t *testing.T) {
	e := newShardedEnv(t, customerIDVariant(t))

	events := func(want ...[]string) func() { // corder_event_id, corder_id, customer_id, ename
		return func() {
			t.Helper()
			byShard := map[string][][]string{"-80": {}, "80-": {}}
			for _, w := range want {
				id, _ := strconv.ParseInt(w[2], 10, 64)
				sh := shardOf(hashKsid(t, id))
				byShard[sh] = append(byShard[sh], w)
			}
			e.checkTable("customer", "SELECT corder_event_id, corder_id, customer_id, ename FROM corder_event", byShard)
		}
	}
	paidDelivered := events([]string{"1", "1", "1", "paid"}, []string{"2", "5", "4", "delivered"})
	const notMapped = "does not map to keyspace ids"
	e.runSteps("customer", []cliStep{
		{sql: seed002Orders, out: "Query OK, 5 rows affected", check: func() { e.checkCorders(seed002Corders...) }},
		{sql: "insert into corder_event(corder_id, ename) values(1, 'paid'), (5, 'delivered');", out: "Query OK, 2 rows affected", check: paidDelivered},
		{
			sql: "select corder_event_id, corder_id, customer_id, ename from corder_event;",
			out: `
+-----------------+-----------+-------------+-----------+
| corder_event_id | corder_id | customer_id | ename     |
+-----------------+-----------+-------------+-----------+
|               1 |         1 |           1 | paid      |
|               2 |         5 |           4 | delivered |
+-----------------+-----------+-------------+-----------+
2 rows in set`,
		},
		{
			sql:    "insert into corder_event(corder_id, customer_id, ename) values(1, 2, 'wrong customer');",
			err:    "ERROR 1105 (HY000) at line 1: ",
			errHas: []string{notMapped, "customer_id"},
			check:  paidDelivered,
		},
		{
			// One bad row fails the statement: neither row is written.
			sql:    "insert into corder_event(corder_id, customer_id, ename) values(1, NULL, 'shipped'), (5, 1, 'wrong customer');",
			err:    "ERROR 1105 (HY000) at line 1: ",
			errHas: []string{notMapped},
			check:  paidDelivered,
		},
		{
			// The right customer_id, supplied, verifies; NULL is filled.
			sql: "insert into corder_event(corder_id, customer_id, ename) values(1, 1, 'shipped'), (3, NULL, 'paid');",
			out: "Query OK, 2 rows affected",
			check: func() {
				// Events 3 and 4 were drawn by the failed statements (values are drawn before mapping).
				var rows [][]string
				for _, sh := range shardedShards {
					rows = append(rows, e.rows("customer", sh, "SELECT corder_id, customer_id, ename FROM corder_event")...)
				}
				want := [][]string{{"1", "1", "paid"}, {"5", "4", "delivered"}, {"1", "1", "shipped"}, {"3", "2", "paid"}}
				if got := sortedShardRows(rows); !reflect.DeepEqual(got, sortedShardRows(want)) {
					t.Errorf("corder_event on the backends: %q, want %q", got, sortedShardRows(want))
				}
				for _, sh := range shardedShards {
					for _, r := range e.rows("customer", sh, "SELECT customer_id FROM corder_event") {
						id, _ := strconv.ParseInt(r[0], 10, 64)
						if shardOf(hashKsid(t, id)) != sh {
							t.Errorf("event of customer %d on shard %s", id, sh)
						}
					}
				}
			},
		},
	})
}

// A duplicate in the middle of a multi-row INSERT fails the whole statement and leaves nothing behind
// on any backend: no owner rows, no lookup rows. Inside a transaction, what came before the failed
// statement stays and commits.
func TestShardedMultiRowDuplicate(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	e.mustCLI("things", `INSERT INTO things (id, name) VALUES (1, "foo"), (2, "bar");`)
	have := []thingRow{{1, "foo"}, {2, "bar"}}
	e.checkThings(have...)
	// x's lookup row belongs on 80-, y's on -80; owner rows 10 on -80, 11 and 12 on 80-.
	cases := []struct{ name, insert string }{
		{"a lookup value already taken", "INSERT INTO things (id, name) VALUES (10, 'x'), (11, 'bar'), (12, 'y')"},
		{"an owner id already taken", "INSERT INTO things (id, name) VALUES (10, 'x'), (12, 'y'), (1, 'q')"},
		{"one new value twice", "INSERT INTO things (id, name) VALUES (10, 'x'), (11, 'y'), (12, 'x')"},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := *e
			e.t = t
			errLine := e.cliError("things", c.insert+";")
			if !strings.HasPrefix(errLine, "ERROR 1062 (23000) at line 1: ") {
				t.Errorf("outside a transaction: %s", errLine)
			}
			e.checkThings(have...)

			ok := thingRow{int64(30 + i), fmt.Sprintf("ok%d", i)}
			out, errOut, code := e.cli("things", fmt.Sprintf("BEGIN;\nINSERT INTO things (id, name) VALUES (%d, '%s');\n%s;\nCOMMIT;\n", ok.id, ok.name, c.insert), "--force")
			// --force: the client goes on after the error (and then exits 0), so the COMMIT is sent.
			if lines := cliErrorLines(errOut); code != 0 || len(lines) != 1 || !strings.HasPrefix(lines[0], "ERROR 1062 (23000) at line 3: ") {
				t.Errorf("inside a transaction: exit %d\n%s%s", code, out, errOut)
			}
			have = append(have, ok)
			e.checkThings(have...)
		})
	}
}

// A lookup row without its owner row (left by a failed commit, or written by hand) is taken over by
// the next INSERT of that value, as Vitess's consistent lookup does.
func TestShardedOrphanLookupRow(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	e.mustCLI("things", `INSERT INTO things (id, name) VALUES (1, "foo"), (2, "bar");`)
	// orphan(name, ksid) writes a lookup row, by hand, on the shard it belongs to, with no owner row.
	orphan := func(name, ksid string) {
		e.exec("things", shardOf(md5Ksid(t, name)), "INSERT INTO things_name_lookup (name, keyspace_id) VALUES (?, UNHEX(?))", name, ksid)
	}
	// 'orphan' → hash(1): a keyspace id on -80, whose shard has an owner row (foo) but none named
	// 'orphan'. The sidecar checks there, finds no owner and takes the row over.
	orphan("orphan", ksidHash1)
	taken := []thingRow{{1, "foo"}, {2, "bar"}, {20, "orphan"}}
	e.runSteps("things", []cliStep{
		{
			sql: "INSERT INTO things (id, name) VALUES (20, 'orphan');", out: "Query OK, 1 row affected",
			check: func() { e.checkThings(taken...) },
		},
	})
	// 'orphan2' → hash(21): already the keyspace id its new owner row has.
	orphan("orphan2", hashKsid(t, 21))
	taken = append(taken, thingRow{21, "orphan2"})
	e.runSteps("things", []cliStep{
		{
			sql: "INSERT INTO things (id, name) VALUES (21, 'orphan2');", out: "Query OK, 1 row affected",
			check: func() { e.checkThings(taken...) },
		},
		// Taken over means owned: now the value is really taken.
		{
			sql: "INSERT INTO things (id, name) VALUES (22, 'orphan');", err: "ERROR 1062 (23000) at line 1: ",
			check: func() { e.checkThings(taken...) },
		},
		{sql: "SELECT id, name FROM things WHERE name = 'orphan';", out: `
+----+--------+
| id | name   |
+----+--------+
| 20 | orphan |
+----+--------+
1 row in set`},
	})
}

// An autocommit INSERT whose rows all go to one shard writes the lookup rows that live on that
// shard too in its own transaction there, instead of a pre-transaction: they commit together with
// their owner rows, which is what committing them first is for, in one transaction instead of two.
// Lookup rows on another shard, and every lookup row inside a client's transaction, keep their
// pre-transaction. In the shared transaction the duplicate and orphan protocols work as in the
// pre-transaction, and an owner row that fails takes its lookup row with it.
func TestShardedLookupRowInOwnersTransaction(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	var idsA []int64 // owner ids on -80 (server A)
	for id := int64(1); len(idsA) < 6; id++ {
		if shardOf(hashKsid(t, id)) == "-80" {
			idsA = append(idsA, id)
		}
	}
	var namesA []string // names whose lookup rows are on -80
	nameB := ""         // one on 80-
	for c := 'a'; c <= 'z'; c++ {
		n := "n" + string(c)
		if shardOf(md5Ksid(t, n)) == "-80" {
			namesA = append(namesA, n)
		} else if nameB == "" {
			nameB = n
		}
	}
	if len(namesA) < 4 || nameB == "" {
		t.Fatalf("names with lookup rows on -80: %v, on 80-: %q", namesA, nameB)
	}
	lookupStmt := func(name string) []string { return []string{"things_name_lookup", "'" + name + "'"} }
	ownerStmt := func(name string) []string { return []string{"INSERT INTO things ", "'" + name + "'"} }

	// txnOf finds the last statement on server m's general log that contains all of parts, and
	// returns its connection (thread id) and the first word of each statement that connection ran
	// from the BEGIN before it to the COMMIT after it.
	txnOf := func(t *testing.T, m *MariaDB, parts []string) (string, []string) {
		t.Helper()
		rows := m.MustQuery(t, "", `SELECT thread_id, argument FROM mysql.general_log
			WHERE command_type = 'Query' AND thread_id <> CONNECTION_ID() AND argument NOT LIKE '%general_log%'`)
		at := -1
	rows:
		for i, r := range rows {
			for _, p := range parts {
				if !strings.Contains(r[1], p) {
					continue rows
				}
			}
			at = i
		}
		if at < 0 {
			t.Fatalf("server %s: no statement with %q in the general log", m.Addr(), parts)
		}
		word := func(stmt string) string {
			if strings.HasPrefix(stmt, "/*") {
				stmt = stmt[strings.Index(stmt, "*/")+2:]
			}
			return strings.ToUpper(strings.Fields(stmt)[0])
		}
		thread := rows[at][0]
		txn := []string{word(rows[at][1])}
		for i := at - 1; i >= 0 && txn[0] != "BEGIN"; i-- {
			if rows[i][0] == thread {
				txn = append([]string{word(rows[i][1])}, txn...)
			}
		}
		for i := at + 1; i < len(rows) && txn[len(txn)-1] != "COMMIT"; i++ {
			if rows[i][0] == thread {
				txn = append(txn, word(rows[i][1]))
			}
		}
		return thread, txn
	}

	startGeneralLog(t, e.a)
	startGeneralLog(t, e.b)
	e.mustCLI("things", fmt.Sprintf("INSERT INTO things (id, name) VALUES (%d, '%s');", idsA[0], namesA[0]))
	e.mustCLI("things", fmt.Sprintf("INSERT INTO things (id, name) VALUES (%d, '%s');", idsA[1], nameB))
	e.mustCLI("things", fmt.Sprintf("BEGIN; INSERT INTO things (id, name) VALUES (%d, '%s'); COMMIT;", idsA[2], namesA[1]))
	stopGeneralLog(t, e.a)
	stopGeneralLog(t, e.b)
	have := []thingRow{{idsA[0], namesA[0]}, {idsA[1], nameB}, {idsA[2], namesA[1]}}
	e.checkThings(have...)

	t.Run("autocommit, lookup row on the owner's shard: one transaction", func(t *testing.T) {
		lt, ltxn := txnOf(t, e.a, lookupStmt(namesA[0]))
		ot, _ := txnOf(t, e.a, ownerStmt(namesA[0]))
		if lt != ot || !reflect.DeepEqual(ltxn, []string{"BEGIN", "INSERT", "INSERT", "COMMIT"}) {
			t.Errorf("lookup row on connection %s, owner row on %s; the transaction ran %v", lt, ot, ltxn)
		}
	})
	for _, c := range []struct {
		what, name string
		lookupOn   *MariaDB
		want       []string // what each of the two transactions ran
	}{
		{"autocommit, lookup row on another shard: pre-transaction", nameB, e.b, []string{"BEGIN", "INSERT", "COMMIT"}},
		{"client transaction: pre-transaction", namesA[1], e.a, []string{"BEGIN", "SAVEPOINT", "INSERT", "COMMIT"}},
	} {
		t.Run(c.what, func(t *testing.T) {
			lt, ltxn := txnOf(t, c.lookupOn, lookupStmt(c.name))
			ot, otxn := txnOf(t, e.a, ownerStmt(c.name))
			if c.lookupOn == e.a && lt == ot {
				t.Errorf("lookup row and owner row both on connection %s", lt)
			}
			if want := c.want; !reflect.DeepEqual(ltxn, want) || !reflect.DeepEqual(otxn, want) {
				t.Errorf("the lookup row's transaction ran %v, the owner row's %v; want %v for each", ltxn, otxn, want)
			}
		})
	}

	// An orphan lookup row on -80, pointing at an id of -80 without an owner row.
	e.exec("things", "-80", "INSERT INTO things_name_lookup (name, keyspace_id) VALUES (?, UNHEX(?))", namesA[3], hashKsid(t, idsA[4]))
	unchanged := func() {
		t.Helper()
		got := e.rows("things", "-80", "SELECT id, name FROM things ORDER BY id")
		if fmt.Sprint(got) != fmt.Sprintf("[[%d %s] [%d %s] [%d %s]]", idsA[0], namesA[0], idsA[1], nameB, idsA[2], namesA[1]) {
			t.Errorf("things on -80: %q, want %v", got, have)
		}
		got = e.rows("things", "-80", "SELECT name FROM things_name_lookup ORDER BY name")
		if fmt.Sprint(got) != fmt.Sprintf("[[%s] [%s] [%s]]", namesA[0], namesA[1], namesA[3]) {
			t.Errorf("things_name_lookup on -80: %q, want %s, %s and the orphan %s", got, namesA[0], namesA[1], namesA[3])
		}
	}
	startGeneralLog(t, e.a)
	e.runSteps("things", []cliStep{
		// A value another row holds.
		{
			sql:   fmt.Sprintf("INSERT INTO things (id, name) VALUES (%d, '%s');", idsA[3], namesA[0]),
			err:   "ERROR 1062 (23000) at line 1: ",
			check: unchanged,
		},
		// An owner id already taken: the lookup row written before it goes too.
		{
			sql:   fmt.Sprintf("INSERT INTO things (id, name) VALUES (%d, '%s');", idsA[0], namesA[2]),
			err:   "ERROR 1062 (23000) at line 1: ",
			check: unchanged,
		},
		// The orphan is taken over.
		{
			sql: fmt.Sprintf("INSERT INTO things (id, name) VALUES (%d, '%s');", idsA[5], namesA[3]),
			out: "Query OK, 1 row affected",
		},
	})
	stopGeneralLog(t, e.a)
	have = append(have, thingRow{idsA[5], namesA[3]})
	e.checkThings(have...)
	lt, ltxn := txnOf(t, e.a, []string{"update", "things_name_lookup", "'" + namesA[3] + "'"})
	ot, _ := txnOf(t, e.a, ownerStmt(namesA[3]))
	if lt != ot || !reflect.DeepEqual(ltxn, []string{"BEGIN", "INSERT", "SELECT", "SELECT", "UPDATE", "INSERT", "COMMIT"}) {
		t.Errorf("orphan taken over on connection %s, owner row on %s; the transaction ran %v", lt, ot, ltxn)
	}
}

// Values with quotes, backslashes and a NUL byte are stored verbatim in the owner table and in the
// lookup table, through the CLI (SQL literals with escapes) and through go-sql-driver (prepared
// statements, and client-side interpolation, which escapes with backslashes).
func TestShardedQuotedValues(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	ctx := shardedContext(t)
	want := []thingRow{
		{40, `it's`},
		{41, `back\slash`},
		{42, `dq"uote`},
		{43, `mixed '\" end`},
		{44, "nul\x00byte"},
		{45, "all 'of' \"them\" \\ \x00 \n\t end"},
		{46, "interpolated 'q' \\ \x00 \"dq\""},
	}
	e.mustCLI("things", `INSERT INTO things (id, name) VALUES (40, 'it''s'), (41, 'back\\slash'), (42, "dq""uote"), (43, 'mixed \'\\" end');`)
	prepared := e.driver(e.sc, "things")
	if _, err := prepared.ExecContext(ctx, "INSERT INTO things (id, name) VALUES (?, ?), (?, ?)", want[4].id, want[4].name, want[5].id, want[5].name); err != nil {
		t.Fatalf("prepared INSERT: %v", err)
	}
	cfg, _ := mysql.ParseDSN(fmt.Sprintf("%s:%s@tcp(%s)/things?interpolateParams=true", seedUser, seedPassword, e.sc.Addr()))
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	interpolated := sql.OpenDB(connector)
	defer interpolated.Close()
	if _, err := interpolated.ExecContext(ctx, "INSERT INTO things (id, name) VALUES (?, ?)", want[6].id, want[6].name); err != nil {
		t.Fatalf("interpolated INSERT: %v", err)
	}
	e.checkThings(want...)

	// Byte for byte, as hex() shows them on each backend.
	for _, w := range want {
		name := strings.ToUpper(hex.EncodeToString([]byte(w.name)))
		if got := e.rows("things", shardOf(hashKsid(t, w.id)), "SELECT hex(name) FROM things WHERE id = ?", w.id); !reflect.DeepEqual(got, [][]string{{name}}) {
			t.Errorf("things.name of %d: %q, want %s", w.id, got, name)
		}
		got := e.rows("things", shardOf(md5Ksid(t, w.name)), "SELECT hex(keyspace_id) FROM things_name_lookup WHERE hex(name) = ?", name)
		if !reflect.DeepEqual(got, [][]string{{hashKsid(t, w.id)}}) {
			t.Errorf("things_name_lookup row of %q: %q, want %s", w.name, got, hashKsid(t, w.id))
		}
		// And the sidecar finds the row by its name (through the lookup vindex).
		if got := e.query(ctx, prepared, "SELECT id FROM things WHERE name = ?", w.name); !reflect.DeepEqual(got, [][]string{{i64toa(w.id)}}) {
			t.Errorf("SELECT id FROM things WHERE name = %q: %q, want %d", w.name, got, w.id)
		}
	}
	// A duplicate of such a value is a duplicate.
	_, err = prepared.ExecContext(ctx, "INSERT INTO things (id, name) VALUES (?, ?)", 47, want[5].name)
	wantMySQLError(t, err, 1062, "23000")
	e.checkThings(want...)
}

// Two sidecar processes on the same config share corder_seq through its table: concurrent INSERTs
// through both never get the same corder_id, and neither does a restarted sidecar.
func TestShardedSequenceTwoSidecars(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	ctx := shardedContext(t)
	second := e.startSidecar()

	var mu sync.Mutex
	var ids []int64
	insertMany := func(sidecars []*Sidecar, workers, perWorker int) {
		t.Helper()
		var wg sync.WaitGroup
		errs := make(chan error, len(sidecars)*workers)
		for si, sc := range sidecars {
			db := e.driver(sc, "customer")
			db.SetMaxOpenConns(workers)
			for w := range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range perWorker {
						customer := int64(1 + (si*workers*perWorker+w*perWorker+i)%7)
						res, err := db.ExecContext(ctx, "insert into corder(customer_id, product_id, oname) values (?, ?, ?)", customer, 1, fmt.Sprintf("sidecar %d worker %d #%d", si, w, i))
						if err != nil {
							errs <- fmt.Errorf("sidecar %d worker %d insert %d: %w", si, w, i, err)
							return
						}
						id, err := res.LastInsertId()
						if err != nil || id == 0 {
							errs <- fmt.Errorf("sidecar %d worker %d insert %d: insert id %d, %v", si, w, i, id, err)
							return
						}
						mu.Lock()
						ids = append(ids, id)
						mu.Unlock()
					}
				}()
			}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
	}
	// checkIDs: the insert ids are distinct and are exactly the corder_id values on the backends,
	// each lookup row is there, and next_id is past every value handed out.
	checkIDs := func(n int) {
		t.Helper()
		got := slices.Clone(ids)
		slices.Sort(got)
		if len(slices.Compact(slices.Clone(got))) != len(got) || len(got) != n {
			dups := map[int64]int{}
			for _, id := range got {
				dups[id]++
			}
			for id, c := range dups {
				if c == 1 {
					delete(dups, id)
				}
			}
			t.Fatalf("%d insert ids, want %d distinct; handed out more than once: %v", len(got), n, dups)
		}
		var stored []int64
		for _, sh := range shardedShards {
			for _, r := range e.rows("customer", sh, "SELECT corder_id, customer_id FROM corder") {
				id, _ := strconv.ParseInt(r[0], 10, 64)
				customer, _ := strconv.ParseInt(r[1], 10, 64)
				if shardOf(hashKsid(t, customer)) != sh {
					t.Errorf("corder %d of customer %d on shard %s", id, customer, sh)
				}
				stored = append(stored, id)
			}
		}
		slices.Sort(stored)
		if !reflect.DeepEqual(stored, got) {
			t.Errorf("corder_id on the backends (%d rows) differ from the insert ids (%d)", len(stored), len(got))
		}
		if r := e.rows("product", "0", "SELECT count(*), count(DISTINCT corder_id) FROM corder_keyspace_idx"); !reflect.DeepEqual(r, [][]string{{i64toa(int64(n)), i64toa(int64(n))}}) {
			t.Errorf("corder_keyspace_idx: %q rows/distinct, want %d", r, n)
		}
		if next := e.nextID("corder_seq"); next <= got[len(got)-1] {
			t.Errorf("corder_seq next_id %d, but %d was handed out", next, got[len(got)-1])
		}
	}

	insertMany([]*Sidecar{e.sc, second}, 4, 50)
	checkIDs(400)

	// Restart the first sidecar (it loses its reserved block), then both insert again.
	if err := e.sc.Stop(); err != nil {
		t.Fatal(err)
	}
	e.sc = nil
	e.sc = e.startSidecar() // same config, same port
	insertMany([]*Sidecar{e.sc, second}, 2, 10)
	checkIDs(440)
}

// A multi-row INSERT is split by shard: each row lands where hash(id) says, the client gets the total
// count. A SELECT without a vindex condition is scattered and returns every row; one with a vindex
// condition returns its row; what a concatenation of shard results would get wrong is refused.
func TestShardedScatter(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	all := []thingRow{{1, "one"}, {2, "two"}, {3, "three"}, {4, "four"}, {5, "five"}, {10, "ten"}, {11, "eleven"}, {12, "twelve"}}
	perShard := map[string]int{}
	for _, w := range all {
		perShard[shardOf(hashKsid(t, w.id))]++
	}
	if perShard["-80"] == 0 || perShard["80-"] == 0 {
		t.Fatalf("the rows must go to both shards: %v", perShard)
	}
	const allRows = `
+----+--------+
| id | name   |
+----+--------+
|  1 | one    |
|  2 | two    |
|  3 | three  |
|  4 | four   |
|  5 | five   |
| 10 | ten    |
| 11 | eleven |
| 12 | twelve |
+----+--------+
8 rows in set`
	e.runSteps("things", []cliStep{
		{
			sql:   "INSERT INTO things (id, name) VALUES (1, 'one'), (2, 'two'), (3, 'three'), (4, 'four'), (5, 'five'), (10, 'ten'), (11, 'eleven'), (12, 'twelve');",
			out:   "Query OK, 8 rows affected",
			check: func() { e.checkThings(all...) },
		},
		{sql: "select * from things;", out: allRows},
		{sql: "select id, name from things where id = 4;", out: `
+----+------+
| id | name |
+----+------+
|  4 | four |
+----+------+
1 row in set`},
		{sql: "select id, name from things where id = 1;", out: `
+----+------+
| id | name |
+----+------+
|  1 | one  |
+----+------+
1 row in set`},
		{sql: "select id, name from things where id in (1, 11, 99);", out: `
+----+--------+
| id | name   |
+----+--------+
|  1 | one    |
| 11 | eleven |
+----+--------+
2 rows in set`},
		{sql: "select id from things where name = 'twelve';", out: `
+----+
| id |
+----+
| 12 |
+----+
1 row in set`},
		{sql: "select id, name from things where id = 99;", out: "Empty set"},
		// Across shards, ORDER BY, LIMIT and aggregates are merged as one server would answer
		// (integration/merge_test.go compares many more with a single MariaDB); what a merge
		// cannot answer is refused, never answered wrongly.
		{sql: "select id from things order by id desc limit 3;", out: `
+----+
| id |
+----+
| 12 |
| 11 |
| 10 |
+----+
3 rows in set`},
		{sql: "select count(*), min(id), max(name) from things;", out: `
+----------+---------+-----------+
| count(*) | min(id) | max(name) |
+----------+---------+-----------+
|        8 |       1 | two       |
+----------+---------+-----------+
1 row in set`},
		// What the merge cannot combine, the engine evaluates over the gathered rows.
		{sql: "select count(*) + 1 from things;", out: `
+--------------+
| count(*) + 1 |
+--------------+
|            9 |
+--------------+
1 row in set`},
		// On one shard, ORDER BY is the shard's to do.
		{sql: "select id, name from things where id = 4 order by name;", out: `
+----+------+
| id | name |
+----+------+
|  4 | four |
+----+------+
1 row in set`},
	})
}

// Every statement the sidecar sends to a shard starts with a hint naming the keyspace and shard, and
// only them (no row values: a hint must not make every statement distinct); the application's own
// comment follows it. With shard_hints off there is none.
func TestShardedShardHints(t *testing.T) {
	hintRE := regexp.MustCompile(`^/\* keyspace=(\w+);shard=([-0-9a-f]+) \*/ (.*)$`)
	session := `INSERT INTO things (id, name) VALUES (1, "foo"), (2, "bar");
/* app: checkout */ insert into customer.corder(customer_id, product_id, oname) values (1,1,'gift'),(4,1,'personal');
select * from things;`
	t.Run("on", func(t *testing.T) {
		e := newShardedEnv(t, shardedOptions{})
		startGeneralLog(t, e.a)
		startGeneralLog(t, e.b)
		e.mustCLI("things", session, "--comments")
		stopGeneralLog(t, e.a)
		stopGeneralLog(t, e.b)

		for _, server := range []string{"a", "b"} {
			m := e.server(server)
			logged := loggedStatements(t, m, "")
			seen := map[string]bool{}
			for _, stmt := range logged {
				stmt = strings.Join(strings.Fields(stmt), " ")
				sm := hintRE.FindStringSubmatch(stmt)
				if sm == nil {
					t.Errorf("server %s: a statement without the shard hint: %q", strings.ToUpper(server), stmt)
					continue
				}
				if be, ok := shardBackends[sm[1]][sm[2]]; !ok || be.server != server {
					t.Errorf("server %s: hint for %s/%s, which is not on this server: %q", strings.ToUpper(server), sm[1], sm[2], stmt)
				}
				seen[sm[1]+"/"+sm[2]] = true
			}
			t.Logf("server %s: %d statements, hints %v", strings.ToUpper(server), len(logged), seen)
		}
		// The session's statements went where they belong, each with its shard's hint; the
		// application's comment comes after the hint.
		wantLogged := []struct {
			server, hint, rest string // rest: a regexp on what follows the hint
		}{
			{"a", "things;shard=-80", `^insert into .?things_name_lookup.? ?\(.*'foo'`},
			{"b", "things;shard=80-", `^insert into .?things_name_lookup.? ?\(.*'bar'`},
			// Rows all for one shard, as the client wrote them: the client's own text.
			{"a", "things;shard=-80", `^INSERT INTO things \(id, name\) VALUES \(1, "foo"\), \(2, "bar"\)$`},
			{"a", "things;shard=-80", `^select \* from things$`},
			{"b", "things;shard=80-", `^select \* from things$`},
			{"a", "product;shard=0", `^select next_id, cache from .?corder_seq.? where id = 0 for update$`},
			{"a", "product;shard=0", `^update .?corder_seq.? set next_id = 4 where id = 0$`},
			{"a", "product;shard=0", `^insert into .*corder_keyspace_idx.*\(1, _binary X'166b40b44aba4bd6'\), \(2, _binary X'd2fd8867d50d2dfe'\)$`},
			// Rows split across shards and sequence values filled in: rendered per shard.
			{"a", "customer;shard=-80", `^/\* app: checkout \*/ insert into .?corder.? ?\(.*'gift'`},
			{"b", "customer;shard=80-", `^/\* app: checkout \*/ insert into .?corder.? ?\(.*'personal'`},
		}
		for _, w := range wantLogged {
			hint := "/* keyspace=" + w.hint + " */ "
			re := regexp.MustCompile("(?i)" + w.rest)
			found := false
			logged := loggedStatements(t, e.server(w.server), "")
			for _, stmt := range logged {
				stmt = strings.Join(strings.Fields(stmt), " ")
				if strings.HasPrefix(stmt, hint) && re.MatchString(stmt[len(hint):]) {
					found = true
					break
				}
			}
			if !found {
				t.Errorf("server %s: no statement %q + %s; logged:\n%s", strings.ToUpper(w.server), hint, w.rest, strings.Join(logged, "\n"))
			}
		}
	})
	t.Run("off", func(t *testing.T) {
		e := newShardedEnv(t, shardedOptions{noShardHints: true})
		startGeneralLog(t, e.a)
		startGeneralLog(t, e.b)
		e.mustCLI("things", session, "--comments")
		stopGeneralLog(t, e.a)
		stopGeneralLog(t, e.b)
		n := 0
		for _, m := range []*MariaDB{e.a, e.b} {
			for _, stmt := range loggedStatements(t, m, "") {
				n++
				if strings.Contains(stmt, "keyspace=") {
					t.Errorf("shard_hints: false, but %q", stmt)
				}
			}
		}
		if n == 0 {
			t.Error("no statements logged")
		}
	})
}

// With server B down, what lives on server A still works: statements routed to things -80, the
// unsharded product keyspace, and a sequence INSERT whose row goes to customer -80. What needs
// B fails with an error naming the shard.
func TestShardedDeadShard(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	// Names whose lookup rows are on -80 too, so an INSERT of them needs server A only.
	var namesA []string
	for _, n := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n"} {
		if shardOf(md5Ksid(t, n)) == "-80" {
			namesA = append(namesA, n)
		}
	}
	if len(namesA) < 2 {
		t.Fatalf("not enough names with lookup rows on -80: %v", namesA)
	}
	// hash: 1, 2, 3, 5 → -80; 4, 11 → 80-.
	e.mustCLI("things", fmt.Sprintf("INSERT INTO things (id, name) VALUES (1, 'foo'), (4, 'four'), (11, '%s');", namesA[1]))
	e.mustCLI("product", "create table product(sku varbinary(128), description varbinary(128), price bigint, primary key(sku));")
	// The pools have idle connections to B now: the sidecar must notice they are dead.
	if err := e.b.Stop(); err != nil {
		t.Fatal(err)
	}

	// Each step on its own: one failing must not hide how the others fare.
	for _, st := range []cliStep{
		{sql: "select id, name from things where id = 1;", out: `
+----+------+
| id | name |
+----+------+
|  1 | foo  |
+----+------+
1 row in set`},
		{sql: fmt.Sprintf("insert into things (id, name) values (5, '%s');", namesA[0]), out: "Query OK, 1 row affected"},
		{sql: "select id, name from things where id = 4;", err: "ERROR ", errHas: []string{"80-"}},
		{sql: "insert into things (id, name) values (12, 'twelve');", err: "ERROR ", errHas: []string{"80-"}},
		{sql: "select * from things;", err: "ERROR ", errHas: []string{"80-"}},
		{sql: "insert into product.product(sku, description, price) values ('SKU-1001', 'Monitor', 100);", out: "Query OK, 1 row affected"},
		{sql: "insert into customer.customer(email) values ('alice@domain.com');\nselect last_insert_id();", out: `Query OK, 1 row affected
+------------------+
| last_insert_id() |
+------------------+
|                1 |
+------------------+
1 row in set`},
		// Still failing, still naming the shard, after the first failures.
		{sql: "select id, name from things where id = 4;", err: "ERROR ", errHas: []string{"80-"}},
	} {
		t.Run(st.sql, func(t *testing.T) {
			e := *e
			e.t = t
			e.runSteps("things", []cliStep{st})
		})
	}
	// An application sees the same: an error naming the shard, and the other shard working.
	t.Run("go-sql-driver", func(t *testing.T) {
		ctx := shardedContext(t)
		db := e.driver(e.sc, "things")
		for _, q := range []string{"SELECT id, name FROM things WHERE id = ?", "INSERT INTO things (id, name) VALUES (?, 'x')"} {
			_, err := db.ExecContext(ctx, q, 11)
			var me *mysql.MySQLError
			if !errors.As(err, &me) || !strings.Contains(me.Message, "80-") {
				t.Errorf("%s with B down: want an error naming shard 80-, got %v", q, err)
			}
		}
		var name string
		if err := db.QueryRowContext(ctx, "SELECT name FROM things WHERE id = ?", 1).Scan(&name); err != nil || name != "foo" {
			t.Errorf("SELECT name FROM things WHERE id = 1 with B down: %q, %v", name, err)
		}
	})
	if got := e.rows("things", "-80", "SELECT id, name FROM things"); !reflect.DeepEqual(sortedShardRows(got), sortedShardRows([][]string{{"1", "foo"}, {"5", namesA[0]}})) {
		t.Errorf("things on -80: %q", got)
	}
	if got := e.rows("product", "0", "SELECT sku, description, price FROM product"); !reflect.DeepEqual(got, [][]string{{"SKU-1001", "Monitor", "100"}}) {
		t.Errorf("product: %q", got)
	}
	if got := e.rows("customer", "-80", "SELECT customer_id, email FROM customer"); !reflect.DeepEqual(got, [][]string{{"1", "alice@domain.com"}}) {
		t.Errorf("customer on -80: %q", got)
	}
}

// LAST_INSERT_ID() is the first sequence value of the session's last INSERT wherever it appears, as
// in Vitess (which binds it as a variable) and MySQL, not only as a lone `select last_insert_id()`.
func TestShardedLastInsertIDExpression(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	e.runSteps("customer", []cliStep{{
		sql: seed002Orders + "\nselect last_insert_id();\nselect last_insert_id() + 0;\nselect last_insert_id() as id;",
		out: `Query OK, 5 rows affected
+------------------+
| last_insert_id() |
+------------------+
|                1 |
+------------------+
1 row in set
+----------------------+
| last_insert_id() + 0 |
+----------------------+
|                    1 |
+----------------------+
1 row in set
+----+
| id |
+----+
|  1 |
+----+
1 row in set`,
	}})
}

// A prepared statement reads LAST_INSERT_ID() and DATABASE() at each execute, as MySQL does: the
// session's values, written in again when they changed since the last execute. Prepared once, the
// INSERT routes each row by the customer inserted just before it.
func TestShardedPreparedSessionFunctions(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	ctx := boundedContext(t, time.Minute)
	conn := e.session(ctx, "customer")
	sel, err := conn.PrepareContext(ctx, "select last_insert_id() + 0, database()")
	if err != nil {
		t.Fatal(err)
	}
	order, err := conn.PrepareContext(ctx, "insert into corder(customer_id, product_id, oname) values (last_insert_id(), ?, 'gift')")
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		res, err := conn.ExecContext(ctx, "insert into customer(email) values (?)", fmt.Sprintf("c%d@example.com", i))
		if err != nil {
			t.Fatal(err)
		}
		id, _ := res.LastInsertId()
		var got int64
		var db string
		if err := sel.QueryRowContext(ctx).Scan(&got, &db); err != nil || got != id || db != "customer" {
			t.Errorf("after customer %d: last_insert_id() + 0, database() = %d, %q (%v)", id, got, db, err)
		}
		if _, err := order.ExecContext(ctx, i); err != nil {
			t.Fatalf("prepared insert of customer %d's order: %v", id, err)
		}
	}
	if _, err := conn.ExecContext(ctx, "use product"); err != nil {
		t.Fatal(err)
	}
	var got int64
	var db string
	if err := sel.QueryRowContext(ctx).Scan(&got, &db); err != nil || db != "product" {
		t.Errorf("after USE product: database() = %q (%v)", db, err)
	}
	if got := e.query(ctx, e.driver(e.sc, "customer"), "select customer_id, product_id from corder order by corder_id"); !reflect.DeepEqual(got, [][]string{{"1", "1"}, {"2", "2"}, {"3", "3"}}) {
		t.Errorf("orders: %q, want each by the customer inserted before it", got)
	}
}

// TestShardedPipelinedPrepare: MariaDB's connectors (Node's mariadb, by default) send COM_STMT_PREPARE
// and COM_STMT_EXECUTE together, the EXECUTE naming statement 0xFFFFFFFF: the one just prepared. Every
// such execute failed with 1243 (helper-59). After a failed PREPARE the id names none, as in MariaDB,
// and COM_STMT_CLOSE takes it too.
func TestShardedPipelinedPrepare(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	c := pxDial(t, e.sc.Addr(), pxOpts{role: pxAppConn, user: pxAppUser, password: pxAppPassword, db: "customer"})
	defer c.Close()
	const last = 0xffffffff
	pipelined := func(sql string, v int64) (uint32, error, *pxErr) {
		t.Helper()
		c.mustSend(0x16, []byte(sql))
		c.sendExecuteInt(last, v)
		id, err := c.readPrepared()
		c.Sequence = 1 // the execute's reply follows the command sent second
		return id, err, c.readExecuted()
	}
	if _, err, xerr := pipelined("insert into customer(customer_id, email) values (?, 'pipelined')", 4); err != nil || xerr != nil {
		t.Fatalf("pipelined insert: prepare %v, execute %v", err, xerr)
	}
	if got := e.rows("customer", "80-", "SELECT email FROM customer WHERE customer_id = 4"); len(got) != 1 || got[0][0] != "pipelined" {
		t.Errorf("customer 4 on 80-: %v, want the pipelined insert's row", got)
	}
	id, err, xerr := pipelined("select email from customer where customer_id = ?", 4)
	if err != nil || xerr != nil {
		t.Fatalf("pipelined select: prepare %v, execute %v", err, xerr)
	}
	if xerr := c.executeInt(last, 1); xerr != nil {
		t.Errorf("execute of the last statement again: %v", xerr)
	}
	c.mustSend(0x19, binary.LittleEndian.AppendUint32(nil, last)) // COM_STMT_CLOSE: no reply
	if xerr := c.executeInt(id, 4); xerr == nil || xerr.code != 1243 {
		t.Errorf("execute of the statement closed as the last one: %v, want ERROR 1243", xerr)
	}
	_, err, xerr = pipelined("select nosuch from customer where customer_id = ?", 4)
	if pe, ok := err.(*pxErr); !ok || pe.code != 1054 || xerr == nil || xerr.code != 1243 {
		t.Errorf("pipelined after a failing prepare: prepare %v, execute %v; want ERROR 1054, then ERROR 1243", err, xerr)
	}
}

// Two owners given values the lookup table's collation makes equal ('y@x', 'Y@X'), by one INSERT
// or one UPDATE of rows on different shards: ERROR 1062 as from one table, and nothing written. Each
// owner's lookup row used to be taken for the other's orphan and taken over: both owner rows stayed,
// one without its lookup row.
func TestShardedLookupCollidingValues(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	db := e.driver(e.sc, "things")
	for _, sql := range []string{
		"insert into things (id, name) values (1, 'y@x'), (4, 'Y@X')",
		"insert into things (id, name) values (1, 'same'), (4, 'SAME')",
	} {
		_, err := db.Exec(sql)
		expectMySQLError(t, err, 1062, "23000")
		e.checkThings()
	}
	if _, err := db.Exec("insert into things (id, name) values (1, 'a'), (4, 'b')"); err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{
		"update things set name = 'c' where id in (1, 4)",
		"update things set name = 'A' where id = 4", // 'a' is id 1's
	} {
		_, err := db.Exec(sql)
		expectMySQLError(t, err, 1062, "23000")
		e.checkThings(thingRow{1, "a"}, thingRow{4, "b"})
	}
}

// INSERT … ON DUPLICATE KEY UPDATE of a row whose unique lookup value is another row's: MySQL
// updates that row, which may be on another shard; the sidecar refuses it (it used to drop the row
// and answer 0 rows affected, changing nothing). The row's own duplicate is updated as MySQL does,
// and INSERT IGNORE still drops the row.
func TestShardedUpsertLookupTaken(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	db := e.driver(e.sc, "things")
	for _, sql := range []string{
		"alter table things add column n int not null default 0",
		"insert into things (id, name) values (1, 'a')",
	} {
		if _, err := db.Exec(sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	_, err := db.Exec("insert into things (id, name, n) values (4, 'a', 5) on duplicate key update n = n + 1")
	if me := expectMySQLError(t, err, 1235, "42000"); me != nil && !strings.Contains(me.Message, "MySQL would update that row") {
		t.Errorf("upsert of a taken lookup value: %s", me.Message)
	}
	e.checkThings(thingRow{1, "a"})
	for _, c := range []struct {
		sql      string
		affected int64
	}{
		{"insert into things (id, name, n) values (1, 'a', 5) on duplicate key update n = n + 1", 2},
		{"insert ignore into things (id, name) values (4, 'a')", 0},
	} {
		res, err := db.Exec(c.sql)
		if err != nil {
			t.Fatalf("%s: %v", c.sql, err)
		}
		if n, _ := res.RowsAffected(); n != c.affected {
			t.Errorf("%s: %d rows affected, want %d", c.sql, n, c.affected)
		}
	}
	e.checkThings(thingRow{1, "a"})
	if got := e.query(boundedContext(t, time.Minute), db, "select n from things where id = 1"); !reflect.DeepEqual(got, [][]string{{"1"}}) {
		t.Errorf("n of row 1: %q, want 1", got)
	}
	// A value whose lookup row is an orphan (its owner deleted behind the sidecar's back) is free:
	// both forms take the lookup row over and insert the row, as MySQL inserts it.
	for _, c := range []struct {
		id   int64
		name string
		sql  string
	}{
		{4, "orph", "insert into things (id, name, n) values (4, 'orph', 1) on duplicate key update n = n + 1"},
		{5, "orph2", "insert ignore into things (id, name) values (5, 'orph2')"},
	} {
		if _, err := db.Exec("insert into things (id, name) values (9, ?)", c.name); err != nil {
			t.Fatal(err)
		}
		e.exec("things", shardOf(hashKsid(t, 9)), "DELETE FROM things WHERE id = 9")
		res, err := db.Exec(c.sql)
		if err != nil {
			t.Fatalf("%s: %v", c.sql, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			t.Errorf("%s: %d rows affected, want 1", c.sql, n)
		}
	}
	e.checkThings(thingRow{1, "a"}, thingRow{4, "orph"}, thingRow{5, "orph2"})
}

// INSERT IGNORE of rows that repeat a unique lookup value within the statement: MySQL inserts the
// first and ignores the rest. The sidecar used to insert both owner rows with one lookup row (the
// second row's lookup row took the first's over as an orphan's: its owner was not written yet),
// or keep the first owner row with the lookup row pointing at the second.
func TestShardedInsertIgnoreRepeatedLookupValue(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	db := e.driver(e.sc, "things")
	exec := func(sql string, affected int64) {
		t.Helper()
		res, err := db.Exec(sql)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		if n, _ := res.RowsAffected(); n != affected {
			t.Errorf("%s: %d rows affected, want %d", sql, n, affected)
		}
	}
	exec("insert ignore into things (id, name) values (11, 'dupx'), (1, 'dupx')", 1)
	exec("insert ignore into things (id, name) values (12, 'dup4'), (13, 'dup4'), (14, 'other')", 2)
	e.checkThings(thingRow{11, "dupx"}, thingRow{12, "dup4"}, thingRow{14, "other"})
	// Equal only as the lookup table's collation compares them: the statement's first row is kept,
	// with its lookup row, as MariaDB keeps it (helper-30: the byte-wise first was kept).
	exec("insert ignore into things (id, name) values (4, 'dupc'), (1, 'DUPC')", 1)
	exec("insert ignore into things (id, name) values (5, 'b'), (2, 'B')", 1)
	exec("insert ignore into things (id, name) values (6, 'c '), (7, 'c')", 1)
	exec("insert ignore into things (id, name) values (3, 'a'), (3, 'd'), (9, 'A')", 1)
	e.checkThings(thingRow{11, "dupx"}, thingRow{12, "dup4"}, thingRow{14, "other"}, thingRow{4, "dupc"},
		thingRow{5, "b"}, thingRow{6, "c "}, thingRow{3, "a"})
}

// In one transaction, a row inserted and then deleted or renamed: its lookup row, written in the
// transaction's pre session, is deleted there too. Deleted in the post session, the DELETE waited
// for the pre session's lock on it, the transaction's own, until lock_wait_timeout (ERROR 1205).
func TestShardedLookupRowOfOwnTransaction(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	ctx := boundedContext(t, time.Minute)
	conn := e.session(ctx, "things")
	for _, sql := range []string{
		"set session innodb_lock_wait_timeout = 3",
		"insert into things (id, name) values (1, 'kept')",
		"begin",
		"insert into things (id, name) values (20, 'n20'), (4, 'n4')",
		"delete from things where id = 20",
		"update things set name = 'n4b' where id = 4",
		"insert into things (id, name) values (21, 'n21')",
		"update things set name = 'n21b' where id = 21",
		"commit",
		"set autocommit = 0",
		"insert into things (id, name) values (22, 'n22')",
		"delete from things where name = 'n22'",
		"commit",
		// What a ROLLBACK TO or a failed statement undid is forgotten, not what came before.
		"insert into things (id, name) values (30, 'n30')",
		"savepoint s",
		"insert into things (id, name) values (31, 'n31')",
		"rollback to savepoint s",
		"delete from things where id = 30",
		"insert into things (id, name) values (32, 'n32')",
		"insert into things (id, name) values (32, 'dup')",
		"update things set name = 'n32b' where id = 32",
		"commit",
	} {
		_, err := conn.ExecContext(ctx, sql)
		if strings.Contains(sql, "'dup'") {
			expectMySQLError(t, err, 1062, "23000")
		} else if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	e.checkThings(thingRow{1, "kept"}, thingRow{4, "n4b"}, thingRow{21, "n21b"}, thingRow{32, "n32b"})
}

// A lookup value deleted and written again in one transaction for the same row (the row deleted and
// inserted again, its value changed and changed back): its lookup row is written again where it was
// deleted, in the post-transaction, which holds its lock. The pre-transaction waited for that lock,
// one of its own transaction, until lock_wait_timeout (ERROR 1205; Vitess waits too). For another
// row (another keyspace id) no order of commits keeps both owner rows' lookup rows if one fails: it
// is refused at once.
func TestShardedLookupValueWrittenAgain(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	ctx := boundedContext(t, time.Minute)
	runLookupSteps(t, ctx, e.session(ctx, "things"), []lookupStep{
		{"insert into things (id, name) values (1, 'a'), (2, 'b'), (3, 'c')", 0},
		{"begin", 0},
		{"delete from things where id = 1", 0},
		{"insert into things (id, name) values (1, 'a')", 0},
		{"update things set name = 'b2' where id = 2", 0},
		{"update things set name = 'b' where id = 2", 0},
		{"insert into things (id, name) values (4, 'b')", 1062}, // taken again: found in the post-transaction
		{"delete from things where id = 1", 0},
		{"insert into things (id, name) values (1, 'a')", 0}, // twice
		{"commit", 0},
		{"begin", 0},
		{"delete from things where id = 3", 0},
		{"insert into things (id, name) values (5, 'c')", 1105},
		{"rollback", 0},
		// A ROLLBACK TO undid the delete: the value is taken.
		{"begin", 0},
		{"savepoint s", 0},
		{"delete from things where id = 3", 0},
		{"rollback to savepoint s", 0},
		{"insert into things (id, name) values (3, 'c')", 1062},
		{"commit", 0},
	})
	e.checkThings(thingRow{1, "a"}, thingRow{2, "b"}, thingRow{3, "c"})
}

// sql_select_limit caps the client's SELECTs only: the sidecar's own reads (the owner of a taken
// lookup value, the keyspace ids of a DELETE's values, an UPDATE's rows) see every row even at 0.
func TestShardedSelectLimitInternalReads(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	ctx := boundedContext(t, time.Minute)
	conn := e.session(ctx, "things")
	runLookupSteps(t, ctx, conn, []lookupStep{
		{"insert into things (id, name) values (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd')", 0},
		{"set sql_select_limit = 0", 0},
		{"insert into things (id, name) values (5, 'a')", 1062},
		{"begin", 0},
		{"insert into things (id, name) values (6, 'b')", 1062},
		{"delete from things where name in ('c', 'nosuch')", 0},
		{"commit", 0},
		{"update things set name = 'd2' where name = 'd'", 0},
		{"insert into things (id, name) values (7, 'd')", 0},
		{"set sql_select_limit = 1", 0},
		{"insert into things (id, name) values (8, 'd2')", 1062},
		// A SET that reads it keeps it (helper-38).
		{"set sql_select_limit = 0", 0},
		{"set @x = @@sql_select_limit", 0},
		{"update things set name = 'a2' where name = 'a'", 0},
		{"insert into things (id, name) values (9, 'a')", 0},
		{"set sql_select_limit = 1", 0},
	})
	var n int
	if err := conn.QueryRowContext(ctx, "select count(*) from things").Scan(&n); err != nil || n != 5 {
		t.Errorf("count(*) under sql_select_limit = 1: %d, %v; want 5", n, err)
	}
	rows, err := conn.QueryContext(ctx, "select id from things where id > 0")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := ScanStrings(rows); err != nil || len(got) != 1 {
		t.Errorf("a SELECT across shards under sql_select_limit = 1: %v, %v; want one row", got, err)
	}
	e.checkThings(thingRow{1, "a2"}, thingRow{2, "b"}, thingRow{4, "d2"}, thingRow{7, "d"}, thingRow{9, "a"})
}

// lookupStep is a statement of a transaction writing lookup rows and its error number (0: none;
// 1105: the refusal of a value deleted earlier in the transaction).
type lookupStep struct {
	sql   string
	errno uint16
}

// runLookupSteps runs steps on conn, each within 2 s: innodb_lock_wait_timeout is 3 s, so a
// statement that waits for a lock of its own transaction fails.
func runLookupSteps(t *testing.T, ctx context.Context, conn *sql.Conn, steps []lookupStep) {
	t.Helper()
	if _, err := conn.ExecContext(ctx, "set session innodb_lock_wait_timeout = 3"); err != nil {
		t.Fatal(err)
	}
	for _, step := range steps {
		start := time.Now()
		_, err := conn.ExecContext(ctx, step.sql)
		if step.errno != 0 {
			me := expectMySQLError(t, err, step.errno, map[uint16]string{1062: "23000", 1105: "HY000", 1205: "HY000"}[step.errno])
			if me != nil && step.errno == 1105 && !strings.Contains(me.Message, "was deleted earlier in this transaction") {
				t.Errorf("%s: %v, want the refusal of a value deleted earlier", step.sql, err)
			}
		} else if err != nil {
			t.Fatalf("%s: %v", step.sql, err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%s took %v: it waited for a lock of its own transaction", step.sql, d)
		}
	}
}

// A ROLLBACK TO, or a failed statement, undoes a lookup row's change but not the lock the pre- or
// post-transaction took on it: the row stays that connection's, and what comes after is sent
// there, not to the other one to wait (ERROR 1205). And rows an INSERT IGNORE wrote are the
// transaction's too. Sequences from helper-27's random runs.
func TestShardedLookupLocksAfterRollback(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	ctx := boundedContext(t, time.Minute)
	runLookupSteps(t, ctx, e.session(ctx, "things"), []lookupStep{
		{"insert into things (id, name) values (20, 'v20'), (30, 'v30'), (40, 'v40'), (50, 'v50'), (51, 'v51'), (60, 'v60')", 0},
		// Written by pre, deleted, written by another row; that undone, deleted again.
		{"begin", 0},
		{"insert into things (id, name) values (10, 'v10')", 0},
		{"savepoint s", 0},
		{"delete from things where id = 10", 0},
		{"insert into things (id, name) values (11, 'v10')", 0},
		{"rollback to savepoint s", 0},
		{"delete from things where id = 10", 0},
		{"commit", 0},
		// Deleted by post, written again, that undone: written again, or refused for another row.
		{"begin", 0},
		{"delete from things where id = 20", 0},
		{"savepoint s", 0},
		{"insert into things (id, name) values (20, 'v20')", 0},
		{"rollback to savepoint s", 0},
		{"insert into things (id, name) values (20, 'v20')", 0},
		{"delete from things where id = 30", 0},
		{"savepoint t", 0},
		{"insert into things (id, name) values (30, 'v30')", 0},
		{"rollback to savepoint t", 0},
		{"insert into things (id, name) values (31, 'v30')", 1105},
		{"insert into things (id, name) values (30, 'v30')", 0},
		{"commit", 0},
		// Written again, deleted, that undone: the value is taken.
		{"begin", 0},
		{"delete from things where id = 40", 0},
		{"insert into things (id, name) values (40, 'v40')", 0},
		{"savepoint s", 0},
		{"delete from things where id = 40", 0},
		{"rollback to savepoint s", 0},
		{"insert into things (id, name) values (41, 'v40')", 1062},
		{"commit", 0},
		// A refused UPDATE deleted its old value in post first; undone, the value is taken.
		{"begin", 0},
		{"delete from things where id = 50", 0},
		{"update things set name = 'v50' where id = 51", 1105},
		{"insert into things (id, name) values (52, 'v51')", 1062},
		{"insert ignore into things (id, name) values (52, 'v51')", 0},
		{"rollback", 0},
		// INSERT IGNORE writes the lookup row where the transaction holds it.
		{"begin", 0},
		{"delete from things where id = 60", 0},
		{"insert ignore into things (id, name) values (60, 'v60')", 0},
		{"insert into things (id, name) values (61, 'v60')", 1062},
		{"insert ignore into things (id, name) values (61, 'v60')", 0},
		{"insert ignore into things (id, name) values (70, 'v70')", 0},
		{"delete from things where id = 70", 0},
		{"commit", 0},
	})
	e.checkThings(thingRow{20, "v20"}, thingRow{30, "v30"}, thingRow{40, "v40"}, thingRow{50, "v50"}, thingRow{51, "v51"}, thingRow{60, "v60"})
}

// A DELETE of owners whose lookup rows live on different lookup shards deletes them with one
// statement per shard holding only that shard's values. Sent every value, the lookup shard -80
// searched for one that lives on 80- and locked the gap where it would be, in the transaction's
// post-session; the next INSERT of a name in that gap waited there for its own transaction
// (ERROR 1205 after innodb_lock_wait_timeout).
func TestShardedLookupDeleteAcrossShards(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	ctx := boundedContext(t, time.Minute)
	// low on -80; high on 80-; gap on -80, right after high in the index, no -80 name between.
	name := func(prefix, shard string) string {
		for i := 0; ; i++ {
			if n := fmt.Sprintf("%s%d", prefix, i); shardOf(md5Ksid(t, n)) == shard {
				return n
			}
		}
	}
	low, high := name("a", "-80"), name("m", "80-")
	gap := name(high+"x", "-80")
	runLookupSteps(t, ctx, e.session(ctx, "things"), []lookupStep{
		{fmt.Sprintf("insert into things (id, name) values (1, '%s'), (2, '%s')", low, high), 0},
		{"begin", 0},
		{"delete from things where id in (1, 2)", 0},
		{fmt.Sprintf("insert into things (id, name) values (3, '%s')", gap), 0},
		{"commit", 0},
	})
	e.checkThings(thingRow{3, gap})
}

// A statement of a transaction that waits for a lock its own transaction holds on another of the
// sidecar's connections to the shard gets the lock wait timeout at once, instead of after
// innodb_lock_wait_timeout: nobody else can release that lock. The transaction goes on. Here the
// consistent lookup's post-session deleted 'a', whose lookup row the pre-session's insert of 'A'
// meets under the column's case-insensitive collation.
func TestShardedOwnLockWait(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	ctx := boundedContext(t, time.Minute)
	conn := e.session(ctx, "things")
	mustExec(t, ctx, conn, "insert into things (id, name) values (1, 'a')", "set session innodb_lock_wait_timeout = 40",
		"begin", "delete from things where id = 1")
	start := time.Now()
	_, err := conn.ExecContext(ctx, "insert into things (id, name) values (2, 'A')")
	expectMySQLError(t, err, 1205, "HY000")
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("the wait lasted %v", d)
	}
	mustExec(t, ctx, conn, "insert into things (id, name) values (3, 'c')", "commit")
	e.checkThings(thingRow{3, "c"})
}

// An INSERT refused with 1062, or an INSERT IGNORE that drops a row, for a lookup value another row
// holds, locks that value's lookup row in the transaction's pre-session while checking its owner.
// The refused statement is undone, and the INSERT IGNORE undone and run again without the row:
// MariaDB's ROLLBACK TO releases the lock when it leaves the pre-session without changes. A DELETE
// of that owner in the same transaction then deletes the lookup row in the post-session, which
// waited for the lock before (ERROR 1205). A pre-session that wrote earlier in the transaction keeps
// the lock until COMMIT: that DELETE still gets 1205.
func TestShardedDuplicateThenDelete(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	ctx := boundedContext(t, time.Minute)
	runLookupSteps(t, ctx, e.session(ctx, "things"), []lookupStep{
		{"insert into things (id, name) values (1, 'a'), (2, 'b')", 0},
		{"begin", 0},
		{"insert into things (id, name) values (3, 'a')", 1062},
		{"delete from things where id = 1", 0},
		{"commit", 0},
		{"insert into things (id, name) values (3, 'a')", 0},

		{"begin", 0},
		{"insert ignore into things (id, name) values (5, 'b'), (6, 'd')", 0},
		{"delete from things where id = 2", 0},
		{"commit", 0},

		{"begin", 0},
		{"insert into things (id, name) values (7, 'e')", 0},
		{"insert ignore into things (id, name) values (8, 'd')", 0},
		{"delete from things where id = 6", 1205},
		{"commit", 0},
	})
	e.checkThings(thingRow{3, "a"}, thingRow{6, "d"}, thingRow{7, "e"})
}

// INSERT IGNORE in a transaction: a row dropped for a keyspace_id that is not its corder's gets
// MariaDB's OK (only rows whose lookup value is taken run again: nothing else locked lookup rows in
// the pre-transaction); LAST_INSERT_ID() is the sequence value of the first row written, not of a
// dropped one; rows sharing one taken value are all dropped at once, and the DELETE of the value's
// owner then goes through.
func TestShardedInsertIgnoreInTransaction(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	ctx := boundedContext(t, time.Minute)
	conn := e.session(ctx, "customer")
	mustExec(t, ctx, conn, "insert into customer (customer_id, email) values (1, 'a'), (4, 'b')",
		"insert into corder (corder_id, customer_id, product_id, oname) values (10, 1, 1, 'o')", "begin")
	execAffected(t, ctx, conn, []affectedStep{
		{"insert ignore into corder_event (corder_id, ename, keyspace_id) values (10, 'bad', x'0102')", 0},
		{"insert ignore into corder_event (corder_id, ename, keyspace_id) values (10, 'bad', x'0102'), (10, 'good', NULL)", 1},
	})
	var id, want int64
	if err := conn.QueryRowContext(ctx, "select last_insert_id()").Scan(&id); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRowContext(ctx, "select corder_event_id from corder_event where corder_id = 10 and ename = 'good'").Scan(&want); err != nil {
		t.Fatal(err)
	}
	if id != want {
		t.Errorf("last_insert_id() = %d, want %d: the row written", id, want)
	}
	mustExec(t, ctx, conn, "commit")

	runLookupSteps(t, ctx, e.session(ctx, "things"), []lookupStep{
		{"insert into things (id, name) values (1, 'b')", 0},
		{"begin", 0},
		{"insert ignore into things (id, name) values (10, 'b'), (11, 'b'), (12, 'b'), (13, 'n')", 0},
		{"delete from things where id = 1", 0},
		{"commit", 0},
	})
	e.checkThings(thingRow{13, "n"})
}

// nonUniqueLookupEnv is the sharded environment with a non-unique consistent lookup vindex added
// to customer.table on column (its lookup table product.<table>_<column>_idx, keyed by value and
// keyspace id), and a session in keyspace customer.
func nonUniqueLookupEnv(t *testing.T, table, column, colType string) (*shardedEnv, context.Context, *sql.Conn) {
	e := newShardedEnv(t, shardedOptions{metadata: "{keyspace: product}"})
	ctx := boundedContext(t, time.Minute)
	idx := table + "_" + column + "_idx"
	e.a.MustExec(t, "product", fmt.Sprintf("CREATE TABLE %s (%s %s, keyspace_id VARBINARY(128), PRIMARY KEY (%s, keyspace_id))", idx, column, colType, column))
	conn := e.session(ctx, "customer")
	mustExec(t, ctx, conn, fmt.Sprintf("alter vschema on customer.%s add vindex %s(%s) using consistent_lookup with owner=%s, table=product.%s, from=%s, to=keyspace_id",
		table, idx, column, table, idx, column))
	return e, ctx, conn
}

// TestShardedNonUniqueLookupDuplicate: a non-unique consistent lookup's rows are keyed by value and
// keyspace id, and other owners share a value: an INSERT whose lookup row is there already (its
// owner row exists, or an orphan) found every owner's row of the value and failed with 1105
// "unexpected rows" (helper-60). Now a repeated owner gets the owner table's 1062, as on one server,
// and an orphan is used again.
func TestShardedNonUniqueLookupDuplicate(t *testing.T) {
	e, ctx, conn := nonUniqueLookupEnv(t, "customer", "email", "VARBINARY(128)")
	mustExec(t, ctx, conn, "insert into customer (customer_id, email) values (1, 'same'), (4, 'same'), (3, 'same')")
	_, err := conn.ExecContext(ctx, "insert into customer (customer_id, email) values (4, 'same')")
	wantMySQLError(t, err, 1062, "23000")
	// Customer 3's row gone behind the sidecar's back: its lookup row is an orphan, used again.
	e.exec("customer", "-80", "DELETE FROM customer WHERE customer_id = 3")
	mustExec(t, ctx, conn, "insert into customer (customer_id, email) values (3, 'same')")
	if got := e.a.MustQuery(t, "product", "SELECT count(*) FROM customer_email_idx WHERE email = 'same'"); got[0][0] != "3" {
		t.Errorf("lookup rows of 'same': %v, want 3, one per owner", got)
	}
}

// TestShardedNonUniqueLookupShared: orders of one customer share a keyspace id, so those with the same
// name share the row of a non-unique lookup on it. The row goes with the last of them: deleting one
// order, or moving it to another name, left the others unfindable by name (helper-61).
func TestShardedNonUniqueLookupShared(t *testing.T) {
	e, ctx, conn := nonUniqueLookupEnv(t, "corder", "oname", "VARCHAR(128)")
	mustExec(t, ctx, conn,
		"insert into customer (customer_id, email) values (4, 'c4')",
		"insert into corder (customer_id, product_id, oname) values (4, 1, 'gift'), (4, 2, 'gift')",
		"insert into corder (customer_id, product_id, oname) values (4, 3, 'gift')")
	byName := func(step, oname string, want ...string) {
		t.Helper()
		rows, err := conn.QueryContext(ctx, "select product_id from corder where oname = ? order by product_id", oname)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		got, err := ScanStrings(rows)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		var flat []string
		for _, r := range got {
			flat = append(flat, r[0])
		}
		if strings.Join(flat, " ") != strings.Join(want, " ") {
			t.Errorf("%s: orders named %q: %v, want %v", step, oname, flat, want)
		}
	}
	lookupRows := func(step string, want string) {
		t.Helper()
		if got := e.a.MustQuery(t, "product", "SELECT count(*) FROM corder_oname_idx"); got[0][0] != want {
			t.Errorf("%s: %v lookup rows, want %s", step, got, want)
		}
	}
	byName("three gifts", "gift", "1", "2", "3")
	lookupRows("three gifts", "1")
	mustExec(t, ctx, conn, "delete from corder where product_id = 1")
	byName("after deleting one", "gift", "2", "3")
	mustExec(t, ctx, conn, "begin", "update corder set oname = 'card' where product_id = 2", "commit")
	byName("after renaming one", "gift", "3")
	byName("after renaming one", "card", "2")
	lookupRows("after renaming one", "2")
	mustExec(t, ctx, conn, "update corder set oname = 'card' where product_id = 3")
	byName("after renaming the last gift", "gift")
	lookupRows("after renaming the last gift", "1")
	mustExec(t, ctx, conn, "delete from corder where customer_id = 4")
	lookupRows("after deleting them all", "0")
	// An upsert giving a row the inserted row's customer_id would leave its shared lookup row behind
	// with its former keyspace id, to go with the last other owner of it (helper-64): refused here.
	_, err := conn.ExecContext(ctx, "insert into corder (corder_id, customer_id, product_id, oname) values (50, 4, 1, 'x') on duplicate key update customer_id = values(customer_id)")
	wantMySQLError(t, err, 1235, "42000")
}

// TestShardedDeleteThenInsertInTransaction: in a transaction, a DELETE of several orders then an
// INSERT of a new one. One DELETE of the lookup rows (a scan of the small lookup table) locked every
// gap until COMMIT, and the INSERT's lookup row, written first in its own session, waited on the
// transaction's own lock: 1205 at once (helper-60). Each lookup row is deleted by its key now.
func TestShardedDeleteThenInsertInTransaction(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	ctx := boundedContext(t, time.Minute)
	conn := e.session(ctx, "customer")
	var values []string
	for i := 1; i <= 17; i++ {
		values = append(values, fmt.Sprintf("(%d, %d, 'o%d')", []int{1, 4}[i%2], i, i))
	}
	mustExec(t, ctx, conn, "insert into customer (customer_id, email) values (1, 'a'), (4, 'b')",
		"insert into corder (customer_id, product_id, oname) values "+strings.Join(values, ", "),
		"begin", "delete from corder where product_id < 10",
		"insert into corder (customer_id, product_id, oname) values (1, 100, 'new')", "commit")
	if got := e.a.MustQuery(t, "product", "SELECT count(*) FROM corder_keyspace_idx"); got[0][0] != "9" {
		t.Errorf("corder_keyspace_idx holds %v rows, want 9: the 8 orders left and the new one", got)
	}
}

// TestShardedUpsertPrimaryVindexValues: GORM saves a parent's children with
// `ON DUPLICATE KEY UPDATE customer_id = VALUES(customer_id)` (helper-62); corder owns the lookup
// vindex corder_keyspace_idx, and the upsert was refused. A row it would update is on the shard the
// new value routes to, so it is allowed, as in Vitess: new rows get their sequence ids and lookup
// rows. (An upsert finding another row's corder_id is refused by the lookup step, as before.)
func TestShardedUpsertPrimaryVindexValues(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	ctx := boundedContext(t, time.Minute)
	conn := e.session(ctx, "customer")
	db := e.driver(e.sc, "customer")
	mustExec(t, ctx, conn, "insert into customer (customer_id, email) values (1, 'c1'), (4, 'c4')",
		"insert into corder (customer_id, product_id, oname) values (1, 1, 'a'), (4, 2, 'b') on duplicate key update customer_id = values(customer_id)")
	if got := e.query(ctx, db, "select corder_id, customer_id, oname from corder order by corder_id"); !reflect.DeepEqual(got, [][]string{{"1", "1", "a"}, {"2", "4", "b"}}) {
		t.Errorf("orders after the upsert of new rows: %v", got)
	}
	e.checkCorders(corderRow{1, 1, 1, "a"}, corderRow{2, 4, 2, "b"})
	// With RETURNING, as GORM sends it on MariaDB: one row per row sent, inserted or updated, in the
	// statement's order, as MariaDB returns them.
	got := e.query(ctx, db, "insert into corder (customer_id, product_id, oname) values (4, 3, 'c'), (1, 4, 'd') on duplicate key update customer_id = values(customer_id) returning corder_id, oname")
	if !reflect.DeepEqual(got, [][]string{{"3", "c"}, {"4", "d"}}) {
		t.Errorf("upsert of new orders RETURNING: %v", got)
	}
	got = e.query(ctx, db, "insert into customer (customer_id, email) values (4, 'c4x'), (5, 'c5'), (1, 'c1') on duplicate key update email = values(email) returning customer_id, email")
	if !reflect.DeepEqual(got, [][]string{{"4", "c4x"}, {"5", "c5"}, {"1", "c1"}}) {
		t.Errorf("upsert of customers RETURNING: %v, want each row sent, updated or inserted, in order", got)
	}
}

// TestShardedSaveWritesPrimaryValue: GORM's Save writes every column back, the primary vindex column
// with the value it has: `UPDATE corder SET customer_id = 4, … WHERE corder_id = 2`, refused with
// VT12001 on every table sharded by a column other than its key (helper-62). The rows are read first
// and the write runs where the value keeps each row's keyspace id; a value that would move a row is
// refused as before, with nothing written.
func TestShardedSaveWritesPrimaryValue(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	ctx := boundedContext(t, time.Minute)
	conn := e.session(ctx, "customer")
	mustExec(t, ctx, conn, "insert into customer (customer_id, email) values (1, 'c1'), (4, 'c4')",
		"insert into corder (customer_id, product_id, oname) values (1, 1, 'a'), (4, 2, 'b')")
	for _, prepared := range []bool{false, true} {
		exec := func(q string, args ...any) error {
			if !prepared {
				for _, a := range args {
					q = strings.Replace(q, "?", fmt.Sprint(a), 1)
				}
				args = nil
			}
			_, err := conn.ExecContext(ctx, q, args...)
			return err
		}
		if err := exec("update corder set customer_id = ?, product_id = ?, oname = 'saved' where corder_id = ?", 4, 9, 2); err != nil {
			t.Errorf("save of order 2 with its customer_id (prepared %v): %v", prepared, err)
		}
		err := exec("update corder set customer_id = ?, product_id = ?, oname = 'moved' where corder_id = ?", 1, 9, 2)
		wantMySQLError(t, err, 1235, "42000")
		err = exec("update customer set customer_id = ?, email = 'moved' where customer_id = ?", 4, 1)
		wantMySQLError(t, err, 1235, "42000")
		if err := exec("update customer set customer_id = ?, email = 'kept' where customer_id = ?", 1, 1); err != nil {
			t.Errorf("save of customer 1 (prepared %v): %v", prepared, err)
		}
		// Matching no row, as MariaDB: OK (helper-65: the value NULL, mapped to no shard, failed it).
		if err := exec("update customer set customer_id = NULL where email = 'nobody'"); err != nil {
			t.Errorf("an UPDATE to NULL matching no row (prepared %v): %v", prepared, err)
		}
	}
	e.checkCorders(corderRow{1, 1, 1, "a"}, corderRow{2, 4, 9, "saved"})
	if got := e.rows("customer", "-80", "SELECT customer_id, email FROM customer ORDER BY customer_id"); !reflect.DeepEqual(got, [][]string{{"1", "kept"}}) {
		t.Errorf("customers on -80: %v", got)
	}
}

// TestShardedConsistentSnapshot: START TRANSACTION WITH CONSISTENT SNAPSHOT (mariadb-dump
// --single-transaction) takes every shard's snapshot at once: a row another session commits on a
// shard the transaction has not read yet stays unseen, as on one server (helper-63: it was seen,
// each shard's snapshot taken at its first read).
func TestShardedConsistentSnapshot(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	ctx := boundedContext(t, time.Minute)
	conn := e.session(ctx, "customer")
	other := e.session(ctx, "customer")
	mustExec(t, ctx, conn, "insert into customer (customer_id, email) values (1, 'c1'), (4, 'c4')",
		"start transaction with consistent snapshot")
	if got := e.query(ctx, e.driver(e.sc, "customer"), "select count(*) from customer"); got[0][0] != "2" {
		t.Fatalf("customers: %v", got)
	}
	var n int
	if err := conn.QueryRowContext(ctx, "select count(*) from customer where customer_id = 1").Scan(&n); err != nil || n != 1 {
		t.Fatalf("customer 1 in the snapshot: %d %v", n, err)
	}
	mustExec(t, ctx, other, "insert into customer (customer_id, email) values (6, 'c6')") // on 80-, not read yet
	if err := conn.QueryRowContext(ctx, "select count(*) from customer").Scan(&n); err != nil || n != 2 {
		t.Errorf("customers in the snapshot after another session's insert: %d (%v), want 2", n, err)
	}
	mustExec(t, ctx, conn, "commit")
	// A shard that cannot begin (server B down) joins at its first statement, as without: a snapshot
	// of the product keyspace, all on server A, still begins and reads (helper-65).
	if err := e.b.Stop(); err != nil {
		t.Fatal(err)
	}
	products := e.session(ctx, "product")
	mustExec(t, ctx, products, "start transaction with consistent snapshot")
	if err := products.QueryRowContext(ctx, "select count(*) from customer_seq").Scan(&n); err != nil {
		t.Errorf("a read of product in a snapshot begun with server B down: %v", err)
	}
	mustExec(t, ctx, products, "commit")
}

// TestShardedInsertIgnoreSequencedHeld: INSERT IGNORE in a transaction, the primary vindex filled by
// a sequence, one row's unique lookup value held by another owner: that row is skipped and the others
// written, as on one server. The retry without the held row mapped the row's id all the same, which
// the sequence no longer filled: ERROR 1364, nothing written (helper-60).
func TestShardedInsertIgnoreSequencedHeld(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{metadata: "{keyspace: product}"})
	ctx := boundedContext(t, time.Minute)
	e.a.MustExec(t, "product", "CREATE TABLE things_seq (id INT, next_id BIGINT, cache BIGINT, PRIMARY KEY (id)) COMMENT 'vitess_sequence'; INSERT INTO things_seq VALUES (0, 100, 10)")
	conn := e.session(ctx, "things")
	mustExec(t, ctx, conn, "alter vschema add sequence product.things_seq", "alter vschema on things.things add auto_increment id using product.things_seq",
		"insert into things (id, name) values (1, 'held')", "begin")
	execAffected(t, ctx, conn, []affectedStep{{"insert ignore into things (name) values ('held'), ('new')", 1}})
	mustExec(t, ctx, conn, "commit")
	var id int64
	if err := conn.QueryRowContext(ctx, "select id from things where name = 'new'").Scan(&id); err != nil {
		t.Fatal(err)
	}
	e.checkThings(thingRow{1, "held"}, thingRow{id, "new"})
}

// TestShardedExplicitInsertID: the insert id of an INSERT that gives its AUTO_INCREMENT (sequence)
// column a value is that value, as MariaDB reports it, whatever its type: drivers send numbers as
// DOUBLE (Node's mysql2) and big ones as strings, applications quote them. It was 0 but for integer
// literals and arguments (helper-59, helper-60).
func TestShardedExplicitInsertID(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	ctx := boundedContext(t, time.Minute)
	conn := e.session(ctx, "customer")
	for _, c := range []struct {
		sql  string
		args []any
		want int64
	}{
		{"insert into customer (customer_id, email) values (?, 'double')", []any{float64(4001)}, 4001},
		{"insert into customer (customer_id, email) values (?, 'string')", []any{"4002"}, 4002},
		{"insert into customer (customer_id, email) values ('4003', 'quoted')", nil, 4003},
		{"insert into customer (customer_id, email) values ('4004', 'a'), ('4005', 'b')", nil, 4005},
		{"insert into customer (customer_id, email) values (0x21, 'hex')", nil, 33},
		{"insert into customer (customer_id, email) values (?, 'a million')", []any{float64(1234567)}, 1234567},
	} {
		res, err := conn.ExecContext(ctx, c.sql, c.args...)
		if err != nil {
			t.Fatalf("%s %v: %v", c.sql, c.args, err)
		}
		if id, _ := res.LastInsertId(); id != c.want {
			t.Errorf("%s %v: insert id %d, want %d", c.sql, c.args, id, c.want)
		}
	}
}

// INSERT IGNORE skips the rows that collide with a key of the owner table as MariaDB does, and
// those rows claim no lookup value: no lookup row is left without its owner, and a later row of
// the statement with the same value is inserted (it was dropped as the skipped row's duplicate).
func TestShardedInsertIgnoreSkippedOwners(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	ctx := boundedContext(t, time.Minute)
	conn := e.session(ctx, "things")
	mustExec(t, ctx, conn, "insert into things (id, name) values (1, 'a'), (4, 'd')")
	execAffected(t, ctx, conn, []affectedStep{
		{"insert ignore into things (id, name) values (1, 'z')", 0},
		{"insert ignore into things (id, name) values (1, 'b'), (5, 'b')", 1},
		{"insert ignore into things (id, name) values (4, 'c'), (2, 'c'), (3, 'c'), (4, 'y')", 1},
		{"begin", 0},
		{"insert ignore into things (id, name) values (1, 'x'), (6, 'x'), (7, 'w')", 2},
		{"commit", 0},
	})
	e.checkThings(thingRow{1, "a"}, thingRow{4, "d"}, thingRow{5, "b"}, thingRow{2, "c"}, thingRow{6, "x"}, thingRow{7, "w"})
}

// affectedStep is a statement and the rows MariaDB reports it affected.
type affectedStep struct {
	sql      string
	affected int64
}

// execAffected runs steps on conn, each expecting its affected rows.
func execAffected(t *testing.T, ctx context.Context, conn *sql.Conn, steps []affectedStep) {
	t.Helper()
	for _, step := range steps {
		res, err := conn.ExecContext(ctx, step.sql)
		if err != nil {
			t.Fatalf("%s: %v", step.sql, err)
		}
		if n, _ := res.RowsAffected(); n != step.affected {
			t.Errorf("%s: %d rows affected, want %d as MariaDB", step.sql, n, step.affected)
		}
	}
}

// The owner rows' locking read of an UPDATE or DELETE is printed from the parse: a function the
// parser names after TiDB's own (CHAR) or prints without its argument (TRIM(… FROM …) of a
// normalized literal) read other rows than the statement wrote, or failed, so lookup rows were
// left without owners or never moved (helper-29's cases).
func TestShardedLookupFunctionsInWhere(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	ctx := boundedContext(t, time.Minute)
	mustExec(t, ctx, e.session(ctx, "things"),
		"insert into things (id, name) values (1, 'a'), (2, 'c'), (4, 'b'), (5, 'e'), (6, 'B2')",
		"delete from things where id = 1 and name = trim(both 'x' from 'xax')",
		"update things set name = 'q' where id = 2 and name = trim(leading 'x' from 'xc')",
		"delete from things where id in (1, 4) and name = trim(both 'x' from 'xbx')",
		"delete from things where id in (5, 6) and name <> char(66, 50)")
	e.checkThings(thingRow{2, "q"}, thingRow{6, "B2"})
}

// mustExec runs statements on conn, failing the test at the first error.
func mustExec(t *testing.T, ctx context.Context, conn *sql.Conn, statements ...string) {
	t.Helper()
	for _, q := range statements {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// A number compared with a unique lookup's text column matches every value equal to it as a number
// ('123', '0123', '123abc'): the lookup table finds several rows, and the owner rows are read on
// each of their shards (it failed with ERROR 1105 "unexpected multiple results").
func TestShardedLookupNumberForText(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	db := e.driver(e.sc, "things")
	if _, err := db.Exec("insert into things (id, name) values (1, '123'), (4, '0123'), (5, '123abc'), (6, '124')"); err != nil {
		t.Fatal(err)
	}
	ctx := boundedContext(t, time.Minute)
	if got := e.query(ctx, db, "select id from things where name = 123 order by id"); !reflect.DeepEqual(got, [][]string{{"1"}, {"4"}, {"5"}}) {
		t.Errorf("name = 123: %q, want 1, 4, 5 as MariaDB", got)
	}
	if got := e.query(ctx, db, "select id from things where name = '123' order by id"); !reflect.DeepEqual(got, [][]string{{"1"}}) {
		t.Errorf("name = '123': %q, want 1", got)
	}
	// The lookup cache now holds '123': the number is still read as a number.
	if got := e.query(ctx, db, "select id from things where name = 123 order by id"); !reflect.DeepEqual(got, [][]string{{"1"}, {"4"}, {"5"}}) {
		t.Errorf("name = 123 after '123': %q, want 1, 4, 5", got)
	}
	// A number that found one row is not cached: a text equal to it may come later.
	if got := e.query(ctx, db, "select id from things where name = 124"); !reflect.DeepEqual(got, [][]string{{"6"}}) {
		t.Errorf("name = 124: %q, want 6", got)
	}
	if _, err := db.Exec("insert into things (id, name) values (2, '0124'), (3, '124.0'), (7, ' 124')"); err != nil {
		t.Fatal(err)
	}
	if got := e.query(ctx, db, "select id from things where name = 124 order by id"); !reflect.DeepEqual(got, [][]string{{"2"}, {"3"}, {"6"}, {"7"}}) {
		t.Errorf("name = 124 after '0124', '124.0', ' 124': %q, want 2, 3, 6, 7 as MariaDB", got)
	}
}

// An INSERT giving the sequence's column its value reports that value in its OK packet, as MySQL
// reports an explicit AUTO_INCREMENT value (the last row's), and LAST_INSERT_ID() stays the last
// generated one.
func TestShardedSequenceExplicitID(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	ctx := boundedContext(t, time.Minute)
	conn := e.session(ctx, "customer")
	for _, c := range []struct {
		sql          string
		id, sequence int64
	}{
		{"insert into customer(email) values ('a@example.com')", 1, 1},
		{"insert into customer(customer_id, email) values (500, 'b@example.com')", 500, 1},
		{"insert into customer(customer_id, email) values (600, 'c@example.com'), (700, 'd@example.com')", 700, 1},
		// The sequence moved past the ids given, as AUTO_INCREMENT does: the next row gets 701
		// (helper-62: it got 2, and an upsert of new rows could overwrite a row given its id).
		{"insert into customer(email) values ('e@example.com')", 701, 701},
		// In row order: the row before the id given takes the next value, the one after it 1001.
		{"insert into customer(customer_id, email) values (null, 'f@example.com'), (1000, 'g@example.com'), (null, 'h@example.com')", 702, 702},
		{"insert into customer(customer_id, email) values (10, 'i@example.com')", 10, 702},
		{"insert into customer(email) values ('j@example.com')", 1002, 1002},
	} {
		res, err := conn.ExecContext(ctx, c.sql)
		if err != nil {
			t.Fatal(err)
		}
		var seq int64
		if id, _ := res.LastInsertId(); id != c.id || conn.QueryRowContext(ctx, "select last_insert_id()").Scan(&seq) != nil || seq != c.sequence {
			t.Errorf("%s: insert id %d, LAST_INSERT_ID() %d; want %d, %d as MariaDB", c.sql, id, seq, c.id, c.sequence)
		}
	}
	if got := e.query(ctx, e.driver(e.sc, "customer"), "select customer_id from customer where email in ('f@example.com', 'h@example.com') order by customer_id"); !reflect.DeepEqual(got, [][]string{{"702"}, {"1001"}}) {
		t.Errorf("the rows without ids around id 1000: %v, want 702 and 1001", got)
	}
}

// TestShardedInsertReturning: INSERT … RETURNING into seed 002's corder, whose corder_id a
// sequence fills and whose lookup vindex it owns: the rows come back in the statement's order with
// the sequence's values, LAST_INSERT_ID() is the first of them as MariaDB's, and each row's lookup
// row routes it; text, and prepared with the rows' values as arguments.
func TestShardedInsertReturning(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	ctx := boundedContext(t, time.Minute)
	conn := e.session(ctx, "customer")
	read := func(rows *sql.Rows, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		got, err := ScanStrings(rows)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(got)
	}
	// Customers 4 and 6 are on 80-, 1 and 2 on -80.
	got := read(conn.QueryContext(ctx, "insert into corder (customer_id, product_id, oname) values (4, 1, 'd'), (1, 1, 'a'), (6, 2, 'f') returning corder_id, customer_id, upper(oname)"))
	if want := "[[1 4 D] [2 1 A] [3 6 F]]"; got != want {
		t.Errorf("text: returned %s, want %s", got, want)
	}
	st, err := conn.PrepareContext(ctx, "insert into corder (customer_id, product_id, oname) values (?, 1, ?), (?, 1, ?) returning corder_id, oname")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if got, want := read(st.QueryContext(ctx, 2, "b", 4, "e")), "[[4 b] [5 e]]"; got != want {
		t.Errorf("prepared: returned %s, want %s", got, want)
	}
	if got, want := read(conn.QueryContext(ctx, "select last_insert_id()")), "[[4]]"; got != want {
		t.Errorf("LAST_INSERT_ID() %s, want %s", got, want)
	}
	for id, oname := range map[int]string{1: "d", 2: "a", 3: "f", 4: "b", 5: "e"} {
		if got, want := read(conn.QueryContext(ctx, "select oname from corder where corder_id = ?", id)), "[["+oname+"]]"; got != want {
			t.Errorf("corder_id %d by its lookup row: %s, want %s", id, got, want)
		}
	}
}

// TestShardedDeleteReturningNoShard: a DELETE … RETURNING whose lookup value
// no row has goes to no shard, and the client gets what MariaDB answers one
// that deletes nothing: its columns and no rows, text and prepared; an OK
// where MariaDB finds the WHERE impossible (= NULL).
func TestShardedDeleteReturningNoShard(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	ctx := boundedContext(t, time.Minute)
	conn := e.session(ctx, "customer")
	for _, c := range []struct {
		sql     string
		args    []any
		columns []string
	}{
		{"delete from corder_event where corder_id = 999999 returning corder_id, upper(ename) as e -- the end", nil, []string{"corder_id", "e"}},
		{"delete from corder_event where corder_id = ? returning *", []any{999999}, []string{"corder_event_id", "corder_id", "ename", "keyspace_id"}},
		{"delete from corder_event where corder_id = null returning corder_id", nil, nil},
		// A subquery whose WHERE is impossible does not make the DELETE's (helper-48).
		{"delete from corder_event where corder_id = 999999 and (corder_event_id in (select 1 from dual where 0) or ename = 'x') returning corder_id", nil, []string{"corder_id"}},
	} {
		rows, err := conn.QueryContext(ctx, c.sql, c.args...)
		if err != nil {
			t.Errorf("%s: %v", c.sql, err)
			continue
		}
		columns, err := rows.Columns()
		if err != nil {
			t.Fatal(err)
		}
		got, err := ScanStrings(rows)
		if err != nil || len(got) != 0 || !slices.Equal(columns, c.columns) {
			t.Errorf("%s: columns %q, rows %q, %v; want columns %q, no rows", c.sql, columns, got, err, c.columns)
		}
	}
}

// TestShardedNullLookupValue: a NULL value of a lookup vindex without
// ignore_nulls is refused with 1048 (23000), as Vitess maps VT03028, whether
// the column is given as NULL or left out — and nothing is written. So is a
// NULL primary vindex value no sequence fills, as MySQL refuses a NULL key.
func TestShardedNullLookupValue(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	for _, c := range []struct{ sql, want, message string }{
		{"insert into things (id, name) values (50, NULL);", "ERROR 1048 (23000)", "'name' cannot be null"},
		{"insert into things (id) values (51);", "ERROR 1048 (23000)", "'name' cannot be null"},
		// The primary vindex column too, when no sequence fills it; left out, it has no default.
		{"insert into things (id, name) values (NULL, 'n');", "ERROR 1048 (23000)", "'id' cannot be null"},
		{"insert into things (name) values ('n');", "ERROR 1364 (HY000)", "Field 'id' doesn't have a default value"},
	} {
		if got := e.cliError("things", c.sql); !strings.HasPrefix(got, c.want) || !strings.Contains(got, c.message) {
			t.Errorf("%s: %s, want %s … %s", c.sql, got, c.want, c.message)
		}
	}
	e.checkThings()
}

// TestShardedShardAutoIncrement: a shard table whose vindex column is also its AUTO_INCREMENT.
// The OK packet of an INSERT with an explicit id carries that id, as MySQL's does, but
// LAST_INSERT_ID() stays the last generated one (the sequence's), as in MySQL and Vitess.
func TestShardedShardAutoIncrement(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	for _, shard := range []string{"-80", "80-"} {
		e.exec("customer", shard, "ALTER TABLE customer MODIFY customer_id BIGINT NOT NULL AUTO_INCREMENT")
	}
	e.runSteps("customer", []cliStep{{
		sql: "insert into customer(email) values ('a@example.com');\nselect last_insert_id();\n" +
			"insert into customer(customer_id, email) values (500, 'b@example.com');\nselect last_insert_id();",
		out: `Query OK, 1 row affected
+------------------+
| last_insert_id() |
+------------------+
|                1 |
+------------------+
1 row in set
Query OK, 1 row affected
+------------------+
| last_insert_id() |
+------------------+
|                1 |
+------------------+
1 row in set`,
	}})
	db := e.driver(e.sc, "customer")
	res, err := db.Exec("insert into customer(customer_id, email) values (600, 'c@example.com')")
	if err != nil {
		t.Fatal(err)
	}
	if id, err := res.LastInsertId(); err != nil || id != 600 {
		t.Errorf("OK packet of an explicit id: last insert id %d (%v), want 600 as MySQL sends", id, err)
	}
}

// TestShardedEvaluateTooLarge: a statement longer than its shard's max_allowed_packet fails with
// ERROR 1153 naming the limit and the shard, before it is sent (the server would close the
// connection mid-write: the client would only see it lost). The one the engine evaluates over
// gathered rows also says so and what to change. The session and the shard go on working.
func TestShardedEvaluateTooLarge(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{beforeSidecar: func(e *shardedEnv) {
		e.a.MustExec(t, "", "SET GLOBAL max_allowed_packet = 1048576") // customer/-80 evaluates
	}})
	db := e.driver(e.sc, "customer")
	ctx := boundedContext(t, time.Minute)
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// 10000 customers with 120-byte emails: 1.2 MB of literals once gathered.
	for batch := range 20 {
		var b strings.Builder
		b.WriteString("insert into customer(customer_id, email) values ")
		for i := range 500 {
			id := batch*500 + i + 1
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "(%d, '%06d-%s@example.com')", id, id, strings.Repeat("x", 100))
		}
		if _, err := conn.ExecContext(ctx, b.String()); err != nil {
			t.Fatal(err)
		}
	}
	join := "select count(*) from customer c join corder o on o.oname = c.email"
	var n int
	err = conn.QueryRowContext(ctx, join).Scan(&n)
	me := expectMySQLError(t, err, 1153, "08S01")
	for _, part := range []string{"the statement evaluating the gathered rows: a statement of", "max_allowed_packet (1048576) of shard customer/-80", "raise max_allowed_packet on the shard"} {
		if !strings.Contains(me.Message, part) {
			t.Errorf("ERROR 1153 message %q: want it to say %q", me.Message, part)
		}
	}
	// A client's statement longer than its shard accepts gets ERROR 1153 too, not a lost connection.
	big := "select count(*) from customer where customer_id = 1 and email <> '" + strings.Repeat("y", 1100000) + "'"
	err = conn.QueryRowContext(ctx, big).Scan(&n)
	if me := expectMySQLError(t, err, 1153, "08S01"); !strings.Contains(me.Message, "max_allowed_packet (1048576) of shard customer/-80") {
		t.Errorf("ERROR 1153 message %q: want it to name the limit and the shard", me.Message)
	}
	// The same session and both shards still answer, the engine too for fewer rows.
	for range 4 {
		if err := conn.QueryRowContext(ctx, "select count(*) from customer").Scan(&n); err != nil || n != 10000 {
			t.Fatalf("count after the refusal: %d, %v", n, err)
		}
	}
	if err := conn.QueryRowContext(ctx, join+" where c.customer_id < 100").Scan(&n); err != nil || n != 0 {
		t.Errorf("a smaller join after the refusal: %d, %v", n, err)
	}
}

// TestShardedLockTables: LOCK TABLES holds the session's locks on its own backend connections, on
// every shard of a sharded keyspace, as mariadb-dump's default --lock-tables needs: another
// session's writes wait for UNLOCK TABLES, a table not locked is refused as MariaDB refuses it, and
// the locks of a session that ends die with it. Before, a sharded keyspace refused LOCK TABLES, and
// on an unsharded one the lock went back to the pool with its connection: the next session that
// got it wrote through the lock.
func TestShardedLockTables(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	exec := func(conn *sql.Conn, sql string) error {
		_, err := conn.ExecContext(ctx, sql)
		return err
	}
	if err := exec(e.session(ctx, "product"), "create table lt (id bigint not null primary key, name varchar(20))"); err != nil {
		t.Fatal(err)
	}
	if err := exec(e.session(ctx, "things"), "alter table things add column note varchar(10)"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ keyspace, table, other, otherKeyspace string }{
		{"things", "things", "things_name_lookup", "product.lt"},
		{"product", "lt", "customer_seq", "things.things"},
	} {
		insert := func(id int) string {
			return fmt.Sprintf("insert into %s (id, name) values (%d, '%s-%d')", c.table, id, c.table, id)
		}
		off := e.session(ctx, c.keyspace)
		if err := exec(off, "set autocommit = 0"); err != nil {
			t.Fatal(err)
		}
		expectMySQLError(t, exec(off, "lock tables "+c.table+" read"), 1235, "42000")

		adb := e.driver(e.sc, c.keyspace)
		a, err := adb.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		b := e.session(ctx, c.keyspace)
		for _, sql := range []string{"set session lock_wait_timeout = 1", "set session innodb_lock_wait_timeout = 1"} {
			if err := exec(b, sql); err != nil {
				t.Fatal(err)
			}
		}
		if err := exec(a, "lock tables "+c.table+" as x read, "+c.table+" read"); err != nil {
			t.Fatalf("%s: %v", c.keyspace, err)
		}
		if err := exec(a, "select count(*) from "+c.table); err != nil {
			t.Errorf("%s: a read of the locked table: %v", c.keyspace, err)
		}
		expectMySQLError(t, exec(a, "select count(*) from "+c.other), 1100, "HY000")
		// A table of another keyspace runs on other connections, which hold no locks.
		expectMySQLError(t, exec(a, "select count(*) from "+c.otherKeyspace), 1100, "HY000")
		expectMySQLError(t, exec(a, "insert into "+c.otherKeyspace+" (id, name) values (99, 'x')"), 1100, "HY000")
		expectMySQLError(t, exec(a, "select count(*) from "+c.table+" x join "+c.otherKeyspace+" y on y.id = x.id"), 1100, "HY000")
		for _, id := range []int{1, 4} { // one row on each shard of things
			expectMySQLError(t, exec(b, insert(id)), 1205, "HY000")
		}
		if err := exec(a, "unlock tables"); err != nil {
			t.Fatal(err)
		}
		for _, id := range []int{1, 4} {
			if err := exec(b, insert(id)); err != nil {
				t.Errorf("%s: insert after UNLOCK TABLES: %v", c.keyspace, err)
			}
		}
		// Beginning a transaction releases the locks on every shard, as in MariaDB; autocommit
		// off is refused while locks are held.
		if err := exec(a, "lock tables "+c.table+" write"); err != nil {
			t.Fatal(err)
		}
		expectMySQLError(t, exec(a, "set autocommit = 0"), 1235, "42000")
		if c.keyspace == "things" {
			// Its lookup rows would be written on other connections, which would wait for
			// this session's own locks for ever.
			if err := exec(a, "lock tables things write, things_name_lookup write"); err != nil {
				t.Fatal(err)
			}
			expectMySQLError(t, exec(a, insert(9)), 1235, "42000")
			expectMySQLError(t, exec(a, "update things set name = 'renamed' where id = 1"), 1235, "42000")
			expectMySQLError(t, exec(a, "delete from things where id = 1"), 1235, "42000")
			// A write that changes no lookup row runs.
			if err := exec(a, "update things set note = 'locked' where id = 1"); err != nil {
				t.Errorf("an update of a column no lookup vindex reads: %v", err)
			}
			if err := exec(a, "lock tables "+c.table+" write"); err != nil {
				t.Fatal(err)
			}
		}
		if err := exec(a, "begin"); err != nil {
			t.Fatal(err)
		}
		for _, id := range []int{7, 8} {
			if err := exec(b, insert(id)); err != nil {
				t.Errorf("%s: insert after the locking session began a transaction: %v", c.keyspace, err)
			}
		}
		if err := exec(a, "commit"); err != nil {
			t.Fatal(err)
		}
		if err := exec(a, "lock tables "+c.table+" write"); err != nil {
			t.Fatal(err)
		}
		a.Close()
		adb.Close() // the session ends without UNLOCK TABLES
		for _, id := range []int{2, 5} {
			if err := exec(b, insert(id)); err != nil {
				t.Errorf("%s: insert after the locking session ended: %v", c.keyspace, err)
			}
		}
	}
}

// TestShardedLockSystemTable: LOCK TABLES of a backend's own table (no keyspace) locks it on the
// session's connection; every keyspace's table then gets 1100. It used to end the connection (a
// nil keyspace read when the lock was noted).
func TestShardedLockSystemTable(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn := e.session(ctx, "")
	if _, err := conn.ExecContext(ctx, "lock tables mysql.user read"); err != nil {
		t.Fatal(err)
	}
	_, err := conn.ExecContext(ctx, "select count(*) from things.things")
	expectMySQLError(t, err, 1100, "HY000")
	for _, sql := range []string{"unlock tables", "select count(*) from things.things"} {
		if _, err := conn.ExecContext(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
}

// TestShardedProcesslist: SHOW [FULL] PROCESSLIST and information_schema.PROCESSLIST list the
// sidecar's sessions, with the ids CONNECTION_ID() returns and KILL takes, what each runs, its
// keyspace and for how long; not the backends' pooled connections. In text and as a prepared
// statement.
func TestShardedProcesslist(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	a, b := e.session(ctx, "things"), e.session(ctx, "customer")
	var aID, bID string
	if err := a.QueryRowContext(ctx, "select connection_id()").Scan(&aID); err != nil {
		t.Fatal(err)
	}
	if err := b.QueryRowContext(ctx, "select connection_id()").Scan(&bID); err != nil {
		t.Fatal(err)
	}
	processlist := func(query string, prepared bool) map[string][]string {
		t.Helper()
		var rows *sql.Rows
		var err error
		if prepared {
			stmt, perr := b.PrepareContext(ctx, query)
			if perr != nil {
				t.Fatal(perr)
			}
			defer stmt.Close()
			rows, err = stmt.QueryContext(ctx)
		} else {
			rows, err = b.QueryContext(ctx, query)
		}
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		if want := []string{"Id", "User", "Host", "db", "Command", "Time", "State", "Info", "Progress"}; !reflect.DeepEqual(cols, want) {
			t.Fatalf("%s: columns %q, want %q", query, cols, want)
		}
		out := map[string][]string{}
		for rows.Next() {
			vals := make([]sql.NullString, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			row := make([]string, len(vals))
			for i, v := range vals {
				row[i] = v.String
				if !v.Valid {
					row[i] = "NULL"
				}
			}
			out[row[0]] = row
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	if _, err := a.ExecContext(ctx, "insert into things (id, name) values (1, 'one')"); err != nil {
		t.Fatal(err)
	}
	long := "select sleep(5), id from things where id = 1 /* " + strings.Repeat("x", 120) + " */"
	done := make(chan error, 1)
	go func() {
		var s, id int
		done <- a.QueryRowContext(ctx, long).Scan(&s, &id)
	}()
	var running []string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if r := processlist("show processlist", false)[aID]; r != nil && r[4] == "Query" {
			running = r
			break
		}
	}
	if running == nil {
		t.Fatalf("session %s running %q: not listed as running a query", aID, long)
	}
	if running[1] != seedUser || running[3] != "things" || running[7] != long[:100] || running[8] != "0.000" {
		t.Errorf("running session listed as %q", running)
	}
	for _, prepared := range []bool{false, true} {
		full := processlist("SHOW FULL PROCESSLIST", prepared)
		if r := full[aID]; r == nil || r[7] != long {
			t.Errorf("prepared %v: SHOW FULL PROCESSLIST lists the running session as %q, want its whole statement", prepared, r)
		}
		if r := full[bID]; r == nil || r[3] != "customer" || r[4] == "Sleep" || r[7] != "SHOW FULL PROCESSLIST" {
			t.Errorf("prepared %v: the session asking is listed as %q", prepared, r)
		}
		if len(full) != 2 {
			t.Errorf("prepared %v: %d sessions listed, want the 2 clients' (no backend connection): %q", prepared, len(full), full)
		}
	}
	// information_schema.PROCESSLIST lists the same sessions, the asking one as running its query.
	var isRows []string
	rows, err := b.QueryContext(ctx, "select id, db, command, info from information_schema.processlist where user = ? order by id", seedUser)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id, db, command, info sql.NullString
		if err := rows.Scan(&id, &db, &command, &info); err != nil {
			t.Fatal(err)
		}
		isRows = append(isRows, strings.Join([]string{id.String, db.String, command.String, info.String}, "|"))
	}
	rows.Close()
	wantIS := []string{aID + "|things|Query|" + long, bID + "|customer|Execute|select id, db, command, info from information_schema.processlist where user = ? order by id"}
	if !reflect.DeepEqual(isRows, wantIS) {
		t.Errorf("information_schema.processlist: %q, want %q", isRows, wantIS)
	}
	// The listed id is the one KILL takes.
	if _, err := b.ExecContext(ctx, "kill query "+aID); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		t.Fatal("KILL QUERY of the listed id did not interrupt the statement")
	}
	if r := processlist("show processlist", false)[aID]; r == nil || r[4] != "Sleep" || r[6] != "" || r[7] != "NULL" {
		t.Errorf("idle session listed as %q", r)
	}
}

// TestShardedInsertWithoutColumns: an INSERT without a column list into a sharded table names its
// values by position. The sidecar reads the table's columns (the visible ones) from the first shard,
// again after a DDL through it, and again when a row's number of values says the table changed
// behind its back; a row that matches no columns gets MySQL's 1136. Text and prepared.
func TestShardedInsertWithoutColumns(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	ctx := boundedContext(t, time.Minute)
	db := e.driver(e.sc, "customer")
	run := func(sql string, args ...any) error {
		t.Helper()
		_, err := db.ExecContext(ctx, sql, args...)
		return err
	}
	must := func(sql string, args ...any) {
		t.Helper()
		if err := run(sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	must("insert into customer values (1, 'one')")
	must("alter table customer add column note varchar(10), add column hidden int invisible")
	must("insert into customer values (4, 'four', 'n4'), (5, 'five', 'n5')")
	// Behind the sidecar's back: the next row has one more value than the columns it knows.
	for _, sh := range shardedShards {
		e.exec("customer", sh, "ALTER TABLE customer ADD COLUMN n INT")
	}
	must("insert into customer values (?, ?, ?, ?)", 6, "six", "n6", 66)
	must("insert into customer values (7, 'seven', 'n7', 77)")
	expectMySQLError(t, run("insert into customer values (8, 'eight')"), 1136, "21S01")
	expectMySQLError(t, run("insert into customer values (?, ?)", 8, "eight"), 1136, "21S01")
	if me := expectMySQLError(t, run("insert into customer values (9, 'nine', 'n9', 99), (10, 'ten')"), 1136, "21S01"); me != nil && !strings.HasSuffix(me.Message, "at row 2") {
		t.Errorf("a short second row: %s, want MySQL's 'at row 2'", me.Message)
	}
	// The things keyspace's owner table writes its lookup rows as with a column list.
	if _, err := e.driver(e.sc, "things").ExecContext(ctx, "insert into things values (3, 'three')"); err != nil {
		t.Fatal(err)
	}
	e.checkThings(thingRow{3, "three"})
	got := map[string][]string{}
	for _, sh := range shardedShards {
		for _, r := range e.rows("customer", sh, "SELECT customer_id, email, IFNULL(note, '-'), IFNULL(n, 0) FROM customer") {
			got[r[0]] = append([]string{sh}, r[1:]...)
		}
	}
	want := map[string][]string{
		"1": {shardOf(hashKsid(t, 1)), "one", "-", "0"},
		"4": {shardOf(hashKsid(t, 4)), "four", "n4", "0"},
		"5": {shardOf(hashKsid(t, 5)), "five", "n5", "0"},
		"6": {shardOf(hashKsid(t, 6)), "six", "n6", "66"},
		"7": {shardOf(hashKsid(t, 7)), "seven", "n7", "77"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("customer rows (id: shard, email, note, n): %q, want %q", got, want)
	}
}

// TestShardedDumpRestore: a sharded keyspace dumped through the sidecar by mariadb-dump (its default
// table locks, --complete-insert) loads back through the sidecar with the real client: the dump's
// executable-comment SETs, DROP/CREATE TABLE and ALTER … DISABLE KEYS on every shard, LOCK TABLES
// … WRITE, rows routed by their vindex, with column lists or without (the table's columns read from
// its first shard).
func TestShardedDumpRestore(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	db := e.driver(e.sc, "things")
	want := []thingRow{{1, "a"}, {2, "b"}, {3, "c"}, {4, "d"}, {5, "it's \\ x"}, {6, "é"}}
	for _, r := range want {
		if _, err := db.Exec("insert into things (id, name) values (?, ?)", r.id, r.name); err != nil {
			t.Fatal(err)
		}
	}
	dumper, err := ToolPath("mariadb-dump")
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(e.sc.Addr())
	dump := func(opts ...string) string {
		args := append([]string{"--no-defaults", "-h", host, "-P", port, "--protocol=TCP", "-u" + seedUser, "-p" + seedPassword, "--skip-ssl"}, opts...)
		out, err := exec.Command(dumper, append(args, "things")...).Output()
		if err != nil {
			t.Fatalf("mariadb-dump %s: %v", strings.Join(opts, " "), err)
		}
		return string(out)
	}
	complete, bare := dump("--complete-insert"), dump()
	if _, err := db.Exec("delete from things"); err != nil {
		t.Fatal(err)
	}
	e.checkThings()
	if stdout, stderr, code := RunCLI(e.sc.Addr(), seedUser, seedPassword, "things", complete); code != 0 {
		t.Fatalf("loading the dump through the sidecar: exit %d\n%s%s", code, stdout, stderr)
	}
	e.checkThings(want...)
	// The default dump names no columns: the sidecar reads them from the first shard (again after
	// the dump's DROP and CREATE TABLE).
	if _, err := db.Exec("delete from things"); err != nil {
		t.Fatal(err)
	}
	if stdout, stderr, code := RunCLI(e.sc.Addr(), seedUser, seedPassword, "things", bare); code != 0 {
		t.Fatalf("loading a dump without column lists: exit %d\n%s%s", code, stdout, stderr)
	}
	e.checkThings(want...)
}
