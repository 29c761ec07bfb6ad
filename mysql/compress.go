package mysql

import (
	"bytes"
	"compress/zlib"
	"errors"
	"io"
)

// compressed is MySQL's compressed protocol (CLIENT_COMPRESS) under the
// packets of a connection: a byte stream carried in frames of a 7-byte
// header (length of the frame's payload, its sequence number, the length
// of the bytes it holds once inflated, 0 when sent as they are) and a
// zlib stream or the bytes themselves. The frames have their own sequence
// numbers: a command's first frame from the client has 0, and the reply's
// frames go on from the last one read.
type compressed struct {
	raw io.ReadWriter
	seq uint8 // of the next frame to write: the last one read's + 1

	in   []byte // inflated bytes of the last frame read, not yet read
	hdr  [7]byte
	buf  []byte // a frame's payload, reused
	zbuf []byte // a frame's inflated bytes, reused (in is read out before the next frame)
	zr   io.ReadCloser
	zw   *zlib.Writer
	out  bytes.Buffer
}

// frameHeader is the room a frame's header takes before its payload.
var frameHeader [7]byte

// minCompress is the shortest run of bytes sent compressed, as in MySQL:
// shorter ones would grow.
const minCompress = 50

// errFrame: a frame that does not inflate to its announced length.
var errFrame = errors.New("mysql: malformed compressed frame")

func (c *compressed) Read(p []byte) (int, error) {
	for len(c.in) == 0 {
		if err := c.readFrame(); err != nil {
			return 0, err
		}
	}
	n := copy(p, c.in)
	c.in = c.in[n:]
	return n, nil
}

func (c *compressed) readFrame() error {
	if _, err := io.ReadFull(c.raw, c.hdr[:]); err != nil {
		return err
	}
	size := int(c.hdr[0]) | int(c.hdr[1])<<8 | int(c.hdr[2])<<16
	inflated := int(c.hdr[4]) | int(c.hdr[5])<<8 | int(c.hdr[6])<<16
	c.seq = c.hdr[3] + 1
	if cap(c.buf) < size {
		c.buf = make([]byte, size)
	}
	payload := c.buf[:size]
	if _, err := io.ReadFull(c.raw, payload); err != nil {
		return err
	}
	if inflated == 0 {
		c.in = payload
		return nil
	}
	var err error
	if c.zr == nil {
		c.zr, err = zlib.NewReader(bytes.NewReader(payload))
	} else {
		err = c.zr.(zlib.Resetter).Reset(bytes.NewReader(payload), nil)
	}
	if err != nil {
		return errFrame
	}
	if cap(c.zbuf) < inflated {
		c.zbuf = make([]byte, inflated)
	}
	out := c.zbuf[:inflated]
	if _, err := io.ReadFull(c.zr, out); err != nil {
		return errFrame
	}
	c.in = out
	return nil
}

// Write sends p (what the buffered writer above flushes: packets, whole or
// in part) in frames of at most MaxPayload bytes each.
func (c *compressed) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		chunk := p[:min(len(p), MaxPayload)]
		if err := c.writeFrame(chunk); err != nil {
			return written, err
		}
		written += len(chunk)
		p = p[len(chunk):]
	}
	return written, nil
}

func (c *compressed) writeFrame(b []byte) error {
	c.out.Reset()
	c.out.Write(frameHeader[:])
	inflated := 0
	if len(b) >= minCompress {
		if c.zw == nil {
			c.zw = zlib.NewWriter(&c.out)
		} else {
			c.zw.Reset(&c.out)
		}
		if _, err := c.zw.Write(b); err != nil {
			return err
		}
		if err := c.zw.Close(); err != nil {
			return err
		}
		inflated = len(b)
	}
	if inflated == 0 || c.out.Len()-7 >= len(b) { // short, or not smaller deflated: as it is
		c.out.Truncate(7)
		c.out.Write(b)
		inflated = 0
	}
	frame := c.out.Bytes()
	size := len(frame) - 7
	frame[0], frame[1], frame[2] = byte(size), byte(size>>8), byte(size>>16)
	frame[3] = c.seq
	frame[4], frame[5], frame[6] = byte(inflated), byte(inflated>>8), byte(inflated>>16)
	c.seq++
	_, err := c.raw.Write(frame)
	return err
}
