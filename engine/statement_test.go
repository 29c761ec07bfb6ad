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

// session records what a Statement asks of the client's session, on top of
// the vindex cursor's record: each shard statement, the answer, the scopes.
type session struct {
	vindexCursor
	// failOn fails the writes on these shards.
	failOn map[string]error
	// inTxn: the client's transaction is open (InTransaction).
	inTxn bool
	// insertID is each write's OK packet's insert id.
	insertID uint64
}

func (s *session) Relay(_ context.Context, shard *conf.Shard, sql string) error {
	if sql == "" {
		sql = "the client's statement"
	}
	s.log("relay from %s: %s", shard.Name, sql)
	return nil
}

func (s *session) Gather(_ context.Context, queries []ShardQuery, mp *MergePlan) error {
	how := "concatenated"
	if mp != nil {
		how = "merged: " + mp.SQL
	}
	var shards []*conf.Shard
	for _, q := range queries {
		shards = append(shards, q.Shard)
		if q.SQL != "" {
			s.log("%s gets %s", q.Shard.Name, q.SQL)
		}
	}
	s.log("gather from %s, %s", shardNames(shards), how)
	if mp != nil && strings.Contains(mp.SQL, "enum") && !strings.Contains(mp.SQL, "+0") {
		return &EnumKeys{Names: []string{"enum"}} // as the merge finds in the column definitions
	}
	return nil
}

func (s *session) Write(_ context.Context, queries []ShardQuery) (Written, error) {
	var w Written
	var first error
	for _, q := range queries {
		s.log("write on %s: %s", q.Shard.Name, q.SQL)
		name := q.Shard.Keyspace + "/" + q.Shard.Name
		if err := s.failOn[q.Shard.Name]; err != nil {
			w.Failed = append(w.Failed, name)
			if first == nil {
				first = err
			}
			continue
		}
		w.Succeeded = append(w.Succeeded, name)
		w.Affected++
		if w.InsertID == 0 {
			w.InsertID = s.insertID
		}
		if at := strings.Index(q.SQL, " RETURNING "); at >= 0 {
			// The rows it returns are its rows as written.
			res := &Result{Fields: []Field{{Name: "row"}}}
			for _, row := range strings.Split(strings.Trim(q.SQL[strings.Index(q.SQL, "VALUES ")+len("VALUES "):at], "()"), "),(") {
				res.Rows = append(res.Rows, [][]byte{[]byte(row)})
			}
			w.Returned = append(w.Returned, res)
		}
	}
	return w, first
}

func (s *session) OK(w Written) error {
	s.log("ok: %d affected, insert id %d (generated %v)", w.Affected, w.InsertID, w.Generated)
	return nil
}

func (s *session) Returned(w Written, rows *Result) error {
	var returned []string
	for _, row := range rows.Rows {
		returned = append(returned, string(row[0]))
	}
	s.log("returned %s; insert id %d (generated %v)", strings.Join(returned, " | "), w.InsertID, w.Generated)
	return nil
}

func (s *session) InTransaction() bool { return s.inTxn }

func (s *session) Scope(keyspace string, run func() error) error {
	s.log("scope of %s", keyspace)
	err := run()
	s.log("scope ends: %v", err)
	return err
}

func (s *session) Evaluate(_ context.Context, refusal error) error {
	s.log("evaluate, refused by the router: %v", refusal)
	return nil
}

// Select reads as many rows of one column as the statement says.
func (s *session) Select(_ context.Context, r Read) (*Result, error) {
	s.log("read from %s: %s", r.Keyspace, r.SQL)
	res := &Result{Fields: []Field{{Name: "a", Kind: Int}}}
	for i := range strings.Count(r.SQL, "row") {
		res.Rows = append(res.Rows, [][]byte{fmt.Appendf(nil, "%d", i)})
	}
	return res, nil
}

func (s *session) SelectOn(_ context.Context, keyspace, sql string, _ ...TempTable) (*Result, error) {
	s.log("select on %s: %s", keyspace, sql)
	return &Result{}, nil
}

func (s *session) Run(_ context.Context, sql string) error {
	s.log("run: %s", sql)
	return nil
}

// planned is the planner's part of an execution, canned.
type planned struct {
	routed    *Routed
	routeErr  error
	merge     *MergePlan
	mergeErr  error
	enums     *MergePlan // the merge with the index of ENUM keys
	generated bool
	reads     []Read
	sent      string // the text statement ("": a prepared one)
}

func (p *planned) Route(context.Context, VindexCursor) (*Routed, error) {
	if p.routeErr != nil {
		return nil, p.routeErr
	}
	r := *p.routed
	return &r, nil
}
func (p *planned) Merge() (*MergePlan, error) { return p.merge, p.mergeErr }
func (p *planned) MergeEnums(names []string) (*MergePlan, error) {
	return p.enums, nil
}
func (p *planned) Text() string                     { return "the statement" }
func (p *planned) Sent() string                     { return p.sent }
func (p *planned) InsertIDGenerated(id uint64) bool { return p.generated }
func (p *planned) Reads() ([]Read, error)           { return p.reads, nil }

// Write is the write of a staged INSERT … SELECT: nothing without rows.
func (p *planned) Write(results []*Result) (string, error) {
	n := 0
	for _, r := range results {
		n += len(r.Rows)
	}
	if n == 0 {
		return "", nil
	}
	return fmt.Sprintf("the write with %d row(s)", n), nil
}

// TestStatements: what each statement plan asks of the session, per
// execution: which shards get what, and how the client is answered.
func TestStatements(t *testing.T) {
	things := exampleTable(t, "things", "things")
	ks := things.Keyspace
	low, high := ks.Shards[0], ks.Shards[1]
	routed := func(scatter bool, shards ...*conf.Shard) *Routed {
		return &Routed{Shards: shards, Scatter: scatter}
	}
	refusal := sqlerr.Unsupported("a join across shards")
	owned, route := thingsLookups(t, false)
	// delete from things where id in (?, ?) and x = 4
	splitIn := func(statement Template) *SplitIn {
		in, ok := statement.InList(route)
		if !ok {
			t.Fatalf("no IN list of the route in %s", statement)
		}
		return &SplitIn{Statement: statement, In: in}
	}
	inWrite := func(owned *OwnedLookups) *Write {
		return &Write{Keyspace: ks, Route: route, Owned: owned,
			Split: splitIn(Template{{Text: "DELETE FROM `things` WHERE `id` IN (", Arg: 1}, {Text: ",", Arg: 2}, {Text: ") AND `x`=4"}})}
	}
	split := &Routed{Shards: []*conf.Shard{low, high}, Values: [][]int{{0}, {1}}}
	// select * from things where id in (?, ?)
	inSelect := &Select{Keyspace: ks, Route: route, Split: splitIn(Template{{Text: "SELECT * FROM `things` WHERE `id` IN (", Arg: 1}, {Text: ",", Arg: 2}, {Text: ")"}})}
	const sent = "select * from things where id in (1, 4)"
	for _, tc := range []struct {
		name    string
		st      Statement
		planned planned
		hint    *conf.Shard
		maxRows int
		failOn  map[string]error
		rows    map[string][][]vindex.Value // ExecuteShard's answers, by shard
		calls   []string
		err     string
	}{
		{name: "select on one shard: relayed", st: &Select{Keyspace: ks}, planned: planned{routed: routed(false, high)},
			calls: []string{"relay from 80-: the client's statement"}},
		{name: "select on no shard: any shard answers the statement", st: &Select{Keyspace: ks}, planned: planned{routed: routed(false)},
			calls: []string{"relay from -80: the client's statement"}},
		{name: "select on every shard: concatenated", st: &Select{Keyspace: ks}, planned: planned{routed: routed(true, low, high)},
			calls: []string{"gather from -80 80-, concatenated"}},
		{name: "select on every shard: merged", st: &Select{Keyspace: ks},
			planned: planned{routed: routed(true, low, high), merge: &MergePlan{SQL: "select a, weight_string(a) … order by 2"}},
			calls:   []string{"gather from -80 80-, merged: select a, weight_string(a) … order by 2"}},
		{name: "select merged by an ENUM column: merged again by its index", st: &Select{Keyspace: ks},
			planned: planned{routed: routed(true, low, high), merge: &MergePlan{SQL: "select enum, weight_string(enum) … order by 1"},
				enums: &MergePlan{SQL: "select enum, weight_string(enum), enum+0 … order by 1"}},
			calls: []string{"gather from -80 80-, merged: select enum, weight_string(enum) … order by 1",
				"gather from -80 80-, merged: select enum, weight_string(enum), enum+0 … order by 1"}},
		{name: "select the router refuses: evaluated", st: &Select{Keyspace: ks}, planned: planned{routeErr: refusal},
			calls: []string{"evaluate, refused by the router: " + refusal.Error()}},
		{name: "select the merge refuses: evaluated", st: &Select{Keyspace: ks}, planned: planned{routed: routed(true, low, high), mergeErr: refusal},
			calls: []string{"evaluate, refused by the router: " + refusal.Error()}},
		{name: "a text select of an IN list across shards: each shard its own values", st: inSelect, planned: planned{routed: split, sent: sent},
			calls: []string{"-80 gets SELECT * FROM `things` WHERE `id` IN (1)", "80- gets SELECT * FROM `things` WHERE `id` IN (4)", "gather from -80 80-, concatenated"}},
		{name: "a prepared one: the backend's prepared statement on each", st: inSelect, planned: planned{routed: split},
			calls: []string{"gather from -80 80-, concatenated"}},
		{name: "a merged one: the merge's statement on each", st: inSelect, planned: planned{routed: split, sent: sent, merge: &MergePlan{SQL: "select … order by 1"}},
			calls: []string{"gather from -80 80-, merged: select … order by 1"}},
		{name: "a hint narrows a scatter to its shard", st: &Select{Keyspace: ks}, planned: planned{routed: routed(true, low, high)}, hint: high,
			calls: []string{"relay from 80-: the client's statement"}},
		{name: "a hint must agree with the vindex values", st: &Select{Keyspace: ks}, planned: planned{routed: routed(false, low)}, hint: high,
			err: "the statement's hint names shard things/80-, but its vindex values route it to shard things/-80"},

		{name: "write on one shard: relayed", st: &Write{Keyspace: ks}, planned: planned{routed: routed(false, low)},
			calls: []string{"relay from -80: the client's statement"}},
		{name: "write on no shard: one shard checks the statement, which changes nothing", st: &Write{Keyspace: ks}, planned: planned{routed: routed(false)},
			calls: []string{"execute on -80: EXPLAIN the statement", "ok: 0 affected, insert id 0 (generated false)"}},
		{name: "delete … returning on no shard: the columns of a SELECT without rows", st: &Write{Keyspace: ks, Columns: "SELECT `id` FROM `things` LIMIT 0"},
			planned: planned{routed: routed(false)},
			calls:   []string{"execute on -80: EXPLAIN the statement", "relay from -80: SELECT `id` FROM `things` LIMIT 0"}},
		{name: "delete … returning on no shard whose WHERE MariaDB finds impossible: an OK", st: &Write{Keyspace: ks, Columns: "SELECT `id` FROM `things` LIMIT 0"},
			planned: planned{routed: routed(false)}, rows: map[string][][]vindex.Value{"-80": {{vindex.NewInt64(1), vindex.NewVarChar("Impossible WHERE")}}},
			calls: []string{"execute on -80: EXPLAIN the statement", "ok: 0 affected, insert id 0 (generated false)"}},
		{name: "… whose subquery's WHERE MariaDB finds impossible: the columns still", st: &Write{Keyspace: ks, Columns: "SELECT `id` FROM `things` LIMIT 0"},
			planned: planned{routed: routed(false)}, rows: map[string][][]vindex.Value{"-80": {{vindex.NewInt64(1), vindex.NewVarChar("Using where")}, {vindex.NewInt64(2), vindex.NewVarChar("Impossible WHERE")}}},
			calls: []string{"execute on -80: EXPLAIN the statement", "relay from -80: SELECT `id` FROM `things` LIMIT 0"}},
		{name: "write on every shard: one statement", st: &Write{Keyspace: ks}, planned: planned{routed: routed(true, low, high)},
			calls: []string{"scope of things", "write on -80: the statement", "write on 80-: the statement", "scope ends: <nil>",
				"ok: 2 affected, insert id 0 (generated false)"}},
		{name: "write that fails on a shard: the scope undoes it", st: &Write{Keyspace: ks}, planned: planned{routed: routed(true, low, high)},
			failOn: map[string]error{"80-": sqlerr.New(1205, "HY000", "Lock wait timeout exceeded")},
			calls:  []string{"scope of things", "write on -80: the statement", "write on 80-: the statement", "scope ends: ERROR 1205 (HY000): Lock wait timeout exceeded"},
			err:    "Lock wait timeout exceeded"},
		{name: "delete of owners: their lookup rows first, in the scope", st: &Write{Keyspace: ks, Owned: owned},
			planned: planned{routed: routed(false, low)},
			calls: []string{"scope of things", "execute on -80: SELECT `id`,`name` FROM `things` WHERE `id` IN (1,4) FOR UPDATE",
				"write on -80: the statement", "scope ends: <nil>", "ok: 1 affected, insert id 0 (generated false)"}},
		// Rows of 1 can only be on -80, of 4 on 80-: neither shard reads or locks where the other's would be.
		{name: "an IN list across shards: each shard its own values", st: inWrite(nil),
			planned: planned{routed: split},
			calls: []string{"scope of things", "write on -80: DELETE FROM `things` WHERE `id` IN (1) AND `x`=4",
				"write on 80-: DELETE FROM `things` WHERE `id` IN (4) AND `x`=4", "scope ends: <nil>", "ok: 2 affected, insert id 0 (generated false)"}},
		{name: "an IN list across shards, of owners: their reads too", st: inWrite(owned),
			planned: planned{routed: split},
			calls: []string{"scope of things",
				"execute on -80: SELECT `id`,`name` FROM `things` WHERE `id` IN (1) FOR UPDATE",
				"execute on 80-: SELECT `id`,`name` FROM `things` WHERE `id` IN (4) FOR UPDATE",
				"write on -80: DELETE FROM `things` WHERE `id` IN (1) AND `x`=4", "write on 80-: DELETE FROM `things` WHERE `id` IN (4) AND `x`=4",
				"scope ends: <nil>", "ok: 2 affected, insert id 0 (generated false)"}},
		{name: "an IN list whose values all map to one shard: the statement as it is", st: inWrite(nil),
			planned: planned{routed: routed(false, low, high)},
			calls: []string{"scope of things", "write on -80: the statement", "write on 80-: the statement", "scope ends: <nil>",
				"ok: 2 affected, insert id 0 (generated false)"}},
		// delete from things where x = 4 limit n (the arguments are 1 and 4; the count is a third)
		{name: "a LIMIT across shards: one shard after another, each with what the ones before left",
			st: limitedWrite(ks, Cell{Known: true, Value: vindex.NewInt64(3)}), planned: planned{routed: routed(true, low, high)},
			calls: []string{"scope of things", "write on -80: DELETE FROM `things` WHERE `x`=4 LIMIT 3", "write on 80-: DELETE FROM `things` WHERE `x`=4 LIMIT 2",
				"scope ends: <nil>", "ok: 2 affected, insert id 0 (generated false)"}},
		{name: "a LIMIT the first shard uses up: the others get nothing", st: limitedWrite(ks, Cell{Arg: 1}), planned: planned{routed: routed(true, low, high)},
			calls: []string{"scope of things", "write on -80: DELETE FROM `things` WHERE `x`=4 LIMIT 1", "scope ends: <nil>", "ok: 1 affected, insert id 0 (generated false)"}},
		{name: "LIMIT 0: the first shard alone, which checks the statement (the fake answers 1 affected)", st: limitedWrite(ks, Cell{Known: true, Value: vindex.NewInt64(0)}),
			planned: planned{routed: routed(true, low, high)},
			calls:   []string{"scope of things", "write on -80: DELETE FROM `things` WHERE `x`=4 LIMIT 0", "scope ends: <nil>", "ok: 1 affected, insert id 0 (generated false)"}},

		{name: "ddl on every shard", st: &EveryShard{Keyspace: ks, What: "DDL"},
			calls: []string{"write on -80: the statement", "write on 80-: the statement", "ok: 0 affected, insert id 0 (generated false)"}},
		{name: "ddl that fails on a shard names both", st: &EveryShard{Keyspace: ks, What: "DDL"}, failOn: map[string]error{"-80": sqlerr.New(1050, "42S01", "Table 't' already exists")},
			calls: []string{"write on -80: the statement", "write on 80-: the statement"},
			err:   "ERROR 1050 (42S01): DDL failed on things/-80 (succeeded on things/80-): Table 't' already exists"},
		{name: "lock tables that fails on a shard: no shard keeps its locks", st: &EveryShard{Keyspace: ks, What: "LOCK TABLES", Undo: "UNLOCK TABLES"},
			failOn: map[string]error{"80-": sqlerr.New(1146, "42S02", "Table 'things_hi.nope' doesn't exist")},
			calls:  []string{"write on -80: the statement", "write on 80-: the statement", "write on -80: UNLOCK TABLES", "write on 80-: UNLOCK TABLES"},
			err:    "ERROR 1146 (42S02): LOCK TABLES failed on things/80- (succeeded on things/-80): Table 'things_hi.nope' doesn't exist"},
		{name: "a statement without a table: any shard", st: &AnyShard{Keyspace: ks},
			calls: []string{"relay from -80: the client's statement"}},

		{name: "staged: the reads, then the write with their rows", st: &Staged{Keyspace: ks},
			planned: planned{reads: []Read{{Keyspace: "things", SQL: "a row, a row"}, {Keyspace: "customer", SQL: "a row"}}},
			calls:   []string{"read from things: a row, a row", "read from customer: a row", "run: the write with 3 row(s)"}},
		{name: "staged: an INSERT … SELECT of no rows writes nothing", st: &Staged{Keyspace: ks},
			planned: planned{reads: []Read{{Keyspace: "things", SQL: "nothing"}}},
			calls:   []string{"read from things: nothing", "ok: 0 affected, insert id 0 (generated false)"}},
		{name: "staged: reads past max_memory_rows are refused", st: &Staged{Keyspace: ks}, maxRows: 2,
			planned: planned{reads: []Read{{Keyspace: "things", SQL: "a row, a row"}, {Keyspace: "customer", SQL: "a row"}}},
			calls:   []string{"read from things: a row, a row", "read from customer: a row"},
			err:     "in-memory row count exceeded allowed limit of 2"},
		{name: "evaluated: an engine plan from the start", st: &Evaluated{Keyspace: ks},
			calls: []string{"evaluate, refused by the router: <nil>"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &session{failOn: tc.failOn, vindexCursor: vindexCursor{shardRows: tc.rows}}
			x := Execution{Args: []vindex.Value{vindex.NewInt64(1), vindex.NewInt64(4)}, Hint: tc.hint, MaxRows: tc.maxRows, Planned: &tc.planned}
			err := tc.st.Answer(context.Background(), s, x)
			if got := fmt.Sprint(err); (tc.err == "" && err != nil) || (tc.err != "" && !strings.Contains(got, tc.err)) {
				t.Errorf("err = %v, want %q", err, tc.err)
			}
			if strings.Join(s.calls, "\n") != strings.Join(tc.calls, "\n") {
				t.Errorf("calls:\n%s\nwant:\n%s", strings.Join(s.calls, "\n"), strings.Join(tc.calls, "\n"))
			}
		})
	}
}

// limitedWrite is `DELETE FROM things WHERE x = 4 LIMIT count` across shards.
func limitedWrite(ks *conf.Keyspace, count Cell) *Write {
	return &Write{Keyspace: ks, Limit: &WriteLimit{Statement: Template{{Text: "DELETE FROM `things` WHERE `x`=4 LIMIT ", Arg: 3}}, Arg: 3, Count: count}}
}

// answerIgnoreTaken answers an INSERT IGNORE of two corder rows with corder_id first and second,
// where the lookup table holds 7 for another row (its owner live: 1062) and 8 for the second row,
// and returns what the session was asked.
func answerIgnoreTaken(t *testing.T, first, second int64, inTxn bool) string {
	t.Helper()
	ins := corderInsert(t)
	ins.Ignore = true
	ins.Rows[0][2] = lit(fmt.Sprint(first), vindex.NewInt64(first))
	ins.Rows[1][2] = lit(fmt.Sprint(second), vindex.NewInt64(second))
	s := &session{vindexCursor: vindexCursor{lookup: map[string][][]vindex.Value{
		"select `corder_id`, `keyspace_id` from `product`.`corder_keyspace_idx`": {
			{vindex.NewInt64(7), vindex.NewVarBinary([]byte("elsewhere"))},
			{vindex.NewInt64(8), vindex.NewVarBinary([]byte("\xd2\xfd\x88\x67\xd5\x0d\x2d\xfe"))},
		},
	}, fail: map[string]error{
		"insert into `product`.`corder_keyspace_idx`": sqlerr.New(1062, "23000", "Duplicate entry '7' for key 'PRIMARY'"),
	}}, inTxn: inTxn}
	x := Execution{Args: []vindex.Value{vindex.NewInt64(4)}, Planned: &planned{}}
	if err := ins.Answer(context.Background(), s, x); err != nil {
		t.Fatal(err)
	}
	return strings.Join(s.calls, "\n")
}

// TestInsertAnswer: an INSERT's LAST_INSERT_ID() is its first sequence
// value, else a shard's generated id; rows for several places are written
// in a scope, one row for one shard is not.
func TestInsertAnswer(t *testing.T) {
	t.Run("sequence, two rows", func(t *testing.T) {
		s := &session{vindexCursor: vindexCursor{next: 100}, insertID: 100}
		x := Execution{Args: []vindex.Value{vindex.NewInt64(4)}, Planned: &planned{}}
		if err := corderInsert(t).Answer(context.Background(), s, x); err != nil {
			t.Fatal(err)
		}
		calls := s.calls
		if calls[0] != "scope of customer" || calls[len(calls)-1] != "ok: 2 affected, insert id 100 (generated true)" {
			t.Errorf("calls:\n%s", strings.Join(calls, "\n"))
		}
	})
	customer := exampleTable(t, "customer", "customer")
	one := &Insert{Table: customer, Columns: []string{"customer_id", "email"},
		Rows:   [][]Cell{{lit("1", vindex.NewInt64(1)), lit("'a'", vindex.NewVarChar("a"))}},
		Prefix: Template{{Text: "insert into customer (customer_id, email) values "}}}
	for _, generated := range []bool{false, true} {
		t.Run(fmt.Sprintf("one row, the shard's insert id generated %v", generated), func(t *testing.T) {
			s := &session{insertID: 7}
			x := Execution{Planned: &planned{generated: generated}}
			if err := one.Answer(context.Background(), s, x); err != nil {
				t.Fatal(err)
			}
			want := []string{"product.customer_seq past 1", // the sequence moves past an id given
				"write on -80: insert into customer (customer_id, email) values (1,'a')",
				fmt.Sprintf("ok: 1 affected, insert id 7 (generated %v)", generated)}
			if strings.Join(s.calls, "\n") != strings.Join(want, "\n") {
				t.Errorf("calls:\n%s\nwant:\n%s", strings.Join(s.calls, "\n"), strings.Join(want, "\n"))
			}
		})
	}
	// A row INSERT IGNORE drops for a lookup value another row holds (its owner is live: 1062) made
	// the duplicate protocol lock that value's lookup row: in a client transaction the statement
	// is undone and runs again without it, so the lock does not outlive the statement; alone it
	// runs once.
	for _, inTxn := range []bool{false, true} {
		t.Run(fmt.Sprintf("INSERT IGNORE dropping a taken value, in a transaction %v", inTxn), func(t *testing.T) {
			calls := answerIgnoreTaken(t, 7, 8, inTxn)
			if runs, want := strings.Count(calls, "scope of customer"), map[bool]int{false: 1, true: 2}[inTxn]; runs != want {
				t.Errorf("%d runs, want %d; calls:\n%s", runs, want, calls)
			}
			if write := "write on 80-: INSERT INTO `corder` (`customer_id`,`sku`,`corder_id`) VALUES (4,'b',8)\n"; strings.Count(calls, "write on") != 1 || !strings.Contains(calls, write) {
				t.Errorf("calls:\n%s\nwant the second row only:\n%s", calls, write)
			}
		})
	}
	// Rows with the same taken value are dropped together: one run again, not one per row.
	t.Run("INSERT IGNORE of two rows with one taken value, in a transaction", func(t *testing.T) {
		if calls := answerIgnoreTaken(t, 7, 7, true); strings.Count(calls, "scope of customer") != 2 || strings.Contains(calls, "write on") {
			t.Errorf("calls:\n%s\nwant two runs, no row written", calls)
		}
	})
	// RETURNING: each shard returns its rows, which the client gets in the statement's order.
	t.Run("RETURNING across shards", func(t *testing.T) {
		s := &session{}
		four := &Insert{Table: customer, Columns: []string{"customer_id", "email"}, Returning: true,
			Rows: [][]Cell{
				{lit("4", vindex.NewInt64(4)), lit("'d'", vindex.NewVarChar("d"))},
				{lit("1", vindex.NewInt64(1)), lit("'a'", vindex.NewVarChar("a"))},
				{lit("6", vindex.NewInt64(6)), lit("'f'", vindex.NewVarChar("f"))},
				{lit("2", vindex.NewInt64(2)), lit("'b'", vindex.NewVarChar("b"))},
			},
			Prefix: Template{{Text: "INSERT INTO `customer` (`customer_id`,`email`) VALUES "}},
			Suffix: Template{{Text: " RETURNING customer_id"}}}
		if err := four.Answer(context.Background(), s, Execution{Planned: &planned{}}); err != nil {
			t.Fatal(err)
		}
		want := []string{"scope of customer",
			"product.customer_seq past 6",
			"write on 80-: INSERT INTO `customer` (`customer_id`,`email`) VALUES (4,'d'),(6,'f') RETURNING customer_id",
			"write on -80: INSERT INTO `customer` (`customer_id`,`email`) VALUES (1,'a'),(2,'b') RETURNING customer_id",
			"scope ends: <nil>",
			"returned 4,'d' | 1,'a' | 6,'f' | 2,'b'; insert id 2 (generated false)"}
		if strings.Join(s.calls, "\n") != strings.Join(want, "\n") {
			t.Errorf("calls:\n%s\nwant:\n%s", strings.Join(s.calls, "\n"), strings.Join(want, "\n"))
		}
	})
	t.Run("a hint that disagrees with the rows", func(t *testing.T) {
		s := &session{}
		x := Execution{Hint: customer.Keyspace.Shards[1], Planned: &planned{}}
		err := one.Answer(context.Background(), s, x)
		if err == nil || !strings.Contains(err.Error(), "route it to shard customer/-80") {
			t.Errorf("err = %v, want the hint's conflict", err)
		}
	})
}
