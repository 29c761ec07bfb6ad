package main

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"sidecar/integration"
)

// Scenario 5, "scatter": a 2-million-row result through the sidecar.
//
// A SELECT without a vindex condition goes to every shard; the sidecar relays the shards' rows to the
// client as they come (concatenated, or merged in order for ORDER BY), in bounded memory.
//
// -scatter-rows customers are written directly on the two servers, each on the shard of
// hash(customer_id) (computed here with the vindex package, the code the sidecar routes with), in
// multi-row INSERTs of 5000 rows: far faster than through the sidecar, and the placement is exactly
// what the sidecar would have chosen. Then through the sidecar, read row by row by the client
// (go-sql-driver streams; nothing is buffered here):
//
//   - SELECT * FROM customer: every row must arrive;
//   - SELECT * FROM customer ORDER BY customer_id: every row, in order.
//
// For each: the time, the time to the first row, and the sidecar's peak RSS during the query (VmHWM,
// reset before it through /proc/PID/clear_refs).
//
// Last, five clients abandon such a result mid-stream (after 1 to 100000 rows they close their
// connection, as a killed application does): three scatters, and two sessions on one shard (`USE
// customer:-80`), whose results the sidecar relays from the shard as they come. 200 statements follow
// (point selects with their email checked, and COUNT(*) every 20th): none may fail or return a wrong
// answer — a backend connection left with unread rows must not go back to the pool. The sidecar runs
// with pool_size 4, so the statements reuse its backend connections soon.
func runScatter(ctx context.Context, o *options, r *result) error {
	e, err := newEnv(ctx, o, r, "s5-scatter", envOptions{sidecars: 1, poolSize: 4})
	if e != nil {
		defer e.stop()
	}
	if err != nil {
		return err
	}
	sc := e.sidecars[0]
	pid := sc.pid()
	n := o.s5Rows
	email := func(id int64) string { return "c" + strconv.FormatInt(id, 10) + "@stress.example" }

	t0 := time.Now()
	perShard, err := loadCustomers(ctx, e, n, email)
	if err != nil {
		return fmt.Errorf("loading %d rows on the shards: %w", n, err)
	}
	r.info("rows written directly on the shards (-80 + 80-)", "%d (%d + %d) in %.1f s",
		perShard[0]+perShard[1], perShard[0], perShard[1], time.Since(t0).Seconds())
	var counted [2]int
	for i, sh := range []string{shardA, shardB} {
		rows, err := e.server(sh).Query(shardDB("customer", sh), "SELECT COUNT(*) FROM customer")
		if err != nil {
			return err
		}
		counted[i], _ = strconv.Atoi(rows[0][0])
	}
	if counted[0]+counted[1] != n {
		return fmt.Errorf("the shards hold %d + %d rows, want %d in all", counted[0], counted[1], n)
	}

	db := openClient(sc.addr, "customer", true, 1)
	defer db.Close()
	for _, q := range []struct {
		label, sql string
		ordered    bool
	}{
		{"SELECT *", "SELECT * FROM customer", false},
		{"SELECT * ORDER BY", "SELECT * FROM customer ORDER BY customer_id", true},
	} {
		rssBefore, _ := integration.ProcStatus(pid, "VmRSS")
		st, err := streamRows(ctx, db, pid, q.sql, q.ordered, -1)
		if err != nil {
			r.check(q.label+": rows received", false, strconv.Itoa(n), "%d, then %s", st.rows, errString(err))
			continue
		}
		r.check(q.label+": rows received", st.rows == n, strconv.Itoa(n), "%d", st.rows)
		if q.ordered {
			r.check(q.label+": rows out of order", st.disorder == 0, "0", "%d", st.disorder)
		}
		r.info(q.label+": time (first row after)", "%.2f s (%s), %.0f rows/s", st.total.Seconds(), ms(st.first),
			float64(st.rows)/st.total.Seconds())
		r.info(q.label+": sidecar peak RSS during it / RSS before", "%s / %s%s", mib(st.peakKiB), mib(rssBefore), st.peakNote)
	}

	tAbandon := time.Now()
	// Abandoned results, then statements that reuse the pooled backend connections. The scatters
	// are merged by the sidecar; with `USE customer:-80` a session sends its statements to that
	// shard unchanged, and the shard's result is relayed as it comes.
	for _, a := range []struct {
		use, sql string
		after    int
	}{
		{"", "SELECT * FROM customer", 1},
		{"", "SELECT * FROM customer ORDER BY customer_id", 1000},
		{"", "SELECT * FROM customer", 100000},
		{"USE customer:-80", "SELECT * FROM customer", 1000},
		{"USE customer:80-", "SELECT * FROM customer ORDER BY customer_id", 100000},
	} {
		if err := abandonResult(ctx, sc.addr, pid, a.use, a.sql, a.after); err != nil {
			return err
		}
	}
	abandonTime := time.Since(tAbandon)
	tChecks := time.Now()
	checks, bad := 0, 0
	var badS errSamples
	rng := rand.New(rand.NewPCG(5, 5))
	cdb := openClient(sc.addr, "customer", false, 2)
	defer cdb.Close()
	for i := range 200 {
		checks++
		sctx, cancel := context.WithTimeout(ctx, stmtTimeout)
		var err error
		if i%20 == 0 {
			var c int
			err = cdb.QueryRowContext(sctx, "SELECT COUNT(*) FROM customer").Scan(&c)
			if err == nil && c != n {
				err = fmt.Errorf("wrong result: COUNT(*) = %d, want %d", c, n)
			}
		} else {
			id := 1 + rng.Int64N(int64(n))
			var got string
			err = cdb.QueryRowContext(sctx, "SELECT email FROM customer WHERE customer_id = ?", id).Scan(&got)
			if err == nil && got != email(id) {
				err = fmt.Errorf("wrong result: customer %d has email %q, want %q", id, got, email(id))
			}
		}
		cancel()
		if err != nil {
			bad++
			badS.add(errString(err))
		}
	}
	r.check("statements after 5 results abandoned mid-stream: failed or wrong", bad == 0, "0", "%d of %d", bad, checks)
	r.info("time: 5 abandoned results / the 200 statements after them", "%.1f s / %.1f s", abandonTime.Seconds(), time.Since(tChecks).Seconds())
	if badS.n > 0 {
		r.note("statements after the abandoned results:\n%s", badS.String())
	}
	return nil
}

// loadCustomers writes customers 1..n directly into the customer table of each shard, each row on the
// shard of its hash, and returns how many rows went to -80 and 80-. One goroutine renders the
// statements, one per shard runs them.
func loadCustomers(ctx context.Context, e *env, n int, email func(int64) string) ([2]int, error) {
	const batch = 5000
	var counts [2]int
	chans := [2]chan string{make(chan string, 4), make(chan string, 4)}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i, sh := range []string{shardA, shardB} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db := e.server(sh).DB(shardDB("customer", sh))
			for stmt := range chans[i] {
				if errs[i] != nil {
					continue // drain
				}
				if _, err := db.ExecContext(ctx, stmt); err != nil {
					errs[i] = err
					cancel()
				}
			}
		}()
	}
	var bufs [2]strings.Builder
	var rows [2]int
	flush := func(i int) bool {
		if rows[i] == 0 {
			return true
		}
		select {
		case chans[i] <- bufs[i].String():
		case <-ctx.Done():
			return false
		}
		bufs[i].Reset()
		rows[i] = 0
		return true
	}
	for id := int64(1); id <= int64(n); id++ {
		i := 0
		if shardOf(hashKsid(id)) == shardB {
			i = 1
		}
		b := &bufs[i]
		if rows[i] == 0 {
			b.WriteString("INSERT INTO customer (customer_id, email) VALUES ")
		} else {
			b.WriteString(", ")
		}
		b.WriteString("(")
		b.WriteString(strconv.FormatInt(id, 10))
		b.WriteString(", '")
		b.WriteString(email(id))
		b.WriteString("')")
		rows[i]++
		counts[i]++
		if rows[i] == batch && !flush(i) {
			break
		}
	}
	flush(0)
	flush(1)
	close(chans[0])
	close(chans[1])
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return counts, err
		}
	}
	return counts, ctx.Err()
}

// abandonResult runs q on a new connection to addr (after use, when set) and closes the connection
// after reading after rows, as a client that is killed mid-result does.
func abandonResult(ctx context.Context, addr string, pid int, use, q string, after int) error {
	db := openClient(addr, "customer", true, 1)
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if use != "" {
		if _, err := conn.ExecContext(ctx, use); err != nil {
			return fmt.Errorf("%s: %w", use, err)
		}
	}
	st, err := streamRows(ctx, conn, pid, q, false, after)
	if err != nil || st.rows != after {
		return fmt.Errorf("%s: abandoning after %d rows: got %d rows, %v", q, after, st.rows, err)
	}
	return nil
}

// querier is a *sql.DB or a *sql.Conn.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// streamStats is what streamRows measured.
type streamStats struct {
	rows     int
	disorder int // rows whose customer_id is not above the previous one (ordered queries)
	first    time.Duration
	total    time.Duration
	peakKiB  int64
	peakNote string // how the peak was measured, when not from a reset VmHWM
}

// streamRows runs q on db and reads its rows one by one without keeping them. With stop >= 0 it
// abandons the result after stop rows by closing the connection (canceling the query's context makes
// go-sql-driver close it, as a killed client would) instead of reading the rest. pid's peak RSS
// during the query is measured.
func streamRows(ctx context.Context, db querier, pid int, q string, ordered bool, stop int) (st streamStats, err error) {
	reset := integration.ResetPeakRSS(pid)
	var sampled atomic.Int64 // fallback when VmHWM cannot be reset: VmRSS every 20 ms
	done := make(chan struct{})
	go func() {
		for {
			if kib, err := integration.ProcStatus(pid, "VmRSS"); err == nil && kib > sampled.Load() {
				sampled.Store(kib)
			}
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	defer func() {
		close(done)
		if hwm, err := integration.ProcStatus(pid, "VmHWM"); err == nil && reset {
			st.peakKiB = hwm
		} else {
			st.peakKiB, st.peakNote = sampled.Load(), " (VmRSS sampled every 20 ms)"
		}
	}()

	qctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	t0 := time.Now()
	rows, err := db.QueryContext(qctx, q)
	if err != nil {
		return st, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return st, err
	}
	raw := make([]sql.RawBytes, len(cols))
	ptrs := make([]any, len(cols))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	var prev int64
	for rows.Next() {
		if st.rows == 0 {
			st.first = time.Since(t0)
		}
		if err := rows.Scan(ptrs...); err != nil {
			return st, err
		}
		if ordered {
			id, _ := strconv.ParseInt(string(raw[0]), 10, 64)
			if st.rows > 0 && id <= prev {
				st.disorder++
			}
			prev = id
		}
		st.rows++
		if st.rows == stop {
			cancel() // go-sql-driver closes the connection
			st.total = time.Since(t0)
			return st, nil
		}
	}
	st.total = time.Since(t0)
	return st, rows.Err()
}
