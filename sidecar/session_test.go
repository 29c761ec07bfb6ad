package sidecar

import (
	"strings"
	"testing"
)

// TestKeepSet: the SETs a session keeps for the connections it opens later. A SET of literals
// replaces earlier ones of no more variables when only SETs of literals came after them; any
// other SET stays where it is, with all before it: replayed on a new connection, the kept SETs
// leave what the session's SETs left.
func TestKeepSet(t *testing.T) {
	srv, _, _ := newReloadServer(t)
	s := &session{srv: srv, keyspace: "a"}
	toggles := []string{}
	for range 50 {
		toggles = append(toggles, "SET SESSION TRANSACTION READ ONLY", "SET SESSION TRANSACTION READ WRITE")
	}
	for _, tc := range []struct {
		name     string
		sets     []string
		wantKept []string
	}{
		{"Connector/J's setReadOnly around each read-only transaction", toggles, []string{"SET SESSION TRANSACTION READ WRITE"}},
		{"the same variables again", []string{"set @a = 1, @b = 'x'", "set @c = -2", "set @b = 2, @a = null"},
			[]string{"set @c = -2", "set @b = 2, @a = null"}},
		{"fewer variables", []string{"set @a = 1, @b = 2", "set @a = 3"}, []string{"set @a = 1, @b = 2", "set @a = 3"}},
		{"a SET reading a variable in between", []string{"set @a = 1", "set @b = @a", "set @a = 2"},
			[]string{"set @a = 1", "set @b = @a", "set @a = 2"}},
		{"sql_mode changes how later SETs read", []string{"set sql_mode = 'ANSI_QUOTES'", "set @a = 1", "set sql_mode = ''", "set @a = 2"},
			[]string{"set sql_mode = 'ANSI_QUOTES'", "set @a = 1", "set sql_mode = ''", "set @a = 2"}},
		{"DEFAULT is a literal", []string{"set max_statement_time = 10", "set session max_statement_time = default"},
			[]string{"set session max_statement_time = default"}},
		{"a system variable and a user variable of one name", []string{"set @@session.sql_select_limit = 5", "set @sql_select_limit = 5"},
			[]string{"set @@session.sql_select_limit = 5", "set @sql_select_limit = 5"}},
		// helper-44's: an assignment that changes only the flags it names, and names that
		// differ in a letter other than A-Z.
		{"optimizer_switch keeps the flags not named", []string{"set optimizer_switch = 'index_merge=off'", "set optimizer_switch = 'mrr=on'"},
			[]string{"set optimizer_switch = 'index_merge=off'", "set optimizer_switch = 'mrr=on'"}},
		{"@\u212a (KELVIN SIGN) is not @k", []string{"set @\u212a = 1", "set @k = 2", "set @K = 3"}, []string{"set @\u212a = 1", "set @K = 3"}},
	} {
		s.sets = nil
		for _, set := range tc.sets {
			plan, err := srv.planner().Plan(set, s.planSession())
			if err != nil {
				t.Fatal(err)
			}
			s.keepSet(keptSet{plan.Query, plan.SetVars}, nil)
		}
		var kept []string
		for _, set := range s.sets {
			kept = append(kept, set.text)
		}
		if strings.Join(kept, "; ") != strings.Join(tc.wantKept, "; ") {
			t.Errorf("%s: kept %q, want %q", tc.name, kept, tc.wantKept)
		}
	}
}
