package planner

import (
	"reflect"
	"testing"
)

// TestSplitStatements: a multi-statement COM_QUERY is cut where MySQL ends
// each statement; trailing blanks are nothing, compound bodies stay whole.
func TestSplitStatements(t *testing.T) {
	proc := "CREATE PROCEDURE p() BEGIN SELECT 1; IF x THEN SELECT 2; END IF; SELECT CASE WHEN a THEN 'b;' END; END"
	for _, tc := range []struct {
		sql  string
		want []string
	}{
		{"SELECT 1", []string{"SELECT 1"}},
		{"SELECT 1;", []string{"SELECT 1"}},
		{"SELECT 1; SELECT 2;  ", []string{"SELECT 1", "SELECT 2"}},
		{"SELECT 1; /* c */", []string{"SELECT 1"}},
		{"SELECT 1; -- c\n ; ;", []string{"SELECT 1"}},
		{"SELECT 1 /* ; */; SELECT 2 # x;", []string{"SELECT 1 /* ; */", "SELECT 2 # x;"}},
		{"SELECT ';', \"a\\\";\", `b;``c`; SELECT 2", []string{"SELECT ';', \"a\\\";\", `b;``c`", "SELECT 2"}},
		{"SELECT 'it''s;'; SELECT 2", []string{"SELECT 'it''s;'", "SELECT 2"}},
		{"SELECT 1;; SELECT 2", []string{"SELECT 1", "", "SELECT 2"}},
		{"/* c */; SELECT 2", []string{"", "SELECT 2"}},
		{"   ", nil},
		{"/* only a comment */", nil},
		{"/*!40101 SET @x = 1 */; SELECT 2", []string{"/*!40101 SET @x = 1 */", "SELECT 2"}},
		{"SELECT 1--2; SELECT 3", []string{"SELECT 1--2", "SELECT 3"}},
		{"SELECT 'unterminated; SELECT 2", []string{"SELECT 'unterminated; SELECT 2"}},
		{proc + "; CALL p()", []string{proc, "CALL p()"}},
		{"create definer=`root`@`localhost` procedure p() lbl: begin select 1; end lbl;select 2",
			[]string{"create definer=`root`@`localhost` procedure p() lbl: begin select 1; end lbl", "select 2"}},
		{"CREATE OR REPLACE DEFINER = u@h AGGREGATE FUNCTION f(x INT) RETURNS INT BEGIN DECLARE CONTINUE HANDLER FOR NOT FOUND RETURN 0; LOOP FETCH GROUP NEXT ROW; END LOOP; END; SELECT f(1)",
			[]string{"CREATE OR REPLACE DEFINER = u@h AGGREGATE FUNCTION f(x INT) RETURNS INT BEGIN DECLARE CONTINUE HANDLER FOR NOT FOUND RETURN 0; LOOP FETCH GROUP NEXT ROW; END LOOP; END", "SELECT f(1)"}},
		{"CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW BEGIN SET NEW.a = 1; CASE NEW.b WHEN 1 THEN SET NEW.c = 2; END CASE; END; INSERT INTO t VALUES (1)",
			[]string{"CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW BEGIN SET NEW.a = 1; CASE NEW.b WHEN 1 THEN SET NEW.c = 2; END CASE; END", "INSERT INTO t VALUES (1)"}},
		{"CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO BEGIN DELETE FROM t; DELETE FROM u; END; SELECT 1",
			[]string{"CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO BEGIN DELETE FROM t; DELETE FROM u; END", "SELECT 1"}},
		{"CREATE PROCEDURE p() SELECT 1; SELECT 2", []string{"CREATE PROCEDURE p() SELECT 1", "SELECT 2"}},
		{"BEGIN NOT ATOMIC SELECT 1; SELECT 2; END; SELECT 3", []string{"BEGIN NOT ATOMIC SELECT 1; SELECT 2; END", "SELECT 3"}},
		{"BEGIN; SELECT 1; END", []string{"BEGIN", "SELECT 1", "END"}},
		{"CREATE TABLE t (procedure INT, `begin` INT, begin INT); SELECT 1", []string{"CREATE TABLE t (procedure INT, `begin` INT, begin INT)", "SELECT 1"}},
	} {
		if got := SplitStatements(tc.sql); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("SplitStatements(%q)\n got %q\nwant %q", tc.sql, got, tc.want)
		}
	}
}
