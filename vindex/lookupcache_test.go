package vindex

import (
	"encoding/hex"
	"sync"
	"testing"
	"time"
)

// One cache per configuration for the whole test binary: each cache with a
// ttl leaks a goroutine.
var (
	cacheNoTTL = NewLookupCache(2, 0)
	cacheTTL   = NewLookupCache(100, 50*time.Millisecond)
	cacheBench = NewLookupCache(100000, 0)
)

func TestLookupCache(t *testing.T) {
	c := cacheNoTTL
	c.Purge()
	before := c.Stats()

	ksid := unhex(t, ks1)
	if _, ok := c.Get("name_lkp", NewVarChar("foo")); ok {
		t.Fatal("hit on an empty cache")
	}
	c.Add("name_lkp", NewVarChar("foo"), ksid)
	ksid[0] = 0 // the cache keeps its own copy
	got, ok := c.Get("name_lkp", NewVarChar("foo"))
	if !ok || hex.EncodeToString(got) != ks1 {
		t.Fatalf("Get = %x, %v", got, ok)
	}
	// The key is (vindex, value): another vindex does not see it.
	if _, ok := c.Get("other", NewVarChar("foo")); ok {
		t.Error("hit across vindexes")
	}
	// Misses are not cached.
	c.Add("name_lkp", NewVarChar("nope"), nil)
	c.Add("name_lkp", null, unhex(t, ks1))
	if c.Stats().Len != 1 {
		t.Errorf("Len = %d after adding a miss and a NULL", c.Stats().Len)
	}
	// INT64 1 and VARCHAR '1' are two keys (on a text column 1 also matches '01'); Remove of
	// either forgets both.
	c.Add("name_lkp", NewInt64(1), unhex(t, ks2))
	if got, ok := c.Get("name_lkp", NewInt64(1)); !ok || hex.EncodeToString(got) != ks2 {
		t.Errorf("Get(1) = %x, %v", got, ok)
	}
	if _, ok := c.Get("name_lkp", NewVarChar("1")); ok {
		t.Error("Get('1') found the entry of 1")
	}
	c.Remove("name_lkp", NewVarChar("1"))
	if _, ok := c.Get("name_lkp", NewInt64(1)); ok {
		t.Error("Remove('1') left the entry of 1")
	}
	// Size 2: adding two more evicts the least recently used ("foo").
	c.Add("name_lkp", NewInt64(1), unhex(t, ks2))
	c.Add("name_lkp", NewVarChar("bar"), unhex(t, ks3))
	if _, ok := c.Get("name_lkp", NewVarChar("foo")); ok {
		t.Error("foo survived eviction")
	}
	c.Remove("name_lkp", NewVarChar("bar"))
	if _, ok := c.Get("name_lkp", NewVarChar("bar")); ok {
		t.Error("bar survived Remove")
	}
	s := c.Stats()
	if d := (LookupCacheStats{Hits: s.Hits - before.Hits, Misses: s.Misses - before.Misses, Evictions: s.Evictions - before.Evictions, Len: s.Len}); d != (LookupCacheStats{Hits: 2, Misses: 6, Evictions: 1, Len: 1}) {
		t.Errorf("stats delta = %+v", d)
	}
}

func TestLookupCacheTTL(t *testing.T) {
	c := cacheTTL
	c.Add("v", NewVarChar("x"), unhex(t, ks1))
	if _, ok := c.Get("v", NewVarChar("x")); !ok {
		t.Fatal("fresh entry missing")
	}
	time.Sleep(120 * time.Millisecond)
	if _, ok := c.Get("v", NewVarChar("x")); ok {
		t.Error("entry outlived its ttl")
	}
	deadline := time.Now().Add(2 * time.Second)
	for c.Stats().Evictions == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if s := c.Stats(); s.Evictions != 1 || s.Len != 0 {
		t.Errorf("after expiry: %+v", s)
	}
}

func TestLookupCacheConcurrent(t *testing.T) {
	c := cacheBench
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 1000 {
				v := NewInt64(int64(i % 100))
				if _, ok := c.Get("conc", v); !ok {
					c.Add("conc", v, KeyspaceID{byte(g), byte(i)})
				}
			}
		})
	}
	wg.Wait()
}

func BenchmarkLookupCacheGet(b *testing.B) {
	c := cacheBench
	v := NewVarChar("some-user-name@example.com")
	c.Add("things_name_lookup", v, KeyspaceID{1, 2, 3, 4, 5, 6, 7, 8})
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := c.Get("things_name_lookup", v); !ok {
			b.Fatal("miss")
		}
	}
}
