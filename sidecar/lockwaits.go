package sidecar

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strconv"
	"time"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"

	"sidecar/backend"
	"sidecar/conf"
	"sidecar/metrics"
	"sidecar/sqlerr"
)

// Lock waits no shard sees the end of. Each shard finds the deadlocks among
// its own connections at once, as one MySQL server does; but a cycle through
// two shards (session A waits on one shard for B, B on the other for A), or a
// wait of one client transaction for another of its own connections (a
// consistent lookup's pre- or post-session, see vindex.TxnRows), is a plain
// lock wait on each shard and lasts innodb_lock_wait_timeout (50 s by
// default). While a statement has run for lockWaitCheck, the watcher reads
// the lock waits of the servers the sessions use, finds whose connections
// wait for whose, and breaks now what would wait to the timeout:
//
//   - a cycle across sessions, with the error one server gives a deadlock
//     (1213; the victim's transaction is rolled back, see session.deadlocked),
//     the victim being the session whose statement began last;
//   - a wait for the session's own transaction, with the error the timeout
//     would give it (1205; the statement is undone, the transaction stays).
const lockWaitCheck = time.Second

// lockWaitRead bounds the read of a server's lock waits.
const lockWaitRead = 5 * time.Second

var (
	errDeadlock        = sqlerr.New(erDeadlock, "40001", "Deadlock found when trying to get lock; try restarting transaction")
	errLockWaitTimeout = sqlerr.New(1205, "HY000", "Lock wait timeout exceeded; try restarting transaction")
)

// watchLockWaits runs the watcher until Shutdown.
func (s *Server) watchLockWaits() {
	t := time.NewTicker(lockWaitCheck / 2)
	defer t.Stop()
	unreadable := map[string]bool{} // servers whose lock waits could not be read, warned of once
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.breakLockWaits(context.Background(), unreadable)
		}
	}
}

// connAt names a backend connection: its server's address and its
// connection id there.
type connAt struct {
	addr string
	id   uint32
}

// lockWait is a backend connection of session from waiting for a lock that
// a connection of session to holds, in statement query (MariaDB's query id;
// 0 where the server has none).
type lockWait struct {
	conn     *backend.Conn
	command  uint64 // the connection's Command before the waits were read
	from, to uint32
	query    uint64
}

// serverWait is a wait as a server lists it: connection waiter waits for a
// lock of connection holder, in statement query (see lockWait).
type serverWait struct {
	waiter, holder uint32
	query          uint64
}

// breakLockWaits reads the lock waits of the servers where statements have
// run for lockWaitCheck and breaks those no shard can end.
func (s *Server) breakLockWaits(ctx context.Context, unreadable map[string]bool) {
	now := time.Now()
	s.mu.Lock()
	sessions := slices.Collect(maps.Values(s.sessions))
	s.mu.Unlock()
	began := make(map[uint32]time.Time, len(sessions))
	long := map[uint32]bool{} // sessions whose statement has run for lockWaitCheck
	for _, sess := range sessions {
		a := &sess.activity
		a.mu.Lock()
		began[sess.id] = a.since
		if a.command != "Sleep" && a.command != "" && now.Sub(a.since) >= lockWaitCheck {
			long[sess.id] = true
		}
		a.mu.Unlock()
	}
	if len(long) == 0 {
		return
	}
	owners := map[connAt]*session{}
	conns := map[connAt]*backend.Conn{}
	commands := map[connAt]uint64{}
	servers := map[string]*conf.Shard{} // the servers of the long statements' sessions
	for _, sess := range sessions {
		for _, bc := range sess.busy.list() {
			sh := bc.Pool.Shard
			at := connAt{sh.Address, bc.ConnectionID()}
			owners[at], conns[at], commands[at] = sess, bc, bc.Command()
			if long[sess.id] {
				servers[sh.Address] = sh
			}
		}
	}
	var waits []lockWait
	for addr, sh := range servers {
		found, err := s.lockWaits(ctx, sh)
		if err != nil {
			if !unreadable[addr] {
				unreadable[addr] = true
				s.log.Warn().Err(err).Str("server", addr).Msg("cannot read the lock waits (the backend user needs the PROCESS privilege): deadlocks across shards last until innodb_lock_wait_timeout")
			}
			continue
		}
		delete(unreadable, addr)
		for _, sw := range found {
			w, h := connAt{addr, sw.waiter}, connAt{addr, sw.holder}
			if from, to := owners[w], owners[h]; from != nil && to != nil {
				waits = append(waits, lockWait{conns[w], commands[w], from.id, to.id, sw.query})
			}
		}
	}
	own, deadlocked := lockWaitVictims(waits, func(a, b uint32) bool { return began[a].After(began[b]) })
	broken := map[uint32]bool{}
	for _, w := range waits {
		var e *sqlerr.Error
		switch {
		case own[w.from]:
			e = errLockWaitTimeout
		case deadlocked[w.from]:
			e = errDeadlock
		default:
			continue
		}
		if !broken[w.from] {
			broken[w.from] = true
			metrics.LockWaitBroken(e.Num)
			s.log.Info().Uint32("conn", w.from).Uint32("waits_for", w.to).Str("shard", w.conn.String()).Int("error", int(e.Num)).
				Msg("breaking a lock wait no shard can end")
		}
		w.conn.AbortWith(e, w.command)
		kill := "KILL QUERY " + strconv.FormatUint(uint64(w.conn.ConnectionID()), 10)
		if w.query != 0 {
			// MariaDB's: that statement only, should it end before the kill.
			kill = "KILL QUERY ID " + strconv.FormatUint(w.query, 10)
		}
		go s.killOn(w.conn.Pool.Shard, kill)
	}
}

// lockWaitVictims finds, among the sessions of waits, those waiting for
// themselves (own) and one victim per cycle of sessions waiting for each
// other (deadlocked): the newest by newer. A victim's waits end with it.
func lockWaitVictims(waits []lockWait, newer func(a, b uint32) bool) (own, deadlocked map[uint32]bool) {
	own, deadlocked = map[uint32]bool{}, map[uint32]bool{}
	next := map[uint32][]uint32{}
	for _, w := range waits {
		if w.from == w.to {
			own[w.from] = true
		} else if !slices.Contains(next[w.from], w.to) {
			next[w.from] = append(next[w.from], w.to)
		}
	}
	for id := range own {
		delete(next, id)
	}
	for {
		cycle := findCycle(next)
		if cycle == nil {
			return own, deadlocked
		}
		victim := cycle[0]
		for _, id := range cycle[1:] {
			if newer(id, victim) {
				victim = id
			}
		}
		deadlocked[victim] = true
		delete(next, victim)
	}
}

// findCycle returns the nodes of a cycle of the graph next, or nil.
func findCycle(next map[uint32][]uint32) []uint32 {
	const (
		unseen = iota
		onPath
		done
	)
	state := map[uint32]int{}
	var path []uint32
	var visit func(n uint32) []uint32
	visit = func(n uint32) []uint32 {
		state[n] = onPath
		path = append(path, n)
		for _, m := range next[n] {
			switch state[m] {
			case onPath:
				return slices.Clone(path[slices.Index(path, m):])
			case unseen:
				if c := visit(m); c != nil {
					return c
				}
			}
		}
		path = path[:len(path)-1]
		state[n] = done
		return nil
	}
	starts := slices.Sorted(maps.Keys(next)) // the same cycle first on every run
	for _, n := range starts {
		if state[n] == unseen {
			if c := visit(n); c != nil {
				return c
			}
		}
	}
	return nil
}

// lockWaits reads which connections of sh's server wait for a lock of which:
// from information_schema.INNODB_LOCK_WAITS on MariaDB, with the waiting
// statement's query id, and from performance_schema.data_lock_waits on
// MySQL 8, which dropped the former. Both need the PROCESS privilege.
func (s *Server) lockWaits(ctx context.Context, sh *conf.Shard) ([]serverWait, error) {
	c, err := s.adminConn(ctx, sh)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(lockWaitRead)); err != nil {
		return nil, err
	}
	const (
		innodbWaits = "SELECT r.trx_mysql_thread_id, b.trx_mysql_thread_id, p.QUERY_ID FROM information_schema.INNODB_LOCK_WAITS w " +
			"JOIN information_schema.INNODB_TRX r ON r.trx_id = w.requesting_trx_id JOIN information_schema.INNODB_TRX b ON b.trx_id = w.blocking_trx_id " +
			"JOIN information_schema.PROCESSLIST p ON p.ID = r.trx_mysql_thread_id"
		dataLockWaits = "SELECT r.trx_mysql_thread_id, b.trx_mysql_thread_id, 0 FROM performance_schema.data_lock_waits w " +
			"JOIN information_schema.INNODB_TRX r ON r.trx_id = w.REQUESTING_ENGINE_TRANSACTION_ID JOIN information_schema.INNODB_TRX b ON b.trx_id = w.BLOCKING_ENGINE_TRANSACTION_ID"
	)
	res, err := c.Execute(innodbWaits)
	var me *gomysql.MyError
	if errors.As(err, &me) && me.Code == gomysql.ER_UNKNOWN_TABLE {
		res, err = c.Execute(dataLockWaits)
	}
	if err != nil {
		return nil, err
	}
	defer res.Close()
	var waits []serverWait
	for i := range res.Values {
		w, err1 := res.GetUint(i, 0)
		h, err2 := res.GetUint(i, 1)
		q, err3 := res.GetUint(i, 2)
		if err1 == nil && err2 == nil && err3 == nil {
			waits = append(waits, serverWait{uint32(w), uint32(h), q})
		}
	}
	return waits, nil
}
