//go:build linux

package mysql

import (
	"io"
	"net"
	"os"
	"syscall"
	"unsafe"
)

// sockIO reads and writes a TCP or Unix socket with raw system calls, the
// runtime's poller waiting whenever the socket is not ready (the socket is
// non-blocking, so a call never blocks).
//
// Go's own socket I/O enters the scheduler's system call state around every
// read and write. On a proxy, which does little else, that costs more than
// the calls: entering it wakes the runtime's monitor thread whenever the
// process was idle, and a write that outlasts the monitor's tick (a loopback
// write delivers the bytes to the receiver, 10–20 µs) gets its processor
// handed to another thread, which finds nothing to do and sleeps again.
type sockIO struct {
	raw syscall.RawConn
	net string // for errors, as net.OpError names them
	a   net.Addr

	// The read and the write in progress (one of each at a time, as on any
	// buffered connection): buffer and outcome, for the functions RawConn
	// calls, made once so that a call allocates nothing.
	rbuf    []byte
	rn      int
	rerr    syscall.Errno
	readFn  func(fd uintptr) bool
	wbuf    []byte
	wn      int
	werr    syscall.Errno
	writeFn func(fd uintptr) bool
}

// socketIO is the raw I/O of conn, or nil when it is not a plain socket
// (TLS, a pipe in tests).
func socketIO(conn net.Conn) io.ReadWriter {
	switch conn.(type) {
	case *net.TCPConn, *net.UnixConn:
	default:
		return nil
	}
	raw, err := conn.(syscall.Conn).SyscallConn()
	if err != nil {
		return nil
	}
	s := &sockIO{raw: raw, net: conn.LocalAddr().Network(), a: conn.RemoteAddr()}
	s.readFn, s.writeFn = s.read, s.write
	return s
}

func (s *sockIO) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	s.rbuf, s.rn, s.rerr = p, 0, 0
	err := s.raw.Read(s.readFn)
	n, errno := s.rn, s.rerr
	s.rbuf = nil
	switch {
	case err != nil:
		return 0, err
	case errno != 0:
		return 0, s.opError("read", errno)
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

// read is one read(2) into rbuf; false: not ready, the poller waits.
func (s *sockIO) read(fd uintptr) bool {
	for {
		r, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&s.rbuf[0])), uintptr(len(s.rbuf)))
		switch e {
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false
		}
		s.rn, s.rerr = int(r), e
		return true
	}
}

func (s *sockIO) Write(p []byte) (int, error) {
	s.wbuf, s.wn, s.werr = p, 0, 0
	err := s.raw.Write(s.writeFn)
	n, errno := s.wn, s.werr
	s.wbuf = nil
	if err == nil && errno != 0 {
		err = s.opError("write", errno)
	}
	return n, err
}

// write writes what is left of wbuf with write(2); false: the socket's
// buffer is full, the poller waits.
func (s *sockIO) write(fd uintptr) bool {
	for s.wn < len(s.wbuf) {
		r, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&s.wbuf[s.wn])), uintptr(len(s.wbuf)-s.wn))
		switch e {
		case 0:
			s.wn += int(r)
		case syscall.EINTR:
		case syscall.EAGAIN:
			return false
		default:
			s.werr = e
			return true
		}
	}
	return true
}

func (s *sockIO) opError(op string, errno syscall.Errno) error {
	return &net.OpError{Op: op, Net: s.net, Addr: s.a, Err: os.NewSyscallError(op, errno)}
}
