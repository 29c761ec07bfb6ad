package integration

// A real ProxySQL process for the tests with ProxySQL on either side of the sidecar
// (proxysql_real_test.go) and for `make bench PROXYSQL_BIN=…` (integration/bench). ProxySQL has no
// Debian package: ../shared/tools/proxysql-build/build.sh builds one; its path comes in
// $PROXYSQL_BIN.

import (
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ProxySQLBinEnv names the environment variable holding the path of a ProxySQL 2.7 binary.
const ProxySQLBinEnv = "PROXYSQL_BIN"

// ProxySQLServer is a row of mysql_servers.
type ProxySQLServer struct {
	Addr      string // host:port of a MariaDB/MySQL server (or a sidecar)
	Hostgroup int
}

// ProxySQLUser is a row of mysql_users: the same name and password log in to ProxySQL and, from
// ProxySQL, to the servers of the user's default hostgroup.
type ProxySQLUser struct {
	Name, Password string
	Schema         string // default_schema ("" for ProxySQL's default)
	Hostgroup      int    // default_hostgroup
}

// ProxySQLOptions is what StartProxySQL writes into proxysql.cnf. Everything not set here keeps
// ProxySQL's defaults (multiplexing on, transaction_persistent=1, the monitor logging in as
// monitor/monitor).
type ProxySQLOptions struct {
	Servers []ProxySQLServer
	Users   []ProxySQLUser
	// Dir is ProxySQL's datadir (config, proxysql.db, proxysql.log); "" makes a new directory in
	// ScratchDir, which Cleanup removes.
	Dir string
	// Threads is mysql-threads, ProxySQL's worker threads; 0 keeps ProxySQL's default (4).
	Threads int
	// MonitorInterval sets mysql-monitor_ping_interval and mysql-monitor_connect_interval; 0 keeps
	// ProxySQL's defaults (8 s and 120 s).
	MonitorInterval time.Duration
	// MaxConnections is max_connections of each mysql_servers row; 0 keeps ProxySQL's default (1000).
	MaxConnections int
	// ExtraVars are more lines inside mysql_variables={…}, e.g. "  default_query_timeout=36000000\n".
	ExtraVars string
}

// ProxySQL is a ProxySQL process on loopback ports, with its own datadir.
type ProxySQL struct {
	addr, admin string // MySQL and admin interfaces
	dir         string
	proc        *child
	adminDB     *sql.DB

	stopOnce sync.Once
	stopErr  error
}

// StartProxySQL starts `bin -f --initial -c DIR/proxysql.cnf -D DIR` (--initial: the file is the
// whole truth, nothing is read from an earlier proxysql.db) on two free loopback ports, MySQL and
// admin (admin:admin), and returns once both accept connections. Stop it with Stop; Cleanup stops it
// too.
func StartProxySQL(bin string, o ProxySQLOptions) (*ProxySQL, error) {
	if bin == "" {
		return nil, fmt.Errorf("integration: no ProxySQL binary (set %s)", ProxySQLBinEnv)
	}
	if fi, err := os.Stat(bin); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		return nil, fmt.Errorf("integration: ProxySQL binary %q is not an executable file", bin)
	}
	dir := o.Dir
	inScratch := false
	if dir == "" {
		scratch, err := ScratchDir()
		if err != nil {
			return nil, err
		}
		if dir, err = os.MkdirTemp(scratch, "proxysql-"); err != nil {
			return nil, err
		}
		inScratch = true
	}
	p := &ProxySQL{
		addr:  fmt.Sprintf("127.0.0.1:%d", FreePort()),
		admin: fmt.Sprintf("127.0.0.1:%d", FreePort()),
		dir:   dir,
	}
	cnf := filepath.Join(p.dir, "proxysql.cnf")
	if err := os.WriteFile(cnf, []byte(p.config(o)), 0o644); err != nil {
		return nil, err
	}
	proc, err := startTracked(exec.Command(bin, "-f", "--initial", "-c", cnf, "-D", p.dir), syscall.SIGTERM)
	if err != nil {
		return nil, err
	}
	p.proc = proc
	if inScratch {
		recordChild(filepath.Dir(dir), proc.pid()) // its command line names the scratch directory
	}
	trackProxySQL(p, true)
	for _, addr := range []string{p.addr, p.admin} {
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
				c.Close()
				break
			}
			if !proc.running() || time.Now().After(deadline) {
				exited := !proc.running()
				_ = p.Stop()
				return nil, fmt.Errorf("integration: proxysql is not listening on %s (exited: %v)\n%s", addr, exited, p.Log(30))
			}
		}
	}
	p.adminDB, err = sql.Open("mysql", "admin:admin@tcp("+p.admin+")/?interpolateParams=true")
	if err != nil {
		_ = p.Stop()
		return nil, err
	}
	return p, nil
}

// config is proxysql.cnf for o.
func (p *ProxySQL) config(o ProxySQLOptions) string {
	var b strings.Builder
	fmt.Fprintf(&b, "datadir=%q\nerrorlog=%q\n", p.dir, p.logPath())
	fmt.Fprintf(&b, "admin_variables=\n{\n  admin_credentials=\"admin:admin\"\n  mysql_ifaces=%q\n}\n", p.admin)
	b.WriteString("mysql_variables=\n{\n")
	if o.Threads > 0 {
		fmt.Fprintf(&b, "  threads=%d\n", o.Threads)
	}
	fmt.Fprintf(&b, "  interfaces=%q\n", p.addr)
	fmt.Fprintf(&b, "  monitor_username=\"monitor\"\n  monitor_password=\"monitor\"\n")
	if ms := o.MonitorInterval.Milliseconds(); ms > 0 {
		fmt.Fprintf(&b, "  monitor_ping_interval=%d\n  monitor_connect_interval=%d\n", ms, ms)
	}
	fmt.Fprintf(&b, "%s}\n", o.ExtraVars)
	maxConns := ""
	if o.MaxConnections > 0 {
		maxConns = fmt.Sprintf(", max_connections=%d", o.MaxConnections)
	}
	b.WriteString("mysql_servers=\n(\n")
	for i, s := range o.Servers {
		host, port, _ := net.SplitHostPort(s.Addr)
		sep := ","
		if i == len(o.Servers)-1 {
			sep = ""
		}
		fmt.Fprintf(&b, "  { address=%q, port=%s, hostgroup=%d%s }%s\n", host, port, s.Hostgroup, maxConns, sep)
	}
	b.WriteString(")\nmysql_users=\n(\n")
	for i, u := range o.Users {
		sep := ","
		if i == len(o.Users)-1 {
			sep = ""
		}
		fmt.Fprintf(&b, "  { username=%q, password=%q, default_hostgroup=%d, default_schema=%q, transaction_persistent=1 }%s\n",
			u.Name, u.Password, u.Hostgroup, u.Schema, sep)
	}
	b.WriteString(")\n")
	return b.String()
}

// Addr is ProxySQL's MySQL interface.
func (p *ProxySQL) Addr() string { return p.addr }

// AdminDB is a pool of connections to the admin interface (user admin, password admin).
func (p *ProxySQL) AdminDB() *sql.DB { return p.adminDB }

// Pid is the ProxySQL process's id (with -f ProxySQL does not fork: this is the process that serves).
func (p *ProxySQL) Pid() int { return p.proc.pid() }

// Exited is closed when the ProxySQL process has exited.
func (p *ProxySQL) Exited() <-chan struct{} { return p.proc.exited }

// AdminQuery runs a statement on the admin interface and returns its rows as text.
func (p *ProxySQL) AdminQuery(q string) ([][]string, error) {
	rows, err := p.adminDB.Query(q)
	if err != nil {
		return nil, fmt.Errorf("ProxySQL admin: %s: %w", q, err)
	}
	out, err := ScanStrings(rows)
	if err != nil {
		return nil, fmt.Errorf("ProxySQL admin: %s: %w", q, err)
	}
	return out, nil
}

// logPath is ProxySQL's error log.
func (p *ProxySQL) logPath() string { return filepath.Join(p.dir, "proxysql.log") }

// Log is the last n lines of ProxySQL's error log.
func (p *ProxySQL) Log(n int) string { return tailFile(p.logPath(), n) }

// ErrorLines are ProxySQL's [ERROR] log lines.
func (p *ProxySQL) ErrorLines() []string {
	b, _ := os.ReadFile(p.logPath())
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, "[ERROR]") {
			out = append(out, l)
		}
	}
	return out
}

// Stop closes the admin connections, sends SIGTERM and waits up to 20 s for the exit, then kills
// the process. It returns an error if ProxySQL had to be killed; calling it again returns the first
// result.
func (p *ProxySQL) Stop() error {
	p.stopOnce.Do(func() {
		if p.adminDB != nil {
			p.adminDB.Close()
		}
		p.stopErr = p.proc.terminate(20 * time.Second)
		trackProxySQL(p, false)
	})
	return p.stopErr
}
