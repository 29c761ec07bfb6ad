package planner

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"sidecar/vindex"
)

// BenchmarkPlanInsert plans and renders INSERTs of 1 and 100 rows into a
// table with a hash primary vindex (customer) and into one owning a
// consistent lookup (corder: sequence + lookup rows through the fake IO),
// parsing each statement ("parsed") or, as the sidecar does, with the plan
// cache serving the statement's shape ("cached").
func BenchmarkPlanInsert(b *testing.B) {
	cfgTopo := loadExampleB(b)
	planners := []struct {
		name string
		p    *Planner
	}{{"parsed", &Planner{Topo: cfgTopo}}, {"cached", NewPlanner(cfgTopo, 100, 1<<20)}}
	for _, table := range []string{"customer", "corder"} {
		for _, rows := range []int{1, 100} {
			var sb strings.Builder
			if table == "customer" {
				sb.WriteString("insert into customer(customer_id, email) values ")
				for i := 0; i < rows; i++ {
					if i > 0 {
						sb.WriteString(", ")
					}
					fmt.Fprintf(&sb, "(%d, 'user%d@example.com')", i+1, i)
				}
			} else {
				sb.WriteString("insert into corder(customer_id, product_id, oname) values ")
				for i := 0; i < rows; i++ {
					if i > 0 {
						sb.WriteString(", ")
					}
					fmt.Fprintf(&sb, "(%d, %d, 'order %d')", i+1, i%7, i)
				}
			}
			sql := sb.String()
			for _, pl := range planners {
				b.Run(fmt.Sprintf("%s/%drows/%s", table, rows, pl.name), func(b *testing.B) {
					io := &fakeIO{next: 1}
					b.ReportAllocs()
					for b.Loop() {
						plan, err := pl.p.Plan(sql, Session{Keyspace: "customer"})
						if err != nil {
							b.Fatal(err)
						}
						if _, err := runInsert(context.Background(), plan, plan.Args, io); err != nil {
							b.Fatal(err)
						}
						io.sql = io.sql[:0]
					}
				})
			}
		}
	}
}

// BenchmarkPlanPointSelect is the text protocol's per-statement cost of a
// point select: classify, parse, route.
func BenchmarkPlanPointSelect(b *testing.B) {
	p := &Planner{Topo: loadExampleB(b)}
	io := &fakeIO{}
	b.ReportAllocs()
	for b.Loop() {
		plan, err := p.Plan("SELECT email FROM customer WHERE customer_id=5036", Session{Keyspace: "customer"})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := RouteStatement(context.Background(), plan, nil, io); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRoutePrepared is a prepared point select's per-execute cost in
// planning: the plan is cached, only routing with the argument remains.
func BenchmarkRoutePrepared(b *testing.B) {
	p := &Planner{Topo: loadExampleB(b)}
	plan, err := p.Plan("SELECT email FROM customer WHERE customer_id=?", Session{Keyspace: "customer"})
	if err != nil {
		b.Fatal(err)
	}
	io := &fakeIO{}
	args := Args{vindex.NewInt64(5036)}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := RouteStatement(context.Background(), plan, args, io); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPlanEvaluate plans cross-shard SELECTs for the engine (a join reduced by its
// vindex, a HAVING over a scatter): the parse, the gathers and the printed statement, what
// a statement shape costs once (Evaluation keeps the plan with the shape's).
func BenchmarkPlanEvaluate(b *testing.B) {
	p := &Planner{Topo: loadExampleB(b)}
	sess := Session{Keyspace: "customer"}
	for _, c := range []struct{ name, sql string }{
		{"join", "select e.corder_id, o.sku from corder_event e join corder o on o.corder_id = e.corder_id where o.sku = 'x' order by e.corder_id limit 10"},
		{"having", "select sku, count(distinct customer_id) n from corder where price > 5 group by sku having n > 1"},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.PlanEvaluate(c.sql, c.sql, sess); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkTextInsert is the text protocol's per-statement work on sysbench's
// oltp_insert statement (long string literals) through the plan cache: what
// the session runs before a single-row INSERT goes out (the connection
// attribute and session function scans, the cached plan, the row's shard).
func BenchmarkTextInsert(b *testing.B) {
	p := NewPlanner(loadExampleB(b), 100, 1<<20)
	sql := "INSERT INTO customer (customer_id, email) VALUES (5012, '68487932199-96439406143-93774651418-41631865787-" +
		"96406072701-20604855487-25459966574-28203206787-41238978918-19503783441')"
	io := &fakeIO{next: 1}
	sess := Session{Keyspace: "customer"}
	b.ReportAllocs()
	for b.Loop() {
		text := BindSessionTables(sql, sess, nil)
		plan, err := p.Plan(text, sess)
		if err != nil {
			b.Fatal(err)
		}
		if bound := BindSession(text, SessionValues{}, SQLMode{}); bound != text {
			b.Fatal("nothing to bind")
		}
		if _, err := runInsert(context.Background(), plan, plan.Args, io); err != nil {
			b.Fatal(err)
		}
		io.sql = io.sql[:0]
	}
}

// BenchmarkScatterMerge is a text SELECT across shards with ORDER BY and
// LIMIT through the plan cache: route (every shard) and the merge plan with
// the shards' statement printed, as each execution needs them.
func BenchmarkScatterMerge(b *testing.B) {
	p := NewPlanner(loadExampleB(b), 100, 1<<20)
	sess := Session{Keyspace: "customer"}
	io := &fakeIO{}
	b.ReportAllocs()
	for b.Loop() {
		plan, err := p.Plan("SELECT customer_id, email FROM customer WHERE email > 'm' ORDER BY email LIMIT 10", sess)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := RouteStatement(context.Background(), plan, plan.Args, io); err != nil {
			b.Fatal(err)
		}
		if _, err := PlanMerge(plan, plan.Args); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSessionText: what a text statement costs before it is planned: SET STATEMENT looked
// for (every statement), blanks before calls taken out (a CLIENT_IGNORE_SPACE client's).
func BenchmarkSessionText(b *testing.B) {
	const sql = "SELECT c FROM sbtest1 WHERE id=5012"
	b.Run("SetStatement", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, _, ok := SetStatement(sql); ok {
				b.Fatal("SET STATEMENT")
			}
		}
	})
	b.Run("TightenCalls", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if TightenCalls(sql, SQLMode{}) != sql {
				b.Fatal("tightened")
			}
		}
	})
}
