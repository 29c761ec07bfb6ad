package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeHostgroupConfig copies the example config with hostgroups 10 (-80)
// and 20 (80-) on the sharded keyspaces and returns its path.
func writeHostgroupConfig(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"things.vschema.json", "customer.vschema.json", "product.vschema.json", "sidecar.yaml"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "conf", "examples", f))
		if err != nil {
			t.Fatal(err)
		}
		if f == "sidecar.yaml" {
			s := string(b)
			for _, db := range []string{"things", "customer"} {
				s = strings.Replace(s, "database: "+db+"_x80}", "database: "+db+"_x80, hostgroup: 10}", 1)
				s = strings.Replace(s, "database: "+db+"_80x}", "database: "+db+"_80x, hostgroup: 20}", 1)
			}
			b = []byte(s)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "sidecar.yaml")
}

func TestRunProxySQLRules(t *testing.T) {
	path := writeHostgroupConfig(t)
	for _, tc := range []struct {
		args       []string
		wantOut    []string // substrings of stdout
		wantErr    string   // substring of stderr
		wantStatus int
	}{
		{[]string{"-config", path}, []string{
			"INSERT INTO mysql_servers (hostgroup_id, hostname, port, comment) VALUES (10, '127.0.0.1', 3306, 'sidecar customer/-80, things/-80');",
			`VALUES (103, 1, '^/\*\s*(?:hostgroup\s*=\s*\d+\s*;\s*)?keyspace\s*=\s*things\s*;\s*shard\s*=\s*80-\s*(?:;|\*/)', 20, 'CASELESS', 1, 'sidecar things/80-');`,
			"-- Keyspace product is skipped",
			"LOAD MYSQL SERVERS TO RUNTIME;\nSAVE MYSQL SERVERS TO DISK;\nLOAD MYSQL QUERY RULES TO RUNTIME;\nSAVE MYSQL QUERY RULES TO DISK;\n",
		}, "", 0},
		{[]string{"-config", path, "-format", "cnf", "-first-rule-id", "7"}, []string{
			"mysql_servers =\n(\n",
			`match_pattern = "^/\\*\\s*(?:hostgroup\\s*=\\s*\\d+\\s*;\\s*)?keyspace\\s*=\\s*customer\\s*;\\s*shard\\s*=\\s*-80\\s*(?:;|\\*/)"`,
			"rule_id = 7\n", "rule_id = 10\n",
		}, "", 0},
		{[]string{"-config", path, "-server", "10=db1:3306", "-server", "10=db1r:3306", "-server", "20=db2:3307"}, []string{
			"VALUES (10, 'db1', 3306, 'sidecar customer/-80, things/-80');",
			"VALUES (10, 'db1r', 3306, 'sidecar customer/-80, things/-80');",
			"VALUES (20, 'db2', 3307, 'sidecar customer/80-, things/80-');",
		}, "", 0},
		{[]string{"-config", path, "-server", "30=db3:3306"}, nil, "servers given for hostgroup 30, which no shard has", 1},
		{[]string{"-config", path, "-server", "db3:3306"}, nil, `want HOSTGROUP=HOST:PORT, got "db3:3306"`, 2},
		{[]string{"-config", "../../conf/examples/sidecar.yaml"}, nil, "no shard has a hostgroup", 1},
		{[]string{"-config", filepath.Join(t.TempDir(), "missing.yaml")}, nil, "no such file", 1},
		{[]string{"-config", path, "-format", "json"}, nil, `-format must be sql or cnf, got "json"`, 2},
		{[]string{"-config", path, "-first-rule-id", "0"}, nil, "-first-rule-id must be positive", 2},
		{[]string{"-config", path, "extra"}, nil, "unexpected arguments: [extra]", 2},
		{[]string{"-nope"}, nil, "flag provided but not defined: -nope", 2},
	} {
		var stdout, stderr bytes.Buffer
		status := run(append([]string{"proxysql-rules"}, tc.args...), &stdout, &stderr)
		if status != tc.wantStatus || !strings.Contains(stderr.String(), tc.wantErr) {
			t.Errorf("sidecar proxysql-rules %q: status %d, stderr %q; want %d, %q", tc.args, status, stderr.String(), tc.wantStatus, tc.wantErr)
		}
		for _, want := range tc.wantOut {
			if !strings.Contains(stdout.String(), want) {
				t.Errorf("sidecar proxysql-rules %q: stdout lacks %q:\n%s", tc.args, want, stdout.String())
			}
		}
		if tc.wantStatus != 0 && stdout.Len() > 0 {
			t.Errorf("sidecar proxysql-rules %q: failed but printed %q", tc.args, stdout.String())
		}
	}
}

func TestRunProxySQLRulesHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if status := run([]string{"proxysql-rules", "-h"}, &stdout, &stderr); status != 0 || !strings.Contains(stdout.String(), "usage: sidecar proxysql-rules") || !strings.Contains(stdout.String(), "-first-rule-id") {
		t.Errorf("help: %d %q %q", status, stdout.String(), stderr.String())
	}
	stdout.Reset()
	if status := run([]string{"help"}, &stdout, &stderr); status != 0 || !strings.Contains(stdout.String(), "sidecar proxysql-rules -config sidecar.yaml") {
		t.Errorf("sidecar help does not list proxysql-rules: %q", stdout.String())
	}
}
