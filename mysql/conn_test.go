package mysql

import (
	"bytes"
	"net"
	"testing"
)

// TestLargePackets: payloads of 16 MiB - 1 and more are split into
// several packets and joined again, with consecutive sequence numbers.
func TestLargePackets(t *testing.T) {
	for _, size := range []int{0, 1, MaxPayload - 1, MaxPayload, MaxPayload + 5, 2*MaxPayload + 3} {
		a, b := net.Pipe()
		w, r := NewConn(a, 16<<10), NewConn(b, 16<<10)
		payload := bytes.Repeat([]byte{0xab}, size)
		go func() {
			w.WritePacketParts([]byte{ComQuery}, payload[:size/2], payload[size/2:])
			w.Flush()
			a.Close()
		}()
		got, err := r.ReadPacket()
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		if len(got) != size+1 || got[0] != ComQuery || !bytes.Equal(got[1:], payload) {
			t.Fatalf("size %d: got %d bytes", size, len(got))
		}
		// A payload that fills whole packets ends with an empty one.
		if want := uint8((size+1)/MaxPayload + 1); r.Seq != want {
			t.Errorf("size %d: sequence %d after read, want %d packets", size, r.Seq, want)
		}
		b.Close()
	}
}
