package planner

import (
	"strings"
	"testing"
)

// TestTableDDLText: DDL naming its tables by keyspace goes to the keyspace with the keyspace's names
// taken out and nothing else of its text changed, or is refused.
func TestTableDDLText(t *testing.T) {
	p := NewPlanner(mergePlanner(t).Topo, 16, 1<<20)
	nbe := SQLMode{NoBackslashEscapes: true}
	for _, tc := range []struct {
		mode      SQLMode
		sql, want string // want: the text sent, or "error: …" (a part of the error)
	}{
		{SQLMode{}, "drop table customer.a", "drop table a"},
		{SQLMode{}, "create table `customer`.t (x int, y varchar(9) default 'customer.t')", "create table t (x int, y varchar(9) default 'customer.t')"},
		// Under NO_BACKSLASH_ESCAPES 'x\' ends at its second quote; the scanner reads on.
		{nbe, `create table customer.t (a varchar(20) default 'x\', b varchar(20) default 'customer.t')`, "error: cannot take the keyspace's name out alone"},
		{nbe, `create table customer.t (a varchar(20) default 'x\')`, `create table t (a varchar(20) default 'x\')`},
		{SQLMode{ANSIQuotes: true}, `create table "customer"."t" (id int)`, "error: cannot take the keyspace's name out alone"},
	} {
		plan, err := p.Plan(tc.sql, Session{Keyspace: "product", Mode: tc.mode})
		got := ""
		switch {
		case err != nil:
			got = "error: " + err.Error()
		case plan.Keyspace == nil || plan.Keyspace.Name != "customer":
			got = "not to customer: " + plan.Query
		default:
			got = plan.Query
		}
		if got != tc.want && !(strings.HasPrefix(tc.want, "error: ") && strings.Contains(got, strings.TrimPrefix(tc.want, "error: "))) {
			t.Errorf("%s: %s, want %s", tc.sql, got, tc.want)
		}
	}
}
