package vschemaddl

import (
	"fmt"
	"sidecar/sqlerr"
	"strings"
)

type tokenKind int

const (
	tEOF    tokenKind = iota
	tWord             // unquoted identifier or keyword; text as written
	tQuoted           // `backquoted identifier`; text unquoted
	tString           // 'string' or "string"; text unescaped
	tNumber           // digits
	tPunct            // one of . , ( ) = ;
)

type token struct {
	kind     tokenKind
	text     string
	pos, end int // byte offsets in the statement
}

// lexer splits a statement into tokens the way MySQL's (and Vitess's) lexer
// does for the few tokens VSchema DDL uses, skipping blanks and comments.
type lexer struct {
	sql string
	pos int
}

func (lx *lexer) errorAt(pos int, format string, args ...any) *sqlerr.Error {
	return &sqlerr.Error{Num: 1064, State: "42000", Message: fmt.Sprintf("syntax error at position %d near '%s': ", pos+1, excerpt(lx.sql, pos, min(pos+20, len(lx.sql)))) + fmt.Sprintf(format, args...)}
}

func (lx *lexer) next() (token, error) {
	if err := lx.skip(); err != nil {
		return token{}, err
	}
	s, start := lx.sql, lx.pos
	if start >= len(s) {
		return token{kind: tEOF, pos: start, end: start}, nil
	}
	c := s[start]
	switch {
	case isWordByte(c):
		i := start
		for i < len(s) && isWordByte(s[i]) {
			i++
		}
		lx.pos = i
		kind := tWord
		if isDigits(s[start:i]) {
			kind = tNumber
		}
		return token{kind: kind, text: s[start:i], pos: start, end: i}, nil
	case c == '`':
		var b strings.Builder
		i := start + 1
		for {
			j := strings.IndexByte(s[i:], '`')
			if j < 0 {
				return token{}, lx.errorAt(start, "unterminated quoted identifier")
			}
			b.WriteString(s[i : i+j])
			i += j + 1
			if i < len(s) && s[i] == '`' { // `` is a backquote
				b.WriteByte('`')
				i++
				continue
			}
			break
		}
		lx.pos = i
		if b.Len() == 0 {
			return token{}, lx.errorAt(start, "empty quoted identifier")
		}
		return token{kind: tQuoted, text: b.String(), pos: start, end: i}, nil
	case c == '\'' || c == '"':
		text, end, ok := unquoteString(s, start)
		if !ok {
			return token{}, lx.errorAt(start, "unterminated string")
		}
		lx.pos = end
		return token{kind: tString, text: text, pos: start, end: end}, nil
	case strings.IndexByte(".,()=;", c) >= 0:
		lx.pos = start + 1
		return token{kind: tPunct, text: s[start : start+1], pos: start, end: start + 1}, nil
	}
	return token{}, lx.errorAt(start, "unexpected character %q", c)
}

// skip moves past blanks and comments: /* … */, -- to the end of the line
// (the dashes followed by a blank, as MySQL wants), # to the end of the line.
func (lx *lexer) skip() error {
	s := lx.sql
	for lx.pos < len(s) {
		c := s[lx.pos]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			lx.pos++
		case c == '/' && lx.pos+1 < len(s) && s[lx.pos+1] == '*':
			end := strings.Index(s[lx.pos+2:], "*/")
			if end < 0 {
				return lx.errorAt(lx.pos, "unterminated comment")
			}
			lx.pos += 2 + end + 2
		case c == '#' || (c == '-' && strings.HasPrefix(s[lx.pos:], "--") && (lx.pos+2 == len(s) || isBlank(s[lx.pos+2]))):
			end := strings.IndexByte(s[lx.pos:], '\n')
			if end < 0 {
				lx.pos = len(s)
			} else {
				lx.pos += end + 1
			}
		default:
			return nil
		}
	}
	return nil
}

func isBlank(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// isWordByte: letters, digits, _ and $, and every byte of a multibyte
// character, as in MySQL's unquoted identifiers.
func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '$' || c >= 0x80
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// unquoteString reads the string literal starting at s[start] (its quote),
// with MySQL's escapes: a doubled quote, and backslash sequences. It returns
// the text, the offset past the closing quote and whether it was closed.
func unquoteString(s string, start int) (string, int, bool) {
	q := s[start]
	var b strings.Builder
	for i := start + 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == q:
			if i+1 < len(s) && s[i+1] == q {
				b.WriteByte(q)
				i++
				continue
			}
			return b.String(), i + 1, true
		case c == '\\' && i+1 < len(s):
			i++
			switch e := s[i]; e {
			case '0':
				b.WriteByte(0)
			case 'b':
				b.WriteByte('\b')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'Z':
				b.WriteByte(26)
			case '%', '_': // kept with their backslash, for LIKE
				b.WriteByte('\\')
				b.WriteByte(e)
			default:
				b.WriteByte(e)
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", len(s), false
}

// isReserved reports whether an unquoted word is one of Vitess's reserved
// keywords (sql.y's reserved_keyword), which cannot be a sql_id or table_id
// without backquotes.
func isReserved(word string) bool {
	return reserved[strings.ToLower(word)]
}

var reserved = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`
		add all and as asc between binary both by case call change character check collate column
		convert create cross cume_dist current_date current_time current_timestamp curtime
		current_user substr substring database databases default delete dense_rank desc describe
		distinct distinctrow div drop else empty escape exists explain extract false first_value for
		force foreign from fulltext generated group grouping groups having if ignore in index inner
		insert interval into is join json_table key lag last_value lateral lead leading left like
		limit linear localtime localtimestamp lock low_priority match maxvalue mod natural next
		no_write_to_binlog not now nth_value ntile null of off on optimizer_costs or order outer
		outfile over partition percent_rank primary range rank read recursive regexp rename replace
		right rlike row row_number rows schema schemas select separator set show spatial stored
		straight_join sysdate system table then timestampadd timestampdiff to trailing true union
		unique unlock update use using utc_date utc_time utc_timestamp values virtual with when
		where window write xor`) {
		m[w] = true
	}
	return m
}()
