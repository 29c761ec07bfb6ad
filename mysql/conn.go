package mysql

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"sync/atomic"
	"unsafe"

	"sidecar/sqlerr"
)

// MaxPayload is the largest payload of one MySQL packet; longer payloads are
// split into several packets and the last one is shorter than this.
const MaxPayload = 1<<24 - 1

// Conn frames MySQL packets on a connection after the handshake. Reads go
// through one buffer and writes are buffered until Flush, so a reply of many
// packets costs one syscall, not one per packet.
type Conn struct {
	conn net.Conn
	// Max bounds a payload read (0: no bound); a longer one is discarded as
	// it arrives and ReadPacket returns ErrPacketTooLarge.
	Max int
	r   *bufio.Reader
	w   *bufio.Writer
	Seq uint8 // sequence number of the next packet to read or write
	// compressed: the packets travel in compressed frames, whose own
	// sequence numbers order them; libmariadb numbers every packet of a
	// command of 16 MiB or more 0 there, and MariaDB reads it.
	compressed bool
	buf        []byte // payload of the last packet read, reused
	hdr        [4]byte
}

// NewConn frames packets on conn with read and write buffers of size bytes.
// A plain socket is read and written with raw system calls (sockIO).
func NewConn(conn net.Conn, size int) *Conn {
	rw := socketRW(conn)
	return &Conn{conn: conn, r: bufio.NewReaderSize(rw, size), w: bufio.NewWriterSize(rw, size)}
}

// NewCompressedConn is NewConn for a client that speaks the compressed
// protocol after the handshake (CLIENT_COMPRESS): its packets travel in
// zlib frames.
func NewCompressedConn(conn net.Conn, size int) *Conn {
	z := &compressed{raw: socketRW(conn)}
	return &Conn{conn: conn, r: bufio.NewReaderSize(z, size), w: bufio.NewWriterSize(z, size), compressed: true}
}

// socketRW is conn read and written with raw system calls when it is a
// plain socket (sockIO), else conn itself.
func socketRW(conn net.Conn) io.ReadWriter {
	if sock := socketIO(conn); sock != nil {
		return sock
	}
	return conn
}

// NewBuffered frames packets read from r and written to w (either may be
// nil) with no connection under them.
func NewBuffered(r io.Reader, w io.Writer) *Conn {
	c := &Conn{}
	if r != nil {
		c.r = bufio.NewReader(r)
	}
	if w != nil {
		c.w = bufio.NewWriter(w)
	}
	return c
}

// Capture is a Conn on the same connection whose packets are written to w
// instead: a reply the sidecar reads back rather than sends.
func (c *Conn) Capture(w io.Writer) *Conn {
	return &Conn{conn: c.conn, Max: c.Max, r: c.r, w: bufio.NewWriterSize(w, 16<<10)}
}

// NetConn is the connection under the framing.
func (c *Conn) NetConn() net.Conn { return c.conn }

// Buffered is the number of bytes read from the connection and not yet
// consumed.
func (c *Conn) Buffered() int { return c.r.Buffered() }

// ErrPacketTooLarge is MySQL's answer to a command longer than
// max_allowed_packet; the server closes the connection after it.
var ErrPacketTooLarge = sqlerr.New(1153, "08S01", "Got a packet bigger than 'max_allowed_packet' bytes")

// ErrMalformed answers a packet that does not parse, as MySQL does.
var ErrMalformed = sqlerr.New(1835, "HY000", "Malformed communication packet")

// LargePayload: a payload read into a buffer larger than this belongs to the
// caller (see StatementText); smaller ones are valid until the next read.
const LargePayload = 1 << 20

// readChunk is the least a payload buffer grows by while a payload arrives
// (see ReadPacket).
const readChunk = 64 << 10

// LargeReads counts payloads of 16 MiB or more handed over by readPacket: a
// session that saw one return their memory to the system (see session.run).
var LargeReads atomic.Int64

// StatementText is the statement text of a command payload (after its
// command byte). A large payload is its caller's (ReadPacket) and is not
// copied: a 50 MB statement costs its buffer, not a second copy.
func StatementText(p []byte) string {
	if cap(p) > LargePayload {
		return unsafe.String(unsafe.SliceData(p[1:]), len(p)-1)
	}
	return string(p[1:])
}

// ReadPacket returns the next payload, joining split packets. The slice is
// only valid until the next read, unless its capacity is over LargePayload.
func (w *Conn) ReadPacket() ([]byte, error) {
	w.buf = w.buf[:0]
	tooLarge := false
	for {
		if _, err := io.ReadFull(w.r, w.hdr[:]); err != nil {
			return nil, err
		}
		n := int(w.hdr[0]) | int(w.hdr[1])<<8 | int(w.hdr[2])<<16
		if w.hdr[3] != w.Seq && !w.compressed {
			return nil, fmt.Errorf("packet out of order: got sequence %d, want %d", w.hdr[3], w.Seq)
		}
		w.Seq++
		start := len(w.buf)
		if tooLarge || w.Max > 0 && start+n > w.Max {
			// Read the rest of the command without keeping it, so the
			// client, still sending, gets the error instead of a reset.
			tooLarge = true
			w.buf = w.buf[:0]
			if _, err := w.r.Discard(n); err != nil {
				return nil, err
			}
			if n < MaxPayload {
				return nil, ErrPacketTooLarge
			}
			continue
		}
		// The buffer grows as the bytes arrive, not to the length the
		// header declares: a peer declaring 16 MiB and sending nothing must
		// not cost 16 MiB. It doubles (a command of k packets costs about
		// twice its size, not k copies), by readChunk at least, and never
		// past the declared end.
		end := start + n
		for len(w.buf) < end {
			if len(w.buf) == cap(w.buf) {
				grown := make([]byte, len(w.buf), min(end, max(2*cap(w.buf), len(w.buf)+readChunk)))
				copy(grown, w.buf)
				w.buf = grown
			}
			k, err := w.r.Read(w.buf[len(w.buf):min(end, cap(w.buf))])
			w.buf = w.buf[:len(w.buf)+k]
			if err != nil && len(w.buf) < end {
				if err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				return nil, err
			}
		}
		if n < MaxPayload {
			if cap(w.buf) > LargePayload {
				// A large buffer is handed over for good: the caller may
				// keep the payload (a long statement's text, uncopied) and
				// the memory goes with it rather than staying with the
				// connection.
				out := w.buf
				w.buf = nil
				if cap(out) >= MaxPayload {
					LargeReads.Add(1)
				}
				return out, nil
			}
			return w.buf, nil
		}
	}
}

// WritePacket buffers one payload (split if needed) with the next sequence
// numbers.
func (w *Conn) WritePacket(payload []byte) error {
	return w.WritePacketParts(payload, nil, nil)
}

// WritePacketParts buffers the concatenation a+b+c as one payload without
// building it in memory first (command byte + hint + query text).
func (w *Conn) WritePacketParts(a, b, c []byte) error {
	total := len(a) + len(b) + len(c)
	parts := [3][]byte{a, b, c}
	for {
		n := min(total, MaxPayload)
		w.hdr = [4]byte{byte(n), byte(n >> 8), byte(n >> 16), w.Seq}
		w.Seq++
		if _, err := w.w.Write(w.hdr[:]); err != nil {
			return err
		}
		left := n
		for i := range parts {
			if left == 0 {
				break
			}
			k := min(left, len(parts[i]))
			if _, err := w.w.Write(parts[i][:k]); err != nil {
				return err
			}
			parts[i] = parts[i][k:]
			left -= k
		}
		total -= n
		if n < MaxPayload {
			return nil
		}
	}
}

func (w *Conn) Flush() error { return w.w.Flush() }

// Failed reports whether a write has failed (the peer is gone): bufio keeps
// the error and returns it for every write after, an empty one included.
func (w *Conn) Failed() bool {
	_, err := w.w.Write(nil)
	return err != nil
}
