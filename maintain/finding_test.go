package maintain

import (
	"testing"

	"sidecar/vindex"
)

func TestFindingString(t *testing.T) {
	for _, tc := range []struct {
		f    Finding
		want string
	}{
		{
			Finding{Kind: KindWrong, Shard: "-80", Key: "corder_id=2,corder_event_id=5", Stored: "0x0102", Expected: "0x166B40B44ABA4BD6", Detail: "left as it is"},
			"wrong pk=(corder_id=2,corder_event_id=5) stored=0x0102 expected=0x166B40B44ABA4BD6 shard=-80: left as it is",
		},
		{
			Finding{Kind: KindMissing, Shard: "-80", Value: "20", OwnerKeyspaceID: "0x166B40B44ABA4BD6", Key: "corder_id=20"},
			"missing 20 owner_keyspace_id=0x166B40B44ABA4BD6 pk=(corder_id=20) shard=-80",
		},
		{
			Finding{Kind: KindOrphan, Shard: "0", Value: "98", KeyspaceID: "0x166B40B44ABA4BD6", Key: "corder_id=98", Detail: "deleted"},
			"orphan 98 keyspace_id=0x166B40B44ABA4BD6 pk=(corder_id=98) shard=0: deleted",
		},
	} {
		if got := tc.f.String(); got != tc.want {
			t.Errorf("got  %s\nwant %s", got, tc.want)
		}
	}
}

func TestShowValue(t *testing.T) {
	for _, tc := range []struct {
		v    vindex.Value
		want string
	}{
		{vindex.NewInt64(-3), "-3"},
		{vindex.NewUint64(18446744073709551615), "18446744073709551615"},
		{vindex.NewVarBinary([]byte{0x06, 0xe7}), "0x06E7"},
		{vindex.NewVarChar("foo"), "foo"},
		{vindex.NewVarChar("Ünïcode"), "Ünïcode"},
		{vindex.NewVarChar("two words"), `"two words"`},
		{vindex.NewVarChar(`o'ne\il`), `"o'ne\\il"`},
		{vindex.NewVarChar(""), `""`},
		{vindex.NewVarChar("NULL"), `"NULL"`},
		{vindex.NewVarChar("a\x00b"), `"a\x00b"`},
		{vindex.Value{Kind: vindex.Null}, "NULL"},
	} {
		if got := showValue(tc.v); got != tc.want {
			t.Errorf("showValue(%v) = %s, want %s", tc.v, got, tc.want)
		}
	}
	if got := showKey([]string{"a", "b"}, []vindex.Value{vindex.NewInt64(1), vindex.NewVarChar("x")}); got != "a=1,b=x" {
		t.Errorf("showKey: %s", got)
	}
}

func TestSummaryString(t *testing.T) {
	s := Summary{Command: "backfill", Target: "customer.corder_event.keyspace_id", Scanned: 20000, Changed: 19998, Findings: 1, Problems: 1, Seconds: 2.5, RowsPerSecond: 8000}
	if got, want := s.String(), "backfill customer.corder_event.keyspace_id: 20000 rows scanned, 19998 changed, 1 finding, 1 problem in 2.5s (8000 rows/s)"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	s.DryRun, s.Interrupted, s.Problems = true, true, 2
	if got, want := s.String(), "backfill customer.corder_event.keyspace_id: 20000 rows scanned, 19998 would change, 1 finding, 2 problems in 2.5s (8000 rows/s); interrupted: run it again to carry on"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
