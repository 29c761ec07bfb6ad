package integration

// `sidecar check -config F` run as users run it: the built binary, config files on disk, exit code,
// stdout and stderr. The precise wording of each problem is conf's business (conf_test.go); here the
// point is that the command names the file and key path of every problem, all at once, and prints
// the resolved topology of a good config.

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// checkVSchema is a sharded keyspace's VSchema file: a hash primary vindex and a lookup it owns.
const checkVSchema = `{
  "sharded": true,
  "vindexes": {
    "hash": {"type": "hash"},
    "name_lookup": {
      "type": "consistent_lookup_unique",
      "params": {"table": "things_name_lookup", "from": "name", "to": "keyspace_id"},
      "owner": "things"
    },
    "unicode_loose_md5": {"type": "unicode_loose_md5"}
  },
  "tables": {
    "things": {
      "column_vindexes": [{"column": "id", "name": "hash"}, {"column": "name", "name": "name_lookup"}]
    },
    "things_name_lookup": {
      "column_vindexes": [{"column": "name", "name": "unicode_loose_md5"}]
    }
  }
}
`

// checkConfig is a good config with a sharded keyspace (VSchema in a file) and an unsharded one.
// The replacements turn it into the bad configs below, one problem each.
const checkConfig = `listen: 127.0.0.1:15306
admin_listen: ""
users:
  - {name: mysql_user, password: mysql_password}
  - {name: sha_user, password: secret, auth_plugin: caching_sha2_password}
backend:
  user: root
  password: ""
  pool_size: 8
keyspaces:
  things:
    vschema_file: things.vschema.json
    shards:
      "-80": {address: "127.0.0.1:3306", database: things_x80}
      "80-": {address: "127.0.0.1:3306", database: things_80x}
  product:
    shards:
      "0": {address: "127.0.0.1:3306", database: product}
log: {level: info, format: json}
`

// runCheck writes config (and the VSchema file) into a fresh directory and runs `sidecar check`.
func runCheck(t *testing.T, config, vschema string) (path, stdout, stderr string, exit int) {
	t.Helper()
	bin := MustBuildSidecar(t)
	dir := t.TempDir()
	path = filepath.Join(dir, "sidecar.yaml")
	if err := os.WriteFile(path, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "things.vschema.json"), []byte(vschema), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "check", "-config", path)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		exit = ee.ExitCode()
	default:
		t.Fatalf("sidecar check: %v", err)
	}
	return path, out.String(), errb.String(), exit
}

func TestCheckGoodConfig(t *testing.T) {
	t.Parallel() // no servers: only the binary and files of its own
	_, stdout, stderr, exit := runCheck(t, checkConfig, checkVSchema)
	if exit != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr:\n%s", exit, stderr)
	}
	// The topology, in the order it is printed: keyspaces sorted, shards by key range with their
	// backends, the vindexes and tables of the sharded keyspace; no password anywhere.
	want := []*regexp.Regexp{
		regexp.MustCompile(`(?m)^keyspace product: unsharded`),
		regexp.MustCompile(`(?m)^\s+0\s+\[min, max\)\s+127\.0\.0\.1:3306 database product\b`),
		regexp.MustCompile(`(?m)^keyspace things: sharded, vschema \S*things\.vschema\.json$`),
		regexp.MustCompile(`(?m)^\s+-80\s+\[min, 80\)\s+127\.0\.0\.1:3306 database things_x80\b`),
		regexp.MustCompile(`(?m)^\s+80-\s+\[80, max\)\s+127\.0\.0\.1:3306 database things_80x\b`),
		regexp.MustCompile(`(?m)^\s+name_lookup\s+consistent_lookup_unique\b.*owned by things`),
		regexp.MustCompile(`(?m)^\s+things$`),
		regexp.MustCompile(`(?m)^\s+id\s+hash\s+hash\s+primary`),
		regexp.MustCompile(`(?m)^\s+name\s+name_lookup\s+consistent_lookup_unique\s+owned`),
		regexp.MustCompile(`(?m)^\s+things_name_lookup$`),
	}
	pos := 0
	for _, re := range want {
		loc := re.FindStringIndex(stdout[pos:])
		if loc == nil {
			t.Errorf("output lacks %s after offset %d:\n%s", re, pos, stdout)
			continue
		}
		pos += loc[1]
	}
	for _, secret := range []string{"mysql_password", "secret"} {
		if strings.Contains(stdout, secret) {
			t.Errorf("output shows a password (%q):\n%s", secret, stdout)
		}
	}
}

func TestCheckBadConfig(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		// edits to the good config (old → new) or the VSchema file
		config, vschema [][2]string
		// lines stderr must hold, "{config}" and "{vschema}" standing for the files' paths
		want []string
	}{
		{
			name:   "misspelt key in a shard",
			config: [][2]string{{`database: things_80x`, `databse: things_80x`}},
			want:   []string{`{config}: keyspaces.things.shards.80-.databse: unknown key "databse"`},
		},
		{
			name:   "misspelt top-level key",
			config: [][2]string{{`log: {`, `logg: {`}},
			want:   []string{`{config}: logg: unknown key "logg"`},
		},
		{
			name:    "misspelt key in the VSchema file",
			vschema: [][2]string{{`"column": "id"`, `"colunm": "id"`}},
			want:    []string{`{vschema}: tables.things.column_vindexes[0].colunm: unknown key "colunm"`},
		},
		{
			name:   "overlapping shards",
			config: [][2]string{{`"80-": {address: "127.0.0.1:3306", database: things_80x}`, `"40-": {address: "127.0.0.1:3306", database: things_80x}`}},
			want:   []string{`{config}: keyspaces.things.shards: shards -80 and 40- overlap`},
		},
		{
			name: "two problems reported together",
			config: [][2]string{
				{`"80-": {address: "127.0.0.1:3306", database: things_80x}`, `"40-": {address: "127.0.0.1:3306", database: things_80x}`},
				{`pool_size: 8`, `pool_sise: 8`},
			},
			want: []string{
				`{config}: backend.pool_sise: unknown key "pool_sise"`,
				`{config}: keyspaces.things.shards: shards -80 and 40- overlap`,
			},
		},
		{
			name:    "problems in both files together",
			config:  [][2]string{{`database: product`, `databas: product`}},
			vschema: [][2]string{{`"name": "name_lookup"`, `"name": "no_such_vindex"`}},
			want: []string{
				`{config}: keyspaces.product.shards.0.databas: unknown key "databas"`,
				`{vschema}: tables.things.column_vindexes[1].name: vindex "no_such_vindex" not defined`,
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			config, vschema := checkConfig, checkVSchema
			for _, e := range c.config {
				if !strings.Contains(config, e[0]) {
					t.Fatalf("config lacks %q", e[0])
				}
				config = strings.Replace(config, e[0], e[1], 1)
			}
			for _, e := range c.vschema {
				if !strings.Contains(vschema, e[0]) {
					t.Fatalf("vschema lacks %q", e[0])
				}
				vschema = strings.Replace(vschema, e[0], e[1], 1)
			}
			path, stdout, stderr, exit := runCheck(t, config, vschema)
			if exit != 1 {
				t.Errorf("exit %d, want 1", exit)
			}
			if strings.Contains(stdout, "keyspace ") {
				t.Errorf("a bad config's topology printed:\n%s", stdout)
			}
			vschemaPath := filepath.Join(filepath.Dir(path), "things.vschema.json")
			for _, w := range c.want {
				w = strings.NewReplacer("{config}", path, "{vschema}", vschemaPath).Replace(w)
				found := false
				for _, line := range strings.Split(stderr, "\n") {
					if strings.HasPrefix(line, w) {
						found = true
					}
				}
				if !found {
					t.Errorf("stderr has no line starting with\n  %s\nstderr:\n%s", w, stderr)
				}
			}
			if n := strings.Count(strings.TrimSpace(stderr), "\n") + 1; n < len(c.want) {
				t.Errorf("%d lines of problems, want at least %d:\n%s", n, len(c.want), stderr)
			}
		})
	}
}

func TestCheckMissingFile(t *testing.T) {
	t.Parallel()
	bin := MustBuildSidecar(t)
	path := filepath.Join(t.TempDir(), "nope.yaml")
	out, err := exec.Command(bin, "check", "-config", path).CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(string(out), path) {
		t.Errorf("check of a missing file: %v\n%s", err, out)
	}
}
