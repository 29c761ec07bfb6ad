package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"

	"sidecar/integration"
)

// connArgs are sysbench's connection options for database db on t.
func connArgs(t target, db string) []string {
	args := []string{"--db-driver=mysql"}
	if t.socket != "" {
		args = append(args, "--mysql-socket="+t.socket)
	} else {
		host, port, _ := net.SplitHostPort(t.addr)
		args = append(args, "--mysql-host="+host, "--mysql-port="+port)
	}
	return append(args, "--mysql-user="+t.user, "--mysql-password="+t.password, "--mysql-db="+db)
}

// sysbench runs `sysbench test args...` bounded by limit and returns its combined output and the
// CPU time it used. A non-zero exit is an error.
func sysbench(ctx context.Context, limit time.Duration, test string, args ...string) (string, time.Duration, error) {
	bin, err := integration.ToolPath("sysbench")
	if err != nil {
		return "", 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{test}, args...)...)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	cmd.WaitDelay = 5 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	if ctx.Err() != nil && err != nil {
		err = fmt.Errorf("%w (%v)", err, ctx.Err())
	}
	var cpu time.Duration
	if cmd.ProcessState != nil {
		cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	return out.String(), cpu, err
}

// sample is what /proc says about the machine and the processes measured around one run.
type sample struct {
	at         time.Time
	proxyTicks int64 // utime+stime of the target's proxy (sidecar, relay or ProxySQL)
	dbTicks    int64 // sum over the target's mariadbd processes
	ownTicks   int64 // sidecar, relay, ProxySQL and all three mariadbd
	systemBusy int64 // all CPUs, running processes, from /proc/stat (0 if unknown)
	steal      int64 // all CPUs, time the hypervisor gave to other guests, from /proc/stat
	// statement counters (Questions, Com_*) summed over the target's servers; nil if unavailable
	counters map[string]int64
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat's times: 100 on every Linux architecture Go
// supports (the kernel converts to it whatever CONFIG_HZ is).
const clockTicks = 100

func (e *env) takeSample(t target) (sample, error) {
	s := sample{at: time.Now()}
	s.systemBusy, s.steal = systemTimes()
	var err error
	if t.proxyPid != 0 {
		if s.proxyTicks, err = cpuTicks(t.proxyPid); err != nil {
			return s, err
		}
	}
	for _, m := range t.servers {
		n, err := cpuTicks(m.Pid())
		if err != nil {
			return s, err
		}
		s.dbTicks += n
	}
	pids := []int{e.sc.Pid(), e.relay.Process.Pid}
	for _, px := range e.proxysqls() {
		pids = append(pids, px.Pid())
	}
	for _, pid := range pids {
		if n, err := cpuTicks(pid); err == nil {
			s.ownTicks += n
		}
	}
	for _, m := range []*integration.MariaDB{e.a, e.b, e.d} {
		if n, err := cpuTicks(m.Pid()); err == nil {
			s.ownTicks += n
		}
	}
	if n, err := cpuTicks(os.Getpid()); err == nil {
		s.ownTicks += n
	}
	s.counters = map[string]int64{}
	for _, m := range t.servers {
		rows, err := m.Query("", `SHOW GLOBAL STATUS WHERE Variable_name = 'Questions' OR Variable_name LIKE 'Com\_%'`)
		if err != nil {
			s.counters = nil
			break
		}
		for _, r := range rows {
			n, _ := strconv.ParseInt(r[1], 10, 64)
			s.counters[strings.ToLower(r[0])] += n
		}
	}
	return s, nil
}

// commandsPerEvent is the change of each statement counter between two samples per event: what
// the servers behind a target executed for one sysbench event. The sampling's own SHOW STATUS
// (one per server and sample) is subtracted.
func commandsPerEvent(before, after sample, servers int, events int64) (questions float64, com map[string]float64) {
	if before.counters == nil || after.counters == nil || events <= 0 {
		return 0, nil
	}
	com = map[string]float64{}
	for k, v := range after.counters {
		d := v - before.counters[k]
		if k == "questions" || k == "com_show_status" {
			d -= int64(servers)
		}
		if d <= 0 {
			continue
		}
		per := float64(d) / float64(events)
		if k == "questions" {
			questions = per
			continue
		}
		if per >= 0.005 {
			com[strings.TrimPrefix(k, "com_")] = math.Round(per*1000) / 1000
		}
	}
	return questions, com
}

// systemTimes reads the first line of /proc/stat, in clock ticks summed over all CPUs: busy is the
// time spent running processes, user + nice + system (guest time is already in user; irq and
// softirq are left out as they are not charged to any process, and loopback networking, which the
// sidecar doubles, is mostly softirq); steal is the time the hypervisor ran other guests on our
// virtual CPUs, which slows everything without showing up as anyone's CPU time.
func systemTimes() (busy, steal int64) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0, 0
	}
	field := func(i int) int64 {
		n, _ := strconv.ParseInt(f[i], 10, 64)
		return n
	}
	return field(1) + field(2) + field(3), field(8)
}

// cpuTicks is utime+stime of pid (fields 14 and 15 of /proc/PID/stat), in clock ticks.
func cpuTicks(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) is parenthesised and may hold spaces; fields after it are plain.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64) // field 14
	s, err2 := strconv.ParseInt(f[12], 10, 64) // field 15
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	return u + s, nil
}

// sbStats is what a sysbench run printed.
type sbStats struct {
	queries, events, ignored int64
	qps, tps, p95ms, seconds float64
}

var (
	reTransactions = regexp.MustCompile(`(?m)^\s*transactions:\s+(\d+)\s+\(([\d.]+) per sec`)
	reQueries      = regexp.MustCompile(`(?m)^\s*queries:\s+(\d+)\s+\(([\d.]+) per sec`)
	reIgnored      = regexp.MustCompile(`(?m)^\s*ignored errors:\s+(\d+)`)
	reP95          = regexp.MustCompile(`(?m)^\s*95th percentile:\s+([\d.]+)`)
	reTotalTime    = regexp.MustCompile(`(?m)^\s*total time:\s+([\d.]+)s`)
)

func parseSysbench(out string) (sbStats, error) {
	var s sbStats
	m := reTransactions.FindStringSubmatch(out)
	q := reQueries.FindStringSubmatch(out)
	p := reP95.FindStringSubmatch(out)
	tt := reTotalTime.FindStringSubmatch(out)
	if m == nil || q == nil || p == nil || tt == nil {
		return s, errors.New("no statistics in sysbench output")
	}
	s.events, _ = strconv.ParseInt(m[1], 10, 64)
	s.tps, _ = strconv.ParseFloat(m[2], 64)
	s.queries, _ = strconv.ParseInt(q[1], 10, 64)
	s.qps, _ = strconv.ParseFloat(q[2], 64)
	s.p95ms, _ = strconv.ParseFloat(p[1], 64)
	s.seconds, _ = strconv.ParseFloat(tt[1], 64)
	if ig := reIgnored.FindStringSubmatch(out); ig != nil {
		s.ignored, _ = strconv.ParseInt(ig[1], 10, 64)
	}
	return s, nil
}

// firstError is the line of sysbench's output that says best what went wrong: the first FATAL/ALERT
// line naming an error (e.g. `FATAL: mysql_drv_query() returned error 1105 (…) for query '…'`),
// else the first FATAL/ALERT line, else the last line.
func firstError(out string) string {
	var first string
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "FATAL:") && !strings.HasPrefix(line, "ALERT:") {
			continue
		}
		if strings.Contains(strings.ToLower(line), "error") {
			return clip(line, 300)
		}
		if first == "" {
			first = line
		}
	}
	if first != "" {
		return clip(first, 300)
	}
	return clip(strings.TrimSpace(tailLines(out, 1)), 300)
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n-3] + "..."
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
