// Command sidecar is the sharding sidecar: serve, check a config, compute
// vindexes, print ProxySQL rules for the shards.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"sidecar/conf"
	"sidecar/sidecar"
)

const usage = `usage:
  sidecar -config sidecar.yaml                 serve
  sidecar check -config sidecar.yaml           validate and print the topology
  sidecar proxysql-rules -config sidecar.yaml [-format sql|cnf]
                                               ProxySQL servers and query rules for the shards
  sidecar vindex TYPE [-param k=v ...] [--] VALUE...
  sidecar vschema -config sidecar.yaml [KEYSPACE]
                                               print the VSchema in force as vschema_file JSON
  sidecar backfill -config sidecar.yaml -table KS.TABLE -column COL [-dry-run] ...
                                               fill a reversible vindex column from the keyspace ids
  sidecar lookup backfill|check -config sidecar.yaml -vindex KS.VINDEX [-repair] ...
                                               create or check (and repair) a lookup vindex's rows
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "check":
			return runCheck(args[1:], stdout, stderr)
		case "vindex":
			return runVindex(args[1:], stdout, stderr)
		case "vschema":
			return runVSchema(args[1:], stdout, stderr)
		case "proxysql-rules":
			return runProxySQLRules(args[1:], stdout, stderr)
		case "backfill":
			return runBackfill(args[1:], stdout, stderr)
		case "lookup":
			return runLookup(args[1:], stdout, stderr)
		case "help", "-h", "--help":
			fmt.Fprint(stdout, usage)
			return 0
		}
	}
	return runServe(args, stderr)
}

func configFlag(name string, args []string, stderr io.Writer) (string, bool) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "sidecar.yaml", "config file")
	if err := fs.Parse(args); err != nil {
		return "", false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "unexpected arguments: %v\n%s", fs.Args(), usage)
		return "", false
	}
	return *path, true
}

func runCheck(args []string, stdout, stderr io.Writer) int {
	path, ok := configFlag("check", args, stderr)
	if !ok {
		return 2
	}
	cfg, err := conf.Load(path)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	cfg.Describe(stdout)
	return 0
}

func runServe(args []string, stderr io.Writer) int {
	path, ok := configFlag("sidecar", args, stderr)
	if !ok {
		return 2
	}
	cfg, err := conf.Load(path)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	log, err := newLogger(cfg, stderr)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	for _, w := range cfg.Warnings {
		log.Warn().Msg(w)
	}
	procs := useProcs(cfg.Procs, os.Getenv("GOMAXPROCS") != "")
	srv, err := sidecar.New(cfg, log)
	if err != nil {
		log.Error().Err(err).Msg("start")
		return 1
	}
	if err := srv.OpenMetadata(context.Background()); err != nil {
		fmt.Fprintln(stderr, err) // as a config that does not load
		return 1
	}
	// Every listener is bound before any serves, the admin one first: a port
	// taken is a failed start, and /metrics answers once the MySQL port does.
	var adminLn, ln, sock net.Listener
	closeAll := func() {
		for _, l := range []net.Listener{adminLn, ln, sock} {
			if l != nil {
				l.Close()
			}
		}
	}
	if cfg.AdminListen != "" {
		if adminLn, err = net.Listen("tcp", cfg.AdminListen); err != nil {
			log.Error().Err(err).Msg("admin_listen")
			return 1
		}
	}
	if ln, err = net.Listen("tcp", cfg.Listen); err != nil {
		log.Error().Err(err).Msg("listen")
		closeAll()
		return 1
	}
	if cfg.ListenSocket != "" {
		if sock, err = listenSocket(cfg.ListenSocket); err != nil {
			log.Error().Err(err).Msg("listen_socket")
			closeAll()
			return 1
		}
	}
	admin := &http.Server{Handler: srv.AdminHandler(), ReadHeaderTimeout: 5 * time.Second}
	if adminLn != nil {
		go func() {
			if err := admin.Serve(adminLn); err != nil && err != http.ErrServerClosed {
				log.Error().Err(err).Msg("admin listener")
			}
		}()
	}
	log.Info().Str("listen", cfg.Listen).Str("listen_socket", cfg.ListenSocket).Str("admin", cfg.AdminListen).Int("procs", procs).Msg("serving")

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	served := make(chan error, 2)
	go func() { served <- srv.Serve(ln) }()
	if sock != nil {
		go func() { served <- srv.Serve(sock) }()
	}
	for stop := false; !stop; {
		select {
		case sig := <-sigs:
			if sig == syscall.SIGHUP {
				log.Info().Msg("SIGHUP: reloading the config")
				_ = srv.Reload(context.Background()) // logs what it did or refused
				continue
			}
			log.Info().Str("signal", sig.String()).Msg("shutting down")
			stop = true
		case err := <-served:
			log.Error().Err(err).Msg("serve")
			return 1
		}
	}
	// In-flight statements get 30s to finish; a second SIGTERM or SIGINT
	// ends the wait at once.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	go func() {
		for sig := range sigs {
			if sig != syscall.SIGHUP {
				log.Info().Str("signal", sig.String()).Msg("closing connections still busy")
				cancel()
				return
			}
		}
	}()
	_ = admin.Shutdown(ctx)
	if err := srv.Shutdown(ctx); err != nil {
		log.Warn().Err(err).Msg("shutdown: closed connections still busy")
	}
	log.Info().Msg("stopped")
	return 0
}

// useProcs sets how many CPUs run goroutines at once (GOMAXPROCS) and
// returns it: the config's procs, else $GOMAXPROCS as Go read it, else half
// of the CPUs Go would use (the machine's, or the container's quota), at
// least one. A sidecar shares its machine with the application; and fewer
// Ps cost less CPU per query, since Go's scheduler wakes an idle P to spin
// for each goroutine the network readies (about a tenth of the sidecar's
// CPU per point select on 2 CPUs; see BENCH.md).
func useProcs(procs int, fromEnv bool) int {
	switch {
	case procs > 0:
	case fromEnv:
		return runtime.GOMAXPROCS(0)
	default:
		procs = max(1, runtime.GOMAXPROCS(0)/2)
	}
	runtime.GOMAXPROCS(procs)
	return procs
}

// listenSocket listens on a Unix socket path. A socket file left behind by a
// sidecar that did not stop cleanly is replaced; one that another process
// still serves on is not.
func listenSocket(path string) (net.Listener, error) {
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("%s exists and is not a socket", path)
		}
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			c.Close()
			return nil, fmt.Errorf("another process is serving on %s", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, err
		}
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	// Any local user may connect, as to mysqld's socket: the login decides.
	if err := os.Chmod(path, 0o777); err != nil {
		ln.Close()
		return nil, err
	}
	return ln, nil
}

func newLogger(cfg *conf.Config, w io.Writer) (zerolog.Logger, error) {
	level, err := zerolog.ParseLevel(cfg.Log.Level)
	if err != nil {
		return zerolog.Logger{}, fmt.Errorf("%s: log.level: %w", cfg.Path, err)
	}
	zerolog.TimeFieldFormat = zerolog.TimeFormatUnixMs
	if cfg.Log.Format == "console" {
		w = zerolog.ConsoleWriter{Out: w, TimeFormat: time.TimeOnly}
	}
	return zerolog.New(w).Level(level).With().Timestamp().Logger(), nil
}
