//go:build linux

package mysql

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// TestSocketIO: the raw socket I/O under a Conn moves bytes as the connection's own I/O does:
// more than the socket buffers hold in both directions at once (so writes wait for the reader),
// no allocation per call, EOF when the peer closes, a timeout error at the read deadline, and an error writing to a peer
// that is gone.
func TestSocketIO(t *testing.T) {
	for _, network := range []string{"tcp", "unix"} {
		t.Run(network, func(t *testing.T) {
			a, b := socketPair(t, network)
			ra, rb := socketIO(a), socketIO(b)
			if ra == nil || rb == nil {
				t.Fatalf("no raw I/O on %T", a)
			}
			big := bytes.Repeat([]byte("0123456789abcdef"), 1<<18) // 4 MiB
			done := make(chan error, 1)
			go func() {
				_, err := ra.Write(big)
				done <- err
			}()
			got := make([]byte, len(big))
			if _, err := io.ReadFull(rb, got); err != nil || !bytes.Equal(got, big) {
				t.Fatalf("read %v, same bytes %t", err, bytes.Equal(got, big))
			}
			if err := <-done; err != nil {
				t.Fatal(err)
			}

			small := make([]byte, 64)
			if n := testing.AllocsPerRun(100, func() {
				ra.Write(small)
				io.ReadFull(rb, small)
			}); n != 0 {
				t.Errorf("%v allocations per write and read", n)
			}

			b.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
			var ne net.Error
			if _, err := rb.Read(got); !errors.As(err, &ne) || !ne.Timeout() || !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Errorf("read past the deadline: %v, want a timeout", err)
			}
			b.SetReadDeadline(time.Time{})

			a.Close()
			if n, err := rb.Read(got); n != 0 || err != io.EOF {
				t.Errorf("read after the peer closed: %d, %v; want EOF", n, err)
			}
			var err error
			for range 100 { // the first writes may land in the buffer before the reset
				if _, err = rb.Write(big[:1<<16]); err != nil {
					break
				}
			}
			if err == nil {
				t.Errorf("writes to a closed peer succeeded")
			}
			b.Close()
			if _, err := rb.Read(got); !errors.Is(err, net.ErrClosed) {
				t.Errorf("read of a closed connection: %v, want net.ErrClosed", err)
			}
		})
	}
}

// socketPair is two ends of a connection over loopback TCP or a Unix socket.
func socketPair(t *testing.T, network string) (net.Conn, net.Conn) {
	t.Helper()
	addr := "127.0.0.1:0"
	if network == "unix" {
		addr = t.TempDir() + "/s"
	}
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	a, err := net.Dial(network, ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	b := <-accepted
	if b == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}
