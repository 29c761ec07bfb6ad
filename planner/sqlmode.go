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
