package maintain

import (
	"context"
	"fmt"

	"sidecar/conf"
	"sidecar/vindex"
)

// primaryKey reads the primary key columns of table on c's shard, in index
// order: the order batches are scanned in and the identity rows are locked
// and changed by.
func primaryKey(ctx context.Context, c *conn, table string) ([]string, error) {
	q := c.lit([]byte("SELECT COLUMN_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = "), vindex.NewVarChar(table))
	q = append(q, " AND INDEX_NAME = 'PRIMARY' ORDER BY SEQ_IN_INDEX"...)
	rows, err := c.query(ctx, string(q))
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("shard %s: table %s does not exist or has no primary key (batches are taken in primary-key order)", c, table)
	}
	pk := make([]string, len(rows))
	for i, r := range rows {
		pk[i] = string(r[0].Raw)
	}
	return pk, nil
}

// estimateRows is the server's estimate of table's row count on c's shard,
// for the progress bar only.
func estimateRows(ctx context.Context, c *conn, table string) int64 {
	q := c.lit([]byte("SELECT TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = "), vindex.NewVarChar(table))
	rows, err := c.query(ctx, string(q))
	if err != nil || len(rows) != 1 {
		return 0
	}
	var n int64
	fmt.Sscan(string(rows[0][0].Raw), &n)
	return n
}

// selectMatching reads the rows of table whose match columns hold each of
// tuples, in one statement, and returns per tuple the extra columns of its
// rows. suffix is "" or a locking clause.
//
// Rows come back with the table's own text and are matched to the tuples by
// it. Under a case-insensitive or PAD SPACE collation, or a type conversion,
// a row can equal a tuple without the same text; if any row cannot be
// matched, the tuples are read again one statement each (as the vindex
// package's lookups do). Tuples with a NULL match nothing.
func selectMatching(ctx context.Context, c *conn, table string, match, extra []string, tuples [][]vindex.Value, suffix string) ([][][]vindex.Value, error) {
	out := make([][][]vindex.Value, len(tuples))
	byKey := map[string][]int{}
	var distinct [][]vindex.Value
	for i, t := range tuples {
		if hasNull(t) {
			continue
		}
		k := tupleKey(t)
		if _, seen := byKey[k]; !seen {
			distinct = append(distinct, t)
		}
		byKey[k] = append(byKey[k], i)
	}
	if len(distinct) == 0 {
		return out, nil
	}
	head := append([]byte("SELECT "), appendColumns(nil, match)...)
	head = append(head, ", "...)
	head = appendColumns(head, extra)
	head = append(head, " FROM "...)
	head = append(head, vindex.QuoteIdent(table)...)
	head = append(head, " WHERE "...)

	q := appendAnyRow(append([]byte{}, head...), match, distinct, c.lit)
	rows, err := c.query(ctx, string(q)+suffix)
	if err != nil {
		return nil, err
	}
	unmatched := false
	for _, r := range rows {
		idx, ok := byKey[tupleKey(r[:len(match)])]
		if !ok {
			unmatched = true
			continue
		}
		for _, i := range idx {
			out[i] = append(out[i], r[len(match):])
		}
	}
	if !unmatched {
		return out, nil
	}
	clear(out)
	for _, t := range distinct {
		q := appendRowEq(append([]byte{}, head...), match, t, c.lit)
		rows, err := c.query(ctx, string(q)+suffix)
		if err != nil {
			return nil, err
		}
		var got [][]vindex.Value
		for _, r := range rows {
			got = append(got, r[len(match):])
		}
		for _, i := range byKey[tupleKey(t)] {
			out[i] = got
		}
	}
	return out, nil
}

// scanner reads a table of one shard in primary-key order, a batch at a time,
// without locks. Each batch starts after the last key of the one before
// (keyset pagination), so rows inserted or deleted meanwhile never make it
// skip or repeat a row that stays, and no batch costs more than its rows.
type scanner struct {
	conns *connSet
	run   *run
	shard *conf.Shard
	table string
	pk    []string
	cols  *columns
	batch int
	after []vindex.Value
	done  bool
}

// next returns the next batch (nil at the end). A lost connection is
// redialed and the batch read again.
func (s *scanner) next(ctx context.Context) ([][]vindex.Value, error) {
	if s.done {
		return nil, nil
	}
	var rows [][]vindex.Value
	err := s.run.retry(ctx, func() error {
		c, err := s.conns.get(ctx, s.shard)
		if err != nil {
			return err
		}
		rows, err = c.query(ctx, scanSQL(s.table, s.cols.names, s.pk, s.after, s.batch, c.lit))
		return err
	}, s.conns)
	if err != nil {
		return nil, err
	}
	if len(rows) < s.batch {
		s.done = true
	}
	if len(rows) > 0 {
		s.after = s.cols.of(rows[len(rows)-1], s.pk)
	}
	return rows, nil
}
