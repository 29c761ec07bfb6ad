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
}

// socketIO is the raw I/O of conn, or nil when it is not a plain socket
// (TLS, a pipe in tests).
func socketIO(conn net.Conn) io.ReadWriter {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return nil
	}
	switch conn.(type) {
	case *net.TCPConn, *net.UnixConn:
	default:
		return nil
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return &sockIO{raw: raw, net: conn.LocalAddr().Network(), a: conn.RemoteAddr()}
}

func (s *sockIO) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	var n int
	var errno syscall.Errno
	err := s.raw.Read(func(fd uintptr) bool {
		for {
			r, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
			switch e {
			case syscall.EINTR:
				continue
			case syscall.EAGAIN:
				return false // the poller waits until the socket is readable
			}
			n, errno = int(r), e
			return true
		}
	})
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

func (s *sockIO) Write(p []byte) (int, error) {
	written := 0
	var errno syscall.Errno
	err := s.raw.Write(func(fd uintptr) bool {
		for written < len(p) {
			r, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&p[written])), uintptr(len(p)-written))
			switch e {
			case 0:
				written += int(r)
			case syscall.EINTR:
			case syscall.EAGAIN:
				return false // the poller waits until the socket is writable
			default:
				errno = e
				return true
			}
		}
		return true
	})
	if err == nil && errno != 0 {
		err = s.opError("write", errno)
	}
	return written, err
}

func (s *sockIO) opError(op string, errno syscall.Errno) error {
	return &net.OpError{Op: op, Net: s.net, Addr: s.a, Err: os.NewSyscallError(op, errno)}
}
