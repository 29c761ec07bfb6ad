package planner

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		sql  string
		want Kind
	}{
		{"select 1", KindSelect},
		{"  /* app */ SELECT * FROM t", KindSelect},
		{"-- note\nINSERT INTO t VALUES (1)", KindInsert},
		{"# note\nupdate t set a=1", KindUpdate},
		{"replace into t values (1)", KindReplace},
		{"DELETE FROM t", KindDelete},
		{"create table t (id int)", KindDDL},
		{"TRUNCATE t", KindDDL},
		{"set names utf8mb4", KindSet},
		{"use things", KindUse},
		{"show tables", KindShow},
		{"begin", KindBegin},
		{"START TRANSACTION READ ONLY", KindBegin},
		{"start slave", KindOther},
		{"commit", KindCommit},
		{"rollback", KindRollback},
		{"ROLLBACK WORK", KindRollback},
		{"rollback to savepoint a", KindRollbackTo},
		{"rollback work to a", KindRollbackTo},
		{"savepoint a", KindSavepoint},
		{"release savepoint a", KindRelease},
		{"lock tables t write", KindLockTables},
		{"unlock tables", KindUnlockTables},
		{"explain select 1", KindExplain},
		{"with x as (select 1) select * from x", KindSelect},
		{"/*!40101 SET NAMES utf8 */", KindOther},
		{"DO sleep(0)", KindDo},
		{"load data local infile 'f' into table t", KindLoad},
		{"LOAD XML INFILE 'f' INTO TABLE t", KindLoad},
		{"load index into cache t", KindOther},
		{"", KindOther},
	} {
		if got := Classify(tc.sql); got != tc.want {
			t.Errorf("Classify(%q) = %v, want %v", tc.sql, got, tc.want)
		}
	}
}

func TestLocalSelect(t *testing.T) {
	for _, tc := range []struct {
		sql   string
		local Local
		col   string
	}{
		{"select @@version_comment limit 1", VersionComment, "@@version_comment"},
		{"SELECT DATABASE()", Database, "DATABASE()"},
		{"select database() as db", Database, "db"},
		{"SELECT LAST_INSERT_ID()", LastInsertID, "LAST_INSERT_ID()"},
		{"select last_insert_id() from t", NotLocal, ""},
		{"select last_insert_id(5)", NotLocal, ""},
		{"select 1", NotLocal, ""},
	} {
		local, col := localSelect(tc.sql)
		if local != tc.local || col != tc.col {
			t.Errorf("localSelect(%q) = %v %q, want %v %q", tc.sql, local, col, tc.local, tc.col)
		}
	}
}

func TestContainsFold(t *testing.T) {
	for _, tc := range []struct {
		s, sub string
		want   bool
	}{
		{"SELECT LAST_INSERT_ID()", "last_insert_id()", true},
		{"select last_insert_id()", "last_insert_id()", true},
		{"select Last_Insert_Id( )", "last_insert_id()", false},
		{"create TEMPORARY table t", "temporary", true},
		{"tempor", "temporary", false},
		{"select 1 into @v", "into @", true},
		{"select 1 into `v`", "into @", false}, // '`' is '@' with bit 0x20: no match
		{"LLLLLlast_insert_id()", "last_insert_id()", true},
		{"select database ()", "database()", false},
		{"x", "x", true},
		{"", "x", false},
		{"_CONNECT_ATTRS", "_connect_attrs", true},
	} {
		if got := ContainsFold(tc.s, tc.sub); got != tc.want {
			t.Errorf("ContainsFold(%q, %q) = %v, want %v", tc.s, tc.sub, got, tc.want)
		}
	}
}

// TestAssignedVariables: the user variables a statement leaves on its backend connection, which the
// session copies to its other connections.
func TestAssignedVariables(t *testing.T) {
	for _, c := range []struct {
		sql  string
		want []string
	}{
		{"select @v := max(id) from orders where customer_id = 8", []string{"@v"}},
		{"select @n := @n + 1, @N := 2, @m from t", []string{"@n"}},
		{"select id into @a, @`b c` from customer where id = 9", []string{"@a", "@`b c`"}},
		{"select id from customer where id = 9 into @a", []string{"@a"}},
		{"select @'x y' := 1, @\"z\":=2", []string{"@'x y'", `@"z"`}},
		{"update t set a = (@n := 7) + 1 where id = 1", []string{"@n"}},
		{"select ':= @v', @@session.x := 1, `@w` from t", nil},
		{"select @v : = 1", nil},
		{"select a into outfile '/tmp/x' from t", nil},
	} {
		if got := assignedVariables(c.sql); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: %q, want %q", c.sql, got, c.want)
		}
	}
}

// TestUnwrapExecutable: mysqldump's statements inside executable comments are planned as what every
// supported backend runs.
func TestUnwrapExecutable(t *testing.T) {
	for _, c := range []struct{ sql, want string }{
		{"/*!40101 SET NAMES utf8mb4 */;", " SET NAMES utf8mb4 ;"},
		{"/*M!999999\\- enable the sandbox mode */ \n/*!40101 SET @a=@@character_set_client */", "/*M!999999\\- enable the sandbox mode */ \n SET @a=@@character_set_client "},
		{"/*!40000 ALTER TABLE `t` DISABLE KEYS */", " ALTER TABLE `t` DISABLE KEYS "},
		{"/*! select 1 */", " select 1 "},
		{"/*!50001 CREATE ALGORITHM=UNDEFINED */ /*!50013 DEFINER=`r`@`%` */ /*!50001 VIEW v AS select 1 */", " CREATE ALGORITHM=UNDEFINED  /*!50013 DEFINER=`r`@`%` */ /*!50001 VIEW v AS select 1 */"},
		{"/*!80016 SET x = 1 */", "/*!80016 SET x = 1 */"},
		{"/*!50700 select 1 */", "/*!50700 select 1 */"},
		{"/*!50503 SET NAMES utf8mb4 */", " SET NAMES utf8mb4 "},
		{"/*!40101 select count(*) /* inner */ from t */", " select count(*) /* inner */ from t "},
		{"/*!40101 select '*/', count(*) from t where a = \"*/\" */;", " select '*/', count(*) from t where a = \"*/\" ;"},
		{`/*!40101 select 'it''s */ \\' */`, ` select 'it''s */ \\' `},
		{`/*!40101 select 'no end */ \' */`, `/*!40101 select 'no end */ \' */`},
		{"/*!100101 SET x = 1 */", "/*!100101 SET x = 1 */"},
		{"/*!4010 SET x = 1 */", "/*!4010 SET x = 1 */"},
		{"/*!40101 SET x = 1", "/*!40101 SET x = 1"},
		{"select /*!40101 1 */", "select /*!40101 1 */"},
	} {
		if got := unwrapExecutable(c.sql); got != c.want {
			t.Errorf("%q: %q, want %q", c.sql, got, c.want)
		}
	}
}

// TestSavepointName: the name a savepoint statement gives, as MySQL reads it.
func TestSavepointName(t *testing.T) {
	for _, tc := range []struct{ sql, want string }{
		{"SAVEPOINT a", "a"},
		{"savepoint A;", "a"},
		{"release savepoint a /* c */", "a"},
		{"savepoint a /* c */ ", "a"},
		{"rollback to savepoint `a b`", "a b"},
		{"ROLLBACK WORK TO SAVEPOINT `x``y`", "x`y"},
		{"rollback to s1 -- why\n", "s1"},
	} {
		if got := SavepointName(tc.sql); got != tc.want {
			t.Errorf("SavepointName(%q) = %q, want %q", tc.sql, got, tc.want)
		}
	}
}

// TestDiagnostics: the statements that read the warnings the statement before left, which the
// session answers itself after a statement that ran on several connections; a LIMIT it cannot read
// leaves the statement to the backend, which answers it (or refuses it) as MySQL does.
func TestDiagnostics(t *testing.T) {
	p := NewPlanner(loadExample(t), 100, 1<<20)
	all := DiagnosticsLimit{Count: ^uint64(0)}
	for _, tc := range []struct {
		sql   string
		want  Diagnostics
		limit DiagnosticsLimit
	}{
		{"show warnings", ShowWarnings, all},
		{"SHOW WARNINGS LIMIT 2;", ShowWarnings, DiagnosticsLimit{0, 2}},
		{"show warnings limit 1, 3", ShowWarnings, DiagnosticsLimit{1, 3}},
		{"show errors limit 4", ShowErrors, DiagnosticsLimit{0, 4}},
		{"show count(*) warnings", WarningCount, DiagnosticsLimit{}},
		{"show count( * ) errors", ErrorCount, DiagnosticsLimit{}},
		{"select @@error_count", ErrorCount, DiagnosticsLimit{}},
		{"select @@session.warning_count", WarningCount, DiagnosticsLimit{}},
		{"show warnings limit x", NoDiagnostics, DiagnosticsLimit{}},
		{"show warnings where 1", NoDiagnostics, DiagnosticsLimit{}},
	} {
		plan, err := p.Plan(tc.sql, Session{})
		if err != nil {
			t.Fatalf("%s: %v", tc.sql, err)
		}
		if plan.Diagnostics != tc.want || plan.DiagnosticsLimit != tc.limit {
			t.Errorf("%s: %v %+v, want %v %+v", tc.sql, plan.Diagnostics, plan.DiagnosticsLimit, tc.want, tc.limit)
		}
	}
}

func TestStartsStatement(t *testing.T) {
	for sql, want := range map[string]bool{
		"selec 1":                    false,
		"/* c */ updat t set a = 1":  false,
		"frobnicate":                 false,
		"select 1":                   true,
		"handler t open":             true,
		"XA START 'x'":               true,
		"(values (1))":               true,
		"/*!40101 SET NAMES utf8 */": true,
		"/*M!100000 select 1 */":     true,
		"checksum table t":           true,
	} {
		if got := startsStatement(sql); got != want {
			t.Errorf("startsStatement(%q) = %v, want %v", sql, got, want)
		}
	}
}

// TestServerComment: the comments one server runs and the parser reads otherwise are found outside
// strings and quoted names, as the backends read those in the session's sql_mode.
func TestServerComment(t *testing.T) {
	ansi, nbe := SQLMode{ANSIQuotes: true}, SQLMode{NoBackslashEscapes: true}
	for _, c := range []struct {
		sql  string
		mode SQLMode
		want string
	}{
		{"select 1 /*M!100000 or 1 = 1 */", SQLMode{}, "/*M!"},
		{"select 1 where 1 = 1 /*T! and id = 5 */", SQLMode{}, "/*T!"},
		{"select 1 /*!80000 or 1 = 1 */", SQLMode{}, "/*!80000"},
		{"select 1 /*!100000 or 1 = 1 */", SQLMode{}, "/*!100000"},
		{"select /*!40001 SQL_NO_CACHE */ 1 /*+ hint */ /* /*M! */", SQLMode{}, ""},
		{"select '/*M!', \"/*T!\", `/*!80000` -- /*M!\n# /*M!\n", SQLMode{}, ""},
		{`select 'it\'s /*M! */'`, SQLMode{}, ""},
		{`select 'a\' /*M! */ '`, nbe, "/*M!"},
		{`select "n\" /*M!100000 or 1 = 1 */ -- "`, ansi, "/*M!"},
		{`select "n\" /*M!100000 or 1 = 1 */ -- "`, SQLMode{}, ""},
		{"select 1 --/*M!\n", SQLMode{}, "/*M!"},
	} {
		if got := serverComment(c.sql, c.mode); got != c.want {
			t.Errorf("%q (%+v): %q, want %q", c.sql, c.mode, got, c.want)
		}
	}
}

// TestChains: COMMIT and ROLLBACK AND CHAIN, not AND NO CHAIN.
func TestChains(t *testing.T) {
	for sql, want := range map[string]bool{
		"commit": false, "COMMIT AND CHAIN": true, "commit work and chain no release": true,
		"commit and no chain": false, "rollback and chain": true, "rollback work": false,
		"/* chain */ commit": false,
	} {
		if got := Chains(sql); got != want {
			t.Errorf("Chains(%q) = %v, want %v", sql, got, want)
		}
	}
}

func TestMaxStatementTime(t *testing.T) {
	for _, tc := range []struct {
		prefix string
		want   time.Duration
		ok     bool
	}{
		{"SET STATEMENT max_statement_time=1 FOR ", time.Second, true},
		{"set statement sql_mode='', MAX_STATEMENT_TIME = 0.25 for ", 250 * time.Millisecond, true},
		{"SET STATEMENT max_statement_time=0 FOR ", 0, true},
		{"SET STATEMENT sql_mode='' FOR ", 0, false},
		{"SET STATEMENT max_statement_time=@t FOR ", 0, false},
		{"SET STATEMENT max_statement_time=-1 FOR ", 0, false},
	} {
		if got, ok := MaxStatementTime(tc.prefix); got != tc.want || ok != tc.ok {
			t.Errorf("MaxStatementTime(%q) = %v, %v; want %v, %v", tc.prefix, got, ok, tc.want, tc.ok)
		}
	}
}

// TestServerLock: statements that lock a backend server for the connection are refused (helper-63:
// mariadb-dump -x left FLUSH TABLES WITH READ LOCK held on a pooled connection, and every write to
// that server waited); other FLUSH statements are not.
func TestServerLock(t *testing.T) {
	p := NewPlanner(loadExample(t), 10, 1<<20)
	for sql, refused := range map[string]bool{
		"FLUSH TABLES WITH READ LOCK":                     true,
		"/* dump */ flush tables customer with read lock": true,
		"FLUSH /*!40101 LOCAL */ TABLES":                  false,
		"flush tables t for export":                       true,
		"BACKUP STAGE START":                              true,
		"backup lock t":                                   true,
		"flush logs":                                      false,
		"flush privileges":                                false,
		"flush tables thread_locks, exports":              false,
	} {
		_, err := p.Plan(sql, Session{Keyspace: "product"})
		if got := err != nil && strings.Contains(err.Error(), "backend server"); got != refused {
			t.Errorf("%s: %v, want refused %v", sql, err, refused)
		}
	}
}
