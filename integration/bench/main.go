// Command bench is `make bench`: the sidecar measured side by side with direct MariaDB.
//
// It starts three MariaDB servers with the integration harness (two shards and one "direct" server,
// all with the same mariadbd settings), builds and starts the sidecar in front of the two shards
// (sharded keyspace `sbtest`; keyspace `sbone` has the same VSchema with both shards as two
// databases of the first server), loads the same data through the sidecar and into the direct
// server, and runs sysbench workloads against both in the same run, alternating
// direct, sidecar, direct, sidecar, … for each repeat:
//
//   - point_select_ps    oltp_point_select, prepared statements (sysbench's default)
//   - point_select_text  oltp_point_select --db-ps-mode=disable
//   - relay_point_select_ps  point_select_ps through a bare TCP relay instead of the sidecar
//   - point_select_ps_1server  point_select_ps on sbone
//   - point_select_text_1server  point_select_text on sbone (by default only with -proxysql)
//   - point_select_ps_socket  point_select_ps with the sidecar reached through its Unix socket
//   - insert_hash        oltp_insert --auto_inc=off (sysbench's ids, negative ones included; hash vindex)
//   - insert_lookup      INSERT into users, which owns a consistent_lookup_unique vindex on email
//     (lua/lookup_insert.lua); direct: BEGIN; lookup row; user row; COMMIT
//   - insert_lookup_1server  insert_lookup on sbone
//   - insert_event       INSERT into corder_event, whose primary vindex is the corder_keyspace_idx
//     lookup owned by corder (seed 002), warm lookup cache (lua/event_insert.lua)
//   - read_write         oltp_read_write, and read_write_nomerge without the merged range queries
//
// With -proxysql (default $PROXYSQL_BIN), a ProxySQL binary, ProxySQL runs beside them as a third
// target, in front of one server with one hostgroup and no query rules: in front of the direct
// server, or for the *_1server workloads in front of shard server A (its database sbone holds the
// table whole, so ProxySQL and the sidecar share that one mariadbd). It runs what direct runs and
// is measured as the sidecar is (CPU per query from /proc/PID/stat, peak RSS, QPS, p95), in
// point_select_ps, point_select_text, point_select_ps_1server and insert_hash, and in
// point_select_text_1server (point_select_text on sbone), which runs only then. BENCH.md then has a
// section with issue 17's targets as ratios sidecar ÷ ProxySQL from the same run, PASS/MISS, never
// enforced. Without it, the report says how to get a ProxySQL binary.
//
// Figures per workload and target: QPS and events/s (sysbench), p95 latency (sysbench
// --percentile=95), the sidecar's CPU per query (utime+stime from /proc/PID/stat over the run,
// divided by sysbench's query count), the sidecar's peak RSS during the run (VmHWM from
// /proc/PID/status, reset before each run through /proc/PID/clear_refs), and the MariaDB CPU per
// event of the servers behind the target. The median of the repeats is reported, with the ratio
// sidecar/direct. Output: a table on stdout, JSON (-json), a PNG bar chart of the ratios (-png),
// and BENCH.md (-md). Targets from issue 7 are printed as PASS/MISS lines; nothing here fails
// because a number is low.
//
// Everything stops by itself: each sysbench run is bounded, the whole run has -timeout, and the
// servers and the sidecar are stopped at the end (also on Ctrl-C).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"sidecar/integration"
)

// config is what the flags set.
type config struct {
	duration  time.Duration
	warmup    time.Duration
	repeats   int
	threads   int
	tableSize int
	orders    int
	only      map[string]bool
	quick     bool
	jsonPath  string
	pngPath   string
	mdPath    string
	goBench   string
	bin       string
	timeout   time.Duration
	keepLogs  bool
	profile   string // directory for the sidecar's CPU profiles, one per measured run
	// proxysql is a ProxySQL binary to run beside the sidecar ("" for none); proxysqlThreads its
	// mysql-threads (0: ProxySQL's default)
	proxysql        string
	proxysqlThreads int
	procs           int // the sidecar's procs (0: its default)
}

func main() {
	if spec := os.Getenv(envRelay); spec != "" {
		os.Exit(relayMain(spec))
	}
	os.Exit(run())
}

func run() int {
	var c config
	var only string
	flag.DurationVar(&c.duration, "duration", 10*time.Second, "length of one measured sysbench run")
	flag.DurationVar(&c.warmup, "warmup", 2*time.Second, "unmeasured run per workload and target before the repeats (0: none)")
	flag.IntVar(&c.repeats, "repeats", 3, "measured runs per workload and target, alternating direct and sidecar")
	flag.IntVar(&c.threads, "threads", 4, "sysbench threads")
	flag.IntVar(&c.tableSize, "table-size", 10000, "rows in sbtest1")
	flag.IntVar(&c.orders, "orders", 1000, "orders created for the insert_event workload")
	flag.StringVar(&only, "only", "", "comma-separated workloads to run (default all): "+strings.Join(workloadNames(), ","))
	flag.BoolVar(&c.quick, "quick", false, "smoke run (~2 minutes): -duration 3s -repeats 1 -warmup 1s unless set, outputs in a temporary directory unless set")
	flag.StringVar(&c.jsonPath, "json", "", "JSON results file (default MODULE/bench-results.json)")
	flag.StringVar(&c.pngPath, "png", "", "PNG chart of the ratios (default MODULE/bench-ratios.png)")
	flag.StringVar(&c.mdPath, "md", "", "markdown report (default MODULE/BENCH.md; \"-\" for none)")
	flag.StringVar(&c.goBench, "gobench", "", "file with `go test -bench` output to include in the markdown report")
	flag.StringVar(&c.bin, "bin", "", "benchmark this sidecar binary instead of building ./cmd/sidecar")
	flag.DurationVar(&c.timeout, "timeout", 25*time.Minute, "give up (and clean up) after this long")
	flag.BoolVar(&c.keepLogs, "keep-logs", false, "print where the sidecar log is and keep a copy of it next to the JSON file")
	flag.StringVar(&c.profile, "profile", "", "write a pprof CPU profile of the sidecar for each measured sidecar run into this directory")
	flag.StringVar(&c.proxysql, "proxysql", os.Getenv(integration.ProxySQLBinEnv), "ProxySQL 2.7 binary to measure side by side (default $PROXYSQL_BIN; \"\" for none)")
	flag.IntVar(&c.proxysqlThreads, "proxysql-threads", 0, "ProxySQL's mysql-threads (0: ProxySQL's default, 4)")
	flag.IntVar(&c.procs, "procs", 0, "the sidecar's procs, CPUs running its goroutines (0: its default, half the CPUs)")
	flag.Parse()

	set := map[string]bool{}
	flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if c.quick {
		if !set["duration"] {
			c.duration = 3 * time.Second
		}
		if !set["repeats"] {
			c.repeats = 1
		}
		if !set["warmup"] {
			c.warmup = time.Second
		}
	}
	if c.proxysql != "" {
		if fi, err := os.Stat(c.proxysql); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			fmt.Fprintf(os.Stderr, "bench: -proxysql / $%s %q is not an executable file\n", integration.ProxySQLBinEnv, c.proxysql)
			return 2
		}
	}
	if c.repeats < 1 || c.threads < 1 || c.duration < time.Second || c.tableSize < 1 || c.orders < 1 || c.proxysqlThreads < 0 || c.procs < 0 {
		fmt.Fprintln(os.Stderr, "bench: -repeats, -threads, -table-size and -orders must be >= 1, -duration >= 1s, -proxysql-threads >= 0")
		return 2
	}
	if only != "" {
		c.only = map[string]bool{}
		for _, w := range strings.Split(only, ",") {
			w = strings.TrimSpace(w)
			if !containsString(workloadNames(), w) {
				fmt.Fprintf(os.Stderr, "bench: unknown workload %q (have %s)\n", w, strings.Join(workloadNames(), ","))
				return 2
			}
			c.only[w] = true
		}
	}
	root, err := integration.ModuleRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	outDir := root
	if c.quick {
		outDir = filepath.Join(os.TempDir(), "sidecar-bench-quick")
		if err := os.MkdirAll(outDir, 0o755); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return 1
		}
	}
	if c.jsonPath == "" {
		c.jsonPath = filepath.Join(outDir, "bench-results.json")
	}
	if c.pngPath == "" {
		c.pngPath = filepath.Join(outDir, "bench-ratios.png")
	}
	if c.mdPath == "" {
		c.mdPath = filepath.Join(outDir, "BENCH.md")
	}
	if c.profile != "" {
		if err := os.MkdirAll(c.profile, 0o755); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return 1
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	// Servers and the sidecar are stopped however we leave (the harness also gives them a
	// parent-death signal, so even a SIGKILL of this process leaves nothing running).
	defer integration.Cleanup()

	start := time.Now()
	rep, err := bench(ctx, c)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			fmt.Fprintf(os.Stderr, "bench: gave up after -timeout %v\n", c.timeout)
		}
		return 1
	}
	rep.Elapsed = time.Since(start).Round(time.Second).String()
	if err := rep.write(c); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	fmt.Printf("\nbench: done in %s; wrote %s, %s", rep.Elapsed, c.jsonPath, c.pngPath)
	if c.mdPath != "-" {
		fmt.Printf(", %s", c.mdPath)
	}
	fmt.Println()
	return 0
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
