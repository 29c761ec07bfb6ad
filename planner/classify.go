// Package planner parses and plans statements: which keyspace and shards a
// statement goes to, and what text each shard receives. It holds no
// connection. Planning does no I/O: an INSERT becomes an engine.Insert,
// which the executor runs per execution (sequences, lookup rows). Routing a
// SELECT, UPDATE or DELETE by its vindex values (RouteStatement) is done per
// execution, through the engine.VindexCursor the executor passes in, since
// lookup vindexes read their tables.
package planner

import (
	"strconv"
	"strings"
	"time"
)

// Kind is what a statement does, as far as routing and session handling care.
type Kind uint8

const (
	KindOther Kind = iota
	KindSelect
	KindInsert
	KindReplace
	KindUpdate
	KindDelete
	KindDDL
	KindSet
	KindUse
	KindShow
	KindBegin
	KindCommit
	KindRollback
	KindSavepoint
	KindRelease
	KindRollbackTo
	KindLockTables
	KindUnlockTables
	KindExplain
	KindVExplain
	KindLoad // LOAD DATA | XML [LOCAL] INFILE
	KindDo   // DO expr: evaluated for its side effects, no result
)

var kindNames = [...]string{"other", "select", "insert", "replace", "update", "delete", "ddl", "set", "use",
	"show", "begin", "commit", "rollback", "savepoint", "release", "rollback to", "lock tables", "unlock tables", "explain", "vexplain", "load", "do"}

func (k Kind) String() string { return kindNames[k] }

// IsDML reports whether the statement writes rows.
func (k Kind) IsDML() bool {
	return k == KindInsert || k == KindReplace || k == KindUpdate || k == KindDelete
}

// IsRead reports a statement that reads only, which can be sent again
// after a lost connection without changing anything.
func (k Kind) IsRead() bool {
	return k == KindSelect || k == KindShow || k == KindExplain
}

// Classify reads the first words of sql, skipping comments. It never parses
// the whole statement, so it is cheap enough for every statement.
func Classify(sql string) Kind {
	if body, ok := mariaDBStatement(sql); ok {
		// mariadb-dump's /*M!100616 SET … */: a SET as any, whose text
		// the backend runs or skips by its version.
		if Classify(body) == KindSet {
			return KindSet
		}
		return KindOther
	}
	sql = StripLeadingComments(sql)
	if open := strings.TrimLeft(sql, "( \t\r\n"); len(open) < len(sql) {
		// (SELECT …) UNION (SELECT …): only a query starts with a parenthesis.
		if w, _ := nextWord(open); w == "select" || w == "with" {
			return KindSelect
		}
		return KindOther
	}
	w1, rest := nextWord(sql)
	switch w1 {
	case "select", "with":
		return KindSelect
	case "insert":
		return KindInsert
	case "replace":
		return KindReplace
	case "update":
		return KindUpdate
	case "delete":
		return KindDelete
	case "create", "alter", "drop", "rename", "truncate":
		return KindDDL
	case "set":
		return KindSet
	case "use":
		return KindUse
	case "show":
		return KindShow
	case "begin":
		return KindBegin
	case "start":
		if w2, _ := nextWord(rest); w2 == "transaction" {
			return KindBegin
		}
	case "commit":
		return KindCommit
	case "rollback":
		w2, rest2 := nextWord(rest)
		if w2 == "work" {
			w2, _ = nextWord(rest2)
		}
		if w2 == "to" {
			return KindRollbackTo
		}
		return KindRollback
	case "savepoint":
		return KindSavepoint
	case "release":
		return KindRelease
	case "lock":
		return KindLockTables
	case "unlock":
		return KindUnlockTables
	case "explain", "describe", "desc":
		return KindExplain
	case "vexplain":
		return KindVExplain
	case "do":
		return KindDo
	case "load":
		if w2, _ := nextWord(rest); w2 == "data" || w2 == "xml" {
			return KindLoad
		}
	}
	return KindOther
}

// otherStatements are the first words of MariaDB's statements that Classify
// does not name.
var otherStatements = map[string]bool{"analyze": true, "backup": true, "binlog": true, "cache": true, "call": true,
	"change": true, "check": true, "checksum": true, "deallocate": true, "declare": true, "execute": true, "flush": true,
	"for": true, "get": true, "grant": true, "handler": true, "help": true, "if": true, "install": true, "kill": true,
	"load": true, "optimize": true, "prepare": true, "purge": true, "repair": true, "repeat": true, "reset": true,
	"resignal": true, "return": true, "revoke": true, "shutdown": true, "signal": true, "start": true, "stop": true,
	"table": true, "uninstall": true, "values": true, "while": true, "xa": true, "case": true, "loop": true,
	"leave": true, "iterate": true, "open": true, "close": true, "fetch": true}

// startsStatement reports whether sql starts as some MariaDB statement does,
// as far as its first word tells.
func startsStatement(sql string) bool {
	if strings.Contains(sql, "/*!") || strings.Contains(sql, "/*M!") {
		return true // executable comments: what they hold depends on the server
	}
	sql = StripLeadingComments(sql)
	if strings.HasPrefix(sql, "(") {
		return true
	}
	w, _ := nextWord(sql)
	return otherStatements[w] || Classify(sql) != KindOther
}

// StripLeadingComments drops whitespace and /* */, -- and # comments before
// the first word. MySQL's executable comments (/*! … */) are kept: their
// content is a statement.
func StripLeadingComments(sql string) string {
	for {
		sql = strings.TrimLeft(sql, " \t\r\n;")
		switch {
		case strings.HasPrefix(sql, "/*") && !strings.HasPrefix(sql, "/*!"):
			end := strings.Index(sql[2:], "*/")
			if end < 0 {
				return sql
			}
			sql = sql[end+4:]
		case strings.HasPrefix(sql, "-- ") || strings.HasPrefix(sql, "--\t") || strings.HasPrefix(sql, "#"):
			end := strings.IndexByte(sql, '\n')
			if end < 0 {
				return ""
			}
			sql = sql[end+1:]
		default:
			return sql
		}
	}
}

// unwrapExecutable is a statement written inside a MySQL executable comment,
// as mysqldump writes its SETs and ALTERs (/*!40101 SET NAMES utf8mb4 */),
// with that comment opened: every backend the sidecar supports (MySQL 8,
// MariaDB 10 and later) runs the comment's text when it names no version
// or one before 5.7 (MariaDB skips 5.7 to 9.x as MySQL's own), so the text
// is the statement, to classify and plan. Comments with a later version are
// left as they are, as are MariaDB's /*M! comments, which MySQL skips
// (StripLeadingComments strips them). The comment ends at the first */
// outside quotes and nested comments, as the backends read it.
func unwrapExecutable(sql string) string {
	rest := StripLeadingComments(sql)
	if !strings.HasPrefix(rest, "/*!") {
		return sql
	}
	body := rest[3:]
	digits := 0
	for digits < len(body) && digits < 6 && body[digits] >= '0' && body[digits] <= '9' {
		digits++
	}
	if digits != 0 {
		if v, _ := strconv.Atoi(body[:digits]); digits < 5 || v >= 50700 {
			return sql
		}
	}
	end := commentEnd(body, digits)
	if end < 0 {
		return sql
	}
	return sql[:len(sql)-len(rest)] + body[digits:end] + body[end+2:]
}

// serverComment is the first comment of sql whose text one server runs as
// part of the statement and the sidecar's parser reads otherwise: MariaDB's
// /*M! … */ (the parser skips it), /*!NNNNN … */ of MySQL 5.7 or later
// (MariaDB skips it; the parser reads it, a six-digit version wrongly) and
// TiDB's /*T! … */ (the parser reads it; MariaDB and MySQL skip it). ""
// if none.
func serverComment(sql string, mode SQLMode) string {
	for i := 0; i < len(sql); {
		switch c := sql[i]; {
		case c == '\'' || c == '"' || c == '`':
			// A name in quotes (backquotes, or " under ANSI_QUOTES) has no
			// backslash escapes.
			i = skipString(sql, i, (c == '\'' || c == '"' && !mode.ANSIQuotes) && !mode.NoBackslashEscapes)
		case strings.HasPrefix(sql[i:], "/*M!"), strings.HasPrefix(sql[i:], "/*T!"):
			return sql[i : i+4]
		case strings.HasPrefix(sql[i:], "/*!"):
			digits := 0
			for i+3+digits < len(sql) && digits < 6 && sql[i+3+digits] >= '0' && sql[i+3+digits] <= '9' {
				digits++
			}
			if v, _ := strconv.Atoi(sql[i+3 : i+3+digits]); digits >= 5 && v >= 50700 {
				return sql[i : i+3+digits]
			}
			i += 3 // its text is the statement's: read on
		default:
			end := skipComment(sql, i)
			switch {
			case end < 0:
				return ""
			case end == i:
				end++
			}
			i = end
		}
	}
	return ""
}

// skipComment is where the comment starting at sql[i] ends: past the */ of
// a /* */ comment (not an executable one, /*! or /*M!, whose text the
// server reads), at the newline of a # or -- one; i if none starts there,
// -1 if a /* comment never ends.
func skipComment(sql string, i int) int {
	switch {
	case strings.HasPrefix(sql[i:], "/*!") || strings.HasPrefix(sql[i:], "/*M!"):
		return i
	case strings.HasPrefix(sql[i:], "/*"):
		end := strings.Index(sql[i+2:], "*/")
		if end < 0 {
			return -1
		}
		return i + end + 4
	case sql[i] == '#' || strings.HasPrefix(sql[i:], "--") && (i+2 == len(sql) || sql[i+2] <= ' '):
		if end := strings.IndexByte(sql[i:], '\n'); end >= 0 {
			return i + end
		}
		return len(sql)
	}
	return i
}

// WithoutComments is sql with each comment a blank (an executable
// comment's text stays: the server reads it).
func WithoutComments(sql string) string {
	var b strings.Builder
	for i := 0; i < len(sql); {
		switch end := skipComment(sql, i); {
		case end < 0:
			return b.String()
		case end > i:
			b.WriteByte(' ')
			i = end
		default:
			b.WriteByte(sql[i])
			i++
		}
	}
	return b.String()
}

// mariaDBStatement is the text of a statement written whole in a MariaDB
// executable comment (/*M!NNNNNN … */), which MySQL skips.
func mariaDBStatement(sql string) (string, bool) {
	rest, ok := strings.CutPrefix(strings.TrimLeft(sql, " \t\r\n;"), "/*M!")
	if !ok {
		return "", false
	}
	digits := 0
	for digits < len(rest) && digits < 6 && rest[digits] >= '0' && rest[digits] <= '9' {
		digits++
	}
	end := commentEnd(rest, digits)
	if end < 0 || strings.TrimRight(rest[end+2:], " \t\r\n;") != "" {
		return "", false
	}
	return rest[digits:end], true
}

// commentEnd is where the */ closing a comment whose text starts at s[i:]
// stands, skipping quoted strings and names and nested comments; -1 if none.
func commentEnd(s string, i int) int {
	for i < len(s) {
		switch {
		case s[i] == '\'' || s[i] == '"' || s[i] == '`':
			i = skipQuoted(s, i)
		case strings.HasPrefix(s[i:], "/*"):
			end := strings.Index(s[i+2:], "*/")
			if end < 0 {
				return -1
			}
			i += end + 4
		case strings.HasPrefix(s[i:], "*/"):
			return i
		default:
			i++
		}
	}
	return -1
}

// nextWord returns the lower-cased leading word of s (letters and '_') and
// what follows it.
func nextWord(s string) (string, string) {
	s = strings.TrimLeft(s, " \t\r\n")
	i := 0
	for i < len(s) && (isLetter(s[i]) || s[i] == '_') {
		i++
	}
	return lowerASCII(s[:i]), s[i:]
}

func isLetter(c byte) bool { return (c|0x20) >= 'a' && (c|0x20) <= 'z' }

// lowerASCII lower-cases s without allocating when it is lower-case already
// or one of the upper-case keywords below.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			if lower, ok := upperKeywords[s]; ok {
				return lower
			}
			return strings.ToLower(s)
		}
	}
	return s
}

// upperKeywords maps the upper-case spelling of the words that classify a
// statement to their lower case: most generated SQL is written in upper
// case, and classification runs on every statement.
var upperKeywords = func() map[string]string {
	m := map[string]string{}
	for _, w := range []string{"select", "with", "insert", "replace", "update", "delete", "create", "alter", "drop",
		"rename", "truncate", "set", "use", "show", "begin", "start", "transaction", "commit", "rollback", "work", "to",
		"savepoint", "release", "lock", "unlock", "explain", "describe", "desc", "vexplain", "do", "load", "data",
		"xml", "into", "ignore", "low_priority", "high_priority", "delayed", "from", "where", "values", "value", "kill",
		"query", "connection", "prepare", "execute", "deallocate", "call", "handler", "names", "session", "global",
		"local", "autocommit", "plan", "queries", "all", "table", "tables", "view", "index", "database", "schema"} {
		m[strings.ToUpper(w)] = w
	}
	return m
}()

// leavesSessionState reports whether a statement leaves state on the backend
// connection that later statements of the same session rely on: temporary
// tables, user variables assigned in queries, named locks, table locks, SQL
// PREPARE. The session then keeps its backend connections. False positives only
// cost pooling, so a substring test is enough.
func leavesSessionState(sql string) bool {
	if ContainsFold(sql, "temporary") || strings.Contains(sql, ":=") || ContainsFold(sql, "get_lock") ||
		ContainsFold(sql, "into @") || ContainsFold(sql, "sql_calc_found_rows") {
		return true
	}
	w := lowerASCII(firstWord(sql))
	return w == "prepare" || w == "lock"
}

// serverLock names a statement that locks a whole backend server or its
// tables for the connection (FLUSH TABLES [t] WITH READ LOCK, FLUSH TABLES …
// FOR EXPORT, BACKUP STAGE, BACKUP LOCK), "" for any other: the sidecar
// refuses them. It would lock the one backend the statement goes to, not a
// keyspace's shards, and the lock would stay on a pooled connection after
// the client left, holding every write to that server (mariadb-dump -x or
// --master-data through the sidecar; helper-63).
func serverLock(sql string) string {
	switch lowerASCII(firstWord(sql)) {
	case "backup":
		return "BACKUP STAGE and BACKUP LOCK"
	case "flush":
		if ContainsFold(sql, "with read lock") || ContainsFold(sql, "for export") {
			return "FLUSH TABLES … WITH READ LOCK and FOR EXPORT"
		}
	}
	return ""
}

// connState marks what plan's statement leaves on its backend connection.
// A false positive of ConnFoundRows costs one round trip and reads the same
// count (FOUND_ROWS() after a plain SELECT is its number of rows).
func connState(plan *Plan) {
	plan.Sticky = leavesSessionState(plan.Query)
	if plan.Sticky {
		plan.Variables = assignedVariables(plan.Query)
		plan.ConnFoundRows = ContainsFold(plan.Query, "sql_calc_found_rows") || plan.Kind == KindSelect && ContainsFold(plan.Query, "into @")
	}
	if ContainsFold(plan.Query, "returning") && (plan.Kind == KindInsert || plan.Kind == KindReplace || plan.Kind == KindDelete) {
		// MariaDB's FOUND_ROWS() counts no rows a write returns (a
		// column named so only keeps it longer).
		plan.KeepsFoundRows = true
	}
	switch plan.Kind {
	case KindExplain:
		switch w, _ := nextWord(afterWord(plan.Query)); w {
		case "select", "insert", "update", "delete", "replace", "with", "format", "extended", "partitions", "analyze", "":
			plan.KeepsFoundRows = true // EXPLAIN of a statement; DESCRIBE t is SHOW COLUMNS
		}
	case KindShow:
		w, _ := nextWord(afterWord(plan.Query))
		plan.KeepsFoundRows = w == "warnings" || w == "errors"
	}
}

// assignedVariables are the user variables sql assigns, as written: @v in
// `@v := …` and in `INTO @v, @w`. A quoted name (@`a b`) is the @ and the
// quoted token after it.
func assignedVariables(sql string) []string {
	toks := scanTokens(sql)
	variable := func(i int) (string, bool) {
		t := toks[i]
		if sql[t.start] != '@' || strings.HasPrefix(sql[t.start:], "@@") {
			return "", false
		}
		if t.end-t.start == 1 { // @ then a quoted name
			if i+1 >= len(toks) || toks[i+1].start != t.end || !strings.ContainsRune("`'\"", rune(sql[t.end])) {
				return "", false
			}
			return sql[t.start:toks[i+1].end], true
		}
		return sql[t.start:t.end], true
	}
	var out []string
	add := func(v string) {
		for _, seen := range out {
			if strings.EqualFold(seen, v) {
				return
			}
		}
		out = append(out, v)
	}
	for i := range toks {
		if v, ok := variable(i); ok {
			next := i + 1
			if len(v) > toks[i].end-toks[i].start {
				next++
			}
			if next+1 < len(toks) && toks[next].word == ":" && toks[next+1].word == "=" && toks[next+1].start == toks[next].end {
				add(v)
			}
			continue
		}
		if toks[i].word != "into" {
			continue
		}
		for k := i + 1; k < len(toks); k += 2 {
			v, ok := variable(k)
			if !ok {
				break
			}
			add(v)
			if len(v) > toks[k].end-toks[k].start {
				k++
			}
			if k+1 >= len(toks) || toks[k+1].word != "," {
				break
			}
		}
	}
	return out
}

func firstWord(sql string) string {
	w, _ := nextWord(StripLeadingComments(sql))
	return w
}

// ContainsFold reports whether s contains the lower-case ASCII word sub,
// ignoring case, without allocating. It runs several times on every
// statement, so candidates are found with strings.IndexByte (vectorised)
// rather than byte by byte.
func ContainsFold(s, sub string) bool {
	lower := sub[0]
	upper := lower
	if lower >= 'a' && lower <= 'z' {
		upper = lower - ('a' - 'A')
	}
	for i := 0; i+len(sub) <= len(s); i++ {
		window := s[i : len(s)-len(sub)+1]
		k := strings.IndexByte(window, lower)
		if upper != lower {
			if k >= 0 {
				window = window[:k]
			}
			if u := strings.IndexByte(window, upper); u >= 0 {
				k = u
			}
		}
		if k < 0 {
			return false
		}
		i += k
		if hasPrefixFold(s[i:], sub) {
			return true
		}
	}
	return false
}

// hasPrefixFold reports whether s starts with the lower-case ASCII word
// sub, ignoring the case of its letters.
func hasPrefixFold(s, sub string) bool {
	for j := 0; j < len(sub); j++ {
		c := s[j]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != sub[j] {
			return false
		}
	}
	return true
}

// SavepointName returns the savepoint a SAVEPOINT, ROLLBACK TO or RELEASE
// statement names: its last name, unquoted and lower-cased (MySQL compares
// savepoint names without case), comments skipped.
func SavepointName(sql string) string {
	toks := scanTokens(sql)
	for i := len(toks) - 1; i >= 0; i-- {
		if toks[i].isName() {
			return strings.ToLower(toks[i].name)
		}
	}
	return ""
}

// Chains reports COMMIT or ROLLBACK … AND CHAIN: a new transaction begins
// as the old one ends, with its characteristics.
func Chains(sql string) bool {
	prev := ""
	for _, t := range scanTokens(sql) {
		if t.word == "chain" {
			return prev == "and"
		}
		prev = t.word
	}
	return false
}

// VExplainTarget returns the statement a VEXPLAIN statement explains.
func VExplainTarget(sql string) string {
	_, rest := nextWord(StripLeadingComments(sql))
	if w, after := nextWord(rest); w == "queries" || w == "plan" {
		rest = after
	}
	return strings.TrimSpace(rest)
}

// IsSetStatement reports MariaDB's SET STATEMENT … FOR by its first two
// words: it runs on every statement, so it scans nothing more.
func IsSetStatement(sql string) bool {
	i := skipSpace(sql, 0)
	return hasWordAt(sql, i, "set") && hasWordAt(sql, skipSpace(sql, i+3), "statement")
}

// SetStatement splits MariaDB's SET STATEMENT assignments FOR statement:
// prefix is the text up to FOR and the blanks after it, inner the statement
// it runs, vars the variables it sets (lower-case). ok is false for any
// other statement.
func SetStatement(sql string) (prefix, inner string, vars []string, ok bool) {
	if !IsSetStatement(sql) {
		return "", "", nil, false
	}
	toks := scanTokens(sql)
	if len(toks) < 4 || toks[0].word != "set" || toks[1].word != "statement" {
		return "", "", nil, false
	}
	depth := 0
	for k, t := range toks[2:] {
		switch t.word {
		case "(":
			depth++
		case ")":
			depth--
		case "for":
			if depth == 0 {
				end := skipSpace(sql, t.end)
				return sql[:end], sql[end:], vars, end < len(sql)
			}
		case "=":
			if depth == 0 && k > 0 {
				name := toks[2+k-1]
				if name.word == ":" && k > 1 { // :=
					name = toks[2+k-2]
				}
				vars = append(vars, name.word)
			}
		}
	}
	return "", "", nil, false
}

// MaxStatementTime is the max_statement_time a SET STATEMENT prefix (see
// SetStatement) assigns, in seconds as MariaDB reads it; ok false where it
// assigns none, or not as a number (0: no limit).
func MaxStatementTime(prefix string) (d time.Duration, ok bool) {
	toks := scanTokens(prefix)
	for i := 0; i+2 < len(toks); i++ {
		if toks[i].word != "max_statement_time" || toks[i+1].word != "=" {
			continue
		}
		secs, err := strconv.ParseFloat(prefix[toks[i+2].start:toks[i+2].end], 64)
		if err != nil || secs < 0 || secs > 31536000 {
			return 0, false
		}
		return time.Duration(secs * float64(time.Second)), true
	}
	return 0, false
}
