package planner

import "strings"

// SQLMode is what planning must know of the session's sql_mode: the parser
// reads the client's text with MySQL's default quoting and escaping, and the
// sidecar writes statements of its own that the backend reads in the
// session's mode.
type SQLMode struct {
	ANSIQuotes         bool // "x" is an identifier, not a string
	PipesAsConcat      bool // a || b is CONCAT(a, b), not OR
	NoBackslashEscapes bool // a backslash in a string is itself, not an escape
	IgnoreSpace        bool // a built-in function's name may stand apart from its '(': count (*)
}

// ParseSQLMode reads the value of @@sql_mode (ANSI implies ANSI_QUOTES,
// PIPES_AS_CONCAT and IGNORE_SPACE, as MySQL expands it).
func ParseSQLMode(value string) SQLMode {
	var m SQLMode
	for _, name := range strings.Split(strings.ToUpper(value), ",") {
		switch strings.TrimSpace(name) {
		case "ANSI":
			m.ANSIQuotes, m.PipesAsConcat, m.IgnoreSpace = true, true, true
		case "ANSI_QUOTES":
			m.ANSIQuotes = true
		case "PIPES_AS_CONCAT":
			m.PipesAsConcat = true
		case "NO_BACKSLASH_ESCAPES":
			m.NoBackslashEscapes = true
		case "IGNORE_SPACE":
			m.IgnoreSpace = true
		}
	}
	return m
}

// key tells plans made under different modes apart in the plan cache.
func (m SQLMode) key() string {
	b := []byte("----")
	if m.ANSIQuotes {
		b[0] = 'q'
	}
	if m.PipesAsConcat {
		b[1] = 'p'
	}
	if m.NoBackslashEscapes {
		b[2] = 'b'
	}
	if m.IgnoreSpace {
		b[3] = 's'
	}
	return string(b)
}

// leadingComments is the comments (and blanks) the client's text starts
// with, which a re-printed statement keeps: routing hints live there.
func leadingComments(sql string) string {
	return sql[:len(sql)-len(StripLeadingComments(sql))]
}

// blankParen reports a '(' after a blank.
func blankParen(sql string) bool {
	for i := strings.IndexByte(sql, '('); i >= 0; {
		if i > 0 {
			if c := sql[i-1]; c == ' ' || c == '\t' || c == '\r' || c == '\n' {
				return true
			}
		}
		j := strings.IndexByte(sql[i+1:], '(')
		if j < 0 {
			return false
		}
		i += j + 1
	}
	return false
}

// spacedFunctions are the built-in functions whose name must touch its '('
// unless IGNORE_SPACE: count (*) is a syntax error without it (MySQL's
// "Function Name Parsing and Resolution"; MariaDB parses them alike).
var spacedFunctions = map[string]bool{
	"adddate": true, "bit_and": true, "bit_or": true, "bit_xor": true, "cast": true, "count": true,
	"curdate": true, "curtime": true, "date_add": true, "date_sub": true, "extract": true,
	"group_concat": true, "max": true, "mid": true, "min": true, "now": true, "position": true,
	"session_user": true, "std": true, "stddev": true, "stddev_pop": true, "stddev_samp": true,
	"subdate": true, "substr": true, "substring": true, "sum": true, "sysdate": true,
	"system_user": true, "trim": true, "variance": true, "var_pop": true, "var_samp": true,
	// MariaDB's aggregates and window functions too.
	"json_arrayagg": true, "json_objectagg": true, "median": true, "percentile_cont": true,
	"percentile_disc": true, "rank": true, "dense_rank": true, "row_number": true, "ntile": true,
	"cume_dist": true, "percent_rank": true, "lag": true, "lead": true, "first_value": true,
	"last_value": true, "nth_value": true,
}

// TightenCalls is sql with the blanks between the name of one of the
// spacedFunctions and its '(' taken out (not comments: MariaDB reads max
// /* m */ (id) as a stored function's call even so), sql itself when there
// are none: a client that connected with CLIENT_IGNORE_SPACE (MariaDB
// Connector/J always does) writes count (*), which neither the parser nor
// the backends' connections, which have no IGNORE_SPACE, read without it.
func TightenCalls(sql string, mode SQLMode) string {
	if !blankParen(sql) {
		return sql // most statements: no '(' after a blank
	}
	var b strings.Builder
	last := 0
	for i := 0; i < len(sql); {
		c := sql[i]
		switch {
		case c == '\'' || c == '"' || c == '`':
			i = skipString(sql, i, c != '`' && !mode.NoBackslashEscapes)
			continue
		case c == '/' || c == '#' || c == '-':
			if j := skipSpace(sql, i); j > i {
				i = j
				continue
			}
		case isWordByte(c) && (i == 0 || !isWordByte(sql[i-1]) && sql[i-1] != '.' && sql[i-1] != '@'):
			end := i + len(wordAt(sql, i))
			j := end
			for j < len(sql) && (sql[j] == ' ' || sql[j] == '\t' || sql[j] == '\r' || sql[j] == '\n') {
				j++
			}
			if j > end && j < len(sql) && sql[j] == '(' && spacedFunctions[lowerASCII(sql[i:end])] {
				b.WriteString(sql[last:end])
				last = j
			}
			i = end
			continue
		}
		i++
	}
	if last == 0 {
		return sql
	}
	b.WriteString(sql[last:])
	return b.String()
}
