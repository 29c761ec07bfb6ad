package planner

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"sidecar/conf"
	"sidecar/engine"
	"sidecar/sqlerr"
	"sidecar/vindex"
)

var update = flag.Bool("update", false, "rewrite testdata/plans.txt with the plans the planner makes now")

// TestGoldenPlans: statement → plan, like Vitess's planbuilder test data.
// testdata/plans.txt holds cases of the form
//
//	# what the cases show
//	keyspace> statement
//	the plan, one primitive per line
//
// separated by blank lines. A plan is the engine's Statement tree (its Route
// or a join's pinning, the Insert, the lookup maintenance of an
// UPDATE/DELETE), then what a run sends, shard by shard: the statement, the
// merge of a SELECT across shards, or the engine's Evaluate tree of a SELECT
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
	// As the sidecar learns them from the first shard for an INSERT without a column list.
	p.LearnColumns(p.Topo.Keyspaces["customer"].Tables["customer"], []string{"customer_id", "email"})
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

// goldenPlan plans sql in a session on keyspace ks and describes the plan:
// the engine's Statement, then what a run of it with the statement's own
// values sends (lookups answer from goldenLookups, sequences count from 1).
func goldenPlan(p *Planner, ks, sql string) string {
	sess := Session{Keyspace: ks}
	plan, err := p.Plan(sql, sess)
	if err != nil {
		return "error: " + err.Error()
	}
	g := &goldenSession{fakeIO: fakeIO{next: 1, lookups: goldenLookups}, p: p, plan: plan, sess: sess}
	switch {
	case plan.Local == DatabaseError:
		return "answered by the sidecar (after a commit): error: " + plan.Note.Error()
	case plan.Local != NotLocal:
		return "answered by the sidecar: " + plan.Query
	case plan.Keyspace == nil:
		return "any backend: " + plan.Query
	case plan.Forwarded():
		return fmt.Sprintf("unsharded %s: %s", plan.Keyspace.Name, plan.Query)
	}
	st, err := PlanStatement(plan)
	if err != nil {
		return "error: " + err.Error()
	}
	g.line(engine.Describe(st))
	x := engine.Execution{Args: plan.Args, Planned: p.Execution(plan, plan.Args, sess)}
	if err := st.Answer(context.Background(), g, x); err != nil {
		g.line("error: " + err.Error())
	}
	return g.String()
}

// goldenLookups are the lookup rows goldenSession finds: corder_id 7 on
// customer 1's keyspace id.
var goldenLookups = map[string]vindex.KeyspaceID{"7": vindex.KeyspaceID("\x16k@\xb4J\xbaK\xd6")}

// goldenSession is the engine.Session of a golden plan: it writes down what
// the statement sends and answers nothing.
type goldenSession struct {
	fakeIO
	strings.Builder
	p    *Planner
	plan *Plan
	sess Session
}

func (g *goldenSession) line(s string) { g.WriteString(strings.TrimSuffix(s, "\n") + "\n") }

func (g *goldenSession) String() string { return strings.TrimSuffix(g.Builder.String(), "\n") }

func (g *goldenSession) Relay(_ context.Context, shard *conf.Shard, sql string) error {
	if sql == "" {
		sql = "the statement"
	}
	g.line(fmt.Sprintf("%s: %s", shard.Name, sql))
	return nil
}

func (g *goldenSession) Gather(_ context.Context, queries []engine.ShardQuery, mp *engine.MergePlan) error {
	if mp == nil {
		if queries[0].SQL == "" {
			g.line(fmt.Sprintf("each of %d shards: the statement; Concatenate the shards' rows", len(queries)))
			return nil
		}
		for _, q := range queries {
			g.line(fmt.Sprintf("%s: %s", q.Shard.Name, q.SQL))
		}
		g.line("Concatenate the shards' rows")
		return nil
	}
	g.line(fmt.Sprintf("each of %d shards: %s", len(queries), mp.SQL))
	g.line(engine.Describe(mp))
	return nil
}

func (g *goldenSession) Write(_ context.Context, queries []engine.ShardQuery) (engine.Written, error) {
	for _, q := range queries {
		g.line(fmt.Sprintf("%s: %s", q.Shard.Name, q.SQL))
	}
	return engine.Written{Listed: true}, nil
}

func (g *goldenSession) OK(engine.Written) error                       { return nil }
func (g *goldenSession) Returned(engine.Written, *engine.Result) error { return nil }

func (g *goldenSession) Scope(_ string, run func() error) error { return run() }

func (g *goldenSession) InTransaction() bool { return false }

func (g *goldenSession) Evaluate(_ context.Context, refusal error) error {
	if refusal != nil {
		var e *sqlerr.Error
		if !errors.As(refusal, &e) || e.Num != 1235 || g.plan.Unparsed != "" {
			return refusal
		}
		g.line("(the router refuses it: " + refusal.Error() + ")")
	}
	g.evaluate()
	return nil
}

// Select writes down a staged write's read; it returns one row of one
// column, 1.
func (g *goldenSession) Select(_ context.Context, r engine.Read) (*engine.Result, error) {
	g.line(fmt.Sprintf("read from %s: %s", r.Keyspace, r.SQL))
	return &engine.Result{Fields: []engine.Field{{Name: "a", Kind: engine.Int}}, Rows: [][][]byte{{[]byte("1")}}}, nil
}

func (g *goldenSession) SelectOn(_ context.Context, keyspace, sql string, _ ...engine.TempTable) (*engine.Result, error) {
	g.line(fmt.Sprintf("select on %s: %s", keyspace, sql))
	return &engine.Result{}, nil
}

func (g *goldenSession) Run(_ context.Context, sql string) error {
	g.line("then: " + sql)
	return nil
}

// evaluate describes the engine's plan of a SELECT no route answers.
func (g *goldenSession) evaluate() {
	ev, err := g.p.Evaluation(g.plan, g.sess)
	if err != nil {
		g.line("error: " + err.Error())
		return
	}
	g.line(engine.Describe(ev))
}
