package sidecar

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"sidecar/backend"
	"sidecar/conf"
	"sidecar/engine"
	"sidecar/sqlerr"
	"sidecar/vindex"
)

// stmtSavepoint marks where a multi-part statement started inside a client
// transaction, so its partial writes can be undone alone.
const stmtSavepoint = "SAVEPOINT _sidecar_stmt"

// stmtScope is one client statement that may write in several places: lookup
// rows, several shards. Outside a client transaction it runs in its own
// transaction (implicit) committed at its end; inside one, the connections it
// writes on get a savepoint first.
type stmtScope struct {
	implicit    bool
	dml         bool
	savepointed map[*backend.Conn]bool
	keyspace    string // nested statements (lookups) resolve tables here
	wrote       bool   // some write of the statement succeeded

	// ownShard is the one shard all rows of an INSERT go to, in its own
	// (implicit) transaction. Lookup rows that also live on it are written
	// in that transaction instead of a pre-transaction: they then commit
	// atomically with their owner rows, which is all the pre-transaction's
	// ordering (lookup rows committed no later than owner rows) is for, and
	// the statement costs one transaction on that shard instead of two.
	// Lookup rows on other shards keep their pre-transactions, and so does
	// every statement of a client transaction: a later statement of it may
	// write the same value through the pre-transaction, which would then
	// wait on a lock of its own transaction's other connection.
	ownShard   *conf.Shard
	rowsMapped bool // ownShard was decided (by the client's INSERT, not a nested one)
	lookupMark int  // the session's lookupRows.mark() when the statement began
}

// beginStatement opens a statement scope.
func (s *session) beginStatement(keyspace string, dml bool) {
	s.stmt = &stmtScope{implicit: !s.inTxn, dml: dml, savepointed: map[*backend.Conn]bool{}, keyspace: keyspace, lookupMark: s.lookupRows.mark()}
}

// endStatement closes the scope: on success an implicit transaction commits;
// on failure everything the statement wrote is undone, with Vitess's prefixes
// so the client can tell a partial statement was reverted.
func (s *session) endStatement(err error, wrote bool) error {
	st := s.stmt
	s.stmt = nil
	if st == nil {
		return err
	}
	if err == nil {
		if st.implicit {
			return s.commitHeld()
		}
		return nil
	}
	if errors.Is(err, engine.ErrRetry) {
		if s.undoStatement(st) {
			return err
		}
		return sqlerr.New(1105, "HY000", "transaction rolled back: a statement that had to run again could not be undone alone")
	}
	se := sqlerr.From(err)
	switch {
	case !s.undoStatement(st):
		return sqlerr.New(se.Num, se.State, "transaction rolled back to reverse changes of partial DML execution: %s", se.Message)
	case se.Num == erDeadlock:
		return se // the whole transaction is rolled back next (deadlocked), as MySQL's message says
	case wrote && st.implicit:
		return sqlerr.New(se.Num, se.State, "transaction rolled back to reverse changes of partial DML execution: %s", se.Message)
	case wrote:
		return sqlerr.New(se.Num, se.State, "reverted partial DML execution failure: %s", se.Message)
	}
	return se
}

// undoStatement undoes what the statement of scope st wrote: its implicit
// transaction, or back to its savepoint. It reports false when the client's
// transaction had to be rolled back whole instead.
func (s *session) undoStatement(st *stmtScope) bool {
	if st.implicit {
		s.rollbackHeld()
		return true
	}
	s.lookupRows.undoAfter(st.lookupMark) // what the statement did to lookup rows is undone (see txnRows)
	s.pendingCache = nil                  // some may have been read from rows now undone
	for bc := range st.savepointed {
		if _, err := bc.Exec("ROLLBACK TO SAVEPOINT _sidecar_stmt"); err != nil {
			// The partial writes cannot be undone alone: undo the transaction.
			s.endTxn()
			s.rollbackHeld()
			return false
		}
	}
	return true
}

// commit ends the client's transaction on every shard that joined it.
func (s *session) commit() error {
	if !s.inTxn {
		s.savepoints = nil // of a transaction with autocommit off that no statement began
		return nil
	}
	s.endTxn()
	return s.commitHeld()
}

// commitHeld commits the held connections in Vitess's order: pre (lookup rows
// created), then normal, then post (lookup rows deleted). A failed pre commit
// rolls back the rest. Normal commits run at once, one per shard, and are
// best effort across shards, like Vitess's MULTI mode: a failure part-way
// names the shards that committed and those that did not, and rolls back the
// post transaction (its lookup rows stay: orphans, which later inserts take
// over, never owners without their lookup rows). A post failure only leaves
// orphans too, so it is logged.
func (s *session) commitHeld() error {
	var pre, normal, post []*backend.Conn
	for _, key := range s.heldKeys() {
		bc := s.conns[key]
		if !bc.InTxn {
			continue // kept for session state, not in the transaction
		}
		bc.InTxn = false
		s.stats.ranOn(bc.Pool)
		switch key.order {
		case vindex.CommitPre:
			pre = append(pre, bc)
		case vindex.CommitNormal:
			normal = append(normal, bc)
		default:
			post = append(post, bc)
		}
	}
	defer s.releaseHeld()
	rollbackAll := func(conns ...[]*backend.Conn) {
		for _, list := range conns {
			for _, bc := range list {
				_, _ = bc.Exec("ROLLBACK")
			}
		}
	}
	for i, bc := range pre {
		if _, err := bc.Exec("COMMIT"); err != nil {
			rollbackAll(pre[i+1:], normal, post)
			s.pendingCache = nil
			return sqlerr.From(err)
		}
	}
	errs := commitAll(normal)
	var committed, failed []string
	var first *sqlerr.Error
	for i, err := range errs {
		if err == nil {
			committed = append(committed, normal[i].String())
			continue
		}
		failed = append(failed, normal[i].String())
		if first == nil {
			first = sqlerr.From(err)
		}
	}
	if first != nil {
		rollbackAll(post)
		s.pendingCache = nil
		if len(committed) == 0 {
			return first
		}
		return &sqlerr.Error{Num: first.Num, State: first.State, Message: fmt.Sprintf(
			"commit failed part-way: committed on %s, not on %s: %s", strings.Join(committed, ", "), strings.Join(failed, ", "), first.Message)}
	}
	for _, bc := range post {
		if _, err := bc.Exec("COMMIT"); err != nil {
			s.log.Warn().Err(err).Str("shard", bc.String()).Msg("post-operation transaction had an error")
		}
	}
	s.flushPendingCache()
	return nil
}

// commitAll commits on every connection at once: a transaction across n
// shards waits for the slowest commit, not for the sum of them.
func commitAll(conns []*backend.Conn) []error {
	errs := make([]error, len(conns))
	if len(conns) == 1 {
		_, errs[0] = conns[0].Exec("COMMIT")
		return errs
	}
	var wg sync.WaitGroup
	for i, bc := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = bc.Exec("COMMIT")
		}()
	}
	wg.Wait()
	return errs
}

// endTxn marks the client's transaction over, and with it its savepoints and
// the characteristics a SET TRANSACTION gave it.
func (s *session) endTxn() {
	s.inTxn, s.savepoints, s.nextTxn = false, nil, nil
}

// rollback undoes the client's transaction on every shard that joined it.
func (s *session) rollback() {
	if !s.inTxn {
		s.savepoints = nil // see commit
		return
	}
	s.endTxn()
	s.rollbackHeld()
}

func (s *session) rollbackHeld() {
	s.pendingCache = nil
	for _, key := range s.heldKeys() {
		bc := s.conns[key]
		if !bc.InTxn {
			continue
		}
		bc.InTxn = false
		s.stats.ranOn(bc.Pool)
		if _, err := bc.Exec("ROLLBACK"); err != nil {
			s.log.Warn().Err(err).Str("shard", key.shard.String()).Msg("rollback")
		}
	}
	s.releaseHeld()
}

// flushPendingCache caches lookup results read inside a transaction that
// has now committed.
func (s *session) flushPendingCache() {
	if s.inTxn {
		return // a statement scope inside a client transaction: wait for COMMIT
	}
	for _, e := range s.pendingCache {
		s.srv.cache.Add(e.name, e.id, e.ksid)
	}
	s.pendingCache = nil
}

// heldKeys lists held connections in commit order: pre, normal, post, then
// by keyspace and shard.
func (s *session) heldKeys() []connKey {
	keys := make([]connKey, 0, len(s.conns))
	for k := range s.conns {
		keys = append(keys, k)
	}
	rank := func(o vindex.CommitOrder) int {
		switch o {
		case vindex.CommitPre:
			return 0
		case vindex.CommitNormal:
			return 1
		}
		return 2
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if rank(a.order) != rank(b.order) {
			return rank(a.order) < rank(b.order)
		}
		if a.shard.keyspace != b.shard.keyspace {
			return a.shard.keyspace < b.shard.keyspace
		}
		return a.shard.shard < b.shard.shard
	})
	return keys
}

// releaseHeld returns held connections to their pools unless the session
// keeps state on them (then only the pre/post ones go back).
func (s *session) releaseHeld() {
	s.lookupRows, s.lookupRowMarks = txnRows{}, nil // the transaction ended
	for key, bc := range s.conns {
		if s.sticky && key.order == vindex.CommitNormal {
			continue
		}
		delete(s.conns, key)
		s.putBack(bc)
	}
}

// reset brings the session back to a fresh login (COM_RESET_CONNECTION):
// transaction rolled back, variables, prepared statements and temporary state
// dropped, backend connections released clean.
func (s *session) reset() {
	s.rollback()
	s.sticky = false
	d := s.srv.defaults.Load()
	s.sets, s.mode, s.modeText, s.selectLimit, s.setCharset = nil, d.mode, d.text, "", ""
	s.nextTxn = nil
	for key, bc := range s.conns {
		delete(s.conns, key)
		bc.Stateful = true // make the pool reset it
		s.putBack(bc)
	}
	if s.warnConn != nil {
		s.putBack(s.warnConn)
		s.warnConn = nil
	}
	clear(s.stmts)
	s.lastStmt = 0
	s.autocommit = true
	s.lastInsertID, s.rowsFound, s.rowCount = 0, 0, 0
	s.warnings, s.warningCount, s.tablesLocked, s.lockedTables, s.lockedKeyspace = nil, 0, false, nil, ""
	s.waitTimeout = s.srv.config().WaitTimeout
	s.useNames(s.initialNames)
}

// close ends the session: an open transaction is rolled back.
func (s *session) close() {
	s.reset()
	s.srv.endSession(s)
}
