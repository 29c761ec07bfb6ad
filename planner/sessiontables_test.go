package planner

import (
	"testing"
	"time"
)

// fakeSessions are two clients' sessions, of users app (the asking one's) and other.
type fakeSessions struct{}

func (fakeSessions) ConnectAttrs(account bool) []ConnectAttr {
	all := []ConnectAttr{
		{ProcessID: 10001, User: "app", Name: "_client_name", Value: "Go-MySQL-Driver", Ordinal: 0},
		{ProcessID: 10002, User: "other", Name: "a", Value: "", Ordinal: 0},
	}
	if account {
		return all[:1]
	}
	return all
}

func (fakeSessions) Processes() []Process {
	return []Process{{ID: 10001, User: "app", Host: "127.0.0.1:5000", DB: "shop", Command: "Query", State: "executing",
		Info: "select 1", Time: 1500 * time.Millisecond}}
}

// performance_schema's connection attributes and information_schema's
// process list are the sidecar's clients', in derived tables the backend
// queries as the client wrote.
func TestBindSessionTables(t *testing.T) {
	const all = "(SELECT 10001 AS PROCESSLIST_ID, CONVERT(X'5f636c69656e745f6e616d65' USING utf8mb4) AS ATTR_NAME, CONVERT(X'476f2d4d7953514c2d447269766572' USING utf8mb4) AS ATTR_VALUE, 0 AS ORDINAL_POSITION" +
		" UNION ALL SELECT 10002 AS PROCESSLIST_ID, CONVERT(X'61' USING utf8mb4) AS ATTR_NAME, CONVERT(X'' USING utf8mb4) AS ATTR_VALUE, 0 AS ORDINAL_POSITION)"
	const mine = "(SELECT 10001 AS PROCESSLIST_ID, CONVERT(X'5f636c69656e745f6e616d65' USING utf8mb4) AS ATTR_NAME, CONVERT(X'476f2d4d7953514c2d447269766572' USING utf8mb4) AS ATTR_VALUE, 0 AS ORDINAL_POSITION)"
	const procs = "(SELECT 10001 AS ID, CONVERT(X'617070' USING utf8mb4) AS USER, CONVERT(X'3132372e302e302e313a35303030' USING utf8mb4) AS HOST, " +
		"CONVERT(X'73686f70' USING utf8mb4) AS DB, CONVERT(X'5175657279' USING utf8mb4) AS COMMAND, 1 AS TIME, " +
		"CONVERT(X'657865637574696e67' USING utf8mb4) AS STATE, CONVERT(X'73656c6563742031' USING utf8mb4) AS INFO, 1500.000 AS TIME_MS, " +
		"0 AS STAGE, 0 AS MAX_STAGE, 0.000 AS PROGRESS, 0 AS MEMORY_USED, 0 AS MAX_MEMORY_USED, 0 AS EXAMINED_ROWS, 0 AS SENT_ROWS, " +
		"0 AS QUERY_ID, CONVERT(X'73656c6563742031' USING utf8mb4) AS INFO_BINARY, 0 AS TID)"
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
		{Session{}, "SELECT id, info FROM information_schema.PROCESSLIST WHERE command <> 'Sleep'",
			"SELECT id, info FROM " + procs + " AS processlist WHERE command <> 'Sleep'"},
		{Session{SystemSchema: "information_schema"}, "select * from processlist p", "select * from " + procs + " p"},
		{Session{SystemSchema: "information_schema"}, "show processlist", "show processlist"},
		{Session{Keyspace: "app"}, "select * from processlist", "select * from processlist"},
	} {
		got := BindSessionTables(tc.sql, tc.sess, fakeSessions{})
		if got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.sql, got, tc.want)
		}
		// CONNECTION_ID() in it is bound next, which takes a parse.
		if _, err := parse(got, SQLMode{}); err != nil && got != tc.sql {
			t.Errorf("%s: the planner's parser rejects it: %v", got, err)
		}
	}
}
