package integration

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// Ports are drawn from [portMin, portMax): below the Linux ephemeral range (32768+, see package doc)
// and above the ports well-known services use.
const (
	portMin = 20000
	portMax = 32000
)

var handedOut struct {
	sync.Mutex
	ports map[int]bool
}

// FreePort returns a random loopback TCP port in [20000, 32000) that nothing listens on right now and
// that this process has not handed out before (a port we gave to a config file is free until the
// sidecar binds it, so without that memory two callers could get the same one).
//
// Another process can still take the port before it is used; StartMariaDB retries on a new port when
// that happens, other callers should treat "address already in use" the same way. FreePort panics if
// no free port is found after many tries, which means the machine is in a state no test can run in.
func FreePort() int {
	handedOut.Lock()
	defer handedOut.Unlock()
	if handedOut.ports == nil {
		handedOut.ports = map[int]bool{}
	}
	for range 1000 {
		p := portMin + rand.IntN(portMax-portMin)
		if handedOut.ports[p] || !PortFree(p) {
			continue
		}
		handedOut.ports[p] = true
		return p
	}
	panic("integration: no free TCP port in [20000, 32000) on 127.0.0.1")
}

// PortFree reports whether a listener could bind 127.0.0.1:port right now.
func PortFree(port int) bool {
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return false
	}
	ln.Close()
	return true
}

// ModuleRoot walks up from the working directory to the directory holding go.mod. Tests run in their
// package directory and `go run` in the caller's, so this is how both find ./cmd/sidecar and testdata.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("integration: go.mod not found above the working directory")
		}
		dir = parent
	}
}

// tail returns the last n lines of s, for error messages that should show what a log said last.
func tail(s string, n int) string {
	s = strings.TrimRight(s, "\n")
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func tailFile(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", path, err)
	}
	return tail(string(b), n)
}

func joinWords(w []string) string { return strings.Join(w, " ") }

// quoteIdent quotes a MySQL identifier with backticks.
func quoteIdent(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

// quoteString quotes a MySQL string literal for statements such as CREATE USER that cannot take
// placeholders. Backslashes are doubled because the server runs with the default sql_mode, where they
// escape.
func quoteString(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}
