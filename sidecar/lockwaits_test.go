package sidecar

import (
	"maps"
	"slices"
	"testing"
)

// TestLockWaitVictims: the sessions waiting for themselves, and one victim per cycle of sessions
// waiting for each other, the one whose statement began last (here: the highest id).
func TestLockWaitVictims(t *testing.T) {
	for _, tc := range []struct {
		name       string
		waits      [][2]uint32 // session → the session it waits for
		own, other []uint32
	}{
		{name: "no waits"},
		{name: "a wait, no cycle", waits: [][2]uint32{{1, 2}, {2, 3}}},
		{name: "two sessions, each on the other's shard", waits: [][2]uint32{{1, 2}, {2, 1}}, other: []uint32{2}},
		{name: "the same wait on two connections", waits: [][2]uint32{{1, 2}, {1, 2}, {2, 1}}, other: []uint32{2}},
		{name: "a session waits for its own transaction", waits: [][2]uint32{{3, 3}}, own: []uint32{3}},
		{name: "three sessions", waits: [][2]uint32{{1, 2}, {2, 3}, {3, 1}, {4, 1}}, other: []uint32{3}},
		{name: "two cycles", waits: [][2]uint32{{1, 2}, {2, 1}, {3, 4}, {4, 3}}, other: []uint32{2, 4}},
		{name: "two cycles through one session, the newest", waits: [][2]uint32{{5, 1}, {1, 5}, {5, 2}, {2, 5}}, other: []uint32{5}},
		{name: "two cycles through one session, an older", waits: [][2]uint32{{1, 5}, {5, 1}, {1, 2}, {2, 1}}, other: []uint32{2, 5}},
		{name: "a session waiting for itself ends its cycle too", waits: [][2]uint32{{1, 1}, {1, 2}, {2, 1}}, own: []uint32{1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var waits []lockWait
			for _, w := range tc.waits {
				waits = append(waits, lockWait{from: w[0], to: w[1]})
			}
			own, other := lockWaitVictims(waits, func(a, b uint32) bool { return a > b })
			if got := slices.Sorted(maps.Keys(own)); !slices.Equal(got, tc.own) {
				t.Errorf("own waits %v, want %v", got, tc.own)
			}
			if got := slices.Sorted(maps.Keys(other)); !slices.Equal(got, tc.other) {
				t.Errorf("deadlock victims %v, want %v", got, tc.other)
			}
		})
	}
}
