package planner

// Planning of statements the engine evaluates (engine.Evaluate): a SELECT no
// shard answers alone is answered by gathering the rows of each of its table
// references with a routed SELECT of its own, then running the statement on
// one backend with the table references replaced by the gathered rows.
//
// Two things keep the gathered rows few, and both only where they cannot
// change the answer:
//
//   - a condition on one table reference alone goes into its gather, when
//     the reference is not on the NULL-filled side of an outer join the
//     condition is evaluated after (a LEFT JOIN's ON condition on its right
//     table does go in: it only decides which right rows match);
//   - a reference joined by an equality to one gathered before it reads only
//     the rows whose join column equals a gathered value, in the direction a
//     LEFT JOIN allows (its right side by its left, never the reverse).
//
// Each gather reads the columns the statement names with the reference's
// alias, or every column (*) where a name could be the reference's without
// saying so: a * select list, NATURAL or USING joins, unqualified names in a
// statement of several tables or inside a subquery.

import (
	"slices"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/format"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	driver "github.com/pingcap/tidb/pkg/parser/test_driver"

	"sidecar/conf"
	"sidecar/engine"
	"sidecar/sqlerr"
	"sidecar/vindex"
)

// gatherRef is one table reference of the statement.
type gatherRef struct {
	ts      *ast.TableSource
	table   *ast.TableName
	ks      *conf.Keyspace
	alias   string
	sel     *ast.SelectStmt // the SELECT whose FROM holds it
	star    bool
	columns []string
	conds   []ast.ExprNode
	order   int // place in the gather order; -1 until placed
	// schemata: the table is information_schema.SCHEMATA, whose rows are
	// each keyspace's own, named after it, and the backend's own schemas
	// (see schemataReads).
	schemata bool
}

// reduceEdge: target's column equals source's, so target needs only rows
// matching source's values.
type reduceEdge struct {
	target, source       *gatherRef
	targetCol, sourceCol *ast.ColumnName
}

type gatherPlanner struct {
	p     *Planner
	sess  Session
	refs  []*gatherRef
	alias map[string][]*gatherRef // by lowercased alias
	// names are other names a qualifier can mean: derived tables, CTEs.
	names   map[string]bool
	edges   []reduceEdge
	allStar bool
	// nested are the SELECTs inside subquery expressions, where unqualified
	// names may be an outer query's.
	nested map[*ast.SelectStmt]bool
	// locks are the locking reads of SELECTs: their tables' gathers lock
	// the rows they read, the evaluation reads literals.
	locks map[*ast.SelectStmt]lockOf
}

type lockOf struct {
	clause string
	of     []*ast.TableName // FOR UPDATE OF: only these
}

// gatherLocks are the locking reads a gather can take as they are, in the
// words MariaDB and MySQL both read.
var gatherLocks = map[ast.SelectLockType]string{
	ast.SelectLockForUpdate:           "FOR UPDATE",
	ast.SelectLockForUpdateNoWait:     "FOR UPDATE NOWAIT",
	ast.SelectLockForUpdateSkipLocked: "FOR UPDATE SKIP LOCKED",
	ast.SelectLockForShare:            "LOCK IN SHARE MODE",
}

// Evaluation is the engine plan of a SELECT of plan the router cannot
// answer (or, for a plan marked Engine, one across keyspaces): planned once
// per plan, and so once per statement shape and per prepared statement, its
// texts Templates each execution writes with its arguments (engine.Env.Args).
//
// The result's column names come from the client's own select list (see
// namedItems); a text statement whose select list differs from the one the
// shape was planned with (other literals in a subquery there) gets a plan of
// its own.
func (p *Planner) Evaluation(plan *Plan, sess Session) (*engine.Evaluate, error) {
	if !plan.Engine {
		// One keyspace: the plan's, whatever the session's.
		sess.Keyspace, sess.SystemSchema = plan.Keyspace.Name, ""
	}
	sess.Mode = plan.Mode
	build := func() evaluation {
		ev, err := p.planEvaluate(plan.shape, plan.Query, plan.readIn, sess)
		return evaluation{ev, selectListTexts(plan.Query), err}
	}
	ev := plan.evaluate.get(build)
	if !plan.Prepared && !slices.Equal(ev.names, selectListTexts(plan.Query)) {
		own := build()
		ev = &own
	}
	return ev.ev, ev.err
}

// evaluation is a plan's engine plan and the select list that named its
// columns.
type evaluation struct {
	ev    *engine.Evaluate
	names []string
	err   error
}

// PlanEvaluate plans sql, a SELECT whose `?`s are the arguments of each
// execution, as an engine.Evaluate. names is the client's text, whose select
// list names the result's columns as MySQL would.
func (p *Planner) PlanEvaluate(sql, names string, sess Session) (*engine.Evaluate, error) {
	return p.planEvaluate(sql, names, sess.Mode, sess)
}

// planEvaluate is PlanEvaluate of a statement read in sql_mode readIn: a
// prepared statement stays read as it was prepared (see Plan.InMode), its
// statements written for the session's mode now.
func (p *Planner) planEvaluate(sql, names string, readIn SQLMode, sess Session) (*engine.Evaluate, error) {
	stmt, err := parse(sql, readIn)
	if err != nil {
		return nil, errSyntax(err)
	}
	switch stmt.(type) {
	case *ast.SelectStmt, *ast.SetOprStmt:
	default:
		return nil, sqlerr.Unsupported("%s across shards", Classify(sql))
	}
	g := &gatherPlanner{p: p, sess: sess, alias: map[string][]*gatherRef{}, names: map[string]bool{},
		nested: map[*ast.SelectStmt]bool{}, locks: map[*ast.SelectStmt]lockOf{}}
	if err := g.collect(stmt); err != nil {
		return nil, err
	}
	if len(g.refs) == 0 {
		return nil, sqlerr.Unsupported("a SELECT without tables across shards")
	}
	dropColumnSchemas(stmt)
	g.projections(stmt)
	walk(stmt, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectStmt); ok && sel.From != nil {
			g.pushdown(sel)
		}
		return true
	})
	tables := g.gatherOrder()

	if sel := firstSelect(stmt); sel != nil && sel.Fields != nil {
		sel.Fields.Fields = namedItems(sel, names)
	}
	for _, r := range g.refs {
		r.ts.Source = &tableSlot{n: r.order}
		r.ts.AsName = ast.NewCIStr(r.alias)
	}
	shadowGathers(stmt, tables)
	for sel := range g.locks {
		sel.LockInfo = nil
	}
	w := &sqlWriter{template: true}
	if err := stmt.Restore(format.NewRestoreCtx(restoreFlags(sess.Mode), w)); err != nil {
		return nil, sqlerr.Routing("printing a statement to evaluate: %v", err)
	}
	w.cut(0)
	ev := &engine.Evaluate{Keyspace: g.refs[0].ks.Name, Tables: tables}
	last := 0
	for _, s := range w.slots {
		ev.Parts = append(ev.Parts, w.pieces[last:s.at])
		ev.Slots = append(ev.Slots, s.n)
		last = s.at
	}
	ev.Parts = append(ev.Parts, w.pieces[last:])
	return ev, nil
}

// shadowGathers marks the gathers whose alias another table reference of
// the statement also has (a derived table around it, a CTE): a column of
// that name need not be the gathered one.
func shadowGathers(stmt ast.Node, tables []*engine.Gather) {
	others := map[string]bool{}
	walk(stmt, func(n ast.Node) bool {
		ts, ok := n.(*ast.TableSource)
		if !ok {
			return true
		}
		if _, gathered := ts.Source.(*tableSlot); gathered {
			return true
		}
		name := ts.AsName.L
		if tn, ok := ts.Source.(*ast.TableName); ok && name == "" {
			name = tn.Name.L
		}
		others[name] = true
		return true
	})
	for _, t := range tables {
		t.Shadowed = others[strings.ToLower(t.Alias)]
	}
}

// firstSelect is the SELECT that names a query's columns: the query itself,
// or the first SELECT of a UNION.
func firstSelect(n ast.Node) *ast.SelectStmt {
	switch t := n.(type) {
	case *ast.SelectStmt:
		return t
	case *ast.SetOprStmt:
		return firstSelect(t.SelectList)
	case *ast.SetOprSelectList:
		if len(t.Selects) > 0 {
			return firstSelect(t.Selects[0])
		}
	}
	return nil
}

// collect finds the table references and refuses what the evaluation cannot
// do: locking reads the gathers cannot take as they are, SELECT … INTO,
// tables of a backend's own schemas.
func (g *gatherPlanner) collect(stmt ast.StmtNode) error {
	ctes := map[string]bool{}
	var err error
	var sels []*ast.SelectStmt
	subqueries := 0
	stmt.Accept(&scopeWalker{
		enter: func(n ast.Node) bool {
			switch t := n.(type) {
			case *ast.SubqueryExpr:
				subqueries++
			case *ast.CommonTableExpression:
				ctes[t.Name.L] = true
				g.names[t.Name.L] = true
			case *ast.SelectStmt:
				sels = append(sels, t)
				g.nested[t] = subqueries > 0
				if t.LockInfo != nil && t.LockInfo.LockType != ast.SelectLockNone {
					clause, ok := gatherLocks[t.LockInfo.LockType]
					if !ok {
						err = sqlerr.Unsupported("a locking read (%s) across shards", t.LockInfo.LockType)
					}
					g.locks[t] = lockOf{clause: clause, of: t.LockInfo.Tables}
				}
				if t.SelectIntoOpt != nil {
					err = sqlerr.Unsupported("SELECT … INTO across shards")
				}
			case *ast.Join:
				if t.NaturalJoin || len(t.Using) > 0 {
					g.allStar = true
				}
			case *ast.TableSource:
				tn, ok := t.Source.(*ast.TableName)
				if !ok {
					g.names[t.AsName.L] = true
					return true
				}
				if tn.Schema.L == "" && (ctes[tn.Name.L] || tn.Name.L == "dual") {
					g.names[strings.ToLower(aliasName(t, tn))] = true
					return true
				}
				ks, kerr := g.p.keyspaceOf(tn, g.sess)
				if kerr != nil {
					err = kerr
					return false
				}
				schemata := ks == nil && isSchemata(tn, g.sess)
				if schemata {
					ks = g.p.evaluatingKeyspace(g.sess)
				} else if ks == nil {
					err = sqlerr.Unsupported("table %s of a backend's own schema in a statement across shards", tn.Name.O)
					return false
				}
				if len(sels) == 0 {
					err = sqlerr.Unsupported("table %s outside a SELECT across shards", tn.Name.O)
					return false
				}
				r := &gatherRef{ts: t, table: tn, ks: ks, alias: aliasName(t, tn), sel: sels[len(sels)-1], order: -1, schemata: schemata}
				g.refs = append(g.refs, r)
				key := strings.ToLower(r.alias)
				g.alias[key] = append(g.alias[key], r)
			}
			return err == nil
		},
		leave: func(n ast.Node) {
			switch n.(type) {
			case *ast.SelectStmt:
				sels = sels[:len(sels)-1]
			case *ast.SubqueryExpr:
				subqueries--
			}
		},
	})
	return err
}

func aliasName(ts *ast.TableSource, tn *ast.TableName) string {
	if ts.AsName.O != "" {
		return ts.AsName.O
	}
	return tn.Name.O
}

// scopeWalker calls enter on the way down and leave on the way up.
type scopeWalker struct {
	enter func(ast.Node) bool
	leave func(ast.Node)
}

func (w *scopeWalker) Enter(n ast.Node) (ast.Node, bool) { return n, !w.enter(n) }
func (w *scopeWalker) Leave(n ast.Node) (ast.Node, bool) {
	w.leave(n)
	return n, true
}

// dropColumnSchemas drops schema qualifiers of column names: the evaluated
// statement's tables are derived tables, and each gather's table is named
// in its own keyspace.
func dropColumnSchemas(stmt ast.StmtNode) {
	walk(stmt, func(n ast.Node) bool {
		if c, ok := n.(*ast.ColumnName); ok {
			c.Schema = ast.CIStr{}
		}
		return true
	})
}

// byQualifier is the one reference a qualifier names, or nil when it names
// none or several, or could mean a derived table or CTE.
func (g *gatherPlanner) byQualifier(q string) *gatherRef {
	key := strings.ToLower(q)
	if rs := g.alias[key]; len(rs) == 1 && !g.names[key] {
		return rs[0]
	}
	return nil
}

// projections decides the columns each reference's gather reads.
func (g *gatherPlanner) projections(stmt ast.StmtNode) {
	inSubquery := 0
	stmt.Accept(&scopeWalker{
		enter: func(n ast.Node) bool {
			switch t := n.(type) {
			case *ast.SubqueryExpr:
				inSubquery++
			case *ast.SelectStmt:
				if t.Fields == nil {
					g.allStar = true // TABLE t, VALUES …: every column
					break
				}
				for _, f := range t.Fields.Fields {
					if f.WildCard == nil {
						continue
					}
					if f.WildCard.Table.L == "" {
						g.starFrom(t)
					} else if r := g.byQualifier(f.WildCard.Table.O); r != nil {
						r.star = true
					} else {
						g.allStar = true
					}
				}
			case *ast.ColumnNameExpr:
				g.useColumn(t.Name, inSubquery > 0)
			}
			return true
		},
		leave: func(n ast.Node) {
			if _, ok := n.(*ast.SubqueryExpr); ok {
				inSubquery--
			}
		},
	})
	// Unqualified names: resolved per SELECT, after the walk above.
	walk(stmt, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectStmt); ok {
			g.unqualified(sel)
		}
		return true
	})
	for _, r := range g.refs {
		if g.allStar {
			r.star = true
		}
	}
}

// starFrom: every base table of sel's FROM is read whole.
func (g *gatherPlanner) starFrom(sel *ast.SelectStmt) {
	for _, r := range g.refs {
		if r.sel == sel {
			r.star = true
		}
	}
	if sel.From != nil && !g.fromIsBase(sel) {
		// A derived table's * may show its own tables' columns.
		g.allStar = true
	}
}

// fromIsBase: sel's FROM holds only base tables.
func (g *gatherPlanner) fromIsBase(sel *ast.SelectStmt) bool {
	only := true
	walk(sel.From, func(n ast.Node) bool {
		if ts, ok := n.(*ast.TableSource); ok {
			if _, base := ts.Source.(*ast.TableName); !base || g.refOf(ts) == nil {
				only = false
			}
		}
		return only
	})
	return only
}

func (g *gatherPlanner) refOf(ts *ast.TableSource) *gatherRef {
	for _, r := range g.refs {
		if r.ts == ts {
			return r
		}
	}
	return nil
}

func (g *gatherPlanner) useColumn(c *ast.ColumnName, inSubquery bool) {
	if c.Table.L == "" {
		if inSubquery {
			// Inside a subquery the name may be an outer table's column, or
			// the inner table's: only the schema knows.
			g.allStar = true
		}
		return
	}
	r := g.byQualifier(c.Table.O)
	if r == nil {
		if !g.names[c.Table.L] {
			g.allStar = true // a qualifier naming several references
		}
		return
	}
	r.addColumn(c.Name.O)
}

func (r *gatherRef) addColumn(name string) {
	for _, c := range r.columns {
		if strings.EqualFold(c, name) {
			return
		}
	}
	r.columns = append(r.columns, name)
}

// unqualified resolves the unqualified names of one SELECT (its own clauses,
// not its subqueries): the columns of its one base table when its FROM holds
// only that; names of its derived tables when it holds none; otherwise no
// telling, and every table is read whole.
func (g *gatherPlanner) unqualified(sel *ast.SelectStmt) {
	if sel.Fields == nil {
		return
	}
	var cols []*ast.ColumnName
	aliases := map[string]bool{}
	for _, f := range sel.Fields.Fields {
		if f.AsName.L != "" {
			aliases[f.AsName.L] = true
		}
	}
	// A name may be a select item's alias only in GROUP BY, HAVING and
	// ORDER BY; elsewhere (the select list, WHERE, ON) it is a column. GROUP
	// BY takes the table's column first if the table has one, which only the
	// table can tell (ambiguous).
	mayBeAlias, ambiguous := map[*ast.ColumnName]bool{}, map[*ast.ColumnName]bool{}
	for _, n := range aliasClauses(sel) {
		walk(n, func(n ast.Node) bool {
			if c, ok := n.(*ast.ColumnNameExpr); ok {
				mayBeAlias[c.Name] = true
			}
			return true
		})
	}
	if sel.GroupBy != nil {
		for _, it := range sel.GroupBy.Items {
			if c, ok := it.Expr.(*ast.ColumnNameExpr); ok {
				ambiguous[c.Name] = true
			}
		}
	}
	ownClauses(sel, func(n ast.Node) {
		if c, ok := n.(*ast.ColumnNameExpr); ok && c.Name.Table.L == "" {
			cols = append(cols, c.Name)
		}
	})
	if len(cols) == 0 {
		return
	}
	var base []*gatherRef
	sources := 0
	if sel.From != nil {
		walk(sel.From.TableRefs, func(n ast.Node) bool {
			if ts, ok := n.(*ast.TableSource); ok {
				sources++
				if r := g.refOf(ts); r != nil {
					base = append(base, r)
				}
				return false
			}
			return true
		})
	}
	switch {
	case len(base) == 0:
		// Columns of derived tables (or of DUAL): no gather reads them.
	case sources == 1:
		for _, c := range cols {
			switch {
			case !aliases[c.Name.L] || !mayBeAlias[c]:
				base[0].addColumn(c.Name.O)
			case ambiguous[c]:
				base[0].star = true // the backend resolves the name as MySQL does
			}
		}
	default:
		g.allStar = true
	}
}

// aliasClauses are sel's clauses where a name can be a select item's alias.
func aliasClauses(sel *ast.SelectStmt) []ast.Node {
	var nodes []ast.Node
	if sel.Having != nil {
		nodes = append(nodes, sel.Having.Expr)
	}
	if sel.GroupBy != nil {
		for _, it := range sel.GroupBy.Items {
			nodes = append(nodes, it.Expr)
		}
	}
	if sel.OrderBy != nil {
		for _, it := range sel.OrderBy.Items {
			nodes = append(nodes, it.Expr)
		}
	}
	return nodes
}

// ownClauses calls fn on the nodes of sel's own clauses, not inside its
// subqueries or derived tables.
func ownClauses(sel *ast.SelectStmt, fn func(ast.Node)) {
	var nodes []ast.Node
	if sel.Fields != nil {
		for _, f := range sel.Fields.Fields {
			if f.Expr != nil {
				nodes = append(nodes, f.Expr)
			}
		}
	}
	if sel.Where != nil {
		nodes = append(nodes, sel.Where)
	}
	for i := range sel.WindowSpecs { // WINDOW w AS (…), which OVER w reads
		nodes = append(nodes, &sel.WindowSpecs[i])
	}
	nodes = append(nodes, aliasClauses(sel)...)
	if sel.From != nil {
		walk(sel.From.TableRefs, func(n ast.Node) bool {
			if j, ok := n.(*ast.Join); ok && j.On != nil {
				nodes = append(nodes, j.On.Expr)
			}
			_, derived := n.(*ast.TableSource)
			return !derived
		})
	}
	for _, n := range nodes {
		walk(n, func(n ast.Node) bool {
			switch n.(type) {
			case *ast.SubqueryExpr:
				return false
			}
			fn(n)
			return true
		})
	}
}

// pushdown moves the conditions of sel's WHERE and of its joins' ON clauses
// that read one table reference alone into that reference's gather, and
// notes the equalities between references that reduce a gather.
func (g *gatherPlanner) pushdown(sel *ast.SelectStmt) {
	var single *gatherRef // the one base table unqualified names belong to
	if refs := g.refsUnder(sel.From.TableRefs); len(refs) == 1 && g.fromIsBase(sel) && !g.nested[sel] {
		for r := range refs {
			single = r
		}
	}
	if sel.Where != nil {
		g.conditions(sel, sel.Where, g.solid(sel.From.TableRefs), nil, single)
	}
	walk(sel.From.TableRefs, func(n ast.Node) bool {
		if ts, ok := n.(*ast.TableSource); ok {
			_, join := ts.Source.(*ast.Join)
			return join // a derived table's SELECT has its own pushdown
		}
		j, ok := n.(*ast.Join)
		if !ok || j.On == nil {
			return true
		}
		switch j.Tp {
		case ast.LeftJoin:
			g.conditions(sel, j.On.Expr, g.solid(j.Right), g.refsUnder(j.Left), nil)
		case ast.RightJoin:
			g.conditions(sel, j.On.Expr, g.solid(j.Left), g.refsUnder(j.Right), nil)
		default:
			g.conditions(sel, j.On.Expr, g.solid(j), nil, nil)
		}
		return true
	})
}

// conditions splits expr into its conjuncts: one reading a single reference
// of pushTo only is pushed into its gather; an equality between a reference
// of pushTo and another of pushTo or of sources reduces the first. With
// sources nil, equalities reduce both ways.
func (g *gatherPlanner) conditions(sel *ast.SelectStmt, expr ast.ExprNode, pushTo, sources map[*gatherRef]bool, single *gatherRef) {
	for _, c := range splitAnd(expr, nil) {
		if !pushable(c) {
			continue
		}
		if eq, ok := c.(*ast.BinaryOperationExpr); ok && eq.Op == opcode.EQ {
			l, lok := eq.L.(*ast.ColumnNameExpr)
			r, rok := eq.R.(*ast.ColumnNameExpr)
			if lok && rok {
				lr, rr := g.byQualifier(l.Name.Table.O), g.byQualifier(r.Name.Table.O)
				if lr != nil && rr != nil && lr != rr && lr.sel == sel && rr.sel == sel {
					g.edge(lr, rr, l.Name, r.Name, pushTo, sources)
					g.edge(rr, lr, r.Name, l.Name, pushTo, sources)
					continue
				}
			}
		}
		owner, ok := (*gatherRef)(nil), true
		walk(c, func(n ast.Node) bool {
			cn, isCol := n.(*ast.ColumnNameExpr)
			if !isCol {
				return ok
			}
			var r *gatherRef
			if cn.Name.Table.L == "" {
				r = single
			} else if r = g.byQualifier(cn.Name.Table.O); r != nil && r.sel != sel {
				r = nil
			}
			if r == nil || (owner != nil && owner != r) {
				ok = false
			}
			owner = r
			return ok
		})
		if ok && owner != nil && pushTo[owner] {
			owner.conds = append(owner.conds, c)
		}
	}
}

func (g *gatherPlanner) edge(target, source *gatherRef, tcol, scol *ast.ColumnName, pushTo, sources map[*gatherRef]bool) {
	if !pushTo[target] || (sources != nil && !sources[source]) || (sources == nil && !pushTo[source]) {
		return
	}
	g.edges = append(g.edges, reduceEdge{target: target, source: source, targetCol: tcol, sourceCol: scol})
}

// solid are the references under node whose rows are never NULL-filled by
// an outer join inside node: a condition at node filters their own rows.
func (g *gatherPlanner) solid(node ast.Node) map[*gatherRef]bool {
	out := map[*gatherRef]bool{}
	var visit func(ast.Node)
	visit = func(n ast.Node) {
		switch t := n.(type) {
		case *ast.TableSource:
			if r := g.refOf(t); r != nil {
				out[r] = true
			} else if j, ok := t.Source.(*ast.Join); ok {
				visit(j)
			}
		case *ast.Join:
			switch t.Tp {
			case ast.LeftJoin:
				visit(t.Left)
			case ast.RightJoin:
				visit(t.Right)
			default:
				visit(t.Left)
				if t.Right != nil {
					visit(t.Right)
				}
			}
		}
	}
	visit(node)
	return out
}

// refsUnder are all references of a join subtree, NULL-filled or not.
func (g *gatherPlanner) refsUnder(node ast.Node) map[*gatherRef]bool {
	out := map[*gatherRef]bool{}
	walk(node, func(n ast.Node) bool {
		if ts, ok := n.(*ast.TableSource); ok {
			if r := g.refOf(ts); r != nil {
				out[r] = true
			}
			_, base := ts.Source.(*ast.TableName)
			_, join := ts.Source.(*ast.Join)
			return base || join
		}
		return true
	})
	return out
}

// nondeterministic functions would be evaluated twice if pushed down (in the
// gather and again by the evaluating backend).
var nondeterministic = map[string]bool{"rand": true, "uuid": true, "uuid_short": true, "sleep": true,
	"get_lock": true, "release_lock": true, "is_free_lock": true, "is_used_lock": true, "benchmark": true,
	"last_insert_id": true, "found_rows": true, "row_count": true, "connection_id": true, "nextval": true,
	"lastval": true, "setval": true, "sys_guid": true}

// pushable: a condition that means the same in a gather as in the whole
// statement: no subquery, aggregate, window, variable or volatile function.
func pushable(c ast.ExprNode) bool {
	ok := true
	walk(c, func(n ast.Node) bool {
		switch t := n.(type) {
		case *ast.SubqueryExpr, *ast.ExistsSubqueryExpr, *ast.AggregateFuncExpr, *ast.WindowFuncExpr,
			*ast.VariableExpr, *ast.DefaultExpr, *ast.ValuesExpr:
			ok = false
		case *ast.FuncCallExpr:
			if nondeterministic[t.FnName.L] {
				ok = false
			}
		}
		return ok
	})
	return ok
}

// gatherOrder orders the references so each reduced one comes after its
// source, and builds their gathers: whatever the gathered ones reduce next;
// when nothing is, a reference no join reduces, preferably one with
// conditions of its own (the fewest rows, likely); ties in the statement's
// order.
func (g *gatherPlanner) gatherOrder() []*engine.Gather {
	var out []*engine.Gather
	place := func(r *gatherRef, e *reduceEdge) {
		r.order = len(out)
		gt := &engine.Gather{Alias: r.alias, Keyspace: r.ks.Name, Select: r.selectSQL(), From: r.fromSQL(), Where: r.where(g.sess.Mode), Known: &engine.GatherKnown{},
			Typed: r.ks == g.refs[0].ks, Lock: g.lockOf(r)}
		if e != nil {
			gt.Reduce = &engine.Reduce{Column: nodeText(&ast.ColumnNameExpr{Name: e.targetCol}), Source: e.source.order, SourceColumn: e.sourceCol.Name.O}
		}
		if r.schemata {
			// Names are utf8 in every backend's SCHEMATA: no collation to
			// read (the read would be this statement again).
			gt.Where, gt.Reduce, gt.From, gt.Union = nil, nil, "", g.schemataReads(r)
		}
		out = append(out, gt)
	}
	for len(out) < len(g.refs) {
		var next *gatherRef
		var via *reduceEdge
		for i := range g.edges {
			e := &g.edges[i]
			if e.target.order >= 0 || e.source.order < 0 {
				continue
			}
			// A reduction by the target's primary vindex column goes only to
			// the shards of the values: the better one.
			if next == nil || g.routable(e) && !g.routable(via) || g.routable(e) == g.routable(via) && e.target.index(g) < next.index(g) {
				next, via = e.target, e
			}
		}
		if next == nil {
			// Nothing to reduce by yet: start where no join could reduce
			// the reads (the preserved side of a LEFT JOIN), there with a
			// table whose values would reduce another by its primary vindex
			// column, and there with one that has conditions of its own.
			rank := func(r *gatherRef) int {
				n := 0
				if !g.reducible(r) {
					n += 4
				}
				for i := range g.edges {
					if e := &g.edges[i]; e.source == r && e.target.order < 0 && g.routable(e) && !g.routable(g.reverse(e)) {
						n += 2
						break
					}
				}
				if len(r.conds) > 0 {
					n++
				}
				return n
			}
			for _, r := range g.refs {
				if r.order < 0 && (next == nil || rank(r) > rank(next)) {
					next = r
				}
			}
		}
		place(next, via)
	}
	return out
}

// lockOf is the locking read r's gather takes: its SELECT's, unless FOR
// UPDATE OF names other tables.
func (g *gatherPlanner) lockOf(r *gatherRef) string {
	l, ok := g.locks[r.sel]
	if !ok {
		return ""
	}
	if len(l.of) == 0 {
		return l.clause
	}
	for _, t := range l.of {
		if strings.EqualFold(t.Name.O, r.alias) {
			return l.clause
		}
	}
	return ""
}

// routable: the reduction compares the target's primary vindex column, so
// its IN lists go only to the shards of their values.
func (g *gatherPlanner) routable(e *reduceEdge) bool {
	if e == nil || !e.target.ks.Sharded {
		return false
	}
	t, err := e.target.ks.FindTable(e.target.table.Name.O)
	if err != nil {
		return false
	}
	pv := t.Primary()
	return pv != nil && len(pv.Columns) == 1 && strings.EqualFold(pv.Columns[0], e.targetCol.Name.O)
}

// reverse is the edge reducing e's source by e's target, if the join allows
// it (nil otherwise).
func (g *gatherPlanner) reverse(e *reduceEdge) *reduceEdge {
	for i := range g.edges {
		if r := &g.edges[i]; r.target == e.source && r.source == e.target {
			return r
		}
	}
	return nil
}

// reducible: some join could reduce r's gather.
func (g *gatherPlanner) reducible(r *gatherRef) bool {
	for _, e := range g.edges {
		if e.target == r {
			return true
		}
	}
	return false
}

func (r *gatherRef) index(g *gatherPlanner) int {
	for i, x := range g.refs {
		if x == r {
			return i
		}
	}
	return -1
}

func (r *gatherRef) selectSQL() string {
	var b strings.Builder
	b.WriteString("SELECT ")
	switch {
	case r.star:
		b.WriteString("*")
	case len(r.columns) == 0:
		b.WriteString("1 AS " + vindex.QuoteIdent("1")) // only the row count matters
	default:
		for i, c := range r.columns {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(vindex.QuoteIdent(r.alias) + "." + vindex.QuoteIdent(c))
		}
	}
	b.WriteString(r.fromSQL())
	return b.String()
}

// fromSQL is the FROM clause of the reference's gather.
func (r *gatherRef) fromSQL() string {
	if r.schemata {
		return " FROM `information_schema`.`SCHEMATA` AS " + vindex.QuoteIdent(r.alias)
	}
	return " FROM " + vindex.QuoteIdent(r.table.Name.O) + " AS " + vindex.QuoteIdent(r.alias)
}

// systemSchemaNames are the backend's own schemas SCHEMATA lists with the
// keyspaces.
var systemSchemaNames = []string{"information_schema", "mysql", "performance_schema", "sys"}

// schemataReads read the rows of information_schema.SCHEMATA as one server
// of all keyspaces would list them: each keyspace's row from its first
// shard's database (a shard's database in information_schema reads as its
// keyspace, see session.forward), then the backend's own schemas from the
// evaluating keyspace's. A condition of the statement naming one schema
// (schema_name = 'shop') leaves the others unread, as MariaDB looks it up
// by its exact name (the backend's own by any case).
//
// A statement reading only the names (MariaDB Connector/J's getCatalogs)
// needs no keyspace's backend but the evaluating one: the keyspaces' rows
// are literals read after its own schemas' (whose result gives the columns
// their definitions: SCHEMATA's, not a UNION's).
func (g *gatherPlanner) schemataReads(r *gatherRef) []engine.Read {
	named, only := schemataNamed(r)
	want := func(name string) bool {
		return !only || name == named || IsSystemSchema(name) && strings.EqualFold(name, named)
	}
	name := vindex.QuoteIdent(r.alias) + ".`SCHEMA_NAME`"
	var systems []string
	for _, s := range systemSchemaNames {
		if want(s) {
			systems = append(systems, "'"+s+"'")
		}
	}
	system := engine.Read{Keyspace: r.ks.Name, SQL: r.selectSQL() + " WHERE FALSE"}
	if len(systems) > 0 {
		system.SQL = r.selectSQL() + " WHERE " + name + " IN (" + strings.Join(systems, ", ") + ")"
	}
	var keyspaces []string
	for _, ks := range g.p.Topo.Names {
		if want(ks) {
			keyspaces = append(keyspaces, ks)
		}
	}
	if literals, ok := g.schemataLiterals(r, keyspaces); ok {
		if literals == "" {
			return []engine.Read{system}
		}
		return []engine.Read{system, {Keyspace: r.ks.Name, SQL: literals}}
	}
	reads := make([]engine.Read, 0, len(keyspaces)+1)
	for _, ks := range keyspaces {
		db := g.p.Topo.Keyspaces[ks].Shards[0].Database
		lit := vindex.AppendLiteral(nil, vindex.Value{Kind: vindex.VarChar, Raw: []byte(db)}, g.sess.Mode.NoBackslashEscapes)
		reads = append(reads, engine.Read{Keyspace: ks, SQL: r.selectSQL() + " WHERE " + name + " = " + string(lit)})
	}
	return append(reads, system)
}

// schemataNamed is the schema name one of r's own conditions compares
// SCHEMA_NAME with (=, a string literal): only, and that name.
func schemataNamed(r *gatherRef) (name string, only bool) {
	for _, c := range r.conds {
		e, ok := c.(*ast.BinaryOperationExpr)
		if !ok || e.Op != opcode.EQ {
			continue
		}
		col, val := e.L, e.R
		if _, ok := e.R.(*ast.ColumnNameExpr); ok {
			col, val = e.R, e.L
		}
		cn, ok := col.(*ast.ColumnNameExpr)
		lit, isLit := val.(*driver.ValueExpr)
		if ok && cn.Name.Name.L == "schema_name" && isLit && lit.Kind() == driver.KindString {
			return lit.GetString(), true
		}
	}
	return "", false
}

// schemataLiterals are the rows of keyspaces in SCHEMATA as a UNION ALL of
// literals ("" for none), when r reads no other column than SCHEMA_NAME
// and CATALOG_NAME (always 'def').
func (g *gatherPlanner) schemataLiterals(r *gatherRef, keyspaces []string) (string, bool) {
	if r.star || len(r.columns) == 0 {
		return "", false
	}
	var b []byte
	for k, ks := range keyspaces {
		if k > 0 {
			b = append(b, " UNION ALL "...)
		}
		b = append(b, "SELECT "...)
		for i, c := range r.columns {
			if i > 0 {
				b = append(b, ", "...)
			}
			switch strings.ToLower(c) {
			case "schema_name":
				b = vindex.AppendLiteral(b, vindex.Value{Kind: vindex.VarChar, Raw: []byte(ks)}, g.sess.Mode.NoBackslashEscapes)
			case "catalog_name":
				b = append(b, "'def'"...)
			default:
				return "", false
			}
		}
	}
	return string(b), true
}

// where is the conjunction of r's own conditions, each in parentheses; nil
// for none.
func (r *gatherRef) where(mode SQLMode) engine.Template {
	var and ast.ExprNode
	for _, c := range r.conds {
		var cond ast.ExprNode = &ast.ParenthesesExpr{Expr: c}
		if and != nil {
			cond = &ast.BinaryOperationExpr{Op: opcode.LogicAnd, L: and, R: cond}
		}
		and = cond
	}
	if and == nil {
		return nil
	}
	t, _ := printTemplate("", and, mode)
	return t
}

// tableSlot stands for a table reference in a statement printed as a
// template: it prints nothing and ends a part where the gathered rows go.
type tableSlot struct {
	ast.TableName
	n int
}

func (s *tableSlot) Restore(ctx *format.RestoreCtx) error {
	w := ctx.In.(*sqlWriter)
	w.cut(0)
	w.slots = append(w.slots, slotAt{n: s.n, at: len(w.pieces)})
	return nil
}

func (s *tableSlot) Accept(v ast.Visitor) (ast.Node, bool) {
	n, _ := v.Enter(s)
	return v.Leave(n)
}

// slotAt: the table slot of gather n ends the template's pieces before at.
type slotAt struct{ n, at int }
