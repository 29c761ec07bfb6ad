package conf

import (
	"fmt"
	"io"
	"net"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Output formats of ProxySQLRules.
const (
	ProxySQLFormatSQL = "sql" // admin SQL for ProxySQL's admin interface (port 6032)
	ProxySQLFormatCnf = "cnf" // a proxysql.cnf fragment (libconfig syntax)
)

// DefaultProxySQLFirstRuleID is the rule_id of the first generated query rule.
const DefaultProxySQLFirstRuleID = 100

// ProxySQLOptions configure ProxySQLRules.
type ProxySQLOptions struct {
	Format      string // ProxySQLFormatSQL (default when "") or ProxySQLFormatCnf
	FirstRuleID int    // rule_id of the first rule; 0 means DefaultProxySQLFirstRuleID
	// Servers replaces, per hostgroup, the mysql_servers rows taken from the
	// shards' addresses by these host:port addresses (several when a shard is
	// served by several servers that all take writes, e.g. Galera).
	// With the sidecar in front of ProxySQL the shards' addresses are
	// ProxySQL's own; the MySQL servers behind it are only known this way.
	Servers map[int][]string
}

// ProxySQLServer is one row of ProxySQL's mysql_servers table.
type ProxySQLServer struct {
	Hostgroup int
	Hostname  string
	Port      int // 0 for a unix socket path in Hostname
	Comment   string
}

// ProxySQLRule is one row of ProxySQL's mysql_query_rules table: statements
// whose first comment is the sidecar's hint for one shard go to its hostgroup.
type ProxySQLRule struct {
	RuleID               int
	MatchPattern         string // a PCRE, matched against the raw statement text
	DestinationHostgroup int
	Keyspace, Shard      string
	Comment              string
}

// ProxySQLREModifiers is the re_modifiers of every generated rule: ProxySQL's
// default, written out so the rows say how their patterns are matched.
const ProxySQLREModifiers = "CASELESS"

// ProxySQLSetup is what the proxysql-rules command prints: the servers and
// rules for the shards that have a hostgroup, and the keyspaces left out.
type ProxySQLSetup struct {
	Servers []ProxySQLServer
	Rules   []ProxySQLRule
	// Skipped are keyspaces none of whose shards has a hostgroup: their
	// statements are not routed by these rules.
	Skipped []string
}

// ProxySQLSetup computes the mysql_servers rows (one per distinct hostgroup,
// host and port of the shards) and one anchored match_pattern rule per shard
// with a hostgroup, in keyspace order and, within a keyspace, key-range
// order. A keyspace where only some shards have a hostgroup is an error:
// the others' rows would land in ProxySQL's default hostgroup.
func (c *Config) ProxySQLSetup(opts ProxySQLOptions) (*ProxySQLSetup, error) {
	firstRuleID := opts.FirstRuleID
	if firstRuleID == 0 {
		firstRuleID = DefaultProxySQLFirstRuleID
	}
	if firstRuleID < 0 {
		return nil, fmt.Errorf("first rule_id must be positive, got %d", firstRuleID)
	}
	setup := &ProxySQLSetup{}
	type serverKey struct {
		hostgroup int
		host      string
		port      int
	}
	servers := map[serverKey]int{} // → index in setup.Servers
	hints := map[string]string{}   // case-folded keyspace/shard → keyspace/shard
	used := map[int]bool{}         // hostgroups of the shards
	var problems []string
	addServer := func(hostgroup int, host string, port int, id string) {
		k := serverKey{hostgroup, host, port}
		if i, seen := servers[k]; seen {
			setup.Servers[i].Comment += ", " + id
			return
		}
		servers[k] = len(setup.Servers)
		setup.Servers = append(setup.Servers, ProxySQLServer{Hostgroup: hostgroup, Hostname: host, Port: port, Comment: "sidecar " + id})
	}
	for _, name := range c.Topology.Names {
		ks := c.Topology.Keyspaces[name]
		var with, without []string
		for _, sh := range ks.Shards {
			if sh.HasHostgroup {
				with = append(with, sh.Name)
			} else {
				without = append(without, sh.Name)
			}
		}
		if len(with) == 0 {
			setup.Skipped = append(setup.Skipped, name)
			continue
		}
		if len(without) > 0 {
			problems = append(problems, fmt.Sprintf("keyspace %s: shards %s have a hostgroup but %s not; "+
				"set keyspaces.%s.shards.<name>.hostgroup on every shard or on none", name,
				strings.Join(with, ", "), strings.Join(without, ", "), name))
			continue
		}
		for _, sh := range ks.Shards {
			if bad := hintUnsafe(sh.Keyspace); bad != "" {
				problems = append(problems, fmt.Sprintf("keyspace %q: the name contains %s, which ProxySQL's comment parser "+
					"cannot read back from the hint /* keyspace=…;shard=… */", sh.Keyspace, bad))
				break
			}
			if bad := hintUnsafe(sh.Name); bad != "" {
				problems = append(problems, fmt.Sprintf("keyspace %s shard %q: the name contains %s, which ProxySQL's "+
					"comment parser cannot read back from the hint", sh.Keyspace, sh.Name, bad))
				continue
			}
			id := sh.Keyspace + "/" + sh.Name
			folded := strings.ToLower(id)
			if other, dup := hints[folded]; dup {
				// re_modifiers CASELESS: one pattern would match both.
				problems = append(problems, fmt.Sprintf("shards %s and %s differ only in letter case; "+
					"ProxySQL matches rules case-insensitively and could not tell them apart", other, id))
				continue
			}
			hints[folded] = id

			used[sh.Hostgroup] = true
			addresses := opts.Servers[sh.Hostgroup]
			if len(addresses) == 0 {
				addresses = []string{sh.Address}
			}
			for _, addr := range addresses {
				host, port, err := splitServerAddress(addr)
				if err != nil {
					problems = append(problems, fmt.Sprintf("keyspace %s shard %s (hostgroup %d): address %q: %v", sh.Keyspace, sh.Name, sh.Hostgroup, addr, err))
					continue
				}
				addServer(sh.Hostgroup, host, port, id)
			}
			setup.Rules = append(setup.Rules, ProxySQLRule{
				RuleID:               firstRuleID + len(setup.Rules),
				MatchPattern:         ProxySQLHintPattern(sh.Keyspace, sh.Name),
				DestinationHostgroup: sh.Hostgroup,
				Keyspace:             sh.Keyspace,
				Shard:                sh.Name,
				Comment:              "sidecar " + id,
			})
		}
	}
	given := make([]int, 0, len(opts.Servers))
	for hg := range opts.Servers {
		given = append(given, hg)
	}
	sort.Ints(given)
	for _, hg := range given {
		if !used[hg] {
			problems = append(problems, fmt.Sprintf("servers given for hostgroup %d, which no shard has", hg))
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%s: %s", c.Path, strings.Join(problems, "\n"+c.Path+": "))
	}
	if len(setup.Rules) == 0 {
		return nil, fmt.Errorf("%s: no shard has a hostgroup: set keyspaces.<keyspace>.shards.<shard>.hostgroup "+
			"to the ProxySQL hostgroup of each shard", c.Path)
	}
	return setup, nil
}

// hintUnsafe names what in a keyspace or shard name would break the hint
// comment as ProxySQL parses it ("" if nothing does): ';' and '=' separate
// keys and values, "*/" ends the comment, and whitespace is trimmed.
func hintUnsafe(name string) string {
	switch {
	case strings.Contains(name, ";"):
		return "';'"
	case strings.Contains(name, "="):
		return "'='"
	case strings.Contains(name, "*/"):
		return "'*/'"
	case strings.TrimSpace(name) != name || strings.ContainsAny(name, " \t\r\n"):
		return "whitespace"
	}
	return ""
}

// ProxySQLHintPattern is the match_pattern of a shard's rule. The sidecar
// starts every statement it sends to the shard with
//
//	/* keyspace=K;shard=S */            or
//	/* hostgroup=N;keyspace=K;shard=S */
//
// as its very first bytes, so the pattern is anchored at the start (PCRE
// gives up after a few bytes on other statements instead of scanning a long
// INSERT) and must find that comment there: '/*', an optional hostgroup key,
// then exactly this keyspace and this shard, each value ended by ';' or the
// end of the comment, so "-80" never matches "-8000" and "things" never
// matches "things2". Whitespace around keys, values and separators is allowed,
// as ProxySQL's own annotation parser trims it. Names are escaped with
// regexp.QuoteMeta: it escapes exactly the characters that are special in
// both Go's RE2 syntax and PCRE outside character classes (\.+*?()|[]{}^$);
// '-' is literal there in both.
func ProxySQLHintPattern(keyspace, shard string) string {
	return `^/\*\s*(?:hostgroup\s*=\s*\d+\s*;\s*)?keyspace\s*=\s*` + regexp.QuoteMeta(keyspace) +
		`\s*;\s*shard\s*=\s*` + regexp.QuoteMeta(shard) + `\s*(?:;|\*/)`
}

// splitServerAddress splits a shard address into mysql_servers' hostname and
// port; a unix socket path has port 0, as ProxySQL expects.
func splitServerAddress(addr string) (string, int, error) {
	if strings.Contains(addr, "/") {
		return addr, 0, nil
	}
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(portText)
	if err != nil || port <= 0 || port > 65535 {
		return "", 0, fmt.Errorf("invalid port %q", portText)
	}
	return host, port, nil
}

// ProxySQLRules prints, for the shards that have a ProxySQL hostgroup, the
// mysql_servers rows and the match_pattern query rules routing the sidecar's
// shard hints to them, either as admin SQL followed by the LOAD/SAVE commands
// or as a proxysql.cnf fragment. It is for users who route with rules; the
// hint's own hostgroup= key routes without any.
func (c *Config) ProxySQLRules(w io.Writer, opts ProxySQLOptions) error {
	setup, err := c.ProxySQLSetup(opts)
	if err != nil {
		return err
	}
	switch opts.Format {
	case "", ProxySQLFormatSQL:
		return setup.writeSQL(w, c.Path)
	case ProxySQLFormatCnf:
		return setup.writeCnf(w, c.Path)
	default:
		return fmt.Errorf("unknown format %q: use %s or %s", opts.Format, ProxySQLFormatSQL, ProxySQLFormatCnf)
	}
}

// writeSQL prints admin SQL. The admin interface is SQLite behind a MySQL
// protocol front end: string literals are SQLite's, where a quote is doubled
// and a backslash is an ordinary character (ProxySQL issues #1442/#1446; the
// admin sets SERVER_STATUS_NO_BACKSLASH_ESCAPES). Doubling backslashes here
// would store "\\*" and break every pattern. Rows of the generated rule_id
// range and of the same (hostgroup, host, port) are deleted first, so the
// script can be run again after a config change.
func (s *ProxySQLSetup) writeSQL(w io.Writer, path string) error {
	b := &strings.Builder{}
	fmt.Fprintf(b, "-- ProxySQL admin SQL for the shards of %s (sidecar proxysql-rules).\n", path)
	b.WriteString("-- Run it on the admin interface, e.g. mysql -h127.0.0.1 -P6032 -uadmin -p < this-file.\n")
	b.WriteString("-- Each rule routes the statements whose first comment is the sidecar's hint for one shard\n")
	b.WriteString("-- (/* [hostgroup=N;]keyspace=K;shard=S */, always the first bytes) to that shard's hostgroup.\n")
	b.WriteString("-- mysql_servers rows: the MySQL servers of each hostgroup (the shards' addresses unless given with -server).\n")
	s.writeSkipped(b, "--")
	b.WriteString("\n")
	for _, sv := range s.Servers {
		fmt.Fprintf(b, "DELETE FROM mysql_servers WHERE hostgroup_id=%d AND hostname=%s AND port=%d;\n",
			sv.Hostgroup, sqliteString(sv.Hostname), sv.Port)
		fmt.Fprintf(b, "INSERT INTO mysql_servers (hostgroup_id, hostname, port, comment) VALUES (%d, %s, %d, %s);\n",
			sv.Hostgroup, sqliteString(sv.Hostname), sv.Port, sqliteString(sv.Comment))
	}
	b.WriteString("\n")
	first, last := s.Rules[0].RuleID, s.Rules[len(s.Rules)-1].RuleID
	fmt.Fprintf(b, "DELETE FROM mysql_query_rules WHERE rule_id BETWEEN %d AND %d;\n", first, last)
	for _, r := range s.Rules {
		fmt.Fprintf(b, "INSERT INTO mysql_query_rules (rule_id, active, match_pattern, destination_hostgroup, re_modifiers, apply, comment) "+
			"VALUES (%d, 1, %s, %d, %s, 1, %s);\n",
			r.RuleID, sqliteString(r.MatchPattern), r.DestinationHostgroup, sqliteString(ProxySQLREModifiers), sqliteString(r.Comment))
	}
	b.WriteString("\nLOAD MYSQL SERVERS TO RUNTIME;\nSAVE MYSQL SERVERS TO DISK;\n")
	b.WriteString("LOAD MYSQL QUERY RULES TO RUNTIME;\nSAVE MYSQL QUERY RULES TO DISK;\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// writeCnf prints the same rows as a proxysql.cnf fragment. The .cnf is
// libconfig: strings are double-quoted with C escapes, so every backslash of
// a pattern is doubled (ProxySQL issue #1131: a single one is lost).
func (s *ProxySQLSetup) writeCnf(w io.Writer, path string) error {
	b := &strings.Builder{}
	fmt.Fprintf(b, "# proxysql.cnf fragment for the shards of %s (sidecar proxysql-rules -format cnf).\n", path)
	b.WriteString("# ProxySQL reads proxysql.cnf only when its database is empty (or with --initial);\n")
	b.WriteString("# backslashes in strings are doubled, as libconfig requires.\n")
	s.writeSkipped(b, "#")
	b.WriteString("\nmysql_servers =\n(\n")
	for i, sv := range s.Servers {
		fmt.Fprintf(b, "    { hostgroup_id = %d, hostname = %s, port = %d, comment = %s }%s\n",
			sv.Hostgroup, cnfString(sv.Hostname), sv.Port, cnfString(sv.Comment), listSep(i, len(s.Servers)))
	}
	b.WriteString(")\n\nmysql_query_rules =\n(\n")
	for i, r := range s.Rules {
		b.WriteString("    {\n")
		fmt.Fprintf(b, "        rule_id = %d\n", r.RuleID)
		b.WriteString("        active = 1\n")
		fmt.Fprintf(b, "        match_pattern = %s\n", cnfString(r.MatchPattern))
		fmt.Fprintf(b, "        destination_hostgroup = %d\n", r.DestinationHostgroup)
		fmt.Fprintf(b, "        re_modifiers = %s\n", cnfString(ProxySQLREModifiers))
		b.WriteString("        apply = 1\n")
		fmt.Fprintf(b, "        comment = %s\n", cnfString(r.Comment))
		fmt.Fprintf(b, "    }%s\n", listSep(i, len(s.Rules)))
	}
	b.WriteString(")\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func (s *ProxySQLSetup) writeSkipped(b *strings.Builder, comment string) {
	for _, name := range s.Skipped {
		fmt.Fprintf(b, "%s Keyspace %s is skipped: none of its shards has a hostgroup (no rows, no rules for it).\n", comment, name)
	}
}

func listSep(i, n int) string {
	if i < n-1 {
		return ","
	}
	return ""
}

// sqliteString quotes s as an SQLite string literal: quotes doubled, nothing
// else escaped.
func sqliteString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// cnfString quotes s as a libconfig string: backslash and double quote
// escaped, control characters as \xNN.
func cnfString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' || c == '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}
