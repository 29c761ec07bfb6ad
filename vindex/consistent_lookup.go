package vindex

import (
	"bytes"
	"context"
	"fmt"
	"strings"
)

func init() {
	Register("consistent_lookup", func(name, owner string, p map[string]string) (Vindex, error) {
		c, err := newLookupCore(lookupKind{consistent: true}, name, owner, p)
		if err != nil {
			return nil, err
		}
		return &ConsistentLookup{consistentBase{c}}, nil
	})
	Register("consistent_lookup_unique", func(name, owner string, p map[string]string) (Vindex, error) {
		c, err := newLookupCore(lookupKind{consistent: true, unique: true}, name, owner, p)
		if err != nil {
			return nil, err
		}
		return &ConsistentLookupUnique{consistentBase{c}}, nil
	})
}

// ConsistentLookup is Vitess's "consistent_lookup" (non-unique) and
// ConsistentLookupUnique its unique form. They keep the lookup table
// consistent with the owner table without two-phase commit, by ordering:
// lookup rows are inserted in the Pre session (committed before the owner
// rows) and deleted in the Post session (committed after them). A failure
// between the commits can only leave an orphan lookup row, which the next
// insert of that value takes over after checking that no owner row holds it.
type ConsistentLookup struct{ consistentBase }

// ConsistentLookupUnique: see ConsistentLookup.
type ConsistentLookupUnique struct{ consistentBase }

type consistentBase struct{ *lookupCore }

// SetOwnerInfo records the owner table, whose columns (in `from` order)
// hold the values; the duplicate protocol reads it. The owner keyspace is
// where the owner rows live (the keyspace id found in the lookup row says
// which shard).
func (c consistentBase) SetOwnerInfo(keyspace, table string, columns []string) error {
	if len(columns) != len(c.from) {
		return fmt.Errorf("column count does not match value count with the row for vindex '%s'", c.name)
	}
	c.ownerKeyspace, c.ownerTable = keyspace, table
	c.ownerColumns = append([]string(nil), columns...)
	return nil
}

// Create inserts the lookup rows in one statement in the Pre session (in
// Post those of rows the transaction's Post session deleted or wrote: see
// TxnRows). On a duplicate-key error (1062) it examines the rows in order:
//
//   - a row whose values repeat an earlier row of the same statement: the
//     statement itself inserts a value twice → the original error;
//   - otherwise handleDup decides whether the existing lookup row is real
//     (→ the original error) or an orphan (→ taken over).
//
// Any other error is returned as is. Errors are wrapped "lookup.Create: …"
// and keep their MySQL error number.
func (c consistentBase) Create(ctx context.Context, q Querier, rows [][]Value, ksids []KeyspaceID, ignoreMode bool) error {
	return c.create(ctx, q, rows, ksids, ignoreMode, held{})
}

// held are the lookup rows the rows of one statement hold their values in,
// by keyspace id, with the from values as stored. A row of the statement
// finding its value in one of them collides with an earlier row of the
// statement ('y@x' and 'Y@X' under a case-insensitive collation), not with
// an orphan: that owner row is only about to be written.
type held map[string]string

func (c consistentBase) create(ctx context.Context, q Querier, rows [][]Value, ksids []KeyspaceID, ignoreMode bool, h held) error {
	kept, tos, err := c.checkRows(rows, ksids)
	if err != nil || len(kept) == 0 {
		return err
	}
	if q == nil {
		return errNoQuerier
	}
	pre, post, err := c.bySession(q, rows, ksids, kept)
	if err != nil {
		return err
	}
	if err := c.insert(ctx, q, CommitPre, rows, ksids, tos, pre, ignoreMode, h); err != nil {
		return err
	}
	return c.insert(ctx, q, CommitPost, rows, ksids, tos, post, ignoreMode, h)
}

// bySession splits the rows at kept between the sessions that write them
// (see TxnRows): Post for a row the transaction's Post session deleted or
// wrote, Pre for the others.
func (c consistentBase) bySession(q Querier, rows [][]Value, ksids []KeyspaceID, kept []int) (pre, post []int, err error) {
	t, ok := q.(TxnRows)
	if !ok {
		return kept, nil, nil
	}
	for _, i := range kept {
		r, ok := t.TxnRow(c.txnKey(rows[i], ksids[i]))
		switch {
		case !ok || r.Session != CommitPost:
			pre = append(pre, i)
		case r.Deleted && !bytes.Equal(r.KeyspaceID, ksids[i]):
			var v []byte
			for j, val := range rows[i] {
				if j > 0 {
					v = append(v, ", "...)
				}
				v = AppendLiteral(v, val, q.NoBackslashEscapes())
			}
			return nil, nil, fmt.Errorf("lookup.Create: the lookup row of %s for vindex %s was deleted earlier in this transaction, "+
				"and its lock is held until COMMIT: the value cannot be written for another keyspace id before then", v, c.name)
		default:
			post = append(post, i)
		}
	}
	return pre, post, nil
}

// insert writes the lookup rows at kept in one statement in the session of
// order; on a duplicate-key error it examines them as Create says.
func (c consistentBase) insert(ctx context.Context, q Querier, order CommitOrder, rows [][]Value, ksids []KeyspaceID, tos []Value, kept []int, ignoreMode bool, h held) error {
	if len(kept) == 0 {
		return nil
	}
	res, err := q.Execute(ctx, c.insertSQL(rows, tos, kept, ignoreMode, q.NoBackslashEscapes()), order)
	if err == nil {
		// IGNORE may have skipped rows whose value another row holds: in Pre
		// those are not Pre's; in Post either way the value is there.
		if !ignoreMode || order == CommitPost || res != nil && res.RowsAffected == uint64(len(kept)) {
			for _, i := range kept {
				h[string(ksids[i])] = rowKey(rows[i])
				c.noteRow(q, rows[i], TxnRow{Session: order, KeyspaceID: ksids[i]})
			}
		}
		return nil
	}
	origErr := fmt.Errorf("lookup.Create: %w", err)
	if strings.Contains(err.Error(), partialDMLRollback) || ErrorNumber(err) != erDupEntry {
		return origErr
	}
	if c.unique {
		seen := make(map[string]bool, len(kept))
		for _, i := range kept {
			k := rowKey(rows[i])
			if seen[k] {
				return origErr
			}
			seen[k] = true
		}
	}
	for _, i := range kept {
		from, err := c.handleDup(ctx, q, order, rows[i], ksids[i], tos[i], h, origErr)
		if err != nil {
			return err
		}
		h[string(ksids[i])] = from
	}
	return nil
}

// erDupEntry is MySQL's ER_DUP_ENTRY.
const erDupEntry = 1062

// handleDup resolves one row of a failed insert (Vitess's handleDup), in the
// session that inserted it (Pre, or Post: see TxnRows):
//
//  1. Pre: select to from t where from = v for update
//  2. no row (it vanished): Pre: insert the row alone
//  3. one row with keyspace id E: the row an earlier row of the statement
//     holds its value in (held) → the statement repeats the value: the
//     original duplicate error. Else, is there an owner row holding v on
//     the shard of E?
//     (Normal session, lock in share mode)
//     yes → the value is taken: the original duplicate error
//     no  → orphan: done if E is the new keyspace id, else take it over:
//     Pre: update t set to = <new> where from = v
//     (Post takes no row over: should it fail to commit, the row would
//     point back to E, away from the new owner row; the original error)
//
// It returns the from values of the lookup row that holds the value now, as
// stored (see held).
func (c consistentBase) handleDup(ctx context.Context, q Querier, order CommitOrder, row []Value, ksid KeyspaceID, to Value, h held, origErr error) (string, error) {
	var where []byte
	where = c.appendWhereRow(where, c.qFrom, row, q.NoBackslashEscapes())
	lock := where
	if !c.unique {
		// The key is the value with its keyspace id: the lookup row this
		// owner row needs, which other owner rows of that keyspace id share.
		lock = AppendLiteral(append(append(append(lock, " and "...), c.qTo...), " = "...), to, q.NoBackslashEscapes())
	}

	res, err := q.Execute(ctx, "select "+c.qTo+", "+strings.Join(c.qFrom, ", ")+" from "+c.qTable+" where "+string(lock)+" for update", order)
	if err != nil {
		return "", fmt.Errorf("lookup.Create: %w", err)
	}
	switch {
	case len(res.Rows) == 0:
		if _, err := q.Execute(ctx, c.insertSQL([][]Value{row}, []Value{to}, []int{0}, false, q.NoBackslashEscapes()), order); err != nil {
			return "", fmt.Errorf("lookup.Create: %w", err)
		}
		c.noteRow(q, row, TxnRow{Session: order, KeyspaceID: ksid})
		return rowKey(row), nil
	case !c.unique:
		// There already: an owner row of the keyspace id with the value
		// (whose own key says whether this one may be written) or an
		// orphan, which is this row's now.
		return rowKey(row), nil
	case len(res.Rows) == 1:
	default:
		return "", fmt.Errorf("unexpected rows: %v from consistent lookup vindex", res.Rows)
	}
	if len(res.Rows[0]) != 1+len(c.qFrom) {
		return "", fmt.Errorf("lookup.Create: lookup query returned %d columns", len(res.Rows[0]))
	}
	existing, _ := c.ksidOf(res.Rows[0][0])
	from := rowKey(res.Rows[0][1:])
	if f, ok := h[string(existing)]; ok && f == from {
		return "", origErr
	}
	if c.ownerTable == "" {
		return "", fmt.Errorf("lookup.Create: consistent lookup vindex %s has no owner table", c.name)
	}
	var owner []byte
	owner = append(owner, "select "...)
	owner = append(owner, QuoteIdent(c.ownerColumns[0])...)
	owner = append(owner, " from "...)
	owner = append(owner, QuoteIdent(c.ownerTable)...)
	owner = append(owner, " where "...)
	ownerCols := make([]string, len(c.ownerColumns))
	for i, col := range c.ownerColumns {
		ownerCols[i] = QuoteIdent(col)
	}
	owner = c.appendWhereRow(owner, ownerCols, row, q.NoBackslashEscapes())
	owner = append(owner, " lock in share mode"...)
	ores, err := q.ExecuteKeyspaceID(ctx, c.ownerKeyspace, existing, string(owner), CommitNormal)
	if err != nil {
		return "", fmt.Errorf("lookup.Create: %w", err)
	}
	if len(ores.Rows) > 0 {
		return "", origErr
	}
	if bytes.Equal(existing, ksid) {
		return from, nil
	}
	if order == CommitPost {
		return "", origErr
	}
	var upd []byte
	upd = append(upd, "update "...)
	upd = append(upd, c.qTable...)
	upd = append(upd, " set "...)
	upd = append(upd, c.qTo...)
	upd = append(upd, " = "...)
	upd = AppendLiteral(upd, to, q.NoBackslashEscapes())
	upd = append(upd, " where "...)
	upd = append(upd, where...)
	if _, err := q.Execute(ctx, string(upd), CommitPre); err != nil {
		return "", fmt.Errorf("lookup.Create: %w", err)
	}
	c.noteRow(q, row, TxnRow{Session: CommitPre, KeyspaceID: ksid})
	return from, nil
}

// noteRow tells q, if it keeps TxnRows, what its transaction did to the
// lookup row of row.
func (c consistentBase) noteRow(q Querier, row []Value, r TxnRow) {
	if t, ok := q.(TxnRows); ok {
		t.NoteTxnRow(c.txnKey(row, r.KeyspaceID), r)
	}
}

// Delete removes the lookup rows in the Post session, so they disappear
// only after the owner rows' deletion has committed; rows the transaction's
// own Pre session wrote are removed there (see TxnRows).
func (c consistentBase) Delete(ctx context.Context, q Querier, rows [][]Value, ksids []KeyspaceID) error {
	t, ok := q.(TxnRows)
	if !ok {
		return c.delete(ctx, q, rows, ksids, CommitPost)
	}
	var preRows, postRows [][]Value
	var preKsids, postKsids []KeyspaceID
	for i, row := range rows {
		if r, ok := t.TxnRow(c.txnKey(row, ksids[i])); ok && r.Session == CommitPre {
			preRows, preKsids = append(preRows, row), append(preKsids, ksids[i])
		} else {
			postRows, postKsids = append(postRows, row), append(postKsids, ksids[i])
		}
	}
	del := c.delete
	if t.LocksOutlastStatement() && len(rows) <= maxDeleteEach {
		del = c.deleteEach
	}
	if err := del(ctx, q, preRows, preKsids, CommitPre); err != nil {
		return err
	}
	if err := del(ctx, q, postRows, postKsids, CommitPost); err != nil {
		return err
	}
	for i, row := range postRows {
		c.noteRow(q, row, TxnRow{Session: CommitPost, Deleted: true, KeyspaceID: postKsids[i]})
	}
	return nil
}

// maxDeleteEach is how many lookup rows deleteEach deletes one at a time at
// most: past them the round trips cost more than the wait they would spare
// is likely to (a bulk delete in a transaction: helper-61 measured 3000 rows
// at 25 times the time of one DELETE), and one DELETE per shard goes.
const maxDeleteEach = 64

// deleteEach is delete of one row at a time, for sessions that keep their
// locks until the transaction ends: one DELETE of several rows locks the
// gaps between them (a scan of a small table: every gap), where a later
// statement's Pre inserts would wait on the transaction's own Post session
// (helper-60: an INSERT after a DELETE of several rows waited, 1205). A
// point delete by the lookup table's key locks the row alone.
func (c consistentBase) deleteEach(ctx context.Context, q Querier, rows [][]Value, ksids []KeyspaceID, order CommitOrder) error {
	for i := range rows {
		if err := c.delete(ctx, q, rows[i:i+1], ksids[i:i+1], order); err != nil {
			return err
		}
	}
	return nil
}

// Update is, row by row, Delete (Post) of the old values and Create (Pre,
// with the duplicate protocol) of the new ones, nothing for rows whose values
// stay. Row by row: one DELETE of several rows would lock the gaps between
// them, where Pre's inserts then wait on the statement's own Post session
// (see deleteEach).
func (c consistentBase) Update(ctx context.Context, q Querier, oldValues [][]Value, ksids []KeyspaceID, newValues [][]Value) error {
	h := held{}
	for i := range oldValues {
		if rowKey(oldValues[i]) == rowKey(newValues[i]) && !hasNull(oldValues[i]) {
			continue
		}
		if err := c.Delete(ctx, q, oldValues[i:i+1], ksids[i:i+1]); err != nil {
			return err
		}
		if err := c.create(ctx, q, newValues[i:i+1], ksids[i:i+1], false, h); err != nil {
			return err
		}
	}
	return nil
}

var (
	_ Lookup         = (*ConsistentLookup)(nil)
	_ Lookup         = (*ConsistentLookupUnique)(nil)
	_ WantsOwnerInfo = (*ConsistentLookup)(nil)
	_ WantsOwnerInfo = (*ConsistentLookupUnique)(nil)
)
