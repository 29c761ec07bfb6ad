package sidecar

import (
	"bytes"
	"net"
	"testing"
)

// TestWireLargePackets: payloads of 16 MiB - 1 and more are split into
// several packets and joined again, with consecutive sequence numbers.
func TestWireLargePackets(t *testing.T) {
	for _, size := range []int{0, 1, maxPayload - 1, maxPayload, maxPayload + 5, 2*maxPayload + 3} {
		a, b := net.Pipe()
		w, r := newWire(a, 16<<10), newWire(b, 16<<10)
		payload := bytes.Repeat([]byte{0xab}, size)
		go func() {
			w.writePacketParts([]byte{comQuery}, payload[:size/2], payload[size/2:])
			w.flush()
			a.Close()
		}()
		got, err := r.readPacket()
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		if len(got) != size+1 || got[0] != comQuery || !bytes.Equal(got[1:], payload) {
			t.Fatalf("size %d: got %d bytes", size, len(got))
		}
		// A payload that fills whole packets ends with an empty one.
		if want := uint8((size+1)/maxPayload + 1); r.seq != want {
			t.Errorf("size %d: sequence %d after read, want %d packets", size, r.seq, want)
		}
		b.Close()
	}
}

func TestAddMultiStatements(t *testing.T) {
	// header, protocol 10, "8.0", id, 8 scramble bytes, filler, caps low,
	// charset, status, caps high
	p := []byte{0, 0, 0, 0, 10, '8', '.', '0', 0, 1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0xff, 0xf7, 45, 2, 0, 0x0e, 0x81}
	addMultiStatements(p)
	if p[27] != 0x0f || p[28] != 0x81 {
		t.Errorf("upper capability bytes %x %x, want 0f 81", p[27], p[28])
	}
}
