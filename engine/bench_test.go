package engine

import (
	"context"
	"strconv"
	"testing"
)

// BenchmarkEvaluate runs the two-table plan of the tests against a fake cursor holding 1000
// gathered rows per table: the sidecar's own cost of a join it evaluates (reductions, literals,
// the statement), without the round trips.
func BenchmarkEvaluate(b *testing.B) {
	c := &Result{Fields: []Field{{Name: "id", Kind: Int}, {Name: "name", Kind: Text}}}
	o := &Result{Fields: []Field{{Name: "cid", Kind: Int}, {Name: "total", Kind: Decimal}}}
	for i := range 1000 {
		c.Rows = append(c.Rows, [][]byte{[]byte(strconv.Itoa(i)), []byte("customer " + strconv.Itoa(i))})
		o.Rows = append(o.Rows, [][]byte{[]byte(strconv.Itoa(i)), []byte("12.50")})
	}
	f := &fakeCursor{results: map[string]*Result{"SELECT c.": c, "SELECT o.": o, "SELECT c.name": {Fields: []Field{{Name: "name"}}}}}
	plan := joinPlan()
	b.ReportAllocs()
	for b.Loop() {
		f.sent = f.sent[:0]
		if _, err := plan.Execute(context.Background(), &Env{Cursor: f}); err != nil {
			b.Fatal(err)
		}
	}
}
