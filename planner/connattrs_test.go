package planner

import (
	"testing"
)

// performance_schema's connection attributes are the sidecar's clients', in
// derived tables the backend queries as the client wrote.
func TestBindConnectAttrs(t *testing.T) {
	attrs := func() []ConnectAttr {
		return []ConnectAttr{
			{ProcessID: 10001, User: "app", Name: "_client_name", Value: "Go-MySQL-Driver", Ordinal: 0},
			{ProcessID: 10002, User: "other", Name: "a", Value: "", Ordinal: 0},
		}
	}
	const all = "(SELECT 10001 AS PROCESSLIST_ID, CONVERT(X'5f636c69656e745f6e616d65' USING utf8mb4) AS ATTR_NAME, CONVERT(X'476f2d4d7953514c2d447269766572' USING utf8mb4) AS ATTR_VALUE, 0 AS ORDINAL_POSITION" +
		" UNION ALL SELECT 10002 AS PROCESSLIST_ID, CONVERT(X'61' USING utf8mb4) AS ATTR_NAME, CONVERT(X'' USING utf8mb4) AS ATTR_VALUE, 0 AS ORDINAL_POSITION)"
	const mine = "(SELECT 10001 AS PROCESSLIST_ID, CONVERT(X'5f636c69656e745f6e616d65' USING utf8mb4) AS ATTR_NAME, CONVERT(X'476f2d4d7953514c2d447269766572' USING utf8mb4) AS ATTR_VALUE, 0 AS ORDINAL_POSITION)"
	for _, tc := range []struct {
		sess      Session
		sql, want string
	}{
		{Session{}, "SELECT ATTR_NAME FROM performance_schema.session_account_connect_attrs WHERE PROCESSLIST_ID = 10001",
			"SELECT ATTR_NAME FROM " + mine + " AS session_account_connect_attrs WHERE PROCESSLIST_ID = 10001"},
		{Session{}, "select * from `performance_schema`.`session_connect_attrs` a join t on a.x = t.x",
			"select * from " + all + " a join t on a.x = t.x"},
		{Session{SystemSchema: "performance_schema"}, "select count(*) from session_connect_attrs",
			"select count(*) from " + all + " AS session_connect_attrs"},
		{Session{Keyspace: "app"}, "select * from session_connect_attrs", "select * from session_connect_attrs"},
		{Session{}, "select * from performance_schema.threads", "select * from performance_schema.threads"},
	} {
		got := BindConnectAttrs(tc.sql, tc.sess, "app", attrs)
		if got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.sql, got, tc.want)
		}
		// CONNECTION_ID() in it is bound next, which takes a parse.
		if _, err := parse(got, SQLMode{}); err != nil && got != tc.sql {
			t.Errorf("%s: the planner's parser rejects it: %v", got, err)
		}
	}
}
