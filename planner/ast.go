package planner

// The SQL parser (TiDB's, a maintained MySQL 8 grammar) and the printer of
// statements the sidecar rewrites. The client's own text goes to the shards
// whenever nothing in it has to change: re-printing is lossy (comments, hints
// TiDB does not know), so it happens only for statements that are rewritten.

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/charset"
	"github.com/pingcap/tidb/pkg/parser/format"
	"github.com/pingcap/tidb/pkg/parser/mysql"
	driver "github.com/pingcap/tidb/pkg/parser/test_driver" // the literal types the parser builds

	"sidecar/engine"
	"sidecar/vindex"
)

// parsers are reused: a parser is not safe for concurrent use, and a new one
// per statement costs more than the parse.
var parsers = sync.Pool{New: func() any { return parser.New() }}

// parse parses one statement as MySQL reads it under mode. Each `?` becomes
// a *paramExpr numbered in text order (the n-th argument of a prepared
// statement or of a normalized shape).
func parse(sql string, mode SQLMode) (stmt ast.StmtNode, err error) {
	defer func() {
		// Whatever the parser does on hostile text, it is a statement it
		// cannot read, not a crash.
		if r := recover(); r != nil {
			stmt, err = nil, fmt.Errorf("the parser failed on the statement (%v)", r)
		}
	}()
	if name := invalidName(sql, mode); name != "" {
		// The parser reads its bytes as '?': printed again, it would name
		// another column or table, or stand for an argument.
		return nil, fmt.Errorf("the name %q is not valid UTF-8", name)
	}
	p := parsers.Get().(*parser.Parser)
	defer parsers.Put(p)
	p.SetSQLMode(mode.parserMode())
	stmts, _, err := p.ParseSQL(sql)
	if err != nil {
		return nil, err
	}
	if len(stmts) != 1 {
		return nil, fmt.Errorf("%d statements where one was expected", len(stmts))
	}
	stmt = stmts[0]
	numberParams(stmt)
	printableFunctions(stmt)
	if forms := hexForms(sql); forms != nil {
		markHexNumbers(stmt, forms)
	}
	keepIntroducers(stmt)
	// Printing fails only on literal kinds the parser does not produce from
	// text; checking here once means a later print cannot.
	if err := stmt.Restore(format.NewRestoreCtx(restoreFlags(mode), &sqlWriter{})); err != nil {
		return nil, fmt.Errorf("the statement cannot be printed again: %v", err)
	}
	return stmt, nil
}

// parserMode is the parser's view of the session's sql_mode: the modes that
// change how text is read.
func (m SQLMode) parserMode() mysql.SQLMode {
	var pm mysql.SQLMode
	if m.ANSIQuotes {
		pm |= mysql.ModeANSIQuotes
	}
	if m.PipesAsConcat {
		pm |= mysql.ModePipesAsConcat
	}
	if m.NoBackslashEscapes {
		pm |= mysql.ModeNoBackslashEscapes
	}
	if m.IgnoreSpace {
		pm |= mysql.ModeIgnoreSpace
	}
	return pm
}

// numberParams replaces the parser's `?` markers by paramExprs numbered by
// their place in the text: the parser visits them in another order (LIMIT
// ?, ? visits the count first).
func numberParams(stmt ast.Node) {
	var markers []*driver.ParamMarkerExpr
	walk(stmt, func(n ast.Node) bool {
		if m, ok := n.(*driver.ParamMarkerExpr); ok {
			markers = append(markers, m)
		}
		return true
	})
	if len(markers) == 0 {
		return
	}
	sort.Slice(markers, func(i, j int) bool { return markers[i].Offset < markers[j].Offset })
	index := make(map[*driver.ParamMarkerExpr]int, len(markers))
	for i, m := range markers {
		index[m] = i
	}
	stmt.Accept(&replacer{leave: func(n ast.Node) ast.Node {
		if m, ok := n.(*driver.ParamMarkerExpr); ok {
			return &paramExpr{n: index[m]}
		}
		return n
	}})
}

// printableFunctions gives the functions the parser names after TiDB's own
// (CHAR, INSERT) the names MySQL knows, so the statement prints as the
// client wrote it: CHAR(a, b) for char_func(a, b, NULL), and
// CONVERT(CHAR(a, b) USING cs), the same string, for CHAR(a, b USING cs),
// which the printer cannot write.
func printableFunctions(stmt ast.Node) {
	stmt.Accept(&replacer{leave: func(n ast.Node) ast.Node {
		f, ok := n.(*ast.FuncCallExpr)
		if !ok {
			return n
		}
		if needsQuotes(f.FnName.O) {
			f.Tp = ast.FuncCallExprTypeGeneric // printed `my func`(…), not MY FUNC(…)
		}
		switch f.FnName.L {
		case ast.InsertFunc:
			f.FnName = ast.NewCIStr("insert")
		case ast.CharFunc:
			last, _ := f.Args[len(f.Args)-1].(ast.ValueExpr)
			f.FnName, f.Args = ast.NewCIStr("char"), f.Args[:len(f.Args)-1]
			if last != nil && last.GetValue() != nil {
				return &ast.FuncCallExpr{FnName: ast.NewCIStr("convert"), Args: []ast.ExprNode{f, last}}
			}
		}
		return n
	}})
}

// invalidName returns the first name (or other text outside strings and
// comments) in sql that is not valid UTF-8, "" if none is: strings and
// comments may hold any bytes. An executable comment's text is read as the
// statement's.
func invalidName(sql string, mode SQLMode) string {
	if utf8.ValidString(sql) {
		return ""
	}
	for i := 0; i < len(sql); {
		c := sql[i]
		switch {
		case c == '\'' || c == '"' && !mode.ANSIQuotes:
			i = skipString(sql, i, !mode.NoBackslashEscapes)
		case skipComment(sql, i) != i:
			if i = skipComment(sql, i); i < 0 {
				return ""
			}
		case c >= 0x80:
			r, size := utf8.DecodeRuneInString(sql[i:])
			if r == utf8.RuneError && size == 1 {
				start, end := i, i+1
				for start > 0 && (isIdentChar(sql[start-1]) || sql[start-1] == '`') {
					start--
				}
				for end < len(sql) && (isIdentChar(sql[end]) || sql[end] == '`') {
					end++
				}
				return sql[start:end]
			}
			i += size
		default:
			i++
		}
	}
	return ""
}

// skipString skips the quoted string or name starting at s[i], its quotes
// doubled or (with backslashes) escaped inside.
func skipString(s string, i int, backslashes bool) int {
	q := s[i]
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			if backslashes {
				j++
			}
		case q:
			if j+1 < len(s) && s[j+1] == q {
				j++
				continue
			}
			return j + 1
		}
	}
	return len(s)
}

// needsQuotes reports a name that stands for itself only in backquotes: one
// with other characters than letters, digits, _ and $, or starting with a
// digit (0e1 reads as a number).
func needsQuotes(name string) bool {
	for i := 0; i < len(name); i++ {
		if c := name[i]; !isIdentChar(c) || i == 0 && c >= '0' && c <= '9' {
			return true
		}
	}
	return name == ""
}

// walk calls fn on node and its descendants, depth first; fn returning
// false skips a node's children.
func walk(node ast.Node, fn func(ast.Node) bool) {
	if node == nil {
		return
	}
	node.Accept(&walker{fn: fn})
}

type walker struct{ fn func(ast.Node) bool }

func (w *walker) Enter(n ast.Node) (ast.Node, bool) { return n, !w.fn(n) }
func (w *walker) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// replacer swaps expressions for others on the way out of the tree.
type replacer struct{ leave func(ast.Node) ast.Node }

func (r *replacer) Enter(n ast.Node) (ast.Node, bool) { return n, false }
func (r *replacer) Leave(n ast.Node) (ast.Node, bool) { return r.leave(n), true }

// hexNumber is a hexadecimal literal the client wrote as 0x…, printed so
// again. The parser reads 0x10 and X'10' alike, and MySQL does too, but
// MariaDB reads 0x10 as 16 where a number is wanted and X'10' as the string
// "\x10" (0 as a number).
type hexNumber struct{ driver.ValueExpr }

func (h *hexNumber) Restore(ctx *format.RestoreCtx) error {
	if h.Type.GetFlag()&mysql.UnderScoreCharsetFlag != 0 {
		// _utf8mb4 0x61 is the string 'a', 0x61 its bytes; _binary 0x3130
		// the string '10', 0x3130 the number 12592 where one is wanted.
		ctx.WritePlain("_" + h.Type.GetCharset() + " ")
	}
	ctx.WritePlain(string(vindex.AppendLiteral(nil, vindex.Value{Kind: vindex.HexNum, Raw: h.GetBytes()}, false)))
	return nil
}

func (h *hexNumber) Accept(v ast.Visitor) (ast.Node, bool) {
	n, _ := v.Enter(h)
	return v.Leave(n)
}

// hexForms says, for each hexadecimal literal of sql in order, whether it
// is written 0x… (else X'…'); nil when none is 0x….
func hexForms(sql string) []bool {
	if !strings.Contains(sql, "0x") { // 0X… is a name
		return nil
	}
	var forms []bool
	any0x := false
	toks := scanTokens(sql)
	for i, t := range toks {
		text := sql[t.start:t.end]
		switch {
		case isHexNum(text):
			forms, any0x = append(forms, true), true
		case t.word == "x" && i+1 < len(toks) && toks[i+1].start == t.end && sql[t.end] == '\'':
			forms = append(forms, false)
		}
	}
	if !any0x {
		return nil
	}
	return forms
}

// markHexNumbers makes the hexadecimal literals of stmt written 0x…
// hexNumbers, by forms (see hexForms): the parser's walk meets them in the
// order of the text. Should the counts differ, all are taken for 0x…: MariaDB
// reads both alike where a string is wanted, and text hardly wants an
// X'…' as a number.
func markHexNumbers(stmt ast.Node, forms []bool) {
	isHex := func(n ast.Node) (*driver.ValueExpr, bool) {
		v, ok := n.(*driver.ValueExpr)
		return v, ok && v.Kind() == driver.KindBinaryLiteral && v.Type.GetFlag()&mysql.UnsignedFlag != 0
	}
	count := 0
	walk(stmt, func(n ast.Node) bool {
		if _, ok := isHex(n); ok {
			count++
		}
		return true
	})
	i := 0
	stmt.Accept(&replacer{leave: func(n ast.Node) ast.Node {
		v, ok := isHex(n)
		if !ok {
			return n
		}
		i++
		if count == len(forms) && !forms[i-1] {
			return n
		}
		return &hexNumber{ValueExpr: *v}
	}})
}

// keepIntroducers makes literals the client wrote with the default
// character set's introducer (_utf8mb4 'a', _utf8mb4 X'61') print with it:
// the printer leaves the default's out, but without it X'61' is bytes, not
// the string 'a', and 'a' is in the connection's character set. So for
// _binary X'…', which the printer writes X'…': MariaDB compares that with a
// number otherwise than the binary string. A name spelled otherwise than the
// printer's default is printed.
func keepIntroducers(stmt ast.Node) {
	walk(stmt, func(n ast.Node) bool {
		v, ok := n.(*driver.ValueExpr)
		if !ok || v.Type.GetFlag()&mysql.UnderScoreCharsetFlag == 0 {
			return true
		}
		if cs := v.Type.GetCharset(); cs == mysql.DefaultCharset || cs == charset.CharsetBin && v.Kind() == driver.KindBinaryLiteral {
			v.Type.SetCharset(strings.ToUpper(cs))
		}
		return true
	})
}

// paramExpr is the n-th `?` of a statement (0-based). Printed with
// arguments it is the argument's literal; without, the `?` it was (for a
// statement a backend prepares).
type paramExpr struct {
	driver.ValueExpr
	n int
}

func (p *paramExpr) Restore(ctx *format.RestoreCtx) error {
	if w, ok := ctx.In.(*sqlWriter); ok && w.template {
		w.cut(p.n + 1)
		return nil
	}
	if w, ok := ctx.In.(*sqlWriter); ok && p.n < len(w.args) {
		w.buf = vindex.AppendArgument(w.buf[:0], w.args[p.n], !ctx.Flags.HasStringEscapeBackslashFlag())
		w.Write(w.buf)
		return nil
	}
	ctx.WritePlain("?")
	return nil
}

// GetValue is never nil: the printer takes a nil value for an argument
// left out (TRIM's characters to remove).
func (p *paramExpr) GetValue() any { return p.n }

func (p *paramExpr) Accept(v ast.Visitor) (ast.Node, bool) {
	n, _ := v.Enter(p)
	return v.Leave(n)
}

// literalExpr is a value the sidecar writes into a statement (a sequence
// value, a filled-in column, a session value), printed by the one renderer
// of values, vindex.AppendLiteral.
type literalExpr struct {
	driver.ValueExpr
	v vindex.Value
}

func literal(v vindex.Value) ast.ExprNode { return &literalExpr{v: v} }

func (l *literalExpr) Restore(ctx *format.RestoreCtx) error {
	if w, ok := ctx.In.(*sqlWriter); ok {
		w.literal(l.v, ctx.Flags)
		return nil
	}
	ctx.WritePlain(string(vindex.AppendLiteral(nil, l.v, !ctx.Flags.HasStringEscapeBackslashFlag())))
	return nil
}

// GetValue is never nil: see paramExpr's.
func (l *literalExpr) GetValue() any { return l.v }

func (l *literalExpr) Accept(v ast.Visitor) (ast.Node, bool) {
	n, _ := v.Enter(l)
	return v.Leave(n)
}

// sqlWriter collects printed SQL and holds the arguments `?` stands for.
type sqlWriter struct {
	strings.Builder
	args  Args
	buf   []byte
	slots []slotAt // where tableSlots were printed, in a template

	// template: the `?`s end pieces of a template, which are written to
	// pieces; from is where the next piece starts.
	template bool
	pieces   engine.Template
	from     int
	mark     int // the piece a rowsMark starts
}

// cut ends a piece of the template with the argument arg (0: none).
func (w *sqlWriter) cut(arg int) {
	w.pieces = append(w.pieces, engine.Piece{Text: w.String()[w.from:], Arg: arg})
	w.from = w.Len()
}

// printTemplate prints node as an engine.Template, after prefix, its `?`s
// left for each execution's arguments. mark is the piece that starts at the
// node's rowsMark, if it has one.
func printTemplate(prefix string, node ast.Node, mode SQLMode) (t engine.Template, mark int) {
	w := &sqlWriter{template: true}
	w.WriteString(prefix)
	node, suffix := forMariaDB(node)
	if err := node.Restore(format.NewRestoreCtx(restoreFlags(mode), w)); err != nil {
		panic(fmt.Sprintf("printing a parsed statement: %v", err))
	}
	w.WriteString(suffix)
	if w.from < w.Len() || len(w.pieces) == 0 {
		w.cut(0)
	}
	return w.pieces, w.mark
}

// rowsMark stands for the rows of an INSERT in printTemplate: the rows are
// written per execution, the text around them once.
type rowsMark struct{ driver.ValueExpr }

func (*rowsMark) Restore(ctx *format.RestoreCtx) error {
	w := ctx.In.(*sqlWriter)
	w.cut(0)
	w.mark = len(w.pieces)
	return nil
}

func (m *rowsMark) Accept(v ast.Visitor) (ast.Node, bool) {
	n, _ := v.Enter(m)
	return v.Leave(n)
}

func (w *sqlWriter) literal(v vindex.Value, flags format.RestoreFlags) {
	w.buf = vindex.AppendLiteral(w.buf[:0], v, !flags.HasStringEscapeBackslashFlag())
	w.Write(w.buf)
}

// restoreFlags print SQL that MySQL and MariaDB read back as the same
// statement under mode: names in backquotes (valid with ANSI_QUOTES too),
// strings in single quotes with backslashes doubled unless backslashes are
// ordinary characters, no introducer on plain strings (an explicit _binary
// or _latin1 stays).
func restoreFlags(mode SQLMode) format.RestoreFlags {
	f := format.RestoreStringSingleQuotes | format.RestoreKeyWordUppercase | format.RestoreNameBackQuotes |
		format.RestoreStringWithoutDefaultCharset
	if !mode.NoBackslashEscapes {
		f |= format.RestoreStringEscapeBackslash
	}
	return f
}

// printStmt prints a statement for a backend, after prefix (the client's
// leading comments), with args in place of its `?`s (none: they stay).
func printStmt(prefix string, node ast.Node, args Args, mode SQLMode) string {
	w := &sqlWriter{args: args}
	w.WriteString(prefix)
	node, suffix := forMariaDB(node)
	if err := node.Restore(format.NewRestoreCtx(restoreFlags(mode), w)); err != nil {
		// parse printed this statement once; only the sidecar's own nodes
		// are new, and those always print.
		panic(fmt.Sprintf("printing a parsed statement: %v", err))
	}
	w.WriteString(suffix)
	return w.String()
}

// forMariaDB is node as it prints for both MySQL and MariaDB, then suffix:
// the parser prints FOR SHARE, which MariaDB does not know; LOCK IN SHARE
// MODE means the same to both.
func forMariaDB(node ast.Node) (_ ast.Node, suffix string) {
	if sel, ok := node.(*ast.SelectStmt); ok && sel.LockInfo != nil && sel.LockInfo.LockType == ast.SelectLockForShare {
		cp := *sel
		cp.LockInfo = nil
		return &cp, " LOCK IN SHARE MODE"
	}
	return node, ""
}

// nodeText prints a node with the default flags, for messages and keys.
func nodeText(node ast.Node) string {
	if node == nil {
		return ""
	}
	return printStmt("", node, nil, SQLMode{})
}
