package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"sidecar/conf"
)

const proxysqlUsage = `usage: sidecar proxysql-rules [-config sidecar.yaml] [-format sql|cnf] [-first-rule-id N]
                              [-server HOSTGROUP=HOST:PORT ...]

Prints what a ProxySQL placed between the sidecar and the shards needs, for
the shards that have a hostgroup: mysql_servers rows and one anchored
match_pattern rule per shard routing the sidecar's shard hint
/* [hostgroup=N;]keyspace=K;shard=S */ to its hostgroup, as admin SQL with the
LOAD/SAVE commands (-format sql, the default) or as a proxysql.cnf fragment
(-format cnf). Keyspaces without hostgroups are skipped (said in a comment).

The mysql_servers rows are the shards' addresses. When the shards point at
ProxySQL itself (the sidecar in front of it), name the MySQL servers of each
hostgroup with -server, e.g. -server 10=10.0.0.1:3306 -server 20=10.0.0.2:3306
(repeat a hostgroup for several servers of one shard, e.g. a Galera cluster:
every statement of the shard may go to any of them).

`

// serverFlags collects -server HOSTGROUP=HOST:PORT.
type serverFlags map[int][]string

func (f serverFlags) String() string { return fmt.Sprint(map[int][]string(f)) }

func (f serverFlags) Set(v string) error {
	hg, addr, ok := strings.Cut(v, "=")
	n, err := strconv.Atoi(hg)
	if !ok || err != nil || n < 0 || addr == "" {
		return fmt.Errorf("want HOSTGROUP=HOST:PORT, got %q", v)
	}
	f[n] = append(f[n], addr)
	return nil
}

// runProxySQLRules is `sidecar proxysql-rules …`. Exit status: 0 printed,
// 1 the config or its hostgroups are unusable, 2 bad usage.
func runProxySQLRules(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("proxysql-rules", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), proxysqlUsage)
		fs.PrintDefaults()
	}
	path := fs.String("config", "sidecar.yaml", "config file")
	format := fs.String("format", conf.ProxySQLFormatSQL, "output format: sql (admin SQL) or cnf (proxysql.cnf fragment)")
	firstID := fs.Int("first-rule-id", conf.DefaultProxySQLFirstRuleID, "rule_id of the first query rule")
	servers := serverFlags{}
	fs.Var(servers, "server", "HOSTGROUP=HOST:PORT: a MySQL server of that hostgroup, instead of the shards' addresses (repeatable)")
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" {
			fs.SetOutput(stdout) // asked for: not an error
			fs.Usage()
			return 0
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "sidecar proxysql-rules: unexpected arguments: %v\n", fs.Args())
		fs.Usage()
		return 2
	}
	if *format != conf.ProxySQLFormatSQL && *format != conf.ProxySQLFormatCnf {
		fmt.Fprintf(stderr, "sidecar proxysql-rules: -format must be sql or cnf, got %q\n", *format)
		return 2
	}
	if *firstID <= 0 {
		fmt.Fprintf(stderr, "sidecar proxysql-rules: -first-rule-id must be positive, got %d\n", *firstID)
		return 2
	}
	cfg, err := conf.Load(*path)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if err := cfg.ProxySQLRules(stdout, conf.ProxySQLOptions{Format: *format, FirstRuleID: *firstID, Servers: servers}); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}
