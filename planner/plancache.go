package planner

import (
	"sync"

	"github.com/hashicorp/golang-lru/v2/simplelru"
)

// planCache holds the plans of statement shapes, least recently used first
// out, bounded in entries and in bytes: a shape's plan takes a few times its
// text, and statements whose text is mostly not literals (a long IN list of
// names, a select list of strings) have long shapes that differ every time.
type planCache struct {
	mu       sync.Mutex
	lru      *simplelru.LRU[string, *Plan]
	bytes    int // estimated size of the cached plans
	maxBytes int
}

// planBytesPerByte estimates a plan's memory from its shape's length: the
// parsed tree and the text kept with it. Measured: a 100-row INSERT shape of
// 1,440 bytes keeps 127 KB (88 per byte), most of it the parser's nodes for
// its 400 placeholders, about 270 bytes each.
const planBytesPerByte = 96

// maxCachedShape: a shape longer than this is planned every time rather
// than cached. Such statements are bulk INSERTs whose row counts vary, whose
// plans would be reused rarely and each keep hundreds of kilobytes; planning
// one costs little next to sending it.
const maxCachedShape = 4 << 10

func newPlanCache(entries, maxBytes int) *planCache {
	c := &planCache{maxBytes: maxBytes}
	c.lru, _ = simplelru.NewLRU(entries, func(key string, _ *Plan) { c.bytes -= planSize(key) })
	return c
}

func planSize(key string) int { return planBytesPerByte * len(key) }

func (c *planCache) get(key string) (*Plan, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Get(key)
}

func (c *planCache) add(key string, plan *Plan) {
	if len(key) > maxCachedShape {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.lru.Contains(key) {
		return
	}
	c.bytes += planSize(key)
	c.lru.Add(key, plan)
	for c.bytes > c.maxBytes && c.lru.Len() > 0 {
		c.lru.RemoveOldest()
	}
}

// Len is the number of cached plans.
func (c *planCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}
