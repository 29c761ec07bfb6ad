//go:build linux

package integration

import (
	"os/exec"
	"runtime"
	"sync"
	"syscall"
)

// startChild starts cmd in its own process group, with the kernel set to send it sig when this
// process dies.
//
// The parent-death signal is what keeps a test binary killed by `go test -timeout` (or by Ctrl-C, or
// SIGKILL) from leaving mariadbd and sidecar processes running; CleanupStale then only has directories
// to remove. Linux delivers it when the *thread* that forked the child exits, and Go may retire
// threads, so all children are forked from one goroutine locked to its OS thread for the life of the
// process. The own process group keeps a terminal's Ctrl-C away from the children, so their owner can
// stop them in order (sidecar first, then MariaDB).
func startChild(cmd *exec.Cmd, sig syscall.Signal) error {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	cmd.SysProcAttr.Pdeathsig = sig
	forker.once.Do(func() {
		forker.reqs = make(chan forkReq)
		go func() {
			runtime.LockOSThread() // never unlocked: this thread must live as long as the process
			for r := range forker.reqs {
				r.done <- r.cmd.Start()
			}
		}()
	})
	r := forkReq{cmd: cmd, done: make(chan error, 1)}
	forker.reqs <- r
	return <-r.done
}

type forkReq struct {
	cmd  *exec.Cmd
	done chan error
}

var forker struct {
	once sync.Once
	reqs chan forkReq
}
