package conf

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The example topology with ProxySQL hostgroups on the sharded keyspaces:
// -80 shards in hostgroup 10, 80- shards in 20, product without one.
const proxysqlConfig = `
users: [{name: app, password: secret}]
backend: {user: root}
keyspaces:
  things:
    vschema_file: things.vschema.json
    shards:
      "-80": {address: "10.0.0.1:3306", database: things_x80, hostgroup: 10}
      "80-": {address: "10.0.0.2:3307", database: things_80x, hostgroup: 20}
  customer:
    vschema_file: customer.vschema.json
    shards:
      "-80": {address: "10.0.0.1:3306", database: customer_x80, hostgroup: 10}
      "80-": {address: "10.0.0.2:3307", database: customer_80x, hostgroup: 20}
  product:
    vschema_file: product.vschema.json
    shards:
      "0": {address: "10.0.0.3:3306", database: product}
`

func loadProxySQLConfig(t *testing.T) *Config {
	t.Helper()
	files := map[string]string{}
	for _, f := range []string{"things.vschema.json", "customer.vschema.json", "product.vschema.json"} {
		files[f] = string(mustRead(t, "examples/"+f))
	}
	cfg, err := loadString(t, proxysqlConfig, files)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Path = "sidecar.yaml" // stable output
	return cfg
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const wantProxySQLSQL = `-- ProxySQL admin SQL for the shards of sidecar.yaml (sidecar proxysql-rules).
-- Run it on the admin interface, e.g. mysql -h127.0.0.1 -P6032 -uadmin -p < this-file.
-- Each rule routes the statements whose first comment is the sidecar's hint for one shard
-- (/* [hostgroup=N;]keyspace=K;shard=S */, always the first bytes) to that shard's hostgroup.
-- mysql_servers rows: the MySQL servers of each hostgroup (the shards' addresses unless given with -server).
-- Keyspace product is skipped: none of its shards has a hostgroup (no rows, no rules for it).

DELETE FROM mysql_servers WHERE hostgroup_id=10 AND hostname='10.0.0.1' AND port=3306;
INSERT INTO mysql_servers (hostgroup_id, hostname, port, comment) VALUES (10, '10.0.0.1', 3306, 'sidecar customer/-80, things/-80');
DELETE FROM mysql_servers WHERE hostgroup_id=20 AND hostname='10.0.0.2' AND port=3307;
INSERT INTO mysql_servers (hostgroup_id, hostname, port, comment) VALUES (20, '10.0.0.2', 3307, 'sidecar customer/80-, things/80-');

DELETE FROM mysql_query_rules WHERE rule_id BETWEEN 100 AND 103;
INSERT INTO mysql_query_rules (rule_id, active, match_pattern, destination_hostgroup, re_modifiers, apply, comment) VALUES (100, 1, '^/\*\s*(?:hostgroup\s*=\s*\d+\s*;\s*)?keyspace\s*=\s*customer\s*;\s*shard\s*=\s*-80\s*(?:;|\*/)', 10, 'CASELESS', 1, 'sidecar customer/-80');
INSERT INTO mysql_query_rules (rule_id, active, match_pattern, destination_hostgroup, re_modifiers, apply, comment) VALUES (101, 1, '^/\*\s*(?:hostgroup\s*=\s*\d+\s*;\s*)?keyspace\s*=\s*customer\s*;\s*shard\s*=\s*80-\s*(?:;|\*/)', 20, 'CASELESS', 1, 'sidecar customer/80-');
INSERT INTO mysql_query_rules (rule_id, active, match_pattern, destination_hostgroup, re_modifiers, apply, comment) VALUES (102, 1, '^/\*\s*(?:hostgroup\s*=\s*\d+\s*;\s*)?keyspace\s*=\s*things\s*;\s*shard\s*=\s*-80\s*(?:;|\*/)', 10, 'CASELESS', 1, 'sidecar things/-80');
INSERT INTO mysql_query_rules (rule_id, active, match_pattern, destination_hostgroup, re_modifiers, apply, comment) VALUES (103, 1, '^/\*\s*(?:hostgroup\s*=\s*\d+\s*;\s*)?keyspace\s*=\s*things\s*;\s*shard\s*=\s*80-\s*(?:;|\*/)', 20, 'CASELESS', 1, 'sidecar things/80-');

LOAD MYSQL SERVERS TO RUNTIME;
SAVE MYSQL SERVERS TO DISK;
LOAD MYSQL QUERY RULES TO RUNTIME;
SAVE MYSQL QUERY RULES TO DISK;
`

const wantProxySQLCnf = `# proxysql.cnf fragment for the shards of sidecar.yaml (sidecar proxysql-rules -format cnf).
# ProxySQL reads proxysql.cnf only when its database is empty (or with --initial);
# backslashes in strings are doubled, as libconfig requires.
# Keyspace product is skipped: none of its shards has a hostgroup (no rows, no rules for it).

mysql_servers =
(
    { hostgroup_id = 10, hostname = "10.0.0.1", port = 3306, comment = "sidecar customer/-80, things/-80" },
    { hostgroup_id = 20, hostname = "10.0.0.2", port = 3307, comment = "sidecar customer/80-, things/80-" }
)

mysql_query_rules =
(
    {
        rule_id = 100
        active = 1
        match_pattern = "^/\\*\\s*(?:hostgroup\\s*=\\s*\\d+\\s*;\\s*)?keyspace\\s*=\\s*customer\\s*;\\s*shard\\s*=\\s*-80\\s*(?:;|\\*/)"
        destination_hostgroup = 10
        re_modifiers = "CASELESS"
        apply = 1
        comment = "sidecar customer/-80"
    },
    {
        rule_id = 101
        active = 1
        match_pattern = "^/\\*\\s*(?:hostgroup\\s*=\\s*\\d+\\s*;\\s*)?keyspace\\s*=\\s*customer\\s*;\\s*shard\\s*=\\s*80-\\s*(?:;|\\*/)"
        destination_hostgroup = 20
        re_modifiers = "CASELESS"
        apply = 1
        comment = "sidecar customer/80-"
    },
    {
        rule_id = 102
        active = 1
        match_pattern = "^/\\*\\s*(?:hostgroup\\s*=\\s*\\d+\\s*;\\s*)?keyspace\\s*=\\s*things\\s*;\\s*shard\\s*=\\s*-80\\s*(?:;|\\*/)"
        destination_hostgroup = 10
        re_modifiers = "CASELESS"
        apply = 1
        comment = "sidecar things/-80"
    },
    {
        rule_id = 103
        active = 1
        match_pattern = "^/\\*\\s*(?:hostgroup\\s*=\\s*\\d+\\s*;\\s*)?keyspace\\s*=\\s*things\\s*;\\s*shard\\s*=\\s*80-\\s*(?:;|\\*/)"
        destination_hostgroup = 20
        re_modifiers = "CASELESS"
        apply = 1
        comment = "sidecar things/80-"
    }
)
`

func TestProxySQLRulesSQL(t *testing.T) {
	cfg := loadProxySQLConfig(t)
	var out bytes.Buffer
	if err := cfg.ProxySQLRules(&out, ProxySQLOptions{}); err != nil {
		t.Fatal(err)
	}
	if out.String() != wantProxySQLSQL {
		t.Errorf("admin SQL:\n%s\nwant:\n%s", out.String(), wantProxySQLSQL)
	}
	// The patterns read back from the SQL literals are the rules' patterns.
	setup, err := cfg.ProxySQLSetup(ProxySQLOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := sqlMatchPatterns(t, out.String())
	if len(got) != len(setup.Rules) {
		t.Fatalf("%d match_pattern literals in the SQL, want %d", len(got), len(setup.Rules))
	}
	for i, r := range setup.Rules {
		if got[i] != r.MatchPattern {
			t.Errorf("rule %d: SQL literal reads back as %q, want %q", r.RuleID, got[i], r.MatchPattern)
		}
	}
}

func TestProxySQLRulesCnf(t *testing.T) {
	cfg := loadProxySQLConfig(t)
	var out bytes.Buffer
	if err := cfg.ProxySQLRules(&out, ProxySQLOptions{Format: ProxySQLFormatCnf}); err != nil {
		t.Fatal(err)
	}
	if out.String() != wantProxySQLCnf {
		t.Errorf("cnf:\n%s\nwant:\n%s", out.String(), wantProxySQLCnf)
	}
	setup, err := cfg.ProxySQLSetup(ProxySQLOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := cnfMatchPatterns(t, out.String())
	if len(got) != len(setup.Rules) {
		t.Fatalf("%d match_pattern strings in the cnf, want %d", len(got), len(setup.Rules))
	}
	for i, r := range setup.Rules {
		if got[i] != r.MatchPattern {
			t.Errorf("rule %d: cnf string reads back as %q, want %q", r.RuleID, got[i], r.MatchPattern)
		}
	}
}

func TestProxySQLRulesFirstRuleID(t *testing.T) {
	cfg := loadProxySQLConfig(t)
	var out bytes.Buffer
	if err := cfg.ProxySQLRules(&out, ProxySQLOptions{FirstRuleID: 5000}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"BETWEEN 5000 AND 5003;", "VALUES (5000, 1, ", "VALUES (5003, 1, "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if err := cfg.ProxySQLRules(&out, ProxySQLOptions{Format: "yaml"}); err == nil || !strings.Contains(err.Error(), `unknown format "yaml"`) {
		t.Errorf("format yaml: %v", err)
	}
}

// sqlMatchPatterns reads the match_pattern literal of each INSERT INTO
// mysql_query_rules the way SQLite (ProxySQL's admin) reads it: a doubled
// quote is a quote, a backslash is itself.
func sqlMatchPatterns(t *testing.T, sql string) []string {
	t.Helper()
	var out []string
	for _, line := range strings.Split(sql, "\n") {
		_, values, ok := strings.Cut(line, "INSERT INTO mysql_query_rules")
		if !ok {
			continue
		}
		_, values, _ = strings.Cut(values, "VALUES (")
		lits := sqliteLiterals(values)
		if len(lits) == 0 {
			t.Fatalf("no string literal in %q", line)
		}
		out = append(out, lits[0])
	}
	return out
}

func sqliteLiterals(s string) []string {
	var out []string
	for i := 0; i < len(s); i++ {
		if s[i] != '\'' {
			continue
		}
		var b strings.Builder
		for i++; i < len(s); i++ {
			if s[i] == '\'' {
				if i+1 < len(s) && s[i+1] == '\'' {
					b.WriteByte('\'')
					i++
					continue
				}
				break
			}
			b.WriteByte(s[i])
		}
		out = append(out, b.String())
	}
	return out
}

// cnfMatchPatterns reads each match_pattern string of a cnf fragment the way
// libconfig does: C escapes.
func cnfMatchPatterns(t *testing.T, cnf string) []string {
	t.Helper()
	var out []string
	for _, line := range strings.Split(cnf, "\n") {
		_, quoted, ok := strings.Cut(strings.TrimSpace(line), "match_pattern = ")
		if !ok {
			continue
		}
		s, err := strconv.Unquote(quoted) // Go's escapes are a superset of libconfig's \\ \" \xNN
		if err != nil {
			t.Fatalf("cnf string %s: %v", quoted, err)
		}
		out = append(out, s)
	}
	return out
}

// sidecarHint is the comment the sidecar starts every statement for sh with
// (sidecar.hintFor; the integration tests check the real one).
func sidecarHint(sh *Shard) string {
	h := "/* "
	if sh.HasHostgroup {
		h += "hostgroup=" + strconv.Itoa(sh.Hostgroup) + ";"
	}
	return h + "keyspace=" + sh.Keyspace + ";shard=" + sh.Name + " */ "
}

// compileProxySQL compiles a rule's pattern as ProxySQL would with
// re_modifiers CASELESS. ProxySQL uses PCRE (or RE2); Go's regexp is RE2
// syntax, and for these patterns (anchors, \s, \d, escaped literals, a
// non-capturing optional group and an alternation) PCRE, RE2 and Go agree,
// which is the assumption this test and the integration tests rest on.
func compileProxySQL(t *testing.T, pattern string) *regexp.Regexp {
	t.Helper()
	re, err := regexp.Compile("(?i)" + pattern)
	if err != nil {
		t.Fatalf("pattern %q: %v", pattern, err)
	}
	return re
}

// A topology with names that need escaping and names that are prefixes of
// each other, each shard in its own hostgroup.
func trickyProxySQLConfig() *Config {
	topo := &Topology{Keyspaces: map[string]*Keyspace{}}
	add := func(ks string, shards ...string) {
		k := &Keyspace{Name: ks, Sharded: len(shards) > 1}
		for _, s := range shards {
			k.Shards = append(k.Shards, &Shard{Keyspace: ks, Name: s, Address: "127.0.0.1:3306", Database: ks + s,
				HasHostgroup: true, Hostgroup: 10 * (len(topo.Names)*4 + len(k.Shards) + 1)})
		}
		topo.Keyspaces[ks] = k
		topo.Names = append(topo.Names, ks)
	}
	// Sorted, as Load sorts them.
	add("shop.eu$(1)+", "-80", "80-")
	add("shopXeu$(1)+", "-80", "80-") // what "shop.eu…" would match if '.' were not escaped
	add("things", "-40", "40-80", "80-")
	add("things2", "-8000", "8000-") // "-80" is a prefix of "-8000"; "things" of "things2"
	add("unsharded", "-")
	add("zero", "0")
	return &Config{Path: "tricky.yaml", Topology: topo}
}

func TestProxySQLPatternsMatchOwnShardOnly(t *testing.T) {
	for _, cfg := range []*Config{loadProxySQLConfig(t), trickyProxySQLConfig()} {
		setup, err := cfg.ProxySQLSetup(ProxySQLOptions{})
		if err != nil {
			t.Fatal(err)
		}
		type hinted struct {
			sql string
			id  string // keyspace/shard it is for
		}
		var stmts []hinted
		for _, name := range cfg.Topology.Names {
			for _, sh := range cfg.Topology.Keyspaces[name].Shards {
				id := sh.Keyspace + "/" + sh.Name
				noHG := *sh
				noHG.HasHostgroup = false
				for _, s := range []string{
					sidecarHint(sh) + "SELECT * FROM t WHERE id = 1",
					sidecarHint(&noHG) + "INSERT INTO t (id) VALUES (1)",
					sidecarHint(sh) + "/* app comment; keyspace=other */ COMMIT",
					sidecarHint(sh) + "BEGIN",
					strings.NewReplacer("hostgroup=", "HOSTGROUP=", "keyspace=", "KeySpace=", "shard=", "SHARD=").Replace(sidecarHint(sh)) + "select 1", // CASELESS
					"/*hostgroup = 7 ; keyspace = " + sh.Keyspace + " ; shard = " + sh.Name + "*/SELECT 1",                                              // ProxySQL trims
					"/* keyspace=" + sh.Keyspace + ";shard=" + sh.Name + ";query_timeout=100 */ SELECT 1",
				} {
					stmts = append(stmts, hinted{s, id})
				}
			}
		}
		for _, r := range setup.Rules {
			re := compileProxySQL(t, r.MatchPattern)
			own := r.Keyspace + "/" + r.Shard
			for _, st := range stmts {
				if got, want := re.MatchString(st.sql), st.id == own; got != want {
					t.Errorf("%s: rule %d for %s (%s) matches %q: %v, want %v", cfg.Path, r.RuleID, own, r.MatchPattern, st.sql, got, want)
				}
			}
			// Never: a hint that is not first, an unhinted statement, a hint
			// split differently, a comment ProxySQL would not parse for it.
			for _, s := range []string{
				"SELECT 1 " + "/* keyspace=" + r.Keyspace + ";shard=" + r.Shard + " */",
				" /* keyspace=" + r.Keyspace + ";shard=" + r.Shard + " */ SELECT 1",
				"-- /* keyspace=" + r.Keyspace + ";shard=" + r.Shard + " */\nSELECT 1",
				"/* app */ /* keyspace=" + r.Keyspace + ";shard=" + r.Shard + " */ SELECT 1",
				"/* shard=" + r.Shard + ";keyspace=" + r.Keyspace + " */ SELECT 1",
				"/* keyspace=" + r.Keyspace + "x;shard=" + r.Shard + " */ SELECT 1",
				"/* keyspace=" + r.Keyspace + ";shard=" + r.Shard + "0 */ SELECT 1",
				"/* keyspace=" + r.Keyspace + ";shard=" + r.Shard + "x */ SELECT 1",
				"SELECT * FROM t",
			} {
				if re.MatchString(s) {
					t.Errorf("%s: rule %d for %s matches %q", cfg.Path, r.RuleID, own, s)
				}
			}
		}
	}
}

func TestProxySQLRulesTrickyNamesRoundTrip(t *testing.T) {
	cfg := trickyProxySQLConfig()
	setup, err := cfg.ProxySQLSetup(ProxySQLOptions{FirstRuleID: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(setup.Rules[0].MatchPattern, `keyspace\s*=\s*shop\.eu\$\(1\)\+\s*;`) {
		t.Errorf("keyspace not escaped: %s", setup.Rules[0].MatchPattern)
	}
	var sqlOut, cnfOut bytes.Buffer
	if err := cfg.ProxySQLRules(&sqlOut, ProxySQLOptions{FirstRuleID: 1}); err != nil {
		t.Fatal(err)
	}
	if err := cfg.ProxySQLRules(&cnfOut, ProxySQLOptions{FirstRuleID: 1, Format: ProxySQLFormatCnf}); err != nil {
		t.Fatal(err)
	}
	fromSQL, fromCnf := sqlMatchPatterns(t, sqlOut.String()), cnfMatchPatterns(t, cnfOut.String())
	for i, r := range setup.Rules {
		if fromSQL[i] != r.MatchPattern || fromCnf[i] != r.MatchPattern {
			t.Errorf("rule %d: SQL reads back %q, cnf %q, want %q", r.RuleID, fromSQL[i], fromCnf[i], r.MatchPattern)
		}
	}
	// A quote in a comment or host name is doubled for SQLite, escaped for libconfig.
	if got := sqliteString(`it's \*`); got != `'it''s \*'` {
		t.Errorf("sqliteString = %s", got)
	}
	if got := cnfString(`say "\*"`); got != `"say \"\\*\""` {
		t.Errorf("cnfString = %s", got)
	}
}

// With the sidecar in front of ProxySQL the shards point at ProxySQL: the
// servers of each hostgroup are given instead.
func TestProxySQLRulesServers(t *testing.T) {
	cfg := loadProxySQLConfig(t)
	setup, err := cfg.ProxySQLSetup(ProxySQLOptions{Servers: map[int][]string{
		10: {"db1.example:3306", "db1-replica.example:3306"},
		20: {"[::1]:3307"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := "[{10 db1.example 3306 sidecar customer/-80, things/-80} {10 db1-replica.example 3306 sidecar customer/-80, things/-80} " +
		"{20 ::1 3307 sidecar customer/80-, things/80-}]"
	if got := fmt.Sprint(setup.Servers); got != want {
		t.Errorf("servers:\n%s\nwant\n%s", got, want)
	}
	if len(setup.Rules) != 4 {
		t.Errorf("%d rules", len(setup.Rules))
	}
	for _, tc := range []struct {
		servers map[int][]string
		want    string
	}{
		{map[int][]string{30: {"h:1"}}, "servers given for hostgroup 30, which no shard has"},
		{map[int][]string{10: {"nohost"}}, `hostgroup 10): address "nohost"`},
	} {
		if _, err := cfg.ProxySQLSetup(ProxySQLOptions{Servers: tc.servers}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("servers %v: %v, want %q", tc.servers, err, tc.want)
		}
	}
}

func TestProxySQLRulesErrors(t *testing.T) {
	shard := func(ks, name string, hg int) *Shard {
		return &Shard{Keyspace: ks, Name: name, Address: "127.0.0.1:3306", HasHostgroup: hg >= 0, Hostgroup: hg}
	}
	cfgOf := func(shards ...*Shard) *Config {
		topo := &Topology{Keyspaces: map[string]*Keyspace{}}
		for _, sh := range shards {
			ks := topo.Keyspaces[sh.Keyspace]
			if ks == nil {
				ks = &Keyspace{Name: sh.Keyspace, Sharded: true}
				topo.Keyspaces[sh.Keyspace] = ks
				topo.Names = append(topo.Names, sh.Keyspace)
			}
			ks.Shards = append(ks.Shards, sh)
		}
		return &Config{Path: "x.yaml", Topology: topo}
	}
	for _, tc := range []struct {
		cfg  *Config
		want string
	}{
		{cfgOf(shard("ks", "-80", -1), shard("ks", "80-", -1)), "x.yaml: no shard has a hostgroup"},
		{cfgOf(shard("ks", "-80", 10), shard("ks", "80-", -1)), "keyspace ks: shards -80 have a hostgroup but 80- not"},
		{cfgOf(shard("k;s", "-80", 10), shard("k;s", "80-", 20)), `keyspace "k;s": the name contains ';'`},
		{cfgOf(shard("k=s", "0", 10)), `keyspace "k=s": the name contains '='`},
		{cfgOf(shard("k*/s", "0", 10)), `keyspace "k*/s": the name contains '*/'`},
		{cfgOf(shard("k s", "0", 10)), `keyspace "k s": the name contains whitespace`},
		{cfgOf(shard("KS", "0", 10), shard("ks", "0", 20)), "shards KS/0 and ks/0 differ only in letter case"},
		{cfgOf(&Shard{Keyspace: "ks", Name: "0", Address: "nohost", HasHostgroup: true}), `address "nohost"`},
	} {
		err := tc.cfg.ProxySQLRules(&bytes.Buffer{}, ProxySQLOptions{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.cfg.Topology.Names, err, tc.want)
		}
	}
	// A unix socket address is a mysql_servers row with port 0.
	cfg := cfgOf(&Shard{Keyspace: "ks", Name: "0", Address: "/run/mysqld/mysqld.sock", HasHostgroup: true, Hostgroup: 3})
	setup, err := cfg.ProxySQLSetup(ProxySQLOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(setup.Servers); got != "[{3 /run/mysqld/mysqld.sock 0 sidecar ks/0}]" {
		t.Errorf("socket server row: %s", got)
	}
}
