package integration

// Issue 19: VSchema DDL through the MySQL protocol, stored in the metadata keyspace and shared by
// every sidecar, and SIGHUP reloads. The seeds' servers and keyspaces (sharded_test.go).

import (
	"encoding/json"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// seed002DDL is seed 002's "Alternate VSchema DDL", as the seed shows it.
const seed002DDL = "alter vschema add sequence product.corder_event_seq;\n" +
	"alter vschema on customer.corder_event add vindex corder_keyspace_idx(corder_id);\n" +
	"alter vschema on customer.corder_event add auto_increment corder_event_id using product.corder_event_seq;\n" +
	"alter vschema on customer.corder_event add vindex `binary`(keyspace_id) using `binary`;\n"

// seed002Start is where seed 002 starts: the example VSchemas without corder_event and its
// sequence, which the seed's DDL adds, and product as the metadata keyspace.
func seed002Start(t *testing.T) shardedOptions {
	without := func(table string) func(map[string]any) {
		return func(tables map[string]any) { delete(tables, table) }
	}
	return shardedOptions{
		customerVSchema: exampleVSchemaWith(t, "customer.vschema.json", without("corder_event")),
		productVSchema:  exampleVSchemaWith(t, "product.vschema.json", without("corder_event_seq")),
		metadata:        "{keyspace: product, poll_interval: 200ms}",
	}
}

// corderEventVindexes is SHOW VSCHEMA VINDEXES ON corder_event once seed 002's DDL ran.
const corderEventVindexes = `
+-------------+---------------------+--------------------------+-------------------------------------------------------------------+--------+
| Columns     | Name                | Type                     | Params                                                            | Owner  |
+-------------+---------------------+--------------------------+-------------------------------------------------------------------+--------+
| corder_id   | corder_keyspace_idx | consistent_lookup_unique | from=corder_id; table=product.corder_keyspace_idx; to=keyspace_id | corder |
| keyspace_id | binary              | binary                   |                                                                   |        |
+-------------+---------------------+--------------------------+-------------------------------------------------------------------+--------+
2 rows in set`

// TestVSchemaDDLSeed002: seed 002's VSchema DDL typed into the mariadb client, then its session;
// a second sidecar follows the change, a restarted one keeps it, bad DDL changes nothing.
func TestVSchemaDDLSeed002(t *testing.T) {
	e := newShardedEnv(t, seed002Start(t))
	second := e.startSidecar() // running before the change: it must follow it

	e.runSteps("customer", []cliStep{
		{sql: "insert into corder_event(corder_id, ename) values(1, 'paid');", err: "ERROR 1146 (42S02) at line 1: ", errHas: []string{"corder_event"}},
		{sql: seed002DDL, out: strings.Repeat("Query OK, 0 rows affected\n", 4)},
		{sql: "show vschema vindexes on customer.corder_event;", out: corderEventVindexes},
		{sql: "show vschema tables;", out: `
+--------------+
| Tables       |
+--------------+
| corder       |
| corder_event |
| customer     |
+--------------+
3 rows in set`},
	})
	runSeed002(t, e)

	// The second sidecar polls the store: within a couple of seconds it routes corder_event, the
	// keyspace_id column filled by the binary vindex and the id from the sequence.
	deadline := time.Now().Add(5 * time.Second)
	for {
		out, _, _ := RunCLI(second.Addr(), seedUser, seedPassword, "customer", "show vschema tables")
		if strings.Contains(out, "corder_event") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the second sidecar does not see corder_event after 5s:\n%s", out)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if out, errOut, code := RunCLI(second.Addr(), seedUser, seedPassword, "customer",
		"insert into corder_event(corder_id, ename) values(1, 'via second')"); code != 0 {
		t.Fatalf("insert through the second sidecar: exit %d\n%s%s", code, out, errOut)
	}
	// Its id starts its own block of the sequence: the first sidecar reserved [1, 4) and [4, 7).
	if got := e.rows("customer", "-80", "SELECT corder_event_id, hex(keyspace_id) FROM corder_event WHERE ename = 'via second'"); len(got) != 1 ||
		got[0][0] != "7" || got[0][1] != ksidHash1 {
		t.Errorf("the second sidecar's row: %q, want [[7 %s]] (keyspace id of corder 1)", got, ksidHash1)
	}

	// A restarted sidecar keeps the change: it reads the store, not only its files.
	if err := e.sc.Stop(); err != nil {
		t.Fatal(err)
	}
	e.sc = MustStartSidecar(t, e.bin, e.config, e.listen)
	e.runSteps("customer", []cliStep{{sql: "show vschema vindexes on customer.corder_event;", out: corderEventVindexes}})
	out, err := exec.Command(e.bin, "vschema", "-config", e.config, "customer").Output()
	var printed struct {
		Tables map[string]struct {
			AutoIncrement struct{ Column, Sequence string } `json:"auto_increment"`
		}
	}
	if err != nil || json.Unmarshal(out, &printed) != nil || printed.Tables["corder_event"].AutoIncrement.Sequence != "product.corder_event_seq" {
		t.Errorf("sidecar vschema customer: %v\n%s", err, out)
	}

	// Bad DDL is refused and changes nothing, here or in the store.
	versions := e.rows("product", "0", "SELECT max(version), count(*) FROM sidecar_vschema")
	if !slices.Equal(versions[0], []string{"4", "4"}) {
		t.Errorf("stored versions (max, count): %q, want one per statement of the seed", versions)
	}
	vindexes := e.mustCLI("customer", "show vschema vindexes")
	for _, bad := range []struct{ sql, err string }{
		{"alter vschema create vindex customer.bad using nope_md5", `ERROR 1105 (HY000) at line 1: vschema of keyspace customer: vindexes.bad.type: vindexType "nope_md5" not found`},
		{"alter vschema drop vindex customer.corder_keyspace_idx", "ERROR 1105 (HY000) at line 1: can not drop vindex cause corder_keyspace_idx still defined on table corder"},
		{"alter vschema on customer.nope drop vindex hash", "ERROR 1105 (HY000) at line 1: table customer.nope not defined in vschema"},
		{"alter vschema on customer.nope drop auto_increment", "ERROR 1105 (HY000) at line 1: vschema does not contain table nope in keyspace customer"},
		{"alter vschema add sequence product.corder_event_seq", "ERROR 1105 (HY000) at line 1: vschema already contains sequence corder_event_seq in keyspace product"},
		{"alter vschema drop sequence product.corder_event_seq", "ERROR 1105 (HY000) at line 1: vschema of keyspace customer: tables.corder_event.auto_increment.sequence: cannot resolve sequence product.corder_event_seq"},
		{"alter vschema create vindex product.h using hash", "ERROR 1105 (HY000) at line 1: "},
		{"alter vschema on customer.corder add vindex", "ERROR 1064 (42000) at line 1: "},
	} {
		if line := e.cliError("customer", bad.sql); !strings.HasPrefix(line, bad.err) {
			t.Errorf("%s:\n got %s\nwant %s…", bad.sql, line, bad.err)
		}
	}
	if got := e.rows("product", "0", "SELECT max(version), count(*) FROM sidecar_vschema"); !slices.Equal(got[0], versions[0]) {
		t.Errorf("stored versions after bad DDL: %q, want %q", got, versions)
	}
	if got := e.mustCLI("customer", "show vschema vindexes"); got != vindexes {
		t.Errorf("vindexes after bad DDL:\n%s\nwant\n%s", got, vindexes)
	}
}

// TestReloadSIGHUP: a reload adds a user and changes the pools while a transaction opened before it
// goes on and commits after it; a broken config is logged as sidecar check prints it, and the one in
// force stays.
func TestReloadSIGHUP(t *testing.T) {
	opts := shardedOptions{}
	e := newShardedEnv(t, opts)
	if line := e.cliError("customer", "alter vschema add table product.x"); !strings.HasPrefix(line,
		"ERROR 1105 (HY000) at line 1: VSchema DDL needs a metadata keyspace to store the VSchema in: add metadata: {keyspace: NAME}") {
		t.Errorf("VSchema DDL without metadata: %s", line)
	}

	ctx := shardedContext(t)
	conn := e.session(ctx, "things")
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, "insert into things(id, name) values (?, ?)", 1, "foo"); err != nil {
		t.Fatal(err)
	}

	// A new user and another pool size (every shard gets a new pool).
	opts.users = []string{"{name: reloaded, password: pw}"}
	opts.backend = "pool_size: 8"
	e.reload(opts)
	waitLogin(t, e.sc, "reloaded", "pw", true)
	if _, err := tx.ExecContext(ctx, "insert into things(id, name) values (?, ?)", 2, "bar"); err != nil {
		t.Fatalf("the transaction opened before the reload: %v", err)
	}
	e.checkThings() // nothing committed yet
	if err := tx.Commit(); err != nil {
		t.Fatalf("commit after the reload: %v", err)
	}
	e.checkThings(thingRow{1, "foo"}, thingRow{2, "bar"})

	// A broken config (without the new user): refused with sidecar check's messages.
	broken := strings.Replace(e.yaml(shardedOptions{}), "pool_size: 16", "pool_size: -1", 1) + "lookup_cach: {size: 1}\n"
	if err := os.WriteFile(e.config, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	checkOut, err := exec.Command(e.bin, "check", "-config", e.config).CombinedOutput()
	problems := strings.Split(strings.TrimSpace(string(checkOut)), "\n")
	if err == nil || len(problems) != 2 {
		t.Fatalf("sidecar check of the broken config: %v\n%s", err, checkOut)
	}
	if err := e.sc.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	logged := waitLogMessage(t, e.sc, "reload refused: the config in force stays")
	for _, p := range problems {
		if !slices.Contains(logged, p) {
			t.Errorf("the log does not say %q; it says %q", p, logged)
		}
	}
	waitLogin(t, e.sc, "reloaded", "pw", true) // the config in force stays
	select {
	case <-e.sc.Exited():
		t.Fatalf("the sidecar exited on a broken reload: %v", e.sc.ExitErr())
	default:
	}
	e.mustCLI("things", "insert into things(id, name) values (3, 'baz')")
	e.checkThings(thingRow{1, "foo"}, thingRow{2, "bar"}, thingRow{3, "baz"})
}

// reload writes the config of opts and sends SIGHUP.
func (e *shardedEnv) reload(opts shardedOptions) {
	e.t.Helper()
	if err := os.WriteFile(e.config, []byte(e.yaml(opts)), 0o644); err != nil {
		e.t.Fatal(err)
	}
	if err := e.sc.Signal(syscall.SIGHUP); err != nil {
		e.t.Fatal(err)
	}
}

// waitLogin waits up to 5 s until user can (or cannot) log in through sc.
func waitLogin(t *testing.T, sc *Sidecar, user, password string, can bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, errOut, code := RunCLI(sc.Addr(), user, password, "", "select 1")
		if (code == 0) == can {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("login of %s after 5 s: exit %d, want success %v\n%s", user, code, can, errOut)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitLogMessage waits up to 5 s for a log line with message msg and returns every message logged
// before it.
func waitLogMessage(t *testing.T, sc *Sidecar, msg string) []string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var msgs []string
		for _, line := range strings.Split(sc.Logs(), "\n") {
			var entry struct{ Message string }
			if json.Unmarshal([]byte(line), &entry) != nil {
				continue
			}
			if entry.Message == msg {
				return msgs
			}
			msgs = append(msgs, entry.Message)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no log message %q after 5 s:\n%s", msg, sc.Logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
