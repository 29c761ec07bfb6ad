package main

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"

	"sidecar/integration"
	"sidecar/vindex"
)

// The sidecar account of the clients (the seeds' `mysql --user mysql_user --password`).
const (
	clientUser     = "mysql_user"
	clientPassword = "mysql_password"
)

// stmtTimeout bounds every client statement: a hung sidecar must fail a scenario, not stall the run.
const stmtTimeout = 15 * time.Second

// The two shards of the sharded keyspaces, and which server holds each: A holds -80 (and the
// unsharded product keyspace), B holds 80-. Killing B therefore leaves every -80 statement, and
// every sequence read, with a working server.
const (
	shardA = "-80"
	shardB = "80-"
)

// backendDBs are the backend databases per server, as in integration/sharded_test.go.
var backendDBs = map[string][]string{
	"a": {"things_x80", "customer_x80", "product"},
	"b": {"things_80x", "customer_80x"},
}

// shardDB is the backend database of keyspace (things or customer) on shard.
func shardDB(keyspace, shard string) string {
	if shard == shardA {
		return keyspace + "_x80"
	}
	return keyspace + "_80x"
}

// envOptions vary the environment of a scenario.
type envOptions struct {
	sidecars int // sidecars in front of the servers (each with its own listen port)
	poolSize int // backend.pool_size; 0: 16, as in conf/examples
}

// env is one scenario's environment: servers A and B, the sidecar config and the sidecars. Both
// servers have their datadir in the scenario's directory (not a throwaway one the harness deletes on
// Stop), so a killed server can be started again on the same data.
type env struct {
	name     string
	dir      string
	bin      string
	logsDir  string // where stop copies the logs ("" for nowhere)
	a, b     *integration.MariaDB
	sidecars []*sidecar
	res      *result
}

// newEnv starts the servers, creates the seeds' databases and tables directly on every shard, and
// starts the sidecars. On error the caller's stop (or integration.Cleanup) stops what was started.
func newEnv(ctx context.Context, o *options, r *result, name string, eo envOptions) (*env, error) {
	dir, err := integration.ScratchDir()
	if err != nil {
		return nil, err
	}
	e := &env{name: name, dir: filepath.Join(dir, name), bin: o.bin, res: r}
	if o.logsDir != "" {
		e.logsDir = filepath.Join(o.logsDir, name)
	}
	if err := os.MkdirAll(e.dir, 0o755); err != nil {
		return nil, err
	}
	// Both servers start together (about a second each).
	var wg sync.WaitGroup
	var errA, errB error
	wg.Add(2)
	go func() {
		defer wg.Done()
		e.a, errA = integration.StartMariaDB(integration.Options{DataDir: filepath.Join(e.dir, "a")})
	}()
	go func() {
		defer wg.Done()
		e.b, errB = integration.StartMariaDB(integration.Options{DataDir: filepath.Join(e.dir, "b")})
	}()
	wg.Wait()
	if err := errors.Join(errA, errB); err != nil {
		return e, err
	}
	if err := e.a.CreateDatabases(backendDBs["a"]...); err != nil {
		return e, err
	}
	if err := e.b.CreateDatabases(backendDBs["b"]...); err != nil {
		return e, err
	}
	if err := e.a.Exec("product", integration.ProductSchema); err != nil {
		return e, err
	}
	root, err := integration.ModuleRoot()
	if err != nil {
		return e, err
	}
	// The sharded tables go straight to each shard's database: this program stresses DML, and a
	// DDL problem of the sidecar must not hide every figure.
	for _, ks := range []string{"things", "customer"} {
		ddl, err := os.ReadFile(filepath.Join(root, "integration", "testdata", ks+".sql"))
		if err != nil {
			return e, err
		}
		if err := e.a.Exec(shardDB(ks, shardA), string(ddl)); err != nil {
			return e, err
		}
		if err := e.b.Exec(shardDB(ks, shardB), string(ddl)); err != nil {
			return e, err
		}
	}
	for _, f := range []string{"things.vschema.json", "customer.vschema.json", "product.vschema.json"} {
		b, err := os.ReadFile(filepath.Join(root, "conf", "examples", f))
		if err != nil {
			return e, err
		}
		if err := os.WriteFile(filepath.Join(e.dir, f), b, 0o644); err != nil {
			return e, err
		}
	}
	for i := range max(1, eo.sidecars) {
		s := &sidecar{e: e, name: fmt.Sprintf("sidecar%d", i), addr: fmt.Sprintf("127.0.0.1:%d", integration.FreePort())}
		s.config = filepath.Join(e.dir, s.name+".yaml")
		if err := os.WriteFile(s.config, []byte(e.yaml(s.addr, eo)), 0o644); err != nil {
			return e, err
		}
		e.sidecars = append(e.sidecars, s)
		if ctx.Err() != nil {
			return e, ctx.Err()
		}
		if err := s.start(); err != nil {
			return e, err
		}
	}
	logf("%s: server A (-80, product) on %s pid %d, server B (80-) on %s pid %d; %d sidecar(s) on %s",
		name, e.a.Addr(), e.a.Pid(), e.b.Addr(), e.b.Pid(), len(e.sidecars), e.sidecarAddrs())
	return e, nil
}

func (e *env) sidecarAddrs() string {
	var s []string
	for _, sc := range e.sidecars {
		s = append(s, sc.addr)
	}
	return strings.Join(s, ", ")
}

// yaml is the sidecar config: conf/examples/sidecar.yaml's keyspaces on servers A and B.
func (e *env) yaml(listen string, eo envOptions) string {
	var b strings.Builder
	fmt.Fprintf(&b, "listen: %q\n", listen)
	fmt.Fprintf(&b, "admin_listen: \"\"\n")
	fmt.Fprintf(&b, "users:\n  - {name: %s, password: %s}\n", clientUser, clientPassword)
	pool := eo.poolSize
	if pool == 0 {
		pool = 16
	}
	fmt.Fprintf(&b, "backend: {user: root, password: \"\", pool_size: %d, connect_timeout: 5s, lock_wait_timeout: 5s}\n", pool)
	fmt.Fprintf(&b, "keyspaces:\n")
	for _, ks := range []string{"things", "customer"} {
		fmt.Fprintf(&b, "  %s:\n    vschema_file: %s.vschema.json\n    shards:\n", ks, ks)
		fmt.Fprintf(&b, "      %q: {address: %q, database: %s}\n", shardA, e.a.Addr(), shardDB(ks, shardA))
		fmt.Fprintf(&b, "      %q: {address: %q, database: %s}\n", shardB, e.b.Addr(), shardDB(ks, shardB))
	}
	fmt.Fprintf(&b, "  product:\n    vschema_file: product.vschema.json\n    shards:\n")
	fmt.Fprintf(&b, "      \"0\": {address: %q, database: product}\n", e.a.Addr())
	fmt.Fprintf(&b, "lookup_cache: {size: 100000, ttl: 30s}\n")
	fmt.Fprintf(&b, "log: {level: info, format: json}\n")
	fmt.Fprintf(&b, "shard_hints: true\n")
	return b.String()
}

// server returns the server holding shard.
func (e *env) server(shard string) *integration.MariaDB {
	if shard == shardA {
		return e.a
	}
	return e.b
}

// stop stops the sidecars and the servers, adds the "sidecar crashes" figure and the sidecars'
// warnings and errors to the result, copies the logs and removes the scenario's directory. Safe on
// a partly started environment.
func (e *env) stop() {
	crashes := 0
	var crashNotes []string
	var logs []string
	for _, s := range e.sidecars {
		s.stopNow()
		s.mu.Lock()
		crashes += len(s.crashes)
		crashNotes = append(crashNotes, s.crashes...)
		logs = append(logs, s.logs...)
		s.mu.Unlock()
	}
	if len(e.sidecars) > 0 {
		e.res.check("sidecar crashes (exits the scenario did not cause)", crashes == 0, "0", "%d", crashes)
		for _, n := range crashNotes {
			e.res.note("%s", n)
		}
		if s := summarizeLogs(logs); s != "" {
			e.res.note("sidecar log, warnings and errors (count × first line):\n%s", s)
		}
	}
	var wg sync.WaitGroup
	for _, m := range []*integration.MariaDB{e.a, e.b} {
		if m == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := m.Stop(); err != nil {
				logf("%s: stop mariadbd on %s: %v", e.name, m.Addr(), err)
			}
		}()
	}
	wg.Wait()
	if e.logsDir != "" {
		os.RemoveAll(e.logsDir) // a previous run's
		if err := os.MkdirAll(e.logsDir, 0o755); err == nil {
			for i, p := range logs {
				copyFile(p, filepath.Join(e.logsDir, fmt.Sprintf("sidecar-%02d-%s", i, filepath.Base(p))))
			}
			for _, srv := range []string{"a", "b"} {
				copyFile(filepath.Join(e.dir, srv, "error.log"), filepath.Join(e.logsDir, "mariadb-"+srv+".log"))
			}
		}
	}
	os.RemoveAll(e.dir)
}

func copyFile(src, dst string) {
	if b, err := os.ReadFile(src); err == nil {
		_ = os.WriteFile(dst, b, 0o644)
	}
}

// summarizeLogs groups the sidecar's log lines at level warn or above (and anything that is not a
// JSON log line, such as a panic's trace) by level and message: "count × first line", in order of
// first appearance.
func summarizeLogs(paths []string) string {
	type group struct {
		n     int
		first string
	}
	groups := map[string]*group{}
	var order []string
	add := func(key, line string) {
		g := groups[key]
		if g == nil {
			g = &group{first: line}
			groups[key] = g
			order = append(order, key)
		}
		g.n++
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		inTrace := false // within a panic's or SIGQUIT's goroutine dump: only its first line counts
		for _, line := range strings.Split(string(b), "\n") {
			line = strings.TrimSpace(line)
			if line == "" {
				continue
			}
			var rec struct {
				Level   string `json:"level"`
				Message string `json:"message"`
				Shard   string `json:"shard"`
			}
			if json.Unmarshal([]byte(line), &rec) != nil {
				if !inTrace {
					add("raw:"+line, line)
				}
				inTrace = inTrace || strings.HasPrefix(line, "panic:") || strings.HasPrefix(line, "fatal error:") ||
					strings.HasPrefix(line, "SIGQUIT") || strings.HasPrefix(line, "goroutine ")
				continue
			}
			inTrace = false
			switch rec.Level {
			case "warn", "error", "fatal", "panic":
				add(rec.Level+":"+rec.Message+":"+rec.Shard, line)
			}
		}
	}
	var out []string
	for i, k := range order {
		if i == 12 {
			out = append(out, fmt.Sprintf("… and %d more kinds", len(order)-i))
			break
		}
		g := groups[k]
		out = append(out, fmt.Sprintf("%d × %s", g.n, abbrev(g.first, 400)))
	}
	return strings.Join(out, "\n")
}

// sidecar is one sidecar of the environment across restarts: the same config and listen address,
// one process (an integration.Sidecar) per start.
type sidecar struct {
	e      *env
	name   string
	addr   string
	config string

	mu       sync.Mutex
	cur      *integration.Sidecar
	stopping bool     // the current process is being stopped or killed on purpose
	logs     []string // every start's log file
	crashes  []string // exits nobody asked for: status and the log's tail
}

// start starts a new sidecar process on the config and returns once it listens.
func (s *sidecar) start() error {
	sc, err := integration.StartSidecar(s.e.bin, s.config, s.addr)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.cur, s.stopping = sc, false
	s.logs = append(s.logs, sc.LogPath())
	s.mu.Unlock()
	go s.watch(sc)
	return nil
}

// watch records an exit of sc that was not asked for.
func (s *sidecar) watch(sc *integration.Sidecar) {
	<-sc.Exited()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur == sc && !s.stopping {
		s.crashes = append(s.crashes, fmt.Sprintf("%s (pid %d) exited on its own: %v; log tail:\n%s",
			s.name, sc.Pid(), sc.ExitErr(), tailLines(sc.Logs(), 15)))
	}
}

// proc is the current process, or nil.
func (s *sidecar) proc() *integration.Sidecar {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cur
}

// pid is the current process's pid.
func (s *sidecar) pid() int { return s.proc().Pid() }

// alive reports whether the current process runs.
func (s *sidecar) alive() bool {
	sc := s.proc()
	if sc == nil {
		return false
	}
	select {
	case <-sc.Exited():
		return false
	default:
		return true
	}
}

// kill SIGKILLs the current process and waits for it to be gone.
func (s *sidecar) kill() {
	s.mu.Lock()
	sc := s.cur
	s.stopping = true
	s.mu.Unlock()
	if sc == nil {
		return
	}
	_ = sc.Signal(syscall.SIGKILL)
	<-sc.Exited()
	_ = sc.Stop() // forgets it in the harness; the process is gone already
}

// terminate stops the current process with SIGTERM (the sidecar stops accepting, finishes in-flight
// statements and exits) and returns how long it took and its exit status. A sidecar still running
// 10 s after SIGTERM gets SIGQUIT, which makes the Go runtime write every goroutine's stack to the
// log, then SIGKILL.
func (s *sidecar) terminate() (time.Duration, error) {
	s.mu.Lock()
	sc := s.cur
	s.stopping = true
	s.mu.Unlock()
	if sc == nil {
		return 0, nil
	}
	t0 := time.Now()
	_ = sc.Signal(syscall.SIGTERM)
	select {
	case <-sc.Exited():
		d := time.Since(t0)
		_ = sc.Stop() // forgets it in the harness
		return d, sc.ExitErr()
	case <-time.After(10 * time.Second):
	}
	_ = sc.Signal(syscall.SIGQUIT)
	select {
	case <-sc.Exited():
	case <-time.After(3 * time.Second):
	}
	_ = sc.Stop() // SIGKILL if even that did not end it
	return time.Since(t0), fmt.Errorf("pid %d still running 10 s after SIGTERM; its goroutines (SIGQUIT) are in %s",
		sc.Pid(), filepath.Base(sc.LogPath()))
}

// stopNow stops the current process at the end of a scenario. An exit nobody asked for that happened
// before is already recorded by watch.
func (s *sidecar) stopNow() {
	s.mu.Lock()
	sc := s.cur
	if sc != nil {
		select {
		case <-sc.Exited():
		default:
			s.stopping = true
		}
	}
	s.mu.Unlock()
	if sc != nil {
		if err := sc.Stop(); err != nil {
			logf("%s: stop %s: %v", s.e.name, s.name, err)
		}
	}
}

// openClient is a go-sql-driver pool through a sidecar (or any server) at addr, database db, with at
// most conns connections. text: arguments are interpolated into text statements
// (interpolateParams); otherwise statements with arguments are prepared on the server.
func openClient(addr, db string, text bool, conns int) *sql.DB {
	cfg := mysql.NewConfig()
	cfg.Net, cfg.Addr, cfg.User, cfg.Passwd, cfg.DBName = "tcp", addr, clientUser, clientPassword, db
	cfg.Timeout, cfg.ReadTimeout, cfg.WriteTimeout = 5*time.Second, 60*time.Second, 60*time.Second
	cfg.InterpolateParams = text
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		panic(err) // the config is ours
	}
	h := sql.OpenDB(connector)
	h.SetMaxOpenConns(conns)
	h.SetMaxIdleConns(conns)
	return h
}

// errInfo describes a client error: the MySQL error number (0 if the error is not from the server,
// e.g. a broken connection) and the message.
func errInfo(err error) (uint16, string) {
	if err == nil {
		return 0, ""
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number, me.Message
	}
	return 0, err.Error()
}

// errSamples keeps the first few distinct error messages of a kind.
type errSamples struct {
	n     int
	seen  map[string]int
	order []string
}

func (s *errSamples) add(err string) {
	if s.seen == nil {
		s.seen = map[string]int{}
	}
	s.n++
	if _, ok := s.seen[err]; !ok {
		s.order = append(s.order, err)
	}
	s.seen[err]++
}

// String is "count × message" per message, at most 5 of them.
func (s *errSamples) String() string {
	var out []string
	for i, m := range s.order {
		if i == 5 {
			out = append(out, fmt.Sprintf("… and %d more distinct messages", len(s.order)-i))
			break
		}
		out = append(out, fmt.Sprintf("%d × %s", s.seen[m], abbrev(m, 300)))
	}
	return strings.Join(out, "\n")
}

// errString renders a client error with its number, as the mariadb client would.
func errString(err error) string {
	if n, msg := errInfo(err); n != 0 {
		return fmt.Sprintf("ERROR %d: %s", n, msg)
	}
	return err.Error()
}

// ---------------------------------------------------------------------------------------------------
// Placement: the keyspace ids the sidecar computes, with the vindex package it routes with.

var (
	hashVindex = mustHashing("hash")
	md5Vindex  = mustHashing("unicode_loose_md5")
)

func mustHashing(typ string) vindex.Hashing {
	v, err := vindex.Create(typ, typ, nil)
	if err != nil {
		panic(err)
	}
	return v.(vindex.Hashing)
}

// hashKsid is the hash vindex's keyspace id of id (customer_id, things.id).
func hashKsid(id int64) []byte {
	k, err := hashVindex.Hash(vindex.NewInt64(id))
	if err != nil {
		panic(err)
	}
	return k
}

// md5Ksid is unicode_loose_md5's keyspace id of s (the shard of things_name_lookup rows).
func md5Ksid(s string) []byte {
	k, err := md5Vindex.Hash(vindex.NewVarChar(s))
	if err != nil {
		panic(err)
	}
	return k
}

// shardOf names the shard holding keyspace id k.
func shardOf(k []byte) string {
	if k[0] < 0x80 {
		return shardA
	}
	return shardB
}

// hexUpper is k as MariaDB's hex() prints it.
func hexUpper(k []byte) string { return strings.ToUpper(hex.EncodeToString(k)) }

// ---------------------------------------------------------------------------------------------------
// Small helpers.

func abbrev(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = s[:n-3] + "..."
	}
	return s
}

func tailLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// median of durations (0 for none).
func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// insertRows runs prefix + rows lo..hi-1 (rendered by row) on db, batch rows per statement.
func insertRows(ctx context.Context, db *sql.DB, prefix string, lo, hi, batch int, row func(i int) string) error {
	var b strings.Builder
	for start := lo; start < hi; start += batch {
		b.Reset()
		b.WriteString(prefix)
		for i := start; i < min(start+batch, hi); i++ {
			if i > start {
				b.WriteString(", ")
			}
			b.WriteString(row(i))
		}
		if _, err := db.ExecContext(ctx, b.String()); err != nil {
			return fmt.Errorf("%s: %w", abbrev(b.String(), 100), err)
		}
	}
	return nil
}
