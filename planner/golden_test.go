package planner

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"sidecar/engine"
	"sidecar/sqlerr"
)

var update = flag.Bool("update", false, "rewrite testdata/plans.txt with the plans the planner makes now")

// TestGoldenPlans: statement → plan, like Vitess's planbuilder test data.
// testdata/plans.txt holds cases of the form
//
//	# what the cases show
//	keyspace> statement
//	the plan, one primitive per line
//
// separated by blank lines. A plan is described as the executor would run
// it: the Route (or a join's pinning), then the merge of a SELECT across
// shards with the statement each shard runs, the Insert, the lookup
// maintenance of an UPDATE/DELETE, or the engine's Evaluate tree of a SELECT
// no route answers; a refusal is its error. Plans come from a planner with
// the plan cache, so text literals are the shape's arguments, as in the
// sidecar. go test ./planner -run TestGoldenPlans -update rewrites the file.
func TestGoldenPlans(t *testing.T) {
	const path = "testdata/plans.txt"
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p := NewPlanner(mergePlanner(t).Topo, 1000, 1<<24)
	var out strings.Builder
	for _, block := range strings.Split(strings.TrimSpace(string(data)), "\n\n") {
		var comments, want []string
		var ks, sql string
		for _, line := range strings.Split(block, "\n") {
			switch {
			case sql == "" && strings.HasPrefix(line, "#"):
				comments = append(comments, line)
			case sql == "":
				var ok bool
				if ks, sql, ok = strings.Cut(line, "> "); !ok {
					t.Fatalf("%s: %q is not `keyspace> statement`", path, line)
				}
			default:
				want = append(want, line)
			}
		}
		got := goldenPlan(p, ks, sql)
		if !*update && got != strings.Join(want, "\n") {
			t.Errorf("%s> %s\ngot:\n%s\nwant:\n%s", ks, sql, got, strings.Join(want, "\n"))
		}
		for _, c := range comments {
			out.WriteString(c + "\n")
		}
		fmt.Fprintf(&out, "%s> %s\n%s\n\n", ks, sql, got)
	}
	if *update {
		if err := os.WriteFile(path, []byte(strings.TrimSuffix(out.String(), "\n")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// goldenPlan plans sql in a session on keyspace ks and describes the plan
// as the executor would run it.
func goldenPlan(p *Planner, ks, sql string) string {
	sess := Session{Keyspace: ks}
	plan, err := p.Plan(sql, sess)
	if err != nil {
		return "error: " + err.Error()
	}
	var b strings.Builder
	line := func(s string) { b.WriteString(strings.TrimSuffix(s, "\n") + "\n") }
	failed := func(err error) string { line("error: " + err.Error()); return strings.TrimSuffix(b.String(), "\n") }
	evaluate := func() string {
		prim, err := p.PlanEvaluate(plan.Text(plan.Args), plan.Query, sess)
		if err != nil {
			return failed(err)
		}
		line(engine.Describe(prim))
		return strings.TrimSuffix(b.String(), "\n")
	}
	switch {
	case plan.Local != NotLocal:
		return "answered by the sidecar: " + plan.Query
	case plan.Engine:
		return evaluate()
	case plan.Keyspace == nil:
		return "any backend: " + plan.Query
	case plan.Kind == KindInsert || plan.Kind == KindReplace:
		if plan.Table == nil {
			break
		}
		ins, err := PlanInsert(plan)
		if err != nil {
			return failed(err)
		}
		line(engine.Describe(ins))
		return strings.TrimSuffix(b.String(), "\n")
	case !plan.Keyspace.Sharded || plan.Table == nil:
		return fmt.Sprintf("unsharded %s: %s", plan.Keyspace.Name, plan.Query)
	}
	oneShard := plan.route != nil && plan.route.Opcode == engine.EqualUnique
	if plan.Joined {
		// Joins are pinned per execution, by the values that bind their
		// tables' primary vindex columns (hash vindexes need no lookup).
		route, err := RouteStatement(context.Background(), plan, plan.Args, &fakeIO{})
		var refusal *sqlerr.Error
		switch {
		case err != nil && errors.As(err, &refusal) && refusal.Num == 1235 && plan.Kind == KindSelect:
			line("(no route answers it: " + err.Error() + ")")
			return evaluate()
		case err != nil:
			return failed(err)
		case route.Scatter:
			line("Route Join: every shard, the tables are co-located")
		default:
			oneShard = true
			line("Route Join: one shard, every table's primary vindex column bound to a value")
		}
	} else {
		line(engine.Describe(plan.route))
	}
	switch plan.Kind {
	case KindUpdate, KindDelete:
		if len(plan.Table.Owned) > 0 {
			owned, err := PlanOwnedDML(plan)
			if err != nil {
				return failed(err)
			}
			if owned != nil {
				line(engine.Describe(owned))
			}
		}
		if !oneShard {
			if err := checkScatter(plan); err != nil {
				return failed(err)
			}
		}
	case KindSelect:
		if oneShard {
			break
		}
		mp, err := PlanMerge(plan, plan.Args)
		var refusal *sqlerr.Error
		switch {
		case err != nil && errors.As(err, &refusal) && refusal.Num == 1235 && plan.Unparsed == "":
			line("(no merge answers it: " + err.Error() + ")")
			return evaluate()
		case err != nil:
			return failed(err)
		case mp == nil:
			line("Concatenate the shards' rows")
		default:
			line("each shard: " + mp.SQL)
			line(engine.Describe(mp))
		}
	}
	return strings.TrimSuffix(b.String(), "\n")
}
