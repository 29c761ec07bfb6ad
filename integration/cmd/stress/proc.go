package main

import (
	"fmt"
	"os"
	"strings"
	"syscall"
)

// openFDs counts pid's open file descriptors.
func openFDs(pid int) int {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return -1
	}
	return len(ents)
}

// maxOpenFiles is pid's "Max open files" line of /proc/PID/limits: "soft hard".
func maxOpenFiles(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", pid))
	if err != nil {
		return "?"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "Max open files"); ok {
			f := strings.Fields(rest)
			if len(f) >= 2 {
				return f[0] + " soft / " + f[1] + " hard"
			}
		}
	}
	return "?"
}

// raiseNoFile makes sure this process may open need descriptors: the Go runtime already raises the
// soft RLIMIT_NOFILE to the hard one at start; the hard limit is raised too when we may (root).
// It returns the resulting "soft / hard".
func raiseNoFile(need uint64) (string, error) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return "?", err
	}
	if rl.Cur < need {
		want := rl
		want.Cur = need
		if want.Max < need {
			want.Max = need
		}
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want); err != nil {
			want.Cur, want.Max = min(need, rl.Max), rl.Max
			if err2 := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want); err2 != nil {
				return fmt.Sprintf("%d soft / %d hard", rl.Cur, rl.Max), err
			}
		}
		_ = syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl)
	}
	s := fmt.Sprintf("%d soft / %d hard", rl.Cur, rl.Max)
	if rl.Cur < need {
		return s, fmt.Errorf("RLIMIT_NOFILE is %s, below the %d needed", s, need)
	}
	return s, nil
}
