package sidecar

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"

	"sidecar/mysql"
	"sidecar/planner"
	"sidecar/vindex"
)

// values decodes the arguments of an execute into the values vindexes read,
// for routing prepared statements on sharded keyspaces.
func (a *stmtArgs) values() (planner.Args, error) {
	n := len(a.types) / 2
	if n == 0 {
		return nil, nil
	}
	enc := a.encoded
	nulls := enc[:(n+7)/8]
	pos := len(nulls) + 1 + 2*n
	out := make(planner.Args, n)
	for i := 0; i < n; i++ {
		if nulls[i/8]&(1<<(i%8)) != 0 {
			out[i] = vindex.Value{Kind: vindex.Null}
			continue
		}
		typ, unsigned := a.types[2*i], a.types[2*i+1]&0x80 != 0
		size, err := paramSize(typ, enc[pos:])
		if err != nil {
			return nil, err
		}
		v, err := decodeParam(typ, unsigned, enc[pos:pos+size])
		if err != nil {
			return nil, err
		}
		out[i] = v
		pos += size
	}
	return out, nil
}

// setString makes parameter i, a string, s.
func (a *stmtArgs) setString(i int, s string) error {
	n := len(a.types) / 2
	enc := a.encoded
	nulls := enc[:(n+7)/8]
	pos := len(nulls) + 1 + 2*n
	for k := 0; k < n; k++ {
		if nulls[k/8]&(1<<(k%8)) != 0 {
			continue
		}
		size, err := paramSize(a.types[2*k], enc[pos:])
		if err != nil {
			return err
		}
		if k == i {
			out := append(mysql.AppendLenEncString(append([]byte(nil), enc[:pos]...), s), enc[pos+size:]...)
			a.encoded = out
			return nil
		}
		pos += size
	}
	return nil
}

func decodeParam(typ byte, unsigned bool, b []byte) (vindex.Value, error) {
	integer := func(u uint64, signed int64) vindex.Value {
		if unsigned {
			return vindex.NewUint64(u)
		}
		return vindex.NewInt64(signed)
	}
	switch typ {
	case mysql.TypeNull:
		return vindex.Value{Kind: vindex.Null}, nil
	case mysql.TypeTiny:
		return integer(uint64(b[0]), int64(int8(b[0]))), nil
	case mysql.TypeShort, mysql.TypeYear:
		u := binary.LittleEndian.Uint16(b)
		return integer(uint64(u), int64(int16(u))), nil
	case mysql.TypeLong, mysql.TypeInt24:
		u := binary.LittleEndian.Uint32(b)
		return integer(uint64(u), int64(int32(u))), nil
	case mysql.TypeLongLong:
		u := binary.LittleEndian.Uint64(b)
		return integer(u, int64(u)), nil
	case mysql.TypeFloat:
		f := math.Float32frombits(binary.LittleEndian.Uint32(b))
		return vindex.Value{Kind: vindex.Float64, Raw: appendFloat(nil, float64(f), 32)}, nil
	case mysql.TypeDouble:
		f := math.Float64frombits(binary.LittleEndian.Uint64(b))
		return vindex.Value{Kind: vindex.Float64, Raw: appendFloat(nil, f, 64)}, nil
	case mysql.TypeDate, mysql.TypeDateTime, mysql.TypeTimestamp:
		return vindex.Value{Kind: vindex.VarChar, Raw: []byte(formatDateTime(b[1:]))}, nil
	case mysql.TypeTime:
		return vindex.Value{Kind: vindex.VarChar, Raw: []byte(formatTime(b[1:]))}, nil
	}
	n, _, k, _ := mysql.ReadLenEncInt(b)
	data := b[k : k+int(n)]
	switch typ {
	case mysql.TypeDecimal, mysql.TypeNewDecimal:
		return vindex.Value{Kind: vindex.Decimal, Raw: data}, nil
	case mysql.TypeTinyBlob, mysql.TypeMediumBlob, mysql.TypeLongBlob, mysql.TypeBlob, mysql.TypeGeometry, mysql.TypeBit:
		return vindex.Value{Kind: vindex.VarBinary, Raw: data}, nil
	}
	return vindex.Value{Kind: vindex.VarChar, Raw: data}, nil
}

// appendFloat writes a FLOAT or DOUBLE argument in the fewest digits that
// read back as it, an integral one below 10^15 as its digits alone: drivers
// send numbers as DOUBLE (Node's mysql2), and a vindex reads 1234567 where
// it cannot read 1.234567e+06.
func appendFloat(b []byte, f float64, bits int) []byte {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.AppendFloat(b, f, 'f', -1, bits)
	}
	return strconv.AppendFloat(b, f, 'g', -1, bits)
}

// formatDateTime prints a binary DATE/DATETIME/TIMESTAMP value as MySQL text.
func formatDateTime(b []byte) string {
	var y, mo, d, h, mi, s int
	var us uint32
	if len(b) >= 4 {
		y, mo, d = int(binary.LittleEndian.Uint16(b)), int(b[2]), int(b[3])
	}
	if len(b) >= 7 {
		h, mi, s = int(b[4]), int(b[5]), int(b[6])
	}
	if len(b) >= 11 {
		us = binary.LittleEndian.Uint32(b[7:])
	}
	out := fmt.Sprintf("%04d-%02d-%02d", y, mo, d)
	if len(b) > 4 {
		out += fmt.Sprintf(" %02d:%02d:%02d", h, mi, s)
	}
	if us != 0 {
		out += fmt.Sprintf(".%06d", us)
	}
	return out
}

// formatTime prints a binary TIME value as MySQL text.
func formatTime(b []byte) string {
	if len(b) < 8 {
		return "00:00:00"
	}
	sign := ""
	if b[0] == 1 {
		sign = "-"
	}
	days := binary.LittleEndian.Uint32(b[1:])
	h := int(days)*24 + int(b[5])
	out := fmt.Sprintf("%s%02d:%02d:%02d", sign, h, b[6], b[7])
	if len(b) >= 12 {
		if us := binary.LittleEndian.Uint32(b[8:]); us != 0 {
			out += fmt.Sprintf(".%06d", us)
		}
	}
	return out
}
