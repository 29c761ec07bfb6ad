package planner

import (
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// The backends' tables about client sessions, performance_schema's
// connection attributes and information_schema.PROCESSLIST, would show the
// sidecar's pooled connections: the sidecar answers them with its own
// clients' sessions instead, as derived tables of literal rows written into
// the statement in their place. The rest of the statement (WHERE
// PROCESSLIST_ID = CONNECTION_ID(), joins, ORDER BY) runs on a backend as
// written.

// ConnectAttr is one connection attribute a client sent in its handshake
// (_client_name, _pid, program_name…).
type ConnectAttr struct {
	ProcessID   uint32 // the sidecar connection's id
	User        string // who logged in with them
	Name, Value string
	Ordinal     int
}

// Process is a client session as the process list shows it.
type Process struct {
	ID                      uint32
	User, Host, DB, Command string // DB "": none
	State, Info             string // Info "": idle
	Time                    time.Duration
}

// SessionTables are the sessions the derived tables list: every client's
// connection attributes, or those of the session's own user (account), and
// the processes of its user (MySQL shows a user without the PROCESS
// privilege its own).
type SessionTables interface {
	ConnectAttrs(account bool) []ConnectAttr
	Processes() []Process
}

// sessionTables are the tables answered, by schema and name.
var sessionTables = map[string]map[string]func(SessionTables) string{
	"performance_schema": {
		"session_connect_attrs":         func(t SessionTables) string { return connectAttrRows(t.ConnectAttrs(false)) },
		"session_account_connect_attrs": func(t SessionTables) string { return connectAttrRows(t.ConnectAttrs(true)) },
	},
	"information_schema": {"processlist": func(t SessionTables) string { return processRows(t.Processes()) }},
}

// BindSessionTables replaces the session tables sql reads with derived
// tables of the sidecar's sessions. Statements without them are returned
// unchanged.
func BindSessionTables(sql string, sess Session, tables SessionTables) string {
	if !ContainsFold(sql, "_connect_attrs") && !ContainsFold(sql, "processlist") {
		return sql
	}
	toks := scanTokens(sql)
	var b strings.Builder
	done := 0
	for i := 0; i < len(toks); i++ {
		first, last := i, i
		schema := sess.SystemSchema
		if i+2 < len(toks) && toks[i+1].word == "." && toks[i].isName() {
			schema, last = toks[i].name, i+2
		} else if sess.Keyspace != "" || i > 0 && toks[i-1].word == "." {
			continue // unqualified, it names a table of the current database
		}
		name := strings.ToLower(toks[last].name)
		answer, ok := sessionTables[strings.ToLower(schema)][name]
		if !ok || first == 0 || !tableRefPosition(toks[first-1]) {
			continue
		}
		b.WriteString(sql[done:toks[first].start])
		b.WriteString(answer(tables))
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

// tableRefPosition reports a token after which a table reference stands
// (SHOW PROCESSLIST names no table).
func tableRefPosition(t token) bool {
	switch t.word {
	case "from", "join", ",", "straight_join", "(":
		return true
	}
	return false
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
func connectAttrRows(attrs []ConnectAttr) string {
	var b strings.Builder
	b.WriteString("(")
	for i, a := range attrs {
		if i > 0 {
			b.WriteString(" UNION ALL ")
		}
		b.WriteString("SELECT " + strconv.FormatUint(uint64(a.ProcessID), 10) + " AS PROCESSLIST_ID, " +
			utf8Literal(a.Name) + " AS ATTR_NAME, " + utf8Literal(a.Value) + " AS ATTR_VALUE, " +
			strconv.Itoa(a.Ordinal) + " AS ORDINAL_POSITION")
	}
	if len(attrs) == 0 {
		b.WriteString("SELECT 0 AS PROCESSLIST_ID, " + utf8Literal("") + " AS ATTR_NAME, " + utf8Literal("") +
			" AS ATTR_VALUE, 0 AS ORDINAL_POSITION FROM DUAL WHERE FALSE")
	}
	b.WriteString(")")
	return b.String()
}

// processRows is a derived table with the columns of MariaDB's
// information_schema.PROCESSLIST, the statistics the sidecar does not keep
// as zeros.
func processRows(procs []Process) string {
	var b strings.Builder
	b.WriteString("(")
	text := func(s string, null bool) string {
		if null {
			return "NULL"
		}
		return utf8Literal(s)
	}
	for i, p := range procs {
		if i > 0 {
			b.WriteString(" UNION ALL ")
		}
		ms := p.Time.Milliseconds()
		b.WriteString("SELECT " + strconv.FormatUint(uint64(p.ID), 10) + " AS ID, " + text(p.User, false) + " AS USER, " +
			text(p.Host, false) + " AS HOST, " + text(p.DB, p.DB == "") + " AS DB, " + text(p.Command, false) + " AS COMMAND, " +
			strconv.FormatInt(ms/1000, 10) + " AS TIME, " + text(p.State, false) + " AS STATE, " + text(p.Info, p.Info == "") + " AS INFO, " +
			strconv.FormatInt(ms, 10) + ".000 AS TIME_MS, 0 AS STAGE, 0 AS MAX_STAGE, 0.000 AS PROGRESS, 0 AS MEMORY_USED, " +
			"0 AS MAX_MEMORY_USED, 0 AS EXAMINED_ROWS, 0 AS SENT_ROWS, 0 AS QUERY_ID, " + text(p.Info, p.Info == "") + " AS INFO_BINARY, 0 AS TID")
	}
	if len(procs) == 0 {
		b.WriteString("SELECT 0 AS ID, '' AS USER, '' AS HOST, NULL AS DB, '' AS COMMAND, 0 AS TIME, '' AS STATE, NULL AS INFO, " +
			"0.000 AS TIME_MS, 0 AS STAGE, 0 AS MAX_STAGE, 0.000 AS PROGRESS, 0 AS MEMORY_USED, 0 AS MAX_MEMORY_USED, " +
			"0 AS EXAMINED_ROWS, 0 AS SENT_ROWS, 0 AS QUERY_ID, NULL AS INFO_BINARY, 0 AS TID FROM DUAL WHERE FALSE")
	}
	b.WriteString(")")
	return b.String()
}

// utf8Literal writes s as a utf8mb4 string in hex, CONVERT(X'…' USING
// utf8mb4), which the planner's parser reads (it lacks _utf8mb4 X'…').
func utf8Literal(s string) string {
	return "CONVERT(X'" + hex.EncodeToString([]byte(s)) + "' USING utf8mb4)"
}
