package main

import (
	"bytes"
	"strings"
	"testing"
)

// Usage errors and refused targets exit 2 before any shard is dialed (the example config's shards
// are not running).
func TestRunMaintainUsage(t *testing.T) {
	const cfg = "../../conf/examples/sidecar.yaml"
	for _, tc := range []struct {
		args       string
		wantOut    string // substring of stdout
		wantErr    string // substring of stderr
		wantStatus int
	}{
		{"backfill -h", "usage: sidecar backfill", "", 0},
		{"backfill -config " + cfg, "", "-table and -column are required", 2},
		{"backfill -config " + cfg + " -table customer.corder -column corder_id", "", "vindex [corder_keyspace_idx (consistent_lookup_unique)] is not reversible", 2},
		{"backfill -config " + cfg + " -table customer.corder_event -column corder_id", "", "is the primary vindex's", 2},
		{"backfill -config " + cfg + " -table customer.corder_event -column keyspace_id -batch 0", "", "-batch must be positive", 2},
		{"backfill -config " + cfg + " -table customer.corder_event -column keyspace_id extra", "", "unexpected arguments", 2},
		{"lookup", "", "usage: sidecar lookup backfill", 2},
		{"lookup help", "usage: sidecar lookup backfill", "", 0},
		{"lookup check -h", "-repair", "", 0},
		{"lookup backfill -config " + cfg, "", "-vindex is required", 2},
		{"lookup backfill -config " + cfg + " -vindex customer.hash", "", "is not a lookup vindex", 2},
		{"lookup backfill -config " + cfg + " -vindex corder_keyspace_idx", "", "want KEYSPACE.VINDEX", 2},
		{"lookup backfill -config " + cfg + " -repair -vindex customer.corder_keyspace_idx", "", "flag provided but not defined: -repair", 2},
		{"lookup check -config nope.yaml -vindex customer.corder_keyspace_idx", "", "nope.yaml", 1},
	} {
		var out, errb bytes.Buffer
		status := run(strings.Fields(tc.args), &out, &errb)
		if status != tc.wantStatus || !strings.Contains(out.String(), tc.wantOut) || !strings.Contains(errb.String(), tc.wantErr) {
			t.Errorf("sidecar %s: status %d, stdout %q, stderr %q; want %d, %q, %q", tc.args, status, out.String(), errb.String(), tc.wantStatus, tc.wantOut, tc.wantErr)
		}
	}
}
