package planner

import (
	"strings"
	"testing"
)

// The plan cache is bounded in bytes as well as entries: long shapes that
// differ every time cannot grow it past its budget, and a shape too long to
// be worth caching is not cached.
func TestPlanCacheBytes(t *testing.T) {
	c := newPlanCache(1000, 100*planBytesPerByte)
	for i := range 50 {
		c.add(strings.Repeat("x", 10)+string(rune('a'+i%26))+strings.Repeat("y", i), &Plan{})
	}
	if c.bytes > c.maxBytes || c.Len() == 0 {
		t.Errorf("%d plans of %d bytes, budget %d", c.Len(), c.bytes, c.maxBytes)
	}
	c.add(strings.Repeat("z", maxCachedShape+1), &Plan{})
	if _, ok := c.get(strings.Repeat("z", maxCachedShape+1)); ok {
		t.Errorf("a shape over %d bytes was cached", maxCachedShape)
	}
	if _, ok := c.get("xxxxxxxxxx" + "x" + strings.Repeat("y", 49)); !ok {
		t.Errorf("the newest plan was evicted")
	}
}
