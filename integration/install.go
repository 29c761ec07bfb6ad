package integration

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// debianPackages are installed together: the server and install script (mariadb-server), the `mariadb`
// client that the CLI tests drive (mariadb-client), and sysbench for the benchmarks. One apt-get run
// for all of them is much cheaper than one per tool.
var debianPackages = []string{"mariadb-server", "mariadb-client", "sysbench"}

// requiredTools must all be present for the harness to work; if any is missing we install the packages.
var requiredTools = []string{"mariadbd", "mariadb-install-db", "mariadb", "sysbench"}

// toolDirs are searched after $PATH: a non-root user's PATH often lacks /usr/sbin, where Debian puts
// mariadbd.
var toolDirs = []string{"/usr/sbin", "/usr/bin", "/sbin", "/usr/local/sbin", "/usr/local/bin"}

var ensureState struct {
	once sync.Once
	err  error
}

// EnsureMariaDB makes sure mariadbd, mariadb-install-db, the mariadb client and sysbench are installed,
// installing the Debian packages (apt-get update, then apt-get install) when any is missing. It runs
// at most once per process and returns the same result to every caller.
//
// Installing needs root; without root it returns an error that says what to install. Concurrent test
// binaries serialise on a lock file so only one of them runs apt-get, and apt itself is told to wait
// for the dpkg lock rather than fail.
func EnsureMariaDB() error {
	ensureState.once.Do(func() { ensureState.err = ensureMariaDB() })
	return ensureState.err
}

func ensureMariaDB() error {
	if missingTools() == nil {
		return nil
	}
	unlock, err := lockFile(filepath.Join(os.TempDir(), "sidecar-apt.lock"))
	if err != nil {
		return err
	}
	defer unlock()
	missing := missingTools() // another process may have installed them while we waited for the lock
	if missing == nil {
		return nil
	}
	if os.Geteuid() != 0 {
		return fmt.Errorf("integration: %v not found and not running as root; install them with: "+
			"sudo apt-get install -y %s", missing, joinWords(debianPackages))
	}
	fmt.Fprintf(os.Stderr, "integration: %v missing; installing %s with apt-get (once)\n", missing, joinWords(debianPackages))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	apt := func(args ...string) error {
		cmd := exec.CommandContext(ctx, "apt-get", append([]string{"-o", "DPkg::Lock::Timeout=600"}, args...)...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("integration: apt-get %s: %v\n%s", joinWords(args), err, tail(out.String(), 30))
		}
		return nil
	}
	if err := apt("update"); err != nil {
		return err
	}
	if err := apt(append([]string{"install", "-y"}, debianPackages...)...); err != nil {
		return err
	}
	if missing := missingTools(); missing != nil {
		return fmt.Errorf("integration: still missing %v after installing %s", missing, joinWords(debianPackages))
	}
	return nil
}

func missingTools() []string {
	var missing []string
	for _, t := range requiredTools {
		if _, err := ToolPath(t); err != nil {
			missing = append(missing, t)
		}
	}
	return missing
}

// ToolPath finds an executable by name in $PATH and then in the usual system directories (see
// toolDirs). Use it for sysbench, mariadbd and friends instead of exec.LookPath, which misses
// /usr/sbin for non-root users.
func ToolPath(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, d := range toolDirs {
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("integration: %s not found in $PATH or %v", name, toolDirs)
}

// lockFile takes an exclusive flock on path (creating it), waiting as long as needed. The lock goes away
// with the process, so a crash never leaves it held.
func lockFile(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		return nil, fmt.Errorf("integration: lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("integration: lock %s: %w", path, err)
	}
	return func() { f.Close() }, nil
}
