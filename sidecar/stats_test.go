package sidecar

import (
	"strings"
	"testing"

	"sidecar/backend"
	"sidecar/planner"
)

func TestNormalizedStatement(t *testing.T) {
	for sql, want := range map[string]string{
		"SELECT SLEEP(0.2)": "select `sleep` ( ? )",
		"select id, name from things where id in (1, 2, 3) and name = 'secret'":          "select `id` , `name` from `things` where `id` in ( ... ) and `name` = ?",
		"/* keyspace=things;shard=-80 */ INSERT INTO t (a, b) VALUES (1, 'x'), (2, 'y')": "insert into `t` ( `a` , `b` ) values ( ... )",
		"update t set b = x'0a0b', c = _binary'raw' where d = -1.5e3":                    "update `t` set `b` = ? , `c` = (_charset) ? where `d` = ?",
		"select 'the select list' as v, 7 limit 10":                                      "select ? as `v` , ? limit ?",
		"select * from t where a = ?":                                                    "select * from `t` where `a` = ?",
	} {
		if got := normalizedStatement(sql); got != want {
			t.Errorf("normalizedStatement(%q)\n = %q\nwant %q", sql, got, want)
		}
	}
}

// A statement longer than maxNormalized is cut, and a literal cut short does
// not leak into the log.
func TestNormalizedStatementCut(t *testing.T) {
	secret := strings.Repeat("s3cr3t", maxNormalized)
	got := normalizedStatement("insert into t (v) values ('" + secret + "')")
	if strings.Contains(got, "s3cr3t") || !strings.HasPrefix(got, "insert into `t` ( `v` ) values (") {
		t.Errorf("normalized %.100q…", got)
	}
}

func TestTypeLabel(t *testing.T) {
	for kind, want := range map[planner.Kind]string{
		planner.KindSelect:       "select",
		planner.KindRollbackTo:   "rollback_to",
		planner.KindUnlockTables: "unlock_tables",
	} {
		if got := typeLabel(kind); got != want {
			t.Errorf("typeLabel(%v) = %q, want %q", kind, got, want)
		}
	}
}

func TestStmtStatsShardsOnce(t *testing.T) {
	a, b := &backend.Pool{}, &backend.Pool{}
	var st stmtStats
	st.begin("select 1")
	st.ranOn(a)
	st.ranOn(b)
	st.ranOn(a)
	if len(st.shards) != 2 || st.shards[0] != a || st.shards[1] != b {
		t.Errorf("shards %v, want [a b]", st.shards)
	}
	st.begin("select 2")
	if len(st.shards) != 0 || st.plan != nil || st.sql != "select 2" {
		t.Errorf("begin kept %d shards, plan %v, sql %q", len(st.shards), st.plan, st.sql)
	}
}
