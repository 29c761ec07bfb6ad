package planner

import (
	"context"
	"math"
	"strconv"
	"strings"
	"testing"

	"sidecar/conf"
	"sidecar/engine"
	"sidecar/vindex"
)

// fakeIO serves sequences from a counter and lookups from a map, and records
// the lookup statements it was asked to run.
type fakeIO struct {
	next    int64
	lookups map[string]vindex.KeyspaceID // corder_id -> ksid
	sql     []string
}

func (f *fakeIO) Execute(ctx context.Context, sql string, order vindex.CommitOrder) (*vindex.Result, error) {
	f.sql = append(f.sql, sql)
	return &vindex.Result{RowsAffected: 1}, nil
}

func (f *fakeIO) ExecuteKeyspaceID(ctx context.Context, ks string, ksid vindex.KeyspaceID, sql string, order vindex.CommitOrder) (*vindex.Result, error) {
	f.sql = append(f.sql, sql)
	return &vindex.Result{}, nil
}

func (f *fakeIO) ExecuteShard(ctx context.Context, sh *conf.Shard, sql string, order vindex.CommitOrder) (*vindex.Result, error) {
	f.sql = append(f.sql, sh.Name+": "+sql)
	return &vindex.Result{}, nil
}

func (f *fakeIO) InTransactionAndIsDML() bool { return true }

func (f *fakeIO) NoBackslashEscapes() bool { return false }

func (f *fakeIO) NextSequence(ctx context.Context, seq *conf.Table, n int64) (int64, error) {
	v := f.next
	f.next += n
	return v, nil
}

func (f *fakeIO) SequencePast(ctx context.Context, seq *conf.Table, v int64) error {
	f.next = max(f.next, v+1)
	return nil
}

func (f *fakeIO) MapLookup(ctx context.Context, ks *conf.Keyspace, cv *conf.ColumnVindex, ids []vindex.Value) ([]vindex.Destination, error) {
	out := make([]vindex.Destination, len(ids))
	for i, id := range ids {
		if ksid, ok := f.lookups[string(id.Raw)]; ok {
			out[i] = vindex.DestinationKeyspaceID(ksid)
		} else {
			out[i] = vindex.DestinationNone{}
		}
	}
	return out, nil
}

func (f *fakeIO) LookupWritten(*conf.Keyspace, *conf.ColumnVindex, []vindex.Value) {}

func (f *fakeIO) RowsMapped(*conf.Table, []vindex.KeyspaceID) {}

// runInsert plans an INSERT and runs it as the session does, up to the
// shards' statements.
func runInsert(ctx context.Context, plan *Plan, args Args, io *fakeIO) (*engine.Inserted, error) {
	ins, err := PlanInsert(plan)
	if err != nil {
		return nil, err
	}
	return ins.Run(ctx, io, args, plan.AsSent())
}

func loadExample(t *testing.T) *conf.Topology { return loadExampleB(t) }

func loadExampleB(t testing.TB) *conf.Topology {
	t.Helper()
	cfg, err := conf.Load("../conf/examples/sidecar.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Topology
}

func hashOf(t *testing.T, n string) vindex.KeyspaceID {
	t.Helper()
	v, err := vindex.Create("hash", "hash", nil)
	if err != nil {
		t.Fatal(err)
	}
	ksid, err := v.(vindex.Hashing).Hash(vindex.Value{Kind: vindex.Int64, Raw: []byte(n)})
	if err != nil {
		t.Fatal(err)
	}
	return ksid
}

// TestPlanInsert follows seed 002: sequence values, keyspace ids from the
// lookup primary vindex, keyspace_id filled by the reversible binary vindex,
// and the error for an order that does not exist.
func TestPlanInsert(t *testing.T) {
	topo := loadExample(t)
	p := &Planner{Topo: topo}
	io := &fakeIO{next: 1, lookups: map[string]vindex.KeyspaceID{"1": hashOf(t, "1"), "5": hashOf(t, "4")}}
	for _, tc := range []struct {
		name    string
		sql     string
		want    map[string]string // shard -> statement
		wantErr string
		id      uint64
	}{{
		name: "seed 002 corder_event",
		sql:  "insert into corder_event(corder_id, ename) values(1, 'paid'), (5, 'delivered')",
		want: map[string]string{
			"-80": "INSERT INTO `corder_event` (`corder_id`,`ename`,`keyspace_id`,`corder_event_id`) VALUES (1,'paid',_binary X'166b40b44aba4bd6',1)",
			"80-": "INSERT INTO `corder_event` (`corder_id`,`ename`,`keyspace_id`,`corder_event_id`) VALUES (5,'delivered',_binary X'd2fd8867d50d2dfe',2)",
		},
		id: 1,
	}, {
		name:    "order without lookup row",
		sql:     "insert into corder_event(corder_id, ename) values(6, 'expect failure')",
		wantErr: "could not map [INT64(6)] to a keyspace id",
	}, {
		name: "customer by hash, sequence filled for NULL and 0",
		sql:  "/* app */ insert into customer(customer_id, email) values (null, 'a'), (0, 'b'), (7, 'c')",
		want: map[string]string{
			// The failed statement before consumed 3: values come before keyspace ids.
			"-80": "/* app */ insert into customer(customer_id, email) values (5, 'b')",
			"80-": "/* app */ insert into customer(customer_id, email) values (4, 'a'), (7, 'c')",
		},
		id: 4,
	}, {
		name: "INSERT … VALUE, MySQL's synonym of VALUES",
		sql:  "insert into customer(customer_id, email) value (7, 'c')",
		want: map[string]string{"80-": "insert into customer(customer_id, email) value (7, 'c')"},
	}, {
		name:    "insert select",
		sql:     "insert into customer(customer_id) select 1 from dual",
		wantErr: "INSERT … SELECT",
	}, {
		name:    "keyspace_id that does not match",
		sql:     "insert into corder_event(corder_id, ename, keyspace_id) values(1, 'x', 'nope')",
		wantErr: `values [[VARCHAR("nope")]] for column [keyspace_id] does not map to keyspace ids`,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			plan, err := p.Plan(tc.sql, Session{Keyspace: "customer"})
			if err != nil {
				t.Fatal(err)
			}
			ip, err := runInsert(context.Background(), plan, nil, io)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, q := range ip.Queries {
				got[q.Shard.Name] = q.SQL
			}
			for shard, want := range tc.want {
				if !sameSQL(t, got[shard], want) {
					t.Errorf("shard %s:\n got %s\nwant %s", shard, got[shard], want)
				}
			}
			if len(got) != len(tc.want) {
				t.Errorf("shards %v, want %v", got, tc.want)
			}
			if ip.InsertID != tc.id {
				t.Errorf("insert id %d, want %d", ip.InsertID, tc.id)
			}
		})
	}
}

// TestPlanInsertAuthoritativeColumns: an INSERT without a column list (as mariadb-dump writes
// them) names the columns the VSchema lists when that list is authoritative, invisible ones left out.
func TestPlanInsertAuthoritativeColumns(t *testing.T) {
	topo := loadExample(t)
	customer, err := topo.FindTable("customer", "customer")
	if err != nil {
		t.Fatal(err)
	}
	customer.Columns, customer.ColumnListAuthoritative = []string{"customer_id", "email"}, true
	p := &Planner{Topo: topo}
	plan, err := p.Plan("insert into customer values (7, 'c'), (1, 'a')", Session{Keyspace: "customer"})
	if err != nil {
		t.Fatal(err)
	}
	ip, err := runInsert(context.Background(), plan, nil, &fakeIO{next: 1})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"80-": "INSERT INTO `customer` (`customer_id`,`email`) VALUES (7,'c')",
		"-80": "INSERT INTO `customer` (`customer_id`,`email`) VALUES (1,'a')"}
	for _, q := range ip.Queries {
		if !sameSQL(t, q.SQL, want[q.Shard.Name]) {
			t.Errorf("shard %s:\n got %s\nwant %s", q.Shard.Name, q.SQL, want[q.Shard.Name])
		}
	}
	if len(ip.Queries) != 2 {
		t.Errorf("queries %+v, want %v", ip.Queries, want)
	}
}

// TestPlanInsertArgs: a prepared INSERT binds its arguments without touching
// the parsed statement, so the next execute sees the placeholders again.
func TestPlanInsertArgs(t *testing.T) {
	p := &Planner{Topo: loadExample(t)}
	plan, err := p.PlanPrepared("insert into customer(customer_id, email) values (?, ?)", Session{Keyspace: "customer"})
	if err != nil {
		t.Fatal(err)
	}
	io := &fakeIO{next: 1}
	for _, id := range []int64{1, 4} {
		ip, err := runInsert(context.Background(), plan, Args{vindex.NewInt64(id), vindex.NewVarChar("it's")}, io)
		if err != nil {
			t.Fatal(err)
		}
		want := "insert into customer(customer_id, email) values (" + string(vindex.NewInt64(id).Raw) + ", 'it''s')"
		if len(ip.Queries) != 1 || !sameSQL(t, ip.Queries[0].SQL, want) {
			t.Errorf("got %+v, want %s", ip.Queries, want)
		}
	}
	if s := nodeText(plan.Stmt); !strings.Contains(s, "?") {
		t.Errorf("statement was modified: %s", s)
	}
}

func TestRouteStatement(t *testing.T) {
	p := &Planner{Topo: loadExample(t)}
	io := &fakeIO{}
	for _, tc := range []struct {
		sql     string
		shards  string
		wantErr string
	}{
		// The cheapest vindex routes, wherever its condition stands: hash(id), not the name
		// lookup (which fakeIO maps to no shard).
		{"select * from things.things where name = 'foo' and id = 4", "80-", ""},
		// A condition whose value is not known (an expression) gives way to the next one.
		{"select * from customer where customer_id = abs(1) and customer_id = 4", "80-", ""},
		{"select * from customer where customer_id = abs(1)", "-80,80-", ""},
		{"select * from customer where customer_id = 1", "-80", ""},
		{"select * from customer where customer_id = 4", "80-", ""},
		{"select * from customer where customer_id in (1, 4)", "-80,80-", ""},
		{"select * from customer c where c.customer_id = 4 and email = 'x'", "80-", ""},
		{"select * from customer where email = 'x'", "-80,80-", ""},
		{"select * from customer order by customer_id", "-80,80-", ""}, // merged by the executor
		{"select count(*) from customer", "-80,80-", ""},
		{"select count(*) from customer where customer_id = 1", "-80", ""},
		{"update customer set email = 'x' where customer_id = 1", "-80", ""},
		{"delete from customer where email = 'x' limit 1", "-80,80-", ""},                // one shard after another
		{"delete from customer where email = 'x' order by email limit 1", "-80,80-", ""}, // the first rows over all shards, then each shard's
		// CAST(n AS UNSIGNED): how the sidecar writes a typed unsigned argument into the statements it
		// plans again; it routes as the number.
		{"select * from customer where customer_id = cast(4 as unsigned)", "80-", ""},
		{"select * from customer where customer_id in (cast(1 as unsigned), cast(4 as unsigned))", "-80,80-", ""},
		{"select * from customer where customer_id = cast(-4 as unsigned)", "-80,80-", ""}, // 2^64-4: not read
		{"select * from customer where customer_id = cast(4 as signed)", "-80,80-", ""},
	} {
		plan, err := p.Plan(tc.sql, Session{Keyspace: "customer"})
		if err != nil {
			t.Fatalf("%s: %v", tc.sql, err)
		}
		r, err := RouteStatement(context.Background(), plan, nil, io)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s: err %v, want %q", tc.sql, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.sql, err)
		}
		var names []string
		for _, sh := range r.Shards {
			names = append(names, sh.Name)
		}
		if got := strings.Join(names, ","); got != tc.shards {
			t.Errorf("%s: shards %s, want %s", tc.sql, got, tc.shards)
		}
	}
}

func TestPlanRefusals(t *testing.T) {
	p := &Planner{Topo: loadExample(t)}
	for _, tc := range []struct{ sql, wantErr string }{
		{"update customer set customer_id = customer_id + 1 where customer_id = 1", "VT12001: unsupported: you cannot UPDATE primary vindex columns; invalid update on vindex: hash"},

		{"select * from nosuch", "doesn't exist"},
		{"delete t from things.things t join customer.customer c on c.customer_id = t.id", "across keyspaces"},
	} {
		_, err := p.Plan(tc.sql, Session{Keyspace: "customer"})
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%s: err %v, want %q", tc.sql, err, tc.wantErr)
		}
	}
}

// TestPlanCache: text statements differing only in literals share one parse,
// and each keeps its own values for routing and rendering.
func TestPlanCache(t *testing.T) {
	p := NewPlanner(loadExample(t), 100, 1<<20)
	io := &fakeIO{next: 1}
	for _, tc := range []struct{ id, shard string }{{"1", "-80"}, {"4", "80-"}, {"1", "-80"}} {
		sql := "select * from customer where customer_id = " + tc.id
		plan, err := p.Plan(sql, Session{Keyspace: "customer"})
		if err != nil {
			t.Fatal(err)
		}
		if plan.Query != sql {
			t.Errorf("query %q, want the client's text %q", plan.Query, sql)
		}
		r, err := RouteStatement(context.Background(), plan, plan.Args, io)
		if err != nil || len(r.Shards) != 1 || r.Shards[0].Name != tc.shard {
			t.Errorf("id %s routed to %v (%v), want %s", tc.id, r, err, tc.shard)
		}
	}
	// Rows for one shard, as the client wrote them, go as the client's text;
	// rows split across shards are rendered per shard with their own values.
	for _, tc := range []struct {
		sql  string
		want []string
	}{
		{"insert into customer(customer_id, email) values (4, 'it''s')", []string{"insert into customer(customer_id, email) values (4, 'it''s')"}},
		{"insert into customer(customer_id, email) values (4, 'a'), (1, 'it''s')", []string{
			"insert into customer(customer_id, email) values (4, 'a')",
			"insert into customer(customer_id, email) values (1, 'it''s')",
		}},
	} {
		plan, err := p.Plan(tc.sql, Session{Keyspace: "customer"})
		if err != nil {
			t.Fatal(err)
		}
		ip, err := runInsert(context.Background(), plan, plan.Args, io)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, q := range ip.Queries {
			got = append(got, q.SQL)
		}
		same := len(got) == len(tc.want)
		for i := 0; same && i < len(got); i++ {
			same = sameSQL(t, got[i], tc.want[i])
		}
		if !same {
			t.Errorf("%s\n  sent %q\n  want %q", tc.sql, got, tc.want)
		}
	}
	if n := p.Cache.Len(); n != 3 {
		t.Errorf("cache holds %d plans, want 3 (one per shape)", n)
	}
}

func TestRouteJoin(t *testing.T) {
	p := &Planner{Topo: loadExample(t)}
	for _, tc := range []struct{ sql, shard, wantErr string }{
		{"select * from customer c join corder o on c.customer_id = o.customer_id where c.customer_id = 4", "80-", ""},
		{"select * from customer c, corder o where o.customer_id = 1 and c.customer_id = o.customer_id", "-80", ""},
		// Co-located by their primary vindex: every shard answers its part.
		{"select * from customer c join corder o on c.customer_id = o.customer_id", "*", ""},
		{"select c.email from customer c where exists (select 1 from corder o where o.customer_id = c.customer_id)", "*", ""},
		{"select * from customer c join corder o on c.email = o.oname", "", "nothing binds c.customer_id"},
		{"select * from customer c join corder o on c.email = o.oname where c.customer_id = 1 and o.customer_id = 4", "", "different shards"},

		// A LEFT JOIN's ON condition filters the right side only.
		{"select c.customer_id, o.oname from customer c left join corder o on o.customer_id = c.customer_id and o.customer_id = 4 where c.email = 'x'", "*", ""},
		{"select * from customer c left join corder o on o.customer_id = c.customer_id where c.customer_id = 4", "80-", ""},
		{"select * from customer c left join corder o on o.customer_id = c.customer_id where o.customer_id = 4", "80-", ""},
		{"select * from corder o right join customer c on o.customer_id = c.customer_id and o.customer_id = 4", "*", ""},
		{"select * from customer c left join (corder o join corder o2 on o2.customer_id = o.customer_id and o.customer_id = 4) on o.customer_id = c.customer_id", "*", ""},

		// Subqueries read their own tables, pinned by their own conditions.
		{"select customer_id, (select count(*) from customer) from customer where customer_id = 4", "", "nothing binds customer.customer_id"},
		{"select customer_id, (select count(*) from corder where customer_id = 4) from customer where customer_id = 4", "80-", ""},
		{"select customer_id from customer where customer_id = 1 and exists (select 1 from corder where customer_id = 4)", "", "different shards"},
		{"select c.customer_id, (select count(*) from corder o where o.customer_id = c.customer_id) from customer c where c.customer_id = 4", "80-", ""},
		{"select c.customer_id, (select count(*) from corder o where o.customer_id = c.customer_id and o.customer_id = 4) from customer c", "*", ""},
		{"select c.customer_id, (select count(*) from corder o where o.customer_id = 4 and c.customer_id = 4) from customer c", "", "nothing binds c.customer_id"},
		{"select customer_id from customer where customer_id = 4 and email in (select email from customer)", "", "nothing binds customer.customer_id"},

		// Derived tables: the outer query sees their columns, not their tables.
		{"select c.customer_id, t.n from customer c join (select count(*) n from corder) t where c.customer_id = 4", "", "nothing binds corder.customer_id"},
		{"select * from (select * from customer where customer_id = 4) t", "80-", ""},
		{"select * from (select customer_id + 1 as customer_id from customer) t where customer_id = 4", "*", ""},
		{"select * from (select count(*) n from customer) t", "", "nothing binds customer.customer_id"},
		{"select * from (select distinct email from customer) t", "", "nothing binds customer.customer_id"},
		{"with t as (select customer_id from customer) select * from t", "", "nothing binds customer.customer_id"},
		{"select count(*) from (select customer_id from customer union all select customer_id from corder) t", "", "nothing binds customer.customer_id"},
	} {
		plan, err := p.Plan(tc.sql, Session{Keyspace: "customer"})
		if err != nil {
			t.Fatalf("%s: %v", tc.sql, err)
		}
		r, err := RouteStatement(context.Background(), plan, nil, &fakeIO{})
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s: err %v, want %q", tc.sql, err, tc.wantErr)
			}
			continue
		}
		if tc.shard == "*" {
			if err != nil || !r.Scatter || len(r.Shards) != len(plan.Keyspace.Shards) {
				t.Errorf("%s: %v %v, want every shard", tc.sql, r, err)
			}
			continue
		}
		if tc.shard == "*" {
			if err != nil || !r.Scatter || len(r.Shards) != len(plan.Keyspace.Shards) {
				t.Errorf("%s: %v %v, want every shard", tc.sql, r, err)
			}
			continue
		}
		if err != nil || len(r.Shards) != 1 || r.Shards[0].Name != tc.shard {
			t.Errorf("%s: %v %v, want shard %s", tc.sql, r, err, tc.shard)
		}
	}
}

// TestUpdatePrimaryWithOwnedColumn: an UPDATE setting the primary vindex column to a value is
// planned with the rows read first (OwnedLookups.Primary), which the engine refuses where the value
// would change a row's keyspace id (an ORM saving a row writes the value it has); set to an
// expression, it is refused at once.
func TestUpdatePrimaryWithOwnedColumn(t *testing.T) {
	p := NewPlanner(loadExample(t), 10, 1<<20)
	for _, sql := range []string{
		"update things set name = 'fresh', id = 4 where id = 1",
		"update things set name = 'fresh', things.id = 4 where id = 2",
		"update things set id = 4 where name = 'x'",
	} {
		plan, err := p.Plan(sql, Session{Keyspace: "things"})
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		od, err := PlanOwnedDML(plan)
		if err != nil || od == nil || od.Primary == nil {
			t.Fatalf("%s: lookups %+v (%v), want the rows read and id's value checked", sql, od, err)
		}
		if v := od.Primary.Value; od.Primary.Arg > 0 && plan.Args[od.Primary.Arg-1].String() != "INT64(4)" || od.Primary.Arg == 0 && v.String() != "INT64(4)" {
			t.Errorf("%s: id's value checked is %+v, want 4", sql, od.Primary)
		}
	}
	for _, sql := range []string{
		"update things set id = id + 1 where id = 1",
		"update things set name = 'fresh', id = abs(4) where id = 1",
		"update things set id = 4, id = 5 where id = 1",
	} {
		if _, err := p.Plan(sql, Session{Keyspace: "things"}); err == nil || !strings.Contains(err.Error(), "VT12001") {
			t.Errorf("%s: %v, want VT12001", sql, err)
		}
	}
}

// TestInsert100RowsConstantStatements: a 100-row INSERT into a table owning
// a consistent lookup costs one lookup statement (split by lookup shard by
// the executor) and one INSERT per owner shard — never one per row.
func TestInsert100RowsConstantStatements(t *testing.T) {
	p := &Planner{Topo: loadExample(t)}
	var sb strings.Builder
	sb.WriteString("insert into corder(customer_id, product_id, oname) values ")
	for i := 0; i < 100; i++ {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString("(" + strconv.Itoa(i+1) + ", 1, 'x')")
	}
	plan, err := p.Plan(sb.String(), Session{Keyspace: "customer"})
	if err != nil {
		t.Fatal(err)
	}
	io := &fakeIO{next: 1}
	ip, err := runInsert(context.Background(), plan, nil, io)
	if err != nil {
		t.Fatal(err)
	}
	if len(io.sql) != 1 || len(ip.Queries) != 2 {
		t.Errorf("%d lookup statements and %d owner statements for 100 rows, want 1 and 2", len(io.sql), len(ip.Queries))
	}
}

// TestUnsignedArguments: a prepared statement's unsigned argument (go-sql-driver sends every
// uint64 so) keeps its type in the text the sidecar writes for several shards, as
// CAST(n AS UNSIGNED) (MySQL computes ? - 2 with 1 as 1690 out of range, a literal 1 as -1),
// except in a LIMIT, which takes only a literal (routing by that form: TestRouteStatement).
func TestUnsignedArguments(t *testing.T) {
	p := &Planner{Topo: loadExample(t)}
	plan, err := p.PlanPrepared("select count(*) - ? from customer where email > ? limit ?", Session{Keyspace: "customer"})
	if err != nil {
		t.Fatal(err)
	}
	args := plan.LimitArgs(Args{vindex.NewUint64(2), vindex.NewUint64(math.MaxUint64), vindex.NewUint64(5)})
	const want = "SELECT COUNT(1)-CAST(2 AS UNSIGNED) FROM `customer` WHERE `email`>18446744073709551615 LIMIT 5"
	if got := plan.render(args); got != want {
		t.Errorf("rendered\n%s\nwant\n%s", got, want)
	}
}
