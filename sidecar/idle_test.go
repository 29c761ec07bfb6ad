package sidecar

import (
	"testing"
	"time"
)

// TestIdleDeadline: an idle client is disconnected no sooner than
// wait_timeout after its last command and no later than a tenth of it (at
// most a second) after that, so a driver that sleeps past wait_timeout
// finds its connection closed (go-sql-driver's TestStaleConnectionChecks
// sets 2 s and sleeps 3); a deadline inside that window is kept, sparing a
// timer update per command.
func TestIdleDeadline(t *testing.T) {
	start := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	for _, wt := range []time.Duration{time.Second, 2 * time.Second, 28800 * time.Second} {
		var current time.Time
		for step := range 50 {
			now := start.Add(time.Duration(step) * 37 * time.Millisecond)
			d, move := idleDeadline(now, current, wt)
			if d.Before(now.Add(wt)) || d.After(now.Add(wt+min(wt/10, time.Second))) {
				t.Fatalf("wait_timeout %v, command at +%v: disconnect at +%v after it", wt, now.Sub(start), d.Sub(now))
			}
			if move != !d.Equal(current) {
				t.Fatalf("move = %v, but the deadline went from %v to %v", move, current, d)
			}
			if step > 0 && wt > time.Second && move && d.Sub(current) < min(wt/10, time.Second)-37*time.Millisecond {
				t.Fatalf("wait_timeout %v: deadline moved by only %v", wt, d.Sub(current))
			}
			current = d
		}
	}
}
