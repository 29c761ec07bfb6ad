package integration

// TestDriverSuite runs go-sql-driver/mysql's own test suite twice, once against MariaDB directly (the
// control) and once through the sidecar on an unsharded keyspace, and requires every test that passes
// directly to pass through the sidecar too. The driver's suite exercises the protocol corners an
// application meets (status flags, large and split packets, multi-statements, multiple result sets,
// compression, prepared statements, CLIENT_FOUND_ROWS, cancellation, LOAD DATA LOCAL INFILE…), so it
// is the acceptance test for "the sidecar behaves like a MySQL server" on unsharded keyspaces.
//
// Results are per top-level test: a test's subtests count under it (it fails if any of them fails).
//
// The suite's test binary is built once (go test -c in a copy of the module) and run as `go test
// -json` runs it, under `go tool test2json`, with the suite's environment variables pointing at one
// server or the other. A request the sidecar never answers would block the driver for good, so a
// watchdog kills a run that has gone quiet, fails the tests it was in, and runs the rest again.

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	driverModule = "github.com/go-sql-driver/mysql"
	// driverDB is the driver suite's default MYSQL_TEST_DBNAME, the database its CI creates. The
	// sidecar's keyspace has the same name, so DATABASE() is the same in both runs.
	driverDB = "gotest"
	// driverParallel is the -parallel its CI runs the suite with.
	driverParallel = 10
	// driverIdleLimit: a run in which no test has reported anything for this long is stuck (a request
	// the sidecar never answers blocks the driver forever, as its DSNs set no read timeout); the test
	// binary is killed, the tests running at that moment fail as hung, and the rest run again. The
	// slowest healthy test (TestLongData, 32 MiB values) reports every few seconds.
	driverIdleLimit = 20 * time.Second
)

// driverServerArgs configure the control MariaDB as the driver's CI configures its servers
// (.github/workflows/test.yml in the module, `my-cnf`). TestConcurrent opens @@max_connections
// connections, hence the small limit; TestLongData sends values of min(max_allowed_packet, 32 MiB);
// TestLoadData needs local_infile; TestConnectionAttributes reads performance_schema.
var driverServerArgs = []string{
	"--innodb-log-file-size=256M",
	"--innodb-buffer-pool-size=512M",
	"--max-allowed-packet=48M",
	"--max-connections=50",
	"--local-infile=1",
	"--performance-schema=ON",
}

func TestDriverSuite(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the driver's test suite twice, which takes a minute or more")
	}
	start := time.Now()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build the driver's tests: %v", err)
	}

	bin, version := buildDriverTests(t, goBin)
	tests := listDriverTests(t, bin)
	t.Logf("%s %s: %d tests, built in %v", driverModule, version, len(tests), time.Since(start).Round(time.Millisecond))
	for name, why := range driverExcluded {
		t.Logf("not run: %s: %s", name, why)
	}

	// One server for both runs, emptied in between. The runs are not concurrent: several of the
	// driver's tests depend on timing (cancellation, timeouts) and two cores are not enough for both.
	// It has TLS, as the CI's servers have (TestTLS).
	certs := newTestCerts(t)
	mdbStart := time.Now()
	mdb := MustStartMariaDB(t, Options{Args: slices.Concat(driverServerArgs, mariadbTLSArgs(certs))})
	t.Logf("MariaDB started in %v", time.Since(mdbStart).Round(time.Millisecond))
	mdb.MustExec(t, "", "CREATE DATABASE "+driverDB)
	// After a run or a round of one that was killed, whose tests could not drop their tables.
	reset := func() error {
		return mdb.Exec("", "SET SESSION lock_wait_timeout = 10; DROP DATABASE "+driverDB+"; CREATE DATABASE "+driverDB)
	}
	// The same account directly and through the sidecar, so only the address differs between runs.
	if err := mdb.CreateUser(appUser, appPassword); err != nil {
		t.Fatal(err)
	}

	// The budgets keep the whole test within about three minutes even when the sidecar hangs often;
	// the direct run takes about 10 s on two cores, the sidecar run a little more when all is well.
	direct := runDriverSuite(t, "direct", goBin, bin, tests, mdb.Addr(), reset, 60*time.Second)
	t.Logf("direct run: %v", direct.elapsed.Round(time.Millisecond))
	// A control run that cannot even connect would make the comparison vacuous.
	for _, canary := range []string{"TestCRUD", "TestPing", "TestMultiQuery"} {
		if direct.status[canary] != "pass" {
			t.Fatalf("%s fails directly against MariaDB; the control run is broken:\n%s", canary, direct.excerpt(canary, 20))
		}
	}

	if err := reset(); err != nil {
		t.Fatal(err)
	}
	sc := startDriverSuiteSidecar(t, mdb.Addr(), certs)
	via := runDriverSuite(t, "sidecar", goBin, bin, tests, sc.Addr(), reset, 100*time.Second)
	t.Logf("sidecar run: %v", via.elapsed.Round(time.Millisecond))
	select {
	case <-sc.Exited():
		t.Errorf("the sidecar exited during the run (%v); its last words:\n%s", sc.ExitErr(), tail(sc.Logs(), 30))
	default:
	}

	reportDriverSuite(t, tests, direct, via)
	t.Logf("TestDriverSuite took %v in all", time.Since(start).Round(time.Millisecond))
}

// driverSuiteYAML is the sidecar's config: unshardedYAML's listener, account and backend, the
// keyspace driverDB on the database of that name, and TLS on both hops with the control server's
// certificate, so that a client asking for TLS gets it from the sidecar and SHOW STATUS LIKE
// 'Ssl_cipher', which the sidecar forwards, reports the backend connection's cipher as it reports the
// client's directly (TestTLS). Paths are absolute.
func driverSuiteYAML(listen, backendAddr string, certs *testCerts) string {
	var b strings.Builder
	fmt.Fprintf(&b, "listen: %q\n", listen)
	fmt.Fprintf(&b, "admin_listen: \"\"\n")
	fmt.Fprintf(&b, "users:\n  - {name: %q, password: %q}\n", appUser, appPassword)
	fmt.Fprintf(&b, "backend: {user: root, password: \"\", pool_size: 16, connect_timeout: 2s, tls: {ca: %q}}\n", certs.caFile)
	fmt.Fprintf(&b, "tls: {cert: %q, key: %q}\n", certs.certFile, certs.keyFile)
	fmt.Fprintf(&b, "keyspaces:\n  %s:\n    shards:\n      \"0\": {address: %q, database: %q}\n", driverDB, backendAddr, driverDB)
	fmt.Fprintf(&b, "log: {level: info, format: json}\n")
	return b.String()
}

// startDriverSuiteSidecar starts the sidecar with driverSuiteYAML, stopped in t.Cleanup.
func startDriverSuiteSidecar(t *testing.T, backendAddr string, certs *testCerts) *Sidecar {
	t.Helper()
	listen := fmt.Sprintf("127.0.0.1:%d", FreePort())
	path := filepath.Join(t.TempDir(), "sidecar.yaml")
	if err := os.WriteFile(path, []byte(driverSuiteYAML(listen, backendAddr, certs)), 0o644); err != nil {
		t.Fatal(err)
	}
	return MustStartSidecar(t, MustBuildSidecar(t), path, listen)
}

// reportDriverSuite logs the counts and the differences between the runs, and fails t for each test
// that passes directly but not through the sidecar.
func reportDriverSuite(t *testing.T, tests []string, direct, via *driverRun) {
	t.Helper()
	count := func(r *driverRun, status string) (n int) {
		for _, name := range tests {
			if r.status[name] == status {
				n++
			}
		}
		return n
	}
	t.Logf("of %d top-level tests: passed directly %d (failed %d, skipped %d); passed through the sidecar %d (failed %d, skipped %d)",
		len(tests), count(direct, "pass"), count(direct, "fail"), count(direct, "skip"),
		count(via, "pass"), count(via, "fail"), count(via, "skip"))

	for _, name := range tests {
		switch direct.status[name] {
		case "fail":
			t.Logf("fails even directly: %s\n%s", name, driverIndent(direct.excerpt(name, 8)))
		case "skip":
			t.Logf("skipped directly: %s\n%s", name, driverIndent(direct.excerpt(name, 2)))
		}
	}
	var regressions []string
	for _, name := range tests {
		if direct.status[name] == "pass" && via.status[name] != "pass" {
			regressions = append(regressions, name)
		}
	}
	for _, name := range regressions {
		t.Errorf("passes directly, %s through the sidecar: %s\n%s", driverVerb(via.status[name]), name, driverIndent(via.excerpt(name, 8)))
	}
	if len(regressions) > 0 {
		t.Errorf("%d tests pass directly but not through the sidecar: %s", len(regressions), strings.Join(regressions, " "))
	}
}

func driverVerb(status string) string {
	switch status {
	case "fail":
		return "fails"
	case "skip":
		return "is skipped"
	}
	return "does not run"
}

func driverIndent(s string) string { return "    " + strings.ReplaceAll(s, "\n", "\n    ") }

// driverGoEnv is the environment of the go commands that build and run the driver's tests: its own
// module (no workspace, no GOFLAGS of ours), offline (its one dependency is in the module cache
// because ours requires it too), with this toolchain.
func driverGoEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "MYSQL_TEST_") || slices.Contains([]string{"GOFLAGS", "GOWORK", "GOPROXY", "GOTOOLCHAIN"}, name) {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "GOFLAGS=-mod=mod", "GOWORK=off", "GOPROXY=off", "GOTOOLCHAIN=local")
	return append(env, extra...)
}

// buildDriverTests copies the driver module, at the version our go.mod requires, out of the read-only
// module cache and compiles its test binary there (go test -c), so both runs use one build. It returns
// the binary's path and the module version.
func buildDriverTests(t *testing.T, goBin string) (bin, version string) {
	t.Helper()
	root, err := ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(goBin, "mod", "download", "-json", driverModule)
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go mod download %s: %v\n%s", driverModule, err, driverStderr(err))
	}
	var mod struct{ Dir, Version, Error string }
	if err := json.Unmarshal(out, &mod); err != nil || mod.Dir == "" {
		t.Fatalf("go mod download %s: %v %s\n%s", driverModule, err, mod.Error, out)
	}

	dir := filepath.Join(t.TempDir(), "mysql")
	if err := copyDriverTree(mod.Dir, dir); err != nil {
		t.Fatal(err)
	}
	bin = filepath.Join(dir, "mysql.test")
	cmd = exec.Command(goBin, "test", "-c", "-vet=off", "-o", bin, ".")
	cmd.Dir, cmd.Env = dir, driverGoEnv()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go test -c in a copy of %s: %v\n%s", mod.Dir, err, out)
	}
	return bin, mod.Version
}

// copyDriverTree copies the tree src to dst with owner-writable modes (the module cache's are
// read-only, and t.TempDir must be able to remove the copy).
func copyDriverTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		return copyFile(path, target, 0o644)
	})
}

func driverStderr(err error) []byte {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.Stderr
	}
	return nil
}

// driverExcluded are tests of the suite that are not run, with the reason.
var driverExcluded = map[string]string{
	"TestConnectorReturnsTimeout": "it dials 1.1.1.1:1234, not the server under test, so its result depends on the " +
		"machine's network (where outgoing connections are accepted by anything, it panics after 10s)",
}

// listDriverTests returns the names of the tests, examples and fuzz targets of the binary (what
// -test.run selects) but driverExcluded; benchmarks do not run.
func listDriverTests(t *testing.T, bin string) []string {
	t.Helper()
	cmd := exec.Command(bin, "-test.list", ".")
	cmd.Dir = filepath.Dir(bin)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s -test.list: %v\n%s", bin, err, driverStderr(err))
	}
	var tests []string
	for _, name := range strings.Fields(string(out)) {
		if _, excluded := driverExcluded[name]; !excluded && !strings.HasPrefix(name, "Benchmark") {
			tests = append(tests, name)
		}
	}
	if len(tests) == 0 {
		t.Fatalf("%s -test.list found no tests:\n%s", bin, out)
	}
	return tests
}

// driverRun is the outcome of one run of the suite.
type driverRun struct {
	label   string
	status  map[string]string // top-level test -> pass, fail or skip
	elapsed time.Duration

	// For each top-level test, the lines of output of the test and its subtests, in order, with the
	// test each line belongs to; and which of these (sub)tests failed.
	output map[string][]driverLine
	failed map[string]bool
}

type driverLine struct {
	test, text string
	ours       bool // written by round, not by the test
}

// driverMessageStart matches the first line of a message in go test's output: a t.Log/t.Error line
// (its continuation lines are indented below it), or a panic.
var driverMessageStart = regexp.MustCompile(`^(\S+\.go:\d+: |panic: |fatal error: )`)

// excerpt is the first n messages that the (sub)tests of top-level test name printed, when it failed
// only those of the (sub)tests that failed. A message spanning lines (a multi-line query in an
// error) is put on one line and shortened in the middle, since errors end with the server's words;
// a message several subtests printed alike is shown once, with their names.
func (r *driverRun) excerpt(name string, n int) string {
	type message struct {
		text  string
		tests []string
	}
	var msgs []*message
	byText := map[string]*message{}
	var cur []string
	var curTest string
	flush := func() {
		if len(cur) == 0 {
			return
		}
		text := driverShorten(strings.Join(cur, " "), 300)
		cur = nil
		sub := strings.TrimPrefix(strings.TrimPrefix(curTest, name), "/")
		if m := byText[text]; m != nil {
			m.tests = append(m.tests, sub)
			return
		}
		m := &message{text: text, tests: []string{sub}}
		byText[text] = m
		msgs = append(msgs, m)
	}
	for _, l := range r.output[name] {
		text := strings.TrimSpace(l.text)
		if text == "" || strings.HasPrefix(text, "=== ") || strings.HasPrefix(text, "--- ") {
			continue // progress lines, and the results we know
		}
		if r.status[name] == "fail" && !r.failed[l.test] {
			continue // logs of subtests that passed
		}
		if l.ours || l.test != curTest || driverMessageStart.MatchString(text) {
			flush()
			curTest = l.test
		}
		cur = append(cur, text)
	}
	flush()
	if len(msgs) == 0 {
		return "(no output)"
	}
	var b strings.Builder
	for i, m := range msgs {
		if i > 0 {
			b.WriteByte('\n')
		}
		if i == n {
			fmt.Fprintf(&b, "(%d more)", len(msgs)-n)
			break
		}
		if subs := strings.Join(slices.DeleteFunc(m.tests, func(s string) bool { return s == "" }), ", "); subs != "" {
			fmt.Fprintf(&b, "[%s] ", subs)
		}
		b.WriteString(m.text)
	}
	return b.String()
}

// driverShorten cuts s to about max bytes by dropping its middle.
func driverShorten(s string, max int) string {
	if len(s) <= max {
		return s
	}
	head := max / 3
	return strings.ToValidUTF8(s[:head]+" … "+s[len(s)-(max-head):], "")
}

// runDriverSuite runs tests of the driver's test binary against addr, as user appUser on database
// driverDB, in rounds: a round that hangs is killed (see driverIdleLimit), reset empties the database
// the killed tests left tables in, and the tests the round did not finish run in the next one. Tests
// still pending when budget is spent fail as not run.
func runDriverSuite(t *testing.T, label, goBin, bin string, tests []string, addr string, reset func() error, budget time.Duration) *driverRun {
	t.Helper()
	r := &driverRun{label: label, status: map[string]string{}, output: map[string][]driverLine{}, failed: map[string]bool{}}
	env := driverGoEnv(
		"MYSQL_TEST_USER="+appUser,
		"MYSQL_TEST_PASS="+appPassword,
		"MYSQL_TEST_PROT=tcp",
		"MYSQL_TEST_ADDR="+addr,
		"MYSQL_TEST_DBNAME="+driverDB,
		"MYSQL_TEST_CONCURRENT=1",
	)
	start := time.Now()
	deadline := start.Add(budget)
	pending := slices.Clone(tests) // DeleteFunc below works in place
	for len(pending) > 0 {
		left := time.Until(deadline)
		if left <= 0 {
			for _, name := range pending {
				r.fail(name, fmt.Sprintf("not run: the %s run's budget of %v was spent", label, budget))
			}
			break
		}
		before := len(pending)
		interrupted, err := r.round(goBin, bin, env, pending, deadline)
		if err != nil {
			t.Fatalf("%s run: %v", label, err)
		}
		if interrupted {
			if err := reset(); err != nil {
				t.Logf("%s run: emptying database %s after an interrupted round: %v", label, driverDB, err)
			}
		}
		pending = slices.DeleteFunc(pending, func(name string) bool { return r.status[name] != "" })
		if len(pending) == before {
			for _, name := range pending {
				r.fail(name, fmt.Sprintf("not run: the %s run's test binary made no progress", label))
			}
			break
		}
	}
	r.elapsed = time.Since(start)
	return r
}

func (r *driverRun) fail(name, msg string) {
	r.status[name] = "fail"
	r.failed[name] = true
	r.output[name] = append(r.output[name], driverLine{name, msg, true})
}

// driverEvent is a line of `go test -json` (test2json) output.
type driverEvent struct {
	Action string
	Test   string
	Output string
}

// driverPkgOutputLines is how much of the test binary's own output (a panic's) is kept for a crash
// report.
const driverPkgOutputLines = 30

// round runs the pending tests once, through `go tool test2json` as `go test -json` does, and records
// the result of each test that finished. When the binary is stuck (no event for driverIdleLimit) or
// the deadline passes, it is killed and the tests running at that moment fail as hung; when it dies on
// its own (a panic), the running tests fail with its last words. Either way round reports that it was
// interrupted. Tests it did not get to stay pending.
func (r *driverRun) round(goBin, bin string, env, pending []string, deadline time.Time) (interrupted bool, err error) {
	quoted := make([]string, len(pending))
	for i, name := range pending {
		quoted[i] = regexp.QuoteMeta(name)
	}
	cmd := exec.Command(goBin, "tool", "test2json", "-t", "-p", driverModule, bin,
		"-test.v=test2json", "-test.count=1", fmt.Sprintf("-test.parallel=%d", driverParallel),
		// A last resort: the watchdog below kills the binary first.
		"-test.timeout="+(time.Until(deadline)+30*time.Second).Round(time.Second).String(),
		"-test.run=^("+strings.Join(quoted, "|")+")$")
	cmd.Dir, cmd.Env = filepath.Dir(bin), env
	pr, pw, err := os.Pipe()
	if err != nil {
		return false, err
	}
	defer pr.Close()
	cmd.Stdout, cmd.Stderr = pw, pw
	// Its own process group, so that killing the group takes test2json and the test binary; killed
	// with us too (on Linux).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	proc, err := startTracked(cmd, syscall.SIGKILL)
	pw.Close() // the children hold the write end; EOF once they are all gone
	if err != nil {
		return false, err
	}
	killGroup := func() {
		if proc.running() { // once it has exited, its pid (the group's id) may be reused
			_ = syscall.Kill(-proc.pid(), syscall.SIGKILL)
		}
	}

	var (
		mu       sync.Mutex
		lastSeen = time.Now()
		killed   string // why the watchdog killed the binary
	)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-proc.exited:
				return
			case now := <-tick.C:
				mu.Lock()
				switch {
				case now.After(deadline):
					killed = fmt.Sprintf("was running when the %s run's time budget was spent; killed", r.label)
				case now.Sub(lastSeen) > driverIdleLimit:
					killed = fmt.Sprintf("hung: no test reported anything for %v; killed", driverIdleLimit)
				}
				if killed != "" {
					killGroup()
					mu.Unlock()
					return
				}
				mu.Unlock()
			}
		}
	}()

	const (
		running = iota + 1
		paused
		done
	)
	state := map[string]int{} // every (sub)test seen so far
	var pkgOut []string       // output not attributed to a test: panics, the final FAIL line
	rd := bufio.NewReader(pr)
	for {
		line, err := rd.ReadBytes('\n')
		if len(line) > 0 {
			mu.Lock()
			lastSeen = time.Now()
			mu.Unlock()
			var ev driverEvent
			if json.Unmarshal(line, &ev) != nil {
				ev = driverEvent{Action: "output", Output: string(line)} // not test2json's: keep it
			}
			top, _, _ := strings.Cut(ev.Test, "/")
			switch ev.Action {
			case "run", "cont":
				state[ev.Test] = running
			case "pause":
				state[ev.Test] = paused
			case "pass", "fail", "skip":
				if ev.Test != "" {
					state[ev.Test] = done
					if ev.Action == "fail" {
						r.failed[ev.Test] = true
					}
					if ev.Test == top {
						r.status[top] = ev.Action
					}
				}
			case "output":
				if ev.Test == "" {
					pkgOut = append(pkgOut, strings.TrimRight(ev.Output, "\n"))
					if len(pkgOut) > driverPkgOutputLines {
						pkgOut = pkgOut[1:]
					}
				} else {
					r.output[top] = append(r.output[top], driverLine{ev.Test, ev.Output, false})
				}
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			killGroup()
			return false, err
		}
	}
	<-proc.exited

	// The tests to blame are the innermost ones still running: their parents are only waiting for
	// them, and paused parallel tests never started.
	mu.Lock()
	why := killed
	mu.Unlock()
	interrupted = why != ""
	if why == "" {
		// A failing test makes the binary exit 1 too; only tests left running mean it died.
		why = fmt.Sprintf("was running when the test binary exited (%v); its last output: %s", proc.err, strings.Join(pkgOut, "\n"))
	}
	waiting := map[string]bool{} // tests with a subtest that has not finished
	for name, st := range state {
		for i := strings.LastIndexByte(name, '/'); i > 0 && st != done; i = strings.LastIndexByte(name[:i], '/') {
			waiting[name[:i]] = true
		}
	}
	for name, st := range state {
		if st != running || waiting[name] {
			continue
		}
		interrupted = true
		r.failed[name] = true // show what it printed before it got stuck
		top, _, _ := strings.Cut(name, "/")
		if r.status[top] == "" {
			r.fail(top, fmt.Sprintf("%s %s", name, why))
		}
	}
	return interrupted, nil
}
