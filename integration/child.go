package integration

import (
	"fmt"
	"os/exec"
	"syscall"
	"time"
)

// child is a started process whose exit is observed by one goroutine, so any number of callers can
// wait for it (select on exited) without racing on cmd.Wait.
type child struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed when the process has exited
	err    error         // cmd.Wait's result; read only after exited is closed
}

// startTracked starts cmd via startChild (own process group, parent-death signal sig).
func startTracked(cmd *exec.Cmd, sig syscall.Signal) (*child, error) {
	if err := startChild(cmd, sig); err != nil {
		return nil, err
	}
	c := &child{cmd: cmd, exited: make(chan struct{})}
	go func() {
		c.err = cmd.Wait()
		close(c.exited)
	}()
	return c, nil
}

func (c *child) pid() int { return c.cmd.Process.Pid }

func (c *child) running() bool {
	select {
	case <-c.exited:
		return false
	default:
		return true
	}
}

// terminate sends SIGTERM, waits up to d for the exit, then SIGKILLs and waits up to 10 s more.
// It returns an error only if the process had to be killed or would not die.
func (c *child) terminate(d time.Duration) error {
	if !c.running() {
		return nil
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.exited:
		return nil
	case <-time.After(d):
	}
	_ = c.cmd.Process.Kill()
	select {
	case <-c.exited:
		return fmt.Errorf("pid %d did not stop within %v of SIGTERM; killed", c.pid(), d)
	case <-time.After(10 * time.Second):
		return fmt.Errorf("pid %d survived SIGKILL for 10s", c.pid())
	}
}
