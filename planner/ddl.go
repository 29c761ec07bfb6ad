package planner

import (
	"strconv"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"sidecar/conf"
	"sidecar/sqlerr"
)

// A database is a keyspace, which the config declares, on databases of its
// shards' own names. So CREATE and DROP DATABASE change no backend: the
// sidecar answers them from its keyspaces, as one server answers from its
// databases, and refuses to make or drop one (as Vitess does without a
// provisioning plugin). Forwarded, they made stray databases on a backend,
// or dropped an unsharded keyspace's tables with a database of the same
// name. ALTER DATABASE alters each shard's own database: it goes to every
// shard without the name, and so applies to the database the shard's
// connection uses.

// planDatabaseDDL plans CREATE, DROP and ALTER {DATABASE | SCHEMA}; planned
// is false for any other statement.
func (p *Planner) planDatabaseDDL(plan *Plan, sess Session) (planned bool, err error) {
	text, plain := openVersionedComments(plan.Query)
	toks := scanTokens(text)
	if !plain || toks == nil {
		// Where the words are the server's to read, the sidecar still
		// knows what the statement is, and refuses it.
		if verb, _, ok := databaseStatement(strings.Fields(strings.ToLower(WithoutComments(plan.Query)))); ok {
			return true, sqlerr.Unsupported("%s DATABASE with a server-dependent comment (/*M! or /*!50700 and later) or one it cannot read", strings.ToUpper(verb))
		}
		return false, nil
	}
	words := make([]string, min(len(toks), 4))
	for j := range words {
		words[j] = toks[j].word
	}
	verb, i, ok := databaseStatement(words)
	if !ok {
		return false, nil
	}
	orReplace := i == 4
	ifExists := func(words ...string) bool {
		for j, w := range words {
			if i+j >= len(toks) || toks[i+j].word != w {
				return false
			}
		}
		i += len(words)
		return true
	}
	switch verb {
	case "create":
		ifNotExists := ifExists("if", "not", "exists")
		if i >= len(toks) || !toks[i].isName() {
			return true, errSyntax(errMissingDatabaseName)
		}
		name := toks[i].name
		if !p.isDatabase(name) {
			return true, sqlerr.Unsupported("CREATE DATABASE %s: a keyspace is declared in the sidecar's config, with its shards' databases made on the backends", name)
		}
		switch {
		case orReplace:
			return true, sqlerr.Unsupported("CREATE OR REPLACE DATABASE %s, which would drop keyspace %s's tables", name, name)
		case ifNotExists:
			plan.Local, plan.Note = DatabaseNote, databaseExists(name)
			return true, nil
		}
		plan.Local, plan.Note = DatabaseError, databaseExists(name)
		return true, nil
	case "drop":
		ifExists := ifExists("if", "exists")
		if i >= len(toks) || !toks[i].isName() {
			return true, errSyntax(errMissingDatabaseName)
		}
		name := toks[i].name
		if p.isDatabase(name) {
			return true, sqlerr.Unsupported("DROP DATABASE %s: the sidecar drops no keyspace; drop its shards' databases on the backends and the keyspace from the config", name)
		}
		if ifExists {
			plan.Local, plan.Note = DatabaseNote, noSuchDatabase(name)
			return true, nil
		}
		plan.Local, plan.Note = DatabaseError, noSuchDatabase(name)
		return true, nil
	}
	name := sess.Keyspace
	if i < len(toks) && toks[i].isName() && (toks[i].word == "" || !databaseOptions[toks[i].word]) {
		name = toks[i].name
		plan.Query = plan.Query[:toks[i].start] + plan.Query[toks[i].end:]
	}
	if name == "" {
		return true, sqlerr.New(1046, "3D000", "No database selected")
	}
	ks, ok := p.Topo.Keyspaces[name]
	if !ok {
		plan.Local, plan.Note = DatabaseError, sqlerr.UnknownDatabase(name)
		return true, nil
	}
	plan.Keyspace = ks
	return true, nil
}

// databaseStatement reads the first words of a statement: whether it is
// CREATE [OR REPLACE], DROP or ALTER {DATABASE | SCHEMA}, and how many words
// that took.
func databaseStatement(words []string) (verb string, n int, ok bool) {
	if len(words) < 2 {
		return "", 0, false
	}
	verb, n = words[0], 2
	if verb == "create" && len(words) >= 4 && words[1] == "or" && words[2] == "replace" {
		n = 4
	}
	what := words[n-1]
	return verb, n, (what == "database" || what == "schema") && (verb == "create" || verb == "drop" || verb == "alter")
}

// databaseOptions are the words that start ALTER DATABASE's options, where
// a name would otherwise stand.
var databaseOptions = map[string]bool{"default": true, "character": true, "charset": true, "collate": true, "comment": true}

var errMissingDatabaseName = sqlerr.Syntax("a database name is missing")

// isDatabase reports whether name is a database the sidecar shows: a
// keyspace, or a backend's own schema (information_schema, mysql…).
func (p *Planner) isDatabase(name string) bool {
	_, ok := p.Topo.Keyspaces[name]
	return ok || IsSystemSchema(name)
}

func databaseExists(name string) *sqlerr.Error {
	return sqlerr.New(1007, "HY000", "Can't create database '%s'; database exists", name)
}

func noSuchDatabase(name string) *sqlerr.Error {
	return sqlerr.New(1008, "HY000", "Can't drop database '%s'; database doesn't exist", name)
}

// openVersionedComments is sql with the markers of each executable comment
// that every backend runs (/*! with no version or one before 5.7, see
// unwrapExecutable) blanked, so their text reads as the statement's, at the
// same offsets. plain is false where a comment's text depends on the
// server (/*M!, /*!50700 and later).
func openVersionedComments(sql string) (text string, plain bool) {
	b := []byte(sql)
	for i := 0; i < len(b); {
		switch c := b[i]; {
		case c == '\'' || c == '"' || c == '`':
			i = skipQuoted(sql, i)
		case strings.HasPrefix(sql[i:], "/*M!"):
			return sql, false
		case strings.HasPrefix(sql[i:], "/*!"):
			digits := 0
			for i+3+digits < len(sql) && digits < 6 && sql[i+3+digits] >= '0' && sql[i+3+digits] <= '9' {
				digits++
			}
			if v, _ := strconv.Atoi(sql[i+3 : i+3+digits]); digits > 0 && (digits < 5 || v >= 50700) {
				return sql, false
			}
			end := commentEnd(sql, i+3+digits)
			if end < 0 {
				return sql, false
			}
			for j := i; j < i+3+digits; j++ {
				b[j] = ' '
			}
			b[end], b[end+1] = ' ', ' '
			i += 3 + digits
		default:
			i++
		}
	}
	return string(b), true
}

// planTableDDL routes DDL by the tables it names, as migration tools write
// them (CREATE TABLE customer.t, ALTER TABLE `customer`.`t`): to their
// keyspace, whatever the session's, without the keyspace's name, which no
// shard's database has (a shard's connection uses its own). Unqualified
// names without a keyspace in use are found by name, as in a SELECT. DDL
// that names no table, or that the parser cannot read and no keyspace
// qualifies a name of, goes to the session's keyspace as written (planned
// false).
func (p *Planner) planTableDDL(plan *Plan, sess Session) (planned bool, err error) {
	stmt, err := parse(plan.Query, sess.Mode)
	if err != nil {
		// Sent as written, a keyspace's name would reach the session's
		// keyspace's backend, which may have a database of that name.
		if ks := p.namedKeyspace(plan.Query); ks != "" {
			return true, sqlerr.Unsupported("DDL naming tables by keyspace %s that the sidecar's parser cannot read (%v): USE %s and name them alone", ks, err, ks)
		}
		return false, nil
	}
	var ks *conf.Keyspace
	qualified := map[string]bool{} // keyspace-qualified names, "ks.table" (table lower-cased)
	for _, t := range tablesOf(stmt) {
		k, err := p.keyspaceOf(t, sess)
		if err != nil {
			return true, err
		}
		if k == nil {
			continue // a backend's own schema's table, named as it is
		}
		if ks != nil && k != ks {
			return true, sqlerr.Unsupported("DDL naming tables of two keyspaces (%s and %s)", ks.Name, k.Name)
		}
		ks = k
		if t.Schema.O != "" {
			qualified[t.Schema.O+"."+t.Name.L] = true
		}
	}
	if ks == nil || len(qualified) == 0 && ks.Name == sess.Keyspace {
		return false, nil
	}
	if len(qualified) > 0 {
		text, plain := openVersionedComments(plan.Query)
		toks := scanTokens(text)
		var b strings.Builder
		done := 0
		for i := 0; plain && i+2 < len(toks); i++ {
			if toks[i].isName() && toks[i+1].word == "." && toks[i+2].isName() && (i == 0 || toks[i-1].word != ".") &&
				qualified[toks[i].name+"."+strings.ToLower(toks[i+2].name)] {
				b.WriteString(plan.Query[done:toks[i].start])
				done = toks[i+1].end
			}
		}
		b.WriteString(plan.Query[done:])
		// The text must now be the statement with the tables' keyspace
		// names taken out, and nothing else changed: the scanner does not
		// find names in ANSI_QUOTES or server-dependent comments, reads a
		// backslash as an escape under NO_BACKSLASH_ESCAPES too, and takes
		// a column of a table alias named as the keyspace for a table.
		walk(stmt, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.TableName:
				if _, ok := p.Topo.Keyspaces[x.Schema.O]; ok {
					x.Schema = ast.CIStr{}
				}
			case *ast.ColumnName:
				if _, ok := p.Topo.Keyspaces[x.Schema.O]; ok {
					x.Schema = ast.CIStr{}
				}
			}
			return true
		})
		if left, err := parse(b.String(), sess.Mode); err != nil || printStmt("", left, nil, sess.Mode) != printStmt("", stmt, nil, sess.Mode) {
			return true, sqlerr.Unsupported("DDL naming tables by keyspace %s where the sidecar cannot take the keyspace's name out alone (a name in double quotes or a server-dependent comment, a backslash under NO_BACKSLASH_ESCAPES, a column of an alias named %s): USE %s and name the tables alone", ks.Name, ks.Name, ks.Name)
		}
		plan.Query = b.String()
	}
	plan.Keyspace = ks
	return true, nil
}

// namedKeyspace is a keyspace that qualifies a name in sql (ks.t), "" if
// none does, as far as the token scanner tells.
func (p *Planner) namedKeyspace(sql string) string {
	markers := strings.NewReplacer("/*M!", "    ", "/*!", "   ", "*/", "  ") // executable comments' text is read
	toks := scanTokens(markers.Replace(WithoutComments(sql)))
	for i := 0; i+1 < len(toks); i++ {
		if _, ok := p.Topo.Keyspaces[toks[i].name]; ok && toks[i+1].word == "." {
			return toks[i].name
		}
	}
	return ""
}
