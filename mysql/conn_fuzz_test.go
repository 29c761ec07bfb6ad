package mysql

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
)

// bufConn frames packets over bytes (r or w may be nil), buffered as a
// session's connection is.
func bufConn(r io.Reader, w io.Writer) *Conn {
	c := &Conn{}
	if r != nil {
		c.r = bufio.NewReaderSize(r, 16<<10)
	}
	if w != nil {
		c.w = bufio.NewWriterSize(w, 16<<10)
	}
	return c
}

// header is a packet header declaring n bytes with sequence number seq.
func header(n int, seq uint8) []byte {
	return []byte{byte(n), byte(n >> 8), byte(n >> 16), seq}
}

// Error classes of ReadPacket, as the session tells them apart.
const (
	readOK       = "ok"
	readIO       = "io"       // the connection ended (EOF inside a header or payload)
	readOrder    = "order"    // a sequence number out of order
	readTooLarge = "tooLarge" // ErrPacketTooLarge
)

func readClass(err error) string {
	switch {
	case err == nil:
		return readOK
	case err == ErrPacketTooLarge:
		return readTooLarge
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return readIO
	case strings.HasPrefix(err.Error(), "packet out of order"):
		return readOrder
	}
	return "unexpected error " + err.Error()
}

// readModel is ReadPacket's contract written plainly: the payload of the
// command at data[0:] read with sequence number seq and bound max (0: none),
// how many bytes it takes, and its error class.
func readModel(data []byte, seq uint8, max int) (payload []byte, used int, class string) {
	tooLarge := false
	for {
		if len(data)-used < 4 {
			return nil, len(data), readIO
		}
		n := int(data[used]) | int(data[used+1])<<8 | int(data[used+2])<<16
		if data[used+3] != seq {
			return nil, used + 4, readOrder
		}
		seq++
		used += 4
		if max > 0 && len(payload)+n > max {
			tooLarge = true
		}
		if len(data)-used < n {
			return nil, len(data), readIO
		}
		if !tooLarge {
			payload = append(payload, data[used:used+n]...)
		}
		used += n
		if n < MaxPayload {
			if tooLarge {
				return nil, used, readTooLarge
			}
			return payload, used, readOK
		}
	}
}

// readSlack is what reading may allocate beyond twice the bytes offered:
// one growth step of the payload buffer (see ReadPacket).
const readSlack = 64 << 10

// FuzzReadPacket: ReadPacket on arbitrary client bytes, command after
// command as session.run reads them, with and without a max_allowed_packet
// bound. It never panics; payloads, errors and the bytes each command takes
// are those of readModel; memory follows the bytes that arrived, not the
// lengths headers declare (a header claiming 16 MiB with nothing behind it
// costs nothing); a payload written by WritePacketParts reads back the same.
func FuzzReadPacket(f *testing.F) {
	cmd := func(p ...[]byte) []byte { return bytes.Join(p, nil) }
	f.Add([]byte{}, uint16(0), uint8(0), uint16(0))
	f.Add(header(0, 0), uint16(0), uint8(0), uint16(0))
	f.Add(cmd(header(1, 0), []byte{ComQuit}), uint16(0), uint8(0), uint16(0))
	f.Add(cmd(header(9, 0), []byte("\x03SELECT 1")), uint16(0), uint8(0), uint16(3))
	f.Add(cmd(header(9, 0), []byte("\x03SELECT 1"), header(1, 0), []byte{ComPing}), uint16(4), uint8(0), uint16(0))
	f.Add(cmd(header(9, 0), []byte("\x03SELECT 1"), header(1, 0), []byte{ComPing}), uint16(9), uint8(1), uint16(0x0102))
	f.Add(cmd(header(5, 1), []byte("\x03abcd")), uint16(0), uint8(1), uint16(0))
	f.Add(cmd(header(20, 0), []byte("\x03short")), uint16(0), uint8(0), uint16(0))
	f.Add([]byte{9, 0}, uint16(0), uint8(0), uint16(0))
	// Headers at the 16 MiB boundary with (almost) nothing behind them.
	f.Add(header(MaxPayload-1, 0), uint16(0), uint8(0), uint16(0))
	f.Add(cmd(header(MaxPayload-1, 0), []byte("\x03SELECT")), uint16(0), uint8(0), uint16(0))
	f.Add(header(MaxPayload, 0), uint16(0), uint8(0), uint16(0))
	f.Add(cmd(header(MaxPayload, 0), []byte("\x03SELECT")), uint16(0), uint8(0), uint16(0))
	f.Add(cmd(header(MaxPayload, 0), []byte("\x03SELECT")), uint16(100), uint8(0), uint16(0))
	f.Add(cmd(header(MaxPayload, 0), header(0, 1)), uint16(1), uint8(0), uint16(0))
	f.Add(cmd(header(1<<20, 0), []byte("\x03SELECT")), uint16(0), uint8(0), uint16(0))
	f.Fuzz(func(t *testing.T, data []byte, maxLen uint16, seq uint8, split uint16) {
		max := int(maxLen)

		// Arbitrary bytes, command after command until the connection fails.
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		w := bufConn(bytes.NewReader(data), nil)
		w.Max = max
		rest := data
		for {
			w.Seq = 0
			got, err := w.ReadPacket()
			if c := cap(w.buf); c > 2*len(data)+readSlack {
				t.Fatalf("buffer of %d bytes after reading %d bytes", c, len(data))
			}
			if c := cap(got); c > 2*len(data)+readSlack {
				t.Fatalf("payload buffer of %d bytes after reading %d bytes", c, len(data))
			}
			want, used, class := readModel(rest, 0, max)
			if got := readClass(err); got != class {
				t.Fatalf("read at %d: %v (%s), want %s", len(data)-len(rest), err, got, class)
			}
			if err != nil {
				if got != nil {
					t.Fatalf("payload of %d bytes with error %v", len(got), err)
				}
				break
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("read at %d: payload\n%q\nwant\n%q", len(data)-len(rest), got, want)
			}
			if max > 0 && len(got) > max {
				t.Fatalf("payload of %d bytes past max %d", len(got), max)
			}
			rest = rest[used:]
		}
		// All allocations, the wire's buffers included; the slack leaves
		// room for whatever else the process does meanwhile.
		runtime.ReadMemStats(&after)
		if n := after.TotalAlloc - before.TotalAlloc; n > uint64(4*len(data)+1<<20) {
			t.Fatalf("reading %d bytes allocated %d", len(data), n)
		}

		// Round trip: a payload written in three parts reads back whole.
		i := min(int(split&0xff), len(data))
		j := min(i+int(split>>8), len(data))
		var out bytes.Buffer
		ww := bufConn(nil, &out)
		ww.Seq = seq
		if err := ww.WritePacketParts(data[:i], data[i:j], data[j:]); err != nil {
			t.Fatal(err)
		}
		if err := ww.Flush(); err != nil {
			t.Fatal(err)
		}
		if out.Len() != len(data)+4 || ww.Seq != seq+1 {
			t.Fatalf("%d bytes written as %d, sequence %d after %d", len(data), out.Len(), ww.Seq, seq)
		}
		r := bufConn(&out, nil)
		r.Seq, r.Max = seq, max
		got, err := r.ReadPacket()
		switch {
		case max > 0 && len(data) > max:
			if err != ErrPacketTooLarge {
				t.Fatalf("%d bytes, max %d: %v, want ErrPacketTooLarge", len(data), max, err)
			}
		case err != nil:
			t.Fatalf("round trip of %d bytes: %v", len(data), err)
		case !bytes.Equal(got, data) || r.Seq != seq+1:
			t.Fatalf("round trip: got %q seq %d, want %q seq %d", got, r.Seq, data, seq+1)
		}
		if _, err := r.ReadPacket(); err != io.EOF {
			t.Fatalf("after the packet: %v, want EOF", err)
		}
	})
}
