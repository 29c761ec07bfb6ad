// Package mysql is the MySQL client/server protocol as the sidecar speaks it
// on both sides: command bytes, status and capability flags, column types,
// length-encoded values, OK/ERR/EOF packets and column definitions.
package mysql

import (
	"encoding/binary"
	"strconv"
	"strings"

	"sidecar/sqlerr"
)

// Command bytes of the MySQL protocol.
const (
	ComQuit             = 0x01
	ComInitDB           = 0x02
	ComQuery            = 0x03
	ComFieldList        = 0x04
	ComStatistics       = 0x09
	ComProcessKill      = 0x0c
	ComPing             = 0x0e
	ComChangeUser       = 0x11
	ComStmtPrepare      = 0x16
	ComStmtExecute      = 0x17
	ComStmtSendLongData = 0x18
	ComStmtClose        = 0x19
	ComStmtReset        = 0x1a
	ComSetOption        = 0x1b
	ComStmtFetch        = 0x1c
	ComResetConnection  = 0x1f
)

// Server status flags.
const (
	StatusInTrans             = 0x0001
	StatusAutocommit          = 0x0002
	StatusMoreResults         = 0x0008
	StatusNoBackslashEscapes  = 0x0200
	StatusSessionStateChanged = 0x4000
)

// Column definition flags.
const (
	FlagNotNull  = 0x0001
	FlagUnsigned = 0x0020
	FlagBinary   = 0x0080
	FlagEnum     = 0x0100
	FlagSet      = 0x0800
)

// Client capability flags we look at.
const (
	CapMultiStatements = 1 << 16
)

// NotFixedDecimals is a column definition's decimals of a FLOAT, DOUBLE or
// DECIMAL result without a fixed number of them.
const NotFixedDecimals = 31

// Column types used by locally built result sets and parameter decoding.
const (
	TypeDecimal    = 0x00
	TypeTiny       = 0x01
	TypeShort      = 0x02
	TypeLong       = 0x03
	TypeFloat      = 0x04
	TypeDouble     = 0x05
	TypeNull       = 0x06
	TypeTimestamp  = 0x07
	TypeLongLong   = 0x08
	TypeInt24      = 0x09
	TypeDate       = 0x0a
	TypeTime       = 0x0b
	TypeDateTime   = 0x0c
	TypeYear       = 0x0d
	TypeVarChar    = 0x0f
	TypeBit        = 0x10
	TypeJSON       = 0xf5
	TypeNewDecimal = 0xf6
	TypeEnum       = 0xf7
	TypeSet        = 0xf8
	TypeTinyBlob   = 0xf9
	TypeMediumBlob = 0xfa
	TypeLongBlob   = 0xfb
	TypeBlob       = 0xfc
	TypeVarString  = 0xfd
	TypeString     = 0xfe
	TypeGeometry   = 0xff
)

func AppendLenEncInt(b []byte, n uint64) []byte {
	switch {
	case n < 251:
		return append(b, byte(n))
	case n < 1<<16:
		return append(b, 0xfc, byte(n), byte(n>>8))
	case n < 1<<24:
		return append(b, 0xfd, byte(n), byte(n>>8), byte(n>>16))
	default:
		return append(b, 0xfe, byte(n), byte(n>>8), byte(n>>16), byte(n>>24),
			byte(n>>32), byte(n>>40), byte(n>>48), byte(n>>56))
	}
}

func AppendLenEncString(b []byte, s string) []byte {
	return append(AppendLenEncInt(b, uint64(len(s))), s...)
}

// ReadLenEncInt decodes a length-encoded integer at b[0:]; null is true for
// the 0xfb NULL marker of text rows.
func ReadLenEncInt(b []byte) (n uint64, null bool, size int, ok bool) {
	if len(b) == 0 {
		return 0, false, 0, false
	}
	switch b[0] {
	case 0xfb:
		return 0, true, 1, true
	case 0xfc:
		if len(b) < 3 {
			return 0, false, 0, false
		}
		return uint64(binary.LittleEndian.Uint16(b[1:])), false, 3, true
	case 0xfd:
		if len(b) < 4 {
			return 0, false, 0, false
		}
		return uint64(b[1]) | uint64(b[2])<<8 | uint64(b[3])<<16, false, 4, true
	case 0xfe:
		if len(b) < 9 {
			return 0, false, 0, false
		}
		return binary.LittleEndian.Uint64(b[1:]), false, 9, true
	default:
		return uint64(b[0]), false, 1, true
	}
}

// ColumnDefStrings finds the six strings a column definition starts with
// (catalog, schema, table, org_table, name, org_name): the bytes of string i
// are def[spans[i][0]:spans[i][1]], after its length; the fixed-length fields
// follow the last one.
func ColumnDefStrings(def []byte) (spans [6][2]int, ok bool) {
	pos := 0
	for i := range spans {
		n, _, size, ok := ReadLenEncInt(def[pos:])
		if !ok || pos+size+int(n) > len(def) {
			return spans, false
		}
		spans[i] = [2]int{pos + size, pos + size + int(n)}
		pos = spans[i][1]
	}
	return spans, true
}

// OK is the decoded form of an OK packet.
type OK struct {
	AffectedRows uint64
	InsertID     uint64
	Status       uint16
	Warnings     uint16
	Info         string
	// SessionState are the session state changes of the statement
	// (CLIENT_SESSION_TRACK; see SchemaChange), sent with
	// StatusSessionStateChanged.
	SessionState []byte
}

// SumInfo is the info of one statement that ran as several, each with its
// OK packet's info: the numbers of "Rows matched: 3  Changed: 1  Warnings:
// 0" (or "Records: …  Duplicates: …") added up, "" unless every info has the
// same labels.
func SumInfo(infos []string) string {
	if len(infos) < 2 {
		return strings.Join(infos, "")
	}
	var labels []string
	var sums []uint64
	for k, info := range infos {
		fields := strings.Split(info, "  ")
		if k == 0 {
			labels, sums = make([]string, len(fields)), make([]uint64, len(fields))
		} else if len(fields) != len(labels) {
			return ""
		}
		for i, f := range fields {
			label, num, ok := strings.Cut(f, ": ")
			n, err := strconv.ParseUint(num, 10, 64)
			if !ok || err != nil || k > 0 && label != labels[i] {
				return ""
			}
			labels[i], sums[i] = label, sums[i]+n
		}
	}
	parts := make([]string, len(labels))
	for i, label := range labels {
		parts[i] = label + ": " + strconv.FormatUint(sums[i], 10)
	}
	return strings.Join(parts, "  ")
}

func ParseOK(p []byte) (OK, bool) {
	var ok OK
	if len(p) < 7 || (p[0] != 0x00 && p[0] != 0xfe) {
		return ok, false
	}
	pos := 1
	n, _, size, good := ReadLenEncInt(p[pos:])
	if !good {
		return ok, false
	}
	ok.AffectedRows, pos = n, pos+size
	n, _, size, good = ReadLenEncInt(p[pos:])
	if !good || len(p) < pos+size+4 {
		return ok, false
	}
	ok.InsertID, pos = n, pos+size
	ok.Status = binary.LittleEndian.Uint16(p[pos:])
	ok.Warnings = binary.LittleEndian.Uint16(p[pos+2:])
	if rest := p[pos+4:]; len(rest) > 0 {
		// MariaDB and MySQL send the info length-encoded (the protocol's
		// string<EOF> without CLIENT_SESSION_TRACK is read as that too),
		// session state changes after it.
		if n, _, size, good := ReadLenEncInt(rest); good && size+int(n) <= len(rest) {
			ok.Info = string(rest[size : size+int(n)])
		} else {
			ok.Info = string(rest)
		}
	}
	return ok, true
}

// OKStatusOffset returns where the status flags of an OK packet start.
func OKStatusOffset(p []byte) int {
	pos := 1
	for range 2 {
		_, _, size, good := ReadLenEncInt(p[pos:])
		if !good {
			return -1
		}
		pos += size
	}
	if pos+2 > len(p) {
		return -1
	}
	return pos
}

func AppendOK(b []byte, ok OK) []byte {
	b = append(b, 0x00)
	b = AppendLenEncInt(b, ok.AffectedRows)
	b = AppendLenEncInt(b, ok.InsertID)
	status := ok.Status
	if ok.SessionState != nil {
		status |= StatusSessionStateChanged
	}
	b = binary.LittleEndian.AppendUint16(b, status)
	b = binary.LittleEndian.AppendUint16(b, ok.Warnings)
	switch {
	case ok.SessionState != nil:
		b = AppendLenEncString(b, ok.Info)
		return AppendLenEncString(b, string(ok.SessionState))
	case ok.Info != "":
		return AppendLenEncString(b, ok.Info) // as the servers send it (see ParseOK)
	}
	return b
}

// SchemaChange is the session state change of a new default schema
// (SESSION_TRACK_SCHEMA), for a client that tracks its session
// (CLIENT_SESSION_TRACK): MariaDB Connector/J learns of a USE so.
func SchemaChange(name string) []byte {
	data := AppendLenEncString(nil, name)
	b := AppendLenEncInt([]byte{0x01}, uint64(len(data)))
	return append(b, data...)
}

func AppendEOF(b []byte, warnings, status uint16) []byte {
	b = append(b, 0xfe)
	b = binary.LittleEndian.AppendUint16(b, warnings)
	return binary.LittleEndian.AppendUint16(b, status)
}

func IsEOF(p []byte) bool { return len(p) > 0 && len(p) < 9 && p[0] == 0xfe }

func ParseErr(p []byte) *sqlerr.Error {
	e := &sqlerr.Error{Num: 1105, State: "HY000"}
	if len(p) < 3 {
		e.Message = "malformed error packet"
		return e
	}
	e.Num = binary.LittleEndian.Uint16(p[1:])
	rest := p[3:]
	if len(rest) >= 6 && rest[0] == '#' {
		e.State = string(rest[1:6])
		rest = rest[6:]
	}
	e.Message = string(rest)
	return e
}

func AppendErr(b []byte, e *sqlerr.Error) []byte {
	b = append(b, 0xff)
	b = binary.LittleEndian.AppendUint16(b, e.Num)
	state := e.State
	if len(state) != 5 {
		state = "HY000"
	}
	b = append(b, '#')
	b = append(b, state...)
	return append(b, e.Message...)
}

// AppendColumnDef encodes a column definition (Protocol::ColumnDefinition41)
// for result sets the sidecar builds itself.
func AppendColumnDef(b []byte, name string, typ byte, charset uint16, length uint32, flags uint16) []byte {
	b = AppendLenEncString(b, "def")
	b = AppendLenEncString(b, "") // schema
	b = AppendLenEncString(b, "") // table
	b = AppendLenEncString(b, "") // org_table
	b = AppendLenEncString(b, name)
	b = AppendLenEncString(b, "") // org_name
	b = append(b, 0x0c)
	b = binary.LittleEndian.AppendUint16(b, charset)
	b = binary.LittleEndian.AppendUint32(b, length)
	b = append(b, typ)
	b = binary.LittleEndian.AppendUint16(b, flags)
	return append(b, 0, 0, 0) // decimals, filler
}
