package planner

import (
	"testing"

	"sidecar/vindex"
)

// TestInsertIDGenerated: an OK packet's insert id is taken as LAST_INSERT_ID()
// only when no value of the INSERT can be it; every doubt is left to the
// backend (false).
func TestInsertIDGenerated(t *testing.T) {
	p := NewPlanner(loadExampleB(t), 100, 1<<20)
	sess := Session{Keyspace: "product"}
	for _, c := range []struct {
		sql  string
		id   uint64
		want bool
	}{
		{"INSERT INTO ai (v) VALUES (10)", 1, true},
		{"INSERT INTO ai (v) VALUES (20), (30)", 2, true},
		{"INSERT INTO ai (id, v) VALUES (NULL, 5), (DEFAULT, 6)", 7, true},
		{"INSERT INTO ai SET v = 'x'", 3, true},
		{"REPLACE INTO ai (v, s) VALUES (1, 'abc')", 9, true},
		{"INSERT INTO ai (v, s) VALUES (10, '12 apples')", 11, true},
		// A value that MySQL could have stored as the id: the backend decides.
		{"INSERT INTO ai (id, v) VALUES (100, 50)", 100, false},
		{"INSERT INTO ai (v) VALUES (7)", 7, false}, // a generated 7, or an explicit one?
		{"INSERT INTO ai (id, v) VALUES ('100', 50)", 100, false},
		{"INSERT INTO ai (id, v) VALUES (' 1e2 ', 50)", 100, false},
		{"INSERT INTO ai (id, v) VALUES (99.6, 50)", 100, false},
		{"INSERT INTO ai (id, v) VALUES ('100.4abc', 50)", 100, false},
		{"INSERT INTO ai (id, v) VALUES (X'64', 50)", 100, false},
		{"INSERT INTO ai (id, v) VALUES (-3, 50)", 18446744073709551613, false},
		// Statements whose values the sidecar does not see, or that set the id otherwise.
		{"INSERT INTO ai (id, v) VALUES (50 + 50, 1)", 100, false},
		{"INSERT INTO ai (id, v) SELECT id, v FROM other", 100, false},
		{"INSERT INTO ai (v) VALUES (1) ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id)", 4, false},
		{"INSERT IGNORE INTO ai (v) VALUES (1)", 4, false},
		{"UPDATE ai SET id = LAST_INSERT_ID(id + 1)", 8, false},
	} {
		plan, err := p.Plan(c.sql, sess)
		if err != nil {
			t.Fatalf("%s: %v", c.sql, err)
		}
		if got := InsertIDGenerated(plan, plan.Args, c.id); got != c.want {
			t.Errorf("%s, insert id %d: generated %v, want %v", c.sql, c.id, got, c.want)
		}
	}
	// A prepared statement's arguments are its values.
	plan, err := p.PlanPrepared("INSERT INTO ai (id, v) VALUES (?, ?)", sess)
	if err != nil {
		t.Fatal(err)
	}
	null := vindex.Value{Kind: vindex.Null}
	for _, c := range []struct {
		args Args
		want bool
	}{
		{Args{null, vindex.NewInt64(5)}, true},
		{Args{vindex.NewInt64(12), vindex.NewInt64(5)}, false},
		{Args{null, vindex.NewInt64(12)}, false},
	} {
		if got := InsertIDGenerated(plan, c.args, 12); got != c.want {
			t.Errorf("prepared with %v, insert id 12: generated %v, want %v", c.args, got, c.want)
		}
	}
}
