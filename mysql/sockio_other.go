//go:build !linux

package mysql

import (
	"io"
	"net"
)

// socketIO: outside Linux, the connection's own I/O.
func socketIO(net.Conn) io.ReadWriter { return nil }
