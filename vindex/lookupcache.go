package vindex

import (
	"sync/atomic"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
)

// LookupCache remembers what unique lookup vindexes returned: (vindex name,
// value) → keyspace id, so repeated statements on the same value skip the
// lookup query. It is safe for concurrent use.
//
// Only hits are cached: a value the lookup table does not hold is never
// cached (Add ignores nil keyspace ids), because the row may be inserted by
// the next statement and a cached miss would send it nowhere. Callers Add
// after a Map that found one keyspace id, and Remove a value whenever their
// own statement deletes or moves its lookup row (Delete, Update, consistent
// lookup takeover). The ttl bounds how long a change made behind the
// sidecar's back (or under a case-insensitive collation, through a value
// spelled differently) can be served stale.
//
// Create one cache per process and keep it: with a ttl the underlying
// expirable LRU starts a cleanup goroutine that never exits.
type LookupCache struct {
	lru                     *expirable.LRU[string, cachedKsid]
	ttl                     time.Duration
	hits, misses, evictions atomic.Uint64
}

type cachedKsid struct {
	ksid    KeyspaceID
	expires time.Time // zero without ttl
}

// LookupCacheStats is a snapshot of a cache's counters.
type LookupCacheStats struct {
	Hits, Misses uint64
	// Evictions counts entries dropped for room or because their ttl
	// passed (not Remove).
	Evictions uint64
	Len       int
}

// NewLookupCache returns a cache of at most size entries (0 = unbounded),
// each kept at most ttl (0 = no expiry).
func NewLookupCache(size int, ttl time.Duration) *LookupCache {
	c := &LookupCache{ttl: ttl}
	c.lru = expirable.NewLRU(size, func(_ string, v cachedKsid) {
		// Capacity evictions are counted in Add; here only expirations.
		if !v.expires.IsZero() && !time.Now().Before(v.expires) {
			c.evictions.Add(1)
		}
	}, ttl)
	return c
}

// cacheKey is name, NUL, n or s, raw: one allocation, no formatting.
func cacheKey(vindexName string, v Value) string {
	return cacheKeyOf(vindexName, isNumberKind(v.Kind), v.Raw)
}

// cacheKeyOf keeps a number and a string of the same text apart: on a text
// lookup column MySQL compares 123 as a number (matching '0123' too) and
// '123' as the string, which can find other rows.
func cacheKeyOf(vindexName string, number bool, raw []byte) string {
	class := "\x00s"
	if number {
		class = "\x00n"
	}
	return vindexName + class + string(raw)
}

func isNumberKind(k Kind) bool {
	return k == Int64 || k == Uint64 || k == Decimal || k == Float64
}

// Get returns the cached keyspace id of value for the vindex. The returned
// slice is shared: do not modify it.
func (c *LookupCache) Get(vindexName string, value Value) (KeyspaceID, bool) {
	if value.IsNull() {
		return nil, false
	}
	e, ok := c.lru.Get(cacheKey(vindexName, value))
	if !ok {
		c.misses.Add(1)
		return nil, false
	}
	c.hits.Add(1)
	return e.ksid, true
}

// Add caches value → ksid for the vindex (a copy of ksid). A nil ksid (a
// miss) and NULL values are ignored: misses are never cached.
func (c *LookupCache) Add(vindexName string, value Value, ksid KeyspaceID) {
	if ksid == nil || value.IsNull() {
		return
	}
	e := cachedKsid{ksid: append(KeyspaceID(nil), ksid...)}
	if c.ttl > 0 {
		e.expires = time.Now().Add(c.ttl)
	}
	if c.lru.Add(cacheKey(vindexName, value), e) {
		c.evictions.Add(1)
	}
}

// Remove forgets value for the vindex, read as a number and as a string:
// either may have cached the lookup row that moved.
func (c *LookupCache) Remove(vindexName string, value Value) {
	c.lru.Remove(cacheKeyOf(vindexName, true, value.Raw))
	c.lru.Remove(cacheKeyOf(vindexName, false, value.Raw))
}

// Purge empties the cache (counters are kept).
func (c *LookupCache) Purge() { c.lru.Purge() }

// Stats returns the current counters.
func (c *LookupCache) Stats() LookupCacheStats {
	return LookupCacheStats{
		Hits:      c.hits.Load(),
		Misses:    c.misses.Load(),
		Evictions: c.evictions.Load(),
		Len:       c.lru.Len(),
	}
}
