// Command stress is `make stress`: the sidecar under faults and load, against real MariaDB servers
// and the real sidecar binary, with go-sql-driver/mysql as the client. It is not part of `make test`:
// it takes a few minutes and measures rather than unit-checks, but every scenario still ends with a
// PASS or FAIL line against a stated expectation.
//
// Each scenario starts its own environment with the integration harness — two MariaDB servers on
// loopback ports from integration.FreePort, holding the seeds' keyspaces as the end-to-end tests do
// (server A: things -80, customer -80 and the unsharded product keyspace; server B: things 80-,
// customer 80-), the VSchemas of conf/examples, the schemas of integration/testdata — and one or two
// sidecars in front of them (built once with integration.BuildSidecar). The scenarios:
//
//  1. restart    shard restart under load: 4 clients run point selects and single-row inserts on
//     customer (hash vindex); server B is SIGKILLed and restarted on the same datadir and port a few
//     seconds later. The sidecar must survive, statements for shard -80 must all succeed during the
//     outage, those for 80- must fail with ERROR 1105 naming the shard, and the first statement on
//     80- must succeed within 1 s of the restarted mariadbd accepting TCP connections.
//  2. lookup     sidecar SIGKILL during multi-row INSERTs into seed 000's things, which owns the
//     consistent_lookup_unique vindex things_name_lookup; three kills, each followed by a restart.
//     Read directly on the backends: no owner row may lack its lookup row (lookup rows without an
//     owner are allowed: consistent lookups leave them and take them over later, which is checked).
//  3. sequence   two sidecars sharing product.customer_seq; clients insert into customer through
//     both alternately while each sidecar is restarted (SIGTERM and SIGKILL). No id may be handed
//     out twice, and every insert a client got OK for must be in the table.
//  4. idle       1000 idle client connections: the sidecar's RSS before and with them, and the
//     latency of a new client's connect + SELECT 1 while they are open.
//  5. scatter    2,000,000 customer rows (written directly on the two shards, each row on the
//     shard of its hash) read back through the sidecar with SELECT * and SELECT … ORDER BY,
//     streamed by the client: every row must arrive, with the sidecar's peak RSS; then results
//     abandoned mid-stream must not disturb later statements.
//
// Every scenario also reports "sidecar crashes": sidecar exits the scenario did not cause (must be
// 0), and the warnings and errors the sidecar logged. At the end the figures of all scenarios are
// printed as one table (and written as JSON with -json FILE); the logs of the sidecars and servers are
// copied to -logs. The run exits 1 if any scenario failed.
//
// Everything is bounded: each scenario has duration flags (see -h), the whole run has -timeout, and
// every process started is stopped by its pid at the end, also on failure or Ctrl-C.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"

	"sidecar/integration"
)

// options are the command-line flags.
type options struct {
	only     map[string]bool // scenario keys to run; nil: all
	timeout  time.Duration
	jsonPath string
	logsDir  string
	bin      string
	clients  int // concurrent clients of scenarios 1–3

	// 1 restart
	s1Warmup, s1Outage, s1After, s1RecoverWait time.Duration
	// 2 lookup
	s2Kills              int
	s2Batch              int
	s2KillAfter, s2After time.Duration
	// 3 sequence
	s3Restarts          int
	s3Interval, s3After time.Duration
	// 4 idle
	s4Clients, s4Probes int
	s4Idle              time.Duration
	// 5 scatter
	s5Rows int
}

// scenario is one entry of the run.
type scenario struct {
	num   int
	key   string
	title string
	run   func(ctx context.Context, o *options, r *result) error
}

var scenarios = []scenario{
	{1, "restart", "shard SIGKILL + restart under load", runShardRestart},
	{2, "lookup", "sidecar SIGKILL during multi-row lookup INSERTs", runLookupKill},
	{3, "sequence", "two sidecars sharing a sequence, restarted", runSequence},
	{4, "idle", "1000 idle clients", runIdle},
	{5, "scatter", "2-million-row scatter", runScatter},
}

func main() {
	os.Exit(run())
}

func run() int {
	var o options
	var only string
	flag.StringVar(&only, "only", "", "comma-separated scenarios to run, by number or name (default all): "+scenarioKeys())
	flag.DurationVar(&o.timeout, "timeout", 10*time.Minute, "give up (and clean up) after this long")
	flag.StringVar(&o.jsonPath, "json", "", "also write the figures as JSON to this file")
	flag.StringVar(&o.logsDir, "logs", filepath.Join(os.TempDir(), "sidecar-stress"), "copy the sidecars' and servers' logs here, one subdirectory per scenario (\"\" for none)")
	flag.StringVar(&o.bin, "bin", "", "run this sidecar binary instead of building ./cmd/sidecar")
	flag.IntVar(&o.clients, "clients", 4, "concurrent clients in scenarios 1-3")
	flag.DurationVar(&o.s1Warmup, "restart-warmup", 3*time.Second, "1: load before the shard is killed")
	flag.DurationVar(&o.s1Outage, "restart-outage", 4*time.Second, "1: how long the shard stays down")
	flag.DurationVar(&o.s1After, "restart-after", 3*time.Second, "1: load after the shard is usable again")
	flag.DurationVar(&o.s1RecoverWait, "restart-recover-wait", 20*time.Second, "1: longest wait for the first success on the restarted shard")
	flag.IntVar(&o.s2Kills, "lookup-kills", 3, "2: sidecar SIGKILLs")
	flag.IntVar(&o.s2Batch, "lookup-batch", 10, "2: rows per INSERT")
	flag.DurationVar(&o.s2KillAfter, "lookup-kill-after", 2*time.Second, "2: load between a (re)start and the next SIGKILL (±25%)")
	flag.DurationVar(&o.s2After, "lookup-after", 2*time.Second, "2: load after the last restart")
	flag.IntVar(&o.s3Restarts, "sequence-restarts", 4, "3: sidecar restarts, alternating sidecars, SIGTERM and SIGKILL")
	flag.DurationVar(&o.s3Interval, "sequence-interval", 2*time.Second, "3: load between restarts")
	flag.DurationVar(&o.s3After, "sequence-after", 2*time.Second, "3: load after the last restart")
	flag.IntVar(&o.s4Clients, "idle-clients", 1000, "4: idle client connections")
	flag.IntVar(&o.s4Probes, "idle-probes", 20, "4: connect + SELECT 1 probes per measurement")
	flag.DurationVar(&o.s4Idle, "idle-wait", 2*time.Second, "4: how long the connections stay idle before measuring")
	flag.IntVar(&o.s5Rows, "scatter-rows", 2_000_000, "5: rows in the scattered table")
	flag.Parse()
	if o.clients < 1 || o.s2Kills < 0 || o.s2Batch < 1 || o.s3Restarts < 0 || o.s4Clients < 1 || o.s4Probes < 1 || o.s5Rows < 2 {
		fmt.Fprintln(os.Stderr, "stress: -clients, -lookup-batch, -idle-clients, -idle-probes must be >= 1, -scatter-rows >= 2")
		return 2
	}
	if only != "" {
		o.only = map[string]bool{}
		for _, s := range strings.Split(only, ",") {
			s = strings.TrimSpace(s)
			i := slices.IndexFunc(scenarios, func(sc scenario) bool { return sc.key == s || strconv.Itoa(sc.num) == s })
			if i < 0 {
				fmt.Fprintf(os.Stderr, "stress: unknown scenario %q (have %s)\n", s, scenarioKeys())
				return 2
			}
			o.only[scenarios[i].key] = true
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	// Stops whatever a failed scenario left running (sidecars first, then servers) and removes the
	// scratch directory with the datadirs; the scenarios stop their own processes on the way out too.
	defer integration.Cleanup()

	if o.logsDir != "" {
		// Only our own entries in it are replaced (each scenario's subdirectory, the driver's log).
		if err := os.MkdirAll(o.logsDir, 0o755); err != nil {
			logf("logs directory: %v", err)
			return 1
		}
	}
	// go-sql-driver logs every broken connection to stderr; the scenarios break many on purpose.
	mysql.SetLogger(log.New(driverLog(o.logsDir), "", log.LstdFlags))

	start := time.Now()
	rep := newReport(&o)
	if o.bin == "" {
		logf("building ./cmd/sidecar")
		bin, err := integration.BuildSidecar()
		if err != nil {
			logf("%v", err)
			return 1
		}
		o.bin = bin
	}
	for _, sc := range scenarios {
		if o.only != nil && !o.only[sc.key] {
			continue
		}
		r := &result{Num: sc.num, Key: sc.key, Title: sc.title}
		if ctx.Err() != nil {
			r.Status, r.Error = statusFail, "not run: "+context.Cause(ctx).Error()
			rep.Scenarios = append(rep.Scenarios, r)
			continue
		}
		logf("=== scenario %d (%s): %s", sc.num, sc.key, sc.title)
		t0 := time.Now()
		err := runScenario(ctx, sc, &o, r)
		r.Elapsed = time.Since(t0).Round(100 * time.Millisecond).String()
		r.finish(err)
		r.print(os.Stderr)
		rep.Scenarios = append(rep.Scenarios, r)
	}
	rep.Elapsed = time.Since(start).Round(time.Second).String()
	rep.printTable(os.Stdout)
	if o.jsonPath != "" {
		if err := rep.writeJSON(o.jsonPath); err != nil {
			logf("%v", err)
			return 1
		}
		logf("figures written to %s", o.jsonPath)
	}
	if o.logsDir != "" {
		logf("sidecar and MariaDB logs in %s", o.logsDir)
	}
	if !rep.passed() {
		return 1
	}
	return 0
}

// runScenario runs one scenario, turning a panic into its error so the next scenario still runs and
// the deferred stops of this one have run.
func runScenario(ctx context.Context, sc scenario, o *options, r *result) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
		}
	}()
	return sc.run(ctx, o, r)
}

func scenarioKeys() string {
	var keys []string
	for _, sc := range scenarios {
		keys = append(keys, fmt.Sprintf("%d=%s", sc.num, sc.key))
	}
	return strings.Join(keys, ",")
}

// driverLog is where go-sql-driver's own log lines go: a file in the logs directory, or nowhere.
func driverLog(dir string) io.Writer {
	if dir == "" {
		return io.Discard
	}
	f, err := os.Create(filepath.Join(dir, "go-sql-driver.log"))
	if err != nil {
		return io.Discard
	}
	return f // closed by the process's exit
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "stress: "+format+"\n", args...)
}

// sleepCtx sleeps for d or until ctx is done; false if ctx ended it.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
