package sidecar

import (
	"context"
	"strconv"
	"sync"

	"sidecar/backend"
	"sidecar/conf"
	"sidecar/metrics"
	"sidecar/sqlerr"
	"sidecar/vindex"
)

// sequences hands out values of sequence tables (`comment 'vitess_sequence'`)
// the way vttablet does: blocks of `cache` values are reserved in the table
// itself (select … for update + update, in their own transaction), so any
// number of sidecar processes share a sequence without handing out a value
// twice, and a restarted sidecar never reuses one (unused values of a block
// are lost: gaps, as in Vitess). Sequences are known by keyspace and table
// name, so a block reserved before a reload or a VSchema change is used up
// after it.
type sequences struct {
	srv *Server
	mu  sync.Mutex
	m   map[string]*sequenceState
}

type sequenceState struct {
	mu         sync.Mutex
	next, last int64 // [next, last) is reserved and unused
	cache      int64 // the table's block size, read with the first block
}

func (q *sequences) state(t *conf.Table) *sequenceState {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.m == nil {
		q.m = map[string]*sequenceState{}
	}
	name := t.String()
	st := q.m[name]
	if st == nil {
		st = &sequenceState{}
		q.m[name] = st
	}
	return st
}

// next reserves n consecutive values and returns the first. The sequence's
// lock is held while a block is reserved: concurrent statements needing the
// same sequence wait for that one round trip instead of racing for blocks.
func (q *sequences) next(ctx context.Context, t *conf.Table, n int64) (int64, error) {
	if n < 1 {
		return 0, sqlerr.New(1105, "HY000", "invalid increment for sequence %s: %d", t.Name, n)
	}
	st := q.state(t)
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.next == 0 || st.next+n > st.last {
		if err := q.reserve(t, st, n); err != nil {
			return 0, err
		}
	}
	v := st.next
	st.next += n
	return v, nil
}

// past makes the sequence hand out no value up to v, which an INSERT gave
// the column itself: as MySQL's AUTO_INCREMENT moves past an inserted
// value, so the rows a client inserts with their ids (a restored dump, an
// import) are not handed out again, to collide or be overwritten by an
// upsert. Values of the reserved block up to v are skipped; past the
// block, next_id is moved in the table (in its own statement, as a block is
// reserved) and the block given up. Values another process reserved before
// stay its own (as in Vitess, whose sequences never move).
func (q *sequences) past(t *conf.Table, v int64) error {
	st := q.state(t)
	st.mu.Lock()
	defer st.mu.Unlock()
	if v < st.next {
		return nil
	}
	if v < st.last {
		st.next = v + 1
		return nil
	}
	bc, err := q.conn(t)
	if err != nil {
		return err
	}
	defer bc.Pool.Put(bc)
	next := strconv.FormatInt(v+1, 10)
	if _, err := bc.Exec("update " + vindex.QuoteIdent(t.Name) + " set next_id = greatest(next_id, " + next + ") where id = 0"); err != nil {
		return err
	}
	st.next = st.last // the block is given up: the next value comes from the table
	return nil
}

// conn is a pooled connection to the sequence table's shard, for a statement
// of its own (autocommit): the client's transaction never holds a sequence.
func (q *sequences) conn(t *conf.Table) (*backend.Conn, error) {
	p, err := q.srv.pool(t.Keyspace.Shards[0])
	if err != nil {
		return nil, err
	}
	return p.Get(false)
}

func (q *sequences) reserve(t *conf.Table, st *sequenceState, n int64) error {
	bc, err := q.conn(t)
	if err != nil {
		return err
	}
	defer bc.Pool.Put(bc)
	name := vindex.QuoteIdent(t.Name)
	if st.cache > 0 {
		return reserveBlock(bc, t, st, n)
	}
	if _, err := bc.Exec("BEGIN"); err != nil {
		return err
	}
	res, err := bc.Exec("select next_id, cache from " + name + " where id = 0 for update")
	if err != nil {
		_, _ = bc.Exec("ROLLBACK")
		return err
	}
	if len(res.Rows) != 1 {
		_, _ = bc.Exec("ROLLBACK")
		return sqlerr.New(1105, "HY000", "unexpected rows from reading sequence %s (possible mis-route): %d", t.Name, len(res.Rows))
	}
	nextID, err1 := strconv.ParseInt(string(res.Rows[0][0]), 10, 64)
	cache, err2 := strconv.ParseInt(string(res.Rows[0][1]), 10, 64)
	if err1 != nil || err2 != nil || cache < 1 {
		_, _ = bc.Exec("ROLLBACK")
		return sqlerr.New(1105, "HY000", "invalid cache value for sequence %s: %s", t.Name, res.Rows[0][1])
	}
	// Another process may have reserved blocks since ours: start at the
	// table's next_id, leaving what remains of our block unused.
	if nextID > st.last || st.next == 0 {
		st.next, st.last = nextID, nextID
	}
	newLast := nextID + cache
	for newLast < st.next+n {
		newLast += cache
	}
	if _, err := bc.Exec("update " + name + " set next_id = " + strconv.FormatInt(newLast, 10) + " where id = 0"); err != nil {
		_, _ = bc.Exec("ROLLBACK")
		return err
	}
	if _, err := bc.Exec("COMMIT"); err != nil {
		return err
	}
	metrics.SequenceReserved(t.Keyspace.Name, t.Name, newLast-nextID)
	st.last, st.cache = newLast, cache
	return nil
}

// reserveBlock reserves the blocks n values need in one autocommit
// statement, once the block size is known: the UPDATE's row lock orders
// concurrent sidecars as SELECT … FOR UPDATE did, and LAST_INSERT_ID(expr)
// hands the next_id it found back in the OK packet. One round trip instead
// of four.
func reserveBlock(bc *backend.Conn, t *conf.Table, st *sequenceState, n int64) error {
	size := st.cache * ((n + st.cache - 1) / st.cache)
	res, err := bc.Exec("update " + vindex.QuoteIdent(t.Name) + " set next_id = last_insert_id(next_id) + " +
		strconv.FormatInt(size, 10) + " where id = 0")
	if err != nil {
		return err
	}
	if res.OK.AffectedRows != 1 || res.OK.InsertID == 0 || res.OK.InsertID > 1<<62 {
		return sqlerr.New(1105, "HY000", "unexpected result from reserving values of sequence %s (possible mis-route): %d rows, next_id %d",
			t.Name, res.OK.AffectedRows, res.OK.InsertID)
	}
	found := int64(res.OK.InsertID)
	if found != st.last {
		// Another process reserved blocks since ours: what remains of
		// ours stays unused (a gap, as in Vitess).
		st.next = found
	}
	st.last = found + size
	metrics.SequenceReserved(t.Keyspace.Name, t.Name, size)
	return nil
}
