package sidecar

import (
	"testing"

	"sidecar/vindex"
)

// TestTxnRows: a ROLLBACK TO undoes the notes after its mark, each key's note before it its last
// again; a key first noted after it stays its session's, unchanged (the session keeps the lock).
func TestTxnRows(t *testing.T) {
	var r txnRows
	pre := vindex.TxnRow{Session: vindex.CommitPre, KeyspaceID: vindex.KeyspaceID("k1")}
	r.note("a", pre)
	mark := r.mark()
	r.note("a", vindex.TxnRow{Session: vindex.CommitPre, KeyspaceID: vindex.KeyspaceID("k2")})
	r.note("b", vindex.TxnRow{Session: vindex.CommitPost, Deleted: true, KeyspaceID: vindex.KeyspaceID("k3")})
	r.undoAfter(mark)
	if got, ok := r.get("a"); !ok || got.Session != pre.Session || string(got.KeyspaceID) != "k1" {
		t.Errorf("a after the undo: %+v %t, want %+v", got, ok, pre)
	}
	if got, ok := r.get("b"); !ok || got.Session != vindex.CommitPost || got.Deleted {
		t.Errorf("b after the undo: %+v %t, want Post's, not deleted", got, ok)
	}
	if _, ok := r.get("c"); ok {
		t.Errorf("c: noted, never was")
	}
	r.undoAfter(0)
	if got, ok := r.get("a"); !ok || got.Session != vindex.CommitPre || got.Deleted {
		t.Errorf("a after undoing everything: %+v %t, want Pre's", got, ok)
	}
}
