package metrics

import (
	"maps"
	"sync"
	"sync/atomic"
)

// children keeps the label children of a metric vector by key, each resolved
// once. WithLabelValues hashes the label values and looks them up under a
// lock, and its variadic arguments may allocate: too much for every
// statement. Here a lookup is one read of an immutable map, without lock or
// allocation; a new key copies the map, which is fine for the few keys there
// are (keyspaces, shards, statement types, error numbers).
type children[K comparable, M any] struct {
	m       atomic.Pointer[map[K]M]
	mu      sync.Mutex // serializes copies
	resolve func(K) M
}

func newChildren[K comparable, M any](resolve func(K) M) *children[K, M] {
	c := &children[K, M]{resolve: resolve}
	c.m.Store(&map[K]M{})
	return c
}

func (c *children[K, M]) get(k K) M {
	if v, ok := (*c.m.Load())[k]; ok {
		return v
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	old := *c.m.Load()
	if v, ok := old[k]; ok {
		return v // resolved by another goroutine meanwhile
	}
	m := maps.Clone(old)
	v := c.resolve(k)
	m[k] = v
	c.m.Store(&m)
	return v
}
