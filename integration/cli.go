package integration

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"time"
)

// CLITimeout bounds one RunCLI call; a hung statement must fail its test, not stall the whole run.
var CLITimeout = 60 * time.Second

// RunCLI runs the real `mariadb` client against addr ("127.0.0.1:PORT") with stdinSQL on standard
// input and returns what it printed and its exit code, so tests see exactly what a user at the
// terminal sees, error lines included (`ERROR 1062 (23000) at line 1: Duplicate entry ...`).
//
// The client runs as `mariadb --no-defaults -h HOST -P PORT --protocol=TCP -u USER [-pPASSWORD]
// --skip-ssl --batch [extraArgs...] [DB]`: --no-defaults so ~/.my.cnf cannot change what a test sees,
// TCP so a host of 127.0.0.1 never turns into a socket path, --skip-ssl because the sidecar does not
// offer TLS (newer clients would insist), and --batch for tab-separated output. extraArgs may add e.g.
// "--table" (boxed output, which wins over --batch), "-vvv" (echo statements and "Query OK" lines) or
// "--force" (continue after errors). An empty password sends none.
//
// exitCode is -1 if the client could not run or hit CLITimeout; stderr then says why.
func RunCLI(addr string, user, password, db string, stdinSQL string, extraArgs ...string) (stdout, stderr string, exitCode int) {
	bin, err := ToolPath("mariadb")
	if err != nil {
		return "", err.Error(), -1
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Sprintf("integration: bad address %q: %v", addr, err), -1
	}
	args := []string{"--no-defaults", "-h", host, "-P", port, "--protocol=TCP", "-u", user}
	if password != "" {
		args = append(args, "-p"+password)
	}
	args = append(args, "--skip-ssl", "--batch")
	args = append(args, extraArgs...)
	if db != "" {
		args = append(args, db)
	}
	ctx, cancel := context.WithTimeout(context.Background(), CLITimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdin = strings.NewReader(stdinSQL)
	cmd.Env = append(os.Environ(), "LC_ALL=C") // stable messages whatever the developer's locale
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	if ctx.Err() != nil {
		return out.String(), errb.String() + fmt.Sprintf("\nintegration: mariadb client timed out after %v", CLITimeout), -1
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
		return out.String(), errb.String(), 0
	case errors.As(err, &ee):
		return out.String(), errb.String(), ee.ExitCode()
	default:
		return out.String(), errb.String() + err.Error(), -1
	}
}
