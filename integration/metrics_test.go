package integration

// End-to-end tests of issue 19's /metrics and slow query log: known traffic through a real sidecar,
// then its /metrics scraped over HTTP and parsed, or its log read.

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// observedSidecar starts another sidecar on e's config with an admin listener, returning it and
// the admin address. replace are pairs of config text and what replaces it.
func (e *shardedEnv) observedSidecar(replace ...string) (*Sidecar, string) {
	path, listen, admin := e.observedConfig(FreePort(), FreePort(), replace...)
	return MustStartSidecar(e.t, e.bin, path, listen), admin
}

// observedConfig writes e's config with the MySQL listener on port and an admin listener on
// adminPort, and the replacements made, returning its path and the two addresses.
func (e *shardedEnv) observedConfig(port, adminPort int, replace ...string) (path, listen, admin string) {
	t := e.t
	t.Helper()
	b, err := os.ReadFile(e.config)
	if err != nil {
		t.Fatal(err)
	}
	cfg := string(b)
	listen = fmt.Sprintf("127.0.0.1:%d", port)
	admin = fmt.Sprintf("127.0.0.1:%d", adminPort)
	replace = append(replace, fmt.Sprintf("listen: %q", e.listen), fmt.Sprintf("listen: %q", listen),
		`admin_listen: ""`, fmt.Sprintf("admin_listen: %q", admin))
	for i := 0; i < len(replace); i += 2 {
		if !strings.Contains(cfg, replace[i]) {
			t.Fatalf("the config has no %q to replace:\n%s", replace[i], cfg)
		}
		cfg = strings.Replace(cfg, replace[i], replace[i+1], 1)
	}
	path = filepath.Join(e.dir, "observed.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, listen, admin
}

// TestListenersTaken: a sidecar whose MySQL or admin port another process holds does not start: it
// exits saying which listener, and never serves without /metrics. Once started, /metrics answers
// as soon as the MySQL port does.
func TestListenersTaken(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	taken := held.Addr().(*net.TCPAddr).Port
	for _, c := range []struct {
		name            string
		port, adminPort int
		log             string
	}{
		{"admin_listen", FreePort(), taken, `"message":"admin_listen"`},
		{"listen", taken, FreePort(), `"message":"listen"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			path, _, _ := e.observedConfig(c.port, c.adminPort)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			out, err := exec.CommandContext(ctx, e.bin, "-config", path).CombinedOutput()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 1 {
				t.Fatalf("a sidecar with its %s port taken: %v, want exit status 1\n%s", c.name, err, out)
			}
			if !strings.Contains(string(out), c.log) || !strings.Contains(string(out), "address already in use") {
				t.Errorf("want the exit to name %s and say the address is in use:\n%s", c.log, out)
			}
		})
	}
	_, admin := e.observedSidecar()
	resp, err := http.Get("http://" + admin + "/metrics")
	if err != nil {
		t.Fatalf("/metrics once the MySQL port accepts: %v", err)
	}
	resp.Body.Close()
}

// samples are scraped values by series: `name{label="value",…}` with the labels in name order, and
// a histogram's `name_count{…}` and `name_sum{…}`.
type samples map[string]float64

// scrape fetches /metrics from the admin address and parses it.
func scrape(t *testing.T, admin string) samples {
	t.Helper()
	resp, err := http.Get("http://" + admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %s", resp.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parsing /metrics: %v", err)
	}
	out := samples{}
	for name, mf := range families {
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, lp := range m.GetLabel() {
				labels = append(labels, fmt.Sprintf("%s=%q", lp.GetName(), lp.GetValue()))
			}
			sort.Strings(labels)
			key := "{" + strings.Join(labels, ",") + "}"
			switch {
			case m.Counter != nil:
				out[name+key] = m.GetCounter().GetValue()
			case m.Gauge != nil:
				out[name+key] = m.GetGauge().GetValue()
			case m.Histogram != nil:
				out[name+"_count"+key] = float64(m.GetHistogram().GetSampleCount())
				out[name+"_sum"+key] = m.GetHistogram().GetSampleSum()
			case m.Untyped != nil:
				out[name+key] = m.GetUntyped().GetValue()
			}
		}
	}
	return out
}

// delta is how much each series grew from before to after.
func (after samples) delta(before samples, series string) float64 {
	return after[series] - before[series]
}

// boundedLabel: keyspace and shard names, statement types, error numbers, states. A statement's
// text would not match (spaces, quotes) or be this short.
var boundedLabel = regexp.MustCompile(`^[A-Za-z0-9_./:+-]{0,40}$`)

func TestMetrics(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	// Two connections per shard, so a third statement on a shard waits for one.
	sc, admin := e.observedSidecar("pool_size: 16", "pool_size: 2")
	e.mustCLI("things", "insert into things(id, name) values (1, 'one'), (4, 'four')") // -80 and 80-
	ctx := shardedContext(t)
	db := e.driver(sc, "things")
	db.SetMaxIdleConns(0) // a connection given back is closed: the test holds the ones it counts
	conn := func(t *testing.T) *sql.Conn {
		t.Helper()
		c, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.PingContext(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	query := func(c *sql.Conn, q string, args ...any) error {
		rows, err := c.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		_, err = ScanStrings(rows)
		return err
	}
	mustQuery := func(t *testing.T, c *sql.Conn, q string, args ...any) {
		t.Helper()
		if err := query(c, q, args...); err != nil {
			t.Fatalf("%s %v: %v", q, args, err)
		}
	}
	app := conn(t)

	t.Run("point selects by shard and type", func(t *testing.T) {
		before := scrape(t, admin)
		for range 5 {
			mustQuery(t, app, "select id, name from things where id = 1") // text, on -80
		}
		for range 3 {
			mustQuery(t, app, "select id, name from things where id = ?", 4) // prepared, on 80-
		}
		after := scrape(t, admin)
		for series, want := range map[string]float64{
			`sidecar_shard_queries_total{keyspace="things",shard="-80",type="select"}`:   5,
			`sidecar_shard_queries_total{keyspace="things",shard="80-",type="select"}`:   3,
			`sidecar_query_duration_seconds_count{keyspace="things",type="select"}`:      8,
			`sidecar_shard_queries_total{keyspace="customer",shard="-80",type="select"}`: 0,
		} {
			if d := after.delta(before, series); d != want {
				t.Errorf("%s grew by %v, want %v", series, d, want)
			}
		}
		if d := after.delta(before, `sidecar_query_duration_seconds_sum{keyspace="things",type="select"}`); d <= 0 || d > 5 {
			t.Errorf("8 point selects took %v s in all", d)
		}
	})

	t.Run("errors by code", func(t *testing.T) {
		before := scrape(t, admin)
		// Refused by the shard: a duplicate primary key, in the sidecar's statement transaction.
		if _, err := app.ExecContext(ctx, "insert into things(id, name) values (1, 'again')"); err == nil {
			t.Fatal("a duplicate id was inserted")
		}
		// The shard's own error, relayed as it is.
		if err := query(app, "select * from product.no_such_table"); err == nil {
			t.Fatal("no_such_table was found")
		}
		after := scrape(t, admin)
		for code, want := range map[string]float64{"1062": 1, "1146": 1} {
			if d := after.delta(before, `sidecar_errors_total{code="`+code+`"}`); d != want {
				t.Errorf("sidecar_errors_total{code=%q} grew by %v, want %v", code, d, want)
			}
		}
		if d := after.delta(before, `sidecar_query_duration_seconds_count{keyspace="product",type="select"}`); d != 1 {
			t.Errorf("the failed select in product counted %v times, want 1", d)
		}
	})

	t.Run("lookup cache", func(t *testing.T) {
		before := scrape(t, admin)
		for range 4 {
			mustQuery(t, app, "select id from things where name = 'four'") // routed by things_name_lookup
		}
		after := scrape(t, admin)
		for result, want := range map[string]float64{"miss": 1, "hit": 3} {
			if d := after.delta(before, `sidecar_lookup_cache_requests_total{result="`+result+`"}`); d != want {
				t.Errorf("lookup cache %ss grew by %v, want %v", result, d, want)
			}
		}
		if after[`sidecar_lookup_cache_entries{}`] < 1 {
			t.Errorf("sidecar_lookup_cache_entries = %v", after[`sidecar_lookup_cache_entries{}`])
		}
	})

	t.Run("sequence values", func(t *testing.T) {
		for i := range 4 {
			if _, err := app.ExecContext(ctx, "insert into customer.customer(email) values (?)", fmt.Sprintf("c%d@example.com", i)); err != nil {
				t.Fatal(err)
			}
		}
		// Cache 3 (testdata/product.sql): values 1-3 reserved by the first insert, 4-6 by the fourth.
		series := `sidecar_sequence_values_reserved_total{keyspace="product",sequence="customer_seq"}`
		if got := scrape(t, admin)[series]; got != 6 {
			t.Errorf("%s = %v, want 6", series, got)
		}
	})

	t.Run("client connections", func(t *testing.T) {
		before := scrape(t, admin)
		var extra []*sql.Conn
		for range 3 {
			extra = append(extra, conn(t))
		}
		after := scrape(t, admin)
		if d := after.delta(before, `sidecar_client_connections{}`); d != 3 {
			t.Errorf("3 more clients: sidecar_client_connections grew by %v", d)
		}
		if d := after.delta(before, `sidecar_client_connections_total{}`); d != 3 {
			t.Errorf("3 more clients: sidecar_client_connections_total grew by %v", d)
		}
		for _, c := range extra {
			c.Close()
		}
		waitMetric(t, admin, `sidecar_client_connections{}`, func(v float64) bool { return v == before[`sidecar_client_connections{}`] })
	})

	t.Run("backend pool in use idle and waits", func(t *testing.T) {
		before := scrape(t, admin)
		// Two transactions hold both connections of things/-80…
		holders := []*sql.Conn{conn(t), conn(t)}
		for _, c := range holders {
			mustQuery(t, c, "begin")
			mustQuery(t, c, "select id from things where id = 1")
		}
		inUse := `sidecar_backend_connections{keyspace="things",shard="-80",state="in_use"}`
		if got := scrape(t, admin)[inUse]; got != 2 {
			t.Errorf("%s = %v with two transactions open, want 2", inUse, got)
		}
		// …so a third statement waits, until one of them commits.
		waiter := conn(t)
		done := make(chan error, 1)
		go func() { done <- query(waiter, "select id from things where id = 1") }()
		waits := `sidecar_backend_connection_waits_total{keyspace="things",shard="-80"}`
		waitMetric(t, admin, waits, func(v float64) bool { return v > before[waits] })
		mustQuery(t, holders[0], "commit")
		if err := <-done; err != nil {
			t.Fatalf("the waiting select: %v", err)
		}
		mustQuery(t, holders[1], "commit")
		after := scrape(t, admin)
		if d := after.delta(before, waits); d != 1 {
			t.Errorf("%s grew by %v, want 1", waits, d)
		}
		idle := `sidecar_backend_connections{keyspace="things",shard="-80",state="idle"}`
		if after[inUse] != 0 || after[idle] != 2 {
			t.Errorf("after the commits: in_use %v idle %v, want 0 and 2", after[inUse], after[idle])
		}
		if d := after.delta(before, `sidecar_shard_queries_total{keyspace="things",shard="-80",type="commit"}`); d != 2 {
			t.Errorf("2 commits on -80 counted %v times", d)
		}
	})

	t.Run("process, runtime, version, reloads, bounded labels", func(t *testing.T) {
		all := scrape(t, admin)
		for _, series := range []string{
			`go_goroutines{}`, `process_cpu_seconds_total{}`, `process_resident_memory_bytes{}`,
			`sidecar_vschema_version{}`, `sidecar_reloads_total{result="success"}`, `sidecar_reloads_total{result="failure"}`,
		} {
			if _, ok := all[series]; !ok {
				t.Errorf("/metrics has no %s", series)
			}
		}
		label := regexp.MustCompile(`([a-z_]+)="((?:[^"\\]|\\.)*)"`)
		var names []string
		for series := range all {
			if !strings.HasPrefix(series, "sidecar_") {
				continue
			}
			names = append(names, series)
			for _, m := range label.FindAllStringSubmatch(series, -1) {
				if !boundedLabel.MatchString(m[2]) {
					t.Errorf("%s: label %s=%q is not a bounded value", series, m[1], m[2])
				}
			}
		}
		slices.Sort(names)
		t.Logf("%d sidecar series, e.g. %s", len(names), names[0])
	})

	t.Run("reloads and the VSchema version", func(t *testing.T) {
		const ok, refused = `sidecar_reloads_total{result="success"}`, `sidecar_reloads_total{result="failure"}`
		before := scrape(t, admin)
		if v, found := before["sidecar_vschema_version{}"]; !found || v != 0 {
			t.Errorf("sidecar_vschema_version = %v (exported: %v), want 0 without a metadata keyspace", v, found)
		}
		if err := sc.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		waitMetric(t, admin, ok, func(v float64) bool { return v == before[ok]+1 })
		path := filepath.Join(e.dir, "observed.yaml")
		good, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, append(good, "lookup_cach: {size: 1}\n"...), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := sc.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		waitMetric(t, admin, refused, func(v float64) bool { return v == before[refused]+1 })
		if after := scrape(t, admin); after[ok] != before[ok]+1 {
			t.Errorf("%s = %v after a refused reload, want %v", ok, after[ok], before[ok]+1)
		}
		if err := os.WriteFile(path, good, 0o644); err != nil {
			t.Fatal(err)
		}
	})
}

// waitMetric scrapes until series satisfies ok, for up to 5 s.
func waitMetric(t *testing.T, admin, series string, ok func(float64) bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		v := scrape(t, admin)[series]
		if ok(v) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s is still %v after 5 s", series, v)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestSlowQueryLog(t *testing.T) {
	e := newShardedEnv(t, shardedOptions{})
	sc, _ := e.observedSidecar("log: {level: info, format: json}", "log: {level: info, format: json, slow_query: 100ms}")
	e.mustCLI("things", "insert into things(id, name) values (4, 'four')") // 80-
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := e.driver(sc, "things").Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{"SELECT SLEEP(0.2)", nil},
		{"select sleep(0.2), name from things where id = 4 and name = 'four'", nil},
		{"select sleep(?)", []any{0.15}}, // prepared
		{"select id, 'fast-literal' from things where id = 4", nil},
	} {
		rows, err := c.QueryContext(ctx, q.sql, q.args...)
		if err == nil {
			_, err = ScanStrings(rows)
		}
		if err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		}
	}
	type slowLine struct {
		Level      string
		Message    string
		DurationMS float64 `json:"duration_ms"`
		Keyspace   string
		Shards     []string
		Type       string
		Statement  string
	}
	var slow []slowLine
	for deadline := time.Now().Add(5 * time.Second); len(slow) < 3 && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		slow = nil
		for _, line := range strings.Split(sc.Logs(), "\n") {
			var l slowLine
			if json.Unmarshal([]byte(line), &l) == nil && l.Message == "slow query" {
				slow = append(slow, l)
			}
		}
	}
	want := []slowLine{
		{Level: "warn", Message: "slow query", DurationMS: 200, Keyspace: "things", Shards: []string{"things/-80"}, Type: "select",
			Statement: "select `sleep` ( ? )"},
		{Level: "warn", Message: "slow query", DurationMS: 200, Keyspace: "things", Shards: []string{"things/80-"}, Type: "select",
			Statement: "select `sleep` ( ? ) , `name` from `things` where `id` = ? and `name` = ?"},
		{Level: "warn", Message: "slow query", DurationMS: 150, Keyspace: "things", Shards: []string{"things/-80"}, Type: "select",
			Statement: "select `sleep` ( ? )"},
	}
	if len(slow) != len(want) {
		t.Fatalf("%d slow query lines, want %d (the fast select is not slow):\n%s", len(slow), len(want), sc.Logs())
	}
	for i, w := range want {
		got := slow[i]
		// MariaDB's SLEEP may end a fraction of a millisecond early.
		if got.DurationMS < 0.95*w.DurationMS || got.DurationMS > 10*w.DurationMS {
			t.Errorf("line %d: duration_ms %v, want about %v", i, got.DurationMS, w.DurationMS)
		}
		got.DurationMS = w.DurationMS
		if !reflect.DeepEqual(got, w) {
			t.Errorf("line %d:\n got %+v\nwant %+v", i, got, w)
		}
	}
	if logs := sc.Logs(); strings.Contains(logs, "four") {
		t.Errorf("a literal of a slow statement is in the log:\n%s", logs)
	}
}
