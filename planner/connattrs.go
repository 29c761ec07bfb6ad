package planner

import (
	"encoding/hex"
	"strconv"
	"strings"
)

// ConnectAttr is one connection attribute a client sent in its handshake
// (_client_name, _pid, program_name…).
type ConnectAttr struct {
	ProcessID   uint32 // the sidecar connection's id
	User        string
	Name, Value string
	Ordinal     int
}

// connectAttrTables are performance_schema's tables of connection
// attributes, by name: whether they show only the session's account.
var connectAttrTables = map[string]bool{"session_connect_attrs": false, "session_account_connect_attrs": true}

// BindConnectAttrs replaces performance_schema's tables of connection
// attributes with derived tables of the sidecar's own clients' attributes:
// a backend only knows the sidecar's pooled connections. The rest of the
// statement (WHERE PROCESSLIST_ID = CONNECTION_ID(), joins, ORDER BY) runs
// on the backend as written. attrs lists every client session's; user is
// the session's, for session_account_connect_attrs. Statements without
// those tables are returned unchanged.
func BindConnectAttrs(sql string, sess Session, user string, attrs func() []ConnectAttr) string {
	if !containsFold(sql, "_connect_attrs") {
		return sql
	}
	toks := scanTokens(sql)
	var b strings.Builder
	done := 0
	for i := 0; i < len(toks); i++ {
		first, last := i, i
		if i+2 < len(toks) && strings.EqualFold(toks[i].name, "performance_schema") && toks[i+1].word == "." {
			last = i + 2
		} else if !strings.EqualFold(sess.SystemSchema, "performance_schema") || sess.Keyspace != "" || i > 0 && toks[i-1].word == "." {
			continue // unqualified, it names a table of the current database
		}
		name := strings.ToLower(toks[last].name)
		account, ok := connectAttrTables[name]
		if !ok {
			continue
		}
		b.WriteString(sql[done:toks[first].start])
		b.WriteString(connectAttrRows(attrs(), account, user))
		if next := last + 1; next >= len(toks) || !isAlias(toks[next]) {
			b.WriteString(" AS " + name)
		}
		done = toks[last].end
		i = last
	}
	if done == 0 {
		return sql
	}
	b.WriteString(sql[done:])
	return b.String()
}

// isAlias reports whether a token after a table reference is its alias.
func isAlias(t token) bool {
	if t.word == "as" {
		return true
	}
	return t.isName() && !notAliases[t.word]
}

// notAliases are the keywords that may follow a table reference.
var notAliases = map[string]bool{"where": true, "join": true, "inner": true, "left": true, "right": true,
	"cross": true, "natural": true, "straight_join": true, "on": true, "using": true, "group": true,
	"order": true, "limit": true, "having": true, "union": true, "window": true, "for": true, "lock": true,
	"into": true, "use": true, "ignore": true, "force": true, "partition": true, "except": true, "intersect": true}

// connectAttrRows is a derived table with the columns of
// performance_schema.session_connect_attrs. Names and values are written as
// hex literals of utf8mb4 text: exact whatever the backend's sql_mode.
func connectAttrRows(attrs []ConnectAttr, account bool, user string) string {
	var b strings.Builder
	b.WriteString("(")
	n := 0
	for _, a := range attrs {
		if account && a.User != user {
			continue
		}
		if n > 0 {
			b.WriteString(" UNION ALL ")
		}
		n++
		b.WriteString("SELECT " + strconv.FormatUint(uint64(a.ProcessID), 10) + " AS PROCESSLIST_ID, " +
			utf8Literal(a.Name) + " AS ATTR_NAME, " + utf8Literal(a.Value) + " AS ATTR_VALUE, " +
			strconv.Itoa(a.Ordinal) + " AS ORDINAL_POSITION")
	}
	if n == 0 {
		b.WriteString("SELECT 0 AS PROCESSLIST_ID, " + utf8Literal("") + " AS ATTR_NAME, " + utf8Literal("") +
			" AS ATTR_VALUE, 0 AS ORDINAL_POSITION FROM DUAL WHERE FALSE")
	}
	b.WriteString(")")
	return b.String()
}

// utf8Literal writes s as a utf8mb4 string in hex, CONVERT(X'…' USING
// utf8mb4), which the planner's parser reads (it lacks _utf8mb4 X'…').
func utf8Literal(s string) string {
	return "CONVERT(X'" + hex.EncodeToString([]byte(s)) + "' USING utf8mb4)"
}
