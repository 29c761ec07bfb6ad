package sidecar

import "sidecar/vindex"

// txnRows is what a transaction's Pre and Post sessions did to lookup rows
// (vindex.TxnRows), noted in order so that a ROLLBACK TO, or a failed
// statement, undoes the notes after its mark (the log's length then) as it
// undoes the rows' changes. A session keeps the locks it took until the
// transaction ends, though: a row whose change is undone stays the noted
// session's (holders), unchanged.
type txnRows struct {
	log     []txnRowNote
	last    map[string]int // by key, its last note in log
	holders map[string]vindex.TxnRow
}

// txnRowNote is a note and the index in log of its key's note before it
// (-1: none).
type txnRowNote struct {
	key  string
	row  vindex.TxnRow
	prev int
}

func (t *txnRows) note(key string, r vindex.TxnRow) {
	if t.last == nil {
		t.last, t.holders = map[string]int{}, map[string]vindex.TxnRow{}
	}
	prev, ok := t.last[key]
	if !ok {
		prev = -1
	}
	t.last[key] = len(t.log)
	t.log = append(t.log, txnRowNote{key, r, prev})
	t.holders[key] = vindex.TxnRow{Session: r.Session, KeyspaceID: r.KeyspaceID}
}

func (t *txnRows) get(key string) (vindex.TxnRow, bool) {
	if i, ok := t.last[key]; ok {
		return t.log[i].row, true
	}
	r, ok := t.holders[key]
	return r, ok
}

// mark is where a savepoint or a statement begins.
func (t *txnRows) mark() int { return len(t.log) }

// undoAfter undoes the notes after mark: each key's note before it is its
// last again.
func (t *txnRows) undoAfter(mark int) {
	for i := len(t.log) - 1; i >= mark; i-- {
		if n := t.log[i]; n.prev >= 0 {
			t.last[n.key] = n.prev
		} else {
			delete(t.last, n.key)
		}
	}
	t.log = t.log[:min(mark, len(t.log))]
}
