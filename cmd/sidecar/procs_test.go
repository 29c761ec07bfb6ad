package main

import (
	"runtime"
	"testing"
)

// TestUseProcs: the config's procs wins, then $GOMAXPROCS, then half the
// CPUs Go would use, at least one.
func TestUseProcs(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, tc := range []struct {
		name    string
		start   int // GOMAXPROCS as Go set it
		procs   int
		fromEnv bool
		want    int
	}{
		{name: "procs from the config", start: 4, procs: 3, fromEnv: true, want: 3},
		{name: "$GOMAXPROCS kept", start: 4, fromEnv: true, want: 4},
		{name: "half the CPUs", start: 4, want: 2},
		{name: "half of 3", start: 3, want: 1},
		{name: "one CPU stays one", start: 1, want: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runtime.GOMAXPROCS(tc.start)
			if got := useProcs(tc.procs, tc.fromEnv); got != tc.want || runtime.GOMAXPROCS(0) != tc.want {
				t.Errorf("useProcs = %d, GOMAXPROCS %d, want %d", got, runtime.GOMAXPROCS(0), tc.want)
			}
		})
	}
}
