package sidecar

import (
	"fmt"
	"sort"
	"strings"

	"sidecar/conf"
)

// commit ends the session's transaction on every shard that joined it. It is
// best effort across shards, like Vitess's MULTI mode: a failure part-way is
// reported naming the shards that committed and those that did not.
func (s *session) commit() error {
	if !s.inTxn {
		return nil
	}
	s.inTxn = false
	var committed, failed []string
	var first *SQLError
	for _, sh := range s.heldShards() {
		bc := s.conns[sh]
		if _, err := bc.exec("COMMIT"); err != nil {
			failed = append(failed, sh.Keyspace+"/"+sh.Name)
			if first == nil {
				first = toSQLError(err)
			}
			continue
		}
		committed = append(committed, sh.Keyspace+"/"+sh.Name)
	}
	s.releaseHeld()
	if first == nil {
		return nil
	}
	if len(committed) == 0 {
		return first
	}
	return &SQLError{Num: first.Num, State: first.State, Message: fmt.Sprintf(
		"commit failed part-way: committed on %s, not on %s: %s", strings.Join(committed, ", "), strings.Join(failed, ", "), first.Message)}
}

// rollback undoes the transaction on every shard that joined it.
func (s *session) rollback() {
	if !s.inTxn {
		return
	}
	s.inTxn = false
	for _, sh := range s.heldShards() {
		if _, err := s.conns[sh].exec("ROLLBACK"); err != nil {
			s.log.Warn().Err(err).Str("shard", sh.Keyspace+"/"+sh.Name).Msg("rollback")
		}
	}
	s.releaseHeld()
}

// heldShards lists the held connections' shards in a stable order.
func (s *session) heldShards() []*conf.Shard {
	shards := make([]*conf.Shard, 0, len(s.conns))
	for sh := range s.conns {
		shards = append(shards, sh)
	}
	sort.Slice(shards, func(i, j int) bool {
		if shards[i].Keyspace != shards[j].Keyspace {
			return shards[i].Keyspace < shards[j].Keyspace
		}
		return shards[i].Name < shards[j].Name
	})
	return shards
}

// releaseHeld returns held connections to their pools unless the session
// keeps state on them.
func (s *session) releaseHeld() {
	if s.sticky {
		return
	}
	for sh, bc := range s.conns {
		delete(s.conns, sh)
		bc.pool.put(bc)
	}
}

// reset brings the session back to a fresh login (COM_RESET_CONNECTION):
// transaction rolled back, variables, prepared statements and temporary state
// dropped, backend connections released clean.
func (s *session) reset() {
	s.rollback()
	s.sticky = false
	s.sets = nil
	for sh, bc := range s.conns {
		delete(s.conns, sh)
		bc.stateful = true // make the pool reset it
		bc.pool.put(bc)
	}
	if s.warnConn != nil {
		s.warnConn.pool.put(s.warnConn)
		s.warnConn = nil
	}
	clear(s.stmts)
	s.autocommit = true
	s.lastInsertID = 0
	s.names = s.initialNames
}

// close ends the session: an open transaction is rolled back.
func (s *session) close() {
	s.reset()
	s.srv.endSession(s)
}
