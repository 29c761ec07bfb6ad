package integration

// PyMySQL, the pure-Python connector, through the sidecar and, as a control, straight against
// MariaDB. The checks live in testdata/pymysql_checks.py; each is a subtest here so a failure is named
// (TestPyMySQL/sidecar/autocommit_rollback).

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// pythonWithPyMySQL is Debian's interpreter: python3-pymysql installs there. The python3 first on
// PATH may be another one (pyenv) without it.
const pythonWithPyMySQL = "/usr/bin/python3"

// pymysqlChecks are the checks of testdata/pymysql_checks.py, in the order it runs them.
var pymysqlChecks = []string{
	"autocommit_rollback",
	"executemany",
	"big_value",
	"ssl",
	"procedure_two_results",
	"trailing_blanks",
}

// pymysqlTimeout bounds one run of the script. Its connections time out after 10 s (60 s for the big
// value), so only a script stuck somewhere else gets this far.
const pymysqlTimeout = 5 * time.Minute

// requirePyMySQL skips the test when Debian's python3 cannot import pymysql.
func requirePyMySQL(t *testing.T) {
	t.Helper()
	out, err := exec.Command(pythonWithPyMySQL, "-c", "import pymysql; print(pymysql.__version__)").CombinedOutput()
	if err != nil {
		t.Skipf("%s cannot import pymysql (%v: %s); install python3-pymysql (apt-get install python3-pymysql)",
			pythonWithPyMySQL, err, strings.TrimSpace(string(out)))
	}
}

// runPyMySQLChecks runs the named checks (all when none are named) of testdata/pymysql_checks.py
// against addr and reports each as a subtest of t. caFile, if set, turns on the ssl check.
func runPyMySQLChecks(t *testing.T, addr, user, password, db, caFile string, checks ...string) {
	t.Helper()
	if len(checks) == 0 {
		checks = pymysqlChecks
	}
	script, err := filepath.Abs(filepath.Join("testdata", "pymysql_checks.py"))
	if err != nil {
		t.Fatal(err)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	args := []string{script, "--checks", strings.Join(checks, ",")}
	if caFile != "" {
		args = append(args, "--ssl-ca", caFile)
	}
	args = append(args, host, port, user, password, db)

	ctx, cancel := context.WithTimeout(context.Background(), pymysqlTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, pythonWithPyMySQL, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, runErr := cmd.Output()
	if ctx.Err() != nil {
		runErr = fmt.Errorf("timed out after %v: %w", pymysqlTimeout, runErr)
	}
	var ee *exec.ExitError
	if runErr != nil && !errors.As(runErr, &ee) {
		t.Fatalf("%s %s: %v", pythonWithPyMySQL, script, runErr)
	}

	// "ok NAME", "FAIL NAME: reason" or "skip NAME: reason", one line per check.
	type result struct{ status, reason string }
	results := map[string]result{}
	sc := bufio.NewScanner(strings.NewReader(string(stdout)))
	for sc.Scan() {
		status, rest, _ := strings.Cut(sc.Text(), " ")
		name, reason, _ := strings.Cut(rest, ": ")
		results[name] = result{status, reason}
	}
	for _, name := range checks {
		t.Run(name, func(t *testing.T) {
			r, ok := results[name]
			switch {
			case !ok:
				t.Errorf("the script reported nothing for %s (%v)\nstdout:\n%s\nstderr:\n%s", name, runErr, stdout, tail(stderr.String(), 40))
			case r.status == "ok":
			case r.status == "skip":
				t.Skip(r.reason)
			default:
				t.Errorf("%s", r.reason)
				if s := stderr.String(); s != "" {
					t.Logf("script stderr (all checks):\n%s", tail(s, 40))
				}
			}
		})
	}
}

// TestPyMySQL runs the PyMySQL checks straight against MariaDB (the control: every check passes
// there) and through a sidecar in front of it.
//
// It has its own MariaDB rather than the shared one (sharedUnsharded): the control's ssl check needs
// MariaDB serving TLS. The sidecar here has no tls section, so its ssl check is skipped; TestTLS runs
// it through a sidecar that has one.
func TestPyMySQL(t *testing.T) {
	requirePyMySQL(t)
	certs := newTestCerts(t)
	m := MustStartMariaDB(t, Options{Args: mariadbTLSArgs(certs)})
	if err := m.CreateDatabases("product"); err != nil {
		t.Fatal(err)
	}
	if err := m.CreateUser(appUser, appPassword); err != nil {
		t.Fatal(err)
	}
	sc := startUnshardedSidecar(t, t.TempDir(), 4, unshardedKeyspace{"product", m.Addr(), "product"})

	t.Run("mariadb", func(t *testing.T) {
		runPyMySQLChecks(t, m.Addr(), appUser, appPassword, "product", certs.caFile)
	})
	t.Run("sidecar", func(t *testing.T) {
		runPyMySQLChecks(t, sc.Addr(), appUser, appPassword, "product", "")
	})
}
