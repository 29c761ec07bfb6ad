package sidecar

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"sync/atomic"
	"unsafe"

	"sidecar/sqlerr"
)

// maxPayload is the largest payload of one MySQL packet; longer payloads are
// split into several packets and the last one is shorter than this.
const maxPayload = 1<<24 - 1

// wire frames MySQL packets on a connection after the handshake. Reads go
// through one buffer and writes are buffered until flush, so a reply of many
// packets costs one syscall, not one per packet.
type wire struct {
	conn net.Conn
	// max bounds a payload read (0: no bound); a longer one is discarded as
	// it arrives and readPacket returns errPacketTooLarge.
	max int
	r   *bufio.Reader
	w   *bufio.Writer
	seq uint8  // sequence number of the next packet to read or write
	buf []byte // payload of the last packet read, reused
	hdr [4]byte
}

func newWire(conn net.Conn, size int) *wire {
	return &wire{conn: conn, r: bufio.NewReaderSize(conn, size), w: bufio.NewWriterSize(conn, size)}
}

// errPacketTooLarge is MySQL's answer to a command longer than
// max_allowed_packet; the server closes the connection after it.
var errPacketTooLarge = sqlerr.New(1153, "08S01", "Got a packet bigger than 'max_allowed_packet' bytes")

// largePayload: a payload read into a buffer larger than this belongs to the
// caller (see statementText); smaller ones are valid until the next read.
const largePayload = 1 << 20

// readChunk is the least a payload buffer grows by while a payload arrives
// (see readPacket).
const readChunk = 64 << 10

// largeReads counts payloads of 16 MiB or more handed over by readPacket: a
// session that saw one return their memory to the system (see session.run).
var largeReads atomic.Int64

// statementText is the statement text of a command payload (after its
// command byte). A large payload is its caller's (readPacket) and is not
// copied: a 50 MB statement costs its buffer, not a second copy.
func statementText(p []byte) string {
	if cap(p) > largePayload {
		return unsafe.String(unsafe.SliceData(p[1:]), len(p)-1)
	}
	return string(p[1:])
}

// readPacket returns the next payload, joining split packets. The slice is
// only valid until the next read, unless its capacity is over largePayload.
func (w *wire) readPacket() ([]byte, error) {
	w.buf = w.buf[:0]
	tooLarge := false
	for {
		if _, err := io.ReadFull(w.r, w.hdr[:]); err != nil {
			return nil, err
		}
		n := int(w.hdr[0]) | int(w.hdr[1])<<8 | int(w.hdr[2])<<16
		if w.hdr[3] != w.seq {
			return nil, fmt.Errorf("packet out of order: got sequence %d, want %d", w.hdr[3], w.seq)
		}
		w.seq++
		start := len(w.buf)
		if tooLarge || w.max > 0 && start+n > w.max {
			// Read the rest of the command without keeping it, so the
			// client, still sending, gets the error instead of a reset.
			tooLarge = true
			w.buf = w.buf[:0]
			if _, err := w.r.Discard(n); err != nil {
				return nil, err
			}
			if n < maxPayload {
				return nil, errPacketTooLarge
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
		if n < maxPayload {
			if cap(w.buf) > largePayload {
				// A large buffer is handed over for good: the caller may
				// keep the payload (a long statement's text, uncopied) and
				// the memory goes with it rather than staying with the
				// connection.
				out := w.buf
				w.buf = nil
				if cap(out) >= maxPayload {
					largeReads.Add(1)
				}
				return out, nil
			}
			return w.buf, nil
		}
	}
}

// writePacket buffers one payload (split if needed) with the next sequence
// numbers.
func (w *wire) writePacket(payload []byte) error {
	return w.writePacketParts(payload, nil, nil)
}

// writePacketParts buffers the concatenation a+b+c as one payload without
// building it in memory first (command byte + hint + query text).
func (w *wire) writePacketParts(a, b, c []byte) error {
	total := len(a) + len(b) + len(c)
	parts := [3][]byte{a, b, c}
	for {
		n := min(total, maxPayload)
		w.hdr = [4]byte{byte(n), byte(n >> 8), byte(n >> 16), w.seq}
		w.seq++
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
		if n < maxPayload {
			return nil
		}
	}
}

func (w *wire) flush() error { return w.w.Flush() }

// failed reports whether a write has failed (the peer is gone): bufio keeps
// the error and returns it for every write after, an empty one included.
func (w *wire) failed() bool {
	_, err := w.w.Write(nil)
	return err != nil
}
