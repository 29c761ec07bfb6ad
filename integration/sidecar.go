package integration

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// build caches BuildSidecar's result for the process (reset by Cleanup).
var build struct {
	sync.Mutex
	done bool
	bin  string
	err  error
}

// BuildSidecar builds ./cmd/sidecar into this process's scratch directory, once per process, and
// returns the binary's path. Tests run the real binary, not an in-process server, so that flags,
// config loading, signals and exit codes are covered the way users meet them.
func BuildSidecar() (string, error) {
	build.Lock()
	defer build.Unlock()
	if build.done {
		return build.bin, build.err
	}
	build.bin, build.err = buildSidecar()
	build.done = true
	return build.bin, build.err
}

func buildSidecar() (string, error) {
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	dir, err := ScratchDir()
	if err != nil {
		return "", err
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("integration: the go command is needed to build the sidecar: %w", err)
	}
	bin := filepath.Join(dir, "sidecar")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goBin, "build", "-o", bin, "./cmd/sidecar")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("integration: go build ./cmd/sidecar: %v\n%s", err, out)
	}
	return bin, nil
}

// Sidecar is a running sidecar process.
type Sidecar struct {
	addr    string
	logPath string // "" when output goes to a caller's file
	proc    *child

	stopOnce sync.Once
	stopErr  error
}

// StartSidecar runs `bin -config configPath [extraArgs...]` with its output in a log file (see Logs)
// and returns once listenAddr (the config's listen address, which the caller chose) accepts TCP
// connections. If the process exits first, the error carries its log.
func StartSidecar(bin, configPath, listenAddr string, extraArgs ...string) (*Sidecar, error) {
	return StartSidecarOutput(bin, configPath, listenAddr, nil, nil, extraArgs...)
}

// StartSidecarOutput is StartSidecar with the process's stdout and stderr going to the given files
// instead of a log file (the dev environment passes os.Stdout and os.Stderr to run it in the
// foreground). With both nil it is StartSidecar; with one nil, that stream is discarded.
func StartSidecarOutput(bin, configPath, listenAddr string, stdout, stderr *os.File, extraArgs ...string) (*Sidecar, error) {
	s := &Sidecar{addr: listenAddr}
	if stdout == nil && stderr == nil {
		dir, err := ScratchDir()
		if err != nil {
			return nil, err
		}
		f, err := os.CreateTemp(dir, "sidecar-*.log")
		if err != nil {
			return nil, err
		}
		defer f.Close() // the child keeps its own descriptor
		s.logPath, stdout, stderr = f.Name(), f, f
	}
	cmd := exec.Command(bin, append([]string{"-config", configPath}, extraArgs...)...)
	if stdout != nil {
		cmd.Stdout = stdout
	}
	if stderr != nil {
		cmd.Stderr = stderr
	}
	proc, err := startTracked(cmd, syscall.SIGTERM)
	if err != nil {
		return nil, err
	}
	s.proc = proc
	if dir, err := ScratchDir(); err == nil && filepath.Dir(bin) == dir {
		recordChild(dir, proc.pid()) // CleanupStale can check its command line names the scratch dir
	}
	trackSidecar(s, true)
	if err := s.waitListening(30 * time.Second); err != nil {
		_ = s.Stop()
		return nil, fmt.Errorf("integration: sidecar -config %s: %w\n--- sidecar output:\n%s", configPath, err, tail(s.Logs(), 40))
	}
	return s, nil
}

// waitListening polls the listen address. A connection only counts while our process is still
// running: if the port belonged to someone else, the sidecar exits with "address already in use".
func (s *Sidecar) waitListening(d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		if !s.proc.running() {
			return fmt.Errorf("exited before listening on %s: %v", s.addr, s.proc.err)
		}
		c, err := net.DialTimeout("tcp", s.addr, 500*time.Millisecond)
		if err == nil {
			c.Close()
			if s.proc.running() {
				return nil
			}
			continue
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not listening on %s after %v", s.addr, d)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Addr is the MySQL listen address the sidecar was started with.
func (s *Sidecar) Addr() string { return s.addr }

// Pid is the sidecar's process id.
func (s *Sidecar) Pid() int { return s.proc.pid() }

// Signal sends sig to the sidecar (e.g. SIGHUP to test a reload).
func (s *Sidecar) Signal(sig os.Signal) error { return s.proc.cmd.Process.Signal(sig) }

// Exited is closed when the sidecar process has exited.
func (s *Sidecar) Exited() <-chan struct{} { return s.proc.exited }

// ExitErr is the process's exit status (nil for exit code 0); valid once Exited is closed.
func (s *Sidecar) ExitErr() error {
	<-s.proc.exited
	return s.proc.err
}

// Stop sends SIGTERM and waits for the exit, killing the process after 10 s. It returns an error if the
// sidecar had to be killed; a non-zero exit status after SIGTERM is in ExitErr. Calling it again
// returns the first result.
func (s *Sidecar) Stop() error {
	s.stopOnce.Do(func() {
		s.stopErr = s.proc.terminate(10 * time.Second)
		trackSidecar(s, false)
	})
	return s.stopErr
}

// Logs returns everything the sidecar wrote to stdout and stderr so far ("" if its output went to a
// caller's file).
func (s *Sidecar) Logs() string {
	if s.logPath == "" {
		return ""
	}
	b, err := os.ReadFile(s.logPath)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", s.logPath, err)
	}
	return string(b)
}

// LogPath is the sidecar's log file ("" if its output went to a caller's file).
func (s *Sidecar) LogPath() string { return s.logPath }
