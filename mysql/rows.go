package mysql

// Rows of result sets, in the text protocol (every value a length-encoded
// string, 0xfb for NULL) and in the binary protocol of prepared statements
// (values encoded by their column's type).

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"

	"sidecar/sqlerr"
)

// Column is what a column definition says about its values, and where they
// come from: Table (as the statement names it) and OrgName, "" for an
// expression.
type Column struct {
	Name     string
	Table    string
	OrgName  string
	Charset  uint16
	Type     byte
	Flags    uint16
	Decimals byte
}

// ParseColumn reads a column definition (Protocol::ColumnDefinition41).
func ParseColumn(def []byte) (Column, bool) {
	var c Column
	spans, ok := ColumnDefStrings(def)
	if !ok {
		return c, false
	}
	c.Name = string(def[spans[4][0]:spans[4][1]])
	c.Table = string(def[spans[2][0]:spans[2][1]])
	c.OrgName = string(def[spans[5][0]:spans[5][1]])
	pos := spans[5][1]
	if pos+11 > len(def) {
		return c, false
	}
	c.Charset = binary.LittleEndian.Uint16(def[pos+1:])
	c.Type = def[pos+7]
	c.Flags = binary.LittleEndian.Uint16(def[pos+8:])
	c.Decimals = def[pos+10]
	return c, true
}

// ShowingColumn is the definition of a column, def, that shows another
// column, src, as it is: def's table (alias) and name, with src's schema,
// original table and original name when src has them, and src's type
// (character set, length, type, flags, decimals) when typ, def's otherwise.
// A column def says may be NULL stays so with src's type: an outer join's
// column of a NOT NULL one holds NULLs, and a client that trusts the flag
// (go-sql-driver's scan type) fails on them. It is def if either is
// malformed.
func ShowingColumn(def, src []byte, typ bool) []byte {
	d, ok1 := ColumnDefStrings(def)
	s, ok2 := ColumnDefStrings(src)
	if !ok1 || !ok2 {
		return def
	}
	// field is string i of b with its length prefix, or b's fixed-length
	// fields after them (i 6).
	field := func(b []byte, spans [6][2]int, i int) []byte {
		start := 0
		if i > 0 {
			start = spans[i-1][1]
		}
		if i == 6 {
			return b[start:]
		}
		return b[start:spans[i][1]]
	}
	named := s[5][1] > s[5][0] // src is a table's column
	out := make([]byte, 0, len(def)+len(src))
	for i := range 7 {
		switch {
		case i == 6 && typ, named && (i == 1 || i == 3 || i == 5):
			out = append(out, field(src, s, i)...)
		default:
			out = append(out, field(def, d, i)...)
		}
	}
	// The fixed fields: 0x0c, character set (2), length (4), type, flags (2)…
	const flagsAt = 8
	if srcFixed := len(field(src, s, 6)); typ && srcFixed > flagsAt && d[5][1]+flagsAt < len(def) && def[d[5][1]+flagsAt]&FlagNotNull == 0 {
		out[len(out)-srcFixed+flagsAt] &^= FlagNotNull
	}
	return out
}

// AppendTextRow encodes a row of text values (nil: NULL).
func AppendTextRow(b []byte, row [][]byte) []byte {
	for _, v := range row {
		if v == nil {
			b = append(b, 0xfb)
			continue
		}
		b = AppendLenEncInt(b, uint64(len(v)))
		b = append(b, v...)
	}
	return b
}

// AppendBinaryRow encodes a row of text values as a binary protocol row
// (ProtocolBinary::ResultsetRow): 0x00, the NULL bitmap (offset 2), values.
func AppendBinaryRow(b []byte, row [][]byte, cols []Column) ([]byte, error) {
	b = append(b, 0x00)
	nullStart := len(b)
	for range (len(row) + 7 + 2) / 8 {
		b = append(b, 0)
	}
	for i, v := range row {
		if v == nil || cols[i].Type == TypeNull {
			b[nullStart+(i+2)/8] |= 1 << ((i + 2) % 8)
			continue
		}
		var err error
		if b, err = appendBinaryValue(b, v, cols[i]); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// appendBinaryValue encodes one text value in the binary protocol by its
// column's type.
func appendBinaryValue(b, v []byte, c Column) ([]byte, error) {
	bad := func() ([]byte, error) {
		return nil, sqlerr.Routing("cannot encode %q as a binary %s value of column %s", v, TypeName(c.Type), c.Name)
	}
	unsigned := c.Flags&FlagUnsigned != 0
	integer := func(size int) ([]byte, error) {
		var u uint64
		if unsigned {
			n, err := strconv.ParseUint(string(v), 10, 64)
			if err != nil {
				return bad()
			}
			u = n
		} else {
			n, err := strconv.ParseInt(string(v), 10, 64)
			if err != nil {
				return bad()
			}
			u = uint64(n)
		}
		for i := range size {
			b = append(b, byte(u>>(8*i)))
		}
		return b, nil
	}
	switch c.Type {
	case TypeTiny:
		return integer(1)
	case TypeShort, TypeYear:
		return integer(2)
	case TypeLong, TypeInt24:
		return integer(4)
	case TypeLongLong:
		return integer(8)
	case TypeFloat:
		f, err := strconv.ParseFloat(string(v), 32)
		if err != nil {
			return bad()
		}
		return binary.LittleEndian.AppendUint32(b, math.Float32bits(float32(f))), nil
	case TypeDouble:
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil {
			return bad()
		}
		return binary.LittleEndian.AppendUint64(b, math.Float64bits(f)), nil
	case TypeDate, TypeDateTime, TypeTimestamp:
		out, ok := appendBinaryDateTime(b, string(v))
		if !ok {
			return bad()
		}
		return out, nil
	case TypeTime:
		out, ok := appendBinaryTime(b, string(v))
		if !ok {
			return bad()
		}
		return out, nil
	}
	// DECIMAL, strings, blobs, BIT, ENUM, SET, JSON, GEOMETRY: length-encoded.
	b = AppendLenEncInt(b, uint64(len(v)))
	return append(b, v...), nil
}

// appendBinaryDateTime encodes 'YYYY-MM-DD[ HH:MM:SS[.ffffff]]' with the
// shortest length that holds it (0, 4, 7 or 11 bytes after the length).
func appendBinaryDateTime(b []byte, s string) ([]byte, bool) {
	var y, mo, d, h, mi, sec, us int
	datePart, timePart, hasTime := strings.Cut(s, " ")
	if _, err := fmt.Sscanf(datePart, "%4d-%2d-%2d", &y, &mo, &d); err != nil || len(datePart) != 10 {
		return nil, false
	}
	if hasTime {
		hms, frac, _ := strings.Cut(timePart, ".")
		if _, err := fmt.Sscanf(hms, "%2d:%2d:%2d", &h, &mi, &sec); err != nil || len(hms) != 8 {
			return nil, false
		}
		if frac != "" {
			n, err := strconv.Atoi((frac + "000000")[:6])
			if err != nil {
				return nil, false
			}
			us = n
		}
	}
	var length byte
	switch {
	case us != 0:
		length = 11
	case h != 0 || mi != 0 || sec != 0:
		length = 7
	case y != 0 || mo != 0 || d != 0:
		length = 4
	}
	b = append(b, length)
	if length == 0 {
		return b, true // the zero date
	}
	b = binary.LittleEndian.AppendUint16(b, uint16(y))
	b = append(b, byte(mo), byte(d))
	if length >= 7 {
		b = append(b, byte(h), byte(mi), byte(sec))
	}
	if length == 11 {
		b = binary.LittleEndian.AppendUint32(b, uint32(us))
	}
	return b, true
}

// appendBinaryTime encodes '[-]HHH:MM:SS[.ffffff]' (0, 8 or 12 bytes after
// the length: sign, days, hours, minutes, seconds, microseconds).
func appendBinaryTime(b []byte, s string) ([]byte, bool) {
	neg := strings.HasPrefix(s, "-")
	body := strings.TrimPrefix(s, "-")
	hms, frac, _ := strings.Cut(body, ".")
	parts := strings.Split(hms, ":")
	if len(parts) != 3 {
		return nil, false
	}
	h, err1 := strconv.Atoi(parts[0])
	mi, err2 := strconv.Atoi(parts[1])
	sec, err3 := strconv.Atoi(parts[2])
	if err1 != nil || err2 != nil || err3 != nil || h < 0 {
		return nil, false
	}
	us := 0
	if frac != "" {
		n, err := strconv.Atoi((frac + "000000")[:6])
		if err != nil {
			return nil, false
		}
		us = n
	}
	if h == 0 && mi == 0 && sec == 0 && us == 0 {
		return append(b, 0), true
	}
	if us != 0 {
		b = append(b, 12)
	} else {
		b = append(b, 8)
	}
	sign := byte(0)
	if neg {
		sign = 1
	}
	b = append(b, sign)
	b = binary.LittleEndian.AppendUint32(b, uint32(h/24))
	b = append(b, byte(h%24), byte(mi), byte(sec))
	if us != 0 {
		b = binary.LittleEndian.AppendUint32(b, uint32(us))
	}
	return b, true
}

func TypeName(t byte) string {
	switch t {
	case TypeTiny:
		return "TINYINT"
	case TypeShort:
		return "SMALLINT"
	case TypeLong:
		return "INT"
	case TypeLongLong:
		return "BIGINT"
	case TypeInt24:
		return "MEDIUMINT"
	case TypeYear:
		return "YEAR"
	case TypeFloat:
		return "FLOAT"
	case TypeDouble:
		return "DOUBLE"
	case TypeDate:
		return "DATE"
	case TypeDateTime:
		return "DATETIME"
	case TypeTimestamp:
		return "TIMESTAMP"
	case TypeTime:
		return "TIME"
	}
	return fmt.Sprintf("type %d", t)
}
