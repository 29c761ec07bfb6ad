package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"sidecar/integration"
)

// Report is everything a run produced; it is also the JSON file.
type Report struct {
	Date     string   `json:"date"`
	Machine  Machine  `json:"machine"`
	Settings Settings `json:"settings"`
	Results  []Result `json:"results"`
	Targets  []Target `json:"targets"`
	// ProxySQLTargets are issue 17's targets, sidecar ÷ ProxySQL in this run (with -proxysql only).
	ProxySQLTargets []Target `json:"proxysql_targets,omitempty"`
	Elapsed         string   `json:"elapsed"`
	// /proc/loadavg before the servers started and after the last run: other work on the machine
	// disturbs the figures (see also each run's other_cpu_cores).
	LoadAvgStart string `json:"loadavg_start"`
	LoadAvgEnd   string `json:"loadavg_end"`
	// SidecarLogTail is the sidecar's last warnings and errors when a workload failed through it.
	SidecarLogTail string `json:"sidecar_log_tail,omitempty"`

	sidecarLog string
}

// Machine describes where the numbers come from.
type Machine struct {
	NProc    int    `json:"nproc"`
	CPU      string `json:"cpu"`
	MemTotal string `json:"mem_total"`
	Kernel   string `json:"kernel"`
	MariaDB  string `json:"mariadb"`
	Go       string `json:"go"`
	Sysbench string `json:"sysbench"`
	Commit   string `json:"commit"`
	ProxySQL string `json:"proxysql,omitempty"` // its version, with -proxysql
}

// Settings are the run's parameters.
type Settings struct {
	Threads     int      `json:"threads"`
	Duration    string   `json:"duration"`
	Repeats     int      `json:"repeats"`
	Warmup      string   `json:"warmup"`
	TableSize   int      `json:"table_size"`
	Orders      int      `json:"orders"`
	Quick       bool     `json:"quick"`
	MariaDBArgs []string `json:"mariadb_extra_args"`
	Command     string   `json:"command"`
	Sidecar     string   `json:"sidecar_binary"`
	ProxySQL    string   `json:"proxysql_binary,omitempty"`
	// ProxySQLThreads is ProxySQL's mysql-threads; 0: ProxySQL's default (4)
	ProxySQLThreads int `json:"proxysql_threads,omitempty"`
	// Procs is the sidecar's procs as given (-procs; 0: its default) and
	// SidecarProcs the CPUs running its goroutines, as its /metrics said.
	Procs        int `json:"procs,omitempty"`
	SidecarProcs int `json:"sidecar_procs"`
}

// Target is one of issue 7's (or with ProxySQL, issue 17's) targets, checked against this run.
type Target struct {
	Status string `json:"status"` // PASS, MISS, N/A
	What   string `json:"what"`
	Got    string `json:"got"`
}

func newReport(c config, e *env) *Report {
	r := &Report{
		Date:    time.Now().UTC().Format("2006-01-02 15:04 MST"),
		Machine: machine(e.version),
		Settings: Settings{
			Threads: c.threads, Duration: c.duration.String(), Repeats: c.repeats, Warmup: c.warmup.String(),
			TableSize: c.tableSize, Orders: c.orders, Quick: c.quick, MariaDBArgs: mariadbArgs,
			Command: commandLine(c), Procs: c.procs, SidecarProcs: e.procs,
			Sidecar: "built from the working tree (go build ./cmd/sidecar)",
		},
	}
	if c.bin != "" {
		r.Settings.Sidecar = c.bin + " (-bin)"
	}
	if c.proxysql != "" {
		r.Settings.ProxySQL, r.Settings.ProxySQLThreads = c.proxysql, c.proxysqlThreads
		r.Machine.ProxySQL = proxysqlVersion(c.proxysql)
	}
	return r
}

// withProxySQL says whether ProxySQL ran beside the sidecar.
func (r *Report) withProxySQL() bool { return r.Settings.ProxySQL != "" }

// commandLine is how this run was started: `make bench [BENCHFLAGS=…]` when the Makefile passed the
// Go micro-benchmarks' output (-gobench), else the go run command.
func commandLine(c config) string {
	var args []string
	for i := 1; i < len(os.Args); i++ {
		a := os.Args[i]
		if c.goBench != "" && (a == "-gobench" || a == "--gobench") {
			i++
			continue
		}
		if c.goBench != "" && (strings.HasPrefix(a, "-gobench=") || strings.HasPrefix(a, "--gobench=")) {
			continue
		}
		args = append(args, a)
	}
	// ProxySQL from the environment ($PROXYSQL_BIN) rather than -proxysql
	pxEnv := ""
	if c.proxysql != "" && !slices.ContainsFunc(args, func(a string) bool {
		return a == "-proxysql" || a == "--proxysql" || strings.HasPrefix(a, "-proxysql=") || strings.HasPrefix(a, "--proxysql=")
	}) {
		pxEnv = integration.ProxySQLBinEnv + "=" + c.proxysql
	}
	if c.goBench != "" {
		cmd := "make bench"
		if pxEnv != "" {
			cmd += " " + pxEnv
		}
		if len(args) == 0 {
			return cmd
		}
		return fmt.Sprintf("%s BENCHFLAGS='%s'", cmd, strings.Join(args, " "))
	}
	return strings.TrimSpace(strings.TrimSpace(pxEnv+" go run ./integration/bench") + " " + strings.Join(args, " "))
}

func machine(mariadb string) Machine {
	m := Machine{NProc: runtime.NumCPU(), MariaDB: mariadb, Go: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				var kib int64
				fmt.Sscan(strings.TrimSpace(rest), &kib)
				m.MemTotal = fmt.Sprintf("%.1f GiB", float64(kib)/(1<<20))
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = "Linux " + strings.TrimSpace(string(b))
	}
	if bin, err := integration.ToolPath("sysbench"); err == nil {
		if out, err := exec.Command(bin, "--version").Output(); err == nil {
			m.Sysbench = strings.TrimSpace(string(out))
		}
	}
	if root, err := integration.ModuleRoot(); err == nil {
		if out, err := exec.Command("git", "-C", root, "rev-parse", "--short", "HEAD").Output(); err == nil {
			m.Commit = strings.TrimSpace(string(out))
			if st, err := exec.Command("git", "-C", root, "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(bytes.TrimSpace(st)) > 0 {
				m.Commit += " + uncommitted changes"
			}
		}
	}
	return m
}

// maxOf is the largest median figure f of any workload and target.
func (r *Report) maxOf(f func(*Side) float64) float64 {
	m := 0.0
	for _, res := range r.Results {
		for _, s := range []*Side{res.Direct, res.Sidecar, res.ProxySQL} {
			if s != nil {
				m = max(m, f(s))
			}
		}
	}
	return m
}

// disturbance says, when it is large enough to matter (≥ 0.1 cores), how much CPU went to
// processes outside the benchmark and to other guests of the hypervisor.
func (r *Report) disturbance() string {
	var parts []string
	if busy := r.maxOf(func(s *Side) float64 { return s.OtherCPU }); busy >= 0.1 {
		parts = append(parts, fmt.Sprintf("other processes used up to %.2f cores (column \"other CPU\")", busy))
	}
	if steal := r.maxOf(func(s *Side) float64 { return s.StealCPU }); steal >= 0.1 {
		parts = append(parts, fmt.Sprintf("the hypervisor stole up to %.2f cores (column \"steal\")", steal))
	}
	if parts == nil {
		return ""
	}
	return "During the runs " + strings.Join(parts, " and ") + ": the figures are disturbed."
}

func (r *Report) result(name string) *Result {
	for i := range r.Results {
		if r.Results[i].Name == name {
			return &r.Results[i]
		}
	}
	return nil
}

// checkTargets evaluates issue 7's targets. They are reported, never enforced.
func (r *Report) checkTargets() {
	threadsNote := ""
	if r.Settings.Threads != 4 {
		threadsNote = fmt.Sprintf(" (measured at %d threads; the target is stated at 4)", r.Settings.Threads)
	}
	notRun := func(name string) (Target, bool) {
		res := r.result(name)
		switch {
		case res == nil:
			return Target{Status: "N/A", Got: name + " not run"}, false
		case res.SidecarErr != "":
			return Target{Status: "MISS", Got: "sidecar " + res.SidecarErr}, false
		case res.DirectErr != "":
			return Target{Status: "N/A", Got: "direct " + res.DirectErr}, false
		case res.Sidecar == nil || res.Direct == nil:
			return Target{Status: "N/A", Got: name + " incomplete"}, false
		}
		return Target{}, true
	}
	status := func(ok bool) string {
		if ok {
			return "PASS"
		}
		return "MISS"
	}
	// The bare relay is the floor of any hop on this machine: shown beside
	// the point-select targets, it tells a miss of the proxy from one of the box.
	floor := ""
	if _, ok := notRun("relay_point_select_ps"); ok {
		relay := r.result("relay_point_select_ps")
		floor = fmt.Sprintf("; bare relay in this run: %.2f×, %.1f µs/query", relay.Ratio, relay.Sidecar.ProxyCPUus)
	}
	for _, name := range []string{"point_select_ps", "point_select_text", "point_select_ps_1server", "point_select_ps_socket"} {
		t, ok := notRun(name)
		t.What = fmt.Sprintf("%s: sidecar ≥ 0.5× direct QPS at 4 threads with sidecar CPU ≤ 25 µs/query", name)
		if ok {
			res := r.result(name)
			t.Status = status(res.Ratio >= 0.5 && res.Sidecar.ProxyCPUus <= 25)
			t.Got = fmt.Sprintf("%.2f× (%.0f vs %.0f QPS), %.1f µs/query%s%s", res.Ratio, res.Sidecar.QPS, res.Direct.QPS, res.Sidecar.ProxyCPUus, floor, threadsNote)
		}
		r.Targets = append(r.Targets, t)
	}
	for _, x := range []struct{ name, what string }{
		{"insert_hash", "hash-vindex INSERT (oltp_insert): sidecar ≥ 0.5× direct"},
		{"insert_lookup", "consistent-lookup INSERT: sidecar ≥ 0.5× its hand-written direct equivalent (events/s)"},
		{"insert_lookup_1server", "consistent-lookup INSERT, shards in one mariadbd: sidecar ≥ 0.5× its hand-written direct equivalent (events/s)"},
	} {
		t, ok := notRun(x.name)
		t.What = x.what
		if ok {
			res := r.result(x.name)
			t.Status = status(res.Ratio >= 0.5)
			t.Got = fmt.Sprintf("%.2f× (%.0f vs %.0f events/s)", res.Ratio, res.Sidecar.EventsPerSec, res.Direct.EventsPerSec)
		}
		r.Targets = append(r.Targets, t)
	}
	t, ok := notRun("insert_event")
	t.What = "warm-cache non-owner INSERT (corder_event) ≥ 0.9× the hash-vindex INSERT, both through the sidecar"
	if ok {
		if h, hok := notRun("insert_hash"); !hok {
			t = h
			t.What = "warm-cache non-owner INSERT (corder_event) ≥ 0.9× the hash-vindex INSERT, both through the sidecar"
		} else {
			ev, hash := r.result("insert_event").Sidecar.EventsPerSec, r.result("insert_hash").Sidecar.EventsPerSec
			t.Status = status(ev >= 0.9*hash)
			t.Got = fmt.Sprintf("%.2f× (%.0f vs %.0f events/s)", ev/hash, ev, hash)
		}
	}
	r.Targets = append(r.Targets, t)
	if r.withProxySQL() {
		r.checkProxySQLTargets()
	}
}

// checkProxySQLTargets evaluates issue 17's targets: ratios sidecar ÷ ProxySQL of medians measured
// side by side in this run. Reported, never enforced.
func (r *Report) checkProxySQLTargets() {
	both := func(name string) (*Result, Target, bool) {
		res := r.result(name)
		switch {
		case res == nil:
			return nil, Target{Status: "N/A", Got: name + " not run"}, false
		case res.SidecarErr != "":
			return nil, Target{Status: "MISS", Got: "sidecar " + res.SidecarErr}, false
		case res.ProxySQLErr != "":
			return nil, Target{Status: "N/A", Got: "proxysql " + res.ProxySQLErr}, false
		case res.Sidecar == nil || res.ProxySQL == nil:
			return nil, Target{Status: "N/A", Got: name + " incomplete"}, false
		}
		return res, Target{}, true
	}
	status := func(ok bool) string {
		if ok {
			return "PASS"
		}
		return "MISS"
	}
	cpu := func(name, what string, limit float64) {
		res, t, ok := both(name)
		t.What = what
		if ok {
			sc, px := res.Sidecar.ProxyCPUus, res.ProxySQL.ProxyCPUus
			t.Status = status(px > 0 && sc <= limit*px)
			t.Got = fmt.Sprintf("%.2f× (sidecar %.1f µs/query, ProxySQL %.1f%s)", safeDiv(sc, px), sc, px,
				repeatSpread(res, func(r Run) float64 { return r.ProxyCPUus }))
		}
		r.ProxySQLTargets = append(r.ProxySQLTargets, t)
	}
	qps := func(name, what string) {
		res, t, ok := both(name)
		t.What = what
		if ok {
			sc, px := res.Sidecar.QPS, res.ProxySQL.QPS
			t.Status = status(sc >= px)
			t.Got = fmt.Sprintf("%.2f× (sidecar %.0f QPS, ProxySQL %.0f%s)", safeDiv(sc, px), sc, px,
				repeatSpread(res, func(r Run) float64 { return r.QPS }))
		}
		r.ProxySQLTargets = append(r.ProxySQLTargets, t)
	}
	for _, x := range []struct{ name, layout string }{
		{"point_select_ps", "two shards"}, {"point_select_text", "two shards"},
		{"point_select_ps_1server", "one server"}, {"point_select_text_1server", "one server"},
	} {
		cpu(x.name, fmt.Sprintf("%s (%s): sidecar CPU per query ≤ ProxySQL's", x.name, x.layout), 1)
	}
	for _, name := range []string{"point_select_ps_1server", "point_select_text_1server"} {
		qps(name, name+" (one server): sidecar QPS ≥ ProxySQL's")
	}
	cpu("insert_hash", "insert_hash (hash-vindex INSERT, two shards): sidecar CPU per query ≤ 1.2× ProxySQL's", 1.2)
}

// repeatSpread is the range of the ratio sidecar ÷ ProxySQL of f over the repeats, each run
// against the other of its repeat ("" with fewer than two repeats): the two ran a few seconds
// apart, so the range shows how much the machine's noise moves a ratio of medians.
func repeatSpread(res *Result, f func(Run) float64) string {
	byRepeat := map[int][2]float64{}
	for _, r := range res.Runs {
		if r.Repeat == 0 || r.Err != "" {
			continue
		}
		v := byRepeat[r.Repeat]
		switch r.Target {
		case "sidecar":
			v[0] = f(r)
		case "proxysql":
			v[1] = f(r)
		}
		byRepeat[r.Repeat] = v
	}
	lo, hi, n := 0.0, 0.0, 0
	for _, v := range byRepeat {
		if v[0] <= 0 || v[1] <= 0 {
			continue
		}
		x := v[0] / v[1]
		if n == 0 || x < lo {
			lo = x
		}
		if n == 0 || x > hi {
			hi = x
		}
		n++
	}
	if n < 2 {
		return ""
	}
	return fmt.Sprintf("; per repeat %.2f–%.2f×", lo, hi)
}

func safeDiv(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// row is one line of the results table.
type row struct {
	workload, target                                 string
	qps, eps, p95, cpu, rss, db, stmts, other, steal string
	ratio, p95ratio                                  string
}

// header is the table's first line; with ProxySQL, the proxy columns hold its figures too.
func (r *Report) header() row {
	h := row{workload: "workload", target: "target", qps: "QPS", eps: "events/s", p95: "p95 ms",
		cpu: "sidecar CPU µs/query", rss: "sidecar peak RSS MiB", db: "db CPU µs/event", stmts: "db stmts/event",
		other: "other CPU (cores)", steal: "steal (cores)", ratio: "ratio events/s", p95ratio: "ratio p95"}
	if r.withProxySQL() {
		h.cpu, h.rss = "proxy CPU µs/query", "proxy peak RSS MiB"
	}
	return h
}

// failure is a failed side of a workload, listed under the table.
type failure struct {
	workload, target, err string
}

func (r *Report) failures() []failure {
	var fs []failure
	for _, res := range r.Results {
		if res.DirectErr != "" {
			fs = append(fs, failure{res.Name, "direct", res.DirectErr})
		}
		if res.SidecarErr != "" {
			fs = append(fs, failure{res.Name, "sidecar", res.SidecarErr})
		}
		if res.ProxySQLErr != "" {
			fs = append(fs, failure{res.Name, "proxysql", res.ProxySQLErr})
		}
	}
	return fs
}

func (r *Report) rows() []row {
	var rows []row
	n := 0
	for _, res := range r.Results {
		sides := []string{"direct", "sidecar"}
		if res.ProxySQL != nil || res.ProxySQLErr != "" {
			sides = append(sides, "proxysql")
		}
		for _, side := range sides {
			s, errText := res.Direct, res.DirectErr
			ratio, p95ratio := res.Ratio, res.P95Ratio
			switch side {
			case "sidecar":
				s, errText = res.Sidecar, res.SidecarErr
			case "proxysql":
				s, errText = res.ProxySQL, res.ProxySQLErr
				ratio, p95ratio = res.ProxySQLRatio, res.ProxySQLP95Ratio
			}
			x := row{target: side}
			if side == "sidecar" {
				x.target = res.Via
			}
			if side == "direct" {
				x.workload = res.Name
			}
			mark := ""
			if errText != "" {
				n++
				mark = fmt.Sprintf("failed [%d]", n)
			}
			switch {
			case s == nil && mark != "":
				x.qps = mark
			case s == nil:
				x.qps = "not run"
			default:
				x.qps, x.eps = fmt.Sprintf("%.0f", s.QPS), fmt.Sprintf("%.0f", s.EventsPerSec)
				x.p95, x.db = fmt.Sprintf("%.2f", s.P95ms), fmt.Sprintf("%.1f", s.DBCPUus)
				x.stmts = fmt.Sprintf("%.2f", s.DBStatements)
				x.other, x.steal = fmt.Sprintf("%.2f", s.OtherCPU), fmt.Sprintf("%.2f", s.StealCPU)
				if side != "direct" {
					x.cpu, x.rss = fmt.Sprintf("%.1f", s.ProxyCPUus), fmt.Sprintf("%.1f", s.ProxyRSSMiB)
					if ratio > 0 {
						x.ratio, x.p95ratio = fmt.Sprintf("%.2f×", ratio), fmt.Sprintf("%.2f×", p95ratio)
					}
				}
				if mark != "" { // failed after some good runs
					x.ratio = mark
				}
			}
			rows = append(rows, x)
		}
	}
	return rows
}

func (x row) cells() []string {
	return []string{x.workload, x.target, x.qps, x.eps, x.p95, x.cpu, x.rss, x.db, x.stmts, x.other, x.steal, x.ratio, x.p95ratio}
}

// failureLines lists the failures the table refers to as [n], then the notes on odd runs.
func (r *Report) failureLines() string {
	var b strings.Builder
	for i, f := range r.failures() {
		fmt.Fprintf(&b, "[%d] %s through %s: %s\n", i+1, f.workload, f.target, f.err)
	}
	for _, res := range r.Results {
		for _, n := range res.Notes {
			fmt.Fprintf(&b, "note: %s, %s\n", res.Name, n)
		}
	}
	return strings.ReplaceAll(b.String(), "through direct", "direct")
}

func (r *Report) textTable() string {
	var b bytes.Buffer
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	for _, x := range append([]row{r.header()}, r.rows()...) {
		fmt.Fprintln(tw, strings.Join(x.cells(), "\t")+"\t")
	}
	tw.Flush()
	b.WriteString(r.failureLines())
	return b.String()
}

func (r *Report) markdownTable() string {
	var b strings.Builder
	h := r.header().cells()
	b.WriteString("| " + strings.Join(h, " | ") + " |\n")
	b.WriteString("|---|---|" + strings.Repeat("---:|", len(h)-2) + "\n")
	for _, x := range r.rows() {
		c := x.cells()
		for i := range c {
			if strings.HasPrefix(c[i], "failed") {
				c[i] = "**" + c[i] + "**"
			}
		}
		if c[0] != "" {
			c[0] = "`" + c[0] + "`"
		}
		b.WriteString("| " + strings.Join(c, " | ") + " |\n")
	}
	if fl := r.failureLines(); fl != "" {
		b.WriteString("\n")
		for _, line := range strings.Split(strings.TrimRight(fl, "\n"), "\n") {
			b.WriteString("- " + strings.ReplaceAll(line, "|", `\|`) + "\n")
		}
	}
	return b.String()
}

func targetLines(ts []Target) string {
	var b strings.Builder
	for _, t := range ts {
		fmt.Fprintf(&b, "%-4s  %s: %s\n", t.Status, t.What, t.Got)
	}
	return b.String()
}

// proxysqlHowTo says how to get the ProxySQL columns, for a run without them.
const proxysqlHowTo = "No ProxySQL in this run. For ProxySQL side by side (issue 17's targets), build ProxySQL 2.7 with " +
	"../shared/tools/proxysql-build/build.sh (see its NOTES.md), then run `make bench PROXYSQL_BIN=/opt/proxysql/proxysql`."

// title names what the run compares.
func (r *Report) title() string {
	if r.withProxySQL() {
		return "the sidecar and ProxySQL side by side with direct MariaDB"
	}
	return "the sidecar side by side with direct MariaDB"
}

// write prints the table and writes the JSON, the chart and the markdown report.
func (r *Report) write(c config) error {
	r.checkTargets()
	fmt.Printf("\n%s — %d threads, %s × %d repeats (medians), %s\n\n",
		r.title(), r.Settings.Threads, r.Settings.Duration, r.Settings.Repeats, r.Machine.CPU)
	fmt.Print(r.textTable())
	fmt.Println()
	fmt.Print(targetLines(r.Targets))
	if r.withProxySQL() {
		fmt.Printf("\nsidecar ÷ ProxySQL (issue 17's targets), medians of this run:\n%s", targetLines(r.ProxySQLTargets))
	} else {
		fmt.Printf("\n%s\n", proxysqlHowTo)
	}
	if r.SidecarLogTail != "" {
		fmt.Fprintf(os.Stderr, "\n--- the sidecar's last warnings and errors:\n%s\n", r.SidecarLogTail)
	}
	if d := r.disturbance(); d != "" {
		fmt.Printf("\nWARNING (medians per workload and target): %s Load average %s at the start, %s at the end.\n", d, r.LoadAvgStart, r.LoadAvgEnd)
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(c.jsonPath, append(b, '\n'), 0o644); err != nil {
		return err
	}
	if err := writeChart(r, c.pngPath); err != nil {
		return fmt.Errorf("chart: %w", err)
	}
	if c.keepLogs && r.sidecarLog != "" {
		p := filepath.Join(filepath.Dir(c.jsonPath), "bench-sidecar.log")
		if err := os.WriteFile(p, []byte(r.sidecarLog), 0o644); err != nil {
			return err
		}
		fmt.Printf("sidecar log: %s\n", p)
	}
	if c.mdPath != "-" {
		if err := os.WriteFile(c.mdPath, []byte(r.markdown(c)), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// procsNote says how many CPUs ran the sidecar's goroutines, and why.
func (r *Report) procsNote() string {
	if r.Settings.Procs > 0 {
		return fmt.Sprintf("Its goroutines ran on %d CPUs (`procs: %d`, -procs).", r.Settings.SidecarProcs, r.Settings.Procs)
	}
	return fmt.Sprintf("Its goroutines ran on %d of the %d CPUs: its default `procs`, half the CPUs (or $GOMAXPROCS when set), "+
		"since Go's scheduler spends CPU per query waking idle Ps.", r.Settings.SidecarProcs, r.Machine.NProc)
}

// proxysqlSection is BENCH.md's section on ProxySQL: how it ran and issue 17's targets, or how to
// get it.
func (r *Report) proxysqlSection(w func(format string, args ...any)) {
	w("## ProxySQL side by side (issue 17)\n\n")
	if !r.withProxySQL() {
		w("%s\n\n", proxysqlHowTo)
		return
	}
	threads := "ProxySQL's default mysql-threads (4)"
	if r.Settings.ProxySQLThreads > 0 {
		threads = fmt.Sprintf("mysql-threads=%d (-proxysql-threads)", r.Settings.ProxySQLThreads)
	}
	w("%s (`%s`), started by this run (`integration.StartProxySQL`) with %s and otherwise its defaults "+
		"(multiplexing, query digests, connection pool, monitor), one hostgroup holding one server and no query rules, "+
		"runs what the direct side runs: the `proxysql` rows. "+
		"In `point_select_ps`, `point_select_text` and `insert_hash` it is in front of the direct server, while the sidecar routes to two shards in two mariadbd. "+
		"In `point_select_ps_1server` and `point_select_text_1server` (run only with ProxySQL) a second ProxySQL is in front of the first shard server, "+
		"whose database `%s` holds the whole table: the same single mariadbd that holds keyspace `%s`'s two shards behind the sidecar.\n\n",
		r.Machine.ProxySQL, r.Settings.ProxySQL, threads, oneServerDB, oneServerDB)
	if r.Settings.ProxySQLThreads == 0 {
		w("Each runs as configured by default: ProxySQL with 4 threads, the sidecar on %d CPU(s) (see \"What is measured\"). "+
			"Fewer threads cost ProxySQL less CPU per query too; `-proxysql-threads %d -procs %d` compares them at equal threads.\n\n",
			r.Settings.SidecarProcs, r.Settings.SidecarProcs, r.Settings.SidecarProcs)
	}
	w("Issue 17's targets, as ratios sidecar ÷ ProxySQL of the medians above (with the range of the ratio over the repeats, each sidecar run against the ProxySQL run of its repeat). "+
		"**All come from this one run** on a %d-CPU machine that other work shared (see \"other CPU\" and the load average above): "+
		"the figures are noisy, and a ratio near 1 can fall either side of it in another run. A MISS is reported, not enforced.\n\n", r.Machine.NProc)
	w("| status | target | sidecar ÷ ProxySQL |\n|---|---|---|\n")
	for _, t := range r.ProxySQLTargets {
		w("| %s | %s | %s |\n", t.Status, strings.ReplaceAll(t.What, "|", `\|`), strings.ReplaceAll(t.Got, "|", `\|`))
	}
	w("\n")
}

func (r *Report) markdown(c config) string {
	var b strings.Builder
	chart, _ := filepath.Rel(filepath.Dir(c.mdPath), c.pngPath)
	if chart == "" || strings.HasPrefix(chart, "..") {
		chart = c.pngPath
	}
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("# Benchmark: %s\n\n", r.title())
	w("Written by `make bench` (`go run ./integration/bench`) on %s; do not edit by hand.", r.Date)
	if r.Settings.Quick {
		w(" **This is a -quick smoke run: too short for conclusions.**")
	}
	w("\n\n## Reproduce\n\n```sh\nmake bench                                      # this report + the Go micro-benchmarks\n")
	w("make bench PROXYSQL_BIN=/opt/proxysql/proxysql  # and ProxySQL 2.7 side by side (issue 17)\n")
	w("go run ./integration/bench -quick               # ~2-minute smoke run (outputs in $TMPDIR/sidecar-bench-quick)\n")
	w("go run ./integration/bench -duration 20s -repeats 5 -threads 8 -only point_select_ps,insert_hash\n```\n\n")
	w("This run: `%s` — %d threads, %s per run, %d repeats (medians), %s warm-up per workload and target.\n\n",
		strings.TrimSpace(r.Settings.Command), r.Settings.Threads, r.Settings.Duration, r.Settings.Repeats, r.Settings.Warmup)
	w("## Machine\n\n| | |\n|---|---|\n")
	w("| CPUs (nproc) | %d |\n| CPU | %s |\n| memory | %s |\n| kernel | %s |\n| MariaDB | %s |\n| Go | %s |\n| sysbench | %s |\n",
		r.Machine.NProc, r.Machine.CPU, r.Machine.MemTotal, r.Machine.Kernel, r.Machine.MariaDB, r.Machine.Go, r.Machine.Sysbench)
	if r.withProxySQL() {
		w("| ProxySQL | %s |\n", r.Machine.ProxySQL)
	}
	w("| commit | %s |\n\n", r.Machine.Commit)
	proxies := "the sidecar"
	if r.withProxySQL() {
		proxies = "the sidecar, two ProxySQL"
	}
	w("Everything runs on this one machine: sysbench, %s and three mariadbd, so on a small box they compete for the same cores. "+
		"Load average %s before the run, %s after it.", proxies, r.LoadAvgStart, r.LoadAvgEnd)
	if d := r.disturbance(); d != "" {
		w(" **%s**", d)
	}
	w("\n\n")
	w("## Results\n\n")
	b.WriteString(r.markdownTable())
	w("\n![sidecar/direct ratios](%s)\n\n", chart)
	w("### Targets (issue 7)\n\n```\n%s```\n\n", targetLines(r.Targets))
	r.proxysqlSection(w)
	w("## What is measured\n\n")
	w("- **Servers**: three mariadbd started by the integration harness (`integration.StartMariaDB`) with the same settings: "+
		"64 MB buffer pool, no doublewrite, no binlog, `innodb_flush_log_at_trx_commit=2`, plus `%s`. "+
		"Two are the shards `-80` and `80-` of the sharded keyspaces `sbtest` and `sbinsert`; the third is the direct server, which holds every table unsharded. "+
		"The workloads named `*_1server` run on keyspace `%s` instead, whose two shards are two databases of the first server: "+
		"behind the sidecar as behind direct there is then one mariadbd. On this 2-core machine a second mariadbd process costs each statement "+
		"database CPU of its own (its threads compete with the first server's and with the sidecar for the same cores), "+
		"which a deployment with one host per shard does not pay; comparing each `*_1server` row with its two-server twin shows that cost.\n",
		strings.Join(r.Settings.MariaDBArgs, " "), oneServerDB)
	w("- **Sidecar**: %s; keyspaces `sbtest` and `sbone` with the same VSchema (in `integration/bench/setup.go`): "+
		"`sbtest1` by `hash(id)`; `users` by `hash(id)` owning a `consistent_lookup_unique` on `email` (table `users_email_lookup`, "+
		"sharded by `unicode_loose_md5`); `corder` by `hash(customer_id)` owning `corder_keyspace_idx` on `corder_id` (sharded by `hash`), "+
		"which is `corder_event`'s primary vindex (seed 002). Listens on TCP and on a Unix socket (`listen_socket`; the `*_socket` workloads reach it there, as an application on the same host would, while direct stays on TCP, as an application reaches a database on another host). Backend pool size max(16, 2×threads), `lock_wait_timeout: 5s` (a deadlock across shards, which oltp_read_write makes now and then, is a lock wait on each shard, which the sidecar breaks within about two seconds; the timeout bounds any it cannot see; the direct server detects its deadlocks at once), lookup cache 100000 entries, TTL 1h, shard hints on, log level info. %s\n", r.Settings.Sidecar, r.procsNote())
	w("- **Relay** (reference, workload `relay_point_select_ps`): a bare TCP relay in front of the direct server, this program run again in relay mode: " +
		"one goroutine per direction copying bytes through user-space buffers, no parsing and no routing. It is the floor of any proxy's extra hop on this machine; " +
		"its row shows the relay's CPU in the sidecar CPU column.\n")
	w("- **Data**: `sysbench oltp_point_select prepare --tables=1 --table-size=%d --auto_inc=off`, through the sidecar (into `sbtest` and `sbone`) and directly; "+
		"%d orders and one event per order through the sidecar and directly (which also warms the lookup cache). "+
		"`insert_hash` fills an empty `sbtest1` in a second database/keyspace `sbinsert` (same shards, `hash(id)`), truncated after each run: "+
		"oltp_insert's ids span the whole int32 range with a new seed per run, so they would hit the loaded rows or an earlier run's.\n", r.Settings.TableSize, r.Settings.Orders)
	if r.withProxySQL() {
		w("- **Workloads** (alternating direct, sidecar, ProxySQL where it runs, direct, sidecar, … for each repeat):\n")
	} else {
		w("- **Workloads** (alternating direct, sidecar, direct, sidecar, … for each repeat):\n")
	}
	for _, res := range r.Results {
		w("  - `%s`: %s", res.Name, res.Title)
		if res.DirectNote != "" {
			w("; direct: %s", res.DirectNote)
		}
		w("\n")
	}
	w("- **Figures** (median of the repeats): QPS and events/s as sysbench reports them; p95 latency (`--percentile=95`); " +
		"sidecar CPU = utime+stime of the sidecar process from `/proc/PID/stat` over the run ÷ sysbench's queries; " +
		"sidecar peak RSS = `VmHWM` from `/proc/PID/status`, reset before each run through `/proc/PID/clear_refs`; " +
		"db CPU = utime+stime of the mariadbd processes behind the target ÷ events; " +
		"db stmts = statements those servers ran (`Questions`) ÷ events, with the `Com_*` breakdown per run in the JSON; " +
		"other CPU = user+nice+system time of all CPUs (`/proc/stat`) minus the utime+stime of sysbench, the sidecar, the relay, ProxySQL (when it runs), the three mariadbd and this command, ÷ run time: load from outside the benchmark; " +
		"steal = steal time of all CPUs (`/proc/stat`) ÷ run time: CPU the hypervisor gave to other guests (either ≥ 0.1 cores is flagged). " +
		"The ratio is sidecar ÷ direct of events/s — equal to the QPS ratio except for `insert_lookup` and `insert_lookup_1server`, whose direct event is four statements. " +
		"ProxySQL's rows are measured the same way (its process in the proxy columns) and their ratio is ProxySQL ÷ direct.\n")
	w("- Full per-run figures: `bench-results.json`.\n")
	if c.goBench != "" {
		if gb, err := os.ReadFile(c.goBench); err == nil && len(bytes.TrimSpace(gb)) > 0 {
			w("\n## Go micro-benchmarks\n\n`go test -run '^$' -bench . -benchmem ./vindex/ ./planner/ ./engine/ ./sidecar/`, same run:\n\n```\n%s\n```\n", strings.TrimRight(string(gb), "\n"))
		}
	}
	return b.String()
}
