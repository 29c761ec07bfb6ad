package sidecar

import (
	"bytes"
	"net"
	"testing"

	"sidecar/mysql"
)

// TestWireLargePackets: payloads of 16 MiB - 1 and more are split into
// several packets and joined again, with consecutive sequence numbers.
func TestWireLargePackets(t *testing.T) {
	for _, size := range []int{0, 1, maxPayload - 1, maxPayload, maxPayload + 5, 2*maxPayload + 3} {
		a, b := net.Pipe()
		w, r := newWire(a, 16<<10), newWire(b, 16<<10)
		payload := bytes.Repeat([]byte{0xab}, size)
		go func() {
			w.writePacketParts([]byte{mysql.ComQuery}, payload[:size/2], payload[size/2:])
			w.flush()
			a.Close()
		}()
		got, err := r.readPacket()
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		if len(got) != size+1 || got[0] != mysql.ComQuery || !bytes.Equal(got[1:], payload) {
			t.Fatalf("size %d: got %d bytes", size, len(got))
		}
		// A payload that fills whole packets ends with an empty one.
		if want := uint8((size+1)/maxPayload + 1); r.seq != want {
			t.Errorf("size %d: sequence %d after read, want %d packets", size, r.seq, want)
		}
		b.Close()
	}
}

// TestGreeting: the greeting go-mysql builds gets the backend's version, the
// autocommit status, CLIENT_FOUND_ROWS, CLIENT_LOCAL_FILES and
// CLIENT_MULTI_STATEMENTS; everything else is kept.
func TestGreeting(t *testing.T) {
	// header, protocol 10, "8.0", id, 8 scramble bytes, filler, caps low,
	// charset, status, caps high, auth data length, reserved…
	in := []byte{25, 0, 0, 0, 10, '8', '.', '0', 0, 1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0xff, 0xf7, 45, 0, 0, 0x0e, 0x81, 21}
	in[22] = 0x7d // caps low without FOUND_ROWS (0x02) and LOCAL_FILES (0x80)
	want := []byte{30, 0, 0, 0, 10, '1', '0', '.', '1', '1', '-', 'x', 0, 1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0xff, 0xf7, 45, 2, 0, 0x0f, 0x81, 21}
	if got := greeting(in, "10.11-x"); !bytes.Equal(got, want) {
		t.Errorf("greeting:\n got % x\nwant % x", got, want)
	}
}
