package integration

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// ProcStatus reads a "Name:   N kB" line of /proc/PID/status (VmRSS, VmHWM in KiB) or a plain
// count (Threads): how the benchmark and the stress run measure the processes they start.
func ProcStatus(pid int, name string) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || k != name {
			continue
		}
		fields := strings.Fields(v)
		if len(fields) == 0 {
			break
		}
		return strconv.ParseInt(fields[0], 10, 64)
	}
	return 0, fmt.Errorf("/proc/%d/status: no %s", pid, name)
}

// ResetPeakRSS resets VmHWM of pid to its current RSS (Linux ≥ 4.0, needs write access to
// clear_refs); false if that is not possible, in which case VmHWM is the peak since the start.
func ResetPeakRSS(pid int) bool {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0) == nil
}
