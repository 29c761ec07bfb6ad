//go:build !linux

package integration

import (
	"os/exec"
	"syscall"
)

// startChild starts cmd. Outside Linux there is no parent-death signal, so children of a killed test
// binary keep running until CleanupStale finds their directory.
func startChild(cmd *exec.Cmd, _ syscall.Signal) error { return cmd.Start() }
