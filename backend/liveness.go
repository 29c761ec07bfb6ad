package backend

import (
	"crypto/tls"
	"errors"
	"net"
	"syscall"
)

// connAlive tells whether the server is still at the other end of an idle
// connection, without blocking: a peek at the socket finds the end of the
// stream when the server closed it (a restart, wait_timeout, KILL), and
// nothing to read when it is alive. Bytes the server sent unasked (the error
// it sends before closing) mean it is going away too.
func connAlive(c net.Conn) bool {
	tlsConn, isTLS := c.(*tls.Conn)
	if isTLS {
		c = tlsConn.NetConn()
	}
	sc, ok := c.(syscall.Conn)
	if !ok {
		return true
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	alive := true
	var b [1]byte
	err = rc.Read(func(fd uintptr) bool {
		n, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		switch {
		case errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EWOULDBLOCK):
		case err != nil, n == 0:
			alive = false
		default:
			// Unread bytes: on TLS they may be a session ticket the
			// server sent after the handshake, not a farewell.
			alive = isTLS
		}
		return true // never wait for the socket to become readable
	})
	return alive && err == nil
}
