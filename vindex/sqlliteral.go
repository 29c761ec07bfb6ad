package vindex

import (
	"encoding/hex"
	"strings"
	"unicode/utf8"
)

// Lookup vindexes send their statements as SQL text through the Querier, so
// every value is rendered as a literal here, never concatenated raw:
//
//   - INT64 / UINT64 (and well-formed FLOAT64 / DECIMAL): the decimal text;
//     text that is not a well-formed number is rendered as a string instead.
//   - VARCHAR: a quoted string escaped like mysql_real_escape_string
//     (\0 ' " \\ \n \r \x1a), or a hex literal X'…' if the bytes are not
//     valid UTF-8 (a backend would reject or mangle them in a string).
//   - VARBINARY and keyspace ids: X'…' (hex literals survive any charset).
//   - NULL: null.
//
// The quoted form assumes the backend does not run with
// NO_BACKSLASH_ESCAPES.

// appendLiteral appends v as a SQL literal.
func appendLiteral(buf []byte, v Value) []byte {
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
	case Float64, Decimal:
		if isNumber(v.Raw) {
			return append(buf, v.Raw...)
		}
	case VarBinary:
		return appendHexLiteral(buf, v.Raw)
	}
	if !utf8.Valid(v.Raw) {
		return appendHexLiteral(buf, v.Raw)
	}
	return appendQuoted(buf, v.Raw)
}

// appendHexLiteral appends X'<hex>'.
func appendHexLiteral(buf, b []byte) []byte {
	buf = append(buf, "X'"...)
	buf = hex.AppendEncode(buf, b)
	return append(buf, '\'')
}

// appendQuoted appends s as a single-quoted string with the escapes of
// mysql_real_escape_string.
func appendQuoted(buf, s []byte) []byte {
	buf = append(buf, '\'')
	for _, c := range s {
		switch c {
		case 0:
			buf = append(buf, '\\', '0')
		case '\'':
			buf = append(buf, '\\', '\'')
		case '"':
			buf = append(buf, '\\', '"')
		case '\\':
			buf = append(buf, '\\', '\\')
		case '\n':
			buf = append(buf, '\\', 'n')
		case '\r':
			buf = append(buf, '\\', 'r')
		case 0x1a:
			buf = append(buf, '\\', 'Z')
		default:
			buf = append(buf, c)
		}
	}
	return append(buf, '\'')
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

// isNumber reports whether b is a decimal or float literal:
// [-]digits[.digits][e[+-]digits] (digits on at least one side of the point).
func isNumber(b []byte) bool {
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

// quoteIdent quotes a column or table name with backticks (doubling any
// backtick inside), so reserved words (`from`, `key`, `name`) and odd
// characters are safe.
func quoteIdent(name string) string {
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}

// quoteTable quotes a lookup table param, which may be keyspace-qualified
// ("ks.table" → `ks`.`table`).
func quoteTable(name string) string {
	if ks, t, ok := strings.Cut(name, "."); ok {
		return quoteIdent(ks) + "." + quoteIdent(t)
	}
	return quoteIdent(name)
}
