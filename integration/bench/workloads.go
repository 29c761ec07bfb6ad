package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"sidecar/integration"
)

// workload is one sysbench workload run against both targets.
type workload struct {
	name  string
	title string
	db    string // database (= keyspace) sysbench uses; default benchDB
	// what the direct side runs, when it differs from the sidecar side
	directNote string
	test       func(e *env) string // sysbench test name or lua path
	args       func(c config, t target) []string
	idBase     bool // pass a fresh --id_base for each run
	// relay: the reference workload, run through a bare TCP relay in front of the direct
	// server instead of through the sidecar
	relay bool
	// oneServer: the sidecar side runs on keyspace sbone, whose two shards are databases of one
	// mariadbd (see oneServerDB)
	oneServer bool
	// socket: sysbench reaches the sidecar through its Unix socket; direct stays on TCP
	socket bool
	// proxysql: with a ProxySQL binary (-proxysql, $PROXYSQL_BIN), ProxySQL in front of one server
	// runs the direct side's statements as a third target (in front of shard server A for a
	// oneServer workload, in front of the direct server otherwise). Only the workloads of issue 17's
	// targets get it: a third target costs a third of a workload's time.
	proxysql bool
	// proxysqlOnly: run by default only when ProxySQL is run too (-only still selects it without)
	proxysqlOnly bool
	// cleanup runs after each run of t (e.g. removes the rows oltp_insert added, whose ids could
	// repeat in a later run)
	cleanup func(ctx context.Context, e *env, c config, t target) error
}

func builtin(name string) func(*env) string { return func(*env) string { return name } }
func lua(name string) func(*env) string {
	return func(e *env) string { return filepath.Join(e.luaDir, name) }
}

func sbtestArgs(c config, extra ...string) []string {
	return append([]string{"--tables=1", fmt.Sprintf("--table-size=%d", c.tableSize)}, extra...)
}

var (
	pointSelectPS = workload{
		name:     "point_select_ps",
		title:    "oltp_point_select, prepared",
		test:     builtin("oltp_point_select"),
		args:     func(c config, _ target) []string { return sbtestArgs(c) },
		proxysql: true,
	}
	pointSelectText = workload{
		name:     "point_select_text",
		title:    "oltp_point_select, --db-ps-mode=disable",
		test:     builtin("oltp_point_select"),
		args:     func(c config, _ target) []string { return sbtestArgs(c, "--db-ps-mode=disable") },
		proxysql: true,
	}
	insertLookup = workload{
		name:       "insert_lookup",
		title:      "INSERT users (owned consistent_lookup_unique)",
		directNote: "BEGIN; INSERT lookup row; INSERT user row; COMMIT",
		test:       lua("lookup_insert.lua"),
		args: func(c config, t target) []string {
			return []string{"--mode=" + t.name}
		},
		idBase: true,
	}
)

// oneServerTwin is w run on keyspace sbone (see oneServerDB).
func oneServerTwin(w workload) workload {
	w.name += "_1server"
	w.title += " on keyspace sbone: both shards in one mariadbd, like direct"
	w.oneServer = true
	return w
}

// socketTwin is w with the sidecar reached through its Unix socket, as an application on the same
// host would reach it; direct MariaDB stays on TCP, as an application reaches a database on another
// host.
func socketTwin(w workload) workload {
	w.name += "_socket"
	w.title += ", the sidecar through its Unix socket (direct: TCP)"
	w.socket = true
	w.proxysql = false // its ProxySQL figures would be point_select_ps's
	return w
}

// proxysqlOnlyTwin is w run by default only when ProxySQL is run too.
func proxysqlOnlyTwin(w workload) workload {
	w.proxysqlOnly = true
	return w
}

var workloads = []workload{
	pointSelectPS,
	pointSelectText,
	{
		name:  "relay_point_select_ps",
		title: "oltp_point_select, prepared, through a bare TCP relay in front of the direct server instead of the sidecar: what the extra hop alone costs",
		test:  builtin("oltp_point_select"),
		args:  func(c config, _ target) []string { return sbtestArgs(c) },
		relay: true,
	},
	oneServerTwin(pointSelectPS),
	// issue 17's targets compare the sidecar's CPU per text point select with ProxySQL's on the
	// one-server layout too
	proxysqlOnlyTwin(oneServerTwin(pointSelectText)),
	socketTwin(pointSelectPS),
	{
		name:     "insert_hash",
		title:    "oltp_insert --auto_inc=off (hash vindex), into an empty sbinsert.sbtest1",
		db:       insertDB,
		test:     builtin("oltp_insert"),
		args:     func(c config, _ target) []string { return sbtestArgs(c, "--auto_inc=off") },
		cleanup:  emptyInsertTable,
		proxysql: true,
	},
	insertLookup,
	oneServerTwin(insertLookup),
	{
		name:  "insert_event",
		title: "INSERT corder_event (lookup primary vindex, warm cache)",
		test:  lua("event_insert.lua"),
		args: func(c config, _ target) []string {
			return []string{fmt.Sprintf("--orders=%d", c.orders)}
		},
		idBase: true,
	},
	{
		name:  "read_write",
		title: "oltp_read_write",
		test:  builtin("oltp_read_write"),
		args:  func(c config, _ target) []string { return sbtestArgs(c) },
	},
	{
		// The same transaction without the three range queries that need a merge across shards
		// (SUM, ORDER BY, DISTINCT): 10 point selects, 1 scattered BETWEEN, 2 updates, 1 delete
		// + 1 insert per event.
		name:  "read_write_nomerge",
		title: "oltp_read_write --sum_ranges=0 --order_ranges=0 --distinct_ranges=0",
		test:  builtin("oltp_read_write"),
		args: func(c config, _ target) []string {
			return sbtestArgs(c, "--sum_ranges=0", "--order_ranges=0", "--distinct_ranges=0")
		},
	},
}

func workloadNames() []string {
	var n []string
	for _, w := range workloads {
		n = append(n, w.name)
	}
	return n
}

// emptyInsertTable empties sbinsert.sbtest1 on the backends of t after an oltp_insert run (see
// insertDB for why).
func emptyInsertTable(ctx context.Context, _ *env, c config, t target) error {
	for _, m := range t.servers {
		if err := m.Exec(insertDB, "TRUNCATE TABLE sbtest1"); err != nil {
			return err
		}
	}
	return nil
}

// Run is one measured (or warm-up) sysbench run.
type Run struct {
	Target        string  `json:"target"`
	Repeat        int     `json:"repeat"` // 0 = warm-up
	QPS           float64 `json:"qps"`
	EventsPerSec  float64 `json:"events_per_sec"`
	Queries       int64   `json:"queries"`
	Events        int64   `json:"events"`
	IgnoredErrors int64   `json:"ignored_errors"`
	P95ms         float64 `json:"p95_ms"`
	Seconds       float64 `json:"seconds"`
	ProxyCPUus    float64 `json:"proxy_cpu_us_per_query,omitempty"`
	ProxyRSSKiB   int64   `json:"proxy_peak_rss_kib,omitempty"`
	RSSSinceStart bool    `json:"proxy_peak_rss_since_start,omitempty"` // VmHWM could not be reset
	DBCPUus       float64 `json:"db_cpu_us_per_event"`
	// statements the servers behind the target ran per event (MariaDB's Questions), and the
	// Com_* counters per event
	DBStatements float64            `json:"db_statements_per_event"`
	DBCommands   map[string]float64 `json:"db_commands_per_event,omitempty"`
	OtherCPU     float64            `json:"other_cpu_cores"` // CPU of processes outside the benchmark, in cores
	StealCPU     float64            `json:"steal_cores"`     // CPU time the hypervisor took away, in cores
	Err          string             `json:"error,omitempty"`
	// Note says what was odd about a run that completed (e.g. it stalled far past -duration).
	Note string `json:"note,omitempty"`
}

// runOnce runs w against t once and measures it.
func runOnce(ctx context.Context, e *env, c config, w workload, t target, repeat int, d time.Duration, idBase int64) Run {
	r := Run{Target: t.name, Repeat: repeat}
	db := w.db
	if db == "" {
		db = benchDB
	}
	if w.oneServer && t.name != "direct" {
		db = oneServerDB // the sidecar's keyspace sbone, or ProxySQL's database sbone on server A
	}
	args := append(connArgs(t, db), w.args(c, t)...)
	if w.idBase {
		args = append(args, fmt.Sprintf("--id_base=%d", idBase))
	}
	args = append(args,
		fmt.Sprintf("--threads=%d", c.threads),
		fmt.Sprintf("--time=%d", int(d.Round(time.Second)/time.Second)),
		"--events=0", "--report-interval=0", "--percentile=95", "--histogram=off",
		"run")
	rssReset := false
	if t.proxyPid != 0 {
		rssReset = integration.ResetPeakRSS(t.proxyPid)
	}
	before, err := e.takeSample(t)
	if err != nil {
		r.Err = err.Error()
		return r
	}
	var profiled func() (string, error)
	if t.name == "sidecar" && c.profile != "" && repeat > 0 {
		profiled = startProfile(ctx, e.adminAddr, c.profile, w.name, repeat, d)
	}
	out, clientCPU, runErr := sysbench(ctx, d+3*time.Minute, w.test(e), args...) // lock waits time out after 50 s
	if profiled != nil {
		if path, err := profiled(); err != nil {
			logf("  profile: %v", err)
		} else {
			logf("  profile: go tool pprof %s", path)
		}
	}
	after, err := e.takeSample(t)
	if err != nil {
		r.Err = err.Error()
		return r
	}
	if t.proxyPid != 0 {
		if kib, err := integration.ProcStatus(t.proxyPid, "VmHWM"); err == nil {
			r.ProxyRSSKiB = kib
		}
		r.RSSSinceStart = !rssReset
	}
	st, perr := parseSysbench(out)
	if runErr != nil || perr != nil {
		r.Err = "failed: " + firstError(out)
		if runErr != nil && ctx.Err() != nil {
			r.Err += " (" + ctx.Err().Error() + ")"
		}
		return r
	}
	r.QPS, r.EventsPerSec, r.Queries, r.Events = st.qps, st.tps, st.queries, st.events
	r.IgnoredErrors, r.P95ms, r.Seconds = st.ignored, st.p95ms, st.seconds
	if st.queries > 0 && t.proxyPid != 0 {
		r.ProxyCPUus = float64(after.proxyTicks-before.proxyTicks) * 1e6 / clockTicks / float64(st.queries)
	}
	if st.events > 0 {
		r.DBCPUus = float64(after.dbTicks-before.dbTicks) * 1e6 / clockTicks / float64(st.events)
	}
	r.DBStatements, r.DBCommands = commandsPerEvent(before, after, len(t.servers), st.events)
	// CPU the machine spent on anything but this benchmark's processes, in cores: other work on
	// a shared machine disturbs the figures.
	if wall := after.at.Sub(before.at).Seconds(); wall > 0 && after.systemBusy > 0 {
		ours := float64(after.ownTicks-before.ownTicks)/clockTicks + clientCPU.Seconds()
		r.OtherCPU = max(0, (float64(after.systemBusy-before.systemBusy)/clockTicks-ours)/wall)
		r.StealCPU = float64(after.steal-before.steal) / clockTicks / wall
	}
	if st.events == 0 {
		r.Err = "failed: no events completed"
	}
	switch {
	case st.seconds > d.Seconds()*1.2+1:
		r.Note = fmt.Sprintf("ran %.1f s instead of %v", st.seconds, d)
		if st.ignored > 0 {
			r.Note += fmt.Sprintf(" with %d ignored errors (sysbench ignores deadlocks and lock wait timeouts: 1213, 1205, 1020)", st.ignored)
		}
	case st.ignored > 0 && t.name == "sidecar":
		// One server detects its deadlocks at once; a deadlock across shards is a lock wait on
		// each, which stalls the threads in it for the lock wait timeout: such a run's figures
		// are mostly that wait.
		r.Note = fmt.Sprintf("%d ignored errors (deadlocks and lock wait timeouts, which sysbench ignores: a deadlock across shards holds its threads for the lock wait timeout)", st.ignored)
	}
	return r
}

// Side is the median of one target's measured runs.
type Side struct {
	QPS          float64 `json:"qps"`
	EventsPerSec float64 `json:"events_per_sec"`
	P95ms        float64 `json:"p95_ms"`
	ProxyCPUus   float64 `json:"proxy_cpu_us_per_query,omitempty"`
	ProxyRSSMiB  float64 `json:"proxy_peak_rss_mib,omitempty"`
	DBCPUus      float64 `json:"db_cpu_us_per_event"`
	DBStatements float64 `json:"db_statements_per_event"`
	OtherCPU     float64 `json:"other_cpu_cores"`
	StealCPU     float64 `json:"steal_cores"`
	Runs         int     `json:"runs"`
}

// Result is one workload's outcome.
type Result struct {
	Name       string  `json:"name"`
	Title      string  `json:"title"`
	DirectNote string  `json:"direct_note,omitempty"`
	Via        string  `json:"via"` // what the second target goes through: "sidecar", or "relay" for the reference workload
	Direct     *Side   `json:"direct,omitempty"`
	Sidecar    *Side   `json:"sidecar,omitempty"`
	Ratio      float64 `json:"ratio_events_per_sec,omitempty"` // sidecar / direct, medians
	P95Ratio   float64 `json:"ratio_p95,omitempty"`            // sidecar / direct, medians
	DirectErr  string  `json:"direct_error,omitempty"`
	SidecarErr string  `json:"sidecar_error,omitempty"`
	// ProxySQL in front of one server (runs with -proxysql only): ProxySQLOn says which server,
	// the ratios are proxysql / direct, medians
	ProxySQL         *Side    `json:"proxysql,omitempty"`
	ProxySQLOn       string   `json:"proxysql_in_front_of,omitempty"`
	ProxySQLRatio    float64  `json:"proxysql_ratio_events_per_sec,omitempty"`
	ProxySQLP95Ratio float64  `json:"proxysql_ratio_p95,omitempty"`
	ProxySQLErr      string   `json:"proxysql_error,omitempty"`
	Runs             []Run    `json:"runs"`
	Notes            []string `json:"notes,omitempty"`
}

// runWorkload warms up each side, then runs the repeats alternating direct and sidecar (and
// ProxySQL after them, when it runs). A side that fails is not run again; a failure of direct ends
// the workload.
func runWorkload(ctx context.Context, e *env, c config, w workload, idBase *int64) Result {
	res := Result{Name: w.name, Title: w.title, DirectNote: w.directNote, Via: "sidecar"}
	direct, sidecar := e.targets()
	if w.relay {
		sidecar = e.relayTarget()
		res.Via = sidecar.name
	}
	if w.oneServer {
		sidecar = e.oneServerTarget()
	}
	if w.socket {
		sidecar = e.socketTarget()
	}
	sides := []target{direct, sidecar}
	if w.proxysql && e.px != nil {
		px := e.proxysqlTarget(w.oneServer)
		sides = append(sides, px)
		res.ProxySQLOn = "the direct server"
		if w.oneServer {
			res.ProxySQLOn = "shard server A (database " + oneServerDB + ")"
		}
	}
	one := func(t target, repeat int, d time.Duration) (Run, bool) {
		*idBase += 100_000_000
		r := runOnce(ctx, e, c, w, t, repeat, d, *idBase)
		if w.cleanup != nil {
			if err := w.cleanup(ctx, e, c, t); err != nil && r.Err == "" {
				r.Err = "cleanup: " + err.Error()
			}
		}
		res.Runs = append(res.Runs, r)
		label := fmt.Sprintf("repeat %d", repeat)
		if repeat == 0 {
			label = "warm-up"
		}
		if r.Err != "" {
			logf("  %-7s %-8s %s", t.name, label, r.Err)
			switch t.name {
			case "direct":
				res.DirectErr = r.Err
			case "proxysql":
				res.ProxySQLErr = r.Err
			default:
				res.SidecarErr = r.Err
			}
			return r, false
		}
		extra := ""
		if t.proxyPid != 0 {
			extra = fmt.Sprintf("  %s %.1f µs/query, peak RSS %.1f MiB", t.name, r.ProxyCPUus, float64(r.ProxyRSSKiB)/1024)
		}
		if r.IgnoredErrors > 0 {
			extra += fmt.Sprintf("  (%d ignored errors)", r.IgnoredErrors)
		}
		if r.Note != "" {
			res.Notes = append(res.Notes, fmt.Sprintf("%s %s: %s", t.name, label, r.Note))
			extra += "  NOTE: " + r.Note
		}
		if r.OtherCPU >= 0.1 {
			extra += fmt.Sprintf("  (other processes used %.2f cores)", r.OtherCPU)
		}
		if r.StealCPU >= 0.1 {
			extra += fmt.Sprintf("  (the hypervisor stole %.2f cores)", r.StealCPU)
		}
		logf("  %-7s %-8s %9.0f qps %9.0f ev/s  p95 %6.2f ms  db %.1f µs/ev %.2f stmts/ev%s", t.name, label, r.QPS, r.EventsPerSec, r.P95ms, r.DBCPUus, r.DBStatements, extra)
		return r, true
	}
	logf("%s: %s", w.name, w.title)
	// A side that failed once is not run again (a refused statement fails every run the same
	// way); the other side goes on, so a failure through the sidecar still shows direct figures.
	failed := map[string]bool{}
	if c.warmup > 0 {
		for _, t := range sides {
			if ctx.Err() != nil {
				return res
			}
			if _, ok := one(t, 0, c.warmup); !ok {
				failed[t.name] = true
			}
		}
	}
	runs := map[string][]Run{}
	for rep := 1; rep <= c.repeats && !failed["direct"]; rep++ {
		for _, t := range sides {
			if ctx.Err() != nil {
				return res
			}
			if failed[t.name] {
				continue
			}
			r, ok := one(t, rep, c.duration)
			if !ok {
				failed[t.name] = true
				continue
			}
			runs[t.name] = append(runs[t.name], r)
		}
	}
	res.Direct, res.Sidecar = median(runs["direct"]), median(runs[sidecar.name])
	if len(sides) > 2 {
		res.ProxySQL = median(runs["proxysql"])
		if !failed["proxysql"] && res.Direct != nil && res.ProxySQL != nil && res.Direct.EventsPerSec > 0 {
			res.ProxySQLRatio = res.ProxySQL.EventsPerSec / res.Direct.EventsPerSec
			if res.Direct.P95ms > 0 {
				res.ProxySQLP95Ratio = res.ProxySQL.P95ms / res.Direct.P95ms
			}
		}
	}
	if failed[sidecar.name] {
		return res
	}
	if res.Direct != nil && res.Sidecar != nil && res.Direct.EventsPerSec > 0 {
		res.Ratio = res.Sidecar.EventsPerSec / res.Direct.EventsPerSec
		if res.Direct.P95ms > 0 {
			res.P95Ratio = res.Sidecar.P95ms / res.Direct.P95ms
		}
	}
	return res
}

// median of each figure separately over the runs (nil for none).
func median(runs []Run) *Side {
	if len(runs) == 0 {
		return nil
	}
	med := func(f func(Run) float64) float64 {
		v := make([]float64, len(runs))
		for i, r := range runs {
			v[i] = f(r)
		}
		sort.Float64s(v)
		n := len(v)
		if n%2 == 1 {
			return v[n/2]
		}
		return (v[n/2-1] + v[n/2]) / 2
	}
	return &Side{
		QPS:          med(func(r Run) float64 { return r.QPS }),
		EventsPerSec: med(func(r Run) float64 { return r.EventsPerSec }),
		P95ms:        med(func(r Run) float64 { return r.P95ms }),
		ProxyCPUus:   med(func(r Run) float64 { return r.ProxyCPUus }),
		ProxyRSSMiB:  med(func(r Run) float64 { return float64(r.ProxyRSSKiB) / 1024 }),
		DBCPUus:      med(func(r Run) float64 { return r.DBCPUus }),
		OtherCPU:     med(func(r Run) float64 { return r.OtherCPU }),
		StealCPU:     med(func(r Run) float64 { return r.StealCPU }),
		DBStatements: med(func(r Run) float64 { return r.DBStatements }),
		Runs:         len(runs),
	}
}

// bench sets up, runs every selected workload, stops everything and returns the report.
func bench(ctx context.Context, c config) (*Report, error) {
	load0 := loadAvg()
	e, err := setup(ctx, c)
	if e != nil {
		defer e.stopAll()
	}
	if err != nil {
		return nil, err
	}
	logf("setup took %v; %d threads, %v per run, %d repeats, warm-up %v",
		e.setupTime.Round(100*time.Millisecond), c.threads, c.duration, c.repeats, c.warmup)
	rep := newReport(c, e)
	rep.LoadAvgStart = load0
	var idBase int64
	for _, w := range workloads {
		if c.only != nil && !c.only[w.name] {
			continue
		}
		if c.only == nil && w.proxysqlOnly && e.px == nil {
			continue
		}
		if ctx.Err() != nil {
			break
		}
		r := runWorkload(ctx, e, c, w, &idBase)
		rep.Results = append(rep.Results, r)
		select {
		case <-e.sc.Exited():
			return nil, fmt.Errorf("the sidecar exited during %s: %v\n--- sidecar log:\n%s", w.name, e.sc.ExitErr(), tailLines(e.sc.Logs(), 30))
		default:
		}
		for _, px := range e.proxysqls() {
			select {
			case <-px.Exited():
				return nil, fmt.Errorf("ProxySQL (pid %d) exited during %s\n--- its log:\n%s", px.Pid(), w.name, px.Log(30))
			default:
			}
		}
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	failed := false
	for _, r := range rep.Results {
		failed = failed || r.SidecarErr != ""
	}
	for _, px := range e.proxysqls() {
		if lines := px.ErrorLines(); len(lines) > 0 {
			logf("ProxySQL on %s logged %d errors, the last: %s", px.Addr(), len(lines), lines[len(lines)-1])
		}
	}
	rep.LoadAvgEnd = loadAvg()
	if failed {
		rep.SidecarLogTail = warnings(e.sc.Logs(), 20)
	}
	if c.keepLogs {
		rep.sidecarLog = e.sc.Logs()
	}
	return rep, nil
}

// loadAvg is the first three fields of /proc/loadavg.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// warnings returns the last n lines of the sidecar log at level warn or above.
func warnings(log string, n int) string {
	var keep []string
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, `"level":"info"`) || strings.Contains(line, `"level":"debug"`) ||
			strings.Contains(line, `"level":"trace"`) || strings.TrimSpace(line) == "" {
			continue
		}
		keep = append(keep, line)
	}
	if len(keep) > n {
		keep = keep[len(keep)-n:]
	}
	return strings.Join(keep, "\n")
}
