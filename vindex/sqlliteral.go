package vindex

import (
	"bytes"
	"encoding/hex"
	"strconv"
	"strings"
)

// AppendLiteral is the one renderer of values the sidecar writes into SQL
// text: lookup statements, the arguments of prepared statements rendered for
// several shards, sequence values, filled-in columns. The backend reads the
// literal back as exactly v under the session's sql_mode, whatever the bytes:
// a value cannot end its literal early (injection) nor change in transit.
//
//   - INT64 / UINT64 (and well-formed FLOAT64 / DECIMAL): the decimal text;
//     text that is not a well-formed number is rendered as a string instead.
//   - VARBINARY and keyspace ids: _binary X'…' (hex digits mean the same
//     everywhere; the introducer makes them a binary string where a number is
//     wanted too), HEXSTRING as the client wrote it, X'…'.
//   - VARCHAR: a single-quoted string with the quote doubled, the one escape
//     every sql_mode reads alike, and the backslash doubled unless the
//     session's sql_mode has NO_BACKSLASH_ESCAPES (where a backslash is an
//     ordinary character). Every other byte — NUL, control characters,
//     bytes of any character set — goes as it is: inside quotes only the
//     quote and the backslash mean anything to MySQL's lexer.
//   - NULL: null.
func AppendLiteral(buf []byte, v Value, noBackslashEscapes bool) []byte {
	switch v.Kind {
	case Null:
		return append(buf, "null"...)
	case Int64:
		if isInteger(v.Raw, true) {
			return append(buf, v.Raw...)
		}
	case Uint64:
		if isInteger(v.Raw, false) {
			return append(buf, v.Raw...)
		}
	case Float64:
		if IsNumber(v.Raw) {
			buf = append(buf, v.Raw...)
			if bytes.IndexAny(v.Raw, "eE") < 0 {
				buf = append(buf, "e0"...) // a double, not the decimal 0.1 would be
			}
			return buf
		}
	case Decimal:
		if IsNumber(v.Raw) {
			return append(buf, v.Raw...)
		}
	case VarBinary, HexString:
		if v.Kind == VarBinary {
			buf = append(buf, "_binary "...)
		}
		buf = append(buf, "X'"...)
		buf = hex.AppendEncode(buf, v.Raw)
		return append(buf, '\'')
	case HexNum:
		if len(v.Raw) > 0 {
			return hex.AppendEncode(append(buf, "0x"...), v.Raw)
		}
		return append(buf, "X''"...) // 0x alone is no literal
	}
	buf = append(buf, '\'')
	for _, c := range v.Raw {
		switch {
		case c == '\'':
			buf = append(buf, '\'', '\'')
		case c == '\\' && !noBackslashEscapes:
			buf = append(buf, '\\', '\\')
		default:
			buf = append(buf, c)
		}
	}
	return append(buf, '\'')
}

// AppendArgument is AppendLiteral for an argument of the client's statement
// (a prepared statement's, or a literal of a normalized one): an unsigned
// integer a literal would spell as a signed one (below 2^63), which only a
// prepared statement's typed argument is, is written CAST(n AS UNSIGNED), so
// that the statement computes with it as MySQL computes with the argument
// (? - 2 with 1 fails with 1690, not -1). A LIMIT takes only a literal: its
// arguments come signed where they can (planner's LimitArgs).
func AppendArgument(buf []byte, v Value, noBackslashEscapes bool) []byte {
	if v.Kind == Uint64 && isInteger(v.Raw, false) {
		if _, err := strconv.ParseInt(string(v.Raw), 10, 64); err == nil {
			buf = append(append(buf, "CAST("...), v.Raw...)
			return append(buf, " AS UNSIGNED)"...)
		}
	}
	return AppendLiteral(buf, v, noBackslashEscapes)
}

// isInteger reports whether b is [-]digits (the sign only if signed).
func isInteger(b []byte, signed bool) bool {
	if signed && len(b) > 0 && b[0] == '-' {
		b = b[1:]
	}
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// IsNumber reports whether b is a decimal or float literal, as MySQL and
// strconv read it alike:
// [-]digits[.digits][e[+-]digits] (digits on at least one side of the point).
func IsNumber(b []byte) bool {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
			n++
		}
		return n
	}
	mant := digits()
	if i < len(b) && b[i] == '.' {
		i++
		mant += digits()
	}
	if mant == 0 {
		return false
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(b)
}

// QuoteIdent quotes a column or table name with backticks (doubling any
// backtick inside), so reserved words (`from`, `key`, `name`) and odd
// characters are safe.
func QuoteIdent(name string) string {
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}

// quoteTable quotes a lookup table param, which may be keyspace-qualified
// ("ks.table" → `ks`.`table`).
func quoteTable(name string) string {
	if ks, t, ok := strings.Cut(name, "."); ok {
		return QuoteIdent(ks) + "." + QuoteIdent(t)
	}
	return QuoteIdent(name)
}
