package integration

// End-to-end tests of issue 20: `sidecar backfill`, `sidecar lookup backfill` and `sidecar lookup
// check [-repair]`, the real binary against the two real MariaDB servers of newShardedEnv. The data
// they fix is written directly on the shards, as it is when the sidecar is adopted on existing data,
// a vindex is added to a table that has rows, or an incident left rows half-done; the results are read
// directly from every shard.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"sidecar/maintain"
)

// maintainRun is one run of a maintenance command.
type maintainRun struct {
	stdout, stderr string
	exit           int
}

// lines are the findings printed on stdout, sorted (shards are gone through in key order, batches in
// primary-key order; sorting keeps the tests independent of that).
func (r maintainRun) lines() []string {
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	sort.Strings(out)
	if out == nil {
		out = []string{}
	}
	return out
}

// maintain runs `sidecar ARGS -config <the env's config>`.
func (e *shardedEnv) maintain(args ...string) maintainRun {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, e.bin, append(args, "-config", e.config)...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := maintainRun{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.exit = ee.ExitCode()
	default:
		e.t.Fatalf("sidecar %v: %v", args, err)
	}
	return r
}

// mustMaintain runs a command that must exit with status want and returns its findings' lines.
func (e *shardedEnv) mustMaintain(want int, args ...string) []string {
	e.t.Helper()
	r := e.maintain(args...)
	if r.exit != want {
		e.t.Fatalf("sidecar %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.exit, want, r.stdout, r.stderr)
	}
	return r.lines()
}

// maintainDoc is what -json prints.
type maintainDoc struct {
	Summary  maintain.Summary   `json:"summary"`
	Findings []maintain.Finding `json:"findings"`
	Error    string             `json:"error"`
}

// maintainJSON runs a command with -json that must exit with status want.
func (e *shardedEnv) maintainJSON(want int, args ...string) maintainDoc {
	e.t.Helper()
	args = append(args, "-json")
	r := e.maintain(args...)
	var doc maintainDoc
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		e.t.Fatalf("sidecar %s: stdout is not the JSON document: %v\n%s\nstderr:\n%s", strings.Join(args, " "), err, r.stdout, r.stderr)
	}
	if r.exit != want {
		e.t.Fatalf("sidecar %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.exit, want, r.stdout, r.stderr)
	}
	return doc
}

func wantLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	want = slices.Clone(want)
	sort.Strings(want)
	if want == nil {
		want = []string{}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s printed\n  %s\nwant\n  %s", what, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// allRows reads query on every shard of keyspace directly, sorted.
func (e *shardedEnv) allRows(keyspace, query string) [][]string {
	var out [][]string
	for _, sh := range shardedShards {
		out = append(out, e.rows(keyspace, sh, query)...)
	}
	return sortedShardRows(out)
}

// corderIdx reads corder_keyspace_idx (product keyspace): corder_id → hex keyspace id.
func (e *shardedEnv) corderIdx() map[string]string {
	out := map[string]string{}
	for _, r := range e.rows("product", "0", "SELECT corder_id, hex(keyspace_id) FROM corder_keyspace_idx") {
		out[r[0]] = r[1]
	}
	return out
}

// Seed 002's corder_event with events written before the binary vindex on keyspace_id existed
// (keyspace_id NULL), one wrong value, one event of an order that has no lookup row: backfill fills the
// NULLs from each event's keyspace id (corder_keyspace_idx, a lookup vindex, as primary vindex), reports
// the wrong and the unmapped rows, changes nothing else, and a second run changes nothing. Columns it
// cannot fill are refused.
func TestMaintainBackfillKeyspaceID(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	e.mustCLI("customer", seed002Orders) // corders 1-5 of customers 1, 1, 2, 3, 4, with their lookup rows
	customerOf := map[int64]int64{1: 1, 2: 1, 3: 2, 4: 3, 5: 4}
	type event struct {
		id, corder int64
		ename      string
		ksid       string // hex, "" for NULL
	}
	events := []event{
		{1, 1, "paid", ""},
		{2, 5, "delivered", ""},
		{3, 3, "work", ""},
		{4, 4, "personal", hashKsid(t, 3)}, // already right
		{5, 2, "wrong", "0102"},            // wrong: left, reported
		{6, 1, `it's \ here`, ""},
		{7, 2, "gift", ""},
	}
	for _, ev := range events {
		sh := shardOf(hashKsid(t, customerOf[ev.corder]))
		if ev.ksid == "" {
			e.exec("customer", sh, "INSERT INTO corder_event (corder_event_id, corder_id, ename, keyspace_id) VALUES (?, ?, ?, NULL)", ev.id, ev.corder, ev.ename)
		} else {
			e.exec("customer", sh, "INSERT INTO corder_event (corder_event_id, corder_id, ename, keyspace_id) VALUES (?, ?, ?, UNHEX(?))", ev.id, ev.corder, ev.ename, ev.ksid)
		}
	}
	// An event of order 99, which has no lookup row: its keyspace id cannot be known.
	e.exec("customer", "-80", "INSERT INTO corder_event (corder_event_id, corder_id, ename) VALUES (8, 99, 'lost')")

	const query = "SELECT corder_event_id, corder_id, hex(keyspace_id) FROM corder_event"
	before := e.allRows("customer", query)
	want := [][]string{{"8", "99", "NULL"}}
	for _, ev := range events {
		k := hashKsid(t, customerOf[ev.corder])
		if ev.ksid != "" {
			k = strings.ToUpper(ev.ksid)
		}
		want = append(want, []string{i64toa(ev.id), i64toa(ev.corder), k})
	}
	problems := []string{
		"wrong pk=(corder_id=2,corder_event_id=5) stored=0x0102 expected=0x" + hashKsid(t, 1) + " shard=-80: left as it is",
		"unmapped pk=(corder_id=99,corder_event_id=8) shard=-80: could not map [INT64(99)] to a keyspace id",
	}
	args := []string{"backfill", "-table", "customer.corder_event", "-column", "keyspace_id", "-batch", "2"}

	// A dry run reports and counts, and writes nothing.
	dry := e.maintainJSON(1, append(args, "-dry-run")...)
	if s := dry.Summary; s.Changed != 5 || s.Problems != 2 || s.Scanned != 8 || !s.DryRun {
		t.Errorf("dry run summary: %+v, want 8 scanned, 5 would change, 2 problems", s)
	}
	if got := e.allRows("customer", query); !reflect.DeepEqual(got, before) {
		t.Errorf("the dry run changed the rows: %q, was %q", got, before)
	}

	wantLines(t, "backfill", e.mustMaintain(1, args...), problems)
	if got := e.allRows("customer", query); !reflect.DeepEqual(got, sortedShardRows(want)) {
		t.Errorf("corder_event after the backfill: %q, want %q", got, sortedShardRows(want))
	}
	if got := e.rows("customer", "-80", "SELECT ename FROM corder_event WHERE corder_event_id = 6"); got[0][0] != `it's \ here` {
		t.Errorf("ename of event 6 changed: %q", got)
	}

	// Again: nothing to change, the same problems.
	again := e.maintainJSON(1, args...)
	if s := again.Summary; s.Changed != 0 || s.Problems != 2 || s.Scanned != 8 {
		t.Errorf("second run: %+v, want 8 scanned, 0 changed, 2 problems", again.Summary)
	}
	var lines []string
	for _, f := range again.Findings {
		lines = append(lines, f.String())
	}
	sort.Strings(lines)
	wantLines(t, "second backfill (-json)", lines, problems)
	if got := e.allRows("customer", query); !reflect.DeepEqual(got, sortedShardRows(want)) {
		t.Errorf("corder_event after the second backfill: %q, want %q", got, sortedShardRows(want))
	}

	// Columns that cannot be filled are refused (exit 2), before anything is read.
	for _, c := range []struct{ table, column, msg string }{
		{"customer.corder_event", "corder_id", "is the primary vindex's"},
		{"customer.corder", "corder_id", "is not reversible"},
		{"customer.corder_event", "ename", "has no vindex"},
		{"customer.nope", "x", "table not found"},
	} {
		r := e.maintain("backfill", "-table", c.table, "-column", c.column)
		if r.exit != 2 || !strings.Contains(r.stderr, c.msg) {
			t.Errorf("backfill %s.%s: exit %d, stderr %q; want 2 and %q", c.table, c.column, r.exit, r.stderr, c.msg)
		}
	}
}

// The customer_id+hash variant of seed 002: corder_event rows with a NULL customer_id get the customer
// id their keyspace id reverses to (hash is reversible); a wrong customer_id is reported with both
// numbers; a second run changes nothing.
func TestMaintainBackfillCustomerID(t *testing.T) {
	e := newShardedEnv(t, customerIDVariant(t))
	e.mustCLI("customer", seed002Orders)
	customerOf := map[int64]int64{1: 1, 2: 1, 3: 2, 4: 3, 5: 4}
	for id, corder := range map[int64]int64{1: 1, 2: 5, 3: 3, 4: 4} {
		e.exec("customer", shardOf(hashKsid(t, customerOf[corder])), "INSERT INTO corder_event (corder_event_id, corder_id, ename) VALUES (?, ?, 'old')", id, corder)
	}
	e.exec("customer", "80-", "INSERT INTO corder_event (corder_event_id, corder_id, customer_id, ename) VALUES (5, 5, 7, 'wrong')")
	wrong := []string{"wrong pk=(corder_id=5,corder_event_id=5) stored=7 expected=4 shard=80-: left as it is"}
	args := []string{"backfill", "-table", "customer.corder_event", "-column", "customer_id"}
	wantLines(t, "backfill", e.mustMaintain(1, args...), wrong)
	want := [][]string{{"1", "1", "1"}, {"2", "5", "4"}, {"3", "3", "2"}, {"4", "4", "3"}, {"5", "5", "7"}}
	const query = "SELECT corder_event_id, corder_id, customer_id FROM corder_event"
	if got := e.allRows("customer", query); !reflect.DeepEqual(got, sortedShardRows(want)) {
		t.Errorf("corder_event after the backfill: %q, want %q", got, sortedShardRows(want))
	}
	if doc := e.maintainJSON(1, args...); doc.Summary.Changed != 0 || doc.Summary.Problems != 1 {
		t.Errorf("second run: %+v, want 0 changed and 1 problem", doc.Summary)
	}
	if got := e.allRows("customer", query); !reflect.DeepEqual(got, sortedShardRows(want)) {
		t.Errorf("corder_event after the second backfill: %q, want %q", got, sortedShardRows(want))
	}
	// Through the sidecar, the filled rows are where their customer_id says.
	if got := e.mustCLI("customer", "SELECT corder_event_id FROM corder_event WHERE customer_id = 2;"); strings.TrimSpace(got) != "corder_event_id\n3" {
		t.Errorf("event of customer 2 through the sidecar: %q", got)
	}
}

// lookup backfill on orders and things that exist without lookup rows: the rows are created on the
// lookup table's shard (things_name_lookup is sharded by unicode_loose_md5 of the name), a lookup row
// holding an order's id for a keyspace id without an owner is taken over, an order id owned by two
// customers' rows is reported, orphans no owner needs are left, and a second run changes nothing.
func TestMaintainLookupBackfill(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	corder := func(id, customer int64) {
		e.exec("customer", shardOf(hashKsid(t, customer)), "INSERT INTO corder (corder_id, customer_id, product_id, oname) VALUES (?, ?, 1, 'old')", id, customer)
	}
	idx := func(id int64, ksid string) {
		e.exec("product", "0", "INSERT INTO corder_keyspace_idx (corder_id, keyspace_id) VALUES (?, UNHEX(?))", id, ksid)
	}
	corder(10, 1) // no lookup row
	corder(11, 4) // no lookup row
	corder(12, 5)
	idx(12, hashKsid(t, 2)) // points at customer 2's keyspace id, where there is no order 12: taken over
	corder(13, 1)           // order 13 on both shards, of customers 1 and 4: a conflict
	corder(13, 4)
	corder(14, 3)
	idx(14, hashKsid(t, 3)) // right already
	idx(99, hashKsid(t, 2)) // an orphan: left by a backfill
	wantIdx := map[string]string{"10": hashKsid(t, 1), "11": hashKsid(t, 4), "12": hashKsid(t, 5), "13": hashKsid(t, 1), "14": hashKsid(t, 3), "99": hashKsid(t, 2)}
	conflict := []string{fmt.Sprintf("conflict 13 keyspace_id=0x%s owner_keyspace_id=0x%s pk=(corder_id=13) shard=80-: value also owned by pk=(corder_id=13) at 0x%s; not repaired",
		hashKsid(t, 1), hashKsid(t, 4), hashKsid(t, 1))}

	args := []string{"lookup", "backfill", "-vindex", "customer.corder_keyspace_idx", "-batch", "2"}
	dry := e.maintainJSON(0, append(args, "-dry-run")...)
	if s := dry.Summary; s.Changed != 5 || s.Problems != 0 {
		// 10, 11, 13 (twice: the conflict shows only once one of them has its row), 12 taken over
		t.Errorf("dry run: %+v, want 5 would change", s)
	}
	if got := e.corderIdx(); len(got) != 3 {
		t.Errorf("the dry run changed corder_keyspace_idx: %v", got)
	}
	wantLines(t, "lookup backfill", e.mustMaintain(1, args...), conflict)
	if got := e.corderIdx(); !reflect.DeepEqual(got, wantIdx) {
		t.Errorf("corder_keyspace_idx after the backfill: %v, want %v", got, wantIdx)
	}
	again := e.maintainJSON(1, args...)
	if s := again.Summary; s.Changed != 0 || s.Problems != 1 || len(again.Findings) != 1 || again.Findings[0].String() != conflict[0] {
		t.Errorf("second run: %+v %v, want 0 changed and the conflict", s, again.Findings)
	}
	if got := e.corderIdx(); !reflect.DeepEqual(got, wantIdx) {
		t.Errorf("corder_keyspace_idx after the second backfill: %v, want %v", got, wantIdx)
	}

	// things: a sharded lookup table. The rows exist; their lookup rows do not.
	things := []thingRow{{1, "foo"}, {2, "bar"}, {4, "baz"}, {5, `o'ne\il`}, {6, "Ünïcode ☃"}}
	for _, th := range things {
		e.exec("things", shardOf(hashKsid(t, th.id)), "INSERT INTO things (id, name) VALUES (?, ?)", th.id, th.name)
	}
	targs := []string{"lookup", "backfill", "-vindex", "things.things_name_lookup"}
	wantLines(t, "lookup backfill of things", e.mustMaintain(0, targs...), nil)
	e.checkThings(things...)
	if doc := e.maintainJSON(0, targs...); doc.Summary.Changed != 0 || doc.Summary.Scanned != int64(len(things)) {
		t.Errorf("second run: %+v, want %d scanned and 0 changed", doc.Summary, len(things))
	}
	e.checkThings(things...)
	// The sidecar finds them by name now (through the lookup), and refuses a second owner of a name.
	if got := e.mustCLI("things", `SELECT id FROM things WHERE name = 'o''ne\\il';`); strings.TrimSpace(got) != "id\n5" {
		t.Errorf("things by name through the sidecar: %q", got)
	}
	if l := e.cliError("things", "INSERT INTO things (id, name) VALUES (7, 'baz');"); !strings.HasPrefix(l, "ERROR 1062 (23000)") {
		t.Errorf("a name backfilled is not taken: %s", l)
	}
}

// lookup check finds a missing lookup row, a mismatched one and an orphan (exit 1), repairs them with
// -repair (exit 0), and a check afterwards finds nothing. With only orphans a check exits 0.
func TestMaintainLookupCheck(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	e.mustCLI("customer", "insert into corder(corder_id, customer_id, product_id, oname) values (22, 2, 1, 'fine');")
	e.exec("customer", shardOf(hashKsid(t, 1)), "INSERT INTO corder (corder_id, customer_id, product_id, oname) VALUES (20, 1, 1, 'no lookup row')")
	e.exec("customer", shardOf(hashKsid(t, 4)), "INSERT INTO corder (corder_id, customer_id, product_id, oname) VALUES (21, 4, 1, 'wrong keyspace id')")
	e.exec("product", "0", "INSERT INTO corder_keyspace_idx (corder_id, keyspace_id) VALUES (21, UNHEX(?)), (98, UNHEX(?))", hashKsid(t, 2), hashKsid(t, 1))
	k := func(id int64) string { return "0x" + hashKsid(t, id) }
	found := []string{
		"missing 20 owner_keyspace_id=" + k(1) + " pk=(corder_id=20) shard=-80",
		"mismatch 21 keyspace_id=" + k(2) + " owner_keyspace_id=" + k(4) + " pk=(corder_id=21) shard=80-",
		"orphan 98 keyspace_id=" + k(1) + " pk=(corder_id=98) shard=0",
	}
	args := []string{"lookup", "check", "-vindex", "customer.corder_keyspace_idx"}
	before := e.corderIdx()
	wantLines(t, "lookup check", e.mustMaintain(1, args...), found)
	if got := e.corderIdx(); !reflect.DeepEqual(got, before) {
		t.Errorf("the check changed corder_keyspace_idx: %v, was %v", got, before)
	}
	wantLines(t, "lookup check -repair -dry-run", e.mustMaintain(1, append(args, "-repair", "-dry-run")...), []string{
		found[0] + ": dry run: would be created",
		found[1] + ": dry run: would be taken over",
		found[2] + ": dry run: would be deleted",
	})
	wantLines(t, "lookup check -repair", e.mustMaintain(0, append(args, "-repair")...), []string{
		found[0] + ": created",
		found[1] + ": taken over (no owner row at " + k(2) + ")",
		found[2] + ": deleted",
	})
	want := map[string]string{"20": hashKsid(t, 1), "21": hashKsid(t, 4), "22": hashKsid(t, 2)}
	if got := e.corderIdx(); !reflect.DeepEqual(got, want) {
		t.Errorf("corder_keyspace_idx after the repair: %v, want %v", got, want)
	}
	doc := e.maintainJSON(0, args...)
	if s := doc.Summary; s.Findings != 0 || s.Problems != 0 || s.Scanned != 6 || len(doc.Findings) != 0 {
		t.Errorf("check after the repair: %+v %v, want 6 rows scanned and nothing found", s, doc.Findings)
	}

	// Orphans alone are no problem: the next insert of the value takes them over.
	e.exec("product", "0", "INSERT INTO corder_keyspace_idx (corder_id, keyspace_id) VALUES (97, UNHEX(?))", hashKsid(t, 4))
	wantLines(t, "lookup check with an orphan", e.mustMaintain(0, args...), []string{"orphan 97 keyspace_id=" + k(4) + " pk=(corder_id=97) shard=0"})
}

// A lookup backfill while applications write through the sidecar: 200 INSERTs of new things (each
// creating its own lookup row) and 40 DELETEs of things that have none yet. At the end every thing
// has exactly one lookup row, with its keyspace id, on the right shard, and no lookup row is left
// without its thing; a check finds nothing.
func TestMaintainLookupBackfillConcurrent(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	const pre = 3000
	// Pre-existing things, written directly on their shards without lookup rows.
	var byShard = map[string][]string{}
	var args = map[string][]any{}
	for id := int64(1); id <= pre; id++ {
		sh := shardOf(hashKsid(t, id))
		byShard[sh] = append(byShard[sh], "(?, ?)")
		args[sh] = append(args[sh], id, fmt.Sprintf("pre-%d", id))
	}
	for sh, vals := range byShard {
		e.exec("things", sh, "INSERT INTO things (id, name) VALUES "+strings.Join(vals, ", "), args[sh]...)
	}

	ctx := shardedContext(t)
	db := e.driver(e.sc, "things")
	db.SetMaxOpenConns(8)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	fail := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	backfill := make(chan maintainRun, 1)
	start := make(chan struct{})
	go func() {
		<-start
		backfill <- e.maintain("lookup", "backfill", "-vindex", "things.things_name_lookup", "-batch", "50", "-rate", "4000")
	}()
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for i := range 25 {
				id := 10000 + w*25 + i
				if _, err := db.ExecContext(ctx, "INSERT INTO things (id, name) VALUES (?, ?)", id, fmt.Sprintf("new-%d", id)); err != nil {
					fail(fmt.Errorf("insert %d: %w", id, err))
				}
				if i%5 == 0 {
					// A pre-existing thing, maybe before, maybe after the backfill reached it.
					del := 1 + (w*25+i)*7%pre
					if _, err := db.ExecContext(ctx, "DELETE FROM things WHERE id = ?", del); err != nil {
						fail(fmt.Errorf("delete %d: %w", del, err))
					}
				}
				time.Sleep(time.Duration(w+1) * time.Millisecond)
			}
		}()
	}
	close(start)
	wg.Wait()
	r := <-backfill
	for _, err := range errs {
		t.Error(err)
	}
	if r.exit != 0 || strings.TrimSpace(r.stdout) != "" {
		t.Fatalf("lookup backfill: exit %d\nstdout:\n%s\nstderr:\n%s", r.exit, r.stdout, r.stderr)
	}
	t.Logf("lookup backfill during the writes: %s", strings.TrimSpace(r.stderr))

	// Every thing has exactly one lookup row: name → hash(id), on the shard of md5(name); no other.
	var want [][]string
	n := 0
	for _, sh := range shardedShards {
		for _, row := range e.rows("things", sh, "SELECT id, name FROM things") {
			var id int64
			fmt.Sscan(row[0], &id)
			want = append(want, []string{shardOf(md5Ksid(t, row[1])), row[1], hashKsid(t, id)})
			n++
		}
	}
	if n != pre+200-40 {
		t.Errorf("%d things, want %d", n, pre+200-40)
	}
	var got [][]string
	for _, sh := range shardedShards {
		for _, row := range e.rows("things", sh, "SELECT name, hex(keyspace_id) FROM things_name_lookup") {
			got = append(got, append([]string{sh}, row...))
		}
	}
	if got, want := sortedShardRows(got), sortedShardRows(want); !reflect.DeepEqual(got, want) {
		missing, extra := diffRows(want, got)
		t.Errorf("things_name_lookup is not exactly one right row per thing:\nmissing %d: %.20q\nextra %d: %.20q", len(missing), missing, len(extra), extra)
	}
	if doc := e.maintainJSON(0, "lookup", "check", "-vindex", "things.things_name_lookup"); doc.Summary.Findings != 0 {
		t.Errorf("check after the backfill: %+v %v", doc.Summary, doc.Findings)
	}
}

// diffRows returns the rows of want not in got, and of got not in want.
func diffRows(want, got [][]string) (missing, extra [][]string) {
	key := func(r []string) string { return strings.Join(r, "\x00") }
	in := func(rows [][]string) map[string]bool {
		m := map[string]bool{}
		for _, r := range rows {
			m[key(r)] = true
		}
		return m
	}
	w, g := in(want), in(got)
	for _, r := range want {
		if !g[key(r)] {
			missing = append(missing, r)
		}
	}
	for _, r := range got {
		if !w[key(r)] {
			extra = append(extra, r)
		}
	}
	return missing, extra
}

// 20,000 corder_event rows with NULL keyspace_id, backfilled (each row's keyspace id through the
// corder_keyspace_idx lookup): the rate is logged (the closing note of issue 20 quotes it). Then the
// same again, interrupted with SIGINT part-way: what was done stays, a second run does the rest, a
// third finds nothing to do.
func TestMaintainBackfill20000(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	const orders, rows = 200, 20000
	// 200 orders of customers 1-8 through the sidecar (lookup rows and all).
	var vals []string
	for i := range orders {
		vals = append(vals, fmt.Sprintf("(%d, %d, 1, 'o')", i+1, i%8+1))
	}
	e.mustCLI("customer", "insert into corder(corder_id, customer_id, product_id, oname) values "+strings.Join(vals, ", ")+";")
	byShard := map[string][]string{}
	for i := range rows {
		corder := i%orders + 1
		customer := (corder-1)%8 + 1
		byShard[shardOf(hashKsid(t, int64(customer)))] = append(byShard[shardOf(hashKsid(t, int64(customer)))], fmt.Sprintf("(%d, %d, 'e')", i+1, corder))
	}
	for sh, evs := range byShard {
		for len(evs) > 0 {
			n := min(len(evs), 2000)
			e.exec("customer", sh, "INSERT INTO corder_event (corder_event_id, corder_id, ename) VALUES "+strings.Join(evs[:n], ", "))
			evs = evs[n:]
		}
	}
	args := []string{"backfill", "-table", "customer.corder_event", "-column", "keyspace_id", "-batch", "1000"}
	nulls := func() int {
		n := 0
		for _, sh := range shardedShards {
			var c int
			fmt.Sscan(e.rows("customer", sh, "SELECT COUNT(*) FROM corder_event WHERE keyspace_id IS NULL")[0][0], &c)
			n += c
		}
		return n
	}
	doc := e.maintainJSON(0, args...)
	if s := doc.Summary; s.Scanned != rows || s.Changed != rows || s.Problems != 0 {
		t.Fatalf("backfill of %d rows: %+v", rows, s)
	}
	t.Logf("backfill of %d rows (keyspace id through a lookup vindex): %.2fs, %.0f rows/s", rows, doc.Summary.Seconds, doc.Summary.RowsPerSecond)
	if n := nulls(); n != 0 {
		t.Fatalf("%d NULLs left", n)
	}
	for _, sh := range shardedShards {
		for _, r := range e.rows("customer", sh, "SELECT DISTINCT c.corder_id, hex(e.keyspace_id) FROM corder_event e JOIN corder c USING (corder_id) WHERE hex(e.keyspace_id) <> hex(?) AND c.customer_id = 1", ksidBytes(t, hashKsid(t, 1))) {
			t.Errorf("event of order %s has keyspace id %s, want %s", r[0], r[1], hashKsid(t, 1))
		}
	}

	// Interrupted and resumed.
	for _, sh := range shardedShards {
		e.exec("customer", sh, "UPDATE corder_event SET keyspace_id = NULL")
	}
	cmd := exec.Command(e.bin, append(args, "-batch", "500", "-rate", "8000", "-json", "-config", e.config)...)
	var out strings.Builder
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1200 * time.Millisecond)
	_ = cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	var first maintainDoc
	if jerr := json.Unmarshal([]byte(out.String()), &first); jerr != nil {
		t.Fatalf("interrupted run: %v, output %q", err, out.String())
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 || !first.Summary.Interrupted {
		t.Errorf("interrupted run: %v, %+v; want exit 1 and interrupted", err, first.Summary)
	}
	left := nulls()
	if first.Summary.Changed == 0 || first.Summary.Changed >= rows || int64(left) != rows-first.Summary.Changed {
		t.Errorf("interrupted run changed %d rows, %d NULLs left; want part of %d, the rest NULL", first.Summary.Changed, left, rows)
	}
	second := e.maintainJSON(0, args...)
	if second.Summary.Changed != int64(left) || nulls() != 0 {
		t.Errorf("resumed run changed %d rows, want %d; %d NULLs left", second.Summary.Changed, left, nulls())
	}
	if third := e.maintainJSON(0, args...); third.Summary.Changed != 0 {
		t.Errorf("third run changed %d rows", third.Summary.Changed)
	}
}

// The locks, made visible: an application transaction (as a sidecar runs it) holds rows while the
// commands run, and they wait for it instead of acting on what they read before it committed.
//
//   - lookup backfill: a DELETE and an UPDATE of owner rows without lookup rows hold them (FOR UPDATE,
//     as the sidecar reads the rows of an UPDATE/DELETE); the backfill waits, then creates no lookup
//     row for the deleted row and creates the renamed row's for its new name.
//   - lookup check -repair: an INSERT whose lookup row is committed (the consistent lookup commits it
//     first) and whose owner row is not yet: the lookup row looks like an orphan, but the repair waits
//     for the owner row and does not delete it.
func TestMaintainLocks(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	ctx := shardedContext(t)
	for _, th := range []thingRow{{1, "foo"}, {2, "bar"}, {4, "baz"}} {
		e.exec("things", shardOf(hashKsid(t, th.id)), "INSERT INTO things (id, name) VALUES (?, ?)", th.id, th.name)
	}
	// waitLockWait waits until a command's locking read waits on server m (in MariaDB 10.11 a
	// transaction that has written nothing does not show in INNODB_TRX: look at the processlist).
	waitLockWait := func(m *MariaDB) {
		t.Helper()
		for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			r := m.MustQuery(t, "", "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE id <> CONNECTION_ID() AND info LIKE '%LOCK IN SHARE MODE'")
			if r[0][0] != "0" {
				return
			}
		}
		t.Fatal("no command waits for the application's locks")
	}
	async := func(args ...string) chan maintainRun {
		ch := make(chan maintainRun, 1)
		go func() { ch <- e.maintain(args...) }()
		return ch
	}

	// things 1 and 2 are on -80 (server A).
	app, err := e.a.DB("things_x80").Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	mustApp := func(q string) {
		t.Helper()
		if _, err := app.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	mustApp("BEGIN")
	mustApp("SELECT * FROM things WHERE id IN (1, 2) FOR UPDATE")
	done := async("lookup", "backfill", "-vindex", "things.things_name_lookup", "-lock-wait", "20s")
	waitLockWait(e.a)
	mustApp("DELETE FROM things WHERE id = 1")
	mustApp("UPDATE things SET name = 'renamed' WHERE id = 2")
	mustApp("COMMIT")
	if r := <-done; r.exit != 0 || r.stdout != "" {
		t.Fatalf("lookup backfill: exit %d\n%s%s", r.exit, r.stdout, r.stderr)
	}
	e.checkThings(thingRow{2, "renamed"}, thingRow{4, "baz"})

	// An INSERT half-way: lookup row new → hash(5) committed on its shard (80-), owner row 5 inserted on
	// -80 and not committed.
	e.exec("things", shardOf(md5Ksid(t, "new")), "INSERT INTO things_name_lookup (name, keyspace_id) VALUES ('new', UNHEX(?))", hashKsid(t, 5))
	mustApp("BEGIN")
	mustApp("INSERT INTO things (id, name) VALUES (5, 'new')")
	done = async("lookup", "check", "-repair", "-vindex", "things.things_name_lookup", "-lock-wait", "20s")
	waitLockWait(e.a)
	mustApp("COMMIT")
	if r := <-done; r.exit != 0 || r.stdout != "" {
		t.Fatalf("lookup check -repair: exit %d\n%s%s", r.exit, r.stdout, r.stderr)
	}
	e.checkThings(thingRow{2, "renamed"}, thingRow{4, "baz"}, thingRow{5, "new"})
}
