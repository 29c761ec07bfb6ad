package planner

import "strings"

// SplitStatements cuts the text of a multi-statement COM_QUERY into its
// statements where MySQL's parser would end them: at semicolons outside
// quotes and comments, but never inside the BEGIN … END body of a CREATE or
// ALTER of a procedure, function, trigger, event or package (or MariaDB's
// BEGIN NOT ATOMIC block), whose inner statements end with semicolons too.
//
// Each statement comes without its semicolon and surrounding whitespace.
// Text after the last statement that holds only whitespace, comments and
// semicolons is no statement (MySQL sends no result for it); a blank
// statement followed by another one is kept as "" so the caller can refuse
// it, as MySQL does with a syntax error. No statement at all: nil.
func SplitStatements(sql string) []string {
	var out []string
	for start := 0; start < len(sql); {
		end := statementEnd(sql, start)
		// MySQL's whitespace only: Unicode's (U+00A0, U+0085…) are
		// identifier characters to MySQL (and to statementEnd), which
		// strings.TrimSpace would cut off the statement.
		piece := strings.Trim(sql[start:end], mysqlSpace)
		// Blank is judged with the semicolon that ends the statement: "--"
		// at the end of the text starts a comment, before ";" it does not.
		if blank(sql[start:min(end+1, len(sql))], mysqlSpace) {
			piece = ""
		}
		out = append(out, piece)
		start = end + 1
	}
	// Trailing blanks are no statements.
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// mysqlSpace is the whitespace of MySQL's parser.
const mysqlSpace = " \t\n\v\f\r"

// IsBlank reports text without a statement: whitespace, semicolons and
// comments only (executable comments, MySQL's /*! … */ and MariaDB's
// /*M! … */, are statements unless they too are blank inside). Comments are those statementEnd skips: as in
// MySQL, "--" starts one before a space, a control character or the end of
// the text.
//
// Its whitespace is StripLeadingComments' (not \v or \f): a query of only
// those goes to the backend, which answers it as MySQL does.
func IsBlank(sql string) bool { return blank(sql, " \t\n\r") }

// blank reports text of only space characters, semicolons and comments.
func blank(sql, space string) bool {
	for i := 0; i < len(sql); {
		switch c := sql[i]; {
		case c == ';' || strings.IndexByte(space, c) >= 0:
			i++
		case strings.HasPrefix(sql[i:], "/*!") || strings.HasPrefix(sql[i:], "/*M!"):
			// Blank inside, it is blank whether a backend runs or skips it.
			body := i + strings.IndexByte(sql[i:], '!') + 1
			for body < len(sql) && sql[body] >= '0' && sql[body] <= '9' {
				body++
			}
			end := commentEnd(sql, body)
			if end < 0 || !blank(sql[body:end], space) {
				return false
			}
			i = end + 2
		case strings.HasPrefix(sql[i:], "/*"):
			end := strings.Index(sql[i+2:], "*/")
			if end < 0 {
				return false
			}
			i += end + 4
		case c == '#' || lineComment(sql, i):
			end := strings.IndexByte(sql[i:], '\n')
			if end < 0 {
				return true
			}
			i += end + 1
		default:
			return false
		}
	}
	return true
}

// lineComment reports a "--" comment at s[i]: MySQL wants a space or a
// control character after the dashes, or the end of the text.
func lineComment(s string, i int) bool {
	return strings.HasPrefix(s[i:], "--") && (i+2 == len(s) || s[i+2] <= ' ')
}

// statementEnd returns the index of the semicolon that ends the statement
// starting at s[start], or len(s). It skips quoted strings, quoted
// identifiers and comments.
func statementEnd(s string, start int) int {
	var head header // what the first words say
	depth := 0      // open BEGIN and CASE blocks of a compound statement
	// An END closes a block unless the next word makes it END IF, END LOOP,
	// END WHILE, END REPEAT or END FOR: those close blocks this scan does not
	// count (they sit inside a BEGIN block).
	pendingEnd := false
	closeEnd := func() {
		if pendingEnd {
			depth--
			pendingEnd = false
		}
	}
	for i := start; i < len(s); {
		c := s[i]
		switch {
		case c == ';':
			closeEnd()
			if depth <= 0 {
				return i
			}
			i++
		case c == '\'' || c == '"' || c == '`':
			closeEnd()
			i = skipQuoted(s, i)
		case c == '/' && i+1 < len(s) && s[i+1] == '*':
			end := strings.Index(s[i+2:], "*/")
			if end < 0 {
				return len(s)
			}
			i += end + 4
		case c == '#' || lineComment(s, i):
			end := strings.IndexByte(s[i:], '\n')
			if end < 0 {
				return len(s)
			}
			i += end + 1
		case isIdentChar(c):
			j := i
			for j < len(s) && isIdentChar(s[j]) {
				j++
			}
			w := lowerASCII(s[i:j])
			i = j
			switch {
			case !head.decided:
				if head.read(w) && w == "atomic" {
					depth = 1 // BEGIN NOT ATOMIC opened the block
				}
			case !head.compound:
			case pendingEnd:
				pendingEnd = false
				if !uncountedBlocks[w] {
					depth-- // END, END CASE or END label
				}
			case w == "begin" || w == "case":
				depth++
			case w == "end":
				pendingEnd = true
			}
		default:
			if c > ' ' {
				closeEnd()
			}
			i++
		}
	}
	return len(s)
}

var uncountedBlocks = map[string]bool{"if": true, "loop": true, "while": true, "repeat": true, "for": true}

// header reads a statement's first words to tell whether its body is a
// compound statement: CREATE [OR REPLACE] [DEFINER = …] [AGGREGATE]
// PROCEDURE|FUNCTION|TRIGGER|EVENT|PACKAGE, the same with ALTER (ALTER EVENT
// … DO BEGIN … END), or MariaDB's BEGIN NOT ATOMIC block.
type header struct {
	words    int
	first    string
	decided  bool
	compound bool
}

// read takes the next word; it reports whether the statement was just found
// to be compound.
func (h *header) read(w string) bool {
	h.words++
	switch {
	case h.words == 1:
		h.first = w
		h.decided = w != "create" && w != "alter" && w != "begin"
	case h.first == "begin":
		// BEGIN NOT ATOMIC; BEGIN alone or BEGIN WORK starts a transaction.
		h.decided = h.words == 3 || w != "not"
		h.compound = h.words == 3 && w == "atomic"
	case compoundObjects[w]:
		h.decided, h.compound = true, true
	case otherObjects[w] || h.words >= maxHeaderWords:
		h.decided = true
	}
	return h.compound
}

var compoundObjects = map[string]bool{"procedure": true, "function": true, "trigger": true, "event": true, "package": true}

// otherObjects end the search for a compound object: in CREATE TABLE t
// (procedure INT) the word names a column.
var otherObjects = map[string]bool{"table": true, "view": true, "index": true, "database": true, "schema": true,
	"user": true, "role": true, "server": true, "sequence": true, "tablespace": true, "temporary": true,
	"unique": true, "fulltext": true, "spatial": true, "logfile": true}

// maxHeaderWords bounds the words before the object keyword of a compound
// statement: CREATE OR REPLACE DEFINER = u@h AGGREGATE FUNCTION.
const maxHeaderWords = 8
