package planner

import (
	"cmp"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	driver "github.com/pingcap/tidb/pkg/parser/test_driver"

	"sidecar/conf"
	"sidecar/sqlerr"
	"sidecar/vindex"
)

// SHOW, DESCRIBE and EXPLAIN read a keyspace's schema, which is the same on
// every shard of it, so one shard answers them. The keyspace they name
// (SHOW TABLES FROM customer, DESCRIBE customer.corder) chooses where they go,
// and is replaced by that shard's own database: the backend knows no keyspace.
// They are never parsed into a tree and printed back (the parser prints SHOW
// lossily): only the names are replaced in the client's text.

// planSchemaRead routes SHOW and DESCRIBE <table> by the keyspace they name,
// or else to the session's keyspace.
func (p *Planner) planSchemaRead(plan *Plan, sess Session) (*Plan, error) {
	plan, err := p.routeByNames(plan, sess, schemaNames(scanTokens(plan.Query)))
	if err != nil || plan.Keyspace == nil {
		return plan, err
	}
	plan.Query = renameTablesInColumn(plan.Query, plan.Keyspace)
	return plan, nil
}

// renameTablesInColumn names SHOW TABLES' column in a WHERE as the shard
// that answers (its first) names it: the client knows Tables_in_shop, the
// shard Tables_in_shop_lo (the result's column is renamed back).
func renameTablesInColumn(sql string, ks *conf.Keyspace) string {
	db := ks.Shards[0].Database
	if db == ks.Name || !ContainsFold(sql, "tables_in_") {
		return sql
	}
	var b strings.Builder
	done := 0
	for _, t := range scanTokens(sql) {
		if t.isName() && strings.EqualFold(t.name, "Tables_in_"+ks.Name) {
			b.WriteString(sql[done:t.start])
			b.WriteString(vindex.QuoteIdent("Tables_in_" + db))
			done = t.end
		}
	}
	if done == 0 {
		return sql
	}
	b.WriteString(sql[done:])
	return b.String()
}

// planExplain routes EXPLAIN <statement> where the statement itself would go,
// to one shard of its keyspace: every shard runs the same plan over its own
// rows (Vitess sends EXPLAIN to any shard). EXPLAIN <table> is DESCRIBE.
func (p *Planner) planExplain(plan *Plan, sess Session) (*Plan, error) {
	toks := scanTokens(plan.Query)
	i, analyze := explainedStatement(toks)
	if i < 0 {
		return p.planSchemaRead(plan, sess)
	}
	inner, err := p.plan(plan.Query[toks[i].start:], sess)
	if err != nil {
		return nil, err
	}
	if analyze && inner.Kind != KindSelect {
		// MySQL's EXPLAIN ANALYZE runs the statement: a write would bypass
		// the vindexes on whichever shard got it.
		return nil, sqlerr.Unsupported("EXPLAIN ANALYZE of %s statements", inner.Kind)
	}
	if inner.Local != NotLocal || inner.Keyspace == nil {
		return p.routeToSession(plan, sess)
	}
	if inner.Engine && inner.SystemRead {
		return p.routeToSession(plan, sess) // SCHEMATA: the backend's plan, as MariaDB's
	}
	if inner.Engine {
		// No shard has all its tables; VEXPLAIN shows the engine's plan.
		return nil, sqlerr.Unsupported("EXPLAIN of a statement across keyspaces: VEXPLAIN shows how the sidecar answers it")
	}
	plan.Keyspace = inner.Keyspace
	plan.Query = plan.Query[:toks[i].start] + inner.Query
	return plan, nil
}

// planLoad routes LOAD DATA | XML … INTO TABLE t by t's keyspace. Rows of a
// sharded table would each need their vindexes: it is refused there.
func (p *Planner) planLoad(plan *Plan, sess Session) (*Plan, error) {
	toks := scanTokens(plan.Query)
	var refs schemaRefs
	for i := 0; i+2 < len(toks); i++ {
		if toks[i].word != "into" || toks[i+1].word != "table" {
			continue
		}
		if t := toks[i+2]; i+4 < len(toks) && toks[i+3].word == "." && toks[i+4].isName() {
			refs = schemaRefs{databases: []token{t}, table: toks[i+4].name}
		} else {
			refs.table = t.name
		}
		break
	}
	plan, err := p.routeByNames(plan, sess, refs)
	if err != nil {
		return nil, err
	}
	if ks := plan.Keyspace; ks != nil && ks.Sharded {
		return nil, sqlerr.Unsupported("LOAD DATA into sharded keyspace %s (its rows need their vindexes: load them with INSERT)", ks.Name)
	}
	return plan, nil
}

// explainedStatement finds the statement an EXPLAIN explains, past its
// options (EXTENDED, PARTITIONS, FORMAT=…, ANALYZE): the index of its first
// token, or -1 for EXPLAIN <table>.
func explainedStatement(toks []token) (int, bool) {
	analyze := false
	for i := 1; i < len(toks); i++ {
		switch toks[i].word {
		case "select", "with", "insert", "replace", "update", "delete", "(":
			return i, analyze
		case "analyze":
			analyze = true
		case "extended", "partitions", "format", "=", "json", "tree", "traditional":
		default:
			return -1, false
		}
	}
	return -1, false
}

// routeByNames sends a schema statement to the keyspace its names refer to
// (a statement naming two keyspaces is refused), with each keyspace name
// replaced by the database of the shard that answers. Without a keyspace named
// or in use, an unqualified table is looked up in the VSchemas, as a SELECT's.
func (p *Planner) routeByNames(plan *Plan, sess Session, names schemaRefs) (*Plan, error) {
	var target *conf.Keyspace
	var b strings.Builder
	done := 0
	for _, n := range names.databases {
		ks, ok := p.Topo.Keyspaces[n.name]
		if !ok {
			continue // a system schema, or a database only the backend knows
		}
		if target != nil && target != ks {
			return nil, sqlerr.Unsupported("a statement across keyspaces (%s and %s)", target.Name, ks.Name)
		}
		target = ks
		if db := ks.Shards[0].Database; db != n.name {
			b.WriteString(plan.Query[done:n.start])
			b.WriteString(vindex.QuoteIdent(db))
			done = n.end
		}
	}
	if target == nil && sess.Keyspace == "" && names.table != "" {
		t, err := p.Topo.FindTable("", names.table)
		if err != nil {
			return nil, errNoDatabase(names.table, err)
		}
		target = t.Keyspace
	}
	if target == nil {
		return p.routeToSession(plan, sess)
	}
	if done > 0 {
		b.WriteString(plan.Query[done:])
		plan.Query = b.String()
	}
	plan.Keyspace = target
	return plan, nil
}

// schemaRefs are the names of a SHOW or DESCRIBE statement that say where it
// goes.
type schemaRefs struct {
	databases []token // qualifiers (db.t) and FROM|IN db
	table     string  // a table named without a qualifier or FROM db
}

// schemaNames finds the database and table names of a SHOW or DESCRIBE
// statement: the qualifier of db.table, the db of FROM|IN db, and the table of
// DESCRIBE t or SHOW COLUMNS|FIELDS|INDEX|INDEXES|KEYS FROM t [FROM db]. LIKE
// and WHERE end the search: what follows is a pattern or a condition.
func schemaNames(toks []token) schemaRefs {
	var refs schemaRefs
	if len(toks) < 2 {
		return refs
	}
	i := 1
	tableNext := toks[0].word != "show" // DESCRIBE t
	if !tableNext {
		for i < len(toks) && (toks[i].word == "full" || toks[i].word == "extended") {
			i++
		}
		if i < len(toks) {
			switch toks[i].word {
			case "columns", "fields", "index", "indexes", "keys":
				i++
				if i < len(toks) && (toks[i].word == "from" || toks[i].word == "in") {
					i++
					tableNext = true
				}
			case "create":
				// SHOW CREATE DATABASE [IF NOT EXISTS] db (mariadb-dump
				// --databases writes IF NOT EXISTS)
				j := i + 2
				if j+3 < len(toks) && toks[j].word == "if" && toks[j+1].word == "not" && toks[j+2].word == "exists" {
					j += 3
				}
				if j < len(toks) && (toks[i+1].word == "database" || toks[i+1].word == "schema") && toks[j].isName() {
					refs.databases = append(refs.databases, toks[j])
					return refs
				}
			}
		}
	}
	for ; i < len(toks); i++ {
		t := toks[i]
		switch {
		case t.word == "like" || t.word == "where":
			return refs
		case t.isName() && i+2 < len(toks) && toks[i+1].word == "." && toks[i+2].isName():
			refs.databases = append(refs.databases, t)
			i += 2
		case tableNext && t.isName():
			refs.table = t.name
		case (t.word == "from" || t.word == "in") && i+1 < len(toks) && toks[i+1].isName():
			if i+2 >= len(toks) || toks[i+2].word != "." {
				refs.databases = append(refs.databases, toks[i+1])
				refs.table = "" // SHOW COLUMNS FROM t FROM db: t is in db
				i++
			}
		}
		tableNext = false
	}
	return refs
}

// token is one token of a statement, with where it is in the text.
type token struct {
	// word is the lower-cased text of a keyword, an unquoted name or a
	// punctuation mark; "" for a quoted name, a string or a number.
	word string
	// name is the identifier the token could be, unquoted: "" for
	// punctuation, strings and numbers.
	name       string
	start, end int
}

func (t token) isName() bool { return t.name != "" }

// scanTokens splits sql into tokens, dropping comments. A statement with an
// executable comment (/*! … */) gives no tokens: what the server reads in it
// depends on its version, so nothing in it is renamed.
func scanTokens(sql string) []token {
	if strings.Contains(sql, "/*!") {
		return nil
	}
	var toks []token
	for i := skipSpace(sql, 0); i < len(sql); i = skipSpace(sql, i) {
		start, c := i, sql[i]
		t := token{start: start}
		switch {
		case c == '`':
			i = skipQuoted(sql, i)
			t.name = strings.ReplaceAll(strings.TrimSuffix(sql[start+1:i], "`"), "``", "`")
		case c == '\'' || c == '"':
			i = skipQuoted(sql, i)
		case isLetter(c) || c == '_' || c >= 0x80:
			i = len(sql) - len(strings.TrimLeftFunc(sql[i:], func(r rune) bool { return r < 0x80 && isIdentChar(byte(r)) || r >= 0x80 }))
			t.word, t.name = lowerASCII(sql[start:i]), sql[start:i] // a keyword, or a name: only where it stands tells
		case c >= '0' && c <= '9':
			for i < len(sql) && (isIdentChar(sql[i]) || sql[i] == '.') {
				i++
			}
		case c == '@':
			for i++; i < len(sql) && (isIdentChar(sql[i]) || sql[i] == '@' || sql[i] == '.'); i++ {
			}
		default:
			i++
			t.word = sql[start:i]
		}
		t.end = i
		toks = append(toks, t)
	}
	return toks
}

// routeSystemSchemaRead routes a statement on the backend's own schemas.
// information_schema describes the backend's databases, so a condition on a
// keyspace (WHERE table_schema = 'customer', as GUI tools and ORMs ask) would
// match nothing: the statement goes to that keyspace instead, asking for its
// shard's database. Anything else goes to the session's keyspace.
// likeEscaper writes a name as a LIKE pattern that matches it alone.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// noTransactionSchema: reading the tables of schema (lowercase) begins no
// transaction, as they are no InnoDB tables.
func noTransactionSchema(schema string) bool {
	return schema == "information_schema" || schema == "performance_schema"
}

func (p *Planner) routeSystemSchemaRead(plan *Plan, stmt ast.StmtNode, sess Session) (*Plan, error) {
	plan.SystemRead, plan.NoTransaction = true, true
	for _, t := range tablesOf(stmt) {
		if !noTransactionSchema(cmp.Or(t.Schema.L, strings.ToLower(sess.SystemSchema))) {
			plan.NoTransaction = false
		}
	}
	if plan.Unparsed == "" && readsSchemataOnly(stmt, sess) {
		if c := serverComment(plan.Query, sess.Mode); c != "" {
			return nil, sqlerr.Unsupported("a server-dependent comment (%s … */) in a read of information_schema.SCHEMATA, which the sidecar evaluates by what it reads", c)
		}
		// One backend's SCHEMATA lists its databases, which are shards'
		// (or other keyspaces' on other backends): the engine lists the
		// keyspaces instead (see gatherRef.schemata).
		plan.Keyspace, plan.Stmt, plan.Engine = p.evaluatingKeyspace(sess), stmt, true
		return plan, nil
	}
	var target *conf.Keyspace
	var err error
	names := map[*driver.ValueExpr]string{}
	walk(stmt, func(node ast.Node) bool {
		var col ast.ExprNode
		var vals []ast.ExprNode
		like := false // the database's name goes in as a LIKE pattern
		switch cmp := node.(type) {
		case *ast.BinaryOperationExpr:
			if cmp.Op != opcode.EQ {
				return true
			}
			col, vals = cmp.L, []ast.ExprNode{cmp.R}
			if isSchemaColumn(cmp.R) { // 'shop' = table_schema
				col, vals = cmp.R, []ast.ExprNode{cmp.L}
			}
		case *ast.PatternInExpr:
			if cmp.Not || cmp.Sel != nil {
				return true
			}
			col, vals = cmp.Expr, cmp.List
		case *ast.PatternLikeOrIlikeExpr:
			// table_schema LIKE 'shop' (PHP frameworks write it so): a
			// pattern without wildcards names one schema, as = does.
			lit, ok := cmp.Pattern.(*driver.ValueExpr)
			if cmp.Not || !cmp.IsLike || cmp.EscapeExplicit || !ok || lit.Kind() != driver.KindString || strings.ContainsAny(lit.GetString(), `%_\`) {
				return true
			}
			col, vals, like = cmp.Expr, []ast.ExprNode{cmp.Pattern}, true
		default:
			return err == nil
		}
		if !isSchemaColumn(col) {
			return true
		}
		for _, v := range vals {
			if param, ok := v.(*paramExpr); ok {
				plan.SchemaParams = append(plan.SchemaParams, param.n)
				continue
			}
			lit, ok := v.(*driver.ValueExpr)
			if !ok || lit.Kind() != driver.KindString {
				continue
			}
			ks, ok := p.Topo.Keyspaces[lit.GetString()]
			if !ok {
				continue
			}
			if target != nil && target != ks {
				err = sqlerr.Unsupported("a statement across keyspaces (%s and %s)", target.Name, ks.Name)
				return false
			}
			target = ks
			names[lit] = ks.Shards[0].Database
			if like {
				names[lit] = likeEscaper.Replace(names[lit])
			}
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	if target == nil {
		return p.routeToSession(plan, sess)
	}
	plan.Keyspace, plan.schemaNamed = target, target
	if sel, ok := stmt.(*ast.SelectStmt); ok && sel.Fields != nil {
		// Printed again, each item keeps the name MySQL gives it.
		sel.Fields.Fields = namedItems(sel, plan.Query)
	}
	if sess.SystemSchema != "" {
		// It runs in the keyspace's shard database now: the tables the
		// client names without a schema are the current schema's (not its
		// common table expressions).
		ctes := map[string]bool{}
		walk(stmt, func(n ast.Node) bool {
			if c, ok := n.(*ast.CommonTableExpression); ok {
				ctes[c.Name.L] = true
			}
			return true
		})
		walk(stmt, func(n ast.Node) bool {
			if t, ok := n.(*ast.TableName); ok && t.Schema.L == "" && !ctes[t.Name.L] {
				t.Schema = ast.NewCIStr(sess.SystemSchema)
			}
			return true
		})
	}
	stmt.Accept(&replacer{leave: func(n ast.Node) ast.Node {
		if lit, ok := n.(*driver.ValueExpr); ok {
			if db, ok := names[lit]; ok {
				return literal(vindex.Value{Kind: vindex.VarChar, Raw: []byte(db)})
			}
		}
		return n
	}})
	plan.Query = printStmt(leadingComments(plan.Query), stmt, nil, sess.Mode)
	return plan, nil
}

// readsSchemataOnly: stmt is a SELECT whose only table is
// information_schema.SCHEMATA (besides its common table expressions).
func readsSchemataOnly(stmt ast.StmtNode, sess Session) bool {
	switch stmt.(type) {
	case *ast.SelectStmt, *ast.SetOprStmt:
	default:
		return false
	}
	ctes := map[string]bool{}
	walk(stmt, func(n ast.Node) bool {
		if c, ok := n.(*ast.CommonTableExpression); ok {
			ctes[c.Name.L] = true
		}
		return true
	})
	tables := 0
	walk(stmt, func(n ast.Node) bool {
		tn, ok := n.(*ast.TableName)
		switch {
		case !ok || tn.Schema.L == "" && ctes[tn.Name.L]:
		case isSchemata(tn, sess):
			tables++
		default:
			tables = -1
			return false
		}
		return true
	})
	return tables > 0
}

// isSchemata: tn is information_schema.SCHEMATA.
func isSchemata(tn *ast.TableName, sess Session) bool {
	schema := tn.Schema.L
	if schema == "" {
		schema = strings.ToLower(sess.SystemSchema)
	}
	return schema == "information_schema" && tn.Name.L == "schemata"
}

// evaluatingKeyspace is where a statement reading no keyspace's tables is
// evaluated: the session's keyspace, else the first unsharded one, else the
// first.
func (p *Planner) evaluatingKeyspace(sess Session) *conf.Keyspace {
	if ks := p.Topo.Keyspaces[sess.Keyspace]; ks != nil {
		return ks
	}
	for _, name := range p.Topo.Names {
		if ks := p.Topo.Keyspaces[name]; !ks.Sharded {
			return ks
		}
	}
	return p.Topo.Keyspaces[p.Topo.Names[0]]
}

// SchemaTarget is the keyspace a prepared read of the backend's own schemas
// is about, by its arguments (SchemaParams), and the arguments that name it;
// nil when none names a keyspace. Arguments naming two keyspaces, or another
// one than the statement's text, are refused, as two names in the text are.
func (p *Planner) SchemaTarget(plan *Plan, args Args) (*conf.Keyspace, []int, error) {
	target := plan.schemaNamed
	var named []int
	for _, i := range plan.SchemaParams {
		if i >= len(args) || args[i].Kind != vindex.VarChar && args[i].Kind != vindex.VarBinary {
			continue
		}
		ks, ok := p.Topo.Keyspaces[string(args[i].Raw)]
		if !ok {
			continue
		}
		if target != nil && target != ks {
			return nil, nil, sqlerr.Unsupported("a statement across keyspaces (%s and %s)", target.Name, ks.Name)
		}
		target, named = ks, append(named, i)
	}
	if len(named) == 0 {
		return nil, nil, nil
	}
	return target, named, nil
}

// showDatabasesLike reads the LIKE pattern of SHOW DATABASES into Value and
// Escape, and names the column after it ("Database (sh%)"), as MySQL does.
func showDatabasesLike(plan *Plan, mode SQLMode) error {
	stmt, err := parse(plan.Query, mode)
	if err != nil {
		return errSyntax(err)
	}
	show, ok := stmt.(*ast.ShowStmt)
	switch {
	case !ok:
		return nil
	case show.Where != nil:
		return sqlerr.Unsupported("SHOW DATABASES WHERE")
	case show.Pattern == nil:
		return nil
	}
	lit, ok := show.Pattern.Pattern.(*driver.ValueExpr)
	if !ok || lit.Kind() != driver.KindString && lit.Kind() != driver.KindBytes {
		// MySQL takes a string literal only.
		return sqlerr.Syntax("You have an error in your SQL syntax near '%s'", nodeText(show.Pattern.Pattern))
	}
	plan.Value, plan.Escape = string(lit.GetBytes()), rune(show.Pattern.Escape)
	plan.Column = "Database (" + plan.Value + ")"
	return nil
}

// isSchemaColumn reports the information_schema columns that hold a
// database name: TABLE_SCHEMA, SCHEMA_NAME, CONSTRAINT_SCHEMA, …
func isSchemaColumn(e ast.ExprNode) bool {
	col, ok := e.(*ast.ColumnNameExpr)
	if !ok {
		return false
	}
	name := col.Name.Name.L
	return strings.HasSuffix(name, "_schema") || name == "schema_name"
}
