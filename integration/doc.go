// Package integration holds the end-to-end test harness of the sidecar: throwaway MariaDB servers on
// loopback, the sidecar binary run as a real process, and the real `mariadb` command-line client.
//
// The harness lives in non-_test files so that the tests of this package, benchmarks, and the
// `make run` development command (./cmd/devenv) share one implementation.
//
// Ground rules, and why:
//   - Every server listens on 127.0.0.1 only, on a port below 32768. Linux hands out outgoing
//     (ephemeral) ports from 32768 up, so a port we picked above that could be taken from under us by
//     any client connection between our check and the server's bind.
//   - Ports are picked at random in [20000, 32000) and checked by binding, and a server that still loses
//     the race is restarted on another port, because `go test ./...` runs the test binaries of several
//     packages (and CI may run several checkouts) at the same time.
//   - Each throwaway datadir is named os.TempDir()/sidecar-mariadb-* and records the PID (and start
//     time) of the process that owns it. A later run removes datadirs whose owner is gone
//     (CleanupStale), so a crashed or killed test run leaks nothing for long. On Linux, children also
//     get a parent-death signal, so a killed test binary does not leave mariadbd or the sidecar running.
//   - MariaDB is installed from Debian packages when missing (EnsureMariaDB), because CI starts from a
//     fresh clone and possibly a fresh machine.
package integration
