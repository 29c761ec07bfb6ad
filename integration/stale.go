package integration

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Directory naming and marker files. Everything a run leaves in os.TempDir() starts with one of the
// prefixes and holds an ownerFile, which is what makes crash cleanup safe across concurrent runs.
const (
	instancePrefix = "sidecar-mariadb-" // throwaway MariaDB datadirs
	scratchPrefix  = "sidecar-run-"     // per-process scratch: the built sidecar binary, sidecar logs
	ownerFile      = "sidecar-owner"    // "PID STARTTIME" of the process that owns the directory
	childrenFile   = "sidecar-children" // PIDs of processes started for the directory, one a line
	mariadbPidFile = "pid"              // mariadbd's own --pid-file inside its datadir
)

// An owner file younger than this may be missing because its directory is being created right now.
const ownerGrace = 10 * time.Minute

// selfOwner identifies this process. The start time (clock ticks since boot, from /proc) guards
// against PID reuse: a dead test run's PID may belong to an unrelated live process later.
func selfOwner() string {
	pid := os.Getpid()
	return fmt.Sprintf("%d %s\n", pid, processStart(pid))
}

func writeOwner(dir string) error {
	return os.WriteFile(filepath.Join(dir, ownerFile), []byte(selfOwner()), 0o644)
}

// recordChild appends pid to dir's children file so CleanupStale can kill it if we die without
// stopping it.
func recordChild(dir string, pid int) {
	f, err := os.OpenFile(filepath.Join(dir, childrenFile), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return
	}
	fmt.Fprintln(f, pid)
	f.Close()
}

// processStart returns the start time of pid from /proc/PID/stat (field 22), or "" when unknown
// (no /proc, or no such process).
func processStart(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	// The command name (field 2) is in parentheses and may contain spaces; fields after it are plain.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return ""
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 {
		return ""
	}
	return f[19] // field 3 is f[0], so field 22 is f[19]
}

// processState returns the one-letter state of pid ("R", "S", "Z", …) or "" if it does not exist.
func processState(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return ""
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

func haveProc() bool {
	_, err := os.Stat("/proc/self/stat")
	return err == nil
}

// ownerAlive reports whether the process recorded in an owner file ("PID STARTTIME") still runs. When
// in doubt it says yes: leaking a directory is harmless, deleting a live run's datadir is not.
func ownerAlive(content string) bool {
	f := strings.Fields(content)
	if len(f) == 0 {
		return true
	}
	pid, err := strconv.Atoi(f[0])
	if err != nil || pid <= 0 {
		return true
	}
	if haveProc() {
		start := processStart(pid)
		if start == "" {
			return false // no such process
		}
		if st := processState(pid); st == "Z" || st == "X" {
			return false
		}
		return len(f) < 2 || f[1] == "" || f[1] == start
	}
	err = syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// CleanupStale removes what crashed or killed earlier runs left in os.TempDir(): MariaDB datadirs
// (sidecar-mariadb-*) and scratch directories (sidecar-run-*) whose owner process is gone. Processes
// recorded for such a directory (mariadbd, sidecars) are killed first, but only after checking that
// their command line still names the directory, so a reused PID is never hit.
//
// Directories owned by a live process, including this one, are never touched; that is what lets
// several test runs share a machine. StartMariaDB calls this once per process; it returns the removed
// directories.
func CleanupStale() (removed []string, err error) {
	var errs []error
	for _, prefix := range []string{instancePrefix, scratchPrefix} {
		matches, _ := filepath.Glob(filepath.Join(os.TempDir(), prefix+"*"))
		for _, dir := range matches {
			if !staleDir(dir) {
				continue
			}
			killRecordedChildren(dir)
			if err := os.RemoveAll(dir); err != nil {
				errs = append(errs, err)
				continue
			}
			removed = append(removed, dir)
			if prefix == instancePrefix && !strings.HasSuffix(dir, ".tmp") {
				// Its server's temporary directory goes with it.
				if err := os.RemoveAll(serverTmpDir(dir)); err != nil {
					errs = append(errs, err)
				}
			}
		}
	}
	return removed, errors.Join(errs...)
}

func staleDir(dir string) bool {
	fi, err := os.Lstat(dir)
	if err != nil || !fi.IsDir() {
		return false
	}
	if data, ok := strings.CutSuffix(dir, ".tmp"); ok {
		// A server's temporary directory (serverTmpDir) has no owner file
		// of its own: it is its datadir's. Its time says nothing: a server
		// that writes no temporary table leaves it as it was made.
		if di, err := os.Lstat(data); err == nil && di.IsDir() {
			return staleDir(data)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, ownerFile))
	if errors.Is(err, fs.ErrNotExist) {
		return time.Since(fi.ModTime()) > ownerGrace
	}
	if err != nil {
		return false
	}
	return !ownerAlive(string(b))
}

// killRecordedChildren SIGKILLs the processes recorded for dir (its children file and, for datadirs,
// mariadbd's pid file) whose command line mentions dir, and waits briefly for them to go. Gentle
// shutdown is pointless: the directory is deleted next.
func killRecordedChildren(dir string) {
	var pids []int
	for _, name := range []string{childrenFile, mariadbPidFile} {
		b, _ := os.ReadFile(filepath.Join(dir, name))
		for _, s := range strings.Fields(string(b)) {
			if pid, err := strconv.Atoi(s); err == nil && pid > 0 {
				pids = append(pids, pid)
			}
		}
	}
	for _, pid := range pids {
		if !cmdlineMentions(pid, dir) {
			continue
		}
		_ = syscall.Kill(pid, syscall.SIGKILL)
		waitGone(pid, 10*time.Second)
	}
}

// cmdlineMentions reports whether /proc/PID/cmdline contains dir. Without /proc we cannot tell whose
// PID it is, so we do not kill.
func cmdlineMentions(pid int, dir string) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return false
	}
	return bytes.Contains(b, []byte(dir))
}

// waitGone waits until pid no longer exists or is a zombie (an orphan's zombie is reaped by init,
// perhaps never in a container without a reaping init, but it holds no files or ports).
func waitGone(pid int, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for {
		st := processState(pid)
		if st == "" || st == "Z" || st == "X" {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// scratch is this process's directory for the sidecar binary and logs, created on first use.
var scratch struct {
	sync.Mutex
	dir string
}

// ScratchDir returns this process's scratch directory (os.TempDir()/sidecar-run-*), creating it on
// first use. It holds the built sidecar binary and sidecar logs; Cleanup removes it, and CleanupStale
// removes it in a later run if this process dies first.
func ScratchDir() (string, error) {
	scratch.Lock()
	defer scratch.Unlock()
	if scratch.dir != "" {
		return scratch.dir, nil
	}
	dir, err := os.MkdirTemp("", scratchPrefix)
	if err != nil {
		return "", err
	}
	if err := writeOwner(dir); err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	scratch.dir = dir
	return dir, nil
}

// live tracks running instances so Cleanup can stop whatever a test forgot (or a failing test could
// not reach).
var live struct {
	sync.Mutex
	sidecars  map[*Sidecar]bool
	mariadbs  map[*MariaDB]bool
	proxysqls map[*ProxySQL]bool
}

func trackSidecar(s *Sidecar, on bool)   { track(&live.sidecars, s, on) }
func trackProxySQL(p *ProxySQL, on bool) { track(&live.proxysqls, p, on) }
func trackMariaDB(m *MariaDB, on bool)   { track(&live.mariadbs, m, on) }

// track adds an instance to a set of live ones (on) or removes it.
func track[T comparable](set *map[T]bool, v T, on bool) {
	live.Lock()
	defer live.Unlock()
	if *set == nil {
		*set = map[T]bool{}
	}
	if on {
		(*set)[v] = true
	} else {
		delete(*set, v)
	}
}

// Cleanup stops every sidecar, then every ProxySQL, then every MariaDB this process started and has
// not stopped, and removes the scratch directory. Call it at the very end (TestMain after m.Run, or
// the devenv command on exit); BuildSidecar builds again if called afterwards.
func Cleanup() {
	live.Lock()
	var ss []*Sidecar
	for s := range live.sidecars {
		ss = append(ss, s)
	}
	var ps []*ProxySQL
	for p := range live.proxysqls {
		ps = append(ps, p)
	}
	var ms []*MariaDB
	for m := range live.mariadbs {
		ms = append(ms, m)
	}
	live.Unlock()
	for _, s := range ss {
		_ = s.Stop()
	}
	for _, p := range ps {
		_ = p.Stop()
	}
	for _, m := range ms {
		_ = m.Stop()
	}
	scratch.Lock()
	if scratch.dir != "" {
		os.RemoveAll(scratch.dir)
		scratch.dir = ""
	}
	scratch.Unlock()
	build.Lock()
	build.bin, build.err, build.done = "", nil, false
	build.Unlock()
}
