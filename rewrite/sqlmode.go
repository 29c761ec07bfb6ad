package rewrite

import (
	"fmt"
	"strings"

	"github.com/xwb1989/sqlparser"

	"sidecar/vindex"
)

// SQLMode is what planning must know of the session's sql_mode: the parser
// reads the client's text with MySQL's default quoting and escaping, and the
// sidecar writes statements of its own that the backend reads in the
// session's mode.
type SQLMode struct {
	ANSIQuotes         bool // "x" is an identifier, not a string
	PipesAsConcat      bool // a || b is CONCAT(a, b), not OR
	NoBackslashEscapes bool // a backslash in a string is itself, not an escape
}

// ParseSQLMode reads the value of @@sql_mode (ANSI implies ANSI_QUOTES and
// PIPES_AS_CONCAT, as MySQL expands it).
func ParseSQLMode(value string) SQLMode {
	var m SQLMode
	for _, name := range strings.Split(strings.ToUpper(value), ",") {
		switch strings.TrimSpace(name) {
		case "ANSI":
			m.ANSIQuotes, m.PipesAsConcat = true, true
		case "ANSI_QUOTES":
			m.ANSIQuotes = true
		case "PIPES_AS_CONCAT":
			m.PipesAsConcat = true
		case "NO_BACKSLASH_ESCAPES":
			m.NoBackslashEscapes = true
		}
	}
	return m
}

// key tells plans made under different modes apart in the plan cache.
func (m SQLMode) key() string {
	b := []byte("---")
	if m.ANSIQuotes {
		b[0] = 'q'
	}
	if m.PipesAsConcat {
		b[1] = 'p'
	}
	if m.NoBackslashEscapes {
		b[2] = 'b'
	}
	return string(b)
}

// parse parses the client's text as MySQL reads it under mode: the parser
// knows only the default quoting and escaping, so double-quoted identifiers
// (ANSI_QUOTES) become backquoted ones and backslashes in strings
// (NO_BACKSLASH_ESCAPES) are escaped for it. The shards always get the
// client's own text; this copy is only read.
func parse(sql string, mode SQLMode) (stmt sqlparser.Statement, err error) {
	defer func() {
		// The parser panics on some text (an executable comment with a short
		// version, /*!123*/): that is a statement it cannot read, not a crash.
		if r := recover(); r != nil {
			stmt, err = nil, fmt.Errorf("the parser failed on the statement (%v)", r)
		}
	}()
	if mode.ANSIQuotes && strings.IndexByte(sql, '"') >= 0 {
		sql = ansiQuotesToBackticks(sql)
	}
	if mode.NoBackslashEscapes && strings.IndexByte(sql, '\\') >= 0 {
		sql = escapeBackslashes(sql)
	}
	return sqlparser.Parse(sql)
}

// escapeBackslashes doubles the backslashes inside the strings of a
// statement written under NO_BACKSLASH_ESCAPES, so a parser that reads
// backslash escapes gets the same values.
func escapeBackslashes(sql string) string {
	var b strings.Builder
	for i := 0; i < len(sql); {
		c := sql[i]
		switch {
		case c == '\'' || c == '"':
			end := i + 1
			for end < len(sql) {
				if sql[end] == c {
					if end+1 < len(sql) && sql[end+1] == c {
						end += 2 // a doubled quote
						continue
					}
					end++
					break
				}
				end++
			}
			b.WriteString(strings.ReplaceAll(sql[i:end], `\`, `\\`))
			i = end
		case c == '`':
			end := skipQuoted(sql, i)
			b.WriteString(sql[i:end])
			i = end
		case c == '/' && i+1 < len(sql) && sql[i+1] == '*', c == '#', c == '-' && strings.HasPrefix(sql[i:], "-- "):
			end := max(skipSpace(sql, i), i+1)
			b.WriteString(sql[i:end])
			i = end
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String()
}

// printer prints parsed statements for a backend: string literals and bound
// arguments through the one renderer of values (vindex.AppendLiteral) for
// the session's mode, a placeholder without an argument as the `?` it was
// (a statement the backend prepares), everything else as the parser prints
// it. next, if set, prints the other nodes (an impossible query, bound
// session values).
func printer(args Args, mode SQLMode, next sqlparser.NodeFormatter) sqlparser.NodeFormatter {
	var scratch []byte
	return func(buf *sqlparser.TrackedBuffer, node sqlparser.SQLNode) {
		if v, ok := node.(*sqlparser.SQLVal); ok {
			val, isValue := vindex.Value{Kind: vindex.VarChar, Raw: v.Val}, v.Type == sqlparser.StrVal
			if v.Type == sqlparser.ValArg {
				if val, isValue = args.lookup(string(v.Val[1:])); !isValue {
					buf.WriteByte('?')
					return
				}
			}
			if isValue {
				scratch = vindex.AppendLiteral(scratch[:0], val, mode.NoBackslashEscapes)
				buf.Write(scratch)
				return
			}
		}
		if next != nil {
			next(buf, node)
			return
		}
		node.Format(buf)
	}
}

// printStmt prints a statement for a backend (see printer) between the
// client's leading and trailing comments.
func printStmt(prefix string, node sqlparser.SQLNode, args Args, mode SQLMode, suffix string) string {
	buf := sqlparser.NewTrackedBuffer(printer(args, mode, nil))
	buf.WriteString(prefix)
	buf.Myprintf("%v", node)
	buf.WriteString(suffix)
	return buf.String()
}
