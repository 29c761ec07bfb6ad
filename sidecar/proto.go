package sidecar

import (
	"encoding/binary"

	"sidecar/sqlerr"
)

// Command bytes of the MySQL protocol.
const (
	comQuit             = 0x01
	comInitDB           = 0x02
	comQuery            = 0x03
	comFieldList        = 0x04
	comStatistics       = 0x09
	comProcessKill      = 0x0c
	comPing             = 0x0e
	comChangeUser       = 0x11
	comStmtPrepare      = 0x16
	comStmtExecute      = 0x17
	comStmtSendLongData = 0x18
	comStmtClose        = 0x19
	comStmtReset        = 0x1a
	comSetOption        = 0x1b
	comStmtFetch        = 0x1c
	comResetConnection  = 0x1f
)

// Server status flags.
const (
	statusInTrans            = 0x0001
	statusAutocommit         = 0x0002
	statusMoreResults        = 0x0008
	statusNoBackslashEscapes = 0x0200
)

// Client capability flags we look at.
const (
	capMultiStatements = 1 << 16
)

// Column types used by locally built result sets and parameter decoding.
const (
	typeDecimal    = 0x00
	typeTiny       = 0x01
	typeShort      = 0x02
	typeLong       = 0x03
	typeFloat      = 0x04
	typeDouble     = 0x05
	typeNull       = 0x06
	typeTimestamp  = 0x07
	typeLongLong   = 0x08
	typeInt24      = 0x09
	typeDate       = 0x0a
	typeTime       = 0x0b
	typeDateTime   = 0x0c
	typeYear       = 0x0d
	typeVarChar    = 0x0f
	typeBit        = 0x10
	typeJSON       = 0xf5
	typeNewDecimal = 0xf6
	typeEnum       = 0xf7
	typeSet        = 0xf8
	typeTinyBlob   = 0xf9
	typeMediumBlob = 0xfa
	typeLongBlob   = 0xfb
	typeBlob       = 0xfc
	typeVarString  = 0xfd
	typeString     = 0xfe
	typeGeometry   = 0xff
)

func appendLenEncInt(b []byte, n uint64) []byte {
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

func appendLenEncString(b []byte, s string) []byte {
	return append(appendLenEncInt(b, uint64(len(s))), s...)
}

// readLenEncInt decodes a length-encoded integer at b[0:]; null is true for
// the 0xfb NULL marker of text rows.
func readLenEncInt(b []byte) (n uint64, null bool, size int, ok bool) {
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

// columnDefStrings finds the six strings a column definition starts with
// (catalog, schema, table, org_table, name, org_name): the bytes of string i
// are def[spans[i][0]:spans[i][1]], after its length; the fixed-length fields
// follow the last one.
func columnDefStrings(def []byte) (spans [6][2]int, ok bool) {
	pos := 0
	for i := range spans {
		n, _, size, ok := readLenEncInt(def[pos:])
		if !ok || pos+size+int(n) > len(def) {
			return spans, false
		}
		spans[i] = [2]int{pos + size, pos + size + int(n)}
		pos = spans[i][1]
	}
	return spans, true
}

// okPacket is the decoded form of an OK packet.
type okPacket struct {
	affectedRows uint64
	insertID     uint64
	status       uint16
	warnings     uint16
	info         string
}

func parseOK(p []byte) (okPacket, bool) {
	var ok okPacket
	if len(p) < 7 || (p[0] != 0x00 && p[0] != 0xfe) {
		return ok, false
	}
	pos := 1
	n, _, size, good := readLenEncInt(p[pos:])
	if !good {
		return ok, false
	}
	ok.affectedRows, pos = n, pos+size
	n, _, size, good = readLenEncInt(p[pos:])
	if !good || len(p) < pos+size+4 {
		return ok, false
	}
	ok.insertID, pos = n, pos+size
	ok.status = binary.LittleEndian.Uint16(p[pos:])
	ok.warnings = binary.LittleEndian.Uint16(p[pos+2:])
	if pos+4 < len(p) {
		ok.info = string(p[pos+4:])
	}
	return ok, true
}

// okStatusOffset returns where the status flags of an OK packet start.
func okStatusOffset(p []byte) int {
	pos := 1
	for range 2 {
		_, _, size, good := readLenEncInt(p[pos:])
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

func appendOK(b []byte, ok okPacket) []byte {
	b = append(b, 0x00)
	b = appendLenEncInt(b, ok.affectedRows)
	b = appendLenEncInt(b, ok.insertID)
	b = binary.LittleEndian.AppendUint16(b, ok.status)
	b = binary.LittleEndian.AppendUint16(b, ok.warnings)
	return append(b, ok.info...)
}

func appendEOF(b []byte, warnings, status uint16) []byte {
	b = append(b, 0xfe)
	b = binary.LittleEndian.AppendUint16(b, warnings)
	return binary.LittleEndian.AppendUint16(b, status)
}

func isEOF(p []byte) bool { return len(p) > 0 && len(p) < 9 && p[0] == 0xfe }

func parseErr(p []byte) *sqlerr.Error {
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

func appendErr(b []byte, e *sqlerr.Error) []byte {
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

// appendColumnDef encodes a column definition (Protocol::ColumnDefinition41)
// for result sets the sidecar builds itself.
func appendColumnDef(b []byte, name string, typ byte, charset uint16, length uint32, flags uint16) []byte {
	b = appendLenEncString(b, "def")
	b = appendLenEncString(b, "") // schema
	b = appendLenEncString(b, "") // table
	b = appendLenEncString(b, "") // org_table
	b = appendLenEncString(b, name)
	b = appendLenEncString(b, "") // org_name
	b = append(b, 0x0c)
	b = binary.LittleEndian.AppendUint16(b, charset)
	b = binary.LittleEndian.AppendUint32(b, length)
	b = append(b, typ)
	b = binary.LittleEndian.AppendUint16(b, flags)
	return append(b, 0, 0, 0) // decimals, filler
}
