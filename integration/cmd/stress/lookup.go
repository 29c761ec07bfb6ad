package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Scenario 2, "lookup": the sidecar is SIGKILLed while it writes owner rows and their consistent
// lookup rows.
//
// Seed 000's things table is sharded by hash(id) and owns the consistent_lookup_unique vindex
// things_name_lookup on name, whose table is sharded by unicode_loose_md5(name): an INSERT of a thing
// writes a lookup row name → keyspace id of the thing, usually on the other shard, in a
// pre-transaction that commits before the owner rows (Vitess's protocol). A crash between the two
// leaves a lookup row without an owner — an orphan, which a later INSERT of the same name takes
// over — but never an owner row without its lookup row, which would make the thing unreachable by
// name and its name not unique.
//
// -clients clients insert batches of -lookup-batch things (ids from one counter, name "s2-<id>", so
// every batch spans both shards) through one sidecar, half of them with prepared statements. Every
// -lookup-kill-after (±25%) the sidecar is SIGKILLed and started again at once on the same port;
// -lookup-kills times, then the load goes on for -lookup-after.
//
// Then, directly on the two servers: every things row has its lookup row, pointing at its keyspace id
// (must hold for all), every row is on the shard its vindex names, every batch a client got OK for is
// there in full; the orphans are counted (allowed). Last, through the sidecar: inserting new things
// with orphaned names must succeed (the orphans are taken over), and inserting an existing name must
// fail with ERROR 1062.
func runLookupKill(ctx context.Context, o *options, r *result) error {
	e, err := newEnv(ctx, o, r, "s2-lookup", envOptions{sidecars: 1})
	if e != nil {
		defer e.stop()
	}
	if err != nil {
		return err
	}
	sc := e.sidecars[0]
	name := func(id int64) string { return "s2-" + strconv.FormatInt(id, 10) }

	load, stopLoad := context.WithCancel(ctx)
	defer stopLoad()
	var nextID atomic.Int64
	batches := make([][]batchRec, o.clients)
	var wg sync.WaitGroup
	for c := range o.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db := openClient(sc.addr, "things", c%2 == 1, 1)
			defer db.Close()
			stmt := "INSERT INTO things (id, name) VALUES " + strings.Repeat("(?, ?), ", o.s2Batch-1) + "(?, ?)"
			for load.Err() == nil {
				b := batchRec{ids: make([]int64, o.s2Batch)}
				args := make([]any, 0, 2*o.s2Batch)
				for i := range b.ids {
					b.ids[i] = nextID.Add(1)
					args = append(args, b.ids[i], name(b.ids[i]))
				}
				sctx, cancel := context.WithTimeout(load, stmtTimeout)
				_, b.err = db.ExecContext(sctx, stmt, args...)
				cancel()
				// A batch cut off by the end of the load is kept as unacknowledged: it may have
				// been written.
				batches[c] = append(batches[c], b)
				if b.err != nil {
					time.Sleep(20 * time.Millisecond)
				}
			}
		}()
	}
	finishLoad := func() {
		stopLoad()
		wg.Wait()
	}

	var downtimes []time.Duration
	for k := range o.s2Kills {
		d := time.Duration(float64(o.s2KillAfter) * (0.75 + 0.5*rand.Float64()))
		if !sleepCtx(ctx, d) {
			finishLoad()
			return ctx.Err()
		}
		pid := sc.pid()
		t0 := time.Now()
		sc.kill()
		if err := sc.start(); err != nil {
			finishLoad()
			return fmt.Errorf("restarting the sidecar after SIGKILL %d: %w", k+1, err)
		}
		downtimes = append(downtimes, time.Since(t0))
		logf("  SIGKILL %d: sidecar pid %d killed, pid %d listening %s later", k+1, pid, sc.pid(), ms(time.Since(t0)))
	}
	sleepCtx(ctx, o.s2After)
	finishLoad()

	var all []batchRec
	for _, bs := range batches {
		all = append(all, bs...)
	}
	acked := 0
	var failed errSamples
	for _, b := range all {
		if b.err == nil {
			acked++
		} else {
			failed.add(errString(b.err))
		}
	}
	r.info("batches acknowledged / failed", "%d / %d (%d rows each)", acked, failed.n, o.s2Batch)
	r.info("sidecar SIGKILLs; restart time (median)", "%d; %s", len(downtimes), ms(median(downtimes)))
	if failed.n > 0 {
		r.note("failed batches (expected around the kills):\n%s", failed.String())
	}

	// The backends, read directly.
	owners := map[string]int64{}   // name → id
	lookups := map[string]string{} // name → keyspace id, hex
	misplaced := 0
	for _, sh := range []string{shardA, shardB} {
		m := e.server(sh)
		rows, err := m.Query(shardDB("things", sh), "SELECT id, name FROM things")
		if err != nil {
			return err
		}
		for _, row := range rows {
			id, _ := strconv.ParseInt(row[0], 10, 64)
			owners[row[1]] = id
			if shardOf(hashKsid(id)) != sh {
				misplaced++
			}
		}
		rows, err = m.Query(shardDB("things", sh), "SELECT name, hex(keyspace_id) FROM things_name_lookup")
		if err != nil {
			return err
		}
		for _, row := range rows {
			lookups[row[0]] = row[1]
			if shardOf(md5Ksid(row[0])) != sh {
				misplaced++
			}
		}
	}
	missing, wrong := 0, 0
	var bad []string
	for n, id := range owners {
		ksid, ok := lookups[n]
		switch {
		case !ok:
			missing++
		case ksid != hexUpper(hashKsid(id)):
			wrong++
		default:
			continue
		}
		if len(bad) < 10 {
			bad = append(bad, fmt.Sprintf("%s (id %d): lookup %q", n, id, ksid))
		}
	}
	var orphans []string
	for n := range lookups {
		if _, ok := owners[n]; !ok {
			orphans = append(orphans, n)
		}
	}
	slices.Sort(orphans)
	r.info("things rows / lookup rows on the backends", "%d / %d", len(owners), len(lookups))
	r.check("owner rows without their lookup row", missing+wrong == 0, "0", "%d (%d missing, %d pointing elsewhere)", missing+wrong, missing, wrong)
	if len(bad) > 0 {
		r.note("owner rows without a matching lookup row (first 10):\n%s", strings.Join(bad, "\n"))
	}
	r.info("lookup rows without owner (orphans, allowed)", "%d", len(orphans))
	r.check("rows on a shard their vindex does not name", misplaced == 0, "0", "%d", misplaced)

	lost, partial, whole, none := 0, 0, 0, 0
	for _, b := range all {
		present := 0
		for _, id := range b.ids {
			if got, ok := owners[name(id)]; ok && got == id {
				present++
			}
		}
		switch {
		case b.err == nil:
			lost += len(b.ids) - present
		case present == len(b.ids):
			whole++
		case present == 0:
			none++
		default:
			partial++
		}
	}
	r.check("rows of acknowledged batches missing", lost == 0, "0", "%d", lost)
	r.info("failed batches written: whole / partly / not at all", "%d / %d / %d", whole, partial, none)

	// Through the sidecar (a fresh process: its lookup cache is empty): orphans are taken over,
	// existing names are refused. The kills seldom hit the moment between the lookup rows' commit and
	// the owners', so orphans are also made directly on the backend, as such a kill leaves them: a
	// lookup row pointing at the keyspace id of a thing that was never written.
	takeover := orphans[:min(20, len(orphans))]
	for k := range max(0, 5-len(takeover)) {
		n := fmt.Sprintf("s2-orphan-%d", k)
		sh := shardOf(md5Ksid(n))
		err := e.server(sh).Exec(shardDB("things", sh), "INSERT INTO things_name_lookup (name, keyspace_id) VALUES (?, UNHEX(?))",
			n, hexUpper(hashKsid(nextID.Add(1))))
		if err != nil {
			return err
		}
		takeover = append(takeover, n)
	}
	db := openClient(sc.addr, "things", false, 1)
	defer db.Close()
	tookOver := 0
	var takeErrs errSamples
	for _, n := range takeover {
		id := nextID.Add(1)
		sctx, cancel := context.WithTimeout(ctx, stmtTimeout)
		_, err := db.ExecContext(sctx, "INSERT INTO things (id, name) VALUES (?, ?)", id, n)
		cancel()
		if err != nil {
			takeErrs.add(errString(err))
			continue
		}
		want := hexUpper(hashKsid(id))
		sh := shardOf(md5Ksid(n))
		rows, err := e.server(sh).Query(shardDB("things", sh), "SELECT hex(keyspace_id) FROM things_name_lookup WHERE name = ?", n)
		if err != nil {
			return err
		}
		if len(rows) != 1 || rows[0][0] != want {
			takeErrs.add(fmt.Sprintf("lookup row of %s after the takeover: %q, want keyspace id %s", n, rows, want))
			continue
		}
		tookOver++
	}
	if len(takeover) > 0 {
		r.check("new things with orphaned names (takeover)", tookOver == len(takeover), "all", "%d/%d (%d made on the backend)",
			tookOver, len(takeover), len(takeover)-min(20, len(orphans)))
	}
	if takeErrs.n > 0 {
		r.note("takeover failures:\n%s", takeErrs.String())
	}
	// Any existing name will do: the lookup row of each is checked above.
	for n := range owners {
		sctx, cancel := context.WithTimeout(ctx, stmtTimeout)
		_, err := db.ExecContext(sctx, "INSERT INTO things (id, name) VALUES (?, ?)", nextID.Add(1), n)
		cancel()
		num, _ := errInfo(err)
		r.check("new thing with an existing name", num == 1062, "ERROR 1062", "%s", errOrOK(err))
		break
	}
	return nil
}

// batchRec is one multi-row INSERT of scenario 2.
type batchRec struct {
	ids []int64
	err error // nil: acknowledged
}

// errOrOK renders err, or "OK".
func errOrOK(err error) string {
	if err == nil {
		return "OK"
	}
	return abbrev(errString(err), 80)
}
