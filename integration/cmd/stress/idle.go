package main

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"sidecar/integration"
)

// Scenario 4, "idle": many clients connected and doing nothing.
//
// Applications and poolers keep connections open; each costs the sidecar a goroutine, buffers and a
// descriptor, and must not slow down the others. With one sidecar: its RSS (VmRSS of
// /proc/PID/status) and the latency of a new client's connect + SELECT 1 (the median of
// -idle-probes, each on a new connection) are measured, then -idle-clients connections are opened
// (16 at a time, each running one SELECT 1 and then left idle), and after -idle-wait both are
// measured again. At the end every idle connection must still answer a SELECT 1.
//
// This process needs a descriptor per connection: its RLIMIT_NOFILE is raised if needed (the Go
// runtime raises the soft limit to the hard one already). The sidecar's own limit is reported from
// /proc/PID/limits. Expectations: every connection opens and still works at the end, and the sidecar
// survives; RSS and latency are figures to watch, without a threshold.
func runIdle(ctx context.Context, o *options, r *result) error {
	n := o.s4Clients
	lim, err := raiseNoFile(uint64(n) + 512)
	r.info("this process's RLIMIT_NOFILE", "%s", lim)
	if err != nil {
		return err
	}
	e, err := newEnv(ctx, o, r, "s4-idle", envOptions{sidecars: 1})
	if e != nil {
		defer e.stop()
	}
	if err != nil {
		return err
	}
	sc := e.sidecars[0]
	pid := sc.pid()
	r.info("sidecar's RLIMIT_NOFILE (/proc/PID/limits)", "%s", maxOpenFiles(pid))

	// probe measures connect + SELECT 1 on new connections: a pool that keeps none idle opens one
	// per query and closes it afterwards.
	probeDB := openClient(sc.addr, "customer", true, 1)
	probeDB.SetMaxIdleConns(0)
	defer probeDB.Close()
	probe := func() (time.Duration, error) {
		var lat []time.Duration
		for range o.s4Probes {
			t0 := time.Now()
			var one int
			sctx, cancel := context.WithTimeout(ctx, stmtTimeout)
			err := probeDB.QueryRowContext(sctx, "SELECT 1").Scan(&one)
			cancel()
			if err != nil {
				return 0, fmt.Errorf("connect + SELECT 1: %w", err)
			}
			lat = append(lat, time.Since(t0))
		}
		return median(lat), nil
	}
	base, err := probe() // also warms the sidecar up: its backend pools have connections now
	if err != nil {
		return err
	}
	time.Sleep(200 * time.Millisecond)
	rssBefore, _ := integration.ProcStatus(pid, "VmRSS")
	thrBefore, _ := integration.ProcStatus(pid, "Threads")

	// The idle clients: one pool handing out dedicated connections (sql.Conn), none shared.
	idleDB := openClient(sc.addr, "customer", true, 0)
	idleDB.SetMaxIdleConns(0)
	defer idleDB.Close()
	conns := make([]*sql.Conn, n)
	var failed atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	next := atomic.Int64{}
	t0 := time.Now()
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n || ctx.Err() != nil {
					return
				}
				sctx, cancel := context.WithTimeout(ctx, stmtTimeout)
				c, err := idleDB.Conn(sctx)
				if err == nil {
					var one int
					if err = c.QueryRowContext(sctx, "SELECT 1").Scan(&one); err != nil {
						c.Close()
					}
				}
				cancel()
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, errString(err))
					continue
				}
				conns[i] = c
			}
		}()
	}
	wg.Wait()
	openTime := time.Since(t0)
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	}()
	opened := n - int(failed.Load())
	r.check("idle connections opened", opened == n, strconv.Itoa(n), "%d in %s", opened, ms(openTime))
	if v := firstErr.Load(); v != nil {
		r.note("first failure to open an idle connection: %s", v)
	}
	if !sleepCtx(ctx, o.s4Idle) {
		return ctx.Err()
	}
	rssWith, _ := integration.ProcStatus(pid, "VmRSS")
	thrWith, _ := integration.ProcStatus(pid, "Threads")
	with, err := probe()
	if err != nil {
		return fmt.Errorf("with %d idle clients: %w", opened, err)
	}
	r.info("sidecar RSS: before / with the idle clients", "%s / %s (%+.1f KiB per client)",
		mib(rssBefore), mib(rssWith), float64(rssWith-rssBefore)/float64(max(opened, 1)))
	r.info("sidecar threads / open fds with the idle clients", "%d (before %d) / %d", thrWith, thrBefore, openFDs(pid))
	r.info(fmt.Sprintf("new client connect + SELECT 1, median of %d: before / with", o.s4Probes), "%s / %s",
		fmtLatency(base), fmtLatency(with))
	// The sidecar's backend sessions (they are in the shard databases; this process's own are not,
	// except an idle one of the harness in product, hence "about").
	var backendConns []string
	for _, m := range []struct {
		name string
		m    *integration.MariaDB
	}{{"A", e.a}, {"B", e.b}} {
		rows, err := m.m.Query("", "SELECT COUNT(*) FROM information_schema.processlist WHERE db IN "+
			"('things_x80', 'customer_x80', 'product', 'things_80x', 'customer_80x') AND id <> CONNECTION_ID()")
		if err == nil {
			backendConns = append(backendConns, m.name+" "+rows[0][0])
		}
	}
	r.info("sidecar's backend connections (about) with the idle clients", "%s", strings.Join(backendConns, ", "))

	// Still there, each of them?
	alive := 0
	var aliveErr errSamples
	for _, c := range conns {
		if c == nil {
			continue
		}
		var one int
		sctx, cancel := context.WithTimeout(ctx, stmtTimeout)
		err := c.QueryRowContext(sctx, "SELECT 1").Scan(&one)
		cancel()
		if err != nil {
			aliveErr.add(errString(err))
			continue
		}
		alive++
	}
	r.check("idle connections answering SELECT 1 at the end", alive == n, strconv.Itoa(n), "%d", alive)
	if aliveErr.n > 0 {
		r.note("idle connections that failed at the end:\n%s", aliveErr.String())
	}
	for i, c := range conns {
		if c != nil {
			c.Close()
			conns[i] = nil
		}
	}
	time.Sleep(time.Second)
	rssAfter, _ := integration.ProcStatus(pid, "VmRSS")
	r.info("sidecar RSS 1 s after the idle clients closed", "%s", mib(rssAfter))
	return nil
}

func fmtLatency(d time.Duration) string {
	return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000)
}
