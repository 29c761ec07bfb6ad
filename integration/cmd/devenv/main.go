// Command devenv is `make run`: one local MariaDB holding every backend database of the example
// config, and the sidecar in the foreground in front of it, ready for
//
//	mariadb -h127.0.0.1 -P15306 -umysql_user -pmysql_password product
//	mariadb --socket=/tmp/sidecar-dev/sidecar.sock -umysql_user -pmysql_password product
//
// MariaDB's datadir is kept (default /tmp/sidecar-dev/mariadb), so tables and rows survive restarts.
// Databases, backend users and the product keyspace's sequence tables are (re)created on every start;
// other tables are left to the user (the seeds show the CREATE TABLE statements). The config and
// VSchema files are copied from conf/examples with the backend address 127.0.0.1:3306 replaced by
// this MariaDB's, so the examples stay valid for a MariaDB on the standard port. The copy has the
// product keyspace as its metadata keyspace, and VSchemas as seed 002 starts: without corder_event
// and its sequence, which the seed's ALTER VSCHEMA statements add. What VSchema DDL changes is stored
// in product.sidecar_vschema and stays in force across restarts.
//
// Ctrl-C (or SIGTERM) stops the sidecar, then MariaDB.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"go.yaml.in/yaml/v3"

	"sidecar/integration"
)

// exampleBackendAddr is the backend address used throughout conf/examples.
const exampleBackendAddr = "127.0.0.1:3306"

// devConfig is the part of the sidecar config devenv needs; it is read with a plain YAML decode so
// devenv does not depend on the conf package's validation (which may reject a config we only copy).
type devConfig struct {
	Listen       string         `yaml:"listen"`
	ListenSocket string         `yaml:"listen_socket"`
	Metadata     map[string]any `yaml:"metadata"`
	Users        []struct {
		Name     string `yaml:"name"`
		Password string `yaml:"password"`
	} `yaml:"users"`
	Backend   backendAccount `yaml:"backend"`
	Keyspaces map[string]struct {
		Shards map[string]struct {
			Address        string `yaml:"address"`
			Database       string `yaml:"database"`
			backendAccount `yaml:",inline"`
		} `yaml:"shards"`
	} `yaml:"keyspaces"`
}

type backendAccount struct {
	User     string `yaml:"user"`
	Password string `yaml:"password"`
}

func main() {
	os.Exit(run())
}

func run() int {
	defaultDir := filepath.Join(os.TempDir(), "sidecar-dev")
	dir := flag.String("dir", defaultDir, "working directory: MariaDB datadir (mariadb/), config copy")
	port := flag.Int("port", 3307, "MariaDB port; a free one below 32768 is used if it is taken")
	example := flag.String("config", "", "example config to copy (default MODULE/conf/examples/sidecar.yaml)")
	prebuilt := flag.String("bin", "", "run this sidecar binary instead of building ./cmd/sidecar")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	defer integration.Cleanup()

	fail := func(format string, args ...any) int {
		fmt.Fprintf(os.Stderr, "devenv: "+format+"\n", args...)
		return 1
	}
	if *example == "" {
		root, err := integration.ModuleRoot()
		if err != nil {
			return fail("%v", err)
		}
		*example = filepath.Join(root, "conf", "examples", "sidecar.yaml")
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		return fail("%v", err)
	}

	m, err := integration.StartMariaDB(integration.Options{
		DataDir:      filepath.Join(*dir, "mariadb"),
		Port:         *port,
		FallbackPort: true,
	})
	if err != nil {
		return fail("%v", err)
	}
	defer func() {
		fmt.Fprintln(os.Stderr, "devenv: stopping MariaDB")
		if err := m.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "devenv: stop MariaDB: %v\n", err)
		}
	}()
	fmt.Fprintf(os.Stderr, "devenv: MariaDB on %s (root, no password; data in %s)\n", m.Addr(), m.DataDir())

	configPath, cfg, err := writeConfig(*example, *dir, m.Addr())
	if err != nil {
		return fail("%v", err)
	}
	if err := prepareBackend(m, cfg); err != nil {
		return fail("%v", err)
	}
	if ctx.Err() != nil {
		return 0
	}

	bin := *prebuilt
	if bin == "" {
		fmt.Fprintln(os.Stderr, "devenv: building ./cmd/sidecar")
		if bin, err = integration.BuildSidecar(); err != nil {
			return fail("%v", err)
		}
	}
	if ctx.Err() != nil {
		return 0
	}
	fmt.Fprintf(os.Stderr, "devenv: %s -config %s\n", bin, configPath)
	sc, err := integration.StartSidecarOutput(bin, configPath, cfg.Listen, os.Stdout, os.Stderr)
	if err != nil {
		return fail("%v", err)
	}
	defer func() {
		fmt.Fprintln(os.Stderr, "devenv: stopping the sidecar")
		if err := sc.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "devenv: stop sidecar: %v\n", err)
		}
	}()
	fmt.Fprintf(os.Stderr, "\ndevenv: ready. Connect with:\n\n    %s\n\nor through its Unix socket:\n\n    %s\n\n"+
		"devenv: backends directly: mariadb -h127.0.0.1 -P%d -uroot\n"+
		"devenv: VSchema DDL (seed 002's ALTER VSCHEMA) is stored in product.sidecar_vschema and kept across restarts.\n"+
		"devenv: Ctrl-C stops the sidecar, then MariaDB.\n\n",
		connectCommand(cfg, false), connectCommand(cfg, true), m.Port())

	select {
	case <-ctx.Done():
		fmt.Fprintln(os.Stderr, "\ndevenv: signal received")
		return 0
	case <-sc.Exited():
		return fail("the sidecar exited on its own: %v", sc.ExitErr())
	}
}

// writeConfig copies the example config and its sibling files (the VSchema JSON it refers to by
// relative path) into dir, pointing the backend addresses at addr, and returns the copy's path and
// contents.
func writeConfig(example, dir, addr string) (string, *devConfig, error) {
	srcDir := filepath.Dir(example)
	entries, err := os.ReadDir(srcDir)
	if err != nil {
		return "", nil, err
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(srcDir, e.Name()))
		if err != nil {
			return "", nil, err
		}
		if ext := filepath.Ext(e.Name()); ext == ".yaml" || ext == ".yml" {
			b = []byte(strings.ReplaceAll(string(b), exampleBackendAddr, addr))
		}
		if table, ok := seed002Adds[e.Name()]; ok {
			if b, err = withoutTable(b, table); err != nil {
				return "", nil, fmt.Errorf("%s: %w", e.Name(), err)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
			return "", nil, err
		}
	}
	path := filepath.Join(dir, filepath.Base(example))
	b, err := os.ReadFile(path)
	if err != nil {
		return "", nil, err
	}
	var cfg devConfig
	if err := yaml.Unmarshal(b, &cfg); err != nil {
		return "", nil, fmt.Errorf("%s: %w", example, err)
	}
	if cfg.Listen == "" {
		return "", nil, fmt.Errorf("%s: no listen address", example)
	}
	if cfg.ListenSocket == "" {
		// Serve the Unix socket too, next to the config copy.
		cfg.ListenSocket = filepath.Join(dir, "sidecar.sock")
		b = append(b, fmt.Sprintf("\nlisten_socket: %q\n", cfg.ListenSocket)...)
	}
	if cfg.Metadata == nil {
		// VSchema DDL (seed 002) needs somewhere to store the VSchema.
		b = append(b, "\nmetadata: {keyspace: product}\n"...)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return "", nil, err
	}
	for ks, k := range cfg.Keyspaces {
		for name, sh := range k.Shards {
			if sh.Address != addr {
				fmt.Fprintf(os.Stderr, "devenv: warning: keyspace %s shard %s uses backend %s, not this MariaDB (%s)\n", ks, name, sh.Address, addr)
			}
		}
	}
	fmt.Fprintf(os.Stderr, "devenv: config %s (backends -> %s)\n", path, addr)
	return path, &cfg, nil
}

// seed002Adds names, per VSchema file of conf/examples, the table seed 002's ALTER VSCHEMA statements
// add to it: the dev environment starts without them, as the seed does, so they can be typed as it
// shows them.
var seed002Adds = map[string]string{
	"customer.vschema.json": "corder_event",
	"product.vschema.json":  "corder_event_seq",
}

// withoutTable is a VSchema JSON without one of its tables.
func withoutTable(vschema []byte, table string) ([]byte, error) {
	var vs map[string]any
	if err := json.Unmarshal(vschema, &vs); err != nil {
		return nil, err
	}
	if tables, ok := vs["tables"].(map[string]any); ok {
		delete(tables, table)
	}
	return json.MarshalIndent(vs, "", "  ")
}

// prepareBackend creates the databases the config names (and the standard ones), the backend users
// other than root (root exists with an empty password), and the product keyspace's sequence and lookup
// tables. Everything is idempotent.
func prepareBackend(m *integration.MariaDB, cfg *devConfig) error {
	dbs := slices.Clone(integration.DevDatabases)
	users := map[string]string{}
	addUser := func(a backendAccount) {
		if a.User != "" && a.User != "root" {
			users[a.User] = a.Password
		}
	}
	addUser(cfg.Backend)
	for _, k := range cfg.Keyspaces {
		for _, sh := range k.Shards {
			if sh.Database != "" && !slices.Contains(dbs, sh.Database) {
				dbs = append(dbs, sh.Database)
			}
			a := sh.backendAccount
			if a.User != "" && a.Password == "" {
				a.Password = cfg.Backend.Password
			}
			addUser(a)
		}
	}
	if err := m.CreateDatabases(dbs...); err != nil {
		return err
	}
	for u, p := range users {
		if err := m.CreateUser(u, p); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "devenv: backend user %s\n", u)
	}
	if err := m.Exec("product", integration.ProductSchema); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "devenv: databases %s; sequence tables in product\n", strings.Join(dbs, ", "))
	return nil
}

// connectCommand is the mariadb command line for the config's first client account, over TCP or
// through the Unix socket.
func connectCommand(cfg *devConfig, socket bool) string {
	host, port := "127.0.0.1", "15306"
	if i := strings.LastIndex(cfg.Listen, ":"); i >= 0 {
		if h := cfg.Listen[:i]; h != "" && h != "0.0.0.0" && h != "[::]" {
			host = h
		}
		if _, err := strconv.Atoi(cfg.Listen[i+1:]); err == nil {
			port = cfg.Listen[i+1:]
		}
	}
	cmd := fmt.Sprintf("mariadb -h%s -P%s", host, port)
	if socket {
		cmd = "mariadb --socket=" + cfg.ListenSocket
	}
	if len(cfg.Users) > 0 {
		cmd += " -u" + cfg.Users[0].Name
		if cfg.Users[0].Password != "" {
			cmd += " -p" + cfg.Users[0].Password
		}
	}
	return cmd + " product"
}
