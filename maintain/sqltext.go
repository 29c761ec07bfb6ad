package maintain

import (
	"strconv"
	"strings"

	"sidecar/vindex"
)

// The SQL text the tool sends. Identifiers are backquoted; every value goes
// through a litFunc, which is vindex.AppendLiteral for the connection's
// sql_mode (conn.lit): values are never pasted into statements.

// litFunc appends a value as a SQL literal.
type litFunc func(buf []byte, v vindex.Value) []byte

// appendColumns appends `a`, `b`, ….
func appendColumns(buf []byte, cols []string) []byte {
	for i, c := range cols {
		if i > 0 {
			buf = append(buf, ", "...)
		}
		buf = append(buf, vindex.QuoteIdent(c)...)
	}
	return buf
}

// appendRowEq appends `a` = 1 AND `b` = 2: the row whose cols hold vals.
func appendRowEq(buf []byte, cols []string, vals []vindex.Value, lit litFunc) []byte {
	for i, c := range cols {
		if i > 0 {
			buf = append(buf, " AND "...)
		}
		buf = append(buf, vindex.QuoteIdent(c)...)
		buf = append(buf, " = "...)
		buf = lit(buf, vals[i])
	}
	return buf
}

// appendAnyRow appends a condition true for the rows whose cols hold any of
// the tuples: `a` IN (1, 2) for one column, (`a` = 1 AND `b` = 2) OR (…)
// for several — forms the optimizer turns into point lookups on an index.
func appendAnyRow(buf []byte, cols []string, tuples [][]vindex.Value, lit litFunc) []byte {
	if len(cols) == 1 {
		buf = append(buf, vindex.QuoteIdent(cols[0])...)
		buf = append(buf, " IN ("...)
		for i, t := range tuples {
			if i > 0 {
				buf = append(buf, ", "...)
			}
			buf = lit(buf, t[0])
		}
		return append(buf, ')')
	}
	buf = append(buf, '(')
	for i, t := range tuples {
		if i > 0 {
			buf = append(buf, " OR "...)
		}
		buf = append(buf, '(')
		buf = appendRowEq(buf, cols, t, lit)
		buf = append(buf, ')')
	}
	return append(buf, ')')
}

// appendAfter appends the keyset condition "cols come after key" in the
// index order of cols: (`a` > 1 OR `a` = 1 AND (`b` > 2)). Unlike a row
// comparison (a, b) > (1, 2), every server reads it as a range of the index.
func appendAfter(buf []byte, cols []string, key []vindex.Value, lit litFunc) []byte {
	buf = append(buf, '(')
	buf = append(buf, vindex.QuoteIdent(cols[0])...)
	buf = append(buf, " > "...)
	buf = lit(buf, key[0])
	if len(cols) > 1 {
		buf = append(buf, " OR "...)
		buf = append(buf, vindex.QuoteIdent(cols[0])...)
		buf = append(buf, " = "...)
		buf = lit(buf, key[0])
		buf = append(buf, " AND "...)
		buf = appendAfter(buf, cols[1:], key[1:], lit)
	}
	return append(buf, ')')
}

// scanSQL is one batch of a keyset scan: the rows after key (all from the
// start when key is nil) in primary-key order.
func scanSQL(table string, cols, pk []string, after []vindex.Value, limit int, lit litFunc) string {
	buf := append([]byte("SELECT "), appendColumns(nil, cols)...)
	buf = append(buf, " FROM "...)
	buf = append(buf, vindex.QuoteIdent(table)...)
	if after != nil {
		buf = append(buf, " WHERE "...)
		buf = appendAfter(buf, pk, after, lit)
	}
	buf = append(buf, " ORDER BY "...)
	buf = appendColumns(buf, pk)
	buf = append(buf, " LIMIT "...)
	buf = strconv.AppendInt(buf, int64(limit), 10)
	return string(buf)
}

// columns is a select list without repeats (names compare
// case-insensitively, as MySQL's column names do) and where each name is.
type columns struct {
	names []string
	pos   map[string]int
}

func newColumns(groups ...[]string) *columns {
	c := &columns{pos: map[string]int{}}
	for _, g := range groups {
		for _, n := range g {
			if _, ok := c.pos[strings.ToLower(n)]; !ok {
				c.pos[strings.ToLower(n)] = len(c.names)
				c.names = append(c.names, n)
			}
		}
	}
	return c
}

// of picks the values of names out of a row selected with c.names.
func (c *columns) of(row []vindex.Value, names []string) []vindex.Value {
	out := make([]vindex.Value, len(names))
	for i, n := range names {
		out[i] = row[c.pos[strings.ToLower(n)]]
	}
	return out
}

// tupleKey is a collision-free map key for a tuple of values, by their text
// (the text a result row comes back with).
func tupleKey(vals []vindex.Value) string {
	var b []byte
	for _, v := range vals {
		if v.IsNull() {
			b = append(b, 'N')
			continue
		}
		b = strconv.AppendInt(b, int64(len(v.Raw)), 10)
		b = append(b, ':')
		b = append(b, v.Raw...)
	}
	return string(b)
}

func hasNull(vals []vindex.Value) bool {
	for _, v := range vals {
		if v.IsNull() {
			return true
		}
	}
	return false
}
