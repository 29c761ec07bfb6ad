package vschemaddl

import (
	"fmt"
	"sidecar/sqlerr"
	"strings"
	"unicode/utf8"
)

// The grammar, as Vitess's sql.y has it (keywords case-insensitive, comments
// anywhere, one optional trailing ';'):
//
//	ALTER VSCHEMA CREATE VINDEX table_name [USING sql_id] [WITH params]
//	ALTER VSCHEMA DROP VINDEX table_name
//	ALTER VSCHEMA ADD TABLE table_name
//	ALTER VSCHEMA DROP TABLE table_name
//	ALTER VSCHEMA ON table_name ADD VINDEX sql_id '(' sql_id [, sql_id]… ')' [USING sql_id] [WITH params]
//	ALTER VSCHEMA ON table_name DROP VINDEX sql_id
//	ALTER VSCHEMA ADD SEQUENCE table_name
//	ALTER VSCHEMA DROP SEQUENCE table_name
//	ALTER VSCHEMA ON table_name ADD AUTO_INCREMENT sql_id USING table_name
//	ALTER VSCHEMA ON table_name DROP AUTO_INCREMENT
//	SHOW VSCHEMA TABLES
//	SHOW VSCHEMA VINDEXES [{ON | FROM} table_name]
//
//	table_name: table_id | table_id '.' reserved_table_id
//	params:     reserved_sql_id '=' value [, reserved_sql_id '=' value]…
//	value:      table_id '.' reserved_table_id | reserved_sql_id | STRING | INTEGRAL
//
// sql_id and table_id are identifiers that are not reserved keywords (a
// reserved one, like binary, must be backquoted: `binary`); reserved_sql_id
// and reserved_table_id may be any word.
//
// Two things differ from vtgate, both on the side of what users mean: a
// quoted string value (WITH table='ks.t') is its text, where vtgate keeps
// the quotes in the value; MySQL's /*! … */ comments are comments.

// IsStatement reports whether sql is an ALTER VSCHEMA or SHOW VSCHEMA
// statement (leading blanks and comments skipped), i.e. one for Parse
// rather than for a backend. It does not check the rest.
func IsStatement(sql string) bool {
	lx := lexer{sql: sql}
	first, err := lx.next()
	if err != nil || first.kind != tWord || !(strings.EqualFold(first.text, "alter") || strings.EqualFold(first.text, "show")) {
		return false // every statement comes here: most stop at their first word
	}
	second, err := lx.next()
	return err == nil && second.kind == tWord && strings.EqualFold(second.text, "vschema")
}

// Parse parses one VSchema statement. A syntax error is an *sqlerr.Error with
// MySQL's 1064 (42000) saying where and what was expected.
func Parse(sql string) (*Statement, error) {
	p := &parser{lx: lexer{sql: sql}}
	st, err := p.statement()
	if err != nil {
		return nil, err
	}
	return st, nil
}

type parser struct {
	lx  lexer
	tok token // current token
	ok  bool  // tok is read
}

func (p *parser) peek() (token, error) {
	if !p.ok {
		t, err := p.lx.next()
		if err != nil {
			return token{}, err
		}
		p.tok, p.ok = t, true
	}
	return p.tok, nil
}

func (p *parser) advance() { p.ok = false }

// keyword consumes the current token if it is the unquoted keyword kw.
func (p *parser) keyword(kw string) (bool, error) {
	t, err := p.peek()
	if err != nil {
		return false, err
	}
	if t.kind == tWord && strings.EqualFold(t.text, kw) {
		p.advance()
		return true, nil
	}
	return false, nil
}

// expect consumes one of the keywords kws and returns it (upper case), or
// fails saying which were expected after what.
func (p *parser) expect(after string, kws ...string) (string, error) {
	for _, kw := range kws {
		ok, err := p.keyword(kw)
		if err != nil {
			return "", err
		}
		if ok {
			return kw, nil
		}
	}
	return "", p.unexpected(orList(kws) + " after " + after)
}

func (p *parser) punct(c byte) (bool, error) {
	t, err := p.peek()
	if err != nil {
		return false, err
	}
	if t.kind == tPunct && t.text[0] == c {
		p.advance()
		return true, nil
	}
	return false, nil
}

func (p *parser) expectPunct(c byte, what string) error {
	ok, err := p.punct(c)
	if err != nil {
		return err
	}
	if !ok {
		return p.unexpected(what)
	}
	return nil
}

// unexpected is the syntax error at the current token.
func (p *parser) unexpected(expected string) error {
	t, err := p.peek()
	if err != nil {
		return err
	}
	return syntaxError(p.lx.sql, t, "expected "+expected)
}

func syntaxError(sql string, t token, msg string) *sqlerr.Error {
	var where string
	if t.kind == tEOF {
		where = fmt.Sprintf("syntax error at position %d at the end of the statement", len(sql)+1)
	} else {
		// vtgate's position: just past the offending token, counted from 1
		where = fmt.Sprintf("syntax error at position %d near '%s'", t.end+1, excerpt(sql, t.pos, t.end))
	}
	return &sqlerr.Error{Num: 1064, State: "42000", Message: where + ": " + msg}
}

// ident reads an identifier: a backquoted one, or a word that is not a
// reserved keyword unless reservedOK.
func (p *parser) ident(what string, reservedOK bool) (string, error) {
	t, err := p.peek()
	if err != nil {
		return "", err
	}
	switch {
	case t.kind == tQuoted:
		p.advance()
		return t.text, nil
	case t.kind == tWord && (reservedOK || !isReserved(t.text)):
		p.advance()
		return t.text, nil
	case t.kind == tWord:
		return "", syntaxError(p.lx.sql, t, fmt.Sprintf("expected %s; %s is a reserved keyword, write it as `%s`", what, t.text, t.text))
	}
	return "", p.unexpected(what)
}

// tableName reads table_name: table_id ['.' reserved_table_id].
func (p *parser) tableName(what string) (Name, error) {
	first, err := p.ident(what, false)
	if err != nil {
		return Name{}, err
	}
	dot, err := p.punct('.')
	if err != nil || !dot {
		return Name{Name: first}, err
	}
	second, err := p.ident(what+" after "+quoteIdent(first)+".", true)
	if err != nil {
		return Name{}, err
	}
	return Name{Keyspace: first, Name: second}, nil
}

func (p *parser) statement() (*Statement, error) {
	verb, err := p.expect("the start of the statement", "ALTER", "SHOW")
	if err != nil {
		return nil, err
	}
	if _, err := p.expect(verb, "VSCHEMA"); err != nil {
		return nil, err
	}
	var st *Statement
	if verb == "SHOW" {
		st, err = p.show()
	} else {
		st, err = p.alter()
	}
	if err != nil {
		return nil, err
	}
	if _, err := p.punct(';'); err != nil {
		return nil, err
	}
	t, err := p.peek()
	if err != nil {
		return nil, err
	}
	if t.kind != tEOF {
		return nil, syntaxError(p.lx.sql, t, "expected the end of the statement after "+st.String())
	}
	return st, nil
}

func (p *parser) show() (*Statement, error) {
	what, err := p.expect("SHOW VSCHEMA", "TABLES", "VINDEXES")
	if err != nil {
		return nil, err
	}
	if what == "TABLES" {
		return &Statement{Kind: ShowTables}, nil
	}
	st := &Statement{Kind: ShowVindexes}
	on, err := p.keyword("ON")
	if err == nil && !on {
		on, err = p.keyword("FROM")
	}
	if err != nil || !on {
		return st, err
	}
	st.Table, err = p.tableName("a table name after SHOW VSCHEMA VINDEXES ON")
	return st, err
}

func (p *parser) alter() (*Statement, error) {
	action, err := p.expect("ALTER VSCHEMA", "CREATE", "DROP", "ADD", "ON")
	if err != nil {
		return nil, err
	}
	st := &Statement{}
	switch action {
	case "CREATE":
		if _, err := p.expect("ALTER VSCHEMA CREATE", "VINDEX"); err != nil {
			return nil, err
		}
		st.Kind = CreateVindex
		if st.Table, err = p.tableName("a vindex name after CREATE VINDEX"); err != nil {
			return nil, err
		}
		st.Vindex = st.Table.Name
		return st, p.usingWith(st)
	case "DROP", "ADD":
		kws := []string{"VINDEX", "TABLE", "SEQUENCE"}
		if action == "ADD" {
			if t, err := p.peek(); err != nil {
				return nil, err
			} else if t.kind == tWord && strings.EqualFold(t.text, "VINDEX") {
				return nil, syntaxError(p.lx.sql, t, "expected TABLE or SEQUENCE after ALTER VSCHEMA ADD (a vindex is added to a table with ALTER VSCHEMA ON table ADD VINDEX name(columns), or defined with ALTER VSCHEMA CREATE VINDEX name USING type)")
			}
			kws = kws[1:]
		}
		what, err := p.expect("ALTER VSCHEMA "+action, kws...)
		if err != nil {
			return nil, err
		}
		st.Kind = map[string]Kind{"DROPVINDEX": DropVindex, "DROPTABLE": DropTable, "DROPSEQUENCE": DropSequence,
			"ADDTABLE": AddTable, "ADDSEQUENCE": AddSequence}[action+what]
		if st.Table, err = p.tableName("a " + strings.ToLower(what) + " name after " + action + " " + what); err != nil {
			return nil, err
		}
		if st.Kind == DropVindex {
			st.Vindex = st.Table.Name
		}
		return st, nil
	}
	// ON table_name …
	if st.Table, err = p.tableName("a table name after ALTER VSCHEMA ON"); err != nil {
		return nil, err
	}
	on := "ALTER VSCHEMA ON " + st.Table.String()
	verb, err := p.expect(on, "ADD", "DROP")
	if err != nil {
		return nil, err
	}
	what, err := p.expect(on+" "+verb, "VINDEX", "AUTO_INCREMENT")
	if err != nil {
		return nil, err
	}
	switch verb + what {
	case "DROPVINDEX":
		st.Kind = DropColumnVindex
		st.Vindex, err = p.ident("a vindex name after DROP VINDEX", false)
		return st, err
	case "DROPAUTO_INCREMENT":
		st.Kind = DropAutoIncrement
		return st, nil
	case "ADDAUTO_INCREMENT":
		st.Kind = AddAutoIncrement
		if st.AutoIncrementColumn, err = p.ident("a column name after ADD AUTO_INCREMENT", false); err != nil {
			return nil, err
		}
		if _, err := p.expect("ADD AUTO_INCREMENT "+quoteIdent(st.AutoIncrementColumn), "USING"); err != nil {
			return nil, err
		}
		st.Sequence, err = p.tableName("a sequence name after USING")
		return st, err
	}
	st.Kind = AddColumnVindex
	if st.Vindex, err = p.ident("a vindex name after ADD VINDEX", false); err != nil {
		return nil, err
	}
	if err := p.expectPunct('(', "'(' and the vindex's columns after ADD VINDEX "+quoteIdent(st.Vindex)); err != nil {
		return nil, err
	}
	for {
		c, err := p.ident("a column name", false)
		if err != nil {
			return nil, err
		}
		st.Columns = append(st.Columns, c)
		comma, err := p.punct(',')
		if err != nil {
			return nil, err
		}
		if !comma {
			break
		}
	}
	if err := p.expectPunct(')', "',' or ')' after column "+quoteIdent(st.Columns[len(st.Columns)-1])); err != nil {
		return nil, err
	}
	return st, p.usingWith(st)
}

// usingWith reads [USING sql_id] [WITH params].
func (p *parser) usingWith(st *Statement) error {
	using, err := p.keyword("USING")
	if err != nil {
		return err
	}
	if using {
		if st.Type, err = p.ident("a vindex type after USING", false); err != nil {
			return err
		}
	}
	with, err := p.keyword("WITH")
	if err != nil || !with {
		return err
	}
	for {
		key, err := p.ident("a vindex parameter name", true)
		if err != nil {
			return err
		}
		if err := p.expectPunct('=', "'=' after parameter "+quoteIdent(key)); err != nil {
			return err
		}
		val, err := p.paramValue(key)
		if err != nil {
			return err
		}
		st.Params = append(st.Params, Param{Key: key, Value: val})
		comma, err := p.punct(',')
		if err != nil || !comma {
			return err
		}
	}
}

// paramValue reads table_id '.' reserved_table_id | reserved_sql_id |
// STRING | INTEGRAL.
func (p *parser) paramValue(key string) (string, error) {
	t, err := p.peek()
	if err != nil {
		return "", err
	}
	what := "a value for parameter " + quoteIdent(key) + " (a name, `quoted name`, 'string' or number)"
	switch t.kind {
	case tString, tNumber:
		p.advance()
		return t.text, nil
	case tWord, tQuoted:
	default:
		return "", p.unexpected(what)
	}
	p.advance()
	dot, err := p.punct('.')
	if err != nil || !dot {
		return t.text, err
	}
	if t.kind == tWord && isReserved(t.text) {
		return "", syntaxError(p.lx.sql, t, fmt.Sprintf("%s is a reserved keyword, write it as `%s`", t.text, t.text))
	}
	name, err := p.ident("a table name after "+quoteIdent(t.text)+".", true)
	if err != nil {
		return "", err
	}
	return Name{Keyspace: t.text, Name: name}.String(), nil
}

// excerpt is sql[pos:end], at most 80 bytes of it, cut between characters.
func excerpt(sql string, pos, end int) string {
	if end-pos > 80 {
		end = pos + 80
		for end > pos && !utf8.RuneStart(sql[end]) {
			end--
		}
	}
	return sql[pos:end]
}

func orList(kws []string) string {
	switch len(kws) {
	case 1:
		return kws[0]
	case 2:
		return kws[0] + " or " + kws[1]
	}
	return strings.Join(kws[:len(kws)-1], ", ") + " or " + kws[len(kws)-1]
}
