package sidecar

import (
	"bufio"
	"fmt"
	"io"
	"net"
)

// maxPayload is the largest payload of one MySQL packet; longer payloads are
// split into several packets and the last one is shorter than this.
const maxPayload = 1<<24 - 1

// wire frames MySQL packets on a connection after the handshake. Reads go
// through one buffer and writes are buffered until flush, so a reply of many
// packets costs one syscall, not one per packet.
type wire struct {
	conn net.Conn
	r    *bufio.Reader
	w    *bufio.Writer
	seq  uint8  // sequence number of the next packet to read or write
	buf  []byte // payload of the last packet read, reused
	hdr  [4]byte
}

func newWire(conn net.Conn, size int) *wire {
	return &wire{conn: conn, r: bufio.NewReaderSize(conn, size), w: bufio.NewWriterSize(conn, size)}
}

// readPacket returns the next payload, joining split packets. The slice is
// only valid until the next read.
func (w *wire) readPacket() ([]byte, error) {
	w.buf = w.buf[:0]
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
		if cap(w.buf)-start < n {
			grown := make([]byte, start, start+n)
			copy(grown, w.buf)
			w.buf = grown
		}
		w.buf = w.buf[:start+n]
		if _, err := io.ReadFull(w.r, w.buf[start:]); err != nil {
			return nil, err
		}
		if n < maxPayload {
			// Keep the buffer from growing forever after one huge packet.
			if cap(w.buf) > 1<<20 && len(w.buf) < 1<<16 {
				out := append([]byte(nil), w.buf...)
				w.buf = nil
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
