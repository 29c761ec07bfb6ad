package planner

import (
	"encoding/hex"
	"strings"

	"sidecar/vindex"
)

// normalize turns the literals of a statement's WHERE, VALUES and SET parts
// into `?` placeholders and returns the statement's shape and the literals'
// values, so text statements that differ only in values share one parsed
// plan (the text protocol's equivalent of a prepared statement). It is a
// scanner, not a parser: it copies comments, identifiers, double-quoted
// strings (identifiers under ANSI_QUOTES) and everything outside those
// clauses unchanged, so ORDER BY 1, LIMIT 10 and select-list literals stay
// part of the shape. ok is false when the text is not understood.
//
// Under NO_BACKSLASH_ESCAPES a backslash in a string is itself, not an escape.
func normalize(sql string, noBackslashEscapes bool) (shape string, args Args, ok bool) {
	var b strings.Builder
	b.Grow(min(len(sql), 64<<10)) // a long statement's shape is short: its literals are out
	param := false                // inside WHERE / VALUES / SET
	returning := false            // past MariaDB's RETURNING
	var lits literalBytes
	lastWord := ""
	i := 0
	for i < len(sql) {
		c := sql[i]
		switch {
		case c == '\'':
			end, escaped, good := stringEnd(sql, i, noBackslashEscapes)
			if !good {
				return "", nil, false
			}
			if param && !isIntroducer(lastWord, sql, i) {
				b.WriteByte('?')
				val := lits.keep(sql[i+1:end-1], len(sql)-i)
				if escaped {
					val = unescape(sql[i+1:end-1], noBackslashEscapes)
				}
				args = append(args, vindex.Value{Kind: vindex.VarChar, Raw: val})
			} else {
				b.WriteString(sql[i:end])
			}
			i = end
			lastWord = ""
		case c == '"' || c == '`':
			end := scanQuoted(sql, i)
			if end < 0 {
				return "", nil, false
			}
			b.WriteString(sql[i:end])
			i = end
			lastWord = ""
		case c == '/' && i+1 < len(sql) && sql[i+1] == '*':
			end := strings.Index(sql[i+2:], "*/")
			if end < 0 {
				return "", nil, false
			}
			b.WriteString(sql[i : i+end+4])
			i += end + 4
		case c == '#' || (c == '-' && i+2 < len(sql) && sql[i+1] == '-' && (sql[i+2] == ' ' || sql[i+2] == '\t')):
			end := strings.IndexByte(sql[i:], '\n')
			if end < 0 {
				end = len(sql) - i
			}
			b.WriteString(sql[i : i+end])
			i += end
		case c >= '0' && c <= '9':
			j := i
			for j < len(sql) && (isIdentChar(sql[j]) || sql[j] == '.') {
				j++
			}
			num := sql[i:j]
			if param && standalone(sql, i) {
				if val, ok := hexNum(num); ok {
					// 0x…: the binary ids of applications that write them so.
					b.WriteByte('?')
					args = append(args, vindex.Value{Kind: vindex.HexNum, Raw: val})
					i = j
					continue
				}
			}
			if param && isDigits(num) && (j == len(sql) || !isIdentChar(sql[j])) && standalone(sql, i) {
				b.WriteByte('?')
				raw := lits.keep(num, len(sql)-i)
				if len(num) < len("9223372036854775807") { // fits in a BIGINT
					args = append(args, vindex.Value{Kind: vindex.Int64, Raw: raw})
				} else {
					v, _ := numberValue(raw, false)
					args = append(args, v)
				}
			} else {
				b.WriteString(num)
			}
			i = j
		case isIdentChar(c):
			j := i
			for j < len(sql) && isIdentChar(sql[j]) {
				j++
			}
			word := sql[i:j]
			if param && (word == "x" || word == "X") {
				// X'0a1b': the keyspace ids of lookup rows, different in
				// every statement the lookup vindexes write.
				if end, val, ok := scanHexString(sql, j); ok {
					b.WriteByte('?')
					args = append(args, vindex.Value{Kind: vindex.HexString, Raw: val})
					i = end
					lastWord = ""
					continue
				}
			}
			if param && strings.EqualFold(word, "_binary") {
				// _binary'…': how drivers that interpolate write byte
				// values (go-sql-driver), however long: a binary string.
				k := j
				for k < len(sql) && (sql[k] == ' ' || sql[k] == '\t' || sql[k] == '\n' || sql[k] == '\r') {
					k++
				}
				if k < len(sql) && sql[k] == '\'' {
					end, val, ok := scanString(sql, k, noBackslashEscapes)
					if !ok {
						return "", nil, false
					}
					b.WriteByte('?')
					args = append(args, vindex.Value{Kind: vindex.VarBinary, Raw: val})
					i = end
					lastWord = ""
					continue
				}
				// _binary X'…': how the sidecar writes a binary string.
				if k+1 < len(sql) && (sql[k] == 'x' || sql[k] == 'X') {
					if end, val, ok := scanHexString(sql, k+1); ok {
						b.WriteByte('?')
						args = append(args, vindex.Value{Kind: vindex.VarBinary, Raw: val})
						i = end
						lastWord = ""
						continue
					}
				}
			}
			b.WriteString(word)
			switch clause(word) {
			case clauseParams:
				// Not in MariaDB's RETURNING (… WHERE of a subquery): the
				// clause goes to the shards as written (Plan.Tail).
				param = !returning
			case clauseNoParams:
				param = false
				returning = returning || strings.EqualFold(word, "returning")
			}
			lastWord = word
			i = j
		case c == '?':
			return "", nil, false // a prepared statement's own placeholders
		default:
			if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
				lastWord = ""
			}
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), args, true
}

// BindPlaceholders writes args into a prepared statement's text in place of
// its `?`s (outside strings, quoted names and comments), as literals; ok is
// false unless there is one `?` per argument: a prepared SET, which the
// sidecar runs as text (its session keeps the text for its other
// connections).
func BindPlaceholders(sql string, args Args, mode SQLMode) (string, bool) {
	var b []byte
	n := 0
	for i := 0; i < len(sql); {
		c := sql[i]
		end := i + 1
		switch {
		case c == '\'':
			e, _, good := stringEnd(sql, i, mode.NoBackslashEscapes)
			if !good {
				return "", false
			}
			end = e
		case c == '"' || c == '`':
			if end = scanQuoted(sql, i); end < 0 {
				return "", false
			}
		case strings.HasPrefix(sql[i:], "/*"):
			// An executable comment's ? counts or not by its version, as the
			// backend that prepared the statement decided: left as it is, a
			// count that then differs is refused.
			e := strings.Index(sql[i+2:], "*/")
			if e < 0 {
				return "", false
			}
			end = i + e + 4
		case skipComment(sql, i) != i:
			end = skipComment(sql, i)
		case c == '?':
			if n == len(args) {
				return "", false
			}
			b = vindex.AppendArgument(b, args[n], mode.NoBackslashEscapes)
			n++
			i++
			continue
		}
		b = append(b, sql[i:end]...)
		i = end
	}
	return string(b), n == len(args)
}

// isHexNum: s is a 0x… literal.
func isHexNum(s string) bool {
	_, ok := hexNum(s)
	return ok
}

// hexNum decodes a 0x… literal (an odd number of digits has a 0 in front,
// as MySQL reads it).
func hexNum(s string) ([]byte, bool) {
	if len(s) < 3 || s[0] != '0' || s[1] != 'x' {
		return nil, false
	}
	digits := s[2:]
	if len(digits)%2 == 1 {
		digits = "0" + digits
	}
	val, err := hex.DecodeString(digits)
	return val, err == nil
}

// literalBytes holds the bytes of a statement's literal values, one
// allocation for all of them rather than one each.
type literalBytes []byte

// keep copies s and returns the copy. room is an upper bound of the bytes
// still to come (the rest of the statement), the buffer's size when first
// used.
func (l *literalBytes) keep(s string, room int) []byte {
	if *l == nil {
		*l = make([]byte, 0, room)
	}
	start := len(*l)
	*l = append(*l, s...)
	return (*l)[start:len(*l):len(*l)] // capped: an append to one value cannot overwrite the next
}

// clause classifies a keyword by whether the literals after it are
// parameters of the statement's shape.
type clauseKind int

const (
	clauseOther    clauseKind = iota
	clauseParams              // WHERE, VALUES, VALUE, SET
	clauseNoParams            // ORDER, GROUP, LIMIT, …: literals there are part of the shape
)

// clause lower-cases word on the stack (no allocation: it runs on every word
// of every statement) and classifies it.
func clause(word string) clauseKind {
	var buf [len("returning")]byte
	if len(word) < len("for") || len(word) > len(buf) {
		return clauseOther
	}
	for k := 0; k < len(word); k++ {
		c := word[k]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[k] = c
	}
	switch string(buf[:len(word)]) {
	case "where", "values", "value", "set":
		return clauseParams
	case "order", "group", "limit", "having", "union", "for", "into", "select", "from", "join", "lock", "returning":
		return clauseNoParams
	}
	return clauseOther
}

func isIdentChar(c byte) bool {
	return c == '_' || c == '$' || (c >= '0' && c <= '9') || (c|0x20) >= 'a' && (c|0x20) <= 'z' || c >= 0x80
}

// standalone reports a number at sql[i] that is a token of its own: not the
// fraction of .5, the name of @0, nor the exponent of 1e-5.
func standalone(sql string, i int) bool {
	if i == 0 {
		return true
	}
	switch p := sql[i-1]; {
	case p == '.' || p == '@' || isIdentChar(p):
		return false
	case (p == '-' || p == '+') && i >= 3 && (sql[i-2]|0x20) == 'e' && (isIdentChar(sql[i-3]) || sql[i-3] == '.'):
		return false
	}
	return true
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// isIntroducer reports a character set introducer before a string
// (_utf8mb4'x', _latin1 'x', N'x', X'0a'): such literals keep their text.
func isIntroducer(lastWord, sql string, quote int) bool {
	return (quote > 0 && isIdentChar(sql[quote-1])) || strings.HasPrefix(lastWord, "_")
}

// scanHexString reads the quoted part of a hexadecimal literal X'…' at
// sql[i]: ok only for an even number of hex digits, as MySQL requires.
func scanHexString(sql string, i int) (end int, val []byte, ok bool) {
	if i >= len(sql) || sql[i] != '\'' {
		return 0, nil, false
	}
	k := strings.IndexByte(sql[i+1:], '\'')
	if k < 0 {
		return 0, nil, false
	}
	val, err := hex.DecodeString(sql[i+1 : i+1+k])
	if err != nil {
		return 0, nil, false
	}
	return i + k + 2, val, true
}

// scanQuoted returns where a double-quoted string or backquoted identifier
// starting at sql[i] ends (-1 if it does not): doubled quotes and, in
// double-quoted strings, backslash escapes stay inside.
func scanQuoted(sql string, i int) int {
	q := sql[i]
	for j := i + 1; j < len(sql); j++ {
		switch {
		case sql[j] == '\\' && q == '"':
			j++
		case sql[j] == q:
			if j+1 < len(sql) && sql[j+1] == q {
				j++
				continue
			}
			return j + 1
		}
	}
	return -1
}

// scanString reads a single-quoted literal starting at sql[i] and returns
// where it ends and its value with MySQL's escapes resolved.
func scanString(sql string, i int, noBackslashEscapes bool) (end int, val []byte, ok bool) {
	end, escaped, ok := stringEnd(sql, i, noBackslashEscapes)
	switch {
	case !ok:
		return 0, nil, false
	case escaped:
		return end, unescape(sql[i+1:end-1], noBackslashEscapes), true
	}
	return end, []byte(sql[i+1 : end-1]), true
}

// stringEnd finds where the single-quoted literal at sql[i] ends (after its
// closing quote) and whether anything in it is escaped.
func stringEnd(sql string, i int, noBackslashEscapes bool) (end int, escaped, ok bool) {
	j := i + 1
	for {
		// Two vectorised searches beat one strings.IndexAny over both bytes.
		k := strings.IndexByte(sql[j:], '\'')
		if k < 0 {
			return 0, false, false
		}
		if !noBackslashEscapes {
			if bs := strings.IndexByte(sql[j:j+k], '\\'); bs >= 0 {
				if j+bs+1 >= len(sql) {
					return 0, false, false
				}
				escaped = true
				j += bs + 2
				continue
			}
		}
		j += k
		if j+1 < len(sql) && sql[j+1] == '\'' {
			escaped = true
			j += 2
			continue
		}
		return j + 1, escaped, true
	}
}

// unescape resolves the escapes of a string literal's body (between its
// quotes): backslash escapes unless noBackslashEscapes, doubled quotes.
func unescape(body string, noBackslashEscapes bool) []byte {
	val := make([]byte, 0, len(body))
	for k := 0; k < len(body); {
		c := body[k]
		switch {
		case c == '\\' && !noBackslashEscapes:
			switch e := body[k+1]; e {
			case '0':
				val = append(val, 0)
			case 'b':
				val = append(val, '\b')
			case 'n':
				val = append(val, '\n')
			case 'r':
				val = append(val, '\r')
			case 't':
				val = append(val, '\t')
			case 'Z':
				val = append(val, 26)
			case '%', '_':
				val = append(val, '\\', e)
			default:
				val = append(val, e)
			}
			k += 2
		case c == '\'': // a doubled quote
			val = append(val, '\'')
			k += 2
		default:
			val = append(val, c)
			k++
		}
	}
	return val
}
