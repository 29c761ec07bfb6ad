package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Scenario 3, "sequence": two sidecars hand out ids from one sequence while they are restarted.
//
// customer's customer_id is filled from the sequence product.customer_seq (a vitess_sequence table on
// server A with cache 3): a sidecar reserves a block of 3 ids by moving next_id forward in a
// transaction, hands them out, and reserves again. Several sidecars can share the table; a sidecar
// that stops loses what is left of its block (a gap), never gives an id twice.
//
// Two sidecars serve the same keyspaces. -clients clients each insert customers without an id
// (`INSERT INTO customer (email) VALUES (?)`, email a unique token), alternating between the two
// sidecars, and note the id each OK returns (LAST_INSERT_ID). Every -sequence-interval one sidecar
// is restarted, in turn, with SIGTERM (a clean shutdown) or SIGKILL: sidecar 0 SIGTERM, sidecar 1
// SIGKILL, sidecar 0 SIGKILL, sidecar 1 SIGTERM, …, -sequence-restarts times; inserts sent to a sidecar
// while it is down fail and are counted, not retried.
//
// Then, read directly on the servers: no id was handed out twice (not to two acknowledged inserts,
// no ERROR 1062 from a reused id, no id on both shards), every acknowledged insert is in the table
// with its id and email (0 lost), and next_id is beyond every id stored.
func runSequence(ctx context.Context, o *options, r *result) error {
	e, err := newEnv(ctx, o, r, "s3-sequence", envOptions{sidecars: 2})
	if e != nil {
		defer e.stop()
	}
	if err != nil {
		return err
	}

	load, stopLoad := context.WithCancel(ctx)
	defer stopLoad()
	recs := make([][]insertRec, o.clients)
	var wg sync.WaitGroup
	for c := range o.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var dbs [2]*sql.DB
			for i := range dbs {
				dbs[i] = openClient(e.sidecars[i].addr, "customer", c%2 == 1, 1)
				defer dbs[i].Close()
			}
			for i := 0; load.Err() == nil; i++ {
				rec := insertRec{email: fmt.Sprintf("s3-c%d-%d", c, i), via: (c + i) % 2, start: time.Now()}
				sctx, cancel := context.WithTimeout(load, stmtTimeout)
				res, err := dbs[rec.via].ExecContext(sctx, "INSERT INTO customer (email) VALUES (?)", rec.email)
				cancel()
				if err == nil {
					rec.id, err = res.LastInsertId()
					if err == nil && rec.id == 0 {
						err = errors.New("OK without an insert id")
					}
				}
				rec.err = err
				recs[c] = append(recs[c], rec) // one cut off by the end of the load is in doubt, as a failure
				if err != nil {
					time.Sleep(10 * time.Millisecond)
				}
			}
		}()
	}
	finishLoad := func() {
		stopLoad()
		wg.Wait()
	}

	var restarts []restartRec
	kills, terms, cleanTerms := 0, 0, 0
	var termTimes []time.Duration
	var termErrs []string
	for k := range o.s3Restarts {
		if !sleepCtx(ctx, o.s3Interval) {
			finishLoad()
			return ctx.Err()
		}
		s := e.sidecars[k%2]
		pid := s.pid()
		how := "SIGTERM"
		t0 := time.Now()
		if (k/2+k%2)%2 == 1 {
			how = "SIGKILL"
			kills++
			s.kill()
		} else {
			terms++
			d, err := s.terminate()
			termTimes = append(termTimes, d)
			if err != nil {
				termErrs = append(termErrs, fmt.Sprintf("%s: %v", s.name, err))
			} else {
				cleanTerms++
			}
		}
		if err := s.start(); err != nil {
			finishLoad()
			return fmt.Errorf("restarting %s after %s: %w", s.name, how, err)
		}
		restarts = append(restarts, restartRec{via: k % 2, how: how, from: t0, to: time.Now()})
		logf("  restart %d: %s pid %d stopped with %s, pid %d listening %s later", k+1, s.name, pid, how, s.pid(), ms(time.Since(t0)))
	}
	sleepCtx(ctx, o.s3After)
	finishLoad()

	var all []insertRec
	for _, rs := range recs {
		all = append(all, rs...)
	}
	ackedBy := map[int64][]string{} // id → emails of the acknowledged inserts that got it
	var via [2]int
	var failed errSamples
	dup1062 := 0
	for _, rec := range all {
		if rec.err == nil {
			ackedBy[rec.id] = append(ackedBy[rec.id], rec.email)
			via[rec.via]++
			continue
		}
		failed.add(errString(rec.err))
		if n, _ := errInfo(rec.err); n == 1062 {
			dup1062++
		}
	}
	acked := via[0] + via[1]
	r.info("inserts acknowledged (sidecar 0 + 1) / failed", "%d (%d + %d) / %d", acked, via[0], via[1], failed.n)
	r.info("restarts: SIGTERM / SIGKILL", "%d / %d", terms, kills)
	if terms > 0 {
		r.check("SIGTERM: exit status 0 within 10 s", cleanTerms == terms, "all", "%d/%d (median %s)", cleanTerms, terms, ms(median(termTimes)))
		for _, s := range termErrs {
			r.note("%s", s)
		}
	}
	if failed.n > 0 {
		r.note("failed inserts (expected while a sidecar is down):\n%s", failed.String())
	}
	// The failures on a sidecar while it was being stopped and started: refused connections are
	// expected; others are statements cut off (or connections closed under them).
	cut := map[string]*errSamples{"SIGTERM": {}, "SIGKILL": {}}
	refused := map[string]int{}
	for _, rec := range all {
		if rec.err == nil {
			continue
		}
		for _, rs := range restarts {
			if rec.via != rs.via || rec.start.Before(rs.from.Add(-stmtTimeout)) || rec.start.After(rs.to) {
				continue
			}
			if strings.Contains(rec.err.Error(), "connection refused") {
				refused[rs.how]++
			} else {
				cut[rs.how].add(errString(rec.err))
			}
			break
		}
	}
	for _, how := range []string{"SIGTERM", "SIGKILL"} {
		r.info("failed inserts on a sidecar stopped with "+how+": refused / other", "%d / %d", refused[how], cut[how].n)
		if cut[how].n > 0 {
			r.note("inserts cut off by a %s restart:\n%s", how, cut[how].String())
		}
	}

	// The table, read directly.
	stored := map[int64]string{} // id → email
	byEmail := map[string]int64{}
	onBoth, misplaced := 0, 0
	var maxID int64
	for _, sh := range []string{shardA, shardB} {
		rows, err := e.server(sh).Query(shardDB("customer", sh), "SELECT customer_id, email FROM customer")
		if err != nil {
			return err
		}
		for _, row := range rows {
			id, _ := strconv.ParseInt(row[0], 10, 64)
			if _, ok := stored[id]; ok {
				onBoth++
			}
			if shardOf(hashKsid(id)) != sh {
				misplaced++
			}
			stored[id], byEmail[row[1]] = row[1], id
			maxID = max(maxID, id)
		}
	}
	dupAcked := 0
	var dups []string
	for id, emails := range ackedBy {
		if len(emails) > 1 {
			dupAcked++
			if len(dups) < 10 {
				dups = append(dups, fmt.Sprintf("%d: %s", id, strings.Join(emails, ", ")))
			}
		}
	}
	r.check("duplicate ids (acknowledged twice / ERROR 1062 / on both shards)", dupAcked+dup1062+onBoth == 0, "0",
		"%d (%d / %d / %d)", dupAcked+dup1062+onBoth, dupAcked, dup1062, onBoth)
	if len(dups) > 0 {
		r.note("ids acknowledged to more than one insert (first 10):\n%s", strings.Join(dups, "\n"))
	}
	lost := 0
	var lostS []string
	for id, emails := range ackedBy {
		for _, em := range emails {
			if stored[id] != em {
				lost++
				if len(lostS) < 10 {
					lostS = append(lostS, fmt.Sprintf("id %d email %s: stored %q", id, em, stored[id]))
				}
			}
		}
	}
	r.check("acknowledged rows lost", lost == 0, "0", "%d of %d", lost, acked)
	if len(lostS) > 0 {
		r.note("lost (first 10):\n%s", strings.Join(lostS, "\n"))
	}
	r.check("rows on a shard their customer_id does not hash to", misplaced == 0, "0", "%d", misplaced)
	inDoubt := 0
	for _, rec := range all {
		if rec.err != nil {
			if _, ok := byEmail[rec.email]; ok {
				inDoubt++
			}
		}
	}
	r.info("failed inserts that were written all the same", "%d", inDoubt)
	seq, err := e.a.Query("product", "SELECT next_id FROM customer_seq WHERE id = 0")
	if err != nil {
		return err
	}
	next, _ := strconv.ParseInt(seq[0][0], 10, 64)
	r.check("customer_seq next_id beyond every stored id", next > maxID, "> max id", "next_id %d, max id %d", next, maxID)
	r.info("ids skipped (blocks lost with a sidecar, failed inserts)", "%d of %d", maxID-int64(len(stored)), maxID)
	return nil
}

// insertRec is one INSERT of scenario 3.
type insertRec struct {
	email string
	start time.Time
	via   int   // the sidecar it went through
	id    int64 // LAST_INSERT_ID of an acknowledged insert
	err   error // nil: acknowledged
}

// restartRec is one restart of scenario 3: sidecar via was stopped with how from from, and listened
// again at to.
type restartRec struct {
	via      int
	how      string
	from, to time.Time
}
