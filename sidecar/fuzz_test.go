package sidecar

import (
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"

	"sidecar/mysql"
	"sidecar/planner"
	"sidecar/sqlerr"
	"sidecar/vindex"
)

// fuzzConn is a net.Conn reading from r and writing to w (discarded when
// nil): a wire over bytes, without goroutines.
type fuzzConn struct {
	r io.Reader
	w io.Writer
}

func (c *fuzzConn) Read(p []byte) (int, error) {
	if c.r == nil {
		return 0, io.EOF
	}
	return c.r.Read(p)
}

func (c *fuzzConn) Write(p []byte) (int, error) {
	if c.w == nil {
		return len(p), nil
	}
	return c.w.Write(p)
}

func (c *fuzzConn) Close() error                     { return nil }
func (c *fuzzConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (c *fuzzConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (c *fuzzConn) SetDeadline(time.Time) error      { return nil }
func (c *fuzzConn) SetReadDeadline(time.Time) error  { return nil }
func (c *fuzzConn) SetWriteDeadline(time.Time) error { return nil }

// executePacket is a COM_STMT_EXECUTE of statement id: flags, iteration
// count 1 and the parameter block.
func executePacket(id uint32, block ...byte) []byte {
	p := []byte{mysql.ComStmtExecute, 0, 0, 0, 0, 0, 1, 0, 0, 0}
	binary.LittleEndian.PutUint32(p[1:], id)
	return append(p, block...)
}

// errWrongArguments is the server's refusal of a parameter block it cannot
// use (types missing, long data for a type that takes none).
const errWrongArguments = 1210

// bindModel decodes a COM_STMT_EXECUTE parameter block (after flags and
// iteration count) as the server does, with lengths compared as uint64: the
// types and each parameter's value (nil: NULL), or the error. Long data
// stands for its parameter's value whatever the NULL bitmap says, and only
// string and blob types take it (MySQL's and MariaDB's insert_params).
func bindModel(n int, remembered []byte, longData map[int][]byte, b []byte) (nulls, types []byte, vals [][]byte, err error) {
	if n == 0 {
		return nil, nil, nil, nil
	}
	nullLen := (n + 7) / 8
	if len(b) < nullLen+1 {
		return nil, nil, nil, sqlerr.New(errWrongArguments, "HY000", "no parameters")
	}
	nulls = bytes.Clone(b[:nullLen])
	rest := b[nullLen+1:]
	if b[nullLen] == 1 {
		if len(rest) < 2*n {
			return nil, nil, nil, sqlerr.New(errWrongArguments, "HY000", "types cut short")
		}
		types, rest = rest[:2*n], rest[2*n:]
	} else if len(remembered) != 2*n {
		// Without types only NULLs, none of them long data: NULLs of no type.
		for i := range n {
			if _, long := longData[i]; long || nulls[i/8]&(1<<(i%8)) == 0 {
				return nil, nil, nil, sqlerr.New(errWrongArguments, "HY000", "no types")
			}
		}
		types = make([]byte, 2*n)
		for i := range n {
			types[2*i] = mysql.TypeNull
		}
	} else {
		types = remembered
	}
	vals = make([][]byte, n)
	for i := range n {
		typ := types[2*i]
		if data, ok := longData[i]; ok {
			if typ < mysql.TypeTinyBlob {
				return nil, nil, nil, sqlerr.New(errWrongArguments, "HY000", "long data for type %#x", typ)
			}
			nulls[i/8] &^= 1 << (i % 8)
			vals[i] = mysql.AppendLenEncInt(nil, uint64(len(data)))
			vals[i] = append(vals[i], data...)
			continue
		}
		if nulls[i/8]&(1<<(i%8)) != 0 {
			continue
		}
		var size uint64
		switch typ {
		case mysql.TypeNull:
		case mysql.TypeTiny:
			size = 1
		case mysql.TypeShort, mysql.TypeYear:
			size = 2
		case mysql.TypeLong, mysql.TypeInt24, mysql.TypeFloat:
			size = 4
		case mysql.TypeLongLong, mysql.TypeDouble:
			size = 8
		case mysql.TypeDate, mysql.TypeDateTime, mysql.TypeTimestamp, mysql.TypeTime:
			if len(rest) == 0 || rest[0] >= 0xfb {
				return nil, nil, nil, mysql.ErrMalformed // a length byte, 0 to 12
			}
			size = 1 + uint64(rest[0])
		default:
			var k int
			switch {
			case len(rest) == 0:
				return nil, nil, nil, mysql.ErrMalformed
			case rest[0] < 0xfb:
				size, k = uint64(rest[0]), 1
			case rest[0] == 0xfb || rest[0] == 0xff:
				// No length starts so (the text protocol's NULL, an
				// error packet's marker); the server reads an 8-byte
				// length after them, the sidecar refuses them.
				return nil, nil, nil, mysql.ErrMalformed
			case rest[0] == 0xfc:
				k = 3
			case rest[0] == 0xfd:
				k = 4
			case rest[0] == 0xfe:
				k = 9
			}
			if k > 1 {
				if len(rest) < k {
					return nil, nil, nil, mysql.ErrMalformed
				}
				var le [8]byte
				copy(le[:], rest[1:k])
				size = binary.LittleEndian.Uint64(le[:])
			}
			if size > uint64(len(rest)-k) {
				return nil, nil, nil, mysql.ErrMalformed
			}
			size += uint64(k)
		}
		if size > uint64(len(rest)) {
			return nil, nil, nil, mysql.ErrMalformed
		}
		vals[i], rest = rest[:size], rest[size:]
	}
	return nulls, types, vals, nil
}

func sameError(a, b error) bool {
	if a == nil || b == nil {
		return a == b
	}
	return sqlerr.From(a).Num == sqlerr.From(b).Num
}

// FuzzBindArgs: a prepared statement of 0..255 parameters with arbitrary
// remembered types, optionally a COM_STMT_SEND_LONG_DATA, then an arbitrary
// COM_STMT_EXECUTE. bindArgs never panics and agrees with bindModel: the
// same error, or the block re-encoded as nulls, new-params-bound = 1, types
// and values, long data inlined. A block it accepts decodes (stmtArgs.values)
// and re-binds to itself. executeStmt checks the 10-byte header, then
// answers as bindArgs did (the statement is answered locally: no backend).
func FuzzBindArgs(f *testing.F) {
	noLong := uint16(0xffff)
	f.Add(uint8(0), []byte{}, noLong, []byte{}, executePacket(1))
	f.Add(uint8(0), []byte{}, noLong, []byte{}, []byte{mysql.ComStmtExecute, 1, 0, 0})
	f.Add(uint8(1), []byte{}, noLong, []byte{}, executePacket(2, 0))
	f.Add(uint8(1), []byte{}, noLong, []byte{}, executePacket(1, 0, 1, mysql.TypeLongLong, 0, 1, 2, 3, 4, 5, 6, 7, 8))
	f.Add(uint8(1), []byte{}, noLong, []byte{}, executePacket(1, 0, 1, mysql.TypeLong, 0x80, 1, 2, 3, 4))
	f.Add(uint8(1), []byte{mysql.TypeVarString, 0}, noLong, []byte{}, executePacket(1, 0, 0, 3, 'a', 'b', 'c'))
	f.Add(uint8(1), []byte{mysql.TypeLong, 0}, noLong, []byte{}, executePacket(1, 0, 0, 3, 'a', 'b', 'c'))
	f.Add(uint8(1), []byte{mysql.TypeLong}, noLong, []byte{}, executePacket(1, 0, 0, 1, 2, 3, 4))
	f.Add(uint8(2), []byte{}, noLong, []byte{}, executePacket(1, 1, 1, mysql.TypeLong, 0, mysql.TypeVarString, 0, 1, 'x'))
	f.Add(uint8(2), []byte{}, noLong, []byte{}, executePacket(1, 3, 1, mysql.TypeLong, 0, mysql.TypeVarString, 0))
	f.Add(uint8(3), []byte{}, noLong, []byte{}, executePacket(1, 0, 1, mysql.TypeDate, 0, mysql.TypeDateTime, 0, mysql.TypeTime, 0,
		4, 0xe8, 0x07, 1, 2, 7, 0xe8, 0x07, 1, 2, 3, 4, 5, 8, 0, 1, 0, 0, 0, 2, 3, 4))
	f.Add(uint8(2), []byte{}, noLong, []byte{}, executePacket(1, 0, 1, mysql.TypeDouble, 0, mysql.TypeFloat, 0, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0, 0, 0x80, 0x3f))
	f.Add(uint8(4), []byte{}, noLong, []byte{}, executePacket(1, 0, 1, mysql.TypeTiny, 0, mysql.TypeShort, 0, mysql.TypeNull, 0, mysql.TypeNewDecimal, 0, 1, 2, 0, 4, '1', '.', '2', '5'))
	// Length-encoded lengths: 2-, 3- and 8-byte forms, and beyond the packet.
	f.Add(uint8(1), []byte{}, noLong, []byte{}, executePacket(1, 0, 1, mysql.TypeBlob, 0, 0xfc, 2, 0, 'h', 'i'))
	f.Add(uint8(1), []byte{}, noLong, []byte{}, executePacket(1, 0, 1, mysql.TypeBlob, 0, 0xfd, 1, 0, 0, 'x'))
	f.Add(uint8(1), []byte{}, noLong, []byte{}, executePacket(1, 0, 1, mysql.TypeBlob, 0, 0xfe, 1, 0, 0, 0, 0, 0, 0, 0, 'x'))
	f.Add(uint8(1), []byte{}, noLong, []byte{}, executePacket(1, 0, 1, mysql.TypeBlob, 0, 0xfe, 0, 0, 0, 0, 0, 0, 0, 0x80, 'x'))
	f.Add(uint8(1), []byte{}, noLong, []byte{}, executePacket(1, 0, 1, mysql.TypeVarChar, 0, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff))
	f.Add(uint8(1), []byte{}, noLong, []byte{}, executePacket(1, 0, 1, mysql.TypeVarChar, 0, 0xfe, 0xf8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 'x'))
	f.Add(uint8(1), []byte{}, noLong, []byte{}, executePacket(1, 0, 1, mysql.TypeString, 0, 0xfd, 0xff, 0xff, 0xff, 'x'))
	f.Add(uint8(1), []byte{}, noLong, []byte{}, executePacket(1, 0, 1, mysql.TypeString, 0, 0xfb))
	f.Add(uint8(1), []byte{}, noLong, []byte{}, executePacket(1, 0, 1, mysql.TypeDateTime, 0, 11, 1, 2))
	// Long data, with and without the NULL bit, for string and other types.
	f.Add(uint8(2), []byte{}, uint16(1), []byte("long data"), executePacket(1, 0, 1, mysql.TypeLong, 0, mysql.TypeBlob, 0, 1, 0, 0, 0))
	f.Add(uint8(2), []byte{}, uint16(1), []byte("long data"), executePacket(1, 2, 1, mysql.TypeLong, 0, mysql.TypeBlob, 0, 1, 0, 0, 0))
	f.Add(uint8(1), []byte{}, uint16(0), []byte("long data"), executePacket(1, 0, 1, mysql.TypeLong, 0))
	f.Add(uint8(1), []byte{}, uint16(0), bytes.Repeat([]byte("x"), 70), executePacket(1, 0, 1, mysql.TypeBlob, 0))
	f.Add(uint8(1), []byte{}, uint16(7), []byte("other parameter"), executePacket(1, 0, 1, mysql.TypeBlob, 0, 1, 'x'))
	f.Add(uint8(9), []byte{}, noLong, []byte{}, executePacket(1, 0xff, 1, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0))
	f.Fuzz(func(t *testing.T, n uint8, remembered []byte, longParam uint16, long []byte, pkt []byte) {
		const id = 1
		newStmt := func() *preparedStmt {
			st := &preparedStmt{id: id, numParams: int(n), plan: &planner.Plan{Local: planner.LastInsertID}}
			if len(remembered) > 0 {
				st.paramTypes = bytes.Clone(remembered) // bindArgs reuses the slice
			}
			return st
		}
		st := newStmt()
		// The server's planner is the statement's (none): it is not planned again.
		srv := &Server{}
		srv.state.Store(&state{})
		s := &session{srv: srv, w: mysql.NewConn(&fuzzConn{}, 4<<10), stmts: map[uint32]*preparedStmt{id: st}}
		s.w.Max = 64 // long data past it is refused at execute
		if longParam != 0xffff {
			p := []byte{mysql.ComStmtSendLongData, id, 0, 0, 0, byte(longParam), byte(longParam >> 8)}
			s.sendLongData(append(p, long...))
		}

		// bindArgs on a copy of the statement, against the model.
		var bindErr error
		tooLong := st.longDataTooLong
		if len(pkt) >= 10 && le32(pkt[1:]) == id && !tooLong {
			cp := newStmt()
			cp.longData = st.longData
			block := pkt[10:]
			args, err := cp.bindArgs(block)
			bindErr = err
			nulls, types, vals, wantErr := bindModel(int(n), remembered, st.longData, block)
			if !sameError(err, wantErr) {
				t.Fatalf("bindArgs: %v, want %v", err, wantErr)
			}
			if err != nil {
				if args != nil {
					t.Fatal("arguments with an error")
				}
			} else {
				checkArgs(t, int(n), args, nulls, types, vals)
			}
		}

		// executeStmt: the header first, then the parameters as above.
		err := s.executeStmt(pkt)
		var want error
		switch {
		case len(pkt) < 10:
			want = mysql.ErrMalformed
		case le32(pkt[1:]) != id:
			want = sqlerr.New(1243, "HY000", "unknown statement")
		case tooLong:
			want = errLongDataTooLong
		default:
			want = bindErr
		}
		if !sameError(err, want) {
			t.Fatalf("executeStmt(% x): %v, want %v", pkt[:min(len(pkt), 10)], err, want)
		}
		if err == nil && (st.longData != nil || st.args == nil) {
			t.Fatal("execute kept its long data or lost its arguments")
		}
	})
}

// checkArgs compares accepted arguments with bindModel's reading, decodes
// them as routing does, and binds the encoded block again: it is its own
// encoding.
func checkArgs(t *testing.T, n int, args *stmtArgs, nulls, types []byte, vals [][]byte) {
	t.Helper()
	if n == 0 {
		if len(args.types) != 0 || len(args.encoded) != 0 {
			t.Fatalf("no parameters, got types % x and block % x", args.types, args.encoded)
		}
		return
	}
	want := append(bytes.Clone(nulls), 1)
	want = append(want, types...)
	for _, v := range vals {
		want = append(want, v...)
	}
	if !bytes.Equal(args.encoded, want) || !bytes.Equal(args.types, types) {
		t.Fatalf("encoded\n% x types % x\nwant\n% x types % x", args.encoded, args.types, want, types)
	}
	decoded, err := args.values()
	if err != nil || len(decoded) != n {
		t.Fatalf("values of an accepted block: %d, %v", len(decoded), err)
	}
	for i, v := range decoded {
		if vals[i] == nil && v.Kind != vindex.Null {
			t.Fatalf("parameter %d: NULL decoded as %v", i, v)
		}
	}
	again := &preparedStmt{numParams: n}
	re, err := again.bindArgs(args.encoded)
	if err != nil || !bytes.Equal(re.encoded, args.encoded) {
		t.Fatalf("re-binding the encoded block: %v\n% x\nwant\n% x", err, re.encoded, args.encoded)
	}
}
