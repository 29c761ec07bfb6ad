package integration

import (
	"bufio"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Two servers at once, each with its own database and user, reached as that user over 127.0.0.1 with
// go-sql-driver; Stop removes the datadir and frees the port.
func TestHarnessTwoInstances(t *testing.T) {
	var (
		wg    sync.WaitGroup
		inst  [2]*MariaDB
		errs  [2]error
		start = time.Now()
	)
	for i := range inst {
		wg.Go(func() { inst[i], errs[i] = StartMariaDB(Options{}) })
	}
	wg.Wait()
	t.Logf("started two instances in %v", time.Since(start).Round(time.Millisecond))
	for i, m := range inst {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		t.Cleanup(func() { m.Stop() })
	}
	a, b := inst[0], inst[1]
	if a.Port() == b.Port() || a.DataDir() == b.DataDir() {
		t.Fatalf("instances share a port or datadir: %s %s, %s %s", a.Addr(), a.DataDir(), b.Addr(), b.DataDir())
	}
	for i, m := range inst {
		if m.Port() < portMin || m.Port() >= 32768 || !strings.HasPrefix(m.Addr(), "127.0.0.1:") {
			t.Errorf("address %s: want 127.0.0.1 and a port below 32768", m.Addr())
		}
		if !strings.HasPrefix(filepath.Base(m.DataDir()), instancePrefix) {
			t.Errorf("datadir %s lacks the %s prefix CleanupStale looks for", m.DataDir(), instancePrefix)
		}
		if err := m.CreateDatabases("shop", "shop_x80"); err != nil {
			t.Fatal(err)
		}
		if err := m.CreateUser("app", "app pw'\\"); err != nil { // awkward characters on purpose
			t.Fatal(err)
		}
		db, err := sql.Open("mysql", m.DSN("app", "app pw'\\", "shop"))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Exec("create table t(id bigint primary key, name varchar(64))"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec("insert into t values (?, ?), (2, NULL)", 1, fmt.Sprintf("inst%d ü", i)); err != nil {
			t.Fatal(err)
		}
		var user, who string
		if err := db.QueryRow("select current_user(), user()").Scan(&user, &who); err != nil {
			t.Fatal(err)
		}
		if user != "app@%" || !strings.HasPrefix(who, "app@127.0.0.1") {
			t.Errorf("logged in as %s (%s), want app@%% from 127.0.0.1", user, who)
		}
		got := m.MustQuery(t, "shop", "select id, name from t order by id")
		want := [][]string{{"1", fmt.Sprintf("inst%d ü", i)}, {"2", "NULL"}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("instance %d rows %q, want %q", i, got, want)
		}
	}
	for _, m := range inst {
		t0 := time.Now()
		if err := m.Stop(); err != nil {
			t.Fatal(err)
		}
		t.Logf("stopped %s in %v", m.Addr(), time.Since(t0).Round(time.Millisecond))
		if _, err := os.Stat(m.DataDir()); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("datadir %s still there after Stop (%v)", m.DataDir(), err)
		}
		if c, err := net.DialTimeout("tcp", m.Addr(), time.Second); err == nil {
			c.Close()
			t.Errorf("%s still accepts connections after Stop", m.Addr())
		}
		if err := m.Stop(); err != nil {
			t.Errorf("second Stop: %v", err)
		}
	}
}

// The helpers a test leans on: multi-statement Exec, NULLs, the product schema, anonymous-user
// shadowing, and the mariadb client in its output modes.
func TestHarnessHelpers(t *testing.T) {
	m := MustStartMariaDB(t, Options{})

	if err := m.CreateDatabases(DevDatabases...); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the schema must be re-appliable: devenv applies it on every start
		m.MustExec(t, "product", ProductSchema)
	}
	got := m.MustQuery(t, "product", "select table_name, table_comment from information_schema.tables where table_schema = 'product' order by 1")
	want := [][]string{{"corder_event_seq", "vitess_sequence"}, {"corder_keyspace_idx", ""}, {"corder_seq", "vitess_sequence"}, {"customer_seq", "vitess_sequence"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("product tables %q, want %q", got, want)
	}
	if got := m.MustQuery(t, "product", "select id, next_id, cache from corder_event_seq"); !reflect.DeepEqual(got, [][]string{{"0", "1", "3"}}) {
		t.Errorf("corder_event_seq %q", got)
	}

	if err := m.Exec("things_x80", "create table a(id int primary key); insert into a values (1); insert into a values (1)"); err == nil ||
		!strings.Contains(err.Error(), "1062") {
		t.Errorf("a failing later statement of a multi-statement Exec must fail it, got %v", err)
	}
	if got := m.MustQuery(t, "", "select @@character_set_server, @@bind_address, @@log_bin"); !reflect.DeepEqual(got, [][]string{{"utf8mb4", "127.0.0.1", "0"}}) {
		t.Errorf("server settings %q", got)
	}

	// The MariaDB gotcha: an anonymous ''@'localhost' beats 'u'@'%' for TCP logins from 127.0.0.1.
	m.MustExec(t, "", "create user ''@'localhost'")
	if err := m.CreateUser("mysql_user", "mysql_password"); err != nil {
		t.Fatal(err)
	}

	out, errOut, code := RunCLI(m.Addr(), "mysql_user", "mysql_password", "things_x80", "select id, 'x' as s, null as n from a;\n")
	if code != 0 || out != "id\ts\tn\n1\tx\tNULL\n" {
		t.Errorf("batch: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	out, _, code = RunCLI(m.Addr(), "root", "", "things_x80", "select id from a;\n", "--table")
	if code != 0 || !strings.Contains(out, "+----+\n| id |\n+----+\n|  1 |\n+----+") {
		t.Errorf("table: exit %d, stdout %q", code, out)
	}
	out, errOut, code = RunCLI(m.Addr(), "root", "", "things_x80", "insert into a values (1);\nselect 2;\n", "--force", "-vvv")
	// With --force the 10.11 client reports errors on stderr but exits 0.
	if code != 0 || !strings.Contains(errOut, "ERROR 1062 (23000) at line 1: Duplicate entry '1' for key 'PRIMARY'") || !strings.Contains(out, "| 2 |") {
		t.Errorf("force: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	_, errOut, code = RunCLI(m.Addr(), "mysql_user", "wrong", "", "select 1;\n")
	if code != 1 || !strings.Contains(errOut, "ERROR 1045 (28000)") {
		t.Errorf("bad password: exit %d, stderr %q", code, errOut)
	}
}

// CleanupStale removes datadirs of dead owners, killing their mariadbd, and leaves live owners alone.
func TestHarnessCleanupStale(t *testing.T) {
	// A dead owner: a process that has exited (its start time can never match again).
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	deadOwner := fmt.Sprintf("%d 1\n", dead.Process.Pid)

	// A live owner that is not us: a concurrently running test binary, as far as cleanup can tell.
	sleeper := exec.Command("sleep", "60")
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sleeper.Process.Kill(); sleeper.Wait() })
	liveOwner := fmt.Sprintf("%d %s\n", sleeper.Process.Pid, processStart(sleeper.Process.Pid))

	mkdir := func(owner string) string {
		dir, err := os.MkdirTemp("", instancePrefix)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		if owner != "" {
			if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(owner), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	deadDir, liveDir, youngDir := mkdir(deadOwner), mkdir(liveOwner), mkdir("")

	// A real server whose owner "died": its mariadbd must be killed too.
	m := MustStartMariaDB(t, Options{})
	if err := os.WriteFile(filepath.Join(m.DataDir(), ownerFile), []byte(deadOwner), 0o644); err != nil {
		t.Fatal(err)
	}
	// And one we own that must survive, its temporary directory too, however old (a server that
	// wrote no temporary table for a while).
	ours := MustStartMariaDB(t, Options{})
	old := time.Now().Add(-2 * ownerGrace)
	if err := os.Chtimes(serverTmpDir(ours.DataDir()), old, old); err != nil {
		t.Fatal(err)
	}

	removed, err := CleanupStale()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("removed %v", removed)
	for _, d := range []string{deadDir, m.DataDir(), serverTmpDir(m.DataDir())} {
		if _, err := os.Stat(d); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("stale dir %s not removed", d)
		}
	}
	for _, d := range []string{liveDir, youngDir, ours.DataDir(), serverTmpDir(ours.DataDir())} {
		if _, err := os.Stat(d); err != nil {
			t.Errorf("dir %s of a live owner was touched: %v", d, err)
		}
	}
	select {
	case <-m.Exited():
	case <-time.After(10 * time.Second):
		t.Error("mariadbd of the stale datadir still running")
	}
	ours.MustQuery(t, "", "select 1")
}

// A test binary killed with SIGKILL (as `go test -timeout` or an OOM kill would) leaves no mariadbd
// behind, and the next CleanupStale removes its datadir.
func TestHarnessCrashedOwner(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	helper := exec.Command(self, "-test.run=^$")
	helper.Env = append(os.Environ(), envCrashHelper+"=1")
	stdout, err := helper.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	helper.Stderr = os.Stderr
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { helper.Process.Kill(); helper.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("helper: %v", err)
	}
	var dir string
	var pid int
	if _, err := fmt.Sscanf(line, "READY %s %d", &dir, &pid); err != nil {
		t.Fatalf("helper said %q", line)
	}
	if processState(pid) == "" {
		t.Fatalf("mariadbd pid %d not running", pid)
	}
	if removed, _ := CleanupStale(); contains(removed, dir) {
		t.Fatalf("CleanupStale removed %s while its owner was alive", dir)
	}
	helper.Process.Signal(syscall.SIGKILL)
	helper.Wait()
	if !waitGone(pid, 30*time.Second) {
		t.Fatalf("mariadbd %d survived its parent's death", pid)
	}
	removed, err := CleanupStale()
	if err != nil {
		t.Fatal(err)
	}
	// Not contains(removed, dir): a concurrent test run's CleanupStale may have been first.
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("CleanupStale removed %v, not %s (%v)", removed, dir, err)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// StartSidecar against a stand-in binary (this test binary in fake-sidecar mode): waits for the port,
// collects output, stops with SIGTERM; and reports a sidecar that exits early with its output.
func TestHarnessSidecarProcess(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", FreePort())
	t.Setenv(envFakeSidecarListen, addr)
	s := MustStartSidecar(t, self, "/nonexistent/sidecar.yaml", addr)
	if c, err := net.Dial("tcp", s.Addr()); err != nil {
		t.Fatal(err)
	} else {
		c.Close()
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := s.ExitErr(); err != nil {
		t.Errorf("exit after SIGTERM: %v", err)
	}
	logs := s.Logs()
	if !strings.Contains(logs, `args=["-config" "/nonexistent/sidecar.yaml"]`) || !strings.Contains(logs, "SIGTERM, bye") {
		t.Errorf("logs:\n%s", logs)
	}

	t.Setenv(envFakeSidecarFail, "1")
	_, err = StartSidecar(self, "bad.yaml", fmt.Sprintf("127.0.0.1:%d", FreePort()))
	if err == nil || !strings.Contains(err.Error(), "fake sidecar: bad config") || !strings.Contains(err.Error(), "exit status 3") {
		t.Errorf("early exit: %v", err)
	}
}

func TestHarnessFreePort(t *testing.T) {
	seen := map[int]bool{}
	for range 50 {
		p := FreePort()
		if p < portMin || p >= 32768 || seen[p] {
			t.Fatalf("FreePort gave %d (seen before: %v)", p, seen[p])
		}
		seen[p] = true
	}
}

// A port that is taken when mariadbd binds it (another run won the race after our check) is reported
// as errPortTaken, whether the squatter is a plain listener or another MariaDB answering our login,
// so StartMariaDB can retry elsewhere; an explicitly requested busy port fails up front.
func TestHarnessPortTaken(t *testing.T) {
	other := MustStartMariaDB(t, Options{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	plainPort := ln.Addr().(*net.TCPAddr).Port
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()

	if _, err := StartMariaDB(Options{Port: other.Port()}); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Errorf("explicit busy port: %v", err)
	}

	dir, err := os.MkdirTemp("", instancePrefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	writeOwner(dir)
	tmpl, err := templateDir()
	if err != nil {
		t.Fatal(err)
	}
	if err := copyTree(tmpl, dir); err != nil {
		t.Fatal(err)
	}
	m := &MariaDB{dataDir: dir, temp: true}
	for _, port := range []int{other.Port(), plainPort} {
		err := m.startOn(port, Options{StartTimeout: 30 * time.Second})
		if !errors.Is(err, errPortTaken) {
			t.Errorf("port %d: want errPortTaken, got %v\n%s", port, err, m.ErrorLog(5))
		}
	}
	other.MustQuery(t, "", "select 1") // the squatted server is unharmed
}
