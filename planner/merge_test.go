package planner

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"sidecar/conf"
	"sidecar/engine"
	"sidecar/vindex"
)

func mergePlanner(t *testing.T) *Planner {
	t.Helper()
	cfg, err := conf.Load("../conf/examples/sidecar.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return &Planner{Topo: cfg.Topology}
}

const (
	wsName  = "weight_string(name), if(left(concat(' ', name), 1) = '', weight_string(left(concat(' ', name), 1)), '')"
	wsID    = "weight_string(id), if(left(concat(' ', id), 1) = '', weight_string(left(concat(' ', id), 1)), '')"
	wsMaxID = "weight_string(max(id)), if(left(concat(' ', max(id)), 1) = '', weight_string(left(concat(' ', max(id)), 1)), '')"
	wsMinID = "weight_string(min(id)), if(left(concat(' ', min(id)), 1) = '', weight_string(left(concat(' ', min(id)), 1)), '')"
	wsMinNm = "weight_string(min(name)), if(left(concat(' ', min(name)), 1) = '', weight_string(left(concat(' ', min(name)), 1)), '')"
)

// TestPlanMerge: client SQL → the statement every shard runs + how the
// executor merges the results.
func TestPlanMerge(t *testing.T) {
	p := mergePlanner(t)
	cases := []struct {
		sql   string
		args  Args
		shard string // "" : no merge, plain concatenation
		spec  string
	}{
		{sql: "select * from things"},
		{sql: "select id, name from things where name like 'a%'"},
		{sql: "select id from things union all select id from things"},
		{
			sql:   "select * from things order by id desc limit 2",
			shard: "select *, id, " + wsID + " from things order by id desc limit 2",
			spec:  "cols=-1 hidden=3 order=[h0w(h1,h2) desc] offset=0 limit=2",
		},
		{
			sql:   "select id, name from things order by name limit 3, 5",
			shard: "select id, name, " + wsName + " from things order by 2 asc limit 8",
			spec:  "cols=2 hidden=2 order=[1w(h0,h1)] offset=3 limit=5",
		},
		{
			sql:   "select id, name from things order by name desc, id limit 5 offset 10",
			shard: "select id, name, " + wsName + ", " + wsID + " from things order by 2 desc, 1 asc limit 15",
			spec:  "cols=2 hidden=4 order=[1w(h0,h1) desc, 0w(h2,h3)] offset=10 limit=5",
		},
		{ // ORDER BY a column not selected: added, hidden
			sql:   "select id from things order by name",
			shard: "select id, name, " + wsName + " from things order by 2 asc",
			spec:  "cols=1 hidden=3 order=[h0w(h1,h2)]",
		},
		{ // by position and by alias; numeric expressions need no weights
			sql:   "select id+1 as k, name from things order by k desc, 2",
			shard: "select id + 1 as k, name, " + wsName + " from things order by 1 desc, 2 asc",
			spec:  "cols=2 hidden=2 order=[0 desc, 1w(h0,h1)]",
		},
		{ // an alias after a *: its position is unknown, a hidden copy sorts
			sql:   "select *, upper(name) as u from things order by u",
			shard: "select *, upper(name) as u, upper(name), weight_string(upper(name)), if(left(concat(' ', upper(name)), 1) = '', weight_string(left(concat(' ', upper(name)), 1)), '') from things order by u asc",
			spec:  "cols=-1 hidden=3 order=[h0w(h1,h2)]",
		},
		{
			sql:   "select id from things limit 10",
			shard: "select id from things limit 10",
			spec:  "cols=1 hidden=0 offset=0 limit=10",
		},
		{ // prepared: arguments written in, LIMIT from arguments
			sql:   "select id from things where id > ? order by id limit ?, ?",
			args:  Args{vindex.NewInt64(-5), vindex.NewInt64(3), vindex.NewInt64(4)},
			shard: "select id, " + wsID + " from things where id > -5 order by 1 asc limit 7",
			spec:  "cols=1 hidden=2 order=[0w(h0,h1)] offset=3 limit=4",
		},
		{ // aggregates without GROUP BY; the names as typed (COUNT( * )) kept by aliases
			sql: "select COUNT( * ), sum(id), min(name), max(id), avg(id) from things",
			shard: "select COUNT(*) as `COUNT( * )`, sum(id) as `sum(id)`, min(name) as `min(name)`, max(id) as `max(id)`, avg(id) as `avg(id)`, " +
				wsMinNm + ", weight_string(max(id)), if(left(concat(' ', max(id)), 1) = '', weight_string(left(concat(' ', max(id)), 1)), ''), sum(id), count(id) from things",
			spec: "cols=5 hidden=6 groups=[] count(0) sum(1) min(2 w(h0,h1)) max(3 w(h2,h3)) avg(4=h4/h5)",
		},
		{ // GROUP BY: shards group and sort by the group keys, by position
			sql:   "select name, count(*) from things group by name",
			shard: "select name, count(*) as `count(*)`, " + wsName + " from things group by 1 order by 1 asc",
			spec:  "cols=2 hidden=2 order=[0w(h0,h1)] groups=[0w(h0,h1)] count(1)",
		},
		{ // GROUP BY a column not selected; ORDER BY the group key streams, LIMIT pushed down
			sql:   "select count(*) from things group by name order by name desc limit 2",
			shard: "select count(*) as `count(*)`, name, " + wsName + " from things group by 2 order by 2 desc limit 2",
			spec:  "cols=1 hidden=3 order=[h0w(h1,h2) desc] groups=[h0w(h1,h2)] count(0) offset=0 limit=2",
		},
		{ // ORDER BY an aggregate: groups merged in key order, then sorted; no LIMIT on shards
			sql:   "select name, count(*) c from things group by name order by c desc limit 3",
			shard: "select name, count(*) as c, " + wsName + " from things group by 1 order by 1 asc",
			spec:  "cols=2 hidden=2 order=[0w(h0,h1)] groups=[0w(h0,h1)] count(1) post=[1 desc] offset=0 limit=3",
		},
		{ // ORDER BY an aggregate that is not selected: hidden and merged too
			sql:   "select name from things group by name order by avg(id)",
			shard: "select name, avg(id), sum(id), count(id), " + wsName + " from things group by 1 order by 1 asc",
			spec:  "cols=1 hidden=5 order=[0w(h3,h4)] groups=[0w(h3,h4)] avg(h0=h1/h2) post=[h0]",
		},
		{ // HAVING on aggregates: a filter on the combined groups, reading a hidden SUM; no LIMIT on shards
			sql:   "select name, count(*) n from things group by name having n > 1 or sum(id) is null order by n desc limit 2",
			shard: "select name, count(*) as n, " + wsName + ", sum(id) from things group by 1 order by 1 asc",
			spec:  "cols=2 hidden=3 order=[0w(h0,h1)] groups=[0w(h0,h1)] count(1) sum(h2) having=[(c1 > 1 OR h2 IS NULL)] post=[1 desc] offset=0 limit=2",
		},
		{ // HAVING on the group key: the shards drop whole groups, LIMIT stays pushed
			sql:   "select name, count(*) from things group by name having name <> 'x' order by name limit 2",
			shard: "select name, count(*) as `count(*)`, " + wsName + " from things group by 1 having (name <> 'x') order by 1 asc limit 2",
			spec:  "cols=2 hidden=2 order=[0w(h0,h1)] groups=[0w(h0,h1)] count(1) offset=0 limit=2",
		},
		{ // IN, BETWEEN, NOT, a number on the left, <=> NULL
			sql:   "select name from things group by name having count(*) not in (1, 2) and 5 > count(*) and not max(id + 1) between 3 and 4.5 and sum(id) <=> null",
			shard: "select name, " + wsName + ", count(1), max(id + 1), sum(id) from things group by 1 order by 1 asc",
			spec:  "cols=1 hidden=5 order=[0w(h0,h1)] groups=[0w(h0,h1)] count(h2) max(h3) sum(h4) having=[(((NOT (h2 = 1 OR h2 = 2) AND h2 < 5) AND NOT (h3 >= 3 AND h3 <= 4.5)) AND h4 IS NULL)]",
		},
		{ // expressions over aggregates: computed from the combined ones, read from hidden columns;
			// the shards only type them (a part of a group could overflow where the group does not)
			sql:   "select count(*) + 1, -(max(id) - min(id)) * 2 from things",
			shard: "select if(0, count(*) + 1, null) as `count(*) + 1`, if(0, -(max(id) - min(id)) * 2, null) as `-(max(id) - min(id)) * 2`, count(1), max(id), " + wsMaxID + ", min(id), " + wsMinID + " from things",
			spec:  "cols=2 hidden=7 groups=[] count(h0) max(h1 w(h2,h3)) min(h4 w(h5,h6)) c0=(h0 + 1) c1=(-(h1 - h4) * 2)",
		},
		{ // ROUND of an AVG and of a ratio: from their exact quotients
			sql:   "select round(avg(id), 2), round(100 * sum(id) / count(*)) from things",
			shard: "select if(0, round(avg(id), 2), null) as `round(avg(id), 2)`, if(0, round(100 * sum(id) / count(*)), null) as `round(100 * sum(id) / count(*))`, sum(id), count(id), count(1) from things",
			spec:  "cols=2 hidden=3 groups=[] sum(h0) count(h1) count(h2) c0=round((h0 / h1), 2) c1=round(((100 * h0) / h2), 0)",
		},
		{ // a ratio per group, sorted by it: a division as the last operation
			sql:   "select name, sum(id) / count(*) r from things group by name order by r desc",
			shard: "select name, if(0, sum(id) / count(*), null) as r, " + wsName + ", sum(id), count(1) from things group by 1 order by 1 asc",
			spec:  "cols=2 hidden=4 order=[0w(h0,h1)] groups=[0w(h0,h1)] sum(h2) count(h3) c1=(h2 / h3) post=[1 desc]",
		},
		{ // COUNT(DISTINCT): shards group by the value too; its (group, value) rows combined, then the groups
			sql:   "select count(distinct name) from things",
			shard: "select count(distinct name) as `count(distinct name)`, name, " + wsName + " from things group by 2 order by 2 asc",
			spec:  "cols=1 hidden=3 order=[h0w(h1,h2)] groups=[h0w(h1,h2)] max(0) groups=[] count(0)",
		},
		{ // with other aggregates, SUM(DISTINCT) of the same value, sorted by it: no LIMIT on shards
			sql: "select name, count(distinct id), count(*), sum(distinct id) from things group by name order by 2 desc limit 3",
			shard: "select name, count(distinct id) as `count(distinct id)`, count(*) as `count(*)`, sum(distinct id) as `sum(distinct id)`, " +
				wsName + ", id, " + wsID + " from things group by 1, 7 order by 1 asc, 7 asc",
			spec: "cols=4 hidden=5 order=[0w(h0,h1), h2w(h3,h4)] groups=[0w(h0,h1), h2w(h3,h4)] max(1) count(2) max(3) groups=[0w(h0,h1)] count(1) count(2) sum(3) post=[1 desc] offset=0 limit=3",
		},
		{ // 0x… stays 0x… (MariaDB reads X'10' as a string where a number is wanted) …
			sql:   "select id, 0x10 + 1 from things where id > 0x10 order by id",
			shard: "select id, 0x10 + 1 as `0x10 + 1`, " + wsID + " from things where id > 0x10 order by 1 asc",
			spec:  "cols=2 hidden=2 order=[0w(h0,h1)]",
		},
		{ // … and X'…' stays X'…', also next to a 0x…
			sql:   "select id, x'41', 0x42 from things order by id",
			shard: "select id, x'41' as `x'41'`, 0x42 as `0x42`, " + wsID + " from things order by 1 asc",
			spec:  "cols=3 hidden=2 order=[0w(h0,h1)]",
		},
		{ // DISTINCT: grouping on every selected column
			sql:   "select distinct name from things order by name desc",
			shard: "select distinct name, " + wsName + " from things order by 1 desc",
			spec:  "cols=1 hidden=2 order=[0w(h0,h1) desc] groups=[0w(h0,h1)]",
		},
		{ // MIN/MAX(DISTINCT) are plain MIN/MAX
			sql:   "select max(distinct id) from things",
			shard: "select max(distinct id) as `max(distinct id)`, weight_string(max(distinct id)), if(left(concat(' ', max(distinct id)), 1) = '', weight_string(left(concat(' ', max(distinct id)), 1)), '') from things",
			spec:  "cols=1 hidden=2 groups=[] max(0 w(h0,h1))",
		},
		{ // FOR UPDATE stays
			sql:   "select id from things order by id limit 1 for update",
			shard: "select id, " + wsID + " from things order by 1 asc limit 1 for update",
			spec:  "cols=1 hidden=2 order=[0w(h0,h1)] offset=0 limit=1",
		},
		{ // comments around the statement stay
			sql:   "/* app */ select id from things order by id /* trailing */",
			shard: "/* app */ select id, " + wsID + " from things order by 1 asc /* trailing */",
			spec:  "cols=1 hidden=2 order=[0w(h0,h1)]",
		},
	}
	for _, c := range cases {
		plan, err := p.Plan(c.sql, Session{Keyspace: "things"})
		if err != nil {
			t.Fatalf("%s: %v", c.sql, err)
		}
		if err := checkScatter(plan); err != nil {
			t.Errorf("%s: checkScatter: %v", c.sql, err)
		}
		mp, err := PlanMerge(plan, c.args)
		if err != nil {
			t.Errorf("%s: %v", c.sql, err)
			continue
		}
		if c.shard == "" {
			if mp != nil {
				t.Errorf("%s: want no merge, got %s", c.sql, mp.SQL)
			}
			continue
		}
		if mp == nil {
			t.Errorf("%s: want a merge", c.sql)
			continue
		}
		if !sameSQL(t, mp.SQL, c.shard) {
			t.Errorf("%s:\nshard sql %s\n     want %s", c.sql, mp.SQL, c.shard)
		}
		if got := mp.String(); got != c.spec {
			t.Errorf("%s:\nspec %s\nwant %s", c.sql, got, c.spec)
		}
	}
}

// TestPlanMergeRefused: what the merge cannot answer exactly is refused
// before any shard is asked, naming the construct.
func TestPlanMergeRefused(t *testing.T) {
	p := mergePlanner(t)
	cases := []struct{ sql, want string }{
		{"select ifnull(sum(id), 0) from things", "aggregate functions inside an expression in a SELECT across shards of things.things (IFNULL(SUM(`id`), 0))"},
		{"select round(avg(id) * 2, 2) from things", "aggregate functions inside an expression"}, // an AVG inside
		{"select round(sum(id), -1) from things", "aggregate functions inside an expression"},
		{"select sum(id)/count(id)*100 from things", "aggregate functions inside an expression"}, // a quotient inside an expression
		{"select count(*) + id from things", "aggregate functions inside an expression"},         // id: any row's
		{"select count(*) div 2 from things", "aggregate functions inside an expression"},
		{"select name from things order by count(*)", "aggregate functions in ORDER BY without GROUP BY"},
		{"select group_concat(name) from things", "GROUP_CONCAT"},
		{"select count(distinct id, name) from things", "COUNT(DISTINCT `id`, `name`) in a SELECT across shards of things.things (COUNT or SUM of one DISTINCT expression only)"},
		{"select avg(distinct id) from things", "AVG(DISTINCT `id`)"},
		{"select count(distinct id), sum(distinct name) from things", "aggregates of DISTINCT `id` and of DISTINCT `name`"},
		{"select 'all', count(distinct id) from things", "'all' next to DISTINCT aggregates without GROUP BY"},
		{"select name, count(*) as g from things group by name having count(distinct g) > 1", "DISTINCT `g` in an aggregate"},
		{"select variance(id) from things", "VAR_POP"},
		{"select stddev_pop(id) from things", "STDDEV_POP"},
		{"select name from things having name > 'a'", "HAVING in a SELECT across shards"},
		{"select name, count(*) from things group by name having count(*) > 'x'", "HAVING COUNT(1)>'x'"},
		{"select name, count(*) from things group by name having min(name) = 'a'", "HAVING MIN(`name`)='a'"},
		{"select name, count(*) from things group by name having id > 1", "HAVING `id`>1"},
		{"select name, count(*) from things group by name having length(name) = 5", "HAVING LENGTH(`name`)=5"}, // 'é' and 'e' of one group differ there
		{"select name, count(*) from things group by name having name like 'a%'", "HAVING `name` LIKE 'a%'"},   // 'a' and 'a ' too
		{"select name, count(*) from things group by name having count(*) > sum(id)", "HAVING COUNT(1)>SUM(`id`)"},
		{"select name, count(*) from things group by name having count(*) + 1 > 2", "aggregate functions inside an expression"},
		{"select name, count(*) from things group by name having count(*) > (select 1)", "HAVING in a SELECT across shards"},
		{"select id from things union select id from things", "UNION"},
		{"select id from things union all select id from things order by id", "UNION"},
		{"select id from things union all select -1 from dual", "UNION"}, // every shard would add the constant row
		{"select *, count(*) from things", "* together with GROUP BY"},
		{"select distinct * from things", "SELECT DISTINCT *"},
		{"select distinct name, count(*) from things group by name", "DISTINCT together with GROUP BY"},
		{"select distinct name from things order by id", "ORDER BY of a column that is not selected in a SELECT DISTINCT"},
		{"select id from things order by 3", "Unknown column '3' in 'order clause'"},
	}
	for _, c := range cases {
		plan, err := p.Plan(c.sql, Session{Keyspace: "things"})
		if err != nil {
			t.Fatalf("%s: %v", c.sql, err)
		}
		err = checkScatter(plan)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.sql, err, c.want)
		}
	}
}

// TestPlanMergeGroupByAlias: GROUP BY a name that is an alias and a column groups by the column,
// as MySQL does; whether the table has one is read from it first (NeedColumns), once.
func TestPlanMergeGroupByAlias(t *testing.T) {
	p := mergePlanner(t)
	const sql = "select upper(name) as name, count(*) from things group by name"
	var need *NeedColumns
	if _, err := p.Plan(sql, Session{Keyspace: "things"}); !errors.As(err, &need) {
		t.Fatalf("%s before the columns are known: %v, want NeedColumns", sql, err)
	}
	p.LearnColumns(need.Table, []string{"id", "name", "k"})
	for _, c := range []struct{ sql, spec string }{
		{sql, "cols=2 hidden=3 order=[h0w(h1,h2)] groups=[h0w(h1,h2)] count(1)"},                                             // the column name, hidden
		{"select id as g, count(*) from things group by g", "cols=2 hidden=2 order=[0w(h0,h1)] groups=[0w(h0,h1)] count(1)"}, // no column g: the alias
		{"select id as k, count(*) from things group by k", "cols=2 hidden=3 order=[h0w(h1,h2)] groups=[h0w(h1,h2)] count(1)"},
	} {
		plan, err := p.Plan(c.sql, Session{Keyspace: "things"})
		if err != nil {
			t.Fatalf("%s: %v", c.sql, err)
		}
		mp, err := PlanMerge(plan, plan.Args)
		if err != nil {
			t.Fatalf("%s: %v", c.sql, err)
		}
		if got := mp.String(); got != c.spec {
			t.Errorf("%s:\nspec %s\nwant %s", c.sql, got, c.spec)
		}
	}
}

func TestSelectListTexts(t *testing.T) {
	cases := []struct {
		sql  string
		want []string
	}{
		{"select a, b from t", []string{"a", "b"}},
		{"SELECT DISTINCT SQL_NO_CACHE COUNT( * ) ,  Avg(x)  FROM t", []string{"COUNT( * )", "Avg(x)"}},
		{"select f(a, b), 'x,y', `c,d` from t where a = 1", []string{"f(a, b)", "'x,y'", "`c,d`"}},
		{"/* c */ select 'it''s', \"q\\\"\", x /* , */ from t", []string{"'it''s'", "\"q\\\"\"", "x /* , */"}},
		{"select a as `from`, fromage from t", []string{"a as `from`", "fromage"}},
		{"select 1 + 2", []string{"1 + 2"}},
		{"select a from t order by a limit 1", []string{"a"}},
		{"select a, (select 1 from dual) from t", []string{"a", "(select 1 from dual)"}},
		{"(select a from t)", []string{"a"}},
		{"with c as (select x from u) select a, (b) from c", []string{"a", "(b)"}},
	}
	for _, c := range cases {
		got := selectListTexts(c.sql)
		if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", c.want) {
			t.Errorf("%s: got %q, want %q", c.sql, got, c.want)
		}
	}
}

// TestPlanMergeEnums: after the merge found that keys are ENUM or SET columns, the shards add
// each one's index, (key)+0, which the merge sorts and groups by; the plan and its copies from the
// plan cache keep it. A column named twice is one ENUM; knowing it already (another execution
// planned it first) plans the same. A key that is no column of the table has no index to ask for:
// refused.
func TestPlanMergeEnums(t *testing.T) {
	p := NewPlanner(mergePlanner(t).Topo, 100, 1<<20)
	const sql = "select id, name as status from things group by things.name order by status desc, name limit 3"
	plan := mustPlan(t, p, sql)
	mp, err := PlanMerge(plan, plan.Args)
	if err != nil {
		t.Fatal(err)
	}
	if want := "cols=2 hidden=2 order=[1w(h0,h1) desc] groups=[1w(h0,h1)] offset=0 limit=3"; mp.String() != want {
		t.Fatalf("before: %s, want %s", mp, want)
	}
	for _, names := range [][]string{{"name"}, {"name", "name"}} {
		if _, err = PlanMergeEnums(plan, plan.Args, names); err != nil {
			t.Fatal(err)
		}
	}
	const want = "cols=2 hidden=3 order=[1w(h1,h2)i(h0) desc] groups=[1w(h1,h2)i(h0)] offset=0 limit=3"
	wantSQL := "select id, name as status, name + 0, " + wsName + " from things group by 2 order by 2 desc limit 3"
	for _, again := range []*Plan{plan, mustPlan(t, p, sql)} {
		mp, err := PlanMerge(again, again.Args)
		if err != nil {
			t.Fatal(err)
		}
		if mp.String() != want || !sameSQL(t, mp.SQL, wantSQL) {
			t.Errorf("with the index: %s\n%s\nwant %s\n%s", mp, mp.SQL, want, wantSQL)
		}
	}
	plan = mustPlan(t, p, "select count(*) from things group by concat(name, 'x') order by 1")
	if _, err := PlanMergeEnums(plan, plan.Args, []string{""}); err == nil {
		t.Errorf("an index for an expression: no error")
	}
}

func mustPlan(t *testing.T, p *Planner, sql string) *Plan {
	t.Helper()
	plan, err := p.Plan(sql, Session{Keyspace: "things"})
	if err != nil {
		t.Fatal(err)
	}
	return plan
}

// TestPlanMergeSQLMode: under ANSI_QUOTES, "x" in the client's text is a
// column, which the shard statement (printed from a parse) must keep; ||
// under PIPES_AS_CONCAT would be printed as OR, so it is refused; under
// NO_BACKSLASH_ESCAPES a backslash in a string stays one character.
func TestPlanMergeSQLMode(t *testing.T) {
	p := mergePlanner(t)
	merge := func(sql string, mode SQLMode) (*engine.MergePlan, error) {
		t.Helper()
		plan, err := p.Plan(sql, Session{Keyspace: "things", Mode: mode})
		if err != nil {
			t.Fatal(err)
		}
		return PlanMerge(plan, plan.Args)
	}
	const quoted = `select "id" from things order by "id" desc limit 2`
	mp, err := merge(quoted, SQLMode{ANSIQuotes: true})
	if err != nil {
		t.Fatal(err)
	}
	if want := "select id, " + wsID + " from things order by 1 desc limit 2"; !sameSQL(t, mp.SQL, want) {
		t.Errorf("ANSI_QUOTES: %s\nwant %s", mp.SQL, want)
	}
	if mp, err = merge(quoted, SQLMode{}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(mp.SQL, "SELECT 'id'") {
		t.Errorf("without ANSI_QUOTES \"id\" is a string: %s", mp.SQL)
	}
	// || under PIPES_AS_CONCAT is read as CONCAT, and printed so.
	if mp, err := merge(`select name || 'x' from things order by id`, SQLMode{PipesAsConcat: true}); err != nil || !strings.Contains(mp.SQL, "CONCAT(`name`, 'x')") {
		t.Errorf("|| under PIPES_AS_CONCAT: %v %v", mp, err)
	}
	// The client's text is sent back to the shards as it was written.
	for _, c := range []struct {
		sql  string
		mode SQLMode
	}{
		{`select name from things where name > 'a\\' order by name`, SQLMode{}},
		{`select name from things where name > 'a\\' order by name`, SQLMode{NoBackslashEscapes: true}},
		{`select name from things where name > 'a\' order by name`, SQLMode{NoBackslashEscapes: true}},
	} {
		mp, err := merge(c.sql, c.mode)
		lit := c.sql[strings.Index(c.sql, "'") : strings.LastIndex(c.sql, "'")+1]
		if want := "WHERE `name`>" + lit + " ORDER BY "; err != nil || !strings.Contains(mp.SQL, want) {
			t.Errorf("%s (%+v): %v %v\nwant %s in it", c.sql, c.mode, mp, err, want)
		}
	}

}

// TestPlanMergeWindows: window functions partitioned by the primary vindex column are each shard's
// own to compute (no partition spans shards), merged like any column; others are refused here and
// answered by the engine.
func TestPlanMergeWindows(t *testing.T) {
	p := mergePlanner(t)
	for _, c := range []struct{ sql, err string }{
		{"select id, row_number() over (partition by id order by name) from things order by id", ""},
		{"select id, rank() over w from things window w as (partition by things.id order by name) order by 2 desc, id limit 3", ""},
		{"select id, rank() over (w order by name) from things window w as (partition by id)", ""},
		{"select id, row_number() over (order by id) from things", "not partitioned by the primary vindex column"},
		{"select id, row_number() over (partition by name) from things", "not partitioned by the primary vindex column"},
		{"select id, count(*), row_number() over (partition by id) from things group by id", "together with GROUP BY"},
	} {
		plan, err := p.Plan(c.sql, Session{Keyspace: "things"})
		if err != nil {
			t.Fatalf("%s: %v", c.sql, err)
		}
		_, err = PlanMerge(plan, nil)
		if c.err == "" && err != nil || c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)) {
			t.Errorf("%s: %v, want %q", c.sql, err, c.err)
		}
	}
}

// TestPlanMergeColocated: the results of co-located tables (a JoinRoute sends no other join to several
// shards) merge as one table's: ORDER BY, LIMIT, GROUP BY and aggregates, with columns of different
// tables told apart by their qualifiers.
func TestPlanMergeColocated(t *testing.T) {
	p := mergePlanner(t)
	for _, c := range []struct{ sql, want string }{
		{"select c.customer_id, o.corder_id from customer c join corder o on o.customer_id = c.customer_id order by o.corder_id limit 3",
			"SELECT `c`.`customer_id`,`o`.`corder_id`,WEIGHT_STRING(`o`.`corder_id`),IF(LEFT(CONCAT(' ', `o`.`corder_id`), 1)='', WEIGHT_STRING(LEFT(CONCAT(' ', `o`.`corder_id`), 1)), '') FROM `customer` AS `c` JOIN `corder` AS `o` ON `o`.`customer_id`=`c`.`customer_id` ORDER BY 2 LIMIT 3 | cols=2 hidden=2 order=[1w(h0,h1)] offset=0 limit=3"},
		{"select c.email, count(*) from customer c join corder o on o.customer_id = c.customer_id group by c.email order by c.customer_id",
			"SELECT `c`.`email`,COUNT(1) AS `count(*)`,`c`.`customer_id`,WEIGHT_STRING(`c`.`email`),IF(LEFT(CONCAT(' ', `c`.`email`), 1)='', WEIGHT_STRING(LEFT(CONCAT(' ', `c`.`email`), 1)), ''),WEIGHT_STRING(`c`.`customer_id`),IF(LEFT(CONCAT(' ', `c`.`customer_id`), 1)='', WEIGHT_STRING(LEFT(CONCAT(' ', `c`.`customer_id`), 1)), '') FROM `customer` AS `c` JOIN `corder` AS `o` ON `o`.`customer_id`=`c`.`customer_id` GROUP BY 1 ORDER BY 1 | cols=2 hidden=5 order=[0w(h1,h2)] groups=[0w(h1,h2)] count(1) post=[h0w(h3,h4)]"},
	} {
		plan, err := p.Plan(c.sql, Session{Keyspace: "customer"})
		if err != nil {
			t.Fatal(err)
		}
		mp, err := PlanMerge(plan, nil)
		if err != nil {
			t.Errorf("%s: %v", c.sql, err)
			continue
		}
		if got := mp.SQL + " | " + mp.String(); got != c.want {
			t.Errorf("%s:\ngot  %s\nwant %s", c.sql, got, c.want)
		}
	}
}

// TestPlanMergeOncePerShape: a scatter merge is planned once per cached
// statement shape and per prepared statement; each execution only prints the
// shards' statement with its own literals, arguments and column names.
func TestPlanMergeOncePerShape(t *testing.T) {
	cfg, err := conf.Load("../conf/examples/sidecar.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p := NewPlanner(cfg.Topology, 100, 1<<20)
	sess := Session{Keyspace: "things"}
	var shared *once[mergeTemplate]
	for _, c := range []struct{ sql, shard string }{
		{"select id, name from things where name > 'a' order by name limit 2",
			"select id, name, " + wsName + " from things where name > 'a' order by 2 asc limit 2"},
		{"select id, name from things where name > 'b' order by name limit 2",
			"select id, name, " + wsName + " from things where name > 'b' order by 2 asc limit 2"},
		{"select id, name from things where name > 'c' order by name limit 2",
			"select id, name, " + wsName + " from things where name > 'c' order by 2 asc limit 2"},
	} {
		plan, err := p.Plan(c.sql, sess)
		if err != nil {
			t.Fatal(err)
		}
		if err := checkScatter(plan); err != nil {
			t.Fatalf("%s: %v", c.sql, err)
		}
		mp, err := PlanMerge(plan, plan.Args)
		if err != nil {
			t.Fatalf("%s: %v", c.sql, err)
		}
		if !sameSQL(t, mp.SQL, c.shard) {
			t.Errorf("%s:\n got %s\nwant %s", c.sql, mp.SQL, c.shard)
		}
		if shared == nil {
			shared = plan.merge
		} else if plan.merge != shared {
			t.Errorf("%s: merge planned again for a cached shape", c.sql)
		}
	}
	// Sessions run one cached plan at once: each execution renders its own literal.
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				lit := fmt.Sprintf("'g%d-%d'", g, i)
				plan, err := p.Plan("select id, name from things where name > "+lit+" order by name limit 2", sess)
				if err != nil {
					t.Error(err)
					return
				}
				if mp, err := PlanMerge(plan, plan.Args); err != nil || !strings.Contains(mp.SQL, lit) {
					t.Errorf("concurrent execution with %s: %v %v", lit, mp, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	// A refusal is planned once too, and given to every execution.
	for range 2 {
		plan, err := p.Plan("select name from things group by name having min(name) = 'a'", sess)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := PlanMerge(plan, plan.Args); err == nil || !strings.Contains(err.Error(), "HAVING") {
			t.Errorf("HAVING across shards: %v", err)
		}
	}
	// LIMIT ? of a prepared statement: the merge follows each execute's arguments.
	prepared, err := p.PlanPrepared("select id from things order by id limit ?", sess)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int64{2, 5} {
		mp, err := PlanMerge(prepared, Args{vindex.NewInt64(n)})
		if err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("select id, %s from things order by 1 asc limit %d", wsID, n)
		wantSpec := fmt.Sprintf("cols=1 hidden=2 order=[0w(h0,h1)] offset=0 limit=%d", n)
		if !sameSQL(t, mp.SQL, want) || mp.String() != wantSpec {
			t.Errorf("LIMIT %d: %s, %s\nwant %s, %s", n, mp.SQL, mp, want, wantSpec)
		}
	}
	// LIMIT ? bound to what is no non-negative integer: read as MariaDB reads it.
	limits, err := p.PlanPrepared("select id from things order by id limit ?, ?", sess)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		arg  vindex.Value
		want string
	}{
		{vindex.NewInt64(-1), "18446744073709551615"},
		{vindex.Value{Kind: vindex.Float64, Raw: []byte("2.5")}, "2"},
		{vindex.Value{Kind: vindex.Float64, Raw: []byte("3.5")}, "4"},
		{vindex.Value{Kind: vindex.Float64, Raw: []byte("-0.4")}, "0"},
		{vindex.Value{Kind: vindex.Float64, Raw: []byte("1e30")}, "9223372036854775807"},
		{vindex.Value{Kind: vindex.Float64, Raw: []byte("-1e30")}, "9223372036854775808"},
		{vindex.Value{Kind: vindex.Decimal, Raw: []byte("2.5")}, "3"},
		{vindex.Value{Kind: vindex.VarChar, Raw: []byte(" 3x")}, "3"},
		{vindex.Value{Kind: vindex.VarChar, Raw: []byte("1e1")}, "1"},
		{vindex.Value{Kind: vindex.VarChar, Raw: []byte("x")}, "0"},
		{vindex.Value{Kind: vindex.VarChar, Raw: []byte("-1")}, "18446744073709551615"},
		{vindex.Value{Kind: vindex.VarChar, Raw: []byte("99999999999999999999")}, "9223372036854775807"},
		{vindex.Value{Kind: vindex.Null}, "0"},
	} {
		args := limits.LimitArgs(Args{vindex.NewInt64(1), c.arg})
		if got := string(vindex.AppendArgument(nil, args[1], false)); got != c.want || string(args[0].Raw) != "1" {
			t.Errorf("LIMIT 1, ? bound to %q (kind %d): %s, want %s", c.arg.Raw, c.arg.Kind, got, c.want)
		}
	}
	// HAVING … > ?: the filter compares with each execute's argument; a
	// string argument that reads as a number is compared as a double, as
	// MySQL compares a number with a string; one that does not is refused.
	prepared, err = p.PlanPrepared("select name, count(*) from things group by name having count(*) > ?", sess)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		arg    vindex.Value
		having string // "": refused
	}{
		{vindex.NewInt64(3), "c1 > 3"},
		{vindex.Value{Kind: vindex.VarChar, Raw: []byte("2.5")}, "c1 > 2.5"},
		{vindex.Value{Kind: vindex.VarChar, Raw: []byte("x")}, ""},
		{vindex.Value{Kind: vindex.VarChar, Raw: []byte("-1.5e2")}, "c1 > -1.5e2"},
		{vindex.Value{Kind: vindex.VarChar, Raw: []byte("inf")}, ""}, // MySQL reads these as 0
		{vindex.Value{Kind: vindex.VarChar, Raw: []byte("NaN")}, ""},
		{vindex.Value{Kind: vindex.VarChar, Raw: []byte("0x1p6")}, ""},
		{vindex.Value{Kind: vindex.VarChar, Raw: []byte("1e")}, ""},
	} {
		arg, having := c.arg, c.having
		mp, err := PlanMerge(prepared, Args{arg})
		switch {
		case having == "" && (err == nil || !strings.Contains(err.Error(), "HAVING COUNT(1)>?")):
			t.Errorf("HAVING > %q: %v, want a refusal", arg.Raw, err)
		case having != "" && (err != nil || !strings.Contains(mp.String(), "having=["+having+"]")):
			t.Errorf("HAVING > %q: %v %v, want having=[%s]", arg.Raw, mp, err, having)
		}
	}
}
