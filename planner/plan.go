package planner

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	driver "github.com/pingcap/tidb/pkg/parser/test_driver"

	"sidecar/conf"
	"sidecar/engine"
	"sidecar/sqlerr"
	"sidecar/vindex"
)

// Local names the statements the sidecar answers itself, the way MySQL would.
type Local uint8

const (
	NotLocal           Local = iota
	VersionComment           // SELECT @@version_comment LIMIT 1 (every CLI on connect)
	Database                 // SELECT DATABASE()
	LastInsertID             // SELECT LAST_INSERT_ID()
	Autocommit               // SELECT @@autocommit: the session's, kept by the sidecar
	ShowDatabases            // SHOW DATABASES: the keyspaces
	SetNames                 // SET NAMES | CHARACTER SET | CHARSET …: applied lazily to backend connections
	SetAutocommit            // SET autocommit = 0|1
	Use                      // USE keyspace or USE keyspace:shard
	ShowShards               // SHOW SIDECAR SHARDS: keyspaces, shards, key ranges, backends
	ShowVitessShards         // SHOW VITESS_SHARDS: keyspace/shard names, as Vitess lists them
	ShowProcesslist          // SHOW [FULL] PROCESSLIST: the sidecar's sessions (Value "full")
	SetWaitTimeout           // SET wait_timeout = N: the sidecar's own idle timeout
	KillStatement            // KILL [QUERY | CONNECTION] id: a session of this sidecar
	SetNextTransaction       // SET TRANSACTION …: the characteristics of the session's next transaction only
	DatabaseNote             // CREATE DATABASE IF NOT EXISTS of a keyspace, DROP DATABASE IF EXISTS of none: OK with Note
	DatabaseError            // CREATE DATABASE of a keyspace, DROP or ALTER DATABASE of none: the error, after the commit DDL makes
)

// Diagnostics names the statements that read the warnings the statement
// before left: the session answers them itself after a statement that ran on
// several backend connections, each of which holds only its own.
type Diagnostics uint8

const (
	NoDiagnostics Diagnostics = iota
	ShowWarnings              // SHOW WARNINGS [LIMIT [offset,] count]
	ShowErrors                // SHOW ERRORS [LIMIT [offset,] count]
	WarningCount              // SHOW COUNT(*) WARNINGS, SELECT @@warning_count
	ErrorCount                // SHOW COUNT(*) ERRORS, SELECT @@error_count
)

// DiagnosticsLimit is the LIMIT of SHOW WARNINGS or SHOW ERRORS.
type DiagnosticsLimit struct {
	Offset, Count uint64 // Count ^0: no LIMIT
}

// diagnosticsLimit reads what follows SHOW WARNINGS or SHOW ERRORS: nothing,
// or LIMIT [offset,] count.
func diagnosticsLimit(rest string) (DiagnosticsLimit, bool) {
	l := DiagnosticsLimit{Count: ^uint64(0)}
	rest = strings.TrimRight(rest, "; \t\r\n")
	if rest == "" {
		return l, true
	}
	w, rest := nextWord(rest)
	if w != "limit" {
		return l, false
	}
	offset, count, two := strings.Cut(rest, ",")
	if !two {
		offset, count = "0", offset
	}
	var err1, err2 error
	l.Offset, err1 = strconv.ParseUint(strings.TrimSpace(offset), 10, 64)
	l.Count, err2 = strconv.ParseUint(strings.TrimSpace(count), 10, 64)
	return l, err1 == nil && err2 == nil
}

// Kill is the target of a KILL statement.
type Kill struct {
	ID        uint32
	QueryOnly bool
}

// Plan says where one statement goes and what it sends.
type Plan struct {
	Kind  Kind
	Local Local
	// Note is what a DatabaseNote's OK warns of, or a DatabaseError fails
	// with.
	Note *sqlerr.Error
	// Keyspace the statement goes to; nil when it names no table and any
	// backend can answer it (SELECT 1, SET, SHOW VARIABLES …).
	Keyspace *conf.Keyspace
	// Query is the text sent to the shard: the client's own bytes unless the
	// statement had to be rewritten.
	Query string
	// shape is the text the plan was made from: the client's, or its
	// normalized shape, whose `?`s are Args.
	shape string
	// Sticky: the statement leaves state on the backend connection.
	Sticky bool
	// Variables are the user variables the statement assigns (@v := …,
	// INTO @v, a SET of them alone: see userVariables) as written, and
	// ConnFoundRows says its FOUND_ROWS() is the count the backend keeps
	// (SELECT SQL_CALC_FOUND_ROWS, SELECT … INTO, which sends no rows): what
	// it leaves on the one backend connection it runs on, which the session
	// copies out (another statement may run on another connection).
	// KeepsFoundRows: the statement leaves FOUND_ROWS() as it was (EXPLAIN
	// of a statement, SHOW WARNINGS | ERRORS).
	Variables      []string
	ConnFoundRows  bool
	KeepsFoundRows bool
	// SetVars are the variables a SET assigns, when it gives each a
	// literal (see literalSet); nil for any other statement.
	SetVars []string
	// SetsLastInsertID: the statement calls LAST_INSERT_ID(expr), or is an
	// INSERT … RETURNING, which set the LAST_INSERT_ID() of the connection
	// it runs on; a SELECT, SET or DO, and a write that returns rows, have
	// no OK packet's insert id to carry it to the session.
	SetsLastInsertID bool
	// Locks are the tables a LOCK TABLES locks (lower-cased names).
	Locks []string
	// Assigns: the statement assigns user variables (@v := …), which only
	// one shard may run.
	Assigns bool
	// SystemRead: the statement reads no keyspace's tables, only the
	// backend's own schemas (information_schema), where a shard's database
	// is to be shown as its keyspace. SchemaParams are the prepared
	// statement's ? compared with a database name column (table_schema = ?):
	// an argument naming a keyspace sends the statement to its shard, with
	// the shard's database in its place (see Planner.SchemaTarget).
	SystemRead   bool
	SchemaParams []int
	// NoTransaction: a SystemRead that names no table, or only
	// information_schema's and performance_schema's: it begins no
	// transaction in MariaDB (the InnoDB tables of mysql do).
	NoTransaction bool
	schemaNamed   *conf.Keyspace // the keyspace the text names there, if any
	// groupColumns are the table's columns (lower-case) when a GROUP BY
	// name is also an alias: MySQL groups by the column if there is one.
	groupColumns map[string]bool
	// Value carries the argument of a local statement: the keyspace of USE,
	// the autocommit setting ("0"/"1"), the SET NAMES text.
	Value string
	// SetRest is a SetAutocommit's other assignments, a SET of their own
	// ("" for none): SET autocommit = 0, sql_mode = … (MariaDB Connector/J
	// sends that on connect).
	SetRest string
	// Column is the column name of a local SELECT, as the client wrote it,
	// or of SHOW DATABASES; Escape the escape character of its LIKE pattern
	// (in Value).
	Column string
	// Diagnostics: the statement reads the warnings of the one before;
	// DiagnosticsLimit the rows SHOW WARNINGS or SHOW ERRORS lists.
	Diagnostics      Diagnostics
	DiagnosticsLimit DiagnosticsLimit
	Escape           rune

	// For statements on a sharded keyspace: the table, the parsed statement
	// (qualifiers stripped) and the comments before it, for routing and
	// rewriting once the values are known (prepared statements bind later).
	Table   *conf.Table
	Stmt    ast.StmtNode
	Leading string

	// Tail is a clause the parser cannot read (MariaDB's RETURNING, SELECT
	// … INTO @v), cut out of the text it planned and written back after a
	// printed statement; Unparsed names it in refusals.
	Tail, Unparsed string

	// Args are the literals normalization took out of Query's shape: the
	// parsed statement's `?`s (nil when not normalized).
	Args Args
	// Rewritten: Query is the statement re-rendered (keyspace qualifiers
	// dropped), not the client's text.
	Rewritten bool
	// qualifier is a keyspace name the client's text qualifies names with
	// (qualified times), which Query does not have: the shard connection has
	// its own database selected.
	qualifier string
	qualified int
	// Prepared: the client prepared the statement; Query holds the ?
	// placeholders each execute's arguments fill. limitParams are those of
	// its LIMITs (see LimitArgs).
	Prepared    bool
	limitParams []int

	// Joined: a SELECT joining several tables of the sharded keyspace; it
	// runs only where all of them provably route to the same shard.
	Joined bool
	// router finds the shards, planned once per plan: the Route of Table's
	// vindex conditions, or a join's JoinRoute; each execution only maps
	// its values (see RouteStatement).
	router engine.Router

	Kill Kill
	// Mode is the sql_mode the statement's statements for the shards are
	// written for; readIn the one it was read in (they differ for a prepared
	// statement after SET sql_mode: see InMode).
	Mode, readIn SQLMode
	// unparsed: the parser could not read the statement, which goes as it
	// is to the session's unsharded keyspace or system schema.
	unparsed bool
	// Hint is a routing hint the statement arrived with (from ProxySQL or an
	// application): the sidecar then adds none of its own.
	Hint Hint
	// SelectFrom: an INSERT … SELECT the sidecar runs in two steps, the
	// SELECT on this keyspace, then an INSERT of its rows (see
	// InsertSource).
	SelectFrom *conf.Keyspace
	// Subqueries: an UPDATE/DELETE whose subqueries run first, their rows
	// then written into it (see PlanDMLSubqueries).
	Subqueries bool
	// Engine: a SELECT only an engine plan answers (it reads several
	// keyspaces; see PlanEvaluate).
	Engine bool
	// merge is the plan's scatter merge, insert its engine.Insert, owned
	// its lookup maintenance, statement the engine's plan of the whole and
	// evaluate the engine plan of a SELECT no route answers, planned once
	// and shared by the copies of a cached plan (see PlanMerge, PlanInsert,
	// PlanOwnedDML, PlanStatement, Evaluation).
	merge *once[mergeTemplate]
	// mergeEnums replaces merge once an execution found ENUM or SET keys
	// (see PlanMergeEnums).
	mergeEnums *atomic.Pointer[mergeTemplate]
	evaluate   *once[evaluation]
	insert     *once[insertTemplate]
	owned      *once[ownedTemplate]
	statement  *once[statementTemplate]
}

// once is a part of a plan built the first time an execution needs it and
// shared by every execution of the plan.
type once[T any] struct {
	sync.Once
	v T
}

// get builds the value the first time; a nil once (a plan made by hand, as
// tests do) builds it every time.
func (o *once[T]) get(build func() T) *T {
	if o == nil {
		v := build()
		return &v
	}
	o.Do(func() { o.v = build() })
	return &o.v
}

// Session is what planning needs to know about the client's session.
type Session struct {
	Keyspace string // current keyspace (USE), "" if none
	// SystemSchema is the current database when it is a backend's own
	// (information_schema, mysql…): unqualified tables are its tables.
	SystemSchema string
	// Mode is the session's sql_mode, as far as reading and writing SQL
	// text goes.
	Mode SQLMode
}

// systemSchemas are backend schemas a qualified name may refer to; statements
// on them go to the session's keyspace unchanged.
var systemSchemas = map[string]bool{"information_schema": true, "mysql": true, "performance_schema": true, "sys": true}

// IsSystemSchema reports the backend's own schemas (information_schema,
// mysql, performance_schema, sys), which are no keyspace.
func IsSystemSchema(name string) bool { return systemSchemas[strings.ToLower(name)] }

// Planner plans statements against one topology snapshot.
type Planner struct {
	Topo *conf.Topology
	// Cache holds plans of normalized statements (literals taken out), by
	// session keyspace and shape; nil disables it.
	Cache *planCache
	// columns are the sharded tables' columns learned for INSERTs without a
	// column list (see LearnColumns).
	columns tableColumns
}

// NewPlanner returns a planner with a plan cache of at most cacheEntries
// plans taking about cacheBytes.
func NewPlanner(topo *conf.Topology, cacheEntries, cacheBytes int) *Planner {
	return &Planner{Topo: topo, Cache: newPlanCache(cacheEntries, cacheBytes)}
}

// Plan classifies sql and decides its keyspace. Statements that differ only
// in literal values share one parse: the plan of their shape is cached and
// the literals are passed on as Args.
func (p *Planner) Plan(sql string, sess Session) (*Plan, error) {
	sql = unwrapExecutable(sql)
	if p.Cache != nil {
		switch Classify(sql) {
		case KindSelect, KindInsert, KindReplace, KindUpdate, KindDelete:
			if ContainsFold(sql, "schema") {
				// The schema names of a system schema's tables (table_schema,
				// schema_name) are literals that choose the keyspace.
				break
			}
			if shape, args, ok := normalize(sql, sess.Mode.NoBackslashEscapes); ok {
				key := sess.Mode.key() + sess.Keyspace + "\x00" + sess.SystemSchema + "\x00" + shape
				tmpl, hit := p.Cache.get(key)
				if !hit {
					var err error
					if tmpl, err = p.plan(shape, sess); err != nil || tmpl.unparsed {
						// The error is reported on the client's own text, and a
						// shape the parser could not read is no template: the
						// client's text may still parse and route elsewhere.
						return p.plan(sql, sess)
					}
					p.Cache.add(key, tmpl)
				}
				plan := *tmpl
				plan.Args = args
				plan.Query = sql
				if tmpl.Rewritten {
					plan.Query = tmpl.render(args)
				} else if tmpl.qualifier != "" {
					if text, ok := dropQualifiers(sql, tmpl.qualifier, tmpl.qualified); ok {
						plan.Query = text
					} else if tmpl.Unparsed != "" {
						// Printed, the statement would lose the clause the
						// parser does not know (or hold its shape's ?s):
						// the client's text is planned, and refused there.
						return p.plan(sql, sess)
					} else {
						plan.Query = tmpl.render(args)
					}
				}
				return &plan, nil
			}
		}
	}
	return p.plan(sql, sess)
}

// PlanPrepared plans a statement prepared by the client: never normalized,
// since its arguments come from each execute.
func (p *Planner) PlanPrepared(sql string, sess Session) (*Plan, error) {
	plan, err := p.plan(unwrapExecutable(sql), sess)
	if plan != nil {
		plan.Prepared = true
		walk(plan.Stmt, func(n ast.Node) bool {
			if l, ok := n.(*ast.Limit); ok {
				for _, e := range []ast.ExprNode{l.Count, l.Offset} {
					if p, ok := e.(*paramExpr); ok {
						plan.limitParams = append(plan.limitParams, p.n)
					}
				}
			}
			return true
		})
	}
	return plan, err
}

// InMode is the plan writing its statements for the shards in sql_mode
// mode: the same statement, its templates (INSERT rows, merge, lookup
// maintenance, evaluation) made again for mode the first time an execution
// needs them.
func (p *Plan) InMode(mode SQLMode) *Plan {
	c := *p
	c.Mode = mode
	c.merge, c.insert, c.owned, c.statement = fresh(p.merge), fresh(p.insert), fresh(p.owned), fresh(p.statement)
	if p.mergeEnums != nil {
		c.mergeEnums = &atomic.Pointer[mergeTemplate]{}
	}
	c.evaluate = fresh(p.evaluate)
	return &c
}

// fresh is an unbuilt once in place of o (nil stays nil: built every time).
func fresh[T any](o *once[T]) *once[T] {
	if o == nil {
		return nil
	}
	return &once[T]{}
}

// Forwarded reports whether the statement goes as it is to one backend
// (an unsharded keyspace's, or any for a statement without a keyspace):
// nothing to route, fill in, stage or evaluate.
func (p *Plan) Forwarded() bool {
	ks := p.Keyspace
	return p.SelectFrom == nil && !p.Subqueries && !p.Engine && (ks == nil || (!ks.Sharded && p.Table == nil))
}

// Limited: the statement is a SELECT (or UNION) with a LIMIT of its own,
// which sql_select_limit does not override.
func (p *Plan) Limited() bool {
	switch st := p.Stmt.(type) {
	case *ast.SelectStmt:
		return st.Limit != nil
	case *ast.SetOprStmt:
		return st.Limit != nil
	}
	return false
}

// Text is the whole statement to send to a backend with these arguments: the
// client's own text, or a prepared statement's rendered with its arguments.
func (p *Plan) Text(args Args) string {
	if !p.Prepared {
		return p.Query
	}
	return p.render(args)
}

func (p *Planner) plan(sql string, sess Session) (*Plan, error) {
	kind := Classify(sql)
	plan := &Plan{Kind: kind, Query: sql, shape: sql, Hint: ParseHint(sql), Mode: sess.Mode, readIn: sess.Mode, statement: &once[statementTemplate]{},
		SetsLastInsertID: CallsLastInsertID(sql) || insertReturning(kind, sql)}
	switch kind {
	case KindSelect:
		plan.merge, plan.mergeEnums, plan.evaluate = &once[mergeTemplate]{}, &atomic.Pointer[mergeTemplate]{}, &once[evaluation]{}
	case KindInsert, KindReplace:
		plan.insert = &once[insertTemplate]{}
	case KindUpdate, KindDelete:
		plan.owned = &once[ownedTemplate]{}
	}
	switch kind {
	case KindOther:
		if k, ok := parseKill(sql); ok {
			plan.Local, plan.Kill = KillStatement, k
			return plan, nil
		}
		if lock := serverLock(sql); lock != "" {
			return nil, sqlerr.Unsupported("%s: the lock would hold one backend server (not a keyspace's shards) on a pooled connection; run them on the backends directly", lock)
		}
	case KindSelect:
		if local, col := localSelect(sql); local != NotLocal {
			plan.Local, plan.Column = local, col
			return plan, nil
		}
		if ContainsFold(sql, "warning_count") || ContainsFold(sql, "error_count") {
			expr, col := soleItem(sql)
			switch sessionVariable(expr) {
			case "warning_count":
				plan.Diagnostics, plan.Column = WarningCount, col
			case "error_count":
				plan.Diagnostics, plan.Column = ErrorCount, col
			}
		}
		return p.routeByTables(plan, sess)
	case KindInsert, KindReplace, KindUpdate, KindDelete, KindLockTables:
		return p.routeByTables(plan, sess)
	case KindUse:
		plan.Local = Use
		_, rest := nextWord(StripLeadingComments(sql))
		plan.Value = strings.Trim(strings.TrimSpace(strings.TrimRight(rest, "; \t\r\n")), "`")
		return plan, nil
	case KindShow:
		switch w, rest := nextWord(afterWord(sql)); w {
		case "databases", "schemas", "vitess_keyspaces":
			plan.Local = ShowDatabases
			plan.Column = "Database"
			if w != "vitess_keyspaces" {
				if err := showDatabasesLike(plan, sess.Mode); err != nil {
					return nil, err
				}
			}
			return plan, nil
		case "vitess_shards":
			plan.Local = ShowVitessShards
			return plan, nil
		case "processlist", "full":
			if w == "full" {
				w, rest = nextWord(rest)
				plan.Value = "full"
			}
			if w == "processlist" && strings.TrimRight(rest, "; \t\r\n") == "" {
				plan.Local = ShowProcesslist
				return plan, nil
			}
		case "sidecar":
			if w2, _ := nextWord(rest); w2 == "shards" {
				plan.Local = ShowShards
				return plan, nil
			}
		case "warnings", "errors":
			if limit, ok := diagnosticsLimit(rest); ok {
				plan.Diagnostics, plan.DiagnosticsLimit = ShowWarnings, limit
				if w == "errors" {
					plan.Diagnostics = ShowErrors
				}
			}
		case "count":
			switch strings.Join(strings.Fields(strings.ToLower(strings.TrimRight(rest, "; \t\r\n"))), "") {
			case "(*)warnings":
				plan.Diagnostics, plan.Column = WarningCount, "@@session.warning_count"
			case "(*)errors":
				plan.Diagnostics, plan.Column = ErrorCount, "@@session.error_count"
			}
		}
		connState(plan)
		return p.planSchemaRead(plan, sess)
	case KindExplain:
		connState(plan)
		return p.planExplain(plan, sess)
	case KindSet:
		p.planSet(plan)
		if plan.Local == NotLocal && ContainsFold(sql, "select") {
			return p.routeReads(plan, sess)
		}
		return plan, nil
	case KindDo:
		connState(plan)
		plan, err := p.routeToSession(plan, sess)
		if err != nil {
			return nil, err
		}
		return p.routeReads(plan, sess)
	case KindLoad:
		return p.planLoad(plan, sess)
	case KindDDL:
		switch planned, err := p.planDatabaseDDL(plan, sess); {
		case err != nil:
			return nil, err
		case planned:
			return plan, nil
		}
		switch planned, err := p.planTableDDL(plan, sess); {
		case err != nil:
			return nil, err
		case planned:
			connState(plan)
			return plan, nil
		}
	}
	connState(plan)
	return p.routeToSession(plan, sess)
}

// routeToSession sends a statement that names no routable table to the
// session's keyspace (DDL, SHOW, EXPLAIN, …).
func (p *Planner) routeToSession(plan *Plan, sess Session) (*Plan, error) {
	if sess.Keyspace != "" {
		ks, ok := p.Topo.Keyspaces[sess.Keyspace]
		if !ok {
			return nil, sqlerr.UnknownDatabase(sess.Keyspace)
		}
		plan.Keyspace = ks
	}
	return plan, nil
}

// refuseServerComment refuses a statement holding comment (see
// serverComment) where the sidecar routes or rewrites it by its parse: on a
// sharded keyspace, or across keyspaces. What the comment holds depends on
// the server, and the parser reads it otherwise: a condition in it would be
// dropped from a statement written for each shard, or not routed by. The
// statement goes as it is where one backend answers it.
func (p *Planner) refuseServerComment(stmt ast.StmtNode, sess Session, comment string) error {
	var first *conf.Keyspace
	for _, t := range tablesOf(stmt) {
		ks, err := p.keyspaceOf(t, sess)
		if err != nil || ks == nil {
			continue
		}
		if ks.Sharded || first != nil && first != ks {
			return sqlerr.Unsupported("a server-dependent comment (%s … */) in a statement on sharded keyspace %s or across keyspaces: the sidecar routes it by what it reads, which is not what the backend runs", comment, ks.Name)
		}
		first = ks
	}
	return nil
}

func afterWord(sql string) string {
	_, rest := nextWord(StripLeadingComments(sql))
	return rest
}

// routeByTables finds the keyspace of the tables a DML or SELECT names.
func (p *Planner) routeByTables(plan *Plan, sess Session) (*Plan, error) {
	connState(plan)
	stmt, err := parse(plan.Query, sess.Mode)
	if err != nil {
		if text, tail, clause, ok := cutUnparsed(plan.Query, plan.Kind); ok {
			if cut, err2 := parse(text, sess.Mode); err2 == nil {
				stmt, err, plan.Tail, plan.Unparsed = cut, nil, tail, clause
			}
		} else if text, ok := lockWithoutAliases(plan.Query); ok && plan.Kind == KindLockTables {
			if cut, err2 := parse(text, sess.Mode); err2 == nil {
				stmt, err, plan.Unparsed = cut, nil, "table aliases"
			}
		}
	}
	if err != nil {
		// Statements the parser does not know (MariaDB's RETURNING, SELECT
		// … INTO @v) can still run on an unsharded keyspace or in a system
		// schema, unchanged; nothing about them needs understanding there.
		plan.unparsed = true
		if ks := p.Topo.Keyspaces[sess.Keyspace]; ks != nil && !ks.Sharded {
			plan.Keyspace = ks
			return plan, nil
		}
		if sess.Keyspace == "" && sess.SystemSchema != "" {
			return plan, nil
		}
		return nil, errSyntax(err)
	}
	if c := serverComment(plan.Query, sess.Mode); c != "" {
		if err := p.refuseServerComment(stmt, sess, c); err != nil {
			return nil, err
		}
	}
	if ins, ok := stmt.(*ast.InsertStmt); ok && ins.Select != nil {
		if planned, err := p.planInsertSelect(plan, ins, sess); planned || err != nil {
			return plan, err
		}
	}
	if planned, err := p.planDMLSubqueries(plan, stmt, sess); planned || err != nil {
		return plan, err
	}
	tables := tablesOf(stmt)

	var target *conf.Keyspace
	qualified := false
	for _, ref := range tables {
		ks, err := p.keyspaceOf(ref, sess)
		if err != nil {
			return nil, err
		}
		if ks == nil {
			continue // a system schema
		}
		if target != nil && target != ks {
			if plan.Kind == KindSelect && plan.Unparsed == "" {
				// Only the engine answers it, gathering each keyspace's rows.
				plan.Keyspace, plan.Stmt, plan.Engine = target, stmt, true
				return plan, nil
			}
			return nil, sqlerr.Unsupported("a statement across keyspaces (%s and %s)", target.Name, ks.Name)
		}
		target = ks
		if q := ref.Schema.O; q != "" && (ks.Sharded || q != ks.Shards[0].Database) {
			qualified = true
		}
	}
	if target == nil {
		return p.routeSystemSchemaRead(plan, stmt, sess)
	}
	plan.Keyspace = target
	if plan.Unparsed == "PROCEDURE" && slices.ContainsFunc(target.Shards, func(sh *conf.Shard) bool { return sh.Database != target.Name }) {
		return nil, sqlerr.Unsupported("PROCEDURE ANALYSE on keyspace %s: its rows name the shard's database, not the keyspace", target.Name)
	}
	if plan.Kind == KindLockTables {
		// Every shard locks the same tables (engine.EveryShard).
		for _, t := range tables {
			plan.Locks = append(plan.Locks, t.Name.L)
		}
	} else if target.Sharded {
		if err := shardedTable(plan, stmt, tables, target); err != nil {
			return nil, err
		}
		if ins, ok := stmt.(*ast.InsertStmt); ok && ins.Select == nil {
			if err := p.implicitColumns(ins, plan.Table); err != nil {
				return nil, err
			}
		}
		if sel, ok := stmt.(*ast.SelectStmt); ok && groupByAlias(sel) {
			if plan.groupColumns, err = p.columnSet(plan.Table); err != nil {
				return nil, err
			}
		}
	} else if t := sequencedInsert(plan, stmt, target); t != nil {
		// The executor fills the sequence, as for a sharded table.
		plan.Table, plan.Stmt, plan.Leading = t, stmt, leadingComments(plan.Query)
	} else if _, ok := stmt.(*ast.InsertStmt); ok {
		plan.Stmt = stmt // read for its insert id (InsertIDGenerated); it goes as written
	}
	if qualified {
		// The backend database is not named like the keyspace: drop the
		// keyspace qualifiers, the shard connection has its database selected.
		qualifier := ""
		for _, ref := range tables {
			if ks, _ := p.keyspaceOf(ref, sess); ks == target && ref.Schema.O != "" {
				qualifier = ref.Schema.O
			}
		}
		n := dropSchema(stmt, qualifier)
		plan.Leading = leadingComments(plan.Query)
		plan.Stmt = stmt
		if text, ok := dropQualifiers(plan.Query, qualifier, n); ok {
			plan.Query, plan.qualifier, plan.qualified = text, qualifier, n
		} else if plan.Unparsed != "" && plan.Tail == "" {
			return nil, sqlerr.Unsupported("%s with keyspace-qualified table names in %s", plan.Unparsed, plan.Kind)
		} else {
			plan.Query = printStmt(plan.Leading, stmt, nil, sess.Mode) + plan.Tail
			plan.Rewritten = true
		}
	}
	return plan, nil
}

// dropSchema removes the qualifier schema from the table and column names of
// stmt and returns how many it removed.
func dropSchema(stmt ast.StmtNode, schema string) int {
	n := 0
	walk(stmt, func(node ast.Node) bool {
		switch t := node.(type) {
		case *ast.TableName:
			if t.Schema.O == schema {
				t.Schema = ast.CIStr{}
				n++
			}
		case *ast.ColumnName:
			if t.Schema.O == schema {
				t.Schema = ast.CIStr{}
				n++
			}
		}
		return true
	})
	return n
}

// dropQualifiers removes `schema.` before the names of sql, keeping every
// other byte of the client's text (comments, hints, the way the rest is
// written: printing it again would change the names of its result columns).
// ok is false when the text does not show exactly the want qualifiers the
// parse found.
func dropQualifiers(sql, schema string, want int) (string, bool) {
	toks := scanTokens(sql)
	var b strings.Builder
	last, found := 0, 0
	for i := 0; i+2 < len(toks); i++ {
		if toks[i].name != schema || toks[i+1].word != "." || !toks[i+2].isName() || (i > 0 && toks[i-1].word == ".") {
			continue
		}
		b.WriteString(sql[last:toks[i].start])
		last = toks[i+2].start
		found++
	}
	if found != want || found == 0 {
		return "", false
	}
	b.WriteString(sql[last:])
	return b.String(), true
}

// tablesOf lists the tables a statement reads or writes: not the names of
// its common table expressions, not DUAL, and not the targets of a
// multi-table DELETE (aliases of tables its FROM names).
func tablesOf(stmt ast.Node) []*ast.TableName {
	ctes := map[string]bool{}
	walk(stmt, func(n ast.Node) bool {
		if cte, ok := n.(*ast.CommonTableExpression); ok {
			ctes[cte.Name.L] = true
		}
		return true
	})
	var tables []*ast.TableName
	walk(stmt, func(n ast.Node) bool {
		switch t := n.(type) {
		case *ast.DeleteTableList:
			return false
		case *ast.TableName:
			if t.Schema.L == "" && (ctes[t.Name.L] || t.Name.L == "dual") {
				return false
			}
			tables = append(tables, t)
		}
		return true
	})
	return tables
}

// sequencedInsert returns the table of an INSERT or REPLACE into an
// unsharded keyspace whose VSchema gives it an auto_increment, for its
// sequence to be filled; nil for any other statement, which goes as sent
// (INSERT … SELECT and INSERT without a column list too).
func sequencedInsert(plan *Plan, stmt ast.StmtNode, ks *conf.Keyspace) *conf.Table {
	ins, ok := stmt.(*ast.InsertStmt)
	if !ok || ins.Select != nil || len(ins.Columns) == 0 || plan.Unparsed != "" {
		return nil
	}
	tables := tablesOf(stmt)
	if len(tables) != 1 {
		return nil
	}
	if t := ks.Tables[tables[0].Name.O]; t != nil && t.AutoIncrement != nil {
		return t
	}
	return nil
}

// shardedTable checks a statement on a sharded keyspace names one table of its
// VSchema and keeps what routing needs.
func shardedTable(plan *Plan, stmt ast.StmtNode, tables []*ast.TableName, ks *conf.Keyspace) error {
	var t *conf.Table
	isSelect, multiTable := false, false
	switch s := stmt.(type) {
	case *ast.SelectStmt, *ast.SetOprStmt:
		isSelect = true
	case *ast.UpdateStmt:
		multiTable = s.MultipleTable || s.TableRefs != nil && s.TableRefs.TableRefs != nil && s.TableRefs.TableRefs.Right != nil
	case *ast.DeleteStmt:
		multiTable = s.IsMultiTable
	}
	var all []*conf.Table
	for _, ref := range tables {
		found, err := ks.FindTable(ref.Name.O)
		if err != nil {
			return sqlerr.New(1146, "42S02", "Table '%s.%s' doesn't exist in the VSchema", ks.Name, ref.Name.O)
		}
		// (Checked at the first table after the target: co-location is the
		// whole statement's.)
		if t != nil && !isSelect && !multiTable && len(all) == 1 && !colocatedSubqueries(stmt, ks) {
			// The subquery would read the rows of the shards the write goes
			// to, not the whole table: only those of its own rows' shards
			// will do.
			return sqlerr.Unsupported("a %s reading table %s of sharded keyspace %s in a subquery", plan.Kind, t.Name, ks.Name)
		}
		if t == nil {
			t = found
		}
		all = append(all, found)
	}
	if multiTable {
		if err := checkMultiTable(plan, stmt, all); err != nil {
			return err
		}
	}
	// A SELECT reading its keyspace more than once (joins, subqueries,
	// derived tables), or an UPDATE/DELETE of several tables, runs as one
	// query only where every read is pinned to the same shard or the tables
	// are co-located (see planJoin).
	if _, ok := stmt.(*ast.SelectStmt); ok {
		plan.Joined = len(tables) > 1 || hasSubquery(stmt)
	}
	plan.Joined = plan.Joined || multiTable
	if len(t.ColumnVindexes) == 0 {
		return sqlerr.Unsupported("table %s of sharded keyspace %s without a vindex (%s table)", t.Name, ks.Name, t.Type)
	}
	plan.Table, plan.Stmt = t, stmt
	plan.Assigns = strings.Contains(plan.Query, ":=") && assignsVariable(stmt)
	plan.Leading = leadingComments(plan.Query)
	if plan.Joined {
		sel := joinedSelect(stmt)
		if sel == nil {
			return sqlerr.Unsupported("joins outside SELECT, UPDATE and DELETE")
		}
		plan.router = planJoin(sel, ks)
	} else {
		plan.router = planRoute(stmt, t)
	}
	switch s := stmt.(type) {
	case *ast.UpdateStmt:
		switch cv := changesVindexColumn(s, t); {
		case cv == nil:
		case cv == t.Primary():
			// A value the engine checks keeps each row's keyspace id.
			if !assignsPrimaryValue(s, t, plan.Mode) {
				return sqlerr.PrimaryVindexUpdate(cv.Name)
			}
		case !cv.Owned:
			return sqlerr.Unsupported("UPDATE of column %s of table %s: its vindex %s is not owned by the table", cv.Columns[0], t, cv.Name)
		}
	}
	return nil
}

// checkMultiTable refuses the multi-table UPDATE/DELETE the shards cannot run
// as written: one of a table owning lookup vindexes (its lookup rows would
// have to follow) or setting a vindex column (the row would have to move).
func checkMultiTable(plan *Plan, stmt ast.StmtNode, tables []*conf.Table) error {
	for _, t := range tables {
		if len(t.Owned) > 0 {
			return sqlerr.Unsupported("a multi-table %s with table %s, which owns lookup vindexes", plan.Kind, t.Name)
		}
	}
	if upd, ok := stmt.(*ast.UpdateStmt); ok {
		for _, a := range upd.List {
			for _, t := range tables {
				if cvs := t.VindexesOn(a.Column.Name.O); len(cvs) > 0 {
					return sqlerr.Unsupported("a multi-table UPDATE setting %s, a column of vindex %s of table %s", a.Column.Name.O, cvs[0].Name, t.Name)
				}
			}
		}
	}
	return nil
}

// keyspaceOf resolves a table name: by qualifier, by the session's keyspace,
// or by a table name unique across keyspaces. nil means a system schema.
func (p *Planner) keyspaceOf(tn *ast.TableName, sess Session) (*conf.Keyspace, error) {
	if q := tn.Schema.O; q != "" {
		if ks, ok := p.Topo.Keyspaces[q]; ok {
			return ks, nil
		}
		if systemSchemas[strings.ToLower(q)] {
			return nil, nil
		}
		return nil, sqlerr.UnknownDatabase(q)
	}
	if sess.Keyspace != "" {
		ks, ok := p.Topo.Keyspaces[sess.Keyspace]
		if !ok {
			return nil, sqlerr.UnknownDatabase(sess.Keyspace)
		}
		return ks, nil
	}
	if sess.SystemSchema != "" {
		return nil, nil // a table of the session's system schema
	}
	t, err := p.Topo.FindTable("", tn.Name.O)
	if err != nil {
		return nil, errNoDatabase(tn.Name.O, err)
	}
	return t.Keyspace, nil
}

// assignsVariable: n assigns a user variable (@v := …).
func assignsVariable(n ast.Node) bool {
	return contains(n, func(n ast.Node) bool {
		v, ok := n.(*ast.VariableExpr)
		return ok && !v.IsSystem && v.Value != nil
	})
}

// planSet recognises the SET statements the sidecar keeps in the session
// rather than on a backend connection.
func (p *Planner) planSet(plan *Plan) {
	// SET NAMES is read by hand: the parser rejects ProxySQL's quoted
	// collation (SET NAMES utf8mb4 COLLATE 'utf8mb4_general_ci').
	w, rest := nextWord(afterWord(plan.Query))
	if w == "character" {
		w, _ = nextWord(rest)
	}
	if w == "names" || w == "set" || w == "charset" {
		plan.Local = SetNames
		plan.Value = bareStatement(plan.Query)
		return
	}
	stmt, err := parse(plan.Query, plan.Mode)
	set, ok := stmt.(*ast.SetStmt)
	if err != nil || !ok || len(set.Variables) == 0 {
		return
	}
	plan.SetVars = literalSet(set)
	if plan.SetVars == nil {
		plan.Variables = userVariables(set)
	}
	if w == "transaction" {
		// Without SESSION or GLOBAL: for the next transaction alone. A
		// characteristic given twice, which the parser takes and MariaDB
		// does not, goes to a backend for its error.
		if vs := set.Variables; len(vs) == 1 || len(vs) == 2 && vs[0].Name != vs[1].Name {
			plan.Local = SetNextTransaction
			plan.Value = bareStatement(plan.Query)
		}
		return
	}
	if len(set.Variables) > 1 {
		// The session keeps autocommit: it is taken out, the rest goes on.
		for i, v := range set.Variables {
			if !assignsSession(v, "autocommit") {
				continue
			}
			if val, ok := boolValue(v.Value); ok {
				plan.Local, plan.Value = SetAutocommit, val
				rest := *set
				rest.Variables = slices.Delete(slices.Clone(set.Variables), i, i+1)
				plan.SetRest = printStmt("", &rest, nil, plan.Mode)
			}
			return
		}
		return
	}
	v := set.Variables[0]
	if !v.IsSystem || v.IsGlobal || v.IsInstance {
		return // a user variable (@autocommit), or not the session's
	}
	switch strings.ToLower(v.Name) {
	case "autocommit":
		if val, ok := boolValue(v.Value); ok {
			plan.Local = SetAutocommit
			plan.Value = val
		}
	case "wait_timeout":
		if val, ok := v.Value.(*driver.ValueExpr); ok && (val.Kind() == driver.KindInt64 || val.Kind() == driver.KindUint64) {
			plan.Local = SetWaitTimeout
			plan.Value = strconv.FormatUint(val.GetUint64(), 10)
		}
	}
}

// literalSet returns the variables set assigns (VariableKey, @@ before a
// system variable's name, @ before a user variable's) when it gives each a
// literal or DEFAULT: run again after other such SETs, it leaves what it
// left the first time, as they read nothing it assigns. nil for any other
// SET; for one of sql_mode or a character set, which change how the text of
// later SETs reads; and for one of the variables an assignment changes only
// in part (optimizer_switch='mrr=on' keeps the other flags; optimizer_trace,
// debug_dbug alike).
func literalSet(set *ast.SetStmt) []string {
	vars := make([]string, 0, len(set.Variables))
	for _, v := range set.Variables {
		name := VariableKey(v.Name)
		if v.IsSystem {
			if v.IsGlobal || v.IsInstance {
				return nil
			}
			for _, word := range []string{"mode", "char", "collation", "switch", "trace", "debug"} {
				if strings.Contains(name, word) {
					return nil
				}
			}
			name = "@@" + name
		} else {
			name = "@" + name
		}
		value := v.Value
		if neg, ok := value.(*ast.UnaryOperationExpr); ok && neg.Op == opcode.Minus {
			value = neg.V
		}
		switch value.(type) {
		case *driver.ValueExpr, *ast.DefaultExpr:
		default:
			return nil
		}
		vars = append(vars, name)
	}
	return vars
}

// userVariables are the user variables set assigns, as a SELECT reads them
// (@n, @`a b`), when it assigns nothing else and not each a literal: the
// session keeps their values rather than the statement, which would read
// other variables again on each connection it is replayed on, and grow the
// session's SETs by one for each SET @n = @n + 1.
func userVariables(set *ast.SetStmt) []string {
	vars := make([]string, len(set.Variables))
	for i, v := range set.Variables {
		if v.IsSystem || v.Value == nil {
			return nil
		}
		vars[i] = "@" + v.Name
		if needsQuotes(v.Name) {
			vars[i] = "@" + vindex.QuoteIdent(v.Name)
		}
	}
	return vars
}

// UserVariableKey is the key (see literalSet) of a user variable as a
// statement writes it: @n, or @`n` (backticks, whose quoting does not
// count); any other quotes stay in the key.
func UserVariableKey(written string) string {
	name := strings.TrimPrefix(written, "@")
	if q, ok := strings.CutPrefix(name, "`"); ok && len(q) > 0 && strings.HasSuffix(q, "`") {
		name = strings.ReplaceAll(q[:len(q)-1], "``", "`")
	}
	return "@" + VariableKey(name)
}

// VariableKey is a variable's name as MariaDB tells names apart: A-Z fold
// to a-z, any other letter stays itself (@K, KELVIN SIGN, is not @k).
func VariableKey(name string) string {
	b := []byte(name)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// bareStatement is sql without the comments before it and the blanks and
// semicolons around it: a statement the session keeps to send again.
func bareStatement(sql string) string {
	return strings.TrimRight(strings.TrimSpace(StripLeadingComments(sql)), "; \t\r\n")
}

// assignsSession: v assigns the session's system variable name.
func assignsSession(v *ast.VariableAssignment, name string) bool {
	return v.IsSystem && !v.IsGlobal && !v.IsInstance && strings.EqualFold(v.Name, name)
}

// routeReads routes a SET or DO whose values read tables (SET @n :=
// (SELECT count(*) FROM t)) to their keyspace: an unsharded one's shard
// answers it; a sharded one's shard would read only its own rows, so it is
// refused. A DO reading no table but information_schema's begins no
// transaction (DO 1, DO SLEEP(1)).
func (p *Planner) routeReads(plan *Plan, sess Session) (*Plan, error) {
	stmt, err := parse(plan.Query, sess.Mode)
	if err != nil {
		return plan, nil // the backend says what is wrong with it
	}
	refs := tablesOf(stmt)
	plan.NoTransaction = plan.Kind == KindDo && !slices.ContainsFunc(refs, func(ref *ast.TableName) bool {
		return !noTransactionSchema(cmp.Or(ref.Schema.L, strings.ToLower(sess.SystemSchema)))
	})
	what := strings.ToUpper(plan.Kind.String())
	var read *conf.Keyspace
	qualifier := "" // the keyspace's name, where its database is named otherwise
	for _, ref := range refs {
		ks, err := p.keyspaceOf(ref, sess)
		if err != nil {
			return nil, err
		}
		switch {
		case ks == nil: // a system schema: any backend reads it
		case ks.Sharded:
			return nil, sqlerr.Unsupported("a %s reading table %s of sharded keyspace %s: read the value with a SELECT first", what, ref.Name.O, ks.Name)
		case plan.Kind == KindSet && len(plan.Variables) == 0:
			// Kept as written, it would be replayed on every connection the
			// session opens, where the table may not be (ERROR 1146 for
			// every later statement); user variables are read back instead.
			return nil, sqlerr.Unsupported("a SET of system variables reading table %s of keyspace %s: read the value with a SELECT first", ref.Name.O, ks.Name)
		case read != nil && read != ks:
			return nil, sqlerr.Unsupported("a %s reading tables of several keyspaces (%s and %s)", what, read.Name, ks.Name)
		default:
			read, plan.Keyspace = ks, ks
			if q := ref.Schema.O; q != "" && q != ks.Shards[0].Database {
				qualifier = q
			}
		}
	}
	if qualifier != "" {
		// As routeByTables does: the shard connection has its database selected.
		text, ok := dropQualifiers(plan.Query, qualifier, dropSchema(stmt, qualifier))
		if !ok {
			return nil, sqlerr.Unsupported("a %s naming tables of keyspace %s as %s.table where the sidecar cannot drop the qualifier", what, read.Name, qualifier)
		}
		plan.Query = text
	}
	return plan, nil
}

// boolValue reads 0/1/ON/OFF/TRUE/FALSE as "0" or "1".
func boolValue(e ast.ExprNode) (string, bool) {
	var s string
	switch v := e.(type) {
	case *driver.ValueExpr:
		switch v.Kind() {
		case driver.KindInt64, driver.KindUint64:
			s = strconv.FormatInt(v.GetInt64(), 10)
		case driver.KindString:
			s = v.GetString()
		default:
			return "", false
		}
	case *ast.ColumnNameExpr:
		s = v.Name.Name.O
	case *ast.DefaultExpr:
		s = "1" // autocommit's default
	default:
		return "", false
	}
	switch strings.ToLower(s) {
	case "1", "on", "true":
		return "1", true
	case "0", "off", "false":
		return "0", true
	}
	return "", false
}

// localSelect recognises the no-table SELECTs clients send on connect.
// soleItem is the one item of a SELECT of it alone (no FROM, WHERE or GROUP
// BY: SELECT @@autocommit, SELECT DATABASE()), and its column's name.
func soleItem(sql string) (ast.ExprNode, string) {
	stmt, err := parse(sql, SQLMode{})
	if err != nil {
		return nil, ""
	}
	sel, ok := stmt.(*ast.SelectStmt)
	if !ok || sel.Fields == nil || len(sel.Fields.Fields) != 1 || sel.Where != nil || sel.GroupBy != nil || sel.From != nil {
		return nil, ""
	}
	f := sel.Fields.Fields[0]
	col := f.AsName.O
	if col == "" {
		if texts := selectListTexts(sql); len(texts) == 1 {
			col = texts[0]
		}
	}
	return f.Expr, col
}

// sessionVariable is the lower-cased name of the session system variable e
// reads, "" if it reads no such variable.
func sessionVariable(e ast.ExprNode) string {
	if v, ok := e.(*ast.VariableExpr); ok && v.IsSystem && !v.IsGlobal {
		return strings.ToLower(v.Name)
	}
	return ""
}

func localSelect(sql string) (Local, string) {
	if !ContainsFold(sql, "version_comment") && !ContainsFold(sql, "database()") && !ContainsFold(sql, "last_insert_id()") && !ContainsFold(sql, "autocommit") {
		return NotLocal, ""
	}
	expr, col := soleItem(sql)
	switch e := expr.(type) {
	case *ast.VariableExpr:
		switch sessionVariable(e) {
		case "version_comment":
			return VersionComment, col
		case "autocommit":
			return Autocommit, col
		}
	case *ast.FuncCallExpr:
		if len(e.Args) != 0 {
			return NotLocal, ""
		}
		switch e.FnName.L {
		case "database", "schema":
			return Database, col
		case "last_insert_id":
			return LastInsertID, col
		}
	}
	return NotLocal, ""
}

func errNoDatabase(table string, cause error) *sqlerr.Error {
	return sqlerr.New(1046, "3D000", "No database selected: %s (use a keyspace or qualify %q)", cause, table)
}

func errSyntax(err error) *sqlerr.Error {
	return sqlerr.Syntax("You have an error in your SQL syntax (sidecar parser): %s", err)
}

// cutUnparsed cuts out of sql a clause the parser does not know, so the rest
// can be planned: MariaDB's RETURNING of INSERT, REPLACE and DELETE, and
// SELECT … INTO @v (either place). tail is the clause with a leading blank,
// to write after a printed statement (both places read alike).
func cutUnparsed(sql string, kind Kind) (text, tail, clause string, ok bool) {
	toks := scanTokens(sql)
	depth := 0
	for i, t := range toks {
		switch t.word {
		case "(":
			depth++
		case ")":
			depth--
		case "returning":
			if depth == 0 && (kind == KindInsert || kind == KindReplace || kind == KindDelete) {
				end := strings.TrimRight(sql, "; \t\r\n")
				return sql[:t.start], " " + sql[t.start:len(end)], "RETURNING", true
			}
		case "rows": // MariaDB's LIMIT [n] ROWS EXAMINED m
			if depth != 0 || kind != KindSelect || i+2 >= len(toks) || toks[i+1].word != "examined" || !isDigits(sql[toks[i+2].start:toks[i+2].end]) {
				continue
			}
			start, end := t.start, toks[i+2].end
			if i > 0 && toks[i-1].word == "limit" {
				start = toks[i-1].start
			}
			return sql[:start] + sql[end:], lastTail(sql, start, end), "LIMIT ROWS EXAMINED", true
		case "procedure": // PROCEDURE ANALYSE(…), to its closing parenthesis
			if depth != 0 || kind != KindSelect || i+2 >= len(toks) || toks[i+2].word != "(" {
				continue
			}
			for k, open := i+2, 0; k < len(toks); k++ {
				switch toks[k].word {
				case "(":
					open++
				case ")":
					if open--; open == 0 {
						return sql[:t.start] + sql[toks[k].end:], lastTail(sql, t.start, toks[k].end), "PROCEDURE", true
					}
				}
			}
		case "into":
			if depth != 0 || kind != KindSelect || i+1 >= len(toks) || sql[toks[i+1].start] != '@' {
				continue
			}
			end := toks[i+1].end
			for k := i + 2; k+1 < len(toks) && toks[k].word == "," && sql[toks[k+1].start] == '@'; k += 2 {
				end = toks[k+1].end
			}
			return sql[:t.start] + sql[end:], " " + sql[t.start:end], "INTO @variable", true
		}
	}
	return "", "", "", false
}

// lastTail is sql's clause from start to end as a Tail, written back after
// the printed statement, when nothing but blanks and semicolons follows it;
// "" otherwise (a printed statement then cannot be sent: see
// routeByTables).
func lastTail(sql string, start, end int) string {
	if strings.TrimRight(sql[end:], "; \t\r\n") != "" {
		return ""
	}
	return " " + sql[start:end]
}

// lockWithoutAliases is LOCK TABLES without its table aliases (t AS a READ,
// t a READ), which the parser does not know, for planning: the tables it
// names are what routes it, and the text sent keeps the aliases.
func lockWithoutAliases(sql string) (string, bool) {
	toks := scanTokens(sql)
	if len(toks) < 3 || toks[0].word != "lock" || (toks[1].word != "tables" && toks[1].word != "table") {
		return "", false
	}
	var b strings.Builder
	from, cut := 0, false
	drop := func(t token) {
		b.WriteString(sql[from:t.start])
		from, cut = t.end, true
	}
	for i := 2; i < len(toks); {
		i++ // the table name
		for i+1 < len(toks) && toks[i].word == "." {
			i += 2
		}
		if i+1 < len(toks) && toks[i].word == "as" {
			drop(toks[i])
			drop(toks[i+1])
			i += 2
		} else if i < len(toks) && toks[i].isName() && toks[i].word != "read" && toks[i].word != "write" && toks[i].word != "low_priority" {
			drop(toks[i])
			i++
		}
		for i < len(toks) && toks[i].word != "," {
			i++
		}
		i++
	}
	b.WriteString(sql[from:])
	return b.String(), cut
}

// AsSent is the statement as the client sent it, when it can go to a shard
// as it is: "" for a prepared statement, whose arguments must be written in.
func (p *Plan) AsSent() string {
	if p.Prepared {
		return ""
	}
	return p.Query
}
