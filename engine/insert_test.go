package engine

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"sidecar/conf"
	"sidecar/sqlerr"
	"sidecar/vindex"
)

// vindexCursor serves sequences from a counter and answers lookup statements
// from canned rows, recording every call an Insert makes.
type vindexCursor struct {
	next int64
	// lookup answers a lookup table's SELECT: its rows (the keyspace ids),
	// by the start of the statement.
	lookup map[string][][]vindex.Value
	// shardRows answer ExecuteShard, by shard.
	shardRows map[string][][]vindex.Value
	// fail fails the statements that start with a key, with its error.
	fail  map[string]error
	calls []string
}

func (c *vindexCursor) log(format string, args ...any) {
	c.calls = append(c.calls, fmt.Sprintf(format, args...))
}

func (c *vindexCursor) Execute(_ context.Context, sql string, order vindex.CommitOrder) (*vindex.Result, error) {
	c.log("execute %s", sql)
	for prefix, err := range c.fail {
		if strings.HasPrefix(sql, prefix) {
			return nil, err
		}
	}
	for prefix, rows := range c.lookup {
		if strings.HasPrefix(sql, prefix) {
			return &vindex.Result{Rows: rows}, nil
		}
	}
	return &vindex.Result{RowsAffected: 1}, nil
}

func (c *vindexCursor) ExecuteKeyspaceID(_ context.Context, ks string, _ vindex.KeyspaceID, sql string, _ vindex.CommitOrder) (*vindex.Result, error) {
	c.log("execute on %s by keyspace id: %s", ks, sql)
	return &vindex.Result{}, nil
}

func (c *vindexCursor) ExecuteShard(_ context.Context, sh *conf.Shard, sql string, _ vindex.CommitOrder) (*vindex.Result, error) {
	c.log("execute on %s: %s", sh.Name, sql)
	return &vindex.Result{Rows: c.shardRows[sh.Name]}, nil
}

func (c *vindexCursor) InTransactionAndIsDML() bool { return true }
func (c *vindexCursor) NoBackslashEscapes() bool    { return false }

func (c *vindexCursor) SequencePast(_ context.Context, seq *conf.Table, v int64) error {
	c.log("%s past %d", seq, v)
	c.next = max(c.next, v+1)
	return nil
}

func (c *vindexCursor) NextSequence(_ context.Context, seq *conf.Table, n int64) (int64, error) {
	c.log("reserve %d of %s", n, seq)
	v := c.next
	c.next += n
	return v, nil
}

func (c *vindexCursor) MapLookup(_ context.Context, _ *conf.Keyspace, cv *conf.ColumnVindex, ids []vindex.Value) ([]vindex.Destination, error) {
	c.log("map %v by %s", ids, cv.Name)
	return nil, sqlerr.Routing("not in this test")
}

func (c *vindexCursor) LookupWritten(_ *conf.Keyspace, cv *conf.ColumnVindex, ids []vindex.Value) {
	c.log("lookup rows of %v written for %s", ids, cv.Name)
}

func (c *vindexCursor) RowsMapped(t *conf.Table, ksids []vindex.KeyspaceID) {
	c.log("%d row(s) of %s mapped", len(ksids), t)
}

func exampleTable(t *testing.T, ks, name string) *conf.Table {
	t.Helper()
	cfg, err := conf.Load("../conf/examples/sidecar.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Topology.Keyspaces[ks].Tables[name]
}

func lit(sql string, v vindex.Value) Cell {
	return Cell{SQL: Template{{Text: sql}}, Value: v, Known: true}
}
func arg(n int) Cell { return Cell{SQL: Template{{Arg: n}}, Arg: n} }

var null = lit("null", vindex.Value{Kind: vindex.Null})

// corderInsert is `insert into corder (customer_id, sku) values (1, 'a'),
// (?, 'b')` as the planner plans it: corder_id, the sequence's column and
// the owned lookup's, added as NULL.
func corderInsert(t *testing.T) *Insert {
	return &Insert{
		Table:   exampleTable(t, "customer", "corder"),
		Columns: []string{"customer_id", "sku", "corder_id"},
		Added:   1,
		Rows: [][]Cell{
			{lit("1", vindex.NewInt64(1)), lit("'a'", vindex.NewVarChar("a")), null},
			{arg(1), lit("'b'", vindex.NewVarChar("b")), null},
		},
		Prefix: Template{{Text: "INSERT INTO `corder` (`customer_id`,`sku`,`corder_id`) VALUES "}},
	}
}

// TestInsertSeed002: the rows of seed 002's corder get sequence values (one
// reservation), keyspace ids by customer_id, their lookup rows written
// before them, and one statement per shard.
func TestInsertSeed002(t *testing.T) {
	cur := &vindexCursor{next: 100}
	out, err := corderInsert(t).Run(context.Background(), cur, []vindex.Value{vindex.NewInt64(4)}, "")
	if err != nil {
		t.Fatal(err)
	}
	wantCalls := []string{
		"reserve 2 of product.corder_seq",
		"2 row(s) of customer.corder mapped",
		"execute insert into `product`.`corder_keyspace_idx`(`corder_id`, `keyspace_id`) values (100, _binary X'166b40b44aba4bd6'), (101, _binary X'd2fd8867d50d2dfe')",
		"lookup rows of [INT64(100) INT64(101)] written for corder_keyspace_idx",
	}
	if strings.Join(cur.calls, "\n") != strings.Join(wantCalls, "\n") {
		t.Errorf("calls:\n%s\nwant:\n%s", strings.Join(cur.calls, "\n"), strings.Join(wantCalls, "\n"))
	}
	want := []string{
		"-80 INSERT INTO `corder` (`customer_id`,`sku`,`corder_id`) VALUES (1,'a',100)",
		"80- INSERT INTO `corder` (`customer_id`,`sku`,`corder_id`) VALUES (4,'b',101)",
	}
	if got := queries(out); got != strings.Join(want, "\n") {
		t.Errorf("queries:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
	if out.InsertID != 100 {
		t.Errorf("InsertID = %d, want 100", out.InsertID)
	}
}

func queries(out *Inserted) string {
	var lines []string
	for _, q := range out.Queries {
		lines = append(lines, q.Shard.Name+" "+q.SQL)
	}
	return strings.Join(lines, "\n")
}

// TestInsertAsSent: rows the sidecar fills nothing into, all on one shard,
// go as the client sent them; a prepared statement's are written with its
// arguments, -? and strings included.
func TestInsertAsSent(t *testing.T) {
	customer := exampleTable(t, "customer", "customer")
	ins := &Insert{
		Table:   customer,
		Columns: []string{"customer_id", "email"},
		Rows:    [][]Cell{{{SQL: Template{{Text: "-", Arg: 1}}, Arg: 1, Negate: true}, arg(2)}},
		Prefix:  Template{{Text: "/* app */ INSERT INTO `customer` (`customer_id`,`email`) VALUES "}},
		Suffix:  Template{{Text: " ON DUPLICATE KEY UPDATE `email`=", Arg: 2}},
	}
	args := []vindex.Value{vindex.NewInt64(7), vindex.NewVarChar(`it's \ here`)}
	for _, tc := range []struct {
		name, sent, want string
		noBackslash      bool
	}{
		{name: "text", sent: "the client's own text", want: "80- the client's own text"},
		{name: "prepared", want: "80- /* app */ INSERT INTO `customer` (`customer_id`,`email`) VALUES (-7,'it''s \\\\ here') ON DUPLICATE KEY UPDATE `email`='it''s \\\\ here'"},
		{name: "prepared, NO_BACKSLASH_ESCAPES", noBackslash: true, want: "80- /* app */ INSERT INTO `customer` (`customer_id`,`email`) VALUES (-7,'it''s \\ here') ON DUPLICATE KEY UPDATE `email`='it''s \\ here'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ins.NoBackslashEscapes = tc.noBackslash
			cur := &vindexCursor{}
			out, err := ins.Run(context.Background(), cur, args, tc.sent)
			if err != nil {
				t.Fatal(err)
			}
			if got := queries(out); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
			if len(cur.calls) != 0 {
				t.Errorf("calls %q, want none: a hash vindex needs no round trip", cur.calls)
			}
		})
	}
}

// TestInsertRefusals: what cannot be routed fails before any lookup row is
// written; the sequence values were reserved first, as Vitess does.
func TestInsertRefusals(t *testing.T) {
	for _, tc := range []struct {
		name    string
		row     []Cell
		wantErr string
		calls   int
	}{
		{name: "expression in the primary vindex column",
			row:     []Cell{{SQL: Template{{Text: "RAND()"}}}, lit("'x'", vindex.NewVarChar("x")), null},
			wantErr: "routing on the expression RAND() of vindex column customer_id of table customer.corder", calls: 1},
		{name: "value that maps to no keyspace id",
			row:     []Cell{lit("'x'", vindex.NewVarChar("x")), lit("'x'", vindex.NewVarChar("x")), null},
			wantErr: `VT09023: could not map [VARCHAR("x")] to a keyspace id`, calls: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ins := corderInsert(t)
			ins.Rows = [][]Cell{tc.row}
			cur := &vindexCursor{next: 1}
			_, err := ins.Run(context.Background(), cur, nil, "")
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
			if len(cur.calls) != tc.calls {
				t.Errorf("calls %q, want %d", cur.calls, tc.calls)
			}
		})
	}
}

// TestInsertIgnoreDropsTakenLookupValues: with INSERT IGNORE, a row whose
// lookup value belongs to another row is dropped, not written.
func TestInsertIgnoreDropsTakenLookupValues(t *testing.T) {
	ins := corderInsert(t)
	ins.Ignore = true
	ins.Rows[0][2] = lit("7", vindex.NewInt64(7))
	ins.Rows[1][2] = lit("8", vindex.NewInt64(8))
	// The lookup table says 7 belongs to a keyspace id that is not row
	// one's, and the duplicate protocol finds its owner live (1062); 8 is
	// row two's.
	cur := &vindexCursor{lookup: map[string][][]vindex.Value{
		"select `corder_id`, `keyspace_id` from `product`.`corder_keyspace_idx`": {
			{vindex.NewInt64(7), vindex.NewVarBinary([]byte("elsewhere"))},
			{vindex.NewInt64(8), vindex.NewVarBinary([]byte("\xd2\xfd\x88\x67\xd5\x0d\x2d\xfe"))},
		},
	}, fail: map[string]error{
		"insert into `product`.`corder_keyspace_idx`": sqlerr.New(1062, "23000", "Duplicate entry '7' for key 'PRIMARY'"),
	}}
	out, err := ins.Run(context.Background(), cur, []vindex.Value{vindex.NewInt64(4)}, "")
	if err != nil {
		t.Fatal(err)
	}
	want := "80- INSERT INTO `corder` (`customer_id`,`sku`,`corder_id`) VALUES (4,'b',8)"
	if got := queries(out); got != want {
		t.Errorf("got  %s\nwant %s\ncalls:\n%s", got, want, strings.Join(cur.calls, "\n"))
	}
}

// TestInsertIgnoreDuplicateWithinStatement: with INSERT IGNORE, a row whose
// unique lookup value an earlier row of the statement has is dropped, as
// MySQL keeps the first: its lookup row is never written, so it cannot take
// over the first row's (whose owner row is not written yet) as an orphan's.
func TestInsertIgnoreDuplicateWithinStatement(t *testing.T) {
	ins := corderInsert(t)
	ins.Ignore = true
	ins.Rows[0][2] = lit("7", vindex.NewInt64(7))
	ins.Rows[1][2] = lit("7", vindex.NewInt64(7))
	cur := &vindexCursor{lookup: map[string][][]vindex.Value{
		"select `corder_id`, `keyspace_id` from `product`.`corder_keyspace_idx`": {
			{vindex.NewInt64(7), vindex.NewVarBinary([]byte("\x16\x6b\x40\xb4\x4a\xba\x4b\xd6"))},
		},
	}}
	out, err := ins.Run(context.Background(), cur, []vindex.Value{vindex.NewInt64(4)}, "")
	if err != nil {
		t.Fatal(err)
	}
	if want := "-80 INSERT INTO `corder` (`customer_id`,`sku`,`corder_id`) VALUES (1,'a',7)"; queries(out) != want {
		t.Errorf("got  %s\nwant %s\ncalls:\n%s", queries(out), want, strings.Join(cur.calls, "\n"))
	}
	if created := "insert ignore into `product`.`corder_keyspace_idx`(`corder_id`, `keyspace_id`) values (7, _binary X'166b40b44aba4bd6')"; !strings.Contains(strings.Join(cur.calls, "\n"), created) {
		t.Errorf("lookup rows written: want only the first row's\ncalls:\n%s", strings.Join(cur.calls, "\n"))
	}
	ins.Upsert = true
	if _, err := ins.Run(context.Background(), cur, []vindex.Value{vindex.NewInt64(4)}, ""); sqlerr.From(err).Num != 1235 {
		t.Errorf("upsert of two rows with one lookup value: %v, want 1235 (MySQL would update the first)", err)
	}
}

func TestInsertDescribe(t *testing.T) {
	for _, tc := range []struct{ ks, table, want string }{
		{"customer", "corder", "Insert into customer.corder: 2 row(s), sequence corder_seq fills corder_id, keyspace id from customer_id by vindex hash (hash), lookup rows of corder_keyspace_idx written first; one statement per shard\n"},
		{"customer", "corder_event", "Insert into customer.corder_event: 2 row(s), sequence corder_event_seq fills corder_event_id, keyspace id from corder_id by vindex corder_keyspace_idx (consistent_lookup_unique), keyspace_id filled or verified by binary; one statement per shard\n"},
	} {
		ins := corderInsert(t)
		ins.Table = exampleTable(t, tc.ks, tc.table)
		if got := Describe(ins); got != tc.want {
			t.Errorf("got  %swant %s", got, tc.want)
		}
	}
}

// TestTemplateInList: a shard's statement keeps its own values of the route's IN list, with the
// text around the list as it was; a list the template does not print as plain arguments is not
// cut.
func TestTemplateInList(t *testing.T) {
	things := exampleTable(t, "things", "things")
	ks, hash := things.Keyspace, things.Primary()
	// update t set a = ? where id in (?, ?, ?) and b = ?
	tmpl := Template{{Text: "UPDATE `t` SET `a`=", Arg: 1}, {Text: " WHERE `id` IN (", Arg: 2}, {Text: ",", Arg: 3}, {Text: ",", Arg: 4}, {Text: ") AND `b`=", Arg: 5}}
	args := []vindex.Value{vindex.NewVarChar("x"), vindex.NewInt64(10), vindex.NewInt64(20), vindex.NewInt64(30), vindex.NewInt64(5)}
	route := NewRoute(ks, hash, []Cell{arg(2), arg(3), arg(4)})
	l, ok := tmpl.InList(route)
	if !ok || l != (InList{First: 2, N: 3}) {
		t.Fatalf("InList = %v, %v", l, ok)
	}
	for _, tc := range []struct {
		keep []int
		want string
	}{
		{[]int{0, 1, 2}, "UPDATE `t` SET `a`='x' WHERE `id` IN (10,20,30) AND `b`=5"},
		{[]int{0}, "UPDATE `t` SET `a`='x' WHERE `id` IN (10) AND `b`=5"},
		{[]int{1}, "UPDATE `t` SET `a`='x' WHERE `id` IN (20) AND `b`=5"},
		{[]int{2}, "UPDATE `t` SET `a`='x' WHERE `id` IN (30) AND `b`=5"},
		{[]int{0, 2}, "UPDATE `t` SET `a`='x' WHERE `id` IN (10,30) AND `b`=5"},
		{[]int{1, 2}, "UPDATE `t` SET `a`='x' WHERE `id` IN (20,30) AND `b`=5"},
	} {
		if got := string(tmpl.appendIn(nil, args, false, l, tc.keep)); got != tc.want {
			t.Errorf("keep %v: %s, want %s", tc.keep, got, tc.want)
		}
	}
	for name, r := range map[string]*Route{
		"one value":               NewRoute(ks, hash, []Cell{arg(2)}),
		"a literal in the list":   NewRoute(ks, hash, []Cell{arg(2), lit("7", vindex.NewInt64(7))}),
		"arguments out of order":  NewRoute(ks, hash, []Cell{arg(3), arg(2)}),
		"a list the text lacks":   NewRoute(ks, hash, []Cell{arg(6), arg(7)}),
		"text between the values": NewRoute(ks, hash, []Cell{arg(1), arg(2)}),
		"a negated argument (-?)": NewRoute(ks, hash, []Cell{arg(2), {SQL: Template{{Text: "-", Arg: 3}}, Arg: 3, Negate: true}}),
	} {
		if l, ok := tmpl.InList(r); ok {
			t.Errorf("%s: InList = %v, want none", name, l)
		}
	}
}
