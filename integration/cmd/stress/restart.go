package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"sidecar/integration"
)

// Scenario 1, "restart": the server of one shard dies under load and comes back.
//
// Setup: servers A and B, one sidecar, 1000 customers (customer_id 1..1000; customer is sharded by
// hash(customer_id), so they are spread over both shards) inserted through the sidecar. Then
// -clients clients loop, each on its own connection (half of them with prepared statements, half
// with text statements): a point select of a random customer by customer_id, checking the email it
// returns, then a single-row INSERT of a new customer with an explicit customer_id (so no sequence is
// read). Every statement is tagged with the shard of its customer_id, computed with the hash vindex,
// and with its start and end times.
//
// After -restart-warmup, server B (shard 80-) is SIGKILLed; -restart-outage after the kill it is
// started again on the same datadir and port, while a prober dials the port every 2 ms to note when
// the restarted mariadbd accepts TCP connections. The load goes on until a statement on 80- succeeds
// through the sidecar (at most -restart-recover-wait), then for -restart-after more.
//
// Expectations: the sidecar process stays up; every statement on -80 that started during the outage
// (from the kill to the first success on 80-) succeeds; the statements on 80- fail, and with ERROR
// 1105 naming the shard; the first success on 80- comes at most 1000 ms after the restarted server
// accepts TCP connections; every insert the client got OK for is on its shard afterwards.
func runShardRestart(ctx context.Context, o *options, r *result) error {
	e, err := newEnv(ctx, o, r, "s1-restart", envOptions{sidecars: 1})
	if e != nil {
		defer e.stop()
	}
	if err != nil {
		return err
	}
	sc := e.sidecars[0]
	const preload = 1000
	const firstNewID = 1_000_000
	email := func(id int64) string { return "c" + strconv.FormatInt(id, 10) + "@stress" }
	db := openClient(sc.addr, "customer", true, 1)
	err = insertRows(ctx, db, "INSERT INTO customer (customer_id, email) VALUES ", 1, preload+1, 100,
		func(i int) string { return fmt.Sprintf("(%d, '%s')", i, email(int64(i))) })
	db.Close()
	if err != nil {
		return fmt.Errorf("preloading customers through the sidecar: %w", err)
	}

	// The load. lastDeadOK is the end (Unix ns) of the latest success on 80-, which tells the main
	// goroutine when the shard is usable again.
	load, stopLoad := context.WithCancel(ctx)
	defer stopLoad()
	var lastDeadOK atomic.Int64
	var nextID atomic.Int64
	nextID.Store(firstNewID)
	recs := make([][]stmtRec, o.clients)
	tLoad := time.Now()
	var wg sync.WaitGroup
	for c := range o.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db := openClient(sc.addr, "customer", c%2 == 1, 1)
			defer db.Close()
			rng := rand.New(rand.NewPCG(uint64(c), 1))
			do := func(insert bool, id int64, f func(context.Context) error) {
				rec := stmtRec{start: time.Now(), shard: shardOf(hashKsid(id)), insert: insert, id: id}
				sctx, cancel := context.WithTimeout(load, stmtTimeout)
				err := f(sctx)
				cancel()
				rec.end = time.Now()
				if err != nil && load.Err() != nil {
					return // cut off by the end of the load, not by the sidecar
				}
				rec.err = err
				recs[c] = append(recs[c], rec)
				if err != nil {
					time.Sleep(time.Millisecond) // failures are fast: do not spin on them
				} else if rec.shard == shardB {
					lastDeadOK.Store(rec.end.UnixNano())
				}
			}
			for load.Err() == nil {
				id := 1 + rng.Int64N(preload)
				do(false, id, func(ctx context.Context) error {
					var got string
					err := db.QueryRowContext(ctx, "SELECT email FROM customer WHERE customer_id = ?", id).Scan(&got)
					if err == nil && got != email(id) {
						err = fmt.Errorf("wrong result: customer %d has email %q, want %q", id, got, email(id))
					}
					return err
				})
				id = nextID.Add(1)
				do(true, id, func(ctx context.Context) error {
					_, err := db.ExecContext(ctx, "INSERT INTO customer (customer_id, email) VALUES (?, ?)", id, email(id))
					return err
				})
			}
		}()
	}
	// finishLoad stops the clients; it is also what an early return must do.
	finishLoad := func() {
		stopLoad()
		wg.Wait()
	}

	if !sleepCtx(ctx, o.s1Warmup) {
		finishLoad()
		return ctx.Err()
	}
	// SIGKILL B and wait until it is gone: its port and datadir are free then.
	tKill := time.Now()
	dataDir, port, addr := e.b.DataDir(), e.b.Port(), e.b.Addr()
	if err := syscall.Kill(e.b.Pid(), syscall.SIGKILL); err != nil {
		finishLoad()
		return fmt.Errorf("SIGKILL mariadbd %d: %w", e.b.Pid(), err)
	}
	<-e.b.Exited()
	_ = e.b.Stop() // forgets it in the harness; the datadir is ours and stays
	logf("  killed server B (mariadbd pid %d) with SIGKILL; restarting it in %s", e.b.Pid(), o.s1Outage)
	if !sleepCtx(ctx, o.s1Outage-time.Since(tKill)) {
		finishLoad()
		return ctx.Err()
	}

	// Restart on the same datadir and port, noting when the port accepts connections again.
	accepted := make(chan time.Time, 1)
	probe, stopProbe := context.WithCancel(ctx)
	go func() {
		for probe.Err() == nil {
			c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
			if err == nil {
				t := time.Now()
				c.Close()
				accepted <- t
				return
			}
			time.Sleep(2 * time.Millisecond)
		}
	}()
	tRestart := time.Now()
	nb, err := integration.StartMariaDB(integration.Options{DataDir: dataDir, Port: port})
	if err != nil {
		stopProbe()
		finishLoad()
		e.b = nil
		return fmt.Errorf("restarting server B: %w", err)
	}
	e.b = nb
	var tAccept time.Time
	select {
	case tAccept = <-accepted:
	case <-time.After(2 * time.Second):
		tAccept = time.Now() // cannot happen: StartMariaDB returns once the port accepts
	}
	stopProbe()
	logf("  server B (pid %d) accepts TCP connections again, %s after the restart began; waiting for the sidecar to use it",
		nb.Pid(), ms(tAccept.Sub(tRestart)))
	deadline := time.Now().Add(o.s1RecoverWait)
	for lastDeadOK.Load() < tAccept.UnixNano() && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(5 * time.Millisecond)
	}
	sleepCtx(ctx, o.s1After)
	finishLoad()
	tEnd := time.Now()

	// The figures. The outage lasts, for the clients, from the kill to the first success on 80-.
	var all []stmtRec
	for _, rs := range recs {
		all = append(all, rs...)
	}
	var recovered time.Time
	for _, s := range all {
		if s.err == nil && s.shard == shardB && !s.end.Before(tAccept) && (recovered.IsZero() || s.end.Before(recovered)) {
			recovered = s.end
		}
	}
	outageEnd := recovered
	if outageEnd.IsZero() {
		outageEnd = tEnd
	}
	var before, beforeErrs, liveTotal, liveOK, deadTotal, after1, after2 int
	var beforeS, liveS, deadOther, afterDead, afterLive errSamples
	dead1105 := 0
	for _, s := range all {
		switch {
		case s.end.Before(tKill):
			before++
			if s.err != nil {
				beforeErrs++
				beforeS.add(errString(s.err))
			}
		case s.start.Before(outageEnd) && s.shard == shardA:
			liveTotal++
			if s.err == nil {
				liveOK++
			} else {
				liveS.add(errString(s.err))
			}
		case s.start.Before(outageEnd):
			deadTotal++
			if s.err == nil {
				break
			}
			if n, msg := errInfo(s.err); n == 1105 && strings.Contains(msg, shardB) {
				dead1105++
			} else {
				deadOther.add(errString(s.err))
			}
		case s.shard == shardB:
			after1++
			if s.err != nil {
				afterDead.add(errString(s.err))
			}
		default:
			after2++
			if s.err != nil {
				afterLive.add(errString(s.err))
			}
		}
	}
	deadErrs := dead1105 + deadOther.n
	secs := tKill.Sub(tLoad).Seconds()
	r.check("statements before the kill: errors", beforeErrs == 0, "0", "%d of %d (%.0f/s)", beforeErrs, before, float64(before)/secs)
	if beforeS.n > 0 {
		r.note("errors before the kill:\n%s", beforeS.String())
	}
	r.check("-80 statements during the outage: success rate", liveTotal > 0 && liveOK == liveTotal, "100%",
		"%d/%d (%s)", liveOK, liveTotal, pct(liveOK, liveTotal))
	if liveS.n > 0 {
		r.note("-80 failures during the outage (must not happen: -80 is on server A):\n%s", liveS.String())
	}
	r.info("80- statements during the outage: error rate", "%d/%d (%s)", deadErrs, deadTotal, pct(deadErrs, deadTotal))
	r.check("80- errors that are ERROR 1105 naming shard 80-", deadOther.n == 0, "all", "%d/%d", dead1105, deadErrs)
	if deadOther.n > 0 {
		r.note("80- errors during the outage that are not ERROR 1105 naming the shard:\n%s", deadOther.String())
	}
	r.info("server B down: SIGKILL → restarted server accepts TCP", "%s (restart took %s)", ms(tAccept.Sub(tKill)), ms(tAccept.Sub(tRestart)))
	if recovered.IsZero() {
		r.check("recovery: server accepts TCP → first success on 80-", false, "<= 1000 ms", "none within %s", o.s1RecoverWait)
	} else {
		rec := recovered.Sub(tAccept)
		r.check("recovery: server accepts TCP → first success on 80-", rec <= time.Second, "<= 1000 ms", "%s", ms(rec))
	}
	r.info("after recovery: errors on 80- / on -80", "%d of %d / %d of %d", afterDead.n, after1, afterLive.n, after2)
	if afterDead.n > 0 {
		r.note("80- errors after the first success on 80-:\n%s", afterDead.String())
	}
	if afterLive.n > 0 {
		r.note("-80 errors after the first success on 80-:\n%s", afterLive.String())
	}

	// Every acknowledged insert must be on its shard, read directly from the servers.
	stored := map[string]map[int64]bool{shardA: {}, shardB: {}}
	for _, sh := range []string{shardA, shardB} {
		rows, err := e.server(sh).Query(shardDB("customer", sh), "SELECT customer_id FROM customer WHERE customer_id > ?", firstNewID)
		if err != nil {
			return fmt.Errorf("reading shard %s: %w", sh, err)
		}
		for _, row := range rows {
			id, _ := strconv.ParseInt(row[0], 10, 64)
			stored[sh][id] = true
		}
	}
	acked, lost := 0, 0
	var lostIDs []string
	for _, s := range all {
		if s.insert && s.err == nil {
			acked++
			if !stored[s.shard][s.id] {
				lost++
				if len(lostIDs) < 10 {
					lostIDs = append(lostIDs, strconv.FormatInt(s.id, 10))
				}
			}
		}
	}
	r.check("acknowledged inserts missing afterwards", lost == 0, "0", "%d of %d", lost, acked)
	if lost > 0 {
		r.note("missing customer_ids (first 10): %s", strings.Join(lostIDs, ", "))
	}
	return nil
}

// stmtRec is one client statement of scenario 1.
type stmtRec struct {
	start, end time.Time
	shard      string // of its customer_id
	insert     bool
	id         int64
	err        error // nil: it succeeded
}
