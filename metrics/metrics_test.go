package metrics

import (
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
)

// The metrics are the process's: each test uses label values of its own.

func TestShardQueries(t *testing.T) {
	a, b := NewShard("ks_queries", "-80"), NewShard("ks_queries", "80-")
	for range 3 {
		a.Query("select")
	}
	a.Query("insert")
	b.Query("select")
	for _, tc := range []struct {
		shard, typ string
		want       float64
	}{{"-80", "select", 3}, {"-80", "insert", 1}, {"80-", "select", 1}} {
		if got := testutil.ToFloat64(shardQueries.WithLabelValues("ks_queries", tc.shard, tc.typ)); got != tc.want {
			t.Errorf("sidecar_shard_queries_total{shard=%q,type=%q} = %v, want %v", tc.shard, tc.typ, got, tc.want)
		}
	}
	// A pool created again for the same shard (a reload) goes on counting.
	NewShard("ks_queries", "-80").Query("select")
	if got := testutil.ToFloat64(shardQueries.WithLabelValues("ks_queries", "-80", "select")); got != 4 {
		t.Errorf("after a second NewShard: %v, want 4", got)
	}
}

func TestWaits(t *testing.T) {
	s := NewShard("ks_waits", "0")
	if got := testutil.ToFloat64(backendWaits.WithLabelValues("ks_waits", "0")); got != 0 {
		t.Errorf("waits of a new shard = %v, want 0", got)
	}
	s.Waited()
	s.Waited()
	if got := testutil.ToFloat64(backendWaits.WithLabelValues("ks_waits", "0")); got != 2 {
		t.Errorf("waits = %v, want 2", got)
	}
}

func TestStatementDurations(t *testing.T) {
	Statement("ks_durations", "select", 300*time.Microsecond)
	Statement("ks_durations", "select", 2*time.Second)
	Statement("ks_durations", "update", time.Millisecond)
	var m dto.Metric
	if err := queryDuration.WithLabelValues("ks_durations", "select").(prometheus.Metric).Write(&m); err != nil {
		t.Fatal(err)
	}
	h := m.GetHistogram()
	if h.GetSampleCount() != 2 || h.GetSampleSum() != 2.0003 {
		t.Errorf("count %d sum %v, want 2 and 2.0003", h.GetSampleCount(), h.GetSampleSum())
	}
	// Cumulative counts: 300µs in the 0.5 ms bucket, 2 s in the 2.5 s one.
	want := map[float64]uint64{0.00025: 0, 0.0005: 1, 1: 1, 2.5: 2, 10: 2}
	for _, b := range h.GetBucket() {
		if n, ok := want[b.GetUpperBound()]; ok && b.GetCumulativeCount() != n {
			t.Errorf("bucket le=%v: %d, want %d", b.GetUpperBound(), b.GetCumulativeCount(), n)
		}
	}
	if len(h.GetBucket()) != len(durationBuckets) {
		t.Errorf("%d buckets, want %d", len(h.GetBucket()), len(durationBuckets))
	}
}

func TestErrors(t *testing.T) {
	Error(1062)
	Error(1062)
	Error(1146)
	for code, want := range map[string]float64{"1062": 2, "1146": 1} {
		if got := testutil.ToFloat64(errorsTotal.WithLabelValues(code)); got != want {
			t.Errorf("sidecar_errors_total{code=%q} = %v, want %v", code, got, want)
		}
	}
}

func TestVSchemaVersionAndReloads(t *testing.T) {
	SetVSchemaVersion(7)
	if got := testutil.ToFloat64(vschemaVersion); got != 7 {
		t.Errorf("sidecar_vschema_version = %v, want 7", got)
	}
	ok, failed := reloads.WithLabelValues("success"), reloads.WithLabelValues("failure")
	okBefore, failedBefore := testutil.ToFloat64(ok), testutil.ToFloat64(failed)
	Reloaded(nil)
	Reloaded(nil)
	Reloaded(errors.New("bad config"))
	if d := testutil.ToFloat64(ok) - okBefore; d != 2 {
		t.Errorf("successful reloads counted %v, want 2", d)
	}
	if d := testutil.ToFloat64(failed) - failedBefore; d != 1 {
		t.Errorf("failed reloads counted %v, want 1", d)
	}
}

func TestSequenceReserved(t *testing.T) {
	SequenceReserved("product", "seq_test", 1000)
	SequenceReserved("product", "seq_test", 1000)
	if got := testutil.ToFloat64(sequenceReserved.WithLabelValues("product", "seq_test")); got != 2000 {
		t.Errorf("sidecar_sequence_values_reserved_total = %v, want 2000", got)
	}
}

type fakeSource struct{ cache bool }

func (fakeSource) ClientConnections() int { return 3 }

func (fakeSource) BackendPools(f func(keyspace, shard string, inUse, idle int)) {
	f("things", "-80", 2, 5)
	f("things", "80-", 0, 1)
}

func (s fakeSource) LookupCache() (CacheStats, bool) {
	return CacheStats{Hits: 10, Misses: 4, Entries: 6}, s.cache
}

func TestSource(t *testing.T) {
	Observe(fakeSource{cache: true})
	want := `
# HELP sidecar_backend_connections Connections of a shard's pool, by state: in_use (by a statement or a session) or idle.
# TYPE sidecar_backend_connections gauge
sidecar_backend_connections{keyspace="things",shard="-80",state="idle"} 5
sidecar_backend_connections{keyspace="things",shard="-80",state="in_use"} 2
sidecar_backend_connections{keyspace="things",shard="80-",state="idle"} 1
sidecar_backend_connections{keyspace="things",shard="80-",state="in_use"} 0
# HELP sidecar_client_connections Client connections open, handshakes in progress included.
# TYPE sidecar_client_connections gauge
sidecar_client_connections 3
# HELP sidecar_lookup_cache_entries Values in the lookup cache.
# TYPE sidecar_lookup_cache_entries gauge
sidecar_lookup_cache_entries 6
# HELP sidecar_lookup_cache_requests_total Lookup vindex values looked up in the lookup cache, by result (hit or miss).
# TYPE sidecar_lookup_cache_requests_total counter
sidecar_lookup_cache_requests_total{result="hit"} 10
sidecar_lookup_cache_requests_total{result="miss"} 4
`
	if err := testutil.CollectAndCompare(&source, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
	// Without a lookup cache, no lookup cache series.
	Observe(fakeSource{cache: false})
	if n := testutil.CollectAndCount(&source, "sidecar_lookup_cache_requests_total", "sidecar_lookup_cache_entries"); n != 0 {
		t.Errorf("%d lookup cache series without a cache", n)
	}
}

func TestHandler(t *testing.T) {
	NewShard("ks_handler", "0").Query("select")
	rec := httptest.NewRecorder()
	Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Result().Body)
	text := string(body)
	for _, want := range []string{
		`sidecar_shard_queries_total{keyspace="ks_handler",shard="0",type="select"} 1`,
		`sidecar_reloads_total{result="failure"}`,
		"go_goroutines ",
		"process_cpu_seconds_total ",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// The statement path allocates nothing once its label children exist.
func TestNoAllocations(t *testing.T) {
	s := NewShard("ks_allocs", "-80")
	s.Query("select")
	Statement("ks_allocs", "select", time.Millisecond)
	Error(1213)
	if n := testing.AllocsPerRun(1000, func() {
		s.Query("select")
		Statement("ks_allocs", "select", time.Millisecond)
		Error(1213)
	}); n != 0 {
		t.Errorf("%v allocations per statement, want 0", n)
	}
}

func BenchmarkStatement(b *testing.B) {
	s := NewShard("ks_bench", "-80")
	for b.Loop() {
		s.Query("select")
		Statement("ks_bench", "select", 300*time.Microsecond)
	}
}
