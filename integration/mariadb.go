package integration

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Options configure StartMariaDB. The zero value is what tests want: a fresh datadir in os.TempDir()
// on a random free port, removed by Stop.
type Options struct {
	// Port to listen on (127.0.0.1 only). 0 picks a free port with FreePort and moves to another one
	// if a concurrent run takes it before mariadbd binds.
	Port int
	// FallbackPort: when Port is set but taken, use a free port instead of failing. For the dev
	// environment, which prefers a well-known port but must still start when it is busy.
	FallbackPort bool
	// DataDir to use instead of a fresh temporary one. It is initialised when empty, reused when it
	// already holds a MariaDB datadir, and never removed. A mariadbd still running on it (left by an
	// earlier run) is stopped first.
	DataDir string
	// KeepDataDir keeps the temporary datadir after Stop, to look at error.log after a failure.
	KeepDataDir bool
	// Args are appended to the mariadbd command line (e.g. "--sql-mode=ANSI_QUOTES").
	Args []string
	// StartTimeout bounds the wait for the server to accept connections (default 60s: a loaded CI
	// machine can be slow, a healthy start takes well under a second).
	StartTimeout time.Duration
	// StopTimeout bounds the clean shutdown after SIGTERM before SIGKILL (default 30s).
	StopTimeout time.Duration
}

// MariaDB is one running mariadbd listening on 127.0.0.1, with root reachable over TCP with an empty
// password. Its helpers run as root; they exist so tests can set up backends in one line each.
type MariaDB struct {
	port    int
	dataDir string
	temp    bool // dataDir was created by StartMariaDB and is removed by Stop unless keep
	keep    bool
	stopTO  time.Duration
	proc    *child

	mu  sync.Mutex
	dbs map[string]*sql.DB

	stopOnce sync.Once
	stopErr  error
}

var cleanupOnce sync.Once

// StartMariaDB starts a mariadbd on loopback and returns once root can run queries on it over TCP.
//
// A fresh datadir is a copy of a template made once per MariaDB version with mariadb-install-db
// (os.TempDir()/sidecar-mariadb.template-*); copying takes ~0.1 s where installing takes ~1 s, and
// tests start many servers. The server runs with settings that trade durability for speed
// (no doublewrite, no binlog, lazy log flush), utf8mb4 by default as MySQL 8 does, and writes its log
// to DATADIR/error.log, whose tail is included in every start error.
//
// The first call in a process installs MariaDB if needed (EnsureMariaDB) and removes what crashed
// earlier runs left behind (CleanupStale).
func StartMariaDB(opts Options) (*MariaDB, error) {
	if err := EnsureMariaDB(); err != nil {
		return nil, err
	}
	cleanupOnce.Do(func() {
		if _, err := CleanupStale(); err != nil {
			fmt.Fprintf(os.Stderr, "integration: cleaning up earlier runs: %v\n", err)
		}
	})
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = 60 * time.Second
	}
	if opts.StopTimeout <= 0 {
		opts.StopTimeout = 30 * time.Second
	}
	m := &MariaDB{keep: opts.KeepDataDir, stopTO: opts.StopTimeout, dbs: map[string]*sql.DB{}}
	if opts.DataDir == "" {
		dir, err := os.MkdirTemp("", instancePrefix)
		if err != nil {
			return nil, err
		}
		m.dataDir, m.temp = dir, true
		if err := writeOwner(dir); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	} else {
		dir, err := filepath.Abs(opts.DataDir)
		if err != nil {
			return nil, err
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		m.dataDir = dir
		stopLeftoverServer(dir)
	}
	if err := m.start(opts); err != nil {
		if m.temp && !m.keep {
			os.RemoveAll(m.dataDir)
			os.RemoveAll(serverTmpDir(m.dataDir))
		}
		return nil, err
	}
	trackMariaDB(m, true)
	return m, nil
}

// errPortTaken means another process got our port between the check and mariadbd's bind.
var errPortTaken = errors.New("port taken by another process")

func (m *MariaDB) start(opts Options) error {
	if n := len(filepath.Join(m.dataDir, "sock")); n >= 108 {
		return fmt.Errorf("integration: socket path %s/sock is %d bytes, over the 107 Unix sockets allow; "+
			"set TMPDIR to a shorter directory", m.dataDir, n)
	}
	if _, err := os.Stat(filepath.Join(m.dataDir, "mysql")); errors.Is(err, fs.ErrNotExist) {
		tmpl, err := templateDir()
		if err != nil {
			return err
		}
		if err := copyTree(tmpl, m.dataDir); err != nil {
			return fmt.Errorf("integration: copy datadir template: %w", err)
		}
	}
	port, auto := opts.Port, opts.Port == 0
	if port != 0 && !PortFree(port) {
		if !opts.FallbackPort {
			return fmt.Errorf("integration: port %d on 127.0.0.1 is in use", port)
		}
		port, auto = 0, true
	}
	const attempts = 5
	var err error
	for i := 0; i < attempts; i++ {
		if auto {
			port = FreePort()
		}
		err = m.startOn(port, opts)
		if err == nil {
			return nil
		}
		if !errors.Is(err, errPortTaken) || !auto {
			break
		}
	}
	return fmt.Errorf("integration: start mariadbd in %s: %w\n--- tail of %s:\n%s",
		m.dataDir, err, m.ErrorLogPath(), tailFile(m.ErrorLogPath(), 40))
}

// serverArgs is the mariadbd command line. --no-defaults keeps /etc/mysql out (a system server's
// config must not leak into a test server); the socket and pid file live in the datadir so instances
// never share a path.
// serverTmpDir is the server's temporary directory, beside its datadir (a directory inside it
// would be a database).
func serverTmpDir(dataDir string) string { return filepath.Clean(dataDir) + ".tmp" }

func serverArgs(dataDir string, port int, extra []string) []string {
	args := []string{
		"--no-defaults",
		"--datadir=" + dataDir,
		"--port=" + strconv.Itoa(port),
		"--bind-address=127.0.0.1",
		"--socket=" + filepath.Join(dataDir, "sock"),
		"--pid-file=" + filepath.Join(dataDir, mariadbPidFile),
		// Its own temporary directory: servers sharing /tmp have been seen to fail one
		// another's statements (Error on delete of '/tmp/#sql-temptable-…' (Errcode: 2)).
		"--tmpdir=" + serverTmpDir(dataDir),
		"--skip-name-resolve",
		"--max-connections=500",
	}
	if os.Geteuid() == 0 {
		args = append(args, "--user=root") // mariadbd refuses to run as root without it
	}
	args = append(args, tuningArgs...)
	return append(args, extra...)
}

// tuningArgs are shared by mariadb-install-db (so the template's redo log already has the right size)
// and mariadbd. They make a small, fast, non-durable server: test data need not survive a power cut.
var tuningArgs = []string{
	"--innodb-buffer-pool-size=64M",
	"--innodb-log-file-size=16M",
	"--innodb-flush-log-at-trx-commit=2",
	"--innodb-doublewrite=0",
	"--innodb-buffer-pool-dump-at-shutdown=0",
	"--innodb-buffer-pool-load-at-startup=0",
	"--skip-log-bin",
	"--sync-binlog=0",
	"--character-set-server=utf8mb4",
	"--collation-server=utf8mb4_general_ci",
	// MySQL 8's default (and the sidecar's): rows and statements of 16 MiB and more pass.
	"--max-allowed-packet=64M",
}

func (m *MariaDB) startOn(port int, opts Options) error {
	bin, err := ToolPath("mariadbd")
	if err != nil {
		return err
	}
	logf, err := os.OpenFile(m.ErrorLogPath(), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close() // the child has its own copy of the descriptor
	if err := os.MkdirAll(serverTmpDir(m.dataDir), 0o755); err != nil {
		return err
	}
	fmt.Fprintf(logf, "=== integration harness: starting mariadbd on 127.0.0.1:%d at %s\n", port, time.Now().Format(time.RFC3339))
	cmd := exec.Command(bin, serverArgs(m.dataDir, port, opts.Args)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	// SIGTERM on our death: a clean shutdown, so even a kept datadir (devenv) stays consistent.
	proc, err := startTracked(cmd, syscall.SIGTERM)
	if err != nil {
		return err
	}
	if m.temp {
		recordChild(m.dataDir, proc.pid())
	}
	m.proc, m.port = proc, port
	if err := m.waitReady(time.Now().Add(opts.StartTimeout)); err != nil {
		_ = proc.terminate(5 * time.Second)
		if errors.Is(err, errPortTaken) {
			return err
		}
		if strings.Contains(tailFile(m.ErrorLogPath(), 40), "Address already in use") {
			return fmt.Errorf("%w: %v", errPortTaken, err)
		}
		return err
	}
	return nil
}

// waitReady waits for the TCP port, then checks that the server there is ours (a concurrent run may
// hold the port; our mariadbd then exits) and that root can log in over TCP, repairing the root
// accounts through the Unix socket if it cannot.
func (m *MariaDB) waitReady(deadline time.Time) error {
	for {
		if !m.proc.running() {
			return fmt.Errorf("mariadbd exited during startup: %v", m.proc.err)
		}
		// Dial before involving the driver: it logs every refused connection to stderr.
		c, err := net.DialTimeout("tcp", m.Addr(), 500*time.Millisecond)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("mariadbd did not listen on %s in time", m.Addr())
		}
		time.Sleep(25 * time.Millisecond)
	}
	for {
		err := m.checkOurs()
		if err == nil {
			return nil
		}
		var me *mysql.MySQLError
		if errors.As(err, &me) && me.Number == 1045 { // access denied: fix accounts, then check again
			if ferr := m.fixRoot(); ferr != nil {
				return fmt.Errorf("root cannot log in over TCP (%v) and repairing it failed: %v", err, ferr)
			}
			if err = m.checkOurs(); err == nil {
				return nil
			}
		}
		if errors.Is(err, errPortTaken) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-m.proc.exited:
			return fmt.Errorf("mariadbd exited during startup: %v", m.proc.err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// checkOurs logs in as root over TCP and compares @@datadir with ours.
func (m *MariaDB) checkOurs() error {
	db, err := sql.Open("mysql", m.DSN("root", "", ""))
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var dir string
	if err := db.QueryRowContext(ctx, "SELECT @@datadir").Scan(&dir); err != nil {
		return err
	}
	if !sameDir(dir, m.dataDir) {
		return fmt.Errorf("%w: the server on %s serves %s, not %s", errPortTaken, m.Addr(), dir, m.dataDir)
	}
	return nil
}

func sameDir(a, b string) bool {
	ra, err1 := filepath.EvalSymlinks(a)
	rb, err2 := filepath.EvalSymlinks(b)
	if err1 != nil || err2 != nil {
		return filepath.Clean(a) == filepath.Clean(b)
	}
	return ra == rb
}

// fixRoot makes root@127.0.0.1 exist with an empty password and all privileges, logging in through
// the Unix socket (root@localhost, which mariadb-install-db always creates). Only needed if a datadir
// was initialised differently, e.g. a reused DataDir from an older setup.
func (m *MariaDB) fixRoot() error {
	cfg := mysql.NewConfig()
	cfg.Net, cfg.Addr, cfg.User = "unix", filepath.Join(m.dataDir, "sock"), "root"
	cfg.Timeout = 5 * time.Second
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return err
	}
	defer db.Close()
	for _, q := range []string{
		"CREATE USER IF NOT EXISTS 'root'@'127.0.0.1'",
		"ALTER USER 'root'@'127.0.0.1' IDENTIFIED BY ''",
		"GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION",
	} {
		if _, err := db.Exec(q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return nil
}

// stopLeftoverServer stops a mariadbd an earlier run left on a reused datadir; it holds InnoDB's file
// locks, so ours could not start. The pid file alone is not trusted: the process must name the datadir.
func stopLeftoverServer(dir string) {
	b, err := os.ReadFile(filepath.Join(dir, mariadbPidFile))
	if err != nil {
		return
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 || !cmdlineMentions(pid, "--datadir="+dir) {
		return
	}
	fmt.Fprintf(os.Stderr, "integration: stopping mariadbd (pid %d) left running on %s\n", pid, dir)
	_ = syscall.Kill(pid, syscall.SIGTERM)
	if !waitGone(pid, 60*time.Second) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
		waitGone(pid, 10*time.Second)
	}
}

// Stop shuts the server down cleanly (SIGTERM, then SIGKILL after Options.StopTimeout), closes the
// handles DB returned, and removes the temporary datadir unless Options.KeepDataDir. Calling it again
// returns the first result.
func (m *MariaDB) Stop() error {
	m.stopOnce.Do(func() {
		m.mu.Lock()
		for _, db := range m.dbs {
			db.Close()
		}
		m.dbs = map[string]*sql.DB{}
		m.mu.Unlock()
		m.stopErr = m.proc.terminate(m.stopTO)
		if m.temp && !m.keep {
			if err := os.RemoveAll(m.dataDir); err != nil && m.stopErr == nil {
				m.stopErr = err
			}
		}
		os.RemoveAll(serverTmpDir(m.dataDir)) // only temporary files, whoever owns the datadir
		trackMariaDB(m, false)
	})
	return m.stopErr
}

// Exited is closed when the mariadbd process has exited, whether by Stop or on its own.
func (m *MariaDB) Exited() <-chan struct{} { return m.proc.exited }

// Pid is mariadbd's process id.
func (m *MariaDB) Pid() int { return m.proc.pid() }

// Addr is the server's "127.0.0.1:PORT", the form the sidecar config and go-sql-driver take.
func (m *MariaDB) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(m.port)) }

// Port is the server's TCP port.
func (m *MariaDB) Port() int { return m.port }

// DataDir is the server's datadir; its error.log is the server log.
func (m *MariaDB) DataDir() string { return m.dataDir }

// ErrorLogPath is the server's log file (mariadbd's stderr).
func (m *MariaDB) ErrorLogPath() string { return filepath.Join(m.dataDir, "error.log") }

// ErrorLog returns the last n lines of the server log, for test failure messages.
func (m *MariaDB) ErrorLog(n int) string { return tailFile(m.ErrorLogPath(), n) }

// DSN is a go-sql-driver data source name for user on this server over TCP, with a 5s connect timeout.
func (m *MariaDB) DSN(user, password, db string) string {
	cfg := mysql.NewConfig()
	cfg.Net, cfg.Addr, cfg.User, cfg.Passwd, cfg.DBName = "tcp", m.Addr(), user, password, db
	cfg.Timeout = 5 * time.Second
	return cfg.FormatDSN()
}

// DB returns a root connection pool to database db ("" for none), created on first use, shared, and
// closed by Stop; do not close it yourself. It allows several statements per Exec (multiStatements),
// so a schema script runs in one call.
func (m *MariaDB) DB(db string) *sql.DB {
	m.mu.Lock()
	defer m.mu.Unlock()
	if h, ok := m.dbs[db]; ok {
		return h
	}
	cfg, _ := mysql.ParseDSN(m.DSN("root", "", db))
	cfg.MultiStatements = true
	connector, _ := mysql.NewConnector(cfg) // cannot fail: the config is ours
	h := sql.OpenDB(connector)
	m.dbs[db] = h
	return h
}

// Exec runs sql as root in database db. Without args it may hold several statements separated by ';'.
func (m *MariaDB) Exec(db, query string, args ...any) error {
	if _, err := m.DB(db).Exec(query, args...); err != nil {
		return fmt.Errorf("%s: %w", abbrev(query), err)
	}
	return nil
}

// Query runs sql as root in database db and returns all rows as text, NULL as "NULL" (as the
// mariadb client's --batch output shows it), so results compare easily with expected tables.
func (m *MariaDB) Query(db, query string, args ...any) ([][]string, error) {
	rows, err := m.DB(db).Query(query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", abbrev(query), err)
	}
	return ScanStrings(rows)
}

// ScanStrings reads all rows as text (NULL as "NULL") and closes rows. Use it on queries through the
// sidecar too.
func ScanStrings(rows *sql.Rows) ([][]string, error) {
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	raw := make([]sql.RawBytes, len(cols))
	ptrs := make([]any, len(cols))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	out := [][]string{}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make([]string, len(cols))
		for i, b := range raw {
			if b == nil {
				row[i] = "NULL"
			} else {
				row[i] = string(b)
			}
		}
		out = append(out, row)
	}
	return out, rows.Err()
}

// CreateDatabases creates each database if it does not exist yet.
func (m *MariaDB) CreateDatabases(names ...string) error {
	for _, n := range names {
		if err := m.Exec("", "CREATE DATABASE IF NOT EXISTS "+quoteIdent(n)); err != nil {
			return err
		}
	}
	return nil
}

// CreateUser creates (or replaces) user name with password and all privileges, for host '%' (TCP from
// 127.0.0.1, since the server skips name resolution) and 'localhost' (the Unix socket). It first drops
// the anonymous users (empty user name): in MariaDB the anonymous user at host 'localhost' is more
// specific than 'name'@'%' and would turn the user's TCP logins into "Access denied" (1045).
func (m *MariaDB) CreateUser(name, password string) error {
	anon, err := m.Query("", "SELECT Host FROM mysql.user WHERE User = ''")
	if err != nil {
		return err
	}
	stmts := []string{}
	for _, r := range anon {
		stmts = append(stmts, "DROP USER ''@"+quoteString(r[0]))
	}
	for _, host := range []string{"%", "localhost"} {
		u := quoteString(name) + "@" + quoteString(host)
		stmts = append(stmts,
			"CREATE OR REPLACE USER "+u+" IDENTIFIED BY "+quoteString(password),
			"GRANT ALL PRIVILEGES ON *.* TO "+u)
	}
	for _, s := range stmts {
		if err := m.Exec("", s); err != nil {
			return err
		}
	}
	return nil
}

// ApplySQLFile runs the statements of a SQL script file in database db (see Exec).
func (m *MariaDB) ApplySQLFile(db, path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return m.Exec(db, string(b))
}

func abbrev(q string) string {
	q = strings.Join(strings.Fields(q), " ")
	if len(q) > 120 {
		q = q[:117] + "..."
	}
	return q
}

// template is the per-process cache of the datadir template's path.
var template struct {
	once sync.Once
	dir  string
	err  error
}

// templateDir returns a datadir freshly made by mariadb-install-db, to be copied for each instance.
// It is shared by all runs on the machine: its name carries a hash of the mariadbd version and the
// install arguments, so an upgrade or a change of arguments makes a new one. It is made in a
// temporary directory and renamed into place, under a lock, so a reader never sees a half-made one;
// it is never started, so it never changes after that.
func templateDir() (string, error) {
	template.once.Do(func() { template.dir, template.err = makeTemplate() })
	return template.dir, template.err
}

func installArgs() []string {
	args := []string{"--auth-root-authentication-method=normal", "--skip-test-db", "--skip-name-resolve"}
	if os.Geteuid() == 0 {
		args = append(args, "--user=root")
	}
	return append(args, tuningArgs...)
}

func makeTemplate() (string, error) {
	mariadbd, err := ToolPath("mariadbd")
	if err != nil {
		return "", err
	}
	installer, err := ToolPath("mariadb-install-db")
	if err != nil {
		return "", err
	}
	version, err := exec.Command(mariadbd, "--version").Output()
	if err != nil {
		return "", fmt.Errorf("integration: %s --version: %w", mariadbd, err)
	}
	sum := sha256.Sum256([]byte(string(version) + "\x00" + strings.Join(installArgs(), "\x00")))
	dir := filepath.Join(os.TempDir(), "sidecar-mariadb.template-"+hex.EncodeToString(sum[:6]))
	if _, err := os.Stat(filepath.Join(dir, "mysql")); err == nil {
		return dir, nil
	}
	unlock, err := lockFile(dir + ".lock")
	if err != nil {
		return "", err
	}
	defer unlock()
	if _, err := os.Stat(filepath.Join(dir, "mysql")); err == nil {
		return dir, nil // made by another process while we waited
	}
	os.RemoveAll(dir) // a leftover without the mysql directory is unusable
	// Build in an owned instance-style directory, so a crash mid-way is cleaned up like any datadir.
	work, err := os.MkdirTemp("", instancePrefix)
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(work) // a no-op after the rename
	if err := writeOwner(work); err != nil {
		return "", err
	}
	data := filepath.Join(work, "data")
	args := append([]string{"--no-defaults", "--datadir=" + data}, installArgs()...)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, installer, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("integration: %s %s: %v\n%s", installer, joinWords(args), err, tail(out.String(), 30))
	}
	if err := os.Rename(data, dir); err != nil {
		return "", err
	}
	return dir, nil
}

// copyTree copies the regular files and directories under src into dst (which may exist). A datadir
// cannot be hard-linked: mariadbd writes its files in place.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.MkdirAll(target, info.Mode().Perm())
		case info.Mode().IsRegular():
			return copyFile(path, target, info.Mode().Perm())
		}
		return nil
	})
}

func copyFile(src, dst string, perm fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
