package sidecar

import (
	"bytes"
	"testing"
)

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
