package mysql

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"io"
	"strings"
	"testing"
)

// frame is a frame of the compressed protocol as a client sends one: deflated when inflated > 0.
func frame(seq byte, b []byte, deflate bool) []byte {
	payload, inflated := b, 0
	if deflate {
		var z bytes.Buffer
		w := zlib.NewWriter(&z)
		w.Write(b)
		w.Close()
		payload, inflated = z.Bytes(), len(b)
	}
	h := []byte{byte(len(payload)), byte(len(payload) >> 8), byte(len(payload) >> 16), seq, byte(inflated), byte(inflated >> 8), byte(inflated >> 16)}
	return append(h, payload...)
}

// TestCompressedFrames: packets read from frames deflated or not, split across frames or sharing
// one; replies framed from the last frame read's sequence number on, deflated when that makes them
// shorter (MySQL's 50 bytes at least), as they are otherwise.
func TestCompressedFrames(t *testing.T) {
	query := append([]byte{ComQuery}, strings.Repeat("select 1 from t where id = 1 or id = 2; ", 4)...)
	packet := append([]byte{byte(len(query)), byte(len(query) >> 8), 0, 0}, query...)
	ping := []byte{1, 0, 0, 0, ComPing}
	var in bytes.Buffer
	in.Write(frame(0, packet, true))
	in.Write(frame(0, ping[:2], false))
	in.Write(frame(1, ping[2:], false))
	var out bytes.Buffer
	z := &compressed{raw: struct {
		io.Reader
		io.Writer
	}{&in, &out}}
	c := &Conn{r: bufio.NewReader(z), w: bufio.NewWriter(z)}
	p, err := c.ReadPacket()
	if err != nil || string(p) != string(query) {
		t.Fatalf("first packet %q, %v", p, err)
	}
	c.Seq = 0 // the next command
	if p, err = c.ReadPacket(); err != nil || string(p) != string(ping[4:]) {
		t.Fatalf("second packet %q, %v", p, err)
	}
	// Two replies: a short OK, then a long row.
	first := c.Seq
	c.WritePacket(AppendOK(nil, OK{}))
	c.Flush()
	row := []byte(strings.Repeat("abcdefgh", 100))
	c.WritePacket(row)
	c.Flush()
	r := &compressed{raw: &out}
	back := &Conn{r: bufio.NewReader(r)}
	for i, want := range [][]byte{AppendOK(nil, OK{}), row} {
		hdr := out.Bytes()[:7]
		if hdr[3] != byte(2+i) {
			t.Errorf("reply %d: frame sequence %d, want %d (after the last read, 1)", i, hdr[3], 2+i)
		}
		if deflated := hdr[4] != 0 || hdr[5] != 0; deflated != (len(want) > minCompress) {
			t.Errorf("reply %d of %d bytes: deflated %v", i, len(want), deflated)
		}
		back.Seq = first + byte(i)
		if p, err := back.ReadPacket(); err != nil || string(p) != string(want) {
			t.Errorf("reply %d: %q, %v", i, p, err)
		}
	}
}

// FuzzCompressedRead: any bytes a client sends as compressed frames give packets or an error,
// never a panic, and never more bytes than the frames announce.
func FuzzCompressedRead(f *testing.F) {
	ping := []byte{1, 0, 0, 0, ComPing}
	f.Add(frame(0, ping, false))
	f.Add(frame(0, append([]byte{60, 0, 0, 0, ComQuery}, strings.Repeat("x", 59)...), true))
	f.Add(append(frame(0, ping[:3], false), frame(1, ping[3:], false)...))
	f.Add([]byte{5, 0, 0, 0, 9, 0, 0, 'x', 'x', 'x', 'x', 'x'}) // "deflated", not zlib
	f.Fuzz(func(t *testing.T, data []byte) {
		z := &compressed{raw: struct {
			io.Reader
			io.Writer
		}{bytes.NewReader(data), io.Discard}}
		c := &Conn{r: bufio.NewReader(z), Max: 1 << 20}
		for range 4 {
			c.Seq = 0
			if _, err := c.ReadPacket(); err != nil {
				return
			}
		}
	})
}

// TestCompressedLargeCommand: a command of 16 MiB or more in compressed frames, each of its packets
// numbered 0 as libmariadb numbers them there, is read whole.
func TestCompressedLargeCommand(t *testing.T) {
	payload := append([]byte{ComQuery}, bytes.Repeat([]byte("x"), MaxPayload+10)...)
	var stream []byte
	stream = append(stream, header(MaxPayload, 0)...)
	stream = append(stream, payload[:MaxPayload]...)
	stream = append(stream, header(len(payload)-MaxPayload, 0)...)
	stream = append(stream, payload[MaxPayload:]...)
	var in bytes.Buffer
	for seq, start := 0, 0; start < len(stream); seq++ {
		end := min(start+MaxPayload, len(stream))
		in.Write(frame(byte(seq), stream[start:end], true))
		start = end
	}
	c := NewCompressedConn(nil, 16<<10)
	c.r = bufio.NewReader(&compressed{raw: struct {
		io.Reader
		io.Writer
	}{&in, io.Discard}})
	p, err := c.ReadPacket()
	if err != nil || !bytes.Equal(p, payload) {
		t.Fatalf("read %d bytes, %v; want %d", len(p), err, len(payload))
	}
}
