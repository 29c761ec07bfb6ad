package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestRunVindex(t *testing.T) {
	for _, tc := range []struct {
		args       string
		wantOut    string
		wantErr    string // substring of stderr
		wantStatus int
	}{
		{"hash 1 2 4", "166b40b44aba4bd6\n06e7ea22ce92708f\nd2fd8867d50d2dfe\n", "", 0},
		{"hash -- -1", "355550b2150e2451\n", "", 0},
		{"hash 18446744073709551615", "355550b2150e2451\n", "", 0},
		{"xxhash 1 test1", "d46405367612b4b7\nd01ab7e4d6978f0b\n", "", 0},
		{"unicode_loose_md5 Tést", "0b5edbb401fd7524393690491d64f1f5\n", "", 0},
		{"binary test1", "7465737431\n", "", 0},
		{"numeric 1", "0000000000000001\n", "", 0},
		{"reverse_bits 1", "8000000000000000\n", "", 0},
		{"null anything", "00\n", "", 0},
		{"numeric_static_map -param json={\"1\":2} 1 5", "0000000000000002\n0000000000000005\n", "", 0},
		{"numeric_static_map -param=json={\"1\":2} -param fallback_type=hash 5", "70bb023c810ca87a\n", "", 0},
		{"hash 1 aa 2", "166b40b44aba4bd6\n06e7ea22ce92708f\n", `could not map VARCHAR("aa") to a keyspace id`, 1},
		{"hash -reverse 166b40b44aba4bd6", "1\n", "", 0},
		{"hash -reverse 355550b2150e2451 -reverse 0x06e7ea22ce92708f", "18446744073709551615\n2\n", "", 0},
		{"numeric --reverse=0000000000000007", "7\n", "", 0},
		{"reverse_bits -reverse 8000000000000000", "1\n", "", 0},
		{"binary -reverse 7465737431 -reverse 00ff", "test1\n0x00ff\n", "", 0},
		{"hash -reverse 1234", "", "invalid keyspace id: 1234", 1},
		{"xxhash -reverse 00", "", "xxhash is not reversible", 1},
		{"hash -1", "", "unknown option -1 (put -- before values starting with '-')", 2},
		{"nope 1", "", `vindexType "nope" not found`, 2},
		{"lookup_unique -param table=t -param from=f -param to=k 1", "", "lookup_unique is a lookup vindex", 2},
		{"hash -param Table=t 1", "", "unknown params for hash: Table", 2},
		{"hash", "", "no VALUE given", 2},
		{"", "", "missing vindex TYPE", 2},
		{"hash -param 1", "", "-param wants key=value", 2},
		{"hash -reverse", "", "option -reverse needs a value", 2},
	} {
		var stdout, stderr bytes.Buffer
		status := runVindex(strings.Fields(tc.args), &stdout, &stderr)
		if status != tc.wantStatus || stdout.String() != tc.wantOut || !strings.Contains(stderr.String(), tc.wantErr) {
			t.Errorf("sidecar vindex %s: status %d, stdout %q, stderr %q; want %d, %q, %q",
				tc.args, status, stdout.String(), stderr.String(), tc.wantStatus, tc.wantOut, tc.wantErr)
		}
	}
}

func TestRunVindexHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if status := runVindex([]string{"-h"}, &stdout, &stderr); status != 0 || !strings.Contains(stdout.String(), "TYPE is one of: binary, binary_md5, hash, null, numeric, numeric_static_map, reverse_bits, unicode_loose_md5, unicode_loose_xxhash, xxhash\n") {
		t.Errorf("help: %d %q", status, stdout.String())
	}
}
