package integration

import (
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"
	"testing"
	"time"
)

// Environment variables that turn the test binary into a helper process for the harness tests: a
// stand-in sidecar (so StartSidecar is tested without depending on ./cmd/sidecar) and a test process
// that dies holding a MariaDB (to test crash cleanup for real).
const (
	envFakeSidecarListen = "INTEGRATION_FAKE_SIDECAR_LISTEN"
	envFakeSidecarFail   = "INTEGRATION_FAKE_SIDECAR_FAIL"
	envCrashHelper       = "INTEGRATION_CRASH_HELPER"
)

func TestMain(m *testing.M) {
	switch {
	case os.Getenv(envFakeSidecarListen) != "":
		os.Exit(fakeSidecar(os.Getenv(envFakeSidecarListen)))
	case os.Getenv(envCrashHelper) != "":
		crashHelper()
	}
	code := m.Run()
	Cleanup() // stop what tests left running and remove the scratch directory (sidecar binary, logs)
	os.Exit(code)
}

// fakeSidecar behaves like `sidecar -config X` as far as the harness can tell: it listens, logs, and
// exits 0 on SIGTERM.
func fakeSidecar(addr string) int {
	fmt.Fprintf(os.Stderr, "fake sidecar args=%q\n", os.Args[1:])
	if os.Getenv(envFakeSidecarFail) != "" {
		fmt.Fprintln(os.Stderr, "fake sidecar: bad config")
		return 3
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "fake sidecar listening on %s\n", addr)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	<-sigs
	fmt.Fprintln(os.Stderr, "fake sidecar: SIGTERM, bye")
	return 0
}

// crashHelper starts a MariaDB, reports it on stdout and waits to be killed.
func crashHelper() {
	m, err := StartMariaDB(Options{})
	if err != nil {
		fmt.Println("ERROR", err)
		os.Exit(1)
	}
	fmt.Printf("READY %s %d\n", m.DataDir(), m.Pid())
	time.Sleep(time.Hour)
	os.Exit(0)
}
