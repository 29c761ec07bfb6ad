package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"sidecar/integration"
)

// envRelay makes this program a bare TCP relay ("LISTEN,TARGET") instead of the benchmark: the
// reference workload runs sysbench through it to measure what an extra hop costs on this
// machine with no proxy logic at all.
const envRelay = "SIDECAR_BENCH_RELAY"

// relayMain copies bytes between each client and its own connection to target, through
// user-space buffers in one goroutine per direction, as any proxy that reads what it forwards
// must (io.Copy between two TCP connections would splice in the kernel instead).
func relayMain(spec string) int {
	listen, target, ok := strings.Cut(spec, ",")
	if !ok {
		fmt.Fprintf(os.Stderr, "%s=%q: want LISTEN,TARGET\n", envRelay, spec)
		return 2
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, "relay:", err)
		return 1
	}
	for {
		client, err := ln.Accept()
		if err != nil {
			fmt.Fprintln(os.Stderr, "relay:", err)
			return 1
		}
		go func() {
			defer client.Close()
			server, err := net.Dial("tcp", target)
			if err != nil {
				return
			}
			defer server.Close()
			go func() {
				io.Copy(struct{ io.Writer }{server}, struct{ io.Reader }{client})
				server.Close()
			}()
			io.Copy(struct{ io.Writer }{client}, struct{ io.Reader }{server})
		}()
	}
}

// startRelay runs this program as a relay from a free loopback port to target; it dies with us.
func startRelay(target string) (*exec.Cmd, string, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, "", err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", integration.FreePort())
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), envRelay+"="+addr+","+target)
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return cmd, addr, nil
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			return nil, "", fmt.Errorf("relay did not listen on %s", addr)
		}
	}
}
